//! Shared directory fsyncs for the object store: concurrent writers in one directory share
//! one `fsync` of it instead of paying one each.
//!
//! A writer that has just created or renamed an entry in a directory needs an fsync of that
//! directory that *starts after* its own change. If one is already running, it may have
//! started before the change, so the writer waits for it to end and then for the next one,
//! which covers every writer that queued meanwhile. So under load one fsync serves a whole
//! group, and a writer never returns before an fsync that covers its entry has succeeded.

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Default)]
struct State {
    /// How many fsyncs have started (the running one, if any, is number `started`).
    started: u64,
    /// The number of the last fsync that ended.
    done: u64,
    running: bool,
    /// The number of the last fsync that failed, and why. A waiter fails when a failure is
    /// at or after the fsync it needed: conservative (it may fail a write a successful earlier
    /// fsync covered), never the other way round.
    failed: Option<(u64, String)>,
}

/// One directory's group fsync.
#[derive(Default)]
struct GroupSync {
    state: Mutex<State>,
    ended: Condvar,
}

impl GroupSync {
    fn sync(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.state.lock();
        let need = s.started + 1;
        loop {
            if s.done >= need {
                return match &s.failed {
                    Some((n, msg)) if *n >= need => Err(io::Error::other(msg.clone())),
                    _ => Ok(()),
                };
            }
            if s.running {
                self.ended.wait(&mut s);
                continue;
            }
            s.running = true;
            s.started += 1;
            let mine = s.started;
            drop(s);
            let result = File::open(dir).and_then(|f| f.sync_all());
            s = self.state.lock();
            s.running = false;
            s.done = mine;
            if let Err(e) = result {
                s.failed = Some((mine, e.to_string()));
            }
            self.ended.notify_all();
        }
    }
}

/// The group fsyncs of every directory in use, by path.
#[derive(Default)]
pub(crate) struct DirSyncs {
    dirs: Mutex<HashMap<PathBuf, Arc<GroupSync>>>,
}

impl DirSyncs {
    /// Returns once an fsync of `dir` that started after the call has succeeded.
    pub(crate) fn sync(&self, dir: &Path) -> io::Result<()> {
        let group = self.dirs.lock().entry(dir.to_owned()).or_default().clone();
        group.sync(dir)
    }

    /// Forgets the directories under `root` (removed with their bucket).
    pub(crate) fn forget_under(&self, root: &Path) {
        self.dirs.lock().retain(|d, _| !d.starts_with(root));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_syncs_all_return_and_a_missing_directory_fails() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let syncs = Arc::new(DirSyncs::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let syncs = syncs.clone();
                let path = dir.path().to_owned();
                std::thread::spawn(move || (0..20).all(|_| syncs.sync(&path).is_ok()))
            })
            .collect();
        for t in threads {
            assert!(matches!(t.join(), Ok(true)));
        }
        assert!(syncs.sync(&dir.path().join("missing")).is_err());
        syncs.forget_under(dir.path());
        assert!(syncs.dirs.lock().is_empty());
        Ok(())
    }
}
