; CPL 3 privilege checks. Enters ring 3 through IRETQ, then expects #GP for every privileged
; instruction. The ring-0 #GP/#UD/#PF handler resumes at R12 with the vector in R13 and the error
; code in R11. INT 0x80 (DPL 3) ends the run with OUT 0xF4 = 0 when every check passed, else
; the failing check's number is reported (also in R15).
bits 64
org 0x100000

%assign checkno 0
%macro check 2
%assign checkno checkno+1
    mov r15, checkno
    mov r14, %2
    cmp %1, r14
    jne fail
%endmacro
%macro expect 3+                ; expect VECTOR, ERROR_CODE, instruction
    lea r12, [rel %%after]
    mov r13, -1
    %3
%%after:
    check r13, %1
    check r11, %2
%endmacro

start:
    mov rsp, 0x80000
    lea rax, [rel fault]
    mov rdi, 0x5000 + 6 * 16
    mov r8, 0x8E00
    call set_gate
    mov rdi, 0x5000 + 13 * 16
    call set_gate
    mov rdi, 0x5000 + 14 * 16
    call set_gate
    mov rdi, 0x5000 + 0x81 * 16    ; DPL 0: INT 0x81 from ring 3 is #GP
    call set_gate
    lea rax, [rel finish]
    mov rdi, 0x5000 + 0x80 * 16
    mov r8, 0xEE00                 ; DPL 3
    call set_gate
    lidt [rel idtr]
    lgdt [rel gdtr]
    mov ax, 0x30
    ltr ax
    ; Make the first GiB user-accessible.
    mov qword [0x3000], 0x87
    or qword [0x2000], 4
    mov rax, cr3
    mov cr3, rax
    push 0x23
    push 0x90000
    push 0x202
    push 0x2b
    lea rax, [rel user]
    push rax
    iretq

user:
    expect 13, 0, hlt
    expect 13, 0, mov rax, cr0
    expect 13, 0, mov cr3, rax
    expect 13, 0, rdmsr
    expect 13, 0, wrmsr
    expect 13, 0, lgdt [rel gdtr]
    expect 13, 0, lidt [rel idtr]
    expect 13, 0, invlpg [0x200000]
    expect 13, 0, cli
    expect 13, 0, sti
    expect 13, 0, in al, 0x60
    expect 13, 0, out 0xe9, al
    expect 13, 0, swapgs
    expect 13, 0, wbinvd
    expect 13, 0, invd
    expect 13, 0, mov dr0, rax
    expect 13, 0, clts
    expect 13, 0, lmsw ax
    expect 13, 0, ltr ax
    expect 13, 0x81 * 8 + 2, int 0x81
    expect 13, 0x10, mov ds, word [rel sel_kdata]
    expect 13, 0x10, mov ss, word [rel sel_kdata]
    ; a user read of a supervisor page (1-2 GiB): #PF with P|U
    mov rcx, 0x40000000
    expect 14, 5, mov rax, [rcx]
    ; IRETQ to ring 0 from ring 3 is #GP(selector)
    lea rax, [rel user]
    push 0x10
    push rsp
    push 0x2
    push 0x08
    push rax
    expect 13, 0x08, iretq
    add rsp, 40
    ; Allowed in ring 3: SGDT, SIDT, SMSW, STR, RDTSC, CPUID, PUSHF/POPF (without IF/IOPL).
    sgdt [rel scratch]
    sidt [rel scratch]
    smsw eax
    check rax, 0x80010033
    str eax
    check rax, 0x30
    rdtsc
    cpuid
    pushfq
    or qword [rsp], 0x3000      ; IOPL 3: ignored at CPL 3
    and qword [rsp], ~0x200     ; IF 0: ignored at CPL 3 with IOPL 0
    popfq
    pushfq
    pop rax
    and eax, 0x3200
    check rax, 0x200
    ; done: back to ring 0 through INT 0x80
    xor eax, eax
    int 0x80

fail:
    mov rax, r15
    int 0x80

finish:
    out 0xf4, al

fault:                          ; ring 0: #UD / #GP / #PF
    mov r13, [rsp]              ; error code (all three vectors used here push one, but #UD)
    mov r11, r13
    cmp r11, 0x10000
    jb .code
    mov r11, -1                 ; #UD: [rsp] is the RIP, not an error code
    mov r13, 6
    mov [rsp], r12
    iretq
.code:
    add rsp, 8
    mov r13, 13
    mov rax, cr2
    cmp rax, 0x40000000
    jne .gp
    mov r13, 14
    xor eax, eax
    mov cr2, rax
.gp:
    mov [rsp], r12
    iretq

; rdi = gate address, rax = handler, r8 = attributes (type/DPL/P)
set_gate:
    mov rdx, rax
    and edx, 0xffff
    or rdx, 0x08 << 16
    mov rcx, r8
    shl rcx, 32
    or rdx, rcx
    mov rcx, rax
    shr rcx, 16
    and ecx, 0xffff
    shl rcx, 48
    or rdx, rcx
    mov [rdi], rdx
    mov rcx, rax
    shr rcx, 32
    mov [rdi + 8], rcx
    ret

sel_kdata: dw 0x10
align 16
gdt:
    dq 0
    dq 0x00AF9B000000FFFF       ; 0x08 kernel code
    dq 0x00CF93000000FFFF       ; 0x10 kernel data
    dq 0x00CFF3000000FFFF       ; 0x18 user data (DPL3)
    dq 0x00CFF3000000FFFF       ; 0x20 user data
    dq 0x00AFFB000000FFFF       ; 0x28 user code 64-bit
    dw 0x67                     ; 0x30 64-bit TSS
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
    dw 256 * 16 - 1
    dq 0x5000
align 16
tss:
    dd 0
    dq 0x70000                  ; RSP0
    times 0x68 - 12 db 0
scratch:
    times 16 db 0
