//! DynamoDB items: kept in memory, ordered per table by (partition key, sort key), and written
//! through the store engine, one row per item, before any write is acknowledged.
//!
//! Row keys are `<account>/<region>/<table-id>/<hex partition key>/<hex sort key>` (key values
//! encoded by `rolegate_dynamo::key_bytes`, order-preserving and prefix-free); row values are
//! the item in DynamoDB's wire JSON. Everything is loaded at start-up.
//!
//! Every write goes through [`ItemStore::write`], which uses group commit (`commit.rs`): the
//! caller's closure reads the working items (published plus queued) and decides the changes
//! (condition checks, transactions) under one queue lock, so writers stay serializable; the
//! changes of every queued writer are committed durably in one store transaction, then
//! applied to memory, then acknowledged. Readers take a table's read lock only to copy out
//! `Arc`s, so they never wait for a commit and never see a change before it is durable.
//! Secondary indexes are maps of the same items keyed by the index's key, maintained on every
//! write and rebuilt when a table's index set changes.

use parking_lot::{Condvar, Mutex, RwLock};
use rolegate_dynamo::{item_from_json, key_bytes, Item, Value};
use rolegate_store::{Batch, Engine, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

mod commit;

pub use commit::Working;

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
    queue: Mutex<commit::Queue>,
    /// Signalled when no batch is being committed (`quiet_queue` waits for it).
    idle: Condvar,
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
            queue: Mutex::new(commit::Queue::default()),
            idle: Condvar::new(),
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

    /// Erases a deleted table's items, durably.
    pub fn drop_table(&self, t: &TableRef) -> Result<(), ItemStoreError> {
        let _quiet = self.quiet_queue();
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
        let _quiet = self.quiet_queue();
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
        let _quiet = self.quiet_queue();
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
mod tests;
