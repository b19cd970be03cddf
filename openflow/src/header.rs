//! The OpenFlow common header (OpenFlow 1.3.5 §7.1, `struct ofp_header`).
//!
//! ## Wire format
//!
//! ```text
//!  0        1        2                 4                                 8
//! +--------+--------+--------+--------+--------+--------+--------+--------+
//! |version |  type  |     length      |               xid                 |
//! +--------+--------+--------+--------+--------+--------+--------+--------+
//! ```
//!
//! All fields are big-endian. `length` counts the whole message, header included.

use bytes::BufMut;

/// `OFP_VERSION` of OpenFlow 1.3 (wire protocol version 0x04).
pub const OFP_VERSION: u8 = 0x04;

/// Errors from decoding an OpenFlow header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is shorter than the 8-byte header.
    #[error("ofp_header truncated: needed {needed} bytes, got {got}")]
    Truncated {
        /// Bytes needed to decode the header.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// The `length` field (offset 2) is smaller than the header itself.
    #[error("ofp_header length field (offset 2) is {length}, less than the 8-byte header")]
    BadLength {
        /// The value of the `length` field.
        length: u16,
    },
}

macro_rules! message_types {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        /// The `type` field of the header: `enum ofp_type` (OpenFlow 1.3.5 §7.1).
        ///
        /// Open: codes that OpenFlow 1.3 does not define decode to
        /// [`MessageType::Unknown`] and encode back to the same byte.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MessageType {
            $($(#[$doc])* $name,)*
            /// A code that OpenFlow 1.3 does not define.
            Unknown(u8),
        }

        impl From<u8> for MessageType {
            fn from(code: u8) -> Self {
                match code {
                    $($code => Self::$name,)*
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<MessageType> for u8 {
            fn from(ty: MessageType) -> u8 {
                match ty {
                    $(MessageType::$name => $code,)*
                    MessageType::Unknown(code) => code,
                }
            }
        }
    };
}

message_types! {
    /// `OFPT_HELLO`: symmetric, version negotiation.
    Hello = 0,
    /// `OFPT_ERROR`: symmetric.
    Error = 1,
    /// `OFPT_ECHO_REQUEST`: symmetric.
    EchoRequest = 2,
    /// `OFPT_ECHO_REPLY`: symmetric.
    EchoReply = 3,
    /// `OFPT_EXPERIMENTER`: symmetric.
    Experimenter = 4,
    /// `OFPT_FEATURES_REQUEST`: controller to switch.
    FeaturesRequest = 5,
    /// `OFPT_FEATURES_REPLY`: controller to switch.
    FeaturesReply = 6,
    /// `OFPT_GET_CONFIG_REQUEST`: controller to switch.
    GetConfigRequest = 7,
    /// `OFPT_GET_CONFIG_REPLY`: controller to switch.
    GetConfigReply = 8,
    /// `OFPT_SET_CONFIG`: controller to switch.
    SetConfig = 9,
    /// `OFPT_PACKET_IN`: asynchronous.
    PacketIn = 10,
    /// `OFPT_FLOW_REMOVED`: asynchronous.
    FlowRemoved = 11,
    /// `OFPT_PORT_STATUS`: asynchronous.
    PortStatus = 12,
    /// `OFPT_PACKET_OUT`: controller command.
    PacketOut = 13,
    /// `OFPT_FLOW_MOD`: controller command.
    FlowMod = 14,
    /// `OFPT_GROUP_MOD`: controller command.
    GroupMod = 15,
    /// `OFPT_PORT_MOD`: controller command.
    PortMod = 16,
    /// `OFPT_TABLE_MOD`: controller command.
    TableMod = 17,
    /// `OFPT_MULTIPART_REQUEST`: multipart messages.
    MultipartRequest = 18,
    /// `OFPT_MULTIPART_REPLY`: multipart messages.
    MultipartReply = 19,
    /// `OFPT_BARRIER_REQUEST`: barrier messages.
    BarrierRequest = 20,
    /// `OFPT_BARRIER_REPLY`: barrier messages.
    BarrierReply = 21,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST`: queue configuration.
    QueueGetConfigRequest = 22,
    /// `OFPT_QUEUE_GET_CONFIG_REPLY`: queue configuration.
    QueueGetConfigReply = 23,
    /// `OFPT_ROLE_REQUEST`: controller role change.
    RoleRequest = 24,
    /// `OFPT_ROLE_REPLY`: controller role change.
    RoleReply = 25,
    /// `OFPT_GET_ASYNC_REQUEST`: asynchronous message configuration.
    GetAsyncRequest = 26,
    /// `OFPT_GET_ASYNC_REPLY`: asynchronous message configuration.
    GetAsyncReply = 27,
    /// `OFPT_SET_ASYNC`: asynchronous message configuration.
    SetAsync = 28,
    /// `OFPT_METER_MOD`: meters and rate limiters.
    MeterMod = 29,
}

/// The OpenFlow common header, `struct ofp_header` (OpenFlow 1.3.5 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Wire protocol version ([`OFP_VERSION`] for 1.3). Not checked by [`Header::parse`],
    /// because `OFPT_HELLO` of any version must be readable for version negotiation.
    pub version: u8,
    /// Message type.
    pub msg_type: MessageType,
    /// Length of the whole message in bytes, header included.
    pub length: u16,
    /// Transaction id; a reply carries the xid of its request.
    pub xid: u32,
}

impl Header {
    /// Size of the header on the wire.
    pub const LEN: usize = 8;

    /// Decodes the header from the first 8 bytes of `buf`; later bytes are ignored.
    ///
    /// Fails if `buf` is shorter than 8 bytes or the `length` field is below 8.
    pub fn parse(buf: &[u8]) -> Result<Header, Error> {
        let Some(&[version, msg_type, l0, l1, x0, x1, x2, x3]) = buf.first_chunk::<8>() else {
            return Err(Error::Truncated { needed: Self::LEN, got: buf.len() });
        };
        let length = u16::from_be_bytes([l0, l1]);
        if usize::from(length) < Self::LEN {
            return Err(Error::BadLength { length });
        }
        Ok(Header {
            version,
            msg_type: MessageType::from(msg_type),
            length,
            xid: u32::from_be_bytes([x0, x1, x2, x3]),
        })
    }

    /// Encodes the header (8 bytes) into `buf`, writing every field as it is.
    ///
    /// # Panics
    ///
    /// Panics if `buf` cannot grow to take 8 more bytes (as [`BufMut::put_u8`] does).
    pub fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.version);
        buf.put_u8(self.msg_type.into());
        buf.put_u16(self.length);
        buf.put_u32(self.xid);
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

    #[test]
    fn hello() {
        let bytes = [0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01];
        let h = Header::parse(&bytes).unwrap();
        let want = Header { version: OFP_VERSION, msg_type: MessageType::Hello, length: 8, xid: 1 };
        assert_eq!(h, want);
        assert_eq!(emitted(&h), bytes);
    }

    #[test]
    fn flow_mod_header_with_body_following() {
        let bytes = [0x04, 0x0e, 0x00, 0x50, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff];
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(h.msg_type, MessageType::FlowMod);
        assert_eq!((h.length, h.xid), (80, 0xdead_beef));
        assert_eq!(emitted(&h), bytes[..8]);
    }

    #[test]
    fn every_type_code_round_trips() {
        for code in 0..=u8::MAX {
            let bytes = [0x04, code, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04];
            let h = Header::parse(&bytes).unwrap();
            assert_eq!(u8::from(h.msg_type), code);
            assert_eq!(matches!(h.msg_type, MessageType::Unknown(_)), code > 29, "code {code}");
            assert_eq!(emitted(&h), bytes);
        }
        assert_eq!(MessageType::from(29), MessageType::MeterMod);
        assert_eq!(MessageType::from(30), MessageType::Unknown(30));
    }

    #[test]
    fn truncated() {
        let bytes = [0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01];
        for n in 0..Header::LEN {
            assert_eq!(Header::parse(&bytes[..n]), Err(Error::Truncated { needed: 8, got: n }));
        }
    }

    #[test]
    fn length_below_header_size() {
        for length in 0..8u16 {
            let [l0, l1] = length.to_be_bytes();
            let bytes = [0x04, 0x00, l0, l1, 0x00, 0x00, 0x00, 0x01];
            assert_eq!(Header::parse(&bytes), Err(Error::BadLength { length }));
        }
    }

    /// Public vectors from os-ken (see `shared/testdata/openflow13/README.md`).
    #[test]
    fn testdata_packets() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/openflow13/packet");
        let Ok(entries) = std::fs::read_dir(dir) else {
            std::eprintln!("skipped: OpenFlow 1.3 test vectors not found at {dir}");
            return;
        };
        let mut count = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let h = Header::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(h.version, OFP_VERSION, "{}", path.display());
            assert!(!matches!(h.msg_type, MessageType::Unknown(_)), "{}", path.display());
            assert_eq!(usize::from(h.length), bytes.len(), "{}", path.display());
            assert_eq!(emitted(&h), bytes[..8], "{}", path.display());
            count += 1;
        }
        assert!(count > 0, "no vectors in {dir}");
        std::eprintln!("checked the headers of {count} OpenFlow 1.3 vectors in {dir}");
    }
}
