//! Presentation-format RDATA (RFC 1035 §5.1 and the RFC of each type) into
//! [`Rdata`] values, plus the field parsers the master-file parser shares:
//! names relative to an origin, numbers, TTLs with units, character strings.
//!
//! Every error carries the place of the token (or character) that is wrong
//! and a sentence that names what was expected and what was found.
//!
//! Types with a variant in [`Rdata`] parse into it. A few more types that the
//! codec keeps as opaque bytes (MB, MG, MR, MD, MF, MINFO, AFSDB, RT, KX, PX,
//! URI, OPENPGPKEY, DHCID, SMIMEA, ZONEMD, CSYNC, EUI48, EUI64, L32, L64,
//! NID, LP, X25, ISDN) are parsed from their presentation form into their wire
//! form and kept as [`Rdata::Unknown`]; every type accepts the RFC 3597 §5
//! generic form `\# len hex` (a known type's generic data is decoded into its
//! variant, so both forms give equal values).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use super::lexer::{Pos, Token};
use crate::name::{MAX_LABEL_LEN, MAX_NAME_LEN, Name};
use crate::rdata::{
    Class, Dnskey, Ds, Loc, Naptr, Nsec3, Nsec3param, Rdata, Rrsig, Rtype, Soa, SvcParam, SvcbRdata,
    TypeBitmap,
};

/// A field error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextError {
    /// Where the offending text starts.
    pub pos: Pos,
    /// What is wrong, for the user.
    pub message: String,
}

impl TextError {
    pub(crate) fn new(pos: Pos, message: impl Into<String>) -> TextError {
        TextError { pos, message: message.into() }
    }
}

/// Shows (a prefix of) token text in an error message.
pub(crate) fn show(text: &[u8]) -> String {
    const MAX: usize = 60;
    let s = String::from_utf8_lossy(text);
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s.into_owned()
    }
}

fn tok_err(tok: &Token<'_>, expected: &str) -> TextError {
    TextError::new(tok.pos, format!("expected {expected}, found `{}`", show(tok.text)))
}

// ---------------------------------------------------------------- names

/// Parses a domain name in presentation form (RFC 1035 §5.1): `@` is
/// `origin`; a name that does not end in an unescaped `.` is relative to
/// `origin`; `\X` and `\DDD` escapes. On error: the byte index in `text` and a
/// message.
pub(crate) fn name_from_text(text: &[u8], origin: &Name) -> Result<Name, (usize, String)> {
    if text.is_empty() {
        return Err((0, "empty domain name".to_owned()));
    }
    if text == b"@" {
        return Ok(origin.clone());
    }
    if text == b"." {
        return Ok(Name::root());
    }
    let mut wire: Vec<u8> = Vec::with_capacity(text.len() + 2 + origin.len());
    let mut label_start = 0usize;
    let mut label_at = 0usize;
    wire.push(0);
    let mut i = 0usize;
    let mut absolute = false;
    while let Some(&c) = text.get(i) {
        if c == b'.' {
            let len = wire.len() - label_start - 1;
            if len == 0 {
                return Err((i, "empty label (two dots in a row, or a leading dot)".to_owned()));
            }
            if let Some(b) = wire.get_mut(label_start) {
                *b = len as u8;
            }
            i += 1;
            if i == text.len() {
                absolute = true;
                break;
            }
            label_start = wire.len();
            label_at = i;
            wire.push(0);
            continue;
        }
        let (byte, used) = if c == b'\\' { unescape_at(text, i)? } else { (c, 1) };
        if wire.len() - label_start > MAX_LABEL_LEN {
            return Err((label_at, "label longer than 63 bytes".to_owned()));
        }
        wire.push(byte);
        i += used;
    }
    if !absolute {
        let len = wire.len() - label_start - 1;
        if let Some(b) = wire.get_mut(label_start) {
            *b = len as u8;
        }
        wire.extend_from_slice(origin.as_wire());
    } else {
        wire.push(0);
    }
    if wire.len() > MAX_NAME_LEN {
        return Err((0, format!("domain name longer than 255 bytes ({} in wire form)", wire.len())));
    }
    Name::from_wire(&wire).map_err(|e| (0, format!("bad domain name: {e}")))
}

/// Decodes the escape at `text[i]` (a backslash): `\DDD` or `\X`. Returns the
/// byte and how many input bytes it used.
fn unescape_at(text: &[u8], i: usize) -> Result<(u8, usize), (usize, String)> {
    let next = text.get(i + 1).copied();
    match next {
        Some(d) if d.is_ascii_digit() => {
            let digits = text.get(i + 1..i + 4).filter(|d| d.iter().all(u8::is_ascii_digit));
            let Some(digits) = digits else {
                return Err((i, "bad escape: `\\` and a digit must be `\\DDD` with three digits".to_owned()));
            };
            let v = digits.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
            match u8::try_from(v) {
                Ok(b) => Ok((b, 4)),
                Err(_) => Err((i, format!("bad escape `\\{v:03}`: above \\255"))),
            }
        }
        Some(x) => Ok((x, 2)),
        None => Err((i, "`\\` at the end of the text escapes nothing".to_owned())),
    }
}

/// A name field.
pub(crate) fn parse_name(tok: &Token<'_>, origin: &Name) -> Result<Name, TextError> {
    name_from_text(tok.text, origin).map_err(|(at, msg)| {
        TextError::new(tok.text_pos().advanced(at), format!("{msg} in `{}`", show(tok.text)))
    })
}

// ---------------------------------------------------------------- strings

/// Undoes `\X` and `\DDD` escapes.
pub(crate) fn unescape(tok: &Token<'_>) -> Result<Vec<u8>, TextError> {
    let text = tok.text;
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        if c == b'\\' {
            let (b, used) =
                unescape_at(text, i).map_err(|(at, msg)| TextError::new(tok.text_pos().advanced(at), msg))?;
            out.push(b);
            i += used;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

/// A `<character-string>` (RFC 1035 §3.3): quoted or not, at most 255 bytes.
pub(crate) fn char_string(tok: &Token<'_>) -> Result<Vec<u8>, TextError> {
    let s = unescape(tok)?;
    if s.len() > 255 {
        return Err(TextError::new(
            tok.pos,
            format!("character string is {} bytes long; at most 255 are allowed", s.len()),
        ));
    }
    Ok(s)
}

// ---------------------------------------------------------------- numbers

/// A plain unsigned decimal number of at most `max`.
fn decimal(text: &[u8], max: u64) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = text.iter().try_fold(0u64, |a, &d| a.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
    (v <= max).then_some(v)
}

/// A TTL or time value: decimal seconds, or numbers with units `s`, `m`,
/// `h`, `d`, `w` in any case (`1h30m`, `1W2D`), as BIND and NSD read them.
pub(crate) fn ttl_value(text: &[u8]) -> Result<u32, String> {
    if text.is_empty() || !text.first().is_some_and(u8::is_ascii_digit) {
        return Err("a TTL starts with a digit".to_owned());
    }
    if text.iter().all(u8::is_ascii_digit) {
        return decimal(text, u64::from(u32::MAX))
            .map(|v| v as u32)
            .ok_or_else(|| "value above 4294967295 seconds".to_owned());
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for &c in text {
        if c.is_ascii_digit() {
            let n = num.unwrap_or(0).saturating_mul(10).saturating_add(u64::from(c - b'0'));
            num = Some(n.min(u64::from(u32::MAX) + 1));
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86_400,
            b'w' => 604_800,
            _ => return Err(format!("unknown TTL unit `{}` (use s, m, h, d or w)", c as char)),
        };
        let Some(n) = num.take() else {
            return Err("a TTL unit must follow a number".to_owned());
        };
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if num.is_some() {
        return Err("a number without a unit after a unit (write `1h30m`, not `1h30`)".to_owned());
    }
    u32::try_from(total).map_err(|_| "value above 4294967295 seconds".to_owned())
}

/// True when `text` looks like a TTL (so it is taken as one where a TTL may
/// stand).
pub(crate) fn looks_like_ttl(text: &[u8]) -> bool {
    text.first().is_some_and(u8::is_ascii_digit)
}

// ---------------------------------------------------------------- fields

/// A cursor over the RDATA tokens of one record.
struct Fields<'t, 'a> {
    toks: &'t [Token<'a>],
    i: usize,
    end: Pos,
    rtype: Rtype,
}

impl<'t, 'a> Fields<'t, 'a> {
    fn next(&mut self, what: &str) -> Result<&'t Token<'a>, TextError> {
        match self.toks.get(self.i) {
            Some(t) => {
                self.i += 1;
                Ok(t)
            }
            None => Err(TextError::new(self.end, format!("{} record is missing its {what}", self.rtype))),
        }
    }

    fn peek(&self) -> Option<&'t Token<'a>> {
        self.toks.get(self.i)
    }

    fn rest(&mut self) -> &'t [Token<'a>] {
        let r = self.toks.get(self.i..).unwrap_or(&[]);
        self.i = self.toks.len();
        r
    }

    fn done(&self) -> Result<(), TextError> {
        match self.toks.get(self.i) {
            None => Ok(()),
            Some(t) => Err(TextError::new(
                t.pos,
                format!("unexpected `{}` after the end of the {} data", show(t.text), self.rtype),
            )),
        }
    }

    fn number(&mut self, what: &str, max: u64) -> Result<u64, TextError> {
        let t = self.next(what)?;
        decimal(t.text, max).ok_or_else(|| tok_err(t, &format!("a number from 0 to {max} for the {what}")))
    }

    fn u8(&mut self, what: &str) -> Result<u8, TextError> {
        Ok(self.number(what, 255)? as u8)
    }

    fn u16(&mut self, what: &str) -> Result<u16, TextError> {
        Ok(self.number(what, 65535)? as u16)
    }

    fn u32(&mut self, what: &str) -> Result<u32, TextError> {
        Ok(self.number(what, u64::from(u32::MAX))? as u32)
    }

    /// A time or TTL field (units allowed).
    fn time(&mut self, what: &str) -> Result<u32, TextError> {
        let t = self.next(what)?;
        ttl_value(t.text).map_err(|m| {
            TextError::new(t.pos, format!("expected a time for the {what}, found `{}`: {m}", show(t.text)))
        })
    }

    fn name(&mut self, what: &str, origin: &Name) -> Result<Name, TextError> {
        let t = self.next(what)?;
        parse_name(t, origin)
    }

    fn string(&mut self, what: &str) -> Result<Vec<u8>, TextError> {
        let t = self.next(what)?;
        char_string(t)
    }

    /// The rest of the tokens as hex (spaces between them allowed).
    fn hex_rest(&mut self, what: &str, allow_empty: bool) -> Result<Vec<u8>, TextError> {
        let end = self.end;
        let rtype = self.rtype;
        let toks = self.rest();
        if toks.is_empty() && !allow_empty {
            return Err(TextError::new(end, format!("{rtype} record is missing its {what}")));
        }
        hex_tokens(toks, what)
    }

    /// The rest of the tokens as base64 (spaces between them allowed).
    fn base64_rest(&mut self, what: &str, allow_empty: bool) -> Result<Vec<u8>, TextError> {
        let end = self.end;
        let rtype = self.rtype;
        let toks = self.rest();
        if toks.is_empty() && !allow_empty {
            return Err(TextError::new(end, format!("{rtype} record is missing its {what}")));
        }
        base64_tokens(toks, what)
    }

    /// A DNSSEC algorithm: a number or a mnemonic (RFC 4034 Appendix A.1).
    fn algorithm(&mut self) -> Result<u8, TextError> {
        let t = self.next("algorithm")?;
        if let Some(v) = decimal(t.text, 255) {
            return Ok(v as u8);
        }
        ALGORITHMS
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text))
            .map(|&(_, v)| v)
            .ok_or_else(|| tok_err(t, "an algorithm number (0 to 255) or mnemonic such as RSASHA256"))
    }

    fn rtype_field(&mut self, what: &str) -> Result<Rtype, TextError> {
        let t = self.next(what)?;
        type_from_token(t).ok_or_else(|| tok_err(t, &format!("an RR type for the {what}")))
    }

    fn type_list(&mut self) -> Result<TypeBitmap, TextError> {
        let mut types = Vec::new();
        for t in self.rest() {
            types.push(type_from_token(t).ok_or_else(|| tok_err(t, "an RR type in the type list"))?);
        }
        Ok(TypeBitmap::new(types))
    }
}

/// DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1, IANA registry).
const ALGORITHMS: [(&str, u8); 16] = [
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

/// An RR type mnemonic or `TYPEnnn`.
pub(crate) fn type_from_token(t: &Token<'_>) -> Option<Rtype> {
    if t.quoted {
        return None;
    }
    core::str::from_utf8(t.text).ok().and_then(|s| Rtype::from_str(s).ok())
}

/// A class mnemonic or `CLASSnnn`.
pub(crate) fn class_from_token(t: &Token<'_>) -> Option<Class> {
    if t.quoted {
        return None;
    }
    core::str::from_utf8(t.text).ok().and_then(|s| Class::from_str(s).ok())
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Hex digits spread over tokens (an even count in all).
fn hex_tokens(toks: &[Token<'_>], what: &str) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::new();
    let mut high: Option<u8> = None;
    let mut last = None;
    for t in toks {
        for (i, &c) in t.text.iter().enumerate() {
            let v = hex_val(c).ok_or_else(|| {
                TextError::new(
                    t.text_pos().advanced(i),
                    format!("expected hex digits for the {what}, found `{}`", show(t.text)),
                )
            })?;
            match high.take() {
                Some(h) => out.push((h << 4) | v),
                None => high = Some(v),
            }
        }
        last = Some(t);
    }
    if high.is_some() {
        if let Some(t) = last {
            return Err(TextError::new(t.pos, format!("odd number of hex digits in the {what}")));
        }
    }
    Ok(out)
}

fn b64_val(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Base64 (RFC 4648 §4) spread over tokens.
fn base64_tokens(toks: &[Token<'_>], what: &str) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut chars = 0usize;
    let mut pad = 0usize;
    let mut last = None;
    for t in toks {
        for (i, &c) in t.text.iter().enumerate() {
            let at = t.text_pos().advanced(i);
            if c == b'=' {
                pad += 1;
                chars += 1;
                if pad > 2 {
                    return Err(TextError::new(at, format!("too much `=` padding in the {what}")));
                }
                continue;
            }
            let Some(v) = b64_val(c) else {
                return Err(TextError::new(
                    at,
                    format!("expected base64 for the {what}, found `{}`", show(t.text)),
                ));
            };
            if pad > 0 {
                return Err(TextError::new(at, format!("base64 data after `=` padding in the {what}")));
            }
            chars += 1;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        last = Some(t);
    }
    if let Some(t) = last {
        if chars % 4 == 1 || (pad > 0 && chars % 4 != 0) || acc != 0 {
            return Err(TextError::new(t.pos, format!("the {what} is not complete base64")));
        }
    }
    Ok(out)
}

/// Base32hex (RFC 4648 §7, no padding, either case) of one token.
fn base32hex_token(t: &Token<'_>, what: &str) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::new();
    let mut acc = 0u64;
    let mut bits = 0u32;
    for (i, &c) in t.text.iter().enumerate() {
        let v = match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => d - b'0',
            l @ b'A'..=b'V' => l - b'A' + 10,
            _ => {
                return Err(TextError::new(
                    t.text_pos().advanced(i),
                    format!("expected base32hex for the {what}, found `{}`", show(t.text)),
                ));
            }
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 || bits >= 5 {
        return Err(TextError::new(t.pos, format!("the {what} is not complete base32hex")));
    }
    Ok(out)
}

fn salt(t: &Token<'_>) -> Result<Vec<u8>, TextError> {
    if t.text == b"-" {
        return Ok(Vec::new());
    }
    let s = hex_tokens(core::slice::from_ref(t), "salt")?;
    if s.len() > 255 {
        return Err(TextError::new(t.pos, "salt longer than 255 bytes"));
    }
    Ok(s)
}

/// An RRSIG time: `YYYYMMDDHHmmSS` (UTC, RFC 4034 §3.2; wraps modulo 2^32
/// past 2106 as RFC 1982 arithmetic wants) or a decimal number of seconds.
fn rrsig_time(t: &Token<'_>, what: &str) -> Result<u32, TextError> {
    let bad = || tok_err(t, &format!("a time as YYYYMMDDHHmmSS or seconds for the {what}"));
    if t.text.len() != 14 {
        return decimal(t.text, u64::from(u32::MAX)).map(|v| v as u32).ok_or_else(bad);
    }
    let num = |r: core::ops::Range<usize>| t.text.get(r).and_then(|d| decimal(d, 9999));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (num(0..4), num(4..6), num(6..8), num(8..10), num(10..12), num(12..14))
    else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d == 0 || d > mdays[(mo - 1) as usize] || h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    // days from 1970-01-01 (proleptic Gregorian).
    let (yy, mm) = if mo <= 2 { (y as i64 - 1, mo as i64 + 9) } else { (y as i64, mo as i64 - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy.rem_euclid(400);
    let doy = (153 * mm + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + (h * 3600 + mi * 60 + s) as i64;
    Ok(secs.rem_euclid(1 << 32) as u32)
}

// ---------------------------------------------------------------- dispatch

/// Parses the RDATA tokens `toks` of a record of type `rtype`. `end` is where
/// the entry ends (for "missing field" errors).
pub(crate) fn parse_rdata(
    rtype: Rtype,
    toks: &[Token<'_>],
    origin: &Name,
    end: Pos,
) -> Result<Rdata, TextError> {
    if let Some(first) = toks.first() {
        if !first.quoted && first.text == b"\\#" {
            return generic(rtype, toks, end);
        }
    }
    let mut f = Fields { toks, i: 0, end, rtype };
    let o = origin;
    let rd = match rtype {
        Rtype::A => {
            let t = f.next("IPv4 address")?;
            Rdata::A(ipv4(t)?)
        }
        Rtype::AAAA => {
            let t = f.next("IPv6 address")?;
            Rdata::Aaaa(ipv6(t)?)
        }
        Rtype::NS => Rdata::Ns(f.name("name server name", o)?),
        Rtype::CNAME => Rdata::Cname(f.name("canonical name", o)?),
        Rtype::DNAME => Rdata::Dname(f.name("target name", o)?),
        Rtype::PTR => Rdata::Ptr(f.name("target name", o)?),
        Rtype::SOA => Rdata::Soa(Soa {
            mname: f.name("primary name server (MNAME)", o)?,
            rname: f.name("responsible mailbox (RNAME)", o)?,
            serial: f.u32("serial")?,
            refresh: f.time("refresh")?,
            retry: f.time("retry")?,
            expire: f.time("expire")?,
            minimum: f.time("minimum")?,
        }),
        Rtype::MX => Rdata::Mx { preference: f.u16("preference")?, exchange: f.name("exchange", o)? },
        Rtype::TXT | Rtype::SPF => {
            let mut strings = Vec::new();
            strings.push(f.string("text")?);
            for t in f.rest() {
                strings.push(char_string(t)?);
            }
            if rtype == Rtype::TXT { Rdata::Txt(strings) } else { Rdata::Spf(strings) }
        }
        Rtype::SRV => Rdata::Srv {
            priority: f.u16("priority")?,
            weight: f.u16("weight")?,
            port: f.u16("port")?,
            target: f.name("target", o)?,
        },
        Rtype::NAPTR => Rdata::Naptr(Naptr {
            order: f.u16("order")?,
            preference: f.u16("preference")?,
            flags: f.string("flags")?,
            services: f.string("services")?,
            regexp: f.string("regexp")?,
            replacement: f.name("replacement", o)?,
        }),
        Rtype::CAA => {
            let flags = f.u8("flags")?;
            let t = f.next("tag")?;
            let tag = unescape(t)?;
            if tag.is_empty() || tag.len() > 255 || !tag.iter().all(u8::is_ascii_alphanumeric) {
                return Err(tok_err(t, "a CAA tag of 1 to 255 letters and digits"));
            }
            let t = f.next("value")?;
            let value = unescape(t)?;
            if value.len() > 65_000 {
                return Err(TextError::new(t.pos, "CAA value too long"));
            }
            Rdata::Caa { flags, tag, value }
        }
        Rtype::SSHFP => Rdata::Sshfp {
            algorithm: f.u8("algorithm")?,
            fp_type: f.u8("fingerprint type")?,
            fingerprint: f.hex_rest("fingerprint", true)?,
        },
        Rtype::TLSA => Rdata::Tlsa {
            usage: f.u8("certificate usage")?,
            selector: f.u8("selector")?,
            matching_type: f.u8("matching type")?,
            data: f.hex_rest("certificate association data", true)?,
        },
        Rtype::SVCB | Rtype::HTTPS => {
            let s = svcb(&mut f, o)?;
            if rtype == Rtype::SVCB { Rdata::Svcb(s) } else { Rdata::Https(s) }
        }
        Rtype::LOC => Rdata::Loc(loc(&mut f)?),
        Rtype::HINFO => Rdata::Hinfo { cpu: f.string("CPU")?, os: f.string("OS")? },
        Rtype::RP => Rdata::Rp { mbox: f.name("mailbox", o)?, txt: f.name("TXT name", o)? },
        Rtype::DS | Rtype::CDS => {
            let key_tag = f.u16("key tag")?;
            let algorithm = f.algorithm()?;
            let digest_type = f.u8("digest type")?;
            let digest = f.hex_rest("digest", true)?;
            // RFC 4509, RFC 5933, RFC 6605: the digest length of known types.
            let want = match digest_type {
                1 => Some(("SHA-1", 20)),
                2 => Some(("SHA-256", 32)),
                3 => Some(("GOST R 34.11-94", 32)),
                4 => Some(("SHA-384", 48)),
                _ => None,
            };
            if let Some((alg, len)) = want.filter(|&(_, len)| len != digest.len()) {
                let at = toks.get(3).map_or(end, |t| t.pos);
                return Err(TextError::new(
                    at,
                    format!("a {alg} digest is {len} bytes long, this one has {}", digest.len()),
                ));
            }
            let ds = Ds { key_tag, algorithm, digest_type, digest };
            if rtype == Rtype::DS { Rdata::Ds(ds) } else { Rdata::Cds(ds) }
        }
        Rtype::DNSKEY | Rtype::CDNSKEY => {
            let k = Dnskey {
                flags: f.u16("flags")?,
                protocol: f.u8("protocol")?,
                algorithm: f.algorithm()?,
                public_key: f.base64_rest("public key", true)?,
            };
            if rtype == Rtype::DNSKEY { Rdata::Dnskey(k) } else { Rdata::Cdnskey(k) }
        }
        Rtype::RRSIG => {
            let type_covered = f.rtype_field("type covered")?;
            let algorithm = f.algorithm()?;
            let labels = f.u8("labels")?;
            let original_ttl = f.time("original TTL")?;
            let t = f.next("signature expiration")?;
            let expiration = rrsig_time(t, "signature expiration")?;
            let t = f.next("signature inception")?;
            let inception = rrsig_time(t, "signature inception")?;
            Rdata::Rrsig(Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag: f.u16("key tag")?,
                signer: f.name("signer's name", o)?,
                signature: f.base64_rest("signature", true)?,
            })
        }
        Rtype::NSEC => Rdata::Nsec { next: f.name("next domain name", o)?, types: f.type_list()? },
        Rtype::NSEC3 => {
            let hash_algorithm = f.u8("hash algorithm")?;
            let flags = f.u8("flags")?;
            let iterations = f.u16("iterations")?;
            let salt = salt(f.next("salt")?)?;
            let t = f.next("next hashed owner name")?;
            let next_hashed = base32hex_token(t, "next hashed owner name")?;
            if next_hashed.is_empty() || next_hashed.len() > 255 {
                return Err(tok_err(t, "a next hashed owner name of 1 to 255 bytes"));
            }
            Rdata::Nsec3(Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types: f.type_list()?,
            })
        }
        Rtype::NSEC3PARAM => Rdata::Nsec3param(Nsec3param {
            hash_algorithm: f.u8("hash algorithm")?,
            flags: f.u8("flags")?,
            iterations: f.u16("iterations")?,
            salt: salt(f.next("salt")?)?,
        }),
        other => {
            let data = opaque_type(other, &mut f, o)?;
            f.done()?;
            return Ok(Rdata::Unknown { rtype: other, data });
        }
    };
    f.done()?;
    Ok(rd)
}

fn ipv4(t: &Token<'_>) -> Result<Ipv4Addr, TextError> {
    core::str::from_utf8(t.text)
        .ok()
        .filter(|_| !t.quoted)
        .and_then(|s| Ipv4Addr::from_str(s).ok())
        .ok_or_else(|| tok_err(t, "an IPv4 address"))
}

fn ipv6(t: &Token<'_>) -> Result<Ipv6Addr, TextError> {
    core::str::from_utf8(t.text)
        .ok()
        .filter(|_| !t.quoted)
        .and_then(|s| Ipv6Addr::from_str(s).ok())
        .ok_or_else(|| tok_err(t, "an IPv6 address"))
}

/// RFC 3597 §5: `\# len hex...`.
fn generic(rtype: Rtype, toks: &[Token<'_>], end: Pos) -> Result<Rdata, TextError> {
    let mut f = Fields { toks, i: 1, end, rtype };
    let lt = f.next("RDATA length after `\\#`")?;
    let len = decimal(lt.text, 65535)
        .ok_or_else(|| tok_err(lt, "the RDATA length (0 to 65535) after `\\#`"))? as usize;
    let hex_toks = f.rest();
    let data = hex_tokens(hex_toks, "RDATA")?;
    if data.len() != len {
        let at = hex_toks.first().map_or(end, |t| t.pos);
        return Err(TextError::new(
            at,
            format!("`\\# {len}` announces {len} bytes of RDATA but {} follow", data.len()),
        ));
    }
    let Ok(rdlen) = u16::try_from(len) else {
        return Err(tok_err(lt, "an RDATA length of at most 65535"));
    };
    let mut pos = 0usize;
    match Rdata::decode(rtype, &data, &mut pos, rdlen) {
        Ok(rd) if pos == len => Ok(rd),
        Ok(_) => Err(TextError::new(lt.pos, format!("the RFC 3597 data is not valid {rtype} RDATA"))),
        Err(e) => Err(TextError::new(lt.pos, format!("the RFC 3597 data is not valid {rtype} RDATA: {e}"))),
    }
}

// ---------------------------------------------------------------- SVCB

const SVC_KEYS: [&str; 9] =
    ["mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp"];

fn svc_key(text: &[u8]) -> Option<u16> {
    if let Some(i) = SVC_KEYS.iter().position(|k| k.as_bytes() == text) {
        return Some(i as u16);
    }
    let digits = text.strip_prefix(b"key")?;
    if digits.len() > 1 && digits.first() == Some(&b'0') {
        return None;
    }
    decimal(digits, 65534).map(|v| v as u16)
}

/// Splits an unescaped value on commas, honouring `\,` and `\\` (RFC 9460
/// Appendix A.1, the second level of escaping).
fn value_list(v: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        match c {
            b'\\' => {
                if let Some(&n) = v.get(i + 1) {
                    cur.push(n);
                    i += 2;
                    continue;
                }
                cur.push(c);
            }
            b',' => items.push(core::mem::take(&mut cur)),
            _ => cur.push(c),
        }
        i += 1;
    }
    items.push(cur);
    items
}

/// SVCB/HTTPS (RFC 9460 §2.1): `priority target key[=value]...`.
fn svcb(f: &mut Fields<'_, '_>, origin: &Name) -> Result<SvcbRdata, TextError> {
    let priority = f.u16("SvcPriority")?;
    let target = f.name("TargetName", origin)?;
    let toks = f.rest();
    let mut params: Vec<(SvcParam, Pos)> = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        i += 1;
        if t.quoted {
            return Err(tok_err(t, "a SvcParam `key=value`"));
        }
        let (key_text, mut value): (&[u8], Option<Vec<u8>>) = match t.text.iter().position(|&c| c == b'=') {
            None => (t.text, None),
            Some(eq) => {
                let k = t.text.get(..eq).unwrap_or(&[]);
                let rest = t.text.get(eq + 1..).unwrap_or(&[]);
                if rest.is_empty() {
                    // `key="value"`: the quoted string right after the `=`.
                    match toks.get(i) {
                        Some(q) if q.quoted && q.pos.offset == t.pos.offset + t.text.len() => {
                            i += 1;
                            (k, Some(unescape(q)?))
                        }
                        _ => (k, Some(Vec::new())),
                    }
                } else {
                    let vt = Token { text: rest, quoted: false, pos: t.pos.advanced(eq + 1) };
                    (k, Some(unescape(&vt)?))
                }
            }
        };
        let Some(key) = svc_key(key_text) else {
            return Err(TextError::new(
                t.pos,
                format!(
                    "unknown SvcParamKey `{}` (known: {}, or keyNNNNN)",
                    show(key_text),
                    SVC_KEYS.join(", ")
                ),
            ));
        };
        let kname = show(key_text);
        let verr = |m: &str| TextError::new(t.pos, format!("bad value for SvcParam `{kname}`: {m}"));
        let mut wire = Vec::new();
        match key {
            0 => {
                let v = value.take().ok_or_else(|| verr("a list of keys is required"))?;
                let mut keys = Vec::new();
                for item in value_list(&v) {
                    let k = svc_key(&item).ok_or_else(|| verr(&format!("unknown key `{}`", show(&item))))?;
                    if k == 0 {
                        return Err(verr("`mandatory` cannot list itself"));
                    }
                    keys.push(k);
                }
                keys.sort_unstable();
                if keys.windows(2).any(|w| w[0] == w[1]) {
                    return Err(verr("a key is listed twice"));
                }
                for k in keys {
                    wire.extend_from_slice(&k.to_be_bytes());
                }
            }
            1 => {
                let v = value.take().ok_or_else(|| verr("a list of protocol ids is required"))?;
                for id in value_list(&v) {
                    let len =
                        u8::try_from(id.len()).map_err(|_| verr("protocol id longer than 255 bytes"))?;
                    if len == 0 {
                        return Err(verr("empty protocol id"));
                    }
                    wire.push(len);
                    wire.extend_from_slice(&id);
                }
            }
            2 | 8 => {
                if value.is_some() {
                    return Err(verr("this key takes no value"));
                }
            }
            3 => {
                let v = value.take().ok_or_else(|| verr("a port number is required"))?;
                let p = decimal(&v, 65535).ok_or_else(|| verr("expected a port number from 0 to 65535"))?;
                wire.extend_from_slice(&(p as u16).to_be_bytes());
            }
            4 => {
                let v = value.take().ok_or_else(|| verr("a list of IPv4 addresses is required"))?;
                for a in v.split(|&c| c == b',') {
                    let ip = core::str::from_utf8(a)
                        .ok()
                        .and_then(|s| Ipv4Addr::from_str(s).ok())
                        .ok_or_else(|| verr(&format!("expected an IPv4 address, found `{}`", show(a))))?;
                    wire.extend_from_slice(&ip.octets());
                }
            }
            6 => {
                let v = value.take().ok_or_else(|| verr("a list of IPv6 addresses is required"))?;
                for a in v.split(|&c| c == b',') {
                    let ip = core::str::from_utf8(a)
                        .ok()
                        .and_then(|s| Ipv6Addr::from_str(s).ok())
                        .ok_or_else(|| verr(&format!("expected an IPv6 address, found `{}`", show(a))))?;
                    wire.extend_from_slice(&ip.octets());
                }
            }
            5 => {
                let v = value.take().ok_or_else(|| verr("base64 ECHConfigList is required"))?;
                let vt = Token { text: &v, quoted: false, pos: t.pos };
                wire = base64_tokens(core::slice::from_ref(&vt), "ech value")?;
            }
            7 => {
                let v = value.take().ok_or_else(|| verr("a URI template is required"))?;
                if core::str::from_utf8(&v).is_err() {
                    return Err(verr("dohpath must be UTF-8"));
                }
                wire = v;
            }
            _ => wire = value.take().unwrap_or_default(),
        }
        if wire.len() > 65535 {
            return Err(verr("value longer than 65535 bytes"));
        }
        if params.iter().any(|(p, _)| p.key == key) {
            return Err(TextError::new(t.pos, format!("SvcParam `{kname}` appears twice")));
        }
        params.push((SvcParam { key, value: wire }, t.pos));
    }
    params.sort_by_key(|(p, _)| p.key);
    // Self-consistency (RFC 9460 §7.1.1, §8).
    if let Some((m, pos)) = params.iter().find(|(p, _)| p.key == 0) {
        for k in m.value.chunks_exact(2) {
            let k = u16::from_be_bytes([k[0], k[1]]);
            if !params.iter().any(|(p, _)| p.key == k) {
                return Err(TextError::new(
                    *pos,
                    format!("`mandatory` lists key{k} but the record does not have it"),
                ));
            }
        }
    }
    if let Some((_, pos)) = params.iter().find(|(p, _)| p.key == 2) {
        if !params.iter().any(|(p, _)| p.key == 1) {
            return Err(TextError::new(*pos, "`no-default-alpn` needs an `alpn` parameter too"));
        }
    }
    Ok(SvcbRdata { priority, target, params: params.into_iter().map(|(p, _)| p).collect() })
}

// ---------------------------------------------------------------- LOC

/// A decimal with up to `frac` fraction digits, scaled by 10^frac; sign
/// allowed when `signed`.
fn fixed_point(text: &[u8], frac: u32, signed: bool) -> Option<i64> {
    let (neg, body) = match text.split_first() {
        Some((b'-', rest)) if signed => (true, rest),
        _ => (false, text),
    };
    let mut parts = body.splitn(2, |&c| c == b'.');
    let int = parts.next()?;
    let fr = parts.next().unwrap_or(&[]);
    if int.is_empty() || fr.len() > frac as usize || int.len() > 12 {
        return None;
    }
    if body.contains(&b'.') && fr.is_empty() {
        return None;
    }
    let i = decimal(int, 999_999_999_999)? as i64;
    let mut f = if fr.is_empty() { 0 } else { decimal(fr, 999)? as i64 };
    for _ in fr.len()..frac as usize {
        f *= 10;
    }
    let v = i * 10i64.pow(frac) + f;
    Some(if neg { -v } else { v })
}

/// Meters with an optional `m`, in centimetres.
fn meters(t: &Token<'_>, what: &str, signed: bool) -> Result<i64, TextError> {
    let text = t.text.strip_suffix(b"m").or_else(|| t.text.strip_suffix(b"M")).unwrap_or(t.text);
    fixed_point(text, 2, signed)
        .ok_or_else(|| tok_err(t, &format!("the {what} in meters (like `10m` or `2.5`)")))
}

fn precision(cm: i64) -> u8 {
    let mut v = cm.max(0) as u64;
    let mut e = 0u8;
    while v >= 10 && e < 9 {
        v /= 10;
        e += 1;
    }
    ((v.min(9) as u8) << 4) | e
}

/// LOC (RFC 1876 §3): `d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [siz[m]
/// [hp[m] [vp[m]]]]`.
fn loc(f: &mut Fields<'_, '_>) -> Result<Loc, TextError> {
    let latitude = coordinate(f, "latitude", 90, b'N', b'S')?;
    let longitude = coordinate(f, "longitude", 180, b'E', b'W')?;
    let t = f.next("altitude")?;
    let alt = meters(t, "altitude", true)?;
    if !(-10_000_000..=i64::from(u32::MAX) - 10_000_000).contains(&alt) {
        return Err(tok_err(t, "an altitude from -100000.00m to 42849672.95m"));
    }
    let mut prec = [0x12u8, 0x16, 0x13];
    for (p, what) in prec.iter_mut().zip(["size", "horizontal precision", "vertical precision"]) {
        let Some(t) = f.peek() else { break };
        f.i += 1;
        let cm = meters(t, what, false)?;
        if cm > 9_000_000_000 {
            return Err(tok_err(t, &format!("a {what} of at most 90000000.00m")));
        }
        *p = precision(cm);
    }
    Ok(Loc {
        version: 0,
        size: prec[0],
        horiz_pre: prec[1],
        vert_pre: prec[2],
        latitude,
        longitude,
        altitude: (alt + 10_000_000) as u32,
    })
}

fn coordinate(f: &mut Fields<'_, '_>, what: &str, max_deg: u64, pos: u8, neg: u8) -> Result<u32, TextError> {
    let t = f.next(what)?;
    let deg = decimal(t.text, max_deg)
        .ok_or_else(|| tok_err(t, &format!("degrees (0 to {max_deg}) of the {what}")))?;
    let mut minutes = 0u64;
    let mut millis = 0i64;
    let mut hemi = f.next(what)?;
    if hemi.text.first().is_some_and(u8::is_ascii_digit) {
        minutes = decimal(hemi.text, 59)
            .ok_or_else(|| tok_err(hemi, &format!("minutes (0 to 59) of the {what}")))?;
        hemi = f.next(what)?;
        if hemi.text.first().is_some_and(u8::is_ascii_digit) {
            millis = fixed_point(hemi.text, 3, false)
                .filter(|&v| v < 60_000)
                .ok_or_else(|| tok_err(hemi, &format!("seconds (0 to 59.999) of the {what}")))?;
            hemi = f.next(what)?;
        }
    }
    let sign = match hemi.text {
        [c] if c.to_ascii_uppercase() == pos => 1i64,
        [c] if c.to_ascii_uppercase() == neg => -1,
        _ => {
            return Err(tok_err(hemi, &format!("`{}` or `{}` after the {what}", pos as char, neg as char)));
        }
    };
    let total = ((deg as i64 * 60 + minutes as i64) * 60) * 1000 + millis;
    if total > max_deg as i64 * 3_600_000 {
        return Err(TextError::new(t.pos, format!("the {what} is beyond {max_deg} degrees")));
    }
    Ok(((1i64 << 31) + sign * total) as u32)
}

// ---------------------------------------------------------------- opaque types

/// Presentation forms of types the codec keeps as opaque bytes, into wire
/// form.
fn opaque_type(rtype: Rtype, f: &mut Fields<'_, '_>, o: &Name) -> Result<Vec<u8>, TextError> {
    let mut w = Vec::new();
    match rtype {
        // RFC 1035 §3.3: a single domain name.
        Rtype::MB | Rtype::MG | Rtype::MR | Rtype::MD | Rtype::MF => {
            w.extend_from_slice(f.name("domain name", o)?.as_wire());
        }
        // RFC 1035 §3.3.7.
        Rtype::MINFO => {
            w.extend_from_slice(f.name("responsible mailbox", o)?.as_wire());
            w.extend_from_slice(f.name("error mailbox", o)?.as_wire());
        }
        // RFC 1183 §1, §3.3; RFC 2230; RFC 6742 (LP).
        Rtype::AFSDB | Rtype::RT | Rtype::KX | Rtype::LP => {
            w.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            w.extend_from_slice(f.name("host name", o)?.as_wire());
        }
        // RFC 2163.
        Rtype::PX => {
            w.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            w.extend_from_slice(f.name("MAP822 name", o)?.as_wire());
            w.extend_from_slice(f.name("MAPX400 name", o)?.as_wire());
        }
        // RFC 7553 §4.5: priority weight "target".
        Rtype::URI => {
            w.extend_from_slice(&f.u16("priority")?.to_be_bytes());
            w.extend_from_slice(&f.u16("weight")?.to_be_bytes());
            let t = f.next("target URI")?;
            w.extend_from_slice(&unescape(t)?);
        }
        // RFC 7929, RFC 4701: base64.
        Rtype::OPENPGPKEY | Rtype::DHCID => w = f.base64_rest("key data", false)?,
        // RFC 8162, same form as TLSA.
        Rtype::SMIMEA => {
            w.push(f.u8("certificate usage")?);
            w.push(f.u8("selector")?);
            w.push(f.u8("matching type")?);
            w.extend_from_slice(&f.hex_rest("certificate association data", false)?);
        }
        // RFC 8976 §2.3.
        Rtype::ZONEMD => {
            w.extend_from_slice(&f.u32("serial")?.to_be_bytes());
            w.push(f.u8("scheme")?);
            w.push(f.u8("hash algorithm")?);
            w.extend_from_slice(&f.hex_rest("digest", false)?);
        }
        // RFC 7477 §3.
        Rtype::CSYNC => {
            w.extend_from_slice(&f.u32("SOA serial")?.to_be_bytes());
            w.extend_from_slice(&f.u16("flags")?.to_be_bytes());
            type_bitmap_wire(&f.type_list()?, &mut w);
        }
        // RFC 7043 §3.2, §4.2.
        Rtype::EUI48 | Rtype::EUI64 => {
            let n = if rtype == Rtype::EUI48 { 6 } else { 8 };
            let t = f.next("address")?;
            let parts: Vec<&[u8]> = t.text.split(|&c| c == b'-').collect();
            if parts.len() != n || parts.iter().any(|p| p.len() != 2) {
                return Err(tok_err(t, &format!("{n} hex pairs separated by `-`")));
            }
            for p in parts {
                let (Some(h), Some(l)) =
                    (p.first().and_then(|&c| hex_val(c)), p.get(1).and_then(|&c| hex_val(c)))
                else {
                    return Err(tok_err(t, &format!("{n} hex pairs separated by `-`")));
                };
                w.push((h << 4) | l);
            }
        }
        // RFC 6742 §2.3, §2.4.
        Rtype::L32 => {
            w.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            let t = f.next("locator")?;
            w.extend_from_slice(&ipv4(t)?.octets());
        }
        Rtype::NID | Rtype::L64 => {
            w.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            let t = f.next("identifier")?;
            let groups: Vec<&[u8]> = t.text.split(|&c| c == b':').collect();
            if groups.len() != 4 || groups.iter().any(|g| g.is_empty() || g.len() > 4) {
                return Err(tok_err(t, "four groups of hex digits like `0014:4fff:ff20:ee64`"));
            }
            for g in groups {
                let v = g
                    .iter()
                    .try_fold(0u16, |a, &c| hex_val(c).map(|d| (a << 4) | u16::from(d)))
                    .ok_or_else(|| tok_err(t, "four groups of hex digits like `0014:4fff:ff20:ee64`"))?;
                w.extend_from_slice(&v.to_be_bytes());
            }
        }
        // RFC 1183 §3.1, §3.2.
        Rtype::X25 => {
            let s = f.string("PSDN address")?;
            w.push(s.len() as u8);
            w.extend_from_slice(&s);
        }
        Rtype::ISDN => {
            let s = f.string("ISDN address")?;
            w.push(s.len() as u8);
            w.extend_from_slice(&s);
            if f.peek().is_some() {
                let sa = f.string("subaddress")?;
                w.push(sa.len() as u8);
                w.extend_from_slice(&sa);
            }
        }
        _ => {
            return Err(TextError::new(
                f.toks.first().map_or(f.end, |t| t.pos),
                format!(
                    "RR type {rtype} has no presentation form here; write its data in the RFC 3597 form `\\# length hex`"
                ),
            ));
        }
    }
    if w.len() > 65535 {
        return Err(TextError::new(f.end, format!("{rtype} RDATA longer than 65535 bytes")));
    }
    Ok(w)
}

/// The NSEC-style type bit maps (RFC 4034 §4.1.2) in wire form.
fn type_bitmap_wire(types: &TypeBitmap, out: &mut Vec<u8>) {
    let mut window: Option<(u8, [u8; 32], usize)> = None;
    let flush = |w: &Option<(u8, [u8; 32], usize)>, out: &mut Vec<u8>| {
        if let Some((n, bits, len)) = w {
            out.push(*n);
            out.push(*len as u8);
            out.extend_from_slice(bits.get(..*len).unwrap_or(&[]));
        }
    };
    for t in types.types() {
        let (hi, lo) = ((t.0 >> 8) as u8, (t.0 & 0xff) as u8);
        if window.as_ref().is_none_or(|(n, _, _)| *n != hi) {
            flush(&window, out);
            window = Some((hi, [0; 32], 0));
        }
        if let Some((_, bits, len)) = window.as_mut() {
            let byte = usize::from(lo / 8);
            if let Some(b) = bits.get_mut(byte) {
                *b |= 0x80 >> (lo % 8);
            }
            *len = (*len).max(byte + 1);
        }
    }
    flush(&window, out);
}
