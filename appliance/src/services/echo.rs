//! Echo (RFC 862): every datagram and every stream byte comes back unchanged.
//!
//! TCP echo holds no buffer of its own: it consumes only what the connection
//! can take back right now, so a client that stops reading stops being read
//! (its window closes) instead of growing memory here.

#[allow(unused_imports)]
use crate::prelude::*;
use crate::service::{ConnId, Datagram, Instant, Listen, Net, Service};

/// The echo service on one port, UDP and TCP.
#[derive(Debug, Clone)]
pub struct Echo {
    port: u16,
}

impl Echo {
    /// Echo on `port` (7 is the RFC's) over both UDP and TCP.
    pub fn new(port: u16) -> Self {
        Echo { port }
    }
}

impl Service for Echo {
    fn name(&self) -> &str {
        "echo"
    }

    fn listen(&self) -> Listen {
        Listen::both(self.port)
    }

    fn on_datagram(&mut self, _now: Instant, net: &mut dyn Net, dgram: Datagram<'_>) {
        net.send_datagram(dgram.local, dgram.peer, dgram.payload);
    }

    fn on_data(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        net.write(conn, data)
    }

    fn on_peer_close(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
        // Everything consumed has been written; close after it is sent.
        net.close(conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testing::RecordingNet;

    #[test]
    fn udp_echoes_to_sender_from_the_receiving_address() {
        let mut echo = Echo::new(7);
        let mut net = RecordingNet::default();
        let local = "10.0.0.2:7".parse().unwrap();
        let peer = "10.0.0.1:5555".parse().unwrap();
        echo.on_datagram(Instant::ZERO, &mut net, Datagram { local, peer, payload: b"ping" });
        assert_eq!(net.datagrams, vec![(local, peer, b"ping".to_vec())]);
    }

    #[test]
    fn tcp_consumes_only_what_fits_back() {
        let mut echo = Echo::new(7);
        let mut net = RecordingNet { write_room: 3, ..Default::default() };
        assert_eq!(echo.on_data(Instant::ZERO, &mut net, ConnId(1), b"hello"), 3);
        assert_eq!(net.written(ConnId(1)), b"hel");
        echo.on_peer_close(Instant::ZERO, &mut net, ConnId(1));
        assert_eq!(net.closed, vec![ConnId(1)]);
    }
}
