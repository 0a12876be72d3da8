; SVM instructions with EFER.SVME = 0 raise #UD before any intercept applies (issue 14 L0 item;
; APM vol.3 VMRUN/VMLOAD/VMSAVE/INVLPGA "#UD: secure virtual machine instructions are not
; enabled (EFER.SVME = 0)"; APM 15.9: #UD is checked before the instruction intercept).
; cases 0-2: L2 clears its EFER.SVME, then VMLOAD / VMSAVE / VMRUN with that instruction and #UD
;            intercepted: exit 0x46 with the RIP of the instruction
; OBS(0): L1 clears its EFER.SVME and runs INVLPGA: #UD (vector 6) in L1
%include "probe.inc"
    LABELS g_vmload_insn, g_vmsave_insn, g_vmrun_insn
    PROBE_INIT
    RUN_CASE 0, g_vmload, {or dword [VMCB + V_INT_W4], W4_VMLOAD}, {mov dword [VMCB + V_INT_EXC], 1 << 6}
    RUN_CASE 1, g_vmsave, {or dword [VMCB + V_INT_W4], W4_VMSAVE}, {mov dword [VMCB + V_INT_EXC], 1 << 6}
    RUN_CASE 2, g_vmrun, {mov dword [VMCB + V_INT_EXC], 1 << 6}
    mov ecx, 0xC0000080
    rdmsr
    btr eax, 12
    wrmsr
    TRY .done
    xor eax, eax
    xor ecx, ecx
    invlpga
.done:
    OBSERVE 0, [FAULT_VEC]
    PROBE_END
%macro SVME_OFF 0
    mov ecx, 0xC0000080
    rdmsr
    btr eax, 12
    wrmsr
    mov eax, VMCB
%endmacro
g_vmload:
    SVME_OFF
g_vmload_insn:
    vmload
    vmmcall
g_vmsave:
    SVME_OFF
g_vmsave_insn:
    vmsave
    vmmcall
g_vmrun:
    SVME_OFF
g_vmrun_insn:
    vmrun
    vmmcall
    PROBE_ROUTINES
