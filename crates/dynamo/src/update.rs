//! UpdateExpression: SET (values, `+`/`-`, if_not_exists, list_append), REMOVE, ADD (number
//! add / set union) and DELETE (set difference), each clause at most once, no two actions on
//! overlapping paths. Right-hand sides read the item as it was before the update, as in
//! DynamoDB; the update is applied to a copy.

use std::cmp::Ordering;

use crate::parser::{push_name, Kind, Mode, Operand, Parser};
use crate::path::{overlap_error, Path, PathElement};
use crate::wire::TOO_DEEP;
use crate::{nesting_depth, Error, Item, Projection, Substitutions, Value};

#[derive(Debug, Clone)]
enum Action {
    Set(Path, Operand),
    Remove(Path),
    Add(Path, Value),
    Delete(Path, Value),
}

impl Action {
    fn path(&self) -> &Path {
        match self {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Update {
    actions: Vec<Action>,
}

/// Most lists and maps DynamoDB lets nest in one attribute (see wire.rs).
const MAX_NESTING: usize = 31;

const MISSING: &str =
    "The provided expression refers to an attribute that does not exist in the item";
const BAD_TYPE: &str = "An operand in the update expression has an incorrect data type";
const BAD_PATH: &str = "The document path provided in the update expression is invalid for update";

/// How AWS names a value's type in ADD/DELETE operand errors.
fn long_type_name(v: &Value) -> &'static str {
    match v {
        Value::S(_) => "STRING",
        Value::N(_) => "NUMBER",
        Value::B(_) => "BINARY",
        Value::Bool(_) => "BOOLEAN",
        Value::Null => "NULL",
        Value::L(_) => "LIST",
        Value::M(_) => "MAP",
        Value::Ss(_) => "STRING_SET",
        Value::Ns(_) => "NUMBER_SET",
        Value::Bs(_) => "BINARY_SET",
    }
}

fn set_value(p: &mut Parser) -> Result<Operand, Error> {
    let left = p.operand()?;
    let plus = p.eat_punct("+");
    if !plus && !p.eat_punct("-") {
        return Ok(left);
    }
    let right = p.operand()?;
    let symbol = if plus { "+" } else { "-" };
    for op in [&left, &right] {
        if let Operand::Value(v) = op {
            if !matches!(v, Value::N(_)) {
                p.defer(Kind::Arith, format!("Incorrect operand type for operator or function; operator or function: {symbol}, operand type: {}", v.type_name()));
            }
        }
    }
    let (l, r) = (Box::new(left), Box::new(right));
    Ok(if plus {
        Operand::Plus(l, r)
    } else {
        Operand::Minus(l, r)
    })
}

impl Update {
    pub fn parse(text: &str, subs: &mut Substitutions) -> Result<Update, Error> {
        let mut p = Parser::new(text, "UpdateExpression", Mode::Update, subs)?;
        let mut actions = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        while !p.at_end() {
            let Some(clause) = ["SET", "REMOVE", "ADD", "DELETE"]
                .into_iter()
                .find(|k| p.at_keyword(k))
            else {
                return Err(p.syntax_error());
            };
            p.advance();
            if seen.contains(&clause) {
                p.defer(
                    Kind::Section,
                    format!(
                        "The \"{clause}\" section can only be used once in an update expression;"
                    ),
                );
            }
            seen.push(clause);
            loop {
                let path = p.path()?;
                let action = match clause {
                    "SET" => {
                        p.expect_punct("=")?;
                        Action::Set(path, set_value(&mut p)?)
                    }
                    "REMOVE" => Action::Remove(path),
                    _ => {
                        let v = p.value()?;
                        let ok = if clause == "ADD" {
                            matches!(v, Value::N(_)) || v.is_set()
                        } else {
                            v.is_set()
                        };
                        // An undefined value resolves to a placeholder NULL; the undefined
                        // value error outranks this one anyway.
                        if !ok {
                            p.defer(Kind::ActionType, format!("Incorrect operand type for operator or function; operator: {clause}, operand type: {}, typeSet: ALLOWED_FOR_{clause}_OPERAND", long_type_name(&v)));
                        }
                        if clause == "ADD" {
                            Action::Add(path, v)
                        } else {
                            Action::Delete(path, v)
                        }
                    }
                };
                actions.push(action);
                if !p.eat_punct(",") {
                    break;
                }
            }
        }
        p.finish(|| overlap_error(&actions.iter().map(Action::path).collect::<Vec<_>>()))?;
        Ok(Update { actions })
    }

    /// Applies to a copy; returns the new item and the top-level names it changed (for
    /// ReturnValues UPDATED_OLD / UPDATED_NEW).
    pub fn apply(&self, item: &Item) -> Result<(Item, Vec<String>), Error> {
        self.apply_to(item, true)
    }

    /// As `apply`, saying whether the item exists: for an item that does not exist yet
    /// (`item` holds just its key), DynamoDB silently ignores a REMOVE under an attribute
    /// that is not there, where for an existing item it refuses the document path.
    pub fn apply_to(&self, item: &Item, exists: bool) -> Result<(Item, Vec<String>), Error> {
        // Every SET right-hand side reads the item before any action applies.
        let mut sets = Vec::new();
        for a in &self.actions {
            if let Action::Set(path, op) = a {
                sets.push((path, eval(op, item)?));
            }
        }
        // Elements set past the end of one list are appended in index order, whatever the
        // order written (DynamoDB sorts them by element number).
        sets.sort_by(|a, b| path_order(a.0, b.0));
        let mut new = item.clone();
        for (path, v) in sets {
            set_at(&mut new, path, v)?;
        }
        // Removing from the end first keeps the original indexes of one list valid.
        let mut removes: Vec<&Path> = self
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Remove(p) => Some(p),
                _ => None,
            })
            .collect();
        removes.sort_by(|a, b| path_order(b, a));
        for p in removes {
            match remove_at(&mut new, p) {
                Err(_) if !exists && !parent_holds(&new, p) => {}
                other => other?,
            }
        }
        for a in &self.actions {
            match a {
                Action::Add(p, v) => add_at(&mut new, p, v)?,
                Action::Delete(p, v) => delete_at(&mut new, p, v)?,
                _ => {}
            }
        }
        let targets = self.target_names();
        // An update may nest values deeper than a request could; DynamoDB refuses the result.
        let too_deep = targets
            .iter()
            .filter_map(|t| new.get(t))
            .any(|v| nesting_depth(v) > MAX_NESTING);
        if too_deep {
            return Err(Error::new(TOO_DEEP));
        }
        Ok((new, targets))
    }

    /// The parts of `item` the actions target, projected as DynamoDB does for ReturnValues
    /// UPDATED_OLD (pass the old item) and UPDATED_NEW (pass the new one): `SET a.b = :v`
    /// returns `{a: {b: ..}}`, not all of `a`; a path that is absent contributes nothing (an
    /// empty result means no Attributes in the response).
    pub fn updated_parts(&self, item: &Item) -> Item {
        Projection::of_paths(self.actions.iter().map(|a| a.path().clone()).collect()).apply(item)
    }

    /// Top-level names of the attributes the actions write (SET/REMOVE/ADD/DELETE targets):
    /// what a key-attribute check and ReturnValues UPDATED_* need.
    pub fn target_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.actions {
            push_name(&mut out, a.path().top());
        }
        out
    }

    /// Every top-level name the expression reads or writes.
    pub fn attribute_names(&self) -> Vec<String> {
        let mut out = self.target_names();
        for a in &self.actions {
            if let Action::Set(_, op) = a {
                op.names(&mut out);
            }
        }
        out
    }
}

fn path_order(a: &Path, b: &Path) -> Ordering {
    for (x, y) in a.0.iter().zip(b.0.iter()) {
        let o = match (x, y) {
            (PathElement::Name(x), PathElement::Name(y)) => x.cmp(y),
            (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
            (PathElement::Name(_), PathElement::Index(_)) => Ordering::Less,
            (PathElement::Index(_), PathElement::Name(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.0.len().cmp(&b.0.len())
}

fn eval(op: &Operand, item: &Item) -> Result<Value, Error> {
    match op {
        Operand::Path(p) => p.get(item).cloned().ok_or_else(|| Error::new(MISSING)),
        Operand::Value(v) => Ok(v.clone()),
        Operand::IfNotExists(p, fallback) => match p.get(item) {
            Some(v) => Ok(v.clone()),
            None => eval(fallback, item),
        },
        Operand::ListAppend(a, b) => match (eval(a, item)?, eval(b, item)?) {
            (Value::L(mut a), Value::L(b)) => {
                a.extend(b);
                Ok(Value::L(a))
            }
            _ => Err(Error::new(BAD_TYPE)),
        },
        Operand::Plus(a, b) | Operand::Minus(a, b) => match (eval(a, item)?, eval(b, item)?) {
            (Value::N(a), Value::N(b)) => Ok(Value::N(if matches!(op, Operand::Plus(..)) {
                a.checked_add(&b)?
            } else {
                a.checked_sub(&b)?
            })),
            _ => Err(Error::new(BAD_TYPE)),
        },
        Operand::Size(_) => Err(Error::new(BAD_TYPE)),
    }
}

/// The value at `elements` (non-empty), mutable.
fn get_mut<'a>(item: &'a mut Item, elements: &[PathElement]) -> Option<&'a mut Value> {
    let (first, rest) = elements.split_first()?;
    let PathElement::Name(n) = first else {
        return None;
    };
    let mut cur = item.get_mut(n)?;
    for e in rest {
        cur = match (e, cur) {
            (PathElement::Name(n), Value::M(m)) => m.get_mut(n)?,
            (PathElement::Index(i), Value::L(l)) => l.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets the value at `path`; the parent map or list must exist. An index past the end of a
/// list appends.
fn set_at(item: &mut Item, path: &Path, v: Value) -> Result<(), Error> {
    let Some((last, parent)) = path.0.split_last() else {
        return Err(Error::new(BAD_PATH));
    };
    if parent.is_empty() {
        item.insert(path.top().to_owned(), v);
        return Ok(());
    }
    match (get_mut(item, parent), last) {
        (Some(Value::M(m)), PathElement::Name(n)) => {
            m.insert(n.clone(), v);
        }
        (Some(Value::L(l)), PathElement::Index(i)) => match l.get_mut(*i) {
            Some(slot) => *slot = v,
            None => l.push(v),
        },
        _ => return Err(Error::new(BAD_PATH)),
    }
    Ok(())
}

/// Removes the value at `path` (absent: nothing to do; later list elements shift down).
fn remove_at(item: &mut Item, path: &Path) -> Result<(), Error> {
    let Some((last, parent)) = path.0.split_last() else {
        return Err(Error::new(BAD_PATH));
    };
    if parent.is_empty() {
        item.remove(path.top());
        return Ok(());
    }
    match (get_mut(item, parent), last) {
        (Some(Value::M(m)), PathElement::Name(n)) => {
            m.remove(n);
        }
        (Some(Value::L(l)), PathElement::Index(i)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(Error::new(BAD_PATH)),
    }
    Ok(())
}

/// True when `path`'s parent exists and is the container its last step needs (a map for a
/// name, a list for an index); always true for a top-level attribute.
fn parent_holds(item: &Item, path: &Path) -> bool {
    let Some((last, parent)) = path.0.split_last() else {
        return false;
    };
    if parent.is_empty() {
        return true;
    }
    matches!(
        (Path(parent.to_vec()).get(item), last),
        (Some(Value::M(_)), PathElement::Name(_)) | (Some(Value::L(_)), PathElement::Index(_))
    )
}

fn union<T: PartialEq + Clone>(mut a: Vec<T>, b: &[T]) -> Vec<T> {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
    a
}

fn add_at(item: &mut Item, path: &Path, v: &Value) -> Result<(), Error> {
    let new = match (path.get(item), v) {
        (None, v) => v.clone(),
        (Some(Value::N(a)), Value::N(b)) => Value::N(a.checked_add(b)?),
        (Some(Value::Ss(a)), Value::Ss(b)) => Value::Ss(union(a.clone(), b)),
        (Some(Value::Ns(a)), Value::Ns(b)) => Value::Ns(union(a.clone(), b)),
        (Some(Value::Bs(a)), Value::Bs(b)) => Value::Bs(union(a.clone(), b)),
        _ => return Err(Error::new(BAD_TYPE)),
    };
    set_at(item, path, new)
}

fn delete_at(item: &mut Item, path: &Path, v: &Value) -> Result<(), Error> {
    fn minus<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    }
    let new = match (path.get(item), v) {
        // Nothing to delete from, but only where the path could exist.
        (None, _) if parent_holds(item, path) => return Ok(()),
        (None, _) => return Err(Error::new(BAD_PATH)),
        (Some(Value::Ss(a)), Value::Ss(b)) => Value::Ss(minus(a, b)),
        (Some(Value::Ns(a)), Value::Ns(b)) => Value::Ns(minus(a, b)),
        (Some(Value::Bs(a)), Value::Bs(b)) => Value::Bs(minus(a, b)),
        _ => return Err(Error::new(BAD_TYPE)),
    };
    let empty = match &new {
        Value::Ss(s) => s.is_empty(),
        Value::Ns(s) => s.is_empty(),
        Value::Bs(s) => s.is_empty(),
        _ => false,
    };
    // DynamoDB stores no empty set: the attribute goes.
    if empty {
        remove_at(item, path)
    } else {
        set_at(item, path, new)
    }
}
