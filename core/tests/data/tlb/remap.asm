; World switches as TLB flushes (TLB_CONTROL = 1, APM 15.16): L1 remaps the page L2 reads between
; two VMRUNs, without INVLPG, and L2 must see the new mapping at once. Phase 1 remaps L2's own page
; table (no nested paging); phase 2 remaps L1's nested page table (NP on). Each phase is 4 rounds
; that remap and 4 that do not. Ends with OUT 0xF4 = the number of wrong observations (0 = pass).
; No address L1 touches shares a slot of nestscope's direct-mapped TLB with WINDOW (slot 0), so a
; stale translation of WINDOW would survive in the TLB rather than being evicted by chance.
bits 64
org 0x100000
VMCB    equ 0x200000
HSAVE   equ 0x201000
GPT     equ 0x400000        ; L2's tables: PML4, PDPT, PD, PT at +0, +0x1000, +0x2000, +0x3000
NPT     equ 0x680000        ; L1's nested tables, same shape
PAGE_A  equ 0x500000        ; holds 0x1111
PAGE_B  equ 0x501000        ; holds 0x2222
WINDOW  equ 0x40000000      ; the linear (and, with NP, guest-physical) address L2 reads

start:
    mov ecx, 0xc0000080     ; EFER.SVME
    rdmsr
    or eax, 1 << 12
    wrmsr
    mov ecx, 0xc0010117     ; VM_HSAVE_PA
    mov eax, HSAVE
    xor edx, edx
    wrmsr
    ; L2's tables: 0-1 GiB identity with one 1 GiB page; WINDOW through PD and PT.
    mov qword [GPT], GPT + 0x1007
    mov qword [GPT + 0x1000], 0x87
    mov qword [GPT + 0x1008], GPT + 0x2007
    mov qword [GPT + 0x2000], GPT + 0x3007
    ; L1's NPT, the same shape (nested entries are user entries).
    mov qword [NPT], NPT + 0x1007
    mov qword [NPT + 0x1000], 0x87
    mov qword [NPT + 0x1008], NPT + 0x2007
    mov qword [NPT + 0x2000], NPT + 0x3007
    mov qword [PAGE_A], 0x1111
    mov qword [PAGE_B], 0x2222
    ; vmcb12: intercept VMRUN and VMMCALL, ASID 1, TLB_CONTROL = flush all.
    mov dword [VMCB + 0x010], 3
    mov dword [VMCB + 0x058], 1
    mov byte [VMCB + 0x05c], 1
    mov word [VMCB + 0x410], 0x08
    mov word [VMCB + 0x412], 0x0a9b
    mov dword [VMCB + 0x414], 0xffffffff
    mov word [VMCB + 0x420], 0x10
    mov word [VMCB + 0x422], 0x0c93
    mov dword [VMCB + 0x424], 0xffffffff
    mov rax, cr0
    mov [VMCB + 0x558], rax
    mov qword [VMCB + 0x550], GPT
    mov rax, cr4
    mov [VMCB + 0x548], rax
    mov ecx, 0xc0000080
    rdmsr
    mov [VMCB + 0x4d0], eax
    mov qword [VMCB + 0x570], 2
    mov rax, 0x0007040600070406
    mov [VMCB + 0x668], rax
    lea rax, [rel guest]
    mov [VMCB + 0x578], rax
    mov qword [VMCB + 0x5d8], 0x380000
    xor r13d, r13d

    ; Phase 1: no NP; L1 rewrites L2's PTE for WINDOW.
    mov r12, GPT + 0x3000
    call rounds
    ; Phase 2: NP on; L2's PTE maps WINDOW to guest-physical WINDOW, L1 rewrites its nested PTE.
    mov rax, WINDOW | 7
    mov [GPT + 0x3000], rax
    mov dword [VMCB + 0x090], 1
    mov qword [VMCB + 0x0b0], NPT
    mov r12, NPT + 0x3000
    call rounds
    mov eax, r13d
    out 0xf4, al

; Rounds 0-3 point the entry at r12 to PAGE_A, PAGE_B, PAGE_A, PAGE_B; rounds 4-7 leave it (PAGE_B).
rounds:
    xor ebx, ebx
.next:
    cmp ebx, 4
    jae .run
    mov rax, PAGE_A | 7
    mov rcx, PAGE_B | 7
    test ebx, 1
    cmovnz rax, rcx
    mov [r12], rax
.run:
    mov rax, VMCB
    vmrun
    mov rax, [VMCB + 0x0c8]     ; nRIP: past L2's VMMCALL
    mov [VMCB + 0x578], rax
    mov rax, [VMCB + 0x5f8]     ; what L2 read
    mov rcx, 0x1111
    mov rdx, 0x2222
    test ebx, 1
    cmovnz rcx, rdx
    cmp ebx, 4
    cmovae rcx, rdx
    cmp rax, rcx
    je .ok
    inc r13d
.ok:
    inc ebx
    cmp ebx, 8
    jb .next
    ret

guest:
    mov rax, [WINDOW]
    vmmcall
    jmp guest
