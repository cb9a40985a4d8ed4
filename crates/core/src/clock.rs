//! Time as rolegate writes it: unix seconds inside, ISO 8601 on the wire.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2026-11-28T10:00:00Z`, as IAM and STS print dates.
///
/// Every authorized request writes the time at least twice (`aws:CurrentTime`, its decision
/// record): for years 0 to 9999 the digits are written by hand, which the profile preferred to
/// the `time` crate's general formatter; other years go through it.
pub fn iso(secs: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(secs) else {
        return "1970-01-01T00:00:00Z".to_owned();
    };
    let year = i64::from(t.year());
    if !(0..=9999).contains(&year) {
        return t
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned());
    }
    let mut out = *b"0000-00-00T00:00:00Z";
    for (range, v) in [
        (0..4, year),
        (5..7, i64::from(u8::from(t.month()))),
        (8..10, i64::from(t.day())),
        (11..13, i64::from(t.hour())),
        (14..16, i64::from(t.minute())),
        (17..19, i64::from(t.second())),
    ] {
        let mut v = v;
        for slot in out[range].iter_mut().rev() {
            // `rem_euclid(10)` is 0..=9: the cast is exact.
            *slot = b'0' + v.rem_euclid(10) as u8;
            v /= 10;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_is_rfc3339_in_utc() {
        let general = |secs: i64| {
            OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .and_then(|t| t.format(&Rfc3339).ok())
        };
        let mut cases = vec![
            0,
            -1,
            951_782_400,   // 2000-02-29
            951_868_799,   // 2000-02-29T23:59:59
            4_107_542_400, // 2100-03-01
            1_798_675_200, // 2026-12-31
            253_402_300_799,
            -62_135_596_800, // 0001-01-01
            -62_167_219_200, // 0000-01-01
        ];
        // Every day boundary and a few times of day over eight years, leap years included.
        cases.extend((0..3000).map(|d| 1_700_000_000 + d * 86_400 + (d % 7) * 3_607));
        for secs in cases {
            assert_eq!(Some(iso(secs)), general(secs), "{secs}");
        }
        assert_eq!(iso(1_764_324_000), "2025-11-28T10:00:00Z");
    }
}
