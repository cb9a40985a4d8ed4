//! The catalog: every account as an immutable snapshot, swapped on each write.
//!
//! Readers take the current snapshot (one atomic load) and never wait for writers. An account
//! is read from the store the first time it is used, not at start-up (`crate::slot`): the
//! snapshot holds from the start only the indexes (access keys, bucket and instance owners)
//! and each account's aliases.
//!
//! Writers use group commit, so that concurrent writes share one durable store transaction
//! (one fsync) instead of paying one each:
//!
//! 1. Under the queue lock, a writer applies its change to a clone (O(1): persistent maps) of
//!    the one account it changes, taken from the *working* state (the published snapshot plus every change queued
//!    but not yet committed). If the change fails, the clone is dropped and nothing changes:
//!    a failing write fails only its own request. Otherwise the clone replaces the account in
//!    the working state, the account is marked dirty, and the writer queues itself.
//! 2. If no commit is in flight, the writer becomes the leader: it takes every dirty account,
//!    every queued writer and a copy of the working state, releases the lock, diffs each dirty
//!    account against the published one and seals the entity rows that differ (`crate::rows`:
//!    however many writes an entity received, it is written once), and commits them all in
//!    ONE store transaction. Writers arriving meanwhile queue up for the next batch.
//! 3. Only after that commit returns does the leader publish the copy as the new snapshot and
//!    acknowledge each writer of the batch, so nothing is acknowledged or visible before it is
//!    durable. Then it hands the lead to the first writer waiting for the next batch.
//!
//! If a commit fails, every writer of the batch gets the error, and so does every writer
//! queued since: their changes were applied on top of the failed ones. The working state
//! falls back to the published snapshot. Rows are sealed with the master key (they hold
//! secret access keys). A writer sees queued-but-uncommitted changes of other writers (as a
//! later transaction sees an earlier one in a log); readers never do.

use crate::authorizer::SessionPolicyCache;
use crate::crypto::{CryptoError, MasterKey, Sealer};
use crate::group_commit::{self, Queued, Waiters};
use crate::load::Source;
use crate::managed::aws_managed_policies;
use crate::model::{Account, KeyStatus, LastUsed, ManagedPolicy};
use crate::rows::{table_of, RowOp, ENTITIES, SKELETONS};
use crate::slot::Slot;
use arc_swap::ArcSwap;
use parking_lot::{Condvar, Mutex, MutexGuard};
use rolegate_store::{Batch, Engine, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// The layout before entity rows: one sealed row per account (read once, to migrate).
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
    /// The caller this key signs as, built on its first use. An entry is made anew whenever
    /// its account's users or root keys change, so what it holds is never stale.
    pub caller: std::sync::OnceLock<Arc<crate::Caller>>,
}

/// One consistent view of everything. Accounts are read from the store on first use
/// (`crate::slot`); the indexes below are complete from start-up.
#[derive(Clone)]
pub struct Snapshot {
    accounts: imbl::HashMap<String, Arc<Slot>>,
    pub keys: imbl::HashMap<String, KeyEntry>,
    /// The account owning each S3 bucket (names are global) and each EC2 instance (ids are),
    /// so that finding one does not walk every account.
    pub bucket_owners: imbl::HashMap<String, String>,
    pub instance_owners: imbl::HashMap<String, String>,
    /// AWS managed policies (`arn:aws:iam::aws:policy/...`), by ARN.
    pub aws_policies: Arc<HashMap<String, ManagedPolicy>>,
    source: Arc<Source>,
}

impl Snapshot {
    fn empty(source: Arc<Source>, aws_policies: Arc<HashMap<String, ManagedPolicy>>) -> Self {
        Snapshot {
            accounts: imbl::HashMap::new(),
            keys: imbl::HashMap::new(),
            bucket_owners: imbl::HashMap::new(),
            instance_owners: imbl::HashMap::new(),
            aws_policies,
            source,
        }
    }

    /// The account `id`; `None` if there is none, or if its rows are damaged (logged: the
    /// request is refused as for an unknown account rather than served from a guess).
    pub fn account(&self, id: &str) -> Option<&Arc<Account>> {
        self.try_account(id).ok().flatten()
    }

    /// The account `id`, saying why if it exists but cannot be read.
    pub fn try_account(&self, id: &str) -> Result<Option<&Arc<Account>>, CatalogError> {
        match self.accounts.get(id) {
            None => Ok(None),
            Some(slot) => slot.get(id, &self.source).map(Some),
        }
    }

    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// How many accounts have been read whole so far (the others wait for their first use).
    pub fn loaded_count(&self) -> usize {
        self.accounts.values().filter(|s| s.is_loaded()).count()
    }

    /// Reads every account of `ids` not read yet, on every core (rather than one by one when
    /// a write must visit many of them).
    fn read_all(&self, ids: &[String]) -> Result<(), CatalogError> {
        let unread: Vec<String> = ids
            .iter()
            .filter(|id| self.accounts.get(*id).is_some_and(|s| !s.is_loaded()))
            .cloned()
            .collect();
        if unread.len() < 2 {
            return Ok(());
        }
        for account in self.source.accounts(&unread)? {
            if let Some(slot) = self.accounts.get(&account.id) {
                slot.fill(Arc::new(account));
            }
        }
        Ok(())
    }

    /// Adds an account known only from its skeleton (start-up): indexed, read on first use.
    fn put_skeleton(&mut self, skeleton: &Account) {
        index_keys(&mut self.keys, skeleton);
        let id = skeleton.id.as_str();
        reindex(&mut self.bucket_owners, None, &skeleton.buckets, id);
        reindex(&mut self.instance_owners, None, &skeleton.instances, id);
        self.accounts
            .insert(skeleton.id.clone(), Arc::new(Slot::stored(skeleton)));
    }

    /// A managed policy by ARN: AWS managed, or customer managed in its account.
    pub fn managed_policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        if let Some(p) = self.aws_policies.get(arn) {
            return Some(p);
        }
        let account = arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
        self.account(account)?.policy_by_arn(arn)
    }

    /// Replaces one account (or adds it), keeping the key index in step; returns the one
    /// replaced, for the caller to drop outside the queue lock (freeing a large account is
    /// not cheap).
    fn put_account(&mut self, account: Arc<Account>) -> Option<Arc<Slot>> {
        // Writers read an account before changing it, so `old` is what the indexes hold.
        let old = self.try_account(&account.id).ok().flatten().cloned();
        let old = old.as_deref();
        // Each index is redone only if what it indexes changed (one pointer comparison when
        // it did not), so a write costs what it changes, not the account's size.
        let keys_same =
            old.is_some_and(|o| o.users.ptr_eq(&account.users) && o.root_keys == account.root_keys);
        if !keys_same {
            if let Some(o) = old {
                unindex_keys(&mut self.keys, o);
            }
            index_keys(&mut self.keys, &account);
        }
        reindex(
            &mut self.bucket_owners,
            old.map(|o| &o.buckets),
            &account.buckets,
            &account.id,
        );
        reindex(
            &mut self.instance_owners,
            old.map(|o| &o.instances),
            &account.instances,
            &account.id,
        );
        self.accounts
            .insert(account.id.clone(), Arc::new(Slot::loaded(account)))
    }

    /// The bucket named `name` and the account owning it.
    pub fn find_bucket(&self, name: &str) -> Option<(&Arc<Account>, &crate::s3::Bucket)> {
        let account = self.account(self.bucket_owners.get(name)?)?;
        Some((account, account.buckets.get(name)?))
    }

    /// The instance `id` and the account holding it.
    pub fn find_instance(&self, id: &str) -> Option<(&Arc<Account>, &crate::ec2::Instance)> {
        let account = self.account(self.instance_owners.get(id)?)?;
        Some((account, account.instances.get(id)?))
    }
}

/// Changes applied but not yet committed, and who waits for them.
struct Queue {
    /// The published snapshot plus every queued change.
    working: Snapshot,
    /// Accounts changed since the last batch was taken, by id.
    dirty: HashMap<String, Arc<Account>>,
    /// The writers whose changes are in `dirty`, and whether a leader is committing.
    waiters: Waiters,
}

impl Queued for Queue {
    fn waiters(&mut self) -> &mut Waiters {
        &mut self.waiters
    }
}

pub struct Catalog {
    current: ArcSwap<Snapshot>,
    queue: Mutex<Queue>,
    /// Signalled when `leading` turns false (the reset waits for it).
    idle: Condvar,
    /// The store, and the key that seals its rows.
    source: Arc<Source>,
    /// Access-key last use, kept in memory: recording it durably would be a write per request.
    /// Written on every signed request, so hashed with foldhash rather than SipHash (its keys
    /// are verified access key ids: nothing an attacker can choose).
    usage: Mutex<HashMap<String, LastUsed, foldhash::fast::RandomState>>,
    /// Role last use (by role id, so a re-created namesake starts afresh), likewise in memory;
    /// AWS itself reports it with a delay.
    role_usage: Mutex<HashMap<String, LastUsed>>,
    session_policies: SessionPolicyCache,
}

impl Catalog {
    /// Opens the catalog of the store (see `crate::rows` for the layout): every account's
    /// skeleton now, each account whole on its first use (`crate::load`).
    pub fn open(engine: Arc<dyn Engine>, master: &MasterKey) -> Result<Catalog, CatalogError> {
        let rows = master.derive("rolegate entity rows v1");
        migrate_account_rows(&*engine, master, &rows)?;
        migrate_skeleton_rows(&*engine)?;
        let source = Arc::new(Source { engine, rows });
        crate::trust_refs::build_if_missing(&source)?;
        let mut snapshot = Snapshot::empty(source.clone(), Arc::new(aws_managed_policies()));
        for skeleton in source.skeletons()? {
            snapshot.put_skeleton(&skeleton);
        }
        Ok(Catalog {
            queue: Mutex::new(Queue {
                working: snapshot.clone(),
                dirty: HashMap::new(),
                waiters: Waiters::default(),
            }),
            current: ArcSwap::from_pointee(snapshot),
            idle: Condvar::new(),
            source,
            usage: Mutex::new(HashMap::default()),
            role_usage: Mutex::new(HashMap::new()),
            session_policies: SessionPolicyCache::default(),
        })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Creates an account; fails if the id is taken.
    pub fn create_account(&self, account: Account) -> Result<Arc<Account>, CatalogError> {
        let mut created = self.create_accounts(vec![account])?;
        created
            .pop()
            .ok_or_else(|| StoreError::Engine("no account was created".to_owned()).into())
    }

    /// Creates accounts in one durable transaction (bulk loading); fails, creating none, if
    /// any id is taken or repeated.
    pub fn create_accounts(
        &self,
        accounts: Vec<Account>,
    ) -> Result<Vec<Arc<Account>>, CatalogError> {
        let mut q = self.queue.lock();
        let mut ids = std::collections::HashSet::new();
        for a in &accounts {
            if q.working.accounts.contains_key(&a.id) || !ids.insert(a.id.as_str()) {
                return Err(CatalogError::AccountExists(a.id.clone()));
            }
        }
        let accounts: Vec<Arc<Account>> = accounts.into_iter().map(Arc::new).collect();
        for account in &accounts {
            let _replaced = q.working.put_account(account.clone());
            q.dirty.insert(account.id.clone(), account.clone());
        }
        self.commit_queued(q)?;
        Ok(accounts)
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
        let mut q = self.queue.lock();
        let mut account = match q.working.try_account(account_id)? {
            Some(old) => (**old).clone(),
            None => return Err(CatalogError::NoSuchAccount(account_id.to_owned()).into()),
        };
        let out = f(&mut account)?;
        let account = Arc::new(account);
        // Dropped once the lock is released (commit_queued releases it).
        let _replaced = (
            q.working.put_account(account.clone()),
            q.dirty.insert(account.id.clone(), account),
        );
        self.commit_queued(q)?;
        Ok(out)
    }

    /// Applies `f` to every account in one durable batch; `f` returns whether it changed one.
    /// Used when a deletion must be reflected in other accounts' policies. If `f` fails on any
    /// account, nothing changes. Reads every account not read yet.
    pub fn update_all<E>(&self, f: impl FnMut(&mut Account) -> Result<bool, E>) -> Result<(), E>
    where
        E: From<CatalogError>,
    {
        self.update_matching(|_, _| true, f)
    }

    /// [`Catalog::update_all`] over only the accounts `matching(id, aliases)` selects, so that
    /// what can be decided from an account's skeleton does not read every account.
    pub fn update_matching<E>(
        &self,
        matching: impl Fn(&str, &[String]) -> bool,
        f: impl FnMut(&mut Account) -> Result<bool, E>,
    ) -> Result<(), E>
    where
        E: From<CatalogError>,
    {
        self.update_selected(|id, slot| matching(id, &slot.aliases), f)
    }

    /// [`Catalog::update_all`] over the accounts that may have a role whose trust policy names
    /// `arn` (quoted): those the store's index says do (`crate::trust_refs`), and every account
    /// already read (its roles may have changed since; `f` looks at them in memory). Accounts
    /// not read yet have not changed since start-up, so the index is exact for them.
    pub fn update_trusting<E>(
        &self,
        arn: &str,
        f: impl FnMut(&mut Account) -> Result<bool, E>,
    ) -> Result<(), E>
    where
        E: From<CatalogError>,
    {
        let named = crate::trust_refs::accounts_naming(&*self.source.engine, arn)?;
        self.update_selected(|id, slot| slot.is_loaded() || named.contains(id), f)
    }

    fn update_selected<E>(
        &self,
        select: impl Fn(&str, &Slot) -> bool,
        mut f: impl FnMut(&mut Account) -> Result<bool, E>,
    ) -> Result<(), E>
    where
        E: From<CatalogError>,
    {
        let mut q = self.queue.lock();
        let ids: Vec<String> = q
            .working
            .accounts
            .iter()
            .filter(|(id, slot)| select(id, slot))
            .map(|(id, _)| id.clone())
            .collect();
        q.working.read_all(&ids)?;
        let mut changed = Vec::new();
        for id in &ids {
            let Some(old) = q.working.try_account(id)? else {
                continue;
            };
            let mut account = (**old).clone();
            if f(&mut account)? {
                changed.push(Arc::new(account));
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        let mut replaced = Vec::new();
        for account in changed {
            replaced.push((
                q.working.put_account(account.clone()),
                q.dirty.insert(account.id.clone(), account),
            ));
        }
        self.commit_queued(q)?;
        Ok(())
    }

    /// Queues the caller (whose change is already in `q.working` and `q.dirty`) and returns
    /// once that change is durable and published, or failed.
    fn commit_queued(&self, q: MutexGuard<'_, Queue>) -> Result<(), CatalogError> {
        Ok(group_commit::join(&self.queue, q, |q| self.lead(q))?)
    }

    /// Commits one batch: everything queued now. Called with `leading` set by the caller.
    fn lead(&self, mut q: MutexGuard<'_, Queue>) {
        let dirty = std::mem::take(&mut q.dirty);
        let waiters = q.waiters.take_batch();
        let next = q.working.clone();
        drop(q);
        let result = self.commit_rows(dirty.values());
        let mut q = self.queue.lock();
        let mut previous = None;
        match &result {
            // Dropped after the lock: it may hold the last reference to large accounts.
            Ok(()) => previous = Some(self.current.swap(Arc::new(next))),
            Err(_) => {
                // Everything queued since was applied on top of the failed batch.
                q.working = (*self.current.load_full()).clone();
                q.dirty.clear();
            }
        }
        if q.waiters.settle(waiters, result.map_err(|e| e.to_string())) {
            self.idle.notify_all();
        }
        drop(q);
        drop(previous);
    }

    /// Writes the rows that changed in each account since the published snapshot (which is
    /// what the store holds: only the leader commits, and it publishes after), sealed, in one
    /// transaction.
    fn commit_rows<'a>(
        &self,
        accounts: impl Iterator<Item = &'a Arc<Account>>,
    ) -> Result<(), CatalogError> {
        let published = self.current.load();
        let mut batch = Batch::new();
        for account in accounts {
            let old = published.try_account(&account.id)?.map(|a| &**a);
            let ops = crate::rows::diff(old, account)
                .map_err(|e| CatalogError::Corrupt(account.id.clone(), e.to_string()))?;
            add_sealed_rows(&self.source.rows, &mut batch, ops);
            crate::trust_refs::diff(old, account, &mut batch);
        }
        self.source.engine.commit(batch)?;
        Ok(())
    }

    /// Erases every account (development-mode reset).
    pub fn reset(&self) -> Result<(), CatalogError> {
        let mut q = self.queue.lock();
        // A batch in flight would publish its snapshot over the reset one.
        while q.waiters.leading {
            self.idle.wait(&mut q);
        }
        self.source.engine.clear(&[
            ACCOUNTS,
            ENTITIES,
            SKELETONS,
            crate::trust_refs::TRUST_REFS,
        ])?;
        let empty = Snapshot::empty(
            self.source.clone(),
            self.current.load().aws_policies.clone(),
        );
        q.working = empty.clone();
        self.current.store(Arc::new(empty));
        self.usage.lock().clear();
        self.role_usage.lock().clear();
        Ok(())
    }

    pub fn record_key_use(&self, key_id: &str, service: &str, region: &str, when: i64) {
        let mut usage = self.usage.lock();
        // Every signed request lands here: a key in use is updated in place.
        if let Some(last) = usage.get_mut(key_id) {
            last.date = when;
            if last.service != service {
                service.clone_into(&mut last.service);
            }
            if last.region != region {
                region.clone_into(&mut last.region);
            }
            return;
        }
        usage.insert(
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

fn add_sealed_rows(rows: &Sealer, batch: &mut Batch, ops: Vec<RowOp>) {
    for (key, value) in ops {
        match value {
            // The key is the associated data: a row cannot be moved to another key.
            Some(json) => {
                let sealed = rows.seal(&json, key.as_bytes());
                batch.put(table_of(&key), key, sealed);
            }
            None => batch.delete(table_of(&key), key),
        }
    }
}

/// Data directories written before entity rows held one sealed JSON row per account in
/// `accounts`: rewrite them as entity rows, in one transaction that also removes the old rows,
/// so that a crash leaves either layout whole.
fn migrate_account_rows(
    engine: &dyn Engine,
    master: &MasterKey,
    rows: &Sealer,
) -> Result<(), CatalogError> {
    let old_rows = engine.scan(ACCOUNTS)?;
    if old_rows.is_empty() {
        return Ok(());
    }
    let old_sealer = master.derive("rolegate account rows v1");
    let mut batch = Batch::new();
    for (id, sealed) in old_rows {
        let plain = old_sealer.open(&sealed, id.as_bytes())?;
        let account: Account = serde_json::from_slice(&plain)
            .map_err(|e| CatalogError::Corrupt(id.clone(), e.to_string()))?;
        let ops = crate::rows::all(&account)
            .map_err(|e| CatalogError::Corrupt(id.clone(), e.to_string()))?;
        add_sealed_rows(rows, &mut batch, ops);
        batch.delete(ACCOUNTS, id);
    }
    engine.commit(batch)?;
    Ok(())
}

/// Data directories written before the skeleton table held every row in `entities`: move the
/// skeleton kinds' rows (as they are: a row is sealed to its key, which does not change) in
/// one transaction. In that layout every account's first row is its `a` row; in this one no
/// row of `entities` is, so the first key tells which layout the store has.
fn migrate_skeleton_rows(engine: &dyn Engine) -> Result<(), CatalogError> {
    let first = crate::load::first_key(engine, ENTITIES)?;
    if first.is_none_or(|k| table_of(&k) != SKELETONS) {
        return Ok(());
    }
    let mut batch = Batch::new();
    engine.scan_each(ENTITIES, &mut |k, v| {
        if table_of(k) == SKELETONS {
            batch.put(SKELETONS, k.to_owned(), v.to_vec());
            batch.delete(ENTITIES, k.to_owned());
        }
        true
    })?;
    engine.commit(batch)?;
    Ok(())
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
                caller: std::sync::OnceLock::new(),
            },
        );
    }
}

/// Keeps an owner index (entity key → account id) in step with one account's map.
fn reindex<V: Clone + PartialEq>(
    index: &mut imbl::HashMap<String, String>,
    old: Option<&crate::model::Map<V>>,
    new: &crate::model::Map<V>,
    account: &str,
) {
    match old {
        Some(old) if old.ptr_eq(new) => {}
        Some(old) => {
            for item in old.diff(new) {
                match item {
                    imbl::ordmap::DiffItem::Add(k, _) => {
                        index.insert(k.clone(), account.to_owned());
                    }
                    imbl::ordmap::DiffItem::Remove(k, _) => {
                        // Only if still ours: a name may have moved to another account.
                        if index.get(k).is_some_and(|a| a == account) {
                            index.remove(k);
                        }
                    }
                    imbl::ordmap::DiffItem::Update { .. } => {}
                }
            }
        }
        None => {
            for k in new.keys() {
                index.insert(k.clone(), account.to_owned());
            }
        }
    }
}

fn unindex_keys(keys: &mut imbl::HashMap<String, KeyEntry>, account: &Account) {
    for (k, _) in account.keys() {
        keys.remove(&k.id);
    }
}

#[cfg(test)]
mod lazy_tests;

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

    #[test]
    fn rows_of_the_one_row_per_account_layout_are_migrated_once() -> Result<(), CatalogError> {
        let dir = tempfile::tempdir().map_err(CryptoError::from)?;
        let master = MasterKey::random();
        let path = dir.path().join("db");
        let mut old = Account::new("111111111111", "a", 0);
        old.aliases.push("legacy".into());
        {
            let engine = RedbEngine::open(&path)?;
            let json = serde_json::to_vec(&old)
                .map_err(|e| CatalogError::Corrupt("test".into(), e.to_string()))?;
            let mut batch = Batch::new();
            let sealed = master
                .derive("rolegate account rows v1")
                .seal(&json, old.id.as_bytes());
            batch.put(ACCOUNTS, old.id.clone(), sealed);
            engine.commit(batch)?;
        }
        for _ in 0..2 {
            let engine = Arc::new(RedbEngine::open(&path)?);
            let cat = Catalog::open(engine.clone(), &master)?;
            let snap = cat.snapshot();
            let acct = snap
                .account("111111111111")
                .ok_or(CatalogError::NoSuchAccount("".into()))?;
            assert_eq!(acct.aliases, vec!["legacy".to_owned()]);
            assert!(engine.scan(ACCOUNTS)?.is_empty());
            assert_eq!(engine.scan(ENTITIES)?.len(), 0);
            assert_eq!(engine.scan(SKELETONS)?.len(), 1);
        }
        Ok(())
    }

    #[test]
    fn buckets_are_found_by_name_in_whichever_account_owns_them() -> Result<(), CatalogError> {
        let dir = tempfile::tempdir().map_err(CryptoError::from)?;
        let master = MasterKey::random();
        let path = dir.path().join("db");
        let bucket = |name: &str| crate::s3::Bucket {
            name: name.to_owned(),
            created: 0,
            region: "us-east-1".to_owned(),
            policy: None,
            tags: Vec::new(),
        };
        let owner = |cat: &Catalog, name: &str| {
            cat.snapshot()
                .find_bucket(name)
                .map(|(a, b)| (a.id.clone(), b.name.clone()))
        };
        {
            let cat = Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?;
            cat.create_accounts(vec![
                Account::new("111111111111", "a", 0),
                Account::new("222222222222", "b", 0),
            ])?;
            cat.update("111111111111", |a| {
                a.buckets.insert("shared".into(), bucket("shared").into());
                Ok::<_, CatalogError>(())
            })?;
            assert_eq!(
                owner(&cat, "shared"),
                Some(("111111111111".into(), "shared".into()))
            );
            // Deleted by A, then created by B: the index follows.
            cat.update("111111111111", |a| {
                a.buckets.remove("shared");
                Ok::<_, CatalogError>(())
            })?;
            assert_eq!(owner(&cat, "shared"), None);
            cat.update("222222222222", |a| {
                a.buckets.insert("shared".into(), bucket("shared").into());
                Ok::<_, CatalogError>(())
            })?;
        }
        let cat = Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?;
        assert_eq!(
            owner(&cat, "shared"),
            Some(("222222222222".into(), "shared".into()))
        );
        assert_eq!(owner(&cat, "other"), None);
        Ok(())
    }

    #[test]
    fn concurrent_writers_are_all_durable_and_a_failing_one_fails_alone() -> Result<(), CatalogError>
    {
        let dir = tempfile::tempdir().map_err(CryptoError::from)?;
        let master = MasterKey::random();
        let path = dir.path().join("db");
        {
            let cat = Arc::new(Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?);
            cat.create_account(Account::new("111111111111", "a", 0))?;
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let cat = cat.clone();
                    std::thread::spawn(move || {
                        for i in 0..40 {
                            let r = cat.update("111111111111", |a| {
                                a.aliases.push(format!("t{t}-{i}"));
                                if i % 10 == 3 {
                                    return Err(CatalogError::AccountExists("no".into()));
                                }
                                Ok(())
                            });
                            assert_eq!(r.is_ok(), i % 10 != 3);
                            // Acknowledged means published: the writer reads its own write.
                            if r.is_ok() {
                                let snap = cat.snapshot();
                                let a = snap.account("111111111111").map(|a| a.aliases.clone());
                                assert!(a.unwrap_or_default().contains(&format!("t{t}-{i}")));
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                assert!(t.join().is_ok());
            }
        }
        let cat = Catalog::open(Arc::new(RedbEngine::open(&path)?), &master)?;
        let snap = cat.snapshot();
        let aliases = &snap
            .account("111111111111")
            .ok_or(CatalogError::NoSuchAccount("".into()))?
            .aliases;
        assert_eq!(aliases.len(), 8 * 36);
        assert!(!aliases
            .iter()
            .any(|a| a.ends_with("-3") || a.ends_with("-13")));
        Ok(())
    }

    /// An engine whose commits fail while `fail` is set.
    struct Flaky {
        inner: RedbEngine,
        fail: std::sync::atomic::AtomicBool,
    }

    impl Engine for Flaky {
        fn scan(&self, t: &'static str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
            self.inner.scan(t)
        }
        fn get(&self, t: &'static str, k: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(t, k)
        }
        fn commit(&self, b: Batch) -> Result<(), StoreError> {
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Engine("disk full".into()));
            }
            self.inner.commit(b)
        }
        fn clear(&self, t: &[&'static str]) -> Result<(), StoreError> {
            self.inner.clear(t)
        }
    }

    #[test]
    fn a_failed_commit_fails_its_writers_and_publishes_nothing() -> Result<(), CatalogError> {
        let dir = tempfile::tempdir().map_err(CryptoError::from)?;
        let engine = Arc::new(Flaky {
            inner: RedbEngine::open(&dir.path().join("db"))?,
            fail: false.into(),
        });
        let cat = Catalog::open(engine.clone(), &MasterKey::random())?;
        cat.create_account(Account::new("111111111111", "a", 0))?;
        engine.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let r = cat.update("111111111111", |a| {
            a.aliases.push("lost".into());
            Ok::<_, CatalogError>(())
        });
        assert!(matches!(r, Err(CatalogError::Store(_))));
        let snap = cat.snapshot();
        assert!(snap
            .account("111111111111")
            .is_some_and(|a| a.aliases.is_empty()));
        engine
            .fail
            .store(false, std::sync::atomic::Ordering::SeqCst);
        // The next writer does not build on the failed change.
        cat.update("111111111111", |a| {
            a.aliases.push("kept".into());
            Ok::<_, CatalogError>(())
        })?;
        let snap = cat.snapshot();
        let aliases = snap.account("111111111111").map(|a| a.aliases.clone());
        assert_eq!(aliases, Some(vec!["kept".to_owned()]));
        cat.reset()?;
        assert_eq!(cat.snapshot().account_count(), 0);
        Ok(())
    }
}
