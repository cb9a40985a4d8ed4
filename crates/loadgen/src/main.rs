//! `rolegate-loadgen`: the command line over `rolegate_loadgen::run`.

use clap::Parser;
use rolegate_loadgen::{cores, run, Config, MotoMode, Op};
use std::process::ExitCode;
use std::time::Duration;

/// The generator shares the cores with the server it measures: every cycle it spends is
/// taken from the server, so it uses the server's allocator (glibc's malloc, free and memmove
/// were 12 % of its profile).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Load generator: SigV4-signed HTTP/1.1 keep-alive requests against rolegate, moto_server
/// and a minimal hyper server (the ceiling of this machine).
#[derive(Parser, Debug)]
#[command(name = "rolegate-loadgen")]
struct Cli {
    /// rolegate's URL, or "off".
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    rolegate: String,
    /// "auto" starts moto_server on a free port; a URL uses a running one; "off" skips moto.
    #[arg(long, default_value = "auto")]
    moto: String,
    /// Measure the in-process hyper server that answers a fixed body: "on" or "off".
    #[arg(long, default_value = "on")]
    ceiling: String,
    /// Concurrent keep-alive connections (one task each).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured time per operation: 5s, 500ms, 1m, or seconds.
    #[arg(long, default_value = "5s")]
    duration: String,
    /// Unmeasured warm-up before each window (default: a tenth of the duration, at most 1 s).
    #[arg(long)]
    warmup: Option<String>,
    /// Windows per operation and target, taken in turn on every target so that the ratios
    /// compare the same stretches of time; `--duration` is split among them.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// "all", or a comma-separated list of operations (and "mixed").
    #[arg(long, default_value = "all")]
    ops: String,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("bad duration {s:?}: {e}"))
}

fn parse_ops(s: &str) -> Result<(Vec<Op>, bool), String> {
    if s == "all" {
        return Ok((Op::ALL.to_vec(), true));
    }
    let (mut ops, mut mixed) = (Vec::new(), false);
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "mixed" {
            mixed = true;
        } else {
            let op = Op::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
                format!("unknown op {name:?}; known: {}, mixed", known.join(", "))
            })?;
            if !ops.contains(&op) {
                ops.push(op);
            }
        }
    }
    if mixed && ops.is_empty() {
        // "mixed" alone mixes everything.
        ops = Op::ALL.to_vec();
    }
    Ok((ops, mixed))
}

fn config(cli: Cli) -> Result<Config, String> {
    let (ops, mixed) = parse_ops(&cli.ops)?;
    let duration = parse_duration(&cli.duration)?;
    let warmup = match &cli.warmup {
        Some(w) => parse_duration(w)?,
        None => (duration / 10).min(Duration::from_secs(1)),
    };
    let moto = match cli.moto.as_str() {
        "auto" => MotoMode::Auto,
        "off" => MotoMode::Off,
        url => MotoMode::Url(url.to_owned()),
    };
    let ceiling = match cli.ceiling.as_str() {
        "on" => true,
        "off" => false,
        other => return Err(format!("--ceiling {other}: on or off")),
    };
    if cli.rounds == 0 {
        return Err("--rounds must be at least 1".to_owned());
    }
    if cli.connections == 0 {
        return Err("--connections must be at least 1".to_owned());
    }
    Ok(Config {
        rolegate: (cli.rolegate != "off").then_some(cli.rolegate),
        moto,
        ceiling,
        connections: cli.connections,
        duration,
        warmup,
        ops,
        mixed,
        rounds: cli.rounds,
    })
}

fn main() -> ExitCode {
    let config = match config(Cli::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rolegate-loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rolegate-loadgen: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&config)) {
        Ok(report) => {
            print!("{}", report.render());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rolegate-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn op_lists() {
        assert_eq!(parse_ops("all"), Ok((Op::ALL.to_vec(), true)));
        assert_eq!(
            parse_ops("kms-decrypt,get-role,kms-decrypt"),
            Ok((vec![Op::KmsDecrypt, Op::GetRole], false))
        );
        assert_eq!(parse_ops("mixed"), Ok((Op::ALL.to_vec(), true)));
        assert!(parse_ops("get-object").is_err());
    }
}
