; Exception vs intercept priority (issue 14; APM 15.9 "Instruction Intercepts": simple exceptions
; such as #GP for a wrong CPL or #UD are checked before the instruction intercept).
; case 0: L2 at CPL 3 runs RDPMC with CR4.PCE = 0, RDPMC and #GP intercepted: exit 0x4D.
; case 1: the same RDPMC at CPL 0 with the RDPMC intercept: exit 0x6F (the intercept works).
%include "probe.inc"
    LABELS g_rdpmc_insn
    PROBE_INIT
    ; the first GiB user-accessible, so that L2 can run at CPL 3 on L1's tables
    mov qword [0x3000], 0x87
    or qword [0x2000], 4
    mov rax, cr3
    mov cr3, rax
    mov rdi, g_rdpmc
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_RDPMC
    mov dword [VMCB + V_INT_EXC], 1 << 13
    mov byte [VMCB + V_CPL], 3
    mov word [VMCB + V_CS], 0x0B
    mov word [VMCB + V_CS + 2], 0x0AFB
    mov word [VMCB + V_SS], 0x13
    mov word [VMCB + V_SS + 2], 0x0CF3
    and dword [VMCB + V_CR4], ~(1 << 8)
    mov esi, 0
    call run_case
    mov rdi, g_rdpmc
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_RDPMC
    mov esi, 1
    call run_case
    PROBE_END

g_rdpmc:
    xor ecx, ecx
g_rdpmc_insn:
    rdpmc
    vmmcall

    PROBE_ROUTINES
