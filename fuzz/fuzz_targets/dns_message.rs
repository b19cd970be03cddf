//! DNS message decode → encode → decode agreement, and no panic on any input.
//!
//! Whatever `Message::decode` accepts must encode (with compression, which
//! may differ from the input's) to bytes that decode to an equal message; the
//! presentation format of every record must not panic; and the allocation-free
//! `ResponseWriter` must write the same bytes as `Message::encode`.

#![no_main]

use std::fmt::Write as _;

use dns::message::{Message, ResponseWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::decode(data) else {
        return;
    };
    let bytes = msg.encode();
    let again = Message::decode(&bytes).expect("re-encoded bytes decode");
    assert_eq!(again, msg, "decode of the re-encoded bytes differs");
    assert_eq!(again.encode(), bytes, "encoding is not stable");

    let mut text = String::new();
    for r in msg.answers.iter().chain(&msg.authority).chain(&msg.additional) {
        let _ = write!(text, "{} {} {} {} {}", r.name, r.ttl, r.class, r.rtype(), r.rdata);
        text.clear();
    }

    let mut out = vec![0u8, 0]; // a TCP length prefix first
    let mut w = ResponseWriter::new(&mut out, msg.header, 65535);
    for q in &msg.questions {
        assert!(w.push_question(&q.qname, q.qtype, q.qclass));
    }
    msg.answers.iter().for_each(|r| assert!(w.push_answer(r)));
    msg.authority.iter().for_each(|r| assert!(w.push_authority(r)));
    msg.additional.iter().for_each(|r| assert!(w.push_additional(r)));
    w.finish(msg.edns.as_ref());
    assert_eq!(&out[2..], &bytes[..], "ResponseWriter and Message::encode disagree");
});
