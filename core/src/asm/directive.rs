//! Directive parsing: db/dw/dd/dq, resb.., align, org, bits, default, section and friends.

use super::AsmError;
use super::lexer::{Tok, Token};
use super::parser::{DataItem, Kind, P};

/// Parse the directive `word` (already consumed). `Ok(None)`: not a directive;
/// `Ok(Some(None))`: a directive that produces no statement; `Ok(Some(Some(kind)))`: a statement.
pub(super) fn directive(
    p: &mut P<'_>,
    word: &str,
    wcol: u32,
) -> Result<Option<Option<Kind>>, AsmError> {
    let kind = match word {
        "db" | "dw" | "dd" | "dq" => {
            let unit = match word {
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
            let unit = match word {
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
            return Ok(Some(None));
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
            return Ok(Some(None));
        }
        "global" | "extern" | "cpu" => return Ok(Some(None)),
        "equ" => return Err(p.err(wcol, "`equ` needs a label in front of it")),
        _ => return Ok(None),
    };
    Ok(Some(Some(kind)))
}
