#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, and every test of the workspace.
# Installs what the tests need first (nothing beyond the Rust toolchain yet).
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
