//! MSRs, CPUID, exception delivery (#DE, #DF, triple fault), self-modifying code, REP chunking.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use nestscope_core::cpu::cpuid::{self, bits};
use nestscope_core::outcome::{Fault, Trap};
use nestscope_core::cpu::msr;
use nestscope_core::machine::Machine;
use nestscope_core::mem::Hpa;
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn fresh() -> Machine {
    Machine::new(&[0xf4], 64).unwrap()
}

/// Assembles a program at the CONTRACT load address with iced's code assembler.
fn asm(f: impl FnOnce(&mut iced_x86::code_asm::CodeAssembler) -> Result<(), iced_x86::IcedError>) -> Vec<u8> {
    let mut a = iced_x86::code_asm::CodeAssembler::new(64).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x100000).unwrap()
}

#[test]
fn msr_reset_values_per_contract() {
    let m = fresh();
    assert_eq!(m.rdmsr(msr::PAT), Ok(0x0007_0406_0007_0406));
    assert_eq!(m.rdmsr(msr::EFER), Ok(0xd00));
    assert_eq!(m.rdmsr(msr::MTRRCAP), Ok(0x508));
    assert_eq!(m.rdmsr(msr::MTRR_DEF_TYPE), Ok(0xc06));
    for f in msr::FIXED_MTRRS {
        assert_eq!(m.rdmsr(f), Ok(0x0606_0606_0606_0606), "fixed MTRR {f:#x}");
    }
    for v in 0x200..=0x20f {
        assert_eq!(m.rdmsr(v), Ok(0), "variable MTRR {v:#x}");
    }
    assert_eq!(m.rdmsr(msr::VM_HSAVE_PA), Ok(0));
    assert_eq!(m.rdmsr(msr::VM_CR), Ok(0));
}

#[test]
fn wrmsr_pat_rejects_every_reserved_encoding_in_every_byte() {
    let mut m = fresh();
    for byte in 0..8 {
        let before = m.cpu.pat;
        for enc in (2u64..=3).chain(8..=0xff) {
            let v = (0x0007_0406_0007_0406u64 & !(0xff << (byte * 8))) | (enc << (byte * 8));
            assert_eq!(m.wrmsr(msr::PAT, v), Err(Fault::gp0()), "PAT byte {byte} = {enc:#x}");
            assert_eq!(m.cpu.pat, before, "a refused WRMSR leaves the PAT alone");
        }
        for enc in [0u64, 1, 4, 5, 6, 7] {
            let v = enc << (byte * 8);
            assert_eq!(m.wrmsr(msr::PAT, v), Ok(()));
            assert_eq!(m.rdmsr(msr::PAT), Ok(v));
        }
    }
}

#[test]
fn unknown_msrs_and_read_only_msrs_are_gp() {
    let mut m = fresh();
    for idx in [0x0u32, 0x12345, 0xc000_0104, 0xc001_0115, 0x210, 0x24f] {
        assert_eq!(m.rdmsr(idx), Err(Fault::gp0()), "rdmsr {idx:#x}");
        assert_eq!(m.wrmsr(idx, 0), Err(Fault::gp0()), "wrmsr {idx:#x}");
    }
    assert_eq!(m.wrmsr(msr::MTRRCAP, 0x508), Err(Fault::gp0()));
}

#[test]
fn mtrr_efer_and_svm_msr_checks() {
    let mut m = fresh();
    // MTRRdefType: reserved bits 8-9 and 12-63, invalid types 2, 3, 7.
    for bad in [0xc06 | 0x100, 0xc06 | 0x1000, 0xc02, 0xc03, 0xc07, 0xc08] {
        assert_eq!(m.wrmsr(msr::MTRR_DEF_TYPE, bad), Err(Fault::gp0()), "{bad:#x}");
    }
    assert_eq!(m.wrmsr(msr::MTRR_DEF_TYPE, 0x800), Ok(()));
    // Fixed ranges: every byte must be an MTRR type.
    assert_eq!(m.wrmsr(0x250, 0x0606_0606_0606_0607), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(0x268, 0x0001_0405_0600_0104), Ok(()));
    // Variable ranges: PHYSBASE bits 11:8 and PHYSMASK bits 10:0 reserved.
    assert_eq!(m.wrmsr(0x200, 0x8000_0106), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(0x200, 0x8000_0006), Ok(()));
    assert_eq!(m.wrmsr(0x201, 0xffff_f000_0001), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(0x201, 0xffff_f000_0800), Ok(()));
    // EFER: SVME is writable, reserved bits are #GP, LME cannot change with paging on.
    assert_eq!(m.wrmsr(msr::EFER, 0xd00 | (1 << 12)), Ok(()));
    assert_eq!(m.rdmsr(msr::EFER), Ok(0x1d00));
    assert_eq!(m.wrmsr(msr::EFER, 0xd00 | (1 << 2)), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(msr::EFER, 0xc00), Err(Fault::gp0()), "clearing LME with paging on");
    // VM_HSAVE_PA must be page-aligned and below MAXPHYADDR.
    assert_eq!(m.wrmsr(msr::VM_HSAVE_PA, 0x1234), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(msr::VM_HSAVE_PA, 1 << 48), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(msr::VM_HSAVE_PA, 0x9000), Ok(()));
    // VM_CR.SVMDIS forbids setting EFER.SVME.
    assert_eq!(m.wrmsr(msr::EFER, 0xd00), Ok(()));
    assert_eq!(m.wrmsr(msr::VM_CR, 1 << 4), Ok(()));
    assert_eq!(m.wrmsr(msr::EFER, 0x1d00), Err(Fault::gp0()));
    assert_eq!(m.wrmsr(msr::VM_CR, 1 << 5), Err(Fault::gp0()));
}

#[test]
fn msr_state_round_trips_through_its_checkpoint_record() {
    use nestscope_core::checkpoint::records::Persist;
    let mut m = fresh();
    m.wrmsr(0x259, 0x0505_0505_0404_0404).unwrap();
    let j = serde_json::to_string(&m.cpu.save()).unwrap();
    let back = nestscope_core::cpu::Cpu::restore(&serde_json::from_str(&j).unwrap()).unwrap();
    assert_eq!(back, m.cpu);
}

#[test]
fn cpuid_leaves_per_contract() {
    let v = cpuid::cpuid(0, 0);
    let mut vendor = Vec::new();
    for r in [v[1], v[3], v[2]] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    assert_eq!(vendor, b"AuthenticAMD");
    let l1 = cpuid::cpuid(1, 0);
    for b in [bits::FPU, bits::TSC, bits::MSR, bits::PAE, bits::CX8, bits::APIC, bits::SEP, bits::MTRR, bits::PGE, bits::CMOV, bits::PAT, bits::CLFSH] {
        assert!(l1[3] & b != 0, "leaf 1 EDX bit {b:#x}");
    }
    assert!(l1[2] & bits::CX16 != 0 && l1[2] & bits::POPCNT != 0);
    assert!(cpuid::cpuid(0x8000_0000, 0)[0] >= 0x8000_000a);
    let e1 = cpuid::cpuid(0x8000_0001, 0);
    assert!(e1[2] & (1 << 2) != 0, "SVM");
    assert!(e1[3] & (1 << 29) != 0 && e1[3] & (1 << 20) != 0 && e1[3] & (1 << 26) != 0, "LM NX PDPE1GB");
    assert_eq!(cpuid::cpuid(0x8000_0008, 0)[0] & 0xffff, 0x3030);
    let svm = cpuid::cpuid(0x8000_000a, 0);
    assert_eq!(svm[0], 1, "SVM revision");
    assert!(svm[1] >= 1, "number of ASIDs");
    assert!(svm[3] & 1 != 0 && svm[3] & 8 != 0, "NP and NRIPS");
    // The instruction itself.
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.mov(eax, 0x8000_000au32)?;
        a.cpuid()?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(100).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(m.cpu.regs.gpr[0], 1);
    assert_eq!(m.cpu.regs.gpr[3], 8);
}

#[test]
fn de_on_divide_by_zero_and_on_overflow() {
    let mut m = fresh();
    let div = iced_x86::Instruction::with1(iced_x86::Code::Div_rm64, iced_x86::Register::RCX).unwrap();
    m.cpu.regs.gpr[1] = 0;
    assert_eq!(m.execute(&div), Err(Trap::Fault(Fault::new(0))));
    m.cpu.regs.gpr[1] = 1;
    m.cpu.regs.gpr[2] = 1; // RDX:RAX = 2^64: quotient does not fit
    assert_eq!(m.execute(&div), Err(Trap::Fault(Fault::new(0))));
    let idiv = iced_x86::Instruction::with1(iced_x86::Code::Idiv_rm32, iced_x86::Register::ECX).unwrap();
    m.cpu.regs.gpr[0] = 0x8000_0000;
    m.cpu.regs.gpr[2] = 0xffff_ffff;
    m.cpu.regs.gpr[1] = 0xffff_ffff; // INT32_MIN / -1
    assert_eq!(m.execute(&idiv), Err(Trap::Fault(Fault::new(0))));
}

#[test]
fn no_idt_means_triple_fault_shutdown() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.xor(ecx, ecx)?;
        a.div(ecx)?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    match m.run(100).unwrap() {
        RunEnd::Stopped(Stop::Shutdown(why)) => assert!(why.contains("triple fault"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// Writes a 64-bit interrupt gate for `vector` at IDT base 0x5000.
fn gate(m: &mut Machine, vector: u64, handler: u64, present: bool, ist: u64) {
    let lo = (handler & 0xffff) | (0x08 << 16) | (ist << 32) | (0x0e << 40) | ((present as u64) << 47) | ((handler >> 16 & 0xffff) << 48);
    m.mem.write_u64(Hpa(0x5000 + vector * 16), lo).unwrap();
    m.mem.write_u64(Hpa(0x5000 + vector * 16 + 8), handler >> 32).unwrap();
}

#[test]
fn double_fault_then_triple_fault() {
    // #GP with a not-present gate -> #NP while delivering (contributory + contributory) -> #DF.
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        let mut df = a.create_label();
        let mut idtr = a.create_label();
        a.lidt(ptr(idtr))?;
        a.mov(ecx, 0x12345u32)?;
        a.rdmsr()?; // #GP(0)
        a.hlt()?;
        a.set_label(&mut df)?;
        a.pop(rbx)?; // #DF error code (always 0)
        a.mov(rdx, qword_ptr(rsp))?; // faulting RIP
        a.mov(al, 0x44)?;
        a.out(0xf4, al)?;
        a.set_label(&mut idtr)?;
        a.dw(&[256 * 16 - 1])?;
        a.dq(&[0x5000])?;
        Ok(())
    });
    // Find the #DF handler: the instruction after the first HLT.
    let hlt = prog.iter().position(|&b| b == 0xf4).unwrap() as u64;
    let mut m = Machine::new(&prog, 64).unwrap();
    gate(&mut m, 8, 0x100000 + hlt + 1, true, 0);
    gate(&mut m, 13, 0x100000, false, 0);
    m.cpu.regs.gpr[3] = 0xdead;
    assert_eq!(m.run(100).unwrap(), RunEnd::Stopped(Stop::DebugExit(0x44)));
    assert_eq!(m.cpu.regs.gpr[3], 0, "#DF error code");
    assert_eq!(m.cpu.regs.gpr[2], 0x100000 + 7 + 5, "#DF pushes the RIP of the faulting RDMSR");
    // Without a #DF handler the same program triple-faults.
    let mut m = Machine::new(&prog, 64).unwrap();
    gate(&mut m, 13, 0x100000, false, 0);
    match m.run(100).unwrap() {
        RunEnd::Stopped(Stop::Shutdown(why)) => assert!(why.starts_with("triple fault"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn page_fault_frame_error_code_and_cr2() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        let mut pf = a.create_label();
        let mut idtr = a.create_label();
        a.lidt(ptr(idtr))?;
        a.mov(rsp, 0x80000u64)?;
        a.mov(rax, 0x1_4000_0000u64)?; // beyond the 4 GiB identity map
        a.mov(qword_ptr(rax), rcx)?; // write: #PF(W)
        a.hlt()?;
        a.set_label(&mut pf)?;
        a.pop(rbx)?; // error code
        a.mov(rsi, cr2)?;
        a.mov(rdi, rsp)?; // frame: RIP CS RFLAGS RSP SS
        a.mov(al, 0x0e)?;
        a.out(0xf4, al)?;
        a.set_label(&mut idtr)?;
        a.dw(&[256 * 16 - 1])?;
        a.dq(&[0x5000])?;
        Ok(())
    });
    let hlt = prog.iter().position(|&b| b == 0xf4).unwrap() as u64;
    let mut m = Machine::new(&prog, 64).unwrap();
    gate(&mut m, 14, 0x100000 + hlt + 1, true, 0);
    assert_eq!(m.run(100).unwrap(), RunEnd::Stopped(Stop::DebugExit(0x0e)));
    assert_eq!(m.cpu.regs.gpr[3], 0b10, "not present, write, supervisor");
    assert_eq!(m.cpu.regs.gpr[6], 0x1_4000_0000);
    let frame = m.cpu.regs.gpr[7];
    assert_eq!(frame, 0x80000 - 5 * 8, "stack aligned, five qwords after the error code was popped");
    let q = |i: u64| m.mem.read_u64(Hpa(frame + i * 8)).unwrap();
    assert_eq!(q(1), 0x08, "CS");
    assert_eq!(q(2), 0x2, "RFLAGS");
    assert_eq!(q(3), 0x80000, "RSP");
    assert_eq!(q(4), 0x10, "SS");
    assert_eq!(m.cpu.regs.rflags & (1 << 9), 0, "interrupt gate clears IF");
}

#[test]
fn self_modifying_code_is_seen() {
    // Runs `mov eax, imm32` twice; between the runs the program patches the immediate.
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        let mut top = a.create_label();
        let mut done = a.create_label();
        a.set_label(&mut top)?;
        a.mov(eax, 0x1111_1111u32)?; // immediate at 0x100001
        a.inc(ecx)?;
        a.cmp(ecx, 2)?;
        a.je(done)?;
        a.mov(dword_ptr(0x100001u64), 0x2222_2222u32)?;
        a.jmp(top)?;
        a.set_label(&mut done)?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(m.cpu.regs.gpr[0], 0x2222_2222);
}

#[test]
fn rep_string_runs_in_bounded_chunks() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.mov(rdi, 0x20_0000u64)?;
        a.mov(rcx, 5000u64)?;
        a.mov(al, 0xab)?;
        a.rep().stosb()?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::Halt));
    // 3 movs + ceil(5000 / 1024) = 5 chunks + hlt.
    assert_eq!(m.steps, 3 + 5 + 1);
    assert_eq!(m.cpu.regs.gpr[1], 0);
    assert_eq!(m.mem.read_u8(Hpa(0x20_0000 + 4999)).unwrap(), 0xab);
    assert_eq!(m.mem.read_u8(Hpa(0x20_0000 + 5000)).unwrap(), 0);
    // A huge count cannot stall the budget.
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.mov(rcx, u64::MAX)?;
        a.mov(rdi, 0x20_0000u64)?;
        a.rep().stosb()?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(10).unwrap(), RunEnd::Budget);
    assert_eq!(m.cpu.regs.gpr[1], u64::MAX - 8 * 1024);
    assert_eq!(m.cpu.regs.rip, 0x100000 + 10 + 10, "RIP stays on the REP instruction");
}

#[test]
fn unsupported_instruction_is_an_emulator_error_not_a_panic() {
    // FXSAVE (0F AE /0) is not modelled.
    let mut m = Machine::new(&[0x0f, 0xae, 0x00], 64).unwrap();
    assert!(matches!(m.run(10), Err(nestscope_core::cpu::EmuError::Unsupported { .. })));
}

#[test]
fn fault_in_the_middle_of_rep_keeps_progress() {
    // Linear 0x4000_0000.. through PDPT[1] -> PD -> PT: page 0 present (phys 0x30_0000), page 1 not.
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.mov(rdi, 0x4000_0ff0u64)?;
        a.mov(ecx, 0x20u32)?;
        a.mov(al, 0x5au32 as u8 as i32)?;
        a.rep().stosb()?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    let w = |m: &mut Machine, a: u64, v: u64| m.mem.write_u64(Hpa(a), v).unwrap();
    w(&mut m, 0x3008, 0x12000 | 3);
    w(&mut m, 0x12000, 0x13000 | 3);
    w(&mut m, 0x13000, 0x30_0000 | 3);
    match m.run(100).unwrap() {
        RunEnd::Stopped(Stop::Shutdown(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(m.cpu.regs.gpr[1], 0x10, "RCX counts the 16 bytes stored before the fault");
    assert_eq!(m.cpu.regs.gpr[7], 0x4000_1000);
    assert_eq!(m.cpu.ctl.cr2, 0x4000_1000);
    assert_eq!(m.cpu.regs.rip, 0x100000 + 10 + 5 + 2, "RIP stays on REP STOSB");
    assert_eq!(m.mem.read_u64(Hpa(0x30_0ff8)).unwrap(), 0x5a5a_5a5a_5a5a_5a5a);
}

#[test]
fn xlat_smsw_lmsw() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.mov(rbx, 0x20_0000u64)?;
        a.mov(byte_ptr(0x20_0005u64), 0x77)?;
        a.mov(eax, 5u32)?;
        a.xlatb()?;
        a.smsw(ecx)?;
        a.mov(edx, 0xbu32)?; // set TS, MP and PE; clear nothing else
        a.lmsw(dx)?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(100).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(m.cpu.regs.gpr[0], 0x77);
    assert_eq!(m.cpu.regs.gpr[1], 0x8001_0033);
    assert_eq!(m.cpu.ctl.cr0, 0x8001_003b);
}

#[test]
fn ist_switches_stacks_and_a_missing_tss_is_ts() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        a.ud2()?;
        a.mov(rbx, rsp)?; // handler at +2
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    m.cpu.idtr = nestscope_core::cpu::DescTable { base: 0x5000, limit: 0xfff };
    gate(&mut m, 6, 0x100002, true, 1);
    // A 64-bit TSS at 0x6000 with IST1 = 0x60008 (the CPU aligns it down to 16).
    m.mem.write_u64(Hpa(0x6000 + 0x24), 0x60008).unwrap();
    m.cpu.tr = nestscope_core::cpu::Segment { selector: 0x18, base: 0x6000, limit: 0x67, attrib: 0x8b };
    assert_eq!(m.run(100).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(m.cpu.regs.gpr[3], 0x60000 - 5 * 8);
    assert_eq!(m.mem.read_u64(Hpa(0x60000 - 8)).unwrap(), 0x10, "SS");
    assert_eq!(m.mem.read_u64(Hpa(0x60000 - 16)).unwrap(), 0x80000, "old RSP");
    assert_eq!(m.mem.read_u64(Hpa(0x60000 - 40)).unwrap(), 0x100000, "RIP of the UD2");
    // Without a TSS (the CONTRACT state), the IST read is #TS, then #GP for the empty #TS
    // gate (contributory twice: #DF), and with no #DF gate, a triple fault.
    let mut m = Machine::new(&prog, 64).unwrap();
    m.cpu.idtr = nestscope_core::cpu::DescTable { base: 0x5000, limit: 0xfff };
    gate(&mut m, 6, 0x100002, true, 1);
    match m.run(100).unwrap() {
        RunEnd::Stopped(Stop::Shutdown(why)) => assert!(why.contains("triple fault"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rep_outsb_prints_and_syscall_sysret_round_trip() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        let mut msg = a.create_label();
        let mut kernel = a.create_label();
        let mut user = a.create_label();
        // EFER.SCE, STAR (kernel CS 0x08 / SS 0x10; user base 0x10: SS 0x1b, CS 0x23), LSTAR, SFMASK.
        a.mov(ecx, 0xc000_0080u32)?;
        a.rdmsr()?;
        a.or(eax, 1)?;
        a.wrmsr()?;
        a.mov(ecx, 0xc000_0081u32)?;
        a.xor(eax, eax)?;
        a.mov(edx, 0x0010_0008u32)?;
        a.wrmsr()?;
        a.mov(ecx, 0xc000_0082u32)?;
        a.lea(rax, ptr(kernel))?;
        a.mov(rdx, rax)?;
        a.shr(rdx, 32)?;
        a.wrmsr()?;
        a.mov(ecx, 0xc000_0084u32)?;
        a.mov(eax, 0x200u32)?; // clear IF on entry
        a.xor(edx, edx)?;
        a.wrmsr()?;
        // Print with REP OUTSB.
        a.lea(rsi, ptr(msg))?;
        a.mov(ecx, 3u32)?;
        a.mov(edx, 0xe9u32)?;
        a.rep().outsb()?;
        // To ring 3 with SYSRET (the first GiB is made user-accessible first).
        a.mov(qword_ptr(0x3000u64), 0x87)?;
        a.or(qword_ptr(0x2000u64), 4)?;
        a.mov(rax, cr3)?;
        a.mov(cr3, rax)?;
        a.lea(rcx, ptr(user))?;
        a.mov(r11d, 0x202u32)?;
        a.sysretq()?;
        a.set_label(&mut user)?;
        a.mov(r8, 0x77u64)?;
        a.syscall()?;
        a.set_label(&mut kernel)?;
        a.hlt()?;
        a.set_label(&mut msg)?;
        a.db(b"hi!")?;
        Ok(())
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(String::from_utf8_lossy(&m.console), "hi!");
    assert_eq!(m.cpu.regs.gpr[8], 0x77, "user code ran");
    assert_eq!((m.cpu.cpl, m.cpu.cs.selector, m.cpu.ss.selector), (0, 0x08, 0x10));
    assert_eq!(m.cpu.regs.gpr[11] & 0x200, 0x200, "R11 holds the user RFLAGS");
    assert_eq!(m.cpu.regs.rflags & 0x200, 0, "SFMASK cleared IF");
}

#[test]
fn code_patched_through_another_linear_alias_is_seen() {
    let prog = asm(|a| {
        use iced_x86::code_asm::*;
        let mut top = a.create_label();
        let mut done = a.create_label();
        a.set_label(&mut top)?;
        a.mov(eax, 0x1111_1111u32)?; // immediate at physical 0x100001
        a.inc(ecx)?;
        a.cmp(ecx, 2)?;
        a.je(done)?;
        a.mov(dword_ptr(0x4000_0001u64), 0x2222_2222u32)?; // the same byte through 0x4000_0000
        a.jmp(top)?;
        a.set_label(&mut done)?;
        a.hlt()
    });
    let mut m = Machine::new(&prog, 64).unwrap();
    let w = |m: &mut Machine, a: u64, v: u64| m.mem.write_u64(Hpa(a), v).unwrap();
    w(&mut m, 0x3008, 0x12000 | 3);
    w(&mut m, 0x12000, 0x13000 | 3);
    w(&mut m, 0x13000, 0x10_0000 | 3);
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::Halt));
    assert_eq!(m.cpu.regs.gpr[0], 0x2222_2222);
}
