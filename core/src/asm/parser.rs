//! Statement parser: labels, directives, prefixes, mnemonics and operands of one source line.

use super::AsmError;
use super::expr::{Expr, ExprParser, parse_register, qualify};
use super::lexer::{Tok, Token, tokenize};
use iced_x86::Register;

/// Memory operand as written: registers are resolved into base/index later (see `mem_regs`).
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

#[derive(Debug, Clone, PartialEq)]
pub enum DataItem {
    Expr(Expr, u32),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Insn {
        prefixes: Vec<(String, u32)>,
        mnemonic: String,
        mcol: u32,
        ops: Vec<Operand>,
    },
    /// `db/dw/dd/dq` with unit size in bytes.
    Data {
        unit: u32,
        items: Vec<DataItem>,
    },
    /// `resb/resw/resd/resq`: unit and count.
    Res {
        unit: u32,
        count: Expr,
    },
    /// `align N[, db X]`: alignment and optional fill byte (None = NOP in code).
    Align {
        n: Expr,
        fill: Option<Expr>,
    },
    Equ {
        name: String,
        value: Expr,
    },
    Org(Expr),
    DefaultRel(bool),
}

/// One parsed statement (at most one per source line).
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub line: u32,
    pub col: u32,
    pub kind: Kind,
    pub times: Option<Expr>,
    /// Source text of the statement (for error messages).
    pub text: String,
}

/// A parsed line: optional label definition and optional statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    pub label: Option<(String, u32)>,
    pub stmt: Option<Stmt>,
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

const PREFIXES: [&str; 8] = [
    "rep", "repe", "repz", "repne", "repnz", "lock", "o64", "a64",
];

struct P<'a> {
    toks: &'a [Token],
    pos: usize,
    scope: &'a str,
    line: u32,
    end_col: u32,
}

impl<'a> P<'a> {
    fn err(&self, col: u32, msg: impl Into<String>) -> AsmError {
        AsmError {
            line: self.line,
            column: col,
            message: msg.into(),
        }
    }
    fn col(&self) -> u32 {
        self.toks
            .get(self.pos)
            .map(|t| t.col)
            .unwrap_or(self.end_col)
    }
    fn ident(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some(Token {
                kind: Tok::Ident(s),
                ..
            }) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    }
    fn is_punct(&self, p: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Token { kind: Tok::Punct(q), .. }) if *q == p)
    }
    fn expr(&mut self, allow_regs: bool) -> Result<Expr, AsmError> {
        let mut ep = ExprParser::new(self.toks, self.pos, self.scope, allow_regs, self.end_col);
        let r = ep.parse().map_err(|(m, c)| self.err(c, m));
        self.pos = ep.pos;
        r
    }
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn expect_end(&self) -> Result<(), AsmError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(self.col(), "unexpected text after the statement"))
        }
    }
    fn expect_comma_or_end(&mut self) -> Result<bool, AsmError> {
        if self.at_end() {
            return Ok(false);
        }
        if self.is_punct(",") {
            self.pos += 1;
            return Ok(true);
        }
        Err(self.err(self.col(), "expected `,` or end of line"))
    }

    fn operand(&mut self) -> Result<Operand, AsmError> {
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

/// Parse one source line. `scope` is the last non-local label (updated when this line defines one).
/// On error, `out` still holds whatever label the line defined.
pub fn parse_line(
    text: &str,
    line: u32,
    scope: &mut String,
    out: &mut Line,
) -> Result<(), AsmError> {
    let toks = tokenize(text, line)?;
    let end_col = text.chars().count() as u32 + 1;
    if toks.is_empty() {
        return Ok(());
    }
    let scope_now = scope.clone();
    let mut p = P {
        toks: &toks,
        pos: 0,
        scope: &scope_now,
        line,
        end_col,
    };
    // Bracketed directives: [bits 64], [org x], [default rel]
    let bracketed = p.is_punct("[")
        && matches!(
            toks.last(),
            Some(Token {
                kind: Tok::Punct("]"),
                ..
            })
        );
    let toks_inner: Vec<Token>;
    if bracketed {
        toks_inner = toks[1..toks.len() - 1].to_vec();
        p = P {
            toks: &toks_inner,
            pos: 0,
            scope: &scope_now,
            line,
            end_col,
        };
    }
    let first = p.ident();
    let first_col = p.col();
    // Label: `name:` or `name` followed by a directive like equ/db/times.
    if let Some(name) = &first
        && !bracketed
    {
        let raw = match &toks[0].kind {
            Tok::Ident(s) => s.clone(),
            _ => String::new(),
        };
        let next_is_colon = matches!(
            toks.get(1),
            Some(Token {
                kind: Tok::Punct(":"),
                ..
            })
        );
        let next_ident = match toks.get(1) {
            Some(Token {
                kind: Tok::Ident(s),
                ..
            }) => Some(s.to_ascii_lowercase()),
            _ => None,
        };
        let next_is_decl = next_is_colon
            || matches!(
                next_ident.as_deref(),
                Some(
                    "equ" | "db" | "dw" | "dd" | "dq" | "resb" | "resw" | "resd" | "resq" | "times"
                )
            );
        if next_is_decl && (next_is_colon || !is_directive(name)) {
            if parse_register(name).is_some() {
                return Err(p.err(
                    first_col,
                    format!("`{raw}` is a register and cannot be a label"),
                ));
            }
            let full = qualify(&raw, &scope_now);
            p.pos = if next_is_colon { 2 } else { 1 };
            if next_ident.as_deref() == Some("equ") && !next_is_colon {
                p.pos += 1;
                let value = p.expr(false)?;
                p.expect_end()?;
                let text = text.trim().to_string();
                out.stmt = Some(Stmt {
                    line,
                    col: first_col,
                    kind: Kind::Equ { name: full, value },
                    times: None,
                    text,
                });
                return Ok(());
            }
            if !raw.starts_with('.') {
                *scope = raw.clone();
            }
            out.label = Some((full, first_col));
        }
    }
    if p.at_end() {
        return Ok(());
    }
    let stmt_col = p.col();
    let text_from: String = text.chars().skip(stmt_col as usize - 1).collect();
    let text_stmt = text_from.trim().to_string();
    let mut times = None;
    if p.ident().as_deref() == Some("times") {
        p.pos += 1;
        times = Some(p.expr(false)?);
    }
    let Some(word) = p.ident() else {
        return Err(p.err(p.col(), "expected an instruction or directive"));
    };
    let wcol = p.col();
    p.pos += 1;
    let kind = match word.as_str() {
        "db" | "dw" | "dd" | "dq" => {
            let unit = match word.as_str() {
                "db" => 1,
                "dw" => 2,
                "dd" => 4,
                _ => 8,
            };
            let mut items = Vec::new();
            loop {
                let col = p.col();
                if p.at_end() {
                    return Err(p.err(col, format!("`{word}` needs at least one value")));
                }
                let is_lone_str = matches!(
                    p.toks.get(p.pos),
                    Some(Token {
                        kind: Tok::Str(_),
                        ..
                    })
                ) && (p.pos + 1 >= p.toks.len()
                    || p.toks
                        .get(p.pos + 1)
                        .is_some_and(|t| t.kind == Tok::Punct(",")));
                if is_lone_str {
                    if let Some(Token {
                        kind: Tok::Str(b), ..
                    }) = p.toks.get(p.pos)
                    {
                        items.push(DataItem::Bytes(b.clone()));
                    }
                    p.pos += 1;
                } else {
                    items.push(DataItem::Expr(p.expr(false)?, col));
                }
                if !p.expect_comma_or_end()? {
                    break;
                }
            }
            Kind::Data { unit, items }
        }
        "resb" | "resw" | "resd" | "resq" => {
            let unit = match word.as_str() {
                "resb" => 1,
                "resw" => 2,
                "resd" => 4,
                _ => 8,
            };
            let count = p.expr(false)?;
            p.expect_end()?;
            Kind::Res { unit, count }
        }
        "align" => {
            let n = p.expr(false)?;
            let mut fill = None;
            if p.expect_comma_or_end()? {
                if p.ident().as_deref() != Some("db") {
                    return Err(p.err(p.col(), "only `align N, db X` fill is supported"));
                }
                p.pos += 1;
                fill = Some(p.expr(false)?);
                p.expect_end()?;
            }
            Kind::Align { n, fill }
        }
        "org" => {
            let e = p.expr(false)?;
            p.expect_end()?;
            Kind::Org(e)
        }
        "bits" | "use64" | "use32" | "use16" => {
            let n = if word == "bits" {
                match p.toks.get(p.pos) {
                    Some(Token {
                        kind: Tok::Num(n), ..
                    }) => *n,
                    _ => return Err(p.err(p.col(), "expected 16, 32 or 64 after `bits`")),
                }
            } else {
                word[3..].parse().unwrap_or(0)
            };
            if word == "bits" {
                p.pos += 1;
            }
            p.expect_end()?;
            if n != 64 {
                return Err(p.err(wcol, format!("only 64-bit code is supported (`bits {n}`)")));
            }
            return Ok(());
        }
        "default" => {
            let r = match p.ident().as_deref() {
                Some("rel") => true,
                Some("abs") => false,
                _ => return Err(p.err(p.col(), "expected `rel` or `abs` after `default`")),
            };
            p.pos += 1;
            p.expect_end()?;
            Kind::DefaultRel(r)
        }
        "section" | "segment" => {
            let name = match p.toks.get(p.pos) {
                Some(Token {
                    kind: Tok::Ident(s),
                    ..
                }) => s.clone(),
                _ => String::new(),
            };
            if name != ".text" {
                return Err(p.err(
                    wcol,
                    "only a single `.text` section is supported in flat output",
                ));
            }
            return Ok(());
        }
        "global" | "extern" | "cpu" => return Ok(()),
        "equ" => return Err(p.err(wcol, "`equ` needs a label in front of it")),
        _ => {
            let mut prefixes = Vec::new();
            let mut mnemonic = word;
            let mut mcol = wcol;
            while PREFIXES.contains(&mnemonic.as_str()) {
                prefixes.push((mnemonic.clone(), mcol));
                match p.ident() {
                    Some(next) => {
                        mcol = p.col();
                        mnemonic = next;
                        p.pos += 1;
                    }
                    None => {
                        return Err(p.err(
                            p.col(),
                            format!("expected an instruction after `{}`", prefixes[0].0),
                        ));
                    }
                }
            }
            let mut ops = Vec::new();
            if !p.at_end() {
                loop {
                    ops.push(p.operand()?);
                    if !p.expect_comma_or_end()? {
                        break;
                    }
                    if ops.len() >= 4 {
                        return Err(p.err(p.col(), "too many operands"));
                    }
                }
            }
            Kind::Insn {
                prefixes,
                mnemonic,
                mcol,
                ops,
            }
        }
    };
    p.expect_end()?;
    out.stmt = Some(Stmt {
        line,
        col: stmt_col,
        kind,
        times,
        text: text_stmt,
    });
    Ok(())
}

fn is_directive(s: &str) -> bool {
    matches!(
        s,
        "db" | "dw"
            | "dd"
            | "dq"
            | "resb"
            | "resw"
            | "resd"
            | "resq"
            | "times"
            | "equ"
            | "align"
            | "org"
            | "bits"
            | "default"
    )
}
