; Nested page faults (reference §7.2/§7.3, §11.2 nested_tdp_fault_test, §11.4 svm_npt): the guest
; uses its own page tables at GPT_PML4 (0x800000) and NPT; case i changes one nested entry of the
; 4 KiB nested table NPT_PT (which maps 0x800000-0x9FFFFF), runs the guest and records the exit.
%include "lib.inc"

; NPT_PT entry of guest-physical address a
%define NPTE(a) (NPT_PT + (((a) - 0x800000) >> 12) * 8)

%macro CASE 2-*
    call npt_init
    mov rdi, %2
    call vmcb_init
    call np_on
    VSET64 V_CR3, GPT_PML4
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
labels:                         ; at 0x100008
    dq g_read, g_write, g_read4, g_read5, g_pf_insn, g_ad, g_read32

start:
    SVM_ENABLE
    call guest_pt_init
    mov dword [0x903000], 0x00D9010F        ; vmmcall at 0x903000 (executed with nested NX)
    ; final GPA not present: USER | GUEST_FINAL
    CASE 0, g_read, {mov qword [NPTE(0x900000)], 0}
    ; the guest PDPT page not present: WRITE | USER | GUEST_PAGE, EXITINFO2 = the PDPT entry
    CASE 1, g_read, {mov qword [NPTE(GPT_PDPT)], 0}
    ; final GPA write-protected
    CASE 2, g_write, {and qword [NPTE(0x902000)], ~2}
    ; the guest PML4 page write-protected: the walk faults (npt_rw_pfwalk, EXITINFO2 = guest CR3)
    CASE 3, g_read, {and qword [NPTE(GPT_PML4)], ~2}
    ; npt_nx: fetch from a nested-NX page, host EFER.NXE set, guest EFER.NXE clear
    CASE 4, 0x903000, {bts qword [NPTE(0x903000)], 63}, {and dword [VMCB + V_EFER], ~(1 << 11)}
    ; npt_us: nested entry without U
    CASE 5, g_read4, {and qword [NPTE(0x904000)], ~4}
    ; reserved bit 51 in the final nested PTE (read)
    CASE 6, g_read5, {bts qword [NPTE(0x905000)], 51}
    ; reserved bit 51 in the nested PDPTE[0] that maps the guest's tables: the walk faults first
    CASE 7, g_read, {bts qword [NPT_PDPT], 51}
    ; guest #PF (intercepted) for an address its own tables do not map
    CASE 8, g_pf, {mov dword [VMCB + V_INT_EXC], 1 << 14}
    ; guest paging off: GPA = GLA still goes through the NPT. Without paging there is no long
    ; mode (EFER.LMA clear), so the guest runs 32-bit protected-mode code (CS.D = 1, L = 0).
    CASE 9, g_read32, {mov qword [NPTE(0x900000)], 0}, {VSET64 V_EFER, 1 << 12}, {and dword [VMCB + V_CR0], 0x7FFFFFFF}, {mov word [VMCB + V_CS + 2], 0x0C9B}
    ; A/D bits: the guest reads 0x906000 and writes 0x907000 (entries left for the test)
    CASE 10, g_ad
    mov al, 0
    out 0xF4, al

g_read:
    mov rax, [0x900000]
    vmmcall
g_write:
    mov [0x902000], rax
    vmmcall
g_read4:
    mov rax, [0x904000]
    vmmcall
g_read5:
    mov rax, [0x905000]
    vmmcall
g_pf:
    mov rbx, 0x140005000
g_pf_insn:
    mov rax, [rbx]
    vmmcall
g_ad:
    mov rax, [0x906000]
    mov [0x907000], rax
    vmmcall
bits 32
g_read32:
    mov eax, [0x900000]
    vmmcall
bits 64

SVM_LIB_ROUTINES
