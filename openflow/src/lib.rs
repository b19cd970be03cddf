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
//! Implemented now: the [`header`] module, i.e. the common header
//! ([`header::Header`]) with parse and emit, and the message type codepoints
//! ([`header::MessageType`]). Message bodies are not decoded by this crate yet.
//!
//! The crate is `#![no_std]`; the default `std` feature only enables `std` support
//! in its dependencies.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod action;
pub mod framing;
pub mod header;
pub mod instruction;
#[cfg(feature = "json")]
pub mod json;
pub mod message;
pub mod multipart;
pub mod oxm;
pub mod structs;
pub mod wire;
