//! The direct stack's per-packet path over the in-memory device: UDP echo
//! round trips and TCP bulk transfer between two smoltcp stacks, with the
//! service dispatch in the loop and no kernel anywhere.

use std::cell::Cell;
use std::rc::Rc;

use appliance::services::discard::Discard;
use appliance::services::echo::Echo;
use benches::{StackPair, TcpPump, UdpPinger};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn udp_echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("direct_stack/udp_echo");
    for size in [64usize, 1400] {
        let to_send = Rc::new(Cell::new(0));
        let answers = Rc::new(Cell::new(0));
        let pinger = UdpPinger {
            local: "10.0.0.1:4000".parse().unwrap(),
            peer: "10.0.0.2:7".parse().unwrap(),
            size,
            to_send: Rc::clone(&to_send),
            answers: Rc::clone(&answers),
        };
        let mut pair = StackPair::new(vec![Box::new(pinger)], vec![Box::new(Echo::new(7))]);
        const BATCH: u64 = 256;
        group.throughput(Throughput::Elements(BATCH));
        group.bench_function(format!("{size}B_x{BATCH}"), |b| {
            b.iter(|| {
                let target = answers.get() + BATCH;
                to_send.set(BATCH);
                let answers = Rc::clone(&answers);
                pair.run_until(move |_| answers.get() >= target);
            })
        });
    }
    group.finish();
}

fn tcp_bulk(c: &mut Criterion) {
    let mut group = c.benchmark_group("direct_stack/tcp_bulk");
    let to_send = Rc::new(Cell::new(0));
    let discard = Discard::new(9);
    let received = discard.stats();
    let pump = TcpPump::new("10.0.0.2:9".parse().unwrap(), Rc::clone(&to_send));
    let mut pair = StackPair::new(vec![Box::new(pump)], vec![Box::new(discard)]);
    const BYTES: u64 = 4 << 20;
    group.throughput(Throughput::Bytes(BYTES));
    group.bench_function("4MiB", |b| {
        b.iter(|| {
            let target = received.snapshot().1 + BYTES;
            to_send.set(BYTES);
            let received = std::sync::Arc::clone(&received);
            pair.run_until(move |_| received.snapshot().1 >= target);
        })
    });
    group.finish();
}

criterion_group!(benches, udp_echo, tcp_bulk);
criterion_main!(benches);
