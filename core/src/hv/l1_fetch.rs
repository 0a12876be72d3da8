//! L0 reading the instruction L1 exited on, the way KVM's emulator fetches it
//! (`x86_decode_insn` through `kvm_fetch_guest_virt`): L1's linear RIP through L1's own page
//! tables, every table page and the code page an L1 guest-physical address inside L1's RAM.
//!
//! Why: without DecodeAssists the #VMEXIT of VMRUN/VMLOAD/VMSAVE does not say the instruction's
//! address size, yet the VMCB address is rAX at that size (APM vol.3 VMRUN: "rAX"; with 0x67 in
//! 64-bit mode EAX, bits 63:32 ignored). KVM reads `save.rax` whole; the model decodes the
//! instruction at L1's RIP instead, as KVM's emulator would, and takes rAX as the hardware model
//! does (`svm::insn::rax_at_address_size`). When the bytes cannot be read (legacy paging, a table
//! outside L1's RAM) L0 falls back to the full rAX, KVM's behaviour.
use super::layout::Layout;
use super::l0::Kvm;
use crate::cpu::control::{cr0, efer};
use crate::mem::paging::{walk_with, Access, PagingMode, WalkEnv};
use crate::mem::{Gpa, Gva, Hpa, PhysMem};
use crate::svm::insn::{rax_at_address_size, seg_from_vmcb};
use crate::svm::vmcb::save_f;

/// L1's memory as L0 reads it: L1 guest-physical = host-physical inside L1's RAM, nothing else.
struct L1Mem<'a> {
    mem: &'a mut PhysMem,
    layout: &'a Layout,
}

impl L1Mem<'_> {
    fn inside(&self, gpa: Gpa, len: u64) -> Result<Hpa, ()> {
        match gpa.0.checked_add(len) {
            Some(end) if end <= self.layout.l1_mem => Ok(Hpa(gpa.0)),
            _ => Err(()),
        }
    }
}

impl WalkEnv for L1Mem<'_> {
    type Err = ();
    fn table_entry(&mut self, gpa: Gpa, _level: u8) -> Result<Hpa, ()> {
        self.inside(gpa, 8)
    }
    fn final_address(&mut self, gpa: Gpa, _acc: Access) -> Result<Hpa, ()> {
        self.inside(gpa, 1)
    }
    fn read_entry(&mut self, hpa: Hpa) -> u64 {
        self.mem.read_u64(hpa).unwrap_or(0)
    }
    fn write_entry(&mut self, hpa: Hpa, v: u64) {
        let _ = self.mem.write_u64(hpa, v);
    }
}

impl Kvm {
    /// Up to 15 bytes of L1's code at its RIP in vmcb01 (fewer where the next page cannot be
    /// read), with the code size (64, 32 or 16); `None` if nothing can be read.
    fn l1_code_bytes(&mut self) -> Option<(u32, Vec<u8>, u64)> {
        let (cs, rip, c0, cr3, e) = self
            .vmcb_fields(self.layout.vmcb01, |p| (save_f::cs.get(p), save_f::rip.get(p), save_f::cr0.get(p), save_f::cr3.get(p), save_f::efer.get(p)))
            .ok()?;
        let cs = seg_from_vmcb(&cs);
        let lma = e & efer::LMA != 0;
        let bits = if lma && cs.long_mode() { 64 } else if cs.default_32() { 32 } else { 16 };
        let la = if bits == 64 { rip } else { cs.base.wrapping_add(rip) & 0xffff_ffff };
        // 4-level paging (long mode) or none; legacy 32-bit paging is not walked here.
        let paged = c0 & cr0::PG != 0;
        if paged && !lma {
            return None;
        }
        let mode = PagingMode::long(cr3, c0 & cr0::WP != 0, e & efer::NXE != 0);
        let mut env = L1Mem { mem: &mut self.m.mem, layout: &self.layout };
        let mut out = Vec::with_capacity(15);
        let mut a = la;
        while out.len() < 15 {
            let pa = if paged {
                match walk_with(&mut env, mode, Gva(a), Access::FETCH) {
                    Ok(w) => w.phys,
                    Err(_) => break,
                }
            } else {
                match env.inside(Gpa(a), 1) {
                    Ok(p) => p,
                    Err(()) => break,
                }
            };
            let n = usize::try_from(0x1000 - (a & 0xfff)).unwrap_or(15).min(15 - out.len());
            let mut buf = vec![0u8; n];
            if env.inside(Gpa(pa.0), n as u64).is_err() || env.mem.read(pa, &mut buf).is_err() {
                break;
            }
            out.extend_from_slice(&buf);
            a = a.wrapping_add(n as u64);
        }
        (!out.is_empty()).then_some((bits, out, rip))
    }

    /// The VMCB address of the VMRUN/VMLOAD/VMSAVE L1 exited on: `rax` at the instruction's
    /// address size (see the module comment).
    pub(crate) fn l1_svm_insn_rax(&mut self, rax: u64) -> u64 {
        // Every address size gives rAX itself when it fits in 16 bits, and so do 64 and 32 (the
        // only ones of 64-bit code) when it fits in 32: no need to read the instruction. (The
        // hardware's fetch of it already set the accessed bits the walk would set.)
        if rax <= 0xffff {
            return rax;
        }
        if rax >> 32 == 0 {
            let long = self
                .vmcb_fields(self.layout.vmcb01, |p| (seg_from_vmcb(&save_f::cs.get(p)).long_mode(), save_f::efer.get(p) & efer::LMA != 0))
                .is_ok_and(|(l, lma)| l && lma);
            if long {
                return rax;
            }
        }
        let Some((bits, bytes, rip)) = self.l1_code_bytes() else { return rax };
        match crate::cpu::decode::decode(bits, &bytes, rip) {
            Some(ins) => rax_at_address_size(&ins, rax),
            None => rax,
        }
    }
}
