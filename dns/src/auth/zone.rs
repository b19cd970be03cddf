//! One authoritative zone, built once from checked records and then only read.
//!
//! [`Zone::new`] turns the records of a zone file into compact structures that
//! let the query engine answer without allocating:
//!
//! - a **name arena**: every owner name, every ancestor of one, and every name
//!   that RDATA points at (NS, CNAME, PTR, MX and SOA names, which are compressed
//!   on output, plus SRV and DNAME targets), each stored once as its first label
//!   and a link to its parent, and found by (parent, lowercased label) in an
//!   open-addressing hash table. Names written into a response are walked up
//!   this arena, and message compression (RFC 1035 §4.1.4) remembers arena
//!   entries, not bytes;
//! - the **node tree**: the arena entries that exist in the zone (RFC 1034 §3.1;
//!   RFC 4592 §2.2.2: a name with data, or an empty non-terminal above one) have
//!   a node, reached from the apex one label at a time;
//! - per node its **RRsets** in the order their types first appear in the file,
//!   and precomputed facts: the zone cut above it (RFC 1034 §4.2.1: NS below the
//!   apex), the DNAME above it (RFC 6672 §2.3), its wildcard child (RFC 4592 §2.1.1);
//! - per record its **wire form** (TYPE, CLASS, TTL, RDLENGTH, RDATA) ready to copy,
//!   with the positions of the names in it that get compressed, and for NS, MX and
//!   SRV the address RRsets that go into the additional section (RFC 1034 §4.3.2
//!   step 6), resolved once here (glue, and wildcard-synthesized addresses as NSD
//!   gives them).
//!
//! Labels and record bytes live in two shared byte vectors, so a zone of 100,000
//! address records takes about 15 MB.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crate::message::Record;
use crate::name::Name;
use crate::rdata::{Class, Rdata, Rtype};
use crate::wire::Compressor;

/// "No such index" in the zone's tables.
pub(crate) const NONE: u32 = u32::MAX;

/// Node flag: the node owns an NS RRset and is not the apex (a zone cut).
pub(crate) const F_CUT: u8 = 1;
/// Node flag: the node owns a DNAME RRset.
pub(crate) const F_DNAME: u8 = 2;

/// Why a set of records does not make a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneBuildError {
    /// No SOA record at the apex (RFC 1035 §5.2).
    #[error("zone {origin}: no SOA record at the apex")]
    NoSoa {
        /// The zone's origin.
        origin: Name,
    },
    /// A second SOA record, or one that is not at the apex.
    #[error("zone {origin}: extra SOA record at {name} (one SOA, at the apex, is allowed)")]
    ExtraSoa {
        /// The zone's origin.
        origin: Name,
        /// Owner of the extra SOA record.
        name: Name,
    },
    /// A record whose owner is not at or below the origin.
    #[error("zone {origin}: record for {name} is outside the zone")]
    OutOfZone {
        /// The zone's origin.
        origin: Name,
        /// Owner of the record.
        name: Name,
    },
    /// A record of a class other than IN (the only class served).
    #[error("zone {origin}: record for {name} has class {class}, only IN is served")]
    WrongClass {
        /// The zone's origin.
        origin: Name,
        /// Owner of the record.
        name: Name,
        /// Its class.
        class: Class,
    },
    /// A record of a meta type (OPT, TSIG, TKEY, IXFR, AXFR, MAILB, MAILA, ANY),
    /// which cannot be zone data (RFC 6895 §3.1).
    #[error("zone {origin}: record for {name} has meta type {rtype}")]
    MetaType {
        /// The zone's origin.
        origin: Name,
        /// Owner of the record.
        name: Name,
        /// Its type.
        rtype: Rtype,
    },
    /// A CNAME beside other data (RFC 1034 §3.6.2; RRSIG and NSEC may sit beside
    /// it, RFC 4035 §2.5).
    #[error("zone {origin}: CNAME and other data at {name}")]
    CnameAndOtherData {
        /// The zone's origin.
        origin: Name,
        /// The owner name.
        name: Name,
    },
    /// More than one CNAME record at a name (RFC 2181 §10.1).
    #[error("zone {origin}: multiple CNAMEs at {name}")]
    MultipleCnames {
        /// The zone's origin.
        origin: Name,
        /// The owner name.
        name: Name,
    },
    /// More than one DNAME record at a name (RFC 6672 §2.4).
    #[error("zone {origin}: multiple DNAMEs at {name}")]
    MultipleDnames {
        /// The zone's origin.
        origin: Name,
        /// The owner name.
        name: Name,
    },
    /// RDATA longer than the 65535 bytes RDLENGTH can say.
    #[error("zone {origin}: {rtype} record for {name} has RDATA over 65535 bytes")]
    RdataTooLong {
        /// The zone's origin.
        origin: Name,
        /// Owner of the record.
        name: Name,
        /// Its type.
        rtype: Rtype,
    },
}

/// A name in the zone's arena: its first label and its parent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameEntry {
    /// Where the first label (length byte, then the bytes, case as first seen)
    /// starts in `zone.labels`; the root has the empty label.
    label: u32,
    /// Length of the label with its length byte (0 for the root).
    label_len: u8,
    /// Labels, not counting the root.
    pub(crate) labels: u8,
    /// True for the apex and names below it.
    pub(crate) in_zone: bool,
    /// The parent entry; [`NONE`] for the root.
    pub(crate) parent: u32,
    /// The node of this name if it exists in the zone, else [`NONE`].
    pub(crate) node: u32,
}

/// A name that exists in the zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    /// Arena entry of the name.
    pub(crate) name: u32,
    /// Parent node; [`NONE`] for the apex.
    pub(crate) parent: u32,
    /// RRsets: `zone.rrsets[start..start + len]`, in order of first appearance.
    pub(crate) rrsets: (u32, u32),
    /// The `*` child node, or [`NONE`].
    pub(crate) wildcard: u32,
    /// The highest zone cut at or above this node (below the apex), or [`NONE`].
    pub(crate) deleg: u32,
    /// The nearest node strictly above this one, below the apex, owning a DNAME.
    pub(crate) dname_above: u32,
    /// [`F_CUT`], [`F_DNAME`].
    pub(crate) flags: u8,
}

/// The records of one type at one name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RRset {
    /// The type.
    pub(crate) rtype: Rtype,
    /// Records: `zone.rrs[start..start + len]`, in file order.
    pub(crate) rrs: (u32, u32),
}

/// Where a compressible name sits inside a record's wire form.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NamePos {
    /// Offset in the record's wire form where the (uncompressed) name starts.
    pub(crate) at: u16,
    /// Its uncompressed length.
    pub(crate) len: u16,
    /// Its arena entry.
    pub(crate) id: u32,
}

/// One record, ready to copy into a response after its owner name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rr {
    /// Where TYPE, CLASS, TTL, RDLENGTH and RDATA (every name uncompressed)
    /// start in `zone.bytes`, and their length.
    off: u32,
    len: u32,
    /// Names in the RDATA that are compressed on output (RFC 3597 §4: those of
    /// NS, CNAME, SOA, PTR and MX), in order.
    pub(crate) names: [NamePos; 2],
    /// How many of `names` are used.
    pub(crate) nnames: u8,
    /// Index into `zone.adds` for NS, MX and SRV records, else [`NONE`].
    pub(crate) add: u32,
    /// Arena entry of the CNAME or DNAME target, else [`NONE`].
    pub(crate) target: u32,
}

/// The additional-section addresses for the name an NS, MX or SRV record points at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Additional {
    /// Arena entry of the target name (the owner of the address records written).
    pub(crate) owner: u32,
    /// The A RRset to add, or [`NONE`].
    pub(crate) a: u32,
    /// The AAAA RRset to add, or [`NONE`].
    pub(crate) aaaa: u32,
    /// The target is at or below a zone cut (glue): only NS records add it.
    pub(crate) glue: bool,
}

/// An authoritative zone: the apex, its SOA, the node tree with the RRsets, the
/// zone cuts, wildcards and DNAMEs, ready for [`crate::auth::answer`].
#[derive(Debug)]
pub struct Zone {
    origin: Name,
    /// The origin in lowercased wire form.
    pub(crate) apex_lc: Box<[u8]>,
    /// Arena entry of the apex.
    apex: u32,
    pub(crate) names: Vec<NameEntry>,
    /// Labels of the arena entries.
    labels: Vec<u8>,
    /// Hash table of the arena by (parent, lowercased label): entry ids, [`NONE`]
    /// for an empty slot; a power of two long.
    table: Box<[u32]>,
    /// Nodes; 0 is the apex, and a parent always comes before its children.
    pub(crate) nodes: Vec<Node>,
    pub(crate) rrsets: Vec<RRset>,
    pub(crate) rrs: Vec<Rr>,
    /// Wire forms of the records.
    bytes: Vec<u8>,
    pub(crate) adds: Vec<Additional>,
    /// The SOA RRset with TTL = min(SOA TTL, MINIMUM) for negative answers
    /// (RFC 2308 §3); not attached to any node.
    pub(crate) soa_nx: u32,
    /// The apex NS RRset, or [`NONE`].
    pub(crate) apex_ns: u32,
    serial: u32,
    record_count: usize,
}

/// Hash of a child label under a parent (FxHash-style word mixing, then
/// MurmurHash3's finalizer so that every input bit reaches the low bits).
fn child_hash(parent: u32, lc_label: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, x: u64| (h.rotate_left(5) ^ x).wrapping_mul(K);
    let mut h = mix(u64::from(parent), lc_label.len() as u64);
    let mut chunks = lc_label.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(w));
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// `label` (any case) equals `lc` (lowercased), byte for byte, without a call
/// to `memcmp` for these short strings.
#[inline]
fn label_eq(label: &[u8], lc: &[u8]) -> bool {
    label.len() == lc.len() && label.iter().zip(lc).all(|(a, b)| a.to_ascii_lowercase() == *b)
}

/// The arena while the zone is built.
struct Arena {
    names: Vec<NameEntry>,
    labels: Vec<u8>,
    table: Vec<u32>,
}

impl Arena {
    fn new() -> Arena {
        let root = NameEntry { label: 0, label_len: 0, labels: 0, in_zone: false, parent: NONE, node: NONE };
        Arena { names: vec![root], labels: Vec::new(), table: vec![NONE; 64] }
    }

    fn label(&self, id: u32) -> &[u8] {
        let e = &self.names[id as usize];
        self.labels.get(e.label as usize..e.label as usize + usize::from(e.label_len)).unwrap_or(&[])
    }

    /// The child of `parent` with lowercased label `lc` (no length byte).
    fn child(&self, parent: u32, lc: &[u8]) -> Option<u32> {
        find_child(&self.table, &self.names, &self.labels, parent, lc)
    }

    fn insert_slot(table: &mut [u32], h: u64, id: u32) {
        let mask = table.len() - 1;
        let mut slot = (h as usize) & mask;
        while table[slot] != NONE {
            slot = (slot + 1) & mask;
        }
        table[slot] = id;
    }

    /// Interns the name in wire form `wire` and its ancestors; returns its id.
    fn intern(&mut self, wire: &[u8]) -> u32 {
        let mut offs = [0usize; 128];
        let mut n = 0usize;
        let mut i = 0usize;
        while let Some(&l) = wire.get(i) {
            if l == 0 || n == offs.len() {
                break;
            }
            offs[n] = i;
            n += 1;
            i += 1 + usize::from(l);
        }
        let mut id = 0u32;
        let mut lc = [0u8; 63];
        for &off in offs[..n].iter().rev() {
            let len = usize::from(wire[off]).min(63);
            let label = wire.get(off + 1..off + 1 + len).unwrap_or(&[]);
            for (d, s) in lc.iter_mut().zip(label) {
                *d = s.to_ascii_lowercase();
            }
            let lc = &lc[..label.len()];
            id = match self.child(id, lc) {
                Some(c) => c,
                None => {
                    let parent = self.names[id as usize];
                    let new = self.names.len() as u32;
                    self.names.push(NameEntry {
                        label: self.labels.len() as u32,
                        label_len: (label.len() + 1) as u8,
                        labels: parent.labels.saturating_add(1),
                        in_zone: parent.in_zone,
                        parent: id,
                        node: NONE,
                    });
                    self.labels.push(label.len() as u8);
                    self.labels.extend_from_slice(label);
                    if self.names.len() * 2 > self.table.len() {
                        self.grow();
                    } else {
                        Arena::insert_slot(&mut self.table, child_hash(id, lc), new);
                    }
                    new
                }
            };
        }
        id
    }

    /// Doubles the hash table and reinserts every entry.
    fn grow(&mut self) {
        let mut table = vec![NONE; self.table.len() * 2];
        let mut lc = [0u8; 63];
        for (id, e) in self.names.iter().enumerate().skip(1) {
            let label = self
                .labels
                .get(e.label as usize + 1..e.label as usize + usize::from(e.label_len))
                .unwrap_or(&[]);
            for (d, s) in lc.iter_mut().zip(label) {
                *d = s.to_ascii_lowercase();
            }
            Arena::insert_slot(&mut table, child_hash(e.parent, &lc[..label.len()]), id as u32);
        }
        self.table = table;
    }
}

/// Looks up the child of `parent` with lowercased label `lc` in a hash table.
fn find_child(table: &[u32], names: &[NameEntry], labels: &[u8], parent: u32, lc: &[u8]) -> Option<u32> {
    let mask = table.len().checked_sub(1)?;
    let mut slot = (child_hash(parent, lc) as usize) & mask;
    loop {
        let id = *table.get(slot)?;
        if id == NONE {
            return None;
        }
        let e = names.get(id as usize)?;
        if e.parent == parent {
            let start = e.label as usize + 1;
            let label = labels.get(start..start + usize::from(e.label_len).saturating_sub(1))?;
            if label_eq(label, lc) {
                return Some(id);
            }
        }
        slot = (slot + 1) & mask;
    }
}

/// Types that cannot be zone data.
fn is_meta(t: Rtype) -> bool {
    matches!(t.0, 41 | 249..=255)
}

/// A record after the first pass of [`Zone::new`].
struct Pending {
    owner: u32,
    rtype: Rtype,
    rr: Rr,
}

/// Appends the uncompressed RDATA of `rdata` to `buf` and returns the
/// positions (from the start of the RDATA) and names of the names in it that
/// are compressed on output.
fn rdata_wire<'r>(rdata: &'r Rdata, buf: &mut Vec<u8>) -> ([(usize, Option<&'r Name>); 2], usize) {
    let start = buf.len();
    let mut names = [(0, None); 2];
    let mut n = 0;
    let mut put = |buf: &mut Vec<u8>, name: &'r Name, n: &mut usize| {
        names[*n] = (buf.len() - start, Some(name));
        *n += 1;
        buf.extend_from_slice(name.as_wire());
    };
    match rdata {
        Rdata::Ns(name) | Rdata::Cname(name) | Rdata::Ptr(name) => put(buf, name, &mut n),
        Rdata::Mx { preference, exchange } => {
            buf.extend_from_slice(&preference.to_be_bytes());
            put(buf, exchange, &mut n);
        }
        Rdata::Soa(soa) => {
            put(buf, &soa.mname, &mut n);
            put(buf, &soa.rname, &mut n);
            for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                buf.extend_from_slice(&v.to_be_bytes());
            }
        }
        other => {
            // No name in any other type is compressed (RFC 3597 §4), so a fresh
            // compressor writes every name in full.
            let mut c = Compressor::new();
            other.encode(buf, &mut c);
        }
    }
    (names, n)
}

impl Zone {
    /// Builds the zone `origin` from its records (already parsed and checked, in
    /// file order; see [`crate::zone`]).
    ///
    /// Exact duplicate records are dropped (RFC 2181 §5). Records of one RRset keep
    /// their own TTLs and their file order; RRsets at a name keep the order in which
    /// their types first appear. Fails when there is not exactly one SOA record, at
    /// the apex; when a record is outside the zone, not class IN or of a meta type;
    /// for a CNAME beside other data, several CNAMEs or several DNAMEs at a name.
    pub fn new(origin: Name, records: Vec<Record>) -> Result<Zone, ZoneBuildError> {
        let apex_lc: Box<[u8]> = origin.as_wire().iter().map(u8::to_ascii_lowercase).collect();
        let mut arena = Arena::new();
        let apex = arena.intern(origin.as_wire());
        arena.names[apex as usize].in_zone = true;
        let err_origin = || origin.clone();

        // Pass 1: check each record, write its wire form, intern its names.
        let mut bytes: Vec<u8> = Vec::new();
        let mut pending: Vec<Pending> = Vec::with_capacity(records.len());
        let mut soa: Option<(u32, u32)> = None;
        for rec in &records {
            let rtype = rec.rdata.rtype();
            let name = || rec.name.clone();
            if !rec.name.is_subdomain_of(&origin) {
                return Err(ZoneBuildError::OutOfZone { origin: err_origin(), name: name() });
            }
            if rec.class != Class::IN {
                return Err(ZoneBuildError::WrongClass {
                    origin: err_origin(),
                    name: name(),
                    class: rec.class,
                });
            }
            if is_meta(rtype) {
                return Err(ZoneBuildError::MetaType { origin: err_origin(), name: name(), rtype });
            }
            let off = bytes.len();
            bytes.extend_from_slice(&rtype.0.to_be_bytes());
            bytes.extend_from_slice(&Class::IN.0.to_be_bytes());
            bytes.extend_from_slice(&rec.ttl.to_be_bytes());
            bytes.extend_from_slice(&[0, 0]);
            let (names, nnames) = rdata_wire(&rec.rdata, &mut bytes);
            let rdlen = bytes.len() - off - 10;
            let Ok(rdlen16) = u16::try_from(rdlen) else {
                return Err(ZoneBuildError::RdataTooLong { origin: err_origin(), name: name(), rtype });
            };
            bytes[off + 8..off + 10].copy_from_slice(&rdlen16.to_be_bytes());
            let mut rr = Rr {
                off: off as u32,
                len: (rdlen + 10) as u32,
                names: [NamePos::default(); 2],
                nnames: nnames as u8,
                add: NONE,
                target: NONE,
            };
            for (slot, (at, n)) in rr.names.iter_mut().zip(names.iter().take(nnames)) {
                if let Some(n) = n {
                    *slot =
                        NamePos { at: (10 + at) as u16, len: n.len() as u16, id: arena.intern(n.as_wire()) };
                }
            }
            rr.target = match &rec.rdata {
                Rdata::Ns(_) | Rdata::Cname(_) | Rdata::Mx { .. } => rr.names[0].id,
                Rdata::Srv { target, .. } | Rdata::Dname(target) => arena.intern(target.as_wire()),
                _ => NONE,
            };
            if let Rdata::Soa(s) = &rec.rdata
                && soa.is_none()
            {
                soa = Some((s.serial, rec.ttl.min(s.minimum)));
            }
            let owner = arena.intern(rec.name.as_wire());
            pending.push(Pending { owner, rtype, rr });
        }
        drop(records);

        // Group by owner (in order of first appearance), then by type (in order
        // of first appearance at that owner), keeping file order inside.
        let mut first = vec![NONE; arena.names.len()];
        for (i, p) in pending.iter().enumerate() {
            let f = &mut first[p.owner as usize];
            if *f == NONE {
                *f = i as u32;
            }
        }
        let mut order: Vec<u32> = (0..pending.len() as u32).collect();
        order.sort_by_key(|&i| {
            let p = &pending[i as usize];
            (first[p.owner as usize], p.rtype.0)
        });
        drop(first);
        let mut grouped = Vec::with_capacity(order.len());
        let mut runs: Vec<(u32, usize, usize)> = Vec::new();
        let mut g = 0;
        while g < order.len() {
            let owner = pending[order[g] as usize].owner;
            let mut end = g;
            runs.clear();
            while end < order.len() && pending[order[end] as usize].owner == owner {
                let t = pending[order[end] as usize].rtype;
                let start = end;
                while end < order.len()
                    && pending[order[end] as usize].owner == owner
                    && pending[order[end] as usize].rtype == t
                {
                    end += 1;
                }
                runs.push((order[start], start, end));
            }
            runs.sort_by_key(|r| r.0);
            for &(_, a, b) in &runs {
                grouped.extend_from_slice(&order[a..b]);
            }
            g = end;
        }
        drop(order);

        // Drop duplicates; check the SOA, CNAME and DNAME rules; build the nodes,
        // RRsets and records.
        let mut zone = Zone {
            origin,
            apex_lc,
            apex,
            names: Vec::new(),
            labels: Vec::new(),
            table: Box::new([]),
            nodes: Vec::new(),
            rrsets: Vec::new(),
            rrs: Vec::with_capacity(pending.len()),
            bytes: Vec::new(),
            adds: Vec::new(),
            soa_nx: NONE,
            apex_ns: NONE,
            serial: soa.map_or(0, |s| s.0),
            record_count: 0,
        };
        zone.make_node(&mut arena, apex);
        let mut soa_rr = None;
        let mut i = 0;
        while i < grouped.len() {
            let owner = pending[grouped[i] as usize].owner;
            let node = zone.make_node(&mut arena, owner);
            let set_start = zone.rrsets.len() as u32;
            let (mut cnames, mut dnames, mut other) = (0, 0, false);
            while i < grouped.len() && pending[grouped[i] as usize].owner == owner {
                let rtype = pending[grouped[i] as usize].rtype;
                let rr_start = zone.rrs.len();
                while i < grouped.len()
                    && pending[grouped[i] as usize].owner == owner
                    && pending[grouped[i] as usize].rtype == rtype
                {
                    let rr = pending[grouped[i] as usize].rr;
                    i += 1;
                    let dup = zone.rrs[rr_start..].iter().any(|r| same_rdata(&bytes, r, &rr));
                    if !dup {
                        zone.rrs.push(rr);
                    }
                }
                let n = zone.rrs.len() - rr_start;
                match rtype {
                    Rtype::CNAME => cnames += n,
                    Rtype::DNAME => {
                        dnames += n;
                        other = true;
                    }
                    Rtype::SOA => {
                        if soa_rr.is_some() || n > 1 || node != 0 {
                            let name = name_of(&arena, owner);
                            return Err(ZoneBuildError::ExtraSoa { origin: zone.origin.clone(), name });
                        }
                        soa_rr = Some(zone.rrs[rr_start]);
                    }
                    Rtype::RRSIG | Rtype::NSEC => {}
                    _ => other = true,
                }
                let set = zone.rrsets.len() as u32;
                zone.rrsets.push(RRset { rtype, rrs: (rr_start as u32, n as u32) });
                match rtype {
                    Rtype::NS if node == 0 => zone.apex_ns = set,
                    Rtype::NS => zone.nodes[node as usize].flags |= F_CUT,
                    Rtype::DNAME => zone.nodes[node as usize].flags |= F_DNAME,
                    _ => {}
                }
            }
            zone.nodes[node as usize].rrsets = (set_start, zone.rrsets.len() as u32 - set_start);
            let name = || name_of(&arena, owner);
            if cnames > 1 {
                return Err(ZoneBuildError::MultipleCnames { origin: zone.origin.clone(), name: name() });
            }
            if cnames == 1 && other {
                return Err(ZoneBuildError::CnameAndOtherData { origin: zone.origin.clone(), name: name() });
            }
            if dnames > 1 {
                return Err(ZoneBuildError::MultipleDnames { origin: zone.origin.clone(), name: name() });
            }
        }
        drop(grouped);
        drop(pending);
        let (Some(soa_rr), Some((_, nx_ttl))) = (soa_rr, soa) else {
            return Err(ZoneBuildError::NoSoa { origin: zone.origin });
        };
        zone.record_count = zone.rrs.len();

        // The SOA for negative answers: the same record with the negative TTL.
        let mut nx = soa_rr;
        nx.off = bytes.len() as u32;
        let src = soa_rr.off as usize..(soa_rr.off + soa_rr.len) as usize;
        bytes.extend_from_within(src);
        bytes[nx.off as usize + 4..nx.off as usize + 8].copy_from_slice(&nx_ttl.to_be_bytes());
        zone.soa_nx = zone.rrsets.len() as u32;
        zone.rrsets.push(RRset { rtype: Rtype::SOA, rrs: (zone.rrs.len() as u32, 1) });
        zone.rrs.push(nx);

        // Zone cuts and DNAMEs above each node (parents come first), wildcards.
        for i in 1..zone.nodes.len() {
            let p = zone.nodes[i].parent as usize;
            let (pdeleg, pflags, pdname) =
                (zone.nodes[p].deleg, zone.nodes[p].flags, zone.nodes[p].dname_above);
            let n = &mut zone.nodes[i];
            n.deleg = if pdeleg != NONE {
                pdeleg
            } else if n.flags & F_CUT != 0 {
                i as u32
            } else {
                NONE
            };
            n.dname_above = if p != 0 && pflags & F_DNAME != 0 { p as u32 } else { pdname };
        }
        for i in 0..zone.nodes.len() {
            if let Some(w) = arena.child(zone.nodes[i].name, b"*") {
                zone.nodes[i].wildcard = arena.names[w as usize].node;
            }
        }

        zone.names = arena.names;
        zone.labels = arena.labels;
        zone.table = arena.table.into_boxed_slice();
        zone.bytes = bytes;

        // The additional addresses of NS, MX and SRV records.
        for r in 0..zone.rrs.len() {
            let rtype = zone.rr_type(&zone.rrs[r]);
            if matches!(rtype, Rtype::NS | Rtype::MX | Rtype::SRV) && zone.rrs[r].target != NONE {
                let add = zone.resolve_additional(zone.rrs[r].target);
                zone.rrs[r].add = zone.adds.len() as u32;
                zone.adds.push(add);
            }
        }
        zone.names.shrink_to_fit();
        zone.labels.shrink_to_fit();
        zone.nodes.shrink_to_fit();
        zone.rrsets.shrink_to_fit();
        zone.rrs.shrink_to_fit();
        zone.bytes.shrink_to_fit();
        zone.adds.shrink_to_fit();
        Ok(zone)
    }

    /// The node of arena entry `id`, made (with nodes for its ancestors up to
    /// the apex, the empty non-terminals) if needed.
    fn make_node(&mut self, arena: &mut Arena, id: u32) -> u32 {
        let mut chain: Vec<u32> = Vec::new();
        let mut cur = id;
        while cur != NONE && arena.names[cur as usize].node == NONE {
            chain.push(cur);
            if cur == self.apex {
                break;
            }
            cur = arena.names[cur as usize].parent;
        }
        for &e in chain.iter().rev() {
            let parent =
                if e == self.apex { NONE } else { arena.names[arena.names[e as usize].parent as usize].node };
            let n = self.nodes.len() as u32;
            self.nodes.push(Node {
                name: e,
                parent,
                rrsets: (0, 0),
                wildcard: NONE,
                deleg: NONE,
                dname_above: NONE,
                flags: 0,
            });
            arena.names[e as usize].node = n;
        }
        arena.names[id as usize].node
    }

    /// The zone's origin (apex name).
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// The SOA serial.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// The number of records served (duplicates dropped).
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// The number of names that exist in the zone (with data, or empty non-terminals).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The wire form of a record (TYPE, CLASS, TTL, RDLENGTH, RDATA).
    pub(crate) fn wire(&self, rr: &Rr) -> &[u8] {
        self.bytes.get(rr.off as usize..(rr.off + rr.len) as usize).unwrap_or(&[])
    }

    fn rr_type(&self, rr: &Rr) -> Rtype {
        self.wire(rr).first_chunk::<2>().map_or(Rtype(0), |t| Rtype(u16::from_be_bytes(*t)))
    }

    /// The first label of arena entry `id`, with its length byte.
    pub(crate) fn label(&self, e: &NameEntry) -> &[u8] {
        self.labels.get(e.label as usize..e.label as usize + usize::from(e.label_len)).unwrap_or(&[])
    }

    /// The node for the name in arena entry `id`, or the nearest existing ancestor
    /// (with `false`); `None` when the name is not in the zone.
    pub(crate) fn closest_node(&self, mut id: u32) -> Option<(u32, bool)> {
        let first = id;
        while id != NONE {
            let e = self.names.get(id as usize)?;
            if !e.in_zone {
                return None;
            }
            if e.node != NONE {
                return Some((e.node, id == first));
            }
            id = e.parent;
        }
        None
    }

    /// The RRset of type `t` at `node`, if any.
    pub(crate) fn find_rrset(&self, node: u32, t: Rtype) -> Option<u32> {
        let (start, len) = self.nodes.get(node as usize)?.rrsets;
        (start..start + len).find(|&s| self.rrsets[s as usize].rtype == t)
    }

    /// What the additional section gets for a record pointing at arena entry
    /// `target`, as NSD resolves it: the target's own A and AAAA RRsets, or, when
    /// the target does not exist, those of the wildcard child of its closest
    /// encloser (RFC 4592 §4.3 leaves this open; NSD synthesizes).
    fn resolve_additional(&self, target: u32) -> Additional {
        let mut add = Additional { owner: target, a: NONE, aaaa: NONE, glue: false };
        let Some((node, exact)) = self.closest_node(target) else { return add };
        add.glue = self.nodes[node as usize].deleg != NONE;
        let data = if exact { node } else { self.nodes[node as usize].wildcard };
        if data != NONE {
            add.a = self.find_rrset(data, Rtype::A).unwrap_or(NONE);
            add.aaaa = self.find_rrset(data, Rtype::AAAA).unwrap_or(NONE);
        }
        add
    }

    /// The child of arena entry `parent` with lowercased label `lc`.
    fn child(&self, parent: u32, lc: &[u8]) -> Option<u32> {
        find_child(&self.table, &self.names, &self.labels, parent, lc)
    }

    /// Finds the lowercased wire name `lc` (label offsets `loffs`, one per label,
    /// the root not counted), whose first `below_apex` labels are below the apex.
    /// Returns the closest encloser's node and whether it is the name itself.
    pub(crate) fn find(&self, lc: &[u8], loffs: &[u8], below_apex: usize) -> (u32, bool) {
        let mut id = self.apex;
        let mut node = 0u32;
        for i in (0..below_apex).rev() {
            let Some(&off) = loffs.get(i) else { return (node, false) };
            let off = usize::from(off);
            let len = usize::from(lc.get(off).copied().unwrap_or(0));
            let Some(label) = lc.get(off + 1..off + 1 + len) else { return (node, false) };
            match self.child(id, label) {
                Some(c) if self.names[c as usize].node != NONE => {
                    id = c;
                    node = self.names[c as usize].node;
                }
                _ => return (node, false),
            }
        }
        (node, true)
    }

    /// Writes the name of arena entry `id` uncompressed and lowercased into
    /// `buf`, with its label offsets into `loffs`; returns (length, labels).
    pub(crate) fn name_lc(&self, mut id: u32, buf: &mut [u8; 255], loffs: &mut [u8; 128]) -> (usize, usize) {
        let mut len = 0usize;
        let mut labels = 0usize;
        while let Some(e) = self.names.get(id as usize) {
            if e.parent == NONE {
                break;
            }
            let label = self.label(e);
            if len + label.len() + 1 > 255 || labels >= 127 {
                break;
            }
            loffs[labels] = len as u8;
            for (d, s) in buf[len..len + label.len()].iter_mut().zip(label.iter()) {
                *d = s.to_ascii_lowercase();
            }
            len += label.len();
            labels += 1;
            id = e.parent;
        }
        buf[len] = 0;
        (len + 1, labels)
    }

    /// Descends from arena entry `base` along the labels of `prefix` (lowercased
    /// wire labels, no root), from its last label up, through the names the
    /// zone knows. Returns the deepest entry reached and how many bytes of
    /// `prefix` are left in front of it.
    pub(crate) fn descend(&self, mut base: u32, prefix: &[u8]) -> (u32, usize) {
        let mut offs = [0u8; 128];
        let mut n = 0usize;
        let mut i = 0usize;
        while let Some(&l) = prefix.get(i) {
            if l == 0 || n >= offs.len() {
                break;
            }
            offs[n] = i as u8;
            n += 1;
            i += 1 + usize::from(l);
        }
        let mut left = prefix.len();
        for k in (0..n).rev() {
            let off = usize::from(offs[k]);
            let Some(label) = prefix.get(off + 1..left) else { break };
            match self.child(base, label) {
                Some(c) => base = c,
                None => break,
            }
            left = off;
        }
        (base, left)
    }
}

/// True when two records of one RRset have the same RDATA, the compressible
/// names in it compared without case.
fn same_rdata(bytes: &[u8], a: &Rr, b: &Rr) -> bool {
    let wa = bytes.get(a.off as usize + 10..(a.off + a.len) as usize).unwrap_or(&[]);
    let wb = bytes.get(b.off as usize + 10..(b.off + b.len) as usize).unwrap_or(&[]);
    if wa.len() != wb.len() || a.nnames != b.nnames {
        return false;
    }
    let mut pos = 0usize;
    for (na, nb) in a.names.iter().zip(&b.names).take(usize::from(a.nnames)) {
        let at = usize::from(na.at) - 10;
        if na.at != nb.at || na.id != nb.id || wa.get(pos..at) != wb.get(pos..at) {
            return false;
        }
        pos = at + usize::from(na.len);
    }
    wa.get(pos..) == wb.get(pos..)
}

/// The name of arena entry `id`.
fn name_of(arena: &Arena, mut id: u32) -> Name {
    let mut wire = Vec::new();
    while let Some(e) = arena.names.get(id as usize) {
        if e.parent == NONE {
            break;
        }
        wire.extend_from_slice(arena.label(id));
        id = e.parent;
    }
    wire.push(0);
    Name::from_wire(&wire).unwrap_or_else(|_| Name::root())
}
