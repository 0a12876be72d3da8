; Load-add-store loop with base-register addressing over a buffer at 0x200000:
; 8 instructions per iteration (MOV load, ADD from memory, MOV store, ADD to memory, MOV load,
; XOR to memory, DEC, JNZ).
; iteration: 8 instructions (read by scripts/bench-against.sh and core/tests/bench_programs.rs)
; nasm -f bin -DITERS=N: a CONTRACT program that runs N iterations, prints "0" (port 0xE9) and
; ends with OUT 0xF4 (debug exit 0), then UD2: with IDT limit 0 that triple-faults an engine
; without a debug-exit device (Bochs).
bits 64
org 0x100000
%ifndef ITERS
%define ITERS 1000
%endif
  mov esi, 0x200000
  mov ecx, ITERS
top:
  mov rax, [rsi]
  add rax, [rsi + 8]
  mov [rsi + 16], rax
  add [rsi + 24], rax
  mov rdx, [rsi + 32]
  xor [rsi + 40], rdx
  dec ecx
  jnz top
  mov al, '0'                  ; success: '0' on the console, debug exit 0
  out 0xe9, al
  mov al, 0
  out 0xf4, al
  ud2
