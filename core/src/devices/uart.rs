//! A 16550A UART at the PC's COM1 ports (0x3F8–0x3FF), enough for software that polls it: what
//! the CPU sends appears on the console at once, the transmitter is always empty, and nothing is
//! ever received. No interrupts (IER is kept, no IRQ is raised).
//!
//! Register map and reset values: the National Semiconductor PC16550D datasheet, table 2
//! ("Summary of registers") and table 3 ("UART reset configuration"); QEMU's hw/char/serial.c
//! behaves the same for these registers.

/// The first port of COM1.
pub const COM1: u16 = 0x3F8;

/// LSR bits: transmitter holding register empty, transmitter empty (datasheet table 2).
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
/// LCR bit 7: the divisor-latch access bit.
const LCR_DLAB: u8 = 0x80;
/// IIR with no interrupt pending (bit 0 set), FIFOs off.
const IIR_NO_INT: u8 = 0x01;
/// MSR with the modem lines a terminal on the other end presents: DCD, DSR, CTS.
const MSR_LINES: u8 = 0xB0;

/// The UART's registers (only what software can read back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uart {
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    divisor: u16,
}

/// The persisted form of the UART (checkpoint/): the registers software can read back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UartState {
    /// Interrupt enable register.
    pub ier: u8,
    /// Line control register (bit 7: divisor latch access).
    pub lcr: u8,
    /// Modem control register.
    pub mcr: u8,
    /// Scratch register.
    pub scr: u8,
    /// The divisor latch.
    pub divisor: u16,
}

impl Uart {
    /// The persisted form.
    pub fn save(&self) -> UartState {
        UartState { ier: self.ier, lcr: self.lcr, mcr: self.mcr, scr: self.scr, divisor: self.divisor }
    }

    /// The UART of a persisted form (every value is a register value: nothing to refuse).
    pub fn restore(s: &UartState) -> Uart {
        Uart { ier: s.ier, lcr: s.lcr, mcr: s.mcr, scr: s.scr, divisor: s.divisor }
    }

    /// The ports of this device.
    pub fn claims(port: u16) -> bool {
        (COM1..COM1 + 8).contains(&port)
    }

    /// A read of `port` (1 byte; wider reads see the same byte zero-extended).
    pub fn port_in(&mut self, port: u16) -> u8 {
        let dlab = self.lcr & LCR_DLAB != 0;
        match port - COM1 {
            0 if dlab => self.divisor as u8,
            0 => 0, // RBR: nothing received
            1 if dlab => (self.divisor >> 8) as u8,
            1 => self.ier,
            2 => IIR_NO_INT,
            3 => self.lcr,
            4 => self.mcr,
            5 => LSR_THRE | LSR_TEMT,
            6 => MSR_LINES,
            _ => self.scr,
        }
    }

    /// A write of byte `v` to `port`: `Some(byte)` when it is a byte sent on the line.
    pub fn port_out(&mut self, port: u16, v: u8) -> Option<u8> {
        let dlab = self.lcr & LCR_DLAB != 0;
        match port - COM1 {
            0 if dlab => self.divisor = (self.divisor & 0xff00) | v as u16,
            0 => return Some(v),
            1 if dlab => self.divisor = (self.divisor & 0x00ff) | (v as u16) << 8,
            1 => self.ier = v & 0x0f,
            2 => {} // FCR: FIFOs are not modelled
            3 => self.lcr = v,
            4 => self.mcr = v & 0x1f,
            5 | 6 => {} // LSR, MSR: read-only
            _ => self.scr = v,
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reset_values_are_the_datasheets() {
        // PC16550D table 3: IER 0, IIR 0x01, LCR 0, MCR 0, LSR 0x60 (THRE, TEMT).
        let mut u = Uart::default();
        assert_eq!([1, 2, 3, 4, 5].map(|o| u.port_in(COM1 + o)), [0, 0x01, 0, 0, 0x60]);
    }

    #[test]
    fn dlab_switches_offsets_0_and_1_to_the_divisor_latch() {
        // The baud-rate sequence of a driver: DLAB on, DLL = 1, DLM = 0 (115200 baud), DLAB off.
        let mut u = Uart::default();
        u.port_out(COM1 + 1, 0x05);
        u.port_out(COM1 + 3, 0x80);
        assert_eq!(u.port_out(COM1, 0x01), None, "a divisor write is not a byte sent");
        u.port_out(COM1 + 1, 0x00);
        assert_eq!((u.port_in(COM1), u.port_in(COM1 + 1)), (0x01, 0x00));
        u.port_out(COM1 + 3, 0x03);
        assert_eq!(u.port_in(COM1 + 1), 0x05, "IER is back at offset 1");
        assert_eq!(u.port_out(COM1, b'k'), Some(b'k'));
    }

    #[test]
    fn only_the_eight_com1_ports_are_claimed() {
        assert!(!Uart::claims(0x3F7) && Uart::claims(0x3F8) && Uart::claims(0x3FF) && !Uart::claims(0x400));
    }
}
