//! An account's place in a snapshot: the account itself once read, and before that only what
//! must be known of it without reading it.
//!
//! Start-up reads the accounts' skeletons only (`crate::load`); an account is read whole from
//! the store the first time a request or a write needs it. That read is consistent with the
//! snapshot holding the slot: a slot is still unread only if its account has not been written
//! since start-up (a writer reads the account before changing it, and publishes the change in
//! a new slot), so the store holds exactly what the snapshot would have.

use crate::catalog::CatalogError;
use crate::load::Source;
use crate::model::Account;
use std::sync::{Arc, OnceLock};

pub(crate) struct Slot {
    /// The account's aliases (unique across accounts): checking a new alias needs every
    /// account's, and must not read every account to get them.
    pub(crate) aliases: Vec<String>,
    /// The account, or why it could not be read (a damaged row: refused, not guessed).
    account: OnceLock<Result<Arc<Account>, String>>,
}

impl Slot {
    pub(crate) fn loaded(account: Arc<Account>) -> Slot {
        let cell = OnceLock::new();
        let aliases = account.aliases.clone();
        let _ = cell.set(Ok(account));
        Slot {
            aliases,
            account: cell,
        }
    }

    /// An account known from its skeleton, read on first use.
    pub(crate) fn stored(skeleton: &Account) -> Slot {
        Slot {
            aliases: skeleton.aliases.clone(),
            account: OnceLock::new(),
        }
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.account.get().is_some()
    }

    /// The account, read from `source` if this is its first use.
    pub(crate) fn get(&self, id: &str, source: &Source) -> Result<&Arc<Account>, CatalogError> {
        let read = self.account.get_or_init(|| match source.account(id) {
            Ok(Some(a)) => Ok(Arc::new(a)),
            Ok(None) => Err(format!("account {id} has no rows")),
            Err(e) => {
                tracing::error!(account = id, error = %e, "an account could not be read");
                Err(e.to_string())
            }
        });
        read.as_ref()
            .map_err(|e| CatalogError::Corrupt(id.to_owned(), e.clone()))
    }

    /// Fills an unread slot with an account read in bulk (ignored if it was read meanwhile:
    /// both reads saw the same rows).
    pub(crate) fn fill(&self, account: Arc<Account>) {
        let _ = self.account.set(Ok(account));
    }
}
