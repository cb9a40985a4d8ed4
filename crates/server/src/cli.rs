//! Command line: what to run, where the data lives, and how strict to be.

use crate::open::{open_state, StartError};
use clap::{Parser, Subcommand};
use rolegate_core::ids::{access_key_id, account_id, secret_access_key};
use rolegate_core::model::{AccessKey, KeyStatus};
use rolegate_core::{clock, Account};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rolegate",
    version,
    about = "A self-hosted, AWS-compatible IAM and STS service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the AWS APIs on one HTTP port.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:4566")]
        listen: SocketAddr,
        /// Directory of the state (created on first start).
        #[arg(long, default_value = ".rolegate")]
        data_dir: PathBuf,
        /// No implicit accounts, every key verified (the default off loopback).
        #[arg(long)]
        strict: bool,
    },
    /// Explain why a request was allowed or denied, from the decision log.
    Explain {
        /// The request id (every response carries it: x-amzn-RequestId, RequestId...).
        request_id: Option<String>,
        /// Explain the newest denied request instead.
        #[arg(long)]
        last: bool,
        #[arg(long, default_value = ".rolegate")]
        data_dir: PathBuf,
    },
    /// Show recent authorization decisions as a table.
    Log {
        /// Only decisions involving this account (the caller's or the resource's).
        #[arg(long)]
        account: Option<String>,
        /// Only callers whose ARN contains this text.
        #[arg(long)]
        principal: Option<String>,
        /// Only this action (e.g. sts:AssumeRole).
        #[arg(long)]
        action: Option<String>,
        /// Only denials.
        #[arg(long)]
        denied: bool,
        /// How many of the newest decisions to show.
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: usize,
        /// Keep printing new decisions as they come.
        #[arg(long)]
        follow: bool,
        #[arg(long, default_value = ".rolegate")]
        data_dir: PathBuf,
    },
    /// Manage accounts (while the server is stopped).
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Run a command as if on an instance: the AWS CLI and SDKs inside get the instance
    /// profile's credentials from the instance's metadata service.
    Exec {
        /// The instance (running, on the server at --endpoint).
        #[arg(long)]
        instance: String,
        /// The running rolegate.
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        endpoint: String,
        /// The running server's data directory (its master key names the instance).
        #[arg(long, default_value = ".rolegate")]
        data_dir: PathBuf,
        /// Print the environment as shell `unset`/`export` lines instead of running a command.
        #[arg(long)]
        print_env: bool,
        /// The command and its arguments, after `--`.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            required_unless_present = "print_env"
        )]
        command: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account and print its root access key pair.
    Create {
        /// The 12-digit account id (random if omitted).
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = ".rolegate")]
        data_dir: PathBuf,
    },
}

pub fn run(cli: Cli) -> Result<(), StartError> {
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            strict,
        } => {
            // Development mode only where nobody else can reach the port.
            let dev_mode = !strict && listen.ip().is_loopback();
            crate::http::serve(listen, &data_dir, dev_mode)
        }
        Command::Explain {
            request_id,
            last,
            data_dir,
        } => crate::explain::explain(&data_dir, request_id.as_deref(), last),
        Command::Log {
            account,
            principal,
            action,
            denied,
            limit,
            follow,
            data_dir,
        } => {
            let filter = crate::explain::LogFilter {
                account,
                principal,
                action,
                denied,
            };
            crate::explain::log(&data_dir, &filter, limit, follow)
        }
        Command::Exec {
            instance,
            endpoint,
            data_dir,
            print_env,
            command,
        } => {
            let env = crate::exec::instance_env(&instance, &endpoint, &data_dir)?;
            if print_env {
                crate::exec::print_env(&env);
                return Ok(());
            }
            let code = crate::exec::run(&env, &command)?;
            // The command's status is ours.
            std::process::exit(code)
        }
        Command::Account {
            command: AccountCommand::Create { id, name, data_dir },
        } => {
            let id = id.unwrap_or_else(account_id);
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StartError::Usage(format!(
                    "account id must be 12 digits, not {id}"
                )));
            }
            let state = open_state(&data_dir, false)?;
            let now = clock::now();
            let mut account = Account::new(&id, name.as_deref().unwrap_or(&id), now);
            let key = AccessKey {
                id: access_key_id("AKIA", &id),
                secret: secret_access_key(),
                status: KeyStatus::Active,
                created: now,
                last_used: None,
            };
            account.root_keys.push(key.clone());
            state
                .catalog
                .create_account(account)
                .map_err(|e| StartError::Usage(e.to_string()))?;
            println!("account {id} created; its root user's access key:");
            println!("  AWS_ACCESS_KEY_ID={}", key.id);
            println!("  AWS_SECRET_ACCESS_KEY={}", key.secret);
            Ok(())
        }
    }
}
