; Nested round trips: L1 runs L2 (no nested paging), L2 executes VMMCALL, which L1 intercepts.
; Per exit L1 does what a small hypervisor does: reads the exit code, checks it is VMMCALL (0x81),
; moves L2's RIP past the instruction (nRIP, or RIP + 3 where the CPU does not save nRIP), counts,
; and runs L2 again. ITERS round trips, then debug exit 0 (code 1: an unexpected exit code).
; iteration: 1 round trip (read by scripts/bench-against.sh and core/tests/bench_programs.rs)
; nasm -f bin -DITERS=N: a CONTRACT program that runs N iterations, prints "0" (port 0xE9) and
; ends with OUT 0xF4 (debug exit 0), then UD2: with IDT limit 0 that triple-faults an engine
; without a debug-exit device (Bochs).
bits 64
org 0x100000
%ifndef ITERS
%define ITERS 1000
%endif
VMCB equ 0x200000
  mov ecx, 0xc0000080          ; EFER.SVME
  rdmsr
  or eax, 1 << 12
  wrmsr
  mov ecx, 0xc0010117          ; VM_HSAVE_PA
  mov eax, 0x201000
  xor edx, edx
  wrmsr
  mov dword [VMCB + 0x010], 3  ; intercept VMRUN, VMMCALL
  mov dword [VMCB + 0x058], 1  ; ASID 1
  mov word [VMCB + 0x410], 0x08
  mov word [VMCB + 0x412], 0x0a9b
  mov dword [VMCB + 0x414], 0xffffffff
  mov word [VMCB + 0x420], 0x10
  mov word [VMCB + 0x422], 0x0c93
  mov dword [VMCB + 0x424], 0xffffffff
  mov rax, cr0
  mov [VMCB + 0x558], rax
  mov rax, cr3
  mov [VMCB + 0x550], rax
  mov rax, cr4
  mov [VMCB + 0x548], rax
  mov ecx, 0xc0000080
  rdmsr
  mov [VMCB + 0x4d0], eax
  mov qword [VMCB + 0x570], 2
  lea rax, [rel guest]
  mov [VMCB + 0x578], rax
  mov qword [VMCB + 0x5d8], 0x380000
  mov r15d, ITERS
  xor r14d, r14d
again:
  mov eax, VMCB
  vmrun
  mov eax, [VMCB + 0x070]      ; EXITCODE
  cmp eax, 0x81
  jne unexpected
  mov rax, [VMCB + 0x0c8]      ; nRIP
  test rax, rax
  jnz advance
  mov rax, [VMCB + 0x578]
  add rax, 3
advance:
  mov [VMCB + 0x578], rax
  inc r14
  dec r15d
  jnz again
  mov al, '0'                  ; success: '0' on the console, debug exit 0
  out 0xe9, al
  mov al, 0
  out 0xf4, al
  ud2
unexpected:
  mov al, '1'
  out 0xe9, al
  mov al, 1
  out 0xf4, al
  ud2
guest:
  vmmcall
  jmp guest
