//! `appliance ofp decode` as a user runs it: hex arguments, raw files of
//! concatenated messages (the public OpenFlow 1.3 vectors when present),
//! pcap and pcapng captures with split, reordered and retransmitted TCP
//! segments, `--json`, `--verify`, and non-zero exits on bad input.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapPacket, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;

fn appliance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appliance")).args(args).output().expect("run appliance")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

const HELLO: &str = "04 00 00 08 00 00 00 01";

/// FLOW_MOD xid 2: ADD, table 0, priority 100, match in_port=1, apply output:2.
const FLOW_MOD: &str = "04 0e 00 58 00 00 00 02
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 64  ff ff ff ff ff ff ff ff
    ff ff ff ff 00 00 00 00
    00 01 00 0c 80 00 00 04 00 00 00 01 00 00 00 00
    00 04 00 18 00 00 00 00
    00 00 00 10 00 00 00 02 ff ff 00 00 00 00 00 00";

/// BARRIER_REQUEST xid 3.
const BARRIER: &str = "04 14 00 08 00 00 00 03";

/// FEATURES_REPLY xid 4: datapath 0x1, 256 buffers, 254 tables.
const FEATURES_REPLY: &str = "04 06 00 20 00 00 00 04
    00 00 00 00 00 00 00 01 00 00 01 00 fe 00 00 00
    00 00 00 4f 00 00 00 00";

/// PACKET_IN xid 5: no buffer, 14-byte frame, table 0, reason NO_MATCH, match in_port=3.
const PACKET_IN: &str = "04 0a 00 38 00 00 00 05
    ff ff ff ff 00 0e 00 00 00 00 00 00 00 00 00 00
    00 01 00 0c 80 00 00 04 00 00 00 03 00 00 00 00
    00 00
    ff ff ff ff ff ff 02 00 00 00 00 01 08 06";

#[test]
fn hex_arguments_print_readably() {
    // One quoted argument per message, and unquoted bytes as separate arguments.
    let mut args = vec!["ofp", "decode", FLOW_MOD];
    args.extend(HELLO.split(' '));
    let out = appliance(&args);
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    for want in
        ["OFPT_FLOW_MOD (OF1.3) (xid=0x2)", "ADD", "priority=100", "in_port=1", "output:2", "OFPT_HELLO"]
    {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(text.find("OFPT_FLOW_MOD").unwrap() < text.find("OFPT_HELLO").unwrap(), "{text}");

    // Colons, 0x prefixes, newlines.
    let out = appliance(&["ofp", "decode", "0x04:0x14:0x00:0x08:0x00:0x00:0x00:0x03"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("OFPT_BARRIER_REQUEST (OF1.3) (xid=0x3)"), "{}", stdout(&out));
}

#[test]
fn json_is_one_osken_object_per_line() {
    let out = appliance(&["ofp", "decode", "--json", HELLO, FLOW_MOD, PACKET_IN]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let classes = ["OFPHello", "OFPFlowMod", "OFPPacketIn"];
    for (line, class) in lines.iter().zip(classes) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.get(class).is_some(), "{class} in {line}");
    }
    let flow_mod: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(flow_mod["OFPFlowMod"]["priority"], 100);
    assert_eq!(flow_mod["OFPFlowMod"]["match"]["OFPMatch"]["oxm_fields"][0]["OXMTlv"]["field"], "in_port");
}

#[test]
fn garbage_and_bad_lengths_exit_non_zero() {
    for args in [
        vec!["ofp", "decode", "zz"],
        vec!["ofp", "decode", "04 00 00 04 00 00 00 01"], // length < 8
        vec!["ofp", "decode", "04 0e 00 58 00 00 00 02"], // length beyond the input
        vec!["ofp", "decode", "04 00 00"],                // not even a header
        vec!["ofp", "decode", "/nonexistent/file/of.raw"],
    ] {
        let out = appliance(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains("error: "), "{args:?}: {}", stderr(&out));
    }
    let out = appliance(&["ofp", "decode", "04 00 00 04 00 00 00 01"]);
    assert!(stderr(&out).contains("ofp_header.length at offset 0 is 4"), "{}", stderr(&out));
    // No input at all is a usage error.
    assert_eq!(appliance(&["ofp", "decode"]).status.code(), Some(2));
}

#[test]
fn decode_errors_name_type_field_offset_and_decoding_goes_on() {
    // The output action's len says 12: a bad fixed length (offset 74 of the message).
    let mut bad = unhex(FLOW_MOD);
    bad[74..76].copy_from_slice(&[0, 12]);
    let out = appliance(&["ofp", "decode", &hex(&bad), HELLO]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("FLOW_MOD"), "{err}");
    assert!(err.contains("offset"), "{err}");
    assert!(err.contains("1 decode error"), "{err}");
    // The next message is still decoded.
    assert!(stdout(&out).contains("OFPT_HELLO"), "{}", stdout(&out));
}

#[test]
fn verify_reports_each_byte_the_encoder_would_change() {
    // Non-zero padding (FLOW_MOD bytes 46..48) decodes, but encodes as zeros.
    let mut padded = unhex(FLOW_MOD);
    padded[46] = 0xaa;
    padded[47] = 0x55;
    let arg = hex(&padded);
    let out = appliance(&["ofp", "decode", &arg]);
    assert!(out.status.success(), "without --verify padding is not checked: {}", stderr(&out));

    let out = appliance(&["ofp", "decode", "--verify", &arg]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("offset 46: expected 0xaa, got 0x00"), "{err}");
    assert!(err.contains("offset 47: expected 0x55, got 0x00"), "{err}");
    assert!(stdout(&out).contains("OFPT_FLOW_MOD"), "still printed");

    let out = appliance(&["ofp", "decode", "--verify", FLOW_MOD, HELLO, BARRIER, FEATURES_REPLY, PACKET_IN]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn testdata() -> Option<Vec<(PathBuf, Vec<u8>)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/openflow13/packet");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIPPED: OpenFlow 1.3 test vectors not found at {}", dir.display());
        return None;
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    // 4-N-name.packet, in N order.
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.split('-').nth(1).and_then(|n| n.parse::<u32>().ok()).unwrap_or(u32::MAX)
    });
    Some(files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect())
}

#[test]
fn raw_file_of_all_public_vectors_decodes_and_verifies() {
    let Some(vectors) = testdata() else { return };
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("all.raw");
    std::fs::write(&raw, vectors.iter().flat_map(|(_, b)| b.clone()).collect::<Vec<u8>>()).unwrap();
    let out = appliance(&["ofp", "decode", "--verify", raw.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    let headers = text.lines().filter(|l| l.starts_with("OFPT_")).count();
    assert_eq!(headers, vectors.len(), "{text}");
    for want in [
        "OFPT_HELLO",
        "OFPT_ERROR",
        "OFPT_FEATURES_REPLY",
        "OFPT_PACKET_IN",
        "OFPT_PACKET_OUT",
        "OFPT_FLOW_MOD",
        "OFPT_FLOW_REMOVED",
        "OFPT_PORT_STATUS",
        "OFPT_GROUP_MOD",
        "OFPT_METER_MOD",
        "OFPT_MULTIPART_REQUEST",
        "OFPT_MULTIPART_REPLY",
        "OFPT_ROLE_REPLY",
        "OFPT_GET_ASYNC_REPLY",
        "OFPT_QUEUE_GET_CONFIG_REPLY",
    ] {
        assert!(text.contains(want), "missing {want}");
    }

    // --json: one line per vector, each an object of the os-ken class the
    // vector's JSON names (field-by-field equality is the codec's own test).
    let out = appliance(&["ofp", "decode", "--json", raw.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(lines.len(), vectors.len());
    for (line, (path, _)) in lines.iter().zip(&vectors) {
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        let json_file = path
            .parent()
            .unwrap()
            .join("../json")
            .join(format!("{}.json", path.file_name().unwrap().to_string_lossy()));
        if let Ok(text) = std::fs::read_to_string(&json_file) {
            let want: serde_json::Value = serde_json::from_str(&text).unwrap();
            let class = |v: &serde_json::Value| v.as_object().and_then(|o| o.keys().next().cloned());
            assert_eq!(class(&got), class(&want), "{}", path.display());
        }
    }
}

/// One TCP segment of the test capture.
struct Seg {
    to_switch: bool,
    seq: u32,
    syn: bool,
    payload: Vec<u8>,
}

const CONTROLLER: ([u8; 4], u16) = ([10, 0, 0, 1], 6653);
const SWITCH: ([u8; 4], u16) = ([10, 0, 0, 2], 43210);

fn frame_bytes(s: &Seg) -> Vec<u8> {
    let ((src, sport), (dst, dport)) = if s.to_switch { (CONTROLLER, SWITCH) } else { (SWITCH, CONTROLLER) };
    let mut tcp = TcpHeader::new(sport, dport, s.seq, 65535);
    tcp.syn = s.syn;
    tcp.ack = !s.syn;
    tcp.psh = !s.payload.is_empty();
    let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, src[3]], [2, 0, 0, 0, 0, dst[3]])
        .ipv4(src, dst, 64)
        .tcp_header(tcp);
    let mut out = Vec::with_capacity(builder.size(s.payload.len()));
    builder.write(&mut out, &s.payload).unwrap();
    out
}

/// A conversation with messages split mid-header and mid-body, a segment
/// delivered out of order and one retransmitted:
/// controller → switch: HELLO, FLOW_MOD, BARRIER_REQUEST (with a SYN first);
/// switch → controller: HELLO, FEATURES_REPLY, PACKET_IN (no SYN captured).
fn conversation() -> Vec<Seg> {
    let c2s: Vec<u8> = [HELLO, FLOW_MOD, BARRIER].iter().flat_map(|h| unhex(h)).collect();
    let s2c: Vec<u8> = [HELLO, FEATURES_REPLY, PACKET_IN].iter().flat_map(|h| unhex(h)).collect();
    let c_isn = 0xffff_fff0u32; // the controller's stream wraps around 2^32
    let s_isn = 5000u32;
    let c = |range: std::ops::Range<usize>| Seg {
        to_switch: true,
        seq: c_isn.wrapping_add(1).wrapping_add(range.start as u32),
        syn: false,
        payload: c2s[range].to_vec(),
    };
    let s = |range: std::ops::Range<usize>| Seg {
        to_switch: false,
        seq: s_isn.wrapping_add(range.start as u32),
        syn: false,
        payload: s2c[range].to_vec(),
    };
    let (cl, sl) = (c2s.len(), s2c.len());
    vec![
        Seg { to_switch: true, seq: c_isn, syn: true, payload: vec![] }, // frame 1
        c(0..5),                                                         // 2: HELLO split in its header
        s(0..8),                                                         // 3: switch HELLO
        c(5..40),                                                        // 4: HELLO end + FLOW_MOD start
        c(60..cl), // 5: out of order: FLOW_MOD end + BARRIER
        s(8..30),  // 6: FEATURES_REPLY start
        c(40..60), // 7: the missing middle
        c(40..60), // 8: retransmitted
        s(30..sl), // 9: the rest
    ]
}

fn write_pcap(path: &Path, segs: &[Seg]) {
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    for (i, s) in segs.iter().enumerate() {
        let data = frame_bytes(s);
        w.write_packet(&PcapPacket::new(Duration::from_millis(i as u64), data.len() as u32, &data)).unwrap();
    }
    std::fs::write(path, w.into_writer()).unwrap();
}

fn write_pcapng(path: &Path, segs: &[Seg]) {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0)).unwrap();
    for (i, s) in segs.iter().enumerate() {
        let data = frame_bytes(s);
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_millis(i as u64),
            original_len: data.len() as u32,
            data: Cow::Owned(data),
            options: vec![],
        })
        .unwrap();
    }
    std::fs::write(path, w.into_inner()).unwrap();
}

#[test]
fn captures_are_reassembled_per_direction_in_sequence_order() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("of.pcap");
    let pcapng = dir.path().join("of.pcapng");
    write_pcap(&pcap, &conversation());
    write_pcapng(&pcapng, &conversation());
    for file in [&pcap, &pcapng] {
        let out = appliance(&["ofp", "decode", "--verify", file.to_str().unwrap()]);
        let text = stdout(&out);
        assert!(out.status.success(), "{}: {}\n{text}", file.display(), stderr(&out));
        let c2s = "10.0.0.1:6653 -> 10.0.0.2:43210";
        let s2c = "10.0.0.2:43210 -> 10.0.0.1:6653";
        // In the order a receiver got them (each direction in stream order),
        // each after the frames that carried its bytes.
        let want = [
            (format!("frame 3 {s2c}"), "OFPT_HELLO (OF1.3) (xid=0x1)"),
            (format!("frames 2-4 {c2s}"), "OFPT_HELLO (OF1.3) (xid=0x1)"),
            (format!("frames 4-7 {c2s}"), "OFPT_FLOW_MOD (OF1.3) (xid=0x2)"),
            (format!("frame 5 {c2s}"), "OFPT_BARRIER_REQUEST (OF1.3) (xid=0x3)"),
            (format!("frames 6-9 {s2c}"), "OFPT_FEATURES_REPLY (OF1.3) (xid=0x4)"),
            (format!("frame 9 {s2c}"), "OFPT_PACKET_IN (OF1.3) (xid=0x5)"),
        ];
        let mut at = 0;
        for (place, header) in want {
            let i = text[at..].find(&place).map(|i| i + at).unwrap_or_else(|| panic!("{place:?} in\n{text}"));
            let j = text[i..].find(header).map(|j| j + i).unwrap_or_else(|| panic!("{header:?} in\n{text}"));
            assert!(!text[i + place.len()..j].contains("frame"), "{header} right after {place}:\n{text}");
            at = j;
        }
        assert!(text.contains("output:2"), "{text}");
        assert!(text.contains("in_port=3"), "{text}");

        let out = appliance(&["ofp", "decode", "--json", file.to_str().unwrap()]);
        assert!(out.status.success());
        assert_eq!(stdout(&out).lines().count(), 6, "{}", stdout(&out));
    }

    // Traffic on another port needs --port.
    let out = appliance(&["ofp", "decode", "--port", "9999", pcap.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(!stdout(&out).contains("OFPT_"), "{}", stdout(&out));
    assert!(stderr(&out).contains("no TCP traffic on port(s) [9999]"), "{}", stderr(&out));
}

#[test]
fn a_hole_in_a_capture_is_an_error_but_the_rest_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("hole.pcap");
    let mut segs = conversation();
    segs.retain(|s| !(s.to_switch && s.payload.len() == 20)); // lose the FLOW_MOD middle, both copies
    write_pcap(&pcap, &segs);
    let out = appliance(&["ofp", "decode", pcap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("20 byte(s) missing before stream offset 60"), "{err}");
    assert!(err.contains("skipped 36 byte(s) of a message cut short"), "{err}");
    let text = stdout(&out);
    assert!(!text.contains("OFPT_FLOW_MOD"), "{text}");
    for want in ["OFPT_HELLO", "OFPT_BARRIER_REQUEST", "OFPT_FEATURES_REPLY", "OFPT_PACKET_IN"] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
}
