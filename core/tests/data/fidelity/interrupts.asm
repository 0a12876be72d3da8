; External interrupts (issue 11; APM vol.2 8.1.2 interrupt shadow, 8.5 priorities, 16.4.1 APIC
; timer, 16.5 ICR, 16.6 priority and EOI; 15.13 INTR/NMI intercepts, 15.21.1 V_INTR_MASKING,
; 15.21.4 V_IRQ / VINTR, 15.33 vGIF). Vector 0x40 is a fixed self-IPI, 0x41 the APIC timer; the
; handlers count into CNT40/CNT41 and record the return RIP, then EOI and IRET. r15 holds the
; APIC page's address throughout (a 32-bit displacement cannot reach 0xFEE00000 in 64-bit mode).
; OBS(0) IPI held while IF = 0;  OBS(1) taken after STI's shadow: count;  OBS(2) its return RIP
; OBS(3) ISR after the handler's EOI (0);  OBS(4) timer + HLT: count;  OBS(5) return RIP = after HLT
; case 0: INTR intercept + V_INTR_MASKING, host IF = 1, IPI pending: exit 0x60 before L2's first
;         instruction (guest RIP = entry), nothing delivered (OBS(6) = 0), taken by L1 after STGI
;         (OBS(7) = 1)
; case 1: no intercept, V_INTR_MASKING = 0: L2's STI; NOP takes it in L2 (OBS(8) = 1), exit 0x81
; case 2: V_IRQ, prio 15, vector 0x40, no VINTR intercept: taken in L2 after STI's shadow
;         (OBS(9) = 1), V_IRQ clear in the VMCB at the exit (OBS(10) = 0)
; case 3: the same with the VINTR intercept: exit 0x64 at the instruction after STI; NOP, nothing
;         taken (OBS(11) = 0), V_IRQ still set (OBS(12) = 1)
; case 4: V_INTR_PRIO 8 <= V_TPR 10: not taken, VINTR not raised: exit 0x81 (OBS(13) = 0)
; case 5: vGIF: STGI in L2 sets V_GIF (OBS(14) = 1); case 6: CLGI clears it (OBS(15) = 0)
; case 7: timer, INTR intercept, V_INTR_MASKING, host IF = 1, L2 HLT without the HLT intercept:
;         exit 0x60 with the guest RIP after the HLT
; case 8: NMI intercept, L2 sends itself an NMI: exit 0x61; L1 takes the NMI after STGI
;         (OBS(16) = 2, the vector its stub recorded)
%include "probe.inc"

%define APIC        0xFEE00000
%define A_TPR       0x080
%define A_EOI       0x0B0
%define A_SPIV      0x0F0
%define A_ISR       0x100
%define A_ICR_LO    0x300
%define A_LVT_TIMER 0x320
%define A_TMICT     0x380
%define A_TDCR      0x3E0
%define CNT40       0x67F200
%define RIP40       0x67F208
%define CNT41       0x67F210
%define RIP41       0x67F218
%define W3_NMI      (1 << 1)
%define W3_VINTR    (1 << 4)
%define V_INT_VEC   0x064
%define V_IRQ       (1 << 8)
%define V_GIF       (1 << 9)
%define V_INTR_MASK (1 << 24)
%define V_GIF_EN    (1 << 25)

; SELF_IPI vector: a fixed IPI to this processor (shorthand "self")
%macro SELF_IPI 1
    mov dword [r15 + A_ICR_LO], 0x40000 | %1
%endmacro

    LABELS after_nop, after_hlt, g_entry0, g_after_sti3, g_after_hlt7
    PROBE_INIT
    mov r15, APIC                              ; r15 = the APIC page (L2 shares L1's GPRs)
    ; vectors 0x40 and 0x41 in both IDTs; the L1 IDTR covers 256 gates
    mov rdi, L1_IDT
    mov esi, 0x40
    mov rdx, isr40
    call set_gate
    mov rdi, L1_IDT
    mov esi, 0x41
    mov rdx, isr41
    call set_gate
    mov rdi, GIDT
    mov esi, 0x40
    mov rdx, isr40
    call set_gate
    lidt [rel big_idtr]
    mov dword [r15 + A_SPIV], 0x1FF           ; APIC software-enabled
    mov qword [CNT40], 0
    mov qword [CNT41], 0

    ; --- L1 alone: an IPI held by IF = 0, taken after STI's shadow
    cli
    SELF_IPI 0x40
    nop
    nop
    OBSERVE 0, [CNT40]
    sti
    nop
after_nop:
    cli
    OBSERVE 1, [CNT40]
    OBSERVE 2, [RIP40]
    mov eax, [r15 + A_ISR + 0x20]             ; ISR bits 0x40-0x5F
    mov [OBS(3)], rax
    ; --- the timer (divide by 1, one-shot, vector 0x41) ends a HLT
    mov dword [r15 + A_TDCR], 0xB
    mov dword [r15 + A_LVT_TIMER], 0x41
    mov dword [r15 + A_TMICT], 2000
    sti
    hlt
after_hlt:
    cli
    OBSERVE 4, [CNT41]
    OBSERVE 5, [RIP41]

    ; --- case 0: INTR intercept with V_INTR_MASKING; the host's IF = 1 under GIF = 0
    mov qword [CNT40], 0
    RUN_CASE 0, g_entry0, {VSET32 V_INT_W3, W3_INTR}, {VSET32 V_INT_CTL, V_INTR_MASK}, {clgi}, {SELF_IPI 0x40}, {sti}
    cli
    OBSERVE 6, [CNT40]
    stgi
    sti
    nop
    cli
    OBSERVE 7, [CNT40]

    ; --- case 1: taken in L2 (its IDT) when L2 sets IF
    mov qword [CNT40], 0
    SELF_IPI 0x40
    RUN_CASE 1, g_sti_nop, GUEST_IDT
    OBSERVE 8, [CNT40]

    ; --- case 2: a virtual interrupt
    mov qword [CNT40], 0
    RUN_CASE 2, g_sti_nop, GUEST_IDT, {VSET32 V_INT_CTL, V_INTR_MASK | V_IRQ | (15 << 16)}, {VSET32 V_INT_VEC, 0x40}
    OBSERVE 9, [CNT40]
    mov eax, [VMCB + V_INT_CTL]
    shr eax, 8
    and eax, 1
    mov [OBS(10)], rax

    ; --- case 3: ... intercepted (VINTR)
    mov qword [CNT40], 0
    RUN_CASE 3, g_sti_nop3, GUEST_IDT, {VSET32 V_INT_W3, W3_VINTR}, {VSET32 V_INT_CTL, V_INTR_MASK | V_IRQ | (15 << 16)}, {VSET32 V_INT_VEC, 0x40}
    OBSERVE 11, [CNT40]
    mov eax, [VMCB + V_INT_CTL]
    shr eax, 8
    and eax, 1
    mov [OBS(12)], rax

    ; --- case 4: ... below V_TPR
    mov qword [CNT40], 0
    RUN_CASE 4, g_sti_nop, GUEST_IDT, {VSET32 V_INT_W3, W3_VINTR}, {VSET32 V_INT_CTL, V_INTR_MASK | V_IRQ | (8 << 16) | 10}, {VSET32 V_INT_VEC, 0x40}
    OBSERVE 13, [CNT40]

    ; --- cases 5, 6: vGIF
    RUN_CASE 5, g_stgi, {VSET32 V_INT_CTL, V_GIF_EN}
    mov eax, [VMCB + V_INT_CTL]
    shr eax, 9
    and eax, 1
    mov [OBS(14)], rax
    RUN_CASE 6, g_clgi, {VSET32 V_INT_CTL, V_GIF_EN | V_GIF}
    mov eax, [VMCB + V_INT_CTL]
    shr eax, 9
    and eax, 1
    mov [OBS(15)], rax

    ; --- case 7: the timer ends L2's HLT as an intercepted INTR
    mov qword [CNT41], 0
    mov dword [r15 + A_TMICT], 3000
    RUN_CASE 7, g_hlt7, {VSET32 V_INT_W3, W3_INTR}, {VSET32 V_INT_CTL, V_INTR_MASK}, {clgi}, {sti}
    cli
    stgi
    sti
    nop
    cli

    ; --- case 8: NMI intercept
    TRY nmi_done
    RUN_CASE 8, g_nmi, {VSET32 V_INT_W3, W3_NMI}, {clgi}
    stgi
    nop
    nop
nmi_done:
    OBSERVE 16, [FAULT_VEC]
    PROBE_END

g_entry0:
    vmmcall
g_sti_nop:
    sti
    nop
    cli
    vmmcall
g_sti_nop3:
    sti
    nop
g_after_sti3:
    cli
    vmmcall
g_stgi:
    stgi
    vmmcall
g_clgi:
    clgi
    vmmcall
g_hlt7:
    hlt
g_after_hlt7:
    vmmcall
g_nmi:
    mov dword [r15 + A_ICR_LO], 0x44400
    nop
    vmmcall

isr40:
    inc qword [CNT40]
    mov rax, [rsp]
    mov [RIP40], rax
    mov dword [r15 + A_EOI], 0
    iretq
isr41:
    inc qword [CNT41]
    mov rax, [rsp]
    mov [RIP41], rax
    mov dword [r15 + A_EOI], 0
    iretq

big_idtr: dw 256 * 16 - 1
          dq L1_IDT

    PROBE_ROUTINES
