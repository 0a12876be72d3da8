//! Statement parser: labels, directives, prefixes, mnemonics and operands of one source line.

use super::AsmError;
use super::directive::directive;
use super::expr::{Expr, ExprParser, parse_register, qualify};
use super::lexer::{Tok, Token, tokenize};
use super::operand::Operand;

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

const PREFIXES: [&str; 8] = [
    "rep", "repe", "repz", "repne", "repnz", "lock", "o64", "a64",
];

pub(super) struct P<'a> {
    pub(super) toks: &'a [Token],
    pub(super) pos: usize,
    pub(super) scope: &'a str,
    pub(super) line: u32,
    pub(super) end_col: u32,
}

impl<'a> P<'a> {
    pub(super) fn err(&self, col: u32, msg: impl Into<String>) -> AsmError {
        AsmError {
            line: self.line,
            column: col,
            message: msg.into(),
        }
    }
    pub(super) fn col(&self) -> u32 {
        self.toks
            .get(self.pos)
            .map(|t| t.col)
            .unwrap_or(self.end_col)
    }
    pub(super) fn ident(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some(Token {
                kind: Tok::Ident(s),
                ..
            }) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    }
    pub(super) fn is_punct(&self, p: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Token { kind: Tok::Punct(q), .. }) if *q == p)
    }
    pub(super) fn expr(&mut self, allow_regs: bool) -> Result<Expr, AsmError> {
        let mut ep = ExprParser::new(self.toks, self.pos, self.scope, allow_regs, self.end_col);
        let r = ep.parse().map_err(|(m, c)| self.err(c, m));
        self.pos = ep.pos;
        r
    }
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    pub(super) fn expect_end(&self) -> Result<(), AsmError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(self.col(), "unexpected text after the statement"))
        }
    }
    pub(super) fn expect_comma_or_end(&mut self) -> Result<bool, AsmError> {
        if self.at_end() {
            return Ok(false);
        }
        if self.is_punct(",") {
            self.pos += 1;
            return Ok(true);
        }
        Err(self.err(self.col(), "expected `,` or end of line"))
    }
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
    let kind = match directive(&mut p, &word, wcol)? {
        Some(Some(kind)) => kind,
        Some(None) => return Ok(()),
        None => {
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
