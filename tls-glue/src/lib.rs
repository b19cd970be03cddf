//! Socket-agnostic TLS glue: bytes in, bytes out.
//!
//! Data flows one way through this crate: ciphertext read from a stream (a smoltcp
//! TCP socket, a host socket, a test buffer) is handed in as bytes and cut into
//! whole TLS records; records go to the TLS engine, and what the engine writes goes
//! back out as bytes for the caller to send. The crate never owns a socket, a thread
//! or the clock.
//!
//! Implemented now: the [`record`] module, i.e. the 5-byte TLS record header
//! ([`record::RecordHeader`]) with parse and emit, and [`record::record_len`],
//! which tells from the buffered bytes whether the first record has fully arrived
//! and how long it is, rejecting input that cannot be a TLS record. This crate does
//! not contain a TLS engine yet.
//!
//! The crate is `#![no_std]`; the default `std` feature only enables `std` support
//! in its dependencies.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod record;
