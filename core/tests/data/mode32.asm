; 32-bit protected mode (paging off) to long mode, the way a multiboot kernel such as
; kvm-unit-tests' x86/cstart64.S does it: own GDT, flat data segments, PAE + EFER.LME + CR0.PG
; (compatibility mode), a 32-bit near call, then a far jump to a 64-bit code segment.
; Entered at 0x100000 with CS = 32-bit flat code, CR0.PE = 1, paging off, EFER = 0.
; Checks (architectural, SDM vol.1 6.2 / APM 14.6): a 32-bit CALL pushes 4 bytes; CR0.PG with
; EFER.LME sets EFER.LMA; 64-bit code decodes a 64-bit immediate. Ends with debug-exit 0 when all
; hold, else the number of the failing check in R15 and debug-exit 1.
bits 32
org 0x100000
start:
    mov esp, 0x80000
    lgdt [gdt_desc]
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; identity-map the first GiB with one 1 GiB page: PML4 at 0x201000, PDPT at 0x202000
    mov dword [0x201000], 0x202003
    mov dword [0x201004], 0
    mov dword [0x202000], 0x83
    mov dword [0x202004], 0
    mov eax, cr4
    bts eax, 5                  ; PAE
    mov cr4, eax
    mov eax, 0x201000
    mov cr3, eax
    mov ecx, 0xc0000080         ; EFER
    rdmsr
    bts eax, 8                  ; LME
    wrmsr
    mov eax, cr0
    bts eax, 31                 ; PG: long mode active, still 32-bit code (compatibility mode)
    mov cr0, eax
    call near_fn                ; pushes a 4-byte return address
    mov esi, ebx                ; ESP seen inside the call
    mov ecx, 0xc0000080
    rdmsr
    mov edi, eax                ; EFER after CR0.PG
    jmp 0x18:long64
near_fn:
    mov ebx, esp
    ret

bits 64
long64:
    mov r15, 1
    cmp esi, 0x80000 - 4
    jne fail
    mov r15, 2
    bt edi, 10                  ; EFER.LMA
    jnc fail
    mov r15, 3
    mov rax, 0x123456789
    shr rax, 32
    cmp eax, 1
    jne fail
    mov r15, 0
    xor eax, eax
    out 0xf4, al
fail:
    mov al, 1
    out 0xf4, al

align 8
gdt:
    dq 0
    dq 0x00cf9b000000ffff       ; 0x08: flat 32-bit code
    dq 0x00cf93000000ffff       ; 0x10: flat data
    dq 0x00af9b000000ffff       ; 0x18: 64-bit code
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt
