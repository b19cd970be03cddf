//! The OpenFlow 1.3 codec's hot paths, one core, no I/O: what a controller
//! does per packet-in (decode), per flow set-up (encode a flow mod), and
//! per statistics poll (decode a 100-entry flow-stats reply).
//!
//! Goals from the codec's issue: ≥ 10 M PACKET_IN decodes/s and ≥ 5 M
//! FLOW_MOD encodes/s. Run with `cargo bench -p benches --bench openflow`;
//! criterion reports elements per second (messages, or flow entries for the
//! stats reply).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use openflow::action::{Action, OFPCML_NO_BUFFER};
use openflow::message::{Body, FlowMod, Message, OFP_NO_BUFFER, OFPR_NO_MATCH, PacketIn};
use openflow::multipart::{FlowStats, MultipartReply, MultipartReplyBody};
use openflow::oxm::Match;
use openflow::wire::Encode;

const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

/// A table-miss PACKET_IN: unbuffered, match in_port=1, a 128-byte frame.
fn packet_in_bytes() -> Vec<u8> {
    let data: Vec<u8> = (0..128u8).collect();
    let msg = Message::new(
        7,
        PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: 128,
            reason: OFPR_NO_MATCH,
            table_id: 0,
            cookie: 0,
            match_: Match::new().in_port(1),
            data,
        },
    );
    msg.to_vec()
}

/// What a learning switch installs: match in_port and eth_dst, output to a port.
fn flow_mod() -> Message {
    Message::new(
        8,
        FlowMod::add(0)
            .priority(10)
            .idle_timeout(60)
            .matching(Match::new().in_port(1).eth_dst(MAC))
            .apply_actions(vec![Action::Output { port: 2, max_len: OFPCML_NO_BUFFER }]),
    )
}

/// A flow-stats reply with `n` entries like the flows above.
fn flow_stats_reply_bytes(n: u32) -> Vec<u8> {
    let flows = (0..n)
        .map(|i| FlowStats {
            table_id: 0,
            duration_sec: 100 + i,
            duration_nsec: 5_000,
            priority: 10,
            idle_timeout: 60,
            hard_timeout: 0,
            flags: 0,
            cookie: u64::from(i),
            packet_count: 1000 * u64::from(i),
            byte_count: 64_000 * u64::from(i),
            matching: Match::new().in_port(i).eth_dst([0x02, 0, 0, 0, (i >> 8) as u8, i as u8]),
            instructions: vec![openflow::instruction::Instruction::ApplyActions(vec![Action::Output {
                port: i + 1,
                max_len: OFPCML_NO_BUFFER,
            }])],
        })
        .collect();
    Message::new(9, MultipartReply { flags: 0, body: MultipartReplyBody::Flow(flows) }).to_vec()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("openflow");

    let packet_in = packet_in_bytes();
    assert!(matches!(Message::decode(&packet_in).unwrap().body, Body::PacketIn(_)));
    group.throughput(Throughput::Elements(1));
    group.bench_function("packet_in_decode", |b| b.iter(|| Message::decode(black_box(&packet_in)).unwrap()));
    // The checked, allocation-free view: what a controller's hot path reads.
    group.throughput(Throughput::Elements(1));
    group.bench_function("packet_in_view", |b| {
        b.iter(|| {
            let view = openflow::message::PacketInView::parse(black_box(&packet_in)).unwrap();
            black_box((view.in_port(), view.data().len()))
        })
    });

    let fm = flow_mod();
    let mut buf = Vec::with_capacity(fm.encoded_len());
    group.throughput(Throughput::Elements(1));
    group.bench_function("flow_mod_encode", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&fm).encode(&mut buf);
            black_box(buf.len())
        })
    });
    group.bench_function("flow_mod_build_and_encode", |b| {
        b.iter(|| {
            buf.clear();
            let fm = Message::new(
                8,
                FlowMod::add(0)
                    .priority(10)
                    .idle_timeout(60)
                    .matching(Match::new().in_port(black_box(1)).eth_dst(MAC))
                    .apply_actions(vec![Action::Output { port: 2, max_len: OFPCML_NO_BUFFER }]),
            );
            fm.encode(&mut buf);
            black_box(buf.len())
        })
    });

    let reply = flow_stats_reply_bytes(100);
    match Message::decode(&reply).unwrap().body {
        Body::MultipartReply(MultipartReply { body: MultipartReplyBody::Flow(f), .. }) => {
            assert_eq!(f.len(), 100)
        }
        other => panic!("not a flow-stats reply: {other:?}"),
    }
    group.throughput(Throughput::Elements(100));
    group.bench_function("flow_stats_reply_100_decode", |b| {
        b.iter(|| Message::decode(black_box(&reply)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
