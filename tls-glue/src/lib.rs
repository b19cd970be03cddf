//! Socket-agnostic TLS glue: bytes in, bytes out.
//!
//! A [`Session`] is one TLS connection (server or client) on rustls 0.23's unbuffered
//! API with the ring crypto provider passed in by the caller's config: no process-wide
//! default provider, no `std::io`, no socket, thread or clock. Any byte transport drives
//! it — a smoltcp TCP socket, a host socket, an in-memory pipe:
//!
//! ```text
//!  ciphertext in ──▶ Session::receive ──▶ Session::process(sink) ──▶ plaintext to the sink
//!  plaintext out ──▶ Session::send_plaintext ──▶ Session::ciphertext ──▶ transport
//! ```
//!
//! Back-pressure works both ways: `receive` and `send_plaintext` return how much they
//! took, and the sink returns how much plaintext it consumed (the rest is kept and
//! offered again). Peer protocol errors queue rustls's alert, report a [`TlsError`] and
//! end the session; they never panic.
//!
//! Modules: [`session`] (the session), [`resolver`] (certificate selection by SNI over
//! several certificates), [`record`] (the TLS record header, used to read the SNI before
//! rustls does), and with the `std` feature [`config`] (PEM loading, self-signed
//! certificates, server and client config builders with session resumption and mutual
//! TLS).
//!
//! The crate is `#![no_std]` + `alloc`; [`pem`] builds a server config from PEM
//! bytes without std; the default `std` feature adds [`config`].

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

#[cfg(feature = "std")]
pub mod config;
mod hello;
pub mod pem;
pub mod record;
pub mod resolver;
pub mod session;
pub mod ticketer;
mod window;

pub use resolver::SniResolver;
/// The rustls this crate is built on, so callers name the same types.
pub use rustls;
/// The PKI types (certificates, keys, server names) rustls uses.
pub use rustls_pki_types as pki_types;
pub use session::{Limits, Progress, Session, TlsError};
