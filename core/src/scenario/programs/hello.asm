; hello: the first program of the catalog. Writes "ok\n" to the debug console (port 0xE9),
; counts down a loop, and ends the run through the debug-exit port (0xF4) with code 0.
bits 64
org 0x100000
start:
  mov dx, 0xe9
  mov al, 'o'
  out dx, al
  mov al, 'k'
  out 0xe9, al
  mov al, 10
  out 0xe9, al
  mov ecx, 3
countdown:
  sub ecx, 1
  cmp ecx, 0
  jne countdown
  mov al, 0
  out 0xf4, al
  hlt
