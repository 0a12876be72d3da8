; Self-checking tour of the integer instruction set. Ends with OUT 0xF4 = 0 when every check
; passes, else with the number of the first failing check (also left in R15).
bits 64
org 0x100000

%assign checkno 0
%macro check 2                  ; check reg, expected (64-bit immediate)
%assign checkno checkno+1
    mov r15, checkno
    mov r14, %2
    cmp %1, r14
    jne fail
%endmacro
%macro checkf 2                 ; check (rflags & mask) == expected, mask in %1
    pushfq
    pop r13
    and r13, %1
    check r13, %2
%endmacro

start:
    mov rsp, 0x80000
    ; --- data movement ---
    mov rax, 0x1122334455667788
    mov [0x200000], rax
    mov al, [0x200000]          ; moffs-style absolute load (A0 with a32? nasm picks modrm)
    check rax, 0x1122334455667788
    mov rbx, 0x200000
    movzx ecx, byte [rbx + 1]
    check rcx, 0x77
    movsx rdx, word [rbx + 6]
    check rdx, 0x1122
    mov eax, 0x80000000
    movsxd rsi, eax
    check rsi, 0xFFFFFFFF80000000
    lea rdi, [rbx + rcx*4 + 0x10]
    check rdi, 0x2001ec
    lea edi, [rel start]
    check rdi, 0x100000
    mov rax, 1
    mov rcx, 2
    xchg rax, rcx
    check rax, 2
    check rcx, 1
    xadd rax, rcx               ; rcx = 2, rax = 3
    check rax, 3
    check rcx, 2
    mov eax, 0x1234
    bswap eax
    check rax, 0x34120000
    mov rax, 0x0102030405060708
    bswap rax
    check rax, 0x0807060504030201
    ; cmpxchg
    mov rax, 5
    mov qword [rbx + 8], 5
    mov rcx, 9
    cmpxchg [rbx + 8], rcx
    checkf 0x40, 0x40
    check qword [rbx + 8], 9
    cmpxchg [rbx + 8], rcx      ; rax (5) != 9: rax <- 9, ZF = 0
    checkf 0x40, 0
    check rax, 9
    ; cmpxchg16b
    mov qword [rbx + 16], 1
    mov qword [rbx + 24], 2
    mov rax, 1
    mov rdx, 2
    mov rbx, 0xAA
    mov rcx, 0xBB
    mov rdi, 0x200000
    cmpxchg16b [rdi + 16]
    mov rbx, 0x200000
    check qword [rbx + 16], 0xAA
    check qword [rbx + 24], 0xBB
    ; cmpxchg8b mismatch loads EDX:EAX
    mov dword [rbx + 32], 0x11
    mov dword [rbx + 36], 0x22
    xor eax, eax
    xor edx, edx
    cmpxchg8b [rbx + 32]
    check rax, 0x11
    check rdx, 0x22
    ; push/pop, pushf/popf
    push 0x12345678
    pop rax
    check rax, 0x12345678
    push word 0x4321
    pop ax
    check rax, 0x12344321
    stc
    pushfq
    clc
    popfq
    checkf 1, 1
    ; cbw..cqo
    mov eax, 0x80
    cbw
    check rax, 0xff80
    cwde
    check rax, 0xffffff80
    cdqe
    check rax, 0xffffffffffffff80
    cqo
    check rdx, 0xffffffffffffffff
    mov eax, 0x7fffffff
    cdq
    check rdx, 0
    ; lahf / sahf
    xor eax, eax                ; ZF PF set
    lahf
    shr eax, 8
    check rax, 0x46
    mov ah, 0x01
    sahf
    checkf 0xd5, 0x01
    ; setcc / cmovcc
    mov eax, 5
    cmp eax, 7
    setl cl
    setg dl
    movzx ecx, cl
    movzx edx, dl
    check rcx, 1
    check rdx, 0
    mov rsi, -1
    mov rdi, 42
    cmp eax, 7
    cmovl rsi, rdi
    check rsi, 42
    mov rsi, 0xffffffffffffffff
    cmp eax, 7
    cmovg esi, edi              ; not taken, but the 32-bit form zero-extends
    check rsi, 0xffffffff
    ; enter / leave
    mov rbp, 0x1111
    mov r8, rsp
    enter 0x20, 0
    lea r9, [r8 - 8]
    check rbp, r9
    lea r9, [r8 - 0x28]
    check rsp, r9
    leave
    check rbp, 0x1111
    check rsp, r8
    ; enter with nesting level 2: copies one outer frame pointer, then pushes the new frame
    mov rbp, 0x200200
    mov qword [0x2001f8], 0xabcdef
    mov r8, rsp
    enter 16, 2
    lea r9, [r8 - 8]
    check rbp, r9
    lea r9, [r8 - 40]
    check rsp, r9
    check qword [r8 - 16], 0xabcdef
    lea r9, [r8 - 8]
    check qword [r8 - 24], r9
    mov rsp, r8
    ; push rsp stores the value before the decrement; pop [rsp] addresses after the increment
    push rsp
    pop rax
    check rax, r8
    push 0x55
    push 0x66
    pop qword [rsp]             ; rsp+8 after the pop: overwrites the 0x55 slot with 0x66
    pop rax
    check rax, 0x66
    check rsp, r8
    ; --- arithmetic ---
    mov rax, -1
    add rax, 1
    checkf 0x8d5, 0x55          ; CF PF AF ZF
    mov al, 0x7f
    add al, 1
    checkf 0x8d5, 0x890         ; OF SF AF (0x80: parity odd)
    mov rax, 3
    sub rax, 5
    checkf 0x1, 1
    check rax, -2
    mov eax, 10
    stc
    adc eax, 5
    check rax, 16
    stc
    sbb eax, 6
    check rax, 9
    neg rax
    check rax, -9
    mov ecx, 0xffffffff
    inc ecx
    check rcx, 0
    dec rcx
    check rcx, -1
    not rcx
    check rcx, 0
    ; mul / div
    mov rax, 0xffffffffffffffff
    mov rcx, 2
    mul rcx
    checkf 0x801, 0x801
    check rdx, 1
    check rax, 0xfffffffffffffffe
    mov rax, -6
    mov rcx, 7
    imul rcx
    check rax, -42
    check rdx, -1
    imul rbx, rcx, -3
    check rbx, -21
    mov rbx, 0x200000
    mov rax, 100
    xor edx, edx
    mov rcx, 7
    div rcx
    check rax, 14
    check rdx, 2
    mov rax, -100
    cqo
    idiv rcx
    check rax, -14
    check rdx, -2
    mov eax, 1000
    mov cl, 10
    div cl
    check rax, (0 << 8) | 100
    ; --- shifts / rotates ---
    mov eax, 0x80000001
    rol eax, 1
    checkf 1, 1
    check rax, 3
    ror eax, 2
    check rax, 0xc0000000
    mov rax, 1
    shl rax, 63
    check rax, 0x8000000000000000
    sar rax, 63
    check rax, -1
    shr rax, 60
    check rax, 0xf
    mov cl, 4
    mov rdx, 0xabcd000000000000
    shld rax, rdx, cl
    check rax, 0xfa
    shrd rax, rdx, 8
    check rax, 0
    clc
    mov al, 0x81
    rcl al, 1
    checkf 1, 1
    and eax, 0xff
    check rax, 0x02
    stc
    rcr al, 1
    check rax, 0x81
    ; --- bits ---
    mov eax, 0x100
    bsf ecx, eax
    check rcx, 8
    bsr ecx, eax
    check rcx, 8
    tzcnt ecx, eax
    check rcx, 8
    lzcnt ecx, eax
    check rcx, 23
    popcnt rcx, rax
    check rcx, 1
    bts eax, 3
    check rax, 0x108
    btr eax, 8
    check rax, 0x8
    btc eax, 0
    check rax, 0x9
    bt eax, 0
    checkf 1, 1
    ; bit string in memory with a register offset (may leave the operand)
    mov qword [rbx + 64], 0
    mov rcx, 70
    bts [rbx + 64], rcx
    check qword [rbx + 72], 0x40
    mov rcx, -1
    mov byte [rbx + 63], 0x80
    bt qword [rbx + 64], rcx
    checkf 1, 1
    ; --- strings ---
    cld
    mov rdi, 0x201000
    mov rcx, 10
    mov al, 0x5a
    rep stosb
    check rcx, 0
    check rdi, 0x20100a
    mov rsi, 0x201000
    mov rdi, 0x202000
    mov rcx, 5
    rep movsw
    check qword [0x202000], 0x5a5a5a5a5a5a5a5a
    mov byte [0x202006], 0
    mov rsi, 0x201000
    mov rdi, 0x202000
    mov rcx, 10
    repe cmpsb
    check rcx, 3                ; stopped after the 7th byte
    mov rdi, 0x202000
    mov rcx, 10
    xor eax, eax
    repne scasb
    check rdi, 0x202007
    std
    mov rsi, 0x201009
    lodsb
    check rsi, 0x201008
    cld
    ; --- control flow ---
    call sub1
    check rax, 0x5151
    mov ecx, 3
    xor eax, eax
.l: inc eax
    loop .l
    check rax, 3
    xor ecx, ecx
    jrcxz .z
    jmp fail
.z: lea rax, [rel .ind]
    jmp rax
    jmp fail
.ind:
    lea rax, [rel sub2]
    call rax
    check rax, 0x5252
    ; an instruction straddling a page boundary
    jmp straddle
back:
    check rax, 0x0123456789abcdef
    ; all passed
    xor eax, eax
    out 0xf4, al

fail:
    mov eax, r15d
    out 0xf4, al

sub1:
    mov eax, 0x5151
    ret
sub2:
    push rbp
    mov eax, 0x5252
    pop rbp
    ret 0

    times 0x1000 - 5 - ($ - $$) db 0x90
straddle:                       ; 10-byte MOV across 0x101000
    mov rax, 0x0123456789abcdef
    jmp back
