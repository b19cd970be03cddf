//! Structures shared by several messages: ports (OpenFlow 1.3.5 §7.2.1), group
//! buckets (§7.3.4.2), meter bands (§7.3.4.5), queues and their properties
//! (§7.2.2) and hello elements (§7.5.1).
//!
//! Each has `decode` (from a [`Reader`] positioned at its first byte) and an
//! [`Encode`] impl; decode→encode gives back the same bytes for every input whose
//! padding bytes are zero (padding is skipped on decode and written as zeros).
//! Length fields are computed on encode, never stored.

use alloc::vec::Vec;

use bytes::BufMut;

use crate::action::Action;
use crate::wire::{DecodeError, Encode, ErrorKind, Reader, pad8, put_zeros};

/// Runs `f` with `r`'s error context set to `context`, then restores it, so
/// errors inside name the wire struct being read.
pub(crate) fn in_context<'a, T>(
    r: &mut Reader<'a>,
    context: &'static str,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let saved = r.context();
    r.set_context(context);
    let out = f(r);
    r.set_context(saved);
    out
}

/// Splits off a structure that carries its own 16-bit length field `len_at`
/// bytes from its start (the length counts the whole structure). Fails with
/// `BadLength` when the length is below `min` or beyond what `r` holds.
/// Returns the sub-reader (context `context`) and the length.
pub(crate) fn split_by_len<'a>(
    r: &mut Reader<'a>,
    len_at: usize,
    len_field: &'static str,
    min: usize,
    context: &'static str,
) -> Result<(Reader<'a>, usize), DecodeError> {
    in_context(r, context, |r| {
        let mut peek = r.clone();
        if len_at > 0 {
            peek.bytes(len_at, len_field)?;
        }
        let len_offset = peek.offset();
        let len = usize::from(peek.u16(len_field)?);
        if len < min {
            return Err(r.error_at(len_offset, len_field, ErrorKind::BadLength { length: len }));
        }
        let sub = r.sub(len, len_offset, len_field, context)?;
        Ok((sub, len))
    })
}

/// A length that must fit the 16-bit length field of a wire structure.
/// Values that do not fit are written as `0xffff` (such a structure cannot be
/// represented on the wire; its container could not be sent either).
pub(crate) fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

// ---------------------------------------------------------------------------
// Ports (§7.2.1)

/// Reserved port numbers (`enum ofp_port_no`, §7.2.1), defined beside
/// [`Action::Output`] and re-exported here for port descriptions.
pub use crate::action::{
    OFPP_ALL, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX, OFPP_NORMAL,
    OFPP_TABLE,
};

/// `OFPPC_PORT_DOWN`: port is administratively down (§7.2.1, `enum ofp_port_config`).
pub const OFPPC_PORT_DOWN: u32 = 1 << 0;
/// `OFPPC_NO_RECV`: drop all packets received by the port (§7.2.1).
pub const OFPPC_NO_RECV: u32 = 1 << 2;
/// `OFPPC_NO_FWD`: drop packets forwarded to the port (§7.2.1).
pub const OFPPC_NO_FWD: u32 = 1 << 5;
/// `OFPPC_NO_PACKET_IN`: no packet-in messages for the port (§7.2.1).
pub const OFPPC_NO_PACKET_IN: u32 = 1 << 6;

/// `OFPPS_LINK_DOWN`: no physical link present (§7.2.1, `enum ofp_port_state`).
pub const OFPPS_LINK_DOWN: u32 = 1 << 0;
/// `OFPPS_BLOCKED`: port is blocked (§7.2.1).
pub const OFPPS_BLOCKED: u32 = 1 << 1;
/// `OFPPS_LIVE`: live for fast-failover groups (§7.2.1).
pub const OFPPS_LIVE: u32 = 1 << 2;

/// `OFPPF_10MB_HD`: 10 Mb half-duplex (§7.2.1, `enum ofp_port_features`).
pub const OFPPF_10MB_HD: u32 = 1 << 0;
/// `OFPPF_10MB_FD`: 10 Mb full-duplex (§7.2.1).
pub const OFPPF_10MB_FD: u32 = 1 << 1;
/// `OFPPF_100MB_HD`: 100 Mb half-duplex (§7.2.1).
pub const OFPPF_100MB_HD: u32 = 1 << 2;
/// `OFPPF_100MB_FD`: 100 Mb full-duplex (§7.2.1).
pub const OFPPF_100MB_FD: u32 = 1 << 3;
/// `OFPPF_1GB_HD`: 1 Gb half-duplex (§7.2.1).
pub const OFPPF_1GB_HD: u32 = 1 << 4;
/// `OFPPF_1GB_FD`: 1 Gb full-duplex (§7.2.1).
pub const OFPPF_1GB_FD: u32 = 1 << 5;
/// `OFPPF_10GB_FD`: 10 Gb full-duplex (§7.2.1).
pub const OFPPF_10GB_FD: u32 = 1 << 6;
/// `OFPPF_40GB_FD`: 40 Gb full-duplex (§7.2.1).
pub const OFPPF_40GB_FD: u32 = 1 << 7;
/// `OFPPF_100GB_FD`: 100 Gb full-duplex (§7.2.1).
pub const OFPPF_100GB_FD: u32 = 1 << 8;
/// `OFPPF_1TB_FD`: 1 Tb full-duplex (§7.2.1).
pub const OFPPF_1TB_FD: u32 = 1 << 9;
/// `OFPPF_OTHER`: a rate not in this list (§7.2.1).
pub const OFPPF_OTHER: u32 = 1 << 10;
/// `OFPPF_COPPER`: copper medium (§7.2.1).
pub const OFPPF_COPPER: u32 = 1 << 11;
/// `OFPPF_FIBER`: fiber medium (§7.2.1).
pub const OFPPF_FIBER: u32 = 1 << 12;
/// `OFPPF_AUTONEG`: auto-negotiation (§7.2.1).
pub const OFPPF_AUTONEG: u32 = 1 << 13;
/// `OFPPF_PAUSE`: pause (§7.2.1).
pub const OFPPF_PAUSE: u32 = 1 << 14;
/// `OFPPF_PAUSE_ASYM`: asymmetric pause (§7.2.1).
pub const OFPPF_PAUSE_ASYM: u32 = 1 << 15;

/// `OFP_MAX_PORT_NAME_LEN`: bytes of a port name, NUL padding included (§7.2.1).
pub const OFP_MAX_PORT_NAME_LEN: usize = 16;

/// A port description, `struct ofp_port` (OpenFlow 1.3.5 §7.2.1): 64 bytes.
///
/// ## Wire format
///
/// ```text
/// port_no u32 | pad[4] | hw_addr[6] | pad[2] | name[16] | config u32 | state u32
/// | curr u32 | advertised u32 | supported u32 | peer u32 | curr_speed u32 | max_speed u32
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Port {
    /// Port number (`OFPP_*` for the reserved ones).
    pub port_no: u32,
    /// The port's MAC address.
    pub hw_addr: [u8; 6],
    /// The name field exactly as on the wire: NUL-terminated, NUL-padded. Use
    /// [`Port::name`] to read it as text and [`Port::set_name`] to write it.
    pub name: [u8; OFP_MAX_PORT_NAME_LEN],
    /// `OFPPC_*` bits.
    pub config: u32,
    /// `OFPPS_*` bits.
    pub state: u32,
    /// Current features (`OFPPF_*` bits).
    pub curr: u32,
    /// Features being advertised (`OFPPF_*` bits).
    pub advertised: u32,
    /// Features supported (`OFPPF_*` bits).
    pub supported: u32,
    /// Features advertised by the peer (`OFPPF_*` bits).
    pub peer: u32,
    /// Current bitrate in kbit/s.
    pub curr_speed: u32,
    /// Maximum bitrate in kbit/s.
    pub max_speed: u32,
}

impl Port {
    /// Size on the wire.
    pub const LEN: usize = 64;

    /// A port with the given number, address and name; every other field 0.
    pub fn new(port_no: u32, hw_addr: [u8; 6], name: &str) -> Port {
        let mut port = Port {
            port_no,
            hw_addr,
            name: [0; OFP_MAX_PORT_NAME_LEN],
            config: 0,
            state: 0,
            curr: 0,
            advertised: 0,
            supported: 0,
            peer: 0,
            curr_speed: 0,
            max_speed: 0,
        };
        port.set_name(name);
        port
    }

    /// The name bytes before the first NUL.
    pub fn name_bytes(&self) -> &[u8] {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(self.name.len());
        self.name.get(..end).unwrap_or(&[])
    }

    /// The name as text: the bytes before the first NUL, cut at the first
    /// byte that is not valid UTF-8 (OpenFlow does not say which encoding;
    /// Open vSwitch uses UTF-8).
    pub fn name(&self) -> &str {
        let bytes = self.name_bytes();
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => bytes.get(..e.valid_up_to()).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or(""),
        }
    }

    /// Sets the name: at most 15 bytes (cut at a character boundary), then NULs.
    pub fn set_name(&mut self, name: &str) {
        let mut end = name.len().min(OFP_MAX_PORT_NAME_LEN - 1);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        self.name = [0; OFP_MAX_PORT_NAME_LEN];
        for (dst, src) in self.name.iter_mut().zip(name.as_bytes().iter().take(end)) {
            *dst = *src;
        }
    }

    /// Decodes an `ofp_port`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Port, DecodeError> {
        in_context(r, "ofp_port", |r| {
            let port_no = r.u32("port_no")?;
            r.pad(4)?;
            let hw_addr = r.array("hw_addr")?;
            r.pad(2)?;
            Ok(Port {
                port_no,
                hw_addr,
                name: r.array("name")?,
                config: r.u32("config")?,
                state: r.u32("state")?,
                curr: r.u32("curr")?,
                advertised: r.u32("advertised")?,
                supported: r.u32("supported")?,
                peer: r.u32("peer")?,
                curr_speed: r.u32("curr_speed")?,
                max_speed: r.u32("max_speed")?,
            })
        })
    }

    /// Decodes ports until `r` is empty (port-desc replies).
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Port>, DecodeError> {
        let mut ports = Vec::new();
        while !r.is_empty() {
            ports.push(Port::decode(r)?);
        }
        Ok(ports)
    }
}

impl Encode for Port {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.port_no);
        put_zeros(buf, 4);
        buf.put_slice(&self.hw_addr);
        put_zeros(buf, 2);
        buf.put_slice(&self.name);
        for v in [
            self.config,
            self.state,
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            buf.put_u32(v);
        }
    }
}

// ---------------------------------------------------------------------------
// Group buckets (§7.3.4.2)

/// `OFPG_MAX`: the highest group number (§7.3.4.2, `enum ofp_group`).
pub const OFPG_MAX: u32 = 0xffff_ff00;
/// `OFPG_ALL`: all groups, for group delete and stats (§7.3.4.2).
pub const OFPG_ALL: u32 = 0xffff_fffc;
/// `OFPG_ANY`: wildcard group (§7.3.4.2).
pub const OFPG_ANY: u32 = 0xffff_ffff;

/// A group bucket, `struct ofp_bucket` (OpenFlow 1.3.5 §7.3.4.2).
///
/// ## Wire format
///
/// ```text
/// len u16 | weight u16 | watch_port u32 | watch_group u32 | pad[4] | actions...
/// ```
///
/// `len` counts the 16-byte header and the actions; it is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Relative weight (select groups only; 0 elsewhere).
    pub weight: u16,
    /// Port whose liveness decides this bucket (fast-failover groups), or `OFPP_ANY`.
    pub watch_port: u32,
    /// Group whose liveness decides this bucket (fast-failover groups), or `OFPG_ANY`.
    pub watch_group: u32,
    /// The actions applied by this bucket.
    pub actions: Vec<Action>,
}

impl Bucket {
    /// Size of the fixed part on the wire.
    pub const HEADER_LEN: usize = 16;

    /// A bucket for `all` and `indirect` groups: weight 0, watching nothing.
    pub fn new(actions: Vec<Action>) -> Bucket {
        Bucket { weight: 0, watch_port: OFPP_ANY, watch_group: OFPG_ANY, actions }
    }

    /// A bucket of a `select` group with the given weight.
    pub fn select(weight: u16, actions: Vec<Action>) -> Bucket {
        Bucket { weight, ..Bucket::new(actions) }
    }

    /// A bucket of a fast-failover group that is live while `watch_port` is.
    pub fn fast_failover(watch_port: u32, actions: Vec<Action>) -> Bucket {
        Bucket { watch_port, ..Bucket::new(actions) }
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: u16) -> Bucket {
        self.weight = weight;
        self
    }

    /// Sets the watched port.
    pub fn watch_port(mut self, port: u32) -> Bucket {
        self.watch_port = port;
        self
    }

    /// Sets the watched group.
    pub fn watch_group(mut self, group: u32) -> Bucket {
        self.watch_group = group;
        self
    }

    /// Decodes one `ofp_bucket`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Bucket, DecodeError> {
        let (mut b, _) = split_by_len(r, 0, "len", Self::HEADER_LEN, "ofp_bucket")?;
        b.u16("len")?;
        let weight = b.u16("weight")?;
        let watch_port = b.u32("watch_port")?;
        let watch_group = b.u32("watch_group")?;
        b.pad(4)?;
        let actions = Action::decode_list(&mut b)?;
        Ok(Bucket { weight, watch_port, watch_group, actions })
    }

    /// Decodes buckets until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Bucket>, DecodeError> {
        let mut buckets = Vec::new();
        while !r.is_empty() {
            buckets.push(Bucket::decode(r)?);
        }
        Ok(buckets)
    }
}

impl Encode for Bucket {
    fn encoded_len(&self) -> usize {
        Self::HEADER_LEN + self.actions.iter().map(Encode::encoded_len).sum::<usize>()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        buf.put_u16(self.weight);
        buf.put_u32(self.watch_port);
        buf.put_u32(self.watch_group);
        put_zeros(buf, 4);
        for action in &self.actions {
            action.encode(buf);
        }
    }
}

// ---------------------------------------------------------------------------
// Meter bands (§7.3.4.5)

/// `OFPMBT_DROP`: drop packets (§7.3.4.5, `enum ofp_meter_band_type`).
pub const OFPMBT_DROP: u16 = 1;
/// `OFPMBT_DSCP_REMARK`: remark the DSCP field (§7.3.4.5).
pub const OFPMBT_DSCP_REMARK: u16 = 2;
/// `OFPMBT_EXPERIMENTER`: experimenter band (§7.3.4.5).
pub const OFPMBT_EXPERIMENTER: u16 = 0xffff;

/// A meter band, `struct ofp_meter_band_*` (OpenFlow 1.3.5 §7.3.4.5).
///
/// Every band starts with `type u16 | len u16 | rate u32 | burst_size u32`;
/// drop and DSCP-remark bands are exactly 16 bytes. Unknown band types keep
/// every byte after `type` and `len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterBand {
    /// `OFPMBT_DROP`, `struct ofp_meter_band_drop`: `... | pad[4]`.
    Drop {
        /// Rate above which packets are dropped.
        rate: u32,
        /// Burst size.
        burst_size: u32,
    },
    /// `OFPMBT_DSCP_REMARK`, `struct ofp_meter_band_dscp_remark`: `... | prec_level u8 | pad[3]`.
    DscpRemark {
        /// Rate above which packets are remarked.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Number of drop-precedence levels to add.
        prec_level: u8,
    },
    /// `OFPMBT_EXPERIMENTER`, `struct ofp_meter_band_experimenter`:
    /// `... | experimenter u32 | data...` (data kept opaque).
    Experimenter {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter-defined bytes after the 16-byte header.
        data: Vec<u8>,
    },
    /// A band type OpenFlow 1.3 does not define.
    Unknown {
        /// The `type` field.
        band_type: u16,
        /// Every byte after `type` and `len`.
        body: Vec<u8>,
    },
}

impl MeterBand {
    /// Size of drop and DSCP-remark bands and of the experimenter band header.
    pub const LEN: usize = 16;

    /// A drop band.
    pub fn drop(rate: u32, burst_size: u32) -> MeterBand {
        MeterBand::Drop { rate, burst_size }
    }

    /// A DSCP-remark band.
    pub fn dscp_remark(rate: u32, burst_size: u32, prec_level: u8) -> MeterBand {
        MeterBand::DscpRemark { rate, burst_size, prec_level }
    }

    /// The `type` field.
    pub fn band_type(&self) -> u16 {
        match self {
            MeterBand::Drop { .. } => OFPMBT_DROP,
            MeterBand::DscpRemark { .. } => OFPMBT_DSCP_REMARK,
            MeterBand::Experimenter { .. } => OFPMBT_EXPERIMENTER,
            MeterBand::Unknown { band_type, .. } => *band_type,
        }
    }

    /// Decodes one meter band.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterBand, DecodeError> {
        let (mut b, len) = split_by_len(r, 2, "len", 4, "ofp_meter_band_header")?;
        let len_offset = b.offset() + 2;
        let band_type = b.u16("type")?;
        b.u16("len")?;
        let fixed = |b: &mut Reader<'_>, context| {
            b.set_context(context);
            if len == Self::LEN {
                Ok(())
            } else {
                Err(b.error_at(len_offset, "len", ErrorKind::BadLength { length: len }))
            }
        };
        let band = match band_type {
            OFPMBT_DROP => {
                fixed(&mut b, "ofp_meter_band_drop")?;
                let rate = b.u32("rate")?;
                let burst_size = b.u32("burst_size")?;
                b.pad(4)?;
                MeterBand::Drop { rate, burst_size }
            }
            OFPMBT_DSCP_REMARK => {
                fixed(&mut b, "ofp_meter_band_dscp_remark")?;
                let rate = b.u32("rate")?;
                let burst_size = b.u32("burst_size")?;
                let prec_level = b.u8("prec_level")?;
                b.pad(3)?;
                MeterBand::DscpRemark { rate, burst_size, prec_level }
            }
            OFPMBT_EXPERIMENTER => {
                b.set_context("ofp_meter_band_experimenter");
                if len < Self::LEN {
                    return Err(b.error_at(len_offset, "len", ErrorKind::BadLength { length: len }));
                }
                let rate = b.u32("rate")?;
                let burst_size = b.u32("burst_size")?;
                let experimenter = b.u32("experimenter")?;
                MeterBand::Experimenter { rate, burst_size, experimenter, data: b.rest().to_vec() }
            }
            band_type => MeterBand::Unknown { band_type, body: b.rest().to_vec() },
        };
        Ok(band)
    }

    /// Decodes bands until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<MeterBand>, DecodeError> {
        let mut bands = Vec::new();
        while !r.is_empty() {
            bands.push(MeterBand::decode(r)?);
        }
        Ok(bands)
    }
}

impl Encode for MeterBand {
    fn encoded_len(&self) -> usize {
        match self {
            MeterBand::Drop { .. } | MeterBand::DscpRemark { .. } => Self::LEN,
            MeterBand::Experimenter { data, .. } => Self::LEN + data.len(),
            MeterBand::Unknown { body, .. } => 4 + body.len(),
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.band_type());
        buf.put_u16(len16(self.encoded_len()));
        match self {
            MeterBand::Drop { rate, burst_size } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                put_zeros(buf, 4);
            }
            MeterBand::DscpRemark { rate, burst_size, prec_level } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_u8(*prec_level);
                put_zeros(buf, 3);
            }
            MeterBand::Experimenter { rate, burst_size, experimenter, data } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            MeterBand::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

// ---------------------------------------------------------------------------
// Queues (§7.2.2)

/// `OFPQT_MIN_RATE`: minimum guaranteed rate (§7.2.2, `enum ofp_queue_properties`).
pub const OFPQT_MIN_RATE: u16 = 1;
/// `OFPQT_MAX_RATE`: maximum rate (§7.2.2).
pub const OFPQT_MAX_RATE: u16 = 2;
/// `OFPQT_EXPERIMENTER`: experimenter property (§7.2.2).
pub const OFPQT_EXPERIMENTER: u16 = 0xffff;
/// `OFPQ_ALL`: all queues, in queue stats requests (§7.2.2).
pub const OFPQ_ALL: u32 = 0xffff_ffff;
/// Rates above this value mean "disabled" (§7.2.2: in 1/10 of a percent; >1000 is disabled).
pub const OFPQ_MAX_RATE_DISABLED_ABOVE: u16 = 1000;

/// A queue property, `struct ofp_queue_prop_*` (OpenFlow 1.3.5 §7.2.2).
///
/// Every property starts with the 8-byte `ofp_queue_prop_header`
/// (`property u16 | len u16 | pad[4]`); min-rate and max-rate are exactly 16
/// bytes (`rate u16 | pad[6]` follows). Unknown properties keep every byte after
/// `property` and `len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueProp {
    /// `OFPQT_MIN_RATE`: rate in 1/10 of a percent of the port speed.
    MinRate(u16),
    /// `OFPQT_MAX_RATE`: rate in 1/10 of a percent of the port speed.
    MaxRate(u16),
    /// `OFPQT_EXPERIMENTER`: `... | experimenter u32 | pad[4] | data...`.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter-defined bytes after the 16-byte header (unpadded).
        data: Vec<u8>,
    },
    /// A property type OpenFlow 1.3 does not define.
    Unknown {
        /// The `property` field.
        property: u16,
        /// Every byte after `property` and `len`.
        body: Vec<u8>,
    },
}

impl QueueProp {
    /// Size of the property header.
    pub const HEADER_LEN: usize = 8;
    /// Size of the rate properties and of the experimenter header.
    pub const LEN: usize = 16;

    /// The `property` field.
    pub fn property(&self) -> u16 {
        match self {
            QueueProp::MinRate(_) => OFPQT_MIN_RATE,
            QueueProp::MaxRate(_) => OFPQT_MAX_RATE,
            QueueProp::Experimenter { .. } => OFPQT_EXPERIMENTER,
            QueueProp::Unknown { property, .. } => *property,
        }
    }

    /// Decodes one queue property.
    pub fn decode(r: &mut Reader<'_>) -> Result<QueueProp, DecodeError> {
        let (mut p, len) = split_by_len(r, 2, "len", Self::HEADER_LEN, "ofp_queue_prop_header")?;
        let len_offset = p.offset() + 2;
        let property = p.u16("property")?;
        p.u16("len")?;
        let context = match property {
            OFPQT_MIN_RATE => "ofp_queue_prop_min_rate",
            OFPQT_MAX_RATE => "ofp_queue_prop_max_rate",
            OFPQT_EXPERIMENTER => "ofp_queue_prop_experimenter",
            _ => "ofp_queue_prop_header",
        };
        p.set_context(context);
        let bad_len = |p: &Reader<'_>| p.error_at(len_offset, "len", ErrorKind::BadLength { length: len });
        match property {
            OFPQT_MIN_RATE | OFPQT_MAX_RATE => {
                if len != Self::LEN {
                    return Err(bad_len(&p));
                }
                p.pad(4)?;
                let rate = p.u16("rate")?;
                p.pad(6)?;
                Ok(if property == OFPQT_MIN_RATE {
                    QueueProp::MinRate(rate)
                } else {
                    QueueProp::MaxRate(rate)
                })
            }
            OFPQT_EXPERIMENTER => {
                if len < Self::LEN {
                    return Err(bad_len(&p));
                }
                p.pad(4)?;
                let experimenter = p.u32("experimenter")?;
                p.pad(4)?;
                Ok(QueueProp::Experimenter { experimenter, data: p.rest().to_vec() })
            }
            property => Ok(QueueProp::Unknown { property, body: p.rest().to_vec() }),
        }
    }
}

impl Encode for QueueProp {
    fn encoded_len(&self) -> usize {
        match self {
            QueueProp::MinRate(_) | QueueProp::MaxRate(_) => Self::LEN,
            QueueProp::Experimenter { data, .. } => Self::LEN + data.len(),
            QueueProp::Unknown { body, .. } => 4 + body.len(),
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.property());
        buf.put_u16(len16(self.encoded_len()));
        match self {
            QueueProp::MinRate(rate) | QueueProp::MaxRate(rate) => {
                put_zeros(buf, 4);
                buf.put_u16(*rate);
                put_zeros(buf, 6);
            }
            QueueProp::Experimenter { experimenter, data } => {
                put_zeros(buf, 4);
                buf.put_u32(*experimenter);
                put_zeros(buf, 4);
                buf.put_slice(data);
            }
            QueueProp::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

/// A queue description, `struct ofp_packet_queue` (OpenFlow 1.3.5 §7.2.2).
///
/// ## Wire format
///
/// ```text
/// queue_id u32 | port u32 | len u16 | pad[6] | properties...
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketQueue {
    /// Queue id.
    pub queue_id: u32,
    /// The port this queue is attached to.
    pub port: u32,
    /// The queue's properties.
    pub properties: Vec<QueueProp>,
}

impl PacketQueue {
    /// Size of the fixed part.
    pub const HEADER_LEN: usize = 16;

    /// Decodes one `ofp_packet_queue`.
    pub fn decode(r: &mut Reader<'_>) -> Result<PacketQueue, DecodeError> {
        let (mut q, _) = split_by_len(r, 8, "len", Self::HEADER_LEN, "ofp_packet_queue")?;
        let queue_id = q.u32("queue_id")?;
        let port = q.u32("port")?;
        q.u16("len")?;
        q.pad(6)?;
        let mut properties = Vec::new();
        while !q.is_empty() {
            properties.push(QueueProp::decode(&mut q)?);
        }
        Ok(PacketQueue { queue_id, port, properties })
    }

    /// Decodes queues until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<PacketQueue>, DecodeError> {
        let mut queues = Vec::new();
        while !r.is_empty() {
            queues.push(PacketQueue::decode(r)?);
        }
        Ok(queues)
    }
}

impl Encode for PacketQueue {
    fn encoded_len(&self) -> usize {
        Self::HEADER_LEN + self.properties.iter().map(Encode::encoded_len).sum::<usize>()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.queue_id);
        buf.put_u32(self.port);
        buf.put_u16(len16(self.encoded_len()));
        put_zeros(buf, 6);
        for prop in &self.properties {
            prop.encode(buf);
        }
    }
}

// ---------------------------------------------------------------------------
// Hello elements (§7.5.1)

/// `OFPHET_VERSIONBITMAP`: the version-bitmap hello element (§7.5.1).
pub const OFPHET_VERSIONBITMAP: u16 = 1;

/// A hello element, `struct ofp_hello_elem_header` and its kinds (OpenFlow 1.3.5 §7.5.1).
///
/// `type u16 | length u16 | body...`, then zero padding to a multiple of 8
/// (`length` excludes the padding). The padding must be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloElement {
    /// `OFPHET_VERSIONBITMAP`, `struct ofp_hello_elem_versionbitmap`: bit `v % 32`
    /// of bitmap `v / 32` is set when version `v` is supported.
    VersionBitmap(Vec<u32>),
    /// An element type OpenFlow 1.3 does not define.
    Unknown {
        /// The `type` field.
        elem_type: u16,
        /// The bytes after `type` and `length`, padding excluded.
        data: Vec<u8>,
    },
}

impl HelloElement {
    /// Size of the element header.
    pub const HEADER_LEN: usize = 4;

    /// A version bitmap with the given wire versions set (e.g. `&[0x04]` for 1.3).
    pub fn versions(versions: &[u8]) -> HelloElement {
        let words = versions.iter().map(|&v| usize::from(v) / 32 + 1).max().unwrap_or(0);
        let mut bitmaps = alloc::vec![0u32; words];
        for &v in versions {
            if let Some(word) = bitmaps.get_mut(usize::from(v) / 32) {
                *word |= 1 << (v % 32);
            }
        }
        HelloElement::VersionBitmap(bitmaps)
    }

    /// The versions a version bitmap lists, lowest first (empty for other elements).
    pub fn supported_versions(&self) -> Vec<u8> {
        (0..=u8::MAX).filter(|&v| self.supports(v)).collect()
    }

    /// Every version number a version bitmap lists, including numbers above
    /// 255 that a long bitmap can name (os-ken's `versions`).
    #[cfg(feature = "json")]
    fn listed_versions(&self) -> Vec<u32> {
        let HelloElement::VersionBitmap(bitmaps) = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (word, bits) in (0u32..).zip(bitmaps) {
            out.extend((0..32).filter(|bit| bits & (1 << bit) != 0).map(|bit| word * 32 + bit));
        }
        out
    }

    /// True when this is a version bitmap with `version`'s bit set.
    pub fn supports(&self, version: u8) -> bool {
        match self {
            HelloElement::VersionBitmap(bitmaps) => {
                bitmaps.get(usize::from(version) / 32).is_some_and(|word| word & (1 << (version % 32)) != 0)
            }
            HelloElement::Unknown { .. } => false,
        }
    }

    /// The `type` field.
    pub fn elem_type(&self) -> u16 {
        match self {
            HelloElement::VersionBitmap(_) => OFPHET_VERSIONBITMAP,
            HelloElement::Unknown { elem_type, .. } => *elem_type,
        }
    }

    /// The `length` field: header and body, padding excluded.
    pub fn length(&self) -> usize {
        Self::HEADER_LEN
            + match self {
                HelloElement::VersionBitmap(bitmaps) => 4 * bitmaps.len(),
                HelloElement::Unknown { data, .. } => data.len(),
            }
    }

    /// Decodes one element and its padding.
    pub fn decode(r: &mut Reader<'_>) -> Result<HelloElement, DecodeError> {
        let (mut e, len) = split_by_len(r, 2, "length", Self::HEADER_LEN, "ofp_hello_elem_header")?;
        let len_offset = e.offset() + 2;
        let elem_type = e.u16("type")?;
        e.u16("length")?;
        let elem = match elem_type {
            OFPHET_VERSIONBITMAP => {
                e.set_context("ofp_hello_elem_versionbitmap");
                if (len - Self::HEADER_LEN) % 4 != 0 {
                    return Err(e.error_at(len_offset, "length", ErrorKind::BadLength { length: len }));
                }
                let mut bitmaps = Vec::new();
                while !e.is_empty() {
                    bitmaps.push(e.u32("bitmaps")?);
                }
                HelloElement::VersionBitmap(bitmaps)
            }
            elem_type => HelloElement::Unknown { elem_type, data: e.rest().to_vec() },
        };
        in_context(r, "ofp_hello_elem_header", |r| r.pad(pad8(len)))?;
        Ok(elem)
    }
}

impl Encode for HelloElement {
    fn encoded_len(&self) -> usize {
        let len = self.length();
        len + pad8(len)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        let len = self.length();
        buf.put_u16(self.elem_type());
        buf.put_u16(len16(len));
        match self {
            HelloElement::VersionBitmap(bitmaps) => {
                for word in bitmaps {
                    buf.put_u32(*word);
                }
            }
            HelloElement::Unknown { data, .. } => buf.put_slice(data),
        }
        put_zeros(buf, pad8(len));
    }
}

// ---------------------------------------------------------------------------
// os-ken JSON

#[cfg(feature = "json")]
mod json {
    use serde_json::{Value, json};

    use super::*;
    use crate::json::{ToOsken, bytes, class, list, mac};

    fn object(value: Value) -> serde_json::Map<alloc::string::String, Value> {
        match value {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    impl ToOsken for Port {
        /// `OFPPort`; the name is os-ken's: trailing NULs stripped, then UTF-8.
        fn to_osken(&self) -> Value {
            let end = self.name.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            let name = alloc::string::String::from_utf8_lossy(self.name.get(..end).unwrap_or(&[]));
            class(
                "OFPPort",
                object(json!({
                    "port_no": self.port_no,
                    "hw_addr": mac(self.hw_addr),
                    "name": name,
                    "config": self.config,
                    "state": self.state,
                    "curr": self.curr,
                    "advertised": self.advertised,
                    "supported": self.supported,
                    "peer": self.peer,
                    "curr_speed": self.curr_speed,
                    "max_speed": self.max_speed,
                })),
            )
        }
    }

    impl ToOsken for Bucket {
        fn to_osken(&self) -> Value {
            class(
                "OFPBucket",
                object(json!({
                    "len": self.encoded_len(),
                    "weight": self.weight,
                    "watch_port": self.watch_port,
                    "watch_group": self.watch_group,
                    "actions": list(&self.actions),
                })),
            )
        }
    }

    impl ToOsken for MeterBand {
        /// `OFPMeterBandDrop`, `OFPMeterBandDscpRemark`, `OFPMeterBandExperimenter`
        /// (with `data` only when the band carries bytes past its header, which
        /// os-ken cannot parse), and `OFPMeterBandUnknown` (not in os-ken).
        fn to_osken(&self) -> Value {
            let (ty, len) = (self.band_type(), self.encoded_len());
            match self {
                MeterBand::Drop { rate, burst_size } => class(
                    "OFPMeterBandDrop",
                    object(json!({"type": ty, "len": len, "rate": rate, "burst_size": burst_size})),
                ),
                MeterBand::DscpRemark { rate, burst_size, prec_level } => class(
                    "OFPMeterBandDscpRemark",
                    object(json!({
                        "type": ty, "len": len, "rate": rate, "burst_size": burst_size,
                        "prec_level": prec_level,
                    })),
                ),
                MeterBand::Experimenter { rate, burst_size, experimenter, data } => {
                    let mut fields = object(json!({
                        "type": ty, "len": len, "rate": rate, "burst_size": burst_size,
                        "experimenter": experimenter,
                    }));
                    if !data.is_empty() {
                        fields.insert("data".into(), bytes(data));
                    }
                    class("OFPMeterBandExperimenter", fields)
                }
                MeterBand::Unknown { body, .. } => {
                    class("OFPMeterBandUnknown", object(json!({"type": ty, "len": len, "data": bytes(body)})))
                }
            }
        }
    }

    impl ToOsken for QueueProp {
        /// `OFPQueuePropMinRate`, `OFPQueuePropMaxRate`, `OFPQueuePropExperimenter`
        /// (os-ken lists its data as integers, one per byte) and
        /// `OFPQueuePropUnknown` (not in os-ken).
        fn to_osken(&self) -> Value {
            let (property, len) = (self.property(), self.encoded_len());
            match self {
                QueueProp::MinRate(rate) => class(
                    "OFPQueuePropMinRate",
                    object(json!({"property": property, "len": len, "rate": rate})),
                ),
                QueueProp::MaxRate(rate) => class(
                    "OFPQueuePropMaxRate",
                    object(json!({"property": property, "len": len, "rate": rate})),
                ),
                QueueProp::Experimenter { experimenter, data } => class(
                    "OFPQueuePropExperimenter",
                    object(json!({
                        "property": property, "len": len, "experimenter": experimenter, "data": data,
                    })),
                ),
                QueueProp::Unknown { body, .. } => class(
                    "OFPQueuePropUnknown",
                    object(json!({"property": property, "len": len, "data": bytes(body)})),
                ),
            }
        }
    }

    impl ToOsken for PacketQueue {
        fn to_osken(&self) -> Value {
            class(
                "OFPPacketQueue",
                object(json!({
                    "queue_id": self.queue_id,
                    "port": self.port,
                    "len": self.encoded_len(),
                    "properties": list(&self.properties),
                })),
            )
        }
    }

    impl ToOsken for HelloElement {
        /// `OFPHelloElemVersionBitmap` (`versions`: the version numbers whose bit
        /// is set) and `OFPHelloElemUnknown` (os-ken drops unknown elements).
        fn to_osken(&self) -> Value {
            let (ty, length) = (self.elem_type(), self.length());
            match self {
                HelloElement::VersionBitmap(_) => class(
                    "OFPHelloElemVersionBitmap",
                    object(json!({"type": ty, "length": length, "versions": self.listed_versions()})),
                ),
                HelloElement::Unknown { data, .. } => class(
                    "OFPHelloElemUnknown",
                    object(json!({"type": ty, "length": length, "data": bytes(data)})),
                ),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::wire::to_vec;

    fn decode_all<T>(
        bytes: &[u8],
        f: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut r = Reader::new(bytes, "test");
        let v = f(&mut r)?;
        r.finish("end")?;
        Ok(v)
    }

    /// Every proper prefix fails (never panics).
    fn prefixes_fail<T: core::fmt::Debug>(
        bytes: &[u8],
        f: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    ) {
        for n in 0..bytes.len() {
            assert!(decode_all(&bytes[..n], &f).is_err(), "prefix of {n} bytes decoded");
        }
    }

    const PORT7: [u8; 64] = [
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0xf2, 0x0b, 0xa4, 0xd0, 0x3f, 0x70, 0x00,
        0x00, //
        b'P', b'o', b'r', b't', b'7', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x28, 0x08, 0x00, 0x00, 0x28,
        0x00, //
        0x00, 0x00, 0x28, 0x08, 0x00, 0x00, 0x28, 0x08, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x13, 0x88,
    ];

    #[test]
    fn port() {
        let p = decode_all(&PORT7, Port::decode).unwrap();
        assert_eq!(p.port_no, 7);
        assert_eq!(p.hw_addr, [0xf2, 0x0b, 0xa4, 0xd0, 0x3f, 0x70]);
        assert_eq!(p.name(), "Port7");
        assert_eq!(p.state, OFPPS_LIVE);
        assert_eq!(p.curr, OFPPF_COPPER | OFPPF_AUTONEG | OFPPF_100MB_FD);
        assert_eq!((p.curr_speed, p.max_speed), (5000, 5000));
        assert_eq!(to_vec(&p), PORT7);
        let mut built = Port::new(7, p.hw_addr, "Port7");
        built.state = p.state;
        built.curr = p.curr;
        built.advertised = p.advertised;
        built.supported = p.supported;
        built.peer = p.peer;
        built.curr_speed = 5000;
        built.max_speed = 5000;
        assert_eq!(built, p);
        prefixes_fail(&PORT7, Port::decode);
    }

    #[test]
    fn port_name_edge_cases() {
        let mut p = Port::new(1, [0; 6], "a-name-longer-than-fifteen");
        assert_eq!(p.name(), "a-name-longer-t");
        assert_eq!(p.name[15], 0);
        p.set_name("ポートポート"); // 3-byte characters: only 5 fit in 15 bytes
        assert_eq!(p.name(), "ポートポー");
        p.name = *b"ab\xffcd\0\0\0\0\0\0\0\0\0\0\0";
        assert_eq!(p.name(), "ab");
        p.name = [b'x'; 16];
        assert_eq!(p.name().len(), 16, "a name without NUL uses all 16 bytes");
        // Bytes after the first NUL are kept for re-encoding.
        p.name = *b"eth0\0junk\0\0\0\0\0\0\0";
        assert_eq!(p.name(), "eth0");
        assert_eq!(&to_vec(&p)[16..32], b"eth0\0junk\0\0\0\0\0\0\0");
    }

    const BUCKET: [u8; 32] = [
        0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, //
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn bucket() {
        let b = decode_all(&BUCKET, Bucket::decode).unwrap();
        assert_eq!((b.weight, b.watch_port, b.watch_group), (1, 1, 1));
        assert_eq!(b.actions.len(), 1);
        assert_eq!(to_vec(&b), BUCKET);
        prefixes_fail(&BUCKET, Bucket::decode);
    }

    #[test]
    fn bucket_bad_lengths() {
        let mut short = BUCKET;
        short[1] = 15;
        let e = decode_all(&short, Bucket::decode).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.offset, e.kind),
            ("ofp_bucket", "len", 0, ErrorKind::BadLength { length: 15 })
        );
        let mut long = BUCKET;
        long[1] = 33;
        let e = decode_all(&long, Bucket::decode).unwrap_err();
        assert_eq!((e.field, e.kind), ("len", ErrorKind::BadLength { length: 33 }));
        let empty = Bucket::new(vec![]);
        assert_eq!(to_vec(&empty), [0, 16, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    }

    const BANDS: [u8; 48] = [
        0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
        0x00, //
        0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x00, 0x00,
        0x00, //
        0xff, 0xff, 0x00, 0x10, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x03, 0xe7,
    ];

    #[test]
    fn meter_bands() {
        let bands = decode_all(&BANDS, MeterBand::decode_list).unwrap();
        assert_eq!(
            bands,
            [
                MeterBand::drop(1000, 10),
                MeterBand::dscp_remark(1000, 10, 1),
                MeterBand::Experimenter { rate: 1000, burst_size: 10, experimenter: 999, data: vec![] },
            ]
        );
        let mut out = Vec::new();
        bands.iter().for_each(|b| b.encode(&mut out));
        assert_eq!(out, BANDS);
        for band in BANDS.chunks(16) {
            prefixes_fail(band, MeterBand::decode);
        }
    }

    #[test]
    fn meter_band_lengths() {
        // A drop band must be 16 bytes.
        let e = decode_all(&[0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2], MeterBand::decode).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_meter_band_drop", "len", 2));
        assert_eq!(e.kind, ErrorKind::BadLength { length: 8 });
        // Unknown and experimenter bands keep their extra bytes.
        let unknown = [0x12, 0x34, 0, 6, 0xaa, 0xbb];
        let band = decode_all(&unknown, MeterBand::decode).unwrap();
        assert_eq!(band, MeterBand::Unknown { band_type: 0x1234, body: vec![0xaa, 0xbb] });
        assert_eq!(to_vec(&band), unknown);
        let mut exp = BANDS[32..].to_vec();
        exp[3] = 20;
        exp.extend_from_slice(&[1, 2, 3, 4]);
        let band = decode_all(&exp, MeterBand::decode).unwrap();
        assert!(matches!(&band, MeterBand::Experimenter { data, .. } if data == &[1, 2, 3, 4]));
        assert_eq!(to_vec(&band), exp);
        // Zero length never loops.
        assert!(decode_all(&[0, 1, 0, 0], MeterBand::decode_list).is_err());
    }

    /// The first queue of os-ken's `4-36-ofp_queue_get_config_reply` vector.
    const QUEUE: [u8; 64] = [
        0x00, 0x00, 0x00, 0x63, 0x00, 0x00, 0x00, 0x4d, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, //
        0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, //
        0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x03, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, //
        0xff, 0xff, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe7, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn packet_queue() {
        let q = decode_all(&QUEUE, PacketQueue::decode).unwrap();
        assert_eq!((q.queue_id, q.port), (99, 77));
        assert_eq!(
            q.properties,
            [
                QueueProp::MinRate(10),
                QueueProp::MaxRate(900),
                QueueProp::Experimenter { experimenter: 999, data: vec![] }
            ]
        );
        assert_eq!(to_vec(&q), QUEUE);
        prefixes_fail(&QUEUE, PacketQueue::decode);
    }

    #[test]
    fn queue_prop_lengths() {
        let e = decode_all(&[0, 1, 0, 8, 0, 0, 0, 0], QueueProp::decode).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.kind),
            ("ofp_queue_prop_min_rate", "len", ErrorKind::BadLength { length: 8 })
        );
        let e = decode_all(&[0, 9, 0, 4, 0, 0, 0, 0], QueueProp::decode).unwrap_err();
        assert_eq!((e.context, e.kind), ("ofp_queue_prop_header", ErrorKind::BadLength { length: 4 }));
        // An unaligned experimenter property, as in the os-ken vector.
        let odd = [0xff, 0xff, 0, 17, 0, 0, 0, 0, 0, 0, 3, 0xe7, 0, 0, 0, 0, 1];
        let p = decode_all(&odd, QueueProp::decode).unwrap();
        assert_eq!(p, QueueProp::Experimenter { experimenter: 999, data: vec![1] });
        assert_eq!(to_vec(&p), odd);
        let unknown = [0, 7, 0, 10, 1, 2, 3, 4, 5, 6];
        let p = decode_all(&unknown, QueueProp::decode).unwrap();
        assert_eq!(to_vec(&p), unknown);
    }

    #[test]
    fn hello_elements() {
        let bytes = [0x00, 0x01, 0x00, 0x08, 0x40, 0x00, 0x06, 0x0e];
        let e = decode_all(&bytes, HelloElement::decode).unwrap();
        assert_eq!(e.supported_versions(), [1, 2, 3, 9, 10, 30]);
        assert!(e.supports(3) && !e.supports(4) && !e.supports(200));
        assert_eq!(to_vec(&e), bytes);
        assert_eq!(HelloElement::versions(&[1, 2, 3, 9, 10, 30]), e);
        assert_eq!(to_vec(&HelloElement::versions(&[4])), [0, 1, 0, 8, 0, 0, 0, 0x10]);
        // Two bitmaps: length 12, padded to 16.
        let two = HelloElement::versions(&[4, 33]);
        assert_eq!(to_vec(&two), [0, 1, 0, 12, 0, 0, 0, 0x10, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(decode_all(&to_vec(&two), HelloElement::decode).unwrap(), two);
        assert_eq!(two.supported_versions(), [4, 33]);
        // An unknown element keeps its bytes; its padding must be there.
        let unknown = [0x00, 0x07, 0x00, 0x05, 0xaa, 0, 0, 0];
        let e = decode_all(&unknown, HelloElement::decode).unwrap();
        assert_eq!(e, HelloElement::Unknown { elem_type: 7, data: vec![0xaa] });
        assert_eq!(to_vec(&e), unknown);
        prefixes_fail(&unknown, HelloElement::decode);
        // A bitmap whose body is not whole words is malformed.
        let e = decode_all(&[0, 1, 0, 6, 0, 0, 0, 0], HelloElement::decode).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_hello_elem_versionbitmap", "length", 2));
        let e = decode_all(&[0, 1, 0, 3, 0, 0, 0, 0], HelloElement::decode).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength { length: 3 });
    }

    pub(crate) fn arb_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            (any::<u32>(), any::<u16>()).prop_map(|(port, max_len)| Action::Output { port, max_len }),
            any::<u32>().prop_map(Action::Group),
            Just(Action::PopVlan),
        ]
    }

    pub(crate) fn arb_port() -> impl Strategy<Value = Port> {
        (any::<[u32; 10]>(), any::<[u8; 6]>(), any::<[u8; 16]>()).prop_map(|(v, hw_addr, name)| Port {
            port_no: v[0],
            hw_addr,
            name,
            config: v[1],
            state: v[2],
            curr: v[3],
            advertised: v[4],
            supported: v[5],
            peer: v[6],
            curr_speed: v[7],
            max_speed: v[8] ^ v[9],
        })
    }

    pub(crate) fn arb_bucket() -> impl Strategy<Value = Bucket> {
        (any::<u16>(), any::<u32>(), any::<u32>(), prop::collection::vec(arb_action(), 0..4)).prop_map(
            |(weight, watch_port, watch_group, actions)| Bucket { weight, watch_port, watch_group, actions },
        )
    }

    pub(crate) fn arb_meter_band() -> impl Strategy<Value = MeterBand> {
        let bytes = prop::collection::vec(any::<u8>(), 0..12);
        prop_oneof![
            (any::<u32>(), any::<u32>()).prop_map(|(rate, burst_size)| MeterBand::Drop { rate, burst_size }),
            (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(rate, burst_size, prec_level)| {
                MeterBand::DscpRemark { rate, burst_size, prec_level }
            }),
            (any::<u32>(), any::<u32>(), any::<u32>(), bytes.clone()).prop_map(
                |(rate, burst_size, experimenter, data)| MeterBand::Experimenter {
                    rate,
                    burst_size,
                    experimenter,
                    data
                }
            ),
            (3u16..0xffff, bytes).prop_map(|(band_type, body)| MeterBand::Unknown { band_type, body }),
        ]
    }

    pub(crate) fn arb_queue_prop() -> impl Strategy<Value = QueueProp> {
        prop_oneof![
            any::<u16>().prop_map(QueueProp::MinRate),
            any::<u16>().prop_map(QueueProp::MaxRate),
            (any::<u32>(), prop::collection::vec(any::<u8>(), 0..9))
                .prop_map(|(experimenter, data)| QueueProp::Experimenter { experimenter, data }),
            (3u16..0xffff, prop::collection::vec(any::<u8>(), 4..12))
                .prop_map(|(property, body)| QueueProp::Unknown { property, body }),
        ]
    }

    pub(crate) fn arb_packet_queue() -> impl Strategy<Value = PacketQueue> {
        (any::<u32>(), any::<u32>(), prop::collection::vec(arb_queue_prop(), 0..4))
            .prop_map(|(queue_id, port, properties)| PacketQueue { queue_id, port, properties })
    }

    pub(crate) fn arb_hello_element() -> impl Strategy<Value = HelloElement> {
        prop_oneof![
            prop::collection::vec(any::<u32>(), 0..4).prop_map(HelloElement::VersionBitmap),
            (2u16..=u16::MAX, prop::collection::vec(any::<u8>(), 0..12))
                .prop_map(|(elem_type, data)| HelloElement::Unknown { elem_type, data }),
        ]
    }

    fn round_trip<T: Encode + PartialEq + core::fmt::Debug>(
        value: &T,
        decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    ) -> Result<(), TestCaseError> {
        let bytes = to_vec(value);
        prop_assert_eq!(bytes.len(), value.encoded_len());
        let back = decode_all(&bytes, &decode).map_err(|e| TestCaseError::fail(alloc::format!("{e}")))?;
        prop_assert_eq!(&back, value);
        prop_assert_eq!(to_vec(&back), bytes);
        Ok(())
    }

    proptest! {
        #[test]
        fn port_round_trip(p in arb_port()) { round_trip(&p, Port::decode)?; }

        #[test]
        fn bucket_round_trip(b in arb_bucket()) { round_trip(&b, Bucket::decode)?; }

        #[test]
        fn meter_band_round_trip(b in arb_meter_band()) { round_trip(&b, MeterBand::decode)?; }

        #[test]
        fn queue_prop_round_trip(p in arb_queue_prop()) { round_trip(&p, QueueProp::decode)?; }

        #[test]
        fn packet_queue_round_trip(q in arb_packet_queue()) { round_trip(&q, PacketQueue::decode)?; }

        #[test]
        fn hello_element_round_trip(e in arb_hello_element()) { round_trip(&e, HelloElement::decode)?; }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_all(&bytes, Port::decode_list);
            let _ = decode_all(&bytes, Bucket::decode_list);
            let _ = decode_all(&bytes, MeterBand::decode_list);
            let _ = decode_all(&bytes, PacketQueue::decode_list);
            let _ = decode_all(&bytes, HelloElement::decode);
        }
    }

    #[cfg(feature = "json")]
    #[test]
    fn osken_json() {
        use crate::json::ToOsken;
        let p = decode_all(&PORT7, Port::decode).unwrap();
        assert_eq!(
            p.to_osken(),
            serde_json::json!({"OFPPort": {
                "advertised": 10240, "config": 0, "curr": 10248, "curr_speed": 5000,
                "hw_addr": "f2:0b:a4:d0:3f:70", "max_speed": 5000, "name": "Port7",
                "peer": 10248, "port_no": 7, "state": 4, "supported": 10248
            }})
        );
        let band = MeterBand::dscp_remark(1000, 10, 1);
        assert_eq!(
            band.to_osken(),
            serde_json::json!({"OFPMeterBandDscpRemark":
                {"burst_size": 10, "len": 16, "prec_level": 1, "rate": 1000, "type": 2}})
        );
        let q = decode_all(&QUEUE, PacketQueue::decode).unwrap();
        let json = q.to_osken();
        assert_eq!(json["OFPPacketQueue"]["len"], 64);
        assert_eq!(
            json["OFPPacketQueue"]["properties"][2],
            serde_json::json!({"OFPQueuePropExperimenter": {"data": [], "experimenter": 999, "len": 16, "property": 65535}})
        );
        assert_eq!(
            HelloElement::versions(&[1, 4]).to_osken(),
            serde_json::json!({"OFPHelloElemVersionBitmap": {"length": 8, "type": 1, "versions": [1, 4]}})
        );
    }
}
