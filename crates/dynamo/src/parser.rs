//! The parts shared by all expression parsers: the token cursor, document paths, operands and
//! function calls, AWS's syntax-error text, and the order in which AWS reports the other
//! errors of an expression that parsed (reserved word, unknown function, repeated section,
//! undefined name, undefined value, then the rest).

use crate::lexer::{tokenize, Tok, Token};
use crate::path::{Path, PathElement};
use crate::reserved::is_reserved;
use crate::{Error, Substitutions, Value};

/// An operand of a comparison, function or SET action.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Path(Path),
    Value(Value),
    /// size(path)
    Size(Path),
    /// if_not_exists(path, operand), UpdateExpression only.
    IfNotExists(Path, Box<Operand>),
    /// list_append(operand, operand), UpdateExpression only.
    ListAppend(Box<Operand>, Box<Operand>),
    /// operand + operand / operand - operand, UpdateExpression SET only.
    Plus(Box<Operand>, Box<Operand>),
    Minus(Box<Operand>, Box<Operand>),
}

impl Operand {
    /// Top-level attribute names this operand reads.
    pub(crate) fn names(&self, out: &mut Vec<String>) {
        match self {
            Operand::Path(p) | Operand::Size(p) => push_name(out, p.top()),
            Operand::Value(_) => {}
            Operand::IfNotExists(p, o) => {
                push_name(out, p.top());
                o.names(out);
            }
            Operand::ListAppend(a, b) | Operand::Plus(a, b) | Operand::Minus(a, b) => {
                a.names(out);
                b.names(out);
            }
        }
    }
}

pub(crate) fn push_name(out: &mut Vec<String>, name: &str) {
    if !out.iter().any(|n| n == name) {
        out.push(name.to_owned());
    }
}

/// The functions DynamoDB's expressions know.
const FUNCTIONS: [&str; 8] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "if_not_exists",
    "list_append",
];

/// Semantic errors found while parsing, kept (first of each kind) until the whole text has
/// parsed, because AWS reports a syntax error first and the others in a fixed order.
#[derive(Default)]
struct Deferred {
    reserved: Option<String>,
    function: Option<String>,
    section: Option<String>,
    name: Option<Error>,
    value: Option<Error>,
    misc: Option<String>,
}

pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// "ConditionExpression", "UpdateExpression"...: AWS prefixes messages with it.
    pub kind: &'static str,
    subs: &'a mut Substitutions,
    deferred: Deferred,
}

impl<'a> Parser<'a> {
    /// A parser over `text`, refusing an empty expression as AWS does.
    pub fn new(
        text: &'a str,
        kind: &'static str,
        subs: &'a mut Substitutions,
    ) -> Result<Parser<'a>, Error> {
        let toks = tokenize(text);
        let p = Parser {
            text,
            toks,
            pos: 0,
            kind,
            subs,
            deferred: Deferred::default(),
        };
        if p.toks.is_empty() {
            return Err(p.error("The expression can not be empty;"));
        }
        Ok(p)
    }

    /// "Invalid <kind>: <msg>"
    pub fn error(&self, msg: &str) -> Error {
        Error::new(format!("Invalid {}: {msg}", self.kind))
    }

    /// AWS's syntax error at the current token: it quotes the token, and the text from the
    /// previous token to the next one.
    pub fn syntax_error(&self) -> Error {
        let (token, near) = match self.toks.get(self.pos) {
            Some(t) => {
                let from = self
                    .pos
                    .checked_sub(1)
                    .map_or(t.start, |i| self.toks[i].start);
                let to = self.toks.get(self.pos + 1).map_or(t.end, |n| n.end);
                (&self.text[t.start..t.end], &self.text[from..to])
            }
            None => {
                let near = self.toks.last().map_or("", |t| &self.text[t.start..t.end]);
                ("<EOF>", near)
            }
        };
        self.error(&format!(
            "Syntax error; token: \"{token}\", near: \"{near}\""
        ))
    }

    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.toks.get(self.pos + ahead).map(|t| &t.tok)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn advance(&mut self) {
        self.pos += 1;
    }

    pub fn at_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    pub fn eat_punct(&mut self, p: &str) -> bool {
        let at = self.at_punct(p);
        if at {
            self.pos += 1;
        }
        at
    }

    pub fn expect_punct(&mut self, p: &str) -> Result<(), Error> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// True when the current token is the bare word `kw` in any case.
    pub fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(kw))
    }

    pub fn eat_keyword(&mut self, kw: &str) -> bool {
        let at = self.at_keyword(kw);
        if at {
            self.pos += 1;
        }
        at
    }

    /// Records an error of the last rank (operand types, function misuse...).
    pub fn defer(&mut self, msg: String) {
        self.deferred.misc.get_or_insert(msg);
    }

    pub fn defer_section(&mut self, section: &str) {
        self.deferred
            .section
            .get_or_insert_with(|| section.to_owned());
    }

    /// Ends the parse: anything left is a syntax error; otherwise the first deferred error in
    /// AWS's order; `late` runs checks that rank just before the misc errors (overlapping
    /// paths).
    pub fn finish(self, late: impl FnOnce(&Parser) -> Option<String>) -> Result<(), Error> {
        if !self.at_end() {
            return Err(self.syntax_error());
        }
        let d = &self.deferred;
        if let Some(w) = &d.reserved {
            return Err(self.error(&format!(
                "Attribute name is a reserved keyword; reserved keyword: {w}"
            )));
        }
        if let Some(f) = &d.function {
            return Err(self.error(&format!("Invalid function name; function: {f}")));
        }
        if let Some(s) = &d.section {
            return Err(self.error(&format!(
                "The \"{s}\" section can only be used once in an update expression;"
            )));
        }
        if let Some(e) = d.name.as_ref().or(d.value.as_ref()) {
            return Err(self.error(&e.message));
        }
        if let Some(m) = late(&self) {
            return Err(self.error(&m));
        }
        if let Some(m) = &d.misc {
            return Err(self.error(m));
        }
        Ok(())
    }

    /// One path element name: a bare word (not reserved) or `#name`.
    fn path_name(&mut self) -> Result<String, Error> {
        match self.peek().cloned() {
            Some(Tok::Ident(w)) => {
                self.pos += 1;
                if is_reserved(&w) {
                    self.deferred.reserved.get_or_insert_with(|| w.clone());
                }
                Ok(w)
            }
            Some(Tok::NameRef(r)) => {
                self.pos += 1;
                match self.subs.name(&r) {
                    Ok(n) => Ok(n),
                    Err(e) => {
                        self.deferred.name.get_or_insert(e);
                        Ok(r)
                    }
                }
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// A document path: name, then `.name` and `[index]` steps.
    pub fn path(&mut self) -> Result<Path, Error> {
        let mut elements = vec![PathElement::Name(self.path_name()?)];
        loop {
            if self.eat_punct(".") {
                elements.push(PathElement::Name(self.path_name()?));
            } else if self.eat_punct("[") {
                let index = match self.peek() {
                    Some(Tok::Int(digits)) => digits.parse::<usize>().ok(),
                    _ => None,
                };
                let Some(index) = index else {
                    return Err(self.syntax_error());
                };
                self.pos += 1;
                self.expect_punct("]")?;
                elements.push(PathElement::Index(index));
            } else {
                return Ok(Path(elements));
            }
        }
    }

    /// `:value`, resolved.
    pub fn value(&mut self) -> Result<Value, Error> {
        match self.peek().cloned() {
            Some(Tok::ValueRef(r)) => {
                self.pos += 1;
                match self.subs.value(&r) {
                    Ok(v) => Ok(v),
                    Err(e) => {
                        self.deferred.value.get_or_insert(e);
                        Ok(Value::Null)
                    }
                }
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// True when the cursor is at `word(`: a function call.
    pub fn at_call(&self) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Ident(w)), Some(Tok::Punct("("))) => Some(w.clone()),
            _ => None,
        }
    }

    /// Parses `name(arg, ...)` with operand arguments; unknown names are recorded.
    pub fn call(&mut self, allow_update_functions: bool) -> Result<(String, Vec<Operand>), Error> {
        let name = self.at_call().ok_or_else(|| self.syntax_error())?;
        self.pos += 2;
        if !FUNCTIONS.contains(&name.as_str()) {
            self.deferred.function.get_or_insert_with(|| name.clone());
        }
        let mut args = vec![self.operand(allow_update_functions)?];
        while self.eat_punct(",") {
            args.push(self.operand(allow_update_functions)?);
        }
        self.expect_punct(")")?;
        Ok((name, args))
    }

    /// An operand: path, `:value`, or a function that yields a value (size; in updates also
    /// if_not_exists and list_append).
    pub fn operand(&mut self, update: bool) -> Result<Operand, Error> {
        if self.at_call().is_some() {
            let (name, mut args) = self.call(update)?;
            return Ok(match (name.as_str(), update) {
                ("size", false) => {
                    self.check_arity(&name, &args, 1);
                    match args.swap_remove(0) {
                        Operand::Path(p) => Operand::Size(p),
                        other => {
                            self.wrong_operand(&name, &other);
                            Operand::Value(Value::Null)
                        }
                    }
                }
                ("if_not_exists", true) => {
                    if !self.check_arity(&name, &args, 2) {
                        return Ok(Operand::Value(Value::Null));
                    }
                    let fallback = args.pop().unwrap_or(Operand::Value(Value::Null));
                    match args.pop() {
                        Some(Operand::Path(p)) => Operand::IfNotExists(p, Box::new(fallback)),
                        _ => {
                            self.defer(format!("Operator or function requires a document path; operator or function: {name}"));
                            Operand::Value(Value::Null)
                        }
                    }
                }
                ("list_append", true) => {
                    if !self.check_arity(&name, &args, 2) {
                        return Ok(Operand::Value(Value::Null));
                    }
                    for a in &args {
                        if let Operand::Value(v) = a {
                            if !matches!(v, Value::L(_)) {
                                self.defer(format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {}", v.type_name()));
                            }
                        }
                    }
                    let b = args.pop().unwrap_or(Operand::Value(Value::Null));
                    let a = args.pop().unwrap_or(Operand::Value(Value::Null));
                    Operand::ListAppend(Box::new(a), Box::new(b))
                }
                _ => {
                    if FUNCTIONS.contains(&name.as_str()) {
                        self.defer(format!(
                            "The function is not allowed to be used this way in an expression; function: {name}"
                        ));
                    }
                    Operand::Value(Value::Null)
                }
            });
        }
        match self.peek() {
            Some(Tok::ValueRef(_)) => Ok(Operand::Value(self.value()?)),
            Some(Tok::Ident(_)) | Some(Tok::NameRef(_)) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// Records AWS's error for a wrong argument count; true when the count is right.
    pub fn check_arity(&mut self, name: &str, args: &[Operand], n: usize) -> bool {
        if args.len() == n {
            return true;
        }
        self.defer(format!(
            "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
            args.len()
        ));
        false
    }

    /// Records AWS's error for an operand of the wrong kind given to a function.
    pub fn wrong_operand(&mut self, name: &str, op: &Operand) {
        match op {
            Operand::Value(v) => self.defer(format!(
                "Incorrect operand type for operator or function; operator or function: {name}, operand type: {}",
                v.type_name()
            )),
            _ => self.defer(format!(
                "Operator or function requires a document path; operator or function: {name}"
            )),
        }
    }
}
