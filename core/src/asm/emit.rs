//! Per-statement emission for one layout pass: operand evaluation, instructions, data, align, res.

use super::driver::{Fail, Pass};
use super::encode::encode_insn;
use super::expr::Val;
use super::matching::{EImm, EMem, EOp, SizeState};
use super::operand::Operand;
use super::parser::{DataItem, Kind, Stmt};
use super::{AsmError, MAX_OUTPUT};
use iced_x86::Register;

/// Cap on `times` repetitions that must be encoded one by one (position-dependent bodies).
const MAX_SLOW_TIMES: i64 = 1 << 16;

impl Pass<'_> {
    pub(super) fn eval_ops(&self, ops: &[Operand], here: u64) -> Result<Vec<EOp>, Fail> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(match op {
                Operand::Reg(r, c) => EOp::Reg(*r, *c),
                Operand::Imm {
                    expr,
                    size,
                    strict,
                    jump,
                    col,
                } => {
                    let v = self.eval(expr, here)?;
                    EOp::Imm(EImm {
                        v: v.map(|v| v.v).unwrap_or(0),
                        known: v.is_some(),
                        reloc: v.is_none_or(|v| v.reloc != 0),
                        size: *size,
                        strict: *strict,
                        jump: *jump,
                        col: *col,
                    })
                }
                Operand::Mem(m) => {
                    let v = match &m.disp {
                        Some(e) => self.eval(e, here)?,
                        None => Some(Val { v: 0, reloc: 0 }),
                    };
                    let no_regs = m.base == Register::None && m.index == Register::None;
                    let fs_gs = matches!(m.seg, Register::FS | Register::GS);
                    let relocatable = v.is_none_or(|v| v.reloc != 0);
                    let rip = no_regs
                        && match m.rel {
                            Some(r) => r,
                            None => self.default_rel && !fs_gs && relocatable,
                        };
                    let disp = match v {
                        Some(v) => v.v,
                        None if rip => here as i64,
                        None => 0,
                    };
                    EOp::Mem(EMem {
                        size: m.size,
                        seg: m.seg,
                        base: m.base,
                        index: m.index,
                        scale: m.scale,
                        disp,
                        rip,
                        addr64: m.addr64 && !self.default_rel,
                        col: m.col,
                    })
                }
            });
        }
        Ok(out)
    }

    fn data_bytes(
        &self,
        unit: u32,
        items: &[DataItem],
        here: u64,
        line: u32,
    ) -> Result<Vec<u8>, Fail> {
        let mut out = Vec::new();
        for item in items {
            match item {
                DataItem::Bytes(b) => {
                    out.extend_from_slice(b);
                    let rem = b.len() % unit as usize;
                    if rem != 0 {
                        out.resize(out.len() + unit as usize - rem, 0);
                    }
                }
                DataItem::Expr(e, col) => {
                    let v = self.eval(e, here)?.map(|v| v.v).unwrap_or(0);
                    let bits = unit * 8;
                    if bits < 64 {
                        let lo = -(1i64 << (bits - 1));
                        let hi = (1i64 << bits) - 1;
                        if !(lo..=hi).contains(&v) {
                            let _ = line;
                            return Err(Fail::Bad(
                                format!("value {v} does not fit in {bits} bits"),
                                *col,
                            ));
                        }
                    }
                    out.extend_from_slice(&v.to_le_bytes()[..unit as usize]);
                }
            }
        }
        Ok(out)
    }

    /// Emit one statement (all `times` repetitions).
    pub(super) fn stmt(
        &mut self,
        st: &Stmt,
        state: &mut SizeState,
    ) -> Result<(), Result<Fail, AsmError>> {
        let count = match &st.times {
            None => 1,
            Some(e) => {
                let here = self.here();
                let v = self.eval(e, here).map_err(Ok)?.map(|v| v.v).unwrap_or(0);
                if v < 0 {
                    return Err(Ok(Fail::Bad(
                        format!("`times` count {v} is negative"),
                        st.col,
                    )));
                }
                if v as u64 > MAX_OUTPUT {
                    return Err(Ok(Fail::Bad(
                        format!("`times` count {v} is too large"),
                        st.col,
                    )));
                }
                v
            }
        };
        if count == 0 {
            return Ok(());
        }
        match &st.kind {
            Kind::Insn {
                prefixes,
                mnemonic,
                mcol,
                ops,
            } => {
                let name = mnemonic.as_str();
                let branchy = name.starts_with('j') || name == "call" || name.starts_with("loop");
                let pos_dep = ops.iter().any(|o| match o {
                    Operand::Imm { expr, .. } => branchy || expr.uses_here(),
                    Operand::Mem(m) => m.disp.is_some(),
                    Operand::Reg(..) => false,
                });
                if pos_dep && count > MAX_SLOW_TIMES {
                    return Err(Ok(Fail::Bad(
                        "`times` count is too large for this instruction".into(),
                        st.col,
                    )));
                }
                let mut once: Option<Vec<u8>> = None;
                for i in 0..count {
                    if let (Some(b), false) = (&once, pos_dep) {
                        // Position-independent body: the remaining copies are identical.
                        let total = (b.len() as u64).saturating_mul((count - i) as u64);
                        if self.bytes.len() as u64 + total > MAX_OUTPUT {
                            return Err(Err(AsmError {
                                line: st.line,
                                column: st.col,
                                message: "output exceeds the 64 MiB limit".into(),
                            }));
                        }
                        let rest = b.repeat((count - i) as usize);
                        self.emit(&rest, st.line, st.col).map_err(Err)?;
                        break;
                    }
                    let here = self.here();
                    let eops = self.eval_ops(ops, here).map_err(Ok)?;
                    let b = encode_insn(mnemonic, *mcol, prefixes, &eops, here, state, &st.text)
                        .map_err(|(m, c)| Ok(Fail::Bad(m, c)))?;
                    self.emit(&b, st.line, st.col).map_err(Err)?;
                    once = Some(b);
                }
            }
            Kind::Data { unit, items } => {
                let pos_dep = items
                    .iter()
                    .any(|i| matches!(i, DataItem::Expr(e, _) if e.uses_here()));
                if pos_dep && count > MAX_SLOW_TIMES {
                    return Err(Ok(Fail::Bad(
                        "`times` count is too large for this data".into(),
                        st.col,
                    )));
                }
                let here = self.here();
                let first = self.data_bytes(*unit, items, here, st.line).map_err(Ok)?;
                if first.is_empty() {
                    return Ok(());
                }
                if (first.len() as u64).saturating_mul(count as u64) > MAX_OUTPUT {
                    return Err(Err(AsmError {
                        line: st.line,
                        column: st.col,
                        message: "output exceeds the 64 MiB limit".into(),
                    }));
                }
                self.emit(&first, st.line, st.col).map_err(Err)?;
                if !pos_dep {
                    let rest = first.repeat((count - 1) as usize);
                    self.emit(&rest, st.line, st.col).map_err(Err)?;
                    return Ok(());
                }
                for _ in 1..count {
                    let b = self
                        .data_bytes(*unit, items, self.here(), st.line)
                        .map_err(Ok)?;
                    self.emit(&b, st.line, st.col).map_err(Err)?;
                }
            }
            Kind::Res { unit, count: n } => {
                let here = self.here();
                let n = self.eval(n, here).map_err(Ok)?.map(|v| v.v).unwrap_or(0);
                if n < 0 {
                    return Err(Ok(Fail::Bad(
                        format!("reserve count {n} is negative"),
                        st.col,
                    )));
                }
                let total = (n as u64)
                    .saturating_mul(*unit as u64)
                    .saturating_mul(count as u64);
                if total > MAX_OUTPUT {
                    return Err(Err(AsmError {
                        line: st.line,
                        column: st.col,
                        message: "output exceeds the 64 MiB limit".into(),
                    }));
                }
                self.emit(&vec![0u8; total as usize], st.line, st.col)
                    .map_err(Err)?;
            }
            Kind::Align { n, fill } => {
                let here = self.here();
                let a = self.eval(n, here).map_err(Ok)?.map(|v| v.v).unwrap_or(1);
                if a <= 0 || (a & (a - 1)) != 0 {
                    return Err(Ok(Fail::Bad(
                        format!("alignment {a} is not a power of two"),
                        st.col,
                    )));
                }
                if a as u64 > MAX_OUTPUT {
                    return Err(Ok(Fail::Bad(format!("alignment {a} is too large"), st.col)));
                }
                let byte = match fill {
                    Some(f) => self.eval(f, here).map_err(Ok)?.map(|v| v.v).unwrap_or(0) as u8,
                    None => 0x90,
                };
                // Only the first repetition can pad; later ones are already aligned.
                let off = self.bytes.len() as u64;
                let pad = (a as u64 - off % a as u64) % a as u64;
                self.emit(&vec![byte; pad as usize], st.line, st.col)
                    .map_err(Err)?;
            }
            Kind::Equ { .. } | Kind::Org(_) | Kind::DefaultRel(_) => {}
        }
        Ok(())
    }
}
