//! The item store: ordering, indexes, durability, and group commit under concurrent writers
//! and failing commits.
#![allow(clippy::unwrap_used)]

use super::*;
use rolegate_dynamo::Number;
use rolegate_store::RedbEngine;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

fn table(indexes: Vec<IndexSpec>) -> TableRef {
    TableRef {
        id: TableId {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            id: "t1".into(),
        },
        hash: "pk".into(),
        range: Some("sk".into()),
        indexes,
    }
}

fn item(pk: &str, sk: i64, g: Option<&str>) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), Value::S(pk.into()));
    i.insert("sk".into(), Value::N(Number::from(sk)));
    if let Some(g) = g {
        i.insert("g".into(), Value::S(g.into()));
    }
    i
}

fn collect(s: &ItemStore, t: &TableRef, index: Option<&str>, which: Visit<'_>) -> Vec<i64> {
    let mut out = Vec::new();
    s.visit(t, index, which, |_, _, i| {
        if let Some(Value::N(n)) = i.get("sk") {
            out.push(n.to_string().parse().unwrap_or(-1));
        }
        true
    });
    out
}

#[test]
fn items_are_ordered_indexed_and_durable() -> Result<(), ItemStoreError> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Engine(e.to_string()))?;
    let path = dir.path().join("db");
    let gsi = IndexSpec {
        name: "g".into(),
        hash: "g".into(),
        range: None,
    };
    let t = table(vec![gsi.clone()]);
    {
        let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
        s.write(|_| {
            let changes = [10, -2, 3, 100]
                .iter()
                .map(|n| Change::Put(t.clone(), item("a", *n, (*n > 0).then_some("x"))))
                .chain([Change::Put(t.clone(), item("b", 1, None))])
                .collect();
            Ok::<_, ItemStoreError>((changes, ()))
        })?;
        let key = t
            .key_of(&item("a", 3, None))
            .ok_or(StoreError::Engine("k".into()))?;
        s.write(|_| Ok::<_, ItemStoreError>((vec![Change::Delete(t.clone(), key)], ())))?;
        // A failed decision changes nothing.
        let r: Result<(), ItemStoreError> =
            s.write(|_| Err(ItemStoreError::Corrupt("x".into(), "y".into())));
        assert!(r.is_err());
    }
    let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
    let a = key_bytes(&Value::S("a".into()));
    let fwd = Visit::Partition {
        hash: &a,
        after: None,
        forward: true,
    };
    assert_eq!(collect(&s, &t, None, fwd), vec![-2, 10, 100]);
    let back = Visit::Partition {
        hash: &a,
        after: None,
        forward: false,
    };
    assert_eq!(collect(&s, &t, None, back), vec![100, 10, -2]);
    assert_eq!(
        collect(&s, &t, None, Visit::All { after: None }),
        vec![-2, 10, 100, 1]
    );
    let x = key_bytes(&Value::S("x".into()));
    let g = Visit::Partition {
        hash: &x,
        after: None,
        forward: true,
    };
    assert_eq!(collect(&s, &t, Some("g"), g), vec![10, 100]);
    assert_eq!(s.stats(&t).0, 4);
    // Items of a table the catalog no longer has are purged, durably.
    assert_eq!(s.purge_orphans(|id| id.id != "t1")?, 1);
    drop(s);
    let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
    assert_eq!(s.stats(&t).0, 0);
    s.write(|_| Ok::<_, ItemStoreError>((vec![Change::Put(t.clone(), item("c", 1, None))], ())))?;
    s.drop_table(&t)?;
    assert_eq!(s.stats(&t).0, 0);
    drop(s);
    let s = ItemStore::open(Arc::new(RedbEngine::open(&path)?))?;
    assert_eq!(s.stats(&t).0, 0);
    Ok(())
}

/// An engine that counts commits, can hold them at a gate, and can fail them.
struct Gated {
    inner: RedbEngine,
    fail: AtomicBool,
    held: parking_lot::Mutex<bool>,
    opened: parking_lot::Condvar,
    entered: AtomicUsize,
    delay: Duration,
}

impl Gated {
    fn open(path: &std::path::Path, delay: Duration) -> Result<Arc<Gated>, ItemStoreError> {
        Ok(Arc::new(Gated {
            inner: RedbEngine::open(path)?,
            fail: false.into(),
            held: parking_lot::Mutex::new(false),
            opened: parking_lot::Condvar::new(),
            entered: 0.into(),
            delay,
        }))
    }

    fn hold(&self, held: bool) {
        *self.held.lock() = held;
        self.opened.notify_all();
    }
}

impl Engine for Gated {
    fn scan(&self, t: &'static str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.scan(t)
    }
    fn get(&self, t: &'static str, k: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(t, k)
    }
    fn commit(&self, b: Batch) -> Result<(), StoreError> {
        self.entered.fetch_add(1, SeqCst);
        {
            let mut held = self.held.lock();
            while *held {
                self.opened.wait(&mut held);
            }
        }
        std::thread::sleep(self.delay);
        if self.fail.load(SeqCst) {
            return Err(StoreError::Engine("disk full".into()));
        }
        self.inner.commit(b)
    }
    fn clear(&self, t: &[&'static str]) -> Result<(), StoreError> {
        self.inner.clear(t)
    }
}

fn key(t: &TableRef, pk: &str, sk: i64) -> KeyBytes {
    t.key_of(&item(pk, sk, None)).unwrap()
}

fn counter(i: Option<&Item>) -> i64 {
    match i.and_then(|i| i.get("n")) {
        Some(Value::N(n)) => n.to_string().parse().unwrap(),
        _ => 0,
    }
}

/// Polls until `f` holds (the other threads reach the state the test needs).
fn wait_until(f: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn concurrent_writers_share_commits_stay_serializable_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let t = table(Vec::new());
    let ck = key(&t, "counter", 0);
    let writes = {
        // A slow disk, so that writers queue up behind each commit.
        let engine = Gated::open(&path, Duration::from_millis(1)).unwrap();
        let s = Arc::new(ItemStore::open(engine.clone()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let (s, t, ck) = (s.clone(), t.clone(), ck.clone());
                std::thread::spawn(move || {
                    for i in 0..40 {
                        // Read-modify-write of one shared item: a lost update would show.
                        let r = s.write(|v| {
                            if i % 10 == 3 {
                                return Err(ItemStoreError::Corrupt("no".into(), "".into()));
                            }
                            let mut c = item("counter", 0, None);
                            let next = counter(v.get(&t, &ck).as_deref()) + 1;
                            c.insert("n".into(), Value::N(Number::from(next)));
                            let own = item(&format!("w{n}"), i, None);
                            Ok((
                                vec![Change::Put(t.clone(), c), Change::Put(t.clone(), own)],
                                (),
                            ))
                        });
                        assert_eq!(r.is_ok(), i % 10 != 3);
                        // Acknowledged means published: the writer reads its own write.
                        let own = key(&t, &format!("w{n}"), i);
                        assert_eq!(s.get(&t, &own).is_some(), i % 10 != 3);
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        assert_eq!(counter(s.get(&t, &ck).as_deref()), 8 * 36);
        engine.entered.load(SeqCst)
    };
    // Fewer commits than acknowledged writes: they were grouped.
    assert!(writes < 8 * 36, "{writes} commits for {} writes", 8 * 36);
    let s = ItemStore::open(Arc::new(RedbEngine::open(&path).unwrap())).unwrap();
    assert_eq!(counter(s.get(&t, &ck).as_deref()), 8 * 36);
    assert_eq!(s.stats(&t).0, 8 * 36 + 1);
    for n in 0..8 {
        for i in 0..40 {
            let k = key(&t, &format!("w{n}"), i);
            assert_eq!(s.get(&t, &k).is_some(), i % 10 != 3);
        }
    }
}

#[test]
fn a_failed_commit_fails_its_batch_and_everything_queued_on_it_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let t = table(Vec::new());
    let (k0, k1, k2) = (key(&t, "a", 0), key(&t, "a", 1), key(&t, "a", 2));
    {
        let engine = Gated::open(&path, Duration::ZERO).unwrap();
        let s = Arc::new(ItemStore::open(engine.clone()).unwrap());
        let put = |it: Item| Ok::<_, ItemStoreError>((vec![Change::Put(t.clone(), it)], ()));
        s.write(|_| put(item("a", 0, None))).unwrap();
        engine.hold(true);
        engine.fail.store(true, SeqCst);
        // A's commit reaches the disk and waits there.
        let a = {
            let (s, t) = (s.clone(), t.clone());
            std::thread::spawn(move || {
                s.write(|_| Ok::<_, ItemStoreError>((vec![Change::Put(t, item("a", 1, None))], ())))
            })
        };
        wait_until(|| engine.entered.load(SeqCst) == 2);
        // Not durable, so not visible.
        assert!(s.get(&t, &k1).is_none());
        // B decides on A's queued item and queues behind it.
        let b = {
            let (s, t, k1) = (s.clone(), t.clone(), k1.clone());
            std::thread::spawn(move || {
                s.write(|v| {
                    assert!(v.get(&t, &k1).is_some());
                    Ok::<_, ItemStoreError>((vec![Change::Put(t.clone(), item("a", 2, None))], ()))
                })
            })
        };
        wait_until(|| s.queued_writers() == 1);
        // C changes nothing, but its answer rests on A's item: it waits for A's fate too.
        let c = {
            let (s, t, k1) = (s.clone(), t.clone(), k1.clone());
            std::thread::spawn(move || {
                s.write(|v| Ok::<_, ItemStoreError>((Vec::new(), v.get(&t, &k1).is_some())))
            })
        };
        wait_until(|| s.queued_writers() == 2);
        // D fails its own decision: it fails alone and queues nothing.
        let d: Result<(), ItemStoreError> =
            s.write(|_| Err(ItemStoreError::Corrupt("x".into(), "y".into())));
        assert!(matches!(d, Err(ItemStoreError::Corrupt(..))));
        // A published-only read-only writer is answered at once.
        let e = s.write(|v| Ok::<_, ItemStoreError>((Vec::new(), v.get(&t, &k0).is_some())));
        assert!(matches!(e, Ok(true)));
        assert_eq!(s.queued_writers(), 2);
        engine.hold(false);
        assert!(matches!(a.join().unwrap(), Err(ItemStoreError::Store(_))));
        assert!(matches!(b.join().unwrap(), Err(ItemStoreError::Store(_))));
        assert!(matches!(c.join().unwrap(), Err(ItemStoreError::Store(_))));
        assert!(s.get(&t, &k1).is_none() && s.get(&t, &k2).is_none());
        assert_eq!(s.stats(&t).0, 1);
        // The next writer does not build on the failed changes.
        engine.fail.store(false, SeqCst);
        s.write(|v| {
            assert!(v.get(&t, &k1).is_none() && v.get(&t, &k2).is_none());
            put(item("a", 3, None))
        })
        .unwrap();
        drop(s);
    }
    let s = ItemStore::open(Arc::new(RedbEngine::open(&path).unwrap())).unwrap();
    assert!(s.get(&t, &k0).is_some() && s.get(&t, &key(&t, "a", 3)).is_some());
    assert!(s.get(&t, &k1).is_none() && s.get(&t, &k2).is_none());
    assert_eq!(s.stats(&t).0, 2);
}

#[test]
fn dropping_a_table_waits_for_the_batch_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(Vec::new());
    let engine = Gated::open(&dir.path().join("db"), Duration::ZERO).unwrap();
    let s = Arc::new(ItemStore::open(engine.clone()).unwrap());
    engine.hold(true);
    let a = {
        let (s, t) = (s.clone(), t.clone());
        std::thread::spawn(move || {
            s.write(|_| Ok::<_, ItemStoreError>((vec![Change::Put(t, item("a", 1, None))], ())))
        })
    };
    wait_until(|| engine.entered.load(SeqCst) == 1);
    let d = {
        let (s, t) = (s.clone(), t.clone());
        std::thread::spawn(move || s.drop_table(&t))
    };
    // The drop cannot start while A's batch is in flight, or A would publish over it.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!d.is_finished());
    engine.hold(false);
    a.join().unwrap().unwrap();
    d.join().unwrap().unwrap();
    assert_eq!(s.stats(&t).0, 0);
}
