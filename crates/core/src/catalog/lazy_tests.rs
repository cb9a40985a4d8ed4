//! Start-up reads skeletons; accounts are read whole on first use (`crate::slot`).

use super::*;
use crate::model::{AccessKey, User};
use crate::s3::Bucket;
use rolegate_store::RedbEngine;
use std::path::Path;

fn id(n: u64) -> String {
    // Spread over the id space, as the start-up ranges split it.
    format!("{:012}", 100_000_000_000 + n * 7_000_000_019)
}

fn account(n: u64) -> Account {
    let id = id(n);
    let mut a = Account::new(&id, &format!("acct-{n}"), 0);
    a.aliases.push(format!("alias-{n}"));
    let mut user = User::new(&id, "/", &format!("U{n}"), format!("AIDA{n}"), 1);
    user.access_keys.push(AccessKey {
        id: format!("AKIAUSER{n}"),
        secret: format!("secret-{n}"),
        status: KeyStatus::Active,
        created: 1,
        last_used: None,
    });
    a.users.insert(format!("u{n}"), user.into());
    let bucket = Bucket {
        name: format!("bucket-{n}"),
        created: 0,
        region: "us-east-1".to_owned(),
        policy: None,
        tags: Vec::new(),
    };
    a.buckets.insert(bucket.name.clone(), bucket.into());
    // Not part of the skeleton: only a whole read shows it.
    a.kms_aliases
        .insert(format!("alias-of-{n}"), format!("key-{n}"));
    a
}

fn open(path: &Path, master: &MasterKey) -> Result<Catalog, CatalogError> {
    Catalog::open(Arc::new(RedbEngine::open(path)?), master)
}

fn seeded(n: u64) -> Result<(tempfile::TempDir, MasterKey), CatalogError> {
    let dir = tempfile::tempdir().map_err(CryptoError::from)?;
    let master = MasterKey::random();
    let cat = open(&dir.path().join("db"), &master)?;
    cat.create_accounts((0..n).map(account).collect())?;
    Ok((dir, master))
}

#[test]
fn start_up_reads_skeletons_and_each_account_on_first_use() -> Result<(), CatalogError> {
    let (dir, master) = seeded(40)?;
    let path = dir.path().join("db");
    let cat = open(&path, &master)?;
    let snap = cat.snapshot();
    assert_eq!(snap.account_count(), 40);
    assert_eq!(snap.loaded_count(), 0);
    // The indexes are whole without reading any account.
    let key = snap
        .keys
        .get("AKIAUSER7")
        .map(|k| (k.account.clone(), k.user.clone()));
    assert_eq!(key, Some((id(7), Some("u7".to_owned()))));
    assert_eq!(snap.bucket_owners.get("bucket-9"), Some(&id(9)));
    assert_eq!(snap.loaded_count(), 0);
    // First use reads one account, whole.
    let three = snap
        .account(&id(3))
        .map(|a| a.kms_aliases.get("alias-of-3").cloned());
    assert_eq!(three, Some(Some("key-3".to_owned())));
    assert_eq!(snap.loaded_count(), 1);
    let owner = snap.find_bucket("bucket-5").map(|(a, _)| a.id.clone());
    assert_eq!(owner, Some(id(5)));
    assert_eq!(snap.loaded_count(), 2);
    assert!(snap.account("999999999999").is_none());

    // A write to an unread account keeps what it did not change.
    cat.update(&id(11), |a| {
        a.kms_aliases.insert("added".to_owned(), "k".to_owned());
        Ok::<_, CatalogError>(())
    })?;
    // Alias checks read only the accounts that can matter.
    let mut seen = Vec::new();
    cat.update_matching(
        |_, aliases| aliases.contains(&"alias-20".to_owned()),
        |a| {
            seen.push(a.id.clone());
            Ok::<_, CatalogError>(false)
        },
    )?;
    assert_eq!(seen, vec![id(20)]);
    assert_eq!(cat.snapshot().loaded_count(), 4);
    drop((snap, cat));

    let cat = open(&path, &master)?;
    let snap = cat.snapshot();
    let eleven = snap.account(&id(11)).map(|a| {
        (
            a.kms_aliases.get("added").cloned(),
            a.kms_aliases.get("alias-of-11").cloned(),
            a.users.len(),
        )
    });
    assert_eq!(
        eleven,
        Some((Some("k".to_owned()), Some("key-11".to_owned()), 1))
    );
    // A write over every account reads every account first (on every core).
    let mut visited = 0;
    cat.update_all(|_| {
        visited += 1;
        Ok::<_, CatalogError>(false)
    })?;
    assert_eq!(visited, 40);
    assert_eq!(cat.snapshot().loaded_count(), 40);
    Ok(())
}

fn damage(path: &Path, key: &str) -> Result<(), CatalogError> {
    let engine = RedbEngine::open(path)?;
    let mut batch = Batch::new();
    let junk = b"not a sealed row at all, tampered".to_vec();
    batch.put(table_of(key), key.to_owned(), junk);
    engine.commit(batch)?;
    Ok(())
}

#[test]
fn a_damaged_row_read_late_refuses_its_account_only() -> Result<(), CatalogError> {
    let (dir, master) = seeded(2)?;
    let path = dir.path().join("db");
    damage(&path, &format!("{}/ka/alias-of-0", id(0)))?;
    let cat = open(&path, &master)?;
    let snap = cat.snapshot();
    assert!(snap.account(&id(1)).is_some());
    assert!(snap.account(&id(0)).is_none());
    assert!(matches!(
        snap.try_account(&id(0)),
        Err(CatalogError::Corrupt(..))
    ));
    let write = cat.update(&id(0), |_| Ok::<_, CatalogError>(()));
    assert!(matches!(write, Err(CatalogError::Corrupt(..))));
    Ok(())
}

#[test]
fn a_failed_read_is_tried_again_at_the_next_use() -> Result<(), CatalogError> {
    let (dir, master) = seeded(1)?;
    let engine = Arc::new(RedbEngine::open(&dir.path().join("db"))?);
    let key = format!("{}/ka/alias-of-0", id(0));
    let good = engine.get(table_of(&key), &key)?;
    let mut batch = Batch::new();
    batch.put(table_of(&key), key.clone(), b"damaged".to_vec());
    engine.commit(batch)?;
    let cat = Catalog::open(engine.clone(), &master)?;
    assert!(cat.snapshot().account(&id(0)).is_none());
    // Repaired in the store (as a transient read error would clear): the next use reads it.
    let mut batch = Batch::new();
    batch.put(table_of(&key), key, good.unwrap_or_default());
    engine.commit(batch)?;
    assert!(cat.snapshot().account(&id(0)).is_some());
    Ok(())
}

#[test]
fn a_damaged_skeleton_row_or_another_master_key_fails_start_up() -> Result<(), CatalogError> {
    let (dir, master) = seeded(2)?;
    let path = dir.path().join("db");
    assert!(open(&path, &MasterKey::random()).is_err());
    damage(&path, &format!("{}/u/u1", id(1)))?;
    assert!(open(&path, &master).is_err());
    Ok(())
}

#[test]
fn stores_holding_every_row_in_entities_are_moved_once() -> Result<(), CatalogError> {
    let dir = tempfile::tempdir().map_err(CryptoError::from)?;
    let master = MasterKey::random();
    let path = dir.path().join("db");
    {
        // The layout before the skeleton table: every row in `entities`.
        let engine = RedbEngine::open(&path)?;
        let rows = master.derive("rolegate entity rows v1");
        let mut batch = Batch::new();
        let ops = crate::rows::all(&account(1))
            .map_err(|e| CatalogError::Corrupt("test".into(), e.to_string()))?;
        for (k, v) in ops {
            let sealed = rows.seal(&v.unwrap_or_default(), k.as_bytes());
            batch.put(ENTITIES, k, sealed);
        }
        engine.commit(batch)?;
    }
    for _ in 0..2 {
        let engine = Arc::new(RedbEngine::open(&path)?);
        let cat = Catalog::open(engine.clone(), &master)?;
        let snap = cat.snapshot();
        assert!(snap.keys.contains_key("AKIAUSER1"));
        let alias = snap
            .account(&id(1))
            .and_then(|a| a.kms_aliases.get("alias-of-1").cloned());
        assert_eq!(alias.as_deref(), Some("key-1"));
        // The account row, the user and the bucket moved; the KMS alias stayed.
        assert_eq!(engine.scan(SKELETONS)?.len(), 3);
        assert_eq!(engine.scan(ENTITIES)?.len(), 1);
    }
    Ok(())
}

fn role_trusting(
    account: &str,
    name: &str,
    principal: &str,
) -> Result<crate::model::Role, CatalogError> {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let trust = crate::PolicyDoc::new(&trust, rolegate_policy::PolicyKind::Trust)
        .map_err(|e| CatalogError::Corrupt("test".into(), format!("{e:?}")))?;
    Ok(crate::model::Role::new(
        account,
        "/",
        name,
        format!("AROA{name}"),
        trust,
        0,
    ))
}

/// The accounts `update_trusting(arn)` hands to its closure.
fn trusting(cat: &Catalog, arn: &str) -> Result<Vec<String>, CatalogError> {
    let mut seen = Vec::new();
    cat.update_trusting(arn, |a| {
        seen.push(a.id.clone());
        Ok::<_, CatalogError>(false)
    })?;
    seen.sort();
    Ok(seen)
}

#[test]
fn renames_visit_only_the_accounts_whose_trust_policies_name_the_principal(
) -> Result<(), CatalogError> {
    let dir = tempfile::tempdir().map_err(CryptoError::from)?;
    let master = MasterKey::random();
    let path = dir.path().join("db");
    let alice = format!("arn:aws:iam::{}:user/U0", id(0));
    {
        let cat = open(&path, &master)?;
        let mut accounts: Vec<Account> = (0..6).map(account).collect();
        for (n, a) in accounts.iter_mut().enumerate() {
            let principal = if n % 2 == 1 {
                alice.clone()
            } else {
                format!("arn:aws:iam::{}:root", id(0))
            };
            a.roles.insert(
                "r".to_owned(),
                role_trusting(&a.id, "R", &principal)?.into(),
            );
        }
        cat.create_accounts(accounts)?;
        // One of them stops naming alice; another deletes its role.
        cat.update(&id(3), |a| {
            let root = format!("arn:aws:iam::{}:root", id(0));
            a.roles
                .insert("r".to_owned(), role_trusting(&a.id, "R", &root)?.into());
            Ok::<_, CatalogError>(())
        })?;
        cat.update(&id(5), |a| {
            a.roles.remove("r");
            Ok::<_, CatalogError>(())
        })?;
    }
    let cat = open(&path, &master)?;
    // A prefix of a named ARN is not that ARN.
    assert!(trusting(&cat, &alice[..alice.len() - 1])?.is_empty());
    assert_eq!(trusting(&cat, &alice)?, vec![id(1)]);
    assert_eq!(
        cat.snapshot().loaded_count(),
        1,
        "no other account was read"
    );
    // An account already read is looked at in memory, whatever the index says.
    assert!(cat.snapshot().account(&id(4)).is_some());
    assert_eq!(trusting(&cat, &alice)?, vec![id(1), id(4)]);
    drop(cat);

    // A store written before the index: built once, at the next start.
    RedbEngine::open(&path)?.clear(&[crate::trust_refs::TRUST_REFS])?;
    let cat = open(&path, &master)?;
    assert_eq!(trusting(&cat, &alice)?, vec![id(1)]);
    Ok(())
}

/// The caller of a key in an account not yet read is built from the account read on first
/// use, and kept; a later change to that user is seen at once (its key entry is made anew).
#[test]
fn a_key_of_an_unread_account_signs_as_its_user_and_follows_changes() -> Result<(), CatalogError> {
    use crate::caller::{Caller, KeyLookup};
    use crate::session::TokenSealer;
    let (dir, master) = seeded(10)?;
    let cat = open(&dir.path().join("db"), &master)?;
    let tokens = TokenSealer::new(&master);
    let arn_of = |cat: &Catalog| {
        let snap = cat.snapshot();
        match Caller::lookup(&snap, &tokens, "AKIAUSER4", None, 0) {
            KeyLookup::Found { caller, secret } => {
                Some((caller.principal.arn.clone(), secret.to_string()))
            }
            _ => None,
        }
    };
    assert_eq!(cat.snapshot().loaded_count(), 0);
    let first = format!("arn:aws:iam::{}:user/U4", id(4));
    assert_eq!(arn_of(&cat), Some((first.clone(), "secret-4".to_owned())));
    assert_eq!(cat.snapshot().loaded_count(), 1);
    assert_eq!(arn_of(&cat), Some((first, "secret-4".to_owned())));
    cat.update(&id(4), |a| {
        let user = a
            .users
            .get_mut("u4")
            .ok_or(CatalogError::NoSuchAccount(id(4)))?;
        user.path = "/moved/".to_owned();
        user.arn = format!("arn:aws:iam::{}:user/moved/U4", id(4));
        Ok::<_, CatalogError>(())
    })?;
    let moved = format!("arn:aws:iam::{}:user/moved/U4", id(4));
    assert_eq!(arn_of(&cat), Some((moved, "secret-4".to_owned())));
    cat.update(&id(4), |a| {
        a.users.remove("u4");
        Ok::<_, CatalogError>(())
    })?;
    assert_eq!(arn_of(&cat), None, "a deleted user's key signs as no one");
    Ok(())
}
