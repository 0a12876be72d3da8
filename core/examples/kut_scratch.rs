// scratch: boot a multiboot ELF32 (not committed)
use nestscope_core::machine::Machine;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let img = std::fs::read(&args[1]).unwrap();
    let cmd = args.get(2).cloned().unwrap_or_default();
    let steps: u64 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(10_000_000);
    let cfg = nestscope_core::loader::BootConfig { ram_bytes: 64 << 20, progname: "svm.flat".into(), append: cmd };
    let image = nestscope_core::loader::multiboot::load(&img, &cfg).unwrap();
    let mut m = Machine::boot(&image, nestscope_core::svm::SvmModel::Bare).unwrap();
    let r = m.run(steps);
    println!("--- console:\n{}", String::from_utf8_lossy(&m.console));
    println!("--- end: {:?} after {} steps, rip {:#x} cs {:#x}", r, m.steps, m.cpu.regs.rip, m.cpu.cs.selector);
}
