//! Flow match fields: OXM TLVs and `struct ofp_match` (OpenFlow 1.3.5 §7.2.3).
//!
//! ## Wire format
//!
//! An OXM TLV (§7.2.3.2) is a 4-byte header followed by `oxm_length` bytes of
//! payload: the value, then (when `oxm_hasmask` is set) a mask of the same size.
//!
//! ```text
//!  0                 2                 3        4
//! +--------+--------+--------------+--+--------+---------------------+
//! |    oxm_class    |  oxm_field   |HM| length | value [mask]        |
//! +--------+--------+--------------+--+--------+---------------------+
//! ```
//!
//! `struct ofp_match` (§7.2.3.1) is `type`, `length` (4 bytes of header plus the
//! OXM TLVs, *not* counting padding) and the TLVs, then zero padding to a
//! multiple of 8 bytes.
//!
//! The 40 `OFPXMC_OPENFLOW_BASIC` fields decode to typed values
//! ([`BasicField`]). Experimenter OXMs (class `0xffff`), other classes (e.g.
//! Nicira's `NXM_0`/`NXM_1`) and basic fields that OpenFlow 1.3 does not define
//! are kept as raw bytes and encode back byte for byte.
//!
//! Prerequisites (§7.2.3.6) are not checked on decode; call
//! [`Match::check_prerequisites`] when you want them enforced.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::BufMut;

use crate::wire::{DecodeError, Encode, ErrorKind, Reader, pad8, put_zeros};

/// `OFPMT_STANDARD`: the deprecated OpenFlow 1.1 match (§7.2.3.1). Kept raw.
pub const OFPMT_STANDARD: u16 = 0;
/// `OFPMT_OXM`: the OpenFlow extensible match (§7.2.3.1).
pub const OFPMT_OXM: u16 = 1;

/// `OFPXMC_NXM_0`: backward compatibility with Nicira NXM (§7.2.3.3).
pub const OFPXMC_NXM_0: u16 = 0x0000;
/// `OFPXMC_NXM_1`: backward compatibility with Nicira NXM (§7.2.3.3).
pub const OFPXMC_NXM_1: u16 = 0x0001;
/// `OFPXMC_OPENFLOW_BASIC`: the basic class (§7.2.3.3).
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
/// `OFPXMC_EXPERIMENTER`: experimenter class (§7.2.3.3, §7.2.3.9).
pub const OFPXMC_EXPERIMENTER: u16 = 0xffff;

/// `OFPVID_PRESENT`: bit set in `vlan_vid` when a VLAN tag is present (§7.2.3.8).
pub const OFPVID_PRESENT: u16 = 0x1000;
/// `OFPVID_NONE`: `vlan_vid` value matching packets without a VLAN tag (§7.2.3.8).
pub const OFPVID_NONE: u16 = 0x0000;

/// ONF's experimenter id (`ONF_EXPERIMENTER_ID`), used by e.g. the `pbb_uca` OXM.
pub const ONF_EXPERIMENTER_ID: u32 = 0x4f4e_4600;

/// `OFPIEH_NONEXT`: "no next header" seen (`ipv6_exthdr` bit, §7.2.3.10).
pub const OFPIEH_NONEXT: u16 = 1 << 0;
/// `OFPIEH_ESP`: encrypted security payload header seen (§7.2.3.10).
pub const OFPIEH_ESP: u16 = 1 << 1;
/// `OFPIEH_AUTH`: authentication header seen (§7.2.3.10).
pub const OFPIEH_AUTH: u16 = 1 << 2;
/// `OFPIEH_DEST`: destination options header seen (§7.2.3.10).
pub const OFPIEH_DEST: u16 = 1 << 3;
/// `OFPIEH_FRAG`: fragment header seen (§7.2.3.10).
pub const OFPIEH_FRAG: u16 = 1 << 4;
/// `OFPIEH_ROUTER`: router header seen (§7.2.3.10).
pub const OFPIEH_ROUTER: u16 = 1 << 5;
/// `OFPIEH_HOP`: hop-by-hop header seen (§7.2.3.10).
pub const OFPIEH_HOP: u16 = 1 << 6;
/// `OFPIEH_UNREP`: unexpected repeats seen (§7.2.3.10).
pub const OFPIEH_UNREP: u16 = 1 << 7;
/// `OFPIEH_UNSEQ`: unexpected sequencing seen (§7.2.3.10).
pub const OFPIEH_UNSEQ: u16 = 1 << 8;

// ---------------------------------------------------------------------------
// Value kinds: how each Rust value type sits on the wire and in os-ken JSON.

/// How one kind of OXM value is read, written and printed.
trait Kind {
    type T: Copy;
    const LEN: usize;
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self::T, DecodeError>;
    fn put<B: BufMut>(v: Self::T, buf: &mut B);
    #[cfg(feature = "json")]
    fn json(v: Self::T) -> serde_json::Value;
}

struct K8;
struct K16;
struct K24;
struct K32;
struct K64;
struct KMac;
struct KIp4;
struct KIp6;

macro_rules! int_kind {
    ($k:ident, $t:ty, $len:literal, $read:ident, $put:ident) => {
        impl Kind for $k {
            type T = $t;
            const LEN: usize = $len;
            fn read(r: &mut Reader<'_>, field: &'static str) -> Result<$t, DecodeError> {
                r.$read(field)
            }
            fn put<B: BufMut>(v: $t, buf: &mut B) {
                buf.$put(v);
            }
            #[cfg(feature = "json")]
            fn json(v: $t) -> serde_json::Value {
                v.into()
            }
        }
    };
}
int_kind!(K8, u8, 1, u8, put_u8);
int_kind!(K16, u16, 2, u16, put_u16);
int_kind!(K32, u32, 4, u32, put_u32);
int_kind!(K64, u64, 8, u64, put_u64);

impl Kind for K24 {
    type T = u32;
    const LEN: usize = 3;
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<u32, DecodeError> {
        let [a, b, c] = r.array::<3>(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }
    fn put<B: BufMut>(v: u32, buf: &mut B) {
        let [_, a, b, c] = v.to_be_bytes();
        buf.put_slice(&[a, b, c]);
    }
    #[cfg(feature = "json")]
    fn json(v: u32) -> serde_json::Value {
        v.into()
    }
}

impl Kind for KMac {
    type T = [u8; 6];
    const LEN: usize = 6;
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<[u8; 6], DecodeError> {
        r.array(field)
    }
    fn put<B: BufMut>(v: [u8; 6], buf: &mut B) {
        buf.put_slice(&v);
    }
    #[cfg(feature = "json")]
    fn json(v: [u8; 6]) -> serde_json::Value {
        crate::json::mac(v)
    }
}

impl Kind for KIp4 {
    type T = Ipv4Addr;
    const LEN: usize = 4;
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Ipv4Addr, DecodeError> {
        r.array::<4>(field).map(Ipv4Addr::from)
    }
    fn put<B: BufMut>(v: Ipv4Addr, buf: &mut B) {
        buf.put_slice(&v.octets());
    }
    #[cfg(feature = "json")]
    fn json(v: Ipv4Addr) -> serde_json::Value {
        serde_json::Value::String(alloc::format!("{v}"))
    }
}

impl Kind for KIp6 {
    type T = Ipv6Addr;
    const LEN: usize = 16;
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Ipv6Addr, DecodeError> {
        r.array::<16>(field).map(Ipv6Addr::from)
    }
    fn put<B: BufMut>(v: Ipv6Addr, buf: &mut B) {
        buf.put_slice(&v.octets());
    }
    #[cfg(feature = "json")]
    fn json(v: Ipv6Addr) -> serde_json::Value {
        serde_json::Value::String(alloc::format!("{v}"))
    }
}

// ---------------------------------------------------------------------------
// The 40 basic fields.

/// A typed `OFPXMC_OPENFLOW_BASIC` match field with its value and, for the
/// fields the spec lets you mask (OpenFlow 1.3.5 §7.2.3.7, table 11), an
/// optional mask. Single-value variants cannot be masked.
///
/// Values are kept exactly as on the wire: `vlan_vid` keeps its
/// [`OFPVID_PRESENT`] bit, `ip_dscp` is the 6-bit DSCP in the low bits of a
/// byte, `pbb_isid` uses the low 24 bits of its `u32` (encoding drops the top
/// byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BasicField {
    /// `OXM_OF_IN_PORT` (0): switch input port.
    InPort(u32),
    /// `OXM_OF_IN_PHY_PORT` (1): switch physical input port.
    InPhyPort(u32),
    /// `OXM_OF_METADATA` (2): metadata passed between tables; maskable.
    Metadata(u64, Option<u64>),
    /// `OXM_OF_ETH_DST` (3): Ethernet destination address; maskable.
    EthDst([u8; 6], Option<[u8; 6]>),
    /// `OXM_OF_ETH_SRC` (4): Ethernet source address; maskable.
    EthSrc([u8; 6], Option<[u8; 6]>),
    /// `OXM_OF_ETH_TYPE` (5): Ethernet frame type.
    EthType(u16),
    /// `OXM_OF_VLAN_VID` (6): VLAN id with the [`OFPVID_PRESENT`] bit; maskable.
    VlanVid(u16, Option<u16>),
    /// `OXM_OF_VLAN_PCP` (7): VLAN priority.
    VlanPcp(u8),
    /// `OXM_OF_IP_DSCP` (8): IP DSCP (6 bits in ToS field).
    IpDscp(u8),
    /// `OXM_OF_IP_ECN` (9): IP ECN (2 bits in ToS field).
    IpEcn(u8),
    /// `OXM_OF_IP_PROTO` (10): IP protocol.
    IpProto(u8),
    /// `OXM_OF_IPV4_SRC` (11): IPv4 source address; maskable.
    Ipv4Src(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_IPV4_DST` (12): IPv4 destination address; maskable.
    Ipv4Dst(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_TCP_SRC` (13): TCP source port.
    TcpSrc(u16),
    /// `OXM_OF_TCP_DST` (14): TCP destination port.
    TcpDst(u16),
    /// `OXM_OF_UDP_SRC` (15): UDP source port.
    UdpSrc(u16),
    /// `OXM_OF_UDP_DST` (16): UDP destination port.
    UdpDst(u16),
    /// `OXM_OF_SCTP_SRC` (17): SCTP source port.
    SctpSrc(u16),
    /// `OXM_OF_SCTP_DST` (18): SCTP destination port.
    SctpDst(u16),
    /// `OXM_OF_ICMPV4_TYPE` (19): ICMP type.
    Icmpv4Type(u8),
    /// `OXM_OF_ICMPV4_CODE` (20): ICMP code.
    Icmpv4Code(u8),
    /// `OXM_OF_ARP_OP` (21): ARP opcode.
    ArpOp(u16),
    /// `OXM_OF_ARP_SPA` (22): ARP source IPv4 address; maskable.
    ArpSpa(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_ARP_TPA` (23): ARP target IPv4 address; maskable.
    ArpTpa(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_ARP_SHA` (24): ARP source hardware address; maskable.
    ArpSha([u8; 6], Option<[u8; 6]>),
    /// `OXM_OF_ARP_THA` (25): ARP target hardware address; maskable.
    ArpTha([u8; 6], Option<[u8; 6]>),
    /// `OXM_OF_IPV6_SRC` (26): IPv6 source address; maskable.
    Ipv6Src(Ipv6Addr, Option<Ipv6Addr>),
    /// `OXM_OF_IPV6_DST` (27): IPv6 destination address; maskable.
    Ipv6Dst(Ipv6Addr, Option<Ipv6Addr>),
    /// `OXM_OF_IPV6_FLABEL` (28): IPv6 flow label (low 20 bits); maskable.
    Ipv6Flabel(u32, Option<u32>),
    /// `OXM_OF_ICMPV6_TYPE` (29): ICMPv6 type.
    Icmpv6Type(u8),
    /// `OXM_OF_ICMPV6_CODE` (30): ICMPv6 code.
    Icmpv6Code(u8),
    /// `OXM_OF_IPV6_ND_TARGET` (31): target address for neighbour discovery.
    Ipv6NdTarget(Ipv6Addr),
    /// `OXM_OF_IPV6_ND_SLL` (32): source link-layer address for ND.
    Ipv6NdSll([u8; 6]),
    /// `OXM_OF_IPV6_ND_TLL` (33): target link-layer address for ND.
    Ipv6NdTll([u8; 6]),
    /// `OXM_OF_MPLS_LABEL` (34): MPLS label (low 20 bits).
    MplsLabel(u32),
    /// `OXM_OF_MPLS_TC` (35): MPLS traffic class (low 3 bits).
    MplsTc(u8),
    /// `OXM_OF_MPLS_BOS` (36): MPLS bottom-of-stack bit.
    MplsBos(u8),
    /// `OXM_OF_PBB_ISID` (37): PBB I-SID (24 bits); maskable.
    PbbIsid(u32, Option<u32>),
    /// `OXM_OF_TUNNEL_ID` (38): logical port metadata; maskable.
    TunnelId(u64, Option<u64>),
    /// `OXM_OF_IPV6_EXTHDR` (39): IPv6 extension header pseudo-field (`OFPIEH_*` bits); maskable.
    Ipv6Exthdr(u16, Option<u16>),
}

/// Binds a variant's value (and mask, for maskable fields) in a pattern.
macro_rules! bf_pat {
    (exact, $var:ident, $v:ident, $m:ident) => {
        BasicField::$var($v)
    };
    (masked, $var:ident, $v:ident, $m:ident) => {
        BasicField::$var($v, $m)
    };
}

/// The mask bound by [`bf_pat`] as an `Option`.
macro_rules! bf_mask {
    (exact, $m:ident) => {
        None
    };
    (masked, $m:ident) => {
        *$m
    };
}

/// Builds a variant from a decoded value and mask.
macro_rules! bf_build {
    (exact, $var:ident, $v:expr, $m:expr) => {
        BasicField::$var($v)
    };
    (masked, $var:ident, $v:expr, $m:expr) => {
        BasicField::$var($v, $m)
    };
}

macro_rules! bf_maskable {
    (exact) => {
        false
    };
    (masked) => {
        true
    };
}

macro_rules! basic_fields {
    ($($var:ident = $code:literal, $const:ident, $spec:literal, $name:literal, $kind:ident, $m:ident;)*) => {
        $(
            #[doc = concat!("`OFPXMT_OFB_", stringify!($const), "`: field code of `", $spec, "` (§7.2.3.7).")]
            pub const $const: u8 = $code;
        )*

        /// Facts about one basic field code (OpenFlow 1.3.5 §7.2.3.7).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct BasicFieldInfo {
            /// `oxm_field`.
            pub code: u8,
            /// os-ken's name (`"eth_dst"`).
            pub name: &'static str,
            /// The spec's name (`"OXM_OF_ETH_DST"`).
            pub spec_name: &'static str,
            /// Bytes of the value (the mask, if any, has as many).
            pub value_len: usize,
            /// Whether the spec allows a mask.
            pub maskable: bool,
        }

        /// Facts about basic field `code`, `None` for codes OpenFlow 1.3 does not define.
        pub const fn basic_field_info(code: u8) -> Option<BasicFieldInfo> {
            match code {
                $($code => Some(BasicFieldInfo {
                    code: $code,
                    name: $name,
                    spec_name: $spec,
                    value_len: <$kind as Kind>::LEN,
                    maskable: bf_maskable!($m),
                }),)*
                _ => None,
            }
        }

        impl BasicField {
            /// The `oxm_field` code.
            pub const fn code(&self) -> u8 {
                match self {
                    $(BasicField::$var(..) => $code,)*
                }
            }

            /// os-ken's name of the field (`"eth_dst"`).
            pub const fn name(&self) -> &'static str {
                match self {
                    $(BasicField::$var(..) => $name,)*
                }
            }

            /// True when a mask is present.
            #[allow(unused_variables)]
            pub const fn has_mask(&self) -> bool {
                match self {
                    $(bf_pat!($m, $var, v, m) => {
                        let m: Option<<$kind as Kind>::T> = bf_mask!($m, m);
                        m.is_some()
                    })*
                }
            }

            /// Length of the payload (value plus mask).
            pub const fn payload_len(&self) -> usize {
                match basic_field_info(self.code()) {
                    Some(info) => info.value_len * if self.has_mask() { 2 } else { 1 },
                    None => 0,
                }
            }

            /// Writes value and mask.
            #[allow(unused_variables)]
            fn put_payload<B: BufMut>(&self, buf: &mut B) {
                match self {
                    $(bf_pat!($m, $var, v, m) => {
                        let m: Option<<$kind as Kind>::T> = bf_mask!($m, m);
                        <$kind as Kind>::put(*v, buf);
                        if let Some(m) = m {
                            <$kind as Kind>::put(m, buf);
                        }
                    })*
                }
            }

            /// The value and mask in os-ken's JSON form.
            #[cfg(feature = "json")]
            #[allow(unused_variables)]
            fn json_parts(&self) -> (serde_json::Value, serde_json::Value) {
                match self {
                    $(bf_pat!($m, $var, v, m) => {
                        let m: Option<<$kind as Kind>::T> = bf_mask!($m, m);
                        (<$kind as Kind>::json(*v), m.map_or(serde_json::Value::Null, <$kind as Kind>::json))
                    })*
                }
            }

            /// Decodes the payload of basic field `code` (already known to be
            /// defined), `hasmask` as in the header. `r` holds exactly the payload.
            fn decode_payload(code: u8, hasmask: bool, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                match code {
                    $($code => {
                        let v = <$kind as Kind>::read(r, "value")?;
                        #[allow(unused_variables)]
                        let m = if hasmask { Some(<$kind as Kind>::read(r, "mask")?) } else { None };
                        Ok(bf_build!($m, $var, v, m))
                    })*
                    _ => Err(r.error("oxm_field", ErrorKind::BadValue { value: code.into() })),
                }
            }
        }
    };
}

basic_fields! {
    InPort = 0, OFPXMT_OFB_IN_PORT, "OXM_OF_IN_PORT", "in_port", K32, exact;
    InPhyPort = 1, OFPXMT_OFB_IN_PHY_PORT, "OXM_OF_IN_PHY_PORT", "in_phy_port", K32, exact;
    Metadata = 2, OFPXMT_OFB_METADATA, "OXM_OF_METADATA", "metadata", K64, masked;
    EthDst = 3, OFPXMT_OFB_ETH_DST, "OXM_OF_ETH_DST", "eth_dst", KMac, masked;
    EthSrc = 4, OFPXMT_OFB_ETH_SRC, "OXM_OF_ETH_SRC", "eth_src", KMac, masked;
    EthType = 5, OFPXMT_OFB_ETH_TYPE, "OXM_OF_ETH_TYPE", "eth_type", K16, exact;
    VlanVid = 6, OFPXMT_OFB_VLAN_VID, "OXM_OF_VLAN_VID", "vlan_vid", K16, masked;
    VlanPcp = 7, OFPXMT_OFB_VLAN_PCP, "OXM_OF_VLAN_PCP", "vlan_pcp", K8, exact;
    IpDscp = 8, OFPXMT_OFB_IP_DSCP, "OXM_OF_IP_DSCP", "ip_dscp", K8, exact;
    IpEcn = 9, OFPXMT_OFB_IP_ECN, "OXM_OF_IP_ECN", "ip_ecn", K8, exact;
    IpProto = 10, OFPXMT_OFB_IP_PROTO, "OXM_OF_IP_PROTO", "ip_proto", K8, exact;
    Ipv4Src = 11, OFPXMT_OFB_IPV4_SRC, "OXM_OF_IPV4_SRC", "ipv4_src", KIp4, masked;
    Ipv4Dst = 12, OFPXMT_OFB_IPV4_DST, "OXM_OF_IPV4_DST", "ipv4_dst", KIp4, masked;
    TcpSrc = 13, OFPXMT_OFB_TCP_SRC, "OXM_OF_TCP_SRC", "tcp_src", K16, exact;
    TcpDst = 14, OFPXMT_OFB_TCP_DST, "OXM_OF_TCP_DST", "tcp_dst", K16, exact;
    UdpSrc = 15, OFPXMT_OFB_UDP_SRC, "OXM_OF_UDP_SRC", "udp_src", K16, exact;
    UdpDst = 16, OFPXMT_OFB_UDP_DST, "OXM_OF_UDP_DST", "udp_dst", K16, exact;
    SctpSrc = 17, OFPXMT_OFB_SCTP_SRC, "OXM_OF_SCTP_SRC", "sctp_src", K16, exact;
    SctpDst = 18, OFPXMT_OFB_SCTP_DST, "OXM_OF_SCTP_DST", "sctp_dst", K16, exact;
    Icmpv4Type = 19, OFPXMT_OFB_ICMPV4_TYPE, "OXM_OF_ICMPV4_TYPE", "icmpv4_type", K8, exact;
    Icmpv4Code = 20, OFPXMT_OFB_ICMPV4_CODE, "OXM_OF_ICMPV4_CODE", "icmpv4_code", K8, exact;
    ArpOp = 21, OFPXMT_OFB_ARP_OP, "OXM_OF_ARP_OP", "arp_op", K16, exact;
    ArpSpa = 22, OFPXMT_OFB_ARP_SPA, "OXM_OF_ARP_SPA", "arp_spa", KIp4, masked;
    ArpTpa = 23, OFPXMT_OFB_ARP_TPA, "OXM_OF_ARP_TPA", "arp_tpa", KIp4, masked;
    ArpSha = 24, OFPXMT_OFB_ARP_SHA, "OXM_OF_ARP_SHA", "arp_sha", KMac, masked;
    ArpTha = 25, OFPXMT_OFB_ARP_THA, "OXM_OF_ARP_THA", "arp_tha", KMac, masked;
    Ipv6Src = 26, OFPXMT_OFB_IPV6_SRC, "OXM_OF_IPV6_SRC", "ipv6_src", KIp6, masked;
    Ipv6Dst = 27, OFPXMT_OFB_IPV6_DST, "OXM_OF_IPV6_DST", "ipv6_dst", KIp6, masked;
    Ipv6Flabel = 28, OFPXMT_OFB_IPV6_FLABEL, "OXM_OF_IPV6_FLABEL", "ipv6_flabel", K32, masked;
    Icmpv6Type = 29, OFPXMT_OFB_ICMPV6_TYPE, "OXM_OF_ICMPV6_TYPE", "icmpv6_type", K8, exact;
    Icmpv6Code = 30, OFPXMT_OFB_ICMPV6_CODE, "OXM_OF_ICMPV6_CODE", "icmpv6_code", K8, exact;
    Ipv6NdTarget = 31, OFPXMT_OFB_IPV6_ND_TARGET, "OXM_OF_IPV6_ND_TARGET", "ipv6_nd_target", KIp6, exact;
    Ipv6NdSll = 32, OFPXMT_OFB_IPV6_ND_SLL, "OXM_OF_IPV6_ND_SLL", "ipv6_nd_sll", KMac, exact;
    Ipv6NdTll = 33, OFPXMT_OFB_IPV6_ND_TLL, "OXM_OF_IPV6_ND_TLL", "ipv6_nd_tll", KMac, exact;
    MplsLabel = 34, OFPXMT_OFB_MPLS_LABEL, "OXM_OF_MPLS_LABEL", "mpls_label", K32, exact;
    MplsTc = 35, OFPXMT_OFB_MPLS_TC, "OXM_OF_MPLS_TC", "mpls_tc", K8, exact;
    MplsBos = 36, OFPXMT_OFB_MPLS_BOS, "OXM_OF_MPLS_BOS", "mpls_bos", K8, exact;
    PbbIsid = 37, OFPXMT_OFB_PBB_ISID, "OXM_OF_PBB_ISID", "pbb_isid", K24, masked;
    TunnelId = 38, OFPXMT_OFB_TUNNEL_ID, "OXM_OF_TUNNEL_ID", "tunnel_id", K64, masked;
    Ipv6Exthdr = 39, OFPXMT_OFB_IPV6_EXTHDR, "OXM_OF_IPV6_EXTHDR", "ipv6_exthdr", K16, masked;
}

// ---------------------------------------------------------------------------
// One OXM TLV.

/// One OXM TLV (OpenFlow 1.3.5 §7.2.3.2): a typed basic field, an experimenter
/// field, or any other class kept as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Oxm {
    /// An `OFPXMC_OPENFLOW_BASIC` field OpenFlow 1.3 defines (codes 0..=39).
    Basic(BasicField),
    /// An `OFPXMC_EXPERIMENTER` field (§7.2.3.9, `struct ofp_oxm_experimenter_header`).
    /// `oxm_length` counts the 4-byte experimenter id plus `payload`.
    Experimenter {
        /// `oxm_field` (7 bits).
        field: u8,
        /// `oxm_hasmask`.
        hasmask: bool,
        /// Experimenter id.
        experimenter: u32,
        /// The bytes after the experimenter id, value and mask as sent
        /// (at most 251 bytes).
        payload: Vec<u8>,
    },
    /// Any other class (e.g. `OFPXMC_NXM_0`/`NXM_1`) or a basic field code
    /// OpenFlow 1.3 does not define (e.g. 1.4's `pbb_uca`, 41), kept raw.
    Unknown {
        /// `oxm_class`.
        class: u16,
        /// `oxm_field` (7 bits).
        field: u8,
        /// `oxm_hasmask`.
        hasmask: bool,
        /// `oxm_length` bytes of payload (at most 255).
        payload: Vec<u8>,
    },
}

/// Splits off the `body_len` bytes a length field covers as a reader named
/// `context`. When they are not all there, the error is `BadLength` with the
/// length field's own value (`len_value`), at its offset, in `context`
/// (unlike [`Reader::sub`], which names the parent structure).
pub(crate) fn sub_for<'a>(
    r: &mut Reader<'a>,
    body_len: usize,
    len_value: usize,
    len_offset: usize,
    field: &'static str,
    context: &'static str,
) -> Result<Reader<'a>, DecodeError> {
    if body_len > r.remaining() {
        return Err(DecodeError {
            message: "",
            context,
            field,
            offset: len_offset,
            kind: ErrorKind::BadLength { length: len_value },
        });
    }
    r.sub(body_len, len_offset, field, context)
}

/// Maps a header error into the `oxm_header` context.
fn in_ctx<T>(res: Result<T, DecodeError>, context: &'static str) -> Result<T, DecodeError> {
    res.map_err(|mut e| {
        e.context = context;
        e
    })
}

impl Oxm {
    /// Size of the OXM header.
    pub const HEADER_LEN: usize = 4;

    /// Decodes one OXM TLV.
    ///
    /// Errors: truncated header or payload; for a basic field, a mask on a field
    /// the spec does not let you mask (`BadValue` at `oxm_field`) or a length
    /// that does not fit the field (`BadLength` at `oxm_length`); an experimenter
    /// OXM shorter than its 4-byte id (`BadLength`).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let field_offset = r.offset() + 2;
        let (class, field, hasmask) = {
            let class = in_ctx(r.u16("oxm_class"), "oxm_header")?;
            let fh = in_ctx(r.u8("oxm_field"), "oxm_header")?;
            (class, fh >> 1, fh & 1 == 1)
        };
        let len_offset = r.offset();
        let len = usize::from(in_ctx(r.u8("oxm_length"), "oxm_header")?);
        match class {
            OFPXMC_OPENFLOW_BASIC => {
                if let Some(info) = basic_field_info(field) {
                    let mut body = sub_for(r, len, len, len_offset, "oxm_length", info.spec_name)?;
                    if hasmask && !info.maskable {
                        return Err(body.error_at(
                            field_offset,
                            "oxm_hasmask",
                            ErrorKind::BadValue { value: 1 },
                        ));
                    }
                    let want = info.value_len * if hasmask { 2 } else { 1 };
                    if len != want {
                        return Err(body.error_at(
                            len_offset,
                            "oxm_length",
                            ErrorKind::BadLength { length: len },
                        ));
                    }
                    return BasicField::decode_payload(field, hasmask, &mut body).map(Oxm::Basic);
                }
                let mut body = sub_for(r, len, len, len_offset, "oxm_length", "oxm_header")?;
                Ok(Oxm::Unknown { class, field, hasmask, payload: body.rest().to_vec() })
            }
            OFPXMC_EXPERIMENTER => {
                let mut body = sub_for(r, len, len, len_offset, "oxm_length", "ofp_oxm_experimenter_header")?;
                if len < 4 {
                    return Err(body.error_at(
                        len_offset,
                        "oxm_length",
                        ErrorKind::BadLength { length: len },
                    ));
                }
                let experimenter = body.u32("experimenter")?;
                Ok(Oxm::Experimenter { field, hasmask, experimenter, payload: body.rest().to_vec() })
            }
            _ => {
                let mut body = sub_for(r, len, len, len_offset, "oxm_length", "oxm_header")?;
                Ok(Oxm::Unknown { class, field, hasmask, payload: body.rest().to_vec() })
            }
        }
    }

    /// Decodes OXM TLVs until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Oxm>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(Oxm::decode(r)?);
        }
        Ok(out)
    }

    /// `oxm_class`.
    pub fn class(&self) -> u16 {
        match self {
            Oxm::Basic(_) => OFPXMC_OPENFLOW_BASIC,
            Oxm::Experimenter { .. } => OFPXMC_EXPERIMENTER,
            Oxm::Unknown { class, .. } => *class,
        }
    }

    /// `oxm_field` (7 bits).
    pub fn field(&self) -> u8 {
        match self {
            Oxm::Basic(b) => b.code(),
            Oxm::Experimenter { field, .. } | Oxm::Unknown { field, .. } => *field,
        }
    }

    /// `oxm_hasmask`.
    pub fn has_mask(&self) -> bool {
        match self {
            Oxm::Basic(b) => b.has_mask(),
            Oxm::Experimenter { hasmask, .. } | Oxm::Unknown { hasmask, .. } => *hasmask,
        }
    }

    /// `oxm_length`: payload bytes after the 4-byte header.
    pub fn payload_len(&self) -> usize {
        match self {
            Oxm::Basic(b) => b.payload_len(),
            Oxm::Experimenter { payload, .. } => 4 + payload.len(),
            Oxm::Unknown { payload, .. } => payload.len(),
        }
    }

    /// The header as an [`OxmId`] (as used in table-features properties).
    pub fn id(&self) -> OxmId {
        OxmId {
            class: self.class(),
            field: self.field(),
            hasmask: self.has_mask(),
            // Lengths above 255 cannot be encoded; see the variant docs.
            length: self.payload_len() as u8,
            experimenter: match self {
                Oxm::Experimenter { experimenter, .. } => Some(*experimenter),
                _ => None,
            },
        }
    }

    /// The typed basic field, if this is one.
    pub fn as_basic(&self) -> Option<&BasicField> {
        match self {
            Oxm::Basic(b) => Some(b),
            _ => None,
        }
    }
}

impl From<BasicField> for Oxm {
    fn from(b: BasicField) -> Self {
        Oxm::Basic(b)
    }
}

impl Encode for Oxm {
    fn encoded_len(&self) -> usize {
        Self::HEADER_LEN + self.payload_len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.class());
        buf.put_u8((self.field() << 1) | u8::from(self.has_mask()));
        buf.put_u8(self.payload_len() as u8);
        match self {
            Oxm::Basic(b) => b.put_payload(buf),
            Oxm::Experimenter { experimenter, payload, .. } => {
                buf.put_u32(*experimenter);
                buf.put_slice(payload);
            }
            Oxm::Unknown { payload, .. } => buf.put_slice(payload),
        }
    }
}

// ---------------------------------------------------------------------------
// OXM ids (table features).

/// An OXM header without payload (OpenFlow 1.3.5 §7.3.5.5.2, the `oxm_ids` of
/// `struct ofp_table_feature_prop_oxm`): 4 bytes, or 8 for the experimenter
/// class (the experimenter id follows the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OxmId {
    /// `oxm_class`.
    pub class: u16,
    /// `oxm_field` (7 bits).
    pub field: u8,
    /// `oxm_hasmask`.
    pub hasmask: bool,
    /// `oxm_length` as sent.
    pub length: u8,
    /// The experimenter id; present exactly when `class` is [`OFPXMC_EXPERIMENTER`]
    /// (encoding writes it when `Some`).
    pub experimenter: Option<u32>,
}

impl OxmId {
    /// The id of a basic field, with the length the field's value (and mask) takes.
    pub fn basic(field: u8, hasmask: bool) -> Self {
        let length = basic_field_info(field).map_or(0, |i| i.value_len * if hasmask { 2 } else { 1 });
        OxmId { class: OFPXMC_OPENFLOW_BASIC, field, hasmask, length: length as u8, experimenter: None }
    }

    /// Decodes one id.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let class = in_ctx(r.u16("oxm_class"), "oxm_header")?;
        let fh = in_ctx(r.u8("oxm_field"), "oxm_header")?;
        let length = in_ctx(r.u8("oxm_length"), "oxm_header")?;
        let experimenter = if class == OFPXMC_EXPERIMENTER {
            Some(in_ctx(r.u32("experimenter"), "ofp_oxm_experimenter_header")?)
        } else {
            None
        };
        Ok(OxmId { class, field: fh >> 1, hasmask: fh & 1 == 1, length, experimenter })
    }

    /// Decodes ids until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<OxmId>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(OxmId::decode(r)?);
        }
        Ok(out)
    }
}

impl Encode for OxmId {
    fn encoded_len(&self) -> usize {
        if self.experimenter.is_some() { 8 } else { 4 }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.class);
        buf.put_u8((self.field << 1) | u8::from(self.hasmask));
        buf.put_u8(self.length);
        if let Some(e) = self.experimenter {
            buf.put_u32(e);
        }
    }
}

// ---------------------------------------------------------------------------
// ofp_match.

/// `struct ofp_match` (OpenFlow 1.3.5 §7.2.3.1): the OXM fields of a flow match.
///
/// Normally `type` is [`OFPMT_OXM`] and `fields` holds the TLVs. A match of any
/// other type (e.g. the deprecated [`OFPMT_STANDARD`]) is kept raw in `other`
/// as `(type, bytes after the 4-byte header up to length)`; when `other` is
/// `Some`, `fields` is empty and ignored on encode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Match {
    /// The OXM TLVs, in wire order.
    pub fields: Vec<Oxm>,
    /// A non-OXM match kept raw: `(type, body)`.
    pub other: Option<(u16, Vec<u8>)>,
}

impl Match {
    /// An empty match (matches every packet): 8 bytes on the wire.
    pub fn new() -> Self {
        Match::default()
    }

    /// `length` as written on the wire: 4 + the fields, padding excluded.
    pub fn length(&self) -> usize {
        match &self.other {
            Some((_, body)) => 4 + body.len(),
            None => 4 + self.fields.iter().map(Encode::encoded_len).sum::<usize>(),
        }
    }

    /// The `type` field.
    pub fn match_type(&self) -> u16 {
        self.other.as_ref().map_or(OFPMT_OXM, |(t, _)| *t)
    }

    /// Decodes an `ofp_match` and its padding.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let match_type = in_ctx(r.u16("type"), "ofp_match")?;
        let len_offset = r.offset();
        let length = usize::from(in_ctx(r.u16("length"), "ofp_match")?);
        if length < 4 {
            return Err(DecodeError {
                message: "",
                context: "ofp_match",
                field: "length",
                offset: len_offset,
                kind: ErrorKind::BadLength { length },
            });
        }
        let mut body = sub_for(r, length - 4, length, len_offset, "length", "ofp_match")?;
        let m = if match_type == OFPMT_OXM {
            Match { fields: Oxm::decode_list(&mut body)?, other: None }
        } else {
            Match { fields: Vec::new(), other: Some((match_type, body.rest().to_vec())) }
        };
        in_ctx(r.pad(pad8(length)), "ofp_match")?;
        Ok(m)
    }

    /// Appends a field (builder).
    pub fn with(mut self, oxm: impl Into<Oxm>) -> Self {
        self.fields.push(oxm.into());
        self
    }

    /// Appends a field.
    pub fn push(&mut self, oxm: impl Into<Oxm>) {
        self.fields.push(oxm.into());
    }

    /// The first basic field with code `code`.
    pub fn basic(&self, code: u8) -> Option<&BasicField> {
        self.fields.iter().filter_map(Oxm::as_basic).find(|b| b.code() == code)
    }

    /// Checks the match's prerequisites and duplicates (OpenFlow 1.3.5
    /// §7.2.3.6 and table 12): every field whose prerequisite is not met by an
    /// exact (unmasked) earlier-or-later field in the same match is an error.
    ///
    /// Non-basic fields are not checked. A non-OXM match passes.
    pub fn check_prerequisites(&self) -> Result<(), PrereqError> {
        check_prereqs(self)
    }
}

impl Encode for Match {
    fn encoded_len(&self) -> usize {
        let len = self.length();
        len + pad8(len)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        let len = self.length();
        buf.put_u16(self.match_type());
        buf.put_u16(len as u16);
        match &self.other {
            Some((_, body)) => buf.put_slice(body),
            None => {
                for f in &self.fields {
                    f.encode(buf);
                }
            }
        }
        put_zeros(buf, pad8(len));
    }
}

macro_rules! builders {
    ($($(#[$doc:meta])* $fn:ident($t:ty) => $var:ident;)*) => {
        impl Match {
            $(
                $(#[$doc])*
                pub fn $fn(self, value: $t) -> Self {
                    self.with(BasicField::$var(value))
                }
            )*
        }
    };
}

macro_rules! masked_builders {
    ($($(#[$doc:meta])* $fn:ident, $fn_masked:ident($t:ty) => $var:ident;)*) => {
        impl Match {
            $(
                $(#[$doc])*
                pub fn $fn(self, value: $t) -> Self {
                    self.with(BasicField::$var(value, None))
                }

                $(#[$doc])*
                ///
                /// With a mask: 1-bits must match.
                pub fn $fn_masked(self, value: $t, mask: $t) -> Self {
                    self.with(BasicField::$var(value, Some(mask)))
                }
            )*
        }
    };
}

builders! {
    /// Adds `in_port` (§7.2.3.7).
    in_port(u32) => InPort;
    /// Adds `in_phy_port`.
    in_phy_port(u32) => InPhyPort;
    /// Adds `eth_type`.
    eth_type(u16) => EthType;
    /// Adds `vlan_pcp` (needs a `vlan_vid` other than `OFPVID_NONE`).
    vlan_pcp(u8) => VlanPcp;
    /// Adds `ip_dscp` (needs `eth_type` IPv4 or IPv6).
    ip_dscp(u8) => IpDscp;
    /// Adds `ip_ecn` (needs `eth_type` IPv4 or IPv6).
    ip_ecn(u8) => IpEcn;
    /// Adds `ip_proto` (needs `eth_type` IPv4 or IPv6).
    ip_proto(u8) => IpProto;
    /// Adds `tcp_src` (needs `ip_proto` 6).
    tcp_src(u16) => TcpSrc;
    /// Adds `tcp_dst` (needs `ip_proto` 6).
    tcp_dst(u16) => TcpDst;
    /// Adds `udp_src` (needs `ip_proto` 17).
    udp_src(u16) => UdpSrc;
    /// Adds `udp_dst` (needs `ip_proto` 17).
    udp_dst(u16) => UdpDst;
    /// Adds `sctp_src` (needs `ip_proto` 132).
    sctp_src(u16) => SctpSrc;
    /// Adds `sctp_dst` (needs `ip_proto` 132).
    sctp_dst(u16) => SctpDst;
    /// Adds `icmpv4_type` (needs `ip_proto` 1).
    icmpv4_type(u8) => Icmpv4Type;
    /// Adds `icmpv4_code` (needs `ip_proto` 1).
    icmpv4_code(u8) => Icmpv4Code;
    /// Adds `arp_op` (needs `eth_type` 0x0806).
    arp_op(u16) => ArpOp;
    /// Adds `icmpv6_type` (needs `ip_proto` 58).
    icmpv6_type(u8) => Icmpv6Type;
    /// Adds `icmpv6_code` (needs `ip_proto` 58).
    icmpv6_code(u8) => Icmpv6Code;
    /// Adds `ipv6_nd_target` (needs `icmpv6_type` 135 or 136).
    ipv6_nd_target(Ipv6Addr) => Ipv6NdTarget;
    /// Adds `ipv6_nd_sll` (needs `icmpv6_type` 135).
    ipv6_nd_sll([u8; 6]) => Ipv6NdSll;
    /// Adds `ipv6_nd_tll` (needs `icmpv6_type` 136).
    ipv6_nd_tll([u8; 6]) => Ipv6NdTll;
    /// Adds `mpls_label` (needs `eth_type` 0x8847 or 0x8848).
    mpls_label(u32) => MplsLabel;
    /// Adds `mpls_tc` (needs `eth_type` 0x8847 or 0x8848).
    mpls_tc(u8) => MplsTc;
    /// Adds `mpls_bos` (needs `eth_type` 0x8847 or 0x8848).
    mpls_bos(u8) => MplsBos;
}

masked_builders! {
    /// Adds `metadata`.
    metadata, metadata_masked(u64) => Metadata;
    /// Adds `eth_dst`.
    eth_dst, eth_dst_masked([u8; 6]) => EthDst;
    /// Adds `eth_src`.
    eth_src, eth_src_masked([u8; 6]) => EthSrc;
    /// Adds `vlan_vid` (include [`OFPVID_PRESENT`] to match a tagged VLAN id).
    vlan_vid, vlan_vid_masked(u16) => VlanVid;
    /// Adds `ipv4_src` (needs `eth_type` 0x0800).
    ipv4_src, ipv4_src_masked(Ipv4Addr) => Ipv4Src;
    /// Adds `ipv4_dst` (needs `eth_type` 0x0800).
    ipv4_dst, ipv4_dst_masked(Ipv4Addr) => Ipv4Dst;
    /// Adds `arp_spa` (needs `eth_type` 0x0806).
    arp_spa, arp_spa_masked(Ipv4Addr) => ArpSpa;
    /// Adds `arp_tpa` (needs `eth_type` 0x0806).
    arp_tpa, arp_tpa_masked(Ipv4Addr) => ArpTpa;
    /// Adds `arp_sha` (needs `eth_type` 0x0806).
    arp_sha, arp_sha_masked([u8; 6]) => ArpSha;
    /// Adds `arp_tha` (needs `eth_type` 0x0806).
    arp_tha, arp_tha_masked([u8; 6]) => ArpTha;
    /// Adds `ipv6_src` (needs `eth_type` 0x86dd).
    ipv6_src, ipv6_src_masked(Ipv6Addr) => Ipv6Src;
    /// Adds `ipv6_dst` (needs `eth_type` 0x86dd).
    ipv6_dst, ipv6_dst_masked(Ipv6Addr) => Ipv6Dst;
    /// Adds `ipv6_flabel` (needs `eth_type` 0x86dd).
    ipv6_flabel, ipv6_flabel_masked(u32) => Ipv6Flabel;
    /// Adds `pbb_isid` (24 bits; needs `eth_type` 0x88e7).
    pbb_isid, pbb_isid_masked(u32) => PbbIsid;
    /// Adds `tunnel_id`.
    tunnel_id, tunnel_id_masked(u64) => TunnelId;
    /// Adds `ipv6_exthdr` (`OFPIEH_*` bits; needs `eth_type` 0x86dd).
    ipv6_exthdr, ipv6_exthdr_masked(u16) => Ipv6Exthdr;
}

// ---------------------------------------------------------------------------
// Prerequisites.

/// Why a match fails [`Match::check_prerequisites`] (OpenFlow 1.3.5 §7.2.3.6;
/// a switch answers `OFPET_BAD_MATCH` with `OFPBMC_BAD_PREREQ` or `OFPBMC_DUP_FIELD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrereqError {
    /// A basic field appears twice.
    #[error("match field {name} appears more than once")]
    Duplicate {
        /// os-ken name of the field.
        name: &'static str,
    },
    /// A field's prerequisite is missing or has another value.
    #[error("match field {name} needs {needs}")]
    Missing {
        /// os-ken name of the field.
        name: &'static str,
        /// The prerequisite, e.g. `"eth_type=0x0800"`.
        needs: &'static str,
    },
}

/// Ethernet types the prerequisites name.
const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_IPV6: u16 = 0x86dd;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_PBB: u16 = 0x88e7;

fn check_prereqs(m: &Match) -> Result<(), PrereqError> {
    if m.other.is_some() {
        return Ok(());
    }
    // Duplicates: at most one TLV per basic field code (§7.2.3.6).
    let mut seen: u64 = 0;
    for b in m.fields.iter().filter_map(Oxm::as_basic) {
        let bit = 1u64 << b.code();
        if seen & bit != 0 {
            return Err(PrereqError::Duplicate { name: b.name() });
        }
        seen |= bit;
    }
    // Prerequisite values come from exact (unmasked) fields only.
    let eth_type = match m.basic(OFPXMT_OFB_ETH_TYPE) {
        Some(BasicField::EthType(t)) => Some(*t),
        _ => None,
    };
    let ip_proto = match m.basic(OFPXMT_OFB_IP_PROTO) {
        Some(BasicField::IpProto(p)) => Some(*p),
        _ => None,
    };
    let icmpv6_type = match m.basic(OFPXMT_OFB_ICMPV6_TYPE) {
        Some(BasicField::Icmpv6Type(t)) => Some(*t),
        _ => None,
    };
    let vlan_present = match m.basic(OFPXMT_OFB_VLAN_VID) {
        // A masked vlan_vid must at least require the present bit.
        Some(BasicField::VlanVid(v, None)) => *v != OFPVID_NONE,
        Some(BasicField::VlanVid(v, Some(mask))) => v & mask & OFPVID_PRESENT != 0,
        _ => false,
    };
    let is_ip = matches!(eth_type, Some(ETH_IPV4 | ETH_IPV6));
    let eth = |t: &[u16]| eth_type.is_some_and(|e| t.contains(&e));
    let proto = |p: u8| is_ip && ip_proto == Some(p);
    for b in m.fields.iter().filter_map(Oxm::as_basic) {
        use BasicField as F;
        let (ok, needs) = match b {
            F::InPort(_)
            | F::Metadata(..)
            | F::EthDst(..)
            | F::EthSrc(..)
            | F::EthType(_)
            | F::VlanVid(..) => (true, ""),
            // in_phy_port needs in_port.
            F::InPhyPort(_) => (m.basic(OFPXMT_OFB_IN_PORT).is_some(), "in_port"),
            F::TunnelId(..) => (true, ""),
            F::VlanPcp(_) => (vlan_present, "vlan_vid!=OFPVID_NONE"),
            F::IpDscp(_) | F::IpEcn(_) | F::IpProto(_) => (is_ip, "eth_type=0x0800 or 0x86dd"),
            F::Ipv4Src(..) | F::Ipv4Dst(..) => (eth(&[ETH_IPV4]), "eth_type=0x0800"),
            F::TcpSrc(_) | F::TcpDst(_) => (proto(6), "ip_proto=6"),
            F::UdpSrc(_) | F::UdpDst(_) => (proto(17), "ip_proto=17"),
            F::SctpSrc(_) | F::SctpDst(_) => (proto(132), "ip_proto=132"),
            F::Icmpv4Type(_) | F::Icmpv4Code(_) => (proto(1), "ip_proto=1"),
            F::ArpOp(_) | F::ArpSpa(..) | F::ArpTpa(..) | F::ArpSha(..) | F::ArpTha(..) => {
                (eth(&[ETH_ARP]), "eth_type=0x0806")
            }
            F::Ipv6Src(..) | F::Ipv6Dst(..) | F::Ipv6Flabel(..) | F::Ipv6Exthdr(..) => {
                (eth(&[ETH_IPV6]), "eth_type=0x86dd")
            }
            F::Icmpv6Type(_) | F::Icmpv6Code(_) => (proto(58), "ip_proto=58"),
            F::Ipv6NdTarget(_) => {
                (proto(58) && matches!(icmpv6_type, Some(135 | 136)), "icmpv6_type=135 or 136")
            }
            F::Ipv6NdSll(_) => (proto(58) && icmpv6_type == Some(135), "icmpv6_type=135"),
            F::Ipv6NdTll(_) => (proto(58) && icmpv6_type == Some(136), "icmpv6_type=136"),
            F::MplsLabel(_) | F::MplsTc(_) | F::MplsBos(_) => {
                (eth(&[ETH_MPLS, ETH_MPLS_MC]), "eth_type=0x8847 or 0x8848")
            }
            F::PbbIsid(..) => (eth(&[ETH_PBB]), "eth_type=0x88e7"),
        };
        if !ok {
            return Err(PrereqError::Missing { name: b.name(), needs });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// os-ken JSON.

#[cfg(feature = "json")]
mod osken {
    //! os-ken's names and value forms for OXMs beyond the basic class (its
    //! `ofproto_v1_3.oxm_types`, including the Nicira extensions), so
    //! non-basic fields print as os-ken prints them.

    use alloc::format;
    use alloc::string::String;

    use serde_json::{Map, Value};

    use super::*;
    use crate::json::{ToOsken, bytes, class, mac};

    /// How os-ken renders a value.
    #[derive(Clone, Copy)]
    pub(super) enum J {
        /// Big-endian integer of this many bytes.
        Int(usize),
        Mac,
        Ip4,
        Ip6,
    }

    impl J {
        fn len(self) -> usize {
            match self {
                J::Int(n) => n,
                J::Mac => 6,
                J::Ip4 => 4,
                J::Ip6 => 16,
            }
        }

        /// `data` has exactly `self.len()` bytes.
        fn render(self, data: &[u8]) -> Value {
            match self {
                J::Int(_) => {
                    let v = data.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
                    match u64::try_from(v) {
                        Ok(v) => v.into(),
                        Err(_) => Value::String(format!("{v}")),
                    }
                }
                J::Mac => {
                    let mut a = [0u8; 6];
                    a.copy_from_slice(data);
                    mac(a)
                }
                J::Ip4 => {
                    let mut a = [0u8; 4];
                    a.copy_from_slice(data);
                    Value::String(format!("{}", Ipv4Addr::from(a)))
                }
                J::Ip6 => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(data);
                    Value::String(format!("{}", Ipv6Addr::from(a)))
                }
            }
        }
    }

    const NX_EXPERIMENTER_ID: u32 = 0x0000_2320;
    const NX_NSH_EXPERIMENTER_ID: u32 = 0x005a_d650;
    const OFPXMC_PACKET_REGS: u16 = 0x8001;

    /// Non-basic, non-experimenter fields os-ken names: (class, field, name, kind).
    const CLASS_FIELDS: &[(u16, u8, &str, J)] = &[
        (OFPXMC_PACKET_REGS, 0, "xreg0", J::Int(8)),
        (OFPXMC_PACKET_REGS, 1, "xreg1", J::Int(8)),
        (OFPXMC_PACKET_REGS, 2, "xreg2", J::Int(8)),
        (OFPXMC_PACKET_REGS, 3, "xreg3", J::Int(8)),
        (OFPXMC_PACKET_REGS, 4, "xreg4", J::Int(8)),
        (OFPXMC_PACKET_REGS, 5, "xreg5", J::Int(8)),
        (OFPXMC_PACKET_REGS, 6, "xreg6", J::Int(8)),
        (OFPXMC_PACKET_REGS, 7, "xreg7", J::Int(8)),
        (OFPXMC_NXM_0, 0, "in_port_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 1, "eth_dst_nxm", J::Mac),
        (OFPXMC_NXM_0, 2, "eth_src_nxm", J::Mac),
        (OFPXMC_NXM_0, 3, "eth_type_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 4, "vlan_tci", J::Int(2)),
        (OFPXMC_NXM_0, 5, "nw_tos", J::Int(1)),
        (OFPXMC_NXM_0, 6, "ip_proto_nxm", J::Int(1)),
        (OFPXMC_NXM_0, 7, "ipv4_src_nxm", J::Ip4),
        (OFPXMC_NXM_0, 8, "ipv4_dst_nxm", J::Ip4),
        (OFPXMC_NXM_0, 9, "tcp_src_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 10, "tcp_dst_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 11, "udp_src_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 12, "udp_dst_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 13, "icmpv4_type_nxm", J::Int(1)),
        (OFPXMC_NXM_0, 14, "icmpv4_code_nxm", J::Int(1)),
        (OFPXMC_NXM_0, 15, "arp_op_nxm", J::Int(2)),
        (OFPXMC_NXM_0, 16, "arp_spa_nxm", J::Ip4),
        (OFPXMC_NXM_0, 17, "arp_tpa_nxm", J::Ip4),
        (OFPXMC_NXM_1, 0, "reg0", J::Int(4)),
        (OFPXMC_NXM_1, 1, "reg1", J::Int(4)),
        (OFPXMC_NXM_1, 2, "reg2", J::Int(4)),
        (OFPXMC_NXM_1, 3, "reg3", J::Int(4)),
        (OFPXMC_NXM_1, 4, "reg4", J::Int(4)),
        (OFPXMC_NXM_1, 5, "reg5", J::Int(4)),
        (OFPXMC_NXM_1, 6, "reg6", J::Int(4)),
        (OFPXMC_NXM_1, 7, "reg7", J::Int(4)),
        (OFPXMC_NXM_1, 8, "reg8", J::Int(4)),
        (OFPXMC_NXM_1, 9, "reg9", J::Int(4)),
        (OFPXMC_NXM_1, 10, "reg10", J::Int(4)),
        (OFPXMC_NXM_1, 11, "reg11", J::Int(4)),
        (OFPXMC_NXM_1, 12, "reg12", J::Int(4)),
        (OFPXMC_NXM_1, 13, "reg13", J::Int(4)),
        (OFPXMC_NXM_1, 14, "reg14", J::Int(4)),
        (OFPXMC_NXM_1, 15, "reg15", J::Int(4)),
        (OFPXMC_NXM_1, 16, "tunnel_id_nxm", J::Int(8)),
        (OFPXMC_NXM_1, 17, "arp_sha_nxm", J::Mac),
        (OFPXMC_NXM_1, 18, "arp_tha_nxm", J::Mac),
        (OFPXMC_NXM_1, 19, "ipv6_src_nxm", J::Ip6),
        (OFPXMC_NXM_1, 20, "ipv6_dst_nxm", J::Ip6),
        (OFPXMC_NXM_1, 21, "icmpv6_type_nxm", J::Int(1)),
        (OFPXMC_NXM_1, 22, "icmpv6_code_nxm", J::Int(1)),
        (OFPXMC_NXM_1, 23, "nd_target", J::Ip6),
        (OFPXMC_NXM_1, 24, "nd_sll", J::Mac),
        (OFPXMC_NXM_1, 25, "nd_tll", J::Mac),
        (OFPXMC_NXM_1, 26, "ip_frag", J::Int(1)),
        (OFPXMC_NXM_1, 27, "ipv6_label", J::Int(4)),
        (OFPXMC_NXM_1, 28, "ip_ecn_nxm", J::Int(1)),
        (OFPXMC_NXM_1, 29, "nw_ttl", J::Int(1)),
        (OFPXMC_NXM_1, 30, "mpls_ttl", J::Int(1)),
        (OFPXMC_NXM_1, 31, "tun_ipv4_src", J::Ip4),
        (OFPXMC_NXM_1, 32, "tun_ipv4_dst", J::Ip4),
        (OFPXMC_NXM_1, 33, "pkt_mark", J::Int(4)),
        (OFPXMC_NXM_1, 34, "tcp_flags_nxm", J::Int(2)),
        (OFPXMC_NXM_1, 36, "_recirc_id", J::Int(4)),
        (OFPXMC_NXM_1, 37, "conj_id", J::Int(4)),
        (OFPXMC_NXM_1, 38, "tun_gbp_id", J::Int(2)),
        (OFPXMC_NXM_1, 39, "tun_gbp_flags", J::Int(1)),
        (OFPXMC_NXM_1, 104, "tun_flags", J::Int(2)),
        (OFPXMC_NXM_1, 105, "ct_state", J::Int(4)),
        (OFPXMC_NXM_1, 106, "ct_zone", J::Int(2)),
        (OFPXMC_NXM_1, 107, "ct_mark", J::Int(4)),
        (OFPXMC_NXM_1, 108, "ct_label", J::Int(16)),
        (OFPXMC_NXM_1, 109, "tun_ipv6_src", J::Ip6),
        (OFPXMC_NXM_1, 110, "tun_ipv6_dst", J::Ip6),
        (OFPXMC_NXM_1, 111, "xxreg0", J::Int(16)),
        (OFPXMC_NXM_1, 112, "xxreg1", J::Int(16)),
        (OFPXMC_NXM_1, 113, "xxreg2", J::Int(16)),
        (OFPXMC_NXM_1, 114, "xxreg3", J::Int(16)),
    ];

    /// Experimenter fields os-ken names: (experimenter, field, name, kind).
    const EXP_FIELDS: &[(u32, u8, &str, J)] = &[
        (ONF_EXPERIMENTER_ID, 42, "tcp_flags", J::Int(2)),
        (ONF_EXPERIMENTER_ID, 43, "actset_output", J::Int(4)),
        (NX_EXPERIMENTER_ID, 0, "_dp_hash", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 1, "nsh_flags", J::Int(1)),
        (NX_NSH_EXPERIMENTER_ID, 2, "nsh_mdtype", J::Int(1)),
        (NX_NSH_EXPERIMENTER_ID, 3, "nsh_np", J::Int(1)),
        (NX_NSH_EXPERIMENTER_ID, 4, "nsh_spi", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 5, "nsh_si", J::Int(1)),
        (NX_NSH_EXPERIMENTER_ID, 6, "nsh_c1", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 7, "nsh_c2", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 8, "nsh_c3", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 9, "nsh_c4", J::Int(4)),
        (NX_NSH_EXPERIMENTER_ID, 10, "nsh_ttl", J::Int(1)),
    ];

    /// EXT-256 (old ONF) `pbb_uca`: experimenter ONF, field 0, then this exp_type.
    const ONF_EXT256_EXP_TYPE: u16 = 2560;

    /// os-ken's name for a field number it does not know: `field_<class<<7|field>`.
    fn unknown_name(class: u16, field: u8) -> String {
        format!("field_{}", (u32::from(class) << 7) | u32::from(field))
    }

    /// os-ken's name for an OXM header (as in `OFPOxmId`, which looks only at
    /// class and field, so experimenter fields get the `field_N` form).
    pub(super) fn header_name(class: u16, field: u8) -> String {
        if class == OFPXMC_OPENFLOW_BASIC {
            if let Some(info) = basic_field_info(field) {
                return info.name.into();
            }
        }
        match CLASS_FIELDS.iter().find(|(c, f, _, _)| *c == class && *f == field) {
            Some((_, _, name, _)) => (*name).into(),
            None => unknown_name(class, field),
        }
    }

    /// Value (and mask) as os-ken prints them: typed when os-ken knows the
    /// field and the size fits, base64 otherwise.
    fn split(kind: Option<J>, hasmask: bool, data: &[u8]) -> (Value, Value) {
        let half = if hasmask { data.len() / 2 } else { data.len() };
        let (v, m) = data.split_at(half);
        match kind {
            Some(k) if k.len() == half && (!hasmask || m.len() == half) => {
                (k.render(v), if hasmask { k.render(m) } else { Value::Null })
            }
            _ => (bytes(v), if hasmask { bytes(m) } else { Value::Null }),
        }
    }

    fn tlv(field: String, (value, mask): (Value, Value)) -> Value {
        let mut m = Map::new();
        m.insert("field".into(), Value::String(field));
        m.insert("mask".into(), mask);
        m.insert("value".into(), value);
        class("OXMTlv", m)
    }

    impl ToOsken for Oxm {
        fn to_osken(&self) -> Value {
            match self {
                Oxm::Basic(b) => tlv(b.name().into(), b.json_parts()),
                Oxm::Unknown { class, field, hasmask, payload } => {
                    let known = CLASS_FIELDS.iter().find(|(c, f, _, _)| c == class && f == field);
                    match known {
                        Some((_, _, name, kind))
                            if kind.len() * if *hasmask { 2 } else { 1 } == payload.len() =>
                        {
                            tlv((*name).into(), split(Some(*kind), *hasmask, payload))
                        }
                        _ => tlv(unknown_name(*class, *field), split(None, *hasmask, payload)),
                    }
                }
                Oxm::Experimenter { field, hasmask, experimenter, payload } => {
                    if *experimenter == ONF_EXPERIMENTER_ID && *field == 0 {
                        if let [hi, lo, rest @ ..] = payload.as_slice() {
                            let want = if *hasmask { 2 } else { 1 };
                            if u16::from_be_bytes([*hi, *lo]) == ONF_EXT256_EXP_TYPE && rest.len() == want {
                                return tlv("pbb_uca".into(), split(Some(J::Int(1)), *hasmask, rest));
                            }
                        }
                    }
                    let known = EXP_FIELDS.iter().find(|(e, f, _, _)| e == experimenter && f == field);
                    match known {
                        Some((_, _, name, kind))
                            if kind.len() * if *hasmask { 2 } else { 1 } == payload.len() =>
                        {
                            tlv((*name).into(), split(Some(*kind), *hasmask, payload))
                        }
                        _ => tlv(unknown_name(OFPXMC_EXPERIMENTER, *field), split(None, *hasmask, payload)),
                    }
                }
            }
        }
    }

    impl ToOsken for OxmId {
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            if let Some(e) = self.experimenter {
                m.insert("exp_id".into(), e.into());
            }
            m.insert("hasmask".into(), u8::from(self.hasmask).into());
            m.insert("length".into(), self.length.into());
            m.insert("type".into(), Value::String(header_name(self.class, self.field)));
            class(if self.experimenter.is_some() { "OFPExperimenterOxmId" } else { "OFPOxmId" }, m)
        }
    }

    impl ToOsken for Match {
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            m.insert("length".into(), self.length().into());
            m.insert("oxm_fields".into(), crate::json::list(&self.fields));
            m.insert("type".into(), self.match_type().into());
            if let Some((_, body)) = &self.other {
                m.insert("data".into(), bytes(body));
            }
            class("OFPMatch", m)
        }
    }
}

/// Proptest strategies for OXMs and matches, shared with the other modules' tests.
#[cfg(test)]
pub(crate) mod arb {
    use alloc::vec::Vec;

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    /// Any of the 40 basic fields, with a mask when the field allows one.
    pub(crate) fn basic_field() -> impl Strategy<Value = BasicField> {
        (0u8..40, any::<bool>(), vec(any::<u8>(), 32)).prop_map(|(code, mask, bytes)| {
            let info = basic_field_info(code).expect("0..40 are defined");
            let hasmask = mask && info.maskable;
            let n = info.value_len * if hasmask { 2 } else { 1 };
            let mut r = Reader::new(&bytes[..n], "arb");
            BasicField::decode_payload(code, hasmask, &mut r).expect("sized payload decodes")
        })
    }

    /// Any OXM TLV: basic, experimenter or another class.
    pub(crate) fn oxm() -> impl Strategy<Value = Oxm> {
        prop_oneof![
            6 => basic_field().prop_map(Oxm::Basic),
            1 => (0u8..128, any::<bool>(), any::<u32>(), vec(any::<u8>(), 0..24)).prop_map(
                |(field, hasmask, experimenter, payload)| Oxm::Experimenter { field, hasmask, experimenter, payload }
            ),
            1 => (any::<u16>(), 0u8..128, any::<bool>(), vec(any::<u8>(), 0..24))
                .prop_filter_map("not a defined basic field or experimenter", |(class, field, hasmask, payload)| {
                    let defined = class == OFPXMC_OPENFLOW_BASIC && basic_field_info(field).is_some();
                    (!defined && class != OFPXMC_EXPERIMENTER).then_some(Oxm::Unknown { class, field, hasmask, payload })
                }),
        ]
    }

    /// Any match: mostly OXM, sometimes a raw non-OXM one.
    pub(crate) fn matching() -> impl Strategy<Value = Match> {
        prop_oneof![
            8 => vec(oxm(), 0..8).prop_map(|fields| Match { fields, other: None }),
            1 => (0u16..1, vec(any::<u8>(), 0..40))
                .prop_map(|(t, body)| Match { fields: Vec::new(), other: Some((t, body)) }),
        ]
    }

    /// Any OXM id.
    pub(crate) fn oxm_id() -> impl Strategy<Value = OxmId> {
        (any::<u16>(), 0u8..128, any::<bool>(), any::<u8>(), any::<u32>()).prop_map(
            |(class, field, hasmask, length, e)| OxmId {
                class,
                field,
                hasmask,
                length,
                experimenter: (class == OFPXMC_EXPERIMENTER).then_some(e),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::wire::to_vec;

    fn decode_oxm(bytes: &[u8]) -> Result<Oxm, DecodeError> {
        let mut r = Reader::new(bytes, "test");
        let o = Oxm::decode(&mut r)?;
        r.finish("trailing")?;
        Ok(o)
    }

    fn decode_match(bytes: &[u8]) -> Result<Match, DecodeError> {
        let mut r = Reader::new(bytes, "test");
        let m = Match::decode(&mut r)?;
        r.finish("trailing")?;
        Ok(m)
    }

    const MAC: [u8; 6] = [0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea];

    #[test]
    fn inline_vectors() {
        let cases: Vec<(&[u8], Oxm)> = vec![
            (
                &[0x80, 0x00, 0x06, 0x06, 0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea],
                BasicField::EthDst(MAC, None).into(),
            ),
            (&[0x80, 0x00, 0x00, 0x04, 0, 0, 0, 6], BasicField::InPort(6).into()),
            (
                &[0x80, 0x00, 0x19, 0x08, 10, 0, 0, 0, 255, 255, 255, 0],
                BasicField::Ipv4Dst(Ipv4Addr::new(10, 0, 0, 0), Some(Ipv4Addr::new(255, 255, 255, 0))).into(),
            ),
            (&[0x80, 0x00, 0x0c, 0x02, 0x10, 0x64], BasicField::VlanVid(OFPVID_PRESENT | 100, None).into()),
            (
                &[0x80, 0x00, 0x0d, 0x04, 0x10, 0x00, 0x10, 0x00],
                BasicField::VlanVid(OFPVID_PRESENT, Some(OFPVID_PRESENT)).into(),
            ),
            (&[0x80, 0x00, 0x4a, 0x03, 0xab, 0xcd, 0xef], BasicField::PbbIsid(0xabcdef, None).into()),
            (&[0x80, 0x00, 0x4e, 0x02, 0x01, 0xf4], BasicField::Ipv6Exthdr(500, None).into()),
            // EXT-256 pbb_uca (ONF experimenter, field 0) from 4-2-ofp_flow_mod.
            (
                &[0xff, 0xff, 0x00, 0x07, 0x4f, 0x4e, 0x46, 0x00, 0x0a, 0x00, 0x01],
                Oxm::Experimenter {
                    field: 0,
                    hasmask: false,
                    experimenter: ONF_EXPERIMENTER_ID,
                    payload: vec![0x0a, 0, 1],
                },
            ),
            // Nicira tun_ipv4_src (NXM_1 field 31).
            (
                &[0x00, 0x01, 0x3e, 0x04, 1, 2, 3, 4],
                Oxm::Unknown { class: OFPXMC_NXM_1, field: 31, hasmask: false, payload: vec![1, 2, 3, 4] },
            ),
            // OpenFlow 1.4's pbb_uca as a basic field (41): unknown here, kept raw.
            (
                &[0x80, 0x00, 0x52, 0x01, 0x01],
                Oxm::Unknown { class: OFPXMC_OPENFLOW_BASIC, field: 41, hasmask: false, payload: vec![1] },
            ),
        ];
        for (bytes, want) in cases {
            let got = decode_oxm(bytes).unwrap();
            assert_eq!(got, want, "{bytes:02x?}");
            assert_eq!(to_vec(&got), bytes);
            assert_eq!(got.encoded_len(), bytes.len());
        }
    }

    /// Every basic field, exact and (where allowed) masked, round-trips, and
    /// a mask where the spec forbids one is refused.
    #[test]
    fn every_basic_field_round_trips() {
        for code in 0u8..40 {
            let info = basic_field_info(code).unwrap();
            assert_eq!(info.code, code);
            for hasmask in [false, true] {
                let n = info.value_len * if hasmask { 2 } else { 1 };
                let mut bytes = vec![0x80, 0x00, (code << 1) | u8::from(hasmask), n as u8];
                bytes.extend((0..n).map(|i| (i as u8).wrapping_mul(37).wrapping_add(code)));
                let res = decode_oxm(&bytes);
                if hasmask && !info.maskable {
                    let e = res.unwrap_err();
                    assert_eq!(e.kind, ErrorKind::BadValue { value: 1 }, "{}", info.name);
                    assert_eq!((e.context, e.field, e.offset), (info.spec_name, "oxm_hasmask", 2));
                    continue;
                }
                let oxm = res.unwrap();
                let b = oxm.as_basic().unwrap();
                assert_eq!((b.code(), b.name(), b.has_mask()), (code, info.name, hasmask));
                assert_eq!(to_vec(&oxm), bytes, "{}", info.name);
                // Wrong lengths are refused.
                for bad in [0, n - 1, n + 1] {
                    let mut wrong = bytes[..4].to_vec();
                    wrong[3] = bad as u8;
                    wrong.extend(core::iter::repeat_n(0, bad));
                    let e = decode_oxm(&wrong).unwrap_err();
                    assert_eq!(e.kind, ErrorKind::BadLength { length: bad }, "{} len {bad}", info.name);
                    assert_eq!((e.context, e.field, e.offset), (info.spec_name, "oxm_length", 3));
                }
            }
        }
        assert_eq!(basic_field_info(40), None);
        let maskable: Vec<_> =
            (0..40).filter_map(basic_field_info).filter(|i| i.maskable).map(|i| i.name).collect();
        assert_eq!(
            maskable,
            [
                "metadata",
                "eth_dst",
                "eth_src",
                "vlan_vid",
                "ipv4_src",
                "ipv4_dst",
                "arp_spa",
                "arp_tpa",
                "arp_sha",
                "arp_tha",
                "ipv6_src",
                "ipv6_dst",
                "ipv6_flabel",
                "pbb_isid",
                "tunnel_id",
                "ipv6_exthdr"
            ]
        );
    }

    #[test]
    fn experimenter_oxm_needs_its_id() {
        let e = decode_oxm(&[0xff, 0xff, 0x00, 0x03, 0, 0, 0]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength { length: 3 });
        assert_eq!((e.context, e.field, e.offset), ("ofp_oxm_experimenter_header", "oxm_length", 3));
        let o = decode_oxm(&[0xff, 0xff, 0x05, 0x04, 0, 0, 0x23, 0x20]).unwrap();
        assert_eq!(o, Oxm::Experimenter { field: 2, hasmask: true, experimenter: 0x2320, payload: vec![] });
    }

    #[test]
    fn oxm_length_beyond_input() {
        let e = decode_oxm(&[0x80, 0x00, 0x06, 0x06, 1, 2, 3]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength { length: 6 });
        assert_eq!((e.context, e.field, e.offset), ("OXM_OF_ETH_DST", "oxm_length", 3));
        let e = decode_match(&[0, 1, 0, 20, 0x80, 0x00, 0x06, 0x06, 1, 2, 3, 4, 5, 6, 0, 0]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength { length: 20 });
        assert_eq!((e.context, e.field, e.offset), ("ofp_match", "length", 2));
        let e = decode_oxm(&[0x80, 0x00, 0x06]).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("oxm_header", "oxm_length", 3));
        assert_eq!(e.kind, ErrorKind::Truncated { needed: 1, available: 0 });
    }

    /// The match of 4-2-ofp_flow_mod: one eth_dst, length 14, padded to 16.
    #[test]
    fn match_padding() {
        let bytes = [0, 1, 0, 14, 0x80, 0, 6, 6, 0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea, 0, 0];
        let m = decode_match(&bytes).unwrap();
        assert_eq!(m, Match::new().eth_dst(MAC));
        assert_eq!((m.length(), m.encoded_len()), (14, 16));
        assert_eq!(to_vec(&m), bytes);
        // An empty match is 4 bytes of header and 4 of padding.
        assert_eq!(to_vec(&Match::new()), [0, 1, 0, 4, 0, 0, 0, 0]);
        // A match that is exactly 8-aligned has no padding.
        let m = Match::new().in_port(1);
        assert_eq!(to_vec(&m), [0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]);
        let m = Match::new().eth_type(0x0800).ipv4_src(Ipv4Addr::new(1, 2, 3, 4));
        assert_eq!(m.length(), 4 + 6 + 8);
        // Missing padding is an error.
        let e = decode_match(&bytes[..14]).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_match", "pad", 14));
        // A length below the header is refused.
        let e = decode_match(&[0, 1, 0, 3, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.offset, e.kind),
            ("ofp_match", "length", 2, ErrorKind::BadLength { length: 3 })
        );
    }

    #[test]
    fn non_oxm_match_kept_raw() {
        let mut bytes = vec![0, 0, 0, 88];
        bytes.extend((0..84).map(|i| i as u8));
        let m = decode_match(&bytes).unwrap();
        assert_eq!(m.match_type(), OFPMT_STANDARD);
        assert_eq!(m.other.as_ref().unwrap().1.len(), 84);
        assert_eq!(to_vec(&m), bytes);
    }

    /// Every prefix of a valid match fails cleanly, with a context, field and
    /// an offset inside the input.
    #[test]
    fn truncation_at_every_offset() {
        let m = Match::new()
            .in_port(3)
            .eth_dst_masked(MAC, [0xff, 0xff, 0xff, 0, 0, 0])
            .eth_type(0x86dd)
            .ipv6_src_masked(Ipv6Addr::LOCALHOST, Ipv6Addr::from([0xff; 16]))
            .ip_proto(58)
            .icmpv6_type(135)
            .ipv6_nd_target(Ipv6Addr::LOCALHOST)
            .pbb_isid(0x123456)
            .with(Oxm::Experimenter { field: 1, hasmask: false, experimenter: 7, payload: vec![1, 2, 3] });
        let bytes = to_vec(&m);
        assert_eq!(decode_match(&bytes).unwrap(), m);
        for cut in 0..bytes.len() {
            let e = decode_match(&bytes[..cut]).unwrap_err();
            assert!(e.offset <= cut, "cut {cut}: {e}");
            assert!(!e.context.is_empty() && !e.field.is_empty(), "cut {cut}: {e}");
        }
        // Garbage never panics.
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = decode_match(&junk);
            let _ = decode_oxm(&junk);
        }
    }

    #[test]
    fn builder_reads_like_the_intent() {
        let m = Match::new()
            .in_port(1)
            .eth_dst(MAC)
            .eth_type(0x0800)
            .ipv4_dst_masked(Ipv4Addr::new(10, 0, 0, 0), Ipv4Addr::new(255, 0, 0, 0))
            .ip_proto(6)
            .tcp_dst(443);
        assert_eq!(m.fields.len(), 6);
        assert_eq!(m.basic(OFPXMT_OFB_TCP_DST), Some(&BasicField::TcpDst(443)));
        assert_eq!(m.check_prerequisites(), Ok(()));
        let bytes = to_vec(&m);
        assert_eq!(decode_match(&bytes).unwrap(), m);
    }

    #[test]
    fn prerequisites() {
        let ok = [
            Match::new(),
            Match::new().in_port(1).in_phy_port(1),
            Match::new().eth_type(0x0800).ipv4_src(Ipv4Addr::LOCALHOST),
            Match::new().eth_type(0x86dd).ip_proto(6).tcp_src(80),
            Match::new().ip_proto(6).eth_type(0x0800).tcp_dst(80), // order does not matter
            Match::new().eth_type(0x0800).ip_proto(17).udp_src(53),
            Match::new().eth_type(0x0800).ip_proto(132).sctp_dst(1),
            Match::new().eth_type(0x0800).ip_proto(1).icmpv4_type(8),
            Match::new().eth_type(0x0806).arp_op(1).arp_tha([0; 6]),
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(135).ipv6_nd_target(Ipv6Addr::LOCALHOST),
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(136).ipv6_nd_target(Ipv6Addr::LOCALHOST),
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(135).ipv6_nd_sll([1; 6]),
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(136).ipv6_nd_tll([1; 6]),
            Match::new().eth_type(0x8847).mpls_label(5).mpls_tc(1).mpls_bos(1),
            Match::new().eth_type(0x8848).mpls_label(5),
            Match::new().eth_type(0x88e7).pbb_isid(5),
            Match::new().vlan_vid(OFPVID_PRESENT | 5).vlan_pcp(3),
            Match::new().vlan_vid_masked(OFPVID_PRESENT, OFPVID_PRESENT).vlan_pcp(3),
            Match::new().eth_type(0x86dd).ipv6_flabel(1).ipv6_exthdr(OFPIEH_HOP),
            Match::new().eth_type(0x0800).ip_dscp(46).ip_ecn(1),
            Match::new().metadata(1).tunnel_id(2).eth_src([2; 6]),
        ];
        for m in &ok {
            assert_eq!(m.check_prerequisites(), Ok(()), "{m:?}");
        }
        let missing = |m: Match, name: &'static str| match m.check_prerequisites() {
            Err(PrereqError::Missing { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{m:?}: {other:?}"),
        };
        missing(Match::new().in_phy_port(1), "in_phy_port");
        missing(Match::new().ipv4_src(Ipv4Addr::LOCALHOST), "ipv4_src");
        missing(Match::new().eth_type(0x86dd).ipv4_dst(Ipv4Addr::LOCALHOST), "ipv4_dst");
        missing(Match::new().eth_type(0x0800).tcp_src(1), "tcp_src");
        missing(Match::new().eth_type(0x0800).ip_proto(17).tcp_src(1), "tcp_src");
        missing(Match::new().ip_proto(6), "ip_proto");
        missing(Match::new().eth_type(0x0806).ip_dscp(1), "ip_dscp");
        missing(Match::new().eth_type(0x0800).arp_op(1), "arp_op");
        missing(Match::new().eth_type(0x0800).ip_proto(1).icmpv6_type(1), "icmpv6_type");
        missing(
            Match::new().eth_type(0x86dd).ip_proto(58).ipv6_nd_target(Ipv6Addr::LOCALHOST),
            "ipv6_nd_target",
        );
        missing(
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(136).ipv6_nd_sll([0; 6]),
            "ipv6_nd_sll",
        );
        missing(
            Match::new().eth_type(0x86dd).ip_proto(58).icmpv6_type(135).ipv6_nd_tll([0; 6]),
            "ipv6_nd_tll",
        );
        missing(Match::new().eth_type(0x0800).mpls_label(1), "mpls_label");
        missing(Match::new().pbb_isid(1), "pbb_isid");
        missing(Match::new().vlan_pcp(1), "vlan_pcp");
        missing(Match::new().vlan_vid(OFPVID_NONE).vlan_pcp(1), "vlan_pcp");
        missing(Match::new().eth_type(0x0800).ipv6_flabel(1), "ipv6_flabel");
        missing(Match::new().ipv6_exthdr(1), "ipv6_exthdr");
        assert_eq!(
            Match::new().in_port(1).in_port(2).check_prerequisites(),
            Err(PrereqError::Duplicate { name: "in_port" })
        );
        // Raw fields are not checked.
        let raw = Match::new().with(Oxm::Unknown {
            class: 1,
            field: 31,
            hasmask: false,
            payload: vec![1, 2, 3, 4],
        });
        assert_eq!(raw.check_prerequisites(), Ok(()));
    }

    #[test]
    fn oxm_ids() {
        let bytes =
            [0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x07, 0x0c, 0xff, 0xff, 0x02, 0x04, 0, 0, 0x23, 0x20];
        let mut r = Reader::new(&bytes, "test");
        let ids = OxmId::decode_list(&mut r).unwrap();
        assert_eq!(
            ids,
            [
                OxmId {
                    class: OFPXMC_OPENFLOW_BASIC,
                    field: 0,
                    hasmask: false,
                    length: 0,
                    experimenter: None
                },
                OxmId::basic(OFPXMT_OFB_ETH_DST, true),
                OxmId {
                    class: OFPXMC_EXPERIMENTER,
                    field: 1,
                    hasmask: false,
                    length: 4,
                    experimenter: Some(0x2320)
                },
            ]
        );
        let mut out = Vec::new();
        for id in &ids {
            id.encode(&mut out);
        }
        assert_eq!(out, bytes);
        for cut in 1..bytes.len() {
            let mut r = Reader::new(&bytes[..cut], "test");
            if cut % 4 != 0 || cut == 12 {
                assert!(OxmId::decode_list(&mut r).is_err(), "cut {cut}");
            }
        }
        assert_eq!(
            Oxm::from(BasicField::EthDst(MAC, Some(MAC))).id(),
            OxmId::basic(OFPXMT_OFB_ETH_DST, true)
        );
    }

    #[cfg(feature = "json")]
    #[test]
    fn osken_json() {
        use crate::json::ToOsken;
        use serde_json::json;
        let j = |o: Oxm| o.to_osken();
        assert_eq!(
            j(BasicField::EthDst(MAC, Some([0xff, 0xff, 0xff, 0, 0, 0])).into()),
            json!({"OXMTlv": {"field": "eth_dst", "mask": "ff:ff:ff:00:00:00", "value": "f2:0b:a4:7d:f8:ea"}})
        );
        assert_eq!(
            j(BasicField::Ipv6Src("fe80::f00b:a4ff:fe48:28a5".parse().unwrap(), None).into()),
            json!({"OXMTlv": {"field": "ipv6_src", "mask": null, "value": "fe80::f00b:a4ff:fe48:28a5"}})
        );
        assert_eq!(
            j(BasicField::Metadata(283686952306183, Some(u64::MAX)).into()),
            json!({"OXMTlv": {"field": "metadata", "mask": 18446744073709551615u64, "value": 283686952306183u64}})
        );
        assert_eq!(
            j(BasicField::Ipv4Src(Ipv4Addr::new(10, 0, 0, 0), Some(Ipv4Addr::new(255, 0, 0, 0))).into()),
            json!({"OXMTlv": {"field": "ipv4_src", "mask": "255.0.0.0", "value": "10.0.0.0"}})
        );
        assert_eq!(
            j(decode_oxm(&[0xff, 0xff, 0x00, 0x07, 0x4f, 0x4e, 0x46, 0x00, 0x0a, 0x00, 0x01]).unwrap()),
            json!({"OXMTlv": {"field": "pbb_uca", "mask": null, "value": 1}})
        );
        assert_eq!(
            j(decode_oxm(&[0x00, 0x01, 0x40, 0x04, 1, 2, 3, 4]).unwrap()),
            json!({"OXMTlv": {"field": "tun_ipv4_dst", "mask": null, "value": "1.2.3.4"}})
        );
        assert_eq!(
            j(decode_oxm(&[0x80, 0x00, 0x52, 0x01, 0x01]).unwrap()),
            json!({"OXMTlv": {"field": "field_4194345", "mask": null, "value": "AQ=="}})
        );
        assert_eq!(
            OxmId::basic(OFPXMT_OFB_IN_PORT, false).to_osken(),
            json!({"OFPOxmId": {"hasmask": 0, "length": 4, "type": "in_port"}})
        );
        assert_eq!(
            Match::new().eth_dst(MAC).to_osken(),
            json!({"OFPMatch": {"length": 14, "oxm_fields": [
                {"OXMTlv": {"field": "eth_dst", "mask": null, "value": "f2:0b:a4:7d:f8:ea"}}], "type": 1}})
        );
    }

    /// The matches of the os-ken vectors that carry one at a fixed offset:
    /// decode, compare with os-ken's JSON, re-encode byte for byte.
    #[cfg(feature = "json")]
    #[test]
    fn testdata_matches() {
        use crate::json::ToOsken;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/openflow13");
        if !std::path::Path::new(dir).exists() {
            std::eprintln!("skipping: {dir} is absent");
            return;
        }
        // (vector, offset of ofp_match, top-level class)
        let cases = [
            ("4-2-ofp_flow_mod", 48, "OFPFlowMod"),
            ("4-3-ofp_flow_mod", 48, "OFPFlowMod"),
            ("4-46-ofp_flow_mod", 48, "OFPFlowMod"),
            ("4-60-ofp_flow_mod", 48, "OFPFlowMod"),
            ("4-40-ofp_flow_removed", 48, "OFPFlowRemoved"),
            ("4-4-ofp_packet_in", 24, "OFPPacketIn"),
            ("4-59-ofp_packet_in", 24, "OFPPacketIn"),
        ];
        for (name, at, class) in cases {
            let bytes = std::fs::read(std::format!("{dir}/packet/{name}.packet")).unwrap();
            let json: serde_json::Value = serde_json::from_slice(
                &std::fs::read(std::format!("{dir}/json/{name}.packet.json")).unwrap(),
            )
            .unwrap();
            let mut r = Reader::new(&bytes, class);
            r.pad(at).unwrap();
            let m = Match::decode(&mut r).unwrap();
            let end = bytes.len() - r.remaining();
            assert_eq!(m.to_osken(), json[class]["match"], "{name}");
            assert_eq!(to_vec(&m), bytes[at..end], "{name}");
        }
    }

    proptest! {
        #[test]
        fn oxm_round_trip(o in arb::oxm()) {
            let bytes = to_vec(&o);
            prop_assert_eq!(bytes.len(), o.encoded_len());
            prop_assert_eq!(decode_oxm(&bytes).unwrap(), o);
        }

        #[test]
        fn match_round_trip(m in arb::matching()) {
            let bytes = to_vec(&m);
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(bytes.len(), m.encoded_len());
            prop_assert_eq!(decode_match(&bytes).unwrap(), m);
        }

        #[test]
        fn oxm_id_round_trip(id in arb::oxm_id()) {
            let bytes = to_vec(&id);
            let mut r = Reader::new(&bytes, "test");
            prop_assert_eq!(OxmId::decode(&mut r).unwrap(), id);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(m) = decode_match(&bytes) {
                // Whatever decodes re-encodes to the same bytes, padding aside.
                let out = to_vec(&m);
                prop_assert_eq!(&out[..m.length()], &bytes[..m.length()]);
            }
            if let Ok(o) = decode_oxm(&bytes) {
                prop_assert_eq!(to_vec(&o), bytes);
            }
        }
    }
}
