//! SvcParams of SVCB and HTTPS (RFC 9460 §2.1, §7): key names, and the
//! presentation form of the values (parse and display).

use alloc::vec::Vec;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use super::SvcParam;
use super::text::{Base64, decode_base64, fmt_escaped};

/// Names of the SvcParamKeys this crate knows (RFC 9460 §14.3.2).
const KEY_NAMES: [&str; 7] = ["mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint"];

/// SvcParamKey `mandatory` (RFC 9460 §8).
pub const KEY_MANDATORY: u16 = 0;
/// SvcParamKey `alpn` (RFC 9460 §7.1).
pub const KEY_ALPN: u16 = 1;
/// SvcParamKey `no-default-alpn` (RFC 9460 §7.1).
pub const KEY_NO_DEFAULT_ALPN: u16 = 2;
/// SvcParamKey `port` (RFC 9460 §7.2).
pub const KEY_PORT: u16 = 3;
/// SvcParamKey `ipv4hint` (RFC 9460 §7.3).
pub const KEY_IPV4HINT: u16 = 4;
/// SvcParamKey `ech` (RFC 9460 §7.3, draft-ietf-tls-svcb-ech).
pub const KEY_ECH: u16 = 5;
/// SvcParamKey `ipv6hint` (RFC 9460 §7.3).
pub const KEY_IPV6HINT: u16 = 6;

/// Parses a SvcParamKey name: a known name or `keyNNNNN` (65535 is invalid).
pub fn parse_key(s: &str) -> Option<u16> {
    if let Some(i) = KEY_NAMES.iter().position(|k| *k == s) {
        return Some(i as u16);
    }
    let digits = s.strip_prefix("key")?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&k| k != 65535)
}

/// Displays a SvcParamKey: its name or `keyNNNNN`.
#[derive(Debug, Clone, Copy)]
pub struct KeyName(pub u16);

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match KEY_NAMES.get(usize::from(self.0)) {
            Some(n) => f.write_str(n),
            None => write!(f, "key{}", self.0),
        }
    }
}

/// Undoes char-string escapes (`\X`, `\DDD`) of presentation text.
pub fn unescape(s: &str) -> Result<Vec<u8>, &'static str> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        match b.get(i + 1..i + 4) {
            Some(d) if d.iter().all(u8::is_ascii_digit) => {
                let v = d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
                out.push(u8::try_from(v).map_err(|_| "escape above \\255")?);
                i += 4;
            }
            _ => match b.get(i + 1) {
                Some(&x) if !x.is_ascii_digit() => {
                    out.push(x);
                    i += 2;
                }
                _ => return Err("bad escape"),
            },
        }
    }
    Ok(out)
}

/// Splits a value-list (RFC 9460 Appendix A.1) on commas not escaped by `\`.
fn split_value_list(v: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        match c {
            b'\\' if i + 1 < v.len() => {
                cur.push(v[i + 1]);
                i += 2;
                continue;
            }
            b',' => items.push(core::mem::take(&mut cur)),
            _ => cur.push(c),
        }
        i += 1;
    }
    items.push(cur);
    items
}

fn text_list(v: &[u8]) -> Result<Vec<&str>, &'static str> {
    let s = core::str::from_utf8(v).map_err(|_| "not text")?;
    Ok(s.split(',').collect())
}

impl SvcParam {
    /// Builds a SvcParam from its presentation form (RFC 9460 §2.1): `key` is
    /// the name before `=`, `value` the text after it with enclosing quotes
    /// removed but escapes still in place (`None` when there is no `=`).
    pub fn from_presentation(key: &str, value: Option<&str>) -> Result<SvcParam, &'static str> {
        let key = parse_key(key).ok_or("unknown SvcParamKey")?;
        let raw = unescape(value.unwrap_or(""))?;
        let mut out = Vec::new();
        match key {
            KEY_MANDATORY => {
                let mut keys = Vec::new();
                for item in text_list(&raw)? {
                    let k = parse_key(item).ok_or("unknown key in mandatory")?;
                    if k == KEY_MANDATORY {
                        return Err("mandatory lists itself");
                    }
                    keys.push(k);
                }
                keys.sort_unstable();
                if keys.windows(2).any(|w| w[0] == w[1]) {
                    return Err("duplicate key in mandatory");
                }
                keys.iter().for_each(|k| out.extend_from_slice(&k.to_be_bytes()));
            }
            KEY_ALPN => {
                for id in split_value_list(&raw) {
                    let len = u8::try_from(id.len()).map_err(|_| "alpn id too long")?;
                    if len == 0 {
                        return Err("empty alpn id");
                    }
                    out.push(len);
                    out.extend_from_slice(&id);
                }
            }
            KEY_NO_DEFAULT_ALPN => {
                if !raw.is_empty() {
                    return Err("no-default-alpn takes no value");
                }
            }
            KEY_PORT => {
                let s = core::str::from_utf8(&raw).map_err(|_| "bad port")?;
                let port: u16 = s.parse().map_err(|_| "bad port")?;
                out.extend_from_slice(&port.to_be_bytes());
            }
            KEY_IPV4HINT => {
                for a in text_list(&raw)? {
                    let a: Ipv4Addr = a.parse().map_err(|_| "bad IPv4 address")?;
                    out.extend_from_slice(&a.octets());
                }
            }
            KEY_ECH => {
                let s = core::str::from_utf8(&raw).map_err(|_| "bad base64")?;
                out = decode_base64(s).ok_or("bad base64")?;
            }
            KEY_IPV6HINT => {
                for a in text_list(&raw)? {
                    let a: Ipv6Addr = a.parse().map_err(|_| "bad IPv6 address")?;
                    out.extend_from_slice(&a.octets());
                }
            }
            _ => out = raw,
        }
        if out.len() > usize::from(u16::MAX) {
            return Err("value too long");
        }
        Ok(SvcParam { key, value: out })
    }
}

/// Checks a SvcParamValue against its key's format (RFC 9460 §7, §8): a
/// known key with a malformed value, or the invalid key 65535, makes the
/// whole RR malformed (RFC 9460 §2.2).
pub fn check_value(key: u16, v: &[u8]) -> Result<(), &'static str> {
    let ok = match key {
        KEY_MANDATORY => {
            !v.is_empty()
                && v.len() % 2 == 0
                && v.chunks_exact(2).all(|k| k != [0, 0])
                && v.chunks_exact(2).zip(v.chunks_exact(2).skip(1)).all(|(a, b)| a < b)
        }
        KEY_ALPN => {
            let mut i = 0;
            while let Some(&l) = v.get(i) {
                if l == 0 || i + 1 + usize::from(l) > v.len() {
                    break;
                }
                i += 1 + usize::from(l);
            }
            !v.is_empty() && i == v.len()
        }
        KEY_NO_DEFAULT_ALPN => v.is_empty(),
        KEY_PORT => v.len() == 2,
        KEY_IPV4HINT => !v.is_empty() && v.len() % 4 == 0,
        KEY_IPV6HINT => !v.is_empty() && v.len() % 16 == 0,
        65535 => return Err("invalid SvcParamKey 65535"),
        _ => true,
    };
    if ok { Ok(()) } else { Err("malformed SvcParamValue for its key") }
}

/// Writes the value of a known key in presentation form, or returns `Ok(false)`
/// when the value is malformed for that key (only possible for values built
/// by hand: decoding rejects them) or the key is not a known one.
fn fmt_known(p: &SvcParam, f: &mut fmt::Formatter<'_>) -> Result<bool, fmt::Error> {
    let v = &p.value[..];
    if usize::from(p.key) >= KEY_NAMES.len() || check_value(p.key, v).is_err() {
        return Ok(false);
    }
    write!(f, "{}", KeyName(p.key))?;
    match p.key {
        KEY_MANDATORY => {
            for (i, k) in v.chunks_exact(2).enumerate() {
                let sep = if i == 0 { "=" } else { "," };
                write!(f, "{sep}{}", KeyName(u16::from_be_bytes([k[0], k[1]])))?;
            }
        }
        KEY_ALPN => {
            f.write_str("=\"")?;
            let mut i = 0;
            let mut first = true;
            while let Some(&l) = v.get(i) {
                let id = &v[i + 1..i + 1 + usize::from(l)];
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                // Value-list escaping (`,` and `\`), then char-string escaping.
                for &b in id {
                    match b {
                        b',' => f.write_str("\\\\,")?,
                        b'\\' => f.write_str("\\\\\\\\")?,
                        _ => fmt_escaped(&[b], f)?,
                    }
                }
                i += 1 + usize::from(l);
            }
            f.write_str("\"")?;
        }
        KEY_PORT => write!(f, "={}", u16::from_be_bytes([v[0], v[1]]))?,
        KEY_IPV4HINT => {
            for (i, a) in v.chunks_exact(4).enumerate() {
                let sep = if i == 0 { "=" } else { "," };
                write!(f, "{sep}{}", Ipv4Addr::new(a[0], a[1], a[2], a[3]))?;
            }
        }
        KEY_ECH => write!(f, "={}", Base64(v))?,
        KEY_IPV6HINT => {
            for (i, a) in v.chunks_exact(16).enumerate() {
                let sep = if i == 0 { "=" } else { "," };
                let mut o = [0u8; 16];
                o.copy_from_slice(a);
                write!(f, "{sep}{}", Ipv6Addr::from(o))?;
            }
        }
        _ => {}
    }
    Ok(true)
}

impl fmt::Display for SvcParam {
    /// `key=value` as `dig` prints it: `alpn="h2,h3"`, `port=443`,
    /// `ipv4hint=192.0.2.1`, `ech=BASE64`, `no-default-alpn`, `key667="..."`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if fmt_known(self, f)? {
            return Ok(());
        }
        write!(f, "key{}", self.key)?;
        if !self.value.is_empty() {
            f.write_str("=\"")?;
            fmt_escaped(&self.value, f)?;
            f.write_str("\"")?;
        }
        Ok(())
    }
}
