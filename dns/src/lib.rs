//! DNS wire codec.
//!
//! Data flows one way through this crate: the bytes of a DNS message, as received
//! from a datagram or a stream, are decoded into owned values, and values are
//! encoded back into a [`bytes::BufMut`]. The crate never touches a socket or a
//! clock; the caller owns the transport and hands bytes in.
//!
//! A DNS message starts with the fixed 12-byte header (RFC 1035 §4.1.1), which holds
//! the id, the flag bits, the opcode and rcode, and the counts of the records in the
//! four sections that follow it.
//!
//! Implemented now: the [`header`] module, i.e. the message header
//! ([`header::Header`]) with parse and emit, and the [`header::Opcode`] and
//! [`header::Rcode`] codepoints. The question and resource-record sections are not
//! decoded by this crate yet.
//!
//! The crate is `#![no_std]`; the default `std` feature only enables `std` support
//! in its dependencies.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod header;
