//! How the catalog stores an account: one row per entity, not one row per account.
//!
//! With one row per account, every write re-serialized and re-sealed the whole account, so
//! creating the 5,000th user cost 5,000 users' worth of JSON. Here a write stores only the
//! entities it changed: [`diff`] compares the account as published with the version to commit,
//! map by map. The maps are persistent (`crate::model::Map`), so a map the write did not touch
//! is skipped by one pointer comparison, and inside a touched map the diff skips every subtree
//! both versions still share: the cost follows the change, not the account's size.
//!
//! Row keys are `<account-id>/<kind>/<map-key>`; account ids never hold a `/`, kinds are
//! fixed, so the map key (which may: KMS alias ARNs, `<region>/<table>` keys) is whatever
//! follows the second `/`. The account's own fields (name, aliases, root keys) are the `a`
//! row. Keys sort by account, so [`Loader`] rebuilds accounts one after another in one scan.
//! Rows live in one of two tables by kind ([`table_of`]), so that start-up reads only the
//! small one.

use crate::model::{AccessKey, Account};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The table holding the entity rows read when an account is first used.
pub const ENTITIES: &str = "entities";
/// The table holding the rows start-up reads (`crate::load`): each account's own row, its
/// users (for their access keys), buckets and instances (named globally). Apart, they are a
/// few contiguous pages rather than scattered among a million roles' rows.
pub const SKELETONS: &str = "skeletons";
const SKELETON_KINDS: [&str; 4] = [HEADER, "b", "i", "u"];

/// The table a row belongs in, by its key's kind.
pub fn table_of(row_key: &str) -> &'static str {
    match row_key.split('/').nth(1) {
        Some(kind) if SKELETON_KINDS.contains(&kind) => SKELETONS,
        _ => ENTITIES,
    }
}

/// One row to write (`Some` JSON) or delete (`None`), by key.
pub type RowOp = (String, Option<Vec<u8>>);

const HEADER: &str = "a";

/// The account's own fields: its row.
#[derive(Serialize, Deserialize, PartialEq)]
struct Header {
    name: String,
    created: i64,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    root_keys: Vec<AccessKey>,
}

impl Header {
    fn of(a: &Account) -> Header {
        Header {
            name: a.name.clone(),
            created: a.created,
            aliases: a.aliases.clone(),
            root_keys: a.root_keys.clone(),
        }
    }
}

fn key(account: &str, kind: &str, k: &str) -> String {
    format!("{account}/{kind}/{k}")
}

/// Calls `$m!(code, field)` for every entity map of an account: the one list of what is
/// stored, so that writing and loading cannot disagree.
macro_rules! each_map {
    ($m:ident) => {
        $m!("u", users);
        $m!("g", groups);
        $m!("r", roles);
        $m!("p", policies);
        $m!("ip", instance_profiles);
        $m!("k", kms_keys);
        $m!("ka", kms_aliases);
        $m!("b", buckets);
        $m!("i", instances);
        $m!("t", dynamodb_tables);
    };
}

/// The rows that turn `old` (None: the account is new) into `new`.
pub fn diff(old: Option<&Account>, new: &Account) -> Result<Vec<RowOp>, serde_json::Error> {
    let mut out = Vec::new();
    let id = new.id.as_str();
    let header = Header::of(new);
    if old.map(Header::of).as_ref() != Some(&header) {
        out.push((key(id, HEADER, ""), Some(serde_json::to_vec(&header)?)));
    }
    macro_rules! one {
        ($code:expr, $field:ident) => {
            diff_map(id, $code, old.map(|o| &o.$field), &new.$field, &mut out)?;
        };
    }
    each_map!(one);
    Ok(out)
}

fn diff_map<V: Serialize + Clone + PartialEq>(
    account: &str,
    kind: &str,
    old: Option<&imbl::OrdMap<String, V>>,
    new: &imbl::OrdMap<String, V>,
    out: &mut Vec<RowOp>,
) -> Result<(), serde_json::Error> {
    let Some(old) = old else {
        for (k, v) in new.iter() {
            out.push((key(account, kind, k), Some(serde_json::to_vec(v)?)));
        }
        return Ok(());
    };
    if old.ptr_eq(new) {
        return Ok(());
    }
    for item in old.diff(new) {
        match item {
            imbl::ordmap::DiffItem::Add(k, v)
            | imbl::ordmap::DiffItem::Update { new: (k, v), .. } => {
                out.push((key(account, kind, k), Some(serde_json::to_vec(v)?)));
            }
            imbl::ordmap::DiffItem::Remove(k, _) => out.push((key(account, kind, k), None)),
        }
    }
    Ok(())
}

/// Every row of one account (a new account, or rewriting one from the old layout).
pub fn all(account: &Account) -> Result<Vec<RowOp>, serde_json::Error> {
    diff(None, account)
}

/// Rebuilds accounts from rows visited in key order.
#[derive(Default)]
pub struct Loader {
    current: Option<(Account, bool)>,
    done: Vec<Account>,
}

impl Loader {
    /// Takes one row (already opened). On error, says which row and why.
    pub fn row(&mut self, row_key: &str, json: &[u8]) -> Result<(), String> {
        let mut parts = row_key.splitn(3, '/');
        let (Some(id), Some(kind), Some(k)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("row key {row_key} is malformed"));
        };
        if self.current.as_ref().map(|(a, _)| a.id.as_str()) != Some(id) {
            self.finish_current()?;
            self.current = Some((Account::new(id, "", 0), false));
        }
        let Some((account, has_header)) = self.current.as_mut() else {
            return Err(format!("row {row_key}: no account"));
        };
        let bad = |e: serde_json::Error| format!("row {row_key}: {e}");
        if kind == HEADER {
            let h: Header = serde_json::from_slice(json).map_err(bad)?;
            account.name = h.name;
            account.created = h.created;
            account.aliases = h.aliases;
            account.root_keys = h.root_keys;
            *has_header = true;
            return Ok(());
        }
        macro_rules! one {
            ($code:expr, $field:ident) => {
                if kind == $code {
                    let v = decode(json).map_err(bad)?;
                    account.$field.insert(k.to_owned(), v);
                    return Ok(());
                }
            };
        }
        each_map!(one);
        Err(format!("row {row_key}: unknown kind {kind}"))
    }

    fn finish_current(&mut self) -> Result<(), String> {
        if let Some((mut account, has_header)) = self.current.take() {
            if !has_header {
                return Err(format!(
                    "account {} has entities but no account row",
                    account.id
                ));
            }
            account.name_policies();
            self.done.push(account);
        }
        Ok(())
    }

    /// The accounts read, once every row has been given.
    pub fn finish(mut self) -> Result<Vec<Account>, String> {
        self.finish_current()?;
        Ok(self.done)
    }
}

fn decode<V: DeserializeOwned>(json: &[u8]) -> Result<V, serde_json::Error> {
    serde_json::from_slice(json)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::User;
    use std::collections::BTreeMap;

    fn user(account: &str, name: &str) -> User {
        User::new(account, "/", name, format!("AIDA{name}"), 1)
    }

    fn load(rows: &BTreeMap<String, Vec<u8>>) -> Vec<Account> {
        let mut l = Loader::default();
        for (k, v) in rows {
            l.row(k, v).unwrap();
        }
        l.finish().unwrap()
    }

    fn apply(rows: &mut BTreeMap<String, Vec<u8>>, ops: Vec<RowOp>) {
        for (k, v) in ops {
            match v {
                Some(v) => rows.insert(k, v),
                None => rows.remove(&k),
            };
        }
    }

    #[test]
    fn a_write_stores_only_what_it_changed_and_loading_rebuilds_the_account() {
        let mut a = Account::new("111111111111", "one", 5);
        for i in 0..1000 {
            a.users
                .insert(format!("u{i}"), user(&a.id, &format!("U{i}")).into());
        }
        let mut rows = BTreeMap::new();
        let first = all(&a).unwrap();
        assert_eq!(first.len(), 1001, "the account row and one row per user");
        apply(&mut rows, first);

        let mut b = a.clone();
        b.users.insert("new".to_owned(), user(&b.id, "New").into());
        b.users.remove("u7");
        if let Some(u) = b.users.get_mut("u500") {
            u.path = "/x/".to_owned();
        }
        let ops = diff(Some(&a), &b).unwrap();
        let keys: Vec<_> = ops.iter().map(|(k, v)| (k.as_str(), v.is_some())).collect();
        assert_eq!(
            keys,
            vec![
                ("111111111111/u/new", true),
                ("111111111111/u/u500", true),
                ("111111111111/u/u7", false)
            ]
        );
        apply(&mut rows, ops);

        let mut c = b.clone();
        c.aliases.push("alias".to_owned());
        let ops = diff(Some(&b), &c).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].0, "111111111111/a/");
        apply(&mut rows, ops);
        assert!(diff(Some(&c), &c.clone()).unwrap().is_empty());

        let other = Account::new("222222222222", "two", 6);
        apply(&mut rows, all(&other).unwrap());
        let loaded = load(&rows);
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0], c);
        assert_eq!(loaded[1], other);
    }

    #[test]
    fn map_keys_holding_slashes_survive() {
        let mut a = Account::new("111111111111", "one", 5);
        let alias = "arn:aws:kms:us-east-1:111111111111:alias/a/b".to_owned();
        a.kms_aliases.insert(alias.clone(), "key".to_owned());
        let mut rows = BTreeMap::new();
        apply(&mut rows, all(&a).unwrap());
        assert_eq!(
            load(&rows)[0].kms_aliases.get(&alias).map(|k| k.as_str()),
            Some("key")
        );
    }

    #[test]
    fn damaged_rows_are_refused_with_their_key() {
        let mut l = Loader::default();
        assert!(l
            .row("111111111111/u/x", b"{")
            .unwrap_err()
            .contains("111111111111/u/x"));
        let mut l = Loader::default();
        assert!(l.row("nokind", b"{}").is_err());
        let mut l = Loader::default();
        assert!(l
            .row("111111111111/zz/x", b"{}")
            .unwrap_err()
            .contains("unknown kind"));
        let mut l = Loader::default();
        let u = serde_json::to_vec(&user("111111111111", "U")).unwrap();
        l.row("111111111111/u/u", &u).unwrap();
        assert!(l.finish().unwrap_err().contains("no account row"));
    }
}
