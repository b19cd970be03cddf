//! HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate form, e.g.
//! `Sun, 06 Nov 1994 08:49:37 GMT`, always 29 bytes.
//!
//! Recipients must also accept the obsolete RFC 850 and asctime forms; a
//! static site only reads dates in `If-Modified-Since` / `If-Range`, where an
//! unparsable date means "ignore the condition" (RFC 9110 §13.1.3), so only
//! IMF-fixdate (what every current client sends) is parsed.

#[allow(unused_imports)]
use crate::prelude::*;
#[cfg(feature = "std")]
use std::time::{SystemTime, UNIX_EPOCH};

use crate::service::{Duration, Instant};

/// The length of an IMF-fixdate.
pub const LEN: usize = 29;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// Civil date from days since 1970-01-01 (proleptic Gregorian calendar;
/// the era-based method: 400-year eras of 146097 days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil`]).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats `secs` since the Unix epoch as an IMF-fixdate. Years past 9999
/// are clamped to the last second of 9999 (the format has four digits).
pub fn format(secs: u64) -> [u8; LEN] {
    const MAX: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let secs = secs.min(MAX);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil(days);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    two(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    let year = year as u32;
    two(&mut out[12..14], year / 100);
    two(&mut out[14..16], year % 100);
    two(&mut out[17..19], (rem / 3600) as u32);
    two(&mut out[20..22], (rem / 60 % 60) as u32);
    two(&mut out[23..25], (rem % 60) as u32);
    out
}

fn two(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// Parses an IMF-fixdate into seconds since the Unix epoch; None for any
/// other form, an impossible date, or a date before 1970.
pub fn parse(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii();
    if s.len() != LEN || &s[3..5] != b", " || &s[25..] != b" GMT" {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u32> {
        s[r].iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    let sep = [(7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':')];
    if sep.iter().any(|&(i, c)| s[i] != c) {
        return None;
    }
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| &s[8..11] == m.as_slice())? as u32 + 1;
    let year = num(12..16)?;
    let (h, m, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    if civil(days) != (i64::from(year), month, day) {
        return None; // e.g. 31 Feb
    }
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + sec.min(59));
    u64::try_from(secs).ok()
}

/// Seconds since the Unix epoch of a file time (0 before 1970).
#[cfg(feature = "std")]
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The `Date` header value, formatted at most once per wall-clock second:
/// the service is told the monotonic `now`, and reads the wall clock only
/// when the second it formatted has passed. Without `std` there is no
/// other clock: `now` itself is the wall clock (a platform's clock counts
/// Unix-epoch microseconds, as the host's `stack::Clock` does).
#[derive(Debug)]
pub struct DateCache {
    next: Option<Instant>,
    value: [u8; LEN],
}

impl Default for DateCache {
    fn default() -> Self {
        DateCache { next: None, value: format(0) }
    }
}

impl DateCache {
    /// The current date, as of `now`.
    pub fn get(&mut self, now: Instant) -> &[u8; LEN] {
        if self.next.is_none_or(|next| now >= next) {
            #[cfg(feature = "std")]
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as u64;
            #[cfg(not(feature = "std"))]
            let wall = u64::try_from(now.total_micros()).unwrap_or(0);
            self.value = format(wall / 1_000_000);
            let left = 1_000_000 - wall % 1_000_000;
            self.next = Some(now + Duration::from_micros(left));
        }
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(&format(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&format(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&format(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&format(4_107_542_400), b"Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(&format(u64::MAX), b"Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn parse_inverts_format() {
        for secs in [0, 1, 59, 86_399, 86_400, 784_111_777, 951_782_400, 1_700_000_000, 4_107_542_400] {
            assert_eq!(parse(&format(secs)), Some(secs), "{secs}");
        }
        let mut s = 12_345u64;
        for _ in 0..2000 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1) % 253_402_300_799;
            assert_eq!(parse(&format(s)), Some(s));
        }
    }

    #[test]
    fn parse_rejects_other_forms() {
        assert_eq!(parse(b" Sun, 06 Nov 1994 08:49:37 GMT "), Some(784_111_777));
        for bad in [
            &b"Sunday, 06-Nov-94 08:49:37 GMT"[..],
            b"Sun Nov  6 08:49:37 1994",
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 31 Feb 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:49:37 GMT",
            b"Sun, 06 Foo 1994 08:49:37 GMT",
            b"Sun, 0x Nov 1994 08:49:37 GMT",
            b"",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn cache_reads_the_clock_once_per_second() {
        let mut c = DateCache::default();
        let first = *c.get(Instant::from_secs(100));
        assert_ne!(&first, b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(parse(&first).is_some());
        // Within the second: the same bytes, whatever the wall clock does.
        assert_eq!(c.get(Instant::from_secs(100)), &first);
        assert!(c.next.is_some_and(|n| n <= Instant::from_secs(101)));
    }
}
