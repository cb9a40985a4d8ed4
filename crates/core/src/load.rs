//! Start-up: reading every entity row back into accounts, on every core.
//!
//! Rows are keyed by account id first (`crate::rows`), so the key space splits into disjoint
//! ranges of whole accounts: each thread reads its own range in its own read transaction and
//! opens (decrypts and authenticates) and parses its rows as it goes. One thread reading and
//! the others decoding left the reader as the bottleneck; this way every core does both.

use crate::catalog::CatalogError;
use crate::crypto::Sealer;
use crate::model::Account;
use crate::rows::{Loader, ENTITIES};
use rolegate_store::Engine;

/// Account ids are 12 digits; a key's account is its first 12 characters.
const ID_LEN: usize = 12;

/// Every account in the store.
pub(crate) fn load_accounts(
    engine: &dyn Engine,
    rows: &Sealer,
) -> Result<Vec<Account>, CatalogError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut first = None;
    engine.scan_each(ENTITIES, &mut |k, _| {
        first = Some(k.to_owned());
        false
    })?;
    let last = engine.last_key(ENTITIES)?;
    let bounds = match (first, last) {
        (Some(f), Some(l)) => split(&f, &l, threads),
        _ => return Ok(Vec::new()),
    };
    std::thread::scope(|s| {
        let workers: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0].clone(), w[1].clone());
                s.spawn(move || load_range(engine, rows, from.as_deref(), to.as_deref()))
            })
            .collect();
        let mut accounts = Vec::new();
        for w in workers {
            match w.join() {
                Ok(loaded) => accounts.append(&mut loaded?),
                Err(_) => {
                    return Err(CatalogError::Corrupt(
                        ENTITIES.to_owned(),
                        "a loading thread panicked".to_owned(),
                    ))
                }
            }
        }
        Ok(accounts)
    })
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

fn load_range(
    engine: &dyn Engine,
    rows: &Sealer,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<Account>, CatalogError> {
    let mut loader = Loader::default();
    let mut failure = None;
    engine.scan_range(ENTITIES, from, to, &mut |key, sealed| {
        let step = rows
            .open(sealed, key.as_bytes())
            .map_err(CatalogError::from)
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
    if let Some(e) = failure {
        return Err(e);
    }
    loader
        .finish()
        .map_err(|e| CatalogError::Corrupt(ENTITIES.to_owned(), e))
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
