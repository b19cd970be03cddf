//! The HTTP service's hot path, one core, no I/O: request bytes to answer
//! bytes through `Http` over a `Net` that takes every write, as on a fast
//! connection. A 1 KB file from a memory site, keep-alive (one request per
//! `on_data`, as `h2load --h1` without pipelining sends them) and a
//! pipelined batch of 16. nginx serves ~62k requests/s on one pinned worker
//! here (issue 5), so the service alone should be far above that. Run with
//! `cargo bench -p benches --bench http`; criterion reports requests/s.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;

use appliance::service::{ConnId, ConnInfo, Instant, Net, Service};
use appliance::services::http::{Http, HttpOptions, Site, SiteMode};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Takes every write; counts the bytes so the work cannot be optimised out.
struct Sink {
    bytes: u64,
}

impl Net for Sink {
    fn send_datagram(&mut self, _: SocketAddr, _: SocketAddr, _: &[u8]) -> bool {
        false
    }
    fn write(&mut self, _: ConnId, data: &[u8]) -> usize {
        self.bytes += black_box(data).len() as u64;
        data.len()
    }
    fn recv_window(&self, _: ConnId) -> usize {
        256 * 1024
    }
    fn close(&mut self, _: ConnId) {}
    fn abort(&mut self, _: ConnId) {}
    fn connect(&mut self, _: SocketAddr) -> Option<ConnId> {
        None
    }
}

const REQUEST: &[u8] = b"GET /1k.html HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: h2load nghttp2/1.52.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n\r\n";

fn bench(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("http-bench-site-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("1k.html"), vec![b'x'; 1024]).unwrap();
    let site = Arc::new(Site::load(&root, SiteMode::Memory).unwrap());
    let mut http = Http::new(site, HttpOptions::default());
    let mut net = Sink { bytes: 0 };
    let conn = ConnId(1);
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
        initiated: false,
    };
    http.on_open(Instant::ZERO, &mut net, conn, info);
    let now = Instant::from_secs(1);

    let mut g = c.benchmark_group("http");
    g.throughput(Throughput::Elements(1));
    g.bench_function("1k_keep_alive", |b| {
        b.iter(|| {
            let n = http.on_data(now, &mut net, conn, black_box(REQUEST));
            assert_eq!(n, REQUEST.len());
        })
    });
    let batch: Vec<u8> = REQUEST.repeat(16);
    g.throughput(Throughput::Elements(16));
    g.bench_function("1k_pipelined_16", |b| {
        b.iter(|| {
            let n = http.on_data(now, &mut net, conn, black_box(&batch));
            assert_eq!(n, batch.len());
        })
    });
    g.finish();
    // Every request was answered with at least the 1 KB body.
    assert!(net.bytes > 1024);
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, bench);
criterion_main!(benches);
