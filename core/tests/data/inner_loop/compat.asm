; A far return from 64-bit code into 32-bit compatibility-mode code on the same page: the bytes
; 48 FF C0 are INC RAX in 64-bit mode but DEC EAX; INC EAX in compatibility mode (AMD APM vol.3
; 1.2.7, REX prefixes only in 64-bit mode), so EAX stays 7 and the debug exit code is 7 — not 8,
; which a 64-bit decode of the 32-bit code would give (the run loop's inner loop must not take the
; 32-bit code for 64-bit code cached on the same page).
bits 64
org 0x100000
    lgdt [rel gdtr]
    mov eax, 7
    push 0x18                     ; a 32-bit code segment
    lea rcx, [rel compat]
    push rcx
    retfq
compat:
bits 32
    nop                           ; the first instruction after a far transfer takes the full path
    db 0x48, 0xff, 0xc0
    out 0xf4, al
align 8
gdt:
    dq 0
    dq 0x00AF9B000000FFFF         ; 0x08: 64-bit code
    dq 0x00CF93000000FFFF         ; 0x10: data
    dq 0x00CF9B000000FFFF         ; 0x18: 32-bit code
gdtr:
    dw 31
    dq gdt
