//! The embedded engine: redb, one file, copy-on-write B-trees with durable commits.

use crate::{Batch, Engine, StoreError};
use redb::{Database, ReadableTable, TableDefinition};
use std::path::Path;

const CACHE_BYTES: usize = 64 << 20;

pub struct RedbEngine {
    db: Database,
}

fn table(name: &'static str) -> TableDefinition<'static, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}

impl RedbEngine {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<RedbEngine, StoreError> {
        // Everything rolegate serves is held in memory above the store, so redb's page cache
        // only spares writes some reads; its default (1 GiB) would mostly double the memory
        // of a large catalog after start-up has read every page once.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(StoreError::from_display)?;
        Ok(RedbEngine { db })
    }
}

impl Engine for RedbEngine {
    fn scan(&self, name: &'static str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let tx = self.db.begin_read().map_err(StoreError::from_display)?;
        let t = match tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::from_display(e)),
        };
        let mut out = Vec::new();
        for row in t.iter().map_err(StoreError::from_display)? {
            let (k, v) = row.map_err(StoreError::from_display)?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn scan_range(
        &self,
        name: &'static str,
        from: Option<&str>,
        to: Option<&str>,
        visit: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_read().map_err(StoreError::from_display)?;
        let t = match tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(StoreError::from_display(e)),
        };
        let rows = match (from, to) {
            (None, None) => t.iter(),
            (Some(f), None) => t.range(f..),
            (None, Some(e)) => t.range(..e),
            (Some(f), Some(e)) => t.range(f..e),
        }
        .map_err(StoreError::from_display)?;
        for row in rows {
            let (k, v) = row.map_err(StoreError::from_display)?;
            if !visit(k.value(), v.value()) {
                break;
            }
        }
        Ok(())
    }

    fn last_key(&self, name: &'static str) -> Result<Option<String>, StoreError> {
        let tx = self.db.begin_read().map_err(StoreError::from_display)?;
        let t = match tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(StoreError::from_display(e)),
        };
        let last = t.last().map_err(StoreError::from_display)?;
        Ok(last.map(|(k, _)| k.value().to_owned()))
    }

    fn get(&self, name: &'static str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(StoreError::from_display)?;
        let t = match tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(StoreError::from_display(e)),
        };
        let v = t.get(key).map_err(StoreError::from_display)?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(StoreError::from_display)?;
        for (name, key, value) in &batch.ops {
            let mut t = tx
                .open_table(table(name))
                .map_err(StoreError::from_display)?;
            match value {
                Some(v) => {
                    t.insert(key.as_str(), v.as_slice())
                        .map_err(StoreError::from_display)?;
                }
                None => {
                    t.remove(key.as_str()).map_err(StoreError::from_display)?;
                }
            }
        }
        // redb's default durability fsyncs before commit returns.
        tx.commit().map_err(StoreError::from_display)
    }

    fn clear(&self, tables: &[&'static str]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(StoreError::from_display)?;
        for name in tables {
            match tx.delete_table(table(name)) {
                Ok(_) => {}
                Err(e) => return Err(StoreError::from_display(e)),
            }
        }
        tx.commit().map_err(StoreError::from_display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_durable_and_reopened() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(StoreError::from_display)?;
        let path = dir.path().join("db.redb");
        {
            let e = RedbEngine::open(&path)?;
            let mut b = Batch::new();
            b.put("accounts", "111111111111", b"one".to_vec());
            b.put("accounts", "222222222222", b"two".to_vec());
            e.commit(b)?;
            let mut b = Batch::new();
            b.delete("accounts", "222222222222");
            e.commit(b)?;
        }
        let e = RedbEngine::open(&path)?;
        assert_eq!(
            e.scan("accounts")?,
            vec![("111111111111".to_owned(), b"one".to_vec())]
        );
        assert_eq!(e.get("accounts", "111111111111")?, Some(b"one".to_vec()));
        let mut seen = Vec::new();
        e.scan_each("accounts", &mut |k, v| {
            seen.push((k.to_owned(), v.to_vec()));
            true
        })?;
        assert_eq!(seen, vec![("111111111111".to_owned(), b"one".to_vec())]);
        let mut b = Batch::new();
        for k in ["a", "b", "c", "d"] {
            b.put("ranges", k, k.as_bytes().to_vec());
        }
        e.commit(b)?;
        let range = |from, to| -> Result<Vec<String>, StoreError> {
            let mut keys = Vec::new();
            e.scan_range("ranges", from, to, &mut |k, _| {
                keys.push(k.to_owned());
                true
            })?;
            Ok(keys)
        };
        assert_eq!(range(Some("b"), Some("d"))?, ["b", "c"]);
        assert_eq!(range(None, Some("b"))?, ["a"]);
        assert_eq!(range(Some("c"), None)?, ["c", "d"]);
        assert_eq!(range(None, None)?.len(), 4);
        assert_eq!(e.last_key("ranges")?, Some("d".to_owned()));
        assert_eq!(e.last_key("missing")?, None);
        assert_eq!(e.scan("missing")?, Vec::new());
        e.clear(&["accounts"])?;
        assert_eq!(e.scan("accounts")?, Vec::new());
        Ok(())
    }
}
