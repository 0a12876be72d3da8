; ALU loop with immediates: 8 instructions per iteration (AND OR XOR SHL INC SUB DEC JNZ).
; iteration: 8 instructions (read by scripts/bench-against.sh and core/tests/bench_programs.rs)
; nasm -f bin -DITERS=N: a CONTRACT program that runs N iterations, prints "0" (port 0xE9) and
; ends with OUT 0xF4 (debug exit 0), then UD2: with IDT limit 0 that triple-faults an engine
; without a debug-exit device (Bochs).
bits 64
org 0x100000
%ifndef ITERS
%define ITERS 1000
%endif
  mov ecx, ITERS
top:
  and rax, 0x7fffffff
  or rbx, 0x11
  xor rdx, 0x5555
  shl rsi, 3
  inc rdi
  sub r8, 7
  dec ecx
  jnz top
  mov al, '0'                  ; success: '0' on the console, debug exit 0
  out 0xe9, al
  mov al, 0
  out 0xf4, al
  ud2
