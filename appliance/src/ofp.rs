//! `appliance ofp decode`: OpenFlow 1.3 messages from hex, raw files or
//! packet captures, printed in a readable form, as os-ken JSON, or checked
//! byte for byte against their re-encoding.
//!
//! Inputs flow one way:
//!
//! ```text
//!  hex text ─┐
//!  raw file ─┼─ bytes ── frame by ofp_header.length ── Message::decode ── print / JSON / verify
//!  pcap(ng) ─┘   ▲
//!      └── TCP port 6653/6633 payloads, each direction reassembled by sequence number
//! ```
//!
//! The readable form follows `ovs-ofctl ofp-print`: one header line per
//! message (`OFPT_FLOW_MOD (OF1.3) (xid=0x1): ADD table:1 priority=123 ...`)
//! and indented lines for what does not fit on it (multipart entries,
//! buckets, ports, table-feature properties). See [`Pretty`].

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use openflow::header::Header;

use openflow::action::{
    Action, ActionId, OFPCML_NO_BUFFER, OFPP_ALL, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT,
    OFPP_LOCAL, OFPP_NORMAL, OFPP_TABLE,
};
use openflow::instruction::{Instruction, InstructionId};
use openflow::message::{
    Body, ErrorMsg, FlowMod, Message, OFP_NO_BUFFER, OFPC_FRAG_DROP, OFPC_FRAG_MASK, OFPC_FRAG_NORMAL,
    OFPC_FRAG_REASM, OFPET_HELLO_FAILED, OFPM_ALL, OFPM_CONTROLLER, OFPM_SLOWPATH,
};
use openflow::multipart::{
    ExperimenterMultipart, MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
    MultipartType, OFPG_ALL, OFPG_ANY, OFPMPF_REQ_MORE, OFPQ_ALL, OFPTT_ALL, TableFeatureProp, TableFeatures,
};
use openflow::oxm::{
    BasicField, Match, OFPVID_NONE, OFPVID_PRESENT, OFPXMC_OPENFLOW_BASIC, Oxm, OxmId, basic_field_info,
};
use openflow::structs::{Bucket, HelloElement, MeterBand, PacketQueue, Port, QueueProp};

/// The TCP ports OpenFlow uses: 6653 (IANA) and 6633 (the old default).
pub const OPENFLOW_PORTS: [u16; 2] = [6653, 6633];

/// Most differing bytes `--verify` lists for one message.
const MAX_DIFFS_SHOWN: usize = 16;

// ---------------------------------------------------------------------------
// Hex input
// ---------------------------------------------------------------------------

/// Why a hex argument did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator.
    #[error("not hex: {ch:?} at character {index}")]
    BadChar {
        /// The character.
        ch: char,
        /// Its index (in characters) in the argument.
        index: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({digits})")]
    Odd {
        /// How many digits there were.
        digits: usize,
    },
    /// No digits at all.
    #[error("no hex digits")]
    Empty,
}

/// Parses hex text into bytes. Whitespace, `:`, `-`, `,` and `_` separate
/// freely, and each token may start with `0x`: `04 00 00 08`, `04:00:00:08`,
/// `0x0400 0x0008` and `04000008` all give the same bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut digits = 0usize;
    let mut high: Option<u8> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        let token_start = i == 0 || is_hex_separator(chars[i - 1]);
        if token_start && ch == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
            i += 2;
            continue;
        }
        if is_hex_separator(ch) {
            i += 1;
            continue;
        }
        let Some(v) = ch.to_digit(16) else {
            return Err(HexError::BadChar { ch, index: i });
        };
        let v = v as u8;
        digits += 1;
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
        i += 1;
    }
    match (digits, high) {
        (0, _) => Err(HexError::Empty),
        (_, Some(_)) => Err(HexError::Odd { digits }),
        _ => Ok(out),
    }
}

fn is_hex_separator(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, ':' | '-' | ',' | '_')
}

/// True when `bytes` is plain text that [`parse_hex`] accepts (so a file of
/// hex text decodes like a hex argument). Raw OpenFlow bytes never qualify:
/// every message starts with a version byte below `0x20`.
pub fn looks_like_hex_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| parse_hex(s).is_ok())
}

// ---------------------------------------------------------------------------
// Framing a byte stream into messages
// ---------------------------------------------------------------------------

/// A problem splitting a byte stream into messages (before any decoding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// Fewer than 8 bytes are left: not even a header.
    #[error("{left} trailing byte(s) at offset {offset}, less than an 8-byte ofp_header")]
    TrailingBytes {
        /// Offset of the first leftover byte.
        offset: usize,
        /// How many bytes are left.
        left: usize,
    },
    /// A header's length field is below 8: the stream cannot be followed further.
    #[error(
        "ofp_header.length at offset {offset} is {length}, less than the 8-byte header; cannot frame the rest"
    )]
    BadLength {
        /// Offset of the header.
        offset: usize,
        /// The length field.
        length: u16,
    },
    /// A header promises more bytes than are left.
    #[error(
        "message at offset {offset} is truncated: ofp_header.length is {length}, only {left} byte(s) left"
    )]
    Truncated {
        /// Offset of the header.
        offset: usize,
        /// The length field.
        length: u16,
        /// Bytes left from the header on.
        left: usize,
    },
}

/// Splits concatenated messages by their `ofp_header.length`, with the
/// codec's [`Deframer`](openflow::framing::Deframer). Returns the byte range
/// of every whole message, and the error that stopped framing, if any (a
/// message that fails to *decode* does not stop framing; a bad length
/// field, or bytes left over at the end, does).
pub fn frame(bytes: &[u8]) -> (Vec<std::ops::Range<usize>>, Option<FramingError>) {
    let mut deframer = openflow::framing::Deframer::new();
    deframer.push(bytes);
    let mut out = Vec::new();
    loop {
        let offset = deframer.stream_offset() as usize;
        match deframer.next_frame() {
            Ok(Some(frame)) => out.push(offset..offset + frame.len()),
            Ok(None) => {
                let left = bytes.len() - offset;
                let error = match bytes.get(offset..offset + 4) {
                    _ if left == 0 => None,
                    Some(&[_, _, l0, l1]) if left >= Header::LEN => {
                        Some(FramingError::Truncated { offset, length: u16::from_be_bytes([l0, l1]), left })
                    }
                    _ => Some(FramingError::TrailingBytes { offset, left }),
                };
                return (out, error);
            }
            // A length below 8 (the only error next_frame can give with the
            // default limit, which is the largest length there is).
            Err(_) => {
                let left = bytes.len() - offset;
                let error = match bytes.get(offset..offset + 4) {
                    Some(&[_, _, l0, l1]) if left >= Header::LEN => {
                        FramingError::BadLength { offset, length: u16::from_be_bytes([l0, l1]) }
                    }
                    // Not even a header.
                    _ => FramingError::TrailingBytes { offset, left },
                };
                return (out, Some(error));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Captures: pcap / pcapng → TCP segments → reassembled streams
// ---------------------------------------------------------------------------

/// True when `bytes` starts like a pcap or pcapng file.
pub fn is_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.first_chunk::<4>(),
        Some(
            [0xa1, 0xb2, 0xc3, 0xd4]
                | [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x4d, 0x3c, 0xb2, 0xa1]
        ) | Some([0x0a, 0x0d, 0x0d, 0x0a])
    )
}

/// One direction of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flow {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.src, self.dst)
    }
}

/// A TCP segment of an OpenFlow connection, as captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Frame number in the capture, from 1 (as Wireshark counts).
    pub frame: u64,
    /// TCP sequence number.
    pub seq: u32,
    /// The SYN flag (the payload then starts at `seq + 1`).
    pub syn: bool,
    /// TCP payload.
    pub payload: Vec<u8>,
}

/// The TCP segments of every OpenFlow flow in a capture, by direction.
#[derive(Debug, Default)]
pub struct Capture {
    /// Segments per direction, in capture order.
    pub flows: BTreeMap<Flow, Vec<Segment>>,
    /// Packet records read.
    pub frames: u64,
    /// Notes about frames that could not be used (unknown link types,
    /// IP fragments, unparsable headers).
    pub warnings: Vec<String>,
}

/// Why a capture could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// pcap-file refused the file.
    #[error("reading the capture: {0}")]
    Pcap(#[from] pcap_file::PcapError),
}

/// Reads the TCP segments to or from `ports` out of a pcap or pcapng file.
/// A damaged record ends the reading with a warning; what was read before
/// it is kept.
pub fn read_capture(bytes: &[u8], ports: &[u16]) -> Result<Capture, CaptureError> {
    let mut capture = Capture::default();
    if bytes.first_chunk::<4>() == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader = pcap_file::pcapng::PcapNgReader::new(bytes)?;
        // Link types of the current section's interfaces, by interface id.
        let mut interfaces: Vec<pcap_file::DataLink> = Vec::new();
        while let Some(block) = reader.next_block() {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    capture.warnings.push(format!("capture ends early: {e}"));
                    break;
                }
            };
            use pcap_file::pcapng::Block;
            let (data, linktype) = match &block {
                Block::SectionHeader(_) => {
                    interfaces.clear();
                    continue;
                }
                Block::InterfaceDescription(i) => {
                    interfaces.push(i.linktype);
                    continue;
                }
                Block::EnhancedPacket(p) => (&p.data, usize::try_from(p.interface_id).ok()),
                Block::SimplePacket(p) => (&p.data, Some(0)),
                Block::Packet(p) => (&p.data, Some(usize::from(p.interface_id))),
                _ => continue,
            };
            let linktype = linktype.and_then(|i| interfaces.get(i).copied());
            capture.frames += 1;
            let frame = capture.frames;
            match linktype {
                Some(lt) => capture.add_frame(frame, lt, data, ports),
                None => capture.warnings.push(format!("frame {frame}: no interface description for it")),
            }
        }
    } else {
        let mut reader = pcap_file::pcap::PcapReader::new(bytes)?;
        let linktype = reader.header().datalink;
        while let Some(packet) = reader.next_packet() {
            let packet = match packet {
                Ok(p) => p,
                Err(e) => {
                    capture.warnings.push(format!("capture ends early: {e}"));
                    break;
                }
            };
            capture.frames += 1;
            let frame = capture.frames;
            capture.add_frame(frame, linktype, &packet.data, ports);
        }
    }
    Ok(capture)
}

impl Capture {
    fn add_frame(&mut self, frame: u64, linktype: pcap_file::DataLink, data: &[u8], ports: &[u16]) {
        use pcap_file::DataLink;
        let sliced = match linktype {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
            // BSD loopback: a 4-byte address family, then IP.
            DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..).unwrap_or_default()),
            // Linux "cooked" v2: a 20-byte header, then the protocol's packet.
            DataLink::LINUX_SLL2 => SlicedPacket::from_ip(data.get(20..).unwrap_or_default()),
            other => {
                if !self.warnings.iter().any(|w| w.contains("link type")) {
                    self.warnings
                        .push(format!("frame {frame}: link type {other:?} is not supported; skipped"));
                }
                return;
            }
        };
        let sliced = match sliced {
            Ok(s) => s,
            Err(_) => return, // not IP/TCP we can read: not OpenFlow
        };
        let (Some(net), Some(TransportSlice::Tcp(tcp))) = (&sliced.net, &sliced.transport) else {
            if let Some(NetSlice::Ipv4(ip)) = &sliced.net
                && ip.is_payload_fragmented()
            {
                self.warnings.push(format!("frame {frame}: fragmented IPv4 packet; skipped"));
            }
            return;
        };
        let (src_ip, dst_ip): (IpAddr, IpAddr) = match net {
            NetSlice::Ipv4(ip) => (ip.header().source_addr().into(), ip.header().destination_addr().into()),
            NetSlice::Ipv6(ip) => (ip.header().source_addr().into(), ip.header().destination_addr().into()),
            NetSlice::Arp(_) => return,
        };
        let (sport, dport) = (tcp.source_port(), tcp.destination_port());
        if !ports.contains(&sport) && !ports.contains(&dport) {
            return;
        }
        let flow = Flow { src: SocketAddr::new(src_ip, sport), dst: SocketAddr::new(dst_ip, dport) };
        let segments = self.flows.entry(flow).or_default();
        if tcp.payload().is_empty() && !tcp.syn() {
            return;
        }
        segments.push(Segment {
            frame,
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            payload: tcp.payload().to_vec(),
        });
    }
}

/// A contiguous piece of one direction's byte stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// Stream offset of `data[0]` (0 = the first byte after the SYN, or
    /// the lowest sequence number seen when the SYN was not captured).
    pub offset: u64,
    /// The bytes.
    pub data: Vec<u8>,
    /// `(offset in data, frame)`: from that offset on, bytes came from that
    /// frame (the first frame that carried them), ascending by offset.
    pub sources: Vec<(usize, u64)>,
}

impl Run {
    /// The latest frame that carried one of the bytes of `range`.
    pub fn completed_by(&self, range: &std::ops::Range<usize>) -> u64 {
        let first = self.sources.partition_point(|&(off, _)| off <= range.start).saturating_sub(1);
        self.sources[first..]
            .iter()
            .take_while(|&&(off, _)| off < range.end)
            .map(|&(_, f)| f)
            .max()
            .unwrap_or(0)
    }

    /// The frame by which a receiver had every byte up to the end of
    /// `range` (TCP delivers in order): messages are printed in this order,
    /// so each direction's stay in stream order.
    pub fn delivered_by(&self, range: &std::ops::Range<usize>) -> u64 {
        self.sources.iter().take_while(|&&(off, _)| off < range.end).map(|&(_, f)| f).max().unwrap_or(0)
    }

    /// The frame that carried the first byte of `range`.
    pub fn started_in(&self, range: &std::ops::Range<usize>) -> u64 {
        let i = self.sources.partition_point(|&(off, _)| off <= range.start).saturating_sub(1);
        self.sources.get(i).map_or(0, |&(_, f)| f)
    }
}

/// One direction's bytes in sequence order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    /// Contiguous runs; more than one when bytes are missing between them.
    pub runs: Vec<Run>,
    /// Segments whose bytes had all been seen already (retransmissions,
    /// duplicates).
    pub duplicates: usize,
    /// Segments that partly overlapped bytes already seen.
    pub overlaps: usize,
    /// True when the SYN was captured, so the first run starts at the
    /// first byte of the connection (a message boundary).
    pub syn: bool,
}

/// Puts one direction's segments in sequence order (whatever their capture
/// order), drops what was already seen (retransmits, duplicates, overlaps:
/// the first copy in sequence order wins) and splits at holes.
/// Sequence numbers wrap: offsets are taken relative to the SYN, or to the
/// first segment captured, within ±2³¹.
pub fn reassemble(segments: &[Segment]) -> Stream {
    let syn = segments.iter().find(|s| s.syn);
    let Some(base) = syn.map(|s| s.seq.wrapping_add(1)).or_else(|| segments.first().map(|s| s.seq)) else {
        return Stream::default();
    };
    // (start offset relative to base, frame, payload); SYN payload starts at seq + 1.
    let mut pieces: Vec<(i64, u64, &[u8])> = segments
        .iter()
        .filter(|s| !s.payload.is_empty())
        .map(|s| {
            let start = s.seq.wrapping_add(u32::from(s.syn)).wrapping_sub(base) as i32;
            (i64::from(start), s.frame, s.payload.as_slice())
        })
        .collect();
    pieces.sort_by_key(|&(start, frame, _)| (start, frame));
    let Some(min) = pieces.first().map(|p| p.0) else {
        return Stream::default();
    };
    let origin = min.min(0);
    let mut stream = Stream { syn: syn.is_some(), ..Stream::default() };
    let mut end: Option<i64> = None; // stream offset after the last byte taken
    for (start, frame, payload) in pieces {
        let seg_end = start + payload.len() as i64;
        match end {
            Some(e) if seg_end <= e => {
                stream.duplicates += 1;
                continue;
            }
            Some(e) if start < e => {
                stream.overlaps += 1;
                let run = stream.runs.last_mut().expect("a run exists once end is set");
                run.sources.push((run.data.len(), frame));
                run.data.extend_from_slice(&payload[(e - start) as usize..]);
            }
            Some(e) if start == e => {
                let run = stream.runs.last_mut().expect("a run exists once end is set");
                run.sources.push((run.data.len(), frame));
                run.data.extend_from_slice(payload);
            }
            _ => stream.runs.push(Run {
                offset: (start - origin) as u64,
                data: payload.to_vec(),
                sources: vec![(0, frame)],
            }),
        }
        end = Some(seg_end);
    }
    stream
}

/// Where the first whole message starts in bytes that may begin mid-message
/// (after a hole in a capture, or a capture started mid-connection): the
/// first offset from which plausible headers (version 1 to 6, a known type,
/// length ≥ 8) chain exactly to the end of `data` or through 4 messages
/// (the last may be cut short by the end after two whole ones). Only the
/// first 64 KiB + 8 are searched (a message is at most 64 KiB).
pub fn resync(data: &[u8]) -> Option<usize> {
    fn plausible(h: &[u8]) -> Option<usize> {
        let &[version, msg_type, l0, l1, ..] = h else { return None };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        ((1..=6).contains(&version) && msg_type <= 35 && len >= 8).then_some(len)
    }
    let chains = |start: usize| {
        let (mut at, mut whole) = (start, 0);
        while whole < 4 {
            if at == data.len() {
                return whole > 0;
            }
            match data.get(at..).and_then(plausible) {
                Some(len) => at += len,
                None => return false,
            }
            if at > data.len() {
                // The last message runs past the end (cut short): plausible
                // only after two whole ones.
                return whole >= 2;
            }
            whole += 1;
        }
        true
    };
    (0..data.len().min(65536 + 8)).find(|&k| chains(k))
}

// ---------------------------------------------------------------------------
// The decode command
// ---------------------------------------------------------------------------

/// What `appliance ofp decode` prints.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// os-ken's `to_jsondict` JSON, one message per line, instead of text.
    pub json: bool,
    /// Re-encode every message and report every byte that differs.
    pub verify: bool,
    /// TCP ports that carry OpenFlow in captures (default [`OPENFLOW_PORTS`]).
    pub ports: Vec<u16>,
}

/// What a run of the decode command found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages framed.
    pub messages: usize,
    /// Messages that failed to decode.
    pub decode_errors: usize,
    /// Messages whose re-encoding differs from the input (with `--verify`).
    pub differences: usize,
    /// Inputs or streams that could not be read or framed to the end.
    pub input_errors: usize,
}

impl Summary {
    /// True when nothing went wrong.
    pub fn ok(&self) -> bool {
        self.decode_errors == 0 && self.differences == 0 && self.input_errors == 0
    }
}

/// One argument of the command, read.
enum Input {
    /// Raw concatenated messages (from a file, stdin or hex).
    Raw { label: String, bytes: Vec<u8> },
    /// A pcap or pcapng file.
    Capture { label: String, bytes: Vec<u8> },
}

/// Runs `appliance ofp decode` over `args` (each a FILE, `-` for stdin, or
/// hex text; consecutive hex arguments are joined, so `04 00 00 08 ...`
/// works unquoted). Messages go to `out`, problems to `err`.
pub fn decode_command(
    args: &[String],
    opts: &DecodeOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut inputs = Vec::new();
    let mut hex = String::new();
    let mut hex_args = Vec::new();
    let flush_hex = |hex: &mut String, hex_args: &mut Vec<String>, inputs: &mut Vec<Input>| {
        if !hex.is_empty() {
            let bytes = parse_hex(hex).expect("checked per argument");
            let label = if hex_args.len() == 1 { "hex argument".to_string() } else { "hex arguments".into() };
            inputs.push(Input::Raw { label, bytes });
            hex.clear();
            hex_args.clear();
        }
    };
    for arg in args {
        let path = std::path::Path::new(arg);
        let file = if arg == "-" {
            let mut buf = Vec::new();
            io::Read::read_to_end(&mut io::stdin().lock(), &mut buf).map(|_| Some(buf))
        } else if path.is_file() {
            std::fs::read(path).map(Some)
        } else {
            Ok(None)
        };
        match file {
            Ok(Some(bytes)) => {
                flush_hex(&mut hex, &mut hex_args, &mut inputs);
                let label = if arg == "-" { "<stdin>".to_string() } else { arg.clone() };
                if is_capture(&bytes) {
                    inputs.push(Input::Capture { label, bytes });
                } else if !bytes.is_empty() && looks_like_hex_text(&bytes) {
                    let text = String::from_utf8_lossy(&bytes);
                    inputs.push(Input::Raw { label, bytes: parse_hex(&text).unwrap_or_default() });
                } else {
                    inputs.push(Input::Raw { label, bytes });
                }
            }
            Ok(None) => match parse_hex(arg) {
                Ok(_) => {
                    hex.push(' ');
                    hex.push_str(arg);
                    hex_args.push(arg.clone());
                }
                Err(e) => {
                    flush_hex(&mut hex, &mut hex_args, &mut inputs);
                    writeln!(err, "error: {arg:?}: neither a file nor hex ({e})")?;
                    summary.input_errors += 1;
                }
            },
            Err(e) => {
                flush_hex(&mut hex, &mut hex_args, &mut inputs);
                writeln!(err, "error: {arg}: cannot read: {e}")?;
                summary.input_errors += 1;
            }
        }
    }
    flush_hex(&mut hex, &mut hex_args, &mut inputs);

    let ports: &[u16] = if opts.ports.is_empty() { &OPENFLOW_PORTS } else { &opts.ports };
    let several = inputs.len() > 1;
    for input in inputs {
        match input {
            Input::Raw { label, bytes } => {
                if several && !opts.json {
                    writeln!(out, "# {label}")?;
                }
                let (ranges, framing) = frame(&bytes);
                for range in ranges {
                    let ctx = Context { label: &label, offset: range.start, place: None };
                    print_message(&bytes[range], &ctx, opts, out, err, &mut summary)?;
                }
                if let Some(e) = framing {
                    writeln!(err, "error: {label}: {e}")?;
                    summary.input_errors += 1;
                }
            }
            Input::Capture { label, bytes } => {
                if several && !opts.json {
                    writeln!(out, "# {label}")?;
                }
                decode_capture(&label, &bytes, ports, opts, out, err, &mut summary)?;
            }
        }
    }
    Ok(summary)
}

/// Where a message came from, for messages about it.
struct Context<'a> {
    label: &'a str,
    /// Offset of the message in its input or stream.
    offset: usize,
    /// For captures: the flow and the frames.
    place: Option<(Flow, u64, u64)>,
}

impl fmt::Display for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Some((flow, first, last)) if first == last => {
                write!(f, "{}: frame {first} ({flow}), stream offset {}", self.label, self.offset)
            }
            Some((flow, first, last)) => {
                write!(f, "{}: frames {first}-{last} ({flow}), stream offset {}", self.label, self.offset)
            }
            None => write!(f, "{}: offset {}", self.label, self.offset),
        }
    }
}

fn decode_capture(
    label: &str,
    bytes: &[u8],
    ports: &[u16],
    opts: &DecodeOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    summary: &mut Summary,
) -> io::Result<()> {
    let capture = match read_capture(bytes, ports) {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "error: {label}: {e}")?;
            summary.input_errors += 1;
            return Ok(());
        }
    };
    for w in &capture.warnings {
        writeln!(err, "warning: {label}: {w}")?;
    }
    // Every message of every direction, in the order a receiver got them.
    struct Found<'s> {
        delivered: u64,
        done: u64,
        first: u64,
        flow: Flow,
        offset: u64,
        bytes: &'s [u8],
    }
    let streams: Vec<(Flow, Stream)> =
        capture.flows.iter().map(|(flow, segs)| (*flow, reassemble(segs))).collect();
    let mut found = Vec::new();
    for (flow, stream) in &streams {
        for (i, run) in stream.runs.iter().enumerate() {
            if i > 0 {
                let prev = &stream.runs[i - 1];
                let missing = run.offset - (prev.offset + prev.data.len() as u64);
                writeln!(
                    err,
                    "error: {label}: {flow}: {missing} byte(s) missing before stream offset {} \
                     (not captured); framing restarts there",
                    run.offset
                )?;
                summary.input_errors += 1;
            }
            // A run after a hole, or the first when the SYN was not captured,
            // may start mid-message.
            let start = if i == 0 && stream.syn { 0 } else { resync(&run.data).unwrap_or(0) };
            if start > 0 {
                let what = if i == 0 { "note" } else { "warning" };
                writeln!(
                    err,
                    "{what}: {label}: {flow}: skipped {start} byte(s) of a message cut short, \
                     from stream offset {}",
                    run.offset
                )?;
            }
            let (ranges, framing) = frame(&run.data[start..]);
            let ranges = ranges.into_iter().map(|r| r.start + start..r.end + start);
            for range in ranges {
                found.push(Found {
                    delivered: run.delivered_by(&range),
                    done: run.completed_by(&range),
                    first: run.started_in(&range),
                    flow: *flow,
                    offset: run.offset + range.start as u64,
                    bytes: &run.data[range],
                });
            }
            if let Some(e) = framing {
                writeln!(
                    err,
                    "error: {label}: {flow}: in the bytes from stream offset {}: {e}",
                    run.offset + start as u64
                )?;
                summary.input_errors += 1;
            }
        }
    }
    found.sort_by_key(|m| (m.delivered, m.flow, m.offset));
    for m in found {
        if !opts.json {
            let frames = if m.first == m.done {
                format!("frame {}", m.done)
            } else {
                format!("frames {}-{}", m.first, m.done)
            };
            writeln!(out, "{frames} {}", m.flow)?;
        }
        let ctx = Context { label, offset: m.offset as usize, place: Some((m.flow, m.first, m.done)) };
        print_message(m.bytes, &ctx, opts, out, err, summary)?;
    }
    if !opts.json && capture.flows.is_empty() {
        writeln!(err, "note: {label}: no TCP traffic on port(s) {ports:?} in {} frame(s)", capture.frames)?;
    }
    Ok(())
}

/// Decodes one framed message and prints it (text or JSON), then verifies it.
fn print_message(
    bytes: &[u8],
    ctx: &Context<'_>,
    opts: &DecodeOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    summary: &mut Summary,
) -> io::Result<()> {
    summary.messages += 1;
    let msg = match Message::decode(bytes) {
        Ok(m) => m,
        Err(e) => {
            summary.decode_errors += 1;
            writeln!(err, "error: {ctx}: {e}")?;
            if !opts.json {
                let what =
                    format!("UNDECODABLE: {}.{} at offset {}: {}", e.context, e.field, e.offset, e.kind);
                match Header::parse(bytes) {
                    Ok(h) => writeln!(
                        out,
                        "OFPT_{} ({}) (xid={:#x}): {what}",
                        openflow::message::type_name(h.msg_type),
                        version_label(h.version),
                        h.xid
                    )?,
                    Err(_) => writeln!(out, "{what}")?,
                }
                write_hex_dump(out, bytes)?;
            }
            return Ok(());
        }
    };
    if opts.json {
        use openflow::json::ToOsken as _;
        writeln!(out, "{}", msg.to_osken())?;
    } else {
        write!(out, "{}", Pretty(&msg))?;
    }
    if opts.verify {
        let diffs = verify(bytes, &msg);
        if !diffs.is_empty() {
            summary.differences += 1;
            writeln!(err, "error: {ctx}: re-encoding differs: {}", diffs.describe())?;
        }
    }
    Ok(())
}

/// Every byte where a message's re-encoding differs from the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Differences {
    /// `(offset, expected, got)`: input byte vs re-encoded byte.
    pub bytes: Vec<(usize, u8, u8)>,
    /// Input length and re-encoded length, when they differ.
    pub lengths: Option<(usize, usize)>,
}

impl Differences {
    /// True when the re-encoding is identical.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.lengths.is_none()
    }

    /// A one-line account: the lengths, then each differing byte (the first
    /// few of them).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((expected, got)) = self.lengths {
            parts.push(format!("length: expected {expected}, got {got}"));
        }
        for &(offset, expected, got) in self.bytes.iter().take(MAX_DIFFS_SHOWN) {
            parts.push(format!("offset {offset}: expected 0x{expected:02x}, got 0x{got:02x}"));
        }
        if self.bytes.len() > MAX_DIFFS_SHOWN {
            parts.push(format!("and {} more differing byte(s)", self.bytes.len() - MAX_DIFFS_SHOWN));
        }
        parts.join("; ")
    }
}

/// Re-encodes `msg` and compares with the `input` it was decoded from.
pub fn verify(input: &[u8], msg: &Message) -> Differences {
    let again = msg.to_vec();
    let bytes =
        input.iter().zip(&again).enumerate().filter(|(_, (a, b))| a != b).map(|(i, (a, b))| (i, *a, *b));
    Differences {
        bytes: bytes.collect(),
        lengths: (input.len() != again.len()).then_some((input.len(), again.len())),
    }
}

/// A hex dump, 16 bytes a line with offsets (at most 4 KiB of it).
fn write_hex_dump(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    const LIMIT: usize = 4096;
    for (i, line) in bytes[..bytes.len().min(LIMIT)].chunks(16).enumerate() {
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(out, "  {:08x}  {}", i * 16, hex.join(" "))?;
    }
    if bytes.len() > LIMIT {
        writeln!(out, "  ... {} more byte(s)", bytes.len() - LIMIT)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The readable form
// ---------------------------------------------------------------------------

/// A message in the readable form `appliance ofp decode` prints, after
/// `ovs-ofctl ofp-print`: a header line
/// `OFPT_<TYPE> (OF1.3) (xid=0x<xid>)[: <summary>]`, then indented detail
/// lines (multipart entries, buckets, bands, ports, properties, payload
/// bytes). Every line ends with a newline.
///
/// Match fields use os-ken's OXM names (`in_port=1,eth_dst=...,ipv4_src=10.0.0.0/8`),
/// actions and instructions ovs-ofctl's notation (`actions=output:2`,
/// `set_field:10.0.0.1->ipv4_dst`, `goto_table:1`, `write_actions(...)`).
pub struct Pretty<'a>(pub &'a Message);

impl fmt::Display for Pretty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        let (summary, details) = describe(m);
        write!(f, "{} ({}) (xid={:#x})", type_label(m), version_label(m.version), m.xid)?;
        if !summary.is_empty() {
            write!(f, ": {summary}")?;
        }
        writeln!(f)?;
        for line in details {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

fn version_label(version: u8) -> String {
    match version {
        1..=6 => format!("OF1.{}", version - 1),
        v => format!("OF version {v:#04x}"),
    }
}

fn type_label(m: &Message) -> String {
    match &m.body {
        Body::Unknown { msg_type, .. } if m.version != openflow::header::OFP_VERSION => {
            format!("OFPT type {msg_type}")
        }
        Body::Unknown { msg_type, .. } => format!("OFPT_UNKNOWN type {msg_type}"),
        _ => format!("OFPT_{}", m.type_name()),
    }
}

/// The header line's summary and the detail lines of a message.
fn describe(m: &Message) -> (String, Vec<String>) {
    let mut d = Vec::new();
    let s = match &m.body {
        Body::Hello(h) => {
            let mut parts = Vec::new();
            for e in &h.elements {
                match e {
                    HelloElement::VersionBitmap(_) => {
                        let v: Vec<String> =
                            e.supported_versions().iter().map(|&v| version_label(v)).collect();
                        parts.push(format!("version bitmap: {}", v.join(", ")));
                    }
                    HelloElement::Unknown { elem_type, data } => {
                        parts.push(format!("element type={elem_type} ({} bytes)", data.len()));
                        hex_lines(&mut d, data);
                    }
                }
            }
            parts.join("; ")
        }
        Body::Error(e) => describe_error(e, &mut d),
        Body::EchoRequest(data) | Body::EchoReply(data) => {
            hex_lines(&mut d, data);
            if data.is_empty() { String::new() } else { format!("{} bytes of payload", data.len()) }
        }
        Body::Experimenter { experimenter, exp_type, data } => {
            hex_lines(&mut d, data);
            format!(
                "experimenter={} exp_type={exp_type} ({} bytes)",
                experimenter_name(*experimenter),
                data.len()
            )
        }
        Body::FeaturesRequest
        | Body::GetConfigRequest
        | Body::BarrierRequest
        | Body::BarrierReply
        | Body::GetAsyncRequest => String::new(),
        Body::FeaturesReply(f) => {
            d.push(format!(
                "n_tables:{}, n_buffers:{}, auxiliary_id:{}",
                f.n_tables, f.n_buffers, f.auxiliary_id
            ));
            d.push(format!("capabilities: {}", bits(f.capabilities, CAPABILITIES)));
            if f.reserved != 0 {
                d.push(format!("reserved: {:#x}", f.reserved));
            }
            format!("dpid:{:016x}", f.datapath_id)
        }
        Body::GetConfigReply(c) | Body::SetConfig(c) => {
            let frag = match c.flags & OFPC_FRAG_MASK {
                OFPC_FRAG_NORMAL => "normal",
                OFPC_FRAG_DROP => "drop",
                OFPC_FRAG_REASM => "reassemble",
                _ => "invalid(3)",
            };
            let extra = c.flags & !OFPC_FRAG_MASK;
            let extra = if extra != 0 { format!(" flags={extra:#x}") } else { String::new() };
            format!("frags={frag}{extra} miss_send_len={}", c.miss_send_len)
        }
        Body::PacketIn(p) => {
            let mut s = format!(
                "table_id={} cookie={:#x} total_len={} reason={} buffer={}",
                p.table_id,
                p.cookie,
                p.total_len,
                name_or(p.reason.into(), PACKET_IN_REASONS),
                buffer_name(p.buffer_id)
            );
            let mt = fmt_match(&p.match_);
            if !mt.is_empty() {
                s.push(' ');
                s.push_str(&mt);
            }
            packet_lines(&mut d, &p.data);
            s
        }
        Body::FlowRemoved(r) => {
            let mut s = format!(
                "reason={} table_id={} cookie={:#x} priority={} duration={} idle_timeout={} \
                 hard_timeout={} n_packets={} n_bytes={}",
                name_or(r.reason.into(), FLOW_REMOVED_REASONS),
                r.table_id,
                r.cookie,
                r.priority,
                duration(r.duration_sec, r.duration_nsec),
                r.idle_timeout,
                r.hard_timeout,
                r.packet_count,
                r.byte_count
            );
            let mt = fmt_match(&r.match_);
            if !mt.is_empty() {
                s.push(' ');
                s.push_str(&mt);
            }
            s
        }
        Body::PortStatus(p) => {
            d.push(port_line(&p.desc));
            name_or(p.reason.into(), PORT_REASONS)
        }
        Body::PacketOut(p) => {
            packet_lines(&mut d, &p.data);
            format!(
                "in_port={} buffer={} actions={}",
                port_name(p.in_port),
                buffer_name(p.buffer_id),
                fmt_actions(&p.actions)
            )
        }
        Body::FlowMod(fm) => flow_mod(fm),
        Body::GroupMod(g) => {
            for b in &g.buckets {
                d.push(bucket_line(b));
            }
            format!(
                "{} group_id={} type={}",
                name_or(g.command.into(), GROUP_COMMANDS),
                group_name(g.group_id),
                name_or(g.group_type.into(), GROUP_TYPES)
            )
        }
        Body::PortMod(p) => format!(
            "port={} addr={} config={} mask={} advertise={}",
            port_name(p.port_no),
            mac(&p.hw_addr),
            bits(p.config, PORT_CONFIG),
            bits(p.mask, PORT_CONFIG),
            bits(p.advertise, PORT_FEATURES)
        ),
        Body::TableMod(t) => format!("table_id={} config={:#x}", table_name(t.table_id), t.config),
        Body::MultipartRequest(r) => multipart_request(r, &mut d),
        Body::MultipartReply(r) => multipart_reply(r, &mut d),
        Body::QueueGetConfigRequest(q) => format!("port={}", port_name(q.port)),
        Body::QueueGetConfigReply(q) => {
            for queue in &q.queues {
                d.push(queue_line(queue));
            }
            format!("port={} ({} queue(s))", port_name(q.port), q.queues.len())
        }
        Body::RoleRequest(r) | Body::RoleReply(r) => {
            format!("role={} generation_id={}", name_or(r.role, ROLES), r.generation_id)
        }
        Body::GetAsyncReply(a) | Body::SetAsync(a) => {
            for (i, role) in ["master/equal", "slave"].iter().enumerate() {
                d.push(format!(
                    "{role}: packet_in={} port_status={} flow_removed={}",
                    reason_bits(a.packet_in_mask[i], PACKET_IN_REASONS),
                    reason_bits(a.port_status_mask[i], PORT_REASONS),
                    reason_bits(a.flow_removed_mask[i], FLOW_REMOVED_REASONS)
                ));
            }
            String::new()
        }
        Body::MeterMod(mm) => {
            for b in &mm.bands {
                d.push(band_line(b));
            }
            format!(
                "{} meter={} flags={}",
                name_or(mm.command.into(), METER_COMMANDS),
                meter_name(mm.meter_id),
                bits(mm.flags.into(), METER_FLAGS)
            )
        }
        Body::Unknown { body, .. } => {
            hex_lines(&mut d, body);
            if m.version != openflow::header::OFP_VERSION {
                format!("not decoded (only OpenFlow 1.3 is), {} byte(s) of body", body.len())
            } else {
                format!("{} byte(s) of body", body.len())
            }
        }
    };
    (s, d)
}

fn flow_mod(fm: &FlowMod) -> String {
    let mut s = format!(
        "{} table:{} priority={}",
        name_or(fm.command.into(), FLOW_MOD_COMMANDS),
        table_name(fm.table_id),
        fm.priority
    );
    if fm.cookie != 0 || fm.cookie_mask != 0 {
        s.push_str(&format!(" cookie={:#x}", fm.cookie));
        if fm.cookie_mask != 0 {
            s.push_str(&format!("/{:#x}", fm.cookie_mask));
        }
    }
    if fm.idle_timeout != 0 {
        s.push_str(&format!(" idle_timeout={}", fm.idle_timeout));
    }
    if fm.hard_timeout != 0 {
        s.push_str(&format!(" hard_timeout={}", fm.hard_timeout));
    }
    if fm.buffer_id != OFP_NO_BUFFER {
        s.push_str(&format!(" buffer={}", buffer_name(fm.buffer_id)));
    }
    if fm.out_port != OFPP_ANY {
        s.push_str(&format!(" out_port={}", port_name(fm.out_port)));
    }
    if fm.out_group != OFPG_ANY {
        s.push_str(&format!(" out_group={}", group_name(fm.out_group)));
    }
    if fm.flags != 0 {
        s.push_str(&format!(" flags={}", bits(fm.flags.into(), FLOW_MOD_FLAGS)));
    }
    let mt = fmt_match(&fm.match_);
    if !mt.is_empty() {
        s.push(' ');
        s.push_str(&mt);
    }
    s.push_str(&format!(" actions={}", fmt_instructions(&fm.instructions)));
    s
}

fn describe_error(e: &ErrorMsg, d: &mut Vec<String>) -> String {
    let s = match e {
        ErrorMsg::Standard { err_type, code, .. } => {
            let ty = name_or((*err_type).into(), ERROR_TYPES);
            let code = error_code_name(*err_type, *code).map_or_else(|| format!("code {code}"), String::from);
            format!("OFPET_{ty} / {code}")
        }
        ErrorMsg::Experimenter { exp_type, experimenter, .. } => {
            format!(
                "OFPET_EXPERIMENTER experimenter={} exp_type={exp_type}",
                experimenter_name(*experimenter)
            )
        }
    };
    let data = e.data();
    // The data of most errors is the start of the request that failed.
    if let Ok(h) = Header::parse(data)
        && (1..=6).contains(&h.version)
        && !matches!(h.msg_type, openflow::header::MessageType::Unknown(_))
        && matches!(e, ErrorMsg::Standard { err_type, .. } if *err_type != OFPET_HELLO_FAILED)
    {
        let name = openflow::message::type_name(h.msg_type);
        let whole = usize::from(h.length) == data.len();
        d.push(format!(
            "request: OFPT_{name} ({}) (xid={:#x}), {} of {} bytes",
            version_label(h.version),
            h.xid,
            data.len(),
            h.length
        ));
        if whole && let Ok(inner) = Message::decode(data) {
            for line in Pretty(&inner).to_string().lines() {
                d.push(format!("  {line}"));
            }
            return s;
        }
    } else if matches!(e, ErrorMsg::Standard { err_type: OFPET_HELLO_FAILED, .. })
        && data.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && !data.is_empty()
    {
        d.push(format!("text: {:?}", String::from_utf8_lossy(data)));
        return s;
    }
    hex_lines(d, data);
    s
}

fn multipart_flags(flags: u16) -> String {
    match flags {
        0 => String::new(),
        OFPMPF_REQ_MORE => " flags=more".into(),
        f => format!(" flags={f:#x}"),
    }
}

fn multipart_request(r: &MultipartRequest, d: &mut Vec<String>) -> String {
    let ty = mp_type_name(r.mp_type());
    let more = multipart_flags(r.flags);
    let detail = match &r.body {
        MultipartRequestBody::Desc
        | MultipartRequestBody::Table
        | MultipartRequestBody::GroupDesc
        | MultipartRequestBody::GroupFeatures
        | MultipartRequestBody::MeterFeatures
        | MultipartRequestBody::PortDesc => String::new(),
        MultipartRequestBody::Flow(q) | MultipartRequestBody::Aggregate(q) => {
            let mut s = format!(
                " table_id={} out_port={} out_group={}",
                table_name(q.table_id),
                port_name(q.out_port),
                group_name(q.out_group)
            );
            if q.cookie != 0 || q.cookie_mask != 0 {
                s.push_str(&format!(" cookie={:#x}/{:#x}", q.cookie, q.cookie_mask));
            }
            let mt = fmt_match(&q.matching);
            if !mt.is_empty() {
                s.push(' ');
                s.push_str(&mt);
            }
            s
        }
        MultipartRequestBody::PortStats { port_no } => format!(" port={}", port_name(*port_no)),
        MultipartRequestBody::Queue { port_no, queue_id } => {
            format!(" port={} queue={}", port_name(*port_no), queue_name(*queue_id))
        }
        MultipartRequestBody::Group { group_id } => format!(" group_id={}", group_name(*group_id)),
        MultipartRequestBody::Meter { meter_id } | MultipartRequestBody::MeterConfig { meter_id } => {
            format!(" meter={}", meter_name(*meter_id))
        }
        MultipartRequestBody::TableFeatures(tables) => {
            for t in tables {
                table_features_lines(d, t);
            }
            format!(" {} table(s)", tables.len())
        }
        MultipartRequestBody::Experimenter(x) => experimenter_multipart(x, d),
        MultipartRequestBody::Unknown { body, .. } => {
            hex_lines(d, body);
            format!(" {} byte(s)", body.len())
        }
    };
    format!("{ty}{more}{detail}")
}

fn multipart_reply(r: &MultipartReply, d: &mut Vec<String>) -> String {
    let ty = mp_type_name(r.mp_type());
    let more = multipart_flags(r.flags);
    let detail = match &r.body {
        MultipartReplyBody::Desc(desc) => {
            d.push(format!("mfr_desc: {:?}", desc.mfr_desc.to_str_lossy()));
            d.push(format!("hw_desc: {:?}", desc.hw_desc.to_str_lossy()));
            d.push(format!("sw_desc: {:?}", desc.sw_desc.to_str_lossy()));
            d.push(format!("serial_num: {:?}", desc.serial_num.to_str_lossy()));
            d.push(format!("dp_desc: {:?}", desc.dp_desc.to_str_lossy()));
            String::new()
        }
        MultipartReplyBody::Flow(flows) => {
            for f in flows {
                let mut s = format!(
                    "cookie={:#x} duration={} table={} n_packets={} n_bytes={} priority={}",
                    f.cookie,
                    duration(f.duration_sec, f.duration_nsec),
                    f.table_id,
                    f.packet_count,
                    f.byte_count,
                    f.priority
                );
                if f.idle_timeout != 0 {
                    s.push_str(&format!(" idle_timeout={}", f.idle_timeout));
                }
                if f.hard_timeout != 0 {
                    s.push_str(&format!(" hard_timeout={}", f.hard_timeout));
                }
                if f.flags != 0 {
                    s.push_str(&format!(" flags={}", bits(f.flags.into(), FLOW_MOD_FLAGS)));
                }
                let mt = fmt_match(&f.matching);
                if !mt.is_empty() {
                    s.push(' ');
                    s.push_str(&mt);
                }
                s.push_str(&format!(" actions={}", fmt_instructions(&f.instructions)));
                d.push(s);
            }
            entries(flows.len(), "flow")
        }
        MultipartReplyBody::Aggregate(a) => {
            format!(
                " packet_count={} byte_count={} flow_count={}",
                a.packet_count, a.byte_count, a.flow_count
            )
        }
        MultipartReplyBody::Table(tables) => {
            for t in tables {
                d.push(format!(
                    "table {}: active={} lookup={} matched={}",
                    t.table_id, t.active_count, t.lookup_count, t.matched_count
                ));
            }
            entries(tables.len(), "table")
        }
        MultipartReplyBody::PortStats(ports) => {
            for p in ports {
                d.push(format!(
                    "port {}: rx pkts={} bytes={} drop={} errs={} frame={} over={} crc={}; \
                     tx pkts={} bytes={} drop={} errs={} coll={}; duration={}",
                    port_name(p.port_no),
                    p.rx_packets,
                    p.rx_bytes,
                    p.rx_dropped,
                    p.rx_errors,
                    p.rx_frame_err,
                    p.rx_over_err,
                    p.rx_crc_err,
                    p.tx_packets,
                    p.tx_bytes,
                    p.tx_dropped,
                    p.tx_errors,
                    p.collisions,
                    duration(p.duration_sec, p.duration_nsec)
                ));
            }
            entries(ports.len(), "port")
        }
        MultipartReplyBody::Queue(queues) => {
            for q in queues {
                d.push(format!(
                    "port {} queue {}: tx pkts={} bytes={} errors={} duration={}",
                    port_name(q.port_no),
                    q.queue_id,
                    q.tx_packets,
                    q.tx_bytes,
                    q.tx_errors,
                    duration(q.duration_sec, q.duration_nsec)
                ));
            }
            entries(queues.len(), "queue")
        }
        MultipartReplyBody::Group(groups) => {
            for g in groups {
                let buckets: Vec<String> =
                    g.bucket_stats.iter().map(|b| format!("{}/{}", b.packet_count, b.byte_count)).collect();
                d.push(format!(
                    "group_id={} ref_count={} packet_count={} byte_count={} duration={} \
                     buckets(packets/bytes)=[{}]",
                    group_name(g.group_id),
                    g.ref_count,
                    g.packet_count,
                    g.byte_count,
                    duration(g.duration_sec, g.duration_nsec),
                    buckets.join(", ")
                ));
            }
            entries(groups.len(), "group")
        }
        MultipartReplyBody::GroupDesc(groups) => {
            for g in groups {
                d.push(format!(
                    "group_id={} type={}",
                    group_name(g.group_id),
                    name_or(g.group_type.into(), GROUP_TYPES)
                ));
                for b in &g.buckets {
                    d.push(format!("  {}", bucket_line(b)));
                }
            }
            entries(groups.len(), "group")
        }
        MultipartReplyBody::GroupFeatures(g) => {
            d.push(format!("types: {}", reason_bits(g.types, GROUP_TYPES)));
            d.push(format!("capabilities: {}", bits(g.capabilities, GROUP_CAPABILITIES)));
            for (i, (_, name)) in GROUP_TYPES.iter().enumerate() {
                d.push(format!(
                    "{name}: max_groups={} actions={}",
                    g.max_groups[i],
                    reason_bits(g.actions[i], ACTION_TYPES)
                ));
            }
            String::new()
        }
        MultipartReplyBody::Meter(meters) => {
            for m in meters {
                let bands: Vec<String> = m
                    .band_stats
                    .iter()
                    .map(|b| format!("{}/{}", b.packet_band_count, b.byte_band_count))
                    .collect();
                d.push(format!(
                    "meter={} flow_count={} packet_in_count={} byte_in_count={} duration={} \
                     bands(packets/bytes)=[{}]",
                    meter_name(m.meter_id),
                    m.flow_count,
                    m.packet_in_count,
                    m.byte_in_count,
                    duration(m.duration_sec, m.duration_nsec),
                    bands.join(", ")
                ));
            }
            entries(meters.len(), "meter")
        }
        MultipartReplyBody::MeterConfig(configs) => {
            for c in configs {
                d.push(format!(
                    "meter={} flags={}",
                    meter_name(c.meter_id),
                    bits(c.flags.into(), METER_FLAGS)
                ));
                for b in &c.bands {
                    d.push(format!("  {}", band_line(b)));
                }
            }
            entries(configs.len(), "meter")
        }
        MultipartReplyBody::MeterFeatures(f) => format!(
            " max_meter={} band_types={} capabilities={} max_bands={} max_color={}",
            f.max_meter,
            reason_bits(f.band_types, BAND_TYPES),
            bits(f.capabilities, METER_FLAGS),
            f.max_bands,
            f.max_color
        ),
        MultipartReplyBody::TableFeatures(tables) => {
            for t in tables {
                table_features_lines(d, t);
            }
            entries(tables.len(), "table")
        }
        MultipartReplyBody::PortDesc(ports) => {
            for p in ports {
                d.push(port_line(p));
            }
            entries(ports.len(), "port")
        }
        MultipartReplyBody::Experimenter(x) => experimenter_multipart(x, d),
        MultipartReplyBody::Unknown { body, .. } => {
            hex_lines(d, body);
            format!(" {} byte(s)", body.len())
        }
    };
    format!("{ty}{more}{detail}")
}

fn entries(n: usize, what: &str) -> String {
    format!(" {n} {what}{}", if n == 1 { "" } else { "s" })
}

fn experimenter_multipart(x: &ExperimenterMultipart, d: &mut Vec<String>) -> String {
    match x.onf_flow_monitor_requests() {
        Some(Ok(reqs)) => {
            for q in &reqs {
                let mut s = format!(
                    "id={} flags={} out_port={} table_id={}",
                    q.id,
                    bits(q.flags.into(), ONF_MONITOR_FLAGS),
                    port_name(q.out_port),
                    table_name(q.table_id)
                );
                let fields: Vec<String> = q.fields.iter().map(fmt_oxm).collect();
                if !fields.is_empty() {
                    s.push(' ');
                    s.push_str(&fields.join(","));
                }
                d.push(s);
            }
            format!(" ONF flow monitor, {} request(s)", reqs.len())
        }
        _ => {
            hex_lines(d, &x.data);
            format!(
                " experimenter={} exp_type={} ({} bytes)",
                experimenter_name(x.experimenter),
                x.exp_type,
                x.data.len()
            )
        }
    }
}

fn table_features_lines(d: &mut Vec<String>, t: &TableFeatures) {
    d.push(format!(
        "table {} {:?}: metadata_match={:#x} metadata_write={:#x} config={:#x} max_entries={}",
        t.table_id,
        t.name.to_str_lossy(),
        t.metadata_match,
        t.metadata_write,
        t.config,
        t.max_entries
    ));
    for p in &t.properties {
        let line = match p {
            TableFeatureProp::Instructions(ids) => format!("instructions: {}", instruction_ids(ids)),
            TableFeatureProp::InstructionsMiss(ids) => {
                format!("instructions (miss): {}", instruction_ids(ids))
            }
            TableFeatureProp::NextTables(t) => format!("next_tables: {}", table_list(t)),
            TableFeatureProp::NextTablesMiss(t) => format!("next_tables (miss): {}", table_list(t)),
            TableFeatureProp::WriteActions(ids) => format!("write_actions: {}", action_ids(ids)),
            TableFeatureProp::WriteActionsMiss(ids) => format!("write_actions (miss): {}", action_ids(ids)),
            TableFeatureProp::ApplyActions(ids) => format!("apply_actions: {}", action_ids(ids)),
            TableFeatureProp::ApplyActionsMiss(ids) => format!("apply_actions (miss): {}", action_ids(ids)),
            TableFeatureProp::Match(ids) => format!("match: {}", oxm_ids(ids)),
            TableFeatureProp::Wildcards(ids) => format!("wildcards: {}", oxm_ids(ids)),
            TableFeatureProp::WriteSetfield(ids) => format!("write_setfield: {}", oxm_ids(ids)),
            TableFeatureProp::WriteSetfieldMiss(ids) => format!("write_setfield (miss): {}", oxm_ids(ids)),
            TableFeatureProp::ApplySetfield(ids) => format!("apply_setfield: {}", oxm_ids(ids)),
            TableFeatureProp::ApplySetfieldMiss(ids) => format!("apply_setfield (miss): {}", oxm_ids(ids)),
            TableFeatureProp::Experimenter(x) | TableFeatureProp::ExperimenterMiss(x) => {
                let miss = if matches!(p, TableFeatureProp::ExperimenterMiss(_)) { " (miss)" } else { "" };
                let data: Vec<String> = x.data.iter().map(|w| format!("{w:08x}")).collect();
                format!(
                    "experimenter{miss}: experimenter={} exp_type={} data=[{}]",
                    experimenter_name(x.experimenter),
                    x.exp_type,
                    data.join(" ")
                )
            }
            TableFeatureProp::Unknown { prop_type, data } => {
                format!("property type={prop_type}: {}", hex_inline(data))
            }
        };
        d.push(format!("  {line}"));
    }
}

fn instruction_ids(ids: &[InstructionId]) -> String {
    let names: Vec<String> = ids
        .iter()
        .map(|i| match i.experimenter {
            Some(e) => format!("experimenter({})", experimenter_name(e)),
            None => name_or(i.instruction_type.into(), INSTRUCTION_TYPES),
        })
        .collect();
    none_if_empty(names.join(","))
}

fn action_ids(ids: &[ActionId]) -> String {
    let names: Vec<String> = ids
        .iter()
        .map(|a| match a.experimenter {
            Some(e) => format!("experimenter({})", experimenter_name(e)),
            None => name_or(a.action_type.into(), ACTION_TYPES),
        })
        .collect();
    none_if_empty(names.join(","))
}

fn oxm_ids(ids: &[OxmId]) -> String {
    let names: Vec<String> = ids
        .iter()
        .map(|o| {
            let name = match (o.class, basic_field_info(o.field)) {
                (OFPXMC_OPENFLOW_BASIC, Some(info)) => info.name.to_string(),
                (_, _) => match o.experimenter {
                    Some(e) => format!("experimenter({}):{}", experimenter_name(e), o.field),
                    None => format!("oxm({:#06x}:{})", o.class, o.field),
                },
            };
            if o.hasmask { format!("{name}/masked") } else { name }
        })
        .collect();
    none_if_empty(names.join(","))
}

/// Table ids with runs shortened: `1-254` or `1,3,5-7`.
fn table_list(t: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let mut j = i;
        while j + 1 < t.len() && t[j + 1] == t[j].wrapping_add(1) && t[j] != u8::MAX {
            j += 1;
        }
        parts.push(if j >= i + 2 { format!("{}-{}", t[i], t[j]) } else { t[i].to_string() });
        if j == i + 1 {
            parts.push(t[j].to_string());
        }
        i = j + 1;
    }
    none_if_empty(parts.join(","))
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "none".into() } else { s }
}

fn queue_line(q: &PacketQueue) -> String {
    let props: Vec<String> = q
        .properties
        .iter()
        .map(|p| match p {
            QueueProp::MinRate(r) => format!("min_rate={}", rate_tenths(*r)),
            QueueProp::MaxRate(r) => format!("max_rate={}", rate_tenths(*r)),
            QueueProp::Experimenter { experimenter, data } => {
                format!("experimenter={} data={}", experimenter_name(*experimenter), hex_inline(data))
            }
            QueueProp::Unknown { property, body } => format!("property {property}={}", hex_inline(body)),
        })
        .collect();
    format!("queue {} port={}: {}", q.queue_id, port_name(q.port), none_if_empty(props.join(" ")))
}

/// A queue rate in tenths of a percent; above 1000 means "disabled".
fn rate_tenths(r: u16) -> String {
    if r > 1000 { format!("disabled({r})") } else { format!("{}.{}%", r / 10, r % 10) }
}

fn port_line(p: &Port) -> String {
    format!(
        "port {} ({:?}): addr={} config={} state={} curr={} advertised={} supported={} peer={} \
         speed={}/{} kbps",
        port_name(p.port_no),
        p.name(),
        mac(&p.hw_addr),
        bits(p.config, PORT_CONFIG),
        bits(p.state, PORT_STATE),
        bits(p.curr, PORT_FEATURES),
        bits(p.advertised, PORT_FEATURES),
        bits(p.supported, PORT_FEATURES),
        bits(p.peer, PORT_FEATURES),
        p.curr_speed,
        p.max_speed
    )
}

fn bucket_line(b: &Bucket) -> String {
    let mut s = String::from("bucket");
    if b.weight != 0 {
        s.push_str(&format!(" weight={}", b.weight));
    }
    if b.watch_port != OFPP_ANY {
        s.push_str(&format!(" watch_port={}", port_name(b.watch_port)));
    }
    if b.watch_group != OFPG_ANY {
        s.push_str(&format!(" watch_group={}", group_name(b.watch_group)));
    }
    s.push_str(&format!(" actions={}", fmt_actions(&b.actions)));
    s
}

fn band_line(b: &MeterBand) -> String {
    match b {
        MeterBand::Drop { rate, burst_size } => format!("band drop rate={rate} burst_size={burst_size}"),
        MeterBand::DscpRemark { rate, burst_size, prec_level } => {
            format!("band dscp_remark rate={rate} burst_size={burst_size} prec_level={prec_level}")
        }
        MeterBand::Experimenter { rate, burst_size, experimenter, data } => format!(
            "band experimenter rate={rate} burst_size={burst_size} experimenter={} data={}",
            experimenter_name(*experimenter),
            hex_inline(data)
        ),
        MeterBand::Unknown { band_type, body } => format!("band type={band_type}: {}", hex_inline(body)),
    }
}

/// The match as `field=value[/mask],...` (empty for an empty match).
fn fmt_match(m: &Match) -> String {
    if let Some((ty, body)) = &m.other {
        return format!("match(type={ty}):{}", hex_inline(body));
    }
    m.fields.iter().map(fmt_oxm).collect::<Vec<_>>().join(",")
}

fn fmt_oxm(o: &Oxm) -> String {
    let (name, value) = oxm_parts(o);
    format!("{name}={value}")
}

/// An OXM's name and value text (with `/mask` when masked).
fn oxm_parts(o: &Oxm) -> (String, String) {
    match o {
        Oxm::Basic(b) => (b.name().to_string(), basic_value(b)),
        Oxm::Experimenter { field, hasmask, experimenter, payload } => (
            format!(
                "experimenter({}):{field}{}",
                experimenter_name(*experimenter),
                if *hasmask { "/m" } else { "" }
            ),
            hex_compact(payload),
        ),
        Oxm::Unknown { class, field, hasmask, payload } => {
            (format!("oxm({class:#06x}:{field}{})", if *hasmask { "/m" } else { "" }), hex_compact(payload))
        }
    }
}

fn masked<T>(v: T, m: Option<T>, show: impl Fn(T) -> String) -> String {
    match m {
        Some(m) => format!("{}/{}", show(v), show(m)),
        None => show(v),
    }
}

fn basic_value(b: &BasicField) -> String {
    use BasicField as F;
    let hex = |v: u64| format!("{v:#x}");
    match *b {
        F::InPort(p) | F::InPhyPort(p) => port_name(p),
        F::Metadata(v, m) | F::TunnelId(v, m) => masked(v, m, hex),
        F::EthDst(v, m) | F::EthSrc(v, m) | F::ArpSha(v, m) | F::ArpTha(v, m) => masked(v, m, |a| mac(&a)),
        F::EthType(t) => format!("{t:#06x}"),
        F::VlanVid(v, m) => match (v, m) {
            (OFPVID_NONE, None) => "none".into(),
            (v, None) if v & OFPVID_PRESENT != 0 && v & !0x1fff == 0 => (v & 0x0fff).to_string(),
            (OFPVID_PRESENT, Some(OFPVID_PRESENT)) => "present".into(),
            (v, m) => masked(v, m, |x| format!("{x:#06x}")),
        },
        F::VlanPcp(v)
        | F::IpDscp(v)
        | F::IpEcn(v)
        | F::IpProto(v)
        | F::Icmpv4Type(v)
        | F::Icmpv4Code(v)
        | F::Icmpv6Type(v)
        | F::Icmpv6Code(v)
        | F::MplsTc(v)
        | F::MplsBos(v) => v.to_string(),
        F::Ipv4Src(v, m) | F::Ipv4Dst(v, m) | F::ArpSpa(v, m) | F::ArpTpa(v, m) => match m {
            Some(m) => match prefix_len(&m.octets()) {
                Some(len) => format!("{v}/{len}"),
                None => format!("{v}/{m}"),
            },
            None => v.to_string(),
        },
        F::Ipv6Src(v, m) | F::Ipv6Dst(v, m) => match m {
            Some(m) => match prefix_len(&m.octets()) {
                Some(len) => format!("{v}/{len}"),
                None => format!("{v}/{m}"),
            },
            None => v.to_string(),
        },
        F::Ipv6NdTarget(v) => v.to_string(),
        F::Ipv6NdSll(a) | F::Ipv6NdTll(a) => mac(&a),
        F::TcpSrc(p)
        | F::TcpDst(p)
        | F::UdpSrc(p)
        | F::UdpDst(p)
        | F::SctpSrc(p)
        | F::SctpDst(p)
        | F::ArpOp(p) => p.to_string(),
        F::Ipv6Flabel(v, m) | F::PbbIsid(v, m) => masked(v, m, |x| format!("{x:#x}")),
        F::MplsLabel(v) => v.to_string(),
        F::Ipv6Exthdr(v, m) => masked(v, m, |x| format!("{x:#x}")),
    }
}

/// The prefix length of a contiguous mask (`255.255.255.0` → 24).
fn prefix_len(mask: &[u8]) -> Option<u32> {
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let contiguous = mask.iter().enumerate().all(|(i, &b)| {
        let want_bits = (ones as usize).saturating_sub(i * 8).min(8);
        b == (0xffu16 << (8 - want_bits)) as u8
    });
    contiguous.then_some(ones)
}

/// Actions in ovs-ofctl notation, comma-separated; `drop` for none.
fn fmt_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "drop".into();
    }
    actions.iter().map(fmt_action).collect::<Vec<_>>().join(",")
}

fn fmt_action(a: &Action) -> String {
    match a {
        Action::Output { port: OFPP_CONTROLLER, max_len } => match *max_len {
            OFPCML_NO_BUFFER => "CONTROLLER:no_buffer".into(),
            n => format!("CONTROLLER:{n}"),
        },
        Action::Output { port, .. } => format!("output:{}", port_name(*port)),
        Action::CopyTtlOut => "copy_ttl_out".into(),
        Action::CopyTtlIn => "copy_ttl_in".into(),
        Action::SetMplsTtl(t) => format!("set_mpls_ttl:{t}"),
        Action::DecMplsTtl => "dec_mpls_ttl".into(),
        Action::PushVlan(t) => format!("push_vlan:{t:#06x}"),
        Action::PopVlan => "pop_vlan".into(),
        Action::PushMpls(t) => format!("push_mpls:{t:#06x}"),
        Action::PopMpls(t) => format!("pop_mpls:{t:#06x}"),
        Action::SetQueue(q) => format!("set_queue:{q}"),
        Action::Group(g) => format!("group:{}", group_name(*g)),
        Action::SetNwTtl(t) => format!("set_nw_ttl:{t}"),
        Action::DecNwTtl => "dec_nw_ttl".into(),
        Action::SetField(o) => {
            let (name, value) = oxm_parts(o);
            format!("set_field:{value}->{name}")
        }
        Action::PushPbb(t) => format!("push_pbb:{t:#06x}"),
        Action::PopPbb => "pop_pbb".into(),
        Action::Experimenter { experimenter, data } => {
            format!("experimenter({}):{}", experimenter_name(*experimenter), hex_compact(data))
        }
        Action::Unknown { action_type, body } => format!("action(type={action_type}):{}", hex_compact(body)),
    }
}

/// Instructions in ovs-ofctl notation: a lone apply-actions instruction's
/// actions bare, the others as `goto_table:N`, `write_actions(...)`, ...
fn fmt_instructions(instructions: &[Instruction]) -> String {
    if instructions.is_empty() {
        return "drop".into();
    }
    let applies = instructions.iter().filter(|i| matches!(i, Instruction::ApplyActions(_))).count();
    let parts: Vec<String> = instructions
        .iter()
        .map(|i| match i {
            Instruction::ApplyActions(a) if applies == 1 => fmt_actions(a),
            Instruction::ApplyActions(a) => format!("apply_actions({})", fmt_actions(a)),
            Instruction::WriteActions(a) => format!("write_actions({})", fmt_actions(a)),
            Instruction::ClearActions => "clear_actions".into(),
            Instruction::GotoTable(t) => format!("goto_table:{t}"),
            Instruction::WriteMetadata { metadata, mask } => {
                format!("write_metadata:{metadata:#x}/{mask:#x}")
            }
            Instruction::Meter(m) => format!("meter:{}", meter_name(*m)),
            Instruction::Experimenter { experimenter, data } => {
                format!("experimenter({}):{}", experimenter_name(*experimenter), hex_compact(data))
            }
            Instruction::Unknown { instruction_type, body } => {
                format!("instruction(type={instruction_type}):{}", hex_compact(body))
            }
        })
        .collect();
    parts.join(",")
}

/// A summary of a packet's frame (PACKET_IN/PACKET_OUT data) and its bytes.
fn packet_lines(d: &mut Vec<String>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    d.push(format!("data ({} bytes): {}", data.len(), frame_summary(data)));
    hex_lines(d, data);
}

/// One line about an Ethernet frame: addresses, VLAN, IP, ARP, ports.
pub fn frame_summary(data: &[u8]) -> String {
    use etherparse::{LinkExtSlice, LinkSlice};
    let Ok(p) = SlicedPacket::from_ethernet(data) else {
        return "not a valid Ethernet frame".into();
    };
    let mut parts = Vec::new();
    if let Some(LinkSlice::Ethernet2(eth)) = &p.link {
        parts.push(format!("{} > {}", mac(&eth.source()), mac(&eth.destination())));
    }
    for ext in &p.link_exts {
        if let LinkExtSlice::Vlan(v) = ext {
            parts.push(format!("vlan {}", v.vlan_identifier().value()));
        }
    }
    match &p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            parts.push(format!("IPv4 {} > {} ttl {}", h.source_addr(), h.destination_addr(), h.ttl()));
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header();
            parts.push(format!(
                "IPv6 {} > {} hop limit {}",
                h.source_addr(),
                h.destination_addr(),
                h.hop_limit()
            ));
        }
        Some(NetSlice::Arp(arp)) => {
            let ip = |b: &[u8]| match <[u8; 4]>::try_from(b) {
                Ok(a) => std::net::Ipv4Addr::from(a).to_string(),
                Err(_) => hex_compact(b),
            };
            let op = arp.operation();
            let (spa, tpa) = (ip(arp.sender_protocol_addr()), ip(arp.target_protocol_addr()));
            parts.push(match op.0 {
                1 => format!("ARP who-has {tpa} tell {spa}"),
                2 => format!("ARP reply {spa} is-at {}", hex_colons(arp.sender_hw_addr())),
                n => format!("ARP op {n} {spa} > {tpa}"),
            });
        }
        None => {
            if let Some(t) = p.payload_ether_type() {
                parts.push(format!("ethertype {:#06x}", t.0));
            }
        }
    }
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            let flags: String =
                [(t.syn(), 'S'), (t.fin(), 'F'), (t.rst(), 'R'), (t.psh(), 'P'), (t.ack(), '.')]
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, c)| *c)
                    .collect();
            parts.push(format!(
                "TCP {} > {} [{flags}] {} bytes",
                t.source_port(),
                t.destination_port(),
                t.payload().len()
            ));
        }
        Some(TransportSlice::Udp(u)) => parts.push(format!(
            "UDP {} > {} {} bytes",
            u.source_port(),
            u.destination_port(),
            u.payload().len()
        )),
        Some(TransportSlice::Icmpv4(i)) => {
            parts.push(format!("ICMP type {} code {}", i.type_u8(), i.code_u8()))
        }
        Some(TransportSlice::Icmpv6(i)) => {
            parts.push(format!("ICMPv6 type {} code {}", i.type_u8(), i.code_u8()))
        }
        _ => {}
    }
    parts.join(", ")
}

// ---- small renderers ----

fn mac(a: &[u8; 6]) -> String {
    hex_colons(a)
}

fn hex_colons(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

fn hex_compact(b: &[u8]) -> String {
    if b.is_empty() {
        return "(empty)".into();
    }
    format!("0x{}", b.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Short byte strings inline, long ones cut (with the length).
fn hex_inline(b: &[u8]) -> String {
    const MAX: usize = 32;
    if b.len() <= MAX { hex_compact(b) } else { format!("{}... ({} bytes)", hex_compact(&b[..MAX]), b.len()) }
}

/// A hex dump as detail lines: offset, 16 bytes, printable ASCII; at most 1 KiB.
fn hex_lines(d: &mut Vec<String>, data: &[u8]) {
    const LIMIT: usize = 1024;
    for (i, chunk) in data[..data.len().min(LIMIT)].chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String =
            chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
        d.push(format!("{:04x}  {:<47}  {ascii}", i * 16, hex.join(" ")));
    }
    if data.len() > LIMIT {
        d.push(format!("... {} more byte(s)", data.len() - LIMIT));
    }
}

fn duration(sec: u32, nsec: u32) -> String {
    format!("{sec}.{:03}s", nsec / 1_000_000)
}

fn name_or(code: u32, names: &[(u32, &str)]) -> String {
    names.iter().find(|(c, _)| *c == code).map_or_else(|| format!("unknown({code})"), |(_, n)| n.to_string())
}

/// Bits of a flag word by name (`A,B`), unnamed bits as hex, `0` for none.
fn bits(value: u32, names: &[(u32, &str)]) -> String {
    if value == 0 {
        return "0".into();
    }
    let mut parts: Vec<String> =
        names.iter().filter(|(b, _)| value & b != 0).map(|(_, n)| n.to_string()).collect();
    let rest = names.iter().fold(value, |v, (b, _)| v & !b);
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join(",")
}

/// A bitmap of `1 << code` over named codes (async masks, group types,
/// action types), `none` for no bit.
fn reason_bits(value: u32, names: &[(u32, &str)]) -> String {
    if value == 0 {
        return "none".into();
    }
    let mut parts = Vec::new();
    for bit in 0..32 {
        if value & (1 << bit) != 0 {
            parts.push(
                names
                    .iter()
                    .find(|(c, _)| *c == bit)
                    .map_or_else(|| format!("bit{bit}"), |(_, n)| n.to_string()),
            );
        }
    }
    parts.join(",")
}

fn port_name(p: u32) -> String {
    match p {
        OFPP_IN_PORT => "IN_PORT".into(),
        OFPP_TABLE => "TABLE".into(),
        OFPP_NORMAL => "NORMAL".into(),
        OFPP_FLOOD => "FLOOD".into(),
        OFPP_ALL => "ALL".into(),
        OFPP_CONTROLLER => "CONTROLLER".into(),
        OFPP_LOCAL => "LOCAL".into(),
        OFPP_ANY => "ANY".into(),
        p => p.to_string(),
    }
}

fn group_name(g: u32) -> String {
    match g {
        OFPG_ALL => "ALL".into(),
        OFPG_ANY => "ANY".into(),
        g => g.to_string(),
    }
}

fn meter_name(m: u32) -> String {
    match m {
        OFPM_SLOWPATH => "SLOWPATH".into(),
        OFPM_CONTROLLER => "CONTROLLER".into(),
        OFPM_ALL => "ALL".into(),
        m => m.to_string(),
    }
}

fn queue_name(q: u32) -> String {
    if q == OFPQ_ALL { "ALL".into() } else { q.to_string() }
}

fn table_name(t: u8) -> String {
    if t == OFPTT_ALL { "ALL".into() } else { t.to_string() }
}

fn buffer_name(b: u32) -> String {
    if b == OFP_NO_BUFFER { "none".into() } else { format!("{b:#x}") }
}

fn experimenter_name(e: u32) -> String {
    match e {
        0x0000_2320 => "0x2320(Nicira)".into(),
        0x4f4e_4600 => "0x4f4e4600(ONF)".into(),
        e => format!("{e:#x}"),
    }
}

fn mp_type_name(t: MultipartType) -> String {
    let code = u16::from(t);
    MULTIPART_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("OFPMP_UNKNOWN({code})"), |(_, n)| format!("OFPMP_{n}"))
}

const MULTIPART_TYPES: &[(u16, &str)] = &[
    (0, "DESC"),
    (1, "FLOW"),
    (2, "AGGREGATE"),
    (3, "TABLE"),
    (4, "PORT_STATS"),
    (5, "QUEUE"),
    (6, "GROUP"),
    (7, "GROUP_DESC"),
    (8, "GROUP_FEATURES"),
    (9, "METER"),
    (10, "METER_CONFIG"),
    (11, "METER_FEATURES"),
    (12, "TABLE_FEATURES"),
    (13, "PORT_DESC"),
    (0xffff, "EXPERIMENTER"),
];

const CAPABILITIES: &[(u32, &str)] = &[
    (1 << 0, "FLOW_STATS"),
    (1 << 1, "TABLE_STATS"),
    (1 << 2, "PORT_STATS"),
    (1 << 3, "GROUP_STATS"),
    (1 << 5, "IP_REASM"),
    (1 << 6, "QUEUE_STATS"),
    (1 << 8, "PORT_BLOCKED"),
];
const PORT_CONFIG: &[(u32, &str)] =
    &[(1 << 0, "PORT_DOWN"), (1 << 2, "NO_RECV"), (1 << 5, "NO_FWD"), (1 << 6, "NO_PACKET_IN")];
const PORT_STATE: &[(u32, &str)] = &[(1 << 0, "LINK_DOWN"), (1 << 1, "BLOCKED"), (1 << 2, "LIVE")];
const PORT_FEATURES: &[(u32, &str)] = &[
    (1 << 0, "10MB_HD"),
    (1 << 1, "10MB_FD"),
    (1 << 2, "100MB_HD"),
    (1 << 3, "100MB_FD"),
    (1 << 4, "1GB_HD"),
    (1 << 5, "1GB_FD"),
    (1 << 6, "10GB_FD"),
    (1 << 7, "40GB_FD"),
    (1 << 8, "100GB_FD"),
    (1 << 9, "1TB_FD"),
    (1 << 10, "OTHER"),
    (1 << 11, "COPPER"),
    (1 << 12, "FIBER"),
    (1 << 13, "AUTONEG"),
    (1 << 14, "PAUSE"),
    (1 << 15, "PAUSE_ASYM"),
];
const FLOW_MOD_FLAGS: &[(u32, &str)] = &[
    (1 << 0, "send_flow_rem"),
    (1 << 1, "check_overlap"),
    (1 << 2, "reset_counts"),
    (1 << 3, "no_packet_counts"),
    (1 << 4, "no_byte_counts"),
];
const FLOW_MOD_COMMANDS: &[(u32, &str)] =
    &[(0, "ADD"), (1, "MODIFY"), (2, "MODIFY_STRICT"), (3, "DELETE"), (4, "DELETE_STRICT")];
const PACKET_IN_REASONS: &[(u32, &str)] = &[(0, "no_match"), (1, "action"), (2, "invalid_ttl")];
const FLOW_REMOVED_REASONS: &[(u32, &str)] =
    &[(0, "idle_timeout"), (1, "hard_timeout"), (2, "delete"), (3, "group_delete")];
const PORT_REASONS: &[(u32, &str)] = &[(0, "ADD"), (1, "DELETE"), (2, "MODIFY")];
const GROUP_COMMANDS: &[(u32, &str)] = &[(0, "ADD"), (1, "MODIFY"), (2, "DELETE")];
const GROUP_TYPES: &[(u32, &str)] = &[(0, "all"), (1, "select"), (2, "indirect"), (3, "fast_failover")];
const GROUP_CAPABILITIES: &[(u32, &str)] = &[
    (1 << 0, "SELECT_WEIGHT"),
    (1 << 1, "SELECT_LIVENESS"),
    (1 << 2, "CHAINING"),
    (1 << 3, "CHAINING_CHECKS"),
];
const METER_COMMANDS: &[(u32, &str)] = &[(0, "ADD"), (1, "MODIFY"), (2, "DELETE")];
const METER_FLAGS: &[(u32, &str)] =
    &[(1 << 0, "KBPS"), (1 << 1, "PKTPS"), (1 << 2, "BURST"), (1 << 3, "STATS")];
const BAND_TYPES: &[(u32, &str)] = &[(1, "drop"), (2, "dscp_remark")];
const ROLES: &[(u32, &str)] = &[(0, "nochange"), (1, "equal"), (2, "master"), (3, "slave")];
const ONF_MONITOR_FLAGS: &[(u32, &str)] = &[
    (1 << 0, "initial"),
    (1 << 1, "add"),
    (1 << 2, "delete"),
    (1 << 3, "modify"),
    (1 << 4, "actions"),
    (1 << 5, "own"),
];
const ACTION_TYPES: &[(u32, &str)] = &[
    (0, "output"),
    (11, "copy_ttl_out"),
    (12, "copy_ttl_in"),
    (15, "set_mpls_ttl"),
    (16, "dec_mpls_ttl"),
    (17, "push_vlan"),
    (18, "pop_vlan"),
    (19, "push_mpls"),
    (20, "pop_mpls"),
    (21, "set_queue"),
    (22, "group"),
    (23, "set_nw_ttl"),
    (24, "dec_nw_ttl"),
    (25, "set_field"),
    (26, "push_pbb"),
    (27, "pop_pbb"),
];
const INSTRUCTION_TYPES: &[(u32, &str)] = &[
    (1, "goto_table"),
    (2, "write_metadata"),
    (3, "write_actions"),
    (4, "apply_actions"),
    (5, "clear_actions"),
    (6, "meter"),
];
const ERROR_TYPES: &[(u32, &str)] = &[
    (0, "HELLO_FAILED"),
    (1, "BAD_REQUEST"),
    (2, "BAD_ACTION"),
    (3, "BAD_INSTRUCTION"),
    (4, "BAD_MATCH"),
    (5, "FLOW_MOD_FAILED"),
    (6, "GROUP_MOD_FAILED"),
    (7, "PORT_MOD_FAILED"),
    (8, "TABLE_MOD_FAILED"),
    (9, "QUEUE_OP_FAILED"),
    (10, "SWITCH_CONFIG_FAILED"),
    (11, "ROLE_REQUEST_FAILED"),
    (12, "METER_MOD_FAILED"),
    (13, "TABLE_FEATURES_FAILED"),
];

/// The `OFP*_*` name of error `code` of `err_type` (OpenFlow 1.3.5 §7.4.4).
fn error_code_name(err_type: u16, code: u16) -> Option<&'static str> {
    let names: &[&str] = match err_type {
        0 => &["OFPHFC_INCOMPATIBLE", "OFPHFC_EPERM"],
        1 => &[
            "OFPBRC_BAD_VERSION",
            "OFPBRC_BAD_TYPE",
            "OFPBRC_BAD_MULTIPART",
            "OFPBRC_BAD_EXPERIMENTER",
            "OFPBRC_BAD_EXP_TYPE",
            "OFPBRC_EPERM",
            "OFPBRC_BAD_LEN",
            "OFPBRC_BUFFER_EMPTY",
            "OFPBRC_BUFFER_UNKNOWN",
            "OFPBRC_BAD_TABLE_ID",
            "OFPBRC_IS_SLAVE",
            "OFPBRC_BAD_PORT",
            "OFPBRC_BAD_PACKET",
            "OFPBRC_MULTIPART_BUFFER_OVERFLOW",
        ],
        2 => &[
            "OFPBAC_BAD_TYPE",
            "OFPBAC_BAD_LEN",
            "OFPBAC_BAD_EXPERIMENTER",
            "OFPBAC_BAD_EXP_TYPE",
            "OFPBAC_BAD_OUT_PORT",
            "OFPBAC_BAD_ARGUMENT",
            "OFPBAC_EPERM",
            "OFPBAC_TOO_MANY",
            "OFPBAC_BAD_QUEUE",
            "OFPBAC_BAD_OUT_GROUP",
            "OFPBAC_MATCH_INCONSISTENT",
            "OFPBAC_UNSUPPORTED_ORDER",
            "OFPBAC_BAD_TAG",
            "OFPBAC_BAD_SET_TYPE",
            "OFPBAC_BAD_SET_LEN",
            "OFPBAC_BAD_SET_ARGUMENT",
        ],
        3 => &[
            "OFPBIC_UNKNOWN_INST",
            "OFPBIC_UNSUP_INST",
            "OFPBIC_BAD_TABLE_ID",
            "OFPBIC_UNSUP_METADATA",
            "OFPBIC_UNSUP_METADATA_MASK",
            "OFPBIC_BAD_EXPERIMENTER",
            "OFPBIC_BAD_EXP_TYPE",
            "OFPBIC_BAD_LEN",
            "OFPBIC_EPERM",
        ],
        4 => &[
            "OFPBMC_BAD_TYPE",
            "OFPBMC_BAD_LEN",
            "OFPBMC_BAD_TAG",
            "OFPBMC_BAD_DL_ADDR_MASK",
            "OFPBMC_BAD_NW_ADDR_MASK",
            "OFPBMC_BAD_WILDCARDS",
            "OFPBMC_BAD_FIELD",
            "OFPBMC_BAD_VALUE",
            "OFPBMC_BAD_MASK",
            "OFPBMC_BAD_PREREQ",
            "OFPBMC_DUP_FIELD",
            "OFPBMC_EPERM",
        ],
        5 => &[
            "OFPFMFC_UNKNOWN",
            "OFPFMFC_TABLE_FULL",
            "OFPFMFC_BAD_TABLE_ID",
            "OFPFMFC_OVERLAP",
            "OFPFMFC_EPERM",
            "OFPFMFC_BAD_TIMEOUT",
            "OFPFMFC_BAD_COMMAND",
            "OFPFMFC_BAD_FLAGS",
        ],
        6 => &[
            "OFPGMFC_GROUP_EXISTS",
            "OFPGMFC_INVALID_GROUP",
            "OFPGMFC_WEIGHT_UNSUPPORTED",
            "OFPGMFC_OUT_OF_GROUPS",
            "OFPGMFC_OUT_OF_BUCKETS",
            "OFPGMFC_CHAINING_UNSUPPORTED",
            "OFPGMFC_WATCH_UNSUPPORTED",
            "OFPGMFC_LOOP",
            "OFPGMFC_UNKNOWN_GROUP",
            "OFPGMFC_CHAINED_GROUP",
            "OFPGMFC_BAD_TYPE",
            "OFPGMFC_BAD_COMMAND",
            "OFPGMFC_BAD_BUCKET",
            "OFPGMFC_BAD_WATCH",
            "OFPGMFC_EPERM",
        ],
        7 => &[
            "OFPPMFC_BAD_PORT",
            "OFPPMFC_BAD_HW_ADDR",
            "OFPPMFC_BAD_CONFIG",
            "OFPPMFC_BAD_ADVERTISE",
            "OFPPMFC_EPERM",
        ],
        8 => &["OFPTMFC_BAD_TABLE", "OFPTMFC_BAD_CONFIG", "OFPTMFC_EPERM"],
        9 => &["OFPQOFC_BAD_PORT", "OFPQOFC_BAD_QUEUE", "OFPQOFC_EPERM"],
        10 => &["OFPSCFC_BAD_FLAGS", "OFPSCFC_BAD_LEN", "OFPSCFC_EPERM"],
        11 => &["OFPRRFC_STALE", "OFPRRFC_UNSUP", "OFPRRFC_BAD_ROLE"],
        12 => &[
            "OFPMMFC_UNKNOWN",
            "OFPMMFC_METER_EXISTS",
            "OFPMMFC_INVALID_METER",
            "OFPMMFC_UNKNOWN_METER",
            "OFPMMFC_BAD_COMMAND",
            "OFPMMFC_BAD_FLAGS",
            "OFPMMFC_BAD_RATE",
            "OFPMMFC_BAD_BURST",
            "OFPMMFC_BAD_BAND",
            "OFPMMFC_BAD_BAND_VALUE",
            "OFPMMFC_OUT_OF_METERS",
            "OFPMMFC_OUT_OF_BANDS",
        ],
        13 => &[
            "OFPTFFC_BAD_TABLE",
            "OFPTFFC_BAD_METADATA",
            "OFPTFFC_BAD_TYPE",
            "OFPTFFC_BAD_LEN",
            "OFPTFFC_BAD_ARGUMENT",
            "OFPTFFC_EPERM",
        ],
        _ => &[],
    };
    names.get(usize::from(code)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_in_every_usual_spelling() {
        let want = vec![0x04, 0x00, 0x00, 0x08, 0xab, 0xcd, 0xef, 0x01];
        for text in [
            "04 00 00 08 ab cd ef 01",
            "04:00:00:08:AB:CD:EF:01",
            "0x0400 0x0008 0xabcdef01",
            "0400\n0008abcdef01\n",
        ] {
            assert_eq!(parse_hex(text), Ok(want.clone()), "{text:?}");
        }
        assert_eq!(parse_hex("04 0"), Err(HexError::Odd { digits: 3 }));
        assert_eq!(parse_hex("04 zz"), Err(HexError::BadChar { ch: 'z', index: 3 }));
        assert_eq!(parse_hex("  "), Err(HexError::Empty));
        assert!(!looks_like_hex_text(&[0x04, 0x00, 0x00, 0x08, 0, 0, 0, 1]));
        assert!(looks_like_hex_text(b"04 00 00 08 00 00 00 01\n"));
    }

    #[test]
    fn framing_stops_only_where_lengths_do() {
        let hello = [4u8, 0, 0, 8, 0, 0, 0, 1];
        let mut two = hello.to_vec();
        two.extend_from_slice(&hello);
        assert_eq!(frame(&two), (vec![0..8, 8..16], None));
        two.extend_from_slice(&[4, 0, 0]);
        assert_eq!(frame(&two).1, Some(FramingError::TrailingBytes { offset: 16, left: 3 }));
        let bad = [4u8, 0, 0, 4, 0, 0, 0, 1, 4, 0, 0, 8];
        assert_eq!(frame(&bad), (vec![], Some(FramingError::BadLength { offset: 0, length: 4 })));
        let short = [4u8, 0, 0, 16, 0, 0, 0, 1, 0];
        assert_eq!(frame(&short).1, Some(FramingError::Truncated { offset: 0, length: 16, left: 9 }));
    }

    fn seg(frame: u64, seq: u32, payload: &[u8]) -> Segment {
        Segment { frame, seq, syn: false, payload: payload.to_vec() }
    }

    #[test]
    fn reassembly_orders_by_sequence_and_drops_retransmits() {
        let segs = [
            Segment { frame: 1, seq: 999, syn: true, payload: vec![] },
            seg(2, 1005, b"fgh"),
            seg(3, 1000, b"abcd"),
            seg(4, 1000, b"abcd"), // retransmit
            seg(5, 1003, b"de"),   // overlap
            seg(6, 1008, b"ij"),
        ];
        let s = reassemble(&segs);
        assert_eq!(s.runs.len(), 1);
        assert_eq!(s.runs[0].data, b"abcdefghij");
        assert_eq!(s.runs[0].offset, 0);
        assert_eq!(s.runs[0].sources, vec![(0, 3), (4, 5), (5, 2), (8, 6)]);
        assert_eq!((s.duplicates, s.overlaps), (1, 1));
        assert_eq!(s.runs[0].completed_by(&(0..4)), 3);
        assert_eq!(s.runs[0].completed_by(&(2..6)), 5);
        assert_eq!(s.runs[0].completed_by(&(0..10)), 6);
        assert_eq!(s.runs[0].started_in(&(5..6)), 2);
        assert_eq!(s.runs[0].completed_by(&(5..6)), 2);
        assert_eq!(s.runs[0].delivered_by(&(5..6)), 5);
    }

    #[test]
    fn reassembly_across_sequence_wrap_and_with_a_hole() {
        let segs = [seg(1, u32::MAX - 1, b"ab"), seg(2, 0, b"cd"), seg(3, 10, b"xy")];
        let s = reassemble(&segs);
        assert_eq!(s.runs.len(), 2);
        assert_eq!((s.runs[0].offset, s.runs[0].data.as_slice()), (0, &b"abcd"[..]));
        assert_eq!((s.runs[1].offset, s.runs[1].data.as_slice()), (12, &b"xy"[..]));
        // Out of order before the first captured segment, without a SYN.
        let s = reassemble(&[seg(1, 100, b"cd"), seg(2, 98, b"ab")]);
        assert_eq!(s.runs[0].data, b"abcd");
    }

    #[test]
    fn differences_name_offset_expected_and_got() {
        let d = Differences { bytes: vec![(9, 0x01, 0x02)], lengths: Some((16, 17)) };
        assert_eq!(d.describe(), "length: expected 16, got 17; offset 9: expected 0x01, got 0x02");
    }

    #[test]
    fn verify_compares_with_the_reencoding() {
        let msg = Message { version: 4, xid: 1, body: Body::BarrierRequest };
        assert!(verify(&msg.to_vec(), &msg).is_empty());
        let d = verify(&[4, 20, 0, 8, 0, 0, 0, 2, 9], &msg);
        assert_eq!(d.bytes, vec![(7, 2, 1)]);
        assert_eq!(d.lengths, Some((9, 8)));
    }

    fn pretty(m: &Message) -> String {
        Pretty(m).to_string()
    }

    #[test]
    fn flow_mod_reads_like_ovs_ofctl() {
        use openflow::action::OFPCML_NO_BUFFER;
        let fm = FlowMod::add(0)
            .priority(10)
            .idle_timeout(60)
            .send_flow_removed()
            .matching(
                Match::new()
                    .in_port(1)
                    .eth_dst([0, 1, 2, 3, 4, 5])
                    .eth_type(0x0800)
                    .ipv4_dst_masked([10, 0, 0, 0].into(), [255, 255, 255, 0].into())
                    .vlan_vid(OFPVID_PRESENT | 100),
            )
            .apply_actions(vec![
                Action::SetField(Oxm::Basic(BasicField::Ipv4Src([10, 0, 0, 1].into(), None))),
                Action::Output { port: 2, max_len: OFPCML_NO_BUFFER },
                Action::Output { port: OFPP_CONTROLLER, max_len: 128 },
            ])
            .goto_table(1);
        assert_eq!(
            pretty(&Message::new(0x1234, fm)),
            "OFPT_FLOW_MOD (OF1.3) (xid=0x1234): ADD table:0 priority=10 idle_timeout=60 flags=send_flow_rem \
             in_port=1,eth_dst=00:01:02:03:04:05,eth_type=0x0800,ipv4_dst=10.0.0.0/24,vlan_vid=100 \
             actions=set_field:10.0.0.1->ipv4_src,output:2,CONTROLLER:128,goto_table:1\n"
        );
        let del = FlowMod::delete(OFPTT_ALL).out_port(3);
        assert_eq!(
            pretty(&Message::new(2, del)),
            "OFPT_FLOW_MOD (OF1.3) (xid=0x2): DELETE table:ALL priority=32768 out_port=3 actions=drop\n"
        );
    }

    #[test]
    fn errors_show_the_failed_request() {
        let request = Message::new(7, FlowMod::add(0).matching(Match::new().in_port(1))).to_vec();
        let err = ErrorMsg::for_request(5, 1, &request);
        let text = pretty(&Message::new(7, err));
        assert!(
            text.starts_with("OFPT_ERROR (OF1.3) (xid=0x7): OFPET_FLOW_MOD_FAILED / OFPFMFC_TABLE_FULL\n"),
            "{text}"
        );
        assert!(text.contains("  request: OFPT_FLOW_MOD (OF1.3) (xid=0x7), 64 of 64 bytes\n"), "{text}");
        assert!(
            text.contains(
                "    OFPT_FLOW_MOD (OF1.3) (xid=0x7): ADD table:0 priority=32768 in_port=1 actions=drop\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn small_messages_and_other_versions() {
        let hello = Message::new(1, openflow::message::Hello::new(&[1, 4]));
        assert_eq!(pretty(&hello), "OFPT_HELLO (OF1.3) (xid=0x1): version bitmap: OF1.0, OF1.3\n");
        let of10 = Message::decode(&[1, 5, 0, 8, 0, 0, 0, 3]).unwrap();
        assert_eq!(
            pretty(&of10),
            "OFPT type 5 (OF1.0) (xid=0x3): not decoded (only OpenFlow 1.3 is), 0 byte(s) of body\n"
        );
        let unknown = Message::decode(&[4, 99, 0, 10, 0, 0, 0, 4, 0xab, 0xcd]).unwrap();
        assert_eq!(
            pretty(&unknown),
            format!(
                "OFPT_UNKNOWN type 99 (OF1.3) (xid=0x4): 2 byte(s) of body\n  0000  ab cd{}  ..\n",
                " ".repeat(42)
            )
        );
        let echo = Message { version: 4, xid: 5, body: Body::EchoRequest(b"hi".to_vec()) };
        assert!(
            pretty(&echo)
                .starts_with("OFPT_ECHO_REQUEST (OF1.3) (xid=0x5): 2 bytes of payload\n  0000  68 69")
        );
    }

    #[test]
    fn masks_and_lists() {
        assert_eq!(prefix_len(&[255, 255, 255, 0]), Some(24));
        assert_eq!(prefix_len(&[255, 0, 255, 0]), None);
        assert_eq!(prefix_len(&[0; 16]), Some(0));
        assert_eq!(table_list(&[1, 2, 3, 4, 7, 9, 10]), "1-4,7,9,10");
        assert_eq!(table_list(&[]), "none");
        assert_eq!(bits(0x2821, PORT_FEATURES), "10MB_HD,1GB_FD,COPPER,AUTONEG");
        assert_eq!(bits(1 << 20, PORT_FEATURES), "0x100000");
        assert_eq!(reason_bits(0b101, PACKET_IN_REASONS), "no_match,invalid_ttl");
    }

    #[test]
    fn resync_finds_the_next_message_boundary() {
        let hello = [4u8, 0, 0, 8, 0, 0, 0, 1];
        let barrier = [4u8, 20, 0, 8, 0, 0, 0, 2];
        let mut data = vec![0x80, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff]; // the tail of something
        data.extend_from_slice(&hello);
        data.extend_from_slice(&barrier);
        assert_eq!(resync(&data), Some(10));
        assert_eq!(resync(&data[10..]), Some(0));
        assert_eq!(resync(&[0xff; 7]), None);
    }
}
