# Shared by the walkthrough scripts: a fresh rolegate to talk to, a clean AWS CLI
# configuration, and the checks. Sourced, not run.
#
# With AWS_ENDPOINT_URL set, the walkthrough talks to that rolegate, which must be a fresh
# development-mode server (the test suite starts one per walkthrough). Without it, the
# walkthrough starts its own on a free port with an empty data directory, using
# $ROLEGATE_BIN, else target/release/rolegate, else target/debug/rolegate, else `rolegate`.
# ROLEGATE_DATA_DIR names the server's data directory (for `rolegate explain`).
set -euo pipefail

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A clean CLI: its own config and credentials files, and HOME (the CLI caches role sessions
# under ~/.aws/cli/cache), so nothing of the user's own AWS setup is read or changed.
export HOME=$work/home AWS_CONFIG_FILE=$work/home/.aws/config
export AWS_SHARED_CREDENTIALS_FILE=$work/home/.aws/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
mkdir -p "$HOME/.aws"

# The rolegate binary: $ROLEGATE_BIN, else the release build, else the debug build, else PATH.
rolegate_bin() {
  local root bin
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  for bin in "${ROLEGATE_BIN:-}" "$root/target/release/rolegate" "$root/target/debug/rolegate" \
    "$(command -v rolegate || true)"; do
    if [ -n "$bin" ] && [ -x "$bin" ]; then
      echo "$bin"
      return
    fi
  done
  echo "no rolegate binary: run 'cargo build --release' first" >&2
  exit 2
}

start_rolegate() {
  local bin
  bin=$(rolegate_bin)
  export ROLEGATE_DATA_DIR=$work/data
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if grep -q '^ready$' "$work/server.log" 2>/dev/null; then
      AWS_ENDPOINT_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1)
      export AWS_ENDPOINT_URL
      return
    fi
    sleep 0.05
  done
  cat "$work/server.log" >&2
  fail "rolegate did not start"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect ACTUAL EXPECTED WHAT
expect() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
step() { printf '\n== %s\n' "$*"; }
# Runs an AWS CLI command that must fail; prints its "An error occurred ..." line.
denied() {
  local out
  if out=$("$@" 2>&1); then fail "expected a denial, but it succeeded: $*"; fi
  grep -o 'An error occurred.*' <<<"$out" | head -1
}

# Development-mode roots: a 12-digit access key id is that account's root (any secret), so an
# administrator profile per account is two lines of `aws configure`.
admin_profile() { # PROFILE ACCOUNT
  aws configure set aws_access_key_id "$2" --profile "$1"
  aws configure set aws_secret_access_key not-checked-in-development-mode --profile "$1"
  aws configure set region us-east-1 --profile "$1"
}

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then start_rolegate; fi
echo "rolegate: $AWS_ENDPOINT_URL"

# `rolegate explain --last`: why the newest denied request was denied, from the server's
# decision log (needs the server's data directory: known when this script started the server,
# or given as ROLEGATE_DATA_DIR).
explain_last() {
  if [ -z "${ROLEGATE_DATA_DIR:-}" ]; then
    echo "(set ROLEGATE_DATA_DIR to the server's data directory to see rolegate explain)"
    return
  fi
  sleep 0.2 # the decision log is written by a background thread
  "$(rolegate_bin)" explain --last --data-dir "$ROLEGATE_DATA_DIR"
}
# expect_explained PATTERN WHAT: the newest denial's explanation contains PATTERN.
expect_explained() {
  local out
  out=$(explain_last)
  echo "$out"
  if [ -n "${ROLEGATE_DATA_DIR:-}" ]; then
    grep -qF -- "$1" <<<"$out" || fail "$2: rolegate explain does not say [$1]"
  fi
}

# on INSTANCE COMMAND...: runs COMMAND "on" an instance: under `rolegate exec`, which leaves the
# AWS CLI nothing but that instance's metadata service for credentials, as on a real instance.
on() {
  [ -n "${ROLEGATE_DATA_DIR:-}" ] || fail "ROLEGATE_DATA_DIR must name the server's data directory"
  "$(rolegate_bin)" exec --instance "$1" --endpoint "$AWS_ENDPOINT_URL" \
    --data-dir "$ROLEGATE_DATA_DIR" -- "${@:2}"
}
