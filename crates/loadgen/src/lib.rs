//! rolegate's load generator (issue 7): creates its own fixture through the API, then drives
//! rolegate, moto_server and an in-process hyper "ceiling" with SigV4-signed HTTP/1.1
//! keep-alive requests from N connections for a fixed duration per operation, and reports
//! requests per second and latency percentiles per operation and target.
//!
//! The binary (`rolegate-loadgen`) is a thin CLI over [`run`]; the smoke test calls [`run`]
//! directly against the debug server.

mod ceiling;
mod conn;
mod fixture;
mod measure;
mod moto;
pub mod ops;
mod report;
pub mod scale;
mod template;

pub use measure::Stats;
pub use ops::Op;
pub use report::{Report, Row, TargetReport};

use crate::measure::{Phase, Window};
use crate::template::HostHeader;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Where moto comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MotoMode {
    /// Start `moto_server` on a free port and stop it afterwards.
    Auto,
    /// A moto server already running at this URL.
    Url(String),
    Off,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// rolegate's URL (`http://host:port`), or none to measure only the others.
    pub rolegate: Option<String>,
    pub moto: MotoMode,
    pub ceiling: bool,
    pub connections: usize,
    /// The measured time of each operation.
    pub duration: Duration,
    /// Unmeasured time before each operation's window (connections open, caches warm).
    pub warmup: Duration,
    /// Each operation's measured time is cut into this many windows, taken in turn on every
    /// target (rolegate, ceiling, moto, rolegate, ceiling, moto...), and each target's windows
    /// are merged. At least 1.
    pub rounds: usize,
    pub ops: Vec<Op>,
    /// Also run the mixed workload (every selected op in turn on each connection).
    pub mixed: bool,
}

/// The cores the generator shares with the servers it drives.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `http://host:port[/]` → the socket address and the `Host` header.
fn parse_url(url: &str) -> Result<(SocketAddr, HostHeader), String> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?
        .trim_end_matches('/');
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{url}: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: no address"))?;
    Ok((addr, HostHeader::new(authority)?))
}

/// Measures every selected target, one operation at a time: each operation runs on rolegate,
/// then on the ceiling, then on moto, before the next operation starts, and that in
/// `config.rounds` windows each. The machines are shared VMs whose speed changes by a third
/// for tens of seconds at a time; measured this way, the figures a ratio compares are taken
/// over the same stretch of time, window by window, rather than minutes apart (all of
/// rolegate's operations used to run before any of the ceiling's) or in two windows one
/// after the other.
pub async fn run(config: &Config) -> Result<Report, String> {
    let mut targets = Vec::new();
    if let Some(url) = &config.rolegate {
        let (addr, host) = parse_url(url)?;
        targets.push(Target::prepare("rolegate", addr, host, config, true).await);
    }
    // Kept running, idle between its turns, until the last operation is measured.
    let ceiling = if config.ceiling {
        let ceiling = ceiling::Ceiling::start(cores())?;
        let host = HostHeader::new(&ceiling.addr.to_string())?;
        targets.push(Target::prepare("ceiling", ceiling.addr, host, config, false).await);
        Some(ceiling)
    } else {
        None
    };
    let moto = match &config.moto {
        MotoMode::Off => None,
        MotoMode::Url(url) => {
            let (addr, host) = parse_url(url)?;
            targets.push(Target::prepare("moto", addr, host, config, true).await);
            None
        }
        MotoMode::Auto => {
            let moto = tokio::task::spawn_blocking(moto::Moto::start)
                .await
                .map_err(|e| format!("moto start: {e}"))??;
            let host = HostHeader::new(&moto.addr.to_string())?;
            targets.push(Target::prepare("moto", moto.addr, host, config, true).await);
            Some(moto)
        }
    };
    let rounds = config.rounds.max(1);
    for &op in &config.ops {
        for _ in 0..rounds {
            for target in &mut targets {
                target.measure(op).await;
            }
        }
    }
    if config.mixed {
        for _ in 0..rounds {
            for target in &mut targets {
                target.measure_mixed().await;
            }
        }
    }
    drop(moto);
    if let Some(ceiling) = ceiling {
        tokio::task::spawn_blocking(move || drop(ceiling))
            .await
            .map_err(|e| format!("ceiling stop: {e}"))?;
    }
    Ok(Report {
        targets: targets.into_iter().map(Target::report).collect(),
        connections: config.connections,
        duration: config.duration,
        rounds: config.rounds.max(1),
        cores: cores(),
    })
}

/// One server under measurement: its fixture (or why it has none), and its rows so far.
struct Target {
    name: &'static str,
    phase: Phase,
    fixture: Result<fixture::Fixture, String>,
    /// The operations that ran on it, for the mixed workload.
    mix: Vec<Op>,
    /// Per operation (and "mixed"), in order: its windows so far, or why it cannot run.
    results: Vec<(&'static str, Result<Window, String>)>,
}

impl Target {
    async fn prepare(
        name: &'static str,
        addr: SocketAddr,
        host: HostHeader,
        config: &Config,
        with_fixture: bool,
    ) -> Target {
        eprintln!("[{name}] creating the fixture at {addr}");
        let fixture = if with_fixture {
            fixture::create(addr).await
        } else {
            Ok(fixture::Fixture::placeholder())
        };
        if let Err(e) = &fixture {
            eprintln!("[{name}] fixture failed: {e}");
        }
        Target {
            name,
            phase: Phase {
                addr,
                host,
                connections: config.connections,
                warmup: config.warmup,
                duration: config.duration / u32::try_from(config.rounds.max(1)).unwrap_or(1),
            },
            fixture,
            mix: Vec::new(),
            results: Vec::new(),
        }
    }

    /// Adds a window of `name`: the first opens its row, later ones merge into it. A failure
    /// is kept as the row's outcome, and ends its merging.
    fn record(&mut self, name: &'static str, outcome: Result<Window, String>) {
        let Some(i) = self.results.iter().position(|(n, _)| *n == name) else {
            self.results.push((name, outcome));
            return;
        };
        let merged = match (&mut self.results[i].1, outcome) {
            (Ok(acc), Ok(w)) => acc.merge(w),
            (Ok(_), Err(e)) => Err(e),
            (Err(_), _) => Ok(()),
        };
        if let Err(e) = merged {
            self.results[i].1 = Err(e);
        }
    }

    async fn measure(&mut self, op: Op) {
        let outcome = match &self.fixture {
            Err(e) => Err(e.clone()),
            Ok(fixture) => match op.template(fixture, 0) {
                Ok(_) => {
                    if !self.mix.contains(&op) {
                        self.mix.push(op);
                    }
                    eprintln!("[{}] {}", self.name, op.name());
                    self.phase
                        .run(|conn| Ok(vec![op.template(fixture, conn)?]))
                        .await
                }
                Err(e) => Err(e),
            },
        };
        if let (Err(e), Ok(_)) = (&outcome, &self.fixture) {
            eprintln!("[{}] {}: n/a: {e}", self.name, op.name());
        }
        self.record(op.name(), outcome);
    }

    async fn measure_mixed(&mut self) {
        let outcome = match &self.fixture {
            Err(e) => Err(e.clone()),
            Ok(fixture) => {
                eprintln!("[{}] mixed ({} ops)", self.name, self.mix.len());
                let mix = &self.mix;
                self.phase
                    .run(|conn| mix.iter().map(|op| op.template(fixture, conn)).collect())
                    .await
            }
        };
        self.record("mixed", outcome);
    }

    fn report(self) -> TargetReport {
        let rows = self
            .results
            .into_iter()
            .map(|(name, outcome)| Row::new(name, outcome.map(|w| w.stats())))
            .collect();
        TargetReport {
            name: self.name,
            rows,
        }
    }
}
