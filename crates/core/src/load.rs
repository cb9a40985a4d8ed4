//! Start-up: reading every entity row back into accounts, on every core.
//!
//! One thread walks the store in key order (rows of one account are contiguous) and hands
//! batches of whole accounts to one decoder per core, which open (decrypt and authenticate)
//! and parse them. The channels are bounded, so at most a few batches of raw rows are held at
//! once however large the store is.

use crate::catalog::CatalogError;
use crate::crypto::Sealer;
use crate::model::Account;
use crate::rows::{Loader, ENTITIES};
use rolegate_store::Engine;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

/// Rows per batch handed to a decoder (a batch always ends at an account boundary).
const BATCH_ROWS: usize = 2048;

type Batch = Vec<(String, Vec<u8>)>;

/// Every account in the store.
pub(crate) fn load_accounts(
    engine: &dyn Engine,
    rows: &Sealer,
) -> Result<Vec<Account>, CatalogError> {
    let decoders = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let (tx, rx) = sync_channel::<Batch>(decoders * 2);
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..decoders)
            .map(|_| s.spawn(|| decode(&rx, rows)))
            .collect();
        let scanned = scan(engine, tx);
        let mut accounts = Vec::new();
        let mut failure = scanned.err();
        for w in workers {
            match w.join() {
                Ok(Ok(mut a)) => accounts.append(&mut a),
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => {
                    failure = failure.or(Some(CatalogError::Corrupt(
                        ENTITIES.to_owned(),
                        "a decoder thread panicked".to_owned(),
                    )))
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(accounts),
        }
    })
}

/// Walks the table, sending batches that end at account boundaries; dropping `tx` at the end
/// tells the decoders there is no more.
fn scan(engine: &dyn Engine, tx: SyncSender<Batch>) -> Result<(), CatalogError> {
    let mut batch: Batch = Vec::with_capacity(BATCH_ROWS);
    let mut stopped = false;
    engine.scan_each(ENTITIES, &mut |key, sealed| {
        let account = key.split('/').next().unwrap_or_default();
        let boundary = batch
            .last()
            .is_some_and(|(k, _)| k.split('/').next() != Some(account));
        if boundary && batch.len() >= BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if tx.send(full).is_err() {
                // Every decoder has stopped (on an error they report).
                stopped = true;
                return false;
            }
        }
        batch.push((key.to_owned(), sealed.to_vec()));
        true
    })?;
    if !stopped && !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(())
}

fn decode(rx: &Mutex<Receiver<Batch>>, rows: &Sealer) -> Result<Vec<Account>, CatalogError> {
    let mut out = Vec::new();
    loop {
        // The lock is held only to take a batch, not to decode it.
        let next = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => {
                return Err(CatalogError::Corrupt(
                    ENTITIES.to_owned(),
                    "poisoned".into(),
                ))
            }
        };
        let Ok(batch) = next else {
            return Ok(out);
        };
        let mut loader = Loader::default();
        for (key, sealed) in batch {
            let plain = rows.open(&sealed, key.as_bytes())?;
            loader
                .row(&key, &plain)
                .map_err(|e| CatalogError::Corrupt(key.clone(), e))?;
        }
        out.append(
            &mut loader
                .finish()
                .map_err(|e| CatalogError::Corrupt(ENTITIES.to_owned(), e))?,
        );
    }
}
