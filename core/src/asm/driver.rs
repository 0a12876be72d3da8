//! Multi-pass layout driver: parses all lines, iterates passes until labels settle, emits bytes.

use super::encode::{EImm, EMem, EOp, SizeState, encode_insn};
use super::expr::{EvalCtx, EvalErr, Expr, Val};
use super::parser::{DataItem, Kind, Line, Operand, Stmt, parse_line};
use super::{AsmError, Assembled, DEFAULT_ORIGIN, LineMap, MAX_OUTPUT};
use iced_x86::Register;
use std::collections::{BTreeMap, HashMap};

/// Passes allowed before giving up on label addresses settling.
const MAX_PASSES: usize = 40;
/// Cap on `times` repetitions that must be encoded one by one (position-dependent bodies).
const MAX_SLOW_TIMES: i64 = 1 << 16;

type Syms = HashMap<String, Val>;

struct Pass<'a> {
    lines: &'a [Line],
    origin: u64,
    strict: bool,
    prev: &'a Syms,
    cur: Syms,
    bytes: Vec<u8>,
    map: Vec<LineMap>,
    errors: Vec<AsmError>,
    default_rel: bool,
}

/// Error raised while evaluating: unknown symbols are only errors in the strict pass.
enum Fail {
    Unknown(String, u32),
    Bad(String, u32),
}

impl From<EvalErr> for Fail {
    fn from(e: EvalErr) -> Self {
        match e {
            EvalErr::Unknown(s, c) => Fail::Unknown(s, c),
            EvalErr::Bad(m, c) => Fail::Bad(m, c),
        }
    }
}

impl<'a> Pass<'a> {
    fn ctx(&self, here: u64) -> EvalCtx<'_> {
        EvalCtx {
            syms: &self.cur,
            here: here as i64,
            origin: self.origin as i64,
        }
    }

    fn here(&self) -> u64 {
        self.origin.wrapping_add(self.bytes.len() as u64)
    }

    /// Evaluate; unknown symbols give `None` outside the strict pass.
    fn eval(&self, e: &Expr, here: u64) -> Result<Option<Val>, Fail> {
        match e.eval(&self.ctx(here)) {
            Ok(v) => Ok(Some(v)),
            Err(EvalErr::Unknown(s, c)) if !self.strict => {
                let _ = (s, c);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn push_err(&mut self, line: u32, f: Fail) {
        let (message, column) = match f {
            Fail::Unknown(s, c) => (format!("undefined label `{s}`"), c),
            Fail::Bad(m, c) => (m, c),
        };
        self.errors.push(AsmError {
            line,
            column: column.max(1),
            message,
        });
    }

    fn emit(&mut self, b: &[u8], line: u32, col: u32) -> Result<(), AsmError> {
        if self.bytes.len() as u64 + b.len() as u64 > MAX_OUTPUT {
            return Err(AsmError {
                line,
                column: col,
                message: "output exceeds the 64 MiB limit".into(),
            });
        }
        self.bytes.extend_from_slice(b);
        Ok(())
    }

    fn define(&mut self, name: &str, v: Val) {
        self.cur.insert(name.to_string(), v);
    }

    fn eval_ops(&self, ops: &[Operand], here: u64) -> Result<Vec<EOp>, Fail> {
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
    fn stmt(&mut self, st: &Stmt, state: &mut SizeState) -> Result<(), Result<Fail, AsmError>> {
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
                for _ in 0..count {
                    let here = self.here();
                    let b = match (&once, pos_dep) {
                        (Some(b), false) => b.clone(),
                        _ => {
                            let eops = self.eval_ops(ops, here).map_err(Ok)?;
                            let b = encode_insn(
                                mnemonic, *mcol, prefixes, &eops, here, state, &st.text,
                            )
                            .map_err(|(m, c)| Ok(Fail::Bad(m, c)))?;
                            once = Some(b.clone());
                            b
                        }
                    };
                    self.emit(&b, st.line, st.col).map_err(Err)?;
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
                for _ in 1..count {
                    let b = if pos_dep {
                        self.data_bytes(*unit, items, self.here(), st.line)
                            .map_err(Ok)?
                    } else {
                        first.clone()
                    };
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
                for _ in 0..count {
                    let off = self.bytes.len() as u64;
                    let pad = (a as u64 - off % a as u64) % a as u64;
                    self.emit(&vec![byte; pad as usize], st.line, st.col)
                        .map_err(Err)?;
                }
            }
            Kind::Equ { .. } | Kind::Org(_) | Kind::DefaultRel(_) => {}
        }
        Ok(())
    }

    fn run(&mut self, states: &mut [SizeState]) -> Result<(), AsmError> {
        for (i, line) in self.lines.iter().enumerate() {
            if let Some((name, _)) = &line.label {
                let v = Val {
                    v: self.here() as i64,
                    reloc: 1,
                };
                self.define(name, v);
            }
            let Some(st) = &line.stmt else { continue };
            match &st.kind {
                Kind::Equ { name, value } => {
                    let here = self.here();
                    match self.eval(value, here) {
                        Ok(Some(v)) => self.define(name, v),
                        Ok(None) => {}
                        Err(f) => self.push_err(st.line, f),
                    }
                    continue;
                }
                Kind::DefaultRel(r) => {
                    self.default_rel = *r;
                    continue;
                }
                Kind::Org(_) => continue,
                _ => {}
            }
            let start = self.bytes.len();
            match self.stmt(st, &mut states[i]) {
                Ok(()) => {}
                Err(Ok(f)) => self.push_err(st.line, f),
                Err(Err(fatal)) => return Err(fatal),
            }
            let len = self.bytes.len() - start;
            self.map.push(LineMap {
                line: st.line,
                offset: start as u64,
                len: len.min(u32::MAX as usize) as u32,
            });
        }
        let _ = self.prev;
        Ok(())
    }
}

fn find_origin(lines: &[Line], errors: &mut Vec<AsmError>) -> u64 {
    let mut origin: Option<(u64, u32)> = None;
    let empty = HashMap::new();
    for st in lines.iter().filter_map(|l| l.stmt.as_ref()) {
        if let Kind::Org(e) = &st.kind {
            let ctx = EvalCtx {
                syms: &empty,
                here: 0,
                origin: 0,
            };
            match e.eval(&ctx) {
                Ok(v) if !e.uses_here() => match origin {
                    Some((o, l)) if o != v.v as u64 => errors.push(AsmError {
                        line: st.line,
                        column: st.col,
                        message: format!("`org` was already set on line {l}"),
                    }),
                    Some(_) => {}
                    None => origin = Some((v.v as u64, st.line)),
                },
                _ => errors.push(AsmError {
                    line: st.line,
                    column: st.col,
                    message: "`org` needs a constant address".into(),
                }),
            }
        }
    }
    origin.map(|o| o.0).unwrap_or(DEFAULT_ORIGIN)
}

pub fn run(source: &str) -> Result<Assembled, Vec<AsmError>> {
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    let mut scope = String::new();
    let mut defined: HashMap<String, u32> = HashMap::new();
    for (i, text) in source.lines().enumerate() {
        let ln = (i + 1).min(u32::MAX as usize) as u32;
        let mut line = Line::default();
        if let Err(e) = parse_line(text, ln, &mut scope, &mut line) {
            errors.push(e);
        }
        let mut names: Vec<(String, u32)> = line.label.iter().cloned().collect();
        if let Some(Stmt {
            kind: Kind::Equ { name, .. },
            col,
            ..
        }) = &line.stmt
        {
            names.push((name.clone(), *col));
        }
        for (name, col) in names {
            if let Some(first) = defined.get(&name) {
                errors.push(AsmError {
                    line: ln,
                    column: col,
                    message: format!("label `{name}` is already defined on line {first}"),
                });
                line.label = None;
                line.stmt = line.stmt.filter(|s| !matches!(s.kind, Kind::Equ { .. }));
            } else {
                defined.insert(name, ln);
            }
        }
        lines.push(line);
    }
    let origin = find_origin(&lines, &mut errors);
    let mut states = vec![SizeState::default(); lines.len()];
    let mut prev: Syms = HashMap::new();
    let mut stable = false;
    for _ in 0..MAX_PASSES {
        let mut pass = Pass {
            lines: &lines,
            origin,
            strict: stable,
            prev: &prev,
            cur: prev.clone(),
            bytes: Vec::new(),
            map: Vec::new(),
            errors: Vec::new(),
            default_rel: false,
        };
        if let Err(fatal) = pass.run(&mut states) {
            errors.push(fatal);
            return Err(sorted(errors));
        }
        let changed = pass.cur != prev;
        if stable && !changed {
            errors.extend(pass.errors);
            if !errors.is_empty() {
                return Err(sorted(errors));
            }
            let symbols: BTreeMap<String, u64> = pass
                .cur
                .iter()
                .map(|(k, v)| (k.clone(), v.v as u64))
                .collect();
            return Ok(Assembled {
                origin,
                bytes: pass.bytes,
                lines: pass.map,
                symbols,
            });
        }
        stable = !changed;
        prev = pass.cur;
    }
    let line = lines
        .iter()
        .find_map(|l| l.stmt.as_ref().map(|s| s.line))
        .unwrap_or(1);
    errors.push(AsmError {
        line,
        column: 1,
        message: format!("label addresses did not settle after {MAX_PASSES} passes"),
    });
    Err(sorted(errors))
}

fn sorted(mut errors: Vec<AsmError>) -> Vec<AsmError> {
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    errors
}
