//! Wildcard patterns (`*` any run, `?` one character) with policy variables, compiled once.
//!
//! A variable is resolved from the request context at match time and its value is compared
//! literally (a `*` in a tag value is not a wildcard). Matching allocates nothing.

use crate::context::{key_hash, Context};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Lit(Box<str>),
    Star,
    One,
    /// `${key}` or `${key, 'default'}`; the key is kept lowercased (key names are case-insensitive).
    Var {
        key: Box<str>,
        /// The key's hash, for the context lookup.
        hash: u64,
        default: Option<Box<str>>,
    },
}

/// A compiled pattern. `wildcards: false` makes `*` and `?` literal (StringEquals, ArnEquals
/// still allow them, StringEquals does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
    ignore_case: bool,
    /// The common shapes, answered without the general matcher.
    fast: Fast,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Fast {
    Literal(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Any,
    General,
}

impl Fast {
    fn of(tokens: &[Token], ignore_case: bool) -> Fast {
        match tokens {
            [Token::Star] => Fast::Any,
            _ if ignore_case => Fast::General,
            [] => Fast::Literal("".into()),
            [Token::Lit(l)] => Fast::Literal(l.clone()),
            [Token::Lit(l), Token::Star] => Fast::Prefix(l.clone()),
            [Token::Star, Token::Lit(l)] => Fast::Suffix(l.clone()),
            _ => Fast::General,
        }
    }
}

/// Upper bound of tokens resolved on the stack; longer patterns fall back to the heap.
const INLINE: usize = 16;

#[derive(Clone, Copy)]
enum Seg<'a> {
    Lit(&'a str),
    Star,
    One,
}

impl Pattern {
    /// Compiles `text`. `wildcards` enables `*`/`?`; `variables` enables `${...}`.
    pub(crate) fn new(text: &str, wildcards: bool, variables: bool, ignore_case: bool) -> Pattern {
        Pattern::from_tokens(tokenize(text, wildcards, variables), ignore_case)
    }

    pub(crate) fn from_tokens(tokens: Vec<Token>, ignore_case: bool) -> Pattern {
        Pattern {
            fast: Fast::of(&tokens, ignore_case),
            tokens,
            ignore_case,
        }
    }

    /// The literal text when the pattern has no wildcard and no variable.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self.tokens.as_slice() {
            [] => Some(""),
            [Token::Lit(s)] => Some(s),
            _ => None,
        }
    }

    /// Matches `text`. `None` when a variable has no value and no default: AWS then treats the
    /// comparison as not matching (and its negation as matching).
    pub(crate) fn matches(&self, text: &str, ctx: &Context) -> Option<bool> {
        match &self.fast {
            Fast::Literal(l) => return Some(**l == *text),
            Fast::Prefix(p) => return Some(text.starts_with(&**p)),
            Fast::Suffix(p) => return Some(text.ends_with(&**p)),
            Fast::Any => return Some(true),
            Fast::General => {}
        }
        if let Some(lit) = self.literal() {
            return Some(eq_str(lit, text, self.ignore_case));
        }
        if self.tokens.len() <= INLINE {
            let mut segs = [Seg::Star; INLINE];
            for (slot, tok) in segs.iter_mut().zip(&self.tokens) {
                *slot = resolve(tok, ctx)?;
            }
            Some(glob_any(&segs[..self.tokens.len()], text, self.ignore_case))
        } else {
            let segs = self
                .tokens
                .iter()
                .map(|t| resolve(t, ctx))
                .collect::<Option<Vec<_>>>()?;
            Some(glob_any(&segs, text, self.ignore_case))
        }
    }
}

/// Bytes when everything is ASCII and case matters (the usual case), characters otherwise.
fn glob_any(segs: &[Seg<'_>], text: &str, ignore_case: bool) -> bool {
    let ascii = text.is_ascii()
        && segs.iter().all(|s| match s {
            Seg::Lit(l) => l.is_ascii(),
            _ => true,
        });
    if ascii && !ignore_case {
        glob_bytes(segs, text.as_bytes())
    } else {
        glob(segs, text, ignore_case)
    }
}

fn resolve<'a>(tok: &'a Token, ctx: &'a Context) -> Option<Seg<'a>> {
    Some(match tok {
        Token::Lit(s) => Seg::Lit(s),
        Token::Star => Seg::Star,
        Token::One => Seg::One,
        Token::Var { key, hash, default } => match ctx.single_hashed(*hash, key) {
            Some(v) => Seg::Lit(v),
            None => Seg::Lit(default.as_deref()?),
        },
    })
}

fn eq_str(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    } else {
        a == b
    }
}

fn eq_char(a: char, b: char, ignore_case: bool) -> bool {
    a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
}

/// A position in the pattern: segment index and byte offset inside a literal segment.
#[derive(Clone, Copy)]
struct Pos {
    seg: usize,
    off: usize,
}

enum Unit {
    Char(char),
    Star,
    One,
    End,
}

fn unit_at(segs: &[Seg<'_>], mut p: Pos) -> (Unit, Pos) {
    loop {
        let Some(seg) = segs.get(p.seg) else {
            return (Unit::End, p);
        };
        match seg {
            Seg::Star => {
                return (
                    Unit::Star,
                    Pos {
                        seg: p.seg + 1,
                        off: 0,
                    },
                )
            }
            Seg::One => {
                return (
                    Unit::One,
                    Pos {
                        seg: p.seg + 1,
                        off: 0,
                    },
                )
            }
            Seg::Lit(s) => match s[p.off..].chars().next() {
                Some(c) => {
                    return (
                        Unit::Char(c),
                        Pos {
                            seg: p.seg,
                            off: p.off + c.len_utf8(),
                        },
                    )
                }
                None => {
                    p = Pos {
                        seg: p.seg + 1,
                        off: 0,
                    }
                }
            },
        }
    }
}

/// Iterative wildcard matching with backtracking to the last `*` (linear in practice).
fn glob(segs: &[Seg<'_>], text: &str, ignore_case: bool) -> bool {
    let mut p = Pos { seg: 0, off: 0 };
    let mut t = 0usize;
    let mut backtrack: Option<(Pos, usize)> = None;
    loop {
        let next_char = text[t..].chars().next();
        let (unit, after) = unit_at(segs, p);
        match (unit, next_char) {
            (Unit::Star, _) => {
                backtrack = Some((after, t));
                p = after;
                continue;
            }
            (Unit::Char(pc), Some(tc)) if eq_char(pc, tc, ignore_case) => {
                p = after;
                t += tc.len_utf8();
                continue;
            }
            (Unit::One, Some(tc)) => {
                p = after;
                t += tc.len_utf8();
                continue;
            }
            (Unit::End, None) => return true,
            _ => {}
        }
        // Mismatch: let the last star swallow one more character, if there is one.
        match backtrack {
            Some((star_after, star_t)) => match text[star_t..].chars().next() {
                Some(c) => {
                    let nt = star_t + c.len_utf8();
                    backtrack = Some((star_after, nt));
                    p = star_after;
                    t = nt;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

enum ByteUnit {
    Byte(u8),
    Star,
    One,
    End,
}

/// The same matcher over bytes, for ASCII patterns (variables resolved) and ASCII texts.
fn glob_bytes(tokens: &[Seg<'_>], text: &[u8]) -> bool {
    // A position is (token index, byte offset inside a literal token).
    let unit = |mut tok: usize, mut off: usize| -> (ByteUnit, usize, usize) {
        loop {
            match tokens.get(tok) {
                None => return (ByteUnit::End, tok, 0),
                Some(Seg::Star) => return (ByteUnit::Star, tok + 1, 0),
                Some(Seg::One) => return (ByteUnit::One, tok + 1, 0),
                Some(Seg::Lit(l)) => match l.as_bytes().get(off) {
                    Some(&b) => return (ByteUnit::Byte(b), tok, off + 1),
                    None => {
                        tok += 1;
                        off = 0;
                    }
                },
            }
        }
    };
    let (mut tok, mut off, mut t) = (0usize, 0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let (u, ntok, noff) = unit(tok, off);
        match (u, text.get(t)) {
            (ByteUnit::Star, _) => {
                // A trailing star matches whatever is left.
                if ntok >= tokens.len() {
                    return true;
                }
                backtrack = Some((ntok, t));
                (tok, off) = (ntok, 0);
                continue;
            }
            (ByteUnit::Byte(b), Some(&c)) if b == c => {
                (tok, off, t) = (ntok, noff, t + 1);
                continue;
            }
            (ByteUnit::One, Some(_)) => {
                (tok, off, t) = (ntok, noff, t + 1);
                continue;
            }
            (ByteUnit::End, None) => return true,
            _ => {}
        }
        // Mismatch: let the last star swallow one more byte, if there is one.
        match backtrack {
            Some((btok, bt)) if bt < text.len() => {
                backtrack = Some((btok, bt + 1));
                (tok, off, t) = (btok, 0, bt + 1);
            }
            _ => return false,
        }
    }
}

/// Splits a pattern's text into tokens. `${*}`, `${?}`, `${$}` are the literal characters.
/// A `${` without its closing brace is literal text.
pub(crate) fn tokenize(text: &str, wildcards: bool, variables: bool) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => lit.push_str(inner),
                    _ => {
                        flush(&mut tokens, &mut lit);
                        tokens.push(parse_variable(inner));
                    }
                }
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '*' if wildcards => {
                flush(&mut tokens, &mut lit);
                // Consecutive stars are one star.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if wildcards => {
                flush(&mut tokens, &mut lit);
                tokens.push(Token::One);
            }
            _ => lit.push(c),
        }
    }
    flush(&mut tokens, &mut lit);
    tokens
}

fn flush(tokens: &mut Vec<Token>, lit: &mut String) {
    if !lit.is_empty() {
        tokens.push(Token::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

/// `key` or `key, 'default'` (AWS writes a comma and a space; we accept any spacing).
fn parse_variable(inner: &str) -> Token {
    let var = |key: &str, default: Option<&str>| {
        let key = key.trim().to_lowercase();
        Token::Var {
            hash: key_hash(&key),
            key: key.into_boxed_str(),
            default: default.map(Into::into),
        }
    };
    if let Some((key, rest)) = inner.split_once(',') {
        let rest = rest.trim();
        if rest.len() >= 2 && rest.starts_with('\'') && rest.ends_with('\'') {
            return var(key, Some(&rest[1..rest.len() - 1]));
        }
    }
    var(inner, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Pattern::new(pattern, true, true, false)
            .matches(text, &Context::new())
            .unwrap_or(false)
    }

    #[test]
    fn wildcards() {
        let cases = [
            ("*", "", true),
            ("*", "abc", true),
            ("a*c", "abc", true),
            ("a*c", "ac", true),
            ("a*c", "abd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*/test/*", "1///test///object.jpg", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("abc", "ABC", false),
            ("é*", "éà", true),
            ("??", "éà", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn ignore_case() {
        let p = Pattern::new("iam:*AccessKey*", true, false, true);
        assert_eq!(p.matches("IAM:listaccesskeys", &Context::new()), Some(true));
    }

    #[test]
    fn variables() {
        let mut ctx = Context::new();
        ctx.insert("aws:username", "bob*");
        let p = Pattern::new("home/${aws:UserName}/*", true, true, false);
        assert_eq!(p.matches("home/bob*/x", &ctx), Some(true));
        // The value is literal: its `*` is not a wildcard.
        assert_eq!(p.matches("home/bobby/x", &ctx), Some(false));
        let missing = Pattern::new("${aws:PrincipalTag/team}", true, true, false);
        assert_eq!(missing.matches("x", &ctx), None);
        let with_default = Pattern::new("${aws:PrincipalTag/team, 'none'}", true, true, false);
        assert_eq!(with_default.matches("none", &ctx), Some(true));
        let specials = Pattern::new("a${*}b${?}c${$}", true, true, false);
        assert_eq!(specials.matches("a*b?c$", &ctx), Some(true));
        assert_eq!(specials.matches("aXbYc$", &ctx), Some(false));
        let off = Pattern::new("${aws:username}", true, false, false);
        assert_eq!(off.matches("${aws:username}", &ctx), Some(true));
    }
}
