//! Durable state behind one narrow trait.
//!
//! rolegate keeps its working state in memory and writes every change through an [`Engine`]
//! before acknowledging it. An engine stores rows (table, key → bytes) and applies a [`Batch`]
//! atomically and durably: after `commit` returns, the batch survives a crash (`kill -9`,
//! power loss), and a crash before that leaves none of it. The default engine is redb, one
//! file in the data directory.

mod redb_engine;

pub use redb_engine::RedbEngine;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Engine(String),
}

impl StoreError {
    pub(crate) fn from_display(e: impl std::fmt::Display) -> StoreError {
        StoreError::Engine(e.to_string())
    }
}

/// A set of writes applied all together or not at all.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub(crate) ops: Vec<(&'static str, String, Option<Vec<u8>>)>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }
    pub fn put(&mut self, table: &'static str, key: impl Into<String>, value: Vec<u8>) {
        self.ops.push((table, key.into(), Some(value)));
    }
    pub fn delete(&mut self, table: &'static str, key: impl Into<String>) {
        self.ops.push((table, key.into(), None));
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A durable row store.
pub trait Engine: Send + Sync {
    /// Every row of a table, in key order (used at start-up to build the in-memory state).
    fn scan(&self, table: &'static str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Visits every row of a table in key order without holding them all at once (start-up
    /// of a large catalog); `visit` returns false to stop early.
    fn scan_each(
        &self,
        table: &'static str,
        visit: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.scan_range(table, None, None, visit)
    }
    /// Like [`Engine::scan_each`], over the keys `from <= key < to` (either bound may be
    /// open). Start-up reads disjoint ranges on several threads at once.
    fn scan_range(
        &self,
        table: &'static str,
        from: Option<&str>,
        to: Option<&str>,
        visit: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for (k, v) in self.scan(table)? {
            let inside = from.is_none_or(|f| k.as_str() >= f) && to.is_none_or(|t| k.as_str() < t);
            if inside && !visit(&k, &v) {
                break;
            }
        }
        Ok(())
    }
    /// The greatest key of a table.
    fn last_key(&self, table: &'static str) -> Result<Option<String>, StoreError> {
        Ok(self.scan(table)?.pop().map(|(k, _)| k))
    }
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Applies the batch atomically; returns once it is durable.
    fn commit(&self, batch: Batch) -> Result<(), StoreError>;
    /// Removes every row of every table (development-mode reset).
    fn clear(&self, tables: &[&'static str]) -> Result<(), StoreError>;
}
