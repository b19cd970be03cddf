//! `topology`: LLDP discovery of switch-to-switch links.
//!
//! At switch-up the app installs a flow that sends every LLDP frame to the
//! controller (priority 0xffff, `eth_type` 0x88cc) and sends an LLDP probe
//! out of every port (a `PACKET_OUT` per port); it probes again every
//! [`TopologyConfig::probe_interval_ms`]. A probe is an IEEE 802.1AB frame to
//! the nearest-bridge address `01:80:c2:00:00:0e` with:
//!
//! - Chassis ID, subtype 7 (locally assigned): `dpid:` and the datapath id
//!   in 16 lower-case hex digits (the form Ryu and os-ken use);
//! - Port ID, subtype 2 (port component): the port number, 4 bytes big-endian;
//! - TTL 120 s, then End.
//!
//! When a probe comes back as a `PACKET_IN` on another switch (or another
//! port), that gives a directed [`Link`] from the probed port to the port it
//! arrived on. A link goes down when either port goes down or is deleted,
//! when either switch goes away, or when it has not been seen again for
//! [`TopologyConfig::link_timeout_ms`].

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::action::{Action, OFPCML_NO_BUFFER, OFPP_CONTROLLER, OFPP_MAX};
use crate::controller::{App, ConnId, Event, Handle, SwitchInfo};
use crate::message::{FlowMod, OFPPR_DELETE, PacketOut};
use crate::oxm::Match;
use crate::structs::{OFPPC_PORT_DOWN, OFPPS_LINK_DOWN, Port};

use super::{ETH_TYPE_LLDP, ethernet};

/// The LLDP nearest-bridge group address.
pub const LLDP_MULTICAST: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];

/// One end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// The switch.
    pub datapath_id: u64,
    /// The port.
    pub port_no: u32,
}

/// A directed link: a probe sent out of `src` arrived on `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    /// Where the probe left.
    pub src: Endpoint,
    /// Where it arrived.
    pub dst: Endpoint,
}

/// Tunables of [`Topology`] (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopologyConfig {
    /// Time between probe rounds.
    pub probe_interval_ms: u64,
    /// A link not seen for this long is gone.
    pub link_timeout_ms: u64,
}

impl Default for TopologyConfig {
    fn default() -> Self {
        TopologyConfig { probe_interval_ms: 5_000, link_timeout_ms: 15_000 }
    }
}

/// The LLDP probe for port `port_no` of `datapath_id`, from MAC `src`.
pub fn lldp_probe(datapath_id: u64, port_no: u32, src: [u8; 6]) -> Vec<u8> {
    let mut f = Vec::with_capacity(64);
    f.extend_from_slice(&LLDP_MULTICAST);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ETH_TYPE_LLDP.to_be_bytes());
    let tlv = |f: &mut Vec<u8>, t: u16, value: &[u8]| {
        f.extend_from_slice(&((t << 9) | value.len() as u16).to_be_bytes());
        f.extend_from_slice(value);
    };
    let mut chassis = vec![7u8];
    chassis.extend_from_slice(b"dpid:");
    for shift in (0..16).rev() {
        chassis.push(b"0123456789abcdef"[((datapath_id >> (shift * 4)) & 0xf) as usize]);
    }
    tlv(&mut f, 1, &chassis);
    let mut port = vec![2u8];
    port.extend_from_slice(&port_no.to_be_bytes());
    tlv(&mut f, 2, &port);
    tlv(&mut f, 3, &120u16.to_be_bytes());
    tlv(&mut f, 0, &[]);
    f
}

/// Reads a probe made by [`lldp_probe`]: the datapath id and port it left
/// from. None for any other frame (other LLDP agents, garbage).
pub fn parse_lldp_probe(frame: &[u8]) -> Option<Endpoint> {
    let (_, _, ethertype) = ethernet(frame)?;
    if ethertype != ETH_TYPE_LLDP {
        return None;
    }
    let vlan = if frame.get(12..14) == Some(&[0x81, 0x00]) { 4 } else { 0 };
    let mut rest = frame.get(14 + vlan..)?;
    let (mut dpid, mut port) = (None, None);
    while let Some(&[h0, h1]) = rest.first_chunk::<2>() {
        let t = h0 >> 1;
        let len = usize::from(u16::from_be_bytes([h0, h1]) & 0x1ff);
        let value = rest.get(2..2 + len)?;
        match (t, value) {
            (0, _) => break,
            (1, [7, text @ ..]) => {
                let hex = text.strip_prefix(b"dpid:")?;
                if hex.len() != 16 {
                    return None;
                }
                let mut v = 0u64;
                for &c in hex {
                    v = v << 4 | u64::from((c as char).to_digit(16)?);
                }
                dpid = Some(v);
            }
            (2, [2, a, b, c, d]) => port = Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => {}
        }
        rest = &rest[2 + len..];
    }
    Some(Endpoint { datapath_id: dpid?, port_no: port? })
}

fn port_is_up(p: &Port) -> bool {
    p.port_no <= OFPP_MAX && p.config & OFPPC_PORT_DOWN == 0 && p.state & OFPPS_LINK_DOWN == 0
}

/// The topology app (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct Topology {
    config: TopologyConfig,
    /// Link → when it was last seen.
    links: BTreeMap<Link, u64>,
    next_probe: Option<u64>,
    probes_sent: u64,
}

impl Topology {
    /// A topology app with `config`.
    pub fn new(config: TopologyConfig) -> Topology {
        Topology { config, links: BTreeMap::new(), next_probe: None, probes_sent: 0 }
    }

    /// The links known now.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.links.keys()
    }

    /// Probes sent so far.
    pub fn probes_sent(&self) -> u64 {
        self.probes_sent
    }

    fn probe_port(&mut self, ctl: &mut Handle<'_>, conn: ConnId, dpid: u64, port: &Port) {
        if !port_is_up(port) {
            return;
        }
        let frame = lldp_probe(dpid, port.port_no, port.hw_addr);
        ctl.send(conn, PacketOut::new(OFPP_CONTROLLER).action(Action::output(port.port_no)).data(frame));
        self.probes_sent += 1;
    }

    fn probe_switch(&mut self, ctl: &mut Handle<'_>, switch: &SwitchInfo) {
        for port in switch.ports.values() {
            self.probe_port(ctl, switch.conn, switch.datapath_id(), port);
        }
    }

    fn drop_links(&mut self, gone: impl Fn(&Endpoint) -> bool) {
        self.links.retain(|l, _| !gone(&l.src) && !gone(&l.dst));
    }
}

impl App for Topology {
    fn name(&self) -> &str {
        "topology"
    }

    fn on_event(&mut self, ctl: &mut Handle<'_>, event: &Event<'_>) {
        match event {
            Event::SwitchUp { conn, switch } => {
                let lldp = FlowMod::add(0)
                    .priority(0xffff)
                    .matching(Match::new().eth_type(ETH_TYPE_LLDP))
                    .apply_actions(vec![Action::Output { port: OFPP_CONTROLLER, max_len: OFPCML_NO_BUFFER }]);
                ctl.send(*conn, lldp);
                self.probe_switch(ctl, switch);
                if self.next_probe.is_none() {
                    self.next_probe = Some(ctl.now() + self.config.probe_interval_ms);
                }
            }
            Event::SwitchDown { datapath_id: dpid, .. } => {
                self.drop_links(|e| e.datapath_id == *dpid);
            }
            Event::PortStatus { conn, datapath_id, status } => {
                let here = Endpoint { datapath_id: *datapath_id, port_no: status.desc.port_no };
                if status.reason == OFPPR_DELETE || !port_is_up(&status.desc) {
                    self.drop_links(|e| *e == here);
                } else {
                    self.probe_port(ctl, *conn, *datapath_id, &status.desc);
                }
            }
            Event::PacketIn { datapath_id, packet, .. } => {
                let (Some(src), Some(in_port)) = (parse_lldp_probe(packet.data()), packet.in_port()) else {
                    return;
                };
                let dst = Endpoint { datapath_id: *datapath_id, port_no: in_port };
                if src != dst {
                    self.links.insert(Link { src, dst }, ctl.now());
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctl: &mut Handle<'_>) {
        let now = ctl.now();
        let timeout = self.config.link_timeout_ms;
        self.links.retain(|_, seen| now.saturating_sub(*seen) < timeout);
        let switches: Vec<SwitchInfo> = ctl.switches().cloned().collect();
        for switch in &switches {
            self.probe_switch(ctl, switch);
        }
        self.next_probe = if switches.is_empty() { None } else { Some(now + self.config.probe_interval_ms) };
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.next_probe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_round_trip() {
        let frame = lldp_probe(0x0000_1234_5678_9abc, 7, [2, 0, 0, 0, 0, 1]);
        assert_eq!(&frame[..6], &LLDP_MULTICAST);
        assert_eq!(
            parse_lldp_probe(&frame),
            Some(Endpoint { datapath_id: 0x0000_1234_5678_9abc, port_no: 7 })
        );
        // Every prefix and every one-byte corruption is handled without a panic.
        for n in 0..frame.len() {
            let _ = parse_lldp_probe(&frame[..n]);
            let mut bad = frame.clone();
            bad[n] ^= 0xff;
            let _ = parse_lldp_probe(&bad);
        }
        assert_eq!(parse_lldp_probe(&frame[..20]), None);
    }
}
