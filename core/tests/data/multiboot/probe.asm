; A multiboot v1 probe kernel: prints the machine state a loader left (registers, GDTR/IDTR) and
; the multiboot information (fields, command line, loader name, memory map) to port 0xE9, then
; exits through isa-debug-exit (0xF4). Built and run on QEMU to record what QEMU leaves:
;   nasm -f elf32 probe.asm -o probe.o && ld -m elf_i386 -Ttext 0x100000 -e start -o probe.elf probe.o
;   qemu-system-x86_64 -accel tcg -m 64 -display none -vga none -nodefaults -debugcon stdio \
;     -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel probe.elf -append "vmrun ioio" > probe-qemu-7.2.txt
bits 32
section .text
global start
align 4
mb_header:
    dd 0x1BADB002, 0, -0x1BADB002
start:
    mov [save_esp], esp
    mov [save_eax], eax
    mov [save_ebx], ebx
    pushfd              ; uses the loader's stack (ESP) -- only if it is valid
    pop dword [save_efl]
    mov esp, stack_top
    mov esi, s_eax
    mov eax, [save_eax]
    call field
    mov esi, s_ebx
    mov eax, [save_ebx]
    call field
    mov esi, s_esp
    mov eax, [save_esp]
    call field
    mov esi, s_efl
    mov eax, [save_efl]
    call field
%macro sreg 2
    mov esi, %2
    xor eax, eax
    mov ax, %1
    call field
%endmacro
    sreg cs, s_cs
    sreg ds, s_ds
    sreg es, s_es
    sreg fs, s_fs
    sreg gs, s_gs
    sreg ss, s_ss
    mov esi, s_cr0
    mov eax, cr0
    call field
    mov esi, s_cr4
    mov eax, cr4
    call field
    sgdt [gdtr]
    mov esi, s_gdtb
    mov eax, [gdtr+2]
    call field
    mov esi, s_gdtl
    movzx eax, word [gdtr]
    call field
    sidt [idtr]
    mov esi, s_idtb
    mov eax, [idtr+2]
    call field
    mov esi, s_idtl
    movzx eax, word [idtr]
    call field
    mov ebx, [save_ebx]
%macro mbf 2
    mov esi, %2
    mov eax, [ebx+%1]
    call field
%endmacro
    mbf 0, s_flags
    mbf 4, s_lower
    mbf 8, s_upper
    mbf 12, s_bootdev
    mbf 16, s_cmd
    mbf 20, s_modsc
    mbf 44, s_mmapl
    mbf 48, s_mmapa
    mbf 64, s_name
    mov esi, s_cmdstr
    call puts
    mov esi, [ebx+16]
    call puts
    mov al, 10
    out 0xe9, al
    mov esi, s_namestr
    call puts
    mov esi, [ebx+64]
    call puts
    mov al, 10
    out 0xe9, al
    ; memory map
    mov edi, [ebx+48]
    mov ecx, [ebx+44]
    add ecx, edi
.map:
    cmp edi, ecx
    jae .done
    push ecx
    mov esi, s_ent
    call puts
    mov eax, [edi]
    call hex32
    mov al, ' '
    out 0xe9, al
    mov eax, [edi+8]
    call hex32
    mov eax, [edi+4]
    call hex32
    mov al, ' '
    out 0xe9, al
    mov eax, [edi+16]
    call hex32
    mov eax, [edi+12]
    call hex32
    mov al, ' '
    out 0xe9, al
    mov eax, [edi+20]
    call hex32
    mov al, 10
    out 0xe9, al
    pop ecx
    mov eax, [edi]
    lea edi, [edi+eax+4]
    jmp .map
.done:
    mov eax, 0
    out 0xf4, eax
    hlt
    jmp .done

; esi = name, eax = value: "name=xxxxxxxx\n"
field:
    push eax
    call puts
    mov al, '='
    out 0xe9, al
    pop eax
    call hex32
    mov al, 10
    out 0xe9, al
    ret
puts:
    lodsb
    test al, al
    jz .e
    out 0xe9, al
    jmp puts
.e: ret
hex32:
    push ecx
    mov ecx, 8
.l: rol eax, 4
    push eax
    and al, 0xf
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 7
.o: out 0xe9, al
    pop eax
    loop .l
    pop ecx
    ret

section .data
s_eax: db "eax",0
s_ebx: db "ebx",0
s_esp: db "esp",0
s_efl: db "eflags",0
s_cs: db "cs",0
s_ds: db "ds",0
s_es: db "es",0
s_fs: db "fs",0
s_gs: db "gs",0
s_ss: db "ss",0
s_cr0: db "cr0",0
s_cr4: db "cr4",0
s_gdtb: db "gdtr.base",0
s_gdtl: db "gdtr.limit",0
s_idtb: db "idtr.base",0
s_idtl: db "idtr.limit",0
s_flags: db "mbi.flags",0
s_lower: db "mbi.mem_lower",0
s_upper: db "mbi.mem_upper",0
s_bootdev: db "mbi.boot_device",0
s_cmd: db "mbi.cmdline",0
s_modsc: db "mbi.mods_count",0
s_mmapl: db "mbi.mmap_length",0
s_mmapa: db "mbi.mmap_addr",0
s_name: db "mbi.boot_loader_name",0
s_cmdstr: db "cmdline: ",0
s_namestr: db "loader: ",0
s_ent: db "mmap: ",0
section .bss
save_eax: resd 1
save_ebx: resd 1
save_esp: resd 1
save_efl: resd 1
gdtr: resb 6
idtr: resb 6
resb 4096
stack_top:
