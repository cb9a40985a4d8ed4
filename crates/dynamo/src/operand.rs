//! Operands of expressions (paths, literals, size(), and the update-only functions and
//! arithmetic), with what can be known about them before evaluation.

use crate::path::Path;
use crate::Value;

/// An operand of a comparison, function or SET action.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Path(Path),
    Value(Value),
    /// size(operand): of a path, or of a literal that has a size (S, B, sets, L, M).
    Size(Box<Operand>),
    /// if_not_exists(path, operand), UpdateExpression only.
    IfNotExists(Path, Box<Operand>),
    /// list_append(operand, operand), UpdateExpression only.
    ListAppend(Box<Operand>, Box<Operand>),
    /// operand + operand / operand - operand, UpdateExpression SET only.
    Plus(Box<Operand>, Box<Operand>),
    Minus(Box<Operand>, Box<Operand>),
}

impl Operand {
    /// The type known before evaluation: a literal's, or N for size(); None for a path.
    pub(crate) fn static_type(&self) -> Option<&'static str> {
        match self {
            Operand::Value(v) => Some(v.type_name()),
            Operand::Size(_) => Some("N"),
            _ => None,
        }
    }

    /// Top-level attribute names this operand reads.
    pub(crate) fn names(&self, out: &mut Vec<String>) {
        match self {
            Operand::Path(p) => push_name(out, p.top()),
            Operand::Size(o) => o.names(out),
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
