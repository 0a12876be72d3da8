; TSC_OFFSET (issue 14; APM vol.2 Table B-1 TSC_OFFSET at VMCB+0x050, reference 1.2: RDTSC,
; RDTSCP and RDMSR(TSC) in the guest return the TSC plus TSC_OFFSET; kvm-unit-tests tsc_adjust).
; L1 reads the TSC before (t0) and after (t1) VMRUN; L2 reads it with RDTSC, RDTSCP and RDMSR.
; OBS(i), i = 0..2: 1 when L2's value minus the offset lies in [t0, t1], else 0.
%include "probe.inc"
%define OFF 0x100000000000
%macro TSC64 0
    shl rdx, 32
    or rax, rdx
%endmacro
    PROBE_INIT
    mov rdi, g_tsc
    call vmcb_init
    VSET64 V_TSC_OFF, OFF
    rdtsc
    TSC64
    mov [OBS(10)], rax
    mov rax, VMCB
    vmrun
    rdtsc
    TSC64
    mov [OBS(11)], rax
    xor ecx, ecx
.l:
    mov rax, [OBS(20) + rcx * 8]
    mov rbx, OFF
    sub rax, rbx
    xor edx, edx
    cmp rax, [OBS(10)]
    jb .no
    cmp rax, [OBS(11)]
    ja .no
    mov edx, 1
.no:
    mov [OBS(0) + rcx * 8], rdx
    inc ecx
    cmp ecx, 3
    jb .l
    PROBE_END
g_tsc:
    rdtsc
    TSC64
    mov [OBS(20)], rax
    rdtscp
    TSC64
    mov [OBS(21)], rax
    mov ecx, 0x10
    rdmsr
    TSC64
    mov [OBS(22)], rax
    vmmcall
    PROBE_ROUTINES
