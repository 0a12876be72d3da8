; Intercepts and their exit information (reference §2.1-§2.3, §3): case i runs one guest with one
; intercept set; run_case records EXITCODE, EXITINFO1/2, nRIP, RIP, RAX, EXITINTINFO, CR2.
%include "lib.inc"

%define GIDT 0x700000

; CASE index, guest label, setup instructions...
%macro CASE 2-*
    mov rdi, %2
    call vmcb_init
    %assign %%idx %1
    %rotate 2
    %rep %0 - 2
      %1
      %rotate 1
    %endrep
    mov esi, %%idx
    call run_case
%endmacro

    jmp start
    align 8
; label table at 0x100008 (read by the Rust test): g_vmmcall g_cpuid g_hlt g_out g_out_insn g_out_next g_in g_in_insn g_in_next g_rdmsr_pat g_rdmsr_pat_insn g_wrmsr_pat_bad g_wrmsr_pat_bad_insn g_rdmsr_hv g_rdmsr_hv_insn g_cr0w g_cr0w_insn g_cr3r g_ud g_gp g_gp_insn g_pf g_pf_insn g_int21 g_int3 g_rdtsc g_rdtscp g_pause g_pushf g_popf g_iret g_invd g_wbinvd g_invlpg g_icebp g_clgi g_vmrun g_vmrun_insn g_vmload g_vmload_insn g_dr7r g_dr0w g_cr0cd g_cr0cd_insn g_cr0ts g_cr0ts_next g_rdmsr_efer g_rdmsr_efer_next g_h13 g_h13_next g_h40 g_h40_next
labels:
    dq g_vmmcall
    dq g_cpuid
    dq g_hlt
    dq g_out
    dq g_out_insn
    dq g_out_next
    dq g_in
    dq g_in_insn
    dq g_in_next
    dq g_rdmsr_pat
    dq g_rdmsr_pat_insn
    dq g_wrmsr_pat_bad
    dq g_wrmsr_pat_bad_insn
    dq g_rdmsr_hv
    dq g_rdmsr_hv_insn
    dq g_cr0w
    dq g_cr0w_insn
    dq g_cr3r
    dq g_ud
    dq g_gp
    dq g_gp_insn
    dq g_pf
    dq g_pf_insn
    dq g_int21
    dq g_int3
    dq g_rdtsc
    dq g_rdtscp
    dq g_pause
    dq g_pushf
    dq g_popf
    dq g_iret
    dq g_invd
    dq g_wbinvd
    dq g_invlpg
    dq g_icebp
    dq g_clgi
    dq g_vmrun
    dq g_vmrun_insn
    dq g_vmload
    dq g_vmload_insn
    dq g_dr7r
    dq g_dr0w
    dq g_cr0cd
    dq g_cr0cd_insn
    dq g_cr0ts
    dq g_cr0ts_next
    dq g_rdmsr_efer
    dq g_rdmsr_efer_next
    dq g_h13
    dq g_h13_next
    dq g_h40
    dq g_h40_next

start:
    SVM_ENABLE
    mov rdi, MSRPM              ; MSRPM + IOPM: 5 pages of zeros
    mov ecx, 5 * 512
    call zero_qwords
    ; guest IDT: #GP -> g_h13, vector 0x40 -> g_h40, #UD -> g_h6
    mov rdi, GIDT
    mov ecx, 512
    call zero_qwords
    mov rdi, GIDT
    mov esi, 13
    mov rdx, g_h13
    call set_gate
    mov rdi, GIDT
    mov esi, 0x40
    mov rdx, g_h40
    call set_gate

    CASE 0, g_vmmcall
    CASE 1, g_cpuid, {or dword [VMCB + V_INT_W3], W3_CPUID}
    CASE 2, g_hlt, {or dword [VMCB + V_INT_W3], W3_HLT}
    CASE 3, g_out, {or dword [VMCB + V_INT_W3], W3_IOIO}, {mov byte [IOPM + 0x80 / 8], 1}
    CASE 4, g_in, {or dword [VMCB + V_INT_W3], W3_IOIO}, {mov byte [IOPM + 0x1235 / 8], 1 << (0x1235 % 8)}
    CASE 5, g_rdmsr_pat, {or dword [VMCB + V_INT_W3], W3_MSR}, {mov byte [MSRPM + 0x9D], 1 << 6}
    CASE 6, g_wrmsr_pat_bad, {or dword [VMCB + V_INT_W3], W3_MSR}, {mov byte [MSRPM + 0x9D], 1 << 7}
    CASE 7, g_rdmsr_hv, {or dword [VMCB + V_INT_W3], W3_MSR}
    CASE 8, g_cr0w, {mov dword [VMCB + V_INT_CR], 1 << 16}
    CASE 9, g_cr3r, {mov dword [VMCB + V_INT_CR], 1 << 3}
    CASE 10, g_ud, {mov dword [VMCB + V_INT_EXC], 1 << 6}
    CASE 11, g_gp, {mov dword [VMCB + V_INT_EXC], 1 << 13}
    CASE 12, g_pf, {mov dword [VMCB + V_INT_EXC], 1 << 14}, {VSET64 V_CR2, 0x1111}
    CASE 13, g_int21, {or dword [VMCB + V_INT_W3], W3_INTN}
    CASE 14, g_int3, {mov dword [VMCB + V_INT_EXC], 1 << 3}
    CASE 15, g_rdtsc, {or dword [VMCB + V_INT_W3], W3_RDTSC}
    CASE 16, g_rdtscp, {or dword [VMCB + V_INT_W4], W4_RDTSCP}
    CASE 17, g_pause, {or dword [VMCB + V_INT_W3], W3_PAUSE}
    CASE 18, g_pushf, {or dword [VMCB + V_INT_W3], W3_PUSHF}
    CASE 19, g_popf, {or dword [VMCB + V_INT_W3], W3_POPF}
    CASE 20, g_iret, {or dword [VMCB + V_INT_W3], W3_IRET}
    CASE 21, g_invd, {or dword [VMCB + V_INT_W3], W3_INVD}
    CASE 22, g_wbinvd, {or dword [VMCB + V_INT_W4], W4_WBINVD}
    CASE 23, g_invlpg, {or dword [VMCB + V_INT_W3], W3_INVLPG}
    CASE 24, g_icebp, {or dword [VMCB + V_INT_W4], W4_ICEBP}
    CASE 25, g_clgi, {or dword [VMCB + V_INT_W4], W4_CLGI}
    CASE 26, g_vmrun
    CASE 27, g_vmload, {or dword [VMCB + V_INT_W4], W4_VMLOAD}
    CASE 28, g_dr7r, {mov dword [VMCB + V_INT_DR], 1 << 7}
    CASE 29, g_dr0w, {mov dword [VMCB + V_INT_DR], 1 << 16}
    CASE 30, g_ud, {or dword [VMCB + V_INT_W3], W3_SHUTDOWN}
    CASE 31, g_cr0cd, {or dword [VMCB + V_INT_W3], W3_SEL_CR0}
    CASE 32, g_cr0ts, {or dword [VMCB + V_INT_W3], W3_SEL_CR0}
    CASE 33, g_rdmsr_efer, {or dword [VMCB + V_INT_W3], W3_MSR}
    ; EVENTINJ: #GP with error code 0x1234, then INTR vector 0x40, through the guest IDT
    CASE 34, g_vmmcall, {VSET64 V_IDTR + 8, GIDT}, {mov dword [VMCB + V_IDTR + 4], 0xFFF}, \
        {mov dword [VMCB + V_EVENTINJ], 0x80000000 | (1 << 11) | (3 << 8) | 13}, \
        {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    CASE 35, g_vmmcall, {VSET64 V_IDTR + 8, GIDT}, {mov dword [VMCB + V_IDTR + 4], 0xFFF}, \
        {mov dword [VMCB + V_EVENTINJ], 0x80000000 | 0x40}
    ; #PF intercept while delivering #GP (the guest IDT is not mapped): EXITINTINFO = the #GP
    CASE 36, g_gp, {mov dword [VMCB + V_INT_EXC], 1 << 14}, {VSET64 V_IDTR + 8, 0x100000000}, \
        {mov dword [VMCB + V_IDTR + 4], 0xFFF}
    mov al, 0
    out 0xF4, al

g_vmmcall:
    vmmcall
g_cpuid:
    cpuid
g_hlt:
    hlt
g_out:
    mov al, 1
g_out_insn:
    out 0x80, al
g_out_next:
    vmmcall
g_in:
    mov dx, 0x1234
g_in_insn:
    in ax, dx
g_in_next:
    vmmcall
g_rdmsr_pat:
    mov ecx, 0x277
g_rdmsr_pat_insn:
    rdmsr
    vmmcall
g_wrmsr_pat_bad:
    mov ecx, 0x277
    mov eax, 0x08080808
    mov edx, eax
g_wrmsr_pat_bad_insn:
    wrmsr
    vmmcall
g_rdmsr_hv:
    mov ecx, 0x40000000
g_rdmsr_hv_insn:
    rdmsr
    vmmcall
g_cr0w:
    mov rax, cr0
g_cr0w_insn:
    mov cr0, rax
    vmmcall
g_cr3r:
    mov rax, cr3
    vmmcall
g_ud:
    ud2
g_gp:
    mov ax, 0x18
g_gp_insn:
    mov ds, ax
    vmmcall
g_pf:
    mov rax, 0x100001000
g_pf_insn:
    mov rbx, [rax]
    vmmcall
g_int21:
    int 0x21
g_int3:
    int3
g_rdtsc:
    rdtsc
g_rdtscp:
    rdtscp
g_pause:
    pause
g_pushf:
    pushfq
g_popf:
    popfq
g_iret:
    iretq
g_invd:
    invd
g_wbinvd:
    wbinvd
g_invlpg:
    invlpg [0x1234]
g_icebp:
    db 0xF1
g_clgi:
    clgi
g_vmrun:
    mov rax, VMCB
g_vmrun_insn:
    vmrun
g_vmload:
    mov rax, VMCB
g_vmload_insn:
    vmload
g_dr7r:
    mov rax, dr7
g_dr0w:
    mov dr0, rax
g_cr0cd:
    mov rax, cr0
    or eax, 1 << 30
g_cr0cd_insn:
    mov cr0, rax
    vmmcall
g_cr0ts:
    mov rax, cr0
    or eax, 1 << 3
    mov cr0, rax
g_cr0ts_next:
    vmmcall
g_rdmsr_efer:
    mov ecx, 0xC0000080
    rdmsr
g_rdmsr_efer_next:
    vmmcall
g_h13:
    pop rax
g_h13_next:
    vmmcall
g_h40:
    mov eax, 0x40
g_h40_next:
    vmmcall

SVM_LIB_ROUTINES
