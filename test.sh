#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, and every test of the workspace, including the
# end-to-end tests that drive the real binary with the AWS SDK for Rust and the AWS CLI.
# Installs what the tests need first: the AWS CLI and boto3 (pip).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v aws >/dev/null 2>&1 || ! python3 -c 'import boto3' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check awscli boto3
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
