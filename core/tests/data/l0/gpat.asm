; L2 reads and writes its PAT with MSR intercepts off and nested paging on (the seed's second
; and third problems). L1 sets its own PAT to L1_PAT, gives L2 G_PAT = L2_PAT, and L2 does:
;   rdmsr PAT -> r8 ; spins in a countdown (so a checkpoint can be taken while L2 runs);
;   rdmsr PAT -> r13 ; wrmsr PAT = L2_MOD ; rdmsr PAT -> r9 ; vmmcall.
; L1 then records its own PAT (r10) and vmcb12's G_PAT (r11) and ends with debug-exit 0.
bits 64
org 0x100000
VMCB     equ 0x200000
HSAVE    equ 0x201000
NPT      equ 0x210000
GSTACK   equ 0x380000
EFER     equ 0xc0000080
PAT      equ 0x277
L1_PAT   equ 0x0007040600070404
L2_PAT   equ 0x0606060606060606
L2_MOD   equ 0x0606060606060604

start:
  mov ecx, EFER
  rdmsr
  or eax, 1 << 12
  wrmsr
  mov ecx, 0xc0010117
  mov eax, HSAVE
  xor edx, edx
  wrmsr
  mov ecx, PAT                 ; L1's own PAT
  mov rax, L1_PAT
  mov rdx, rax
  shr rdx, 32
  wrmsr
  mov rdi, VMCB
  xor eax, eax
  mov ecx, 1024 + 512          ; VMCB page, then the NPT PML4 and PDPT pages are zeroed below
  rep stosq
  mov rdi, NPT
  mov ecx, 1024
  rep stosq
  mov qword [NPT], NPT + 0x1007          ; PML4[0] -> PDPT (P RW US)
  mov qword [NPT + 0x1000], 0x87         ; four 1 GiB identity pages (P RW US PS)
  mov rax, 0x40000087
  mov [NPT + 0x1008], rax
  mov rax, 0x80000087
  mov [NPT + 0x1010], rax
  mov rax, 0xc0000087
  mov [NPT + 0x1018], rax
  mov dword [VMCB + 0x010], 3            ; intercept VMRUN, VMMCALL (no MSR_PROT: L2's RDMSR/WRMSR run)
  mov dword [VMCB + 0x058], 1            ; ASID
  mov qword [VMCB + 0x090], 1            ; NP_ENABLE
  mov qword [VMCB + 0x0b0], NPT          ; nCR3
  mov byte [VMCB + 0x05c], 1             ; TLB_CONTROL: flush all
  mov word [VMCB + 0x410], 0x08
  mov word [VMCB + 0x412], 0x0a9b
  mov dword [VMCB + 0x414], 0xffffffff
  mov word [VMCB + 0x420], 0x10
  mov word [VMCB + 0x422], 0x0c93
  mov dword [VMCB + 0x424], 0xffffffff
  mov word [VMCB + 0x430], 0x10
  mov word [VMCB + 0x432], 0x0c93
  mov dword [VMCB + 0x434], 0xffffffff
  mov word [VMCB + 0x400], 0x10
  mov word [VMCB + 0x402], 0x0c93
  mov dword [VMCB + 0x404], 0xffffffff
  mov dword [VMCB + 0x464], 0x17
  mov qword [VMCB + 0x468], 0x1000
  mov rax, cr0
  mov [VMCB + 0x558], rax
  mov rax, cr3
  mov [VMCB + 0x550], rax
  mov rax, cr4
  mov [VMCB + 0x548], rax
  mov ecx, EFER
  rdmsr
  mov [VMCB + 0x4d0], eax
  mov [VMCB + 0x4d4], edx
  mov qword [VMCB + 0x570], 2
  lea rax, [rel guest]
  mov [VMCB + 0x578], rax
  mov qword [VMCB + 0x5d8], GSTACK
  mov rax, L2_PAT
  mov [VMCB + 0x668], rax                ; G_PAT
  mov rax, VMCB
  vmrun
  mov ecx, PAT
  rdmsr
  shl rdx, 32
  or rax, rdx
  mov r10, rax                           ; L1's PAT after L2 ran
  mov r11, [VMCB + 0x668]                ; vmcb12 G_PAT after #VMEXIT
  mov r12, [VMCB + 0x070]                ; EXITCODE
  mov al, 0
  out 0xf4, al

guest:
  mov ecx, PAT
  rdmsr
  shl rdx, 32
  or rax, rdx
  mov r8, rax                            ; L2's PAT as it starts
  mov ebx, 200
.spin:
  dec ebx
  jnz .spin
  mov ecx, PAT
  rdmsr
  shl rdx, 32
  or rax, rdx
  mov r13, rax                           ; L2's PAT after the spin (after a restore, if any)
  mov rax, L2_MOD
  mov rdx, rax
  shr rdx, 32
  wrmsr
  rdmsr
  shl rdx, 32
  or rax, rdx
  mov r9, rax                            ; L2's PAT after its write
  vmmcall
