//! Opening the data directory: the master key (0600) and the store, then the catalog.

use rolegate_core::crypto::MasterKey;
use rolegate_core::decisions::DecisionLog;
use rolegate_core::session::TokenSealer;
use rolegate_core::Catalog;
use rolegate_services::State;
use rolegate_store::RedbEngine;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Usage(String),
    #[error("data directory {0}: {1}")]
    DataDir(String, String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The decision log's bound: files rotate at this size, this many previous ones kept.
const DECISION_LOG_BYTES: u64 = 64 << 20;
const DECISION_LOG_FILES: usize = 3;

pub fn open_state(dir: &Path, dev_mode: bool) -> Result<State, StartError> {
    let bad =
        |e: &dyn std::fmt::Display| StartError::DataDir(dir.display().to_string(), e.to_string());
    std::fs::create_dir_all(dir).map_err(|e| bad(&e))?;
    let master = MasterKey::load_or_create(&dir.join("master.key")).map_err(|e| bad(&e))?;
    let opening = std::time::Instant::now();
    let engine = RedbEngine::open(&dir.join("state.redb"))
        .map_err(|e| bad(&format!("{e} (is another rolegate using this directory?)")))?;
    tracing::info!(ms = opening.elapsed().as_millis() as u64, "store opened");
    let engine: Arc<dyn rolegate_store::Engine> = Arc::new(engine);
    let began = std::time::Instant::now();
    let catalog = Catalog::open(engine.clone(), &master).map_err(|e| bad(&e))?;
    tracing::info!(
        accounts = catalog.snapshot().account_count(),
        ms = began.elapsed().as_millis() as u64,
        "catalog loaded"
    );
    let dynamodb = rolegate_core::dynamodb_items::ItemStore::open(engine).map_err(|e| bad(&e))?;
    let snap = catalog.snapshot();
    dynamodb
        .purge_orphans(|id| {
            snap.account(&id.account).is_some_and(|a| {
                a.dynamodb_tables
                    .values()
                    .any(|t| t.id == id.id && t.region == id.region)
            })
        })
        .map_err(|e| bad(&e))?;
    tracing::info!(ms = began.elapsed().as_millis() as u64, "state opened");
    Ok(State {
        catalog,
        tokens: TokenSealer::new(&master),
        dev_mode,
        decisions: Some(
            DecisionLog::open(
                &dir.join("decisions"),
                DECISION_LOG_BYTES,
                DECISION_LOG_FILES,
            )
            .map_err(|e| bad(&e))?,
        ),
        dynamodb: Arc::new(dynamodb),
    })
}
