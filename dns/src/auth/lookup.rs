//! Query bytes to response bytes: parsing the query (RFC 1035 §4.1, RFC 6891 §6),
//! the lookup (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6672, RFC 8482) into a plan
//! of RRsets per section, and writing the plan with compression and truncation.
//!
//! Everything per query lives on the stack: the lowercased query name, the plan
//! (its first [`INLINE_PLAN`] RRsets), the compression table. Only DNAME
//! substitution (its synthesized names) and plans of more RRsets allocate.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::zone::{F_DNAME, NONE, Rr, Zone};
use super::{AnswerOutcome, Catalog, DEFAULT_MAX_UDP};
use crate::rdata::Rtype;

const QR: u16 = 0x8000;
const AA: u16 = 0x0400;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
const AD: u16 = 0x0020;

const OPCODE_QUERY: u16 = 0;
const OPCODE_NOTIFY: u16 = 4;

const NOERROR: u8 = 0;
const FORMERR: u8 = 1;
const NXDOMAIN: u8 = 3;
const NOTIMP: u8 = 4;
const REFUSED: u8 = 5;
const YXDOMAIN: u8 = 6;
const NOTAUTH: u8 = 9;

const CLASS_IN: u16 = 1;
const CLASS_CH: u16 = 3;
const CLASS_ANY: u16 = 255;

const TYPE_OPT: u16 = 41;
const TYPE_TSIG: u16 = 250;
const TYPE_IXFR: u16 = 251;
const TYPE_AXFR: u16 = 252;

/// Sections of the plan, in the order they are written (NSD's order: the apex
/// NS of positive answers after any other authority data, then A before AAAA).
const ANSWER: u8 = 0;
const AUTHORITY: u8 = 1;
const OPT_AUTHORITY: u8 = 2;
const ADD_A: u8 = 3;
const ADD_AAAA: u8 = 4;
const SECTIONS: usize = 5;

/// RRsets of a plan kept on the stack; more go to the heap.
const INLINE_PLAN: usize = 32;
/// RRsets a response can hold (NSD allows more; a plan this full stops adding).
const MAX_PLAN: usize = 1024;
/// Names remembered for compression.
const MAX_COMP: usize = 64;
/// DNAME substitutions per query.
const MAX_SYNTH: usize = 8;
/// Steps (CNAME or DNAME) followed per query.
const MAX_HOPS: u32 = 64;
/// Size above which optional RRsets are left out of UDP responses (NSD's
/// minimal response size for IPv4).
const MINIMAL_RESPONSE: usize = 1232;
/// Largest message over TCP.
const TCP_MAX: usize = 65535;
/// Length of an OPT record without options.
const OPT_LEN: usize = 11;

/// Extended DNS Error codes (RFC 8914 §4) that NSD sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ede {
    /// 0 Other, with NSD's text for a DNAME expansion that is too long.
    DnameTooLong,
    /// 18 Prohibited.
    Prohibited,
    /// 20 Not Authoritative.
    NotAuthoritative,
    /// 21 Not Supported.
    NotSupported,
}

impl Ede {
    fn code_and_text(self) -> (u16, &'static [u8]) {
        match self {
            Ede::DnameTooLong => (0, b"DNAME expansion became too large"),
            Ede::Prohibited => (18, b""),
            Ede::NotAuthoritative => (20, b""),
            Ede::NotSupported => (21, b""),
        }
    }
}

/// A name the engine writes or looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The query name (always at offset 12 of the response).
    Qname,
    /// An entry in a zone's name arena.
    Name(u16, u32),
    /// A name synthesized by DNAME substitution.
    Synth(u8),
}

/// What an entry of the plan writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// An RRset of a zone: (zone, RRset index).
    Set(u16, u32),
    /// A CNAME synthesized from a DNAME: (target synth index, TTL).
    Cname(u8, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    owner: Owner,
    item: Item,
    section: u8,
}

const EMPTY: Entry = Entry { owner: Owner::Qname, item: Item::Set(0, 0), section: 0 };

/// A name made by DNAME substitution: labels (lowercased, as NSD writes them)
/// in front of an arena entry of a zone.
struct Synth {
    prefix: Box<[u8]>,
    zone: u16,
    base: u32,
    /// The whole name, lowercased, in wire form.
    lc: Box<[u8]>,
}

/// A lowercased name in wire form with the offset of each label.
struct NameBuf {
    lc: [u8; 255],
    len: usize,
    loffs: [u8; 128],
    labels: usize,
}

impl NameBuf {
    fn new() -> NameBuf {
        NameBuf { lc: [0; 255], len: 0, loffs: [0; 128], labels: 0 }
    }

    fn wire(&self) -> &[u8] {
        self.lc.get(..self.len).unwrap_or(&[])
    }

    /// Fills from a wire name (uncompressed); false if malformed.
    fn set(&mut self, wire: &[u8]) -> bool {
        let mut i = 0usize;
        self.labels = 0;
        loop {
            let Some(&l) = wire.get(i) else { return false };
            if i >= 255 {
                return false;
            }
            self.lc[i] = 0;
            if l == 0 {
                self.len = i + 1;
                return true;
            }
            let l = usize::from(l);
            let Some(label) = wire.get(i + 1..i + 1 + l) else { return false };
            if l > 63 || i + 1 + l >= 255 || self.labels >= 127 {
                return false;
            }
            self.loffs[self.labels] = i as u8;
            self.labels += 1;
            self.lc[i] = l as u8;
            for (d, s) in self.lc[i + 1..i + 1 + l].iter_mut().zip(label) {
                *d = s.to_ascii_lowercase();
            }
            i += 1 + l;
        }
    }
}

/// The parsed parts of a query that the answer needs.
struct Query<'q> {
    msg: &'q [u8],
    id: u16,
    /// End of the question section (QNAME, QTYPE, QCLASS).
    q_end: usize,
    qname: NameBuf,
    qtype: u16,
    qclass: u16,
}

/// The EDNS state of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edns {
    None,
    Ok { size: u16, dnssec_ok: bool },
    BadVersion,
}

/// Parses the question at offset 12 as NSD does: no compression pointers, the
/// name inside the message and at most 255 bytes. Returns the end offset, QTYPE
/// and QCLASS.
fn parse_question(msg: &[u8], name: &mut NameBuf) -> Option<(usize, u16, u16)> {
    let mut pos = 12usize;
    let mut len = 0usize;
    name.labels = 0;
    loop {
        let l = *msg.get(pos)?;
        if l == 0 {
            break;
        }
        if l & 0xc0 != 0 {
            return None;
        }
        let l = usize::from(l);
        let label = msg.get(pos + 1..pos + 1 + l)?;
        // The label, and the length byte after it, within 255 bytes.
        if len + l + 2 > 255 {
            return None;
        }
        name.loffs[name.labels] = len as u8;
        name.labels += 1;
        name.lc[len] = l as u8;
        for (d, s) in name.lc[len + 1..len + 1 + l].iter_mut().zip(label) {
            *d = s.to_ascii_lowercase();
        }
        len += 1 + l;
        pos += 1 + l;
    }
    name.lc[len] = 0;
    name.len = len + 1;
    pos += 1;
    let t = msg.get(pos..pos + 4)?;
    Some((pos + 4, u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]])))
}

/// Parses an OPT record at `pos` (RFC 6891 §6.1.2) as NSD does: `None` when the
/// record there is not a well-formed OPT; otherwise the state and the offset
/// after the record (after the fixed part only, for a version NSD does not know).
fn parse_opt(msg: &[u8], pos: usize) -> Option<(Edns, usize)> {
    let f = msg.get(pos..pos + OPT_LEN)?;
    if f[0] != 0 || u16::from_be_bytes([f[1], f[2]]) != TYPE_OPT {
        return None;
    }
    let size = u16::from_be_bytes([f[3], f[4]]);
    let version = f[6];
    let dnssec_ok = f[7] & 0x80 != 0;
    let rdlen = usize::from(u16::from_be_bytes([f[9], f[10]]));
    if version != 0 {
        return Some((Edns::BadVersion, pos + OPT_LEN));
    }
    let mut p = pos + OPT_LEN;
    let end = p + rdlen;
    if end > msg.len() || rdlen > 65530 {
        return None;
    }
    // Options: code, length, value; unknown ones are skipped (RFC 6891 §6.1.2).
    while end - p >= 4 {
        let h = msg.get(p..p + 4)?;
        let optlen = usize::from(u16::from_be_bytes([h[2], h[3]]));
        p += 4;
        if end - p < optlen {
            return None;
        }
        p += optlen;
    }
    if p != end {
        return None;
    }
    Some((Edns::Ok { size, dnssec_ok }, end))
}

/// Skips a resource record at `pos` (names may be compressed); the offset after it.
fn skip_rr(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let l = *msg.get(pos)?;
        if l == 0 {
            pos += 1;
            break;
        }
        if l & 0xc0 != 0 {
            msg.get(pos + 1)?;
            pos += 2;
            break;
        }
        msg.get(pos + 1..pos + 1 + usize::from(l))?;
        pos += 1 + usize::from(l);
    }
    let f = msg.get(pos..pos + 10)?;
    let rdlen = usize::from(u16::from_be_bytes([f[8], f[9]]));
    msg.get(pos + 10..pos + 10 + rdlen)?;
    Some(pos + 10 + rdlen)
}

fn put_header(out: &mut Vec<u8>, id: u16, flags: u16, counts: [u16; 4]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        out.extend_from_slice(&c.to_be_bytes());
    }
}

/// Writes an OPT record: our payload size, the extended RCODE, DO as asked, and
/// an Extended DNS Error option if given and it fits under `limit`.
fn put_opt(out: &mut Vec<u8>, size: u16, ext_rcode: u8, dnssec_ok: bool, ede: Option<Ede>, limit: usize) {
    out.extend_from_slice(&[0, 0, 41]);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(&[ext_rcode, 0, if dnssec_ok { 0x80 } else { 0 }, 0]);
    match ede {
        Some(e) if out.len() + 2 + 6 + e.code_and_text().1.len() <= limit => {
            let (code, text) = e.code_and_text();
            out.extend_from_slice(&((6 + text.len()) as u16).to_be_bytes());
            out.extend_from_slice(&15u16.to_be_bytes());
            out.extend_from_slice(&((2 + text.len()) as u16).to_be_bytes());
            out.extend_from_slice(&code.to_be_bytes());
            out.extend_from_slice(text);
        }
        _ => out.extend_from_slice(&[0, 0]),
    }
}

/// A response that is only a header: the id, `flags`, and zero counts.
fn header_only(out: &mut Vec<u8>, id: u16, flags: u16) -> AnswerOutcome {
    put_header(out, id, flags, [0; 4]);
    AnswerOutcome::Respond
}

pub(crate) fn answer(cat: &Catalog, msg: &[u8], max_udp: Option<u16>, out: &mut Vec<u8>) -> AnswerOutcome {
    out.clear();
    let Some(h) = msg.first_chunk::<12>() else { return AnswerOutcome::Drop };
    let word = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    let (id, flags) = (word(0), word(2));
    let (qdcount, ancount, nscount, arcount) = (word(4), word(6), word(8), word(10));
    if flags & QR != 0 {
        return AnswerOutcome::Drop;
    }
    let opcode = (flags >> 11) & 0xf;
    if opcode != OPCODE_QUERY && opcode != OPCODE_NOTIFY {
        return header_only(out, id, ((flags | QR) & !AD & !0xf) | u16::from(NOTIMP));
    }
    let formerr = QR | (flags & RD) | (opcode << 11) | u16::from(FORMERR);
    let mut qname = NameBuf::new();
    if flags & 0xf != 0 {
        return header_only(out, id, formerr);
    }
    let Some((q_end, qtype, qclass)) = parse_question(msg, &mut qname) else {
        return header_only(out, id, formerr);
    };
    if opcode == OPCODE_NOTIFY {
        // No notify is accepted (RFC 1996): NSD's answers without an allow-notify.
        let error = |rcode: u8| ((flags | QR) & !AD & !0xf) | u16::from(rcode);
        if !cat.zone_exact(qname.wire()) {
            return header_only(out, id, error(NXDOMAIN));
        }
        let rcode = match last_record(msg, qdcount, ancount, nscount, arcount) {
            _ if arcount == 0 => REFUSED,
            None => FORMERR,
            Some(p) if is_tsig(msg, p) => NOTAUTH,
            Some(_) => REFUSED,
        };
        return header_only(out, id, error(rcode));
    }
    let adv = max_udp.unwrap_or(DEFAULT_MAX_UDP);
    if qdcount != 1 {
        // A query of only an OPT record (an EDNS probe): NSD answers NOERROR with an OPT.
        if qdcount == 0
            && ancount == 0
            && nscount == 0
            && arcount == 1
            && let Some((Edns::Ok { dnssec_ok, .. }, _)) = parse_opt(msg, 12)
        {
            put_header(out, id, QR | (flags & RD) | (opcode << 11), [0, 0, 0, 1]);
            put_opt(out, adv, 0, dnssec_ok, None, 0);
            return AnswerOutcome::Respond;
        }
        return header_only(out, id, QR | u16::from(FORMERR));
    }
    if ancount != 0 || (qtype != TYPE_IXFR && nscount != 0) {
        return header_only(out, id, formerr);
    }
    let mut pos = q_end;
    if qtype == TYPE_IXFR && nscount > 0 {
        if nscount > 64 {
            return header_only(out, id, formerr);
        }
        for _ in 0..nscount {
            match skip_rr(msg, pos) {
                Some(p) => pos = p,
                None => return header_only(out, id, formerr),
            }
        }
    }
    let mut arcount = arcount;
    let mut edns = Edns::None;
    if arcount > 0
        && let Some((e, p)) = parse_opt(msg, pos)
    {
        edns = e;
        pos = p;
        arcount -= 1;
    }
    if arcount > 0 {
        // A TSIG record: no key is known (RFC 8945 §5.2.1 says BADKEY; the TSIG
        // record of the error is not written). Anything else: FORMERR.
        if is_tsig(msg, pos) {
            return header_only(out, id, ((flags | QR) & !AD & !0xf) | u16::from(NOTAUTH));
        }
        return header_only(out, id, formerr);
    }
    let q = Query { msg, id, q_end, qname, qtype, qclass };
    if edns == Edns::BadVersion {
        // BADVERS (RFC 6891 §6.1.3): extended RCODE 1 over RCODE 0; the question is
        // echoed and the query's flags kept, as NSD does.
        put_header(out, id, (flags | QR) & !AD & !0xf, [1, 0, 0, 1]);
        out.extend_from_slice(msg.get(12..q_end).unwrap_or(&[]));
        put_opt(out, adv, 1, false, None, 0);
        return AnswerOutcome::Respond;
    }
    let udp = max_udp.is_some();
    let (limit, reserve) = match (max_udp, edns) {
        (None, Edns::Ok { .. }) => (TCP_MAX, OPT_LEN),
        (None, _) => (TCP_MAX, 0),
        (Some(cap), Edns::Ok { size, .. }) if size > 512 => (usize::from(size.min(cap)).max(512), OPT_LEN),
        (Some(_), Edns::Ok { .. }) => (512, OPT_LEN),
        (Some(_), _) => (512, 0),
    };
    out.reserve(limit);
    let mut eng = Engine::new(cat, &q);
    let base_flags = QR | (flags & RD);
    let mut keep_question = true;
    match qclass {
        CLASS_IN | CLASS_ANY => match qtype {
            TYPE_AXFR if udp => eng.rcode = NOTIMP,
            TYPE_AXFR | TYPE_IXFR => {
                if cat.zone_exact(q.qname.wire()) {
                    eng.rcode = REFUSED;
                    eng.ede = Some(Ede::Prohibited);
                } else {
                    eng.rcode = NOTAUTH;
                }
            }
            _ => eng.run(),
        },
        CLASS_CH => {
            eng.rcode = REFUSED;
            let name = q.qname.wire();
            let known = [
                &b"\x02id\x06server\x00"[..],
                b"\x08hostname\x04bind\x00",
                b"\x07version\x06server\x00",
                b"\x07version\x04bind\x00",
            ]
            .contains(&name);
            eng.ede =
                Some(if known && matches!(qtype, 16 | 255) { Ede::Prohibited } else { Ede::NotSupported });
        }
        _ => {
            eng.rcode = REFUSED;
            eng.ede = Some(Ede::NotSupported);
            keep_question = false;
        }
    }
    let mut w = Writer {
        cat,
        out,
        limit: limit - reserve,
        udp,
        comp_keys: [0; MAX_COMP],
        comp_offs: [0; MAX_COMP],
        ncomp: 0,
    };
    let (counts, tc) = w.write(&eng, &q, keep_question, base_flags);
    let out = w.out;
    let mut hflags = base_flags | u16::from(eng.rcode & 0xf);
    if eng.aa {
        hflags |= AA;
    }
    if tc {
        hflags |= TC;
    }
    let mut arcount = counts[ADD_A as usize] + counts[ADD_AAAA as usize];
    if let Edns::Ok { dnssec_ok, .. } = edns {
        put_opt(out, adv, eng.rcode >> 4, dnssec_ok, eng.ede, limit);
        arcount += 1;
    }
    let hdr = [
        id.to_be_bytes(),
        hflags.to_be_bytes(),
        u16::from(keep_question).to_be_bytes(),
        counts[ANSWER as usize].to_be_bytes(),
        (counts[AUTHORITY as usize] + counts[OPT_AUTHORITY as usize]).to_be_bytes(),
        arcount.to_be_bytes(),
    ];
    for (i, b) in hdr.iter().enumerate() {
        if let Some(d) = out.get_mut(2 * i..2 * i + 2) {
            d.copy_from_slice(b);
        }
    }
    AnswerOutcome::Respond
}

/// True when a TSIG record (type TSIG, class ANY; RFC 8945 §4.2) starts at `pos`.
fn is_tsig(msg: &[u8], pos: usize) -> bool {
    skip_name(msg, pos)
        .and_then(|p| msg.get(p..p + 10))
        .is_some_and(|f| f[0..2] == TYPE_TSIG.to_be_bytes() && f[2..4] == CLASS_ANY.to_be_bytes())
}

/// The offset of the last record of the message (after the questions and all
/// other records), if every one before it is well formed.
fn last_record(msg: &[u8], qd: u16, an: u16, ns: u16, ar: u16) -> Option<usize> {
    let total = usize::from(qd) + usize::from(an) + usize::from(ns) + usize::from(ar);
    let mut pos = 12usize;
    for i in 0..total.checked_sub(1)? {
        pos = if i < usize::from(qd) {
            let p = skip_name(msg, pos)?;
            msg.get(p..p + 4)?;
            p + 4
        } else {
            skip_rr(msg, pos)?
        };
    }
    Some(pos)
}

/// Skips a (possibly compressed) name at `pos`; the offset after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let l = *msg.get(pos)?;
        if l == 0 {
            return Some(pos + 1);
        }
        if l & 0xc0 != 0 {
            msg.get(pos + 1)?;
            return Some(pos + 2);
        }
        pos += 1 + usize::from(l);
    }
}

impl Catalog {
    /// True when the lowercased wire name is the origin of a served zone.
    fn zone_exact(&self, lc: &[u8]) -> bool {
        let mut n = NameBuf::new();
        n.set(lc)
            && self.find_zone(n.wire(), &n.loffs[..n.labels], n.labels).is_some_and(|(_, below)| below == 0)
    }
}

/// The lookup: builds the plan of RRsets per section, the RCODE and AA.
struct Engine<'a> {
    cat: &'a Catalog,
    q: &'a Query<'a>,
    qtype: Rtype,
    class_any: bool,
    minimal: bool,
    plan: [Entry; INLINE_PLAN],
    nplan: usize,
    /// Entries after the first [`INLINE_PLAN`].
    more: Vec<Entry>,
    aa: bool,
    rcode: u8,
    ede: Option<Ede>,
    cname_count: u32,
    /// The last lookup found a zone cut above the name (for NSD's TC rule).
    delegation: bool,
    synth: Vec<Synth>,
    /// Zone and node the query name itself was found at (its closest encloser),
    /// for compression against the question.
    first: Option<(u16, u32)>,
}

impl<'a> Engine<'a> {
    fn new(cat: &'a Catalog, q: &'a Query<'a>) -> Engine<'a> {
        Engine {
            cat,
            q,
            qtype: Rtype(q.qtype),
            class_any: q.qclass == CLASS_ANY,
            minimal: cat.options.minimal_responses,
            plan: [EMPTY; INLINE_PLAN],
            nplan: 0,
            more: Vec::new(),
            aa: false,
            rcode: NOERROR,
            ede: None,
            cname_count: 0,
            delegation: false,
            synth: Vec::new(),
            first: None,
        }
    }

    /// The plan's entries, in the order added.
    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.plan[..self.nplan].iter().chain(self.more.iter())
    }

    fn zone(&self, z: usize) -> &'a Zone {
        &self.cat.zones[z]
    }

    /// Answers the query name, then follows CNAMEs and DNAMEs.
    fn run(&mut self) {
        let mut cur = Owner::Qname;
        let mut hops = 0;
        while let Some(next) = self.lookup_zone(cur) {
            hops += 1;
            if hops > MAX_HOPS {
                break;
            }
            cur = next;
        }
    }

    /// Adds an entry, or moves an RRset already planned to an earlier section
    /// (NSD's `answer_add_rrset`). False when it was already there (or the plan
    /// is full).
    fn add(&mut self, section: u8, owner: Owner, item: Item) -> bool {
        for e in self.plan[..self.nplan].iter_mut().chain(self.more.iter_mut()) {
            if e.item == item && e.owner == owner {
                if section < e.section {
                    e.section = section;
                    return true;
                }
                return false;
            }
        }
        let e = Entry { owner, item, section };
        if self.nplan < INLINE_PLAN {
            self.plan[self.nplan] = e;
            self.nplan += 1;
        } else if self.more.len() < MAX_PLAN - INLINE_PLAN {
            self.more.push(e);
        } else {
            return false;
        }
        true
    }

    /// Adds an RRset and, for NS, MX and SRV, the addresses of the names they
    /// point at (RFC 1034 §4.3.2 step 6; NSD's `add_rrset`).
    fn add_rrset(&mut self, section: u8, owner: Owner, z: usize, set: u32) -> bool {
        if set == NONE {
            return false;
        }
        let added = self.add(section, owner, Item::Set(z as u16, set));
        if self.minimal && section != AUTHORITY && self.qtype != Rtype::NS {
            return added;
        }
        let zone = self.zone(z);
        let rrset = &zone.rrsets[set as usize];
        let allow_glue = match rrset.rtype {
            Rtype::NS => true,
            Rtype::MX | Rtype::SRV => false,
            _ => return added,
        };
        let (start, len) = rrset.rrs;
        for r in start..start + len {
            let Some(add) = zone.adds.get(zone.rrs[r as usize].add as usize) else { continue };
            if !allow_glue && add.glue {
                continue;
            }
            let owner = Owner::Name(z as u16, add.owner);
            if add.a != NONE {
                self.add(ADD_A, owner, Item::Set(z as u16, add.a));
            }
            if add.aaaa != NONE {
                self.add(ADD_AAAA, owner, Item::Set(z as u16, add.aaaa));
            }
        }
        added
    }

    /// The SOA for a negative answer (RFC 2308 §3), except for class ANY.
    fn nodata(&mut self, z: usize) {
        if !self.class_any {
            let zone = self.zone(z);
            self.add_rrset(AUTHORITY, Owner::Name(z as u16, zone.nodes[0].name), z, zone.soa_nx);
        }
    }

    /// Fills `buf` with the lowercased name `cur`.
    fn materialize(&self, cur: Owner, buf: &mut NameBuf) -> bool {
        match cur {
            Owner::Qname => {
                buf.lc = self.q.qname.lc;
                buf.len = self.q.qname.len;
                buf.loffs = self.q.qname.loffs;
                buf.labels = self.q.qname.labels;
                true
            }
            Owner::Name(z, id) => {
                let (len, labels) = self.zone(usize::from(z)).name_lc(id, &mut buf.lc, &mut buf.loffs);
                buf.len = len;
                buf.labels = labels;
                true
            }
            Owner::Synth(i) => match self.synth.get(usize::from(i)) {
                Some(s) => buf.set(&s.lc),
                None => false,
            },
        }
    }

    /// The zone for `cur` (longest match), the closest encloser in it and
    /// whether it is the name itself.
    fn locate(&self, cur: Owner) -> Option<(usize, u32, bool)> {
        if let Owner::Qname = cur {
            let n = &self.q.qname;
            let (z, below) = self.cat.find_zone(n.wire(), &n.loffs[..n.labels], n.labels)?;
            let (node, exact) = self.zone(z).find(n.wire(), &n.loffs[..n.labels], below);
            return Some((z, node, exact));
        }
        if let Owner::Name(z, id) = cur
            && !self.cat.nested[usize::from(z)]
            && let Some((node, exact)) = self.zone(usize::from(z)).closest_node(id)
        {
            return Some((usize::from(z), node, exact));
        }
        let mut n = NameBuf::new();
        if !self.materialize(cur, &mut n) {
            return None;
        }
        let (z, below) = self.cat.find_zone(n.wire(), &n.loffs[..n.labels], n.labels)?;
        let (node, exact) = self.zone(z).find(n.wire(), &n.loffs[..n.labels], below);
        Some((z, node, exact))
    }

    /// NSD's `answer_lookup_zone`: zone, DS at a cut, delegation or authority.
    /// Returns the next name to look up (CNAME or DNAME target), if any.
    fn lookup_zone(&mut self, cur: Owner) -> Option<Owner> {
        let Some((mut z, mut node, exact)) = self.locate(cur) else {
            if self.cname_count == 0 {
                self.rcode = REFUSED;
                self.ede = Some(Ede::NotAuthoritative);
            }
            return None;
        };
        if cur == Owner::Qname {
            self.first = Some((z as u16, node));
        }
        if exact && self.qtype == Rtype::DS && node == 0 {
            // DS at a zone apex is the parent's data (RFC 4035 §3.1.4.1).
            let Some(parent) = self.cat.parent[z] else {
                self.aa = !self.class_any;
                self.nodata(z);
                return None;
            };
            let p = usize::from(parent);
            let mut n = NameBuf::new();
            if !self.materialize(cur, &mut n) {
                return None;
            }
            let below = n.labels - self.zone(p).origin().label_count();
            let (pnode, pexact) = self.zone(p).find(n.wire(), &n.loffs[..n.labels], below);
            if cur == Owner::Qname {
                self.first = Some((parent, pnode));
            }
            if !pexact {
                // The name exists (as the child's apex) but the parent has no data there.
                let deleg = self.deleg(p, pnode);
                self.delegation = deleg != NONE;
                if deleg != NONE {
                    self.referral(p, deleg);
                } else {
                    self.aa = !self.class_any;
                    self.nodata(p);
                }
                return None;
            }
            z = p;
            node = pnode;
        }
        let deleg = self.deleg(z, node);
        self.delegation = deleg != NONE;
        if deleg == NONE || (exact && self.qtype == Rtype::DS && node == deleg) {
            self.aa = !self.class_any;
            self.authoritative(z, node, exact, cur)
        } else {
            self.referral(z, deleg);
            None
        }
    }

    /// The highest zone cut at or above `node`, unless a DNAME above it wins.
    fn deleg(&self, z: usize, node: u32) -> u32 {
        let zone = self.zone(z);
        let d = zone.nodes[node as usize].deleg;
        if d != NONE && zone.nodes[d as usize].dname_above != NONE { NONE } else { d }
    }

    /// A referral (RFC 1034 §4.3.2 step 3b): the cut's NS RRset in the authority
    /// section, glue in the additional section; AA only after a CNAME.
    fn referral(&mut self, z: usize, deleg: u32) {
        self.aa = self.cname_count != 0;
        let zone = self.zone(z);
        let ns = zone.find_rrset(deleg, Rtype::NS).unwrap_or(NONE);
        self.add_rrset(AUTHORITY, Owner::Name(z as u16, zone.nodes[deleg as usize].name), z, ns);
    }

    /// NSD's `answer_authoritative`: exact match, DNAME, wildcard or NXDOMAIN.
    fn authoritative(&mut self, z: usize, mut ce: u32, mut exact: bool, cur: Owner) -> Option<Owner> {
        let zone = self.zone(z);
        let above = zone.nodes[ce as usize].dname_above;
        if above != NONE {
            // A DNAME above occludes everything below it (RFC 6672 §2.3).
            ce = above;
            exact = false;
        }
        let n = &zone.nodes[ce as usize];
        let (node, owner) = if exact {
            (ce, Owner::Name(z as u16, n.name))
        } else if n.flags & F_DNAME != 0 {
            return self.dname(z, ce, cur);
        } else if n.wildcard != NONE {
            (n.wildcard, cur)
        } else {
            self.rcode = NXDOMAIN;
            self.nodata(z);
            return None;
        };
        self.answer_domain(z, node, owner)
    }

    /// NSD's `answer_domain`: the RRset asked for, a CNAME, or NODATA.
    fn answer_domain(&mut self, z: usize, node: u32, owner: Owner) -> Option<Owner> {
        let zone = self.zone(z);
        if self.qtype == Rtype::ANY {
            // RFC 8482 §4.1: one RRset. Like NSD: the first of A, AAAA, SOA, MX, PTR;
            // else the last other one; else the last DNSKEY, RRSIG or NSEC.
            let (start, len) = zone.nodes[node as usize].rrsets;
            let (mut preferred, mut normal, mut other) = (NONE, NONE, NONE);
            for s in start..start + len {
                match zone.rrsets[s as usize].rtype {
                    Rtype::NSEC3 => {}
                    Rtype::A | Rtype::AAAA | Rtype::SOA | Rtype::MX | Rtype::PTR => {
                        preferred = s;
                        break;
                    }
                    Rtype::DNSKEY | Rtype::RRSIG | Rtype::NSEC => other = s,
                    _ => normal = s,
                }
            }
            let pick = [preferred, normal, other].into_iter().find(|&s| s != NONE);
            match pick {
                Some(s) => {
                    self.add_rrset(ANSWER, owner, z, s);
                }
                None => self.nodata(z),
            }
            return None;
        }
        if self.qtype == Rtype::NSEC3 {
            self.nodata(z);
            return None;
        }
        if let Some(s) = zone.find_rrset(node, self.qtype) {
            self.add_rrset(ANSWER, owner, z, s);
        } else if let Some(s) = zone.find_rrset(node, Rtype::CNAME) {
            if !self.add_rrset(ANSWER, owner, z, s) {
                // Already in the answer: a loop.
                return None;
            }
            self.cname_count += 1;
            let (start, _) = zone.rrsets[s as usize].rrs;
            let target = zone.rrs[start as usize].target;
            return (target != NONE).then_some(Owner::Name(z as u16, target));
        } else {
            self.nodata(z);
            return None;
        }
        if !self.class_any
            && zone.apex_ns != NONE
            && !matches!(self.qtype, Rtype::DNSKEY | Rtype::DS)
            && !self.minimal
        {
            self.add_rrset(OPT_AUTHORITY, Owner::Name(z as u16, zone.nodes[0].name), z, zone.apex_ns);
        }
        None
    }

    /// DNAME substitution (RFC 6672 §3.2): the DNAME, a CNAME from `cur` to the
    /// new name with the DNAME's TTL, then the new name.
    fn dname(&mut self, z: usize, ce: u32, cur: Owner) -> Option<Owner> {
        let zone = self.zone(z);
        let set = zone.find_rrset(ce, Rtype::DNAME)?;
        let src = zone.nodes[ce as usize].name;
        let added = self.add_rrset(ANSWER, Owner::Name(z as u16, src), z, set);
        let rr: &Rr = &zone.rrs[zone.rrsets[set as usize].rrs.0 as usize];
        let wire = zone.wire(rr);
        let target = wire.get(10..).unwrap_or(&[]);
        let ttl = wire.get(4..8).map_or(0, |t| u32::from_be_bytes([t[0], t[1], t[2], t[3]]));
        let mut src_name = NameBuf::new();
        let (slen, slabels) = zone.name_lc(src, &mut src_name.lc, &mut src_name.loffs);
        let src_wire = src_name.lc.get(..slen).unwrap_or(&[]);
        if !added && is_subdomain(target, src_wire) {
            return None;
        }
        let mut from = NameBuf::new();
        if !self.materialize(cur, &mut from) || from.labels <= slabels {
            return None;
        }
        let cut = usize::from(from.loffs[from.labels - slabels]);
        let prefix = from.lc.get(..cut).unwrap_or(&[]);
        if prefix.len() + target.len() > 255 {
            self.rcode = YXDOMAIN;
            self.ede = Some(Ede::DnameTooLong);
            return None;
        }
        self.cname_count += 1;
        let mut lc = Vec::with_capacity(prefix.len() + target.len());
        lc.extend_from_slice(prefix);
        lc.extend(target.iter().map(u8::to_ascii_lowercase));
        // The same CNAME synthesized before: a DNAME loop.
        for e in self.entries() {
            if let Item::Cname(i, _) = e.item
                && e.owner == cur
                && self.synth.get(usize::from(i)).is_some_and(|s| *s.lc == *lc)
            {
                return None;
            }
        }
        if self.synth.len() >= MAX_SYNTH {
            return None;
        }
        // Written as NSD does: the prefix labels, then the deepest name of the
        // zone the new name ends in, compressed.
        let (base, left) = zone.descend(rr.target, prefix);
        let i = self.synth.len() as u8;
        self.synth.push(Synth {
            prefix: prefix.get(..left).unwrap_or(&[]).into(),
            zone: z as u16,
            base,
            lc: lc.into_boxed_slice(),
        });
        if !self.add(ANSWER, cur, Item::Cname(i, ttl)) {
            return None;
        }
        if self.qtype == Rtype::CNAME {
            return None;
        }
        Some(Owner::Synth(i))
    }
}

/// True when the wire name `name` is `zone` or below it (`zone` lowercased).
fn is_subdomain(name: &[u8], zone: &[u8]) -> bool {
    let mut i = 0usize;
    loop {
        let Some(rest) = name.get(i..) else { return false };
        if rest.len() == zone.len() {
            return rest.eq_ignore_ascii_case(zone);
        }
        if rest.len() < zone.len() {
            return false;
        }
        match rest.first() {
            Some(&l) if l != 0 => i += 1 + usize::from(l),
            _ => return false,
        }
    }
}

/// Writes the plan into the response buffer.
struct Writer<'a, 'o> {
    cat: &'a Catalog,
    out: &'o mut Vec<u8>,
    /// Bytes the records may fill (the OPT record's room kept aside).
    limit: usize,
    udp: bool,
    comp_keys: [u64; MAX_COMP],
    comp_offs: [u16; MAX_COMP],
    ncomp: usize,
}

/// Compression keys of synthesized names (zone numbers stop at 0xffff).
const SYNTH_KEY: u64 = 0x1_0000_0000_0000;

fn comp_key(z: u16, id: u32) -> u64 {
    (u64::from(z) << 32) | u64::from(id)
}

impl Writer<'_, '_> {
    /// Header placeholder, question, then the sections with NSD's truncation
    /// rules. Returns the record counts per section and the TC bit.
    fn write(
        &mut self,
        eng: &Engine<'_>,
        q: &Query<'_>,
        question: bool,
        flags: u16,
    ) -> ([u16; SECTIONS], bool) {
        put_header(self.out, q.id, flags, [0; 4]);
        let mut counts = [0u16; SECTIONS];
        if !question {
            return (counts, false);
        }
        self.out.extend_from_slice(q.msg.get(12..q.q_end).unwrap_or(&[]));
        if let Some((z, node)) = eng.first {
            self.remember_qname(z, node, &q.qname);
        }
        let mut tc = false;
        let mut done = false;
        for section in 0..SECTIONS as u8 {
            if tc {
                break;
            }
            for e in eng.entries() {
                if tc {
                    break;
                }
                if e.section != section {
                    continue;
                }
                let mark = (self.out.len(), self.ncomp);
                let (added, all) = self.rrset(eng, e);
                let mut n = added;
                if (!all || self.out.len() > MINIMAL_RESPONSE) && self.udp && section >= OPT_AUTHORITY {
                    self.rewind(mark);
                    n = 0;
                    done = true;
                }
                if !all && section <= AUTHORITY {
                    self.rewind(mark);
                    tc = true;
                    n = 0;
                }
                counts[usize::from(section)] += n;
            }
            if done {
                if section == ADD_A && counts[usize::from(ADD_A)] == 0 && eng.delegation {
                    tc = true;
                }
                break;
            }
        }
        (counts, tc)
    }

    fn rewind(&mut self, (len, ncomp): (usize, usize)) {
        self.out.truncate(len);
        self.ncomp = ncomp;
    }

    /// Registers the closest encloser of the query name and its ancestors at
    /// their offsets in the question, so that names below them point there.
    fn remember_qname(&mut self, z: u16, node: u32, qname: &NameBuf) {
        let zone = &self.cat.zones[usize::from(z)];
        let mut id = zone.nodes[node as usize].name;
        while let Some(e) = zone.names.get(id as usize) {
            if e.parent == NONE {
                break;
            }
            let Some(label) = qname.labels.checked_sub(usize::from(e.labels)) else { break };
            let Some(&off) = qname.loffs.get(label) else { break };
            self.remember(comp_key(z, id), 12 + usize::from(off));
            id = e.parent;
        }
    }

    fn remember(&mut self, key: u64, off: usize) {
        if off <= 0x3fff && self.ncomp < MAX_COMP {
            self.comp_keys[self.ncomp] = key;
            self.comp_offs[self.ncomp] = off as u16;
            self.ncomp += 1;
        }
    }

    /// Writes arena name `id` of zone `z`, compressed.
    fn name(&mut self, z: u16, mut id: u32) {
        let zone = &self.cat.zones[usize::from(z)];
        loop {
            let Some(e) = zone.names.get(id as usize) else {
                self.out.push(0);
                return;
            };
            if e.parent == NONE {
                self.out.push(0);
                return;
            }
            let key = comp_key(z, id);
            if let Some(i) = self.comp_keys[..self.ncomp].iter().position(|&k| k == key) {
                self.out.extend_from_slice(&(0xc000 | self.comp_offs[i]).to_be_bytes());
                return;
            }
            let here = self.out.len();
            self.remember(key, here);
            self.out.extend_from_slice(zone.label(e));
            id = e.parent;
        }
    }

    fn owner(&mut self, eng: &Engine<'_>, owner: Owner) {
        match owner {
            Owner::Qname => self.out.extend_from_slice(&[0xc0, 12]),
            Owner::Name(z, id) => self.name(z, id),
            Owner::Synth(i) => self.synth(eng, i),
        }
    }

    /// Writes a synthesized name: a pointer if written before, else its prefix
    /// labels and its base name.
    fn synth(&mut self, eng: &Engine<'_>, i: u8) {
        let Some(s) = eng.synth.get(usize::from(i)) else {
            self.out.push(0);
            return;
        };
        let key = SYNTH_KEY | u64::from(i);
        if let Some(k) = self.comp_keys[..self.ncomp].iter().position(|&k| k == key) {
            self.out.extend_from_slice(&(0xc000 | self.comp_offs[k]).to_be_bytes());
            return;
        }
        if !s.prefix.is_empty() {
            let here = self.out.len();
            self.remember(key, here);
            self.out.extend_from_slice(&s.prefix);
        }
        self.name(s.zone, s.base);
    }

    /// Writes one plan entry; returns the records written and whether all were.
    fn rrset(&mut self, eng: &Engine<'_>, e: &Entry) -> (u16, bool) {
        match e.item {
            Item::Set(z, set) => {
                let zone = &self.cat.zones[usize::from(z)];
                let (start, len) = zone.rrsets[set as usize].rrs;
                let mut added = 0u16;
                for r in start..start + len {
                    if !self.rr(eng, e.owner, z, &zone.rrs[r as usize]) {
                        return (added, false);
                    }
                    added += 1;
                }
                (added, true)
            }
            Item::Cname(i, ttl) => {
                let mark = (self.out.len(), self.ncomp);
                self.owner(eng, e.owner);
                self.out.extend_from_slice(&[0, 5, 0, 1]);
                self.out.extend_from_slice(&ttl.to_be_bytes());
                let rdlen_at = self.out.len();
                self.out.extend_from_slice(&[0, 0]);
                self.synth(eng, i);
                let rdlen = (self.out.len() - rdlen_at - 2) as u16;
                if let Some(d) = self.out.get_mut(rdlen_at..rdlen_at + 2) {
                    d.copy_from_slice(&rdlen.to_be_bytes());
                }
                if self.out.len() > self.limit {
                    self.rewind(mark);
                    return (0, false);
                }
                (1, true)
            }
        }
    }

    /// Writes one record with its owner; false (and nothing written) if it does
    /// not fit.
    fn rr(&mut self, eng: &Engine<'_>, owner: Owner, z: u16, rr: &Rr) -> bool {
        let mark = (self.out.len(), self.ncomp);
        self.owner(eng, owner);
        let wire = self.cat.zones[usize::from(z)].wire(rr);
        if rr.nnames == 0 {
            self.out.extend_from_slice(wire);
        } else {
            self.out.extend_from_slice(wire.get(..8).unwrap_or(&[]));
            let rdlen_at = self.out.len();
            self.out.extend_from_slice(&[0, 0]);
            let mut pos = 10usize;
            for np in rr.names.iter().take(usize::from(rr.nnames)) {
                let at = usize::from(np.at);
                self.out.extend_from_slice(wire.get(pos..at).unwrap_or(&[]));
                self.name(z, np.id);
                pos = at + usize::from(np.len);
            }
            self.out.extend_from_slice(wire.get(pos..).unwrap_or(&[]));
            let rdlen = (self.out.len() - rdlen_at - 2) as u16;
            if let Some(d) = self.out.get_mut(rdlen_at..rdlen_at + 2) {
                d.copy_from_slice(&rdlen.to_be_bytes());
            }
        }
        if self.out.len() > self.limit {
            self.rewind(mark);
            return false;
        }
        true
    }
}
