; A compiled memset's byte loop (exec/fill.rs): fills [0x300003, 0x300003 + 10000) with 0xAB
; across three page boundaries, then a second fill of 100 bytes at the end of its own code page
; would be — here it fills the bytes right after the program's code (same page as the loop).
bits 64
org 0x100000
    mov rcx, 0x300003
    lea rdx, [rcx + 10000]
    mov esi, 0xAB
fill1:
    mov [rcx], sil
    add rcx, 1
    cmp rcx, rdx
    jne fill1
    mov r8, rcx                 ; = 0x300003 + 10000
    lea rcx, [rel tail]
    lea rdx, [rcx + 100]
    mov esi, 0x5A
fill2:
    mov [rcx], sil
    add rcx, 1
    cmp rcx, rdx
    jne fill2
    mov al, 0
    out 0xF4, al
tail:
