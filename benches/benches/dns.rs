//! The authoritative DNS engine's hot path, one core, no I/O: query bytes to
//! response bytes (`dns::auth::answer`) on an in-memory zone, reusing the output
//! buffer as a server does.
//!
//! Cases: a positive A answer (with the apex NS RRset and the name servers'
//! addresses, as NSD answers), an NXDOMAIN, a referral with glue, each with an
//! EDNS query; and a positive answer from a 100,000-name zone. Goal from the
//! DNS issue: ≥ 2 M answers/s/core. Run with
//! `cargo bench -p benches --bench dns`; criterion reports answers per second.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dns::auth::{AnswerOutcome, Catalog, Zone, answer};
use dns::name::Name;

const ZONE: &str = r#"
$ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
@       IN NS    ns1
@       IN NS    ns2
@       IN A     192.0.2.1
@       IN MX    10 mail
ns1     IN A     192.0.2.53
ns1     IN AAAA  2001:db8::53
ns2     IN A     198.51.100.53
mail    IN A     192.0.2.25
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
alias   IN CNAME www
*.wild  IN A     192.0.2.99
child   IN NS    ns1.child
child   IN NS    ns2.child
ns1.child IN A   192.0.2.153
ns2.child IN AAAA 2001:db8::153
"#;

fn zone(origin: &str, text: &str) -> Zone {
    let origin = Name::from_ascii(origin).unwrap();
    let records =
        dns::zone::parse_zone(text, &origin, "bench.zone", &mut |_| Err("no includes".into())).unwrap();
    Zone::new(origin, records).unwrap()
}

/// `example.test` plus 40 hosts, as the lab's dnsperf zone.
fn small_catalog() -> Catalog {
    let mut text = String::from(ZONE);
    for i in 1..=40 {
        writeln!(text, "h{i} IN A 192.0.2.{}", 100 + i).unwrap();
    }
    Catalog::new(vec![zone("example.test.", &text)]).unwrap()
}

/// A zone of 100,000 hosts under the apex.
fn big_catalog() -> Catalog {
    let mut text = String::from(ZONE);
    for i in 0..100_000u32 {
        writeln!(text, "host{i} IN A 10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff).unwrap();
    }
    Catalog::new(vec![zone("example.test.", &text)]).unwrap()
}

/// A query as dig sends it: RD, AD, one question, an OPT record (1232, no DO).
fn query(qname: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0xa1, 0xb2, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(Name::from_ascii(qname).unwrap().as_wire());
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    q
}

fn bench_answers(c: &mut Criterion) {
    let small = small_catalog();
    let big = big_catalog();
    let mut g = c.benchmark_group("dns_answer");
    g.throughput(Throughput::Elements(1));
    let cases: [(&str, &Catalog, &str, u16); 5] = [
        ("positive_a", &small, "www.example.test.", 1),
        ("nxdomain", &small, "nope.example.test.", 1),
        ("referral", &small, "host.child.example.test.", 1),
        ("wildcard", &small, "foo.wild.example.test.", 1),
        ("positive_a_100k_zone", &big, "host77777.example.test.", 1),
    ];
    for (label, cat, qname, qtype) in cases {
        let q = query(qname, qtype);
        let mut out = Vec::with_capacity(1232);
        assert_eq!(answer(cat, &q, Some(1232), &mut out), AnswerOutcome::Respond);
        g.bench_function(label, |b| {
            b.iter(|| {
                let outcome = answer(cat, black_box(&q), Some(1232), &mut out);
                black_box((outcome, out.len()))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_answers);
criterion_main!(benches);
