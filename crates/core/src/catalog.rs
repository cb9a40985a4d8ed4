//! The catalog: every account in memory as an immutable snapshot, swapped on each write.
//!
//! Readers take the current snapshot (one atomic load) and never wait for writers. A writer
//! holds the write lock, copies the one account it changes, makes the row durable in the store
//! (sealed with the master key: rows hold secret access keys), and only then publishes the new
//! snapshot, so nothing is acknowledged or visible before it is durable.

use crate::authorizer::SessionPolicyCache;
use crate::crypto::{CryptoError, MasterKey, Sealer};
use crate::managed::aws_managed_policies;
use crate::model::{Account, KeyStatus, LastUsed, ManagedPolicy};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rolegate_store::{Batch, Engine, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

const ACCOUNTS: &str = "accounts";

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("account row {0} is unreadable: {1}")]
    Corrupt(String, String),
    #[error("account {0} does not exist")]
    NoSuchAccount(String),
    #[error("account {0} already exists")]
    AccountExists(String),
}

/// Where an access key leads.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub account: String,
    /// The owning user's lowercased name; `None` for the root user's keys.
    pub user: Option<String>,
    pub secret: Arc<str>,
    pub status: KeyStatus,
}

/// One consistent view of everything.
#[derive(Clone)]
pub struct Snapshot {
    pub accounts: imbl::HashMap<String, Arc<Account>>,
    pub keys: imbl::HashMap<String, KeyEntry>,
    /// AWS managed policies (`arn:aws:iam::aws:policy/...`), by ARN.
    pub aws_policies: Arc<HashMap<String, ManagedPolicy>>,
}

impl Snapshot {
    pub fn account(&self, id: &str) -> Option<&Arc<Account>> {
        self.accounts.get(id)
    }

    /// A managed policy by ARN: AWS managed, or customer managed in its account.
    pub fn managed_policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        if let Some(p) = self.aws_policies.get(arn) {
            return Some(p);
        }
        let account = arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
        self.accounts.get(account)?.policy_by_arn(arn)
    }
}

pub struct Catalog {
    current: ArcSwap<Snapshot>,
    write: Mutex<()>,
    engine: Arc<dyn Engine>,
    rows: Sealer,
    /// Access-key last use, kept in memory: recording it durably would be a write per request.
    usage: Mutex<HashMap<String, LastUsed>>,
    /// Role last use (by role id, so a re-created namesake starts afresh), likewise in memory;
    /// AWS itself reports it with a delay.
    role_usage: Mutex<HashMap<String, LastUsed>>,
    session_policies: SessionPolicyCache,
}

impl Catalog {
    /// Loads every account from the store.
    pub fn open(engine: Arc<dyn Engine>, master: &MasterKey) -> Result<Catalog, CatalogError> {
        let rows = master.derive("rolegate account rows v1");
        let mut accounts = imbl::HashMap::new();
        let mut keys = imbl::HashMap::new();
        for (id, sealed) in engine.scan(ACCOUNTS)? {
            let plain = rows.open(&sealed, id.as_bytes())?;
            let mut account: Account = serde_json::from_slice(&plain)
                .map_err(|e| CatalogError::Corrupt(id.clone(), e.to_string()))?;
            account.name_policies();
            index_keys(&mut keys, &account);
            accounts.insert(id, Arc::new(account));
        }
        let snapshot = Snapshot {
            accounts,
            keys,
            aws_policies: Arc::new(aws_managed_policies()),
        };
        Ok(Catalog {
            current: ArcSwap::from_pointee(snapshot),
            write: Mutex::new(()),
            engine,
            rows,
            usage: Mutex::new(HashMap::new()),
            role_usage: Mutex::new(HashMap::new()),
            session_policies: SessionPolicyCache::default(),
        })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    fn persist(&self, batch: &mut Batch, account: &Account) -> Result<(), CatalogError> {
        let json = serde_json::to_vec(account)
            .map_err(|e| CatalogError::Corrupt(account.id.clone(), e.to_string()))?;
        batch.put(
            ACCOUNTS,
            account.id.clone(),
            self.rows.seal(&json, account.id.as_bytes()),
        );
        Ok(())
    }

    /// Creates an account; fails if the id is taken.
    pub fn create_account(&self, account: Account) -> Result<Arc<Account>, CatalogError> {
        let _guard = self.write.lock();
        let snap = self.current.load_full();
        if snap.accounts.contains_key(&account.id) {
            return Err(CatalogError::AccountExists(account.id));
        }
        let mut batch = Batch::new();
        self.persist(&mut batch, &account)?;
        self.engine.commit(batch)?;
        let mut next = (*snap).clone();
        index_keys(&mut next.keys, &account);
        let account = Arc::new(account);
        next.accounts.insert(account.id.clone(), account.clone());
        self.current.store(Arc::new(next));
        Ok(account)
    }

    /// Applies `f` to one account, durably, and publishes the result. If `f` fails, nothing
    /// changes.
    pub fn update<T, E>(
        &self,
        account_id: &str,
        f: impl FnOnce(&mut Account) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<CatalogError>,
    {
        let _guard = self.write.lock();
        let snap = self.current.load_full();
        let old = snap
            .accounts
            .get(account_id)
            .ok_or_else(|| CatalogError::NoSuchAccount(account_id.to_owned()))?;
        let mut account = (**old).clone();
        let out = f(&mut account)?;
        let mut batch = Batch::new();
        self.persist(&mut batch, &account)?;
        self.engine.commit(batch).map_err(CatalogError::from)?;
        let mut next = (*snap).clone();
        unindex_keys(&mut next.keys, old);
        index_keys(&mut next.keys, &account);
        next.accounts.insert(account.id.clone(), Arc::new(account));
        self.current.store(Arc::new(next));
        Ok(out)
    }

    /// Applies `f` to every account in one durable batch; `f` returns whether it changed one.
    /// Used when a deletion must be reflected in other accounts' policies.
    pub fn update_all<E>(&self, mut f: impl FnMut(&mut Account) -> Result<bool, E>) -> Result<(), E>
    where
        E: From<CatalogError>,
    {
        let _guard = self.write.lock();
        let snap = self.current.load_full();
        let mut next = (*snap).clone();
        let mut batch = Batch::new();
        for (id, old) in snap.accounts.iter() {
            let mut account = (**old).clone();
            if f(&mut account)? {
                self.persist(&mut batch, &account)?;
                unindex_keys(&mut next.keys, old);
                index_keys(&mut next.keys, &account);
                next.accounts.insert(id.clone(), Arc::new(account));
            }
        }
        if !batch.is_empty() {
            self.engine.commit(batch).map_err(CatalogError::from)?;
            self.current.store(Arc::new(next));
        }
        Ok(())
    }

    /// Erases every account (development-mode reset).
    pub fn reset(&self) -> Result<(), CatalogError> {
        let _guard = self.write.lock();
        self.engine.clear(&[ACCOUNTS])?;
        let snap = self.current.load_full();
        self.current.store(Arc::new(Snapshot {
            accounts: imbl::HashMap::new(),
            keys: imbl::HashMap::new(),
            aws_policies: snap.aws_policies.clone(),
        }));
        self.usage.lock().clear();
        self.role_usage.lock().clear();
        Ok(())
    }

    pub fn record_key_use(&self, key_id: &str, service: &str, region: &str, when: i64) {
        self.usage.lock().insert(
            key_id.to_owned(),
            LastUsed {
                date: when,
                service: service.to_owned(),
                region: region.to_owned(),
            },
        );
    }

    /// Compiled session policies, shared by all requests.
    pub fn session_policies(&self) -> &SessionPolicyCache {
        &self.session_policies
    }

    pub fn key_last_used(&self, key_id: &str) -> Option<LastUsed> {
        self.usage.lock().get(key_id).cloned()
    }

    pub fn record_role_use(&self, role_id: &str, region: &str, when: i64) {
        self.role_usage.lock().insert(
            role_id.to_owned(),
            LastUsed {
                date: when,
                service: "sts".to_owned(),
                region: region.to_owned(),
            },
        );
    }

    pub fn role_last_used(&self, role_id: &str) -> Option<LastUsed> {
        self.role_usage.lock().get(role_id).cloned()
    }
}

fn index_keys(keys: &mut imbl::HashMap<String, KeyEntry>, account: &Account) {
    for (k, user) in account.keys() {
        keys.insert(
            k.id.clone(),
            KeyEntry {
                account: account.id.clone(),
                user: user.map(|u| u.name.to_lowercase()),
                secret: Arc::from(k.secret.as_str()),
                status: k.status,
            },
        );
    }
}

fn unindex_keys(keys: &mut imbl::HashMap<String, KeyEntry>, account: &Account) {
    for (k, _) in account.keys() {
        keys.remove(&k.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_store::RedbEngine;

    #[test]
    fn writes_survive_reopen_and_failed_updates_change_nothing() -> Result<(), CatalogError> {
        let dir = tempfile::tempdir().map_err(CryptoError::from)?;
        let master = MasterKey::random();
        let path = dir.path().join("db");
        {
            let cat = Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?;
            cat.create_account(Account::new("111111111111", "a", 0))?;
            cat.update("111111111111", |a| {
                a.aliases.push("alias".into());
                Ok::<_, CatalogError>(())
            })?;
            let r: Result<(), CatalogError> = cat.update("111111111111", |a| {
                a.aliases.clear();
                Err(CatalogError::NoSuchAccount("x".into()))
            });
            assert!(r.is_err());
        }
        let cat = Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?;
        let snap = cat.snapshot();
        let acct = snap
            .account("111111111111")
            .ok_or(CatalogError::NoSuchAccount("".into()))?;
        assert_eq!(acct.aliases, vec!["alias".to_owned()]);
        // Another master key cannot read the rows.
        assert!(Catalog::open(
            Arc::new(RedbEngine::open(&dir.path().join("db2"))?),
            &MasterKey::random()
        )
        .is_ok());
        Ok(())
    }
}
