; Boot sector that starts a nestscope program on a PC emulator (QEMU, Bochs) in the machine state of
; the program contract (CONTRACT.md section 1): 64-bit mode, GDT at 0x1000, PML4 at 0x2000, PDPT at
; 0x3000 identity-mapping 0-4 GiB with 1 GiB pages, CR0 0x80010033, CR4 0x20, EFER LME|NXE, IDT
; limit 0, RSP 0x80000, RFLAGS 0x2, the other GPRs 0, the program at 0x100000.
; Disk layout (a 1.44 MB floppy image): this sector, then the program in the next 17 sectors.
; nasm -f bin loader.asm -o loader.bin
bits 16
org 0x7c00
PROG_SECTORS equ 17
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov ax, 0x1000               ; read the program to 0x10000 (BIOS CHS read, dl = boot drive)
  mov es, ax
  xor bx, bx
  mov ax, 0x0200 | PROG_SECTORS
  mov cx, 0x0002               ; cylinder 0, sector 2
  xor dh, dh                   ; head 0
  int 0x13
  jc fail
  in al, 0x92                  ; A20 on (fast A20 gate)
  or al, 2
  and al, 0xfe
  out 0x92, al
  xor ax, ax                   ; clear 0x1000-0x3fff (GDT, PML4, PDPT)
  mov es, ax
  mov di, 0x1000
  mov cx, 0x1800
  rep stosw
  mov dword [0x1008], 0x0000ffff     ; 0x08: 64-bit code, DPL0
  mov dword [0x100c], 0x00af9b00
  mov dword [0x1010], 0x0000ffff     ; 0x10: flat data, DPL0
  mov dword [0x1014], 0x00cf9300
  mov dword [0x2000], 0x3003         ; PML4[0] -> PDPT, P RW
  mov dword [0x3000], 0x00000083     ; four 1 GiB pages, P RW PS
  mov dword [0x3008], 0x40000083
  mov dword [0x3010], 0x80000083
  mov dword [0x3018], 0xc0000083
  lgdt [gdtr]
  lidt [idtr]
  mov eax, 0x20                ; CR4.PAE
  mov cr4, eax
  mov eax, 0x2000
  mov cr3, eax
  mov ecx, 0xc0000080          ; EFER: LME | NXE (LMA follows when paging turns on)
  xor edx, edx
  mov eax, 0x900
  wrmsr
  mov eax, 0x80010033          ; PG WP NE ET MP PE: straight from real mode into long mode
  mov cr0, eax
  jmp dword 0x08:long_mode
fail:
  hlt
  jmp fail

bits 64
long_mode:
  mov eax, 0x10
  mov ds, eax
  mov es, eax
  mov ss, eax
  mov fs, eax
  mov gs, eax
  mov esi, 0x10000             ; the program to 0x100000
  mov edi, 0x100000
  mov ecx, PROG_SECTORS * 512
  rep movsb
  mov esp, 0x80000 - 8
  mov qword [rsp], 0x100000
  push 2
  popfq
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  xor r8d, r8d
  xor r9d, r9d
  xor r10d, r10d
  xor r11d, r11d
  xor r12d, r12d
  xor r13d, r13d
  xor r14d, r14d
  xor r15d, r15d
  ret                          ; to 0x100000 with RSP = 0x80000

align 8
gdtr:
  dw 0x17
  dd 0x1000
idtr:
  dw 0
  dd 0
times 510 - ($ - $$) db 0
  dw 0xaa55
