//! Timestamps as SigV4 reads and writes them.
//!
//! The crate has no clock: callers pass "now" in. A [`Timestamp`] is whole seconds since the
//! Unix epoch, UTC; it parses the `YYYYMMDDTHHMMSSZ` form of `X-Amz-Date` and the RFC 1123 form
//! of the HTTP `Date` header, and formats the two strings SigV4 needs (the full stamp and the
//! `YYYYMMDD` scope date). A dozen lines of calendar arithmetic do not justify a dependency.

use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `secs` seconds after the Unix epoch.
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` seconds (saturating, so hostile inputs cannot overflow).
    pub const fn add_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Parses the ISO 8601 basic form SigV4 uses: `20150830T123600Z`, nothing more or less.
    pub fn parse_amz(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[4..6])?;
        let day = digits(&b[6..8])?;
        let hour = digits(&b[9..11])?;
        let minute = digits(&b[11..13])?;
        let second = digits(&b[13..15])?;
        from_parts(year, month, day, hour, minute, second)
    }

    /// Parses an RFC 1123 HTTP date such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub fn parse_http_date(s: &str) -> Option<Self> {
        let mut parts = s.split_ascii_whitespace();
        let weekday = parts.next()?;
        if !weekday.ends_with(',') {
            return None;
        }
        let day = digits(parts.next()?.as_bytes())?;
        let month_name = parts.next()?;
        let month = MONTHS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(month_name))
            .map(|i| i as i64 + 1)?;
        let year_s = parts.next()?;
        if year_s.len() != 4 {
            return None;
        }
        let year = digits(year_s.as_bytes())?;
        let hms = parts.next()?.as_bytes();
        if hms.len() != 8 || hms[2] != b':' || hms[5] != b':' {
            return None;
        }
        let (hour, minute, second) = (
            digits(&hms[0..2])?,
            digits(&hms[3..5])?,
            digits(&hms[6..8])?,
        );
        if parts.next()? != "GMT" || parts.next().is_some() {
            return None;
        }
        from_parts(year, month, day, hour, minute, second)
    }

    /// `YYYYMMDDTHHMMSSZ`, the form used in `X-Amz-Date` and the string to sign.
    pub fn to_amz(self) -> String {
        match self.amz_bytes() {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => {
                let (y, mo, d, h, mi, s) = self.parts();
                format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
            }
        }
    }

    /// [`Timestamp::to_amz`] on the stack, for years 0 to 9999 (every time a request can
    /// state): every verification writes it, and its first 8 bytes are the scope date.
    pub(crate) fn amz_bytes(self) -> Option<[u8; 16]> {
        let (y, mo, d, h, mi, s) = self.parts();
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = *b"00000000T000000Z";
        put_digits(&mut out[0..4], y);
        put_digits(&mut out[4..6], mo);
        put_digits(&mut out[6..8], d);
        put_digits(&mut out[9..11], h);
        put_digits(&mut out[11..13], mi);
        put_digits(&mut out[13..15], s);
        Some(out)
    }

    /// `YYYYMMDD`, the date of the credential scope.
    pub fn date_stamp(self) -> String {
        let (y, mo, d, ..) = self.parts();
        format!("{y:04}{mo:02}{d:02}")
    }

    fn parts(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_amz())
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
}

fn from_parts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<Timestamp> {
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(Timestamp(
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
    ))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian
// calendar, no tables, no loops.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes the low decimal digits of `v` (not negative) into `out`, zero-padded to its length.
fn put_digits(out: &mut [u8], mut v: i64) {
    for slot in out.iter_mut().rev() {
        // `rem_euclid(10)` is 0..=9, so the cast is exact.
        *slot = b'0' + v.rem_euclid(10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn amz_bytes_is_to_amz_on_the_stack() {
        for t in [
            0,
            1_440_938_160,
            253_402_300_799,
            -62_167_219_200,
            951_782_400,
        ] {
            let ts = Timestamp::from_unix(t);
            let (y, mo, d, h, mi, s) = ts.parts();
            let want = format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z");
            assert_eq!(ts.amz_bytes().map(|b| b.to_vec()), Some(want.into_bytes()));
        }
        assert_eq!(Timestamp::from_unix(253_402_300_800).amz_bytes(), None);
        assert_eq!(
            Timestamp::from_unix(253_402_300_800).to_amz(),
            "100000101T000000Z"
        );
    }

    #[test]
    fn amz_round_trip() {
        let t = Timestamp::parse_amz("20150830T123600Z").unwrap();
        assert_eq!(t.unix(), 1_440_938_160);
        assert_eq!(t.to_amz(), "20150830T123600Z");
        assert_eq!(t.date_stamp(), "20150830");
        let leap = Timestamp::parse_amz("20240229T235959Z").unwrap();
        assert_eq!(leap.add_secs(1).to_amz(), "20240301T000000Z");
    }

    #[test]
    fn amz_rejects_other_forms() {
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150830T123600.000Z",
            "20150230T123600Z",
            "20151301T000000Z",
            "20150830T246000Z",
            "2015083OT123600Z",
            "",
        ] {
            assert_eq!(Timestamp::parse_amz(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date() {
        let t = Timestamp::parse_http_date("Fri, 24 May 2013 00:00:00 GMT").unwrap();
        assert_eq!(t.to_amz(), "20130524T000000Z");
        assert_eq!(
            Timestamp::parse_http_date("Fri, 24 May 2013 00:00:00 PST"),
            None
        );
        assert_eq!(Timestamp::parse_http_date("24 May 2013 00:00:00 GMT"), None);
    }

    #[test]
    fn before_epoch() {
        let t = Timestamp::from_unix(-1);
        assert_eq!(t.to_amz(), "19691231T235959Z");
        assert_eq!(Timestamp::parse_amz("19691231T235959Z"), Some(t));
    }
}
