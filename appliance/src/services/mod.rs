//! The services an appliance can run. Each is a sans-IO
//! [`Service`](crate::service::Service).

mod conns;
pub mod controller;
#[cfg(feature = "std")]
pub mod controller_api;
pub mod discard;
pub mod dns;
pub mod echo;
pub mod http;
#[cfg(feature = "std")]
pub mod iperf3;

#[cfg(test)]
pub(crate) mod testing {
    //! A `Net` that records what a service asked for, for unit tests.
    use std::net::SocketAddr;

    use crate::service::{ConnId, Net};

    /// Records datagrams, writes and closes; `write_room` caps each write.
    #[derive(Debug)]
    pub struct RecordingNet {
        pub datagrams: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
        pub writes: Vec<(ConnId, Vec<u8>)>,
        pub closed: Vec<ConnId>,
        pub write_room: usize,
    }

    impl Default for RecordingNet {
        fn default() -> Self {
            RecordingNet { datagrams: vec![], writes: vec![], closed: vec![], write_room: usize::MAX }
        }
    }

    impl RecordingNet {
        pub fn written(&self, conn: ConnId) -> Vec<u8> {
            self.writes.iter().filter(|(c, _)| *c == conn).flat_map(|(_, d)| d.clone()).collect()
        }
    }

    impl Net for RecordingNet {
        fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool {
            self.datagrams.push((local, peer, payload.to_vec()));
            true
        }
        fn write(&mut self, conn: ConnId, data: &[u8]) -> usize {
            let n = data.len().min(self.write_room);
            self.writes.push((conn, data[..n].to_vec()));
            n
        }
        fn recv_window(&self, _conn: ConnId) -> usize {
            65536
        }
        fn close(&mut self, conn: ConnId) {
            self.closed.push(conn);
        }
        fn abort(&mut self, conn: ConnId) {
            self.closed.push(conn);
        }
        fn connect(&mut self, _peer: SocketAddr) -> Option<ConnId> {
            None
        }
    }
}
