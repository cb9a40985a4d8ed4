//! Condition values compiled for their operator family, and the comparison of one request value.

use super::operator::{Family, Operator};
use crate::arn::ArnPattern;
use crate::context::{Context, Typed};
use crate::pattern::Pattern;
use base64::Engine;
use ipnet::IpNet;
use std::net::IpAddr;

/// The policy values of one condition, parsed once. A value that does not parse for its family
/// (a date that is not a date) is kept as `None` and matches nothing.
#[derive(Clone, Debug)]
pub(crate) enum Values {
    Str(Vec<Pattern>),
    Num(Vec<Option<f64>>),
    Date(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Binary(Vec<Vec<u8>>),
    Ip(Vec<Option<IpNet>>),
    Arn(Vec<ArnPattern>),
    Null(Vec<Option<bool>>),
    Unknown,
}

impl Values {
    pub(crate) fn compile(family: Family, raw: &[String], variables: bool) -> Values {
        use Family as F;
        match family {
            F::StringEquals => Values::Str(
                raw.iter()
                    .map(|v| Pattern::new(v, false, variables, false))
                    .collect(),
            ),
            F::StringEqualsIgnoreCase => Values::Str(
                raw.iter()
                    .map(|v| Pattern::new(v, false, variables, true))
                    .collect(),
            ),
            F::StringLike => Values::Str(
                raw.iter()
                    .map(|v| Pattern::new(v, true, variables, false))
                    .collect(),
            ),
            F::NumericEquals
            | F::NumericLessThan
            | F::NumericLessThanEquals
            | F::NumericGreaterThan
            | F::NumericGreaterThanEquals => {
                Values::Num(raw.iter().map(|v| parse_number(v)).collect())
            }
            F::DateEquals
            | F::DateLessThan
            | F::DateLessThanEquals
            | F::DateGreaterThan
            | F::DateGreaterThanEquals => Values::Date(raw.iter().map(|v| parse_date(v)).collect()),
            F::Bool => Values::Bool(raw.iter().map(|v| parse_bool(v)).collect()),
            F::BinaryEquals => Values::Binary(raw.iter().map(|v| decode_binary(v)).collect()),
            F::IpAddress => Values::Ip(raw.iter().map(|v| parse_cidr(v)).collect()),
            F::ArnLike => Values::Arn(raw.iter().map(|v| ArnPattern::new(v, variables)).collect()),
            F::Null => Values::Null(raw.iter().map(|v| parse_bool(v)).collect()),
        }
    }

    /// `Null`: "true" asks for the key to be absent, "false" for it to be present.
    pub(crate) fn null_matches(&self, missing: bool) -> bool {
        match self {
            Values::Null(vals) => vals.contains(&Some(missing)),
            _ => false,
        }
    }

    /// Whether `value` matches any policy value (before negation). An unresolved variable
    /// matches nothing, so a negated operator over it is true, as AWS documents.
    pub(crate) fn any_matches(
        &self,
        op: Operator,
        value: &str,
        typed: &Typed,
        ctx: &Context,
    ) -> bool {
        use Family as F;
        match self {
            Values::Str(patterns) => patterns.iter().any(|p| p.matches(value, ctx) == Some(true)),
            Values::Arn(patterns) => patterns.iter().any(|p| p.matches(value, ctx) == Some(true)),
            Values::Num(nums) => {
                let Some(v) = typed.number else {
                    return false;
                };
                nums.iter().flatten().any(|&p| match op.family {
                    F::NumericEquals => v == p,
                    F::NumericLessThan => v < p,
                    F::NumericLessThanEquals => v <= p,
                    F::NumericGreaterThan => v > p,
                    _ => v >= p,
                })
            }
            Values::Date(dates) => {
                let Some(v) = typed.date else {
                    return false;
                };
                dates.iter().flatten().any(|&p| match op.family {
                    F::DateEquals => v == p,
                    F::DateLessThan => v < p,
                    F::DateLessThanEquals => v <= p,
                    F::DateGreaterThan => v > p,
                    _ => v >= p,
                })
            }
            Values::Bool(bools) => {
                let v = typed.boolean;
                v.is_some() && bools.contains(&v)
            }
            Values::Binary(blobs) => {
                let v = decode_binary(value);
                blobs.contains(&v)
            }
            Values::Ip(nets) => match typed.ip {
                Some(ip) => nets.iter().flatten().any(|n| n.contains(&ip)),
                None => false,
            },
            Values::Null(_) | Values::Unknown => false,
        }
    }
}

pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Base64 as AWS writes binary values; a value that is not base64 compares as its bytes.
fn decode_binary(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|_| s.as_bytes().to_vec())
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// A CIDR block, or a bare address with "the default prefix value of /32" (/128 for IPv6).
fn parse_cidr(s: &str) -> Option<IpNet> {
    let t = s.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| parse_ip(t).map(IpNet::from))
}

/// W3C ISO 8601 dates (`2020-01-01`, `2020-01-01T12:00:00Z`, fractions, offsets) or epoch
/// seconds, as milliseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = t.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let mut rest = &t[10..];
    if rest.is_empty() {
        return Some(millis);
    }
    rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
    let rb = rest.as_bytes();
    if rb.len() < 5 || rb[2] != b':' {
        return None;
    }
    let hour = rest.get(0..2)?.parse::<i64>().ok()?;
    let minute = rest.get(3..5)?.parse::<i64>().ok()?;
    let mut second = 0;
    let mut i = 5;
    if rb.get(5) == Some(&b':') {
        second = rest.get(6..8)?.parse::<i64>().ok()?;
        i = 8;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    millis += (hour * 3600 + minute * 60 + second) * 1000;
    if rb.get(i) == Some(&b'.') {
        let frac_end = rb[i + 1..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .map_or(rb.len(), |p| i + 1 + p);
        let frac = rest.get(i + 1..frac_end)?;
        if frac.is_empty() {
            return None;
        }
        let ms: String = frac.chars().chain("000".chars()).take(3).collect();
        millis += ms.parse::<i64>().ok()?;
        i = frac_end;
    }
    match rest.get(i..)? {
        "" | "Z" | "z" => Some(millis),
        off => {
            let sign = match off.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let off = &off[1..];
            let (h, m) = match off.len() {
                5 if off.as_bytes()[2] == b':' => (off.get(0..2)?, off.get(3..5)?),
                4 => (off.get(0..2)?, off.get(2..4)?),
                2 => (off, "00"),
                _ => return None,
            };
            let shift = (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?) * 60_000;
            Some(millis - sign * shift)
        }
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let cases = [
            ("1970-01-01", Some(0)),
            ("1970-01-02T00:00:00Z", Some(86_400_000)),
            ("2020-02-29T12:30:15.250Z", Some(1_582_979_415_250)),
            ("2020-02-29T14:30:15.250+02:00", Some(1_582_979_415_250)),
            ("2020-02-30", None),
            ("1582979415", Some(1_582_979_415_000)),
            ("2019-07-16T12:00Z", Some(1_563_278_400_000)),
            ("yesterday", None),
            ("2020-01-01T25:00:00Z", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_date(s), want, "{s}");
        }
    }

    #[test]
    fn cidrs() {
        let net = parse_cidr("203.0.113.0/24");
        assert!(net.is_some_and(|n| n.contains(
            &"203.0.113.7"
                .parse::<IpAddr>()
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        )));
        assert_eq!(parse_cidr("10.0.0.1"), "10.0.0.1/32".parse().ok());
        assert_eq!(parse_cidr("2001:db8::1"), "2001:db8::1/128".parse().ok());
        assert_eq!(parse_cidr("nonsense"), None);
    }
}
