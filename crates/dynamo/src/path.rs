//! Document paths (`a.b[3].c`): the attribute, map keys and list indexes an expression names,
//! with lookup in an item.

use std::fmt;

use crate::{Item, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// A top-level attribute or a map key (already substituted for `#name`).
    Name(String),
    /// A list index `[n]`.
    Index(usize),
}

/// A document path; never empty, and its first element is always a `Name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<PathElement>);

impl Path {
    /// The top-level attribute name.
    pub fn top(&self) -> &str {
        match self.0.first() {
            Some(PathElement::Name(n)) => n,
            _ => "",
        }
    }

    /// The value at this path, if every step exists and has the right type.
    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a Value> {
        let mut elements = self.0.iter();
        let mut cur = match elements.next() {
            Some(PathElement::Name(n)) => item.get(n)?,
            _ => return None,
        };
        for e in elements {
            cur = match (e, cur) {
                (PathElement::Name(n), Value::M(m)) => m.get(n)?,
                (PathElement::Index(i), Value::L(l)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// True when one path is a prefix of (or equal to) the other: DynamoDB refuses two such
    /// paths in one update or projection.
    pub(crate) fn overlaps(&self, other: &Path) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a == b)
    }

    /// True when the paths diverge at a step where one indexes a list and the other a map
    /// key: they cannot both be valid for any item.
    pub(crate) fn conflicts(&self, other: &Path) -> bool {
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            if a != b {
                return matches!(
                    (a, b),
                    (PathElement::Name(_), PathElement::Index(_))
                        | (PathElement::Index(_), PathElement::Name(_))
                );
            }
        }
        false
    }
}

/// DynamoDB's rendering in overlap messages: `[a, b, [3]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElement::Name(n) => f.write_str(n)?,
                PathElement::Index(n) => write!(f, "[{n}]")?,
            }
        }
        f.write_str("]")
    }
}

/// AWS's refusal of two paths in one expression that overlap (one within the other) or
/// conflict (one indexes a list where the other names a map key), or None.
pub(crate) fn overlap_error(paths: &[&Path]) -> Option<String> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            if a.overlaps(b) {
                return Some(format!("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"));
            }
        }
    }
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            if a.conflicts(b) {
                return Some(format!("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"));
            }
        }
    }
    None
}
