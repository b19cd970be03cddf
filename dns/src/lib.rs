//! DNS: wire codec, zone files and the authoritative answer engine.
//!
//! Data flows one way through this crate, and it never touches a socket or a
//! clock: the caller owns the transport and hands bytes in.
//!
//! ```text
//! zone file text ──zone::parse_zone──▶ Vec<Record> ──zone::check_zone──▶ auth::Zone ─▶ auth::Catalog
//! query bytes ──auth::answer(catalog)──▶ response bytes (caller's Vec<u8>, via message::ResponseWriter)
//! any message bytes ◀──message::Message::decode / encode──▶ Message { header, questions, records, edns }
//! ```
//!
//! ## The wire codec (RFC 1035 §3–§4, RFC 3597, RFC 6891)
//!
//! - [`header`]: the 12-byte header (RFC 1035 §4.1.1) with [`header::Opcode`]
//!   and [`header::Rcode`].
//! - [`name`]: [`name::Name`], an owned domain name in uncompressed wire form,
//!   case kept, compared case-insensitively, ordered canonically (RFC 4034
//!   §6.1); presentation parsing with escapes and relative names; decoding
//!   that follows compression pointers and rejects loops, forward pointers and
//!   over-long names with the offset.
//! - [`wire`]: [`wire::WireError`] (what and where), the bounds-checked
//!   [`wire::Reader`], and the allocation-free [`wire::Compressor`].
//! - [`rdata`]: [`rdata::Rtype`], [`rdata::Class`] and [`rdata::Rdata`] for A,
//!   AAAA, NS, CNAME, DNAME, SOA, PTR, MX, TXT, SPF, SRV, NAPTR, CAA, SSHFP,
//!   TLSA, SVCB, HTTPS, LOC, HINFO, RP, DS, DNSKEY, RRSIG, NSEC, NSEC3,
//!   NSEC3PARAM, CDS, CDNSKEY, and every other type as RFC 3597 opaque data;
//!   presentation format as `dig +nosplit` and NSD print it.
//! - [`message`]: [`message::Question`], [`message::Record`],
//!   [`message::Edns`] (the OPT record), [`message::Message`] decode/encode
//!   with compression, and [`message::ResponseWriter`], which writes a
//!   response straight into a reused buffer with a size limit, for the hot path.
//!
//! Decoders never panic and never allocate more than the input's size
//! warrants; every codec has property tests (encode → decode → equal, and
//! random bytes) and `fuzz/fuzz_targets/dns_message.rs` fuzzes message decode.
//!
//! ## Zones and answers
//!
//! - [`zone`]: RFC 1035 master files as NSD and BIND read them, with
//!   `nsd-checkzone`'s semantic checks.
//! - [`auth`]: the authoritative engine (RFC 1034 §4.3.2, RFC 2308, RFC 4592,
//!   RFC 6672, RFC 6891, RFC 8482), answering as NSD does.
//!
//! The crate is `#![no_std]` with `alloc`; the default `std` feature adds the
//! helpers that read files (zone loading) and `std` support in dependencies.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod auth;
pub mod header;
pub mod message;
pub mod name;
pub mod rdata;
pub mod wire;
pub mod zone;
