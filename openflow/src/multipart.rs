//! Multipart messages: `OFPT_MULTIPART_REQUEST` and `OFPT_MULTIPART_REPLY`
//! with every body of OpenFlow 1.3.5 §7.3.5 (`struct ofp_multipart_request`,
//! `struct ofp_multipart_reply`).
//!
//! ## Wire format
//!
//! After the 8-byte `ofp_header`:
//!
//! ```text
//!  8                16                24                                32
//! +--------+--------+--------+--------+--------+--------+--------+--------+
//! |      type       |      flags      |               pad                 |
//! +--------+--------+--------+--------+--------+--------+--------+--------+
//! | body (depends on type, fills the rest of the message) ...
//! ```
//!
//! [`MultipartRequest::decode`] and [`MultipartReply::decode`] take a reader
//! positioned at `type` and consume the rest of it; their [`Encode`] impls write
//! from `type` on (the message layer writes the `ofp_header`).
//!
//! Bodies made of variable-length entries (`ofp_flow_stats`, `ofp_group_stats`,
//! `ofp_table_features`, ...) are split by each entry's own length field: a length
//! below the entry's fixed part, not a multiple of its alignment, or beyond the
//! body is a [`DecodeError`] naming the entry struct, its length field and the
//! offset of that field. Multipart types OpenFlow 1.3 does not define are kept as
//! raw bytes ([`MultipartRequestBody::Unknown`], [`MultipartReplyBody::Unknown`]),
//! as are table-feature properties of unknown type ([`TableFeatureProp::Unknown`]),
//! so every decoded message encodes back to the same bytes.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::BufMut;

use crate::action::ActionId;
use crate::instruction::{Instruction, InstructionId};
use crate::oxm::{Match, Oxm, OxmId};
use crate::structs::{Bucket, MeterBand, Port};
use crate::wire::{DecodeError, Encode, ErrorKind, Reader, pad8, put_zeros};

/// `OFPMPF_REQ_MORE`: more requests follow this one (§7.3.5, `ofp_multipart_request_flags`).
pub const OFPMPF_REQ_MORE: u16 = 1 << 0;
/// `OFPMPF_REPLY_MORE`: more replies follow this one (§7.3.5, `ofp_multipart_reply_flags`).
pub const OFPMPF_REPLY_MORE: u16 = 1 << 0;

/// `OFPTT_MAX`: the last usable table number (§7.2.3, `ofp_table`).
pub const OFPTT_MAX: u8 = 0xfe;
/// `OFPTT_ALL`: wildcard table, "all tables", in flow and aggregate stats requests (§7.2.3).
pub const OFPTT_ALL: u8 = 0xff;
/// `OFPP_ANY`: wildcard port in stats requests (§7.2.1, `ofp_port_no`).
pub const OFPP_ANY: u32 = 0xffff_ffff;
/// `OFPG_ALL`: all groups, in group stats requests (§7.3.4.2, `ofp_group`).
pub const OFPG_ALL: u32 = 0xffff_fffc;
/// `OFPG_ANY`: wildcard group in flow stats requests (§7.3.4.2, `ofp_group`).
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFPM_ALL`: all meters, in meter stats and meter config requests (§7.3.4.4, `ofp_meter`).
pub const OFPM_ALL: u32 = 0xffff_ffff;
/// `OFPQ_ALL`: all queues, in queue stats requests (§7.2.2).
pub const OFPQ_ALL: u32 = 0xffff_ffff;
/// `OFPTC_DEPRECATED_MASK`: the table config bits of OpenFlow 1.1/1.2 (§7.3.3, `ofp_table_config`).
pub const OFPTC_DEPRECATED_MASK: u32 = 3;

/// `OFPGFC_SELECT_WEIGHT`: select groups support weights (§7.3.5.12, `ofp_group_capabilities`).
pub const OFPGFC_SELECT_WEIGHT: u32 = 1 << 0;
/// `OFPGFC_SELECT_LIVENESS`: select groups support liveness (§7.3.5.12).
pub const OFPGFC_SELECT_LIVENESS: u32 = 1 << 1;
/// `OFPGFC_CHAINING`: groups may forward to groups (§7.3.5.12).
pub const OFPGFC_CHAINING: u32 = 1 << 2;
/// `OFPGFC_CHAINING_CHECKS`: the switch checks group chains for loops (§7.3.5.12).
pub const OFPGFC_CHAINING_CHECKS: u32 = 1 << 3;

/// The ONF experimenter id, `ONF_EXPERIMENTER_ID` ("ONF\0").
pub const ONF_EXPERIMENTER_ID: u32 = 0x4f4e_4600;
/// `ONFMP_FLOW_MONITOR`: the ONF flow-monitor experimenter multipart type (ONF extension 1.3 EXT-187).
pub const ONFMP_FLOW_MONITOR: u32 = 1870;
/// `ONFFMF_INITIAL`: flow monitor reports the flows that match initially.
pub const ONFFMF_INITIAL: u16 = 1 << 0;
/// `ONFFMF_ADD`: flow monitor reports added flows.
pub const ONFFMF_ADD: u16 = 1 << 1;
/// `ONFFMF_DELETE`: flow monitor reports deleted flows.
pub const ONFFMF_DELETE: u16 = 1 << 2;
/// `ONFFMF_MODIFY`: flow monitor reports modified flows.
pub const ONFFMF_MODIFY: u16 = 1 << 3;
/// `ONFFMF_ACTIONS`: flow monitor reports include actions.
pub const ONFFMF_ACTIONS: u16 = 1 << 4;
/// `ONFFMF_OWN`: flow monitor reports this controller's own changes too.
pub const ONFFMF_OWN: u16 = 1 << 5;

/// Bytes of the multipart header after the `ofp_header`: type, flags, pad[4].
pub const MULTIPART_HEADER_LEN: usize = 8;

/// The `type` field of a multipart message: `enum ofp_multipart_type` (OpenFlow 1.3.5 §7.3.5).
///
/// Open: codes OpenFlow 1.3 does not define are [`MultipartType::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MultipartType {
    /// `OFPMP_DESC` (0): switch description.
    Desc,
    /// `OFPMP_FLOW` (1): individual flow statistics.
    Flow,
    /// `OFPMP_AGGREGATE` (2): aggregate flow statistics.
    Aggregate,
    /// `OFPMP_TABLE` (3): flow table statistics.
    Table,
    /// `OFPMP_PORT_STATS` (4): port statistics.
    PortStats,
    /// `OFPMP_QUEUE` (5): queue statistics.
    Queue,
    /// `OFPMP_GROUP` (6): group counters.
    Group,
    /// `OFPMP_GROUP_DESC` (7): group descriptions.
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES` (8): group features.
    GroupFeatures,
    /// `OFPMP_METER` (9): meter statistics.
    Meter,
    /// `OFPMP_METER_CONFIG` (10): meter configuration.
    MeterConfig,
    /// `OFPMP_METER_FEATURES` (11): meter features.
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES` (12): table features.
    TableFeatures,
    /// `OFPMP_PORT_DESC` (13): port descriptions.
    PortDesc,
    /// `OFPMP_EXPERIMENTER` (0xffff): experimenter extension.
    Experimenter,
    /// A code OpenFlow 1.3 does not define.
    Unknown(u16),
}

impl From<u16> for MultipartType {
    fn from(code: u16) -> Self {
        match code {
            0 => Self::Desc,
            1 => Self::Flow,
            2 => Self::Aggregate,
            3 => Self::Table,
            4 => Self::PortStats,
            5 => Self::Queue,
            6 => Self::Group,
            7 => Self::GroupDesc,
            8 => Self::GroupFeatures,
            9 => Self::Meter,
            10 => Self::MeterConfig,
            11 => Self::MeterFeatures,
            12 => Self::TableFeatures,
            13 => Self::PortDesc,
            0xffff => Self::Experimenter,
            other => Self::Unknown(other),
        }
    }
}

impl From<MultipartType> for u16 {
    fn from(ty: MultipartType) -> u16 {
        match ty {
            MultipartType::Desc => 0,
            MultipartType::Flow => 1,
            MultipartType::Aggregate => 2,
            MultipartType::Table => 3,
            MultipartType::PortStats => 4,
            MultipartType::Queue => 5,
            MultipartType::Group => 6,
            MultipartType::GroupDesc => 7,
            MultipartType::GroupFeatures => 8,
            MultipartType::Meter => 9,
            MultipartType::MeterConfig => 10,
            MultipartType::MeterFeatures => 11,
            MultipartType::TableFeatures => 12,
            MultipartType::PortDesc => 13,
            MultipartType::Experimenter => 0xffff,
            MultipartType::Unknown(code) => code,
        }
    }
}

/// A fixed-size, NUL-padded string field such as `ofp_desc.mfr_desc[256]` or
/// `ofp_table_features.name[32]` (OpenFlow 1.3.5 §7.3.5.1, §7.3.5.5).
///
/// Keeps all `N` bytes as received (bytes after the first NUL included), so a
/// decoded value encodes back to the same bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedStr<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedStr<N> {
    /// `s` NUL-padded to `N` bytes; `None` if `s` is longer than `N` bytes.
    /// (A string of exactly `N` bytes has no terminating NUL; the spec asks for one.)
    pub fn new(s: &str) -> Option<Self> {
        let src = s.as_bytes();
        let mut out = [0u8; N];
        out.get_mut(..src.len())?.copy_from_slice(src);
        Some(Self(out))
    }

    /// All `N` bytes, padding included.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The bytes before the first NUL (the C string).
    pub fn trimmed(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// The C string as text (invalid UTF-8 replaced by U+FFFD).
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.trimmed())
    }

    /// The text os-ken shows: trailing NULs stripped (not cut at the first NUL).
    pub fn osken_str(&self) -> Cow<'_, str> {
        let end = self.0.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        String::from_utf8_lossy(&self.0[..end])
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> core::fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.osken_str(), f)
    }
}

/// A length field value as written on the wire. Structures longer than 65535
/// bytes cannot be expressed; their length field wraps (callers keep them smaller).
fn len16(len: usize) -> u16 {
    len as u16
}

/// Splits off one variable-length list entry named `context` whose `u16`
/// length field (`field`) sits `len_at` bytes into it. The length must be at
/// least `min`, `(length - min)` a multiple of `unit`, and within `r`.
fn split_entry<'a>(
    r: &mut Reader<'a>,
    context: &'static str,
    len_at: usize,
    field: &'static str,
    min: usize,
    unit: usize,
) -> Result<Reader<'a>, DecodeError> {
    let mut peek = r.clone();
    peek.set_context(context);
    if peek.remaining() < len_at + 2 {
        return Err(peek.error(field, ErrorKind::Truncated { needed: min, available: peek.remaining() }));
    }
    peek.pad(len_at)?;
    let len_offset = peek.offset();
    let len = usize::from(peek.u16(field)?);
    if len < min || (len - min) % unit != 0 || len > r.remaining() {
        return Err(peek.error_at(len_offset, field, ErrorKind::BadLength { length: len }));
    }
    r.sub(len, len_offset, field, context)
}

/// `struct ofp_meter_multipart_request`: `meter_id`, pad[4].
fn meter_request(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    r.set_context("ofp_meter_multipart_request");
    let meter_id = r.u32("meter_id")?;
    r.pad(4)?;
    Ok(meter_id)
}

/// Decodes entries with `decode` until `r` is empty.
fn decode_all<'a, T>(
    r: &mut Reader<'a>,
    mut decode: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let before = r.remaining();
        out.push(decode(r)?);
        if r.remaining() == before {
            // A decoder that takes nothing would loop forever; none should.
            return Err(r.error("length", ErrorKind::BadLength { length: 0 }));
        }
    }
    Ok(out)
}

fn list_len<T: Encode>(items: &[T]) -> usize {
    items.iter().map(Encode::encoded_len).sum()
}

fn encode_all<T: Encode, B: BufMut>(items: &[T], buf: &mut B) {
    for item in items {
        item.encode(buf);
    }
}

// ---------------------------------------------------------------------------
// The two messages
// ---------------------------------------------------------------------------

/// `OFPT_MULTIPART_REQUEST`: `struct ofp_multipart_request` (OpenFlow 1.3.5 §7.3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartRequest {
    /// `OFPMPF_*` flags ([`OFPMPF_REQ_MORE`]).
    pub flags: u16,
    /// The typed body; its variant gives the multipart `type`.
    pub body: MultipartRequestBody,
}

/// `OFPT_MULTIPART_REPLY`: `struct ofp_multipart_reply` (OpenFlow 1.3.5 §7.3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartReply {
    /// `OFPMPF_*` flags ([`OFPMPF_REPLY_MORE`]).
    pub flags: u16,
    /// The typed body; its variant gives the multipart `type`.
    pub body: MultipartReplyBody,
}

/// The body of a multipart request, by type (OpenFlow 1.3.5 §7.3.5.1–§7.3.5.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartRequestBody {
    /// `OFPMP_DESC`: empty body (§7.3.5.1).
    Desc,
    /// `OFPMP_FLOW`: `ofp_flow_stats_request` (§7.3.5.2).
    Flow(FlowStatsRequest),
    /// `OFPMP_AGGREGATE`: `ofp_aggregate_stats_request`, same layout as the flow one (§7.3.5.3).
    Aggregate(FlowStatsRequest),
    /// `OFPMP_TABLE`: empty body (§7.3.5.4).
    Table,
    /// `OFPMP_PORT_STATS`: `ofp_port_stats_request` (§7.3.5.6).
    PortStats {
        /// Port to read, or [`OFPP_ANY`] for all.
        port_no: u32,
    },
    /// `OFPMP_QUEUE`: `ofp_queue_stats_request` (§7.3.5.8).
    Queue {
        /// Port to read, or [`OFPP_ANY`] for all.
        port_no: u32,
        /// Queue to read, or [`OFPQ_ALL`] for all.
        queue_id: u32,
    },
    /// `OFPMP_GROUP`: `ofp_group_stats_request` (§7.3.5.9).
    Group {
        /// Group to read, or [`OFPG_ALL`] for all.
        group_id: u32,
    },
    /// `OFPMP_GROUP_DESC`: empty body (§7.3.5.10).
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES`: empty body (§7.3.5.11).
    GroupFeatures,
    /// `OFPMP_METER`: `ofp_meter_multipart_request` (§7.3.5.12).
    Meter {
        /// Meter to read, or [`OFPM_ALL`] for all.
        meter_id: u32,
    },
    /// `OFPMP_METER_CONFIG`: `ofp_meter_multipart_request` (§7.3.5.13).
    MeterConfig {
        /// Meter to read, or [`OFPM_ALL`] for all.
        meter_id: u32,
    },
    /// `OFPMP_METER_FEATURES`: empty body (§7.3.5.14).
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES`: zero or more `ofp_table_features`; an empty list
    /// queries, a non-empty one sets the tables' features (§7.3.5.5).
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`: empty body (§7.3.5.7).
    PortDesc,
    /// `OFPMP_EXPERIMENTER`: `ofp_experimenter_multipart_header` + data (§7.3.5.16).
    Experimenter(ExperimenterMultipart),
    /// A multipart type OpenFlow 1.3 does not define, kept raw.
    Unknown {
        /// The `type` field.
        mp_type: u16,
        /// The bytes after the multipart header.
        body: Vec<u8>,
    },
}

/// The body of a multipart reply, by type (OpenFlow 1.3.5 §7.3.5.1–§7.3.5.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartReplyBody {
    /// `OFPMP_DESC`: `ofp_desc` (§7.3.5.1).
    Desc(Box<Desc>),
    /// `OFPMP_FLOW`: `ofp_flow_stats` entries (§7.3.5.2).
    Flow(Vec<FlowStats>),
    /// `OFPMP_AGGREGATE`: `ofp_aggregate_stats_reply` (§7.3.5.3).
    Aggregate(AggregateStats),
    /// `OFPMP_TABLE`: `ofp_table_stats` entries (§7.3.5.4).
    Table(Vec<TableStats>),
    /// `OFPMP_PORT_STATS`: `ofp_port_stats` entries (§7.3.5.6).
    PortStats(Vec<PortStats>),
    /// `OFPMP_QUEUE`: `ofp_queue_stats` entries (§7.3.5.8).
    Queue(Vec<QueueStats>),
    /// `OFPMP_GROUP`: `ofp_group_stats` entries (§7.3.5.9).
    Group(Vec<GroupStats>),
    /// `OFPMP_GROUP_DESC`: `ofp_group_desc` entries (§7.3.5.10).
    GroupDesc(Vec<GroupDesc>),
    /// `OFPMP_GROUP_FEATURES`: `ofp_group_features` (§7.3.5.11).
    GroupFeatures(GroupFeatures),
    /// `OFPMP_METER`: `ofp_meter_stats` entries (§7.3.5.12).
    Meter(Vec<MeterStats>),
    /// `OFPMP_METER_CONFIG`: `ofp_meter_config` entries (§7.3.5.13).
    MeterConfig(Vec<MeterConfig>),
    /// `OFPMP_METER_FEATURES`: `ofp_meter_features` (§7.3.5.14).
    MeterFeatures(MeterFeatures),
    /// `OFPMP_TABLE_FEATURES`: `ofp_table_features` entries (§7.3.5.5).
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`: `ofp_port` entries (§7.3.5.7).
    PortDesc(Vec<Port>),
    /// `OFPMP_EXPERIMENTER`: `ofp_experimenter_multipart_header` + data (§7.3.5.16).
    Experimenter(ExperimenterMultipart),
    /// A multipart type OpenFlow 1.3 does not define, kept raw.
    Unknown {
        /// The `type` field.
        mp_type: u16,
        /// The bytes after the multipart header.
        body: Vec<u8>,
    },
}

impl MultipartRequest {
    /// Decodes `type`, `flags`, pad and the body from `r` (positioned right after
    /// the `ofp_header`), consuming all of `r`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (len, offset) = (r.remaining(), r.offset());
        let mut r = r.sub(len, offset, "body", "ofp_multipart_request")?;
        let mp_type = r.u16("type")?;
        let flags = r.u16("flags")?;
        r.pad(4)?;
        let body = MultipartRequestBody::decode(mp_type, &mut r)?;
        Ok(Self { flags, body })
    }

    /// A request with no flags.
    pub fn new(body: MultipartRequestBody) -> Self {
        Self { flags: 0, body }
    }

    /// The same request with [`OFPMPF_REQ_MORE`] set.
    pub fn with_more(mut self) -> Self {
        self.flags |= OFPMPF_REQ_MORE;
        self
    }

    /// The multipart type of the body.
    pub fn mp_type(&self) -> MultipartType {
        self.body.mp_type()
    }

    /// Switch description request (`OFPMP_DESC`).
    pub fn desc() -> Self {
        Self::new(MultipartRequestBody::Desc)
    }

    /// Individual flow statistics request (`OFPMP_FLOW`), e.g.
    /// `MultipartRequest::flow_stats(FlowStatsRequest::new().table_id(0))`.
    pub fn flow_stats(request: FlowStatsRequest) -> Self {
        Self::new(MultipartRequestBody::Flow(request))
    }

    /// Aggregate flow statistics request (`OFPMP_AGGREGATE`).
    pub fn aggregate_stats(request: FlowStatsRequest) -> Self {
        Self::new(MultipartRequestBody::Aggregate(request))
    }

    /// Table statistics request (`OFPMP_TABLE`).
    pub fn table_stats() -> Self {
        Self::new(MultipartRequestBody::Table)
    }

    /// Port statistics request (`OFPMP_PORT_STATS`); [`OFPP_ANY`] for all ports.
    pub fn port_stats(port_no: u32) -> Self {
        Self::new(MultipartRequestBody::PortStats { port_no })
    }

    /// Queue statistics request (`OFPMP_QUEUE`); [`OFPP_ANY`] / [`OFPQ_ALL`] for all.
    pub fn queue_stats(port_no: u32, queue_id: u32) -> Self {
        Self::new(MultipartRequestBody::Queue { port_no, queue_id })
    }

    /// Group statistics request (`OFPMP_GROUP`); [`OFPG_ALL`] for all groups.
    pub fn group_stats(group_id: u32) -> Self {
        Self::new(MultipartRequestBody::Group { group_id })
    }

    /// Group description request (`OFPMP_GROUP_DESC`).
    pub fn group_desc() -> Self {
        Self::new(MultipartRequestBody::GroupDesc)
    }

    /// Group features request (`OFPMP_GROUP_FEATURES`).
    pub fn group_features() -> Self {
        Self::new(MultipartRequestBody::GroupFeatures)
    }

    /// Meter statistics request (`OFPMP_METER`); [`OFPM_ALL`] for all meters.
    pub fn meter_stats(meter_id: u32) -> Self {
        Self::new(MultipartRequestBody::Meter { meter_id })
    }

    /// Meter configuration request (`OFPMP_METER_CONFIG`); [`OFPM_ALL`] for all meters.
    pub fn meter_config(meter_id: u32) -> Self {
        Self::new(MultipartRequestBody::MeterConfig { meter_id })
    }

    /// Meter features request (`OFPMP_METER_FEATURES`).
    pub fn meter_features() -> Self {
        Self::new(MultipartRequestBody::MeterFeatures)
    }

    /// Table features request (`OFPMP_TABLE_FEATURES`): empty to query, non-empty to set.
    pub fn table_features(tables: Vec<TableFeatures>) -> Self {
        Self::new(MultipartRequestBody::TableFeatures(tables))
    }

    /// Port description request (`OFPMP_PORT_DESC`).
    pub fn port_desc() -> Self {
        Self::new(MultipartRequestBody::PortDesc)
    }

    /// Experimenter multipart request (`OFPMP_EXPERIMENTER`).
    pub fn experimenter(experimenter: u32, exp_type: u32, data: Vec<u8>) -> Self {
        Self::new(MultipartRequestBody::Experimenter(ExperimenterMultipart { experimenter, exp_type, data }))
    }
}

impl MultipartReply {
    /// Decodes `type`, `flags`, pad and the body from `r` (positioned right after
    /// the `ofp_header`), consuming all of `r`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (len, offset) = (r.remaining(), r.offset());
        let mut r = r.sub(len, offset, "body", "ofp_multipart_reply")?;
        let mp_type = r.u16("type")?;
        let flags = r.u16("flags")?;
        r.pad(4)?;
        let body = MultipartReplyBody::decode(mp_type, &mut r)?;
        Ok(Self { flags, body })
    }

    /// The multipart type of the body.
    pub fn mp_type(&self) -> MultipartType {
        self.body.mp_type()
    }

    /// True when [`OFPMPF_REPLY_MORE`] is set (more replies follow).
    pub fn more(&self) -> bool {
        self.flags & OFPMPF_REPLY_MORE != 0
    }
}

impl Encode for MultipartRequest {
    fn encoded_len(&self) -> usize {
        MULTIPART_HEADER_LEN + self.body.encoded_len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.body.mp_type().into());
        buf.put_u16(self.flags);
        put_zeros(buf, 4);
        self.body.encode(buf);
    }
}

impl Encode for MultipartReply {
    fn encoded_len(&self) -> usize {
        MULTIPART_HEADER_LEN + self.body.encoded_len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.body.mp_type().into());
        buf.put_u16(self.flags);
        put_zeros(buf, 4);
        self.body.encode(buf);
    }
}

impl MultipartRequestBody {
    /// Decodes the body of type `mp_type` from all of `r`.
    pub fn decode(mp_type: u16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let body = match MultipartType::from(mp_type) {
            MultipartType::Desc => Self::Desc,
            MultipartType::Flow => Self::Flow(FlowStatsRequest::decode(r, "ofp_flow_stats_request")?),
            MultipartType::Aggregate => {
                Self::Aggregate(FlowStatsRequest::decode(r, "ofp_aggregate_stats_request")?)
            }
            MultipartType::Table => Self::Table,
            MultipartType::PortStats => {
                r.set_context("ofp_port_stats_request");
                let port_no = r.u32("port_no")?;
                r.pad(4)?;
                Self::PortStats { port_no }
            }
            MultipartType::Queue => {
                r.set_context("ofp_queue_stats_request");
                let port_no = r.u32("port_no")?;
                let queue_id = r.u32("queue_id")?;
                Self::Queue { port_no, queue_id }
            }
            MultipartType::Group => {
                r.set_context("ofp_group_stats_request");
                let group_id = r.u32("group_id")?;
                r.pad(4)?;
                Self::Group { group_id }
            }
            MultipartType::GroupDesc => Self::GroupDesc,
            MultipartType::GroupFeatures => Self::GroupFeatures,
            MultipartType::Meter => Self::Meter { meter_id: meter_request(r)? },
            MultipartType::MeterConfig => Self::MeterConfig { meter_id: meter_request(r)? },
            MultipartType::MeterFeatures => Self::MeterFeatures,
            MultipartType::TableFeatures => Self::TableFeatures(TableFeatures::decode_list(r)?),
            MultipartType::PortDesc => Self::PortDesc,
            MultipartType::Experimenter => Self::Experimenter(ExperimenterMultipart::decode(r)?),
            MultipartType::Unknown(mp_type) => Self::Unknown { mp_type, body: r.rest().to_vec() },
        };
        r.finish("body")?;
        Ok(body)
    }

    /// The multipart type of this body.
    pub fn mp_type(&self) -> MultipartType {
        match self {
            Self::Desc => MultipartType::Desc,
            Self::Flow(_) => MultipartType::Flow,
            Self::Aggregate(_) => MultipartType::Aggregate,
            Self::Table => MultipartType::Table,
            Self::PortStats { .. } => MultipartType::PortStats,
            Self::Queue { .. } => MultipartType::Queue,
            Self::Group { .. } => MultipartType::Group,
            Self::GroupDesc => MultipartType::GroupDesc,
            Self::GroupFeatures => MultipartType::GroupFeatures,
            Self::Meter { .. } => MultipartType::Meter,
            Self::MeterConfig { .. } => MultipartType::MeterConfig,
            Self::MeterFeatures => MultipartType::MeterFeatures,
            Self::TableFeatures(_) => MultipartType::TableFeatures,
            Self::PortDesc => MultipartType::PortDesc,
            Self::Experimenter(_) => MultipartType::Experimenter,
            Self::Unknown { mp_type, .. } => MultipartType::from(*mp_type),
        }
    }
}

impl Encode for MultipartRequestBody {
    fn encoded_len(&self) -> usize {
        match self {
            Self::Desc
            | Self::Table
            | Self::GroupDesc
            | Self::GroupFeatures
            | Self::MeterFeatures
            | Self::PortDesc => 0,
            Self::Flow(req) | Self::Aggregate(req) => req.encoded_len(),
            Self::PortStats { .. }
            | Self::Queue { .. }
            | Self::Group { .. }
            | Self::Meter { .. }
            | Self::MeterConfig { .. } => 8,
            Self::TableFeatures(tables) => list_len(tables),
            Self::Experimenter(exp) => exp.encoded_len(),
            Self::Unknown { body, .. } => body.len(),
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        match self {
            Self::Desc
            | Self::Table
            | Self::GroupDesc
            | Self::GroupFeatures
            | Self::MeterFeatures
            | Self::PortDesc => {}
            Self::Flow(req) | Self::Aggregate(req) => req.encode(buf),
            Self::PortStats { port_no } => {
                buf.put_u32(*port_no);
                put_zeros(buf, 4);
            }
            Self::Queue { port_no, queue_id } => {
                buf.put_u32(*port_no);
                buf.put_u32(*queue_id);
            }
            Self::Group { group_id: id }
            | Self::Meter { meter_id: id }
            | Self::MeterConfig { meter_id: id } => {
                buf.put_u32(*id);
                put_zeros(buf, 4);
            }
            Self::TableFeatures(tables) => encode_all(tables, buf),
            Self::Experimenter(exp) => exp.encode(buf),
            Self::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

impl MultipartReplyBody {
    /// Decodes the body of type `mp_type` from all of `r`.
    pub fn decode(mp_type: u16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let body = match MultipartType::from(mp_type) {
            MultipartType::Desc => Self::Desc(Box::new(Desc::decode(r)?)),
            MultipartType::Flow => Self::Flow(decode_all(r, FlowStats::decode)?),
            MultipartType::Aggregate => Self::Aggregate(AggregateStats::decode(r)?),
            MultipartType::Table => Self::Table(decode_all(r, TableStats::decode)?),
            MultipartType::PortStats => Self::PortStats(decode_all(r, PortStats::decode)?),
            MultipartType::Queue => Self::Queue(decode_all(r, QueueStats::decode)?),
            MultipartType::Group => Self::Group(decode_all(r, GroupStats::decode)?),
            MultipartType::GroupDesc => Self::GroupDesc(decode_all(r, GroupDesc::decode)?),
            MultipartType::GroupFeatures => Self::GroupFeatures(GroupFeatures::decode(r)?),
            MultipartType::Meter => Self::Meter(decode_all(r, MeterStats::decode)?),
            MultipartType::MeterConfig => Self::MeterConfig(decode_all(r, MeterConfig::decode)?),
            MultipartType::MeterFeatures => Self::MeterFeatures(MeterFeatures::decode(r)?),
            MultipartType::TableFeatures => Self::TableFeatures(TableFeatures::decode_list(r)?),
            MultipartType::PortDesc => Self::PortDesc(decode_all(r, Port::decode)?),
            MultipartType::Experimenter => Self::Experimenter(ExperimenterMultipart::decode(r)?),
            MultipartType::Unknown(mp_type) => Self::Unknown { mp_type, body: r.rest().to_vec() },
        };
        r.finish("body")?;
        Ok(body)
    }

    /// The multipart type of this body.
    pub fn mp_type(&self) -> MultipartType {
        match self {
            Self::Desc(_) => MultipartType::Desc,
            Self::Flow(_) => MultipartType::Flow,
            Self::Aggregate(_) => MultipartType::Aggregate,
            Self::Table(_) => MultipartType::Table,
            Self::PortStats(_) => MultipartType::PortStats,
            Self::Queue(_) => MultipartType::Queue,
            Self::Group(_) => MultipartType::Group,
            Self::GroupDesc(_) => MultipartType::GroupDesc,
            Self::GroupFeatures(_) => MultipartType::GroupFeatures,
            Self::Meter(_) => MultipartType::Meter,
            Self::MeterConfig(_) => MultipartType::MeterConfig,
            Self::MeterFeatures(_) => MultipartType::MeterFeatures,
            Self::TableFeatures(_) => MultipartType::TableFeatures,
            Self::PortDesc(_) => MultipartType::PortDesc,
            Self::Experimenter(_) => MultipartType::Experimenter,
            Self::Unknown { mp_type, .. } => MultipartType::from(*mp_type),
        }
    }
}

impl Encode for MultipartReplyBody {
    fn encoded_len(&self) -> usize {
        match self {
            Self::Desc(d) => d.encoded_len(),
            Self::Flow(v) => list_len(v),
            Self::Aggregate(a) => a.encoded_len(),
            Self::Table(v) => list_len(v),
            Self::PortStats(v) => list_len(v),
            Self::Queue(v) => list_len(v),
            Self::Group(v) => list_len(v),
            Self::GroupDesc(v) => list_len(v),
            Self::GroupFeatures(g) => g.encoded_len(),
            Self::Meter(v) => list_len(v),
            Self::MeterConfig(v) => list_len(v),
            Self::MeterFeatures(m) => m.encoded_len(),
            Self::TableFeatures(v) => list_len(v),
            Self::PortDesc(v) => list_len(v),
            Self::Experimenter(e) => e.encoded_len(),
            Self::Unknown { body, .. } => body.len(),
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        match self {
            Self::Desc(d) => d.encode(buf),
            Self::Flow(v) => encode_all(v, buf),
            Self::Aggregate(a) => a.encode(buf),
            Self::Table(v) => encode_all(v, buf),
            Self::PortStats(v) => encode_all(v, buf),
            Self::Queue(v) => encode_all(v, buf),
            Self::Group(v) => encode_all(v, buf),
            Self::GroupDesc(v) => encode_all(v, buf),
            Self::GroupFeatures(g) => g.encode(buf),
            Self::Meter(v) => encode_all(v, buf),
            Self::MeterConfig(v) => encode_all(v, buf),
            Self::MeterFeatures(m) => m.encode(buf),
            Self::TableFeatures(v) => encode_all(v, buf),
            Self::PortDesc(v) => encode_all(v, buf),
            Self::Experimenter(e) => e.encode(buf),
            Self::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

// ---------------------------------------------------------------------------
// DESC
// ---------------------------------------------------------------------------

/// Switch description, `struct ofp_desc` (OpenFlow 1.3.5 §7.3.5.1), 1056 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desc {
    /// Manufacturer description.
    pub mfr_desc: FixedStr<256>,
    /// Hardware description.
    pub hw_desc: FixedStr<256>,
    /// Software description.
    pub sw_desc: FixedStr<256>,
    /// Serial number.
    pub serial_num: FixedStr<32>,
    /// Human-readable description of the datapath.
    pub dp_desc: FixedStr<256>,
}

impl Desc {
    /// Size on the wire.
    pub const LEN: usize = 1056;

    /// Decodes an `ofp_desc`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_desc");
        Ok(Self {
            mfr_desc: FixedStr(r.array("mfr_desc")?),
            hw_desc: FixedStr(r.array("hw_desc")?),
            sw_desc: FixedStr(r.array("sw_desc")?),
            serial_num: FixedStr(r.array("serial_num")?),
            dp_desc: FixedStr(r.array("dp_desc")?),
        })
    }
}

impl Encode for Desc {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(&self.mfr_desc.0);
        buf.put_slice(&self.hw_desc.0);
        buf.put_slice(&self.sw_desc.0);
        buf.put_slice(&self.serial_num.0);
        buf.put_slice(&self.dp_desc.0);
    }
}

// ---------------------------------------------------------------------------
// FLOW / AGGREGATE
// ---------------------------------------------------------------------------

/// `struct ofp_flow_stats_request` and `struct ofp_aggregate_stats_request`
/// (OpenFlow 1.3.5 §7.3.5.2, §7.3.5.3): which flows to report.
///
/// Build one like `FlowStatsRequest::new().table_id(0).out_port(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStatsRequest {
    /// Table to read, or [`OFPTT_ALL`].
    pub table_id: u8,
    /// Only flows with an output to this port, or [`OFPP_ANY`].
    pub out_port: u32,
    /// Only flows with an output to this group, or [`OFPG_ANY`].
    pub out_group: u32,
    /// Only flows whose cookie matches this under `cookie_mask`.
    pub cookie: u64,
    /// Cookie bits that must match; 0 for any cookie.
    pub cookie_mask: u64,
    /// Only flows that match these fields.
    pub matching: Match,
}

impl Default for FlowStatsRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl FlowStatsRequest {
    /// Fixed part before the match.
    pub const FIXED_LEN: usize = 32;

    /// Every flow of every table: [`OFPTT_ALL`], [`OFPP_ANY`], [`OFPG_ANY`], no cookie, empty match.
    pub fn new() -> Self {
        Self {
            table_id: OFPTT_ALL,
            out_port: OFPP_ANY,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            matching: Match::new(),
        }
    }

    /// Only table `table_id`.
    pub fn table_id(mut self, table_id: u8) -> Self {
        self.table_id = table_id;
        self
    }

    /// Only flows that output to `port`.
    pub fn out_port(mut self, port: u32) -> Self {
        self.out_port = port;
        self
    }

    /// Only flows that output to `group`.
    pub fn out_group(mut self, group: u32) -> Self {
        self.out_group = group;
        self
    }

    /// Only flows with `cookie` under `mask`.
    pub fn cookie(mut self, cookie: u64, mask: u64) -> Self {
        self.cookie = cookie;
        self.cookie_mask = mask;
        self
    }

    /// Only flows matching `matching`.
    pub fn matching(mut self, matching: Match) -> Self {
        self.matching = matching;
        self
    }

    /// Decodes the request from all of `r`; `context` names the wire struct
    /// (`ofp_flow_stats_request` or `ofp_aggregate_stats_request`).
    pub fn decode(r: &mut Reader<'_>, context: &'static str) -> Result<Self, DecodeError> {
        r.set_context(context);
        let table_id = r.u8("table_id")?;
        r.pad(3)?;
        let out_port = r.u32("out_port")?;
        let out_group = r.u32("out_group")?;
        r.pad(4)?;
        let cookie = r.u64("cookie")?;
        let cookie_mask = r.u64("cookie_mask")?;
        let matching = Match::decode(r)?;
        r.set_context(context);
        r.finish("match")?;
        Ok(Self { table_id, out_port, out_group, cookie, cookie_mask, matching })
    }
}

impl Encode for FlowStatsRequest {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + self.matching.encoded_len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u8(self.table_id);
        put_zeros(buf, 3);
        buf.put_u32(self.out_port);
        buf.put_u32(self.out_group);
        put_zeros(buf, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.cookie_mask);
        self.matching.encode(buf);
    }
}

/// One flow entry's statistics, `struct ofp_flow_stats` (OpenFlow 1.3.5 §7.3.5.2).
/// The `length` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStats {
    /// Table the flow is in.
    pub table_id: u8,
    /// Seconds the flow has been alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Priority of the entry.
    pub priority: u16,
    /// Idle timeout in seconds (0: none).
    pub idle_timeout: u16,
    /// Hard timeout in seconds (0: none).
    pub hard_timeout: u16,
    /// `OFPFF_*` flags.
    pub flags: u16,
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Packets that hit the flow.
    pub packet_count: u64,
    /// Bytes that hit the flow.
    pub byte_count: u64,
    /// The flow's match.
    pub matching: Match,
    /// The flow's instructions.
    pub instructions: Vec<Instruction>,
}

impl FlowStats {
    /// Fixed part before the match.
    pub const FIXED_LEN: usize = 48;

    /// Decodes one entry from `r`, bounded by its `length` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const CTX: &str = "ofp_flow_stats";
        let mut e = split_entry(r, CTX, 0, "length", Self::FIXED_LEN + 8, 8)?;
        e.u16("length")?;
        let table_id = e.u8("table_id")?;
        e.pad(1)?;
        let duration_sec = e.u32("duration_sec")?;
        let duration_nsec = e.u32("duration_nsec")?;
        let priority = e.u16("priority")?;
        let idle_timeout = e.u16("idle_timeout")?;
        let hard_timeout = e.u16("hard_timeout")?;
        let flags = e.u16("flags")?;
        e.pad(4)?;
        let cookie = e.u64("cookie")?;
        let packet_count = e.u64("packet_count")?;
        let byte_count = e.u64("byte_count")?;
        let matching = Match::decode(&mut e)?;
        let instructions = Instruction::decode_list(&mut e)?;
        e.set_context(CTX);
        e.finish("instructions")?;
        Ok(Self {
            table_id,
            duration_sec,
            duration_nsec,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            cookie,
            packet_count,
            byte_count,
            matching,
            instructions,
        })
    }
}

impl Encode for FlowStats {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + self.matching.encoded_len() + list_len(&self.instructions)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        buf.put_u8(self.table_id);
        put_zeros(buf, 1);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        buf.put_u16(self.priority);
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u16(self.flags);
        put_zeros(buf, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        self.matching.encode(buf);
        encode_all(&self.instructions, buf);
    }
}

/// Aggregate flow statistics, `struct ofp_aggregate_stats_reply` (OpenFlow 1.3.5 §7.3.5.3), 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregateStats {
    /// Packets in the matching flows.
    pub packet_count: u64,
    /// Bytes in the matching flows.
    pub byte_count: u64,
    /// Number of matching flows.
    pub flow_count: u32,
}

impl AggregateStats {
    /// Size on the wire.
    pub const LEN: usize = 24;

    /// Decodes an `ofp_aggregate_stats_reply`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_aggregate_stats_reply");
        let packet_count = r.u64("packet_count")?;
        let byte_count = r.u64("byte_count")?;
        let flow_count = r.u32("flow_count")?;
        r.pad(4)?;
        Ok(Self { packet_count, byte_count, flow_count })
    }
}

impl Encode for AggregateStats {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.flow_count);
        put_zeros(buf, 4);
    }
}

// ---------------------------------------------------------------------------
// TABLE / PORT_STATS / QUEUE
// ---------------------------------------------------------------------------

/// One table's statistics, `struct ofp_table_stats` (OpenFlow 1.3.5 §7.3.5.4), 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableStats {
    /// The table.
    pub table_id: u8,
    /// Active entries.
    pub active_count: u32,
    /// Packets looked up in the table.
    pub lookup_count: u64,
    /// Packets that hit the table.
    pub matched_count: u64,
}

impl TableStats {
    /// Size on the wire.
    pub const LEN: usize = 24;

    /// Decodes one `ofp_table_stats`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_table_stats");
        let table_id = r.u8("table_id")?;
        r.pad(3)?;
        Ok(Self {
            table_id,
            active_count: r.u32("active_count")?,
            lookup_count: r.u64("lookup_count")?,
            matched_count: r.u64("matched_count")?,
        })
    }
}

impl Encode for TableStats {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u8(self.table_id);
        put_zeros(buf, 3);
        buf.put_u32(self.active_count);
        buf.put_u64(self.lookup_count);
        buf.put_u64(self.matched_count);
    }
}

/// One port's statistics, `struct ofp_port_stats` (OpenFlow 1.3.5 §7.3.5.6), 112 bytes.
/// Counters a switch does not support are all ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortStats {
    /// The port.
    pub port_no: u32,
    /// Packets received.
    pub rx_packets: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets dropped by RX.
    pub rx_dropped: u64,
    /// Packets dropped by TX.
    pub tx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Frame alignment errors.
    pub rx_frame_err: u64,
    /// Packets with RX overrun.
    pub rx_over_err: u64,
    /// CRC errors.
    pub rx_crc_err: u64,
    /// Collisions.
    pub collisions: u64,
    /// Seconds the port has been alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
}

impl PortStats {
    /// Size on the wire.
    pub const LEN: usize = 112;

    /// Decodes one `ofp_port_stats`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_port_stats");
        let port_no = r.u32("port_no")?;
        r.pad(4)?;
        Ok(Self {
            port_no,
            rx_packets: r.u64("rx_packets")?,
            tx_packets: r.u64("tx_packets")?,
            rx_bytes: r.u64("rx_bytes")?,
            tx_bytes: r.u64("tx_bytes")?,
            rx_dropped: r.u64("rx_dropped")?,
            tx_dropped: r.u64("tx_dropped")?,
            rx_errors: r.u64("rx_errors")?,
            tx_errors: r.u64("tx_errors")?,
            rx_frame_err: r.u64("rx_frame_err")?,
            rx_over_err: r.u64("rx_over_err")?,
            rx_crc_err: r.u64("rx_crc_err")?,
            collisions: r.u64("collisions")?,
            duration_sec: r.u32("duration_sec")?,
            duration_nsec: r.u32("duration_nsec")?,
        })
    }
}

impl Encode for PortStats {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.port_no);
        put_zeros(buf, 4);
        for v in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.collisions,
        ] {
            buf.put_u64(v);
        }
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

/// One queue's statistics, `struct ofp_queue_stats` (OpenFlow 1.3.5 §7.3.5.8), 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// The port the queue is attached to.
    pub port_no: u32,
    /// The queue.
    pub queue_id: u32,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Packets dropped for overrun.
    pub tx_errors: u64,
    /// Seconds the queue has been alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
}

impl QueueStats {
    /// Size on the wire.
    pub const LEN: usize = 40;

    /// Decodes one `ofp_queue_stats`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_queue_stats");
        Ok(Self {
            port_no: r.u32("port_no")?,
            queue_id: r.u32("queue_id")?,
            tx_bytes: r.u64("tx_bytes")?,
            tx_packets: r.u64("tx_packets")?,
            tx_errors: r.u64("tx_errors")?,
            duration_sec: r.u32("duration_sec")?,
            duration_nsec: r.u32("duration_nsec")?,
        })
    }
}

impl Encode for QueueStats {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.port_no);
        buf.put_u32(self.queue_id);
        buf.put_u64(self.tx_bytes);
        buf.put_u64(self.tx_packets);
        buf.put_u64(self.tx_errors);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

// ---------------------------------------------------------------------------
// GROUP / GROUP_DESC / GROUP_FEATURES
// ---------------------------------------------------------------------------

/// One bucket's counters, `struct ofp_bucket_counter` (OpenFlow 1.3.5 §7.3.5.9), 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketCounter {
    /// Packets processed by the bucket.
    pub packet_count: u64,
    /// Bytes processed by the bucket.
    pub byte_count: u64,
}

impl BucketCounter {
    /// Size on the wire.
    pub const LEN: usize = 16;

    /// Decodes one `ofp_bucket_counter`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_bucket_counter");
        Ok(Self { packet_count: r.u64("packet_count")?, byte_count: r.u64("byte_count")? })
    }
}

impl Encode for BucketCounter {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
    }
}

/// One group's statistics, `struct ofp_group_stats` (OpenFlow 1.3.5 §7.3.5.9).
/// The `length` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupStats {
    /// The group.
    pub group_id: u32,
    /// Flows and groups that forward to this group.
    pub ref_count: u32,
    /// Packets processed by the group.
    pub packet_count: u64,
    /// Bytes processed by the group.
    pub byte_count: u64,
    /// Seconds the group has been alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-bucket counters, in bucket order.
    pub bucket_stats: Vec<BucketCounter>,
}

impl GroupStats {
    /// Fixed part before the bucket counters.
    pub const FIXED_LEN: usize = 40;

    /// Decodes one entry from `r`, bounded by its `length` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = split_entry(r, "ofp_group_stats", 0, "length", Self::FIXED_LEN, BucketCounter::LEN)?;
        e.u16("length")?;
        e.pad(2)?;
        let group_id = e.u32("group_id")?;
        let ref_count = e.u32("ref_count")?;
        e.pad(4)?;
        let packet_count = e.u64("packet_count")?;
        let byte_count = e.u64("byte_count")?;
        let duration_sec = e.u32("duration_sec")?;
        let duration_nsec = e.u32("duration_nsec")?;
        let bucket_stats = decode_all(&mut e, BucketCounter::decode)?;
        Ok(Self { group_id, ref_count, packet_count, byte_count, duration_sec, duration_nsec, bucket_stats })
    }
}

impl Encode for GroupStats {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + list_len(&self.bucket_stats)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        put_zeros(buf, 2);
        buf.put_u32(self.group_id);
        buf.put_u32(self.ref_count);
        put_zeros(buf, 4);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        encode_all(&self.bucket_stats, buf);
    }
}

/// One group's description, `struct ofp_group_desc` (OpenFlow 1.3.5 §7.3.5.10).
/// The `length` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDesc {
    /// `OFPGT_*` group type.
    pub group_type: u8,
    /// The group.
    pub group_id: u32,
    /// The group's buckets.
    pub buckets: Vec<Bucket>,
}

impl GroupDesc {
    /// Fixed part before the buckets.
    pub const FIXED_LEN: usize = 8;

    /// Decodes one entry from `r`, bounded by its `length` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const CTX: &str = "ofp_group_desc";
        let mut e = split_entry(r, CTX, 0, "length", Self::FIXED_LEN, 8)?;
        e.u16("length")?;
        let group_type = e.u8("type")?;
        e.pad(1)?;
        let group_id = e.u32("group_id")?;
        let buckets = decode_all(&mut e, Bucket::decode)?;
        Ok(Self { group_type, group_id, buckets })
    }
}

impl Encode for GroupDesc {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + list_len(&self.buckets)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        buf.put_u8(self.group_type);
        put_zeros(buf, 1);
        buf.put_u32(self.group_id);
        encode_all(&self.buckets, buf);
    }
}

/// Group features, `struct ofp_group_features` (OpenFlow 1.3.5 §7.3.5.11), 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupFeatures {
    /// Bitmap of supported `OFPGT_*` group types (bit `1 << type`).
    pub types: u32,
    /// `OFPGFC_*` capability bits.
    pub capabilities: u32,
    /// Maximum number of groups, per group type.
    pub max_groups: [u32; 4],
    /// Bitmaps of supported `OFPAT_*` actions (bit `1 << type`), per group type.
    pub actions: [u32; 4],
}

impl GroupFeatures {
    /// Size on the wire.
    pub const LEN: usize = 40;

    /// Decodes an `ofp_group_features`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_group_features");
        let types = r.u32("types")?;
        let capabilities = r.u32("capabilities")?;
        let mut max_groups = [0; 4];
        for v in &mut max_groups {
            *v = r.u32("max_groups")?;
        }
        let mut actions = [0; 4];
        for v in &mut actions {
            *v = r.u32("actions")?;
        }
        Ok(Self { types, capabilities, max_groups, actions })
    }
}

impl Encode for GroupFeatures {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.types);
        buf.put_u32(self.capabilities);
        for v in self.max_groups.iter().chain(&self.actions) {
            buf.put_u32(*v);
        }
    }
}

// ---------------------------------------------------------------------------
// METER / METER_CONFIG / METER_FEATURES
// ---------------------------------------------------------------------------

/// One meter band's statistics, `struct ofp_meter_band_stats` (OpenFlow 1.3.5 §7.3.5.12), 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeterBandStats {
    /// Packets in the band.
    pub packet_band_count: u64,
    /// Bytes in the band.
    pub byte_band_count: u64,
}

impl MeterBandStats {
    /// Size on the wire.
    pub const LEN: usize = 16;

    /// Decodes one `ofp_meter_band_stats`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_meter_band_stats");
        Ok(Self {
            packet_band_count: r.u64("packet_band_count")?,
            byte_band_count: r.u64("byte_band_count")?,
        })
    }
}

impl Encode for MeterBandStats {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u64(self.packet_band_count);
        buf.put_u64(self.byte_band_count);
    }
}

/// One meter's statistics, `struct ofp_meter_stats` (OpenFlow 1.3.5 §7.3.5.12).
/// The `len` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterStats {
    /// The meter.
    pub meter_id: u32,
    /// Flows bound to the meter.
    pub flow_count: u32,
    /// Packets in input.
    pub packet_in_count: u64,
    /// Bytes in input.
    pub byte_in_count: u64,
    /// Seconds the meter has been alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-band statistics, in band order.
    pub band_stats: Vec<MeterBandStats>,
}

impl MeterStats {
    /// Fixed part before the band statistics.
    pub const FIXED_LEN: usize = 40;

    /// Decodes one entry from `r`, bounded by its `len` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = split_entry(r, "ofp_meter_stats", 4, "len", Self::FIXED_LEN, MeterBandStats::LEN)?;
        let meter_id = e.u32("meter_id")?;
        e.u16("len")?;
        e.pad(6)?;
        let flow_count = e.u32("flow_count")?;
        let packet_in_count = e.u64("packet_in_count")?;
        let byte_in_count = e.u64("byte_in_count")?;
        let duration_sec = e.u32("duration_sec")?;
        let duration_nsec = e.u32("duration_nsec")?;
        let band_stats = decode_all(&mut e, MeterBandStats::decode)?;
        Ok(Self {
            meter_id,
            flow_count,
            packet_in_count,
            byte_in_count,
            duration_sec,
            duration_nsec,
            band_stats,
        })
    }
}

impl Encode for MeterStats {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + list_len(&self.band_stats)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.meter_id);
        buf.put_u16(len16(self.encoded_len()));
        put_zeros(buf, 6);
        buf.put_u32(self.flow_count);
        buf.put_u64(self.packet_in_count);
        buf.put_u64(self.byte_in_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        encode_all(&self.band_stats, buf);
    }
}

/// One meter's configuration, `struct ofp_meter_config` (OpenFlow 1.3.5 §7.3.5.13).
/// The `length` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    /// `OFPMF_*` meter flags.
    pub flags: u16,
    /// The meter.
    pub meter_id: u32,
    /// The meter's bands.
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    /// Fixed part before the bands.
    pub const FIXED_LEN: usize = 8;

    /// Decodes one entry from `r`, bounded by its `length` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = split_entry(r, "ofp_meter_config", 0, "length", Self::FIXED_LEN, 8)?;
        e.u16("length")?;
        let flags = e.u16("flags")?;
        let meter_id = e.u32("meter_id")?;
        let bands = decode_all(&mut e, MeterBand::decode)?;
        Ok(Self { flags, meter_id, bands })
    }
}

impl Encode for MeterConfig {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + list_len(&self.bands)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        buf.put_u16(self.flags);
        buf.put_u32(self.meter_id);
        encode_all(&self.bands, buf);
    }
}

/// Meter features, `struct ofp_meter_features` (OpenFlow 1.3.5 §7.3.5.14), 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeterFeatures {
    /// Maximum number of meters.
    pub max_meter: u32,
    /// Bitmap of supported `OFPMBT_*` band types (bit `1 << type`).
    pub band_types: u32,
    /// Bitmap of supported `OFPMF_*` flags.
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum color value.
    pub max_color: u8,
}

impl MeterFeatures {
    /// Size on the wire.
    pub const LEN: usize = 16;

    /// Decodes an `ofp_meter_features`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_meter_features");
        let out = Self {
            max_meter: r.u32("max_meter")?,
            band_types: r.u32("band_types")?,
            capabilities: r.u32("capabilities")?,
            max_bands: r.u8("max_bands")?,
            max_color: r.u8("max_color")?,
        };
        r.pad(2)?;
        Ok(out)
    }
}

impl Encode for MeterFeatures {
    fn encoded_len(&self) -> usize {
        Self::LEN
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.max_meter);
        buf.put_u32(self.band_types);
        buf.put_u32(self.capabilities);
        buf.put_u8(self.max_bands);
        buf.put_u8(self.max_color);
        put_zeros(buf, 2);
    }
}

// ---------------------------------------------------------------------------
// TABLE_FEATURES
// ---------------------------------------------------------------------------

/// One table's features, `struct ofp_table_features` (OpenFlow 1.3.5 §7.3.5.5.1).
/// The `length` field is computed on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFeatures {
    /// The table.
    pub table_id: u8,
    /// The table's name (32 bytes, NUL-padded, kept exactly).
    pub name: FixedStr<32>,
    /// Bits of metadata the table can match.
    pub metadata_match: u64,
    /// Bits of metadata the table can write.
    pub metadata_write: u64,
    /// `OFPTC_*` config bits.
    pub config: u32,
    /// Maximum number of entries supported.
    pub max_entries: u32,
    /// The table feature properties, in wire order.
    pub properties: Vec<TableFeatureProp>,
}

impl TableFeatures {
    /// Fixed part before the properties.
    pub const FIXED_LEN: usize = 64;

    /// Decodes one entry from `r`, bounded by its `length` field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = split_entry(r, "ofp_table_features", 0, "length", Self::FIXED_LEN, 8)?;
        e.u16("length")?;
        let table_id = e.u8("table_id")?;
        e.pad(5)?;
        let name = FixedStr(e.array("name")?);
        let metadata_match = e.u64("metadata_match")?;
        let metadata_write = e.u64("metadata_write")?;
        let config = e.u32("config")?;
        let max_entries = e.u32("max_entries")?;
        let properties = decode_all(&mut e, TableFeatureProp::decode)?;
        Ok(Self { table_id, name, metadata_match, metadata_write, config, max_entries, properties })
    }

    /// Decodes `ofp_table_features` entries until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Self>, DecodeError> {
        decode_all(r, Self::decode)
    }
}

impl Encode for TableFeatures {
    fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + list_len(&self.properties)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(len16(self.encoded_len()));
        buf.put_u8(self.table_id);
        put_zeros(buf, 5);
        buf.put_slice(&self.name.0);
        buf.put_u64(self.metadata_match);
        buf.put_u64(self.metadata_write);
        buf.put_u32(self.config);
        buf.put_u32(self.max_entries);
        encode_all(&self.properties, buf);
    }
}

/// `OFPTFPT_INSTRUCTIONS`: instructions property (§7.3.5.5.2, `ofp_table_feature_prop_type`).
pub const OFPTFPT_INSTRUCTIONS: u16 = 0;
/// `OFPTFPT_INSTRUCTIONS_MISS`: instructions property for the table-miss entry.
pub const OFPTFPT_INSTRUCTIONS_MISS: u16 = 1;
/// `OFPTFPT_NEXT_TABLES`: next tables property.
pub const OFPTFPT_NEXT_TABLES: u16 = 2;
/// `OFPTFPT_NEXT_TABLES_MISS`: next tables property for the table-miss entry.
pub const OFPTFPT_NEXT_TABLES_MISS: u16 = 3;
/// `OFPTFPT_WRITE_ACTIONS`: write actions property.
pub const OFPTFPT_WRITE_ACTIONS: u16 = 4;
/// `OFPTFPT_WRITE_ACTIONS_MISS`: write actions property for the table-miss entry.
pub const OFPTFPT_WRITE_ACTIONS_MISS: u16 = 5;
/// `OFPTFPT_APPLY_ACTIONS`: apply actions property.
pub const OFPTFPT_APPLY_ACTIONS: u16 = 6;
/// `OFPTFPT_APPLY_ACTIONS_MISS`: apply actions property for the table-miss entry.
pub const OFPTFPT_APPLY_ACTIONS_MISS: u16 = 7;
/// `OFPTFPT_MATCH`: match fields property.
pub const OFPTFPT_MATCH: u16 = 8;
/// `OFPTFPT_WILDCARDS`: wildcardable fields property.
pub const OFPTFPT_WILDCARDS: u16 = 10;
/// `OFPTFPT_WRITE_SETFIELD`: write set-field property.
pub const OFPTFPT_WRITE_SETFIELD: u16 = 12;
/// `OFPTFPT_WRITE_SETFIELD_MISS`: write set-field property for the table-miss entry.
pub const OFPTFPT_WRITE_SETFIELD_MISS: u16 = 13;
/// `OFPTFPT_APPLY_SETFIELD`: apply set-field property.
pub const OFPTFPT_APPLY_SETFIELD: u16 = 14;
/// `OFPTFPT_APPLY_SETFIELD_MISS`: apply set-field property for the table-miss entry.
pub const OFPTFPT_APPLY_SETFIELD_MISS: u16 = 15;
/// `OFPTFPT_EXPERIMENTER`: experimenter property.
pub const OFPTFPT_EXPERIMENTER: u16 = 0xfffe;
/// `OFPTFPT_EXPERIMENTER_MISS`: experimenter property for the table-miss entry.
pub const OFPTFPT_EXPERIMENTER_MISS: u16 = 0xffff;

/// A table feature property (OpenFlow 1.3.5 §7.3.5.5.2): the
/// `ofp_table_feature_prop_*` structs, by `type`.
///
/// On the wire each property is `type`, `length` (excluding padding), the body,
/// then zero padding to a multiple of 8; the length and padding are computed on
/// encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableFeatureProp {
    /// `OFPTFPT_INSTRUCTIONS`: `ofp_table_feature_prop_instructions`.
    Instructions(Vec<InstructionId>),
    /// `OFPTFPT_INSTRUCTIONS_MISS`: `ofp_table_feature_prop_instructions`.
    InstructionsMiss(Vec<InstructionId>),
    /// `OFPTFPT_NEXT_TABLES`: `ofp_table_feature_prop_next_tables`.
    NextTables(Vec<u8>),
    /// `OFPTFPT_NEXT_TABLES_MISS`: `ofp_table_feature_prop_next_tables`.
    NextTablesMiss(Vec<u8>),
    /// `OFPTFPT_WRITE_ACTIONS`: `ofp_table_feature_prop_actions`.
    WriteActions(Vec<ActionId>),
    /// `OFPTFPT_WRITE_ACTIONS_MISS`: `ofp_table_feature_prop_actions`.
    WriteActionsMiss(Vec<ActionId>),
    /// `OFPTFPT_APPLY_ACTIONS`: `ofp_table_feature_prop_actions`.
    ApplyActions(Vec<ActionId>),
    /// `OFPTFPT_APPLY_ACTIONS_MISS`: `ofp_table_feature_prop_actions`.
    ApplyActionsMiss(Vec<ActionId>),
    /// `OFPTFPT_MATCH`: `ofp_table_feature_prop_oxm`.
    Match(Vec<OxmId>),
    /// `OFPTFPT_WILDCARDS`: `ofp_table_feature_prop_oxm`.
    Wildcards(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD`: `ofp_table_feature_prop_oxm`.
    WriteSetfield(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD_MISS`: `ofp_table_feature_prop_oxm`.
    WriteSetfieldMiss(Vec<OxmId>),
    /// `OFPTFPT_APPLY_SETFIELD`: `ofp_table_feature_prop_oxm`.
    ApplySetfield(Vec<OxmId>),
    /// `OFPTFPT_APPLY_SETFIELD_MISS`: `ofp_table_feature_prop_oxm`.
    ApplySetfieldMiss(Vec<OxmId>),
    /// `OFPTFPT_EXPERIMENTER`: `ofp_table_feature_prop_experimenter`.
    Experimenter(TableFeaturePropExperimenter),
    /// `OFPTFPT_EXPERIMENTER_MISS`: `ofp_table_feature_prop_experimenter`.
    ExperimenterMiss(TableFeaturePropExperimenter),
    /// A property type OpenFlow 1.3 does not define, kept raw.
    Unknown {
        /// The `type` field.
        prop_type: u16,
        /// The bytes after `type` and `length`, padding excluded.
        data: Vec<u8>,
    },
}

/// The body of `struct ofp_table_feature_prop_experimenter` (OpenFlow 1.3.5 §7.3.5.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableFeaturePropExperimenter {
    /// Experimenter id.
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data, as the spec's `uint32_t experimenter_data[]`.
    pub data: Vec<u32>,
}

impl TableFeatureProp {
    /// The property's `type` code.
    pub fn prop_type(&self) -> u16 {
        match self {
            Self::Instructions(_) => OFPTFPT_INSTRUCTIONS,
            Self::InstructionsMiss(_) => OFPTFPT_INSTRUCTIONS_MISS,
            Self::NextTables(_) => OFPTFPT_NEXT_TABLES,
            Self::NextTablesMiss(_) => OFPTFPT_NEXT_TABLES_MISS,
            Self::WriteActions(_) => OFPTFPT_WRITE_ACTIONS,
            Self::WriteActionsMiss(_) => OFPTFPT_WRITE_ACTIONS_MISS,
            Self::ApplyActions(_) => OFPTFPT_APPLY_ACTIONS,
            Self::ApplyActionsMiss(_) => OFPTFPT_APPLY_ACTIONS_MISS,
            Self::Match(_) => OFPTFPT_MATCH,
            Self::Wildcards(_) => OFPTFPT_WILDCARDS,
            Self::WriteSetfield(_) => OFPTFPT_WRITE_SETFIELD,
            Self::WriteSetfieldMiss(_) => OFPTFPT_WRITE_SETFIELD_MISS,
            Self::ApplySetfield(_) => OFPTFPT_APPLY_SETFIELD,
            Self::ApplySetfieldMiss(_) => OFPTFPT_APPLY_SETFIELD_MISS,
            Self::Experimenter(_) => OFPTFPT_EXPERIMENTER,
            Self::ExperimenterMiss(_) => OFPTFPT_EXPERIMENTER_MISS,
            Self::Unknown { prop_type, .. } => *prop_type,
        }
    }

    /// The wire struct of a property type.
    fn context(prop_type: u16) -> &'static str {
        match prop_type {
            OFPTFPT_INSTRUCTIONS | OFPTFPT_INSTRUCTIONS_MISS => "ofp_table_feature_prop_instructions",
            OFPTFPT_NEXT_TABLES | OFPTFPT_NEXT_TABLES_MISS => "ofp_table_feature_prop_next_tables",
            OFPTFPT_WRITE_ACTIONS..=OFPTFPT_APPLY_ACTIONS_MISS => "ofp_table_feature_prop_actions",
            OFPTFPT_MATCH | OFPTFPT_WILDCARDS | OFPTFPT_WRITE_SETFIELD..=OFPTFPT_APPLY_SETFIELD_MISS => {
                "ofp_table_feature_prop_oxm"
            }
            OFPTFPT_EXPERIMENTER | OFPTFPT_EXPERIMENTER_MISS => "ofp_table_feature_prop_experimenter",
            _ => "ofp_table_feature_prop_header",
        }
    }

    /// Decodes one property and its padding from `r`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut peek = r.clone();
        peek.set_context("ofp_table_feature_prop_header");
        let prop_type = peek.u16("type")?;
        let context = Self::context(prop_type);
        peek.set_context(context);
        let len_offset = peek.offset();
        let len = usize::from(peek.u16("length")?);
        let experimenter = matches!(prop_type, OFPTFPT_EXPERIMENTER | OFPTFPT_EXPERIMENTER_MISS);
        let min = if experimenter { 12 } else { 4 };
        if len < min || len > r.remaining() || (experimenter && (len - min) % 4 != 0) {
            return Err(peek.error_at(len_offset, "length", ErrorKind::BadLength { length: len }));
        }
        let mut p = r.sub(len, len_offset, "length", context)?;
        let pad = pad8(len);
        if r.remaining() < pad {
            let mut e = r.error("pad", ErrorKind::Truncated { needed: pad, available: r.remaining() });
            e.context = context;
            return Err(e);
        }
        r.pad(pad)?;
        p.pad(4)?;
        let prop = match prop_type {
            OFPTFPT_INSTRUCTIONS => Self::Instructions(decode_all(&mut p, InstructionId::decode)?),
            OFPTFPT_INSTRUCTIONS_MISS => Self::InstructionsMiss(decode_all(&mut p, InstructionId::decode)?),
            OFPTFPT_NEXT_TABLES => Self::NextTables(p.rest().to_vec()),
            OFPTFPT_NEXT_TABLES_MISS => Self::NextTablesMiss(p.rest().to_vec()),
            OFPTFPT_WRITE_ACTIONS => Self::WriteActions(decode_all(&mut p, ActionId::decode)?),
            OFPTFPT_WRITE_ACTIONS_MISS => Self::WriteActionsMiss(decode_all(&mut p, ActionId::decode)?),
            OFPTFPT_APPLY_ACTIONS => Self::ApplyActions(decode_all(&mut p, ActionId::decode)?),
            OFPTFPT_APPLY_ACTIONS_MISS => Self::ApplyActionsMiss(decode_all(&mut p, ActionId::decode)?),
            OFPTFPT_MATCH => Self::Match(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_WILDCARDS => Self::Wildcards(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_WRITE_SETFIELD => Self::WriteSetfield(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_WRITE_SETFIELD_MISS => Self::WriteSetfieldMiss(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_APPLY_SETFIELD => Self::ApplySetfield(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_APPLY_SETFIELD_MISS => Self::ApplySetfieldMiss(decode_all(&mut p, OxmId::decode)?),
            OFPTFPT_EXPERIMENTER | OFPTFPT_EXPERIMENTER_MISS => {
                let experimenter = p.u32("experimenter")?;
                let exp_type = p.u32("exp_type")?;
                let data = decode_all(&mut p, |p| p.u32("experimenter_data"))?;
                let body = TableFeaturePropExperimenter { experimenter, exp_type, data };
                if prop_type == OFPTFPT_EXPERIMENTER {
                    Self::Experimenter(body)
                } else {
                    Self::ExperimenterMiss(body)
                }
            }
            _ => Self::Unknown { prop_type, data: p.rest().to_vec() },
        };
        Ok(prop)
    }

    /// The `length` field: header and body, padding excluded.
    pub fn unpadded_len(&self) -> usize {
        4 + match self {
            Self::Instructions(ids) | Self::InstructionsMiss(ids) => list_len(ids),
            Self::NextTables(ids) | Self::NextTablesMiss(ids) => ids.len(),
            Self::WriteActions(ids)
            | Self::WriteActionsMiss(ids)
            | Self::ApplyActions(ids)
            | Self::ApplyActionsMiss(ids) => list_len(ids),
            Self::Match(ids)
            | Self::Wildcards(ids)
            | Self::WriteSetfield(ids)
            | Self::WriteSetfieldMiss(ids)
            | Self::ApplySetfield(ids)
            | Self::ApplySetfieldMiss(ids) => list_len(ids),
            Self::Experimenter(e) | Self::ExperimenterMiss(e) => 8 + 4 * e.data.len(),
            Self::Unknown { data, .. } => data.len(),
        }
    }
}

impl Encode for TableFeatureProp {
    fn encoded_len(&self) -> usize {
        let len = self.unpadded_len();
        len + pad8(len)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        let len = self.unpadded_len();
        buf.put_u16(self.prop_type());
        buf.put_u16(len16(len));
        match self {
            Self::Instructions(ids) | Self::InstructionsMiss(ids) => encode_all(ids, buf),
            Self::NextTables(ids) | Self::NextTablesMiss(ids) => buf.put_slice(ids),
            Self::WriteActions(ids)
            | Self::WriteActionsMiss(ids)
            | Self::ApplyActions(ids)
            | Self::ApplyActionsMiss(ids) => encode_all(ids, buf),
            Self::Match(ids)
            | Self::Wildcards(ids)
            | Self::WriteSetfield(ids)
            | Self::WriteSetfieldMiss(ids)
            | Self::ApplySetfield(ids)
            | Self::ApplySetfieldMiss(ids) => encode_all(ids, buf),
            Self::Experimenter(e) | Self::ExperimenterMiss(e) => {
                buf.put_u32(e.experimenter);
                buf.put_u32(e.exp_type);
                for v in &e.data {
                    buf.put_u32(*v);
                }
            }
            Self::Unknown { data, .. } => buf.put_slice(data),
        }
        put_zeros(buf, pad8(len));
    }
}

// ---------------------------------------------------------------------------
// EXPERIMENTER
// ---------------------------------------------------------------------------

/// An experimenter multipart body, `struct ofp_experimenter_multipart_header`
/// followed by experimenter-defined data (OpenFlow 1.3.5 §7.3.5.16).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExperimenterMultipart {
    /// Experimenter id (e.g. [`ONF_EXPERIMENTER_ID`]).
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data, kept raw.
    pub data: Vec<u8>,
}

impl ExperimenterMultipart {
    /// Size of the header before `data`.
    pub const HEADER_LEN: usize = 8;

    /// Decodes the header and takes the rest of `r` as data.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ofp_experimenter_multipart_header");
        let experimenter = r.u32("experimenter")?;
        let exp_type = r.u32("exp_type")?;
        Ok(Self { experimenter, exp_type, data: r.rest().to_vec() })
    }

    /// The data as ONF flow monitor requests, if this is one
    /// ([`ONF_EXPERIMENTER_ID`], [`ONFMP_FLOW_MONITOR`]); offsets in errors count
    /// from the start of `data`.
    pub fn onf_flow_monitor_requests(&self) -> Option<Result<Vec<OnfFlowMonitorRequest>, DecodeError>> {
        if self.experimenter != ONF_EXPERIMENTER_ID || self.exp_type != ONFMP_FLOW_MONITOR {
            return None;
        }
        let mut r = Reader::new(&self.data, "onf_flow_monitor_request");
        Some(decode_all(&mut r, OnfFlowMonitorRequest::decode))
    }
}

impl Encode for ExperimenterMultipart {
    fn encoded_len(&self) -> usize {
        Self::HEADER_LEN + self.data.len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u32(self.experimenter);
        buf.put_u32(self.exp_type);
        buf.put_slice(&self.data);
    }
}

/// One ONF flow monitor request, `struct onf_flow_monitor_request` (ONF
/// extension EXT-187 for OpenFlow 1.3): the data of an experimenter multipart
/// request with [`ONF_EXPERIMENTER_ID`] and [`ONFMP_FLOW_MONITOR`].
///
/// Wire: `id` u32, `flags` u16, `match_len` u16, `out_port` u32, `table_id` u8,
/// pad[3], then `match_len` bytes of OXM fields (no `ofp_match` header), zero
/// padded to a multiple of 8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnfFlowMonitorRequest {
    /// Controller-assigned monitor id.
    pub id: u32,
    /// `ONFFMF_*` flags.
    pub flags: u16,
    /// Only flows that output to this port, or [`OFPP_ANY`].
    pub out_port: u32,
    /// Only this table, or [`OFPTT_ALL`].
    pub table_id: u8,
    /// The OXM fields to match.
    pub fields: Vec<Oxm>,
}

impl OnfFlowMonitorRequest {
    /// Fixed part before the OXM fields.
    pub const FIXED_LEN: usize = 16;

    /// Decodes one request and its padding from `r`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const CTX: &str = "onf_flow_monitor_request";
        r.set_context(CTX);
        let id = r.u32("id")?;
        let flags = r.u16("flags")?;
        let len_offset = r.offset();
        let match_len = usize::from(r.u16("match_len")?);
        let out_port = r.u32("out_port")?;
        let table_id = r.u8("table_id")?;
        r.pad(3)?;
        let mut m = r.sub(match_len, len_offset, "match_len", CTX)?;
        let fields = decode_all(&mut m, Oxm::decode)?;
        r.set_context(CTX);
        r.pad(pad8(match_len))?;
        Ok(Self { id, flags, out_port, table_id, fields })
    }

    fn match_len(&self) -> usize {
        list_len(&self.fields)
    }
}

impl Encode for OnfFlowMonitorRequest {
    fn encoded_len(&self) -> usize {
        let m = self.match_len();
        Self::FIXED_LEN + m + pad8(m)
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        let m = self.match_len();
        buf.put_u32(self.id);
        buf.put_u16(self.flags);
        buf.put_u16(len16(m));
        buf.put_u32(self.out_port);
        buf.put_u8(self.table_id);
        put_zeros(buf, 3);
        encode_all(&self.fields, buf);
        put_zeros(buf, pad8(m));
    }
}

// ---------------------------------------------------------------------------
// os-ken JSON
// ---------------------------------------------------------------------------

#[cfg(feature = "json")]
mod osken {
    use alloc::vec::Vec;

    use serde_json::{Value, json};

    use super::*;
    use crate::json::{ToOsken, bytes, list};

    fn wrap(name: &str, fields: Value) -> Value {
        let mut outer = serde_json::Map::new();
        outer.insert(name.into(), fields);
        Value::Object(outer)
    }

    /// `{"Class": {"flags": .., "type": ..}}` plus `extra` fields.
    fn msg(name: &str, mp_type: MultipartType, flags: u16, extra: Value) -> Value {
        let mut fields = match extra {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        fields.insert("flags".into(), json!(flags));
        fields.insert("type".into(), json!(u16::from(mp_type)));
        wrap(name, Value::Object(fields))
    }

    impl MultipartRequest {
        /// The whole message as os-ken's `to_jsondict` shows it, e.g.
        /// `{"OFPFlowStatsRequest": {"flags": 0, "type": 1, "table_id": 0, ...}}`.
        ///
        /// Unknown multipart types (which os-ken cannot represent) show as
        /// `{"OFPMultipartRequest": {"body": "<base64>", "flags", "type"}}`.
        pub fn to_osken_class(&self) -> Value {
            use MultipartRequestBody as B;
            let t = self.mp_type();
            let f = self.flags;
            let flow = |req: &FlowStatsRequest| {
                json!({
                    "table_id": req.table_id,
                    "out_port": req.out_port,
                    "out_group": req.out_group,
                    "cookie": req.cookie,
                    "cookie_mask": req.cookie_mask,
                    "match": req.matching.to_osken(),
                })
            };
            match &self.body {
                B::Desc => msg("OFPDescStatsRequest", t, f, json!({})),
                B::Flow(req) => msg("OFPFlowStatsRequest", t, f, flow(req)),
                B::Aggregate(req) => msg("OFPAggregateStatsRequest", t, f, flow(req)),
                B::Table => msg("OFPTableStatsRequest", t, f, json!({})),
                B::PortStats { port_no } => msg("OFPPortStatsRequest", t, f, json!({ "port_no": port_no })),
                B::Queue { port_no, queue_id } => {
                    msg("OFPQueueStatsRequest", t, f, json!({ "port_no": port_no, "queue_id": queue_id }))
                }
                B::Group { group_id } => msg("OFPGroupStatsRequest", t, f, json!({ "group_id": group_id })),
                B::GroupDesc => msg("OFPGroupDescStatsRequest", t, f, json!({})),
                B::GroupFeatures => msg("OFPGroupFeaturesStatsRequest", t, f, json!({})),
                B::Meter { meter_id } => msg("OFPMeterStatsRequest", t, f, json!({ "meter_id": meter_id })),
                B::MeterConfig { meter_id } => {
                    msg("OFPMeterConfigStatsRequest", t, f, json!({ "meter_id": meter_id }))
                }
                B::MeterFeatures => msg("OFPMeterFeaturesStatsRequest", t, f, json!({})),
                B::TableFeatures(tables) => {
                    msg("OFPTableFeaturesStatsRequest", t, f, json!({ "body": list(tables) }))
                }
                B::PortDesc => msg("OFPPortDescStatsRequest", t, f, json!({})),
                B::Experimenter(exp) => {
                    if let Some(Ok(requests)) = exp.onf_flow_monitor_requests() {
                        let body = requests
                            .iter()
                            .map(OnfFlowMonitorRequest::osken_entry)
                            .collect::<Option<Vec<_>>>();
                        if let Some(body) = body {
                            return msg(
                                "ONFFlowMonitorStatsRequest",
                                t,
                                f,
                                json!({
                                    "experimenter": exp.experimenter,
                                    "exp_type": exp.exp_type,
                                    "body": body,
                                }),
                            );
                        }
                    }
                    msg(
                        "OFPExperimenterStatsRequest",
                        t,
                        f,
                        json!({
                            "experimenter": exp.experimenter,
                            "exp_type": exp.exp_type,
                            "data": bytes(&exp.data),
                        }),
                    )
                }
                B::Unknown { body, .. } => msg("OFPMultipartRequest", t, f, json!({ "body": bytes(body) })),
            }
        }
    }

    impl ToOsken for MultipartRequest {
        fn to_osken(&self) -> Value {
            self.to_osken_class()
        }
    }

    impl MultipartReply {
        /// The whole message as os-ken's `to_jsondict` shows it, e.g.
        /// `{"OFPFlowStatsReply": {"body": [...], "flags": 0, "type": 1}}`.
        ///
        /// Unknown multipart types (which os-ken cannot represent) show as
        /// `{"OFPMultipartReply": {"body": "<base64>", "flags", "type"}}`.
        pub fn to_osken_class(&self) -> Value {
            use MultipartReplyBody as B;
            let (name, body) = match &self.body {
                B::Desc(d) => ("OFPDescStatsReply", d.to_osken()),
                B::Flow(v) => ("OFPFlowStatsReply", list(v)),
                B::Aggregate(a) => ("OFPAggregateStatsReply", a.to_osken()),
                B::Table(v) => ("OFPTableStatsReply", list(v)),
                B::PortStats(v) => ("OFPPortStatsReply", list(v)),
                B::Queue(v) => ("OFPQueueStatsReply", list(v)),
                B::Group(v) => ("OFPGroupStatsReply", list(v)),
                B::GroupDesc(v) => ("OFPGroupDescStatsReply", list(v)),
                B::GroupFeatures(g) => ("OFPGroupFeaturesStatsReply", g.to_osken()),
                B::Meter(v) => ("OFPMeterStatsReply", list(v)),
                B::MeterConfig(v) => ("OFPMeterConfigStatsReply", list(v)),
                // os-ken registers meter features as a list body.
                B::MeterFeatures(m) => {
                    ("OFPMeterFeaturesStatsReply", Value::Array(alloc::vec![m.to_osken()]))
                }
                B::TableFeatures(v) => ("OFPTableFeaturesStatsReply", list(v)),
                B::PortDesc(v) => ("OFPPortDescStatsReply", list(v)),
                B::Experimenter(e) => ("OFPExperimenterStatsReply", e.to_osken()),
                B::Unknown { body, .. } => ("OFPMultipartReply", bytes(body)),
            };
            msg(name, self.mp_type(), self.flags, json!({ "body": body }))
        }
    }

    impl ToOsken for MultipartReply {
        fn to_osken(&self) -> Value {
            self.to_osken_class()
        }
    }

    impl ToOsken for Desc {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPDescStats",
                json!({
                    "mfr_desc": self.mfr_desc.osken_str(),
                    "hw_desc": self.hw_desc.osken_str(),
                    "sw_desc": self.sw_desc.osken_str(),
                    "serial_num": self.serial_num.osken_str(),
                    "dp_desc": self.dp_desc.osken_str(),
                }),
            )
        }
    }

    impl ToOsken for FlowStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPFlowStats",
                json!({
                    "length": self.encoded_len(),
                    "table_id": self.table_id,
                    "duration_sec": self.duration_sec,
                    "duration_nsec": self.duration_nsec,
                    "priority": self.priority,
                    "idle_timeout": self.idle_timeout,
                    "hard_timeout": self.hard_timeout,
                    "flags": self.flags,
                    "cookie": self.cookie,
                    "packet_count": self.packet_count,
                    "byte_count": self.byte_count,
                    "match": self.matching.to_osken(),
                    "instructions": list(&self.instructions),
                }),
            )
        }
    }

    impl ToOsken for AggregateStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPAggregateStats",
                json!({
                    "packet_count": self.packet_count,
                    "byte_count": self.byte_count,
                    "flow_count": self.flow_count,
                }),
            )
        }
    }

    impl ToOsken for TableStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPTableStats",
                json!({
                    "table_id": self.table_id,
                    "active_count": self.active_count,
                    "lookup_count": self.lookup_count,
                    "matched_count": self.matched_count,
                }),
            )
        }
    }

    impl ToOsken for PortStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPPortStats",
                json!({
                    "port_no": self.port_no,
                    "rx_packets": self.rx_packets,
                    "tx_packets": self.tx_packets,
                    "rx_bytes": self.rx_bytes,
                    "tx_bytes": self.tx_bytes,
                    "rx_dropped": self.rx_dropped,
                    "tx_dropped": self.tx_dropped,
                    "rx_errors": self.rx_errors,
                    "tx_errors": self.tx_errors,
                    "rx_frame_err": self.rx_frame_err,
                    "rx_over_err": self.rx_over_err,
                    "rx_crc_err": self.rx_crc_err,
                    "collisions": self.collisions,
                    "duration_sec": self.duration_sec,
                    "duration_nsec": self.duration_nsec,
                }),
            )
        }
    }

    impl ToOsken for QueueStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPQueueStats",
                json!({
                    "port_no": self.port_no,
                    "queue_id": self.queue_id,
                    "tx_bytes": self.tx_bytes,
                    "tx_packets": self.tx_packets,
                    "tx_errors": self.tx_errors,
                    "duration_sec": self.duration_sec,
                    "duration_nsec": self.duration_nsec,
                }),
            )
        }
    }

    impl ToOsken for BucketCounter {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPBucketCounter",
                json!({ "packet_count": self.packet_count, "byte_count": self.byte_count }),
            )
        }
    }

    impl ToOsken for GroupStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPGroupStats",
                json!({
                    "length": self.encoded_len(),
                    "group_id": self.group_id,
                    "ref_count": self.ref_count,
                    "packet_count": self.packet_count,
                    "byte_count": self.byte_count,
                    "duration_sec": self.duration_sec,
                    "duration_nsec": self.duration_nsec,
                    "bucket_stats": list(&self.bucket_stats),
                }),
            )
        }
    }

    impl ToOsken for GroupDesc {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPGroupDescStats",
                json!({
                    "length": self.encoded_len(),
                    "type": self.group_type,
                    "group_id": self.group_id,
                    "buckets": list(&self.buckets),
                }),
            )
        }
    }

    impl ToOsken for GroupFeatures {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPGroupFeaturesStats",
                json!({
                    "types": self.types,
                    "capabilities": self.capabilities,
                    "max_groups": self.max_groups,
                    "actions": self.actions,
                }),
            )
        }
    }

    impl ToOsken for MeterBandStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPMeterBandStats",
                json!({
                    "packet_band_count": self.packet_band_count,
                    "byte_band_count": self.byte_band_count,
                }),
            )
        }
    }

    impl ToOsken for MeterStats {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPMeterStats",
                json!({
                    "meter_id": self.meter_id,
                    "len": self.encoded_len(),
                    "flow_count": self.flow_count,
                    "packet_in_count": self.packet_in_count,
                    "byte_in_count": self.byte_in_count,
                    "duration_sec": self.duration_sec,
                    "duration_nsec": self.duration_nsec,
                    "band_stats": list(&self.band_stats),
                }),
            )
        }
    }

    impl ToOsken for MeterConfig {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPMeterConfigStats",
                json!({
                    "length": self.encoded_len(),
                    "flags": self.flags,
                    "meter_id": self.meter_id,
                    "bands": list(&self.bands),
                }),
            )
        }
    }

    impl ToOsken for MeterFeatures {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPMeterFeaturesStats",
                json!({
                    "max_meter": self.max_meter,
                    "band_types": self.band_types,
                    "capabilities": self.capabilities,
                    "max_bands": self.max_bands,
                    "max_color": self.max_color,
                }),
            )
        }
    }

    impl ToOsken for TableFeatures {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPTableFeaturesStats",
                json!({
                    "length": self.encoded_len(),
                    "table_id": self.table_id,
                    "name": self.name.osken_str(),
                    "metadata_match": self.metadata_match,
                    "metadata_write": self.metadata_write,
                    "config": self.config,
                    "max_entries": self.max_entries,
                    "properties": list(&self.properties),
                }),
            )
        }
    }

    impl ToOsken for TableFeatureProp {
        fn to_osken(&self) -> Value {
            use TableFeatureProp as P;
            let (name, key, value) = match self {
                P::Instructions(ids) | P::InstructionsMiss(ids) => {
                    ("OFPTableFeaturePropInstructions", "instruction_ids", list(ids))
                }
                P::NextTables(ids) | P::NextTablesMiss(ids) => {
                    ("OFPTableFeaturePropNextTables", "table_ids", json!(ids))
                }
                P::WriteActions(ids)
                | P::WriteActionsMiss(ids)
                | P::ApplyActions(ids)
                | P::ApplyActionsMiss(ids) => ("OFPTableFeaturePropActions", "action_ids", list(ids)),
                P::Match(ids)
                | P::Wildcards(ids)
                | P::WriteSetfield(ids)
                | P::WriteSetfieldMiss(ids)
                | P::ApplySetfield(ids)
                | P::ApplySetfieldMiss(ids) => ("OFPTableFeaturePropOxm", "oxm_ids", list(ids)),
                P::Experimenter(e) | P::ExperimenterMiss(e) => {
                    return wrap(
                        "OFPTableFeaturePropExperimenter",
                        json!({
                            "type": self.prop_type(),
                            "length": self.unpadded_len(),
                            "experimenter": e.experimenter,
                            "exp_type": e.exp_type,
                            "data": e.data,
                        }),
                    );
                }
                P::Unknown { data, .. } => ("OFPTableFeaturePropUnknown", "data", bytes(data)),
            };
            let mut fields = serde_json::Map::new();
            fields.insert("type".into(), json!(self.prop_type()));
            fields.insert("length".into(), json!(self.unpadded_len()));
            fields.insert(key.into(), value);
            wrap(name, Value::Object(fields))
        }
    }

    impl ToOsken for ExperimenterMultipart {
        fn to_osken(&self) -> Value {
            wrap(
                "OFPExperimenterMultipart",
                json!({
                    "experimenter": self.experimenter,
                    "exp_type": self.exp_type,
                    "data": bytes(&self.data),
                }),
            )
        }
    }

    impl OnfFlowMonitorRequest {
        /// The match as os-ken shows it: an `OFPMatch` of type OXM whose
        /// `length` is `match_len + 4`. `None` if the fields do not form a
        /// match the OXM codec accepts.
        fn match_osken(&self) -> Option<Value> {
            let m = self.match_len();
            let mut raw = Vec::with_capacity(4 + m + 8);
            raw.put_u16(1);
            raw.put_u16(len16(4 + m));
            encode_all(&self.fields, &mut raw);
            put_zeros(&mut raw, pad8(4 + m));
            let mut r = Reader::new(&raw, "ofp_match");
            Match::decode(&mut r).ok().map(|m| m.to_osken())
        }

        /// `{"ONFFlowMonitorRequest": {..}}`, or `None` if the match does not decode.
        fn osken_entry(&self) -> Option<Value> {
            Some(wrap(
                "ONFFlowMonitorRequest",
                json!({
                    "id": self.id,
                    "flags": self.flags,
                    "match_len": self.match_len(),
                    "out_port": self.out_port,
                    "table_id": self.table_id,
                    "match": self.match_osken()?,
                }),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::to_vec;
    #[cfg(feature = "json")]
    use alloc::format;
    use alloc::vec;
    use proptest::prelude::*;
    use std::path::PathBuf;

    const REQUEST: u8 = 18;
    const REPLY: u8 = 19;

    /// `body` (from the multipart `type` on) behind a fake 8-byte ofp_header,
    /// so that error offsets are absolute.
    fn message(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![4, msg_type];
        out.extend_from_slice(&len16(8 + body.len()).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(body);
        out
    }

    fn decode_request(msg: &[u8]) -> Result<MultipartRequest, DecodeError> {
        let mut r = Reader::new(msg, "test");
        r.pad(8)?;
        MultipartRequest::decode(&mut r)
    }

    fn decode_reply(msg: &[u8]) -> Result<MultipartReply, DecodeError> {
        let mut r = Reader::new(msg, "test");
        r.pad(8)?;
        MultipartReply::decode(&mut r)
    }

    fn request_round_trip(body: &[u8]) -> MultipartRequest {
        let req = decode_request(&message(REQUEST, body)).unwrap();
        assert_eq!(to_vec(&req), body);
        assert_eq!(req.encoded_len(), body.len());
        req
    }

    fn reply_round_trip(body: &[u8]) -> MultipartReply {
        let rep = decode_reply(&message(REPLY, body)).unwrap();
        assert_eq!(to_vec(&rep), body);
        assert_eq!(rep.encoded_len(), body.len());
        rep
    }

    fn hdr(mp_type: u16, flags: u16) -> Vec<u8> {
        let mut v = mp_type.to_be_bytes().to_vec();
        v.extend_from_slice(&flags.to_be_bytes());
        v.extend_from_slice(&[0; 4]);
        v
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    // ---- requests ------------------------------------------------------

    #[test]
    fn empty_requests() {
        for (t, want) in [
            (0, MultipartRequest::desc()),
            (3, MultipartRequest::table_stats()),
            (7, MultipartRequest::group_desc()),
            (8, MultipartRequest::group_features()),
            (11, MultipartRequest::meter_features()),
            (12, MultipartRequest::table_features(vec![])),
            (13, MultipartRequest::port_desc()),
        ] {
            let req = request_round_trip(&hdr(t, 0));
            assert_eq!(req, want);
            assert_eq!(u16::from(req.mp_type()), t);
        }
        let req = request_round_trip(&hdr(0, OFPMPF_REQ_MORE));
        assert_eq!(req, MultipartRequest::desc().with_more());
    }

    #[test]
    fn empty_request_with_trailing_bytes() {
        let e = decode_request(&message(REQUEST, &cat(&[&hdr(0, 0), &[1, 2]]))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_multipart_request", "body", 16));
        assert_eq!(e.kind, ErrorKind::Trailing { bytes: 2 });
    }

    #[test]
    fn fixed_requests() {
        let req = request_round_trip(&cat(&[&hdr(4, 0), &[0, 0, 0, 7, 0, 0, 0, 0]]));
        assert_eq!(req, MultipartRequest::port_stats(7));
        let req = request_round_trip(&cat(&[&hdr(5, 0), &[0, 0, 0, 7, 0, 0, 0, 2]]));
        assert_eq!(req, MultipartRequest::queue_stats(7, 2));
        let req = request_round_trip(&cat(&[&hdr(6, 0), &[0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0]]));
        assert_eq!(req, MultipartRequest::group_stats(OFPG_ALL));
        let req = request_round_trip(&cat(&[&hdr(9, 0), &[0xff; 4], &[0; 4]]));
        assert_eq!(req, MultipartRequest::meter_stats(OFPM_ALL));
        let req = request_round_trip(&cat(&[&hdr(10, 0), &[0, 0, 0, 100], &[0; 4]]));
        assert_eq!(req, MultipartRequest::meter_config(100));

        // A port stats request missing its padding.
        let e = decode_request(&message(REQUEST, &cat(&[&hdr(4, 0), &[0, 0, 0, 7]]))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_port_stats_request", "pad", 20));
        // And one with a byte too many.
        let e = decode_request(&message(REQUEST, &cat(&[&hdr(5, 0), &[0; 9]]))).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.kind),
            ("ofp_queue_stats_request", "body", ErrorKind::Trailing { bytes: 1 })
        );
    }

    #[test]
    fn flow_stats_request() {
        let body = cat(&[
            &hdr(1, 0),
            &[0, 0, 0, 0],             // table 0, pad
            &[0xff; 8],                // out_port, out_group
            &[0; 4],                   // pad
            &[0, 0, 0, 0, 0, 0, 0, 1], // cookie
            &[0xff; 8],                // cookie_mask
            &[0, 1, 0, 4, 0, 0, 0, 0], // empty OXM match
        ]);
        let req = request_round_trip(&body);
        let want = FlowStatsRequest::new().table_id(0).cookie(1, u64::MAX);
        assert_eq!(req, MultipartRequest::flow_stats(want.clone()));
        let mut agg = body.clone();
        agg[1] = 2;
        assert_eq!(request_round_trip(&agg), MultipartRequest::aggregate_stats(want));

        // Trailing garbage after the match is an error, not silently dropped.
        let mut long = body.clone();
        long.extend_from_slice(&[0; 8]);
        let e = decode_request(&message(REQUEST, &long)).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_flow_stats_request", "match", 56));
        // Missing match.
        let e = decode_request(&message(REQUEST, &body[..40])).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Truncated { .. }), "{e}");
    }

    #[test]
    fn experimenter_and_unknown_requests() {
        let body = cat(&[&hdr(0xffff, 0), &[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9], b"xyz"]);
        let req = request_round_trip(&body);
        assert_eq!(req, MultipartRequest::experimenter(0xdead_beef, 9, b"xyz".to_vec()));
        let e = decode_request(&message(REQUEST, &cat(&[&hdr(0xffff, 0), &[0; 7]]))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_experimenter_multipart_header", "exp_type", 20));

        let body = cat(&[&hdr(0x1234, 3), &[9, 8, 7]]);
        let req = request_round_trip(&body);
        assert_eq!(req.flags, 3);
        assert_eq!(req.body, MultipartRequestBody::Unknown { mp_type: 0x1234, body: vec![9, 8, 7] });
        assert_eq!(req.mp_type(), MultipartType::Unknown(0x1234));
        let rep = reply_round_trip(&cat(&[&hdr(14, 0)]));
        assert_eq!(rep.body, MultipartReplyBody::Unknown { mp_type: 14, body: vec![] });
    }

    #[test]
    fn multipart_type_codes() {
        for code in 0..=u16::MAX {
            let t = MultipartType::from(code);
            assert_eq!(u16::from(t), code);
            assert_eq!(matches!(t, MultipartType::Unknown(_)), (14..0xffff).contains(&code));
        }
    }

    #[test]
    fn truncated_header() {
        for n in 0..8 {
            let msg = message(REQUEST, &hdr(0, 0)[..n]);
            let e = decode_request(&msg).unwrap_err();
            assert_eq!(e.context, "ofp_multipart_request");
            assert!(matches!(e.kind, ErrorKind::Truncated { .. }));
        }
    }

    // ---- replies -------------------------------------------------------

    #[test]
    fn desc_reply() {
        let mut d = Desc {
            mfr_desc: FixedStr::new("Acme").unwrap(),
            serial_num: FixedStr::new("0123456789abcdef0123456789abcdef").unwrap(),
            ..Desc::default()
        };
        d.dp_desc.0[..7].copy_from_slice(b"a\0b\0\0c\xff");
        let rep = MultipartReply { flags: 0, body: MultipartReplyBody::Desc(Box::new(d.clone())) };
        let bytes = to_vec(&rep);
        assert_eq!(bytes.len(), 8 + 1056);
        assert_eq!(&bytes[8..12], b"Acme");
        assert_eq!(reply_round_trip(&bytes), rep);
        assert_eq!(d.mfr_desc.to_str_lossy(), "Acme");
        assert_eq!(d.serial_num.trimmed().len(), 32);
        assert_eq!(d.dp_desc.trimmed(), b"a");
        assert_eq!(d.dp_desc.osken_str(), "a\0b\0\0c\u{fffd}");
        assert_eq!(FixedStr::<4>::new("abcde"), None);
        // One byte short, one too many.
        let e = decode_reply(&message(REPLY, &bytes[..bytes.len() - 1])).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_desc", "dp_desc", 16 + 800));
        let mut long = bytes.clone();
        long.push(0);
        let e = decode_reply(&message(REPLY, &long)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Trailing { bytes: 1 });
    }

    #[test]
    fn fixed_size_replies() {
        let agg = cat(&[&hdr(2, 0), &7u64.to_be_bytes(), &574u64.to_be_bytes(), &[0, 0, 0, 6, 0, 0, 0, 0]]);
        let rep = reply_round_trip(&agg);
        assert_eq!(
            rep.body,
            MultipartReplyBody::Aggregate(AggregateStats { packet_count: 7, byte_count: 574, flow_count: 6 })
        );

        let table =
            cat(&[&hdr(3, OFPMPF_REPLY_MORE), &[1, 0, 0, 0, 0, 0, 0, 4], &[0; 7], &[5], &[0; 7], &[6]]);
        let rep = reply_round_trip(&table);
        assert!(rep.more());
        assert_eq!(
            rep.body,
            MultipartReplyBody::Table(vec![TableStats {
                table_id: 1,
                active_count: 4,
                lookup_count: 5,
                matched_count: 6
            }])
        );
        // A second, truncated entry.
        let mut two = table.clone();
        two.extend_from_slice(&[2, 0, 0]);
        let e = decode_reply(&message(REPLY, &two)).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_table_stats", "pad", 41));

        let mut port = hdr(4, 0);
        port.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0]);
        for i in 1..=12u64 {
            port.extend_from_slice(&i.to_be_bytes());
        }
        port.extend_from_slice(&[0, 0, 0, 13, 0, 0, 0, 14]);
        let rep = reply_round_trip(&port);
        let MultipartReplyBody::PortStats(ports) = rep.body else { panic!() };
        assert_eq!((ports[0].port_no, ports[0].rx_packets, ports[0].collisions), (3, 1, 12));
        assert_eq!((ports[0].duration_sec, ports[0].duration_nsec), (13, 14));

        let queue = cat(&[&hdr(5, 0), &[0, 0, 0, 7, 0, 0, 0, 1], &[0; 24], &[0, 0, 0, 9, 0, 0, 0, 10]]);
        let rep = reply_round_trip(&queue);
        let MultipartReplyBody::Queue(q) = rep.body else { panic!() };
        assert_eq!((q[0].port_no, q[0].queue_id, q[0].duration_sec), (7, 1, 9));

        let mut gf = hdr(8, 0);
        for i in 0..10u32 {
            gf.extend_from_slice(&i.to_be_bytes());
        }
        let rep = reply_round_trip(&gf);
        assert_eq!(
            rep.body,
            MultipartReplyBody::GroupFeatures(GroupFeatures {
                types: 0,
                capabilities: 1,
                max_groups: [2, 3, 4, 5],
                actions: [6, 7, 8, 9]
            })
        );

        let mf = cat(&[&hdr(11, 0), &[0, 0, 1, 0, 0, 0, 0, 6, 0, 0, 0, 15, 255, 7, 0, 0]]);
        let rep = reply_round_trip(&mf);
        assert_eq!(
            rep.body,
            MultipartReplyBody::MeterFeatures(MeterFeatures {
                max_meter: 256,
                band_types: 6,
                capabilities: 15,
                max_bands: 255,
                max_color: 7
            })
        );
        // An empty body where one struct is required.
        let e = decode_reply(&message(REPLY, &hdr(11, 0))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_meter_features", "max_meter", 16));
    }

    #[test]
    fn group_stats_lengths() {
        let entry = |len: u16, counters: usize| {
            let mut v = len.to_be_bytes().to_vec();
            v.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
            v.extend_from_slice(&[0; 24]);
            v.extend(core::iter::repeat_n(0xaa, 16 * counters));
            v
        };
        let ok = cat(&[&hdr(6, 0), &entry(56, 1), &entry(40, 0)]);
        let rep = reply_round_trip(&ok);
        let MultipartReplyBody::Group(groups) = rep.body else { panic!() };
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].bucket_stats,
            vec![BucketCounter { packet_count: !0 / 255 * 0xaa, byte_count: !0 / 255 * 0xaa }]
        );
        assert_eq!((groups[1].group_id, groups[1].ref_count), (1, 2));

        for (len, counters) in [(39u16, 0), (48, 1), (72, 1), (0, 0)] {
            let body = cat(&[&hdr(6, 0), &entry(40, 0), &entry(len, counters)]);
            let e = decode_reply(&message(REPLY, &body)).unwrap_err();
            assert_eq!((e.context, e.field, e.offset), ("ofp_group_stats", "length", 56), "len {len}");
            assert_eq!(e.kind, ErrorKind::BadLength { length: len.into() });
        }
        // One byte of a next entry.
        let body = cat(&[&hdr(6, 0), &entry(40, 0), &[0]]);
        let e = decode_reply(&message(REPLY, &body)).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_group_stats", "length", 56));
    }

    #[test]
    fn meter_stats_lengths() {
        let entry = |len: u16, bands: usize| {
            let mut v = vec![0, 0, 0, 100];
            v.extend_from_slice(&len.to_be_bytes());
            v.extend_from_slice(&[0; 34]);
            v.extend(core::iter::repeat_n(1, 16 * bands));
            v
        };
        let rep = reply_round_trip(&cat(&[&hdr(9, 0), &entry(56, 1)]));
        let MultipartReplyBody::Meter(m) = rep.body else { panic!() };
        assert_eq!((m[0].meter_id, m[0].band_stats.len()), (100, 1));
        let e = decode_reply(&message(REPLY, &cat(&[&hdr(9, 0), &entry(48, 0), &[0; 8]]))).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.offset, e.kind),
            ("ofp_meter_stats", "len", 20, ErrorKind::BadLength { length: 48 })
        );
        let e = decode_reply(&message(REPLY, &cat(&[&hdr(9, 0), &entry(72, 1)]))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_meter_stats", "len", 20));
        let e = decode_reply(&message(REPLY, &cat(&[&hdr(9, 0), &[0, 0, 0]]))).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_meter_stats", "len", 16));
    }

    fn drop_band(rate: u32) -> Vec<u8> {
        cat(&[&[0, 1, 0, 16], &rate.to_be_bytes(), &[0, 0, 0, 10], &[0; 4]])
    }

    #[test]
    fn meter_config_and_group_desc() {
        let body = cat(&[
            &hdr(10, 0),
            &[0, 40, 0, 14, 0, 0, 0, 100],
            &drop_band(1000),
            &drop_band(2000),
            &[0, 8, 0, 1, 0, 0, 0, 101],
        ]);
        let rep = reply_round_trip(&body);
        let MultipartReplyBody::MeterConfig(m) = rep.body else { panic!() };
        assert_eq!((m[0].flags, m[0].meter_id, m[0].bands.len()), (14, 100, 2));
        assert_eq!((m[1].meter_id, m[1].bands.len()), (101, 0));
        let mut bad = body.clone();
        bad[9] = 36;
        let e = decode_reply(&message(REPLY, &bad)).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_meter_config", "length", 16));

        let bucket = cat(&[
            &[0, 32, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0],
            &[0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff],
            &[0; 6],
        ]);
        let body = cat(&[&hdr(7, 0), &[0, 40, 3, 0, 0, 0, 0, 1], &bucket]);
        let rep = reply_round_trip(&body);
        let MultipartReplyBody::GroupDesc(g) = rep.body else { panic!() };
        assert_eq!((g[0].group_type, g[0].group_id, g[0].buckets.len()), (3, 1, 1));
        let mut bad = body.clone();
        bad[9] = 44;
        let e = decode_reply(&message(REPLY, &bad)).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.offset, e.kind),
            ("ofp_group_desc", "length", 16, ErrorKind::BadLength { length: 44 })
        );
    }

    #[test]
    fn flow_stats_reply_lengths() {
        let entry = |len: u16| {
            let mut v = len.to_be_bytes().to_vec();
            v.extend_from_slice(&[0; 46]);
            v.extend_from_slice(&[0, 1, 0, 4, 0, 0, 0, 0]);
            v.extend_from_slice(&[0, 1, 0, 8, 1, 0, 0, 0]); // goto table 1
            v
        };
        let rep = reply_round_trip(&cat(&[&hdr(1, 0), &entry(64), &entry(64)]));
        let MultipartReplyBody::Flow(flows) = rep.body else { panic!() };
        assert_eq!(flows.len(), 2);
        assert_eq!(flows[0].instructions.len(), 1);
        for len in [0u16, 48, 55, 60, 72] {
            let e = decode_reply(&message(REPLY, &cat(&[&hdr(1, 0), &entry(len)]))).unwrap_err();
            assert_eq!((e.context, e.field, e.offset), ("ofp_flow_stats", "length", 16), "len {len}");
        }
    }

    /// 4-byte instruction or action ids of types `ids`.
    fn ids(ids: &[u8]) -> Vec<u8> {
        ids.iter().flat_map(|&t| [0, t, 0, 4]).collect()
    }

    /// One of every table feature property type, and an unknown one.
    fn all_properties() -> Vec<u8> {
        let prop = |t: u16, body: &[u8]| {
            let len = 4 + body.len();
            let mut v = t.to_be_bytes().to_vec();
            v.extend_from_slice(&len16(len).to_be_bytes());
            v.extend_from_slice(body);
            v.extend(core::iter::repeat_n(0, pad8(len)));
            v
        };
        let oxm = [0x80, 0x00, 0x00, 0x04, 0x80, 0x00, 0x06, 0x06];
        cat(&[
            &prop(0, &ids(&[1, 2, 3])),
            &prop(1, &ids(&[4])),
            &prop(2, &[1, 2, 3, 4, 5]),
            &prop(3, &[]),
            &prop(4, &ids(&[0, 22])),
            &prop(5, &ids(&[11])),
            &prop(6, &ids(&[0])),
            &prop(7, &[]),
            &prop(8, &oxm),
            &prop(10, &oxm[..4]),
            &prop(12, &oxm),
            &prop(13, &oxm),
            &prop(14, &oxm),
            &prop(15, &oxm),
            &prop(0xfffe, &[0, 0, 0, 101, 0, 0, 0, 1, 0, 0, 0, 7]),
            &prop(0xffff, &[0, 0, 0, 101, 0, 0, 0, 2]),
            &prop(99, &[1, 2, 3]),
        ])
    }

    fn table_features_entry(table_id: u8, props: &[u8]) -> Vec<u8> {
        let len = 64 + props.len();
        let mut v = len16(len).to_be_bytes().to_vec();
        v.push(table_id);
        v.extend_from_slice(&[0; 5]);
        let mut name = [0u8; 32];
        name[..5].copy_from_slice(b"table");
        name[30] = b'x'; // after the NUL: kept
        v.extend_from_slice(&name);
        v.extend_from_slice(&[0xff; 16]);
        v.extend_from_slice(&[0, 0, 0, 3, 0, 1, 0, 0]);
        v.extend_from_slice(props);
        v
    }

    #[test]
    fn table_features_every_property() {
        let props = all_properties();
        let body = cat(&[&hdr(12, 0), &table_features_entry(0, &props), &table_features_entry(1, &[])]);
        let rep = reply_round_trip(&body);
        let MultipartReplyBody::TableFeatures(tables) = &rep.body else { panic!() };
        assert_eq!(tables.len(), 2);
        let t = &tables[0];
        assert_eq!((t.table_id, t.config, t.max_entries), (0, 3, 0x10000));
        assert_eq!(t.name.to_str_lossy(), "table");
        assert_eq!(t.name.0[30], b'x');
        let types: Vec<u16> = t.properties.iter().map(TableFeatureProp::prop_type).collect();
        assert_eq!(types, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 0xfffe, 0xffff, 99]);
        assert_eq!(t.properties[2], TableFeatureProp::NextTables(vec![1, 2, 3, 4, 5]));
        assert_eq!(t.properties[3], TableFeatureProp::NextTablesMiss(vec![]));
        assert_eq!(
            t.properties[14],
            TableFeatureProp::Experimenter(TableFeaturePropExperimenter {
                experimenter: 101,
                exp_type: 1,
                data: vec![7]
            })
        );
        assert_eq!(t.properties[16], TableFeatureProp::Unknown { prop_type: 99, data: vec![1, 2, 3] });
        let TableFeatureProp::Instructions(i) = &t.properties[0] else { panic!() };
        assert_eq!(i.len(), 3);
        let TableFeatureProp::Match(m) = &t.properties[8] else { panic!() };
        assert_eq!(m.len(), 2);
        assert!(tables[1].properties.is_empty());

        // The same list as a request (setting features).
        let mut req = body.clone();
        req[..2].copy_from_slice(&[0, 12]);
        let r = request_round_trip(&req);
        assert_eq!(r.body, MultipartRequestBody::TableFeatures(tables.clone()));
    }

    #[test]
    fn table_feature_property_errors() {
        let entry_with = |props: &[u8]| cat(&[&hdr(12, 0), &table_features_entry(0, props)]);
        // Offsets: body at 16, the entry's fixed part is 64 bytes, so the first property is at 80.
        let cases: [(&[u8], &str, &str, usize, ErrorKind); 6] = [
            // length 3 < 4
            (
                &[0, 2, 0, 3, 0, 0, 0, 0],
                "ofp_table_feature_prop_next_tables",
                "length",
                82,
                ErrorKind::BadLength { length: 3 },
            ),
            // length 12 beyond the entry
            (
                &[0, 2, 0, 12, 0, 0, 0, 0],
                "ofp_table_feature_prop_next_tables",
                "length",
                82,
                ErrorKind::BadLength { length: 12 },
            ),
            // experimenter shorter than 12
            (
                &[0xff, 0xfe, 0, 8, 0, 0, 0, 0],
                "ofp_table_feature_prop_experimenter",
                "length",
                82,
                ErrorKind::BadLength { length: 8 },
            ),
            // experimenter data not whole u32s
            (
                &[0xff, 0xff, 0, 13, 0, 0, 0, 1, 0, 0, 0, 2, 3, 0, 0, 0],
                "ofp_table_feature_prop_experimenter",
                "length",
                82,
                ErrorKind::BadLength { length: 13 },
            ),
            // an instruction id cut short by its property's length
            (
                &[0, 0, 0, 6, 0, 1, 0, 0],
                "ofp_instruction",
                "len",
                86,
                ErrorKind::Truncated { needed: 2, available: 0 },
            ),
            // an unknown property whose length runs past the entry
            (
                &[0, 99, 0, 9, 0, 0, 0, 0],
                "ofp_table_feature_prop_header",
                "length",
                82,
                ErrorKind::BadLength { length: 9 },
            ),
        ];
        for (props, context, field, offset, kind) in cases {
            let e = decode_reply(&message(REPLY, &entry_with(props))).unwrap_err();
            assert_eq!((e.context, e.field, e.offset, e.kind), (context, field, offset, kind), "{e}");
        }
        // Half a property header.
        let mut r = Reader::new(&[0, 2, 0], "t");
        let e = TableFeatureProp::decode(&mut r).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_table_feature_prop_next_tables", "length", 2));
        // Padding missing after the last property: the entry length (8-aligned)
        // can still cut it only if a property is unaligned at the end, so build
        // the property list directly.
        let mut r = Reader::new(&[0, 2, 0, 5, 1, 0, 0], "t");
        let e = TableFeatureProp::decode(&mut r).unwrap_err();
        assert_eq!((e.context, e.field), ("ofp_table_feature_prop_next_tables", "pad"));
        // Entry lengths.
        for len in [0u16, 63, 68, 200] {
            let mut body = entry_with(&[]);
            body[8..10].copy_from_slice(&len.to_be_bytes());
            let e = decode_reply(&message(REPLY, &body)).unwrap_err();
            assert_eq!((e.context, e.field, e.offset), ("ofp_table_features", "length", 16), "len {len}");
        }
    }

    #[test]
    fn onf_flow_monitor() {
        let entry = cat(&[
            &[0, 0, 0, 5, 0, 0x0f, 0, 8, 0, 0, 0, 22, 33, 0, 0, 0],
            &[0x80, 0, 0, 4, 0, 0, 0, 1], // in_port 1
        ]);
        let exp = ExperimenterMultipart {
            experimenter: ONF_EXPERIMENTER_ID,
            exp_type: ONFMP_FLOW_MONITOR,
            data: entry.clone(),
        };
        let reqs = exp.onf_flow_monitor_requests().unwrap().unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!((reqs[0].id, reqs[0].flags, reqs[0].out_port, reqs[0].table_id), (5, 15, 22, 33));
        assert_eq!(reqs[0].fields.len(), 1);
        assert_eq!(to_vec(&reqs[0]), entry);
        let other = ExperimenterMultipart { experimenter: 1, ..exp.clone() };
        assert!(other.onf_flow_monitor_requests().is_none());
        let bad = ExperimenterMultipart { data: entry[..20].to_vec(), ..exp };
        assert!(bad.onf_flow_monitor_requests().unwrap().is_err());
    }

    // ---- the public vectors ------------------------------------------------

    fn testdata() -> Option<PathBuf> {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/openflow13"));
        if dir.join("packet").is_dir() {
            Some(dir)
        } else {
            std::eprintln!("skipped: OpenFlow 1.3 test vectors not found at {}", dir.display());
            None
        }
    }

    /// Every multipart vector: (name, bytes, is_request).
    fn vectors() -> Vec<(String, Vec<u8>, bool)> {
        let Some(dir) = testdata() else { return vec![] };
        let mut out = vec![];
        for entry in std::fs::read_dir(dir.join("packet")).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            match bytes.get(1) {
                Some(&REQUEST) => out.push((name, bytes, true)),
                Some(&REPLY) => out.push((name, bytes, false)),
                _ => {}
            }
        }
        out.sort();
        out
    }

    enum Decoded {
        Request(MultipartRequest),
        Reply(MultipartReply),
    }

    fn decode_vector(bytes: &[u8], is_request: bool) -> Result<Decoded, DecodeError> {
        let h = crate::header::Header::parse(bytes).unwrap();
        assert_eq!(usize::from(h.length), bytes.len());
        if is_request {
            decode_request(bytes).map(Decoded::Request)
        } else {
            decode_reply(bytes).map(Decoded::Reply)
        }
    }

    #[test]
    fn vectors_round_trip() {
        let vectors = vectors();
        for (name, bytes, is_request) in &vectors {
            let decoded = decode_vector(bytes, *is_request).unwrap_or_else(|e| panic!("{name}: {e}"));
            let encoded = match &decoded {
                Decoded::Request(m) => to_vec(m),
                Decoded::Reply(m) => to_vec(m),
            };
            assert_eq!(encoded, bytes[8..], "{name}: re-encoded bytes differ");
        }
        if !vectors.is_empty() {
            std::eprintln!("{} multipart vectors decode and re-encode byte-identically", vectors.len());
        }
    }

    /// Paths where `got` and `want` differ.
    #[cfg(feature = "json")]
    fn json_diff(got: &serde_json::Value, want: &serde_json::Value, path: String, out: &mut Vec<String>) {
        use serde_json::Value;
        match (got, want) {
            (Value::Object(g), Value::Object(w)) => {
                for (k, wv) in w {
                    match g.get(k) {
                        Some(gv) => json_diff(gv, wv, format!("{path}/{k}"), out),
                        None => out.push(format!("{path}/{k}: missing, want {wv}")),
                    }
                }
                for k in g.keys().filter(|k| !w.contains_key(*k)) {
                    out.push(format!("{path}/{k}: unexpected {}", g[k]));
                }
            }
            (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
                for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                    json_diff(gv, wv, format!("{path}/{i}"), out);
                }
            }
            _ if got == want => {}
            _ => out.push(format!("{path}: got {got}, want {want}")),
        }
    }

    #[cfg(feature = "json")]
    #[test]
    fn vectors_match_osken_json() {
        use crate::json::ToOsken;
        let Some(dir) = testdata() else { return };
        let vectors = vectors();
        let mut failures = vec![];
        for (name, bytes, is_request) in &vectors {
            let text = std::fs::read_to_string(dir.join("json").join(format!("{name}.json"))).unwrap();
            let want: serde_json::Value = serde_json::from_str(&text).unwrap();
            let got = match decode_vector(bytes, *is_request).unwrap() {
                Decoded::Request(m) => m.to_osken(),
                Decoded::Reply(m) => m.to_osken(),
            };
            let mut diffs = vec![];
            json_diff(&got, &want, String::new(), &mut diffs);
            if !diffs.is_empty() {
                failures.push(format!("{name}: JSON differs:\n{}", diffs.join("\n")));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        std::eprintln!("{} multipart vectors match os-ken's JSON", vectors.len());
    }

    #[test]
    fn vectors_truncated_at_every_offset() {
        for (name, bytes, is_request) in vectors() {
            for n in 8..bytes.len() {
                let mut cut = bytes[..n].to_vec();
                cut[2..4].copy_from_slice(&len16(n).to_be_bytes());
                // Must not panic; whatever decodes must re-encode to what it was decoded from
                // (a cut at an entry boundary is still a valid message).
                if let Ok(d) = decode_vector(&cut, is_request) {
                    let encoded = match &d {
                        Decoded::Request(m) => to_vec(m),
                        Decoded::Reply(m) => to_vec(m),
                    };
                    assert_eq!(encoded, cut[8..], "{name} cut at {n}");
                }
            }
        }
    }

    #[test]
    fn vectors_with_corrupted_bytes() {
        // Corrupt bytes of each vector in turn: never panics; whatever decodes re-decodes equal.
        // Every byte of the first 400 (headers, first entries); beyond that a sample, which
        // keeps the two 11 KB table-features vectors fast in debug builds.
        for (_, bytes, is_request) in vectors() {
            let step = (bytes.len() / 500).max(1);
            let positions = (8..bytes.len().min(400)).chain((400..bytes.len()).step_by(step));
            for i in positions {
                for x in [0x00, 0xff, bytes[i] ^ 0x01] {
                    let mut m = bytes.clone();
                    m[i] = x;
                    match decode_vector(&m, is_request) {
                        Ok(Decoded::Request(d)) => {
                            let again = decode_request(&message(REQUEST, &to_vec(&d))).unwrap();
                            assert_eq!(again, d);
                        }
                        Ok(Decoded::Reply(d)) => {
                            let again = decode_reply(&message(REPLY, &to_vec(&d))).unwrap();
                            assert_eq!(again, d);
                        }
                        Err(_) => {}
                    }
                }
            }
        }
    }

    // ---- property tests ------------------------------------------------

    /// Sub-structures owned by other modules are generated as wire bytes and
    /// decoded with their own decoders, so these strategies do not depend on
    /// how those types are laid out.
    fn decoded<T: core::fmt::Debug>(
        bytes: Vec<u8>,
        decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    ) -> T {
        let mut r = Reader::new(&bytes, "strategy");
        let v = decode(&mut r).unwrap_or_else(|e| panic!("strategy bytes {bytes:02x?}: {e}"));
        assert!(r.is_empty());
        v
    }

    fn any_match() -> impl Strategy<Value = Match> {
        prop_oneof![
            Just(vec![0, 1, 0, 4, 0, 0, 0, 0]),
            any::<u32>().prop_map(|p| cat(&[&[0, 1, 0, 12, 0x80, 0, 0, 4], &p.to_be_bytes(), &[0; 4]])),
            any::<u16>().prop_map(|t| cat(&[&[0, 1, 0, 10, 0x80, 0, 0x0a, 2], &t.to_be_bytes(), &[0; 6]])),
        ]
        .prop_map(|b| decoded(b, Match::decode))
    }

    fn any_instructions() -> impl Strategy<Value = Vec<Instruction>> {
        let one = prop_oneof![
            any::<u8>().prop_map(|t| vec![0, 1, 0, 8, t, 0, 0, 0]),
            any::<u32>().prop_map(|m| cat(&[&[0, 6, 0, 8], &m.to_be_bytes()])),
            Just(vec![0, 5, 0, 8, 0, 0, 0, 0]),
            (any::<u32>(), any::<u16>()).prop_map(|(p, l)| cat(&[
                &[0, 4, 0, 24, 0, 0, 0, 0, 0, 0, 0, 16],
                &p.to_be_bytes(),
                &l.to_be_bytes(),
                &[0; 6]
            ])),
        ];
        proptest::collection::vec(one, 0..4).prop_map(|v| decoded(v.concat(), Instruction::decode_list))
    }

    fn any_bucket() -> impl Strategy<Value = Bucket> {
        (any::<u16>(), any::<u32>(), any::<u32>(), any::<u32>())
            .prop_map(|(w, wp, wg, p)| {
                cat(&[
                    &[0, 32],
                    &w.to_be_bytes(),
                    &wp.to_be_bytes(),
                    &wg.to_be_bytes(),
                    &[0; 4],
                    &[0, 0, 0, 16],
                    &p.to_be_bytes(),
                    &[0xff, 0xff],
                    &[0; 6],
                ])
            })
            .prop_map(|b| decoded(b, Bucket::decode))
    }

    fn any_band() -> impl Strategy<Value = MeterBand> {
        prop_oneof![
            any::<u32>().prop_map(drop_band),
            (any::<u32>(), any::<u8>()).prop_map(|(r, p)| cat(&[
                &[0, 2, 0, 16],
                &r.to_be_bytes(),
                &[0, 0, 0, 1, p, 0, 0, 0]
            ])),
        ]
        .prop_map(|b| decoded(b, MeterBand::decode))
    }

    fn any_port() -> impl Strategy<Value = Port> {
        (any::<u32>(), any::<[u8; 6]>(), "[a-z0-9]{0,15}", any::<[u32; 8]>()).prop_map(
            |(no, mac, name, rest)| {
                let mut b = no.to_be_bytes().to_vec();
                b.extend_from_slice(&[0; 4]);
                b.extend_from_slice(&mac);
                b.extend_from_slice(&[0; 2]);
                let mut n = [0u8; 16];
                n[..name.len()].copy_from_slice(name.as_bytes());
                b.extend_from_slice(&n);
                for v in rest {
                    b.extend_from_slice(&v.to_be_bytes());
                }
                decoded(b, Port::decode)
            },
        )
    }

    fn fixed_str<const N: usize>() -> impl Strategy<Value = FixedStr<N>> {
        proptest::collection::vec(any::<u8>(), N).prop_map(|v| {
            let mut a = [0u8; N];
            a.copy_from_slice(&v);
            FixedStr(a)
        })
    }

    fn any_prop() -> impl Strategy<Value = TableFeatureProp> {
        use TableFeatureProp as P;
        let inst_ids = proptest::collection::vec(1u8..=6, 0..5)
            .prop_map(|v| decoded(ids(&v), |r| decode_all(r, InstructionId::decode)));
        let act_ids = proptest::collection::vec(prop_oneof![0u8..=0, 11u8..=27], 0..5)
            .prop_map(|v| decoded(ids(&v), |r| decode_all(r, ActionId::decode)));
        let oxm_ids = proptest::collection::vec(0u8..=39, 0..5).prop_map(|v| {
            let b: Vec<u8> = v.iter().flat_map(|&f| [0x80, 0x00, f << 1, 0]).collect();
            decoded(b, |r| decode_all(r, OxmId::decode))
        });
        let exp = (any::<u32>(), any::<u32>(), proptest::collection::vec(any::<u32>(), 0..4)).prop_map(
            |(experimenter, exp_type, data)| TableFeaturePropExperimenter { experimenter, exp_type, data },
        );
        let tables = proptest::collection::vec(any::<u8>(), 0..20);
        prop_oneof![
            inst_ids.clone().prop_map(P::Instructions),
            inst_ids.prop_map(P::InstructionsMiss),
            tables.clone().prop_map(P::NextTables),
            tables.prop_map(P::NextTablesMiss),
            act_ids.clone().prop_map(P::WriteActions),
            act_ids.clone().prop_map(P::WriteActionsMiss),
            act_ids.clone().prop_map(P::ApplyActions),
            act_ids.prop_map(P::ApplyActionsMiss),
            oxm_ids.clone().prop_map(P::Match),
            oxm_ids.clone().prop_map(P::Wildcards),
            oxm_ids.clone().prop_map(P::WriteSetfield),
            oxm_ids.clone().prop_map(P::WriteSetfieldMiss),
            oxm_ids.clone().prop_map(P::ApplySetfield),
            oxm_ids.prop_map(P::ApplySetfieldMiss),
            exp.clone().prop_map(P::Experimenter),
            exp.prop_map(P::ExperimenterMiss),
            (prop_oneof![9u16..=9, 11u16..=11, 16u16..0xfffe], proptest::collection::vec(any::<u8>(), 0..12))
                .prop_map(|(prop_type, data)| P::Unknown { prop_type, data }),
        ]
    }

    fn any_table_features() -> impl Strategy<Value = TableFeatures> {
        (
            any::<u8>(),
            fixed_str::<32>(),
            any::<(u64, u64, u32, u32)>(),
            proptest::collection::vec(any_prop(), 0..5),
        )
            .prop_map(
                |(table_id, name, (metadata_match, metadata_write, config, max_entries), properties)| {
                    TableFeatures {
                        table_id,
                        name,
                        metadata_match,
                        metadata_write,
                        config,
                        max_entries,
                        properties,
                    }
                },
            )
    }

    fn any_flow_stats_request() -> impl Strategy<Value = FlowStatsRequest> {
        (any::<(u8, u32, u32, u64, u64)>(), any_match()).prop_map(
            |((table_id, out_port, out_group, cookie, cookie_mask), matching)| FlowStatsRequest {
                table_id,
                out_port,
                out_group,
                cookie,
                cookie_mask,
                matching,
            },
        )
    }

    fn any_experimenter() -> impl Strategy<Value = ExperimenterMultipart> {
        (any::<u32>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(experimenter, exp_type, data)| ExperimenterMultipart { experimenter, exp_type, data })
    }

    fn any_unknown_type() -> impl Strategy<Value = u16> {
        14u16..0xffff
    }

    fn any_request() -> impl Strategy<Value = MultipartRequest> {
        use MultipartRequestBody as B;
        let body = prop_oneof![
            Just(B::Desc),
            any_flow_stats_request().prop_map(B::Flow),
            any_flow_stats_request().prop_map(B::Aggregate),
            Just(B::Table),
            any::<u32>().prop_map(|port_no| B::PortStats { port_no }),
            any::<(u32, u32)>().prop_map(|(port_no, queue_id)| B::Queue { port_no, queue_id }),
            any::<u32>().prop_map(|group_id| B::Group { group_id }),
            Just(B::GroupDesc),
            Just(B::GroupFeatures),
            any::<u32>().prop_map(|meter_id| B::Meter { meter_id }),
            any::<u32>().prop_map(|meter_id| B::MeterConfig { meter_id }),
            Just(B::MeterFeatures),
            proptest::collection::vec(any_table_features(), 0..3).prop_map(B::TableFeatures),
            Just(B::PortDesc),
            any_experimenter().prop_map(B::Experimenter),
            (any_unknown_type(), proptest::collection::vec(any::<u8>(), 0..24))
                .prop_map(|(mp_type, body)| B::Unknown { mp_type, body }),
        ];
        (any::<u16>(), body).prop_map(|(flags, body)| MultipartRequest { flags, body })
    }

    fn any_reply() -> impl Strategy<Value = MultipartReply> {
        use MultipartReplyBody as B;
        use proptest::collection::vec as v;
        let desc = (
            fixed_str::<256>(),
            fixed_str::<256>(),
            fixed_str::<256>(),
            fixed_str::<32>(),
            fixed_str::<256>(),
        )
            .prop_map(|(mfr_desc, hw_desc, sw_desc, serial_num, dp_desc)| Desc {
                mfr_desc,
                hw_desc,
                sw_desc,
                serial_num,
                dp_desc,
            });
        let flow = (
            any::<(u8, u32, u32, u16, u16, u16, u16)>(),
            any::<(u64, u64, u64)>(),
            any_match(),
            any_instructions(),
        )
            .prop_map(
                |(
                    (table_id, duration_sec, duration_nsec, priority, idle_timeout, hard_timeout, flags),
                    (cookie, packet_count, byte_count),
                    matching,
                    instructions,
                )| FlowStats {
                    table_id,
                    duration_sec,
                    duration_nsec,
                    priority,
                    idle_timeout,
                    hard_timeout,
                    flags,
                    cookie,
                    packet_count,
                    byte_count,
                    matching,
                    instructions,
                },
            );
        let table =
            any::<(u8, u32, u64, u64)>().prop_map(|(table_id, active_count, lookup_count, matched_count)| {
                TableStats { table_id, active_count, lookup_count, matched_count }
            });
        let port = (any::<u32>(), any::<[u64; 12]>(), any::<(u32, u32)>()).prop_map(
            |(port_no, c, (duration_sec, duration_nsec))| PortStats {
                port_no,
                rx_packets: c[0],
                tx_packets: c[1],
                rx_bytes: c[2],
                tx_bytes: c[3],
                rx_dropped: c[4],
                tx_dropped: c[5],
                rx_errors: c[6],
                tx_errors: c[7],
                rx_frame_err: c[8],
                rx_over_err: c[9],
                rx_crc_err: c[10],
                collisions: c[11],
                duration_sec,
                duration_nsec,
            },
        );
        let queue = any::<(u32, u32, u64, u64, u64, u32, u32)>().prop_map(
            |(port_no, queue_id, tx_bytes, tx_packets, tx_errors, duration_sec, duration_nsec)| QueueStats {
                port_no,
                queue_id,
                tx_bytes,
                tx_packets,
                tx_errors,
                duration_sec,
                duration_nsec,
            },
        );
        let counter = any::<(u64, u64)>()
            .prop_map(|(packet_count, byte_count)| BucketCounter { packet_count, byte_count });
        let group = (any::<(u32, u32, u64, u64, u32, u32)>(), v(counter, 0..3)).prop_map(
            |((group_id, ref_count, packet_count, byte_count, duration_sec, duration_nsec), bucket_stats)| {
                GroupStats {
                    group_id,
                    ref_count,
                    packet_count,
                    byte_count,
                    duration_sec,
                    duration_nsec,
                    bucket_stats,
                }
            },
        );
        let group_desc = (any::<u8>(), any::<u32>(), v(any_bucket(), 0..3))
            .prop_map(|(group_type, group_id, buckets)| GroupDesc { group_type, group_id, buckets });
        let group_features =
            any::<(u32, u32, [u32; 4], [u32; 4])>().prop_map(|(types, capabilities, max_groups, actions)| {
                GroupFeatures { types, capabilities, max_groups, actions }
            });
        let band_stats = any::<(u64, u64)>().prop_map(|(packet_band_count, byte_band_count)| {
            MeterBandStats { packet_band_count, byte_band_count }
        });
        let meter = (any::<(u32, u32, u64, u64, u32, u32)>(), v(band_stats, 0..3)).prop_map(
            |(
                (meter_id, flow_count, packet_in_count, byte_in_count, duration_sec, duration_nsec),
                band_stats,
            )| MeterStats {
                meter_id,
                flow_count,
                packet_in_count,
                byte_in_count,
                duration_sec,
                duration_nsec,
                band_stats,
            },
        );
        let meter_config = (any::<u16>(), any::<u32>(), v(any_band(), 0..3))
            .prop_map(|(flags, meter_id, bands)| MeterConfig { flags, meter_id, bands });
        let meter_features = any::<(u32, u32, u32, u8, u8)>().prop_map(
            |(max_meter, band_types, capabilities, max_bands, max_color)| MeterFeatures {
                max_meter,
                band_types,
                capabilities,
                max_bands,
                max_color,
            },
        );
        let body = prop_oneof![
            desc.prop_map(|d| B::Desc(Box::new(d))),
            v(flow, 0..3).prop_map(B::Flow),
            any::<(u64, u64, u32)>().prop_map(|(packet_count, byte_count, flow_count)| B::Aggregate(
                AggregateStats { packet_count, byte_count, flow_count }
            )),
            v(table, 0..3).prop_map(B::Table),
            v(port, 0..3).prop_map(B::PortStats),
            v(queue, 0..3).prop_map(B::Queue),
            v(group, 0..3).prop_map(B::Group),
            v(group_desc, 0..3).prop_map(B::GroupDesc),
            group_features.prop_map(B::GroupFeatures),
            v(meter, 0..3).prop_map(B::Meter),
            v(meter_config, 0..3).prop_map(B::MeterConfig),
            meter_features.prop_map(B::MeterFeatures),
            v(any_table_features(), 0..3).prop_map(B::TableFeatures),
            v(any_port(), 0..3).prop_map(B::PortDesc),
            any_experimenter().prop_map(B::Experimenter),
            (any_unknown_type(), v(any::<u8>(), 0..24))
                .prop_map(|(mp_type, body)| B::Unknown { mp_type, body }),
        ];
        (any::<u16>(), body).prop_map(|(flags, body)| MultipartReply { flags, body })
    }

    proptest! {
        #[test]
        fn request_round_trips(req in any_request()) {
            let bytes = to_vec(&req);
            prop_assert_eq!(bytes.len(), req.encoded_len());
            let back = decode_request(&message(REQUEST, &bytes)).unwrap();
            prop_assert_eq!(&back, &req);
            prop_assert_eq!(to_vec(&back), bytes);
        }

        #[test]
        fn reply_round_trips(rep in any_reply()) {
            let bytes = to_vec(&rep);
            prop_assert_eq!(bytes.len(), rep.encoded_len());
            let back = decode_reply(&message(REPLY, &bytes)).unwrap();
            prop_assert_eq!(&back, &rep);
            prop_assert_eq!(to_vec(&back), bytes);
        }

        #[test]
        fn garbage_never_panics(mp_type in prop_oneof![0u16..16, Just(0xffff)], body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut b = mp_type.to_be_bytes().to_vec();
            b.extend_from_slice(&[0; 6]);
            b.extend_from_slice(&body);
            if let Ok(req) = decode_request(&message(REQUEST, &b)) {
                prop_assert_eq!(decode_request(&message(REQUEST, &to_vec(&req))).unwrap(), req);
            }
            if let Ok(rep) = decode_reply(&message(REPLY, &b)) {
                prop_assert_eq!(decode_reply(&message(REPLY, &to_vec(&rep))).unwrap(), rep);
            }
        }
    }
}
