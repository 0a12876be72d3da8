bits 64
org 0x100000
spin: jmp spin
