; Straight-line fast forms (one basic block of 16, cpu/blocks.rs) followed by a loop: a run with
; a step budget stops after exactly that many instructions, inside a block. After k steps
; (k <= 17) EAX = k - 1: the MOV, then one INC per step.
bits 64
org 0x100000
    mov eax, 0
%rep 16
    inc eax
%endrep
    mov al, 0
    out 0xf4, al
