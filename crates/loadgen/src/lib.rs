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

use crate::measure::Phase;
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

/// Runs every selected target in turn (rolegate, moto, ceiling), one operation at a time.
pub async fn run(config: &Config) -> Result<Report, String> {
    let mut targets = Vec::new();
    if let Some(url) = &config.rolegate {
        let (addr, host) = parse_url(url)?;
        targets.push(measure_target("rolegate", addr, host, config, true).await);
    }
    match &config.moto {
        MotoMode::Off => {}
        MotoMode::Url(url) => {
            let (addr, host) = parse_url(url)?;
            targets.push(measure_target("moto", addr, host, config, true).await);
        }
        MotoMode::Auto => {
            let moto = tokio::task::spawn_blocking(moto::Moto::start)
                .await
                .map_err(|e| format!("moto start: {e}"))??;
            let host = HostHeader::new(&moto.addr.to_string())?;
            targets.push(measure_target("moto", moto.addr, host, config, true).await);
            drop(moto);
        }
    }
    if config.ceiling {
        let ceiling = ceiling::Ceiling::start(cores())?;
        let host = HostHeader::new(&ceiling.addr.to_string())?;
        targets.push(measure_target("ceiling", ceiling.addr, host, config, false).await);
        tokio::task::spawn_blocking(move || drop(ceiling))
            .await
            .map_err(|e| format!("ceiling stop: {e}"))?;
    }
    Ok(Report {
        targets,
        connections: config.connections,
        duration: config.duration,
        cores: cores(),
    })
}

async fn measure_target(
    name: &'static str,
    addr: SocketAddr,
    host: HostHeader,
    config: &Config,
    with_fixture: bool,
) -> TargetReport {
    eprintln!("[{name}] creating the fixture at {addr}");
    let fixture = if with_fixture {
        fixture::create(addr).await
    } else {
        Ok(fixture::Fixture::placeholder())
    };
    let fixture = match fixture {
        Ok(f) => f,
        Err(e) => {
            eprintln!("[{name}] fixture failed: {e}");
            let mut rows: Vec<Row> = config
                .ops
                .iter()
                .map(|op| Row::new(op.name(), Err(e.clone())))
                .collect();
            if config.mixed {
                rows.push(Row::new("mixed", Err(e.clone())));
            }
            return TargetReport { name, rows };
        }
    };
    let phase = Phase {
        addr,
        host,
        connections: config.connections,
        warmup: config.warmup,
        duration: config.duration,
    };
    let mut rows = Vec::new();
    let mut mix = Vec::new();
    for &op in &config.ops {
        let outcome = match op.template(&fixture, 0) {
            Ok(_) => {
                mix.push(op);
                eprintln!("[{name}] {}", op.name());
                phase
                    .run(|conn| Ok(vec![op.template(&fixture, conn)?]))
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &outcome {
            eprintln!("[{name}] {}: n/a: {e}", op.name());
        }
        rows.push(Row::new(op.name(), outcome));
    }
    if config.mixed {
        eprintln!("[{name}] mixed ({} ops)", mix.len());
        let outcome = phase
            .run(|conn| mix.iter().map(|op| op.template(&fixture, conn)).collect())
            .await;
        rows.push(Row::new("mixed", outcome));
    }
    TargetReport { name, rows }
}
