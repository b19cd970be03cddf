//! Semantic checks of a parsed zone, as `nsd-checkzone` and
//! `named-checkzone` make them.
//!
//! | check | outcome | reference behaviour |
//! |---|---|---|
//! | owner outside the zone | warning, record dropped | BIND ("ignoring out-of-zone data"); NSD 4.6 errors |
//! | the same record twice | dropped silently | NSD, BIND |
//! | no SOA at the apex, SOA elsewhere, two SOAs | error | NSD, BIND |
//! | no NS at the apex | error | BIND ("has no NS records"); NSD does not check |
//! | CNAME beside other data (RRSIG and NSEC excepted, RFC 4035 §2.5), two CNAMEs | error | NSD, BIND (RFC 1034 §3.6.2, RFC 2181 §10.1) |
//! | two DNAMEs at a name, data below a DNAME | error | NSD ("has data below it", RFC 6672 §2.4) |
//! | in-zone NS target at or below a zone cut without A/AAAA (missing glue) | warning | BIND reports it and still loads; NSD is silent |
//! | in-zone NS target elsewhere without A/AAAA | warning | BIND refuses the zone; NSD loads it — we load it |
//! | TTLs differ inside an RRset (RRSIG excepted) | warning, TTLs kept as written | NSD warns and serves each record's own TTL; BIND rewrites them to the first |
//! | TTL above 2^31−1 | warning | RFC 2181 §8 (resolvers treat it as 0) |
//! | `*` label that is not the first | warning | BIND ("non-terminal wildcard") |
//!
//! Errors mean the zone should not be served; warnings do not.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{SourcePos, ZoneRecord};
use crate::message::Record;
use crate::name::Name;
use crate::rdata::{Rdata, Rtype};

/// A problem that does not stop the zone from being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneWarning {
    /// Where the record was written, when known.
    pub pos: Option<SourcePos>,
    /// What is wrong.
    pub message: String,
}

/// A problem that makes the zone unfit to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneCheckError {
    /// Where the record was written, when known.
    pub pos: Option<SourcePos>,
    /// What is wrong.
    pub message: String,
}

fn fmt_pos(pos: &Option<SourcePos>, message: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match pos {
        Some(p) => write!(f, "{p}: {message}"),
        None => f.write_str(message),
    }
}

impl fmt::Display for ZoneWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_pos(&self.pos, &self.message, f)
    }
}

impl fmt::Display for ZoneCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_pos(&self.pos, &self.message, f)
    }
}

/// Checks `records` as the zone `origin` (see the module table). Returns the
/// records to serve (in-zone, duplicates removed, in their order), the
/// warnings and the errors.
pub fn check_zone(records: &[Record], origin: &Name) -> (Vec<Record>, Vec<ZoneWarning>, Vec<ZoneCheckError>) {
    let items: Vec<(&Record, Option<&SourcePos>)> = records.iter().map(|r| (r, None)).collect();
    let (kept, warnings, errors) = check(&items, origin);
    let kept = kept.into_iter().filter_map(|i| records.get(i).cloned()).collect();
    (kept, warnings, errors)
}

/// As [`check_zone`], for records that know their file and line (from
/// [`parse_zone_records`](super::parse_zone_records)); messages carry them.
pub fn check_zone_records(
    records: &[ZoneRecord],
    origin: &Name,
) -> (Vec<ZoneRecord>, Vec<ZoneWarning>, Vec<ZoneCheckError>) {
    let items: Vec<(&Record, Option<&SourcePos>)> =
        records.iter().map(|r| (&r.record, Some(&r.pos))).collect();
    let (kept, warnings, errors) = check(&items, origin);
    let kept = kept.into_iter().filter_map(|i| records.get(i).cloned()).collect();
    (kept, warnings, errors)
}

/// Above this many records in one RRset, duplicates are found by exact wire
/// bytes only (case differences in names then count as different records).
const QUADRATIC_DEDUP_MAX: usize = 2048;

/// The records of one owner and type, after duplicates are dropped.
struct RrSet {
    /// Index of a record with this owner (its lowercased name is the key).
    name: usize,
    rtype: Rtype,
    /// Indices of the records, in file order.
    members: Vec<usize>,
}

fn check(
    items: &[(&Record, Option<&SourcePos>)],
    origin: &Name,
) -> (Vec<usize>, Vec<ZoneWarning>, Vec<ZoneCheckError>) {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let pos = |i: usize| items.get(i).and_then(|(_, p)| p.cloned());
    // Each finding is keyed by its record's index, to be reported in file order.
    let warn = |w: &mut Vec<(usize, ZoneWarning)>, i: usize, message: String| {
        w.push((i, ZoneWarning { pos: pos(i), message }))
    };
    let error = |e: &mut Vec<(usize, ZoneCheckError)>, i: Option<usize>, message: String| {
        e.push((i.unwrap_or(0), ZoneCheckError { pos: i.and_then(pos), message }))
    };
    let rec = |i: usize| items[i].0;

    // Lowercased owners: grouping compares plain bytes.
    let lc: Vec<Name> = items.iter().map(|(r, _)| r.name.to_lowercase()).collect();
    let mut order: Vec<usize> = Vec::with_capacity(items.len());
    for (i, (r, _)) in items.iter().enumerate() {
        if r.name.is_subdomain_of(origin) {
            order.push(i);
        } else {
            warn(
                &mut warnings,
                i,
                format!("out-of-zone data: {} is outside the zone {origin}; ignored", r.name),
            );
        }
    }
    let key = |i: usize| (lc[i].as_wire(), rec(i).rdata.rtype());
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));

    // RRsets: duplicates dropped, TTLs compared.
    let mut rrsets: Vec<RrSet> = Vec::new();
    for run in order.chunk_by(|&a, &b| key(a) == key(b)) {
        let Some(&first) = run.first() else { continue };
        let rtype = rec(first).rdata.rtype();
        let mut members: Vec<usize> = Vec::with_capacity(run.len());
        if run.len() <= QUADRATIC_DEDUP_MAX {
            for &i in run {
                let (a, seen) = (rec(i), &members);
                if !seen.iter().any(|&j| rec(j).class == a.class && rec(j).rdata == a.rdata) {
                    members.push(i);
                }
            }
        } else {
            let mut keyed: Vec<(Vec<u8>, usize)> = run
                .iter()
                .map(|&i| {
                    let mut buf = Vec::new();
                    rec(i).rdata.encode(&mut buf, &mut crate::wire::Compressor::new());
                    (buf, i)
                })
                .collect();
            keyed.sort();
            keyed.dedup_by(|a, b| a.0 == b.0);
            members = keyed.into_iter().map(|(_, i)| i).collect();
            members.sort_unstable();
        }
        let first_ttl = rec(first).ttl;
        for &i in &members {
            let r = rec(i);
            if r.ttl > 0x7fff_ffff {
                warn(
                    &mut warnings,
                    i,
                    format!(
                        "{} {rtype}: TTL {} is above 2147483647; resolvers will treat it as 0 (RFC 2181 §8)",
                        r.name, r.ttl
                    ),
                );
            }
            if rtype != Rtype::RRSIG && r.ttl != first_ttl {
                warn(
                    &mut warnings,
                    i,
                    format!(
                        "{} {rtype}: TTL {} differs from the TTL {first_ttl} of the RRset (RFC 2181 §5.2); kept as written",
                        r.name, r.ttl
                    ),
                );
            }
        }
        rrsets.push(RrSet { name: first, rtype, members });
    }

    let find = |name: &Name, t: Rtype| -> Option<&RrSet> {
        let k = name.to_lowercase();
        rrsets
            .binary_search_by(|s| lc[s.name].as_wire().cmp(k.as_wire()).then(s.rtype.cmp(&t)))
            .ok()
            .and_then(|i| rrsets.get(i))
    };
    let has = |name: &Name, t: Rtype| find(name, t).is_some();

    // SOA and NS at the apex.
    match find(origin, Rtype::SOA).map(|s| s.members.as_slice()) {
        None | Some([]) => error(&mut errors, None, format!("no SOA record at the zone apex {origin}")),
        Some([_]) => {}
        Some([_, rest @ ..]) => {
            for &i in rest {
                error(&mut errors, Some(i), format!("more than one SOA record at the zone apex {origin}"));
            }
        }
    }
    if !has(origin, Rtype::NS) {
        let soa = find(origin, Rtype::SOA).and_then(|s| s.members.first().copied());
        error(&mut errors, soa, format!("no NS records at the zone apex {origin}"));
    }

    let dnames: Vec<&Name> = rrsets.iter().filter(|s| s.rtype == Rtype::DNAME).map(|s| &lc[s.name]).collect();
    let cuts: Vec<&Name> = rrsets
        .iter()
        .filter(|s| s.rtype == Rtype::NS && lc[s.name] != *origin)
        .map(|s| &lc[s.name])
        .collect();
    let is_in = |set: &[&Name], n: &Name| set.binary_search_by(|x| x.as_wire().cmp(n.as_wire())).is_ok();

    for node in rrsets.chunk_by(|a, b| lc[a.name].as_wire() == lc[b.name].as_wire()) {
        let Some(head) = node.first() else { continue };
        let name = &rec(head.name).name;
        for s in node {
            if s.rtype == Rtype::SOA && lc[s.name] != *origin {
                for &i in &s.members {
                    error(
                        &mut errors,
                        Some(i),
                        format!("SOA record at {name}, which is not the zone apex {origin}"),
                    );
                }
            }
            if (s.rtype == Rtype::CNAME || s.rtype == Rtype::DNAME) && s.members.len() > 1 {
                for &i in s.members.iter().skip(1) {
                    error(&mut errors, Some(i), format!("more than one {} record at {name}", s.rtype));
                }
            }
        }
        if name.labels().skip(1).any(|l| l == b"*") {
            if let Some(first) = node.iter().filter_map(|s| s.members.first().copied()).min() {
                warn(
                    &mut warnings,
                    first,
                    format!(
                        "{name}: `*` is a wildcard only as the first label; here it is an ordinary label (RFC 4592 §2.1.1)"
                    ),
                );
            }
        }
        if let Some(cname) = node.iter().find(|s| s.rtype == Rtype::CNAME) {
            let other = node
                .iter()
                .filter(|s| !matches!(s.rtype, Rtype::CNAME | Rtype::RRSIG | Rtype::NSEC))
                .filter_map(|s| s.members.first().copied())
                .min();
            if let (Some(&c), Some(o)) = (cname.members.first(), other) {
                error(&mut errors, Some(c.max(o)), format!("CNAME and other data at the same name {name}"));
            }
        }
        // Data below a DNAME (RFC 6672 §2.4).
        if !dnames.is_empty() {
            let mut anc = lc[head.name].parent();
            while let Some(a) = anc {
                if !a.is_subdomain_of(origin) {
                    break;
                }
                if is_in(&dnames, &a) {
                    let first = node.iter().filter_map(|s| s.members.first().copied()).min();
                    error(
                        &mut errors,
                        first,
                        format!("{name} is below the DNAME at {a}; no data may be there (RFC 6672 §2.4)"),
                    );
                    break;
                }
                anc = a.parent();
            }
        }
    }

    // NS targets inside the zone need addresses; at or below a cut that is glue.
    let below_cut = |n: &Name| -> Option<Name> {
        let mut cur = Some(n.to_lowercase());
        while let Some(c) = cur {
            if c == *origin || !c.is_subdomain_of(origin) {
                return None;
            }
            if is_in(&cuts, &c) {
                return Some(c);
            }
            cur = c.parent();
        }
        None
    };
    for s in rrsets.iter().filter(|s| s.rtype == Rtype::NS) {
        let owner = &rec(s.name).name;
        for &i in &s.members {
            let Rdata::Ns(target) = &rec(i).rdata else { continue };
            if !target.is_subdomain_of(origin) || has(target, Rtype::A) || has(target, Rtype::AAAA) {
                continue;
            }
            let message = match below_cut(target) {
                Some(cut) => format!(
                    "missing glue: {owner} NS {target} is at or below the zone cut {cut} but has no A or AAAA record"
                ),
                None => {
                    format!("{owner} NS {target}: the name server is in the zone but has no A or AAAA record")
                }
            };
            warn(&mut warnings, i, message);
        }
    }

    let mut kept: Vec<usize> = rrsets.into_iter().flat_map(|s| s.members).collect();
    kept.sort_unstable();
    warnings.sort_by_key(|(i, _)| *i);
    errors.sort_by_key(|(i, _)| *i);
    (kept, warnings.into_iter().map(|(_, w)| w).collect(), errors.into_iter().map(|(_, e)| e).collect())
}
