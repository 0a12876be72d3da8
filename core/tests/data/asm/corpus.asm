; nestscope assembler corpus: every line is assembled by NASM and by our assembler and compared.
bits 64
org 0x100000
start:

; ---- mov
mov al, bl
mov ah, bh
mov r8b, al
mov sil, dil
mov ax, bx
mov r9w, ax
mov eax, ebx
mov r8d, r15d
mov rax, rbx
mov r12, rsp
mov rsp, rbp
mov rax, qword [rax]
mov rax, qword [rbx+8]
mov rax, qword [rsp]
mov rax, qword [rbp]
mov rax, qword [r12]
mov rax, qword [r13]
mov rax, qword [rsi+rdi*4]
mov rax, qword [rax+rcx*8+0x12345]
mov rax, qword [rbp-8]
mov rax, qword [r15+r14*2-0x80]
mov rax, qword [0x1000]
mov rax, qword [rel data1]
mov rax, qword [fs:0x28]
mov rax, qword [gs:rax]
mov rax, qword [ecx+4]
mov al, [rax]
mov [rax], al
mov cx, [rbx+2]
mov [rbx+2], cx
mov edx, [rsp+16]
mov [rsp+16], edx
mov r10, [r13+rax*2]
mov [r13+rax*2], r10
mov bl, [rel data1]
mov [rel data1], bl
mov r9d, [rbp+0x7f]
mov [rbp+0x7f], r9d
mov r9d, [rbp+0x80]
mov [rbp+0x80], r9d
mov r9d, [rbp-0x80]
mov [rbp-0x80], r9d
mov r9d, [rbp-0x81]
mov [rbp-0x81], r9d
mov al, 5
mov al, 255
mov al, -1
mov ah, 127
mov r8b, 1
mov ax, 4660
mov ax, -2
mov r11w, 65535
mov eax, 0
mov eax, 3735928559
mov eax, -1
mov r13d, 7
mov rax, 5
mov rax, -5
mov rax, 4294967295
mov rax, 2147483648
mov rax, 4886718345
mov rax, -2147483648
mov rax, -2147483649
mov r15, 9223372036854775807
mov rcx, data1
mov byte [rax], 5
mov word [rax], 4660
mov dword [rax], 305419896
mov qword [rax], -1
mov qword [rbx+8], 2147483647
mov byte [rel data1], 1
mov dword [rsp+4], 0
mov word [r13], -1
mov rax, strict qword 5
mov al, [qword 0x1234]
mov ax, [qword 0x1234]
mov eax, [qword 0x123456789]
mov rax, [qword 0x1122334455667788]
mov [qword 0x1234], al
mov [qword 0x1234], ax
mov [qword 0x1234], eax
mov [qword 0x1234], rax
mov rax, cr0
mov cr0, rbx
mov r9, cr0
mov rax, cr2
mov cr2, rbx
mov r9, cr2
mov rax, cr3
mov cr3, rbx
mov r9, cr3
mov rax, cr4
mov cr4, rbx
mov r9, cr4
mov rax, cr8
mov cr8, rbx
mov r9, cr8
mov rax, dr0
mov dr0, rcx
mov rax, dr1
mov dr1, rcx
mov rax, dr2
mov dr2, rcx
mov rax, dr3
mov dr3, rcx
mov rax, dr4
mov dr4, rcx
mov rax, dr5
mov dr5, rcx
mov rax, dr6
mov dr6, rcx
mov rax, dr7
mov dr7, rcx
mov ax, ds
mov eax, fs
mov rax, gs
mov ds, ax
mov es, eax
mov ss, [rax]
mov [rax], ds
mov word [rbx], fs

; ---- movzx movsx movsxd
movzx ax, bl
movzx eax, bl
movzx rax, bl
movzx eax, bx
movzx rax, bx
movzx r8d, byte [rax]
movzx r8, word [rax]
movzx ecx, byte [rel data1]
movzx esi, ah
movsx ax, bl
movsx eax, bl
movsx rax, bl
movsx eax, bx
movsx rax, bx
movsx r8d, byte [rax]
movsx r8, word [rax]
movsx ecx, byte [rel data1]
movsx esi, ah
movsxd rax, ecx
movsxd r8, dword [rax]
movsxd rdx, r9d

; ---- lea
lea rax, [rax]
lea rax, [rax*2]
lea rax, [rax*3]
lea rax, [rax*4]
lea rax, [rax*5]
lea rax, [rax*8+8]
lea rax, [rax*9]
lea rax, [rbx+rcx]
lea rax, [rbp+rax]
lea rax, [rax+rbp]
lea rax, [rax+rsp]
lea rax, [rsp+rax*1]
lea rax, [rbx+0]
lea rax, [rbp]
lea rax, [r13]
lea rax, [r12]
lea rax, [rsp+8]
lea rax, [rel start]
lea rax, [rel data1+4]
lea rax, [rbx+rcx*4+0x100]
lea rax, [eax+ebx]
lea rax, [r8+r9*8-1]
lea rax, [0x10]
lea rax, [rax-0x80000000]
lea eax, [rbx+4]
lea ax, [rbx+4]
lea r15, [r15+r15*4]

; ---- xchg xadd cmpxchg bswap
xchg rax, rbx
xchg rbx, rax
xchg eax, ecx
xchg ecx, eax
xchg eax, eax
xchg ax, bx
xchg ax, r9w
xchg al, bl
xchg r8, rax
xchg rax, r8
xchg r10, r11
xchg [rax], ecx
xchg ecx, [rax]
xchg byte [rbx], dl
xadd al, bl
xadd [rax], cx
xadd [rax], ecx
xadd rdx, rsi
xadd qword [rel data1], r9
cmpxchg al, bl
cmpxchg [rax], cx
cmpxchg [rax], ecx
cmpxchg rdx, rsi
cmpxchg qword [rel data1], r9
lock xadd [rax], eax
lock cmpxchg [rdi], rsi
cmpxchg8b [rax]
cmpxchg8b qword [rbx+8]
cmpxchg16b [rax]
lock cmpxchg16b [rsp]
bswap eax
bswap rax
bswap r12d
bswap r15

; ---- push pop
push rax
pop rax
push rbx
pop rbx
push rsp
pop rsp
push r8
pop r8
push r15
pop r15
push ax
pop ax
push r9w
pop r9w
push qword [rax]
pop qword [rax]
push qword [rel data1]
pop qword [rel data1]
push word [rbx]
pop word [rbx]
push qword [rsp+8]
pop qword [rsp+8]
push 0
push 5
push -1
push 127
push 128
push -128
push -129
push 500
push 2147483647
push -2147483648
push data1
push word 5
push word 0x1234
push qword 5
push dword 5
push fs
push gs
pop fs
pop gs
pushf
popf
pushfq
popfq
pushfw
popfw
enter 16, 0
enter 0x1000, 1
enter 0, 31
leave

; ---- conversions, flags
cbw
cwde
cdqe
cwd
cdq
cqo
lahf
sahf
clc
stc
cmc
cld
std
cli
sti

; ---- alu
add al, bl
add ax, cx
add eax, edx
add rax, r9
add r10b, r11b
add al, [rax]
add ecx, [rbx+8]
add rdx, [rel data1]
add [rax], bl
add [rsp], r8w
add [rbp+16], esi
add [rax+rbx*2], rdi
add al, 5
add al, -1
add bl, 128
add ax, 5
add ax, 4660
add ax, 65535
add cx, -129
add eax, 5
add eax, 74565
add eax, 4294967295
add ebx, -128
add ebx, 128
add rax, 5
add rax, -256
add rcx, 2147483647
add rsp, -2147483648
add byte [rax], 1
add word [rax], 2
add word [rax], 768
add dword [rax], 3
add dword [rax], 262144
add qword [rax], 4
add qword [rax+8], -305419896
adc al, bl
adc ax, cx
adc eax, edx
adc rax, r9
adc r10b, r11b
adc al, [rax]
adc ecx, [rbx+8]
adc rdx, [rel data1]
adc [rax], bl
adc [rsp], r8w
adc [rbp+16], esi
adc [rax+rbx*2], rdi
adc al, 5
adc al, -1
adc bl, 128
adc ax, 5
adc ax, 4660
adc ax, 65535
adc cx, -129
adc eax, 5
adc eax, 74565
adc eax, 4294967295
adc ebx, -128
adc ebx, 128
adc rax, 5
adc rax, -256
adc rcx, 2147483647
adc rsp, -2147483648
adc byte [rax], 1
adc word [rax], 2
adc word [rax], 768
adc dword [rax], 3
adc dword [rax], 262144
adc qword [rax], 4
adc qword [rax+8], -305419896
sub al, bl
sub ax, cx
sub eax, edx
sub rax, r9
sub r10b, r11b
sub al, [rax]
sub ecx, [rbx+8]
sub rdx, [rel data1]
sub [rax], bl
sub [rsp], r8w
sub [rbp+16], esi
sub [rax+rbx*2], rdi
sub al, 5
sub al, -1
sub bl, 128
sub ax, 5
sub ax, 4660
sub ax, 65535
sub cx, -129
sub eax, 5
sub eax, 74565
sub eax, 4294967295
sub ebx, -128
sub ebx, 128
sub rax, 5
sub rax, -256
sub rcx, 2147483647
sub rsp, -2147483648
sub byte [rax], 1
sub word [rax], 2
sub word [rax], 768
sub dword [rax], 3
sub dword [rax], 262144
sub qword [rax], 4
sub qword [rax+8], -305419896
sbb al, bl
sbb ax, cx
sbb eax, edx
sbb rax, r9
sbb r10b, r11b
sbb al, [rax]
sbb ecx, [rbx+8]
sbb rdx, [rel data1]
sbb [rax], bl
sbb [rsp], r8w
sbb [rbp+16], esi
sbb [rax+rbx*2], rdi
sbb al, 5
sbb al, -1
sbb bl, 128
sbb ax, 5
sbb ax, 4660
sbb ax, 65535
sbb cx, -129
sbb eax, 5
sbb eax, 74565
sbb eax, 4294967295
sbb ebx, -128
sbb ebx, 128
sbb rax, 5
sbb rax, -256
sbb rcx, 2147483647
sbb rsp, -2147483648
sbb byte [rax], 1
sbb word [rax], 2
sbb word [rax], 768
sbb dword [rax], 3
sbb dword [rax], 262144
sbb qword [rax], 4
sbb qword [rax+8], -305419896
cmp al, bl
cmp ax, cx
cmp eax, edx
cmp rax, r9
cmp r10b, r11b
cmp al, [rax]
cmp ecx, [rbx+8]
cmp rdx, [rel data1]
cmp [rax], bl
cmp [rsp], r8w
cmp [rbp+16], esi
cmp [rax+rbx*2], rdi
cmp al, 5
cmp al, -1
cmp bl, 128
cmp ax, 5
cmp ax, 4660
cmp ax, 65535
cmp cx, -129
cmp eax, 5
cmp eax, 74565
cmp eax, 4294967295
cmp ebx, -128
cmp ebx, 128
cmp rax, 5
cmp rax, -256
cmp rcx, 2147483647
cmp rsp, -2147483648
cmp byte [rax], 1
cmp word [rax], 2
cmp word [rax], 768
cmp dword [rax], 3
cmp dword [rax], 262144
cmp qword [rax], 4
cmp qword [rax+8], -305419896
and al, bl
and ax, cx
and eax, edx
and rax, r9
and r10b, r11b
and al, [rax]
and ecx, [rbx+8]
and rdx, [rel data1]
and [rax], bl
and [rsp], r8w
and [rbp+16], esi
and [rax+rbx*2], rdi
and al, 5
and al, -1
and bl, 128
and ax, 5
and ax, 4660
and ax, 65535
and cx, -129
and eax, 5
and eax, 74565
and eax, 4294967295
and ebx, -128
and ebx, 128
and rax, 5
and rax, -256
and rcx, 2147483647
and rsp, -2147483648
and byte [rax], 1
and word [rax], 2
and word [rax], 768
and dword [rax], 3
and dword [rax], 262144
and qword [rax], 4
and qword [rax+8], -305419896
or al, bl
or ax, cx
or eax, edx
or rax, r9
or r10b, r11b
or al, [rax]
or ecx, [rbx+8]
or rdx, [rel data1]
or [rax], bl
or [rsp], r8w
or [rbp+16], esi
or [rax+rbx*2], rdi
or al, 5
or al, -1
or bl, 128
or ax, 5
or ax, 4660
or ax, 65535
or cx, -129
or eax, 5
or eax, 74565
or eax, 4294967295
or ebx, -128
or ebx, 128
or rax, 5
or rax, -256
or rcx, 2147483647
or rsp, -2147483648
or byte [rax], 1
or word [rax], 2
or word [rax], 768
or dword [rax], 3
or dword [rax], 262144
or qword [rax], 4
or qword [rax+8], -305419896
xor al, bl
xor ax, cx
xor eax, edx
xor rax, r9
xor r10b, r11b
xor al, [rax]
xor ecx, [rbx+8]
xor rdx, [rel data1]
xor [rax], bl
xor [rsp], r8w
xor [rbp+16], esi
xor [rax+rbx*2], rdi
xor al, 5
xor al, -1
xor bl, 128
xor ax, 5
xor ax, 4660
xor ax, 65535
xor cx, -129
xor eax, 5
xor eax, 74565
xor eax, 4294967295
xor ebx, -128
xor ebx, 128
xor rax, 5
xor rax, -256
xor rcx, 2147483647
xor rsp, -2147483648
xor byte [rax], 1
xor word [rax], 2
xor word [rax], 768
xor dword [rax], 3
xor dword [rax], 262144
xor qword [rax], 4
xor qword [rax+8], -305419896
lock add [rax], eax
lock or byte [rbx], 1
lock and qword [rel data1], -2
add eax, strict dword 5
add eax, byte 5
neg al
neg ah
neg r8b
neg ax
neg eax
neg r12d
neg rax
neg r15
neg byte [rax]
neg word [rbx+2]
neg dword [rsp]
neg qword [rel data1]
not al
not ah
not r8b
not ax
not eax
not r12d
not rax
not r15
not byte [rax]
not word [rbx+2]
not dword [rsp]
not qword [rel data1]
inc al
inc ah
inc r8b
inc ax
inc eax
inc r12d
inc rax
inc r15
inc byte [rax]
inc word [rbx+2]
inc dword [rsp]
inc qword [rel data1]
dec al
dec ah
dec r8b
dec ax
dec eax
dec r12d
dec rax
dec r15
dec byte [rax]
dec word [rbx+2]
dec dword [rsp]
dec qword [rel data1]
lock inc dword [rax]
lock dec qword [rbx]
test al, bl
test bl, al
test eax, ebx
test ebx, eax
test rax, r8
test [rax], eax
test eax, [rax]
test cx, [rbx]
test al, 128
test ax, 4660
test eax, 128
test rax, 128
test rax, -1
test bl, 1
test sil, 1
test r9d, 4096
test byte [rax], 1
test word [rax], 1
test dword [rax], 1
test qword [rax], 1

; ---- mul div
mul bl
mul cx
mul esi
mul r9
mul byte [rax]
mul word [rax]
mul dword [rbx+4]
mul qword [rel data1]
imul bl
imul cx
imul esi
imul r9
imul byte [rax]
imul word [rax]
imul dword [rbx+4]
imul qword [rel data1]
div bl
div cx
div esi
div r9
div byte [rax]
div word [rax]
div dword [rbx+4]
div qword [rel data1]
idiv bl
idiv cx
idiv esi
idiv r9
idiv byte [rax]
idiv word [rax]
idiv dword [rbx+4]
idiv qword [rel data1]
imul ax, bx
imul eax, ecx
imul rax, [rbx]
imul r8d, dword [rax]
imul r12, r13
imul eax, ebx, 5
imul eax, ebx, 500
imul rax, [rbx], -1
imul cx, dx, 4660
imul cx, dx, -2
imul r9, r10, 2147483647
imul eax, ebx, 4294967295
imul eax, 5
imul rax, 1000
imul cx, 3

; ---- shifts and rotates
shl al, 1
shl al, cl
shl al, 4
shl cx, 1
shl cx, cl
shl cx, 4
shl edx, 1
shl edx, cl
shl edx, 4
shl r8, 1
shl r8, cl
shl r8, 4
shl byte [rax], 1
shl byte [rax], cl
shl byte [rax], 4
shl word [rax], 1
shl word [rax], cl
shl word [rax], 4
shl dword [rbx], 1
shl dword [rbx], cl
shl dword [rbx], 4
shl qword [rel data1], 1
shl qword [rel data1], cl
shl qword [rel data1], 4
shl eax, 255
shl rax, 63
sal al, 1
sal al, cl
sal al, 4
sal cx, 1
sal cx, cl
sal cx, 4
sal edx, 1
sal edx, cl
sal edx, 4
sal r8, 1
sal r8, cl
sal r8, 4
sal byte [rax], 1
sal byte [rax], cl
sal byte [rax], 4
sal word [rax], 1
sal word [rax], cl
sal word [rax], 4
sal dword [rbx], 1
sal dword [rbx], cl
sal dword [rbx], 4
sal qword [rel data1], 1
sal qword [rel data1], cl
sal qword [rel data1], 4
sal eax, 255
sal rax, 63
shr al, 1
shr al, cl
shr al, 4
shr cx, 1
shr cx, cl
shr cx, 4
shr edx, 1
shr edx, cl
shr edx, 4
shr r8, 1
shr r8, cl
shr r8, 4
shr byte [rax], 1
shr byte [rax], cl
shr byte [rax], 4
shr word [rax], 1
shr word [rax], cl
shr word [rax], 4
shr dword [rbx], 1
shr dword [rbx], cl
shr dword [rbx], 4
shr qword [rel data1], 1
shr qword [rel data1], cl
shr qword [rel data1], 4
shr eax, 255
shr rax, 63
sar al, 1
sar al, cl
sar al, 4
sar cx, 1
sar cx, cl
sar cx, 4
sar edx, 1
sar edx, cl
sar edx, 4
sar r8, 1
sar r8, cl
sar r8, 4
sar byte [rax], 1
sar byte [rax], cl
sar byte [rax], 4
sar word [rax], 1
sar word [rax], cl
sar word [rax], 4
sar dword [rbx], 1
sar dword [rbx], cl
sar dword [rbx], 4
sar qword [rel data1], 1
sar qword [rel data1], cl
sar qword [rel data1], 4
sar eax, 255
sar rax, 63
rol al, 1
rol al, cl
rol al, 4
rol cx, 1
rol cx, cl
rol cx, 4
rol edx, 1
rol edx, cl
rol edx, 4
rol r8, 1
rol r8, cl
rol r8, 4
rol byte [rax], 1
rol byte [rax], cl
rol byte [rax], 4
rol word [rax], 1
rol word [rax], cl
rol word [rax], 4
rol dword [rbx], 1
rol dword [rbx], cl
rol dword [rbx], 4
rol qword [rel data1], 1
rol qword [rel data1], cl
rol qword [rel data1], 4
rol eax, 255
rol rax, 63
ror al, 1
ror al, cl
ror al, 4
ror cx, 1
ror cx, cl
ror cx, 4
ror edx, 1
ror edx, cl
ror edx, 4
ror r8, 1
ror r8, cl
ror r8, 4
ror byte [rax], 1
ror byte [rax], cl
ror byte [rax], 4
ror word [rax], 1
ror word [rax], cl
ror word [rax], 4
ror dword [rbx], 1
ror dword [rbx], cl
ror dword [rbx], 4
ror qword [rel data1], 1
ror qword [rel data1], cl
ror qword [rel data1], 4
ror eax, 255
ror rax, 63
rcl al, 1
rcl al, cl
rcl al, 4
rcl cx, 1
rcl cx, cl
rcl cx, 4
rcl edx, 1
rcl edx, cl
rcl edx, 4
rcl r8, 1
rcl r8, cl
rcl r8, 4
rcl byte [rax], 1
rcl byte [rax], cl
rcl byte [rax], 4
rcl word [rax], 1
rcl word [rax], cl
rcl word [rax], 4
rcl dword [rbx], 1
rcl dword [rbx], cl
rcl dword [rbx], 4
rcl qword [rel data1], 1
rcl qword [rel data1], cl
rcl qword [rel data1], 4
rcl eax, 255
rcl rax, 63
rcr al, 1
rcr al, cl
rcr al, 4
rcr cx, 1
rcr cx, cl
rcr cx, 4
rcr edx, 1
rcr edx, cl
rcr edx, 4
rcr r8, 1
rcr r8, cl
rcr r8, 4
rcr byte [rax], 1
rcr byte [rax], cl
rcr byte [rax], 4
rcr word [rax], 1
rcr word [rax], cl
rcr word [rax], 4
rcr dword [rbx], 1
rcr dword [rbx], cl
rcr dword [rbx], 4
rcr qword [rel data1], 1
rcr qword [rel data1], cl
rcr qword [rel data1], 4
rcr eax, 255
rcr rax, 63
shld ax, bx, 4
shld ax, bx, cl
shld eax, ebx, 4
shld eax, ebx, cl
shld rax, rbx, 4
shld rax, rbx, cl
shld [rax], ecx, 4
shld [rax], ecx, cl
shld qword [rbx], r9, 4
shld qword [rbx], r9, cl
shrd ax, bx, 4
shrd ax, bx, cl
shrd eax, ebx, 4
shrd eax, ebx, cl
shrd rax, rbx, 4
shrd rax, rbx, cl
shrd [rax], ecx, 4
shrd [rax], ecx, cl
shrd qword [rbx], r9, 4
shrd qword [rbx], r9, cl

; ---- bit ops
bt ax, bx
bt eax, ebx
bt rax, rbx
bt [rax], ecx
bt [rax], rcx
bt ax, 3
bt eax, 31
bt rax, 63
bt word [rax], 5
bt dword [rax], 5
bt qword [rax], 5
bts ax, bx
bts eax, ebx
bts rax, rbx
bts [rax], ecx
bts [rax], rcx
bts ax, 3
bts eax, 31
bts rax, 63
bts word [rax], 5
bts dword [rax], 5
bts qword [rax], 5
btr ax, bx
btr eax, ebx
btr rax, rbx
btr [rax], ecx
btr [rax], rcx
btr ax, 3
btr eax, 31
btr rax, 63
btr word [rax], 5
btr dword [rax], 5
btr qword [rax], 5
btc ax, bx
btc eax, ebx
btc rax, rbx
btc [rax], ecx
btc [rax], rcx
btc ax, 3
btc eax, 31
btc rax, 63
btc word [rax], 5
btc dword [rax], 5
btc qword [rax], 5
lock bts dword [rax], 1
lock btr [rax], rcx
bsf ax, bx
bsf eax, ebx
bsf rax, rbx
bsf ecx, [rax]
bsf r8, qword [rel data1]
bsf r9w, word [rsp]
bsr ax, bx
bsr eax, ebx
bsr rax, rbx
bsr ecx, [rax]
bsr r8, qword [rel data1]
bsr r9w, word [rsp]
tzcnt ax, bx
tzcnt eax, ebx
tzcnt rax, rbx
tzcnt ecx, [rax]
tzcnt r8, qword [rel data1]
tzcnt r9w, word [rsp]
lzcnt ax, bx
lzcnt eax, ebx
lzcnt rax, rbx
lzcnt ecx, [rax]
lzcnt r8, qword [rel data1]
lzcnt r9w, word [rsp]
popcnt ax, bx
popcnt eax, ebx
popcnt rax, rbx
popcnt ecx, [rax]
popcnt r8, qword [rel data1]
popcnt r9w, word [rsp]

; ---- setcc cmovcc
seto al
setno al
setb al
setc al
setnae al
setae al
setnb al
setnc al
sete al
setz al
setne al
setnz al
setbe al
setna al
seta al
setnbe al
sets al
setns al
setp al
setpe al
setnp al
setpo al
setl al
setnge al
setge al
setnl al
setle al
setng al
setg al
setnle al
setz byte [rax]
setnz r9b
setg sil
setl byte [rel data1]
cmovo eax, ebx
cmovno eax, ebx
cmovb eax, ebx
cmovc eax, ebx
cmovnae eax, ebx
cmovae eax, ebx
cmovnb eax, ebx
cmovnc eax, ebx
cmove eax, ebx
cmovz eax, ebx
cmovne eax, ebx
cmovnz eax, ebx
cmovbe eax, ebx
cmovna eax, ebx
cmova eax, ebx
cmovnbe eax, ebx
cmovs eax, ebx
cmovns eax, ebx
cmovp eax, ebx
cmovpe eax, ebx
cmovnp eax, ebx
cmovpo eax, ebx
cmovl eax, ebx
cmovnge eax, ebx
cmovge eax, ebx
cmovnl eax, ebx
cmovle eax, ebx
cmovng eax, ebx
cmovg eax, ebx
cmovnle eax, ebx
cmovz ax, bx
cmovnz rax, [rbx]
cmovg r8, r9
cmovl ecx, dword [rel data1]

; ---- control flow
back:
jo back
jno back
jb back
jc back
jnae back
jae back
jnb back
jnc back
je back
jz back
jne back
jnz back
jbe back
jna back
ja back
jnbe back
js back
jns back
jp back
jpe back
jnp back
jpo back
jl back
jnge back
jge back
jnl back
jle back
jng back
jg back
jnle back
je far_fwd
je near back
je short fwd1
jne far_fwd
jne near back
jne short fwd1
jl far_fwd
jl near back
jl short fwd1
jg far_fwd
jg near back
jg short fwd1
jmp back
jmp fwd1
jmp far_fwd
jmp short fwd1
jmp near fwd1
jmp rax
jmp r11
jmp [rax]
jmp qword [rbx+8]
jmp [rel data1]
call back
call far_fwd
call rax
call r15
call [rax]
call qword [rel data1]
back2:
loop back2
loope back2
loopz back2
loopne back2
loopnz back2
jrcxz back2
jecxz back2
loop fwd1
jrcxz fwd1
fwd1:
ret
ret 8
ret 0
retn
ret 0xffff

; ---- string instructions
movsb
movsw
movsd
movsq
stosb
stosw
stosd
stosq
lodsb
lodsw
lodsd
lodsq
cmpsb
cmpsw
cmpsd
cmpsq
scasb
scasw
scasd
scasq
rep movsb
rep movsq
rep stosb
rep stosd
rep stosq
rep lodsb
repe cmpsb
repz cmpsq
repne scasb
repnz scasw
repe scasd
repne cmpsw
rep movsw
rep movsd
insb
insw
insd
outsb
outsw
outsd
rep insb
rep outsd

; ---- system
cpuid
rdtsc
rdtscp
rdmsr
wrmsr
invd
wbinvd
hlt
swapgs
pause
lfence
sfence
mfence
ud2
syscall
sysret
int3
int1
icebp
iret
iretd
iretq
nop
vmrun
vmload
vmsave
vmmcall
stgi
clgi
invlpga
skinit
invlpga rax, ecx
lgdt [rax]
lgdt [rel data1]
lgdt [rsp+8]
lidt [rax]
lidt [rel data1]
lidt [rsp+8]
sgdt [rax]
sgdt [rel data1]
sgdt [rsp+8]
sidt [rax]
sidt [rel data1]
sidt [rsp+8]
ltr ax
ltr word [rax]
ltr [rbx]
lldt ax
lldt word [rax]
lldt [rbx]
str ax
str eax
str rax
str [rax]
sldt ax
sldt eax
sldt rax
sldt [rax]
invlpg [rax]
invlpg [rel data1]
invlpg [rbx+rcx*8]
clflush [rax]
clflush [rel data1]
in al, dx
in ax, dx
in eax, dx
in al, 0x60
in ax, 0x60
in eax, 0xff
out dx, al
out dx, ax
out dx, eax
out 0x80, al
out 0x80, ax
out 0x80, eax
int 0
int 3
int 0x80
int 255
nop dword [rax]
nop word [rax]
nop qword [rax]
nop dword [rax+rax*1+0]
nop word [rax+rax*1+0]
nop dword [rax+0]
nop dword [rax+0x12345678]
nop eax
nop ax
nop rax

; ---- addressing
mov ecx, dword [rax]
mov ecx, dword [rcx]
mov ecx, dword [rdx]
mov ecx, dword [rbx]
mov ecx, dword [rsp]
mov ecx, dword [rbp]
mov ecx, dword [rsi]
mov ecx, dword [rdi]
mov ecx, dword [r8]
mov ecx, dword [r9]
mov ecx, dword [r10]
mov ecx, dword [r11]
mov ecx, dword [r12]
mov ecx, dword [r13]
mov ecx, dword [r14]
mov ecx, dword [r15]
mov ecx, dword [rax+1]
mov ecx, dword [rax-1]
mov ecx, dword [rax+127]
mov ecx, dword [rax+128]
mov ecx, dword [rax-128]
mov ecx, dword [rax-129]
mov ecx, dword [rax+0x7fffffff]
mov ecx, dword [rax-0x80000000]
mov ecx, dword [rax+rbx]
mov ecx, dword [rax+rbx*2]
mov ecx, dword [rax+rbx*4]
mov ecx, dword [rax+rbx*8]
mov ecx, dword [rbx*4]
mov ecx, dword [rbx*8+0x10]
mov ecx, dword [r12+r13*4+8]
mov ecx, dword [r13+r12]
mov ecx, dword [rsp+rsp*0+4]
mov ecx, dword [eax]
mov ecx, dword [ebx+ecx*2]
mov ecx, dword [r8d+4]
mov ecx, dword [esp]
mov ecx, dword [0]
mov ecx, dword [0x7fffffff]
mov ecx, dword [-1]
mov ecx, dword [-0x80000000]
mov ecx, dword [fs:rax]
mov ecx, dword [gs:rbx+8]
mov ecx, dword [fs:0]
mov ecx, dword [es:rax]
mov ecx, dword [cs:rax]
mov ecx, dword [ss:rax]
mov ecx, dword [ds:rax]
mov ecx, dword [rel data1]
mov ecx, dword [rel data1+8]
mov ecx, dword [rel start]
mov ecx, dword [abs 0x1000]
mov ecx, dword [data1]
mov ecx, dword [data1+rax]
mov ecx, dword [rax+data1]
mov ecx, dword [rbx+data1-start]
mov eax, fs:[rax]
mov eax, gs:[0x30]

; ---- expressions
cst1 equ 10
cst2 equ cst1*2+1
mov eax, cst1+cst2
mov eax, (cst1+2)*3
mov eax, cst1<<4
mov eax, 0x100>>2
mov eax, 17/5
mov eax, 17 % 5
mov eax, 6&3
mov eax, 6|3
mov eax, 6^3
mov eax, ~0
mov eax, -cst1
mov eax, 0FFh
mov eax, 1010b
mov eax, 0b1010
mov eax, 777o
mov eax, 0o17
mov eax, 'a'
mov eax, 'abcd'
mov eax, 1_000_000
mov eax, $-start
mov eax, fwd1-back
mov rax, $
mov rax, $$
lea rax, [rel $]
jmp $
jmp $+2
cmp byte [rax+rbx*4+0x10], 'x'
mov byte [rax], -128
sub rsp, 128
sub rsp, -128
and rax, -16

; ---- local labels
func1:
.loop:
dec ecx
jnz .loop
jmp .done
.done:
ret
func2:
.loop:
jmp .loop
jmp func1.loop

; ---- data
data1:
dq 0x1122334455667788
db 1, 2, 3, 'abc', "de", 0
db `a\n\t\0\x41\\`
dw 1, 0x1234, 'a', 'abc', -1
dd 0xdeadbeef, data1, -1
dq data1, -2, 'abcdefghi'
times 5 db 0xcc
times 3 nop
times 2 dw 1, 2
align 16
db 0x11
align 8, db 0
resb 3
resw 2
resd 1
resq 1
db $-data1
align 4
times 300 db 0
far_fwd:
hlt
