//! The measured phase: N connections, one task each, sending signed requests back to back for
//! a fixed duration after a short warm-up, each task recording latencies in its own HDR
//! histogram; the histograms are merged when the phase ends.

use crate::conn::Conn;
use crate::template::{Clock, HostHeader, Template};
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Latencies are recorded in microseconds, from 1 µs to 60 s, with 3 significant digits.
const MAX_MICROS: u64 = 60_000_000;

/// The result of an operation on a target: every window of it merged.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Successful (2xx) requests in the measured windows.
    pub ok: u64,
    /// Failed requests (non-2xx, or a transport error) in the measured windows.
    pub errors: u64,
    /// Successful requests per second.
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    /// The first failure seen, to explain the error count.
    pub error_sample: Option<String>,
}

struct TaskResult {
    hist: Histogram<u64>,
    ok: u64,
    errors: u64,
    sample: Option<String>,
}

pub struct Phase {
    pub addr: SocketAddr,
    pub host: HostHeader,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).map_err(|e| format!("histogram: {e:?}"))
}

/// What one or more measured windows of an operation on a target gathered. Windows of the
/// same operation merge: their requests, their latencies and their measured time add up.
pub struct Window {
    hist: Histogram<u64>,
    ok: u64,
    errors: u64,
    sample: Option<String>,
    elapsed: Duration,
}

impl Window {
    /// Adds a later window of the same operation.
    pub fn merge(&mut self, other: Window) -> Result<(), String> {
        self.hist
            .add(&other.hist)
            .map_err(|e| format!("merge: {e:?}"))?;
        self.ok += other.ok;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        if self.sample.is_none() {
            self.sample = other.sample;
        }
        Ok(())
    }

    /// Requests per second over the measured time of every window, and the percentiles of
    /// every latency recorded in them.
    pub fn stats(&self) -> Stats {
        Stats {
            ok: self.ok,
            errors: self.errors,
            rps: self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9),
            p50_us: self.hist.value_at_quantile(0.5),
            p99_us: self.hist.value_at_quantile(0.99),
            p999_us: self.hist.value_at_quantile(0.999),
            error_sample: self.sample.clone(),
        }
    }
}

impl Phase {
    /// Runs the templates that `make` gives each connection (one op, or several in turn for
    /// the mixed workload) for one window and returns what it measured.
    pub async fn run(
        &self,
        make: impl Fn(usize) -> Result<Vec<Template>, String>,
    ) -> Result<Window, String> {
        let mut per_conn = Vec::with_capacity(self.connections);
        for conn in 0..self.connections {
            let templates = make(conn)?;
            if templates.is_empty() {
                return Err("no operation available".to_owned());
            }
            per_conn.push(templates);
        }
        let start = Instant::now();
        let measure_from = start + self.warmup;
        let end = measure_from + self.duration;
        let mut tasks = Vec::with_capacity(self.connections);
        for (conn, templates) in per_conn.into_iter().enumerate() {
            let host = self.host.clone();
            let addr = self.addr;
            let hist = histogram()?;
            tasks.push(tokio::spawn(async move {
                drive(conn, addr, host, templates, measure_from, end, hist).await
            }));
        }
        let mut window = Window {
            hist: histogram()?,
            ok: 0,
            errors: 0,
            sample: None,
            elapsed: Duration::ZERO,
        };
        for t in tasks {
            let r = t.await.map_err(|e| format!("connection task: {e}"))?;
            window.merge(Window {
                hist: r.hist,
                ok: r.ok,
                errors: r.errors,
                sample: r.sample,
                elapsed: Duration::ZERO,
            })?;
        }
        window.elapsed = Instant::now().saturating_duration_since(measure_from);
        Ok(window)
    }
}

/// One connection's loop. The mixed workload walks the templates in turn, each connection
/// starting at a different one so that every op is in flight at once.
async fn drive(
    conn_idx: usize,
    addr: SocketAddr,
    host: HostHeader,
    templates: Vec<Template>,
    measure_from: Instant,
    end: Instant,
    mut hist: Histogram<u64>,
) -> TaskResult {
    let mut conn = Conn::new(addr);
    let mut clock = Clock::default();
    let (mut ok, mut errors, mut sample) = (0u64, 0u64, None);
    let mut seq: u64 = 0;
    loop {
        let started = Instant::now();
        if started >= end {
            break;
        }
        let template = &templates[(conn_idx + seq as usize) % templates.len()];
        seq += 1;
        let outcome = match template.build(&host, &mut clock, conn_idx) {
            Ok(req) => conn.send(req, false).await.and_then(|reply| {
                if (200..300).contains(&reply.status) {
                    Ok(())
                } else {
                    Err(format!(
                        "HTTP {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    ))
                }
            }),
            Err(e) => Err(e),
        };
        let took = started.elapsed();
        if started < measure_from {
            if outcome.is_err() {
                // A target that cannot serve at all should not spin: back off a little.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            continue;
        }
        match outcome {
            Ok(()) => {
                ok += 1;
                let us = (took.as_micros() as u64).clamp(1, MAX_MICROS);
                let _ = hist.record(us);
            }
            Err(e) => {
                errors += 1;
                if sample.is_none() {
                    sample = Some(e);
                }
                if errors % 64 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    }
    TaskResult {
        hist,
        ok,
        errors,
        sample,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn window(latencies: &[u64], errors: u64, secs: u64) -> Window {
        let mut hist = histogram().unwrap();
        for &l in latencies {
            hist.record(l).unwrap();
        }
        Window {
            hist,
            ok: latencies.len() as u64,
            errors,
            sample: (errors > 0).then(|| format!("{errors} failed")),
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn windows_merge_into_one_measure() {
        // 300 requests in 1 s at 100 µs, then 100 in 1 s at 900 µs with 2 errors.
        let mut w = window(&[100; 300], 0, 1);
        w.merge(window(&[900; 100], 2, 1)).unwrap();
        let s = w.stats();
        assert_eq!((s.ok, s.errors), (400, 2));
        assert!((s.rps - 200.0).abs() < 1e-9, "{}", s.rps);
        assert_eq!(s.p50_us, 100);
        assert!((899..=901).contains(&s.p99_us), "{}", s.p99_us);
        assert_eq!(s.error_sample.as_deref(), Some("2 failed"));
    }
}
