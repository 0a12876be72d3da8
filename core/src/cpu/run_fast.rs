//! The run loop's inner loop: consecutive pre-decoded fast forms (exec/fast.rs) of one code page,
//! executed without re-checking what none of them can change.
//!
//! `fetch_execute` checks per instruction: tracing (RFLAGS.TF, DEBUGCTL.LBR: `trace_mask`),
//! 64-bit mode (EFER.LMA, CS.L), the code page's translation and CPL (`fetch_tag`), DR7
//! breakpoints (a remembered code page implies none). No fast form changes any of those — they
//! are register, memory, flag and near-branch operations only (no POPF, no far transfer, no
//! CR/DR/MSR write, no INVLPG) — so once one instruction went through the full path, the ones
//! that follow on the same page need only: the same linear page, the page's write generation
//! (self-modifying code and any other store into it end the loop), the decode-cache entry, and
//! the run's own conditions — the step budget and `event_check` (set by an APIC write, an MMIO
//! store a fast form may do). Whatever is not a cached fast form on that page goes back to the
//! full path, one instruction at a time, so steps, faults and events are exactly as there.
use crate::cpu::blocks::{ends_block, stores, BlockOp, MAX_OPS};
use crate::cpu::exec::fast::Fast;
use crate::cpu::exec::Flow;
use crate::cpu::processor::{Processor, Virt};
use crate::mem::Hpa;
use crate::outcome::Trap;

impl<V: Virt> Processor<V> {
    /// Executes instructions until `steps` reaches `max_steps`, `event_check` is set (`None`:
    /// each instruction retired and was counted), or an instruction ends otherwise — a stop, a
    /// trap — (`Some`: its result, not counted, for the caller to resolve).
    #[inline(never)]
    pub(crate) fn run_steps(&mut self, max_steps: u64) -> Option<Result<Flow, Trap>> {
        loop {
            let r = self.fetch_execute();
            if !matches!(r, Ok(Flow::Next | Flow::Jump(_) | Flow::Repeat)) {
                return Some(r);
            }
            self.steps += 1;
            if self.steps >= max_steps || self.event_check {
                return None;
            }
            // The instruction just executed went through `fetch_execute`: while its code page is
            // remembered (`fetch_tag`) and nothing traces, the fast forms that follow on that page
            // run here.
            if !self.fast_forms_may_run() {
                continue;
            }
            if let Some(r) = self.run_fast_forms(max_steps) {
                return Some(r);
            }
            if self.steps >= max_steps || self.event_check {
                return None;
            }
        }
    }

    /// What `fetch_execute` checks before its cached path holds for the instruction at RIP:
    /// nothing traces, 64-bit mode, and the remembered code page is RIP's at the current CPL.
    #[inline(always)]
    fn fast_forms_may_run(&self) -> bool {
        let user = u64::from(self.cpu.cpl == 3);
        self.cpu.regs.rflags & self.trace_mask == 0
            && self.cpu.ctl.efer & crate::cpu::control::efer::LMA != 0
            && self.cpu.cs.long_mode()
            && self.fetch_tag == (self.cpu.regs.rip & !0xfff) | (user << 1) | 1
    }

    /// The inner loop (see the module comment): `None` when the next instruction needs the full
    /// path or the budget or an event ends the run (the caller looks), `Some` for an instruction
    /// that did not simply retire. Whole basic blocks (cpu/blocks.rs) run while the budget has
    /// room for them; otherwise one fast form at a time.
    #[inline(always)]
    fn run_fast_forms(&mut self, max_steps: u64) -> Option<Result<Flow, Trap>> {
        let tag = self.fetch_tag;
        let lin_page = tag & !0xfff;
        let phys_page = self.fetch_page;
        loop {
            if self.steps >= max_steps || self.event_check || self.fetch_tag != tag {
                return None;
            }
            let rip = self.cpu.regs.rip;
            if rip & !0xfff != lin_page {
                return None;
            }
            let pa = Hpa(phys_page | (rip & 0xfff));
            let generation = self.mem.page_generation(pa);
            if let Some((base, len)) = self.block_at(rip, pa, generation)
                && len > 0
                && self.steps + len as u64 <= max_steps
            {
                let ops = self.blocks.take_ops();
                let r = self.run_block(&ops[base..base + len], pa, generation);
                self.blocks.put_ops(ops);
                if r.is_some() {
                    return r;
                }
                continue;
            }
            let (f, next) = match self.icache.lookup(rip, pa.0, generation) {
                Some(e) if !matches!(e.fast, Fast::Generic) => (e.fast, e.next),
                // An instruction without a fast form: executed as `fetch_execute_plain` does, then
                // back to the caller, which checks everything again (it may change anything).
                Some(e) => {
                    let ins = e.ins;
                    return self.execute_generic(&ins);
                }
                None => return None,
            };
            // RIP moves as in `fetch_execute_plain` (the rare case — a budget's last steps — has
            // the out-of-line copy of the fast forms).
            match self.exec_fast(&f, next) {
                Ok(Flow::Next) => self.cpu.regs.rip = next,
                Ok(Flow::Jump(t)) => self.cpu.regs.rip = t,
                Ok(Flow::Repeat) => {}
                Ok(Flow::Stop(s)) => {
                    self.cpu.regs.rip = next;
                    return Some(Ok(Flow::Stop(s)));
                }
                Err(e) => return Some(Err(e)),
            }
            self.steps += 1;
        }
    }

    /// Runs a block's ops (the caller checked the budget has room for all of them) until one
    /// ends otherwise than by retiring (`Some`), an event is to be looked at or a store went into
    /// the code page (`None`: the loop's head looks again).
    #[inline(always)]
    fn run_block(&mut self, ops: &[BlockOp], pa: Hpa, generation: u32) -> Option<Result<Flow, Trap>> {
        for op in ops {
            // RIP moves as in `fetch_execute_plain`.
            match self.exec_fast_inline(&op.fast, op.next) {
                Ok(Flow::Next) => self.cpu.regs.rip = op.next,
                Ok(Flow::Jump(t)) => self.cpu.regs.rip = t,
                Ok(Flow::Repeat) => {
                    self.steps += 1;
                    return None;
                }
                Ok(Flow::Stop(s)) => {
                    self.cpu.regs.rip = op.next;
                    return Some(Ok(Flow::Stop(s)));
                }
                Err(e) => return Some(Err(e)),
            }
            self.steps += 1;
            // Only a store (an MMIO write: processor.rs `mmio_write`) sets `event_check` among
            // the fast forms, and only a store can go into the code page: after one, an event to
            // look at or a stale rest of the block sends the loop's head to look again.
            if op.stores && (self.event_check || self.mem.page_generation(pa) != generation) {
                return None;
            }
        }
        None
    }

    /// An instruction without a fast form in the inner loop: executed and counted as
    /// `fetch_execute_plain` and `run_steps` do (`None`: it retired).
    #[inline(never)]
    fn execute_generic(&mut self, ins: &iced_x86::Instruction) -> Option<Result<Flow, Trap>> {
        let r = self.execute(ins);
        match &r {
            Ok(Flow::Jump(t)) => self.cpu.regs.rip = *t,
            Ok(Flow::Repeat) | Err(_) => {}
            Ok(_) => self.cpu.regs.rip = ins.next_ip(),
        }
        if !matches!(r, Ok(Flow::Next | Flow::Jump(_) | Flow::Repeat)) {
            return Some(r);
        }
        self.steps += 1;
        None
    }

    /// The block at `rip` (physical `pa`, of the page's `generation`): its first op and length
    /// (0: none starts here), built on a miss.
    #[inline(always)]
    fn block_at(&mut self, rip: u64, pa: Hpa, generation: u32) -> Option<(usize, usize)> {
        if let Some(b) = self.blocks.lookup(rip, pa.0, generation) {
            return Some(b);
        }
        self.build_block(rip, pa, generation);
        self.blocks.lookup(rip, pa.0, generation)
    }

    /// Collects the fast forms from `rip` on (cpu/blocks.rs) from the decode cache, decoding the
    /// instructions it lacks, and enters them as a block (possibly empty).
    #[inline(never)]
    fn build_block(&mut self, rip: u64, pa: Hpa, generation: u32) {
        let mut ops = [BlockOp::default(); MAX_OPS];
        let mut n = 0;
        let mut a = rip;
        while n < MAX_OPS && a & !0xfff == rip & !0xfff {
            let apa = Hpa((pa.0 & !0xfff) | (a & 0xfff));
            if self.icache.lookup(a, apa.0, generation).is_none() && !self.predecode(a, apa, generation) {
                break;
            }
            let Some(e) = self.icache.lookup(a, apa.0, generation) else { break };
            if matches!(e.fast, Fast::Generic) {
                break;
            }
            let (fast, next) = (e.fast, e.next);
            ops[n] = BlockOp { fast, next, stores: stores(&fast) };
            n += 1;
            if ends_block(&fast) {
                break;
            }
            a = next;
        }
        crate::cpu::block_flags::elide_dead_flags(&mut ops[..n]);
        self.blocks.insert(rip, pa.0, generation, &ops[..n]);
    }
}
