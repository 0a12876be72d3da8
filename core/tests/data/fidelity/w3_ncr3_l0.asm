; Robustness W3: nCR3 beyond L1's RAM (64 MiB + 0x10000, where an L0 keeps its own tables).
; No L1 memory holds the table: on `bare` the nested walk reads outside RAM, which the model
; reports as an emulator error; L2 must not run (no exit 0x81 recorded) under any model.
%include "probe.inc"
    PROBE_INIT
    call npt_init
    RUN_CASE 0, g_vmmcall, {call np_on}, {VSET64 V_NCR3, 0x4010000}
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
