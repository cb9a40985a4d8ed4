//! Replays every input saved under `fuzz/regressions/` (crashes found by the
//! `parse_validate_evaluate` fuzz target, and the seed corpus) through the same harness the fuzz
//! target runs, so a fixed crash stays fixed without the fuzzing toolchain.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .filter(|p| p.extension().is_none_or(|x| x != "md"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn fuzz_regressions_and_seeds_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = inputs(&root.join("regressions"));
    files.extend(inputs(&root.join("seeds/parse_validate_evaluate")));
    assert!(
        !files.is_empty(),
        "no fuzz seeds or regressions found under {}",
        root.display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let data =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| harness::run(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} input(s) crash:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
