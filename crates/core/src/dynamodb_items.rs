//! DynamoDB items: kept in memory, ordered per table by (partition key, sort key), and written
//! through the store engine, one row per item, before any write is acknowledged.
//!
//! Row keys are `<account>/<region>/<table-id>/<hex partition key>/<hex sort key>` (key values
//! encoded by `rolegate_dynamo::key_bytes`, order-preserving and prefix-free); row values are
//! the item in DynamoDB's wire JSON. Everything is loaded at start-up.
//!
//! Every write goes through [`ItemStore::write`]: one mutex serializes writers, the caller's
//! closure reads the current items and decides the changes (condition checks, transactions),
//! the changes are committed durably, then applied to memory. Readers take a table's read lock
//! only to copy out `Arc`s, so they never wait for a commit (the fsync happens before the
//! in-memory apply takes the write lock). Secondary indexes are maps of the same items keyed
//! by the index's key, maintained on every write and rebuilt when a table's index set changes.

use parking_lot::{Mutex, RwLock};
use rolegate_dynamo::{item_from_json, item_to_json, key_bytes, Item, Value};
use rolegate_store::{Batch, Engine, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

/// The store table holding one row per item.
pub const ITEMS: &str = "dynamodb_items";

/// Which table's items: the owning account, region and table id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub account: String,
    pub region: String,
    pub id: String,
}

/// The key attributes of an index, as the item store needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub hash: String,
    pub range: Option<String>,
}

/// A table as the item store sees it: its id, key attribute names and indexes.
#[derive(Clone, Debug)]
pub struct TableRef {
    pub id: TableId,
    pub hash: String,
    pub range: Option<String>,
    pub indexes: Vec<IndexSpec>,
}

/// The encoded key of an item: partition key bytes and sort key bytes (empty without one).
pub type KeyBytes = (Vec<u8>, Vec<u8>);

impl TableRef {
    /// The encoded primary key of an item, if it has its key attributes.
    pub fn key_of(&self, item: &Item) -> Option<KeyBytes> {
        encoded(item, &self.hash, self.range.as_deref())
    }

    fn row_key(&self, key: &KeyBytes) -> String {
        row_key(&self.id, key)
    }
}

fn row_key(id: &TableId, key: &KeyBytes) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        id.account,
        id.region,
        id.id,
        hex::encode(&key.0),
        hex::encode(&key.1)
    )
}

fn encoded(item: &Item, hash: &str, range: Option<&str>) -> Option<KeyBytes> {
    let h = key_bytes(item.get(hash)?);
    let r = match range {
        Some(r) => key_bytes(item.get(r)?),
        None => Vec::new(),
    };
    Some((h, r))
}

/// Partition bytes → sort position → item. For the table the sort position is the sort key's
/// bytes; for an index it is the index sort key's bytes followed by the table key's (the
/// encodings are prefix-free, so concatenation keeps tuple order and stays unique).
type Parts = BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Arc<Item>>>;

#[derive(Default)]
struct Data {
    items: Parts,
    specs: Vec<IndexSpec>,
    indexes: Vec<Parts>,
    count: usize,
    bytes: usize,
}

/// Where an item sits in an index, if it has the index's key attributes.
fn index_pos(spec: &IndexSpec, key: &KeyBytes, item: &Item) -> Option<KeyBytes> {
    let (h, r) = encoded(item, &spec.hash, spec.range.as_deref())?;
    let mut pos = r;
    pos.extend_from_slice(&key.0);
    pos.extend_from_slice(&key.1);
    Some((h, pos))
}

impl Data {
    fn insert(&mut self, key: KeyBytes, item: Arc<Item>) {
        self.remove(&key);
        for (spec, idx) in self.specs.iter().zip(self.indexes.iter_mut()) {
            if let Some((h, pos)) = index_pos(spec, &key, &item) {
                idx.entry(h).or_default().insert(pos, item.clone());
            }
        }
        self.count += 1;
        self.bytes += rolegate_dynamo::item_size(&item);
        self.items.entry(key.0).or_default().insert(key.1, item);
    }

    fn remove(&mut self, key: &KeyBytes) {
        let Some(part) = self.items.get_mut(&key.0) else {
            return;
        };
        let Some(old) = part.remove(&key.1) else {
            return;
        };
        if part.is_empty() {
            self.items.remove(&key.0);
        }
        self.count -= 1;
        self.bytes = self.bytes.saturating_sub(rolegate_dynamo::item_size(&old));
        for (spec, idx) in self.specs.iter().zip(self.indexes.iter_mut()) {
            if let Some((h, pos)) = index_pos(spec, key, &old) {
                if let Some(p) = idx.get_mut(&h) {
                    p.remove(&pos);
                    if p.is_empty() {
                        idx.remove(&h);
                    }
                }
            }
        }
    }

    fn reindex(&mut self, specs: &[IndexSpec]) {
        self.specs = specs.to_vec();
        self.indexes = specs.iter().map(|_| Parts::new()).collect();
        for (h, part) in &self.items {
            for (r, item) in part {
                let key = (h.clone(), r.clone());
                for (spec, idx) in self.specs.iter().zip(self.indexes.iter_mut()) {
                    if let Some((ih, pos)) = index_pos(spec, &key, item) {
                        idx.entry(ih).or_default().insert(pos, item.clone());
                    }
                }
            }
        }
    }

    fn parts(&self, index: Option<&str>) -> Option<&Parts> {
        match index {
            None => Some(&self.items),
            Some(n) => self
                .specs
                .iter()
                .position(|s| s.name == n)
                .and_then(|i| self.indexes.get(i)),
        }
    }
}

#[derive(Default)]
struct TableItems {
    data: RwLock<Data>,
}

/// Which items a read visits, in order.
#[derive(Clone, Copy, Debug)]
pub enum Visit<'a> {
    /// One partition, from after `after` (a sort position), forward or backward.
    Partition {
        hash: &'a [u8],
        after: Option<&'a [u8]>,
        forward: bool,
    },
    /// Every partition in order, from after `(partition, sort position)`.
    All { after: Option<(&'a [u8], &'a [u8])> },
}

/// One change of a write.
#[derive(Clone, Debug)]
pub enum Change {
    Put(TableRef, Item),
    Delete(TableRef, KeyBytes),
}

#[derive(Debug, thiserror::Error)]
pub enum ItemStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("item row {0} is unreadable: {1}")]
    Corrupt(String, String),
}

pub struct ItemStore {
    engine: Arc<dyn Engine>,
    tables: RwLock<HashMap<TableId, Arc<TableItems>>>,
    write: Mutex<()>,
}

fn parse_row(key: &str, value: &[u8]) -> Result<(TableId, KeyBytes, Item), ItemStoreError> {
    let bad = |why: &str| ItemStoreError::Corrupt(key.to_owned(), why.to_owned());
    let parts: Vec<&str> = key.split('/').collect();
    let [account, region, id, h, r] = parts[..] else {
        return Err(bad("bad key"));
    };
    let h = hex::decode(h).map_err(|_| bad("bad partition key"))?;
    let r = hex::decode(r).map_err(|_| bad("bad sort key"))?;
    let json: serde_json::Value = serde_json::from_slice(value).map_err(|e| bad(&e.to_string()))?;
    let item = item_from_json(&json).map_err(|e| bad(&e.message))?;
    let id = TableId {
        account: account.to_owned(),
        region: region.to_owned(),
        id: id.to_owned(),
    };
    Ok((id, (h, r), item))
}

impl ItemStore {
    /// Loads every item from the store.
    pub fn open(engine: Arc<dyn Engine>) -> Result<ItemStore, ItemStoreError> {
        let mut tables: HashMap<TableId, Arc<TableItems>> = HashMap::new();
        for (key, value) in engine.scan(ITEMS)? {
            let (id, k, item) = parse_row(&key, &value)?;
            let t = tables.entry(id).or_default();
            t.data.write().insert(k, Arc::new(item));
        }
        Ok(ItemStore {
            engine,
            tables: RwLock::new(tables),
            write: Mutex::new(()),
        })
    }

    /// A table's items, with its indexes brought up to date with `t`'s index set.
    fn table(&self, t: &TableRef) -> Arc<TableItems> {
        let found = self.tables.read().get(&t.id).cloned();
        let items = match found {
            Some(i) => i,
            None => self.tables.write().entry(t.id.clone()).or_default().clone(),
        };
        if items.data.read().specs != t.indexes {
            let mut d = items.data.write();
            if d.specs != t.indexes {
                d.reindex(&t.indexes);
            }
        }
        items
    }

    /// The item with this primary key.
    pub fn get(&self, t: &TableRef, key: &KeyBytes) -> Option<Arc<Item>> {
        let items = self.table(t);
        let d = items.data.read();
        d.items.get(&key.0)?.get(&key.1).cloned()
    }

    /// Visits items of the table (`index` None) or of an index in order, until `f` returns
    /// false. `f` gets the partition bytes, the sort position and the item.
    pub fn visit(
        &self,
        t: &TableRef,
        index: Option<&str>,
        which: Visit<'_>,
        mut f: impl FnMut(&[u8], &[u8], &Arc<Item>) -> bool,
    ) {
        let items = self.table(t);
        let d = items.data.read();
        let Some(parts) = d.parts(index) else {
            return;
        };
        match which {
            Visit::Partition {
                hash,
                after,
                forward,
            } => {
                let Some(part) = parts.get(hash) else {
                    return;
                };
                let iter: Box<dyn Iterator<Item = (&Vec<u8>, &Arc<Item>)>> = match (after, forward)
                {
                    (None, true) => Box::new(part.iter()),
                    (None, false) => Box::new(part.iter().rev()),
                    (Some(a), true) => {
                        Box::new(part.range::<[u8], _>((Bound::Excluded(a), Bound::Unbounded)))
                    }
                    (Some(a), false) => Box::new(
                        part.range::<[u8], _>((Bound::Unbounded, Bound::Excluded(a)))
                            .rev(),
                    ),
                };
                for (pos, item) in iter {
                    if !f(hash, pos, item) {
                        return;
                    }
                }
            }
            Visit::All { after } => {
                let start = match after {
                    None => Bound::Unbounded,
                    Some((h, _)) => Bound::Included(h),
                };
                for (h, part) in parts.range::<[u8], _>((start, Bound::Unbounded)) {
                    let from = match after {
                        Some((ah, pos)) if ah == h.as_slice() => Bound::Excluded(pos),
                        _ => Bound::Unbounded,
                    };
                    for (pos, item) in part.range::<[u8], _>((from, Bound::Unbounded)) {
                        if !f(h, pos, item) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The number of items and their total size (DescribeTable's ItemCount, TableSizeBytes).
    pub fn stats(&self, t: &TableRef) -> (usize, usize) {
        let items = self.table(t);
        let d = items.data.read();
        (d.count, d.bytes)
    }

    /// The number of items in an index and their total size (whole items: projections are
    /// applied when reading).
    pub fn index_stats(&self, t: &TableRef, index: &str) -> (usize, usize) {
        let items = self.table(t);
        let d = items.data.read();
        d.parts(Some(index))
            .map(|p| {
                p.values()
                    .flat_map(|part| part.values())
                    .fold((0, 0), |(n, b), i| {
                        (n + 1, b + rolegate_dynamo::item_size(i))
                    })
            })
            .unwrap_or((0, 0))
    }

    /// The one write path. `decide` runs under the writers' lock, reads the current items
    /// through the store, and returns the changes to make (or an error: nothing changes). The
    /// changes are committed durably before they become visible and before this returns.
    pub fn write<T, E>(
        &self,
        decide: impl FnOnce(&ItemStore) -> Result<(Vec<Change>, T), E>,
    ) -> Result<T, E>
    where
        E: From<ItemStoreError>,
    {
        let _guard = self.write.lock();
        let (changes, out) = decide(self)?;
        if changes.is_empty() {
            return Ok(out);
        }
        let mut batch = Batch::new();
        let mut applied = Vec::with_capacity(changes.len());
        for c in changes {
            match c {
                Change::Put(t, item) => {
                    let Some(key) = t.key_of(&item) else {
                        return Err(ItemStoreError::Corrupt(
                            t.id.id.clone(),
                            "item without its key".into(),
                        )
                        .into());
                    };
                    let json = item_to_json(&item).to_string().into_bytes();
                    batch.put(ITEMS, t.row_key(&key), json);
                    applied.push((t, key, Some(Arc::new(item))));
                }
                Change::Delete(t, key) => {
                    batch.delete(ITEMS, t.row_key(&key));
                    applied.push((t, key, None));
                }
            }
        }
        self.engine
            .commit(batch)
            .map_err(|e| E::from(ItemStoreError::from(e)))?;
        for (t, key, item) in applied {
            let items = self.table(&t);
            let mut d = items.data.write();
            match item {
                Some(i) => d.insert(key, i),
                None => d.remove(&key),
            }
        }
        Ok(out)
    }

    /// Erases a deleted table's items, durably.
    pub fn drop_table(&self, t: &TableRef) -> Result<(), ItemStoreError> {
        let _guard = self.write.lock();
        let Some(items) = self.tables.read().get(&t.id).cloned() else {
            return Ok(());
        };
        let mut batch = Batch::new();
        {
            let d = items.data.read();
            for (h, part) in &d.items {
                for r in part.keys() {
                    batch.delete(ITEMS, t.row_key(&(h.clone(), r.clone())));
                }
            }
        }
        if !batch.is_empty() {
            self.engine.commit(batch)?;
        }
        self.tables.write().remove(&t.id);
        Ok(())
    }

    /// Erases, durably, the items of tables that no longer exist: DeleteTable removes the
    /// definition first, so a crash before its items were erased leaves them unreachable.
    pub fn purge_orphans(&self, live: impl Fn(&TableId) -> bool) -> Result<usize, ItemStoreError> {
        let _guard = self.write.lock();
        let orphans: Vec<(TableId, Arc<TableItems>)> = self
            .tables
            .read()
            .iter()
            .filter(|(id, _)| !live(id))
            .map(|(id, t)| (id.clone(), t.clone()))
            .collect();
        let mut batch = Batch::new();
        for (id, items) in &orphans {
            let d = items.data.read();
            for (h, part) in &d.items {
                for r in part.keys() {
                    batch.delete(ITEMS, row_key(id, &(h.clone(), r.clone())));
                }
            }
        }
        if !batch.is_empty() {
            self.engine.commit(batch)?;
        }
        let mut tables = self.tables.write();
        for (id, _) in &orphans {
            tables.remove(id);
        }
        Ok(orphans.len())
    }

    /// Erases every item (development-mode reset).
    pub fn clear(&self) -> Result<(), ItemStoreError> {
        let _guard = self.write.lock();
        self.engine.clear(&[ITEMS])?;
        self.tables.write().clear();
        Ok(())
    }
}

/// A key value's encoding (re-exported for the service's start keys).
pub fn encode_key_value(v: &Value) -> Vec<u8> {
    key_bytes(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_dynamo::Number;
    use rolegate_store::RedbEngine;

    fn table(indexes: Vec<IndexSpec>) -> TableRef {
        TableRef {
            id: TableId {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                id: "t1".into(),
            },
            hash: "pk".into(),
            range: Some("sk".into()),
            indexes,
        }
    }

    fn item(pk: &str, sk: i64, g: Option<&str>) -> Item {
        let mut i = Item::new();
        i.insert("pk".into(), Value::S(pk.into()));
        i.insert("sk".into(), Value::N(Number::from(sk)));
        if let Some(g) = g {
            i.insert("g".into(), Value::S(g.into()));
        }
        i
    }

    fn collect(s: &ItemStore, t: &TableRef, index: Option<&str>, which: Visit<'_>) -> Vec<i64> {
        let mut out = Vec::new();
        s.visit(t, index, which, |_, _, i| {
            if let Some(Value::N(n)) = i.get("sk") {
                out.push(n.to_string().parse().unwrap_or(-1));
            }
            true
        });
        out
    }

    #[test]
    fn items_are_ordered_indexed_and_durable() -> Result<(), ItemStoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Engine(e.to_string()))?;
        let path = dir.path().join("db");
        let gsi = IndexSpec {
            name: "g".into(),
            hash: "g".into(),
            range: None,
        };
        let t = table(vec![gsi.clone()]);
        {
            let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
            s.write(|_| {
                let changes = [10, -2, 3, 100]
                    .iter()
                    .map(|n| Change::Put(t.clone(), item("a", *n, (*n > 0).then_some("x"))))
                    .chain([Change::Put(t.clone(), item("b", 1, None))])
                    .collect();
                Ok::<_, ItemStoreError>((changes, ()))
            })?;
            let key = t
                .key_of(&item("a", 3, None))
                .ok_or(StoreError::Engine("k".into()))?;
            s.write(|_| Ok::<_, ItemStoreError>((vec![Change::Delete(t.clone(), key)], ())))?;
            // A failed decision changes nothing.
            let r: Result<(), ItemStoreError> =
                s.write(|_| Err(ItemStoreError::Corrupt("x".into(), "y".into())));
            assert!(r.is_err());
        }
        let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
        let a = key_bytes(&Value::S("a".into()));
        let fwd = Visit::Partition {
            hash: &a,
            after: None,
            forward: true,
        };
        assert_eq!(collect(&s, &t, None, fwd), vec![-2, 10, 100]);
        let back = Visit::Partition {
            hash: &a,
            after: None,
            forward: false,
        };
        assert_eq!(collect(&s, &t, None, back), vec![100, 10, -2]);
        assert_eq!(
            collect(&s, &t, None, Visit::All { after: None }),
            vec![-2, 10, 100, 1]
        );
        let x = key_bytes(&Value::S("x".into()));
        let g = Visit::Partition {
            hash: &x,
            after: None,
            forward: true,
        };
        assert_eq!(collect(&s, &t, Some("g"), g), vec![10, 100]);
        assert_eq!(s.stats(&t).0, 4);
        // Items of a table the catalog no longer has are purged, durably.
        assert_eq!(s.purge_orphans(|id| id.id != "t1")?, 1);
        drop(s);
        let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
        assert_eq!(s.stats(&t).0, 0);
        s.write(|_| {
            Ok::<_, ItemStoreError>((vec![Change::Put(t.clone(), item("c", 1, None))], ()))
        })?;
        s.drop_table(&t)?;
        assert_eq!(s.stats(&t).0, 0);
        drop(s);
        let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
        assert_eq!(s.stats(&t).0, 0);
        Ok(())
    }
}
