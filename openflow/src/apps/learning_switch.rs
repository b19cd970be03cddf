//! `learning-switch`: an Ethernet learning switch on every datapath.
//!
//! For each `PACKET_IN`:
//!
//! 1. LLDP frames (EtherType 0x88cc) are left alone (they belong to topology
//!    discovery); frames too short for an Ethernet header are dropped.
//! 2. The source MAC is learned on the input port (per datapath; group
//!    addresses are never learned).
//! 3. A unicast destination learned on another port gets a flow: priority
//!    [`LearningConfig::priority`], idle timeout [`LearningConfig::idle_timeout`],
//!    our cookie, output to that port. The match is `in_port + eth_src +
//!    eth_dst` ([`FlowMatch::InPortSrcDst`], the default: one flow per
//!    direction and pair, so a host that moves is relearned as soon as its
//!    old flows idle out) or `eth_dst` alone ([`FlowMatch::Dst`]: one flow per
//!    destination, fewer flows). When the switch buffered the packet, the
//!    flow carries its `buffer_id` and the switch forwards it; otherwise a
//!    `PACKET_OUT` with the frame follows the flow.
//! 4. Unknown and group destinations are flooded (`PACKET_OUT` to
//!    `OFPP_FLOOD`, by buffer id or with the frame). A destination learned on
//!    the input port itself is dropped.
//!
//! A port that is deleted, or goes down (`OFPPC_PORT_DOWN` or
//! `OFPPS_LINK_DOWN`), loses its MACs, and our flows to or from it are
//! deleted. A switch that goes away loses its whole table.

use alloc::collections::BTreeMap;
use alloc::vec;

use crate::action::{Action, OFPP_FLOOD};
use crate::controller::{App, ConnId, Event, Handle};
use crate::message::{FlowMod, OFP_NO_BUFFER, OFPPR_DELETE, OFPTT_ALL, PacketInView, PacketOut};
use crate::oxm::Match;
use crate::structs::{OFPPC_PORT_DOWN, OFPPS_LINK_DOWN};

use super::{ETH_TYPE_LLDP, ethernet, is_group};

/// What a learned flow matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowMatch {
    /// `in_port`, `eth_src` and `eth_dst` (like os-ken's simple_switch_13).
    InPortSrcDst,
    /// `eth_dst` only.
    Dst,
}

/// Tunables of the [`LearningSwitch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearningConfig {
    /// Seconds a learned flow stays without traffic (0: forever).
    pub idle_timeout: u16,
    /// Seconds a learned flow stays at most (0: forever).
    pub hard_timeout: u16,
    /// Priority of learned flows (above the table-miss flow's 0).
    pub priority: u16,
    /// Cookie on learned flows, so they can be deleted without touching others.
    pub cookie: u64,
    /// What learned flows match.
    pub flow_match: FlowMatch,
    /// MACs learned per datapath at most; beyond it new ones are not learned
    /// (their traffic is flooded).
    pub max_macs: usize,
}

impl Default for LearningConfig {
    fn default() -> Self {
        LearningConfig {
            idle_timeout: 60,
            hard_timeout: 0,
            priority: 1,
            cookie: 0x4c53_0000_0000_0001, // "LS"
            flow_match: FlowMatch::InPortSrcDst,
            max_macs: 65_536,
        }
    }
}

/// What the learning switch has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LearningStats {
    /// Packet-ins looked at.
    pub packet_ins: u64,
    /// Flows installed.
    pub flows: u64,
    /// Packets flooded.
    pub floods: u64,
    /// Packets dropped (destination on the input port, or not Ethernet).
    pub drops: u64,
    /// LLDP packets ignored.
    pub lldp: u64,
}

/// The learning switch app (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct LearningSwitch {
    config: LearningConfig,
    /// datapath id → MAC → port.
    tables: BTreeMap<u64, BTreeMap<[u8; 6], u32>>,
    stats: LearningStats,
}

impl LearningSwitch {
    /// A learning switch with `config`.
    pub fn new(config: LearningConfig) -> LearningSwitch {
        LearningSwitch { config, tables: BTreeMap::new(), stats: LearningStats::default() }
    }

    /// The port `mac` was learned on at datapath `datapath_id`.
    pub fn port_of(&self, datapath_id: u64, mac: [u8; 6]) -> Option<u32> {
        self.tables.get(&datapath_id)?.get(&mac).copied()
    }

    /// The MAC table of a datapath.
    pub fn table(&self, datapath_id: u64) -> Option<&BTreeMap<[u8; 6], u32>> {
        self.tables.get(&datapath_id)
    }

    /// Counters.
    pub fn stats(&self) -> LearningStats {
        self.stats
    }

    fn packet_in(&mut self, ctl: &mut Handle<'_>, conn: ConnId, dpid: u64, packet: &PacketInView<'_>) {
        self.stats.packet_ins += 1;
        let data = packet.data();
        let (Some((dst, src, ethertype)), Some(in_port)) = (ethernet(data), packet.in_port()) else {
            self.stats.drops += 1;
            return;
        };
        if ethertype == ETH_TYPE_LLDP {
            self.stats.lldp += 1;
            return;
        }
        let table = self.tables.entry(dpid).or_default();
        if !is_group(&src) && (table.len() < self.config.max_macs || table.contains_key(&src)) {
            table.insert(src, in_port);
        }
        let out_port = if is_group(&dst) { None } else { table.get(&dst).copied() };
        let buffer_id = packet.buffer_id();
        match out_port {
            Some(port) if port == in_port => self.stats.drops += 1,
            Some(port) => {
                let m = match self.config.flow_match {
                    FlowMatch::InPortSrcDst => Match::new().in_port(in_port).eth_src(src).eth_dst(dst),
                    FlowMatch::Dst => Match::new().eth_dst(dst),
                };
                let flow = FlowMod::add(0)
                    .priority(self.config.priority)
                    .cookie(self.config.cookie)
                    .idle_timeout(self.config.idle_timeout)
                    .hard_timeout(self.config.hard_timeout)
                    .buffer(buffer_id)
                    .matching(m)
                    .apply_actions(vec![Action::output(port)]);
                ctl.send(conn, flow);
                if buffer_id == OFP_NO_BUFFER {
                    ctl.send(conn, PacketOut::new(in_port).action(Action::output(port)).data(data));
                }
                self.stats.flows += 1;
            }
            None => {
                let out = PacketOut::new(in_port).action(Action::output(OFPP_FLOOD));
                let out = if buffer_id == OFP_NO_BUFFER { out.data(data) } else { out.buffer(buffer_id) };
                ctl.send(conn, out);
                self.stats.floods += 1;
            }
        }
    }

    /// Forgets what was learned on `port` and deletes our flows through it.
    fn port_gone(&mut self, ctl: &mut Handle<'_>, conn: ConnId, dpid: u64, port: u32) {
        if let Some(table) = self.tables.get_mut(&dpid) {
            table.retain(|_, p| *p != port);
        }
        let ours = |f: FlowMod| f.cookie(self.config.cookie).cookie_mask(u64::MAX);
        ctl.send(conn, ours(FlowMod::delete(OFPTT_ALL).out_port(port)));
        ctl.send(conn, ours(FlowMod::delete(OFPTT_ALL).matching(Match::new().in_port(port))));
    }
}

impl App for LearningSwitch {
    fn name(&self) -> &str {
        "learning-switch"
    }

    fn on_event(&mut self, ctl: &mut Handle<'_>, event: &Event<'_>) {
        match event {
            Event::PacketIn { conn, datapath_id, packet } => self.packet_in(ctl, *conn, *datapath_id, packet),
            Event::PortStatus { conn, datapath_id, status } => {
                let p = &status.desc;
                let down = status.reason == OFPPR_DELETE
                    || p.config & OFPPC_PORT_DOWN != 0
                    || p.state & OFPPS_LINK_DOWN != 0;
                if down {
                    self.port_gone(ctl, *conn, *datapath_id, p.port_no);
                }
            }
            Event::SwitchUp { switch, .. } => {
                // A switch that reconnects starts afresh: its ports may have changed.
                self.tables.remove(&switch.datapath_id());
            }
            Event::SwitchDown { datapath_id: dpid, .. } => {
                self.tables.remove(dpid);
            }
            _ => {}
        }
    }
}
