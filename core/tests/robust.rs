//! Random byte streams executed as code: the interpreter must end every run with a stop, the
//! budget or an emulator error — never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use nestscope_core::machine::Machine;
use nestscope_core::mem::Hpa;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn random_code_never_panics() {
    let runs: u64 = std::env::var("NESTSCOPE_FUZZ_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let mut r = Rng(0xfeed_face_dead_beef);
    let mut m0 = Machine::new(&[0x90], 8).unwrap();
    // An IDT whose 32 gates all point at random code too, so delivery paths get exercised.
    for v in 0..32u64 {
        let h = 0x100800 + v * 0x20;
        let lo = (h & 0xffff) | (0x08 << 16) | (0x8e << 40) | ((h >> 16 & 0xffff) << 48);
        m0.mem.write_u64(Hpa(0x5000 + v * 16), lo).unwrap();
        m0.mem.write_u64(Hpa(0x5008 + v * 16), 0).unwrap();
    }
    m0.cpu.idtr = nestscope_core::cpu::DescTable { base: 0x5000, limit: 32 * 16 - 1 };
    for _ in 0..runs {
        let mut m = m0.clone();
        let mut code = vec![0u8; 0x1000];
        for b in code.iter_mut() {
            // Bias toward common opcode bytes and small values.
            *b = match r.next() % 4 {
                0 => (r.next() % 16) as u8,
                1 => [0x48, 0x0f, 0x89, 0x8b, 0xf3, 0x66, 0xc7, 0x83, 0xff, 0xe8][(r.next() % 10) as usize],
                _ => r.next() as u8,
            };
        }
        m.mem.write(Hpa(0x100000), &code).unwrap();
        for i in 0..16 {
            m.cpu.regs.gpr[i] = match r.next() % 3 {
                0 => r.next() % 0x80_0000,
                1 => r.next(),
                _ => 0,
            };
        }
        m.cpu.regs.gpr[4] = 0x80000;
        let _ = m.run(300);
    }
}
