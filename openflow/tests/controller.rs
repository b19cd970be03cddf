//! Sessions, the controller and its apps against scripted switches: each
//! switch is played at the byte level with the codec, in memory, on a clock
//! the test moves by hand.

use openflow::action::{Action, OFPCML_NO_BUFFER, OFPP_CONTROLLER, OFPP_FLOOD};
use openflow::apps::learning_switch::{LearningConfig, LearningSwitch};
use openflow::apps::topology::{Endpoint, Link, Topology, TopologyConfig, parse_lldp_probe};
use openflow::controller::{App, ConnId, Controller, Event, Handle, Notice, Token};
use openflow::framing::Deframer;
use openflow::header::MessageType;
use openflow::instruction::Instruction;
use openflow::message::{
    Body, ErrorMsg, FlowMod, Hello, Message, OFP_NO_BUFFER, OFPBRC_BAD_LEN, OFPCR_ROLE_MASTER,
    OFPCR_ROLE_SLAVE, OFPET_BAD_REQUEST, OFPET_FLOW_MOD_FAILED, OFPET_HELLO_FAILED,
    OFPET_ROLE_REQUEST_FAILED, OFPFC_DELETE, OFPFMFC_TABLE_FULL, OFPHFC_INCOMPATIBLE, OFPPR_ADD,
    OFPPR_MODIFY, OFPRRFC_STALE, PacketIn, PortStatus, Role, SwitchFeatures,
};
use openflow::multipart::{
    FlowStats, FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
    OFPMPF_REPLY_MORE,
};
use openflow::oxm::Match;
use openflow::session::{DownReason, SessionConfig};
use openflow::structs::{HelloElement, OFPPS_LINK_DOWN, Port};

// ---------------------------------------------------------------------------
// The scripted switch

struct Switch {
    conn: ConnId,
    dpid: u64,
    ports: Vec<Port>,
    from_ctl: Deframer,
}

impl Switch {
    fn new(conn: u64, dpid: u64, nports: u32) -> Switch {
        let ports =
            (1..=nports).map(|n| Port::new(n, [2, 0, 0, dpid as u8, 0, n as u8], &format!("p{n}"))).collect();
        Switch { conn: ConnId(conn), dpid, ports, from_ctl: Deframer::new() }
    }

    /// Everything the controller has written to this switch since last time.
    fn recv(&mut self, ctl: &mut Controller) -> Vec<Message> {
        let out = ctl.output(self.conn).to_vec();
        ctl.consume_output(self.conn, out.len());
        self.from_ctl.push(&out);
        std::iter::from_fn(|| self.from_ctl.next_message().expect("controller sent a bad message")).collect()
    }

    fn send(&self, ctl: &mut Controller, now: u64, msg: impl Into<Body>, xid: u32) {
        ctl.handle_input(now, self.conn, &Message::new(xid, msg).to_vec());
    }

    fn port_desc(&self) -> MultipartReply {
        MultipartReply { flags: 0, body: MultipartReplyBody::PortDesc(self.ports.clone()) }
    }

    fn features(&self) -> SwitchFeatures {
        SwitchFeatures { datapath_id: self.dpid, n_buffers: 256, n_tables: 254, ..Default::default() }
    }

    /// Connects and exchanges HELLOs at time 0; returns the FEATURES_REQUEST's xid.
    fn hello(&mut self, ctl: &mut Controller) -> u32 {
        ctl.connect(0, self.conn);
        self.recv(ctl);
        self.send(ctl, 0, Hello::openflow13(), 1);
        find(&self.recv(ctl), MessageType::FeaturesRequest).xid
    }

    /// Runs the whole handshake; returns what the controller sent after HELLO.
    fn handshake(&mut self, ctl: &mut Controller, now: u64) -> Vec<Message> {
        ctl.connect(now, self.conn);
        let hello = self.recv(ctl);
        assert!(matches!(hello[0].body, Body::Hello(_)), "{hello:?}");
        self.send(ctl, now, Hello::openflow13(), 1);
        let sent = self.recv(ctl);
        let features_xid = find(&sent, MessageType::FeaturesRequest).xid;
        self.send(ctl, now, self.features(), features_xid);
        let setup = self.recv(ctl);
        let pd = find(&setup, MessageType::MultipartRequest).xid;
        self.send(ctl, now, self.port_desc(), pd);
        let mut all = sent;
        all.extend(setup);
        all.extend(self.recv(ctl));
        all
    }

    fn packet_in(&self, in_port: u32, buffer_id: u32, frame: Vec<u8>) -> PacketIn {
        PacketIn {
            buffer_id,
            total_len: frame.len() as u16,
            reason: 0,
            table_id: 0,
            cookie: 0,
            match_: Match::new().in_port(in_port),
            data: frame,
        }
    }
}

fn find(msgs: &[Message], t: MessageType) -> &Message {
    msgs.iter().find(|m| m.msg_type() == t).unwrap_or_else(|| panic!("no {t:?} in {msgs:?}"))
}

fn of_type(msgs: &[Message], t: MessageType) -> Vec<&Message> {
    msgs.iter().filter(|m| m.msg_type() == t).collect()
}

fn notices(ctl: &mut Controller) -> Vec<Notice> {
    std::iter::from_fn(|| ctl.poll_notice()).collect()
}

fn frame(dst: [u8; 6], src: [u8; 6], ethertype: u16) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(&[0u8; 46]);
    f
}

// ---------------------------------------------------------------------------
// An app that records what it sees, and can make requests.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Up(u64, usize),
    Down(u64),
    PacketIn(u32),
    PortStatus(u32, u8),
    Error(u32, u16, Option<MessageType>),
    Reply(Token, Message),
    Role(Role),
}

#[derive(Default)]
struct Recorder {
    seen: Vec<Seen>,
    /// Requests to send at the next switch-up: (body).
    on_up: Vec<Body>,
    tokens: Vec<Token>,
}

impl App for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn on_event(&mut self, ctl: &mut Handle<'_>, event: &Event<'_>) {
        let seen = match event {
            Event::SwitchUp { conn, switch } => {
                for body in std::mem::take(&mut self.on_up) {
                    self.tokens.extend(ctl.request(*conn, body));
                }
                Seen::Up(switch.datapath_id(), switch.ports.len())
            }
            Event::SwitchDown { datapath_id, .. } => Seen::Down(*datapath_id),
            Event::PacketIn { packet, .. } => Seen::PacketIn(packet.in_port().unwrap()),
            Event::PortStatus { status, .. } => Seen::PortStatus(status.desc.port_no, status.reason),
            Event::Error { xid, error, request, .. } => {
                Seen::Error(*xid, error.err_type(), request.map(|r| r.msg_type()))
            }
            Event::Reply { token, reply, .. } => Seen::Reply(*token, (*reply).clone()),
            Event::Role { role, .. } => Seen::Role(*role),
            Event::FlowRemoved { .. } | Event::Message { .. } => return,
        };
        self.seen.push(seen);
    }
}

fn recorder(ctl: &Controller) -> &Recorder {
    ctl.app::<Recorder>().unwrap()
}

fn controller() -> Controller {
    let mut ctl = Controller::new(SessionConfig::default());
    ctl.add_app(Recorder::default());
    ctl
}

// ---------------------------------------------------------------------------
// Handshake

#[test]
fn handshake_sends_features_config_table_miss_and_port_desc() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 0xabc, 3);
    let sent = sw.handshake(&mut ctl, 0);
    let types: Vec<MessageType> = sent.iter().map(|m| m.msg_type()).collect();
    assert_eq!(
        types,
        [
            MessageType::FeaturesRequest,
            MessageType::SetConfig,
            MessageType::FlowMod,
            MessageType::MultipartRequest
        ]
    );
    let Body::SetConfig(config) = &sent[1].body else { unreachable!() };
    assert_eq!(config.miss_send_len, OFPCML_NO_BUFFER);
    let Body::FlowMod(miss) = &sent[2].body else { unreachable!() };
    assert_eq!((miss.priority, miss.match_.clone()), (0, Match::new()));
    assert_eq!(
        miss.instructions,
        [Instruction::ApplyActions(vec![Action::Output {
            port: OFPP_CONTROLLER,
            max_len: OFPCML_NO_BUFFER
        }])]
    );
    let Body::MultipartRequest(pd) = &sent[3].body else { unreachable!() };
    assert_eq!(pd.body, MultipartRequestBody::PortDesc);
    // Every xid differs.
    let mut xids: Vec<u32> = sent.iter().map(|m| m.xid).collect();
    xids.dedup();
    assert_eq!(xids.len(), sent.len());

    assert_eq!(recorder(&ctl).seen, [Seen::Up(0xabc, 3)]);
    assert_eq!(notices(&mut ctl), [Notice::SwitchUp { conn: ConnId(1), datapath_id: 0xabc, ports: 3 }]);
    let info = ctl.switch(ConnId(1)).unwrap();
    assert_eq!(info.ports.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn table_miss_flow_is_optional() {
    let mut ctl =
        Controller::new(SessionConfig { table_miss: false, miss_send_len: 128, ..Default::default() });
    let mut sw = Switch::new(1, 1, 1);
    let sent = sw.handshake(&mut ctl, 0);
    assert!(of_type(&sent, MessageType::FlowMod).is_empty());
    let Body::SetConfig(config) = &find(&sent, MessageType::SetConfig).body else { unreachable!() };
    assert_eq!(config.miss_send_len, 128);
}

/// Open vSwitch sends PORT_STATUS before FEATURES_REPLY; nothing is lost and
/// the order is kept, after switch-up.
#[test]
fn async_messages_during_handshake_are_held_until_up() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 5, 2);
    let features_xid = sw.hello(&mut ctl);
    let mut port = sw.ports[1].clone();
    port.state = OFPPS_LINK_DOWN;
    sw.send(&mut ctl, 0, PortStatus { reason: OFPPR_MODIFY, desc: port }, 0);
    sw.send(&mut ctl, 0, sw.features(), features_xid);
    let pd = find(&sw.recv(&mut ctl), MessageType::MultipartRequest).xid;
    // A packet-in between FEATURES_REPLY and the PORT_DESC reply.
    sw.send(&mut ctl, 0, sw.packet_in(1, OFP_NO_BUFFER, frame([0xff; 6], [2; 6], 0x0800)), 0);
    assert!(recorder(&ctl).seen.is_empty());
    sw.send(&mut ctl, 0, sw.port_desc(), pd);
    assert_eq!(recorder(&ctl).seen, [Seen::Up(5, 2), Seen::PortStatus(2, OFPPR_MODIFY), Seen::PacketIn(1)]);
    // The port table follows the status.
    assert_eq!(ctl.switch(sw.conn).unwrap().ports[&2].state, OFPPS_LINK_DOWN);
}

#[test]
fn port_desc_in_several_parts() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 9, 4);
    let fx = sw.hello(&mut ctl);
    sw.send(&mut ctl, 0, sw.features(), fx);
    let pd = find(&sw.recv(&mut ctl), MessageType::MultipartRequest).xid;
    let part =
        |ports: &[Port], flags| MultipartReply { flags, body: MultipartReplyBody::PortDesc(ports.to_vec()) };
    sw.send(&mut ctl, 0, part(&sw.ports[..3], OFPMPF_REPLY_MORE), pd);
    assert!(ctl.switch(sw.conn).is_none(), "up before the last part");
    sw.send(&mut ctl, 0, part(&sw.ports[3..], 0), pd);
    assert_eq!(recorder(&ctl).seen, [Seen::Up(9, 4)]);
}

#[test]
fn no_common_version_gets_hello_failed_and_close() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    ctl.connect(0, sw.conn);
    sw.recv(&mut ctl);
    // An OpenFlow 1.0-only switch: version 1 header, bitmap {1}.
    let mut hello = Message::new(7, Hello { elements: vec![HelloElement::versions(&[1])] });
    hello.version = 1;
    ctl.handle_input(0, sw.conn, &hello.to_vec());
    let sent = sw.recv(&mut ctl);
    let Body::Error(ErrorMsg::Standard { err_type, code, .. }) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!((*err_type, *code, sent[0].xid), (OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, 7));
    assert!(ctl.should_close(sw.conn));
    assert_eq!(
        notices(&mut ctl),
        [Notice::SwitchDown {
            conn: sw.conn,
            datapath_id: None,
            reason: DownReason::VersionMismatch { peer_version: 1 }
        }]
    );
    // The app never heard of this switch.
    assert!(recorder(&ctl).seen.is_empty());
    ctl.handle_disconnect(0, sw.conn);
    assert_eq!(ctl.connections(), 0);
}

#[test]
fn newer_switch_with_bitmap_negotiates_1_3() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    ctl.connect(0, sw.conn);
    sw.recv(&mut ctl);
    let mut hello = Message::new(7, Hello { elements: vec![HelloElement::versions(&[1, 4, 6])] });
    hello.version = 6;
    ctl.handle_input(0, sw.conn, &hello.to_vec());
    assert_eq!(sw.recv(&mut ctl)[0].msg_type(), MessageType::FeaturesRequest);
    // And without a bitmap, a 1.5 header falls back to 1.3 too.
    let mut ctl = controller();
    ctl.connect(0, sw.conn);
    sw.recv(&mut ctl);
    let mut hello = Message::new(7, Hello::default());
    hello.version = 6;
    ctl.handle_input(0, sw.conn, &hello.to_vec());
    assert_eq!(sw.recv(&mut ctl)[0].msg_type(), MessageType::FeaturesRequest);
}

#[test]
fn first_message_not_hello_closes() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    ctl.connect(0, sw.conn);
    sw.recv(&mut ctl);
    sw.send(&mut ctl, 0, sw.features(), 1);
    assert!(ctl.should_close(sw.conn));
    assert!(matches!(notices(&mut ctl)[..], [Notice::SwitchDown { reason: DownReason::NoHello, .. }]));
}

#[test]
fn disconnect_mid_handshake() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    let fx = sw.hello(&mut ctl);
    sw.send(&mut ctl, 0, sw.features(), fx);
    // Half a PORT_DESC reply, then the connection drops.
    let bytes = Message::new(fx + 3, sw.port_desc()).to_vec();
    ctl.handle_input(0, sw.conn, &bytes[..20]);
    ctl.handle_disconnect(0, sw.conn);
    assert_eq!(
        notices(&mut ctl),
        [Notice::SwitchDown { conn: sw.conn, datapath_id: None, reason: DownReason::Disconnected }]
    );
    assert!(recorder(&ctl).seen.is_empty());
    assert_eq!(ctl.connections(), 0);
    // Input for the dead connection is ignored.
    ctl.handle_input(0, sw.conn, &bytes[20..]);
    assert_eq!(ctl.output(sw.conn), b"");
}

#[test]
fn handshake_timeout() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    ctl.connect(0, sw.conn);
    sw.recv(&mut ctl);
    let deadline = ctl.poll_timeout().unwrap();
    assert!(deadline <= SessionConfig::default().handshake_timeout_ms);
    ctl.handle_timeout(SessionConfig::default().handshake_timeout_ms);
    assert!(ctl.should_close(sw.conn));
    assert!(matches!(
        notices(&mut ctl)[..],
        [Notice::SwitchDown { reason: DownReason::HandshakeTimeout, .. }]
    ));
}

// ---------------------------------------------------------------------------
// Echo

#[test]
fn echo_request_from_switch_is_answered() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    sw.handshake(&mut ctl, 0);
    sw.send(&mut ctl, 10, Body::EchoRequest(b"abc".to_vec()), 0x55);
    let sent = sw.recv(&mut ctl);
    assert_eq!(sent, [Message::new(0x55, Body::EchoReply(b"abc".to_vec()))]);
}

#[test]
fn lost_echo_declares_the_switch_gone() {
    let config = SessionConfig { echo_interval_ms: 1000, echo_timeout_ms: 500, ..Default::default() };
    let mut ctl = Controller::new(config);
    ctl.add_app(Recorder::default());
    let mut sw = Switch::new(1, 3, 1);
    sw.handshake(&mut ctl, 0);
    notices(&mut ctl);
    // Quiet for the interval: we ask.
    assert_eq!(ctl.poll_timeout(), Some(1000));
    ctl.handle_timeout(999);
    assert!(sw.recv(&mut ctl).is_empty());
    ctl.handle_timeout(1000);
    let echo = sw.recv(&mut ctl);
    assert_eq!(echo.len(), 1);
    assert_eq!(echo[0].msg_type(), MessageType::EchoRequest);
    // The switch answers: alive, and the next echo is an interval later.
    sw.send(&mut ctl, 1200, Body::EchoReply(vec![]), echo[0].xid);
    ctl.handle_timeout(1600);
    assert!(ctl.switch(sw.conn).is_some());
    assert_eq!(ctl.poll_timeout(), Some(2200));
    ctl.handle_timeout(2200);
    assert_eq!(sw.recv(&mut ctl)[0].msg_type(), MessageType::EchoRequest);
    // This time nothing comes back.
    assert_eq!(ctl.poll_timeout(), Some(2700));
    ctl.handle_timeout(2699);
    assert!(!ctl.should_close(sw.conn));
    ctl.handle_timeout(2700);
    assert!(ctl.should_close(sw.conn));
    assert_eq!(recorder(&ctl).seen.last(), Some(&Seen::Down(3)));
    assert_eq!(
        notices(&mut ctl),
        [Notice::SwitchDown { conn: sw.conn, datapath_id: Some(3), reason: DownReason::KeepaliveTimeout }]
    );
}

// ---------------------------------------------------------------------------
// Requests, replies and errors

#[test]
fn multipart_reply_reassembled_for_the_requesting_app() {
    let mut ctl = controller();
    ctl.app_mut::<Recorder>()
        .unwrap()
        .on_up
        .push(MultipartRequest::flow_stats(FlowStatsRequest::new()).into());
    let mut sw = Switch::new(1, 1, 1);
    let sent = sw.handshake(&mut ctl, 0);
    let req = sent.last().unwrap();
    assert!(
        matches!(&req.body, Body::MultipartRequest(m) if matches!(m.body, MultipartRequestBody::Flow(_)))
    );
    let token = recorder(&ctl).tokens[0];
    assert_eq!(token.xid, req.xid);
    let stats = |n: u64| FlowStats {
        table_id: 0,
        duration_sec: 1,
        duration_nsec: 0,
        priority: 1,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: 0,
        cookie: n,
        packet_count: 0,
        byte_count: 0,
        matching: Match::new(),
        instructions: vec![],
    };
    let part =
        |entries: Vec<FlowStats>, flags| MultipartReply { flags, body: MultipartReplyBody::Flow(entries) };
    sw.send(&mut ctl, 1, part(vec![stats(1), stats(2)], OFPMPF_REPLY_MORE), req.xid);
    sw.send(&mut ctl, 1, part(vec![stats(3)], OFPMPF_REPLY_MORE), req.xid);
    assert_eq!(recorder(&ctl).seen.len(), 1, "no reply before the last part");
    sw.send(&mut ctl, 1, part(vec![stats(4)], 0), req.xid);
    let Some(Seen::Reply(t, reply)) = recorder(&ctl).seen.last() else { panic!() };
    assert_eq!(*t, token);
    let Body::MultipartReply(MultipartReply { flags: 0, body: MultipartReplyBody::Flow(all) }) = &reply.body
    else {
        panic!("{reply:?}")
    };
    assert_eq!(all.iter().map(|f| f.cookie).collect::<Vec<_>>(), [1, 2, 3, 4]);
    // A second copy of the last part answers nothing and is dropped.
    sw.send(&mut ctl, 1, part(vec![stats(5)], 0), req.xid);
    assert_eq!(recorder(&ctl).seen.len(), 2);
}

#[test]
fn external_request_and_barrier() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    sw.handshake(&mut ctl, 0);
    notices(&mut ctl);
    let token = ctl.request(sw.conn, Body::BarrierRequest).unwrap();
    let sent = sw.recv(&mut ctl);
    assert_eq!(sent, [Message::new(token.xid, Body::BarrierRequest)]);
    sw.send(&mut ctl, 1, Body::BarrierReply, token.xid);
    assert_eq!(
        notices(&mut ctl),
        [Notice::Reply { token, reply: Message::new(token.xid, Body::BarrierReply) }]
    );
    // The app did not see someone else's reply.
    assert_eq!(recorder(&ctl).seen, [Seen::Up(1, 1)]);
    // Unknown connections take nothing.
    assert_eq!(ctl.request(ConnId(99), Body::BarrierRequest), None);
}

#[test]
fn errors_come_with_the_request_that_caused_them() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    sw.handshake(&mut ctl, 0);
    notices(&mut ctl);
    assert!(ctl.send(sw.conn, FlowMod::add(0).priority(5).matching(Match::new().in_port(1))));
    let sent = sw.recv(&mut ctl);
    let flow_mod = &sent[0];
    let error = ErrorMsg::for_request(OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL, &flow_mod.to_vec());
    sw.send(&mut ctl, 1, error.clone(), flow_mod.xid);
    assert_eq!(
        recorder(&ctl).seen.last(),
        Some(&Seen::Error(flow_mod.xid, OFPET_FLOW_MOD_FAILED, Some(MessageType::FlowMod)))
    );
    assert_eq!(
        notices(&mut ctl),
        [Notice::SwitchError { conn: sw.conn, error: error.clone(), request: Some(flow_mod.clone()) }]
    );
    // An error for an xid long gone comes without a request.
    for _ in 0..SessionConfig::default().sent_history {
        ctl.send(sw.conn, Body::BarrierRequest);
    }
    sw.send(&mut ctl, 1, error, flow_mod.xid);
    assert_eq!(recorder(&ctl).seen.last(), Some(&Seen::Error(flow_mod.xid, OFPET_FLOW_MOD_FAILED, None)));
}

#[test]
fn role_changes() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    sw.handshake(&mut ctl, 0);
    let master =
        ctl.request(sw.conn, Body::RoleRequest(Role { role: OFPCR_ROLE_MASTER, generation_id: 10 })).unwrap();
    let sent = sw.recv(&mut ctl);
    assert_eq!(
        sent,
        [Message::new(master.xid, Body::RoleRequest(Role { role: OFPCR_ROLE_MASTER, generation_id: 10 }))]
    );
    sw.send(&mut ctl, 1, Body::RoleReply(Role { role: OFPCR_ROLE_MASTER, generation_id: 10 }), master.xid);
    assert_eq!(
        recorder(&ctl).seen.last(),
        Some(&Seen::Role(Role { role: OFPCR_ROLE_MASTER, generation_id: 10 }))
    );
    assert_eq!(ctl.switch(sw.conn).unwrap().role.map(|r| r.role), Some(OFPCR_ROLE_MASTER));
    assert_eq!(ctl.session(sw.conn).unwrap().role().map(|r| r.generation_id), Some(10));
    // Another controller became master with a newer generation: we are slave.
    let slave =
        ctl.request(sw.conn, Body::RoleRequest(Role { role: OFPCR_ROLE_SLAVE, generation_id: 11 })).unwrap();
    sw.recv(&mut ctl);
    sw.send(&mut ctl, 2, Body::RoleReply(Role { role: OFPCR_ROLE_SLAVE, generation_id: 11 }), slave.xid);
    assert_eq!(ctl.switch(sw.conn).unwrap().role.map(|r| r.role), Some(OFPCR_ROLE_SLAVE));
    // A stale generation id is refused; the error names the request.
    let stale =
        ctl.request(sw.conn, Body::RoleRequest(Role { role: OFPCR_ROLE_MASTER, generation_id: 3 })).unwrap();
    let sent = sw.recv(&mut ctl);
    let error = ErrorMsg::for_request(OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE, &sent[0].to_vec());
    sw.send(&mut ctl, 3, error.clone(), stale.xid);
    let n = notices(&mut ctl);
    assert!(n.contains(&Notice::RequestFailed { token: stale, error }), "{n:?}");
    assert_eq!(ctl.switch(sw.conn).unwrap().role.map(|r| r.role), Some(OFPCR_ROLE_SLAVE));
}

#[test]
fn malformed_message_is_answered_and_the_session_goes_on() {
    let mut ctl = controller();
    let mut sw = Switch::new(1, 1, 1);
    sw.handshake(&mut ctl, 0);
    notices(&mut ctl);
    // A PORT_STATUS one byte short, then a well-formed echo request.
    let mut bad = Message::new(0x77, PortStatus { reason: OFPPR_ADD, desc: sw.ports[0].clone() }).to_vec();
    bad.pop();
    bad[3] -= 1;
    ctl.handle_input(1, sw.conn, &bad);
    sw.send(&mut ctl, 1, Body::EchoRequest(vec![]), 0x78);
    let sent = sw.recv(&mut ctl);
    let Body::Error(ErrorMsg::Standard { err_type, code, data }) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!((*err_type, *code, sent[0].xid), (OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, 0x77));
    assert_eq!(data[..], bad[..ErrorMsg::MIN_ECHOED]);
    assert_eq!(sent[1], Message::new(0x78, Body::EchoReply(vec![])));
    assert!(matches!(notices(&mut ctl)[..], [Notice::Malformed { .. }]));
    assert!(ctl.switch(sw.conn).is_some());
    // A broken length field cannot be resynchronised: the session ends.
    ctl.handle_input(1, sw.conn, &[4, 0, 0, 3, 0, 0, 0, 0]);
    assert!(ctl.should_close(sw.conn));
}

#[test]
fn garbage_input_never_panics() {
    // Arbitrary bytes at every stage of the handshake.
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for round in 0..300 {
        let mut ctl = controller();
        ctl.add_app(LearningSwitch::default());
        ctl.add_app(Topology::default());
        let mut sw = Switch::new(1, 1, 2);
        if round % 2 == 0 {
            sw.handshake(&mut ctl, 0);
        } else {
            ctl.connect(0, sw.conn);
        }
        for _ in 0..5 {
            let t = (next() % 30) as u8;
            let len = 8 + (next() % 80) as usize;
            let mut msg = vec![4, t, (len >> 8) as u8, len as u8];
            msg.extend((4..len).map(|_| next() as u8));
            ctl.handle_input(1, sw.conn, &msg);
            sw.recv(&mut ctl);
        }
    }
}

// ---------------------------------------------------------------------------
// Learning switch

const A: [u8; 6] = [2, 0, 0, 0, 0, 0xa];
const B: [u8; 6] = [2, 0, 0, 0, 0, 0xb];

fn learning() -> (Controller, Switch) {
    let mut ctl = Controller::new(SessionConfig::default());
    ctl.add_app(LearningSwitch::new(LearningConfig { idle_timeout: 30, ..Default::default() }));
    let mut sw = Switch::new(1, 0x42, 3);
    sw.handshake(&mut ctl, 0);
    (ctl, sw)
}

#[test]
fn learning_switch_floods_unknown_then_installs_flows() {
    let (mut ctl, mut sw) = learning();
    // A → broadcast from port 1: flooded, A learned.
    let f = frame([0xff; 6], A, 0x0806);
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, f.clone()), 0);
    let sent = sw.recv(&mut ctl);
    let Body::PacketOut(out) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!(
        (out.in_port, out.actions.clone(), out.data.clone()),
        (1, vec![Action::output(OFPP_FLOOD)], f)
    );
    let ls = ctl.app::<LearningSwitch>().unwrap();
    assert_eq!(ls.port_of(0x42, A), Some(1));
    // B → A from port 2 (unbuffered): flow in_port 2, B → A, out 1; then the packet out.
    let f = frame(A, B, 0x0800);
    sw.send(&mut ctl, 2, sw.packet_in(2, OFP_NO_BUFFER, f.clone()), 0);
    let sent = sw.recv(&mut ctl);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let Body::FlowMod(flow) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!(flow.match_, Match::new().in_port(2).eth_src(B).eth_dst(A));
    assert_eq!((flow.idle_timeout, flow.priority, flow.buffer_id), (30, 1, OFP_NO_BUFFER));
    assert_eq!(flow.instructions, [Instruction::ApplyActions(vec![Action::output(1)])]);
    let Body::PacketOut(out) = &sent[1].body else { panic!("{sent:?}") };
    assert_eq!((out.actions.clone(), out.data.clone()), (vec![Action::output(1)], f));
    // A → B, buffered on the switch: the flow carries the buffer, no packet out.
    sw.send(&mut ctl, 3, sw.packet_in(1, 77, frame(B, A, 0x0800)), 0);
    let sent = sw.recv(&mut ctl);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let Body::FlowMod(flow) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!((flow.buffer_id, flow.match_.clone()), (77, Match::new().in_port(1).eth_src(A).eth_dst(B)));
    // Buffered flood: by buffer id, no data.
    sw.send(
        &mut ctl,
        3,
        sw.packet_in(3, 78, frame([0x33, 0x33, 0, 0, 0, 1], [2, 0, 0, 0, 0, 0xc], 0x86dd)),
        0,
    );
    let sent = sw.recv(&mut ctl);
    let Body::PacketOut(out) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!((out.buffer_id, out.data.len()), (78, 0));
    let stats = ctl.app::<LearningSwitch>().unwrap().stats();
    assert_eq!((stats.packet_ins, stats.flows, stats.floods), (4, 2, 2));
}

#[test]
fn learning_switch_ignores_lldp_and_same_port_and_short_frames() {
    let (mut ctl, mut sw) = learning();
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, frame([1, 0x80, 0xc2, 0, 0, 0xe], A, 0x88cc)), 0);
    assert!(sw.recv(&mut ctl).is_empty());
    assert_eq!(ctl.app::<LearningSwitch>().unwrap().port_of(0x42, A), None, "learned from LLDP");
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, frame([0xff; 6], A, 0x0800)), 0);
    sw.recv(&mut ctl);
    // B on port 1 talking to A on port 1: nothing to do.
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, frame(A, B, 0x0800)), 0);
    assert!(sw.recv(&mut ctl).is_empty());
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, vec![1, 2, 3]), 0);
    assert!(sw.recv(&mut ctl).is_empty());
    let stats = ctl.app::<LearningSwitch>().unwrap().stats();
    assert_eq!((stats.lldp, stats.drops), (1, 2));
}

#[test]
fn learning_switch_forgets_ports_that_go_down() {
    let (mut ctl, mut sw) = learning();
    sw.send(&mut ctl, 1, sw.packet_in(1, OFP_NO_BUFFER, frame([0xff; 6], A, 0x0800)), 0);
    sw.send(&mut ctl, 1, sw.packet_in(2, OFP_NO_BUFFER, frame([0xff; 6], B, 0x0800)), 0);
    sw.recv(&mut ctl);
    let mut port = sw.ports[0].clone();
    port.state = OFPPS_LINK_DOWN;
    sw.send(&mut ctl, 2, PortStatus { reason: OFPPR_MODIFY, desc: port }, 0);
    let ls = ctl.app::<LearningSwitch>().unwrap();
    assert_eq!((ls.port_of(0x42, A), ls.port_of(0x42, B)), (None, Some(2)));
    // Our flows through port 1 are deleted, by cookie.
    let sent = sw.recv(&mut ctl);
    let deletes: Vec<&FlowMod> =
        sent.iter().filter_map(|m| if let Body::FlowMod(f) = &m.body { Some(f) } else { None }).collect();
    assert_eq!(deletes.len(), 2, "{sent:?}");
    assert!(deletes.iter().all(|f| f.command == OFPFC_DELETE && f.cookie_mask == u64::MAX));
    assert_eq!(deletes[0].out_port, 1);
    assert_eq!(deletes[1].match_, Match::new().in_port(1));
    // Traffic to A floods again.
    sw.send(&mut ctl, 3, sw.packet_in(2, OFP_NO_BUFFER, frame(A, B, 0x0800)), 0);
    let sent = sw.recv(&mut ctl);
    let Body::PacketOut(out) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!(out.actions, [Action::output(OFPP_FLOOD)]);
    // A switch that goes away loses its table.
    ctl.handle_disconnect(4, sw.conn);
    assert!(ctl.app::<LearningSwitch>().unwrap().table(0x42).is_none());
}

#[test]
fn learning_switch_keeps_datapaths_apart() {
    let mut ctl = Controller::new(SessionConfig::default());
    ctl.add_app(LearningSwitch::default());
    let mut s1 = Switch::new(1, 1, 2);
    let mut s2 = Switch::new(2, 2, 2);
    s1.handshake(&mut ctl, 0);
    s2.handshake(&mut ctl, 0);
    s1.send(&mut ctl, 1, s1.packet_in(1, OFP_NO_BUFFER, frame([0xff; 6], A, 0x0800)), 0);
    s1.recv(&mut ctl);
    // B → A on switch 2: A is unknown there.
    s2.send(&mut ctl, 1, s2.packet_in(2, OFP_NO_BUFFER, frame(A, B, 0x0800)), 0);
    let sent = s2.recv(&mut ctl);
    let Body::PacketOut(out) = &sent[0].body else { panic!("{sent:?}") };
    assert_eq!(out.actions, [Action::output(OFPP_FLOOD)]);
    assert!(s1.recv(&mut ctl).is_empty());
}

// ---------------------------------------------------------------------------
// Topology

fn packet_outs(msgs: &[Message]) -> Vec<(u32, Vec<u8>)> {
    msgs.iter()
        .filter_map(|m| match &m.body {
            Body::PacketOut(p) => match p.actions[..] {
                [Action::Output { port, .. }] => Some((port, p.data.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn topology_discovers_links_between_two_switches() {
    let config = TopologyConfig { probe_interval_ms: 1000, link_timeout_ms: 2500 };
    let mut ctl = Controller::new(SessionConfig { echo_interval_ms: 60_000, ..Default::default() });
    ctl.add_app(Topology::new(config));
    ctl.add_app(LearningSwitch::default());
    let mut s1 = Switch::new(1, 0x11, 2);
    let mut s2 = Switch::new(2, 0x22, 2);
    let sent1 = s1.handshake(&mut ctl, 0);
    let sent2 = s2.handshake(&mut ctl, 0);
    // Each switch got the LLDP-to-controller flow and one probe per port.
    for sent in [&sent1, &sent2] {
        let flows = of_type(sent, MessageType::FlowMod);
        assert!(flows.iter().any(|m| matches!(&m.body, Body::FlowMod(f)
            if f.priority == 0xffff && f.match_ == Match::new().eth_type(0x88cc))));
    }
    let probes1 = packet_outs(&sent1);
    assert_eq!(probes1.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(parse_lldp_probe(&probes1[0].1), Some(Endpoint { datapath_id: 0x11, port_no: 1 }));
    // Wire s1 port 1 to s2 port 2: each probe arrives at the other side.
    let probes2 = packet_outs(&sent2);
    s2.send(&mut ctl, 10, s2.packet_in(2, OFP_NO_BUFFER, probes1[0].1.clone()), 0);
    s1.send(&mut ctl, 10, s1.packet_in(1, OFP_NO_BUFFER, probes2[1].1.clone()), 0);
    let links: Vec<Link> = ctl.app::<Topology>().unwrap().links().copied().collect();
    let e = |d, p| Endpoint { datapath_id: d, port_no: p };
    assert_eq!(links, [Link { src: e(0x11, 1), dst: e(0x22, 2) }, Link { src: e(0x22, 2), dst: e(0x11, 1) }]);
    // The learning switch did not act on the probes.
    assert!(packet_outs(&s1.recv(&mut ctl)).is_empty());

    // Probes go out again every interval; links seen again stay.
    assert_eq!(ctl.poll_timeout(), Some(1000));
    for t in [1000, 2000, 3000] {
        ctl.handle_timeout(t);
        let again = packet_outs(&s1.recv(&mut ctl));
        assert_eq!(again.len(), 2);
        s2.send(&mut ctl, t, s2.packet_in(2, OFP_NO_BUFFER, again[0].1.clone()), 0);
        s2.recv(&mut ctl);
    }
    // The s2 → s1 direction was not refreshed: it timed out.
    let links: Vec<Link> = ctl.app::<Topology>().unwrap().links().copied().collect();
    assert_eq!(links, [Link { src: e(0x11, 1), dst: e(0x22, 2) }]);

    // Port 2 of s2 goes down: the link goes with it.
    let mut port = s2.ports[1].clone();
    port.state = OFPPS_LINK_DOWN;
    s2.send(&mut ctl, 3100, PortStatus { reason: OFPPR_MODIFY, desc: port.clone() }, 0);
    assert_eq!(ctl.app::<Topology>().unwrap().links().count(), 0);
    // It comes back up: probed at once.
    port.state = 0;
    s2.send(&mut ctl, 3200, PortStatus { reason: OFPPR_MODIFY, desc: port }, 0);
    let probe = packet_outs(&s2.recv(&mut ctl));
    assert_eq!(probe.len(), 1);
    assert_eq!(parse_lldp_probe(&probe[0].1), Some(e(0x22, 2)));
    s1.send(&mut ctl, 3200, s1.packet_in(1, OFP_NO_BUFFER, probe[0].1.clone()), 0);
    assert_eq!(ctl.app::<Topology>().unwrap().links().count(), 1);
    // A switch that goes away takes its links with it.
    ctl.handle_disconnect(3300, s2.conn);
    assert_eq!(ctl.app::<Topology>().unwrap().links().count(), 0);
}
