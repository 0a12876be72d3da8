; VMRUN consistency checks (reference §4.2): case i breaks one field of a valid VMCB; EXITCODE of
; each run lands at RESULTS + 64*i. Cases 18/19 are valid (VMMCALL exit). Ends with OUT 0xF4, 0.
%include "lib.inc"

%macro CASE 1-*
    mov rdi, g_vmmcall
    call vmcb_init
    %rep %0 - 1
      %rotate 1
      %1
    %endrep
    %rotate 1
    mov esi, %1
    call run_case
%endmacro

start:
    SVM_ENABLE
    call npt_init
    CASE 0, {mov dword [VMCB + V_ASID], 0}
    CASE 1, {mov dword [VMCB + V_INT_W4], W4_VMMCALL}
    CASE 2, {call np_on}, {VSET64 V_GPAT, 0x0808080808080808}
    CASE 3, {and dword [VMCB + V_EFER], ~(1 << 12)}
    CASE 4, {or dword [VMCB + V_CR0], 1 << 29}
    CASE 5, {mov dword [VMCB + V_EVENTINJ], 0x80000000 | (3 << 8) | 2}
    CASE 6, {VSET64 V_MSRPM, 0xFFFFFFFFF000}
    CASE 7, {VSET64 V_IOPM, 0xFFFFFFFFE000}
    CASE 8, {or dword [VMCB + V_CR0 + 4], 1}
    CASE 9, {mov dword [VMCB + V_DR6 + 4], 1}
    CASE 10, {mov dword [VMCB + V_DR7 + 4], 1}
    CASE 11, {or dword [VMCB + V_EFER], 1 << 1}
    CASE 12, {and dword [VMCB + V_CR4], ~0x20}
    CASE 13, {and dword [VMCB + V_CR0], ~1}
    CASE 14, {or word [VMCB + V_CS + 2], 0x400}
    CASE 15, {or dword [VMCB + V_CR3 + 4], 1 << 16}
    CASE 16, {or dword [VMCB + V_CR4], 1 << 15}
    CASE 17, {call np_on}, {VSET64 V_NCR3, (1 << 52) | NPT_PML4}
    CASE 18, {call np_on}
    CASE 19, {VSET64 V_GPAT, 0x0808080808080808}
    mov al, 0
    out 0xF4, al

g_vmmcall:
    vmmcall

SVM_LIB_ROUTINES
