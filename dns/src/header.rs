//! The DNS message header (RFC 1035 §4.1.1, with AD and CD from RFC 4035 §3.2).
//!
//! ## Wire format
//!
//! ```text
//!   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                      ID                       |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    QDCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    ANCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    NSCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    ARCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! ```
//!
//! All fields are big-endian.

use bytes::BufMut;

/// Errors from decoding a DNS header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is shorter than the 12-byte header.
    #[error("DNS header truncated: needed {needed} bytes, got {got}")]
    Truncated {
        /// Bytes needed to decode the header.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
}

macro_rules! open_enum {
    ($(#[$meta:meta])* $ty:ident { $($(#[$doc:meta])* $name:ident = $code:literal,)* }) => {
        $(#[$meta])*
        ///
        /// Open: values without a name decode to `Unknown` and encode back to the same
        /// value. The header field is 4 bits wide, so [`Header::emit`] writes only the
        /// low 4 bits of an `Unknown` value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty {
            $($(#[$doc])* $name,)*
            /// A value without a name here.
            Unknown(u8),
        }

        impl From<u8> for $ty {
            fn from(code: u8) -> Self {
                match code {
                    $($code => Self::$name,)*
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$ty> for u8 {
            fn from(value: $ty) -> u8 {
                match value {
                    $($ty::$name => $code,)*
                    $ty::Unknown(code) => code,
                }
            }
        }
    };
}

open_enum! {
    /// The kind of query (RFC 1035 §4.1.1, IANA "DNS OpCodes").
    Opcode {
        /// Standard query (RFC 1035).
        Query = 0,
        /// Inverse query, obsolete (RFC 3425).
        IQuery = 1,
        /// Server status request (RFC 1035).
        Status = 2,
        /// Zone change notification (RFC 1996).
        Notify = 4,
        /// Dynamic update (RFC 2136).
        Update = 5,
    }
}

open_enum! {
    /// The response code in the header (RFC 1035 §4.1.1, RFC 2136 §2.2).
    Rcode {
        /// No error condition.
        NoError = 0,
        /// Format error: the server could not interpret the query.
        FormErr = 1,
        /// Server failure.
        ServFail = 2,
        /// The name does not exist (NXDOMAIN).
        NxDomain = 3,
        /// Not implemented.
        NotImp = 4,
        /// Refused for policy reasons.
        Refused = 5,
        /// A name exists when it should not (YXDOMAIN, RFC 2136).
        YxDomain = 6,
        /// An RR set exists when it should not (YXRRSET, RFC 2136).
        YxRrSet = 7,
        /// An RR set that should exist does not (NXRRSET, RFC 2136).
        NxRrSet = 8,
        /// Server not authoritative for the zone, or not authorized (RFC 2136, RFC 8945).
        NotAuth = 9,
        /// Name not contained in the zone (RFC 2136).
        NotZone = 10,
    }
}

/// The DNS message header (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Query id, copied into the response.
    pub id: u16,
    /// QR: `true` for a response, `false` for a query.
    pub qr: bool,
    /// Kind of query.
    pub opcode: Opcode,
    /// AA: authoritative answer.
    pub aa: bool,
    /// TC: the message was truncated.
    pub tc: bool,
    /// RD: recursion desired.
    pub rd: bool,
    /// RA: recursion available.
    pub ra: bool,
    /// Z: reserved, must be zero; kept so that it survives decode and encode.
    pub z: bool,
    /// AD: authentic data (RFC 4035 §3.2.3).
    pub ad: bool,
    /// CD: checking disabled (RFC 4035 §3.2.2).
    pub cd: bool,
    /// Response code (the low 4 bits; EDNS extends it in the OPT record).
    pub rcode: Rcode,
    /// Number of entries in the question section.
    pub qdcount: u16,
    /// Number of resource records in the answer section.
    pub ancount: u16,
    /// Number of resource records in the authority section.
    pub nscount: u16,
    /// Number of resource records in the additional section.
    pub arcount: u16,
}

const QR: u16 = 1 << 15;
const AA: u16 = 1 << 10;
const TC: u16 = 1 << 9;
const RD: u16 = 1 << 8;
const RA: u16 = 1 << 7;
const Z: u16 = 1 << 6;
const AD: u16 = 1 << 5;
const CD: u16 = 1 << 4;

impl Header {
    /// Size of the header on the wire.
    pub const LEN: usize = 12;

    /// Decodes the header from the first 12 bytes of `buf`; later bytes are ignored.
    pub fn parse(buf: &[u8]) -> Result<Header, Error> {
        let Some(bytes) = buf.first_chunk::<12>() else {
            return Err(Error::Truncated { needed: Self::LEN, got: buf.len() });
        };
        let word = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
        let flags = word(2);
        Ok(Header {
            id: word(0),
            qr: flags & QR != 0,
            opcode: Opcode::from(((flags >> 11) & 0xf) as u8),
            aa: flags & AA != 0,
            tc: flags & TC != 0,
            rd: flags & RD != 0,
            ra: flags & RA != 0,
            z: flags & Z != 0,
            ad: flags & AD != 0,
            cd: flags & CD != 0,
            rcode: Rcode::from((flags & 0xf) as u8),
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        })
    }

    /// The 16-bit flags word (second field of the header) built from the fields.
    ///
    /// Only the low 4 bits of `opcode` and `rcode` are used.
    pub fn flags(&self) -> u16 {
        let bit = |set: bool, mask: u16| if set { mask } else { 0 };
        bit(self.qr, QR)
            | (u16::from(u8::from(self.opcode) & 0xf) << 11)
            | bit(self.aa, AA)
            | bit(self.tc, TC)
            | bit(self.rd, RD)
            | bit(self.ra, RA)
            | bit(self.z, Z)
            | bit(self.ad, AD)
            | bit(self.cd, CD)
            | u16::from(u8::from(self.rcode) & 0xf)
    }

    /// Encodes the header (12 bytes) into `buf`.
    ///
    /// # Panics
    ///
    /// Panics if `buf` cannot grow to take 12 more bytes (as [`BufMut::put_u16`] does).
    pub fn emit(&self, buf: &mut impl BufMut) {
        for word in [self.id, self.flags(), self.qdcount, self.ancount, self.nscount, self.arcount] {
            buf.put_u16(word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn emitted(h: &Header) -> Vec<u8> {
        let mut out = Vec::new();
        h.emit(&mut out);
        out
    }

    /// Header of `dig example.com A` (RD and AD set, one question, one OPT record).
    #[test]
    fn dig_query() {
        let bytes = [0xa1, 0xb2, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        let h = Header::parse(&bytes).unwrap();
        let want = Header {
            id: 0xa1b2,
            qr: false,
            opcode: Opcode::Query,
            aa: false,
            tc: false,
            rd: true,
            ra: false,
            z: false,
            ad: true,
            cd: false,
            rcode: Rcode::NoError,
            qdcount: 1,
            ancount: 0,
            nscount: 0,
            arcount: 1,
        };
        assert_eq!(h, want);
        assert_eq!(emitted(&h), bytes);
    }

    /// Header of an authoritative NXDOMAIN answer with an SOA in the authority section.
    #[test]
    fn nxdomain_response() {
        let bytes = [0x12, 0x34, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
        let h = Header::parse(&bytes).unwrap();
        assert!(h.qr && h.aa && h.rd && !h.ra && !h.tc);
        assert_eq!((h.opcode, h.rcode), (Opcode::Query, Rcode::NxDomain));
        assert_eq!((h.qdcount, h.ancount, h.nscount, h.arcount), (1, 0, 1, 0));
        assert_eq!(emitted(&h), bytes);
    }

    #[test]
    fn every_flags_word_round_trips() {
        for flags in 0..=u16::MAX {
            let [f0, f1] = flags.to_be_bytes();
            let bytes = [0xff, 0xfe, f0, f1, 0, 1, 0, 2, 0, 3, 0, 4];
            let h = Header::parse(&bytes).unwrap();
            assert_eq!(h.flags(), flags);
            assert_eq!(emitted(&h), bytes, "flags {flags:#06x}");
        }
    }

    #[test]
    fn codepoints() {
        for code in 0..16u8 {
            assert_eq!(u8::from(Opcode::from(code)), code);
            assert_eq!(u8::from(Rcode::from(code)), code);
            let known = matches!(code, 0..=2 | 4 | 5);
            assert_eq!(!matches!(Opcode::from(code), Opcode::Unknown(_)), known);
            assert_eq!(!matches!(Rcode::from(code), Rcode::Unknown(_)), code <= 10);
        }
        assert_eq!(Opcode::from(3), Opcode::Unknown(3));
        assert_eq!(Rcode::from(10), Rcode::NotZone);
    }

    #[test]
    fn truncated() {
        let bytes = [0u8; 12];
        for n in 0..Header::LEN {
            assert_eq!(Header::parse(&bytes[..n]), Err(Error::Truncated { needed: 12, got: n }));
        }
    }
}
