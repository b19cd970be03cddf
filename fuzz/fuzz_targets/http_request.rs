//! The HTTP service's request path: arbitrary bytes, split at arbitrary
//! points and written through arbitrary room, must never panic, and
//! whatever the service writes starts as an HTTP/1.1 answer.
//!
//! Input: byte 0 picks the write room, byte 1 the split step; the rest is
//! the stream. The site is a few files in a temporary directory made once.

#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use appliance::service::{ConnId, ConnInfo, Instant, Net, Service};
use appliance::services::http::{Http, HttpOptions, Site, SiteMode};
use libfuzzer_sys::fuzz_target;

/// Records what the service wrote, taking at most `room` bytes per write.
struct Sink {
    out: Vec<u8>,
    room: usize,
    closed: bool,
}

impl Net for Sink {
    fn send_datagram(&mut self, _: SocketAddr, _: SocketAddr, _: &[u8]) -> bool {
        false
    }
    fn write(&mut self, _: ConnId, data: &[u8]) -> usize {
        if self.closed {
            return 0;
        }
        let n = data.len().min(self.room);
        self.out.extend_from_slice(&data[..n]);
        n
    }
    fn recv_window(&self, _: ConnId) -> usize {
        65536
    }
    fn close(&mut self, _: ConnId) {
        self.closed = true;
    }
    fn abort(&mut self, _: ConnId) {
        self.closed = true;
    }
    fn connect(&mut self, _: SocketAddr) -> Option<ConnId> {
        None
    }
}

fn site() -> Arc<Site> {
    static SITE: OnceLock<Arc<Site>> = OnceLock::new();
    SITE.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("http-fuzz-site-{}", std::process::id()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("index.html"), "<h1>x</h1>").unwrap();
        std::fs::write(root.join("a.txt"), "hello").unwrap();
        std::fs::write(root.join("big.bin"), vec![7u8; 100_000]).unwrap();
        std::fs::write(root.join("sub/index.html"), "sub").unwrap();
        Arc::new(Site::load(&root, SiteMode::Memory).unwrap())
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let [room, step, stream @ ..] = data else { return };
    let room = match room % 4 {
        0 => usize::MAX,
        1 => 1,
        2 => 100,
        _ => 4096,
    };
    let step = usize::from(*step).max(1);
    let mut http = Http::new(site(), HttpOptions::default());
    let mut net = Sink { out: Vec::new(), room, closed: false };
    let conn = ConnId(1);
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:1".parse().unwrap(),
        initiated: false,
    };
    http.on_open(Instant::ZERO, &mut net, conn, info);
    // Offer bytes as a stack does: what was not consumed comes back first.
    let mut pending: Vec<u8> = Vec::new();
    for chunk in stream.chunks(step) {
        pending.extend_from_slice(chunk);
        for _ in 0..64 {
            if net.closed || pending.is_empty() {
                break;
            }
            let n = http.on_data(Instant::ZERO, &mut net, conn, &pending);
            assert!(n <= pending.len());
            pending.drain(..n);
            if n == 0 {
                http.on_writable(Instant::ZERO, &mut net, conn);
            }
        }
    }
    http.on_peer_close(Instant::ZERO, &mut net, conn);
    for _ in 0..2000 {
        if net.closed {
            break;
        }
        http.on_writable(Instant::ZERO, &mut net, conn);
    }
    assert!(net.out.is_empty() || net.out.starts_with(b"HTTP/1.1 "));
    http.on_closed(Instant::ZERO, conn);
    assert_eq!(http.connections(), 0);
});
