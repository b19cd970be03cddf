//! Presentation format of RDATA (RFC 1035 §5.1 and each type's RFC), as `dig`
//! and NSD print it on one line: names absolute, character-strings quoted,
//! hex uppercase and base64 unbroken, RFC 3597 `\# len hex` for unknown types.

use core::fmt;

use super::loc::fmt_loc;
use super::text::{Base32Hex, Base64, Hex, RrsigTime, fmt_character_string};
use super::{Rdata, TypeBitmap};
use crate::name::fmt_label;

impl fmt::Display for TypeBitmap {
    /// The type mnemonics separated by spaces (`A NS SOA RRSIG`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.types().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

/// Salt as hex, or `-` when empty (RFC 5155 §3.3).
fn fmt_salt(salt: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if salt.is_empty() { f.write_str("-") } else { write!(f, "{}", Hex(salt)) }
}

fn fmt_strings(strings: &[alloc::vec::Vec<u8>], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if strings.is_empty() {
        return f.write_str("\"\"");
    }
    for (i, s) in strings.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        fmt_character_string(s, f)?;
    }
    Ok(())
}

fn fmt_generic(data: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if data.is_empty() { f.write_str("\\# 0") } else { write!(f, "\\# {} {}", data.len(), Hex(data)) }
}

impl fmt::Display for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rdata::A(a) => write!(f, "{a}"),
            Rdata::Aaaa(a) => write!(f, "{a}"),
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Dname(n) | Rdata::Ptr(n) => write!(f, "{n}"),
            Rdata::Soa(s) => write!(
                f,
                "{} {} {} {} {} {} {}",
                s.mname, s.rname, s.serial, s.refresh, s.retry, s.expire, s.minimum
            ),
            Rdata::Mx { preference, exchange } => write!(f, "{preference} {exchange}"),
            Rdata::Txt(s) | Rdata::Spf(s) => fmt_strings(s, f),
            Rdata::Srv { priority, weight, port, target } => write!(f, "{priority} {weight} {port} {target}"),
            Rdata::Naptr(n) => {
                write!(f, "{} {} ", n.order, n.preference)?;
                for s in [&n.flags, &n.services, &n.regexp] {
                    fmt_character_string(s, f)?;
                    f.write_str(" ")?;
                }
                write!(f, "{}", n.replacement)
            }
            Rdata::Caa { flags, tag, value } => {
                write!(f, "{flags} ")?;
                fmt_label(tag, f)?;
                f.write_str(" ")?;
                fmt_character_string(value, f)
            }
            Rdata::Sshfp { algorithm, fp_type, fingerprint } => {
                write!(f, "{algorithm} {fp_type} {}", Hex(fingerprint))
            }
            Rdata::Tlsa { usage, selector, matching_type, data } => {
                write!(f, "{usage} {selector} {matching_type} {}", Hex(data))
            }
            Rdata::Svcb(s) | Rdata::Https(s) => {
                write!(f, "{} {}", s.priority, s.target)?;
                for p in &s.params {
                    write!(f, " {p}")?;
                }
                Ok(())
            }
            Rdata::Loc(l) if l.is_presentable() => fmt_loc(l, f),
            Rdata::Loc(_) => fmt_generic(&self.to_wire(), f),
            Rdata::Hinfo { cpu, os } => {
                fmt_character_string(cpu, f)?;
                f.write_str(" ")?;
                fmt_character_string(os, f)
            }
            Rdata::Rp { mbox, txt } => write!(f, "{mbox} {txt}"),
            Rdata::Ds(d) | Rdata::Cds(d) => {
                write!(f, "{} {} {} {}", d.key_tag, d.algorithm, d.digest_type, Hex(&d.digest))
            }
            Rdata::Dnskey(k) | Rdata::Cdnskey(k) => {
                write!(f, "{} {} {} {}", k.flags, k.protocol, k.algorithm, Base64(&k.public_key))
            }
            Rdata::Rrsig(s) => write!(
                f,
                "{} {} {} {} {} {} {} {} {}",
                s.type_covered,
                s.algorithm,
                s.labels,
                s.original_ttl,
                RrsigTime(s.expiration),
                RrsigTime(s.inception),
                s.key_tag,
                s.signer,
                Base64(&s.signature)
            ),
            Rdata::Nsec { next, types } => {
                write!(f, "{next}")?;
                if !types.types().is_empty() {
                    write!(f, " {types}")?;
                }
                Ok(())
            }
            Rdata::Nsec3(n) => {
                write!(f, "{} {} {} ", n.hash_algorithm, n.flags, n.iterations)?;
                fmt_salt(&n.salt, f)?;
                write!(f, " {}", Base32Hex(&n.next_hashed))?;
                if !n.types.types().is_empty() {
                    write!(f, " {}", n.types)?;
                }
                Ok(())
            }
            Rdata::Nsec3param(n) => {
                write!(f, "{} {} {} ", n.hash_algorithm, n.flags, n.iterations)?;
                fmt_salt(&n.salt, f)
            }
            Rdata::Unknown { data, .. } => fmt_generic(data, f),
        }
    }
}
