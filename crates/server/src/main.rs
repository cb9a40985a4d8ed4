//! The `rolegate` binary: `rolegate serve`, `rolegate exec`, `rolegate explain`, `rolegate log` and
//! `rolegate account create`.

mod auth;
mod cli;
mod exec;
mod explain;
mod http;
mod imds;
mod imds_credentials;
mod imds_keys;
mod imds_paths;
mod open;
mod s3;
mod workers;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: malloc/free were the largest item left in the
/// request profiles, and glibc's per-thread arenas contend when one thread frees what another
/// allocated. Measured back to back (BENCHMARKS.md, "Allocator"): AssumeRole +27–43 %, KMS
/// Decrypt +20–42 %, and 6 % less resident memory with a million roles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROLEGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolegate: {e}");
            ExitCode::FAILURE
        }
    }
}
