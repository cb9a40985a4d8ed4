//! Smoke test of the generator (not a timed test): against the real debug `rolegate` binary,
//! every operation for about a second on 2 connections must complete requests and fail none.
//! An op may be "n/a" only because the server does not serve its service at all (DynamoDB
//! before it lands); any other fixture failure fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rolegate_loadgen::{run, Config, MotoMode, Op, Report};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The debug `rolegate` next to this test's own target directory (the binary of another
/// package has no `CARGO_BIN_EXE_*`), or `ROLEGATE_BIN`.
fn rolegate_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ROLEGATE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/smoke-HASH → target/debug/rolegate
    let bin = exe.parent().unwrap().parent().unwrap().join("rolegate");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p rolegate` first (or set ROLEGATE_BIN)",
        bin.display()
    );
    bin
}

struct Server {
    child: Child,
    port: u16,
    _stdout: std::process::ChildStdout,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn health(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET /_rolegate/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

/// Starts the binary on port 0 and reads the port from its banner (as the server's own
/// end-to-end tests do).
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(rolegate_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rolegate");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut port, mut line) = (None, String::new());
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            port = port.or_else(|| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|p| p.parse::<u16>().ok())
            });
        }
        if line.trim() == "ready" {
            break;
        }
        line.clear();
    }
    let port = port.expect("rolegate printed its address");
    let server = Server {
        child,
        port,
        _stdout: reader.into_inner(),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !health(port) {
        assert!(Instant::now() < deadline, "rolegate did not become healthy");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// Runs the generator against `server` on 2 connections (and the ceiling when asked), the
/// ops then the mixed workload, in `rounds` windows each, with a warm-up of a fifth of
/// `duration` before each.
fn measure(
    server: &Server,
    ceiling: bool,
    rounds: usize,
    duration: Duration,
    ops: Vec<Op>,
) -> Report {
    let config = Config {
        rolegate: Some(format!("http://127.0.0.1:{}", server.port)),
        moto: MotoMode::Off,
        ceiling,
        connections: 2,
        duration,
        warmup: duration / 5,
        ops,
        mixed: true,
        rounds,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&config)).unwrap()
}

#[test]
fn every_supported_op_runs_without_errors() {
    let server = start();
    let report = measure(&server, false, 1, Duration::from_secs(1), Op::ALL.to_vec());
    println!("{}", report.render());
    let rolegate = report.target("rolegate").expect("rolegate measured");
    assert_eq!(rolegate.rows.len(), Op::ALL.len() + 1, "every op and mixed");
    let mut measured = 0;
    for row in &rolegate.rows {
        match &row.outcome {
            Ok(s) => {
                assert!(s.ok > 0, "{}: no request completed", row.name);
                assert_eq!(s.errors, 0, "{}: {:?}", row.name, s.error_sample);
                assert!(s.p50_us > 0 && s.p50_us <= s.p99_us && s.p99_us <= s.p999_us);
                measured += 1;
            }
            Err(e) => {
                let not_served =
                    e.contains("UnknownOperationException") || e.contains("is not served here");
                assert!(
                    row.name.starts_with("dynamodb-") && not_served,
                    "{} is n/a for a reason other than an absent service: {e}",
                    row.name
                );
            }
        }
    }
    // STS, IAM, S3, KMS and the mix at least.
    assert!(measured >= 8, "only {measured} rows measured");
}

/// With the ceiling on, both targets measure the same operations, each in its own window:
/// rolegate's rows and the ceiling's name the same ops in the same order, and the ceiling
/// (which answers anything with a fixed body) completes requests in every one of them.
#[test]
fn rolegate_and_the_ceiling_measure_the_same_ops() {
    let server = start();
    let ops = vec![Op::GetCallerIdentity, Op::AssumeRole];
    let report = measure(&server, true, 2, Duration::from_millis(600), ops);
    let names = |t: &str| -> Vec<&str> {
        let target = report.target(t).unwrap_or_else(|| panic!("{t} measured"));
        target.rows.iter().map(|r| r.name).collect()
    };
    assert_eq!(
        names("rolegate"),
        ["get-caller-identity", "assume-role", "mixed"]
    );
    assert_eq!(names("ceiling"), names("rolegate"));
    for row in &report.target("ceiling").unwrap().rows {
        let stats = row.outcome.as_ref().expect("the ceiling answers every op");
        assert!(stats.ok > 0 && stats.errors == 0, "{}", row.name);
    }
    let rendered = report.render();
    assert!(rendered.contains("| get-caller-identity |"), "{rendered}");
}

/// The scale benchmark end to end at a tiny size: the seeded accounts load back with their
/// roles and policies, and `rolegate-scale` runs both stores without a failed request.
#[test]
fn the_scale_benchmark_seeds_a_store_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("scale");
    rolegate_loadgen::scale::seed(&data, 3, 4).unwrap();
    {
        let master =
            rolegate_core::crypto::MasterKey::load_or_create(&data.join("master.key")).unwrap();
        let engine = rolegate_store::RedbEngine::open(&data.join("state.redb")).unwrap();
        let catalog = rolegate_core::Catalog::open(std::sync::Arc::new(engine), &master).unwrap();
        let snap = catalog.snapshot();
        assert_eq!(snap.account_count(), 3);
        let a = snap
            .account(&rolegate_loadgen::scale::account_id(2))
            .unwrap();
        assert_eq!(a.roles.len(), 4);
        let role = a.role("scale-role-3").unwrap();
        assert!(role
            .trust
            .text()
            .contains(&rolegate_loadgen::scale::account_id(0)));
        assert_eq!(role.trust.policy().statements.len(), 1);
        assert!(snap.managed_policy(&role.attached[0]).is_some());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rolegate-scale"))
        .arg("--rolegate-bin")
        .arg(rolegate_binary())
        .args(["--accounts", "3", "--roles", "4"])
        .args(["--connections", "2", "--seconds", "1", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| start-up |"), "{stdout}");
    // Every seeded account was used once through the server (a refusal fails the run).
    assert!(
        stdout.contains("| first use of every account (3 AssumeRole"),
        "{stdout}"
    );
    assert!(stdout.contains("| assume-role |"), "{stdout}");
}
