//! The parts shared by all expression parsers: the token cursor, document paths, operands and
//! function calls, AWS's syntax-error text, and the order in which AWS reports the other
//! errors of an expression that parsed. A syntax error is always reported first; the rest
//! are kept by kind while parsing and the first in the expression kind's order wins.

use std::cell::Cell;

use crate::lexer::{tokenize, Tok, Token};
use crate::path::{Path, PathElement};
use crate::reserved::is_reserved;
use crate::{Error, Substitutions, Value};

pub(crate) use crate::operand::{push_name, Operand};

/// The functions DynamoDB's expressions know (names are case-sensitive).
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

/// DynamoDB's limit on an expression's length, in UTF-8 bytes.
const MAX_EXPRESSION_BYTES: usize = 4096;

/// Most steps in a document path, the attribute included (DynamoDB's nesting limit).
const MAX_PATH_LEVELS: usize = 32;

/// Deepest parenthesis nesting parsed. Far beyond any real expression, it keeps the
/// recursive parser's stack use bounded whatever the input.
const MAX_DEPTH: usize = 128;

/// Which expression language is parsed: decides the grammar's own keywords (never attribute
/// names) and the order of errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Condition,
    Update,
    Projection,
}

/// Kinds of non-syntax errors, each keeping its first occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// ((...))
    Parens,
    /// Unknown function name.
    Function,
    /// A function where it cannot be used (size as a condition, attribute_exists as an
    /// operand...).
    Misused,
    Reserved,
    /// A repeated UpdateExpression clause.
    Section,
    /// Undefined #name.
    Name,
    /// Undefined :value.
    Value,
    /// Undefined #name or :value, whichever came first (conditions report them as one).
    Undefined,
    /// Wrong number of function arguments.
    Arity,
    /// The same path on both sides (`a = a`, `contains(a, a)`).
    Distinct,
    /// ADD / DELETE given a value of the wrong type.
    ActionType,
    /// `+` / `-` given a literal that is not a number.
    Arith,
    /// Everything else: operand types, BETWEEN bounds, IN size...
    Misc,
    /// The per-condition error chosen at the end of a condition (see `end_leaf`).
    Leaf,
}

const KINDS: usize = 14;

fn slot(kind: Kind) -> usize {
    kind as usize
}

/// Error order per expression kind (AWS reports the first present); `None` marks where the
/// late checks (overlapping paths) rank.
fn order(mode: Mode) -> &'static [Option<Kind>] {
    use Kind::*;
    match mode {
        Mode::Condition => &[
            Some(Parens),
            Some(Function),
            Some(Misused),
            Some(Reserved),
            Some(Leaf),
            Some(Undefined),
            Some(Arity),
            Some(Distinct),
            Some(Misc),
            None,
        ],
        Mode::Update | Mode::Projection => &[
            Some(Reserved),
            Some(Function),
            Some(Section),
            Some(Name),
            Some(Value),
            None,
            Some(ActionType),
            Some(Arith),
            Some(Misused),
            Some(Arity),
            Some(Misc),
        ],
    }
}

/// Where a parse can be rewound to (for the one ambiguity of the condition grammar: `(`
/// opens either a group or a parenthesized operand).
pub(crate) struct Mark {
    pos: usize,
    depth: usize,
    deferred: [Option<String>; KINDS],
}

pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// "ConditionExpression", "UpdateExpression"...: AWS prefixes messages with it.
    pub kind: &'static str,
    mode: Mode,
    subs: &'a mut Substitutions,
    deferred: [Option<String>; KINDS],
    /// Token index of the last syntax error made (to keep the one that read furthest).
    failed_at: Cell<usize>,
    /// Current parenthesis nesting.
    depth: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `text`, refusing an empty expression as AWS does.
    pub fn new(
        text: &'a str,
        kind: &'static str,
        mode: Mode,
        subs: &'a mut Substitutions,
    ) -> Result<Parser<'a>, Error> {
        // Measured before reading the text, so an oversized one costs nothing.
        let toks = if text.len() > MAX_EXPRESSION_BYTES {
            Vec::new()
        } else {
            tokenize(text)
        };
        let p = Parser {
            text,
            toks,
            pos: 0,
            kind,
            mode,
            subs,
            deferred: Default::default(),
            failed_at: Cell::new(0),
            depth: 0,
        };
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(p.error(&format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            )));
        }
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
        self.failed_at.set(self.pos);
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

    pub fn failed_at(&self) -> usize {
        self.failed_at.get()
    }

    /// Enters a parenthesis level; past MAX_DEPTH the input is refused as a syntax error at
    /// that parenthesis.
    pub fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.syntax_error());
        }
        self.depth += 1;
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            depth: self.depth,
            deferred: self.deferred.clone(),
        }
    }

    pub fn rewind(&mut self, mark: Mark) {
        self.pos = mark.pos;
        self.depth = mark.depth;
        self.deferred = mark.deferred;
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

    /// Words the grammar itself uses, which therefore cannot name attributes.
    fn is_keyword(&self, word: &str) -> bool {
        let words: &[&str] = match self.mode {
            Mode::Condition => &["AND", "OR", "NOT", "BETWEEN", "IN"],
            Mode::Update => &["SET", "REMOVE", "ADD", "DELETE"],
            Mode::Projection => &[],
        };
        words.iter().any(|k| word.eq_ignore_ascii_case(k))
    }

    /// Records an error of `kind` (only the first of each kind is kept).
    pub fn defer(&mut self, kind: Kind, msg: String) {
        self.deferred[slot(kind)].get_or_insert(msg);
    }

    /// Ends the parse: anything left is a syntax error; otherwise the first recorded error
    /// in this expression kind's order; `late` runs the checks that need the whole
    /// expression (overlapping paths).
    pub fn finish(self, late: impl FnOnce() -> Option<String>) -> Result<(), Error> {
        if !self.at_end() {
            return Err(self.syntax_error());
        }
        let mut late = Some(late);
        for kind in order(self.mode) {
            let found = match kind {
                Some(k) => self.deferred[slot(*k)].clone(),
                None => late.take().and_then(|f| f()),
            };
            if let Some(msg) = found {
                return Err(self.error(&msg));
            }
        }
        Ok(())
    }

    /// One path element name: a bare word (not reserved) or `#name`.
    fn path_name(&mut self) -> Result<String, Error> {
        match self.peek().cloned() {
            Some(Tok::Ident(w))
                if !self.is_keyword(&w) && !w.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                self.pos += 1;
                if is_reserved(&w) {
                    self.defer(
                        Kind::Reserved,
                        format!("Attribute name is a reserved keyword; reserved keyword: {w}"),
                    );
                }
                Ok(w)
            }
            Some(Tok::NameRef(r)) => {
                self.pos += 1;
                match self.subs.name(&r) {
                    Ok(n) => Ok(n),
                    Err(e) => {
                        self.defer(Kind::Name, e.message.clone());
                        self.defer(Kind::Undefined, e.message);
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
                if elements.len() > MAX_PATH_LEVELS {
                    self.defer(
                        Kind::Misc,
                        format!(
                            "The document path has too many nesting levels; nesting levels: {}",
                            elements.len()
                        ),
                    );
                }
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
                        self.defer(Kind::Value, e.message.clone());
                        self.defer(Kind::Undefined, e.message);
                        Ok(Value::Null)
                    }
                }
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// The function name when the cursor is at `word(`.
    pub fn at_call(&self) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Ident(w)), Some(Tok::Punct("("))) if !self.is_keyword(w) => Some(w.clone()),
            _ => None,
        }
    }

    /// Parses `name(arg, ...)`; unknown names are recorded.
    pub fn call(&mut self) -> Result<(String, Vec<Operand>), Error> {
        let name = self.at_call().ok_or_else(|| self.syntax_error())?;
        self.enter()?;
        self.pos += 2;
        if !FUNCTIONS.contains(&name.as_str()) {
            self.defer(
                Kind::Function,
                format!("Invalid function name; function: {name}"),
            );
        }
        let mut args = vec![self.operand()?];
        while self.eat_punct(",") {
            args.push(self.operand()?);
        }
        self.expect_punct(")")?;
        self.leave();
        Ok((name, args))
    }

    /// An operand: path, `:value`, or a function that yields a value (size; in updates
    /// if_not_exists and list_append). Conditions allow an operand in parentheses.
    pub fn operand(&mut self) -> Result<Operand, Error> {
        if self.mode == Mode::Condition && self.at_punct("(") {
            self.enter()?;
            self.pos += 1;
            if self.at_punct("(") {
                self.defer(
                    Kind::Parens,
                    "The expression has redundant parentheses;".to_owned(),
                );
            }
            let inner = self.operand()?;
            self.expect_punct(")")?;
            self.leave();
            return Ok(inner);
        }
        if self.at_call().is_some() {
            let (name, args) = self.call()?;
            return Ok(self.value_function(&name, args));
        }
        match self.peek() {
            Some(Tok::ValueRef(_)) => Ok(Operand::Value(self.value()?)),
            Some(Tok::Ident(_)) | Some(Tok::NameRef(_)) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// A function call in operand position.
    pub fn value_function(&mut self, name: &str, mut args: Vec<Operand>) -> Operand {
        let update = self.mode == Mode::Update;
        let invalid = Operand::Value(Value::Null);
        match (name, update) {
            ("size", false) => {
                if !self.check_arity(name, &args, 1) {
                    return invalid;
                }
                let arg = args.swap_remove(0);
                // A literal must have a size; size() of size() is a number, which has none.
                if let Some(t) = arg.static_type() {
                    if matches!(t, "N" | "BOOL" | "NULL") {
                        self.defer(Kind::Misc, format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {t}"));
                    }
                }
                Operand::Size(Box::new(arg))
            }
            ("if_not_exists", true) => {
                if !self.check_arity(name, &args, 2) {
                    return invalid;
                }
                let fallback = args.pop().unwrap_or(Operand::Value(Value::Null));
                match args.pop() {
                    Some(Operand::Path(p)) => Operand::IfNotExists(p, Box::new(fallback)),
                    _ => {
                        self.defer(Kind::Misc, format!("Operator or function requires a document path; operator or function: {name}"));
                        invalid
                    }
                }
            }
            ("list_append", true) => {
                if !self.check_arity(name, &args, 2) {
                    return invalid;
                }
                for a in &args {
                    if let Operand::Value(v) = a {
                        if !matches!(v, Value::L(_)) {
                            self.defer(Kind::Misc, format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {}", v.type_name()));
                        }
                    }
                }
                let b = args.pop().unwrap_or(Operand::Value(Value::Null));
                let a = args.pop().unwrap_or(Operand::Value(Value::Null));
                Operand::ListAppend(Box::new(a), Box::new(b))
            }
            _ => {
                // Unknown names were recorded by `call`.
                if FUNCTIONS.contains(&name) {
                    self.misused(name);
                }
                invalid
            }
        }
    }

    pub fn misused(&mut self, name: &str) {
        self.defer(
            Kind::Misused,
            format!(
                "The function is not allowed to be used this way in an expression; function: {name}"
            ),
        );
    }

    /// Records AWS's error for a wrong argument count; true when the count is right.
    pub fn check_arity(&mut self, name: &str, args: &[Operand], n: usize) -> bool {
        if args.len() == n {
            return true;
        }
        self.defer(Kind::Arity, format!(
            "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
            args.len()
        ));
        false
    }

    /// Ends one comparison or function condition. Conditions report the first of their
    /// per-condition errors (undefined substitution, operand count, distinct operands,
    /// operand types) found by the end of the first condition that has any, as AWS does.
    pub fn end_leaf(&mut self) {
        if self.deferred[slot(Kind::Leaf)].is_some() {
            return;
        }
        let first = [Kind::Undefined, Kind::Arity, Kind::Distinct, Kind::Misc]
            .into_iter()
            .find_map(|k| self.deferred[slot(k)].clone());
        if let Some(msg) = first {
            self.defer(Kind::Leaf, msg);
        }
    }

    /// Records AWS's error for the same path on both sides of a two-operand operator.
    pub fn check_distinct(&mut self, operator: &str, a: &Operand, b: &Operand) {
        if let (Operand::Path(x), Operand::Path(y)) = (a, b) {
            if x == y {
                self.defer(Kind::Distinct, format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {x}"));
            }
        }
    }
}
