; Robustness D7: L1 loads CR3 with an address beyond its RAM. The next fetch's walk reads no
; memory that holds a table; nothing can deliver the #PF (the IDT is reached through the same
; tables), so the machine shuts down (APM 8.2.9: a fault while delivering #DF is a triple fault).
%include "probe.inc"
    PROBE_INIT
    mov rax, 0x10000000
    mov cr3, rax
    PROBE_END
    PROBE_ROUTINES
