; Single-step traps (issue 14; APM vol.2 13.1.3 RFLAGS.TF / DR6.BS, 15.12 exception intercepts;
; kvm-unit-tests svm_tests.c host_rflags and guest_rflags_test for TF across VMRUN).
; case 0: L2 sets TF with POPF, then NOP: #DB after the NOP, intercepted: exit 0x41 with the RIP
;         of the instruction after the NOP; OBS(0) = guest DR6 & BS (bit 14)
; case 1: VMRUN loads RFLAGS.TF = 1: no trap before the first guest instruction, #DB after it
; OBS(1..3): L1 sets TF right before VMRUN: L2 runs (exit 0x81), then the #DB trap is taken in
;         L1 after VMRUN completes, with the RIP of the instruction after VMRUN
%include "probe.inc"
    LABELS g_ss_after, g_tf_after, l1_after_vmrun
    PROBE_INIT
    mov rdi, g_ss
    call vmcb_init
    mov dword [VMCB + V_INT_EXC], 1 << 1
    mov esi, 0
    call run_case
    mov rax, [VMCB + V_DR6]
    and eax, 1 << 14
    mov [OBS(0)], rax

    mov rdi, g_tf
    call vmcb_init
    mov dword [VMCB + V_INT_EXC], 1 << 1
    VSET64 V_RFLAGS, 0x102
    mov esi, 1
    call run_case

    mov rdi, g_vmmcall
    call vmcb_init
    TRY l1_done
    mov rax, VMCB
    pushfq
    or qword [rsp], 0x100
    popfq
    vmrun
l1_after_vmrun:
    nop
l1_done:
    OBSERVE 1, [VMCB + V_EXITCODE]
    OBSERVE 2, [FAULT_VEC]
    OBSERVE 3, [FAULT_RIP]
    PROBE_END

g_ss:
    pushfq
    or qword [rsp], 0x100
    popfq
    nop
g_ss_after:
    vmmcall
g_tf:
    nop
g_tf_after:
    vmmcall
g_vmmcall:
    vmmcall

    PROBE_ROUTINES
