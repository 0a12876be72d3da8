//! Integer expressions: parsing from tokens (with register atoms for addresses) and evaluation.

use super::lexer::{Tok, Token};
use iced_x86::Register;
use std::collections::HashMap;

/// Maximum nesting depth of parentheses / unary operators (guards the recursion).
const MAX_DEPTH: u32 = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(i64),
    /// Fully qualified symbol name (local labels already prefixed), with its column.
    Sym(String, u32),
    Here,
    SectStart,
    /// A register; only legal inside a memory operand.
    Reg(Register, u32),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>, u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Mod,
    SMod,
    Shl,
    Shr,
    And,
    Or,
    Xor,
}

/// A value with a relocation count: labels and `$` count +1, so `a-b` of two labels is absolute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Val {
    pub v: i64,
    pub reloc: i32,
}

/// Symbol values known so far plus the current location.
pub struct EvalCtx<'a> {
    pub syms: &'a HashMap<String, Val>,
    pub here: i64,
    pub origin: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EvalErr {
    /// Symbol not (yet) defined: name and column.
    Unknown(String, u32),
    /// A hard error with column.
    Bad(String, u32),
}

impl Expr {
    pub fn eval(&self, ctx: &EvalCtx) -> Result<Val, EvalErr> {
        Ok(match self {
            Expr::Num(n) => Val { v: *n, reloc: 0 },
            Expr::Here => Val {
                v: ctx.here,
                reloc: 1,
            },
            Expr::SectStart => Val {
                v: ctx.origin,
                reloc: 1,
            },
            Expr::Sym(s, c) => *ctx
                .syms
                .get(s)
                .ok_or_else(|| EvalErr::Unknown(s.clone(), *c))?,
            Expr::Reg(r, c) => {
                return Err(EvalErr::Bad(
                    format!("register `{}` is not allowed here", reg_name(*r)),
                    *c,
                ));
            }
            Expr::Neg(e) => {
                let a = e.eval(ctx)?;
                Val {
                    v: a.v.wrapping_neg(),
                    reloc: -a.reloc,
                }
            }
            Expr::Not(e) => Val {
                v: !e.eval(ctx)?.v,
                reloc: 0,
            },
            Expr::Bin(op, a, b, col) => {
                let x = a.eval(ctx)?;
                let y = b.eval(ctx)?;
                let (v, reloc) = match op {
                    BinOp::Add => (x.v.wrapping_add(y.v), x.reloc + y.reloc),
                    BinOp::Sub => (x.v.wrapping_sub(y.v), x.reloc - y.reloc),
                    BinOp::Mul => (x.v.wrapping_mul(y.v), 0),
                    BinOp::Div | BinOp::Mod | BinOp::SDiv | BinOp::SMod => {
                        if y.v == 0 {
                            return Err(EvalErr::Bad("division by zero".into(), *col));
                        }
                        let v = match op {
                            BinOp::Div => ((x.v as u64) / (y.v as u64)) as i64,
                            BinOp::Mod => ((x.v as u64) % (y.v as u64)) as i64,
                            BinOp::SDiv => x.v.wrapping_div(y.v),
                            _ => x.v.wrapping_rem(y.v),
                        };
                        (v, 0)
                    }
                    BinOp::Shl => (if (y.v as u64) >= 64 { 0 } else { x.v << y.v }, 0),
                    BinOp::Shr => (
                        if (y.v as u64) >= 64 {
                            0
                        } else {
                            ((x.v as u64) >> y.v) as i64
                        },
                        0,
                    ),
                    BinOp::And => (x.v & y.v, 0),
                    BinOp::Or => (x.v | y.v, 0),
                    BinOp::Xor => (x.v ^ y.v, 0),
                };
                Val { v, reloc }
            }
        })
    }

    /// True when the expression mentions `$` or `$$` (its value depends on position).
    pub fn uses_here(&self) -> bool {
        match self {
            Expr::Here | Expr::SectStart => true,
            Expr::Neg(e) | Expr::Not(e) => e.uses_here(),
            Expr::Bin(_, a, b, _) => a.uses_here() || b.uses_here(),
            _ => false,
        }
    }

    /// True when the expression mentions any register.
    pub fn has_reg(&self) -> bool {
        match self {
            Expr::Reg(..) => true,
            Expr::Neg(e) | Expr::Not(e) => e.has_reg(),
            Expr::Bin(_, a, b, _) => a.has_reg() || b.has_reg(),
            _ => false,
        }
    }
}

/// Lowercase NASM-style register name.
pub fn reg_name(r: Register) -> String {
    format!("{r:?}").to_ascii_lowercase()
}

/// Recursive-descent expression parser over a token slice.
pub struct ExprParser<'a> {
    pub toks: &'a [Token],
    pub pos: usize,
    /// Scope for local labels (`.x` becomes `scope.x`).
    pub scope: &'a str,
    /// Allow registers as atoms (inside `[...]`).
    pub allow_regs: bool,
    pub end_col: u32,
    depth: u32,
}

type PResult<T> = Result<T, (String, u32)>;

impl<'a> ExprParser<'a> {
    pub fn new(
        toks: &'a [Token],
        pos: usize,
        scope: &'a str,
        allow_regs: bool,
        end_col: u32,
    ) -> Self {
        ExprParser {
            toks,
            pos,
            scope,
            allow_regs,
            end_col,
            depth: 0,
        }
    }

    fn peek_punct(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Token {
                kind: Tok::Punct(p),
                ..
            }) => Some(p),
            _ => None,
        }
    }

    fn col(&self) -> u32 {
        self.toks
            .get(self.pos)
            .map(|t| t.col)
            .unwrap_or(self.end_col)
    }

    pub fn parse(&mut self) -> PResult<Expr> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> PResult<Expr> {
        const LEVELS: [&[(&str, BinOp)]; 6] = [
            &[("|", BinOp::Or)],
            &[("^", BinOp::Xor)],
            &[("&", BinOp::And)],
            &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[
                ("*", BinOp::Mul),
                ("/", BinOp::Div),
                ("//", BinOp::SDiv),
                ("%", BinOp::Mod),
                ("%%", BinOp::SMod),
            ],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(p) = self.peek_punct() {
            let Some(&(_, op)) = LEVELS[level].iter().find(|(s, _)| *s == p) else {
                break;
            };
            let col = self.col();
            self.pos += 1;
            let rhs = self.binary(level + 1)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs), col);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(("expression is nested too deeply".into(), self.col()));
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> PResult<Expr> {
        let col = self.col();
        let Some(t) = self.toks.get(self.pos) else {
            return Err(("expected an expression".into(), col));
        };
        self.pos += 1;
        match &t.kind {
            Tok::Punct("-") => Ok(Expr::Neg(Box::new(self.unary()?))),
            Tok::Punct("+") => self.unary(),
            Tok::Punct("~") => Ok(Expr::Not(Box::new(self.unary()?))),
            Tok::Punct("(") => {
                let e = self.binary(0)?;
                if self.peek_punct() != Some(")") {
                    return Err(("expected `)`".into(), self.col()));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::Num(n) => Ok(Expr::Num(*n as i64)),
            Tok::Here => Ok(Expr::Here),
            Tok::SectStart => Ok(Expr::SectStart),
            Tok::Str(b) => {
                if b.len() > 8 {
                    return Err(("character constant is longer than 8 bytes".into(), col));
                }
                let mut v: u64 = 0;
                for (i, &byte) in b.iter().enumerate() {
                    v |= (byte as u64) << (8 * i);
                }
                Ok(Expr::Num(v as i64))
            }
            Tok::Ident(name) => {
                if let Some(r) = parse_register(name) {
                    if self.allow_regs {
                        return Ok(Expr::Reg(r, col));
                    }
                    return Err((format!("register `{name}` is not allowed here"), col));
                }
                Ok(Expr::Sym(qualify(name, self.scope), col))
            }
            Tok::Punct(p) => Err((format!("unexpected `{p}` in expression"), col)),
        }
    }
}

/// Qualify a local label (`.x`) with its scope; other names unchanged.
pub fn qualify(name: &str, scope: &str) -> String {
    if name.starts_with('.') && !name.starts_with("..") {
        format!("{scope}{name}")
    } else {
        name.to_string()
    }
}

/// Recognize a general-purpose, segment, control, debug register or `rip` by NASM name.
pub fn parse_register(name: &str) -> Option<Register> {
    let n = name.to_ascii_lowercase();
    const GPR64: [&str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
    const GPR32: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    const GPR16: [&str; 8] = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
    const GPR8: [&str; 8] = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
    const HI8: [&str; 4] = ["ah", "ch", "dh", "bh"];
    const SEG: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];
    let add = |base: Register, i: usize| -> Option<Register> {
        Register::values().nth(base as usize + i)
    };
    if let Some(i) = GPR64.iter().position(|&s| s == n) {
        return add(Register::RAX, i);
    }
    if let Some(i) = GPR32.iter().position(|&s| s == n) {
        return add(Register::EAX, i);
    }
    if let Some(i) = GPR16.iter().position(|&s| s == n) {
        return add(Register::AX, i);
    }
    if let Some(i) = HI8.iter().position(|&s| s == n) {
        return add(Register::AH, i);
    }
    if let Some(i) = GPR8.iter().position(|&s| s == n) {
        return add(
            if i < 4 { Register::AL } else { Register::SPL },
            if i < 4 { i } else { i - 4 },
        );
    }
    if let Some(i) = SEG.iter().position(|&s| s == n) {
        return add(Register::ES, i);
    }
    if n == "rip" {
        return Some(Register::RIP);
    }
    // r8..r15 with d/w/b suffixes (also NASM's r8l alias for r8b).
    if let Some(rest) = n.strip_prefix('r') {
        let (num, suf) = rest.split_at(
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len()),
        );
        if let Ok(k) = num.parse::<usize>()
            && (8..=15).contains(&k)
            && !num.starts_with('0')
        {
            let base = match suf {
                "d" => Register::R8D,
                "w" => Register::R8W,
                "b" | "l" => Register::R8L,
                _ => return None,
            };
            return add(base, k - 8);
        }
    }
    for (prefix, base, max) in [("cr", Register::CR0, 15usize), ("dr", Register::DR0, 15)] {
        if let Some(num) = n.strip_prefix(prefix)
            && let Ok(k) = num.parse::<usize>()
            && k <= max
            && num.len() <= 2
            && (num == "0" || !num.starts_with('0'))
        {
            return add(base, k);
        }
    }
    None
}
