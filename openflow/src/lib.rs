//! OpenFlow 1.3 wire codec.
//!
//! Data flows one way through this crate: bytes read from a switch connection are
//! decoded into owned message values, and values are encoded back into a
//! [`bytes::BufMut`]. The crate never touches a socket or a clock; the caller owns
//! the transport and hands bytes in.
//!
//! Every OpenFlow message begins with the 8-byte common header (OpenFlow 1.3.5
//! §7.1), whose `length` field says how many bytes the whole message takes, so a
//! reader first decodes the header to learn where the message ends.
//!
//! ```text
//!  TCP bytes ─▶ framing::Deframer ─▶ whole frames ─▶ message::Message::decode ─▶ Message
//!  Message (builders: FlowMod::add(..), PacketOut::new(..), ...) ─▶ wire::Encode ─▶ BufMut
//! ```
//!
//! Every message of OpenFlow 1.3.5 is covered: [`message`] (all OFPT_* bodies),
//! [`multipart`] (every request and reply body, table features with all
//! properties), [`oxm`] (the 40 basic match fields with masks, experimenter
//! and unknown OXMs kept raw, prerequisite checks as a separate step),
//! [`action`] and [`instruction`], and the shared structures in [`structs`]
//! (ports, buckets, meter bands, queues, hello elements). Unknown codepoints
//! are kept as raw bytes, so decode → encode is byte-identical. Decode errors
//! ([`wire::DecodeError`]) name the message type, the structure and field,
//! and the byte offset. With feature `json`, [`json::ToOsken`] renders any
//! message in os-ken's `to_jsondict` layout.
//!
//! The crate is `#![no_std]`; the default `std` feature only enables `std` support
//! in its dependencies.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod action;
pub mod apps;
pub mod controller;
pub mod framing;
pub mod header;
pub mod instruction;
#[cfg(feature = "json")]
pub mod json;
pub mod message;
pub mod multipart;
pub mod oxm;
pub mod session;
pub mod structs;
pub mod wire;
