; Self-modifying code inside one basic block (cpu/blocks.rs): the store rewrites the immediate of
; the ADD that follows it on the same page, so the ADD that executes is `add eax, 5` (a store to
; an instruction not yet executed is seen by it: AMD APM vol.2 7.6.1, self-modifying code).
; Ends with debug exit EAX = 1 + 5 = 6.
bits 64
org 0x100000
    mov eax, 1
    mov byte [rel patch + 2], 5   ; the imm8 of the ADD below
patch:
    add eax, 1                    ; 83 C0 01, becomes 83 C0 05
    out 0xf4, al
