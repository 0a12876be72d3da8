; Robustness d01/d02: L1's VMRUN/VMLOAD/VMSAVE with rAX outside RAM or at the top of the address
; space (APM vol.3 VMRUN/VMLOAD/VMSAVE: #GP(0) when rAX is beyond the supported physical address
; range; for 64 MiB + 0 (below MAXPHYADDR, no RAM) the `bare` model and KVM both give #GP(0)).
; OBS(2i, 2i+1) = fault vector and error code of: VMRUN 0x4000000, VMLOAD -4096, VMSAVE -4096
%include "probe.inc"
%macro TRY_INSN 3
    TRY %%done
    mov rax, %2
    %3
%%done:
    OBSERVE 2 * %1, [FAULT_VEC]
    OBSERVE 2 * %1 + 1, [FAULT_ERR]
%endmacro
    PROBE_INIT
    TRY_INSN 0, 0x4000000, vmrun
    TRY_INSN 1, 0xFFFFFFFFFFFFF000, vmload
    TRY_INSN 2, 0xFFFFFFFFFFFFF000, vmsave
    PROBE_END
    PROBE_ROUTINES
