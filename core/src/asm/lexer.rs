//! Line tokenizer for the NASM-syntax assembler: identifiers, numbers, strings, punctuation.

use super::AsmError;

/// One token with its 1-based column in the source line.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Tok,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Identifier or keyword (case preserved).
    Ident(String),
    Num(u64),
    /// String literal contents (escapes already processed for backquote strings).
    Str(Vec<u8>),
    /// `$`
    Here,
    /// `$$`
    SectStart,
    /// Punctuation / operator: one of , : [ ] ( ) + - * / % ~ & | ^ << >> // %%
    Punct(&'static str),
}

/// Maximum number of tokens accepted on one line (bounds work on hostile input).
const MAX_TOKENS: usize = 4096;

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | '.' | '?' | '@')
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '?' | '@' | '$' | '#' | '~')
}

/// Tokenize one source line (without its newline). Stops at a `;` comment.
pub fn tokenize(line: &str, line_no: u32) -> Result<Vec<Token>, AsmError> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0usize;
    let err = |col: usize, msg: String| AsmError {
        line: line_no,
        column: col as u32 + 1,
        message: msg,
    };
    while i < chars.len() {
        if toks.len() >= MAX_TOKENS {
            return Err(err(i, "line is too long".into()));
        }
        let c = chars[i];
        let col = (i + 1) as u32;
        if c == ';' {
            break;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '$' {
            if i + 1 < chars.len() && chars[i + 1] == '$' {
                toks.push(Token {
                    kind: Tok::SectStart,
                    col,
                });
                i += 2;
            } else if i + 1 < chars.len()
                && (is_ident_start(chars[i + 1]) || chars[i + 1].is_ascii_digit())
            {
                // `$name` escapes an identifier that would otherwise be a keyword/register.
                let start = i + 1;
                i += 1;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                toks.push(Token {
                    kind: Tok::Ident(s),
                    col,
                });
            } else {
                toks.push(Token {
                    kind: Tok::Here,
                    col,
                });
                i += 1;
            }
            continue;
        }
        if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            toks.push(Token {
                kind: Tok::Ident(s),
                col,
            });
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let v = parse_number(&s).map_err(|m| err(start, m))?;
            toks.push(Token {
                kind: Tok::Num(v),
                col,
            });
            continue;
        }
        if c == '\'' || c == '"' || c == '`' {
            let (bytes, next) = lex_string(&chars, i).map_err(|(p, m)| err(p, m))?;
            toks.push(Token {
                kind: Tok::Str(bytes),
                col,
            });
            i = next;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let p: &'static str = match two.as_str() {
            "<<" => "<<",
            ">>" => ">>",
            "//" => "//",
            "%%" => "%%",
            _ => match c {
                ',' => ",",
                ':' => ":",
                '[' => "[",
                ']' => "]",
                '(' => "(",
                ')' => ")",
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '%' => "%",
                '~' => "~",
                '&' => "&",
                '|' => "|",
                '^' => "^",
                _ => return Err(err(i, format!("unexpected character `{c}`"))),
            },
        };
        i += p.len();
        toks.push(Token {
            kind: Tok::Punct(p),
            col,
        });
    }
    Ok(toks)
}

/// Parse a NASM numeric literal: decimal, 0x/0h/0b/0o/0d/0q prefixes, h/x/b/o/q/d/t suffixes.
pub fn parse_number(raw: &str) -> Result<u64, String> {
    let s: String = raw
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let bad = || format!("invalid number `{raw}`");
    let mut forms: Vec<(&str, u32)> = Vec::new();
    for (p, r) in [
        ("0x", 16),
        ("0h", 16),
        ("0b", 2),
        ("0y", 2),
        ("0o", 8),
        ("0q", 8),
        ("0d", 10),
        ("0t", 10),
    ] {
        if let Some(d) = s.strip_prefix(p) {
            forms.push((d, r));
        }
    }
    if s.bytes().all(|c| c.is_ascii_digit()) {
        forms.push((s.as_str(), 10));
    }
    for (x, r) in [
        ('h', 16),
        ('x', 16),
        ('b', 2),
        ('y', 2),
        ('o', 8),
        ('q', 8),
        ('d', 10),
        ('t', 10),
    ] {
        if let Some(d) = s.strip_suffix(x) {
            forms.push((d, r));
        }
    }
    let mut overflow = false;
    for (digits, radix) in forms {
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            continue;
        }
        let mut v: u64 = 0;
        let mut ok = true;
        for ch in digits.chars() {
            let d = ch.to_digit(radix).unwrap_or(0) as u64;
            match v.checked_mul(radix as u64).and_then(|v| v.checked_add(d)) {
                Some(n) => v = n,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok(v);
        }
        overflow = true;
    }
    if overflow {
        return Err(format!("number `{raw}` does not fit in 64 bits"));
    }
    Err(bad())
}

/// Lex a quoted string starting at `chars[start]`; returns bytes and the index after the closing quote.
fn lex_string(chars: &[char], start: usize) -> Result<(Vec<u8>, usize), (usize, String)> {
    let q = chars[start];
    let mut i = start + 1;
    let mut out = Vec::new();
    let push_char = |out: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    while i < chars.len() {
        let c = chars[i];
        if c == q {
            return Ok((out, i + 1));
        }
        if q == '`' && c == '\\' {
            i += 1;
            let Some(&e) = chars.get(i) else { break };
            i += 1;
            match e {
                'n' => out.push(b'\n'),
                't' => out.push(b'\t'),
                'r' => out.push(b'\r'),
                'a' => out.push(7),
                'b' => out.push(8),
                'f' => out.push(12),
                'v' => out.push(11),
                'e' => out.push(27),
                '\\' | '\'' | '"' | '`' | '?' => push_char(&mut out, e),
                'x' => {
                    let mut v = 0u32;
                    let mut n = 0;
                    while n < 2 && i < chars.len() && chars[i].is_ascii_hexdigit() {
                        v = v * 16 + chars[i].to_digit(16).unwrap_or(0);
                        i += 1;
                        n += 1;
                    }
                    out.push(v as u8);
                }
                'u' | 'U' => {
                    let want = if e == 'u' { 4 } else { 8 };
                    let mut v = 0u32;
                    let mut n = 0;
                    while n < want && i < chars.len() && chars[i].is_ascii_hexdigit() {
                        v = v
                            .wrapping_mul(16)
                            .wrapping_add(chars[i].to_digit(16).unwrap_or(0));
                        i += 1;
                        n += 1;
                    }
                    let ch = char::from_u32(v)
                        .ok_or((i, format!("invalid unicode escape \\{e}{v:x}")))?;
                    push_char(&mut out, ch);
                }
                '0'..='7' => {
                    let mut v = e.to_digit(8).unwrap_or(0);
                    let mut n = 1;
                    while n < 3 && i < chars.len() && chars[i].is_digit(8) {
                        v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                        i += 1;
                        n += 1;
                    }
                    out.push(v as u8);
                }
                other => push_char(&mut out, other),
            }
            continue;
        }
        push_char(&mut out, c);
        i += 1;
    }
    Err((start, "unterminated string".into()))
}
