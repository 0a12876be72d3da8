; Self-checking tour of the system instructions and MSRs. Ends with OUT 0xF4 = 0 when every
; check passes, else with the number of the first failing check (also in R15). Console: "OK".
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
; expect VECTOR, instruction...: the instruction must raise that exception; the handler
; resumes after it with the vector in R13 and the error code (or -1) in R11.
%macro expect 2+
    lea r12, [rel %%after]
    mov r13, -1
    %2
%%after:
    check r13, %1
%endmacro

start:
    mov rsp, 0x80000
    ; IDT at 0x5000: #UD (6) and #GP (13) handlers.
    lea rax, [rel ud_handler]
    mov rdi, 0x5000 + 6 * 16
    call set_gate
    lea rax, [rel gp_handler]
    mov rdi, 0x5000 + 13 * 16
    call set_gate
    lidt [rel idtr]
    sidt [rel scratch]
    movzx eax, word [rel scratch]
    check rax, 0xfff
    check qword [rel scratch + 2], 0x5000
    sgdt [rel scratch]
    movzx eax, word [rel scratch]
    check rax, 0x17
    check qword [rel scratch + 2], 0x1000

    ; --- MSRs ---
    mov ecx, 0x277              ; PAT power-on value
    rdmsr
    shl rdx, 32
    or rax, rdx
    check rax, 0x0007040600070406
    wrmsr                       ; rewriting the valid value is fine
    mov ecx, 0x277
    mov eax, 0x00070402         ; byte 0 = 2: reserved encoding
    mov edx, 0x00070406
    expect 13, wrmsr
    check r11, 0
    mov ecx, 0xfe               ; MTRRcap is read-only
    rdmsr
    check rax, 0x508
    expect 13, wrmsr
    mov ecx, 0x2ff
    rdmsr
    check rax, 0xc06
    mov ecx, 0xdeadbeef
    expect 13, rdmsr
    mov ecx, 0xc0000080         ; EFER: SVME can be set, bit 2 is reserved
    rdmsr
    check rax, 0xd00
    bts eax, 12
    wrmsr
    rdmsr
    check rax, 0x1d00
    bts eax, 2
    expect 13, wrmsr
    mov ecx, 0xc0010117         ; VM_HSAVE_PA must be page-aligned
    mov eax, 0x123
    xor edx, edx
    expect 13, wrmsr
    mov eax, 0x7000
    wrmsr
    rdmsr
    check rax, 0x7000
    ; SWAPGS exchanges GS.base and KERNEL_GS_BASE.
    mov ecx, 0xc0000102
    mov eax, 0x1234
    xor edx, edx
    wrmsr
    swapgs
    mov ecx, 0xc0000101
    rdmsr
    check rax, 0x1234
    mov qword [0x1234 + 8], 77
    mov rax, [gs:8]
    check rax, 77
    ; TSC moves forward; RDTSCP returns TSC_AUX.
    rdtsc
    mov rbx, rax
    rdtsc
    cmp rax, rbx
    ja .tsc_ok
    jmp fail
.tsc_ok:
    mov ecx, 0xc0000103
    mov eax, 5
    xor edx, edx
    wrmsr
    rdtscp
    check rcx, 5

    ; --- control and debug registers ---
    mov rax, cr0
    check rax, 0x80010033
    btr rax, 31                 ; leaving long mode from 64-bit code
    expect 13, mov cr0, rax
    mov rax, cr4
    check rax, 0x20
    bts rax, 21                 ; SMAP is not offered: reserved
    expect 13, mov cr4, rax
    btr rax, 5                  ; PAE cannot be cleared in long mode
    btr rax, 21
    expect 13, mov cr4, rax
    mov eax, 15
    mov cr8, rax
    mov rbx, cr8
    check rbx, 15
    mov eax, 16
    expect 13, mov cr8, rax
    mov rax, 0x123456789
    mov dr0, rax
    mov rbx, dr0
    check rbx, 0x123456789
    mov rbx, dr7
    check rbx, 0x400
    mov rax, 1 << 32
    expect 13, mov dr7, rax
    mov rax, cr2
    mov cr2, rax
    mov rax, cr3
    mov cr3, rax

    ; --- misc ---
    expect 6, ud2
    check r11, -1
    xor eax, eax
    in al, 0x60
    check rax, 0xff
    mov dx, 0x80
    in eax, dx
    check rax, 0xffffffff
    xor eax, eax
    cpuid
    check rbx, 0x68747541       ; "Auth"
    cli
    sti
    cli
    clflush [rel scratch]
    wbinvd
    invd
    lfence
    sfence
    mfence
    pause
    nop dword [rax + rax]
    invlpg [0x200000]
    mov al, 'O'
    out 0xe9, al
    mov dx, 0xe9
    mov al, 'K'
    out dx, al
    xor eax, eax
    out 0xf4, al

fail:
    mov eax, r15d
    out 0xf4, al

; rdi = gate address, rax = handler
set_gate:
    mov rdx, rax
    and eax, 0xffff
    or rax, 0x08 << 16
    mov rcx, 0x8E00
    shl rcx, 32
    or rax, rcx
    mov rcx, rdx
    shr rcx, 16
    shl rcx, 48
    or rax, rcx
    mov [rdi], rax
    shr rdx, 32
    mov [rdi + 8], rdx
    ret

ud_handler:
    mov r13, 6
    mov r11, -1
    mov [rsp], r12
    iretq
gp_handler:
    pop r11
    mov r13, 13
    mov [rsp], r12
    iretq

idtr:
    dw 256 * 16 - 1
    dq 0x5000
align 16
scratch:
    times 16 db 0
