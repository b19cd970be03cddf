//! One authoritative zone, built once from checked records and then only read.
//!
//! [`Zone::new`] turns the records of a zone file into structures that let the
//! query engine answer without allocating:
//!
//! - a **name arena**: every owner name, every ancestor of one, and every name
//!   that RDATA points at (NS, CNAME, PTR, MX and SOA names, which are compressed
//!   on output, plus SRV targets), each stored once as its first label and a link
//!   to its parent. Names written into a response are walked up this arena, and
//!   message compression (RFC 1035 §4.1.4) remembers arena entries, not bytes;
//! - a **node tree** of the names that exist in the zone (RFC 1034 §3.1; RFC 4592
//!   §2.2.2: a name with data, or an empty non-terminal above one), each node's
//!   children sorted in canonical order (RFC 4034 §6.1) and found by binary
//!   search on the lowercased label;
//! - per node its **RRsets** in the order their types first appear in the file,
//!   and precomputed facts: the zone cut above it (RFC 1034 §4.2.1: NS below the
//!   apex), the DNAME above it (RFC 6672 §2.3), its wildcard child (RFC 4592 §2.1.1);
//! - per record its **wire form** (TYPE, CLASS, TTL, RDLENGTH, RDATA) ready to copy,
//!   with the positions of the names in it that get compressed, and for NS, MX and
//!   SRV the address RRsets that go into the additional section (RFC 1034 §4.3.2
//!   step 6), resolved once here (glue, and wildcard-synthesized addresses as NSD
//!   gives them).

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
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
#[derive(Debug)]
pub(crate) struct NameEntry {
    /// The first label in wire form (length byte, then the bytes), case as first
    /// seen; empty for the root.
    pub(crate) label: Box<[u8]>,
    /// The parent entry; [`NONE`] for the root.
    pub(crate) parent: u32,
    /// The node of this name if it exists in the zone, else [`NONE`].
    pub(crate) node: u32,
    /// Labels, not counting the root.
    pub(crate) labels: u8,
    /// True for the apex and names below it.
    pub(crate) in_zone: bool,
}

/// A name that exists in the zone.
#[derive(Debug)]
pub(crate) struct Node {
    /// Arena entry of the name.
    pub(crate) name: u32,
    /// Parent node; [`NONE`] for the apex.
    pub(crate) parent: u32,
    /// The first label, lowercased, without its length byte (the sort key).
    pub(crate) key: Box<[u8]>,
    /// Children: `zone.children[start..start + len]`, in canonical order.
    pub(crate) children: (u32, u32),
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
#[derive(Debug)]
pub(crate) struct RRset {
    /// The type.
    pub(crate) rtype: Rtype,
    /// Records: `zone.rrs[start..start + len]`, in file order.
    pub(crate) rrs: (u32, u32),
}

/// Where a compressible name sits inside a record's wire form.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NamePos {
    /// Offset in [`Rr::wire`] where the (uncompressed) name starts.
    pub(crate) at: u16,
    /// Its uncompressed length.
    pub(crate) len: u16,
    /// Its arena entry.
    pub(crate) id: u32,
}

/// One record, ready to copy into a response after its owner name.
#[derive(Debug)]
pub(crate) struct Rr {
    /// TYPE, CLASS, TTL, RDLENGTH and RDATA with every name uncompressed.
    pub(crate) wire: Box<[u8]>,
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
    pub(crate) origin: Name,
    /// The origin in lowercased wire form.
    pub(crate) apex_lc: Box<[u8]>,
    pub(crate) names: Vec<NameEntry>,
    /// Nodes; 0 is the apex, and a parent always comes before its children.
    pub(crate) nodes: Vec<Node>,
    pub(crate) children: Vec<u32>,
    pub(crate) rrsets: Vec<RRset>,
    pub(crate) rrs: Vec<Rr>,
    pub(crate) adds: Vec<Additional>,
    /// The SOA RRset with TTL = min(SOA TTL, MINIMUM) for negative answers
    /// (RFC 2308 §3); not attached to any node.
    pub(crate) soa_nx: u32,
    /// The apex NS RRset, or [`NONE`].
    pub(crate) apex_ns: u32,
    serial: u32,
    record_count: usize,
}

/// Arena builder: interns names (and all their ancestors) by lowercased wire form.
struct Arena {
    entries: Vec<NameEntry>,
    index: BTreeMap<Box<[u8]>, u32>,
}

impl Arena {
    fn new() -> Arena {
        let root = NameEntry { label: Box::new([]), parent: NONE, node: NONE, labels: 0, in_zone: false };
        let mut index = BTreeMap::new();
        index.insert(Box::from(&[0u8][..]), 0);
        Arena { entries: vec![root], index }
    }

    /// Interns the name in wire form `wire` (and its ancestors); returns its id.
    fn intern(&mut self, wire: &[u8], apex_lc: &[u8]) -> u32 {
        let lc: Box<[u8]> = wire.iter().map(u8::to_ascii_lowercase).collect();
        if let Some(&id) = self.index.get(&lc) {
            return id;
        }
        let len = usize::from(wire.first().copied().unwrap_or(0));
        let split = (1 + len).min(wire.len());
        let parent = self.intern(&wire[split..], apex_lc);
        let parent_entry = &self.entries[parent as usize];
        let labels = parent_entry.labels.saturating_add(1);
        let in_zone = parent_entry.in_zone || *lc == *apex_lc;
        let id = self.entries.len() as u32;
        self.entries.push(NameEntry { label: wire[..split].into(), parent, node: NONE, labels, in_zone });
        self.index.insert(lc, id);
        id
    }
}

/// A record's RDATA in wire form with its compressible names, and the arena
/// entry of the name it points at (CNAME, NS, MX, SRV).
struct Wire {
    rdata: Vec<u8>,
    names: Vec<(usize, u32)>,
    target: u32,
}

/// Types that cannot be zone data.
fn is_meta(t: Rtype) -> bool {
    matches!(t.0, 41 | 249..=255)
}

/// Uncompressed RDATA of `rdata`, and the positions (relative to the RDATA) and
/// names of the names in it that are compressed on output.
fn rdata_wire(rdata: &Rdata) -> (Vec<u8>, Vec<(usize, &Name)>) {
    let mut buf = Vec::new();
    let mut names = Vec::new();
    match rdata {
        Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) => {
            names.push((0, n));
            buf.extend_from_slice(n.as_wire());
        }
        Rdata::Mx { preference, exchange } => {
            buf.extend_from_slice(&preference.to_be_bytes());
            names.push((2, exchange));
            buf.extend_from_slice(exchange.as_wire());
        }
        Rdata::Soa(soa) => {
            names.push((0, &soa.mname));
            buf.extend_from_slice(soa.mname.as_wire());
            names.push((buf.len(), &soa.rname));
            buf.extend_from_slice(soa.rname.as_wire());
            for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                buf.extend_from_slice(&v.to_be_bytes());
            }
        }
        other => {
            // No name in any other type is compressed (RFC 3597 §4), so a fresh
            // compressor writes every name in full.
            let mut c = Compressor::new();
            other.encode(&mut buf, &mut c);
        }
    }
    (buf, names)
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
        let apex_id = arena.intern(origin.as_wire(), &apex_lc);
        let err_origin = || origin.clone();

        // Validate, intern owners, and group records by (owner, type).
        let mut soa_seen = false;
        // owner arena id -> list of (type, record indices)
        let mut groups: BTreeMap<u32, Vec<(Rtype, Vec<usize>)>> = BTreeMap::new();
        let mut owner_order: Vec<u32> = Vec::new();
        let mut wires: Vec<Wire> = Vec::with_capacity(records.len());
        let mut seen: BTreeSet<(u32, u16, Vec<u8>)> = BTreeSet::new();
        let mut record_count = 0usize;
        for (i, rec) in records.iter().enumerate() {
            let rtype = rec.rdata.rtype();
            if !rec.name.is_subdomain_of(&origin) {
                return Err(ZoneBuildError::OutOfZone { origin: err_origin(), name: rec.name.clone() });
            }
            if rec.class != Class::IN {
                return Err(ZoneBuildError::WrongClass {
                    origin: err_origin(),
                    name: rec.name.clone(),
                    class: rec.class,
                });
            }
            if is_meta(rtype) {
                return Err(ZoneBuildError::MetaType { origin: err_origin(), name: rec.name.clone(), rtype });
            }
            let (rdata, names) = rdata_wire(&rec.rdata);
            if rdata.len() > usize::from(u16::MAX) {
                return Err(ZoneBuildError::RdataTooLong {
                    origin: err_origin(),
                    name: rec.name.clone(),
                    rtype,
                });
            }
            let names: Vec<(usize, u32)> =
                names.into_iter().map(|(at, n)| (at, arena.intern(n.as_wire(), &apex_lc))).collect();
            let target = match &rec.rdata {
                Rdata::Ns(_) | Rdata::Cname(_) | Rdata::Mx { .. } => names.first().map_or(NONE, |n| n.1),
                Rdata::Srv { target, .. } | Rdata::Dname(target) => arena.intern(target.as_wire(), &apex_lc),
                _ => NONE,
            };
            let owner = arena.intern(rec.name.as_wire(), &apex_lc);
            // Drop exact duplicates (same RDATA, names compared without case).
            let key = (owner, rtype.0, lowercase_names(&rdata, &names, &arena));
            let dup = !seen.insert(key);
            wires.push(Wire { rdata, names, target });
            if dup {
                continue;
            }
            if rtype == Rtype::SOA {
                if soa_seen || owner != apex_id {
                    return Err(ZoneBuildError::ExtraSoa { origin: err_origin(), name: rec.name.clone() });
                }
                soa_seen = true;
            }
            let sets = groups.entry(owner).or_insert_with(|| {
                owner_order.push(owner);
                Vec::new()
            });
            match sets.iter_mut().find(|(t, _)| *t == rtype) {
                Some((_, idx)) => idx.push(i),
                None => sets.push((rtype, vec![i])),
            }
            record_count += 1;
        }
        drop(seen);
        if !soa_seen {
            return Err(ZoneBuildError::NoSoa { origin });
        }

        // Semantic checks on each owner's RRsets.
        for (&owner, sets) in &groups {
            let name = || name_of(&arena.entries, owner);
            let mut cnames = 0;
            let mut dnames = 0;
            let mut other = false;
            for (t, idx) in sets {
                match *t {
                    Rtype::CNAME => cnames += idx.len(),
                    Rtype::DNAME => {
                        dnames += idx.len();
                        other = true;
                    }
                    Rtype::RRSIG | Rtype::NSEC => {}
                    _ => other = true,
                }
            }
            if cnames > 1 {
                return Err(ZoneBuildError::MultipleCnames { origin: err_origin(), name: name() });
            }
            if cnames == 1 && other {
                return Err(ZoneBuildError::CnameAndOtherData { origin: err_origin(), name: name() });
            }
            if dnames > 1 {
                return Err(ZoneBuildError::MultipleDnames { origin: err_origin(), name: name() });
            }
        }

        // Nodes: every owner and its ancestors down from the apex, parents first.
        let mut nodes: Vec<Node> = Vec::new();
        let make_node = |arena: &mut Arena, nodes: &mut Vec<Node>, id: u32| {
            // Collect the chain of entries from `id` up to the first that has a node.
            let mut chain = Vec::new();
            let mut cur = id;
            while cur != NONE && arena.entries[cur as usize].node == NONE {
                chain.push(cur);
                if cur == apex_id {
                    break;
                }
                cur = arena.entries[cur as usize].parent;
            }
            for &e in chain.iter().rev() {
                let entry = &arena.entries[e as usize];
                let parent = if e == apex_id { NONE } else { arena.entries[entry.parent as usize].node };
                let key: Box<[u8]> =
                    entry.label.get(1..).unwrap_or(&[]).iter().map(u8::to_ascii_lowercase).collect();
                let n = nodes.len() as u32;
                nodes.push(Node {
                    name: e,
                    parent,
                    key,
                    children: (0, 0),
                    rrsets: (0, 0),
                    wildcard: NONE,
                    deleg: NONE,
                    dname_above: NONE,
                    flags: 0,
                });
                arena.entries[e as usize].node = n;
            }
        };
        make_node(&mut arena, &mut nodes, apex_id);
        for &owner in &owner_order {
            make_node(&mut arena, &mut nodes, owner);
        }

        // Children, in canonical order.
        let mut kids: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate().skip(1) {
            kids[n.parent as usize].push(i as u32);
        }
        let mut children = Vec::with_capacity(nodes.len());
        for (i, mut k) in kids.into_iter().enumerate() {
            k.sort_by(|a, b| nodes[*a as usize].key.cmp(&nodes[*b as usize].key));
            let start = children.len() as u32;
            for &c in &k {
                if *nodes[c as usize].key == *b"*" {
                    nodes[i].wildcard = c;
                }
            }
            children.extend_from_slice(&k);
            nodes[i].children = (start, k.len() as u32);
        }

        // RRsets and records.
        let mut zone = Zone {
            origin,
            apex_lc,
            names: Vec::new(),
            nodes,
            children,
            rrsets: Vec::new(),
            rrs: Vec::with_capacity(record_count),
            adds: Vec::new(),
            soa_nx: NONE,
            apex_ns: NONE,
            serial: 0,
            record_count,
        };
        let mut soa_rr: Option<(usize, u32)> = None;
        for &owner in &owner_order {
            let node = arena.entries[owner as usize].node;
            let start = zone.rrsets.len() as u32;
            let Some(sets) = groups.get(&owner) else { continue };
            for (rtype, idx) in sets {
                if idx.is_empty() {
                    continue;
                }
                let rr_start = zone.rrs.len() as u32;
                for &i in idx {
                    let rec = &records[i];
                    let w = &wires[i];
                    let mut rr = build_rr(*rtype, rec.ttl, &w.rdata, &w.names);
                    if matches!(*rtype, Rtype::CNAME | Rtype::DNAME) {
                        rr.target = w.target;
                    }
                    if w.target != NONE && matches!(*rtype, Rtype::NS | Rtype::MX | Rtype::SRV) {
                        // Resolved below, once every node and RRset is known.
                        rr.add = w.target;
                    }
                    zone.rrs.push(rr);
                    if *rtype == Rtype::SOA
                        && let Rdata::Soa(soa) = &rec.rdata
                    {
                        soa_rr = Some((i, rec.ttl.min(soa.minimum)));
                        zone.serial = soa.serial;
                    }
                }
                let set = zone.rrsets.len() as u32;
                zone.rrsets.push(RRset { rtype: *rtype, rrs: (rr_start, idx.len() as u32) });
                let n = &mut zone.nodes[node as usize];
                match *rtype {
                    Rtype::NS if node == 0 => zone.apex_ns = set,
                    Rtype::NS => n.flags |= F_CUT,
                    Rtype::DNAME => n.flags |= F_DNAME,
                    _ => {}
                }
            }
            zone.nodes[node as usize].rrsets = (start, zone.rrsets.len() as u32 - start);
        }
        if let Some((i, ttl)) = soa_rr {
            let w = &wires[i];
            let rr_start = zone.rrs.len() as u32;
            zone.rrs.push(build_rr(Rtype::SOA, ttl, &w.rdata, &w.names));
            zone.soa_nx = zone.rrsets.len() as u32;
            zone.rrsets.push(RRset { rtype: Rtype::SOA, rrs: (rr_start, 1) });
        }

        // Zone cuts and DNAMEs above each node (parents come first).
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

        // The additional addresses of NS, MX and SRV records.
        zone.names = arena.entries;
        let mut adds = Vec::new();
        for r in 0..zone.rrs.len() {
            let target = zone.rrs[r].add;
            if target != NONE {
                let add = zone.resolve_additional(target);
                zone.rrs[r].add = adds.len() as u32;
                adds.push(add);
            }
        }
        zone.adds = adds;
        Ok(zone)
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

    /// Finds the node for lowercased wire name `lc` with label offsets `loffs`
    /// (one per label, the root not counted), of which the last `apex_labels`
    /// labels are the apex. Returns the closest encloser and whether it is an
    /// exact match.
    pub(crate) fn find(&self, lc: &[u8], loffs: &[u8], below_apex: usize) -> (u32, bool) {
        let mut node = 0u32;
        for i in (0..below_apex).rev() {
            let Some(&off) = loffs.get(i) else { return (node, false) };
            let off = usize::from(off);
            let len = usize::from(lc.get(off).copied().unwrap_or(0));
            let Some(label) = lc.get(off + 1..off + 1 + len) else { return (node, false) };
            let (start, n) = self.nodes[node as usize].children;
            let kids = &self.children[start as usize..(start + n) as usize];
            match kids.binary_search_by(|&c| (*self.nodes[c as usize].key).cmp(label)) {
                Ok(k) => node = kids[k],
                Err(_) => return (node, false),
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
            if len + e.label.len() + 1 > 255 || labels >= 127 {
                break;
            }
            loffs[labels] = len as u8;
            for (d, s) in buf[len..len + e.label.len()].iter_mut().zip(e.label.iter()) {
                *d = s.to_ascii_lowercase();
            }
            len += e.label.len();
            labels += 1;
            id = e.parent;
        }
        buf[len] = 0;
        (len + 1, labels)
    }

    /// Descends from arena entry `base` through existing nodes along the labels
    /// of `prefix` (lowercased wire labels, no root), from its last label up.
    /// Returns the deepest entry reached and how many bytes of `prefix` are left.
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
            let Some(e) = self.names.get(base as usize) else { break };
            if e.node == NONE || !e.in_zone {
                break;
            }
            let off = usize::from(offs[k]);
            let Some(label) = prefix.get(off + 1..left) else { break };
            let (start, len) = self.nodes[e.node as usize].children;
            let kids = &self.children[start as usize..(start + len) as usize];
            match kids.binary_search_by(|&c| (*self.nodes[c as usize].key).cmp(label)) {
                Ok(k) => base = self.nodes[kids[k] as usize].name,
                Err(_) => break,
            }
            left = off;
        }
        (base, left)
    }
}

/// The name of arena entry `id`.
fn name_of(names: &[NameEntry], mut id: u32) -> Name {
    let mut wire = Vec::new();
    while let Some(e) = names.get(id as usize) {
        if e.parent == NONE {
            break;
        }
        wire.extend_from_slice(&e.label);
        id = e.parent;
    }
    wire.push(0);
    Name::from_wire(&wire).unwrap_or_else(|_| Name::root())
}

/// RDATA with the compressible names lowercased (to compare records).
fn lowercase_names(rdata: &[u8], names: &[(usize, u32)], arena: &Arena) -> Vec<u8> {
    let mut out = rdata.to_vec();
    for &(at, id) in names {
        let mut pos = at;
        let mut cur = id;
        while let Some(e) = arena.entries.get(cur as usize) {
            if e.parent == NONE {
                break;
            }
            for b in out.iter_mut().skip(pos).take(e.label.len()) {
                *b = b.to_ascii_lowercase();
            }
            pos += e.label.len();
            cur = e.parent;
        }
    }
    out
}

/// The wire form of one record after its owner name.
fn build_rr(rtype: Rtype, ttl: u32, rdata: &[u8], names: &[(usize, u32)]) -> Rr {
    let mut wire = Vec::with_capacity(10 + rdata.len());
    wire.extend_from_slice(&rtype.0.to_be_bytes());
    wire.extend_from_slice(&Class::IN.0.to_be_bytes());
    wire.extend_from_slice(&ttl.to_be_bytes());
    wire.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    wire.extend_from_slice(rdata);
    let mut rr = Rr { wire: wire.into(), names: [NamePos::default(); 2], nnames: 0, add: NONE, target: NONE };
    for &(at, id) in names.iter().take(2) {
        let len = name_len(rdata.get(at..).unwrap_or(&[]));
        rr.names[usize::from(rr.nnames)] = NamePos { at: (10 + at) as u16, len: len as u16, id };
        rr.nnames += 1;
    }
    rr
}

/// Length of the uncompressed wire name at the start of `wire`.
fn name_len(wire: &[u8]) -> usize {
    let mut i = 0usize;
    while let Some(&l) = wire.get(i) {
        i += 1;
        if l == 0 {
            break;
        }
        i += usize::from(l);
    }
    i.min(wire.len())
}
