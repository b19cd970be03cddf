//! Instructions (OpenFlow 1.3.5 §7.2.4, `struct ofp_instruction_*`).
//!
//! ## Wire format
//!
//! Every instruction starts with `type` (2 bytes) and `len` (2 bytes, the
//! whole instruction; a multiple of 8). Fixed-size instructions must carry
//! exactly their size: goto-table, clear-actions and meter 8 bytes,
//! write-metadata 24. Write/apply-actions hold 4 bytes of padding and a list
//! of actions. Experimenter instructions and types OpenFlow 1.3 does not
//! define are kept as raw bytes.

use alloc::vec::Vec;

use bytes::BufMut;

use crate::action::{Action, actions_len, decode_type_id, encode_type_id, type_id_len};
use crate::oxm::sub_for;
use crate::wire::{DecodeError, Encode, ErrorKind, Reader, put_zeros};

/// `OFPIT_GOTO_TABLE`: set up the next table in the lookup pipeline (§7.2.4).
pub const OFPIT_GOTO_TABLE: u16 = 1;
/// `OFPIT_WRITE_METADATA`: set up the metadata field for use later in the pipeline.
pub const OFPIT_WRITE_METADATA: u16 = 2;
/// `OFPIT_WRITE_ACTIONS`: write the action(s) onto the datapath action set.
pub const OFPIT_WRITE_ACTIONS: u16 = 3;
/// `OFPIT_APPLY_ACTIONS`: apply the action(s) immediately.
pub const OFPIT_APPLY_ACTIONS: u16 = 4;
/// `OFPIT_CLEAR_ACTIONS`: clear all actions from the datapath action set.
pub const OFPIT_CLEAR_ACTIONS: u16 = 5;
/// `OFPIT_METER`: apply meter (rate limiter).
pub const OFPIT_METER: u16 = 6;
/// `OFPIT_EXPERIMENTER`: experimenter instruction.
pub const OFPIT_EXPERIMENTER: u16 = 0xffff;

/// One instruction (OpenFlow 1.3.5 §7.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// `OFPIT_GOTO_TABLE` with the next table id (`struct ofp_instruction_goto_table`, 8 bytes).
    GotoTable(u8),
    /// `OFPIT_WRITE_METADATA` (`struct ofp_instruction_write_metadata`, 24 bytes).
    WriteMetadata {
        /// Metadata value to write.
        metadata: u64,
        /// Which metadata bits to write.
        mask: u64,
    },
    /// `OFPIT_WRITE_ACTIONS` (`struct ofp_instruction_actions`).
    WriteActions(Vec<Action>),
    /// `OFPIT_APPLY_ACTIONS` (`struct ofp_instruction_actions`).
    ApplyActions(Vec<Action>),
    /// `OFPIT_CLEAR_ACTIONS` (`struct ofp_instruction_actions` with no actions, 8 bytes).
    ClearActions,
    /// `OFPIT_METER` with the meter id (`struct ofp_instruction_meter`, 8 bytes).
    Meter(u32),
    /// `OFPIT_EXPERIMENTER` (`struct ofp_instruction_experimenter`): experimenter
    /// id and the opaque bytes after it (`data.len() + 8` a multiple of 8 to
    /// encode as sent).
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id.
        data: Vec<u8>,
    },
    /// An instruction type OpenFlow 1.3 does not define, kept raw.
    Unknown {
        /// `type`.
        instruction_type: u16,
        /// The bytes after `type` and `len`.
        body: Vec<u8>,
    },
}

fn context_of(t: u16) -> &'static str {
    match t {
        OFPIT_GOTO_TABLE => "ofp_instruction_goto_table",
        OFPIT_WRITE_METADATA => "ofp_instruction_write_metadata",
        OFPIT_WRITE_ACTIONS | OFPIT_APPLY_ACTIONS | OFPIT_CLEAR_ACTIONS => "ofp_instruction_actions",
        OFPIT_METER => "ofp_instruction_meter",
        OFPIT_EXPERIMENTER => "ofp_instruction_experimenter",
        _ => "ofp_instruction",
    }
}

fn with_ctx(mut e: DecodeError, context: &'static str) -> DecodeError {
    e.context = context;
    e
}

impl Instruction {
    /// Apply these actions now (`OFPIT_APPLY_ACTIONS`).
    pub fn apply(actions: impl IntoIterator<Item = Action>) -> Self {
        Instruction::ApplyActions(actions.into_iter().collect())
    }

    /// Write these actions to the action set (`OFPIT_WRITE_ACTIONS`).
    pub fn write(actions: impl IntoIterator<Item = Action>) -> Self {
        Instruction::WriteActions(actions.into_iter().collect())
    }

    /// The `type` field.
    pub fn instruction_type(&self) -> u16 {
        match self {
            Instruction::GotoTable(_) => OFPIT_GOTO_TABLE,
            Instruction::WriteMetadata { .. } => OFPIT_WRITE_METADATA,
            Instruction::WriteActions(_) => OFPIT_WRITE_ACTIONS,
            Instruction::ApplyActions(_) => OFPIT_APPLY_ACTIONS,
            Instruction::ClearActions => OFPIT_CLEAR_ACTIONS,
            Instruction::Meter(_) => OFPIT_METER,
            Instruction::Experimenter { .. } => OFPIT_EXPERIMENTER,
            Instruction::Unknown { instruction_type, .. } => *instruction_type,
        }
    }

    /// Decodes one instruction.
    ///
    /// Errors: `len` below 8, not a multiple of 8 or beyond the bytes left
    /// (`BadLength` at `len`); a fixed-size instruction with another `len`
    /// (`BadLength`); errors from the actions inside.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let instruction_type = r.u16("type").map_err(|e| with_ctx(e, "ofp_instruction"))?;
        let context = context_of(instruction_type);
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
        Ok(match instruction_type {
            OFPIT_GOTO_TABLE => {
                fixed(8)?;
                let t = b.u8("table_id")?;
                b.pad(3)?;
                Instruction::GotoTable(t)
            }
            OFPIT_WRITE_METADATA => {
                fixed(24)?;
                b.pad(4)?;
                let metadata = b.u64("metadata")?;
                let mask = b.u64("metadata_mask")?;
                Instruction::WriteMetadata { metadata, mask }
            }
            OFPIT_WRITE_ACTIONS | OFPIT_APPLY_ACTIONS => {
                b.pad(4)?;
                let actions = Action::decode_list(&mut b)?;
                if instruction_type == OFPIT_WRITE_ACTIONS {
                    Instruction::WriteActions(actions)
                } else {
                    Instruction::ApplyActions(actions)
                }
            }
            OFPIT_CLEAR_ACTIONS => {
                fixed(8)?;
                b.pad(4)?;
                Instruction::ClearActions
            }
            OFPIT_METER => {
                fixed(8)?;
                Instruction::Meter(b.u32("meter_id")?)
            }
            OFPIT_EXPERIMENTER => {
                let experimenter = b.u32("experimenter")?;
                Instruction::Experimenter { experimenter, data: b.rest().to_vec() }
            }
            _ => Instruction::Unknown { instruction_type, body: b.rest().to_vec() },
        })
    }

    /// Decodes instructions until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Instruction>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(Instruction::decode(r)?);
        }
        Ok(out)
    }
}

/// Total encoded length of an instruction list.
pub fn instructions_len(instructions: &[Instruction]) -> usize {
    instructions.iter().map(Encode::encoded_len).sum()
}

impl Encode for Instruction {
    fn encoded_len(&self) -> usize {
        match self {
            Instruction::WriteMetadata { .. } => 24,
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => 8 + actions_len(a),
            Instruction::Experimenter { data, .. } => 8 + data.len(),
            Instruction::Unknown { body, .. } => 4 + body.len(),
            _ => 8,
        }
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        buf.put_u16(self.instruction_type());
        buf.put_u16(self.encoded_len() as u16);
        match self {
            Instruction::GotoTable(t) => {
                buf.put_u8(*t);
                put_zeros(buf, 3);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                put_zeros(buf, 4);
                buf.put_u64(*metadata);
                buf.put_u64(*mask);
            }
            Instruction::WriteActions(actions) | Instruction::ApplyActions(actions) => {
                put_zeros(buf, 4);
                for a in actions {
                    a.encode(buf);
                }
            }
            Instruction::ClearActions => put_zeros(buf, 4),
            Instruction::Meter(m) => buf.put_u32(*m),
            Instruction::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            Instruction::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

/// An instruction id in a table-features property (OpenFlow 1.3.5 §7.3.5.5.2): the
/// start of a `struct ofp_instruction` header: `type` and `len`, then for
/// [`OFPIT_EXPERIMENTER`] the experimenter id. `len` (≥ 4) says how many bytes the
/// id takes; normally 4, or 8 with an experimenter id. Bytes beyond those
/// are kept in `data` so every id re-encodes as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstructionId {
    /// `type`.
    pub instruction_type: u16,
    /// The experimenter id; present exactly when `instruction_type` is [`OFPIT_EXPERIMENTER`].
    pub experimenter: Option<u32>,
    /// Any further bytes `len` covers (normally none).
    pub data: Vec<u8>,
}

impl InstructionId {
    /// The id of a standard instruction type (`len` 4).
    pub fn new(instruction_type: u16) -> Self {
        InstructionId { instruction_type, experimenter: None, data: Vec::new() }
    }

    /// The id of an experimenter instruction (`len` 8).
    pub fn experimenter(experimenter: u32) -> Self {
        InstructionId {
            instruction_type: OFPIT_EXPERIMENTER,
            experimenter: Some(experimenter),
            data: Vec::new(),
        }
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
        let (instruction_type, experimenter, data) =
            decode_type_id(r, OFPIT_EXPERIMENTER, "ofp_instruction", "ofp_instruction_experimenter")?;
        Ok(InstructionId { instruction_type, experimenter, data })
    }

    /// Decodes ids until `r` is empty.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<InstructionId>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(InstructionId::decode(r)?);
        }
        Ok(out)
    }
}

impl Encode for InstructionId {
    fn encoded_len(&self) -> usize {
        self.len()
    }

    fn encode<B: BufMut>(&self, buf: &mut B) {
        encode_type_id(buf, self.instruction_type, self.experimenter, &self.data);
    }
}

#[cfg(feature = "json")]
mod osken {
    use serde_json::{Map, Value};

    use super::*;
    use crate::json::{ToOsken, bytes, class, list};

    impl ToOsken for Instruction {
        /// os-ken's classes: write/apply/clear-actions all print as
        /// `OFPInstructionActions`. Experimenter and unknown instructions,
        /// which os-ken 1.3 does not parse, print as `OFPInstructionExperimenter`
        /// and `OFPInstructionUnknown` with base64 `data`.
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            m.insert("len".into(), self.encoded_len().into());
            m.insert("type".into(), self.instruction_type().into());
            let name = match self {
                Instruction::GotoTable(t) => {
                    m.insert("table_id".into(), (*t).into());
                    "OFPInstructionGotoTable"
                }
                Instruction::WriteMetadata { metadata, mask } => {
                    m.insert("metadata".into(), (*metadata).into());
                    m.insert("metadata_mask".into(), (*mask).into());
                    "OFPInstructionWriteMetadata"
                }
                Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                    m.insert("actions".into(), list(a));
                    "OFPInstructionActions"
                }
                Instruction::ClearActions => {
                    m.insert("actions".into(), Value::Array(Vec::new()));
                    "OFPInstructionActions"
                }
                Instruction::Meter(id) => {
                    m.insert("meter_id".into(), (*id).into());
                    "OFPInstructionMeter"
                }
                Instruction::Experimenter { experimenter, data } => {
                    m.insert("experimenter".into(), (*experimenter).into());
                    m.insert("data".into(), bytes(data));
                    "OFPInstructionExperimenter"
                }
                Instruction::Unknown { body, .. } => {
                    m.insert("data".into(), bytes(body));
                    "OFPInstructionUnknown"
                }
            };
            class(name, m)
        }
    }

    impl ToOsken for InstructionId {
        /// `{"OFPInstructionId": {"len": 4, "type": 1}}` (os-ken shows no experimenter id).
        fn to_osken(&self) -> Value {
            let mut m = Map::new();
            m.insert("len".into(), self.len().into());
            m.insert("type".into(), self.instruction_type.into());
            class("OFPInstructionId", m)
        }
    }
}

/// Proptest strategies for instructions, shared with the other modules' tests.
#[cfg(test)]
pub(crate) mod arb {
    use alloc::vec::Vec;

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    /// Any instruction.
    pub(crate) fn instruction() -> impl Strategy<Value = Instruction> {
        prop_oneof![
            any::<u8>().prop_map(Instruction::GotoTable),
            (any::<u64>(), any::<u64>())
                .prop_map(|(metadata, mask)| Instruction::WriteMetadata { metadata, mask }),
            crate::action::arb::actions(4).prop_map(Instruction::WriteActions),
            crate::action::arb::actions(4).prop_map(Instruction::ApplyActions),
            Just(Instruction::ClearActions),
            any::<u32>().prop_map(Instruction::Meter),
            (any::<u32>(), (0usize..3).prop_flat_map(|n| vec(any::<u8>(), n * 8)))
                .prop_map(|(experimenter, data)| Instruction::Experimenter { experimenter, data }),
            (7u16..0xffff, (0usize..3).prop_flat_map(|n| vec(any::<u8>(), n * 8 + 4)))
                .prop_map(|(instruction_type, body)| Instruction::Unknown { instruction_type, body }),
        ]
    }

    /// A list of up to `max` instructions.
    pub(crate) fn instructions(max: usize) -> impl Strategy<Value = Vec<Instruction>> {
        vec(instruction(), 0..=max)
    }

    /// Any instruction id.
    pub(crate) fn instruction_id() -> impl Strategy<Value = InstructionId> {
        (any::<u16>(), any::<u32>(), vec(any::<u8>(), 0..3)).prop_map(|(t, e, data)| InstructionId {
            instruction_type: t,
            experimenter: (t == OFPIT_EXPERIMENTER).then_some(e),
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
    use crate::action::{OFPCML_NO_BUFFER, OFPP_CONTROLLER};
    use crate::oxm::BasicField;
    use crate::wire::to_vec;

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits.chunks(2).map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
    }

    fn list_bytes(list: &[Instruction]) -> Vec<u8> {
        let mut out = Vec::new();
        for i in list {
            i.encode(&mut out);
        }
        assert_eq!(out.len(), instructions_len(list));
        out
    }

    fn decode_list(bytes: &[u8]) -> Result<Vec<Instruction>, DecodeError> {
        Instruction::decode_list(&mut Reader::new(bytes, "test"))
    }

    #[test]
    fn inline_vectors() {
        let cases: Vec<(&str, Instruction)> = vec![
            ("0001 0008 0100 0000", Instruction::GotoTable(1)),
            (
                "0002 0018 0000 0000 0000 0000 0000 00ff ffff ffff ffff ffff",
                Instruction::WriteMetadata { metadata: 0xff, mask: u64::MAX },
            ),
            (
                "0003 0018 0000 0000 0000 0010 0000 0006 ffff 0000 0000 0000",
                Instruction::write([crate::action::Action::output(6)]),
            ),
            (
                "0004 0018 0000 0000 0000 0010 ffff fffd ffe5 0000 0000 0000",
                Instruction::apply([crate::action::Action::to_controller(crate::action::OFPCML_MAX)]),
            ),
            ("0004 0008 0000 0000", Instruction::ApplyActions(vec![])),
            ("0005 0008 0000 0000", Instruction::ClearActions),
            ("0006 0008 0000 0001", Instruction::Meter(1)),
            (
                "ffff 0010 0000 2320 0102 0304 0506 0708",
                Instruction::Experimenter { experimenter: 0x2320, data: vec![1, 2, 3, 4, 5, 6, 7, 8] },
            ),
            ("0007 0008 0102 0304", Instruction::Unknown { instruction_type: 7, body: vec![1, 2, 3, 4] }),
        ];
        for (h, want) in cases {
            let bytes = hex(h);
            let got = decode_list(&bytes).unwrap();
            assert_eq!(got.as_slice(), core::slice::from_ref(&want), "{h}");
            assert_eq!(to_vec(&want), bytes, "{h}");
        }
        assert_eq!(
            Instruction::apply([crate::action::Action::Output {
                port: OFPP_CONTROLLER,
                max_len: OFPCML_NO_BUFFER
            }])
            .encoded_len(),
            24
        );
    }

    #[test]
    fn fixed_sizes_are_enforced() {
        let cases = [
            ("0001 0010 0100 0000 0000 0000 0000 0000", "ofp_instruction_goto_table", 16),
            ("0002 0010 0000 0000 0000 0000 0000 00ff", "ofp_instruction_write_metadata", 16),
            ("0005 0010 0000 0000 0000 0000 0000 0000", "ofp_instruction_actions", 16),
            ("0006 0010 0000 0001 0000 0000 0000 0000", "ofp_instruction_meter", 16),
            ("0006 0004", "ofp_instruction_meter", 4),
            ("0004 000c 0000 0000 0000 0000", "ofp_instruction_actions", 12),
            ("ffff 0004", "ofp_instruction_experimenter", 4),
            ("0001 0010 0100 0000", "ofp_instruction_goto_table", 16),
        ];
        for (h, context, length) in cases {
            let e = decode_list(&hex(h)).unwrap_err();
            assert_eq!((e.context, e.field, e.offset), (context, "len", 2), "{h}");
            assert_eq!(e.kind, ErrorKind::BadLength { length }, "{h}");
        }
        // An action inside that overruns its instruction.
        let e = decode_list(&hex("0004 0010 0000 0000 0000 0010 0000 0006")).unwrap_err();
        assert_eq!((e.context, e.field, e.offset), ("ofp_action_output", "len", 10));
    }

    /// The instructions of os-ken's flow-mod vectors decode to os-ken's JSON
    /// and re-encode byte for byte (the message engineer tests whole messages).
    #[cfg(feature = "json")]
    #[test]
    fn testdata_flow_mod_instructions() {
        use crate::json::list;
        use crate::oxm::Match;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/openflow13");
        if !std::path::Path::new(dir).exists() {
            std::eprintln!("skipping: {dir} is absent");
            return;
        }
        for name in ["4-2-ofp_flow_mod", "4-3-ofp_flow_mod", "4-46-ofp_flow_mod", "4-60-ofp_flow_mod"] {
            let bytes = std::fs::read(std::format!("{dir}/packet/{name}.packet")).unwrap();
            let json: serde_json::Value = serde_json::from_slice(
                &std::fs::read(std::format!("{dir}/json/{name}.packet.json")).unwrap(),
            )
            .unwrap();
            let mut r = Reader::new(&bytes, "OFPT_FLOW_MOD");
            r.pad(48).unwrap();
            Match::decode(&mut r).unwrap();
            let start = bytes.len() - r.remaining();
            let list_ = Instruction::decode_list(&mut r).unwrap();
            assert_eq!(list(&list_), json["OFPFlowMod"]["instructions"], "{name}");
            assert_eq!(list_bytes(&list_), bytes[start..], "{name}");
        }
    }

    #[test]
    fn truncation_at_every_offset() {
        let list = vec![
            Instruction::Meter(7),
            Instruction::WriteMetadata { metadata: 1, mask: 3 },
            Instruction::apply([
                crate::action::Action::set_field(BasicField::EthDst([1; 6], None)),
                crate::action::Action::output(2),
            ]),
            Instruction::GotoTable(3),
        ];
        let bytes = list_bytes(&list);
        assert_eq!(decode_list(&bytes).unwrap(), list);
        let mut boundaries = 0;
        for cut in 0..bytes.len() {
            match decode_list(&bytes[..cut]) {
                Ok(l) => {
                    boundaries += 1;
                    assert_eq!(list_bytes(&l), bytes[..cut]);
                }
                Err(e) => {
                    assert!(e.offset <= cut, "cut {cut}: {e}");
                    assert!(!e.context.is_empty() && !e.field.is_empty());
                }
            }
        }
        assert_eq!(boundaries, 4);
    }

    #[test]
    fn instruction_ids() {
        let bytes = hex("0001 0004 0006 0004 ffff 0008 0000 2320");
        let ids = InstructionId::decode_list(&mut Reader::new(&bytes, "t")).unwrap();
        assert_eq!(
            ids,
            [
                InstructionId::new(OFPIT_GOTO_TABLE),
                InstructionId::new(OFPIT_METER),
                InstructionId::experimenter(0x2320)
            ]
        );
        let mut out = Vec::new();
        for id in &ids {
            id.encode(&mut out);
        }
        assert_eq!(out, bytes);
        let e = InstructionId::decode(&mut Reader::new(&hex("0001 0002"), "t")).unwrap_err();
        assert_eq!(
            (e.context, e.field, e.kind),
            ("ofp_instruction", "len", ErrorKind::BadLength { length: 2 })
        );
    }

    #[cfg(feature = "json")]
    #[test]
    fn osken_json() {
        use crate::json::ToOsken;
        use serde_json::json;
        assert_eq!(
            Instruction::ClearActions.to_osken(),
            json!({"OFPInstructionActions": {"actions": [], "len": 8, "type": 5}})
        );
        assert_eq!(
            Instruction::WriteMetadata { metadata: 1, mask: 2 }.to_osken(),
            json!({"OFPInstructionWriteMetadata": {"len": 24, "metadata": 1, "metadata_mask": 2, "type": 2}})
        );
        assert_eq!(
            Instruction::Meter(1).to_osken(),
            json!({"OFPInstructionMeter": {"len": 8, "meter_id": 1, "type": 6}})
        );
        assert_eq!(InstructionId::new(1).to_osken(), json!({"OFPInstructionId": {"len": 4, "type": 1}}));
    }

    proptest! {
        #[test]
        fn instruction_round_trip(list in arb::instructions(5)) {
            let bytes = list_bytes(&list);
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(decode_list(&bytes).unwrap(), list);
        }

        #[test]
        fn instruction_id_round_trip(id in arb::instruction_id()) {
            let bytes = to_vec(&id);
            let mut r = Reader::new(&bytes, "test");
            prop_assert_eq!(InstructionId::decode(&mut r).unwrap(), id);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(list) = decode_list(&bytes) {
                prop_assert_eq!(list_bytes(&list).len(), bytes.len());
            }
        }
    }
}
