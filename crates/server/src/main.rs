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
