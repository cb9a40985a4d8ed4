//! Tokens of DynamoDB's expression languages, each with its byte span in the expression text
//! (syntax errors quote the text around the offending token, as AWS does).

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A bare word: an attribute name, a keyword (AND, SET...) or a function name.
    Ident(String),
    /// `#name`, an ExpressionAttributeNames key.
    NameRef(String),
    /// `:value`, an ExpressionAttributeValues key.
    ValueRef(String),
    /// Digits (list indexes only; expressions have no number literals).
    Int(String),
    /// Punctuation and comparators: = <> < <= > >= ( ) [ ] , . + -
    Punct(&'static str),
    /// Any other character; the parser reports it as a syntax error.
    Other(char),
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `text` into tokens; never fails (unknown characters become `Tok::Other`).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        let mut take_word = |end: &mut usize| {
            while let Some(&(i, d)) = chars.peek() {
                if !word_char(d) {
                    break;
                }
                *end = i + d.len_utf8();
                chars.next();
            }
        };
        let tok = match c {
            '#' | ':' => {
                take_word(&mut end);
                let word = text[start..end].to_owned();
                if c == '#' {
                    Tok::NameRef(word)
                } else {
                    Tok::ValueRef(word)
                }
            }
            c if c.is_ascii_digit() => {
                take_word(&mut end);
                let word = &text[start..end];
                if word.bytes().all(|b| b.is_ascii_digit()) {
                    Tok::Int(word.to_owned())
                } else {
                    Tok::Ident(word.to_owned())
                }
            }
            c if word_char(c) => {
                take_word(&mut end);
                Tok::Ident(text[start..end].to_owned())
            }
            '<' | '>' => {
                let two = match (c, chars.peek().map(|&(_, d)| d)) {
                    ('<', Some('=')) => Some("<="),
                    ('<', Some('>')) => Some("<>"),
                    ('>', Some('=')) => Some(">="),
                    _ => None,
                };
                match two {
                    Some(p) => {
                        chars.next();
                        end += 1;
                        Tok::Punct(p)
                    }
                    None if c == '<' => Tok::Punct("<"),
                    None => Tok::Punct(">"),
                }
            }
            '=' => Tok::Punct("="),
            '(' => Tok::Punct("("),
            ')' => Tok::Punct(")"),
            '[' => Tok::Punct("["),
            ']' => Tok::Punct("]"),
            ',' => Tok::Punct(","),
            '.' => Tok::Punct("."),
            '+' => Tok::Punct("+"),
            '-' => Tok::Punct("-"),
            other => Tok::Other(other),
        };
        out.push(Token { tok, start, end });
    }
    out
}
