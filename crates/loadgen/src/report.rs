//! The results, and their rendering as Markdown tables (pasted as is into BENCHMARKS.md).

use crate::measure::Stats;
use std::fmt::Write;
use std::time::Duration;

pub struct Row {
    /// The op's name, or "mixed".
    pub name: &'static str,
    /// The statistics, or why the op could not run on this target ("n/a").
    pub outcome: Result<Stats, String>,
}

impl Row {
    pub fn new(name: &'static str, outcome: Result<Stats, String>) -> Row {
        Row { name, outcome }
    }
}

pub struct TargetReport {
    pub name: &'static str,
    pub rows: Vec<Row>,
}

impl TargetReport {
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }
}

pub struct Report {
    pub targets: Vec<TargetReport>,
    pub connections: usize,
    pub duration: Duration,
    /// The windows each operation's duration was cut into, per target.
    pub rounds: usize,
    pub cores: usize,
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn stats<'a>(t: Option<&'a TargetReport>, name: &str) -> Option<&'a Stats> {
    t?.row(name)?.outcome.as_ref().ok()
}

impl Report {
    pub fn target(&self, name: &str) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// The summary table (rolegate against moto and the ceiling), one details table per
    /// target, and the first error of every op that had errors.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} connections, {:.1} s per operation and target, in {} windows taken in turn on \
             the targets. The generator runs on the same machine and shares its {} cores with \
             the server it drives.\n",
            self.connections,
            self.duration.as_secs_f64(),
            self.rounds,
            self.cores
        );
        let rg = self.target("rolegate");
        let moto = self.target("moto");
        let ceiling = self.target("ceiling");
        if let Some(first) = self.targets.first() {
            let _ = writeln!(
                out,
                "| operation | rolegate req/s | moto req/s | rolegate/moto | ceiling req/s | rolegate/ceiling |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
            for row in &first.rows {
                let r = stats(rg, row.name);
                let m = stats(moto, row.name);
                let c = stats(ceiling, row.name);
                let rps = |s: Option<&Stats>, t: Option<&TargetReport>| match (s, t) {
                    (Some(s), _) => format!("{:.0}", s.rps),
                    (None, Some(_)) => "n/a".to_owned(),
                    (None, None) => "-".to_owned(),
                };
                let ratio = match (r, m) {
                    (Some(r), Some(m)) if m.rps > 0.0 => format!("{:.1}×", r.rps / m.rps),
                    _ => "n/a".to_owned(),
                };
                let share = match (r, c) {
                    (Some(r), Some(c)) if c.rps > 0.0 => {
                        format!("{:.1} %", 100.0 * r.rps / c.rps)
                    }
                    _ => "n/a".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {ratio} | {} | {share} |",
                    row.name,
                    rps(r, rg),
                    rps(m, moto),
                    rps(c, ceiling)
                );
            }
        }
        for t in &self.targets {
            let _ = writeln!(
                out,
                "\n{}: latency in ms\n\n| operation | req/s | p50 | p99 | p99.9 | ok | errors |",
                t.name
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
            for row in &t.rows {
                match &row.outcome {
                    Ok(s) => {
                        let _ = writeln!(
                            out,
                            "| {} | {:.0} | {} | {} | {} | {} | {} |",
                            row.name,
                            s.rps,
                            ms(s.p50_us),
                            ms(s.p99_us),
                            ms(s.p999_us),
                            s.ok,
                            s.errors
                        );
                    }
                    Err(_) => {
                        let _ = writeln!(out, "| {} | n/a | | | | | |", row.name);
                    }
                }
            }
        }
        let mut notes = String::new();
        for t in &self.targets {
            for row in &t.rows {
                match &row.outcome {
                    Ok(Stats {
                        error_sample: Some(e),
                        errors,
                        ..
                    }) => {
                        let _ = writeln!(
                            notes,
                            "- {} {}: {errors} errors, first: {}",
                            t.name,
                            row.name,
                            one_line(e)
                        );
                    }
                    Err(e) => {
                        let _ = writeln!(notes, "- {} {}: n/a: {}", t.name, row.name, one_line(e));
                    }
                    Ok(_) => {}
                }
            }
        }
        if !notes.is_empty() {
            let _ = write!(out, "\nErrors and n/a:\n\n{notes}");
        }
        out
    }
}

fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(240).collect()
}
