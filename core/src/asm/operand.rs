//! Operand parsing: registers, immediates and `[...]` memory operands split NASM-style.

use super::AsmError;
use super::expr::{Expr, parse_register};

use super::lexer::{Tok, Token};
use super::parser::P;
use iced_x86::Register;

/// Memory operand as written, with registers already split into base/index/scale.
#[derive(Debug, Clone, PartialEq)]
pub struct MemOp {
    /// Size in bytes from `byte/word/dword/qword/tword/oword` (None = unspecified).
    pub size: Option<u32>,
    pub seg: Register,
    pub base: Register,
    pub index: Register,
    pub scale: u32,
    pub disp: Option<Expr>,
    /// Some(true) for `rel`, Some(false) for `abs`, None = follow `default`.
    pub rel: Option<bool>,
    /// `[qword addr]`: NASM's 64-bit absolute address (moffs) request.
    pub addr64: bool,
    pub col: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JumpHint {
    Short,
    Near,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Reg(Register, u32),
    Mem(MemOp),
    /// Immediate or branch target; `size` from a size keyword; `strict` keyword; short/near hint.
    Imm {
        expr: Expr,
        size: Option<u32>,
        strict: bool,
        jump: Option<JumpHint>,
        col: u32,
    },
}

/// Size keyword -> bytes.
pub fn size_keyword(s: &str) -> Option<u32> {
    Some(match s.to_ascii_lowercase().as_str() {
        "byte" => 1,
        "word" => 2,
        "dword" => 4,
        "qword" => 8,
        "fword" => 6,
        "tword" => 10,
        "oword" | "xmmword" => 16,
        _ => return None,
    })
}

impl P<'_> {
    pub(super) fn operand(&mut self) -> Result<Operand, AsmError> {
        let col = self.col();
        let mut size = None;
        let mut strict = false;
        let mut jump = None;
        let mut seg = Register::None;
        while let Some(id) = self.ident() {
            if let Some(s) = size_keyword(&id) {
                size = Some(s);
            } else if id == "ptr" {
            } else if id == "strict" {
                strict = true;
            } else if id == "short" {
                jump = Some(JumpHint::Short);
            } else if id == "near" {
                jump = Some(JumpHint::Near);
            } else if id == "far" {
                return Err(self.err(self.col(), "far jumps and calls are not supported"));
            } else {
                break;
            }
            self.pos += 1;
        }
        // `fs:[rax]` style segment override in front of the bracket.
        if let Some(id) = self.ident()
            && let Some(r) = parse_register(&id)
            && r.is_segment_register()
            && matches!(
                self.toks.get(self.pos + 1),
                Some(Token {
                    kind: Tok::Punct(":"),
                    ..
                })
            )
        {
            seg = r;
            self.pos += 2;
        }
        if self.is_punct("[") {
            self.pos += 1;
            let mut m = self.mem_inner(col)?;
            if seg != Register::None {
                m.seg = seg;
            }
            if m.size.is_none() {
                m.size = size;
            }
            return Ok(Operand::Mem(m));
        }
        if seg != Register::None {
            return Err(self.err(self.col(), "expected `[` after segment override"));
        }
        if let Some(id) = self.ident()
            && let Some(r) = parse_register(&id)
        {
            let after = self.toks.get(self.pos + 1);
            let alone = after.is_none()
                || matches!(
                    after,
                    Some(Token {
                        kind: Tok::Punct(","),
                        ..
                    })
                );
            if alone {
                if size.is_some() {
                    return Err(self.err(col, "a size keyword cannot be applied to a register"));
                }
                if r == Register::RIP {
                    return Err(self.err(col, "`rip` can only be used as `[rel label]`"));
                }
                self.pos += 1;
                return Ok(Operand::Reg(r, col));
            }
        }
        let expr = self.expr(false)?;
        Ok(Operand::Imm {
            expr,
            size,
            strict,
            jump,
            col,
        })
    }

    fn mem_inner(&mut self, col: u32) -> Result<MemOp, AsmError> {
        let mut m = MemOp {
            size: None,
            seg: Register::None,
            base: Register::None,
            index: Register::None,
            scale: 1,
            disp: None,
            rel: None,
            addr64: false,
            col,
        };
        while let Some(id) = self.ident() {
            if let Some(s) = size_keyword(&id) {
                // Inside brackets a size is an address-size request (only qword is meaningful).
                m.addr64 = s == 8;
            } else if id == "rel" {
                m.rel = Some(true);
            } else if id == "abs" {
                m.rel = Some(false);
            } else if let Some(r) = parse_register(&id)
                && r.is_segment_register()
                && matches!(
                    self.toks.get(self.pos + 1),
                    Some(Token {
                        kind: Tok::Punct(":"),
                        ..
                    })
                )
            {
                m.seg = r;
                self.pos += 1;
            } else {
                break;
            }
            self.pos += 1;
        }
        let e = self.expr(true)?;
        if !self.is_punct("]") {
            return Err(self.err(self.col(), "expected `]`"));
        }
        self.pos += 1;
        split_address(e, &mut m).map_err(|(msg, c)| self.err(c, msg))?;
        Ok(m)
    }
}

/// Split `[expr]` into registers (base/index/scale, NASM-style) and a displacement expression.
fn split_address(e: Expr, m: &mut MemOp) -> Result<(), (String, u32)> {
    let mut regs: Vec<(Register, i64, u32)> = Vec::new();
    let mut rest: Vec<(bool, Expr)> = Vec::new();
    collect_terms(e, false, &mut regs, &mut rest)?;
    regs.retain(|(_, s, _)| *s != 0);
    let col = m.col;
    let bad = |msg: &str| Err((msg.to_string(), col));
    for (r, _, c) in &regs {
        let ok = r.is_gpr64() || r.is_gpr32() || *r == Register::RIP;
        if !ok {
            return Err((
                format!(
                    "register `{}` cannot be used in an address",
                    super::expr::reg_name(*r)
                ),
                *c,
            ));
        }
    }
    if regs.iter().any(|(r, ..)| *r == Register::RIP) {
        return bad("use `[rel label]` for RIP-relative addressing");
    }
    if regs.len() == 2 && regs[0].0.is_gpr64() != regs[1].0.is_gpr64() {
        return bad("cannot mix 32-bit and 64-bit registers in an address");
    }
    match regs.as_slice() {
        [] => {}
        [(r, s, _)] => match s {
            1 => m.base = *r,
            2 => {
                m.base = *r;
                m.index = *r;
            }
            3 | 5 | 9 => {
                m.base = *r;
                m.index = *r;
                m.scale = (*s - 1) as u32;
            }
            4 | 8 => {
                m.index = *r;
                m.scale = *s as u32;
            }
            _ => return bad("invalid scale factor (must be 1, 2, 4 or 8)"),
        },
        [(r1, s1, _), (r2, s2, _)] => {
            let (b, i, s) = match (*s1, *s2) {
                (1, 1) => (*r1, *r2, 1),
                (1, s) => (*r1, *r2, s),
                (s, 1) => (*r2, *r1, s),
                _ => return bad("invalid effective address: only one register may be scaled"),
            };
            if !matches!(s, 1 | 2 | 4 | 8) {
                return bad("invalid scale factor (must be 1, 2, 4 or 8)");
            }
            let (b, i) = if s == 1 && matches!(i, Register::RSP | Register::ESP) {
                (i, b)
            } else {
                (b, i)
            };
            if matches!(i, Register::RSP | Register::ESP) {
                return bad("`rsp` cannot be used as an index register");
            }
            m.base = b;
            m.index = i;
            m.scale = s as u32;
        }
        _ => return bad("invalid effective address: too many registers"),
    }
    if matches!(m.index, Register::RSP | Register::ESP) {
        return bad("`rsp` cannot be used as an index register");
    }
    let mut disp: Option<Expr> = None;
    for (neg, e) in rest {
        disp = Some(match (disp, neg) {
            (None, false) => e,
            (None, true) => Expr::Neg(Box::new(e)),
            (Some(d), false) => Expr::Bin(super::expr::BinOp::Add, Box::new(d), Box::new(e), col),
            (Some(d), true) => Expr::Bin(super::expr::BinOp::Sub, Box::new(d), Box::new(e), col),
        });
    }
    m.disp = disp;
    Ok(())
}

/// Walk +/- chains, pulling out `reg`, `reg*k`, `k*reg` terms. Constant scale factors must be plain numbers.
fn collect_terms(
    e: Expr,
    neg: bool,
    regs: &mut Vec<(Register, i64, u32)>,
    rest: &mut Vec<(bool, Expr)>,
) -> Result<(), (String, u32)> {
    use super::expr::BinOp;
    if !e.has_reg() {
        rest.push((neg, e));
        return Ok(());
    }
    match e {
        Expr::Reg(r, c) => {
            if neg {
                return Err(("a register cannot be subtracted".into(), c));
            }
            regs.push((r, 1, c));
            Ok(())
        }
        Expr::Bin(BinOp::Add, a, b, _) => {
            collect_terms(*a, neg, regs, rest)?;
            collect_terms(*b, neg, regs, rest)
        }
        Expr::Bin(BinOp::Sub, a, b, _) => {
            collect_terms(*a, neg, regs, rest)?;
            collect_terms(*b, !neg, regs, rest)
        }
        Expr::Bin(BinOp::Mul, a, b, c) => {
            let (r, k) = match (*a, *b) {
                (Expr::Reg(r, _), k) | (k, Expr::Reg(r, _)) => (r, k),
                _ => return Err(("invalid effective address".into(), c)),
            };
            let Some(k) = const_value(&k) else {
                return Err(("scale factor must be a constant".into(), c));
            };
            if neg {
                return Err(("a register cannot be subtracted".into(), c));
            }
            regs.push((r, k, c));
            Ok(())
        }
        other => {
            let c = match &other {
                Expr::Bin(_, _, _, c) => *c,
                _ => 0,
            };
            Err(("invalid effective address".into(), c.max(1)))
        }
    }
}

fn const_value(e: &Expr) -> Option<i64> {
    let syms = std::collections::HashMap::new();
    let ctx = super::expr::EvalCtx {
        syms: &syms,
        here: 0,
        origin: 0,
    };
    if e.uses_here() {
        return None;
    }
    e.eval(&ctx).ok().map(|v| v.v)
}
