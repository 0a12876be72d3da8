//! Multi-pass layout driver: parses all lines, iterates passes until labels settle, emits bytes.

use super::expr::{EvalCtx, EvalErr, Expr, Val};
use super::matching::SizeState;
use super::parser::{Kind, Line, Stmt, parse_line};
use super::{AsmError, Assembled, DEFAULT_ORIGIN, LineMap, MAX_OUTPUT};
use std::collections::{BTreeMap, HashMap};

/// Passes allowed before giving up on label addresses settling.
const MAX_PASSES: usize = 40;

type Syms = HashMap<String, Val>;

pub(super) struct Pass<'a> {
    pub(super) lines: &'a [Line],
    pub(super) origin: u64,
    pub(super) strict: bool,
    pub(super) prev: &'a Syms,
    pub(super) cur: Syms,
    pub(super) bytes: Vec<u8>,
    pub(super) map: Vec<LineMap>,
    pub(super) errors: Vec<AsmError>,
    pub(super) default_rel: bool,
}

/// Error raised while evaluating: unknown symbols are only errors in the strict pass.
pub(super) enum Fail {
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
    pub(super) fn ctx(&self, here: u64) -> EvalCtx<'_> {
        EvalCtx {
            syms: &self.cur,
            here: here as i64,
            origin: self.origin as i64,
        }
    }

    pub(super) fn here(&self) -> u64 {
        self.origin.wrapping_add(self.bytes.len() as u64)
    }

    /// Evaluate; unknown symbols give `None` outside the strict pass.
    pub(super) fn eval(&self, e: &Expr, here: u64) -> Result<Option<Val>, Fail> {
        match e.eval(&self.ctx(here)) {
            Ok(v) => Ok(Some(v)),
            Err(EvalErr::Unknown(s, c)) if !self.strict => {
                let _ = (s, c);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) fn push_err(&mut self, line: u32, f: Fail) {
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

    pub(super) fn emit(&mut self, b: &[u8], line: u32, col: u32) -> Result<(), AsmError> {
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

    pub(super) fn define(&mut self, name: &str, v: Val) {
        self.cur.insert(name.to_string(), v);
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
