//! S3 object storage on disk, under `<data-dir>/objects/`.
//!
//! Layout: `buckets/<bucket>/meta/<sha256(key)>.json` holds an object's metadata and names its
//! data file `buckets/<bucket>/data/<id>`; uploads are written to `tmp/` first. A write is
//! staged in a temporary file, fsynced and renamed under a fresh data id (invisible: no
//! metadata names it yet), then the metadata file is written the same way and renamed over
//! the old one. The metadata rename is the commit point, so a crash at any moment leaves
//! either the old object or the new one, never half of one; start-up removes the temporary
//! files and data files no metadata names. Listing reads an in-memory index of the metadata.
//!
//! A PutObject pays for durability in this order, and is acknowledged only at the end:
//! 1. fsync of its own data file (no lock held: concurrent uploads sync in parallel);
//! 2. rename into `data/`, then an fsync of `data/` shared with every writer renaming in
//!    meanwhile ([`crate::dirsync`]): the data's name is durable before any metadata names it,
//!    so a durable metadata file never points at a missing data file;
//! 3. its metadata written to a temporary file and fsynced (no lock held);
//! 4. under the lock of its key only (one of a fixed set of stripes, so writes to other keys
//!    proceed), the rename over the old metadata, then an fsync of `meta/` shared likewise,
//!    and only then the in-memory index, so an object is visible only once durable, and two
//!    writes of one key reach the disk and the index in the same order.
//!
//! Each fsync still happens before the step that depends on it; the sharing only lets one
//! directory fsync cover many writers, each of which waits for an fsync that *started after*
//! its own rename. Deleting a bucket (or a reset) takes the store lock exclusively; writes
//! take it shared, so they never see their bucket vanish midway.
//!
//! Multipart uploads live in `buckets/<bucket>/uploads/<upload-id>/`: `upload.json` (the
//! object-to-be's metadata), one `p-<n>.json` per part naming its data file `d-<id>`, committed
//! the same way (data renamed in, then the part metadata renamed over). An upload directory
//! appears by renaming a complete staging directory in and disappears by renaming it out to
//! `tmp/`, so both are atomic. Completing streams the part files into an ordinary upload and
//! commits it as above, then removes the upload; the object is visible all at once or not at
//! all. (A crash between the object's commit and the upload's removal leaves the upload listed
//! as well; completing or aborting it again is harmless.)

use crate::dirsync::DirSyncs;
use md5::{Digest, Md5};
use parking_lot::{Mutex, MutexGuard, RwLock};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The object's tags (key → value), at most 10 (checked by the S3 service).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
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
    pub tags: BTreeMap<String, String>,
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

/// A multipart upload's own metadata, fixed at creation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadMeta {
    /// Assigned by [`ObjectStore::create_upload`].
    pub id: String,
    pub key: String,
    /// Unix milliseconds.
    pub initiated: i64,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `x-amz-checksum-algorithm` at creation, lowercase (`crc32`...).
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    /// `x-amz-checksum-type` at creation (`COMPOSITE`, `FULL_OBJECT`).
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// `x-amz-tagging` at creation: the tags the completed object gets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The initiator's ARN and name.
    #[serde(default)]
    pub initiator: String,
    #[serde(default)]
    pub initiator_name: String,
}

/// One uploaded part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    pub number: u32,
    pub size: u64,
    /// The hex MD5 of the part, without quotes.
    pub etag: String,
    /// Unix milliseconds.
    pub last_modified: i64,
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    /// The data file's name in the upload directory.
    pub data: String,
}

/// A multipart upload in progress.
pub struct Upload {
    pub bucket: String,
    pub meta: UploadMeta,
    parts: Mutex<BTreeMap<u32, PartMeta>>,
    /// Held while a part commits, and for all of a completion or an abort.
    busy: Mutex<()>,
    gone: AtomicBool,
}

impl Upload {
    /// The parts uploaded so far, by number.
    pub fn parts(&self) -> BTreeMap<u32, PartMeta> {
        self.parts.lock().clone()
    }
}

pub struct ObjectStore {
    root: PathBuf,
    index: RwLock<HashMap<String, BucketIndex>>,
    /// Shared by commits, exclusive for removing a bucket or everything.
    commit: RwLock<()>,
    /// Per-key commit locks, striped by a hash of (bucket, key).
    keys: Vec<Mutex<()>>,
    syncs: DirSyncs,
    /// Uploads in progress, by upload id.
    uploads: RwLock<HashMap<String, Arc<Upload>>>,
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

/// Writes `bytes` to `path` and makes them durable (not the directory entry).
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The number of per-key commit lock stripes.
const KEY_STRIPES: usize = 64;

/// Writes an object's metadata to a durable temporary file beside its final name; returns
/// the temporary file (see [`ObjectStore::place_meta`]).
fn stage_meta(dir: &Path, meta: &ObjectMeta) -> io::Result<PathBuf> {
    let meta_tmp = dir.join("meta").join(format!(".{}.tmp", random_id()));
    let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
    if let Err(e) = write_synced(&meta_tmp, &json) {
        let _ = fs::remove_file(&meta_tmp);
        return Err(e);
    }
    Ok(meta_tmp)
}

/// Loads the uploads of one bucket directory, removing what a crash left half-made.
fn load_uploads(
    bucket: &str,
    dir: &Path,
    out: &mut HashMap<String, Arc<Upload>>,
) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let meta = fs::read(path.join("upload.json"))
            .ok()
            .and_then(|t| serde_json::from_slice::<UploadMeta>(&t).ok());
        let Some(meta) = meta.filter(|m| m.id == entry.file_name().to_string_lossy()) else {
            let _ = fs::remove_dir_all(&path);
            continue;
        };
        let mut parts = BTreeMap::new();
        let mut files = Vec::new();
        for f in fs::read_dir(&path)? {
            let f = f?;
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with("p-") && name.ends_with(".json") {
                match fs::read(f.path())
                    .ok()
                    .and_then(|t| serde_json::from_slice::<PartMeta>(&t).ok())
                {
                    Some(p) => {
                        parts.insert(p.number, p);
                    }
                    None => {
                        let _ = fs::remove_file(f.path());
                    }
                }
            } else if name != "upload.json" {
                files.push((name, f.path()));
            }
        }
        let live: HashSet<&str> = parts.values().map(|p| p.data.as_str()).collect();
        for (name, p) in &files {
            if !live.contains(name.as_str()) {
                let _ = fs::remove_file(p);
            }
        }
        out.insert(
            meta.id.clone(),
            Arc::new(Upload {
                bucket: bucket.to_owned(),
                meta,
                parts: Mutex::new(parts),
                busy: Mutex::new(()),
                gone: AtomicBool::new(false),
            }),
        );
    }
    Ok(())
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
        let mut uploads = HashMap::new();
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
            load_uploads(&bucket, &dir.join("uploads"), &mut uploads)?;
            index.insert(bucket, objects);
        }
        Ok(ObjectStore {
            root: root.to_owned(),
            index: RwLock::new(index),
            commit: RwLock::new(()),
            keys: (0..KEY_STRIPES).map(|_| Mutex::new(())).collect(),
            syncs: DirSyncs::default(),
            uploads: RwLock::new(uploads),
        })
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    /// The commit lock of one key (a stripe shared with other keys).
    fn key_lock(&self, bucket: &str, key: &str) -> MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (bucket, key).hash(&mut h);
        self.keys[(h.finish() % KEY_STRIPES as u64) as usize].lock()
    }

    /// Renames a staged metadata file over the key's (the commit point of a write), then waits
    /// for a `meta/` fsync that covers the rename. Call with the key's lock held.
    fn place_meta(&self, dir: &Path, staged: &Path, key: &str) -> io::Result<()> {
        if let Err(e) = fs::rename(staged, dir.join("meta").join(key_file(key))) {
            let _ = fs::remove_file(staged);
            return Err(e);
        }
        self.syncs.sync(&dir.join("meta"))
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
        let _guard = self.commit.write();
        self.syncs.forget_under(&self.bucket_dir(bucket));
        self.index.write().remove(bucket);
        self.uploads.write().retain(|_, u| {
            if u.bucket == bucket {
                u.gone.store(true, Ordering::SeqCst);
            }
            u.bucket != bucket
        });
        match fs::remove_dir_all(self.bucket_dir(bucket)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Erases everything (development-mode reset).
    pub fn clear(&self) -> io::Result<()> {
        let _guard = self.commit.write();
        self.syncs.forget_under(&self.root);
        self.index.write().clear();
        for u in self.uploads.write().drain().map(|(_, u)| u) {
            u.gone.store(true, Ordering::SeqCst);
        }
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
            tags: new.tags,
            data: w.id.clone(),
        };
        let _guard = self.commit.read();
        if !self.index.read().contains_key(bucket) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "bucket deleted"));
        }
        let data = dir.join("data").join(&w.id);
        fs::rename(&w.path, &data)?;
        // Renamed away: the writer's drop must not remove anything now.
        w.path = PathBuf::new();
        let staged = self
            .syncs
            .sync(&dir.join("data"))
            .and_then(|()| stage_meta(&dir, &meta));
        let staged = match staged {
            Ok(s) => s,
            Err(e) => {
                let _ = fs::remove_file(&data);
                return Err(e);
            }
        };
        let _key = self.key_lock(bucket, &meta.key);
        self.place_meta(&dir, &staged, &meta.key)?;
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

    fn upload_dir(&self, bucket: &str, id: &str) -> PathBuf {
        self.bucket_dir(bucket).join("uploads").join(id)
    }

    /// Starts a multipart upload (its id is assigned here). `NotFound` when the bucket is gone.
    pub fn create_upload(&self, bucket: &str, mut meta: UploadMeta) -> io::Result<Arc<Upload>> {
        meta.id = format!("{}{}", random_id(), random_id());
        let staging = self.root.join("tmp").join(format!("upload-{}", meta.id));
        fs::create_dir(&staging)?;
        let json = serde_json::to_vec(&meta).map_err(io::Error::other)?;
        let staged = write_synced(&staging.join("upload.json"), &json).and_then(|()| {
            sync_dir(&staging)?;
            let _guard = self.commit.read();
            if !self.index.read().contains_key(bucket) {
                return Err(io::Error::new(io::ErrorKind::NotFound, "bucket deleted"));
            }
            let dir = self.bucket_dir(bucket).join("uploads");
            fs::create_dir_all(&dir)?;
            fs::rename(&staging, dir.join(&meta.id))?;
            sync_dir(&dir)
        });
        if let Err(e) = staged {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        let upload = Arc::new(Upload {
            bucket: bucket.to_owned(),
            meta,
            parts: Mutex::new(BTreeMap::new()),
            busy: Mutex::new(()),
            gone: AtomicBool::new(false),
        });
        self.uploads
            .write()
            .insert(upload.meta.id.clone(), upload.clone());
        Ok(upload)
    }

    /// The upload `id` of `bucket`, if in progress.
    pub fn upload(&self, bucket: &str, id: &str) -> Option<Arc<Upload>> {
        self.uploads
            .read()
            .get(id)
            .filter(|u| u.bucket == bucket)
            .cloned()
    }

    /// The uploads in progress in `bucket`, by key, then initiation time.
    pub fn uploads(&self, bucket: &str) -> Vec<Arc<Upload>> {
        let mut out: Vec<Arc<Upload>> = self
            .uploads
            .read()
            .values()
            .filter(|u| u.bucket == bucket)
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (&a.meta.key, a.meta.initiated, &a.meta.id).cmp(&(
                &b.meta.key,
                b.meta.initiated,
                &b.meta.id,
            ))
        });
        out
    }

    /// Runs `f` with the upload held: no part commits, completion or abort of it meanwhile.
    /// `None` when there is no such upload (or it was completed or aborted while waiting).
    pub fn with_upload<R>(
        &self,
        bucket: &str,
        id: &str,
        f: impl FnOnce(&Upload) -> R,
    ) -> Option<R> {
        let upload = self.upload(bucket, id)?;
        let _busy = upload.busy.lock();
        if upload.gone.load(Ordering::SeqCst) {
            return None;
        }
        Some(f(&upload))
    }

    /// Makes a part durable, replacing any part of that number (call within
    /// [`ObjectStore::with_upload`]).
    pub fn commit_part(
        &self,
        upload: &Upload,
        mut w: ObjectWriter,
        number: u32,
        checksums: BTreeMap<String, String>,
        last_modified: i64,
    ) -> io::Result<PartMeta> {
        w.file.flush()?;
        w.file.sync_all()?;
        let dir = self.upload_dir(&upload.bucket, &upload.meta.id);
        let part = PartMeta {
            number,
            size: w.size,
            etag: w.md5_hex(),
            last_modified,
            checksums,
            data: format!("d-{}", w.id),
        };
        fs::rename(&w.path, dir.join(&part.data))?;
        w.path = PathBuf::new();
        let json = serde_json::to_vec(&part).map_err(io::Error::other)?;
        let tmp = dir.join(format!(".{}.tmp", random_id()));
        let written = write_synced(&tmp, &json)
            .and_then(|()| fs::rename(&tmp, dir.join(format!("p-{number}.json"))))
            .and_then(|()| sync_dir(&dir));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            let _ = fs::remove_file(dir.join(&part.data));
            return Err(e);
        }
        let old = upload.parts.lock().insert(number, part.clone());
        if let Some(old) = old {
            let _ = fs::remove_file(dir.join(old.data));
        }
        Ok(part)
    }

    /// Opens a part's data (within [`ObjectStore::with_upload`], where parts stay put).
    pub fn open_part(&self, upload: &Upload, part: &PartMeta) -> io::Result<File> {
        File::open(
            self.upload_dir(&upload.bucket, &upload.meta.id)
                .join(&part.data),
        )
    }

    /// Removes an upload and its parts, after completion or on abort (call within
    /// [`ObjectStore::with_upload`]).
    pub fn remove_upload(&self, upload: &Upload) -> io::Result<()> {
        upload.gone.store(true, Ordering::SeqCst);
        self.uploads.write().remove(&upload.meta.id);
        let dir = self.upload_dir(&upload.bucket, &upload.meta.id);
        let trash = self.root.join("tmp").join(format!("gone-{}", random_id()));
        fs::rename(&dir, &trash)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        let _ = fs::remove_dir_all(&trash);
        Ok(())
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<Arc<ObjectMeta>> {
        self.index.read().get(bucket)?.get(key).cloned()
    }

    /// Replaces an object's tags, durably (its metadata file is rewritten atomically; data,
    /// ETag and Last-Modified stay). `None` when there is no such object.
    pub fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: BTreeMap<String, String>,
    ) -> io::Result<Option<Arc<ObjectMeta>>> {
        let _guard = self.commit.read();
        let _key = self.key_lock(bucket, key);
        let Some(old) = self.get(bucket, key) else {
            return Ok(None);
        };
        let mut meta = (*old).clone();
        meta.tags = tags;
        let dir = self.bucket_dir(bucket);
        let staged = stage_meta(&dir, &meta)?;
        self.place_meta(&dir, &staged, key)?;
        let meta = Arc::new(meta);
        if let Some(objects) = self.index.write().get_mut(bucket) {
            objects.insert(meta.key.clone(), meta.clone());
        }
        Ok(Some(meta))
    }

    /// Opens an object's data. An open file stays readable even if the object is replaced.
    pub fn open_data(&self, bucket: &str, meta: &ObjectMeta) -> io::Result<File> {
        File::open(self.bucket_dir(bucket).join("data").join(&meta.data))
    }

    /// Deletes an object; `false` when there was none.
    pub fn delete(&self, bucket: &str, key: &str) -> io::Result<bool> {
        let _guard = self.commit.read();
        let _key = self.key_lock(bucket, key);
        let dir = self.bucket_dir(bucket);
        let Some(old) = self.get(bucket, key) else {
            return Ok(false);
        };
        fs::remove_file(dir.join("meta").join(key_file(key)))?;
        self.syncs.sync(&dir.join("meta"))?;
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
    fn concurrent_puts_are_all_durable_and_the_index_matches_the_disk() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        {
            let store = Arc::new(ObjectStore::open(dir.path())?);
            store.create_bucket("b")?;
            let threads: Vec<_> = (0..6)
                .map(|t| {
                    let store = store.clone();
                    std::thread::spawn(move || -> io::Result<()> {
                        for i in 0..10 {
                            put(&store, &format!("k{t}-{i}"), format!("{t}-{i}").as_bytes())?;
                            // Every thread also overwrites one shared key.
                            put(&store, "shared", format!("{t}-{i}").as_bytes())?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for t in threads {
                assert!(matches!(t.join(), Ok(Ok(()))));
            }
            let shared = store.get("b", "shared").map(|m| m.etag.clone());
            let reopened = ObjectStore::open(dir.path())?;
            assert_eq!(reopened.get("b", "shared").map(|m| m.etag.clone()), shared);
        }
        let store = ObjectStore::open(dir.path())?;
        let mut keys = 0;
        store.scan("b", "", None, |_| {
            keys += 1;
            true
        });
        assert_eq!(keys, 61);
        for t in 0..6 {
            for i in 0..10 {
                let meta = store
                    .get("b", &format!("k{t}-{i}"))
                    .ok_or(io::ErrorKind::NotFound)?;
                let mut body = String::new();
                io::Read::read_to_string(&mut store.open_data("b", &meta)?, &mut body)?;
                assert_eq!(body, format!("{t}-{i}"));
            }
        }
        // Only live data files remain: the overwritten ones were removed.
        assert_eq!(fs::read_dir(dir.path().join("buckets/b/data"))?.count(), 61);
        Ok(())
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

    #[test]
    fn tags_are_set_durably_without_touching_the_data() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let tags = BTreeMap::from([("classification".to_owned(), "public".to_owned())]);
        {
            let s = ObjectStore::open(dir.path())?;
            s.create_bucket("b")?;
            let before = put(&s, "k", b"body")?;
            assert!(s.set_tags("b", "missing", tags.clone())?.is_none());
            let after = s
                .set_tags("b", "k", tags.clone())?
                .ok_or(io::ErrorKind::NotFound)?;
            assert_eq!((&after.etag, &after.data), (&before.etag, &before.data));
            assert_eq!(after.tags, tags);
        }
        let s = ObjectStore::open(dir.path())?;
        let m = s.get("b", "k").ok_or(io::ErrorKind::NotFound)?;
        assert_eq!(m.tags, tags);
        let mut body = String::new();
        io::Read::read_to_string(&mut s.open_data("b", &m)?, &mut body)?;
        assert_eq!(body, "body");
        assert_eq!(fs::read_dir(dir.path().join("buckets/b/meta"))?.count(), 1);
        s.set_tags("b", "k", BTreeMap::new())?;
        let s = ObjectStore::open(dir.path())?;
        assert!(s
            .get("b", "k")
            .ok_or(io::ErrorKind::NotFound)?
            .tags
            .is_empty());
        Ok(())
    }

    #[test]
    fn uploads_and_parts_survive_reopen_and_go_when_removed() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let id;
        {
            let s = ObjectStore::open(dir.path())?;
            s.create_bucket("b")?;
            let u = s.create_upload(
                "b",
                UploadMeta {
                    key: "k".into(),
                    ..UploadMeta::default()
                },
            )?;
            id = u.meta.id.clone();
            for (n, body) in [(1, &b"one"[..]), (2, b"two"), (1, b"ONE")] {
                let mut w = s.writer()?;
                w.write(body)?;
                s.with_upload("b", &id, |u| s.commit_part(u, w, n, BTreeMap::new(), 0))
                    .ok_or(io::ErrorKind::NotFound)??;
            }
            // A part that never committed, and a half-made upload directory.
            fs::write(
                dir.path().join("buckets/b/uploads").join(&id).join("d-x"),
                b"x",
            )?;
            fs::create_dir(dir.path().join("buckets/b/uploads/half"))?;
        }
        let s = ObjectStore::open(dir.path())?;
        assert!(s.upload("other", &id).is_none());
        let u = s.upload("b", &id).ok_or(io::ErrorKind::NotFound)?;
        let parts = u.parts();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[&1].etag, "bc21e6484530fc9d0313cb816b733396");
        let mut data = String::new();
        io::Read::read_to_string(&mut s.open_part(&u, &parts[&1])?, &mut data)?;
        assert_eq!(data, "ONE");
        let updir = dir.path().join("buckets/b/uploads");
        assert_eq!(fs::read_dir(updir.join(&id))?.count(), 5);
        assert_eq!(fs::read_dir(&updir)?.count(), 1);
        assert_eq!(s.uploads("b").len(), 1);
        s.with_upload("b", &id, |u| s.remove_upload(u))
            .ok_or(io::ErrorKind::NotFound)??;
        assert!(s.with_upload("b", &id, |_| ()).is_none());
        assert_eq!(fs::read_dir(&updir)?.count(), 0);
        assert!(s.uploads("b").is_empty());
        Ok(())
    }
}
