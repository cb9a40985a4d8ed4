//! Reading accounts back from their entity rows (`crate::rows`).
//!
//! A million roles take seconds to open and parse, so start-up does not read them: it reads
//! only what must be found without knowing the account ([`Source::skeletons`]: the account
//! row with the root keys and aliases, users for their access keys, buckets and instances
//! whose names are global; the `skeletons` table), and each account is read whole the first
//! time it is used ([`Source::account`]: one range of keys in each table, as rows are keyed
//! by account id first).
//!
//! Both run on every core over disjoint ranges of account ids, each thread in its own read
//! transaction, opening (decrypting and authenticating) and parsing its rows as it goes.

use crate::catalog::CatalogError;
use crate::crypto::Sealer;
use crate::model::Account;
use crate::rows::{Loader, ENTITIES, SKELETONS};
use rolegate_store::Engine;
use std::sync::Arc;

/// Account ids are 12 digits; a key's account is its first 12 characters.
const ID_LEN: usize = 12;

/// Where accounts are read from: the store and the key that opens its rows.
pub(crate) struct Source {
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) rows: Sealer,
}

impl Source {
    /// One account, whole; `None` if it has no rows.
    pub(crate) fn account(&self, id: &str) -> Result<Option<Account>, CatalogError> {
        // `/` sorts just before `0`: `<id>/` .. `<id>0` is exactly this account's rows.
        let mut loader = Loader::default();
        let (from, to) = (format!("{id}/"), format!("{id}0"));
        for table in [SKELETONS, ENTITIES] {
            self.feed(&mut loader, table, Some(&from), Some(&to))?;
        }
        let mut loaded = loader
            .finish()
            .map_err(|e| CatalogError::Corrupt(id.to_owned(), e))?;
        Ok(loaded.pop())
    }

    /// Several accounts, whole, read on every core.
    pub(crate) fn accounts(&self, ids: &[String]) -> Result<Vec<Account>, CatalogError> {
        let threads = threads().min(ids.len().max(1));
        let chunk = ids.len().div_ceil(threads).max(1);
        on_every_core(ids.chunks(chunk), |part| {
            let mut out = Vec::new();
            for id in part {
                out.extend(self.account(id)?);
            }
            Ok(out)
        })
    }

    /// Every account with only the rows start-up needs (see the module comment): its own row,
    /// buckets, instances and users.
    pub(crate) fn skeletons(&self) -> Result<Vec<Account>, CatalogError> {
        let first = first_key(&*self.engine, SKELETONS)?;
        let last = self.engine.last_key(SKELETONS)?;
        let bounds = match (first, last) {
            (Some(f), Some(l)) => split(&f, &l, threads()),
            _ => return Ok(Vec::new()),
        };
        on_every_core(bounds.windows(2), |w| {
            self.skeletons_in(w[0].clone(), w[1].as_deref())
        })
    }

    /// The skeletons of the accounts in `from <= id < to`.
    fn skeletons_in(
        &self,
        from: Option<String>,
        to: Option<&str>,
    ) -> Result<Vec<Account>, CatalogError> {
        let mut loader = Loader::default();
        self.feed(&mut loader, SKELETONS, from.as_deref(), to)?;
        loader
            .finish()
            .map_err(|e| CatalogError::Corrupt(SKELETONS.to_owned(), e))
    }

    /// Opens and parses the rows `from <= key < to` of `table` into `loader`.
    fn feed(
        &self,
        loader: &mut Loader,
        table: &'static str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), CatalogError> {
        let mut failure = None;
        self.engine
            .scan_range(table, from, to, &mut |key, sealed| {
                let step = self
                    .rows
                    .open(sealed, key.as_bytes())
                    .map_err(|e| CatalogError::Corrupt(key.to_owned(), e.to_string()))
                    .and_then(|plain| {
                        loader
                            .row(key, &plain)
                            .map_err(|e| CatalogError::Corrupt(key.to_owned(), e))
                    });
                match step {
                    Ok(()) => true,
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                }
            })?;
        failure.map_or(Ok(()), Err)
    }
}

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

/// Runs `read` on each part on a thread of its own and concatenates what they read, in order.
fn on_every_core<P: Send, T: Send>(
    parts: impl Iterator<Item = P>,
    read: impl Fn(P) -> Result<Vec<T>, CatalogError> + Sync,
) -> Result<Vec<T>, CatalogError> {
    let read = &read;
    let done = std::thread::scope(|s| {
        let workers: Vec<_> = parts.map(|p| s.spawn(move || read(p))).collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(CatalogError::Corrupt(
                        ENTITIES.to_owned(),
                        "a loading thread panicked".to_owned(),
                    ))
                })
            })
            .collect::<Vec<_>>()
    });
    let mut out = Vec::new();
    for part in done {
        out.append(&mut part?);
    }
    Ok(out)
}

/// The first key of `table`, if it has any.
pub(crate) fn first_key(
    engine: &dyn Engine,
    table: &'static str,
) -> Result<Option<String>, CatalogError> {
    let mut first = None;
    engine.scan_each(table, &mut |k, _| {
        first = Some(k.to_owned());
        false
    })?;
    Ok(first)
}

/// Range bounds (`None` = open) splitting the account ids between the first and last key's
/// into `n` equal numeric parts; one open range if the ids are not numeric.
fn split(first: &str, last: &str, n: usize) -> Vec<Option<String>> {
    let id = |k: &str| -> Option<u64> {
        let d = k.get(..ID_LEN)?;
        d.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| d.parse().ok())?
    };
    let mut bounds = vec![None];
    if let (Some(lo), Some(hi)) = (id(first), id(last)) {
        let span = hi.saturating_sub(lo) + 1;
        let mut previous = lo;
        for i in 1..n as u64 {
            let b = lo + span * i / n as u64;
            // Each bound strictly inside (lo, hi], and increasing: no empty or crossed range.
            if b > previous && b <= hi {
                bounds.push(Some(format!("{b:012}")));
                previous = b;
            }
        }
    }
    bounds.push(None);
    bounds
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn ranges_split_the_account_ids_and_cover_everything() {
        let s = |v: &[Option<&str>]| v.iter().map(|b| b.map(str::to_owned)).collect::<Vec<_>>();
        assert_eq!(
            split("500000000000/a/", "500000009999/r/x", 2),
            s(&[None, Some("500000005000"), None])
        );
        assert_eq!(
            split("111111111111/a/", "111111111111/u/z", 4),
            s(&[None, None])
        );
        assert_eq!(
            split("111111111111/a/", "222222222222/a/", 1),
            s(&[None, None])
        );
        assert_eq!(split("abc", "xyz", 2), s(&[None, None]));
    }
}
