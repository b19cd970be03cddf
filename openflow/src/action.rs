//! Actions (OpenFlow 1.3.5 §7.2.5, `struct ofp_action_*`).
//!
//! ## Wire format
//!
//! Every action starts with `type` (2 bytes) and `len` (2 bytes, the whole
//! action including padding; always a multiple of 8).
//!
//! ```text
//! +--------+--------+--------+--------+--------- ... --+
//! |      type       |       len       | body, padded   |
//! +--------+--------+--------+--------+--------- ... --+
//! ```
//!
//! The fixed-size actions must carry exactly their size in `len` (16 for
//! output, 8 for the rest); `set_field` carries one OXM TLV padded to a
//! multiple of 8 (with the minimum padding). Experimenter actions and action
//! types OpenFlow 1.3 does not define are kept as raw bytes.

use alloc::vec::Vec;

use bytes::BufMut;

use crate::oxm::Oxm;
use crate::oxm::sub_for;
use crate::wire::{DecodeError, Encode, ErrorKind, Reader, pad8, put_zeros};

/// `OFPAT_OUTPUT`: output to switch port (§7.2.5).
pub const OFPAT_OUTPUT: u16 = 0;
/// `OFPAT_COPY_TTL_OUT`: copy TTL "outwards".
pub const OFPAT_COPY_TTL_OUT: u16 = 11;
/// `OFPAT_COPY_TTL_IN`: copy TTL "inwards".
pub const OFPAT_COPY_TTL_IN: u16 = 12;
/// `OFPAT_SET_MPLS_TTL`: set the MPLS TTL.
pub const OFPAT_SET_MPLS_TTL: u16 = 15;
/// `OFPAT_DEC_MPLS_TTL`: decrement the MPLS TTL.
pub const OFPAT_DEC_MPLS_TTL: u16 = 16;
/// `OFPAT_PUSH_VLAN`: push a new VLAN tag.
pub const OFPAT_PUSH_VLAN: u16 = 17;
/// `OFPAT_POP_VLAN`: pop the outer VLAN tag.
pub const OFPAT_POP_VLAN: u16 = 18;
/// `OFPAT_PUSH_MPLS`: push a new MPLS tag.
pub const OFPAT_PUSH_MPLS: u16 = 19;
/// `OFPAT_POP_MPLS`: pop the outer MPLS tag.
pub const OFPAT_POP_MPLS: u16 = 20;
/// `OFPAT_SET_QUEUE`: set queue id when outputting to a port.
pub const OFPAT_SET_QUEUE: u16 = 21;
/// `OFPAT_GROUP`: apply group.
pub const OFPAT_GROUP: u16 = 22;
/// `OFPAT_SET_NW_TTL`: set the IP TTL.
pub const OFPAT_SET_NW_TTL: u16 = 23;
/// `OFPAT_DEC_NW_TTL`: decrement the IP TTL.
pub const OFPAT_DEC_NW_TTL: u16 = 24;
/// `OFPAT_SET_FIELD`: set a header field using the OXM TLV format.
pub const OFPAT_SET_FIELD: u16 = 25;
/// `OFPAT_PUSH_PBB`: push a new PBB service tag (I-TAG).
pub const OFPAT_PUSH_PBB: u16 = 26;
/// `OFPAT_POP_PBB`: pop the outer PBB service tag (I-TAG).
pub const OFPAT_POP_PBB: u16 = 27;
/// `OFPAT_EXPERIMENTER`.
pub const OFPAT_EXPERIMENTER: u16 = 0xffff;

/// `OFPP_MAX`: maximum number of physical and logical switch ports (§7.2.1).
pub const OFPP_MAX: u32 = 0xffff_ff00;
/// `OFPP_IN_PORT`: send the packet out the input port.
pub const OFPP_IN_PORT: u32 = 0xffff_fff8;
/// `OFPP_TABLE`: submit the packet to the first flow table (packet-out only).
pub const OFPP_TABLE: u32 = 0xffff_fff9;
/// `OFPP_NORMAL`: forward using non-OpenFlow pipeline.
pub const OFPP_NORMAL: u32 = 0xffff_fffa;
/// `OFPP_FLOOD`: flood using non-OpenFlow pipeline.
pub const OFPP_FLOOD: u32 = 0xffff_fffb;
/// `OFPP_ALL`: all standard ports except input port.
pub const OFPP_ALL: u32 = 0xffff_fffc;
/// `OFPP_CONTROLLER`: send to controller.
pub const OFPP_CONTROLLER: u32 = 0xffff_fffd;
/// `OFPP_LOCAL`: local openflow "port".
pub const OFPP_LOCAL: u32 = 0xffff_fffe;
/// `OFPP_ANY`: special value used in some requests when no port is specified (wildcarded).
pub const OFPP_ANY: u32 = 0xffff_ffff;

/// Nicira's experimenter id (`NX_EXPERIMENTER_ID`).
pub const NX_EXPERIMENTER_ID: u32 = 0x0000_2320;

/// `OFPCML_MAX`: maximum `max_len` value to send a packet to the controller (§7.2.5).
pub const OFPCML_MAX: u16 = 0xffe5;
/// `OFPCML_NO_BUFFER`: send the complete packet to the controller, unbuffered.
pub const OFPCML_NO_BUFFER: u16 = 0xffff;

/// One action (OpenFlow 1.3.5 §7.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// `OFPAT_OUTPUT` (`struct ofp_action_output`, 16 bytes).
    Output {
        /// Output port (`OFPP_*` or a port number).
        port: u32,
        /// Bytes to send to the controller when `port` is [`OFPP_CONTROLLER`]
        /// ([`OFPCML_NO_BUFFER`] for the whole packet).
        max_len: u16,
    },
    /// `OFPAT_COPY_TTL_OUT` (`struct ofp_action_generic`, 8 bytes).
    CopyTtlOut,
    /// `OFPAT_COPY_TTL_IN` (`struct ofp_action_generic`, 8 bytes).
    CopyTtlIn,
    /// `OFPAT_SET_MPLS_TTL` (`struct ofp_action_mpls_ttl`, 8 bytes).
    SetMplsTtl(u8),
    /// `OFPAT_DEC_MPLS_TTL` (`struct ofp_action_generic`, 8 bytes).
    DecMplsTtl,
    /// `OFPAT_PUSH_VLAN` with its ethertype (`struct ofp_action_push`, 8 bytes).
    PushVlan(u16),
    /// `OFPAT_POP_VLAN` (`struct ofp_action_generic`, 8 bytes).
    PopVlan,
    /// `OFPAT_PUSH_MPLS` with its ethertype (`struct ofp_action_push`, 8 bytes).
    PushMpls(u16),
    /// `OFPAT_POP_MPLS` with the ethertype of the payload (`struct ofp_action_pop_mpls`, 8 bytes).
    PopMpls(u16),
    /// `OFPAT_SET_QUEUE` with the queue id (`struct ofp_action_set_queue`, 8 bytes).
    SetQueue(u32),
    /// `OFPAT_GROUP` with the group id (`struct ofp_action_group`, 8 bytes).
    Group(u32),
    /// `OFPAT_SET_NW_TTL` (`struct ofp_action_nw_ttl`, 8 bytes).
    SetNwTtl(u8),
    /// `OFPAT_DEC_NW_TTL` (`struct ofp_action_generic`, 8 bytes).
    DecNwTtl,
    /// `OFPAT_SET_FIELD` with one OXM TLV (`struct ofp_action_set_field`,
    /// padded to a multiple of 8).
    SetField(Oxm),
    /// `OFPAT_PUSH_PBB` with its ethertype (`struct ofp_action_push`, 8 bytes).
    PushPbb(u16),
    /// `OFPAT_POP_PBB` (`struct ofp_action_generic`, 8 bytes).
    PopPbb,
    /// `OFPAT_EXPERIMENTER` (`struct ofp_action_experimenter_header`): the
    /// experimenter id and the opaque bytes after it. `data.len() + 8` must be
    /// a multiple of 8 for the action to encode as sent.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id, padding included.
        data: Vec<u8>,
    },
    /// An action type OpenFlow 1.3 does not define, kept raw.
    Unknown {
        /// `type`.
        action_type: u16,
        /// The bytes after `type` and `len` (`len - 4` of them).
        body: Vec<u8>,
    },
}

/// Total encoded length of an action list.
pub fn actions_len(actions: &[Action]) -> usize {
    actions.iter().map(Encode::encoded_len).sum()
}

/// The wire-struct name errors carry for action type `t`.
fn context_of(t: u16) -> &'static str {
    match t {
        OFPAT_OUTPUT => "ofp_action_output",
        OFPAT_COPY_TTL_OUT | OFPAT_COPY_TTL_IN | OFPAT_DEC_MPLS_TTL | OFPAT_POP_VLAN | OFPAT_DEC_NW_TTL
        | OFPAT_POP_PBB => "ofp_action_generic",
        OFPAT_SET_MPLS_TTL => "ofp_action_mpls_ttl",
        OFPAT_PUSH_VLAN | OFPAT_PUSH_MPLS | OFPAT_PUSH_PBB => "ofp_action_push",
        OFPAT_POP_MPLS => "ofp_action_pop_mpls",
        OFPAT_SET_QUEUE => "ofp_action_set_queue",
        OFPAT_GROUP => "ofp_action_group",
        OFPAT_SET_NW_TTL => "ofp_action_nw_ttl",
        OFPAT_SET_FIELD => "ofp_action_set_field",
        OFPAT_EXPERIMENTER => "ofp_action_experimenter_header",
        _ => "ofp_action_header",
    }
}

impl Action {
    /// Output to `port`, sending the whole packet if it goes to the controller.
    pub fn output(port: u32) -> Self {
        Action::Output { port, max_len: OFPCML_NO_BUFFER }
    }

    /// Output to the controller, sending at most `max_len` bytes ([`OFPCML_NO_BUFFER`]: all).
    pub fn to_controller(max_len: u16) -> Self {
        Action::Output { port: OFPP_CONTROLLER, max_len }
    }

    /// Set a header field.
    pub fn set_field(oxm: impl Into<Oxm>) -> Self {
        Action::SetField(oxm.into())
    }

    /// The `type` field.
    pub fn action_type(&self) -> u16 {
        match self {
            Action::Output { .. } => OFPAT_OUTPUT,
            Action::CopyTtlOut => OFPAT_COPY_TTL_OUT,
            Action::CopyTtlIn => OFPAT_COPY_TTL_IN,
            Action::SetMplsTtl(_) => OFPAT_SET_MPLS_TTL,
            Action::DecMplsTtl => OFPAT_DEC_MPLS_TTL,
            Action::PushVlan(_) => OFPAT_PUSH_VLAN,
            Action::PopVlan => OFPAT_POP_VLAN,
            Action::PushMpls(_) => OFPAT_PUSH_MPLS,
            Action::PopMpls(_) => OFPAT_POP_MPLS,
            Action::SetQueue(_) => OFPAT_SET_QUEUE,
            Action::Group(_) => OFPAT_GROUP,
            Action::SetNwTtl(_) => OFPAT_SET_NW_TTL,
            Action::DecNwTtl => OFPAT_DEC_NW_TTL,
            Action::SetField(_) => OFPAT_SET_FIELD,
            Action::PushPbb(_) => OFPAT_PUSH_PBB,
            Action::PopPbb => OFPAT_POP_PBB,
            Action::Experimenter { .. } => OFPAT_EXPERIMENTER,
            Action::Unknown { action_type, .. } => *action_type,
        }
    }

    /// Decodes one action.
    ///
    /// Errors: `len` below 8, not a multiple of 8 or beyond the bytes left
    /// (`BadLength` at `len`); a fixed-size action whose `len` is not its size
    /// (`BadLength`); a set-field whose OXM does not fill it with minimal
    /// padding (`BadLength`); OXM errors from the set-field's TLV.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let action_type = r.u16("type").map_err(|e| with_ctx(e, "ofp_action_header"))?;
        let context = context_of(action_type);
        let len_offset = r.offset();
        let len = usize::from(r.u16("len").map_err(|e| with_ctx(e, context))?);
        let bad_len = || DecodeError {
            message: "",
            context,
            field: "len",
            offset: len_offset,
            kind: ErrorKind::BadLength { length: len },
        };
        if len < 8 || len % 8 != 0 {
            return Err(bad_len());
        }
        let mut b = sub_for(r, len - 4, len, len_offset, "len", context)?;
        let fixed = |want: usize| if len == want { Ok(()) } else { Err(bad_len()) };
        let action = match action_type {
            OFPAT_OUTPUT => {
                fixed(16)?;
                let port = b.u32("port")?;
                let max_len = b.u16("max_len")?;
                b.pad(6)?;
                Action::Output { port, max_len }
            }
            OFPAT_COPY_TTL_OUT | OFPAT_COPY_TTL_IN | OFPAT_DEC_MPLS_TTL | OFPAT_POP_VLAN
            | OFPAT_DEC_NW_TTL | OFPAT_POP_PBB => {
                fixed(8)?;
                b.pad(4)?;
                match action_type {
                    OFPAT_COPY_TTL_OUT => Action::CopyTtlOut,
                    OFPAT_COPY_TTL_IN => Action::CopyTtlIn,
                    OFPAT_DEC_MPLS_TTL => Action::DecMplsTtl,
                    OFPAT_POP_VLAN => Action::PopVlan,
                    OFPAT_DEC_NW_TTL => Action::DecNwTtl,
                    _ => Action::PopPbb,
                }
            }
            OFPAT_SET_MPLS_TTL | OFPAT_SET_NW_TTL => {
                fixed(8)?;
                let ttl = b.u8(if action_type == OFPAT_SET_MPLS_TTL { "mpls_ttl" } else { "nw_ttl" })?;
                b.pad(3)?;
                if action_type == OFPAT_SET_MPLS_TTL {
                    Action::SetMplsTtl(ttl)
                } else {
                    Action::SetNwTtl(ttl)
                }
            }
            OFPAT_PUSH_VLAN | OFPAT_PUSH_MPLS | OFPAT_PUSH_PBB | OFPAT_POP_MPLS => {
                fixed(8)?;
                let ethertype = b.u16("ethertype")?;
                b.pad(2)?;
                match action_type {
                    OFPAT_PUSH_VLAN => Action::PushVlan(ethertype),
                    OFPAT_PUSH_MPLS => Action::PushMpls(ethertype),
                    OFPAT_PUSH_PBB => Action::PushPbb(ethertype),
                    _ => Action::PopMpls(ethertype),
                }
            }
            OFPAT_SET_QUEUE => {
                fixed(8)?;
                Action::SetQueue(b.u32("queue_id")?)
            }
            OFPAT_GROUP => {
                fixed(8)?;
                Action::Group(b.u32("group_id")?)
            }
            OFPAT_SET_FIELD => {
                let oxm = Oxm::decode(&mut b)?;
                let used = 4 + oxm.encoded_len();
                if len != used + pad8(used) {
                    return Err(bad_len());
                }
                b.rest();
                Action::SetField(oxm)
            }
            OFPAT_EXPERIMENTER => {
                let experimenter = b.u32("experimenter")?;
                Action::Experimenter { experimenter, data: b.rest().to_vec() }
            }
            _ => Action::Unknown { action_type, body: b.rest().to_vec() },
        };
        Ok(action)
    }

    /// Decodes actions until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Action>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(Action::decode(r)?);
        }
        Ok(out)
    }
}

fn with_ctx(mut e: DecodeError, context: &'static str) -> DecodeError {
    e.context = context;
    e
}

impl Encode for Action {
    fn encoded_len(&self) -> usize {
        match self {
            Action::Output { .. } => 16,
            Action::SetField(oxm) => {
                let used = 4 + oxm.encoded_len();
                used + pad8(used)
            }
            Action::Experimenter { data, .. } => 8 + data.len(),
            Action::Unknown { body, .. } => 4 + body.len(),
            _ => 8,
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.action_type());
        buf.put_u16(self.encoded_len() as u16);
        match self {
            Action::Output { port, max_len } => {
                buf.put_u32(*port);
                buf.put_u16(*max_len);
                put_zeros(buf, 6);
            }
            Action::CopyTtlOut
            | Action::CopyTtlIn
            | Action::DecMplsTtl
            | Action::PopVlan
            | Action::DecNwTtl
            | Action::PopPbb => put_zeros(buf, 4),
            Action::SetMplsTtl(ttl) | Action::SetNwTtl(ttl) => {
                buf.put_u8(*ttl);
                put_zeros(buf, 3);
            }
            Action::PushVlan(e) | Action::PushMpls(e) | Action::PushPbb(e) | Action::PopMpls(e) => {
                buf.put_u16(*e);
                put_zeros(buf, 2);
            }
            Action::SetQueue(v) | Action::Group(v) => buf.put_u32(*v),
            Action::SetField(oxm) => {
                oxm.encode(buf);
                put_zeros(buf, pad8(4 + oxm.encoded_len()));
            }
            Action::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            Action::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

/// An action id in a table-features property (OpenFlow 1.3.5 §7.3.5.5.2): the
/// start of a `struct ofp_action` header: `type` and `len`, then for
/// [`OFPAT_EXPERIMENTER`] the experimenter id. `len` (≥ 4) says how many bytes the
/// id takes; normally 4, or 8 with an experimenter id. Bytes beyond those
/// are kept in `data` so every id re-encodes as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionId {
    /// `type`.
    pub action_type: u16,
    /// The experimenter id; present exactly when `action_type` is [`OFPAT_EXPERIMENTER`].
    pub experimenter: Option<u32>,
    /// Any further bytes `len` covers (normally none).
    pub data: Vec<u8>,
}

impl ActionId {
    /// The id of a standard action type (`len` 4).
    pub fn new(action_type: u16) -> Self {
        ActionId { action_type, experimenter: None, data: Vec::new() }
    }

    /// The id of an experimenter action (`len` 8).
    pub fn experimenter(experimenter: u32) -> Self {
        ActionId { action_type: OFPAT_EXPERIMENTER, experimenter: Some(experimenter), data: Vec::new() }
    }

    /// `len` as written on the wire.
    pub fn len(&self) -> usize {
        type_id_len(self.experimenter, &self.data)
    }

    /// Never true: an id has at least its 4-byte header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Decodes one id.
    ///
    /// Errors: `len` below 4, or below 8 for an experimenter id, or beyond
    /// the bytes left (`BadLength` at `len`).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (action_type, experimenter, data) =
            decode_type_id(r, OFPAT_EXPERIMENTER, "ofp_action_header", "ofp_action_experimenter_header")?;
        Ok(ActionId { action_type, experimenter, data })
    }

    /// Decodes ids until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<ActionId>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(ActionId::decode(r)?);
        }
        Ok(out)
    }
}

impl Encode for ActionId {
    fn encoded_len(&self) -> usize {
        self.len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        encode_type_id(buf, self.action_type, self.experimenter, &self.data);
    }
}

/// `len` of a table-features id (action or instruction): header, optional
/// experimenter id, then any further bytes.
pub(crate) fn type_id_len(experimenter: Option<u32>, data: &[u8]) -> usize {
    4 + if experimenter.is_some() { 4 } else { 0 } + data.len()
}

/// Decodes the id shape shared by [`ActionId`] and `InstructionId`: `type`,
/// `len` (≥ 4, ≥ 8 when `type` is `experimenter_type`), the experimenter id
/// when present, then the rest of `len` as raw bytes.
pub(crate) fn decode_type_id(
    r: &mut Reader<'_>,
    experimenter_type: u16,
    context: &'static str,
    experimenter_context: &'static str,
) -> Result<(u16, Option<u32>, Vec<u8>), DecodeError> {
    let id_type = r.u16("type").map_err(|e| with_ctx(e, context))?;
    let is_experimenter = id_type == experimenter_type;
    let context = if is_experimenter { experimenter_context } else { context };
    let len_offset = r.offset();
    let len = usize::from(r.u16("len").map_err(|e| with_ctx(e, context))?);
    let min = if is_experimenter { 8 } else { 4 };
    if len < min {
        return Err(DecodeError {
            message: "",
            context,
            field: "len",
            offset: len_offset,
            kind: ErrorKind::BadLength { length: len },
        });
    }
    let mut b = sub_for(r, len - 4, len, len_offset, "len", context)?;
    let experimenter = if is_experimenter { Some(b.u32("experimenter")?) } else { None };
    Ok((id_type, experimenter, b.rest().to_vec()))
}

/// Encodes the shape [`decode_type_id`] reads.
pub(crate) fn encode_type_id<B: BufMut>(buf: &mut B, id_type: u16, experimenter: Option<u32>, data: &[u8]) {
    buf.put_u16(id_type);
    buf.put_u16(type_id_len(experimenter, data) as u16);
    if let Some(e) = experimenter {
        buf.put_u32(e);
    }
    buf.put_slice(data);
}

#[cfg(feature = "json")]
mod osken {
    use serde_json::{Map, Value};

    use super::*;
    use crate::json::{ToOsken, bytes, class};

    impl ToOsken for Action {
        /// os-ken's classes (`OFPActionOutput`, ...). Experimenter actions print
        /// as `OFPActionExperimenterUnknown` with base64 `data`, Nicira ones
        /// (experimenter 0x2320) as `NXActionUnknown` with their `subtype`
        /// (os-ken decodes known subtypes further; we do not); unknown types,
        /// which os-ken cannot parse, as `OFPActionUnknown` with base64 `data`.
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            m.insert("len".into(), self.encoded_len().into());
            m.insert("type".into(), self.action_type().into());
            let name = match self {
                Action::Output { port, max_len } => {
                    m.insert("port".into(), (*port).into());
                    m.insert("max_len".into(), (*max_len).into());
                    "OFPActionOutput"
                }
                Action::CopyTtlOut => "OFPActionCopyTtlOut",
                Action::CopyTtlIn => "OFPActionCopyTtlIn",
                Action::SetMplsTtl(t) => {
                    m.insert("mpls_ttl".into(), (*t).into());
                    "OFPActionSetMplsTtl"
                }
                Action::DecMplsTtl => "OFPActionDecMplsTtl",
                Action::PushVlan(e) => {
                    m.insert("ethertype".into(), (*e).into());
                    "OFPActionPushVlan"
                }
                Action::PopVlan => "OFPActionPopVlan",
                Action::PushMpls(e) => {
                    m.insert("ethertype".into(), (*e).into());
                    "OFPActionPushMpls"
                }
                Action::PopMpls(e) => {
                    m.insert("ethertype".into(), (*e).into());
                    "OFPActionPopMpls"
                }
                Action::SetQueue(q) => {
                    m.insert("queue_id".into(), (*q).into());
                    "OFPActionSetQueue"
                }
                Action::Group(g) => {
                    m.insert("group_id".into(), (*g).into());
                    "OFPActionGroup"
                }
                Action::SetNwTtl(t) => {
                    m.insert("nw_ttl".into(), (*t).into());
                    "OFPActionSetNwTtl"
                }
                Action::DecNwTtl => "OFPActionDecNwTtl",
                Action::SetField(oxm) => {
                    m.insert("field".into(), oxm.to_osken());
                    "OFPActionSetField"
                }
                Action::PushPbb(e) => {
                    m.insert("ethertype".into(), (*e).into());
                    "OFPActionPushPbb"
                }
                Action::PopPbb => "OFPActionPopPbb",
                Action::Experimenter { experimenter, data } => {
                    m.insert("experimenter".into(), (*experimenter).into());
                    match data.as_slice() {
                        // os-ken parses Nicira actions by subtype; we keep them
                        // opaque and print them as its `NXActionUnknown`.
                        [hi, lo, rest @ ..] if *experimenter == NX_EXPERIMENTER_ID => {
                            m.insert("subtype".into(), u16::from_be_bytes([*hi, *lo]).into());
                            m.insert("data".into(), bytes(rest));
                            "NXActionUnknown"
                        }
                        _ => {
                            m.insert("data".into(), bytes(data));
                            "OFPActionExperimenterUnknown"
                        }
                    }
                }
                Action::Unknown { body, .. } => {
                    m.insert("data".into(), bytes(body));
                    "OFPActionUnknown"
                }
            };
            class(name, m)
        }
    }

    impl ToOsken for ActionId {
        /// `{"OFPActionId": {"len": 4, "type": 0}}` (os-ken shows no experimenter id).
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            m.insert("len".into(), self.len().into());
            m.insert("type".into(), self.action_type.into());
            class("OFPActionId", m)
        }
    }
}

/// Proptest strategies for actions, shared with the other modules' tests.
#[cfg(test)]
pub(crate) mod arb {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    /// Opaque bytes whose length is `4 mod 8` or `0 mod 8` as asked.
    fn padded(extra: usize) -> impl Strategy<Value = Vec<u8>> {
        (0usize..4).prop_flat_map(move |n| vec(any::<u8>(), n * 8 + extra))
    }

    /// Any action.
    pub(crate) fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            (any::<u32>(), any::<u16>()).prop_map(|(port, max_len)| Action::Output { port, max_len }),
            Just(Action::CopyTtlOut),
            Just(Action::CopyTtlIn),
            any::<u8>().prop_map(Action::SetMplsTtl),
            Just(Action::DecMplsTtl),
            any::<u16>().prop_map(Action::PushVlan),
            Just(Action::PopVlan),
            any::<u16>().prop_map(Action::PushMpls),
            any::<u16>().prop_map(Action::PopMpls),
            any::<u32>().prop_map(Action::SetQueue),
            any::<u32>().prop_map(Action::Group),
            any::<u8>().prop_map(Action::SetNwTtl),
            Just(Action::DecNwTtl),
            crate::oxm::arb::oxm().prop_map(Action::SetField),
            any::<u16>().prop_map(Action::PushPbb),
            Just(Action::PopPbb),
            (any::<u32>(), padded(0))
                .prop_map(|(experimenter, data)| Action::Experimenter { experimenter, data }),
            (28u16..0xfffe, padded(4)).prop_map(|(action_type, body)| Action::Unknown { action_type, body }),
        ]
    }

    /// A list of up to `max` actions.
    pub(crate) fn actions(max: usize) -> impl Strategy<Value = Vec<Action>> {
        vec(action(), 0..=max)
    }

    /// Any action id.
    pub(crate) fn action_id() -> impl Strategy<Value = ActionId> {
        (any::<u16>(), any::<u32>(), vec(any::<u8>(), 0..3)).prop_map(|(t, e, data)| ActionId {
            action_type: t,
            experimenter: (t == OFPAT_EXPERIMENTER).then_some(e),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::oxm::{BasicField, OFPVID_PRESENT};
    use crate::wire::to_vec;

    fn list_bytes(actions: &[Action]) -> Vec<u8> {
        let mut out = Vec::new();
        for a in actions {
            a.encode(&mut out);
        }
        assert_eq!(out.len(), actions_len(actions));
        out
    }

    fn decode_list(bytes: &[u8]) -> Result<Vec<Action>, DecodeError> {
        Action::decode_list(&mut Reader::new(bytes, "test"))
    }

    /// The write-actions list of os-ken's 4-2-ofp_flow_mod vector.
    const FLOW_MOD_ACTIONS: &str = "\
        0019 0010 8000 0c02 0102 0000 0000 0000 000b 0008 0000 0000\
        000c 0008 0000 0000 000c 0008 0000 0000 001b 0008 0000 0000 001a 0008 1234 0000\
        0014 0008 9876 0000 0013 0008 8847 0000 0012 0008 0000 0000 0011 0008 8100 0000\
        0010 0008 0000 0000 000f 0008 0a00 0000 0018 0008 0000 0000 0017 0008 0a00 0000\
        ffff 0010 0000 0065 0001 0203 0405 0607 0015 0008 0000 0003 0016 0008 0000 0063\
        0000 0010 0000 0006 ffff 0000 0000 0000";

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits.chunks(2).map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
    }

    #[test]
    fn flow_mod_vector_actions() {
        let bytes = hex(FLOW_MOD_ACTIONS);
        let actions = decode_list(&bytes).unwrap();
        assert_eq!(
            actions,
            [
                Action::SetField(BasicField::VlanVid(0x0102, None).into()),
                Action::CopyTtlOut,
                Action::CopyTtlIn,
                Action::CopyTtlIn,
                Action::PopPbb,
                Action::PushPbb(0x1234),
                Action::PopMpls(0x9876),
                Action::PushMpls(0x8847),
                Action::PopVlan,
                Action::PushVlan(0x8100),
                Action::DecMplsTtl,
                Action::SetMplsTtl(10),
                Action::DecNwTtl,
                Action::SetNwTtl(10),
                Action::Experimenter { experimenter: 101, data: vec![0, 1, 2, 3, 4, 5, 6, 7] },
                Action::SetQueue(3),
                Action::Group(99),
                Action::Output { port: 6, max_len: OFPCML_NO_BUFFER },
            ]
        );
        assert_eq!(list_bytes(&actions), bytes);
    }

    #[test]
    fn fixed_sizes_are_enforced() {
        // Output with len 8.
        let e = decode_list(&hex("0000 0008 0000 0006")).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_action_output", "len", 2));
        assert_eq!(e.kind, ErrorKind::BadLength { length: 8 });
        // Group with len 16.
        let e = decode_list(&hex("0016 0010 0000 0063 0000 0000 0000 0000")).unwrap_err();
        assert_eq!((e.context, e.kind), ("ofp_action_group", ErrorKind::BadLength { length: 16 }));
        // Lengths that are not a multiple of 8, or below 8.
        for bad in ["0000 000c 0000 0006 ffff 0000", "ffff 0004", "0063 0000", "0063 0005 0000 0000"] {
            let e = decode_list(&hex(bad)).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::BadLength { .. }), "{bad}: {e}");
            assert_eq!((e.field, e.offset), ("len", 2), "{bad}");
        }
        // len beyond the input.
        let e = decode_list(&hex("0000 0010 0000 0006")).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.kind),
            ("ofp_action_output", "len", ErrorKind::BadLength { length: 16 })
        );
        // Set-field with more padding than needed.
        let e = decode_list(&hex("0019 0018 8000 0c02 0102 0000 0000 0000 0000 0000 0000 0000")).unwrap_err();
        assert_eq!((e.context, e.kind), ("ofp_action_set_field", ErrorKind::BadLength { length: 24 }));
        // Set-field whose OXM overruns it.
        let e = decode_list(&hex("0019 0008 8000 0606 0102")).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("OXM_OF_ETH_DST", "oxm_length", 7));
        // A bad OXM inside set-field reports the OXM.
        let e = decode_list(&hex("0019 0010 8000 0105 0000 0001 0000 0000")).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("OXM_OF_IN_PORT", "oxm_hasmask", 6));
    }

    #[test]
    fn unknown_types_round_trip() {
        let bytes = hex("0063 0010 0102 0304 0506 0708 090a 0b0c 0005 0008 aabb ccdd");
        let actions = decode_list(&bytes).unwrap();
        assert_eq!(
            actions,
            [
                Action::Unknown { action_type: 0x63, body: (1..=12).collect() },
                // OpenFlow 1.1's SET_NW_SRC is not a 1.3 action.
                Action::Unknown { action_type: 5, body: vec![0xaa, 0xbb, 0xcc, 0xdd] },
            ]
        );
        assert_eq!(list_bytes(&actions), bytes);
    }

    #[test]
    fn set_field_padding() {
        let a = Action::set_field(BasicField::EthSrc([1, 2, 3, 4, 5, 6], None));
        assert_eq!(to_vec(&a), hex("0019 0010 8000 0806 0102 0304 0506 0000"));
        let a = Action::set_field(BasicField::VlanVid(OFPVID_PRESENT | 5, None));
        assert_eq!(a.encoded_len(), 16);
        let a = Action::set_field(BasicField::Ipv6Dst(core::net::Ipv6Addr::LOCALHOST, None));
        assert_eq!(a.encoded_len(), 24);
        assert_eq!(decode_list(&to_vec(&a)).unwrap(), [a]);
    }

    #[test]
    fn truncation_at_every_offset() {
        let bytes = hex(FLOW_MOD_ACTIONS);
        for cut in 0..bytes.len() {
            match decode_list(&bytes[..cut]) {
                Ok(list) => assert_eq!(list_bytes(&list), bytes[..cut], "cut {cut}"),
                Err(e) => {
                    assert!(e.offset <= cut, "cut {cut}: {e}");
                    assert!(e.context.starts_with("ofp_action") || e.context.starts_with("OXM_OF"), "{e}");
                }
            }
        }
        // Only cuts at action boundaries decode.
        let ok = (0..bytes.len()).filter(|&c| decode_list(&bytes[..c]).is_ok()).count();
        assert_eq!(ok, 18);
    }

    #[test]
    fn action_ids() {
        let bytes = hex("0000 0004 0016 0004 ffff 0008 0000 2320 0063 0006 0102");
        let mut r = Reader::new(&bytes, "test");
        let ids = ActionId::decode_list(&mut r).unwrap();
        assert_eq!(
            ids,
            [
                ActionId::new(OFPAT_OUTPUT),
                ActionId::new(OFPAT_GROUP),
                ActionId::experimenter(0x2320),
                ActionId { action_type: 0x63, experimenter: None, data: vec![1, 2] },
            ]
        );
        let mut out = Vec::new();
        for id in &ids {
            id.encode(&mut out);
        }
        assert_eq!(out, bytes);
        let e = ActionId::decode(&mut Reader::new(&hex("ffff 0004"), "t")).unwrap_err();
        assert_eq!(
            (e.context, e.kind),
            ("ofp_action_experimenter_header", ErrorKind::BadLength { length: 4 })
        );
        let e = ActionId::decode(&mut Reader::new(&hex("0000 0003"), "t")).unwrap_err();
        assert_eq!((e.context, e.kind), ("ofp_action_header", ErrorKind::BadLength { length: 3 }));
    }

    #[cfg(feature = "json")]
    #[test]
    fn osken_json() {
        use crate::json::ToOsken;
        use serde_json::json;
        assert_eq!(
            Action::output(6).to_osken(),
            json!({"OFPActionOutput": {"len": 16, "max_len": 65535, "port": 6, "type": 0}})
        );
        assert_eq!(
            Action::Experimenter { experimenter: 101, data: vec![0, 1, 2, 3, 4, 5, 6, 7] }.to_osken(),
            json!({"OFPActionExperimenterUnknown": {"data": "AAECAwQFBgc=", "experimenter": 101, "len": 16, "type": 65535}})
        );
        assert_eq!(
            Action::set_field(BasicField::VlanVid(258, None)).to_osken(),
            json!({"OFPActionSetField": {"field": {"OXMTlv": {"field": "vlan_vid", "mask": null, "value": 258}},
                "len": 16, "type": 25}})
        );
        assert_eq!(
            Action::Experimenter { experimenter: 0x2320, data: b"exp_data".to_vec() }.to_osken(),
            json!({"NXActionUnknown": {"data": "cF9kYXRh", "experimenter": 8992, "len": 16, "subtype": 25976, "type": 65535}})
        );
        assert_eq!(ActionId::new(22).to_osken(), json!({"OFPActionId": {"len": 4, "type": 22}}));
    }

    proptest! {
        #[test]
        fn action_round_trip(list in arb::actions(8)) {
            let bytes = list_bytes(&list);
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(decode_list(&bytes).unwrap(), list);
        }

        #[test]
        fn action_id_round_trip(id in arb::action_id()) {
            let bytes = to_vec(&id);
            let mut r = Reader::new(&bytes, "test");
            prop_assert_eq!(ActionId::decode(&mut r).unwrap(), id);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(list) = decode_list(&bytes) {
                // Padding aside, whatever decodes re-encodes as sent.
                prop_assert_eq!(list_bytes(&list).len(), bytes.len());
            }
        }
    }
}
