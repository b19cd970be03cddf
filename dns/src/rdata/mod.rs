//! Record data (RDATA) of every supported type, with wire decode/encode and
//! presentation format.
//!
//! Every type not modelled here is kept as opaque bytes ([`Rdata::Unknown`],
//! RFC 3597), so any record survives decode→encode byte for byte.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::name::Name;
use crate::wire::{Compressor, Reader, WireError};

mod display;
mod loc;
pub mod svcb;
pub mod text;
mod types;

pub use types::{Class, Rtype, UnknownMnemonic};

/// SOA RDATA (RFC 1035 §3.3.13).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Soa {
    /// Primary name server.
    pub mname: Name,
    /// Mailbox of the person responsible, as a name.
    pub rname: Name,
    /// Zone serial number (RFC 1982 arithmetic).
    pub serial: u32,
    /// Seconds between refreshes.
    pub refresh: u32,
    /// Seconds between retries of a failed refresh.
    pub retry: u32,
    /// Seconds after which the zone is no longer authoritative.
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308 §4).
    pub minimum: u32,
}

/// NAPTR RDATA (RFC 3403 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Naptr {
    /// Order in which records must be processed (lowest first).
    pub order: u16,
    /// Preference among records of equal order.
    pub preference: u16,
    /// Flags (a character-string).
    pub flags: Vec<u8>,
    /// Service parameters (a character-string).
    pub services: Vec<u8>,
    /// Substitution expression (a character-string).
    pub regexp: Vec<u8>,
    /// Next name to query (never compressed).
    pub replacement: Name,
}

/// One SvcParam (RFC 9460 §2.2): the key and its raw wire value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SvcParam {
    /// SvcParamKey (0 mandatory, 1 alpn, 2 no-default-alpn, 3 port, 4 ipv4hint,
    /// 5 ech, 6 ipv6hint, others `keyNNNNN`).
    pub key: u16,
    /// SvcParamValue in wire form.
    pub value: Vec<u8>,
}

/// SVCB and HTTPS RDATA (RFC 9460 §2.2).
///
/// Decoding requires keys in strictly increasing order and values well formed
/// for the keys this crate knows ([`svcb::check_value`]); build values with
/// [`SvcbRdata::new`], which sorts the params as NSD does when loading a zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SvcbRdata {
    /// SvcPriority: 0 for AliasMode, else ServiceMode priority.
    pub priority: u16,
    /// TargetName (never compressed).
    pub target: Name,
    /// SvcParams, in strictly increasing key order.
    pub params: Vec<SvcParam>,
}

impl SvcbRdata {
    /// Sorts `params` by key and checks them: duplicate keys, malformed values
    /// ([`svcb::check_value`]), and keys listed in `mandatory` but absent
    /// (RFC 9460 §8) are errors.
    pub fn new(priority: u16, target: Name, mut params: Vec<SvcParam>) -> Result<SvcbRdata, &'static str> {
        params.sort_by_key(|p| p.key);
        if params.windows(2).any(|w| w[0].key == w[1].key) {
            return Err("duplicate SvcParamKey");
        }
        params.iter().try_for_each(|p| svcb::check_value(p.key, &p.value))?;
        if let Some(m) = params.iter().find(|p| p.key == svcb::KEY_MANDATORY) {
            for k in m.value.chunks_exact(2) {
                let k = u16::from_be_bytes([k[0], k[1]]);
                if params.binary_search_by_key(&k, |p| p.key).is_err() {
                    return Err("mandatory lists a key that is absent");
                }
            }
        }
        Ok(SvcbRdata { priority, target, params })
    }
}

/// LOC RDATA (RFC 1876 §2), kept in wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    /// Version (0 is the only one defined).
    pub version: u8,
    /// Diameter of the sphere, as mantissa (high nibble) and power of ten (low nibble), in cm.
    pub size: u8,
    /// Horizontal precision, same encoding as `size`.
    pub horiz_pre: u8,
    /// Vertical precision, same encoding as `size`.
    pub vert_pre: u8,
    /// Latitude in thousandths of an arc second, 2^31 being the equator.
    pub latitude: u32,
    /// Longitude in thousandths of an arc second, 2^31 being the prime meridian.
    pub longitude: u32,
    /// Altitude in cm above a base 100,000 m below the WGS 84 spheroid.
    pub altitude: u32,
}

/// DS and CDS RDATA (RFC 4034 §5.1, RFC 7344 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ds {
    /// Key tag of the referenced DNSKEY.
    pub key_tag: u16,
    /// Algorithm of the referenced DNSKEY.
    pub algorithm: u8,
    /// Digest algorithm.
    pub digest_type: u8,
    /// The digest.
    pub digest: Vec<u8>,
}

/// DNSKEY and CDNSKEY RDATA (RFC 4034 §2.1, RFC 7344 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dnskey {
    /// Flags (256 zone key, 257 zone key + SEP).
    pub flags: u16,
    /// Protocol, always 3.
    pub protocol: u8,
    /// Algorithm.
    pub algorithm: u8,
    /// The public key.
    pub public_key: Vec<u8>,
}

/// RRSIG RDATA (RFC 4034 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rrsig {
    /// The type of the RRset covered.
    pub type_covered: Rtype,
    /// Algorithm.
    pub algorithm: u8,
    /// Labels in the original owner name (wildcard and root not counted).
    pub labels: u8,
    /// TTL of the covered RRset as in the zone.
    pub original_ttl: u32,
    /// Signature expiration, seconds since 1970 (RFC 1982 arithmetic).
    pub expiration: u32,
    /// Signature inception, seconds since 1970.
    pub inception: u32,
    /// Key tag of the signing key.
    pub key_tag: u16,
    /// Signer's name (never compressed).
    pub signer: Name,
    /// The signature.
    pub signature: Vec<u8>,
}

/// NSEC3 RDATA (RFC 5155 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec3 {
    /// Hash algorithm (1 = SHA-1).
    pub hash_algorithm: u8,
    /// Flags (bit 0: opt-out).
    pub flags: u8,
    /// Extra hash iterations.
    pub iterations: u16,
    /// Salt (0..=255 bytes).
    pub salt: Vec<u8>,
    /// Next hashed owner name, raw hash bytes (1..=255).
    pub next_hashed: Vec<u8>,
    /// Types present at the original owner name.
    pub types: TypeBitmap,
}

/// NSEC3PARAM RDATA (RFC 5155 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec3param {
    /// Hash algorithm (1 = SHA-1).
    pub hash_algorithm: u8,
    /// Flags (zero in NSEC3PARAM).
    pub flags: u8,
    /// Extra hash iterations.
    pub iterations: u16,
    /// Salt (0..=255 bytes).
    pub salt: Vec<u8>,
}

/// The type bit maps field of NSEC and NSEC3 (RFC 4034 §4.1.2): a set of types,
/// kept sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TypeBitmap {
    types: Vec<Rtype>,
}

impl TypeBitmap {
    /// A bitmap holding `types` (sorted and deduplicated here).
    pub fn new(types: impl IntoIterator<Item = Rtype>) -> TypeBitmap {
        let mut types: Vec<Rtype> = types.into_iter().collect();
        types.sort_unstable();
        types.dedup();
        TypeBitmap { types }
    }

    /// The types, ascending.
    pub fn types(&self) -> &[Rtype] {
        &self.types
    }

    /// True when `t` is in the set.
    pub fn contains(&self, t: Rtype) -> bool {
        self.types.binary_search(&t).is_ok()
    }
}

/// Record data of one resource record (RFC 1035 §3.3 and the RFCs named on each
/// variant). Unknown types are kept as opaque bytes (RFC 3597).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rdata {
    /// A (RFC 1035 §3.4.1).
    A(Ipv4Addr),
    /// AAAA (RFC 3596 §2.2).
    Aaaa(Ipv6Addr),
    /// NS (RFC 1035 §3.3.11).
    Ns(Name),
    /// CNAME (RFC 1035 §3.3.1).
    Cname(Name),
    /// DNAME (RFC 6672 §2.1).
    Dname(Name),
    /// PTR (RFC 1035 §3.3.12).
    Ptr(Name),
    /// SOA (RFC 1035 §3.3.13).
    Soa(Soa),
    /// MX (RFC 1035 §3.3.9).
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The mail exchanger.
        exchange: Name,
    },
    /// TXT (RFC 1035 §3.3.14): one or more character-strings of at most 255 bytes.
    Txt(Vec<Vec<u8>>),
    /// SPF (RFC 7208 §3.1), same format as TXT.
    Spf(Vec<Vec<u8>>),
    /// SRV (RFC 2782).
    Srv {
        /// Lower is tried first.
        priority: u16,
        /// Relative weight among equal priorities.
        weight: u16,
        /// Port of the service.
        port: u16,
        /// Target host (never compressed on encode).
        target: Name,
    },
    /// NAPTR (RFC 3403 §4.1).
    Naptr(Naptr),
    /// CAA (RFC 8659 §4.1).
    Caa {
        /// Flags (bit 7: issuer critical).
        flags: u8,
        /// Property tag (1..=255 ASCII letters and digits).
        tag: Vec<u8>,
        /// Property value.
        value: Vec<u8>,
    },
    /// SSHFP (RFC 4255 §3.1).
    Sshfp {
        /// Key algorithm.
        algorithm: u8,
        /// Fingerprint type.
        fp_type: u8,
        /// The fingerprint.
        fingerprint: Vec<u8>,
    },
    /// TLSA (RFC 6698 §2.1).
    Tlsa {
        /// Certificate usage.
        usage: u8,
        /// Selector.
        selector: u8,
        /// Matching type.
        matching_type: u8,
        /// Certificate association data.
        data: Vec<u8>,
    },
    /// SVCB (RFC 9460 §2).
    Svcb(SvcbRdata),
    /// HTTPS (RFC 9460 §9).
    Https(SvcbRdata),
    /// LOC (RFC 1876 §2).
    Loc(Loc),
    /// HINFO (RFC 1035 §3.3.2).
    Hinfo {
        /// CPU type (character-string).
        cpu: Vec<u8>,
        /// Operating system (character-string).
        os: Vec<u8>,
    },
    /// RP (RFC 1183 §2.2).
    Rp {
        /// Mailbox of the responsible person, as a name.
        mbox: Name,
        /// Name with TXT records about them.
        txt: Name,
    },
    /// DS (RFC 4034 §5.1).
    Ds(Ds),
    /// CDS (RFC 7344 §3.1).
    Cds(Ds),
    /// DNSKEY (RFC 4034 §2.1).
    Dnskey(Dnskey),
    /// CDNSKEY (RFC 7344 §3.2).
    Cdnskey(Dnskey),
    /// RRSIG (RFC 4034 §3.1).
    Rrsig(Rrsig),
    /// NSEC (RFC 4034 §4.1).
    Nsec {
        /// Next owner name in canonical order (never compressed).
        next: Name,
        /// Types at the owner name.
        types: TypeBitmap,
    },
    /// NSEC3 (RFC 5155 §3.2).
    Nsec3(Nsec3),
    /// NSEC3PARAM (RFC 5155 §4.2).
    Nsec3param(Nsec3param),
    /// Any other type, as opaque bytes (RFC 3597).
    Unknown {
        /// The record type.
        rtype: Rtype,
        /// The RDATA.
        data: Vec<u8>,
    },
}

impl Rdata {
    /// The record type of this data.
    pub fn rtype(&self) -> Rtype {
        match self {
            Rdata::A(_) => Rtype::A,
            Rdata::Aaaa(_) => Rtype::AAAA,
            Rdata::Ns(_) => Rtype::NS,
            Rdata::Cname(_) => Rtype::CNAME,
            Rdata::Dname(_) => Rtype::DNAME,
            Rdata::Ptr(_) => Rtype::PTR,
            Rdata::Soa(_) => Rtype::SOA,
            Rdata::Mx { .. } => Rtype::MX,
            Rdata::Txt(_) => Rtype::TXT,
            Rdata::Spf(_) => Rtype::SPF,
            Rdata::Srv { .. } => Rtype::SRV,
            Rdata::Naptr(_) => Rtype::NAPTR,
            Rdata::Caa { .. } => Rtype::CAA,
            Rdata::Sshfp { .. } => Rtype::SSHFP,
            Rdata::Tlsa { .. } => Rtype::TLSA,
            Rdata::Svcb(_) => Rtype::SVCB,
            Rdata::Https(_) => Rtype::HTTPS,
            Rdata::Loc(_) => Rtype::LOC,
            Rdata::Hinfo { .. } => Rtype::HINFO,
            Rdata::Rp { .. } => Rtype::RP,
            Rdata::Ds(_) => Rtype::DS,
            Rdata::Cds(_) => Rtype::CDS,
            Rdata::Dnskey(_) => Rtype::DNSKEY,
            Rdata::Cdnskey(_) => Rtype::CDNSKEY,
            Rdata::Rrsig(_) => Rtype::RRSIG,
            Rdata::Nsec { .. } => Rtype::NSEC,
            Rdata::Nsec3(_) => Rtype::NSEC3,
            Rdata::Nsec3param(_) => Rtype::NSEC3PARAM,
            Rdata::Unknown { rtype, .. } => *rtype,
        }
    }

    /// Names whose addresses belong in the additional section (RFC 1034 §4.3.2
    /// step 6, RFC 2782): the NS host, the MX exchange, the SRV target.
    pub fn additional_names(&self) -> Option<&Name> {
        match self {
            Rdata::Ns(n) => Some(n),
            Rdata::Mx { exchange, .. } => Some(exchange),
            Rdata::Srv { target, .. } => Some(target),
            _ => None,
        }
    }

    /// Decodes `rdlen` bytes of RDATA of type `rtype` at `msg[*pos..]`; `*pos` is
    /// left after them. Names may be compressed (decoders accept compression in
    /// any type, RFC 3597 §4); every field must fit in `rdlen` and fill it.
    /// LOC of a version other than 0, and types not modelled here, decode as
    /// [`Rdata::Unknown`].
    pub fn decode(rtype: Rtype, msg: &[u8], pos: &mut usize, rdlen: u16) -> Result<Rdata, WireError> {
        let start = *pos;
        let end = start.saturating_add(usize::from(rdlen));
        if end > msg.len() {
            return Err(WireError::Truncated { what: "rdata", offset: start });
        }
        let mut r = Reader::with_limit(msg, start, end);
        let rdata = decode_fields(rtype, &mut r).map_err(|e| match e {
            // A field running past RDLENGTH is a malformed RDATA, not a short message.
            WireError::Truncated { offset, .. } => {
                WireError::BadRdata { rtype, offset, reason: "field runs past RDLENGTH" }
            }
            WireError::Trailing { offset } => {
                WireError::BadRdata { rtype, offset, reason: "bytes left after the last field" }
            }
            other => other,
        })?;
        *pos = end;
        Ok(rdata)
    }

    /// Appends the RDATA (not RDLENGTH) to `buf`. Names are compressed only in
    /// NS, CNAME, SOA, PTR and MX (RFC 3597 §4: the well-known types of RFC
    /// 1035); every other name is written in full. Character-strings longer than
    /// 255 bytes are cut at 255 ([`Rdata::validate`] reports them).
    pub fn encode(&self, buf: &mut Vec<u8>, compressor: &mut Compressor) {
        let mut name = |buf: &mut Vec<u8>, n: &Name, compress: bool| compressor.write_name(buf, n, compress);
        match self {
            Rdata::A(a) => buf.extend_from_slice(&a.octets()),
            Rdata::Aaaa(a) => buf.extend_from_slice(&a.octets()),
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) => name(buf, n, true),
            Rdata::Dname(n) => name(buf, n, false),
            Rdata::Soa(soa) => {
                name(buf, &soa.mname, true);
                name(buf, &soa.rname, true);
                for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                    buf.extend_from_slice(&v.to_be_bytes());
                }
            }
            Rdata::Mx { preference, exchange } => {
                buf.extend_from_slice(&preference.to_be_bytes());
                name(buf, exchange, true);
            }
            Rdata::Txt(strings) | Rdata::Spf(strings) => {
                strings.iter().for_each(|s| put_character_string(buf, s));
            }
            Rdata::Srv { priority, weight, port, target } => {
                for v in [priority, weight, port] {
                    buf.extend_from_slice(&v.to_be_bytes());
                }
                name(buf, target, false);
            }
            Rdata::Naptr(n) => {
                buf.extend_from_slice(&n.order.to_be_bytes());
                buf.extend_from_slice(&n.preference.to_be_bytes());
                put_character_string(buf, &n.flags);
                put_character_string(buf, &n.services);
                put_character_string(buf, &n.regexp);
                name(buf, &n.replacement, false);
            }
            Rdata::Caa { flags, tag, value } => {
                buf.push(*flags);
                put_character_string(buf, tag);
                buf.extend_from_slice(value);
            }
            Rdata::Sshfp { algorithm, fp_type, fingerprint } => {
                buf.extend_from_slice(&[*algorithm, *fp_type]);
                buf.extend_from_slice(fingerprint);
            }
            Rdata::Tlsa { usage, selector, matching_type, data } => {
                buf.extend_from_slice(&[*usage, *selector, *matching_type]);
                buf.extend_from_slice(data);
            }
            Rdata::Svcb(s) | Rdata::Https(s) => {
                buf.extend_from_slice(&s.priority.to_be_bytes());
                name(buf, &s.target, false);
                for p in &s.params {
                    let len = p.value.len().min(usize::from(u16::MAX));
                    buf.extend_from_slice(&p.key.to_be_bytes());
                    buf.extend_from_slice(&(len as u16).to_be_bytes());
                    buf.extend_from_slice(&p.value[..len]);
                }
            }
            Rdata::Loc(l) => {
                buf.extend_from_slice(&[l.version, l.size, l.horiz_pre, l.vert_pre]);
                for v in [l.latitude, l.longitude, l.altitude] {
                    buf.extend_from_slice(&v.to_be_bytes());
                }
            }
            Rdata::Hinfo { cpu, os } => {
                put_character_string(buf, cpu);
                put_character_string(buf, os);
            }
            Rdata::Rp { mbox, txt } => {
                name(buf, mbox, false);
                name(buf, txt, false);
            }
            Rdata::Ds(d) | Rdata::Cds(d) => {
                buf.extend_from_slice(&d.key_tag.to_be_bytes());
                buf.extend_from_slice(&[d.algorithm, d.digest_type]);
                buf.extend_from_slice(&d.digest);
            }
            Rdata::Dnskey(k) | Rdata::Cdnskey(k) => {
                buf.extend_from_slice(&k.flags.to_be_bytes());
                buf.extend_from_slice(&[k.protocol, k.algorithm]);
                buf.extend_from_slice(&k.public_key);
            }
            Rdata::Rrsig(s) => {
                buf.extend_from_slice(&s.type_covered.0.to_be_bytes());
                buf.extend_from_slice(&[s.algorithm, s.labels]);
                for v in [s.original_ttl, s.expiration, s.inception] {
                    buf.extend_from_slice(&v.to_be_bytes());
                }
                buf.extend_from_slice(&s.key_tag.to_be_bytes());
                name(buf, &s.signer, false);
                buf.extend_from_slice(&s.signature);
            }
            Rdata::Nsec { next, types } => {
                name(buf, next, false);
                types.encode(buf);
            }
            Rdata::Nsec3(n) => {
                buf.extend_from_slice(&[n.hash_algorithm, n.flags]);
                buf.extend_from_slice(&n.iterations.to_be_bytes());
                put_character_string(buf, &n.salt);
                put_character_string(buf, &n.next_hashed);
                n.types.encode(buf);
            }
            Rdata::Nsec3param(n) => {
                buf.extend_from_slice(&[n.hash_algorithm, n.flags]);
                buf.extend_from_slice(&n.iterations.to_be_bytes());
                put_character_string(buf, &n.salt);
            }
            Rdata::Unknown { data, .. } => buf.extend_from_slice(data),
        }
    }

    /// The RDATA in uncompressed wire form (also the RFC 3597 `\#` data).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        // Names are written in full when compression is off: a fresh
        // compressor only matches names inside this RDATA, and only for the
        // compressible types, so use uncompressed writing explicitly.
        let mut c = Compressor::new();
        c.disable();
        self.encode(&mut buf, &mut c);
        buf
    }

    /// Checks what the wire format cannot hold: character-strings over 255
    /// bytes, an empty CAA tag, an empty NSEC3 hash, salts over 255 bytes,
    /// SvcParams out of order or over 65535 bytes, RDATA over 65535 bytes.
    pub fn validate(&self) -> Result<(), &'static str> {
        let cs =
            |s: &[u8]| if s.len() > 255 { Err("character-string longer than 255 bytes") } else { Ok(()) };
        match self {
            Rdata::Txt(v) | Rdata::Spf(v) => v.iter().try_for_each(|s| cs(s))?,
            Rdata::Naptr(n) => [&n.flags, &n.services, &n.regexp].iter().try_for_each(|s| cs(s))?,
            Rdata::Caa { tag, .. } => {
                cs(tag)?;
                if tag.is_empty() {
                    return Err("empty CAA tag");
                }
            }
            Rdata::Hinfo { cpu, os } => {
                cs(cpu)?;
                cs(os)?;
            }
            Rdata::Nsec3(n) => {
                cs(&n.salt)?;
                cs(&n.next_hashed)?;
                if n.next_hashed.is_empty() {
                    return Err("empty NSEC3 next hashed owner name");
                }
            }
            Rdata::Nsec3param(n) => cs(&n.salt)?,
            Rdata::Svcb(s) | Rdata::Https(s) => {
                if s.params.windows(2).any(|w| w[0].key >= w[1].key) {
                    return Err("SvcParamKeys not in strictly increasing order");
                }
                if s.params.iter().any(|p| p.value.len() > usize::from(u16::MAX)) {
                    return Err("SvcParamValue longer than 65535 bytes");
                }
                s.params.iter().try_for_each(|p| svcb::check_value(p.key, &p.value))?;
            }
            _ => {}
        }
        if self.to_wire().len() > usize::from(u16::MAX) {
            return Err("RDATA longer than 65535 bytes");
        }
        Ok(())
    }
}

/// Writes a `<character-string>` (RFC 1035 §3.3), cut at 255 bytes.
fn put_character_string(buf: &mut Vec<u8>, s: &[u8]) {
    let s = &s[..s.len().min(255)];
    buf.push(s.len() as u8);
    buf.extend_from_slice(s);
}

fn decode_fields(rtype: Rtype, r: &mut Reader<'_>) -> Result<Rdata, WireError> {
    let bad = |offset: usize, reason: &'static str| WireError::BadRdata { rtype, offset, reason };
    let rdata = match rtype {
        Rtype::A => Rdata::A(Ipv4Addr::from(r.array::<4>("A address")?)),
        Rtype::AAAA => Rdata::Aaaa(Ipv6Addr::from(r.array::<16>("AAAA address")?)),
        Rtype::NS => Rdata::Ns(r.name()?),
        Rtype::CNAME => Rdata::Cname(r.name()?),
        Rtype::DNAME => Rdata::Dname(r.name()?),
        Rtype::PTR => Rdata::Ptr(r.name()?),
        Rtype::SOA => Rdata::Soa(Soa {
            mname: r.name()?,
            rname: r.name()?,
            serial: r.u32("SOA serial")?,
            refresh: r.u32("SOA refresh")?,
            retry: r.u32("SOA retry")?,
            expire: r.u32("SOA expire")?,
            minimum: r.u32("SOA minimum")?,
        }),
        Rtype::MX => Rdata::Mx { preference: r.u16("MX preference")?, exchange: r.name()? },
        Rtype::TXT | Rtype::SPF => {
            let mut strings = Vec::new();
            while !r.is_empty() {
                strings.push(r.character_string("TXT string")?.to_vec());
            }
            if rtype == Rtype::TXT { Rdata::Txt(strings) } else { Rdata::Spf(strings) }
        }
        Rtype::SRV => Rdata::Srv {
            priority: r.u16("SRV priority")?,
            weight: r.u16("SRV weight")?,
            port: r.u16("SRV port")?,
            target: r.name()?,
        },
        Rtype::NAPTR => Rdata::Naptr(Naptr {
            order: r.u16("NAPTR order")?,
            preference: r.u16("NAPTR preference")?,
            flags: r.character_string("NAPTR flags")?.to_vec(),
            services: r.character_string("NAPTR services")?.to_vec(),
            regexp: r.character_string("NAPTR regexp")?.to_vec(),
            replacement: r.name()?,
        }),
        Rtype::CAA => {
            let flags = r.u8("CAA flags")?;
            let at = r.pos();
            let tag = r.character_string("CAA tag")?.to_vec();
            if tag.is_empty() {
                return Err(bad(at, "empty CAA tag"));
            }
            Rdata::Caa { flags, tag, value: r.rest().to_vec() }
        }
        Rtype::SSHFP => Rdata::Sshfp {
            algorithm: r.u8("SSHFP algorithm")?,
            fp_type: r.u8("SSHFP type")?,
            fingerprint: r.rest().to_vec(),
        },
        Rtype::TLSA => Rdata::Tlsa {
            usage: r.u8("TLSA usage")?,
            selector: r.u8("TLSA selector")?,
            matching_type: r.u8("TLSA matching type")?,
            data: r.rest().to_vec(),
        },
        Rtype::SVCB | Rtype::HTTPS => {
            let priority = r.u16("SvcPriority")?;
            let target = r.name()?;
            let mut params: Vec<SvcParam> = Vec::new();
            while !r.is_empty() {
                let at = r.pos();
                let key = r.u16("SvcParamKey")?;
                if params.last().is_some_and(|p| p.key >= key) {
                    return Err(bad(at, "SvcParamKeys not in strictly increasing order"));
                }
                let len = r.u16("SvcParamValue length")?;
                let value = r.bytes(usize::from(len), "SvcParamValue")?.to_vec();
                svcb::check_value(key, &value).map_err(|reason| bad(at, reason))?;
                params.push(SvcParam { key, value });
            }
            let s = SvcbRdata { priority, target, params };
            if rtype == Rtype::SVCB { Rdata::Svcb(s) } else { Rdata::Https(s) }
        }
        Rtype::LOC => {
            let version = r.u8("LOC version")?;
            if version != 0 {
                let mut data = alloc::vec![version];
                data.extend_from_slice(r.rest());
                return Ok(Rdata::Unknown { rtype, data });
            }
            Rdata::Loc(Loc {
                version,
                size: r.u8("LOC size")?,
                horiz_pre: r.u8("LOC horizontal precision")?,
                vert_pre: r.u8("LOC vertical precision")?,
                latitude: r.u32("LOC latitude")?,
                longitude: r.u32("LOC longitude")?,
                altitude: r.u32("LOC altitude")?,
            })
        }
        Rtype::HINFO => Rdata::Hinfo {
            cpu: r.character_string("HINFO cpu")?.to_vec(),
            os: r.character_string("HINFO os")?.to_vec(),
        },
        Rtype::RP => Rdata::Rp { mbox: r.name()?, txt: r.name()? },
        Rtype::DS | Rtype::CDS => {
            let d = Ds {
                key_tag: r.u16("DS key tag")?,
                algorithm: r.u8("DS algorithm")?,
                digest_type: r.u8("DS digest type")?,
                digest: r.rest().to_vec(),
            };
            if rtype == Rtype::DS { Rdata::Ds(d) } else { Rdata::Cds(d) }
        }
        Rtype::DNSKEY | Rtype::CDNSKEY => {
            let k = Dnskey {
                flags: r.u16("DNSKEY flags")?,
                protocol: r.u8("DNSKEY protocol")?,
                algorithm: r.u8("DNSKEY algorithm")?,
                public_key: r.rest().to_vec(),
            };
            if rtype == Rtype::DNSKEY { Rdata::Dnskey(k) } else { Rdata::Cdnskey(k) }
        }
        Rtype::RRSIG => Rdata::Rrsig(Rrsig {
            type_covered: Rtype(r.u16("RRSIG type covered")?),
            algorithm: r.u8("RRSIG algorithm")?,
            labels: r.u8("RRSIG labels")?,
            original_ttl: r.u32("RRSIG original TTL")?,
            expiration: r.u32("RRSIG expiration")?,
            inception: r.u32("RRSIG inception")?,
            key_tag: r.u16("RRSIG key tag")?,
            signer: r.name()?,
            signature: r.rest().to_vec(),
        }),
        Rtype::NSEC => Rdata::Nsec { next: r.name()?, types: TypeBitmap::decode(rtype, r)? },
        Rtype::NSEC3 => {
            let hash_algorithm = r.u8("NSEC3 hash algorithm")?;
            let flags = r.u8("NSEC3 flags")?;
            let iterations = r.u16("NSEC3 iterations")?;
            let salt = r.character_string("NSEC3 salt")?.to_vec();
            let at = r.pos();
            let next_hashed = r.character_string("NSEC3 next hashed owner")?.to_vec();
            if next_hashed.is_empty() {
                return Err(bad(at, "empty NSEC3 next hashed owner name"));
            }
            let types = TypeBitmap::decode(rtype, r)?;
            Rdata::Nsec3(Nsec3 { hash_algorithm, flags, iterations, salt, next_hashed, types })
        }
        Rtype::NSEC3PARAM => Rdata::Nsec3param(Nsec3param {
            hash_algorithm: r.u8("NSEC3PARAM hash algorithm")?,
            flags: r.u8("NSEC3PARAM flags")?,
            iterations: r.u16("NSEC3PARAM iterations")?,
            salt: r.character_string("NSEC3PARAM salt")?.to_vec(),
        }),
        _ => Rdata::Unknown { rtype, data: r.rest().to_vec() },
    };
    r.finish()?;
    Ok(rdata)
}

impl TypeBitmap {
    /// Decodes the type bit maps (RFC 4034 §4.1.2) filling the rest of `r`:
    /// windows in increasing order, 1..=32 bytes each, no trailing zero byte.
    fn decode(rtype: Rtype, r: &mut Reader<'_>) -> Result<TypeBitmap, WireError> {
        let bad = |offset: usize, reason: &'static str| WireError::BadRdata { rtype, offset, reason };
        let mut types = Vec::new();
        let mut last_window: Option<u8> = None;
        while !r.is_empty() {
            let at = r.pos();
            let window = r.u8("bitmap window")?;
            let len = r.u8("bitmap length")?;
            if last_window.is_some_and(|w| w >= window) {
                return Err(bad(at, "bitmap windows out of order"));
            }
            if !(1..=32).contains(&len) {
                return Err(bad(at, "bitmap length not in 1..=32"));
            }
            let bits = r.bytes(usize::from(len), "bitmap")?;
            if bits.last() == Some(&0) {
                return Err(bad(at, "bitmap with a trailing zero byte"));
            }
            for (i, &byte) in bits.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        types.push(Rtype((u16::from(window) << 8) | (i as u16 * 8 + bit)));
                    }
                }
            }
            last_window = Some(window);
        }
        Ok(TypeBitmap { types })
    }

    /// Appends the type bit maps in wire form (RFC 4034 §4.1.2).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        let mut i = 0;
        while let Some(first) = self.types.get(i) {
            let window = (first.0 >> 8) as u8;
            let mut bits = [0u8; 32];
            let mut used = 0usize;
            while let Some(t) = self.types.get(i).filter(|t| (t.0 >> 8) as u8 == window) {
                let low = usize::from(t.0 & 0xff);
                bits[low / 8] |= 0x80 >> (low % 8);
                used = used.max(low / 8 + 1);
                i += 1;
            }
            buf.extend_from_slice(&[window, used as u8]);
            buf.extend_from_slice(&bits[..used]);
        }
    }
}

#[cfg(test)]
mod dig_vectors;
#[cfg(test)]
pub(crate) mod tests;
