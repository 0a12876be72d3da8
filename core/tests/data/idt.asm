; IDT delivery, #DE / #GP / #PF with error codes, INT n, IRETQ to CPL3 and back via INT 0x80.
; Result: console "DE GP PF INT U3 PF ", exit code 0x42; RBX = last #PF CR2, R12 = #PF error code,
; R10 = RSP inside the last #PF handler (on the TSS RSP0 stack), R11 = user RSP afterwards.
bits 64
org 0x100000
start:
    ; IDT at 0x5000: 256 gates
    mov rdi, 0x5000
    xor ecx, ecx
.fill:
    lea rax, [rel stubs]
    imul rdx, rcx, stub_size
    add rax, rdx
    mov rdx, rax
    and eax, 0xffff
    or rax, (0x08 << 16)
    mov r8, 0x8E00              ; present interrupt gate DPL0
    cmp ecx, 0x80
    jne .notsys
    mov r8, 0xEE00              ; DPL3 for int 0x80
.notsys:
    shl r8, 32
    or rax, r8
    mov r8, rdx
    shr r8, 16
    and r8, 0xffff
    shl r8, 48
    or rax, r8
    mov r9, rcx
    shl r9, 4
    mov [rdi + r9], rax
    shr rdx, 32
    mov [rdi + r9 + 8], rdx
    inc ecx
    cmp ecx, 256
    jb .fill
    lidt [rel idtr]
    ; GDT with user code/data and a TSS
    lgdt [rel gdtr]
    mov ax, 0x30
    ltr ax
    ; #DE
    xor ecx, ecx
    mov eax, 1
    div ecx
    ; #GP: wrmsr to an unknown MSR
    mov ecx, 0x12345
    wrmsr
    ; #PF: read a non-canonical? no: read unmapped 4 GiB + 0x1000
    mov rax, 0x100001000
    mov rbx, [rax]
    ; INT n
    int 0x81
    ; to CPL3: build iretq frame
    push 0x23                   ; SS (user data, RPL3)
    push 0x90000                ; RSP
    push 0x202
    push 0x2b                   ; CS (user code, RPL3)
    lea rax, [rel user]
    push rax
    ; user pages: make the PDPT entry 0 user-accessible (1 GiB page, P RW US)
    mov qword [0x3000], 0x87
    or qword [0x2000], 4
    mov rax, cr3
    mov cr3, rax
    iretq
user:
    mov al, 'U'
    int 0x80                    ; prints AL
    mov al, '3'
    int 0x80
    mov al, ' '
    int 0x80
    mov rcx, 0x40000000         ; 1-2 GiB is a supervisor page: #PF(P|U) from CPL3
    mov rax, [rcx]
    mov r11, rsp                ; the user stack is back after the handler's IRETQ
    hlt                         ; #GP(0) at CPL3 -> the handler ends the run

align 16
stubs:
%assign v 0
%rep 256
    push v
    jmp handler
    align 16
%assign v v+1
%endrep
stub_size equ 16

handler:
    ; stack: vector, [error code], rip, cs, rflags, rsp, ss
    pop rdx                     ; vector
    cmp edx, 0
    je .de
    cmp edx, 13
    je .gp
    cmp edx, 14
    je .pf
    cmp edx, 0x80
    je .sys
    ; INT 0x81
    lea rsi, [rel s_int]
    call print
    iretq
.de:
    lea rsi, [rel s_de]
    call print
    add qword [rsp], 2          ; skip "div ecx"
    iretq
.gp:
    pop r13                     ; error code
    mov rax, [rsp + 8]
    and eax, 3
    jnz .exit                   ; #GP from CPL3 (hlt) ends the test
    lea rsi, [rel s_gp]
    call print
    add qword [rsp], 2          ; skip wrmsr
    iretq
.pf:
    pop r12
    mov r10, rsp
    mov rbx, cr2
    lea rsi, [rel s_pf]
    call print
    add qword [rsp], 3          ; skip "mov rbx, [rax]"
    iretq
.sys:
    cmp eax, 0xffff
    je .done
    out 0xe9, al
    iretq
.done:
    iretq
.exit:
    mov al, 0x42
    out 0xf4, al

print:
    lodsb
    test al, al
    jz .r
    out 0xe9, al
    jmp print
.r: ret

s_de: db "DE ", 0
s_gp: db "GP ", 0
s_pf: db "PF ", 0
s_int: db "INT ", 0

align 16
gdt:
    dq 0
    dq 0x00AF9B000000FFFF       ; 0x08 kernel code
    dq 0x00CF93000000FFFF       ; 0x10 kernel data
    dq 0x00CFF3000000FFFF       ; 0x18 user data (DPL3)
    dq 0x00CFF3000000FFFF       ; 0x20 user data
    dq 0x00AFFB000000FFFF       ; 0x28 user code 64-bit
    ; 0x30: 64-bit TSS at tss, limit 0x67
    dw 0x67
    dw (tss - $$ + 0x100000) & 0xffff
    db ((tss - $$ + 0x100000) >> 16) & 0xff
    db 0x89
    db 0
    db ((tss - $$ + 0x100000) >> 24) & 0xff
    dd 0
    dd 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dq gdt
idtr:
    dw 256*16 - 1
    dq 0x5000
align 16
tss:
    dd 0
    dq 0x70000                  ; RSP0
    times 0x68 - 12 db 0
