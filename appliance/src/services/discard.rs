//! Discard (RFC 863): takes every datagram and stream byte and throws it
//! away, counting them. The counts make it the sink for throughput tests.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::service::{ConnId, Datagram, Instant, Listen, Net, Service};

/// What a [`Discard`] has swallowed; shared, so a test or the metrics can
/// read it while the service runs on its stack's thread.
#[derive(Debug, Default)]
pub struct DiscardStats {
    /// UDP datagrams received.
    pub datagrams: AtomicU64,
    /// Payload bytes received over UDP and TCP.
    pub bytes: AtomicU64,
    /// TCP connections seen.
    pub connections: AtomicU64,
}

impl DiscardStats {
    /// (datagrams, bytes, connections) now.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.datagrams.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            self.connections.load(Ordering::Relaxed),
        )
    }
}

/// The discard service on one port, UDP and TCP.
#[derive(Debug, Clone)]
pub struct Discard {
    port: u16,
    stats: Arc<DiscardStats>,
}

impl Discard {
    /// Discard on `port` (9 is the RFC's) over both UDP and TCP.
    pub fn new(port: u16) -> Self {
        Discard { port, stats: Arc::default() }
    }

    /// The counters this service bumps.
    pub fn stats(&self) -> Arc<DiscardStats> {
        Arc::clone(&self.stats)
    }
}

impl Service for Discard {
    fn name(&self) -> &str {
        "discard"
    }

    fn listen(&self) -> Listen {
        Listen::both(self.port)
    }

    fn on_datagram(&mut self, _now: Instant, _net: &mut dyn Net, dgram: Datagram<'_>) {
        self.stats.datagrams.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes.fetch_add(dgram.payload.len() as u64, Ordering::Relaxed);
    }

    fn on_open(&mut self, _now: Instant, _net: &mut dyn Net, _conn: ConnId, _info: crate::service::ConnInfo) {
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
    }

    fn on_data(&mut self, _now: Instant, _net: &mut dyn Net, _conn: ConnId, data: &[u8]) -> usize {
        self.stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        data.len()
    }

    fn on_peer_close(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
        net.close(conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testing::RecordingNet;

    #[test]
    fn counts_and_answers_nothing() {
        let mut d = Discard::new(9);
        let stats = d.stats();
        let mut net = RecordingNet::default();
        let local = "10.0.0.2:9".parse().unwrap();
        let peer = "10.0.0.1:5555".parse().unwrap();
        d.on_datagram(Instant::ZERO, &mut net, Datagram { local, peer, payload: &[0; 100] });
        assert_eq!(d.on_data(Instant::ZERO, &mut net, ConnId(1), &[0; 1000]), 1000);
        assert_eq!(stats.snapshot(), (1, 1100, 0));
        assert!(net.datagrams.is_empty());
        assert!(net.writes.is_empty());
    }
}
