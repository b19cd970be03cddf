//! Record type and class codepoints (RFC 1035 §3.2.2–§3.2.5, IANA "Resource
//! Record (RR) TYPEs" and "DNS CLASSes"), with their mnemonics and the RFC 3597
//! §5 `TYPEnnn` / `CLASSnnn` forms.

use core::fmt;
use core::str::FromStr;

/// A record type (RFC 1035 §3.2.2): an open integer newtype, so every value
/// survives decode and encode. Display prints the mnemonic or `TYPEnnn`
/// (RFC 3597 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rtype(pub u16);

/// A record class (RFC 1035 §3.2.4): an open integer newtype. Display prints the
/// mnemonic or `CLASSnnn` (RFC 3597 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Class(pub u16);

/// A mnemonic that names no type or class and is not in `TYPEnnn`/`CLASSnnn` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown type or class mnemonic")]
pub struct UnknownMnemonic;

macro_rules! rtypes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $text:literal;)*) => {
        impl Rtype {
            $($(#[$doc])* pub const $name: Rtype = Rtype($code);)*

            /// The mnemonic of a known type (`"A"`, `"NSEC3PARAM"`), if any.
            pub fn mnemonic(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($text),)*
                    _ => None,
                }
            }

            fn from_mnemonic(s: &str) -> Option<Rtype> {
                $(if s.eq_ignore_ascii_case($text) { return Some(Rtype($code)); })*
                None
            }
        }
    };
}

rtypes! {
    /// IPv4 host address (RFC 1035 §3.4.1).
    A = 1, "A";
    /// Authoritative name server (RFC 1035 §3.3.11).
    NS = 2, "NS";
    /// Mail destination, obsolete (RFC 1035 §3.3.4).
    MD = 3, "MD";
    /// Mail forwarder, obsolete (RFC 1035 §3.3.5).
    MF = 4, "MF";
    /// Canonical name (RFC 1035 §3.3.1).
    CNAME = 5, "CNAME";
    /// Start of authority (RFC 1035 §3.3.13).
    SOA = 6, "SOA";
    /// Mailbox domain name (RFC 1035 §3.3.3).
    MB = 7, "MB";
    /// Mail group member (RFC 1035 §3.3.6).
    MG = 8, "MG";
    /// Mail rename (RFC 1035 §3.3.8).
    MR = 9, "MR";
    /// Null record (RFC 1035 §3.3.10).
    NULL = 10, "NULL";
    /// Well-known services (RFC 1035 §3.4.2).
    WKS = 11, "WKS";
    /// Domain name pointer (RFC 1035 §3.3.12).
    PTR = 12, "PTR";
    /// Host information (RFC 1035 §3.3.2).
    HINFO = 13, "HINFO";
    /// Mailbox information (RFC 1035 §3.3.7).
    MINFO = 14, "MINFO";
    /// Mail exchange (RFC 1035 §3.3.9).
    MX = 15, "MX";
    /// Text strings (RFC 1035 §3.3.14).
    TXT = 16, "TXT";
    /// Responsible person (RFC 1183 §2.2).
    RP = 17, "RP";
    /// AFS database (RFC 1183 §1).
    AFSDB = 18, "AFSDB";
    /// X.25 address (RFC 1183 §3.1).
    X25 = 19, "X25";
    /// ISDN address (RFC 1183 §3.2).
    ISDN = 20, "ISDN";
    /// Route through (RFC 1183 §3.3).
    RT = 21, "RT";
    /// NSAP address (RFC 1706).
    NSAP = 22, "NSAP";
    /// NSAP pointer (RFC 1706).
    NSAP_PTR = 23, "NSAP-PTR";
    /// Signature, obsolete (RFC 2535).
    SIG = 24, "SIG";
    /// Key, obsolete except for SIG(0)/TKEY (RFC 2535, RFC 3445).
    KEY = 25, "KEY";
    /// X.400 mapping (RFC 2163).
    PX = 26, "PX";
    /// Geographical position (RFC 1712).
    GPOS = 27, "GPOS";
    /// IPv6 address (RFC 3596 §2).
    AAAA = 28, "AAAA";
    /// Location (RFC 1876).
    LOC = 29, "LOC";
    /// Next domain, obsolete (RFC 2535).
    NXT = 30, "NXT";
    /// Service location (RFC 2782).
    SRV = 33, "SRV";
    /// ATM address.
    ATMA = 34, "ATMA";
    /// Naming authority pointer (RFC 3403 §4).
    NAPTR = 35, "NAPTR";
    /// Key exchanger (RFC 2230).
    KX = 36, "KX";
    /// Certificate (RFC 4398).
    CERT = 37, "CERT";
    /// IPv6 address, historic (RFC 6563).
    A6 = 38, "A6";
    /// Delegation name (RFC 6672).
    DNAME = 39, "DNAME";
    /// EDNS option pseudo-record (RFC 6891 §6).
    OPT = 41, "OPT";
    /// Address prefix list (RFC 3123).
    APL = 42, "APL";
    /// Delegation signer (RFC 4034 §5).
    DS = 43, "DS";
    /// SSH key fingerprint (RFC 4255).
    SSHFP = 44, "SSHFP";
    /// IPsec key (RFC 4025).
    IPSECKEY = 45, "IPSECKEY";
    /// Resource record signature (RFC 4034 §3).
    RRSIG = 46, "RRSIG";
    /// Next secure (RFC 4034 §4).
    NSEC = 47, "NSEC";
    /// DNS public key (RFC 4034 §2).
    DNSKEY = 48, "DNSKEY";
    /// DHCP identifier (RFC 4701).
    DHCID = 49, "DHCID";
    /// Hashed next secure (RFC 5155 §3).
    NSEC3 = 50, "NSEC3";
    /// NSEC3 parameters (RFC 5155 §4).
    NSEC3PARAM = 51, "NSEC3PARAM";
    /// TLS association (RFC 6698 §2).
    TLSA = 52, "TLSA";
    /// S/MIME association (RFC 8162).
    SMIMEA = 53, "SMIMEA";
    /// Host identity protocol (RFC 8005).
    HIP = 55, "HIP";
    /// Child DS (RFC 7344 §3.1).
    CDS = 59, "CDS";
    /// Child DNSKEY (RFC 7344 §3.2).
    CDNSKEY = 60, "CDNSKEY";
    /// OpenPGP key (RFC 7929).
    OPENPGPKEY = 61, "OPENPGPKEY";
    /// Child-to-parent synchronization (RFC 7477).
    CSYNC = 62, "CSYNC";
    /// Zone message digest (RFC 8976).
    ZONEMD = 63, "ZONEMD";
    /// Service binding (RFC 9460 §2).
    SVCB = 64, "SVCB";
    /// HTTPS service binding (RFC 9460 §9).
    HTTPS = 65, "HTTPS";
    /// Sender policy framework, obsolete (RFC 7208 §3.1).
    SPF = 99, "SPF";
    /// Node identifier (RFC 6742).
    NID = 104, "NID";
    /// 32-bit locator (RFC 6742).
    L32 = 105, "L32";
    /// 64-bit locator (RFC 6742).
    L64 = 106, "L64";
    /// Name of a locator (RFC 6742).
    LP = 107, "LP";
    /// EUI-48 address (RFC 7043).
    EUI48 = 108, "EUI48";
    /// EUI-64 address (RFC 7043).
    EUI64 = 109, "EUI64";
    /// Transaction key (RFC 2930).
    TKEY = 249, "TKEY";
    /// Transaction signature (RFC 8945).
    TSIG = 250, "TSIG";
    /// Incremental zone transfer (RFC 1995).
    IXFR = 251, "IXFR";
    /// Full zone transfer (RFC 1035 §3.2.3).
    AXFR = 252, "AXFR";
    /// Mailbox-related records (RFC 1035 §3.2.3).
    MAILB = 253, "MAILB";
    /// Mail agent records, obsolete (RFC 1035 §3.2.3).
    MAILA = 254, "MAILA";
    /// All records, `*` (RFC 1035 §3.2.3, RFC 8482).
    ANY = 255, "ANY";
    /// Uniform resource identifier (RFC 7553).
    URI = 256, "URI";
    /// Certification authority authorization (RFC 8659 §4).
    CAA = 257, "CAA";
    /// DNSSEC trust authority.
    TA = 32768, "TA";
    /// DNSSEC lookaside validation, historic (RFC 4431).
    DLV = 32769, "DLV";
}

impl Rtype {
    /// True for types that may appear in questions only (RFC 1035 §3.2.3,
    /// RFC 6895 §3.1: 128..=255 meta- and q-types) or OPT.
    pub fn is_meta(self) -> bool {
        matches!(self.0, 41 | 128..=255)
    }
}

impl fmt::Display for Rtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

/// Parses `n` from `PREFIXn` (prefix matched case-insensitively).
fn numeric_form(s: &str, prefix: &str) -> Option<u16> {
    let head = s.get(..prefix.len())?;
    let digits = s.get(prefix.len()..)?;
    if !head.eq_ignore_ascii_case(prefix) || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok()
}

impl FromStr for Rtype {
    type Err = UnknownMnemonic;

    /// A mnemonic (any case) or `TYPEnnn` (RFC 3597 §5).
    fn from_str(s: &str) -> Result<Rtype, UnknownMnemonic> {
        Rtype::from_mnemonic(s).or_else(|| numeric_form(s, "TYPE").map(Rtype)).ok_or(UnknownMnemonic)
    }
}

impl From<u16> for Rtype {
    fn from(v: u16) -> Rtype {
        Rtype(v)
    }
}

impl From<Rtype> for u16 {
    fn from(v: Rtype) -> u16 {
        v.0
    }
}

impl Class {
    /// The Internet (RFC 1035 §3.2.4).
    pub const IN: Class = Class(1);
    /// Chaos (RFC 1035 §3.2.4).
    pub const CH: Class = Class(3);
    /// Hesiod (RFC 1035 §3.2.4).
    pub const HS: Class = Class(4);
    /// NONE, for dynamic update (RFC 2136 §2.4).
    pub const NONE: Class = Class(254);
    /// Any class, `*` (RFC 1035 §3.2.5).
    pub const ANY: Class = Class(255);

    /// The mnemonic of a known class, if any.
    pub fn mnemonic(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "IN",
            3 => "CH",
            4 => "HS",
            254 => "NONE",
            255 => "ANY",
            _ => return None,
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "CLASS{}", self.0),
        }
    }
}

impl FromStr for Class {
    type Err = UnknownMnemonic;

    /// `IN`, `CH` (or `CHAOS`), `HS` (or `HESIOD`), `NONE`, `ANY` in any case, or
    /// `CLASSnnn` (RFC 3597 §5).
    fn from_str(s: &str) -> Result<Class, UnknownMnemonic> {
        const NAMES: [(&str, Class); 7] = [
            ("IN", Class::IN),
            ("CH", Class::CH),
            ("CHAOS", Class::CH),
            ("HS", Class::HS),
            ("HESIOD", Class::HS),
            ("NONE", Class::NONE),
            ("ANY", Class::ANY),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|&(_, c)| c)
            .or_else(|| numeric_form(s, "CLASS").map(Class))
            .ok_or(UnknownMnemonic)
    }
}

impl From<u16> for Class {
    fn from(v: u16) -> Class {
        Class(v)
    }
}

impl From<Class> for u16 {
    fn from(v: Class) -> u16 {
        v.0
    }
}
