; Instructions the model does not offer are #UD before their intercepts (APM 15.9; kvm-unit-tests
; svm_unsupported_instruction_intercept_test): SKINIT (CPUID 0x80000001 ECX[12] clear), RDPRU
; (0x80000008 EBX[4]), INVPCID (7.0:EBX[10]), and XSETBV while CR4.OSXSAVE is clear. Each case sets
; the #UD intercept and the instruction's own intercept; the exit is 0x46 at the instruction.
%include "probe.inc"
    LABELS g_skinit, g_rdpru, u_invpcid, u_xsetbv
%macro UD_CASE 3
    mov rdi, %1
    call vmcb_init
    mov dword [VMCB + V_INT_EXC], 1 << 6
    or dword [VMCB + %2], %3
    mov esi, case_n
    call run_case
%assign case_n case_n + 1
%endmacro
%assign case_n 0
    PROBE_INIT
    UD_CASE g_skinit, V_INT_W4, 1 << 6
    UD_CASE g_rdpru, V_INT_W4, 1 << 14
    UD_CASE g_invpcid, 0x014, 1 << 2
    UD_CASE g_xsetbv, V_INT_W4, 1 << 13
    PROBE_END
g_skinit:
    skinit
g_rdpru:
    db 0x0f, 0x01, 0xfd
g_invpcid:
    xor eax, eax
u_invpcid:
    invpcid rax, [rel desc]
g_xsetbv:
    xor eax, eax
    xor edx, edx
    xor ecx, ecx
u_xsetbv:
    xsetbv
    align 16
desc:
    dq 0, 0
    PROBE_ROUTINES
