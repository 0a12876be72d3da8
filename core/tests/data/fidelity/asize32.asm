; VMSAVE/VMLOAD/VMRUN with a 32-bit address size (issue 14; APM vol.3 VMRUN/VMLOAD/VMSAVE: the
; VMCB address is rAX, whose size is the effective address size: with 0x67 in 64-bit mode, EAX).
; rAX carries junk in bits 63:32 every time.
; OBS(0,1): A32 VMSAVE to 0x300000: fault vector (-1 = none), the FS base stored at 0x300000
; OBS(2,3): A32 VMLOAD from 0x310000 (FS base 0x7B000 there): fault, FS_BASE read back
; OBS(4,5): A32 VMRUN of the VMCB: fault, exit code (0x81 = L2 ran its VMMCALL)
%include "probe.inc"
%define JUNK 0xFFFFFFFF00000000
    PROBE_INIT
    WRMSR64 0xC0000100, 0x5A5A000
    TRY .s1
    mov rax, JUNK | 0x300000
    a32 vmsave
.s1:
    OBSERVE 0, [FAULT_VEC]
    OBSERVE 1, [0x300000 + V_FS + 8]
    mov rdi, 0x310000
    mov ecx, 512
    call zero_qwords
    mov qword [0x310000 + V_FS + 8], 0x7B000
    TRY .s2
    mov rax, JUNK | 0x310000
    a32 vmload
.s2:
    OBSERVE 2, [FAULT_VEC]
    mov ecx, 0xC0000100
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov [OBS(3)], rax
    mov rdi, g_vmmcall
    call vmcb_init
    TRY .s3
    mov rax, JUNK | VMCB
    a32 vmrun
.s3:
    OBSERVE 4, [FAULT_VEC]
    OBSERVE 5, [VMCB + V_EXITCODE]
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
