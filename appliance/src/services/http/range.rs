//! The `Range` request header (RFC 9110 §14.2), for one byte range.
//!
//! Only a single `bytes=` range is served as 206: `a-b`, `a-` and `-n`.
//! A request for several ranges is answered 200 with the whole file (RFC
//! 9110 §14.2 lets a server ignore Range; a multipart/byteranges answer is
//! rarely worth it for a static site). Other units and syntax errors are
//! ignored the same way; a valid range that starts past the end is 416.

#[allow(unused_imports)]
use crate::prelude::*;
/// What a Range header asks of a representation of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranged {
    /// Ignore the header: answer 200 with everything.
    Full,
    /// Answer 206 with bytes `start..=end` (`end < len`).
    Part {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// Answer 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Digits to a number, saturating (a huge position is just "past the end").
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |acc, &d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}

/// Interprets a Range header value against a length.
pub fn parse(value: &[u8], len: u64) -> Ranged {
    let value = value.trim_ascii();
    let Some(unit) = value.get(..6) else { return Ranged::Full };
    if !unit.eq_ignore_ascii_case(b"bytes=") {
        return Ranged::Full;
    }
    let spec = value[6..].trim_ascii();
    if spec.contains(&b',') {
        return Ranged::Full; // several ranges: the whole file (see module docs)
    }
    let Some(dash) = spec.iter().position(|&b| b == b'-') else { return Ranged::Full };
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (first.is_empty(), last.is_empty()) {
        (false, _) => {
            let Some(start) = number(first) else { return Ranged::Full };
            let end = if last.is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    Some(end) if end >= start => end,
                    _ => return Ranged::Full, // invalid range-spec: ignored
                }
            };
            if start >= len {
                return Ranged::Unsatisfiable;
            }
            Ranged::Part { start, end: end.min(len - 1) }
        }
        (true, false) => match number(last) {
            None => Ranged::Full,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part { start: len - n.min(len), end: len - 1 },
        },
        (true, true) => Ranged::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::Ranged::*;
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse(b"bytes=0-0", 10), Part { start: 0, end: 0 });
        assert_eq!(parse(b"bytes=2-5", 10), Part { start: 2, end: 5 });
        assert_eq!(parse(b"bytes=2-", 10), Part { start: 2, end: 9 });
        assert_eq!(parse(b"bytes=-3", 10), Part { start: 7, end: 9 });
        assert_eq!(parse(b"bytes=-30", 10), Part { start: 0, end: 9 });
        assert_eq!(parse(b"bytes=5-100", 10), Part { start: 5, end: 9 });
        assert_eq!(parse(b"  BYTES= 9-9 ", 10), Part { start: 9, end: 9 });
        assert_eq!(parse(b"bytes=0-99999999999999999999999", 10), Part { start: 0, end: 9 });
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(parse(b"bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse(b"bytes=10-20", 10), Unsatisfiable);
        assert_eq!(parse(b"bytes=99999999999999999999999-", 10), Unsatisfiable);
        assert_eq!(parse(b"bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse(b"bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn ignored() {
        for v in [
            &b"bytes=5-2"[..],
            b"bytes=0-1,3-4",
            b"bytes=-",
            b"bytes=a-b",
            b"bytes=1-2-3",
            b"items=0-1",
            b"bytes",
            b"",
            b"bytes=--1",
            b"bytes=+1-2",
        ] {
            assert_eq!(parse(v, 10), Full, "{}", String::from_utf8_lossy(v));
        }
    }
}
