//! LOC presentation format (RFC 1876 §3): parse and display.
//!
//! ```text
//! d1 [m1 [s1]] {N|S} d2 [m2 [s2]] {E|W} alt[m] [siz[m] [hp[m] [vp[m]]]]
//! 52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m
//! ```

use core::fmt;

use super::Loc;

/// The equator / prime meridian in LOC coordinates (RFC 1876 §2).
const EQUATOR: i64 = 1 << 31;
/// Altitude base: 100,000 m below the reference spheroid, in cm.
const ALT_BASE: i64 = 10_000_000;

impl Loc {
    /// True when the size and precision fields hold valid mantissa/exponent
    /// pairs (both nibbles ≤ 9) and the version is 0, i.e. when the
    /// presentation format can express it.
    pub fn is_presentable(&self) -> bool {
        self.version == 0
            && [self.size, self.horiz_pre, self.vert_pre].iter().all(|&b| b >> 4 <= 9 && b & 15 <= 9)
    }

    /// Parses the presentation format (RFC 1876 §3), tokens separated by
    /// whitespace. Missing size and precisions default to 1m, 10000m and 10m.
    pub fn from_presentation(text: &str) -> Result<Loc, &'static str> {
        let mut t = text.split_ascii_whitespace().peekable();
        let latitude = parse_coord(&mut t, 90, (b'N', b'S'))?;
        let longitude = parse_coord(&mut t, 180, (b'E', b'W'))?;
        let alt = parse_meters(t.next().ok_or("missing altitude")?)?;
        if !(-ALT_BASE..=i64::from(u32::MAX) - ALT_BASE).contains(&alt) {
            return Err("altitude out of range");
        }
        let mut prec = [0x12u8, 0x16, 0x13];
        for p in prec.iter_mut() {
            let Some(tok) = t.next() else { break };
            let cm = parse_meters(tok)?;
            if !(0..=9_000_000_000).contains(&cm) {
                return Err("size or precision out of range");
            }
            *p = encode_precision(cm as u64);
        }
        if t.next().is_some() {
            return Err("trailing data after LOC");
        }
        Ok(Loc {
            version: 0,
            size: prec[0],
            horiz_pre: prec[1],
            vert_pre: prec[2],
            latitude,
            longitude,
            altitude: (alt + ALT_BASE) as u32,
        })
    }
}

/// `cm` as mantissa (high nibble) and power of ten (low nibble), truncating.
fn encode_precision(cm: u64) -> u8 {
    let mut exp = 0u32;
    while exp < 9 && cm >= 10u64.pow(exp + 1) {
        exp += 1;
    }
    let man = (cm / 10u64.pow(exp)).min(9) as u8;
    (man << 4) | exp as u8
}

fn parse_coord<'a>(
    t: &mut core::iter::Peekable<impl Iterator<Item = &'a str>>,
    max_deg: u32,
    (pos, neg): (u8, u8),
) -> Result<u32, &'static str> {
    let hemi = |s: &str| match s.as_bytes() {
        [c] if c.eq_ignore_ascii_case(&pos) => Some(1i64),
        [c] if c.eq_ignore_ascii_case(&neg) => Some(-1),
        _ => None,
    };
    let deg: u32 = t.next().ok_or("missing degrees")?.parse().map_err(|_| "bad degrees")?;
    let mut min = 0u32;
    let mut msec = 0u32;
    let mut sign = None;
    if let Some(s) = t.next() {
        sign = hemi(s);
        if sign.is_none() {
            min = s.parse().map_err(|_| "bad minutes")?;
            let s = t.next().ok_or("missing hemisphere")?;
            sign = hemi(s);
            if sign.is_none() {
                msec = parse_seconds(s)?;
                sign = hemi(t.next().ok_or("missing hemisphere")?);
            }
        }
    }
    let sign = sign.ok_or("bad hemisphere")?;
    if deg > max_deg || min > 59 || msec > 59_999 {
        return Err("coordinate out of range");
    }
    let v = i64::from(deg) * 3_600_000 + i64::from(min) * 60_000 + i64::from(msec);
    if v > i64::from(max_deg) * 3_600_000 {
        return Err("coordinate out of range");
    }
    Ok((EQUATOR + sign * v) as u32)
}

/// Seconds with up to 3 decimals, in thousandths.
fn parse_seconds(s: &str) -> Result<u32, &'static str> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad seconds");
    }
    let i: u32 = int.parse().map_err(|_| "bad seconds")?;
    let mut f = 0u32;
    for k in 0..3 {
        f = f * 10 + frac.as_bytes().get(k).map_or(0, |d| u32::from(d - b'0'));
    }
    i.checked_mul(1000).and_then(|v| v.checked_add(f)).ok_or("bad seconds")
}

/// `[-]N[.NN][m]` in cm.
fn parse_meters(s: &str) -> Result<i64, &'static str> {
    let s = s.strip_suffix(['m', 'M']).unwrap_or(s);
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 10 || frac.len() > 2 || !digits(int) || !digits(frac) {
        return Err("bad meters");
    }
    let i: i64 = int.parse().map_err(|_| "bad meters")?;
    let mut f = 0i64;
    for k in 0..2 {
        f = f * 10 + frac.as_bytes().get(k).map_or(0, |d| i64::from(d - b'0'));
    }
    let cm = i * 100 + f;
    Ok(if neg { -cm } else { cm })
}

fn fmt_coord(f: &mut fmt::Formatter<'_>, v: u32, (pos, neg): (char, char)) -> fmt::Result {
    let v = i64::from(v) - EQUATOR;
    let (hemi, a) = if v < 0 { (neg, -v) } else { (pos, v) };
    let (deg, rest) = (a / 3_600_000, a % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    write!(f, "{deg} {min} {}.{:03} {hemi}", rest / 1000, rest % 1000)
}

fn fmt_precision(f: &mut fmt::Formatter<'_>, b: u8) -> fmt::Result {
    let (man, exp) = (u64::from(b >> 4), u32::from(b & 15));
    if exp >= 2 {
        write!(f, "{}m", man * 10u64.pow(exp - 2))
    } else {
        write!(f, "0.{:02}m", man * 10u64.pow(exp))
    }
}

/// Writes the RFC 1876 §3 presentation form, as `dig` and NSD print it.
pub(super) fn fmt_loc(loc: &Loc, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    fmt_coord(f, loc.latitude, ('N', 'S'))?;
    f.write_str(" ")?;
    fmt_coord(f, loc.longitude, ('E', 'W'))?;
    let alt = i64::from(loc.altitude) - ALT_BASE;
    let sign = if alt < 0 { "-" } else { "" };
    write!(f, " {sign}{}.{:02}m", alt.abs() / 100, alt.abs() % 100)?;
    for b in [loc.size, loc.horiz_pre, loc.vert_pre] {
        f.write_str(" ")?;
        fmt_precision(f, b)?;
    }
    Ok(())
}
