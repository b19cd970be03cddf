//! The authoritative answer engine: query bytes in, response bytes out.
//!
//! Data flows one way: records from a zone file become a [`Zone`]
//! ([`Zone::new`]), zones become a [`Catalog`] ([`Catalog::new`]), and
//! [`answer`] turns the bytes of one query into the bytes of its response in a
//! caller-owned buffer, per RFC 1034 §4.3.2 with RFC 2308 (negative answers),
//! RFC 4592 (wildcards), RFC 6672 (DNAME), RFC 6891 (EDNS) and RFC 8482 (ANY).
//! The hot path does not allocate: the query name is parsed into a stack buffer,
//! names are found label by label in the zone's hash index, records are copied
//! from their precomputed wire form, and compression remembers arena entries in
//! a fixed table. Only DNAME substitution (the synthesized names) and responses
//! of more than 32 RRsets allocate. A zone of 100,000 address records takes
//! about 16 MB.
//!
//! ## What the answers look like: NSD's
//!
//! The engine gives, section by section, the answers NSD 4 gives with its default
//! configuration (`minimal-responses: no`), found by reading NSD's query code and
//! checking each case against NSD 4.6 with `dig`:
//!
//! - **Positive answers** carry the apex NS RRset in the authority section and the
//!   addresses of the name servers in the additional section (not for ANY, DS or
//!   DNSKEY queries, nor after a CNAME that leaves the served zones). Knot answers
//!   minimally instead; [`AnswerOptions::minimal_responses`] turns this off, as
//!   NSD's `minimal-responses: yes` does (additional addresses then only for
//!   referrals and NS queries).
//! - **Additional addresses** (RFC 1034 §4.3.2 step 6) for NS, MX and SRV targets
//!   come only from the zone being answered from: all A RRsets first, then all
//!   AAAA RRsets; glue (names at or below a zone cut) only for NS. A target that
//!   does not exist takes its addresses from a wildcard, as in NSD.
//! - **Negative answers** (NXDOMAIN, NODATA) have the SOA in the authority
//!   section with TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
//! - **CNAME** chains are followed while the target is in a served zone (in any
//!   zone of the catalog, as NSD does); a CNAME already in the answer stops the
//!   chain (loops end there), and so does the 64th CNAME or DNAME step.
//! - **Wildcards** (RFC 4592): the closest encloser's `*` child answers, never
//!   across a zone cut, never for a name that exists (empty non-terminals exist).
//!   NS records at a wildcard are data, not a delegation (as NSD).
//! - **DNAME** (RFC 6672): the DNAME, then a synthesized CNAME with the DNAME's
//!   TTL, then the lookup of the new name; YXDOMAIN when it would be too long.
//! - **Referrals**: NS of the highest zone cut above the name in the authority
//!   section, glue in the additional section, AA clear (set if a CNAME was
//!   followed first). DS queries at the cut are answered from the parent (RFC 4035
//!   §3.1.4.1), from a parent zone in the catalog when the cut is a served apex.
//! - **ANY** (RFC 8482 §4.1): one RRset, preferring A, AAAA, SOA, MX, PTR.
//! - **Errors**, as NSD: no answer for a datagram shorter than 12 bytes or with QR
//!   set; NOTIMP (header only) for opcodes other than QUERY and NOTIFY; REFUSED
//!   for NOTIFY (no notify is accepted); FORMERR (header only, RD kept) for a
//!   nonzero RCODE, a bad question name (pointer, overrun, over 255 bytes), answer
//!   or authority records, records other than one OPT in the additional section,
//!   or a malformed OPT; QDCOUNT ≠ 1 is FORMERR with RD cleared, except a query
//!   made only of an OPT record, which gets NOERROR with an OPT; REFUSED outside
//!   the served zones; REFUSED for class CH (version.bind and id.server are not
//!   disclosed) and, without the question, for classes other than IN, CH and ANY;
//!   AXFR over UDP is NOTIMP, over TCP (and IXFR) REFUSED (no transfers). Bytes
//!   after the last record of the query are ignored.
//! - **EDNS** (RFC 6891): the OPT is echoed when the query had one, advertising
//!   the configured maximum payload and the DO bit as received; the UDP size
//!   limit is min(client's size, configured maximum) when the client offers more
//!   than 512, else 512. Version > 0 gets BADVERS (extended RCODE 1, RCODE 0,
//!   question echoed). Unknown options are ignored. Extended DNS Errors (RFC 8914)
//!   are added where NSD adds them (REFUSED: Not Authoritative, Not Supported,
//!   Prohibited; YXDOMAIN from DNAME).
//! - **Truncation**: an RRset of the answer or authority section that does not fit
//!   is left out whole, TC is set and nothing follows; an additional RRset that does
//!   not fit is left out, and (over UDP) so is everything after it; TC is also set
//!   when a referral has no room for any glue address.
//! - **Flags**: QR, RD copied from the query, AA as above, TC; all else clear.
//!
//! Not done: DNSSEC processing (no RRSIGs or NSECs are added for DO), zone
//! transfers, TSIG (a query with a TSIG record gets NOTAUTH), NSID and cookies;
//! the AAAA-first order NSD uses for queries over IPv6.

mod lookup;
mod zone;

#[cfg(test)]
mod tests;

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::name::Name;

pub use zone::{Zone, ZoneBuildError};

/// The default maximum UDP payload (RFC 6891 §6.2.5; the 2020 DNS flag day value).
pub const DEFAULT_MAX_UDP: u16 = 1232;

/// What to do with the response buffer after [`answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Send the bytes in the buffer.
    Respond,
    /// Send nothing (the datagram is too short for a header, or is a response).
    Drop,
}

/// Settings of the answer engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnswerOptions {
    /// Leave out the apex NS RRset of positive answers and the additional
    /// addresses of answers other than referrals and NS queries (NSD's
    /// `minimal-responses: yes`). Default: off, as NSD.
    pub minimal_responses: bool,
}

/// Why zones do not make a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// Two zones with the same origin.
    #[error("zone {origin} is given twice")]
    DuplicateZone {
        /// The origin.
        origin: Name,
    },
    /// More zones than the engine indexes (65535).
    #[error("too many zones ({count}, at most 65535)")]
    TooManyZones {
        /// How many were given.
        count: usize,
    },
}

/// The zones served, looked up by longest match on the query name (RFC 1034 §4.3.2
/// step 2).
#[derive(Debug, Default)]
pub struct Catalog {
    pub(crate) zones: Vec<Zone>,
    /// (lowercased wire origin, zone index), sorted by key.
    index: Vec<(Box<[u8]>, u16)>,
    /// For each zone, the nearest served zone strictly above its apex.
    pub(crate) parent: Vec<Option<u16>>,
    /// For each zone, whether another served zone lies below its apex.
    pub(crate) nested: Vec<bool>,
    min_labels: u8,
    max_labels: u8,
    pub(crate) options: AnswerOptions,
}

impl Catalog {
    /// A catalog of `zones`, with default [`AnswerOptions`].
    pub fn new(zones: Vec<Zone>) -> Result<Catalog, CatalogError> {
        Catalog::with_options(zones, AnswerOptions::default())
    }

    /// A catalog of `zones` answering with `options`.
    pub fn with_options(zones: Vec<Zone>, options: AnswerOptions) -> Result<Catalog, CatalogError> {
        if zones.len() > usize::from(u16::MAX) {
            return Err(CatalogError::TooManyZones { count: zones.len() });
        }
        let mut index: Vec<(Box<[u8]>, u16)> =
            zones.iter().enumerate().map(|(i, z)| (z.apex_lc.clone(), i as u16)).collect();
        index.sort();
        if let Some(w) = index.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(CatalogError::DuplicateZone { origin: zones[usize::from(w[1].1)].origin().clone() });
        }
        let labels = |z: &Zone| z.origin().label_count().min(usize::from(u8::MAX)) as u8;
        let mut cat = Catalog {
            min_labels: zones.iter().map(labels).min().unwrap_or(0),
            max_labels: zones.iter().map(labels).max().unwrap_or(0),
            parent: Vec::with_capacity(zones.len()),
            nested: alloc::vec![false; zones.len()],
            zones,
            index,
            options,
        };
        for i in 0..cat.zones.len() {
            let parent = cat.zones[i].origin().parent().and_then(|p| {
                let (lc, loffs, labels) = lowercase_labels(p.as_wire());
                cat.find_zone(&lc, &loffs, labels).map(|(z, _)| z as u16)
            });
            if let Some(p) = parent {
                cat.nested[usize::from(p)] = true;
            }
            cat.parent.push(parent);
        }
        // Nested deeper than one level: mark every served ancestor too.
        for i in 0..cat.zones.len() {
            let mut p = cat.parent[i];
            while let Some(z) = p {
                cat.nested[usize::from(z)] = true;
                p = cat.parent[usize::from(z)];
            }
        }
        Ok(cat)
    }

    /// The zones, in the order given.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The zone whose origin is `origin`, if served.
    pub fn zone(&self, origin: &Name) -> Option<&Zone> {
        let lc: Vec<u8> = origin.as_wire().iter().map(u8::to_ascii_lowercase).collect();
        let i = self.index.binary_search_by(|(k, _)| (**k).cmp(&lc[..])).ok()?;
        self.zones.get(usize::from(self.index[i].1))
    }

    /// The settings answers are made with.
    pub fn options(&self) -> AnswerOptions {
        self.options
    }

    /// The zone with the longest origin that is a suffix of the lowercased wire
    /// name `lc` (label offsets `loffs`, `labels` labels): its index and the
    /// number of labels of the name below its apex.
    pub(crate) fn find_zone(&self, lc: &[u8], loffs: &[u8], labels: usize) -> Option<(usize, usize)> {
        let (min, max) = (usize::from(self.min_labels), usize::from(self.max_labels));
        for below in labels.saturating_sub(max)..=labels.saturating_sub(min) {
            let start =
                if below == labels { lc.len().saturating_sub(1) } else { usize::from(*loffs.get(below)?) };
            let suffix = lc.get(start..)?;
            if let Ok(i) = self.index.binary_search_by(|(k, _)| (**k).cmp(suffix)) {
                return Some((usize::from(self.index[i].1), below));
            }
        }
        None
    }

    /// Answers one query; see [`answer`].
    pub fn answer(&self, query: &[u8], max_udp: Option<u16>, out: &mut Vec<u8>) -> AnswerOutcome {
        answer(self, query, max_udp, out)
    }
}

/// Lowercased copy of a wire name with its label offsets and label count.
fn lowercase_labels(wire: &[u8]) -> (Vec<u8>, Vec<u8>, usize) {
    let lc: Vec<u8> = wire.iter().map(u8::to_ascii_lowercase).collect();
    let mut loffs = Vec::new();
    let mut i = 0usize;
    while let Some(&l) = lc.get(i) {
        if l == 0 {
            break;
        }
        loffs.push(i as u8);
        i += 1 + usize::from(l);
    }
    let n = loffs.len();
    (lc, loffs, n)
}

/// Answers the query in `query` (one DNS message, without a TCP length prefix)
/// from `catalog`, writing the response into `out` (cleared first; reuse it across
/// queries so that no allocation happens).
///
/// `max_udp` is `Some(maximum payload)` for a query that came over UDP (the
/// response then fits in 512 bytes, or in min(EDNS size, maximum) when the query
/// offers more, and TC is set when it does not), and `None` over TCP (up to 65535
/// bytes). The OPT record of the response advertises `max_udp`, or
/// [`DEFAULT_MAX_UDP`] over TCP. See the [module docs](self) for what answers look
/// like.
pub fn answer(catalog: &Catalog, query: &[u8], max_udp: Option<u16>, out: &mut Vec<u8>) -> AnswerOutcome {
    lookup::answer(catalog, query, max_udp, out)
}
