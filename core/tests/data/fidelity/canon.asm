; Non-canonical segment bases (issue 14; kvm-unit-tests svm_tests.c test_canonicalization, which
; checks real hardware: VMRUN with a non-canonical ES/CS/SS/DS base succeeds; VMLOAD canonicalizes
; the FS, GS, LDTR, TR and KernelGSbase bases it loads, seen by a following VMSAVE).
; case 0: VMRUN with ES base 0x0000800000001000: L2 runs (exit 0x81)
; OBS(0..4): VMLOAD of bases 0x0000800000001000 then VMSAVE: FS, GS, LDTR, TR, KernelGSbase
%include "probe.inc"
%define NC 0x0000800000001000
    PROBE_INIT
    RUN_CASE 0, g_vmmcall, {VSET64 V_ES + 8, NC}
    mov rax, VMCB
    vmsave
    VSET64 V_FS + 8, NC
    VSET64 V_GS + 8, NC
    VSET64 V_LDTR + 8, NC
    VSET64 V_TR + 8, NC
    VSET64 V_KGSBASE, NC
    mov rax, VMCB
    vmload
    mov rdi, 0x300000
    mov ecx, 512
    call zero_qwords
    mov rax, 0x300000
    vmsave
    OBSERVE 0, [0x300000 + V_FS + 8]
    OBSERVE 1, [0x300000 + V_GS + 8]
    OBSERVE 2, [0x300000 + V_LDTR + 8]
    OBSERVE 3, [0x300000 + V_TR + 8]
    OBSERVE 4, [0x300000 + V_KGSBASE]
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
