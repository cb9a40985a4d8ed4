//! Group commit for the item store: concurrent writes share one durable store transaction
//! (one fsync) instead of paying one each, as the catalog's accounts do.
//!
//! 1. Under the queue lock, a writer's `decide` reads the *working* items (the published ones
//!    overlaid with every change queued or being committed) and returns its changes. If it
//!    fails, nothing is queued: a failing write fails only its own request. Otherwise its
//!    changes go into the next batch (the latest change of an item wins) and it queues itself.
//! 2. If no commit is in flight, the writer becomes the leader: it takes the batch and every
//!    queued writer, releases the lock, and commits all their rows in ONE store transaction.
//!    Writers arriving meanwhile decide on top of that batch and queue for the next one.
//! 3. Only after the commit returns does the leader apply the batch to the in-memory tables
//!    (what readers see) and acknowledge each writer, so nothing is visible or acknowledged
//!    before it is durable. Then it hands the lead to the first writer of the next batch.
//!
//! If a commit fails, every writer of the batch gets the error, and so does every writer
//! queued since (they decided on top of the failed changes); the working items fall back to
//! the published ones. A writer that changes nothing but decided on queued changes (a failed
//! condition on a queued item, a ConditionCheck) is queued too, so its answer is not given
//! before what it saw is durable.

use super::{row_key, Change, ItemStore, ItemStoreError, KeyBytes, TableId, TableRef, ITEMS};
use crate::group_commit::{self, Queued, Waiters};
use parking_lot::MutexGuard;
use rolegate_dynamo::{item_to_json, Item};
use rolegate_store::Batch;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

/// Changes not yet published, by table and item key: the table (its indexes, for the apply)
/// and the new item, or `None` for a deletion.
type Pending = HashMap<TableId, HashMap<KeyBytes, (TableRef, Option<Arc<Item>>)>>;

/// Changes decided but not yet published, and who waits for them.
#[derive(Default)]
pub(super) struct Queue {
    /// The next batch: changes of the writers in `waiters`.
    next: Pending,
    /// The batch the leader is committing (empty when none).
    inflight: Arc<Pending>,
    /// The writers whose changes are in `next`, and whether a leader is committing.
    pub(super) waiters: Waiters,
}

impl Queued for Queue {
    fn waiters(&mut self) -> &mut Waiters {
        &mut self.waiters
    }
}

/// The items as a writer sees them while deciding: published items overlaid with every
/// change queued before it (as a later transaction sees an earlier one in a log).
pub struct Working<'a> {
    store: &'a ItemStore,
    queue: &'a Queue,
    /// Whether an answer came from a change that is not yet durable.
    unpublished: Cell<bool>,
}

impl Working<'_> {
    /// The item with this primary key, counting changes queued before this writer.
    pub fn get(&self, t: &TableRef, key: &KeyBytes) -> Option<Arc<Item>> {
        for layer in [&self.queue.next, &*self.queue.inflight] {
            if let Some((_, item)) = layer.get(&t.id).and_then(|m| m.get(key)) {
                self.unpublished.set(true);
                return item.clone();
            }
        }
        self.store.get(t, key)
    }
}

impl ItemStore {
    /// The one write path. `decide` runs under the queue lock, reads the working items, and
    /// returns the changes to make (or an error: nothing changes). The changes are committed
    /// durably and published before this returns.
    pub fn write<T, E>(
        &self,
        decide: impl FnOnce(&Working<'_>) -> Result<(Vec<Change>, T), E>,
    ) -> Result<T, E>
    where
        E: From<ItemStoreError>,
    {
        let mut q = self.queue.lock();
        let (changes, out, unpublished) = {
            let view = Working {
                store: self,
                queue: &q,
                unpublished: Cell::new(false),
            };
            let (changes, out) = decide(&view)?;
            (changes, out, view.unpublished.get())
        };
        let mut staged = Vec::with_capacity(changes.len());
        for c in changes {
            staged.push(match c {
                Change::Put(t, item) => match t.key_of(&item) {
                    Some(key) => (t, key, Some(Arc::new(item))),
                    None => {
                        let why = "item without its key".to_owned();
                        return Err(ItemStoreError::Corrupt(t.id.id.clone(), why).into());
                    }
                },
                Change::Delete(t, key) => (t, key, None),
            });
        }
        if staged.is_empty() && !unpublished {
            return Ok(out);
        }
        for (t, key, item) in staged {
            q.next
                .entry(t.id.clone())
                .or_default()
                .insert(key, (t, item));
        }
        self.commit_queued(q).map_err(E::from)?;
        Ok(out)
    }

    /// Queues the caller (whose changes are already in `q.next`) and returns once they are
    /// durable and published, or failed.
    fn commit_queued(&self, q: MutexGuard<'_, Queue>) -> Result<(), ItemStoreError> {
        Ok(group_commit::join(&self.queue, q, |q| self.lead(q))?)
    }

    /// Commits one batch: everything queued now. Called with `leading` set by the caller.
    fn lead(&self, mut q: MutexGuard<'_, Queue>) {
        let batch = Arc::new(std::mem::take(&mut q.next));
        q.inflight = batch.clone();
        let waiters = q.waiters.take_batch();
        drop(q);
        let result = self.commit_rows(&batch);
        if result.is_ok() {
            // Outside the queue lock: writers deciding meanwhile still find these changes in
            // `inflight`, with the same values.
            self.publish(&batch);
        }
        let mut q = self.queue.lock();
        q.inflight = Arc::default();
        if result.is_err() {
            // Everything queued since was decided on top of the failed batch.
            q.next.clear();
        }
        if q.waiters.settle(waiters, result.map_err(|e| e.to_string())) {
            self.idle.notify_all();
        }
        drop(q);
        // The last references to replaced items may go here, outside every lock.
        drop(batch);
    }

    /// Writes every row of the batch in one store transaction.
    fn commit_rows(&self, batch: &Pending) -> Result<(), ItemStoreError> {
        let mut rows = Batch::new();
        for (id, items) in batch {
            for (key, (_, item)) in items {
                match item {
                    Some(i) => rows.put(
                        ITEMS,
                        row_key(id, key),
                        item_to_json(i).to_string().into_bytes(),
                    ),
                    None => rows.delete(ITEMS, row_key(id, key)),
                }
            }
        }
        if !rows.is_empty() {
            self.engine.commit(rows)?;
        }
        Ok(())
    }

    /// Applies a committed batch to the in-memory tables, one table lock per table.
    fn publish(&self, batch: &Pending) {
        for items in batch.values() {
            let Some((t, _)) = items.values().next() else {
                continue;
            };
            let table = self.table(t);
            let mut d = table.data.write();
            for (key, (_, item)) in items {
                match item {
                    Some(i) => d.insert(key.clone(), i.clone()),
                    None => d.remove(key),
                }
            }
        }
    }

    /// The queue with no batch in flight or queued, for writes that bypass it (dropping a
    /// table, purging, clearing); holding it keeps writers out.
    pub(super) fn quiet_queue(&self) -> MutexGuard<'_, Queue> {
        let mut q = self.queue.lock();
        while q.waiters.leading {
            self.idle.wait(&mut q);
        }
        q
    }
}

#[cfg(test)]
impl ItemStore {
    /// How many writers wait for the next batch.
    pub(super) fn queued_writers(&self) -> usize {
        self.queue.lock().waiters.queued()
    }
}
