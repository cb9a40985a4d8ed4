//! ProjectionExpression: which attributes, or parts of nested maps and lists, of an item to
//! return. Selected list elements come back compacted in index order, as DynamoDB does.

use std::collections::BTreeMap;

use crate::parser::{push_name, Mode, Parser};
use crate::path::{overlap_error, Path, PathElement};
use crate::{Error, Item, Substitutions, Value};

#[derive(Debug, Clone)]
pub struct Projection {
    paths: Vec<Path>,
}

/// The part of a value a projection keeps, built up path by path.
enum Picked {
    Whole(Value),
    Map(BTreeMap<String, Picked>),
    List(BTreeMap<usize, Picked>),
}

impl Picked {
    fn into_value(self) -> Value {
        match self {
            Picked::Whole(v) => v,
            Picked::Map(m) => Value::M(m.into_iter().map(|(k, p)| (k, p.into_value())).collect()),
            Picked::List(l) => Value::L(l.into_values().map(Picked::into_value).collect()),
        }
    }
}

/// Copies the part of `value` that `rest` selects into `slot`; nothing when it is missing.
fn pick(value: &Value, rest: &[PathElement], slot: &mut Option<Picked>) {
    let Some((first, rest)) = rest.split_first() else {
        *slot = Some(Picked::Whole(value.clone()));
        return;
    };
    match (first, value) {
        (PathElement::Name(n), Value::M(m)) => {
            let Some(inner) = m.get(n) else { return };
            if slot.is_none() {
                *slot = Some(Picked::Map(BTreeMap::new()));
            }
            if let Some(Picked::Map(children)) = slot {
                let mut child = children.remove(n);
                pick(inner, rest, &mut child);
                if let Some(c) = child {
                    children.insert(n.clone(), c);
                }
            }
        }
        (PathElement::Index(i), Value::L(l)) => {
            let Some(inner) = l.get(*i) else { return };
            if slot.is_none() {
                *slot = Some(Picked::List(BTreeMap::new()));
            }
            if let Some(Picked::List(children)) = slot {
                let mut child = children.remove(i);
                pick(inner, rest, &mut child);
                if let Some(c) = child {
                    children.insert(*i, c);
                }
            }
        }
        _ => {}
    }
}

impl Projection {
    /// A projection of already-checked, non-overlapping paths.
    pub(crate) fn of_paths(paths: Vec<Path>) -> Projection {
        Projection { paths }
    }

    pub fn parse(text: &str, subs: &mut Substitutions) -> Result<Projection, Error> {
        let mut p = Parser::new(text, "ProjectionExpression", Mode::Projection, subs)?;
        let mut paths = vec![p.path()?];
        while p.eat_punct(",") {
            paths.push(p.path()?);
        }
        p.finish(|| overlap_error(&paths.iter().collect::<Vec<_>>()))?;
        Ok(Projection { paths })
    }

    /// The projected copy of `item` (attributes and nested parts that do not exist are
    /// simply absent).
    pub fn apply(&self, item: &Item) -> Item {
        let mut tops: BTreeMap<String, Option<Picked>> = BTreeMap::new();
        for path in &self.paths {
            let top = path.top();
            let Some(value) = item.get(top) else { continue };
            let slot = tops.entry(top.to_owned()).or_insert(None);
            pick(value, &path.0[1..], slot);
        }
        tops.into_iter()
            .filter_map(|(k, p)| p.map(|p| (k, p.into_value())))
            .collect()
    }

    /// Top-level attribute names the projection reads.
    pub fn attribute_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.paths {
            push_name(&mut out, p.top());
        }
        out
    }

    /// The projected paths, in the order given.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }
}
