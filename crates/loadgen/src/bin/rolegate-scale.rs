//! The scale benchmark (issue 7): seeds a data directory with many accounts of many roles,
//! then measures, for `rolegate serve` on it and on an empty one in the same run: the start-up
//! time (process start to accepting connections), the resident memory, and the throughput of
//! AssumeRole and GetCallerIdentity driven by the load generator; then, on the seeded store,
//! the cost of using every account once (the server reads an account on first use) and the
//! memory with all of them read.

use clap::Parser;
use rolegate_loadgen::scale::{delete_user_time, touch_every_account, CallerKeys, Touch};
use rolegate_loadgen::{run, Config, MotoMode, Op, Report};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "rolegate at scale: start-up, memory and AssumeRole with many accounts")]
struct Cli {
    /// The rolegate binary to start.
    #[arg(long, default_value = "target/release/rolegate")]
    rolegate_bin: PathBuf,
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Roles per account (each with a trust, an inline and an attached managed policy).
    #[arg(long, default_value_t = 100)]
    roles: usize,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds per operation.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Seed into (or reuse) this directory instead of a temporary one.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

struct Server {
    child: Child,
    addr: SocketAddr,
    startup: Duration,
}

impl Drop for Server {
    /// SIGTERM, so that the server closes its store cleanly (the next start would otherwise
    /// begin with a repair of the whole file); SIGKILL if it has not stopped within a minute.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let asked = Command::new("kill").args(["-TERM", &pid]).status();
        if asked.is_ok_and(|s| s.success()) {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<SocketAddr, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map_err(|e| e.to_string())
}

/// Starts the server and waits until it accepts connections (it binds after loading).
fn start(bin: &Path, dir: &Path) -> Result<Server, String> {
    let addr = free_port()?;
    let began = Instant::now();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    loop {
        if TcpStream::connect(addr).is_ok() {
            let startup = began.elapsed();
            return Ok(Server {
                child,
                addr,
                startup,
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("rolegate exited during start-up: {status}"));
        }
        if began.elapsed() > Duration::from_secs(600) {
            return Err("rolegate did not start within 10 minutes".to_owned());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// VmRSS and VmHWM of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn rps(report: &Report, op: &str) -> f64 {
    report
        .targets
        .first()
        .and_then(|t| t.row(op))
        .and_then(|r| r.outcome.as_ref().ok())
        .map_or(f64::NAN, |s| s.rps)
}

struct Measured {
    startup: Duration,
    rss_started: f64,
    rss_after: f64,
    peak: f64,
    report: Report,
    /// The seeded store only: DeleteUser with the accounts not read yet, every account used
    /// once (first use, then again), and the RSS with every account in memory.
    touched: Option<(Duration, Touch, Touch, f64)>,
}

fn measure(
    cli: &Cli,
    dir: &Path,
    rt: &tokio::runtime::Runtime,
    seeded: bool,
) -> Result<Measured, String> {
    let server = start(&cli.rolegate_bin, dir)?;
    let (rss_started, _) = memory(server.child.id());
    let config = Config {
        rolegate: Some(format!("http://{}", server.addr)),
        moto: MotoMode::Off,
        ceiling: false,
        connections: cli.connections,
        duration: Duration::from_secs(cli.seconds),
        warmup: Duration::from_secs(1),
        ops: vec![Op::AssumeRole, Op::GetCallerIdentity],
        mixed: false,
        // One target: nothing to take turns with.
        rounds: 1,
    };
    let report = rt.block_on(run(&config))?;
    let (rss_after, peak) = memory(server.child.id());
    let touched = if seeded {
        let keys = CallerKeys::load(dir)?;
        let delete = rt.block_on(delete_user_time(server.addr))?;
        let touch = || {
            rt.block_on(touch_every_account(
                server.addr,
                &keys,
                cli.accounts,
                cli.roles,
                cli.connections,
            ))
        };
        let (first, again) = (touch()?, touch()?);
        Some((delete, first, again, memory(server.child.id()).0))
    } else {
        None
    };
    Ok(Measured {
        startup: server.startup,
        rss_started,
        rss_after,
        peak,
        report,
        touched,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_inner(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolegate-scale: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main_inner(cli: &Cli) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(rolegate_loadgen::cores())
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let big = cli
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("scale"));
    if big.join("state.redb").exists() {
        eprintln!("[scale] reusing {}", big.display());
    } else {
        let began = Instant::now();
        rolegate_loadgen::scale::seed(&big, cli.accounts, cli.roles)?;
        eprintln!(
            "[scale] seeded {} accounts × {} roles in {:.1} s",
            cli.accounts,
            cli.roles,
            began.elapsed().as_secs_f64()
        );
    }
    let db_mib = std::fs::metadata(big.join("state.redb"))
        .map(|m| m.len() as f64 / 1048576.0)
        .unwrap_or(f64::NAN);
    let small = measure(cli, &temp.path().join("small"), &rt, false)?;
    let scaled = measure(cli, &big, &rt, true)?;
    println!(
        "{} accounts × {} roles (each: trust + inline + attached managed policy); store {:.0} MiB; {} connections, {} s per operation, {} cores\n",
        cli.accounts,
        cli.roles,
        db_mib,
        cli.connections,
        cli.seconds,
        rolegate_loadgen::cores()
    );
    println!("| | empty store | scale store | scale/empty |");
    println!("|---|---:|---:|---:|");
    println!(
        "| start-up | {:.3} s | {:.3} s | |",
        small.startup.as_secs_f64(),
        scaled.startup.as_secs_f64()
    );
    println!(
        "| RSS after start-up | {:.0} MiB | {:.0} MiB | |",
        small.rss_started, scaled.rss_started
    );
    println!(
        "| RSS after the load (peak) | {:.0} MiB ({:.0}) | {:.0} MiB ({:.0}) | |",
        small.rss_after, small.peak, scaled.rss_after, scaled.peak
    );
    for op in ["assume-role", "get-caller-identity"] {
        let (a, b) = (rps(&small.report, op), rps(&scaled.report, op));
        println!(
            "| {op} | {a:.0} req/s | {b:.0} req/s | {:.0} % |",
            100.0 * b / a
        );
    }
    if let Some((delete, first, again, rss)) = &scaled.touched {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| IAM DeleteUser (its ARN rewritten in every trust policy naming it) | | {:.1} ms | |",
            ms(*delete)
        );
        for (what, t) in [("first use", first), ("second use", again)] {
            println!(
                "| {what} of every account ({} AssumeRole, one per account) | | {:.2} s; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms | |",
                t.requests,
                t.wall.as_secs_f64(),
                ms(t.p50),
                ms(t.p99),
                ms(t.max)
            );
        }
        println!("| RSS with every account in memory | | {rss:.0} MiB | |");
    }
    for (name, m) in [("empty", &small), ("scale", &scaled)] {
        for t in &m.report.targets {
            for r in &t.rows {
                if let Err(e) = &r.outcome {
                    return Err(format!("{name}: {}: {e}", r.name));
                }
                if let Ok(s) = &r.outcome {
                    if s.errors > 0 {
                        return Err(format!(
                            "{name}: {}: {} errors, e.g. {:?}",
                            r.name, s.errors, s.error_sample
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
