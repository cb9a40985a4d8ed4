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
    /// The account, once read. A failed read is not remembered: the next use tries again (a
    /// damaged row fails every time, an I/O error need not).
    account: OnceLock<Arc<Account>>,
}

impl Slot {
    pub(crate) fn loaded(account: Arc<Account>) -> Slot {
        let aliases = account.aliases.clone();
        Slot {
            aliases,
            account: OnceLock::from(account),
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

    /// The account, read from `source` if this is its first use. Two first uses at once may
    /// both read it; the first to finish fills the slot and both return that one (they read
    /// the same rows: see the module comment).
    pub(crate) fn get(&self, id: &str, source: &Source) -> Result<&Arc<Account>, CatalogError> {
        if let Some(account) = self.account.get() {
            return Ok(account);
        }
        let read = match source.account(id) {
            Ok(Some(a)) => a,
            Ok(None) => {
                return Err(CatalogError::Corrupt(
                    id.to_owned(),
                    "the account has no rows".to_owned(),
                ))
            }
            Err(e) => {
                tracing::error!(account = id, error = %e, "an account could not be read");
                return Err(e);
            }
        };
        Ok(self.account.get_or_init(|| Arc::new(read)))
    }

    /// Fills an unread slot with an account read in bulk (ignored if it was read meanwhile:
    /// both reads saw the same rows).
    pub(crate) fn fill(&self, account: Arc<Account>) {
        let _ = self.account.set(account);
    }
}
