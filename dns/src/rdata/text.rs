//! Presentation-format helpers shared by RDATA display and zone-file parsing:
//! character-strings (RFC 1035 §5.1), hex, base64 (RFC 4648 §4), base32hex
//! without padding (RFC 4648 §7, as NSEC3 uses it, RFC 5155 §3.3), and the
//! RRSIG time format (RFC 4034 §3.2).

use alloc::vec::Vec;
use core::fmt;

/// Writes `bytes` as a quoted character-string: `"` and `\` are escaped with a
/// backslash, bytes outside space..=`~` as `\DDD` (as `dig` prints TXT).
pub fn fmt_character_string(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("\"")?;
    fmt_escaped(bytes, f)?;
    f.write_str("\"")
}

/// The inside of a quoted character-string (no quotes added).
pub(crate) fn fmt_escaped(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for &b in bytes {
        match b {
            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
            0x20..=0x7e => fmt::Write::write_char(f, b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    Ok(())
}

/// Displays bytes as uppercase hex, no separators (DS digests, SSHFP, TLSA,
/// NSEC3 salt, RFC 3597 data).
#[derive(Debug, Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

/// Displays bytes as base64 with padding, unbroken (keys, signatures, ECH).
#[derive(Debug, Clone, Copy)]
pub struct Base64<'a>(pub &'a [u8]);

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let mut out = [b'='; 4];
            for (i, o) in out.iter_mut().enumerate().take(chunk.len() + 1) {
                *o = B64[((n >> (18 - 6 * i)) & 63) as usize];
            }
            f.write_str(core::str::from_utf8(&out).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Displays bytes as uppercase base32hex without padding (NSEC3 next hashed
/// owner name, RFC 5155 §3.3).
#[derive(Debug, Clone, Copy)]
pub struct Base32Hex<'a>(pub &'a [u8]);

impl fmt::Display for Base32Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.chunks(5) {
            let mut b = [0u8; 5];
            b[..chunk.len()].copy_from_slice(chunk);
            let n = b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..chars {
                let c = B32HEX[((n >> (35 - 5 * i)) & 31) as usize];
                fmt::Write::write_char(f, c as char)?;
            }
        }
        Ok(())
    }
}

/// Decodes hex (either case), ignoring ASCII whitespace; `None` on a bad digit
/// or an odd count.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut high: Option<u8> = None;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = (c as char).to_digit(16)? as u8;
        match high.take() {
            Some(h) => out.push((h << 4) | v),
            None => high = Some(v),
        }
    }
    high.is_none().then_some(out)
}

/// Decodes base64 (RFC 4648 §4, padding optional), ignoring ASCII whitespace.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut pad = 0usize;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (pad <= 2 && acc == 0).then_some(out)
}

/// Decodes base32hex (RFC 4648 §7, either case, padding optional), ignoring
/// ASCII whitespace.
pub fn decode_base32hex(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut acc = 0u64;
    let mut bits = 0u32;
    let mut pad = false;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            pad = true;
            continue;
        }
        if pad {
            return None;
        }
        let v = B32HEX.iter().position(|&x| x == c.to_ascii_uppercase())? as u64;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Displays an RRSIG time (seconds since 1970, RFC 4034 §3.2) as `YYYYMMDDHHmmSS` UTC.
#[derive(Debug, Clone, Copy)]
pub struct RrsigTime(pub u32);

impl fmt::Display for RrsigTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = i64::from(self.0);
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400);
        write!(f, "{y:04}{mo:02}{d:02}{:02}{:02}{:02}", s / 3600, s % 3600 / 60, s % 60)
    }
}

/// Parses an RRSIG time: `YYYYMMDDHHmmSS` (UTC, RFC 4034 §3.2; times past
/// 2106 wrap modulo 2^32 per RFC 1982) or a decimal number of seconds.
pub fn parse_rrsig_time(s: &str) -> Option<u32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
        return None;
    }
    if s.len() != 14 {
        return s.parse().ok();
    }
    let num = |r: core::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(4..6)?, num(6..8)?, num(8..10)?, num(10..12)?, num(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + se);
    Some(secs.rem_euclid(1 << 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn encodings() {
        assert_eq!(format!("{}", Hex(&[0x0a, 0xbc])), "0ABC");
        for (raw, b64) in
            [(&b""[..], ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"foob", "Zm9vYg==")]
        {
            assert_eq!(format!("{}", Base64(raw)), b64);
            assert_eq!(decode_base64(b64).unwrap(), raw);
        }
        // RFC 4648 §10 vectors.
        for (raw, b32) in [(&b"f"[..], "CO"), (b"fo", "CPNG"), (b"foo", "CPNMU"), (b"foobar", "CPNMUOJ1E8")] {
            assert_eq!(format!("{}", Base32Hex(raw)), b32);
            assert_eq!(decode_base32hex(b32).unwrap(), raw);
            assert_eq!(decode_base32hex(&b32.to_ascii_lowercase()).unwrap(), raw);
        }
        assert_eq!(decode_hex("0a BC").unwrap(), [0x0a, 0xbc]);
        assert!(decode_hex("abc").is_none());
        assert!(decode_base64("Zm9v!").is_none());
    }

    #[test]
    fn rrsig_times() {
        assert_eq!(format!("{}", RrsigTime(0)), "19700101000000");
        assert_eq!(parse_rrsig_time("20240229120000"), Some(1_709_208_000));
        assert_eq!(format!("{}", RrsigTime(1_709_208_000)), "20240229120000");
        assert_eq!(format!("{}", RrsigTime(u32::MAX)), "21060207062815");
        assert_eq!(parse_rrsig_time("21060207062815"), Some(u32::MAX));
        assert_eq!(parse_rrsig_time("12345"), Some(12345));
        assert_eq!(parse_rrsig_time("2024022912000x"), None);
    }
}
