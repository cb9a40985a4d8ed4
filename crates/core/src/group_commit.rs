//! The hand-off of a group commit, shared by the catalog (accounts) and the DynamoDB item
//! store: writers queue behind a leader, the leader commits everything queued in one store
//! transaction, then tells each writer how its batch ended and hands the lead to the first
//! writer of the next batch.

use parking_lot::{Mutex, MutexGuard};
use rolegate_store::StoreError;
use std::sync::mpsc;

/// What a queued writer is told.
pub(crate) enum Outcome {
    /// The batch holding its change is durable and published.
    Committed,
    /// The batch holding its change (or one it built on) failed to commit.
    Failed(String),
    /// It is now the leader: it must commit the queue (its own change included).
    Lead,
}

/// The writers of the next batch, in arrival order, and whether a leader is committing.
#[derive(Default)]
pub(crate) struct Waiters {
    queued: Vec<mpsc::Sender<Outcome>>,
    pub(crate) leading: bool,
}

impl Waiters {
    /// The writers of the batch a leader is about to commit.
    pub(crate) fn take_batch(&mut self) -> Vec<mpsc::Sender<Outcome>> {
        std::mem::take(&mut self.queued)
    }

    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Tells a committed batch's writers how it ended: on failure every writer queued since
    /// fails too (their changes were built on it). Then hands the lead to the first writer
    /// of the next batch; returns true if there is none and the queue is now idle.
    pub(crate) fn settle(
        &mut self,
        batch: Vec<mpsc::Sender<Outcome>>,
        result: Result<(), String>,
    ) -> bool {
        match result {
            Ok(()) => {
                for w in batch {
                    let _ = w.send(Outcome::Committed);
                }
            }
            Err(msg) => {
                for w in batch.into_iter().chain(self.queued.drain(..)) {
                    let _ = w.send(Outcome::Failed(msg.clone()));
                }
            }
        }
        match self.queued.first() {
            None => {
                self.leading = false;
                true
            }
            // It has waited longest; `leading` stays set.
            Some(first) => {
                let _ = first.send(Outcome::Lead);
                false
            }
        }
    }
}

/// A queue whose writers wait through [`Waiters`].
pub(crate) trait Queued {
    fn waiters(&mut self) -> &mut Waiters;
}

/// Queues the caller (whose change is already in the queue `q` of `mutex`) and returns once
/// that change is durable and published, or failed. `lead` commits one batch; it is called
/// with `leading` set, by whichever writer leads.
pub(crate) fn join<'a, Q: Queued>(
    mutex: &'a Mutex<Q>,
    mut q: MutexGuard<'a, Q>,
    lead: impl Fn(MutexGuard<'a, Q>),
) -> Result<(), StoreError> {
    let (tx, rx) = mpsc::channel();
    let w = q.waiters();
    w.queued.push(tx);
    if w.leading {
        drop(q);
        match rx.recv() {
            Ok(Outcome::Lead) => lead(mutex.lock()),
            Ok(other) => return outcome(other),
            Err(_) => return Err(leader_gone()),
        }
    } else {
        w.leading = true;
        lead(q);
    }
    // The leader sent its own outcome to itself.
    match rx.recv() {
        Ok(o) => outcome(o),
        Err(_) => Err(leader_gone()),
    }
}

fn outcome(o: Outcome) -> Result<(), StoreError> {
    match o {
        Outcome::Committed => Ok(()),
        Outcome::Failed(msg) => Err(StoreError::Engine(msg)),
        // Only ever sent to a writer that has not led yet, before its outcome.
        Outcome::Lead => Err(leader_gone()),
    }
}

fn leader_gone() -> StoreError {
    StoreError::Engine("the group commit ended without an answer".to_owned())
}
