//! S3 object storage on disk, under `<data-dir>/objects/`.
//!
//! Layout: `buckets/<bucket>/meta/<sha256(key)>.json` holds an object's metadata and names its
//! data file `buckets/<bucket>/data/<id>`; uploads are written to `tmp/` first. A write is
//! staged in a temporary file, fsynced and renamed under a fresh data id (invisible: no
//! metadata names it yet), then the metadata file is written the same way and renamed over
//! the old one. The metadata rename is the commit point, so a crash at any moment leaves
//! either the old object or the new one, never half of one; start-up removes the temporary
//! files and data files no metadata names. Listing reads an in-memory index of the metadata.

use md5::{Digest, Md5};
use parking_lot::{Mutex, RwLock};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One stored object's metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// The ETag without quotes: the hex MD5 of the body, or `<md5 of part md5s>-<parts>`.
    pub etag: String,
    /// Unix milliseconds.
    pub last_modified: i64,
    #[serde(default)]
    pub content_type: Option<String>,
    /// `x-amz-meta-*` metadata, names lowercased without the prefix.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Stored representation headers (content-encoding, cache-control...), lowercase names.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Checksums given at upload (`crc32`, `crc32c`, `sha256`... → base64), returned on request.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    /// The data file's id.
    pub data: String,
}

/// The metadata of an object about to be committed (everything but size, ETag and data).
#[derive(Clone, Debug, Default)]
pub struct NewObject {
    pub key: String,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub checksums: BTreeMap<String, String>,
    /// Overrides the MD5 ETag (multipart uploads).
    pub etag: Option<String>,
    pub last_modified: i64,
}

/// An upload being written to a temporary file; nothing is visible until committed.
pub struct ObjectWriter {
    file: File,
    path: PathBuf,
    id: String,
    md5: Md5,
    size: u64,
}

impl ObjectWriter {
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.md5.update(data);
        self.size += data.len() as u64;
        self.file.write_all(data)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hex MD5 of what was written so far.
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5.clone().finalize())
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        // Still in tmp/ unless committed (commit renames it first): discard.
        let _ = fs::remove_file(&self.path);
    }
}

type BucketIndex = BTreeMap<String, Arc<ObjectMeta>>;

pub struct ObjectStore {
    root: PathBuf,
    index: RwLock<HashMap<String, BucketIndex>>,
    commit: Mutex<()>,
}

fn key_file(key: &str) -> String {
    format!("{}.json", hex::encode(Sha256::digest(key.as_bytes())))
}

fn random_id() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl ObjectStore {
    /// Opens (or creates) the store under `root`, cleaning what a crash left behind.
    pub fn open(root: &Path) -> io::Result<ObjectStore> {
        let tmp = root.join("tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        fs::create_dir_all(root.join("buckets"))?;
        let mut index = HashMap::new();
        for entry in fs::read_dir(root.join("buckets"))? {
            let entry = entry?;
            let bucket = entry.file_name().to_string_lossy().into_owned();
            let dir = entry.path();
            fs::create_dir_all(dir.join("meta"))?;
            fs::create_dir_all(dir.join("data"))?;
            let mut objects = BucketIndex::new();
            for m in fs::read_dir(dir.join("meta"))? {
                let m = m?;
                let Ok(text) = fs::read(m.path()) else {
                    continue;
                };
                match serde_json::from_slice::<ObjectMeta>(&text) {
                    Ok(meta) => {
                        objects.insert(meta.key.clone(), Arc::new(meta));
                    }
                    // A temporary metadata file from a crash (never renamed): not an object.
                    Err(_) => {
                        let _ = fs::remove_file(m.path());
                    }
                }
            }
            let live: HashSet<&str> = objects.values().map(|m| m.data.as_str()).collect();
            for d in fs::read_dir(dir.join("data"))? {
                let d = d?;
                if !live.contains(d.file_name().to_string_lossy().as_ref()) {
                    let _ = fs::remove_file(d.path());
                }
            }
            index.insert(bucket, objects);
        }
        Ok(ObjectStore {
            root: root.to_owned(),
            index: RwLock::new(index),
            commit: Mutex::new(()),
        })
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    /// Creates a bucket's directories (idempotent).
    pub fn create_bucket(&self, bucket: &str) -> io::Result<()> {
        let dir = self.bucket_dir(bucket);
        fs::create_dir_all(dir.join("meta"))?;
        fs::create_dir_all(dir.join("data"))?;
        self.index.write().entry(bucket.to_owned()).or_default();
        Ok(())
    }

    /// Removes a bucket and anything left in it.
    pub fn delete_bucket(&self, bucket: &str) -> io::Result<()> {
        let _guard = self.commit.lock();
        self.index.write().remove(bucket);
        match fs::remove_dir_all(self.bucket_dir(bucket)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Erases everything (development-mode reset).
    pub fn clear(&self) -> io::Result<()> {
        let _guard = self.commit.lock();
        self.index.write().clear();
        let buckets = self.root.join("buckets");
        fs::remove_dir_all(&buckets)?;
        fs::create_dir_all(&buckets)
    }

    pub fn is_empty(&self, bucket: &str) -> bool {
        self.index
            .read()
            .get(bucket)
            .is_none_or(|objects| objects.is_empty())
    }

    /// Starts an upload.
    pub fn writer(&self) -> io::Result<ObjectWriter> {
        let id = random_id();
        let path = self.root.join("tmp").join(&id);
        let file = File::create(&path)?;
        Ok(ObjectWriter {
            file,
            path,
            id,
            md5: Md5::new(),
            size: 0,
        })
    }

    /// Makes an upload durable and visible as `new.key`, replacing any object of that key.
    pub fn commit(
        &self,
        bucket: &str,
        mut w: ObjectWriter,
        new: NewObject,
    ) -> io::Result<Arc<ObjectMeta>> {
        w.file.flush()?;
        w.file.sync_all()?;
        let dir = self.bucket_dir(bucket);
        let meta = ObjectMeta {
            key: new.key,
            size: w.size,
            etag: new.etag.unwrap_or_else(|| w.md5_hex()),
            last_modified: new.last_modified,
            content_type: new.content_type,
            metadata: new.metadata,
            headers: new.headers,
            checksums: new.checksums,
            data: w.id.clone(),
        };
        let _guard = self.commit.lock();
        if !self.index.read().contains_key(bucket) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "bucket deleted"));
        }
        fs::rename(&w.path, dir.join("data").join(&w.id))?;
        // Renamed away: the writer's drop must not remove anything now.
        w.path = PathBuf::new();
        sync_dir(&dir.join("data"))?;
        let meta_tmp = dir.join("meta").join(format!(".{}.tmp", random_id()));
        let json = serde_json::to_vec(&meta).map_err(io::Error::other)?;
        {
            let mut f = File::create(&meta_tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
        }
        fs::rename(&meta_tmp, dir.join("meta").join(key_file(&meta.key)))?;
        sync_dir(&dir.join("meta"))?;
        let meta = Arc::new(meta);
        let old = self
            .index
            .write()
            .entry(bucket.to_owned())
            .or_default()
            .insert(meta.key.clone(), meta.clone());
        if let Some(old) = old {
            let _ = fs::remove_file(dir.join("data").join(&old.data));
        }
        Ok(meta)
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<Arc<ObjectMeta>> {
        self.index.read().get(bucket)?.get(key).cloned()
    }

    /// Opens an object's data. An open file stays readable even if the object is replaced.
    pub fn open_data(&self, bucket: &str, meta: &ObjectMeta) -> io::Result<File> {
        File::open(self.bucket_dir(bucket).join("data").join(&meta.data))
    }

    /// Deletes an object; `false` when there was none.
    pub fn delete(&self, bucket: &str, key: &str) -> io::Result<bool> {
        let _guard = self.commit.lock();
        let dir = self.bucket_dir(bucket);
        let Some(old) = self.get(bucket, key) else {
            return Ok(false);
        };
        fs::remove_file(dir.join("meta").join(key_file(key)))?;
        sync_dir(&dir.join("meta"))?;
        if let Some(objects) = self.index.write().get_mut(bucket) {
            objects.remove(key);
        }
        let _ = fs::remove_file(dir.join("data").join(&old.data));
        Ok(true)
    }

    /// Calls `f` on the objects whose key starts with `prefix` and comes after `after`, in key
    /// order, until it returns `false`.
    pub fn scan(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
        mut f: impl FnMut(&Arc<ObjectMeta>) -> bool,
    ) {
        let index = self.index.read();
        let Some(objects) = index.get(bucket) else {
            return;
        };
        let start = match after {
            Some(a) if a >= prefix => std::ops::Bound::Excluded(a.to_owned()),
            _ => std::ops::Bound::Included(prefix.to_owned()),
        };
        for (key, meta) in objects.range((start, std::ops::Bound::Unbounded)) {
            if !key.starts_with(prefix) || !f(meta) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &ObjectStore, key: &str, body: &[u8]) -> io::Result<Arc<ObjectMeta>> {
        let mut w = store.writer()?;
        w.write(body)?;
        store.commit(
            "b",
            w,
            NewObject {
                key: key.into(),
                ..NewObject::default()
            },
        )
    }

    #[test]
    fn objects_survive_reopen_and_crash_leftovers_are_cleaned() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        {
            let s = ObjectStore::open(dir.path())?;
            s.create_bucket("b")?;
            let m = put(&s, "a/b.txt", b"hello")?;
            assert_eq!(m.etag, "5d41402abc4b2a76b9719d911017c592");
            put(&s, "a/b.txt", b"hello again")?;
            put(&s, "z", b"")?;
            // An upload that never committed, as a crash would leave it.
            let mut w = s.writer()?;
            w.write(b"half")?;
            std::mem::forget(w);
            fs::write(dir.path().join("buckets/b/data/orphan"), b"x")?;
        }
        let s = ObjectStore::open(dir.path())?;
        let m = s.get("b", "a/b.txt").ok_or(io::ErrorKind::NotFound)?;
        assert_eq!(m.size, 11);
        assert_eq!(fs::read_dir(dir.path().join("tmp"))?.count(), 0);
        assert_eq!(fs::read_dir(dir.path().join("buckets/b/data"))?.count(), 2);
        let mut keys = Vec::new();
        s.scan("b", "", None, |m| {
            keys.push(m.key.clone());
            true
        });
        assert_eq!(keys, ["a/b.txt", "z"]);
        assert!(s.delete("b", "z")?);
        assert!(!s.delete("b", "z")?);
        assert!(!s.is_empty("b"));
        Ok(())
    }
}
