//! Whole DNS messages (RFC 1035 §4.1): questions, resource records, the EDNS(0)
//! OPT pseudo-record (RFC 6891 §6), and the allocation-free [`ResponseWriter`]
//! used on the answer hot path.
//!
//! ## Wire format
//!
//! ```text
//! header (12) | question* | answer RR* | authority RR* | additional RR*
//! question = QNAME QTYPE(2) QCLASS(2)
//! RR       = NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA
//! OPT RR   = 0 (root) | 41 | udp payload size | ext-rcode(1) version(1) DO|Z(2) | RDLENGTH | {code(2) len(2) value}*
//! ```

use alloc::vec::Vec;

use crate::header::Header;
use crate::name::Name;
use crate::rdata::{Class, Rdata, Rtype};
use crate::wire::{Compressor, Reader, WireError};

/// A question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// The name asked about.
    pub qname: Name,
    /// The type asked for.
    pub qtype: Rtype,
    /// The class asked for.
    pub qclass: Class,
}

impl Question {
    /// Decodes a question at `msg[*pos..]`, leaving `*pos` after it.
    pub fn decode(msg: &[u8], pos: &mut usize) -> Result<Question, WireError> {
        let qname = Name::decode(msg, pos)?;
        let mut r = Reader::with_limit(msg, *pos, msg.len());
        let qtype = Rtype(r.u16("QTYPE")?);
        let qclass = Class(r.u16("QCLASS")?);
        *pos = r.pos();
        Ok(Question { qname, qtype, qclass })
    }

    /// Appends the question, compressing the name.
    pub fn encode(&self, buf: &mut Vec<u8>, compressor: &mut Compressor) {
        compressor.write_name(buf, &self.qname, true);
        buf.extend_from_slice(&self.qtype.0.to_be_bytes());
        buf.extend_from_slice(&self.qclass.0.to_be_bytes());
    }
}

/// A resource record (RFC 1035 §4.1.3); its type is `rdata.rtype()`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// Class.
    pub class: Class,
    /// Time to live, seconds.
    pub ttl: u32,
    /// The data.
    pub rdata: Rdata,
}

impl Record {
    /// The record type (`self.rdata.rtype()`).
    pub fn rtype(&self) -> Rtype {
        self.rdata.rtype()
    }

    /// Decodes a record at `msg[*pos..]`, leaving `*pos` after it. An OPT record
    /// decodes as [`Rdata::Unknown`] (see [`Edns::from_record`]). A and AAAA in
    /// classes other than IN are class-specific (RFC 3597 §4) and are kept
    /// opaque, as is the empty RDATA of class ANY or NONE (RFC 2136 §2.5).
    pub fn decode(msg: &[u8], pos: &mut usize) -> Result<Record, WireError> {
        let name = Name::decode(msg, pos)?;
        let mut r = Reader::with_limit(msg, *pos, msg.len());
        let rtype = Rtype(r.u16("TYPE")?);
        let class = Class(r.u16("CLASS")?);
        let ttl = r.u32("TTL")?;
        let rdlen = r.u16("RDLENGTH")?;
        let mut p = r.pos();
        let rdata = if rdlen == 0 && matches!(class, Class::ANY | Class::NONE) {
            // RFC 2136 §2.5.2–§2.5.4: empty RDATA in UPDATE prerequisites and deletions.
            Rdata::Unknown { rtype, data: Vec::new() }
        } else if class != Class::IN && matches!(rtype, Rtype::A | Rtype::AAAA) {
            Rdata::decode(Rtype(0), msg, &mut p, rdlen)
                .map(|d| match d {
                    Rdata::Unknown { data, .. } => Rdata::Unknown { rtype, data },
                    other => other,
                })
                .map_err(|e| match e {
                    WireError::BadRdata { offset, reason, .. } => {
                        WireError::BadRdata { rtype, offset, reason }
                    }
                    other => other,
                })?
        } else {
            Rdata::decode(rtype, msg, &mut p, rdlen)?
        };
        *pos = p;
        Ok(Record { name, class, ttl, rdata })
    }

    /// Appends the record; the owner name is compressed, names in RDATA as
    /// [`Rdata::encode`] says.
    pub fn encode(&self, buf: &mut Vec<u8>, compressor: &mut Compressor) {
        encode_record(buf, compressor, &self.name, self.class, self.ttl, &self.rdata);
    }
}

/// Writes one record; returns false (and writes nothing) if the RDATA would not
/// fit in the 16-bit RDLENGTH.
fn encode_record(
    buf: &mut Vec<u8>,
    compressor: &mut Compressor,
    name: &Name,
    class: Class,
    ttl: u32,
    rdata: &Rdata,
) -> bool {
    let start = buf.len();
    let mark = compressor.mark();
    compressor.write_name(buf, name, true);
    let mut fixed = [0u8; 10];
    fixed[0..2].copy_from_slice(&rdata.rtype().0.to_be_bytes());
    fixed[2..4].copy_from_slice(&class.0.to_be_bytes());
    fixed[4..8].copy_from_slice(&ttl.to_be_bytes());
    buf.extend_from_slice(&fixed);
    let rd_start = buf.len();
    rdata.encode(buf, compressor);
    let rdlen = buf.len() - rd_start;
    match u16::try_from(rdlen) {
        Ok(len) => {
            buf[rd_start - 2..rd_start].copy_from_slice(&len.to_be_bytes());
            true
        }
        Err(_) => {
            buf.truncate(start);
            compressor.truncate(mark);
            false
        }
    }
}

/// The EDNS(0) parameters carried by an OPT pseudo-record (RFC 6891 §6.1).
///
/// The Z bits other than DO are ignored on decode and sent as zero (RFC 6891
/// §6.1.4); options are kept raw, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Edns {
    /// Requestor's UDP payload size (the OPT record's CLASS field).
    pub udp_payload_size: u16,
    /// Upper 8 bits of the 12-bit extended RCODE (RFC 6891 §6.1.3).
    pub extended_rcode: u8,
    /// EDNS version (0; the server answers BADVERS for higher ones).
    pub version: u8,
    /// DO bit: DNSSEC records wanted (RFC 3225 §3).
    pub dnssec_ok: bool,
    /// Options as (code, raw value), in wire order.
    pub options: Vec<(u16, Vec<u8>)>,
}

/// Option code of the DNS cookie (RFC 7873 §4).
pub const OPTION_COOKIE: u16 = 10;
/// Option code of padding (RFC 7830).
pub const OPTION_PADDING: u16 = 12;
/// Extended RCODE BADVERS (RFC 6891 §9): 16, i.e. `extended_rcode` 1 with a
/// header RCODE of 0.
pub const RCODE_BADVERS: u16 = 16;

impl Edns {
    /// Builds the EDNS parameters out of an OPT record's CLASS, TTL and RDATA
    /// (which starts at message offset `rdata_offset`, for errors).
    pub fn from_opt(class: u16, ttl: u32, rdata: &[u8], rdata_offset: usize) -> Result<Edns, WireError> {
        let [ext, version, flags, _] = ttl.to_be_bytes();
        let mut options = Vec::new();
        let mut i = 0usize;
        while i < rdata.len() {
            let head = rdata
                .get(i..i + 4)
                .ok_or(WireError::Truncated { what: "EDNS option header", offset: rdata_offset + i })?;
            let code = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let value = rdata
                .get(i + 4..i + 4 + len)
                .ok_or(WireError::Truncated { what: "EDNS option", offset: rdata_offset + i })?;
            options.push((code, value.to_vec()));
            i += 4 + len;
        }
        Ok(Edns {
            udp_payload_size: class,
            extended_rcode: ext,
            version,
            dnssec_ok: flags & 0x80 != 0,
            options,
        })
    }

    /// The EDNS parameters of an OPT record decoded by [`Record::decode`];
    /// `None` if it is not an OPT record. Offsets in errors are relative to the RDATA.
    pub fn from_record(record: &Record) -> Option<Result<Edns, WireError>> {
        match &record.rdata {
            Rdata::Unknown { rtype: Rtype::OPT, data } => {
                Some(Edns::from_opt(record.class.0, record.ttl, data, 0))
            }
            _ => None,
        }
    }

    /// The OPT record's TTL field: extended RCODE, version, DO.
    pub fn ttl(&self) -> u32 {
        u32::from_be_bytes([self.extended_rcode, self.version, if self.dnssec_ok { 0x80 } else { 0 }, 0])
    }

    /// Bytes the OPT record takes on the wire (11 + options).
    pub fn encoded_len(&self) -> usize {
        11 + self.options.iter().map(|(_, v)| 4 + v.len()).sum::<usize>()
    }

    /// Appends the OPT record (root owner, never compressed).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.push(0);
        buf.extend_from_slice(&Rtype::OPT.0.to_be_bytes());
        buf.extend_from_slice(&self.udp_payload_size.to_be_bytes());
        buf.extend_from_slice(&self.ttl().to_be_bytes());
        let len_at = buf.len();
        buf.extend_from_slice(&[0, 0]);
        for (code, value) in &self.options {
            buf.extend_from_slice(&code.to_be_bytes());
            let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(&value[..usize::from(len)]);
        }
        let rdlen = u16::try_from(buf.len() - len_at - 2).unwrap_or(u16::MAX);
        buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }

    /// The value of the first option with `code`, if any.
    pub fn option(&self, code: u16) -> Option<&[u8]> {
        self.options.iter().find(|(c, _)| *c == code).map(|(_, v)| v.as_slice())
    }
}

/// A whole DNS message (RFC 1035 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The header. After [`Message::decode`] the counts are the wire counts
    /// (ARCOUNT includes the OPT record); [`Message::encode`] writes counts
    /// computed from the sections instead.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authority: Vec<Record>,
    /// Additional section, without the OPT record.
    pub additional: Vec<Record>,
    /// The OPT record's contents, if there was one (RFC 6891 §6.1.1).
    pub edns: Option<Edns>,
}

/// Smallest size of a question (root name, type, class) and of a record.
const MIN_QUESTION: usize = 5;
const MIN_RECORD: usize = 11;

impl Message {
    /// Decodes a whole message. The OPT record goes to [`Message::edns`]; more
    /// than one OPT, an OPT outside the additional section or with a non-root
    /// owner is [`WireError::BadOpt`] (RFC 6891 §6.1.1). Bytes after the last
    /// record are [`WireError::Trailing`].
    pub fn decode(msg: &[u8]) -> Result<Message, WireError> {
        let header = Header::parse(msg).map_err(|_| WireError::Truncated { what: "header", offset: 0 })?;
        let mut pos = Header::LEN;
        // Counts come from the wire: never reserve more than the bytes present allow.
        let left = |pos: usize, min: usize| msg.len().saturating_sub(pos) / min;
        let mut questions = Vec::with_capacity(usize::from(header.qdcount).min(left(pos, MIN_QUESTION)));
        for _ in 0..header.qdcount {
            questions.push(Question::decode(msg, &mut pos)?);
        }
        let mut edns = None;
        let mut sections: [Vec<Record>; 3] = Default::default();
        for (i, count) in [header.ancount, header.nscount, header.arcount].into_iter().enumerate() {
            let section = &mut sections[i];
            section.reserve(usize::from(count).min(left(pos, MIN_RECORD)));
            for _ in 0..count {
                let start = pos;
                let record = Record::decode(msg, &mut pos)?;
                if record.rtype() != Rtype::OPT {
                    section.push(record);
                    continue;
                }
                if i != 2 {
                    return Err(WireError::BadOpt {
                        offset: start,
                        reason: "OPT outside the additional section",
                    });
                }
                if edns.is_some() {
                    return Err(WireError::BadOpt { offset: start, reason: "more than one OPT" });
                }
                if !record.name.is_root() {
                    return Err(WireError::BadOpt { offset: start, reason: "OPT owner is not the root" });
                }
                let Rdata::Unknown { data, .. } = &record.rdata else {
                    return Err(WireError::BadOpt { offset: start, reason: "OPT data" });
                };
                let rdata_offset = pos - data.len();
                edns = Some(Edns::from_opt(record.class.0, record.ttl, data, rdata_offset)?);
            }
        }
        if pos < msg.len() {
            return Err(WireError::Trailing { offset: pos });
        }
        let [answers, authority, additional] = sections;
        Ok(Message { header, questions, answers, authority, additional, edns })
    }

    /// The full 12-bit RCODE: the header's 4 bits plus the OPT record's upper 8
    /// bits (RFC 6891 §6.1.3).
    pub fn rcode(&self) -> u16 {
        let low = u16::from(u8::from(self.header.rcode) & 0xf);
        let high = self.edns.as_ref().map_or(0, |e| u16::from(e.extended_rcode));
        (high << 4) | low
    }

    /// Encodes the message with name compression; the header counts are those
    /// of the sections (the OPT record counted in ARCOUNT). Sections longer than
    /// 65535 entries and records whose RDATA exceeds 65535 bytes are cut off.
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(512);
        self.encode_into(&mut buf);
        buf
    }

    /// As [`Message::encode`], appending to `buf` (the message starts at the
    /// current end of `buf`, e.g. after a TCP length prefix).
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let mut compressor = Compressor::with_base(start);
        buf.extend_from_slice(&[0; Header::LEN]);
        let mut qd = 0u16;
        for q in &self.questions {
            if qd == u16::MAX {
                break;
            }
            q.encode(buf, &mut compressor);
            qd += 1;
        }
        let mut counts = [0u16; 3];
        for (i, section) in [&self.answers, &self.authority, &self.additional].into_iter().enumerate() {
            for r in section {
                if counts[i] == u16::MAX - u16::from(i == 2 && self.edns.is_some()) {
                    break;
                }
                if encode_record(buf, &mut compressor, &r.name, r.class, r.ttl, &r.rdata) {
                    counts[i] += 1;
                }
            }
        }
        if let Some(edns) = &self.edns {
            edns.encode(buf);
            counts[2] += 1;
        }
        let mut header = self.header;
        header.qdcount = qd;
        [header.ancount, header.nscount, header.arcount] = counts;
        let mut head = [0u8; Header::LEN];
        header.emit(&mut &mut head[..]);
        buf[start..start + Header::LEN].copy_from_slice(&head);
    }
}

/// A section of a message, for [`ResponseWriter::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// The answer section.
    Answer,
    /// The authority section.
    Authority,
    /// The additional section.
    Additional,
}

/// A point in a [`ResponseWriter`]'s output to go back to ([`ResponseWriter::rewind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    len: usize,
    counts: [u16; 4],
    section: u8,
    compressor: usize,
}

/// Writes a response straight into a caller's reused `Vec<u8>`, with name
/// compression and a size limit, without allocating (beyond growing `buf`).
///
/// Order of use: [`ResponseWriter::new`] (reserves the header), then the
/// question(s), then records section by section (answer, authority,
/// additional), then [`ResponseWriter::finish`], which writes the OPT record
/// if asked to, and the header with the counts. A push that would take the
/// message past the limit writes nothing and returns false: the caller then
/// sets TC or stops adding additional records (RFC 2181 §9). Reserve room for
/// the OPT record first ([`ResponseWriter::reserve`] with
/// [`Edns::encoded_len`]).
///
/// The message starts at `buf[buf.len()]` as it was when the writer was made,
/// so a TCP length prefix may come first.
#[derive(Debug)]
pub struct ResponseWriter<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    limit: usize,
    header: Header,
    /// QD, AN, NS, AR.
    counts: [u16; 4],
    /// 0 question, 1 answer, 2 authority, 3 additional.
    section: u8,
    compressor: Compressor,
}

impl<'a> ResponseWriter<'a> {
    /// Starts a response at the end of `buf`, at most `limit` bytes long (512
    /// for plain UDP, the EDNS payload size, 65535 for TCP; values below 12 act
    /// as 12, above 65535 as 65535). `header`'s counts are ignored.
    pub fn new(buf: &'a mut Vec<u8>, header: Header, limit: usize) -> ResponseWriter<'a> {
        let start = buf.len();
        buf.extend_from_slice(&[0; Header::LEN]);
        ResponseWriter {
            buf,
            start,
            limit: limit.clamp(Header::LEN, usize::from(u16::MAX)),
            header,
            counts: [0; 4],
            section: 0,
            compressor: Compressor::with_base(start),
        }
    }

    /// The header that [`ResponseWriter::finish`] will write (counts aside).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header, to change flags or RCODE at any time before `finish`.
    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    /// The current size limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the size limit (clamped as in [`ResponseWriter::new`]); it applies
    /// to later pushes only.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.clamp(Header::LEN, usize::from(u16::MAX));
    }

    /// Lowers the limit by `bytes` (e.g. [`Edns::encoded_len`] for the OPT
    /// record that `finish` writes regardless of the limit).
    pub fn reserve(&mut self, bytes: usize) {
        self.limit = self.limit.saturating_sub(bytes).max(Header::LEN);
    }

    /// Bytes of the message written so far (header included).
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Always false: the header is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Records written so far in `section`.
    pub fn count(&self, section: Section) -> u16 {
        self.counts[section_index(section)]
    }

    /// The current point, to [`ResponseWriter::rewind`] to.
    pub fn mark(&self) -> Mark {
        Mark {
            len: self.buf.len(),
            counts: self.counts,
            section: self.section,
            compressor: self.compressor.mark(),
        }
    }

    /// Drops everything written after `mark` (e.g. to restart the answer with
    /// TC set, keeping the question).
    pub fn rewind(&mut self, mark: Mark) {
        if mark.len >= self.start + Header::LEN && mark.len <= self.buf.len() {
            self.buf.truncate(mark.len);
            self.counts = mark.counts;
            self.section = mark.section;
            self.compressor.truncate(mark.compressor);
        }
    }

    /// Writes a question (before any record); false if it does not fit, or
    /// records were already written.
    pub fn push_question(&mut self, qname: &Name, qtype: Rtype, qclass: Class) -> bool {
        if self.section != 0 || self.counts[0] == u16::MAX {
            return false;
        }
        let before = self.buf.len();
        let mark = self.compressor.mark();
        self.compressor.write_name(self.buf, qname, true);
        self.buf.extend_from_slice(&qtype.0.to_be_bytes());
        self.buf.extend_from_slice(&qclass.0.to_be_bytes());
        if self.buf.len() - self.start > self.limit {
            self.buf.truncate(before);
            self.compressor.truncate(mark);
            return false;
        }
        self.counts[0] += 1;
        true
    }

    /// Writes a record into `section`. Returns false, writing nothing, if it
    /// would pass the limit, if `section` comes before the current section
    /// (sections are written in order), or if the section is full.
    pub fn push(&mut self, section: Section, name: &Name, class: Class, ttl: u32, rdata: &Rdata) -> bool {
        let idx = section_index(section);
        if (idx as u8) < self.section || self.counts[idx] == u16::MAX {
            return false;
        }
        let before = self.buf.len();
        let mark = self.compressor.mark();
        if !encode_record(self.buf, &mut self.compressor, name, class, ttl, rdata)
            || self.buf.len() - self.start > self.limit
        {
            self.buf.truncate(before);
            self.compressor.truncate(mark);
            return false;
        }
        self.section = idx as u8;
        self.counts[idx] += 1;
        true
    }

    /// [`ResponseWriter::push`] into the answer section.
    pub fn push_answer(&mut self, record: &Record) -> bool {
        self.push(Section::Answer, &record.name, record.class, record.ttl, &record.rdata)
    }

    /// [`ResponseWriter::push`] into the authority section.
    pub fn push_authority(&mut self, record: &Record) -> bool {
        self.push(Section::Authority, &record.name, record.class, record.ttl, &record.rdata)
    }

    /// [`ResponseWriter::push`] into the additional section.
    pub fn push_additional(&mut self, record: &Record) -> bool {
        self.push(Section::Additional, &record.name, record.class, record.ttl, &record.rdata)
    }

    /// Writes the OPT record if `edns` is given (ignoring the limit: reserve
    /// room for it), then the header with the counts; returns the message length.
    pub fn finish(self, edns: Option<&Edns>) -> usize {
        let mut counts = self.counts;
        if let Some(edns) = edns
            && counts[3] < u16::MAX
        {
            edns.encode(self.buf);
            counts[3] += 1;
        }
        let mut header = self.header;
        [header.qdcount, header.ancount, header.nscount, header.arcount] = counts;
        let mut head = [0u8; Header::LEN];
        header.emit(&mut &mut head[..]);
        self.buf[self.start..self.start + Header::LEN].copy_from_slice(&head);
        self.buf.len() - self.start
    }
}

fn section_index(section: Section) -> usize {
    match section {
        Section::Answer => 1,
        Section::Authority => 2,
        Section::Additional => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{Opcode, Rcode};
    use crate::rdata::text::decode_hex;
    use crate::rdata::{Soa, tests::arb_rdata};
    use alloc::string::ToString;
    use alloc::vec;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use proptest::prelude::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn hex(s: &str) -> Vec<u8> {
        decode_hex(s).unwrap()
    }

    /// `dig example.com A` as sent by dig 9.18: RD, AD, EDNS 1232 with a client cookie.
    const DIG_QUERY: &str = "bbd001200001000000000001076578616d706c6503636f6d000001000100002904d000000000000c000a0008c1ba63b0af0313d1";

    /// NSD 4's answer to `example.test MX` (EDNS 1232) from the lab zone: two MX,
    /// two NS, addresses of both in additional, compression pointers throughout.
    const NSD_MX: &str = concat!(
        "123485000001000200020007076578616d706c65047465737400000f0001",
        "c00c000f000100000e100009000a046d61696cc00c",
        "c00c000f000100000e10000a0014056d61696c32c00c",
        "c00c0002000100000e100006036e7331c00c",
        "c00c0002000100000e100006036e7332c00c",
        "c02c0001000100000e100004c0000219",
        "c0410001000100000e100004c6336419",
        "c0550001000100000e100004c0000235",
        "c0670001000100000e100004c6336435",
        "c02c001c000100000e10001020010db8000000000000000000000025",
        "c055001c000100000e10001020010db8000000000000000000000053",
        "00002904d0000000000000"
    );

    /// NSD 4's NXDOMAIN for `nope.example.test A`, SOA in authority.
    const NSD_NXDOMAIN: &str = concat!(
        "123485030001000000010001046e6f7065076578616d706c6504746573740000010001",
        "c011000600010000012c0027036e7331c0110a686f73746d6173746572c011",
        "78a3f17500001c2000000e10001275000000012c",
        "00002904d0000000000000"
    );

    #[test]
    fn dig_query_with_cookie() {
        let bytes = hex(DIG_QUERY);
        let m = Message::decode(&bytes).unwrap();
        assert_eq!(m.header.id, 0xbbd0);
        assert!(m.header.rd && m.header.ad && !m.header.qr);
        assert_eq!(m.header.opcode, Opcode::Query);
        assert_eq!(
            m.questions,
            vec![Question { qname: n("example.com"), qtype: Rtype::A, qclass: Class::IN }]
        );
        assert!(m.answers.is_empty() && m.authority.is_empty() && m.additional.is_empty());
        let edns = m.edns.as_ref().unwrap();
        assert_eq!(
            (edns.udp_payload_size, edns.extended_rcode, edns.version, edns.dnssec_ok),
            (1232, 0, 0, false)
        );
        assert_eq!(edns.options, vec![(OPTION_COOKIE, hex("c1ba63b0af0313d1"))]);
        assert_eq!(edns.option(OPTION_COOKIE), Some(&hex("c1ba63b0af0313d1")[..]));
        assert_eq!(m.encode(), bytes);
    }

    #[test]
    fn nsd_response_with_compression() {
        let bytes = hex(NSD_MX);
        let m = Message::decode(&bytes).unwrap();
        assert!(m.header.qr && m.header.aa && m.header.rd);
        assert_eq!((m.answers.len(), m.authority.len(), m.additional.len()), (2, 2, 6));
        assert_eq!(m.answers[1].rdata, Rdata::Mx { preference: 20, exchange: n("mail2.example.test") });
        assert_eq!(m.authority[0].rdata.to_string(), "ns1.example.test.");
        assert_eq!(m.additional[4].name, n("mail.example.test"));
        assert_eq!(m.additional[5].rdata, Rdata::Aaaa("2001:db8::53".parse().unwrap()));
        assert_eq!(m.edns.as_ref().unwrap().udp_payload_size, 1232);
        // Our compressor makes the same choices as NSD here.
        assert_eq!(m.encode(), bytes);

        let bytes = hex(NSD_NXDOMAIN);
        let m = Message::decode(&bytes).unwrap();
        assert_eq!(m.header.rcode, Rcode::NxDomain);
        assert_eq!(m.rcode(), 3);
        assert_eq!(
            m.authority[0].rdata.to_string(),
            "ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300"
        );
        assert_eq!(m.encode(), bytes);
    }

    #[test]
    fn response_writer_builds_the_nsd_answer() {
        let want = hex(NSD_MX);
        let query = Message::decode(&want).unwrap();
        let mut buf = vec![0xee; 2]; // a TCP length prefix comes first
        let mut w = ResponseWriter::new(&mut buf, query.header, 65535);
        let edns = query.edns.clone().unwrap();
        w.reserve(edns.encoded_len());
        let q = &query.questions[0];
        assert!(w.push_question(&q.qname, q.qtype, q.qclass));
        query.answers.iter().for_each(|r| assert!(w.push_answer(r)));
        query.authority.iter().for_each(|r| assert!(w.push_authority(r)));
        query.additional.iter().for_each(|r| assert!(w.push_additional(r)));
        assert_eq!(w.count(Section::Additional), 6);
        // Sections go in order.
        assert!(!w.push_answer(&query.answers[0]));
        let len = w.finish(Some(&edns));
        assert_eq!(len, want.len());
        assert_eq!(&buf[2..], &want[..]);
    }

    #[test]
    fn response_writer_limit_and_rewind() {
        let header = Header::parse(&[0; 12]).unwrap();
        let mut buf = Vec::new();
        let mut w = ResponseWriter::new(&mut buf, header, 512);
        assert!(w.push_question(&n("example.com"), Rtype::TXT, Class::IN));
        let after_question = w.mark();
        let big = Record {
            name: n("example.com"),
            class: Class::IN,
            ttl: 60,
            rdata: Rdata::Txt(vec![vec![b'x'; 200]]),
        };
        assert!(w.push_answer(&big));
        assert!(w.push_answer(&big));
        let before = w.len();
        assert!(!w.push_answer(&big), "a third record passes 512 bytes");
        assert_eq!(w.len(), before, "a failed push writes nothing");
        assert_eq!(w.count(Section::Answer), 2);
        // Truncate: back to the question, set TC.
        w.rewind(after_question);
        w.header_mut().tc = true;
        let len = w.finish(None);
        let m = Message::decode(&buf[..len]).unwrap();
        assert!(m.header.tc && m.answers.is_empty());
        assert_eq!(m.questions.len(), 1);

        // A record that fits only without the reserved OPT room.
        let mut buf = Vec::new();
        let mut w = ResponseWriter::new(&mut buf, header, 12 + 17 + 26);
        assert!(w.push_question(&n("example.com"), Rtype::A, Class::IN));
        w.reserve(11);
        let a =
            Record { name: n("example.com"), class: Class::IN, ttl: 1, rdata: Rdata::A(Ipv4Addr::LOCALHOST) };
        assert!(!w.push_answer(&a));
        w.set_limit(12 + 17 + 26);
        assert!(w.push_answer(&a));
        assert_eq!(w.len(), 12 + 17 + 16);
        let edns = Edns { udp_payload_size: 1232, ..Edns::default() };
        assert_eq!(w.finish(Some(&edns)), 12 + 17 + 16 + 11);
    }

    #[test]
    fn compressor_rolls_back_with_the_buffer() {
        // After a failed push, later names must not point into the dropped bytes.
        let header = Header::parse(&[0; 12]).unwrap();
        let mut buf = Vec::new();
        let mut w = ResponseWriter::new(&mut buf, header, 60);
        assert!(w.push_question(&n("a.example"), Rtype::A, Class::IN));
        let long = Record {
            name: n("new.name.example"),
            class: Class::IN,
            ttl: 1,
            rdata: Rdata::Txt(vec![vec![b'x'; 40]]),
        };
        assert!(!w.push_answer(&long));
        let short = Record {
            name: n("name.example"),
            class: Class::IN,
            ttl: 1,
            rdata: Rdata::A(Ipv4Addr::LOCALHOST),
        };
        assert!(w.push_answer(&short));
        let len = w.finish(None);
        let m = Message::decode(&buf[..len]).unwrap();
        assert_eq!(m.answers[0].name, n("name.example"));
    }

    #[test]
    fn opt_rules() {
        let q = hex("000001000001000000000000076578616d706c650000010001");
        let opt = hex("0000290200000000000000");
        let with = |counts: [u8; 3], tail: &[u8]| {
            let mut m = q.clone();
            (m[7], m[9], m[11]) = (counts[0], counts[1], counts[2]);
            m.extend_from_slice(tail);
            Message::decode(&m)
        };
        assert!(with([0, 0, 1], &opt).unwrap().edns.is_some());
        let two = [opt.clone(), opt.clone()].concat();
        assert_eq!(with([0, 0, 2], &two), Err(WireError::BadOpt { offset: 36, reason: "more than one OPT" }));
        assert_eq!(
            with([1, 0, 0], &opt),
            Err(WireError::BadOpt { offset: 25, reason: "OPT outside the additional section" })
        );
        let named = hex("01610000290200000000000000");
        assert_eq!(
            with([0, 0, 1], &named),
            Err(WireError::BadOpt { offset: 25, reason: "OPT owner is not the root" })
        );
        let bad_option = hex("00002902000000000000030001ff");
        assert_eq!(
            with([0, 0, 1], &bad_option),
            Err(WireError::Truncated { what: "EDNS option header", offset: 36 })
        );
        // DO bit, version, extended rcode.
        let m = with([0, 0, 1], &hex("000029100001028000000400080000")).unwrap();
        let e = m.edns.unwrap();
        assert_eq!((e.udp_payload_size, e.extended_rcode, e.version, e.dnssec_ok), (4096, 1, 2, true));
        assert_eq!(e.options, vec![(8, Vec::new())]);
        assert_eq!(e.ttl(), 0x0102_8000);
    }

    #[test]
    fn message_rejections() {
        assert_eq!(Message::decode(&[0; 11]), Err(WireError::Truncated { what: "header", offset: 0 }));
        // QDCOUNT 1 and nothing after the header.
        assert_eq!(
            Message::decode(&hex("000001000001000000000000")),
            Err(WireError::Truncated { what: "domain name", offset: 12 })
        );
        // QDCOUNT 1 with a name but no type.
        assert_eq!(
            Message::decode(&hex("0000010000010000000000000000")),
            Err(WireError::Truncated { what: "QTYPE", offset: 13 })
        );
        // Trailing garbage.
        let mut q = hex("000001000001000000000000076578616d706c650000010001");
        q.push(0);
        assert_eq!(Message::decode(&q), Err(WireError::Trailing { offset: 25 }));
        // A huge ANCOUNT with no bytes behind it fails without reserving much.
        assert_eq!(
            Message::decode(&hex("00000100000000ffffffffff")),
            Err(WireError::Truncated { what: "domain name", offset: 12 })
        );
        // Pointer loop in a question name: offset of the pointer.
        assert_eq!(
            Message::decode(&hex("000001000001000000000000c00c00010001")),
            Err(WireError::BadPointer { offset: 12 })
        );
    }

    #[test]
    fn class_specific_and_update_records() {
        // CH-class A records and empty RDATA in class ANY stay opaque.
        let m = Message {
            header: Header::parse(&[0; 12]).unwrap(),
            questions: vec![],
            answers: vec![Record {
                name: n("x"),
                class: Class::CH,
                ttl: 0,
                rdata: Rdata::Unknown { rtype: Rtype::A, data: vec![1, 2] },
            }],
            authority: vec![Record {
                name: n("x"),
                class: Class::ANY,
                ttl: 0,
                rdata: Rdata::Unknown { rtype: Rtype::MX, data: vec![] },
            }],
            additional: vec![],
            edns: None,
        };
        let mut want = m.clone();
        (want.header.ancount, want.header.nscount) = (1, 1);
        assert_eq!(Message::decode(&m.encode()).unwrap(), want);
    }

    #[test]
    fn compressor_details() {
        let mut c = Compressor::new();
        let mut buf = Vec::new();
        c.write_name(&mut buf, &n("WWW.Example.COM"), true);
        let start = buf.len();
        c.write_name(&mut buf, &n("mail.example.com"), true);
        assert_eq!(&buf[start..], b"\x04mail\xc0\x04", "case-insensitive match keeps the first spelling");
        let start = buf.len();
        c.write_name(&mut buf, &n("www.example.com"), false);
        assert_eq!(&buf[start..], b"\x03www\x07example\x03com\x00");
        let start = buf.len();
        c.write_name(&mut buf, &Name::root(), true);
        assert_eq!(&buf[start..], b"\x00");
        // Names past offset 0x3fff are never targets.
        let mut c = Compressor::new();
        let mut buf = vec![0u8; 0x4000];
        c.write_name(&mut buf, &n("far.example"), true);
        let start = buf.len();
        c.write_name(&mut buf, &n("far.example"), true);
        assert_eq!(&buf[start..], b"\x03far\x07example\x00");
        // A full table still writes correct names.
        let mut c = Compressor::new();
        let mut buf = Vec::new();
        for i in 0..100u8 {
            c.write_name(&mut buf, &Name::root().prepend(&[b'a' + i % 26, i]).unwrap(), true);
        }
        let mut pos = 0;
        for i in 0..100u8 {
            assert_eq!(Name::decode(&buf, &mut pos).unwrap().first_label().unwrap(), [b'a' + i % 26, i]);
        }
        // A base offset (TCP prefix).
        let mut c = Compressor::with_base(2);
        let mut buf = vec![0, 0];
        c.write_name(&mut buf, &n("a.b"), true);
        c.write_name(&mut buf, &n("c.a.b"), true);
        assert_eq!(&buf[2..], b"\x01a\x01b\x00\x01c\xc0\x00");
    }

    // ------------------------------------------------------------ properties

    fn arb_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..6), 0..4).prop_map(|labels| {
            let mut name = Name::root();
            for l in labels.iter().rev() {
                name = name.prepend(l).unwrap_or(name);
            }
            name
        })
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        (arb_name(), prop_oneof![Just(Class::IN), any::<u16>().prop_map(Class)], any::<u32>(), arb_rdata())
            .prop_filter("OPT goes to Message::edns", |(_, _, _, r)| r.rtype() != Rtype::OPT)
            .prop_map(|(name, class, ttl, rdata)| {
                // Class-specific and empty-update RDATA decode as opaque: store them that way.
                let opaque = (class != Class::IN && matches!(rdata.rtype(), Rtype::A | Rtype::AAAA))
                    || (matches!(class, Class::ANY | Class::NONE) && rdata.to_wire().is_empty());
                let rdata = if opaque {
                    Rdata::Unknown { rtype: rdata.rtype(), data: rdata.to_wire() }
                } else {
                    rdata
                };
                Record { name, class, ttl, rdata }
            })
    }

    fn arb_edns() -> impl Strategy<Value = Edns> {
        (
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            any::<bool>(),
            proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..10)), 0..3),
        )
            .prop_map(|(udp_payload_size, extended_rcode, version, dnssec_ok, options)| Edns {
                udp_payload_size,
                extended_rcode,
                version,
                dnssec_ok,
                options,
            })
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let records = || proptest::collection::vec(arb_record(), 0..4);
        (
            any::<[u8; 4]>(),
            proptest::collection::vec(
                (arb_name(), any::<u16>(), any::<u16>()).prop_map(|(qname, t, c)| Question {
                    qname,
                    qtype: Rtype(t),
                    qclass: Class(c),
                }),
                0..3,
            ),
            records(),
            records(),
            records(),
            proptest::option::of(arb_edns()),
        )
            .prop_map(|(h, questions, answers, authority, additional, edns)| {
                let mut header = Header::parse(&[h[0], h[1], h[2], h[3], 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
                header.qdcount = questions.len() as u16;
                header.ancount = answers.len() as u16;
                header.nscount = authority.len() as u16;
                header.arcount = (additional.len() + usize::from(edns.is_some())) as u16;
                Message { header, questions, answers, authority, additional, edns }
            })
    }

    proptest! {
        #[test]
        fn message_round_trip(m in arb_message()) {
            let bytes = m.encode();
            let back = Message::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &m);
            // Re-encoding is stable.
            prop_assert_eq!(back.encode(), bytes);
        }

        #[test]
        fn response_writer_agrees_with_encode(m in arb_message()) {
            let mut buf = Vec::new();
            let mut w = ResponseWriter::new(&mut buf, m.header, 65535);
            for q in &m.questions {
                prop_assert!(w.push_question(&q.qname, q.qtype, q.qclass));
            }
            m.answers.iter().for_each(|r| assert!(w.push_answer(r)));
            m.authority.iter().for_each(|r| assert!(w.push_authority(r)));
            m.additional.iter().for_each(|r| assert!(w.push_additional(r)));
            w.finish(m.edns.as_ref());
            prop_assert_eq!(buf, m.encode());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(m) = Message::decode(&bytes) {
                let again = m.encode();
                prop_assert_eq!(Message::decode(&again).unwrap(), m);
            }
        }

        #[test]
        fn mutated_responses_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
                                         which in any::<bool>()) {
            let mut bytes = hex(if which { NSD_MX } else { NSD_NXDOMAIN });
            for (i, v) in flips {
                let len = bytes.len();
                bytes[i % len] = v;
            }
            if let Ok(m) = Message::decode(&bytes) {
                let again = m.encode();
                let back = Message::decode(&again).unwrap();
                prop_assert_eq!(back.questions, m.questions);
                prop_assert_eq!(back.answers, m.answers);
                prop_assert_eq!(back.edns, m.edns);
            }
        }
    }

    #[test]
    fn soa_display_in_message_context() {
        let soa = Rdata::Soa(Soa {
            mname: n("a"),
            rname: n("b"),
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 5,
        });
        assert_eq!(soa.to_string(), "a. b. 1 2 3 4 5");
        let _ = Ipv6Addr::LOCALHOST;
    }
}
