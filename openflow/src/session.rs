//! One switch connection, sans-IO: the controller side of OpenFlow 1.3's
//! connection setup, keepalive and request tracking (OpenFlow 1.3.5 §6.3).
//!
//! A [`Session`] owns no socket and no clock. The caller hands in the bytes it
//! read ([`Session::handle_input`]) and the time in milliseconds (`now`, from
//! any monotonic origin), writes out what [`Session::output`] holds, and takes
//! [`SessionEvent`]s with [`Session::poll_event`]. [`Session::poll_timeout`]
//! says when to call [`Session::handle_timeout`] next.
//!
//! ```text
//!  bytes ─▶ handle_input ─▶ Deframer ─▶ handshake / echo / xid matching ─▶ poll_event
//!  send / request / barrier / set_role ─▶ encode ─▶ output ─▶ (caller writes) consume_output
//! ```
//!
//! The handshake (§6.3.1, §7.3.1, §7.3.5.7):
//!
//! 1. Both sides send `HELLO`; the version is negotiated from the version
//!    bitmaps. No common version: `ERROR HELLO_FAILED/INCOMPATIBLE`, then the
//!    session closes ([`DownReason::VersionMismatch`]).
//! 2. `FEATURES_REQUEST` → `FEATURES_REPLY` gives the datapath id.
//! 3. `SET_CONFIG` (miss_send_len), the table-miss flow (priority 0, output
//!    to the controller; [`SessionConfig::table_miss`]) and a `PORT_DESC`
//!    multipart request; its (possibly multi-part) reply completes the
//!    handshake: [`SessionEvent::Up`].
//!
//! Asynchronous messages that arrive before that (Open vSwitch sends
//! `PORT_STATUS` before `FEATURES_REPLY`) are held and delivered right after
//! `Up`, in arrival order (at most [`SessionConfig::max_held`]).
//!
//! Keepalive: the session answers `ECHO_REQUEST`s at any time. After
//! [`SessionConfig::echo_interval_ms`] without a byte from the switch it sends
//! its own `ECHO_REQUEST`; after a further [`SessionConfig::echo_timeout_ms`]
//! of silence the switch is declared gone ([`DownReason::KeepaliveTimeout`]).
//!
//! Requests: every message sent gets a fresh xid. Messages that expect a reply
//! are remembered until it comes ([`SessionEvent::Reply`]); multipart replies
//! are reassembled across `OFPMPF_REPLY_MORE` into one. The last
//! [`SessionConfig::sent_history`] messages sent are kept so that an `ERROR`
//! comes out together with the request that caused it ([`SessionEvent::Error`]).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::action::{Action, OFPCML_NO_BUFFER, OFPP_CONTROLLER};
use crate::framing::{Deframer, FramingError};
use crate::header::{MessageType, OFP_VERSION};
use crate::message::{
    Body, ErrorMsg, FlowMod, Hello, Message, OFPBRC_BAD_LEN, OFPBRC_BAD_TYPE, OFPBRC_BAD_VERSION,
    OFPCR_ROLE_EQUAL, OFPCR_ROLE_MASTER, OFPCR_ROLE_NOCHANGE, OFPCR_ROLE_SLAVE, OFPET_BAD_REQUEST,
    OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, PacketInView, Role, SwitchConfig, SwitchFeatures,
};
use crate::multipart::{MultipartReply, MultipartReplyBody, MultipartRequest};
use crate::structs::Port;
use crate::wire::{DecodeError, Encode};

/// Tunables of a [`Session`]. Times are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// `miss_send_len` sent in `SET_CONFIG` (bytes of a table-miss packet the
    /// switch sends up; `OFPCML_NO_BUFFER` = 0xffff: the whole packet, unbuffered).
    pub miss_send_len: u16,
    /// Install the table-miss flow (priority 0, output to the controller) at
    /// switch-up. Open vSwitch drops table misses without it.
    pub table_miss: bool,
    /// Silence from the switch after which we send an `ECHO_REQUEST`.
    pub echo_interval_ms: u64,
    /// Further silence after which the switch is declared gone.
    pub echo_timeout_ms: u64,
    /// Time from connect to the end of the handshake before giving up.
    pub handshake_timeout_ms: u64,
    /// Messages sent that are kept to pair with errors (by xid).
    pub sent_history: usize,
    /// Requests waiting for a reply; beyond this the oldest is forgotten.
    pub max_pending: usize,
    /// Asynchronous messages held during the handshake; beyond this they are dropped.
    pub max_held: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            miss_send_len: OFPCML_NO_BUFFER,
            table_miss: true,
            echo_interval_ms: 5_000,
            echo_timeout_ms: 10_000,
            handshake_timeout_ms: 10_000,
            sent_history: 64,
            max_pending: 1024,
            max_held: 256,
        }
    }
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Our HELLO is out; waiting for the switch's.
    Hello,
    /// Version agreed; waiting for `FEATURES_REPLY`.
    Features,
    /// Datapath known; waiting for the `PORT_DESC` reply.
    PortDesc,
    /// Handshake complete.
    Up,
    /// Over: write out what [`Session::output`] still holds, then close.
    Closed,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// The switch offered no version we speak (we sent HELLO_FAILED).
    VersionMismatch {
        /// The version in the switch's HELLO header.
        peer_version: u8,
    },
    /// The switch refused our HELLO (it sent an `OFPET_HELLO_FAILED` error).
    HelloRefused {
        /// The error's code.
        code: u16,
    },
    /// The switch's first message was not a HELLO.
    NoHello,
    /// Nothing from the switch for the echo interval plus the echo timeout.
    KeepaliveTimeout,
    /// The handshake did not complete in time.
    HandshakeTimeout,
    /// The transport closed ([`Session::handle_disconnect`]).
    Disconnected,
    /// The byte stream cannot be framed any more.
    Framing(FramingError),
    /// The owner closed it ([`Session::close`]).
    Closed,
}

/// What a [`Session`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The handshake completed.
    Up {
        /// The switch's `FEATURES_REPLY`.
        features: SwitchFeatures,
        /// Its ports (`PORT_DESC`).
        ports: Vec<Port>,
    },
    /// A `PACKET_IN`, as the whole checked message; read it with
    /// [`PacketInView::parse`] (it has been checked, so that succeeds).
    PacketIn(Bytes),
    /// Another message the switch sent on its own (`PORT_STATUS`,
    /// `FLOW_REMOVED`, `EXPERIMENTER`, ...).
    Async(Message),
    /// The answer to a request sent with [`Session::send`]. Multipart replies
    /// arrive once, reassembled: the bodies of all parts merged (see
    /// [`merge_multipart`]) and the MORE flag cleared.
    Reply {
        /// The request's xid.
        xid: u32,
        /// The reply.
        reply: Message,
    },
    /// The switch reported an error.
    Error {
        /// The error's xid (the failed request's).
        xid: u32,
        /// The error.
        error: ErrorMsg,
        /// The request that caused it, when it is among the last messages sent.
        request: Option<Message>,
    },
    /// A `ROLE_REPLY`: the role the switch now gives us (also kept, see [`Session::role`]).
    Role(Role),
    /// A message from the switch did not decode; it was answered with an
    /// error and dropped.
    Malformed(DecodeError),
    /// The session is over (reported once).
    Down(DownReason),
}

/// A request waiting for its reply.
#[derive(Debug)]
struct Pending {
    xid: u32,
    /// Multipart parts so far.
    parts: Vec<MultipartReply>,
}

/// The last messages sent, encoded, in a ring of reused buffers.
#[derive(Debug, Default)]
struct SentRing {
    slots: Vec<(u32, Vec<u8>)>,
    next: usize,
}

impl SentRing {
    fn record(&mut self, capacity: usize, xid: u32, bytes: &[u8]) {
        if capacity == 0 {
            return;
        }
        if self.slots.len() < capacity {
            self.slots.push((xid, bytes.to_vec()));
            self.next = self.slots.len() % capacity;
            return;
        }
        let at = self.next % self.slots.len();
        let slot = &mut self.slots[at];
        slot.0 = xid;
        slot.1.clear();
        slot.1.extend_from_slice(bytes);
        self.next = (self.next + 1) % capacity;
    }

    fn find(&self, xid: u32) -> Option<Message> {
        // Newest first: an xid may have been reused after wrapping.
        let n = self.slots.len();
        (0..n)
            .map(|i| &self.slots[(self.next + n - 1 - i) % n])
            .find(|(x, _)| *x == xid)
            .and_then(|(_, bytes)| Message::decode(bytes).ok())
    }
}

/// One switch connection (see the [module docs](self)).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    deframer: Deframer,
    out: Vec<u8>,
    out_sent: usize,
    events: VecDeque<SessionEvent>,
    held: Vec<SessionEvent>,
    next_xid: u32,
    pending: VecDeque<Pending>,
    sent: SentRing,
    features: Option<SwitchFeatures>,
    ports: Vec<Port>,
    features_xid: u32,
    port_desc_xid: u32,
    started: u64,
    last_rx: u64,
    echo_sent: bool,
    role: Option<Role>,
    down: bool,
    malformed: u64,
}

/// True for requests the switch answers with a reply of their own.
fn expects_reply(body: &Body) -> bool {
    matches!(
        body,
        Body::FeaturesRequest
            | Body::GetConfigRequest
            | Body::MultipartRequest(_)
            | Body::BarrierRequest
            | Body::QueueGetConfigRequest(_)
            | Body::RoleRequest(_)
            | Body::GetAsyncRequest
    )
}

/// The table-miss flow entry: priority 0, match everything, send the whole
/// packet to the controller (OpenFlow 1.3.5 §5.4).
pub fn table_miss_flow() -> FlowMod {
    FlowMod::add(0)
        .priority(0)
        .apply_actions(alloc::vec![Action::Output { port: OFPP_CONTROLLER, max_len: OFPCML_NO_BUFFER }])
}

/// Merges the body of a later multipart part into the first: list bodies are
/// concatenated, experimenter and unknown bodies have their data appended,
/// single-structure bodies (desc, aggregate, features) keep the last part.
pub fn merge_multipart(into: &mut MultipartReplyBody, part: MultipartReplyBody) {
    use MultipartReplyBody as B;
    match (into, part) {
        (B::Flow(a), B::Flow(b)) => a.extend(b),
        (B::Table(a), B::Table(b)) => a.extend(b),
        (B::PortStats(a), B::PortStats(b)) => a.extend(b),
        (B::Queue(a), B::Queue(b)) => a.extend(b),
        (B::Group(a), B::Group(b)) => a.extend(b),
        (B::GroupDesc(a), B::GroupDesc(b)) => a.extend(b),
        (B::Meter(a), B::Meter(b)) => a.extend(b),
        (B::MeterConfig(a), B::MeterConfig(b)) => a.extend(b),
        (B::TableFeatures(a), B::TableFeatures(b)) => a.extend(b),
        (B::PortDesc(a), B::PortDesc(b)) => a.extend(b),
        (B::Experimenter(a), B::Experimenter(b)) => a.data.extend(b.data),
        (B::Unknown { body: a, .. }, B::Unknown { body: b, .. }) => a.extend(b),
        (into, part) => *into = part,
    }
}

impl Session {
    /// A new session on a connection that opened at `now`; our HELLO is
    /// already in [`Session::output`].
    pub fn new(config: SessionConfig, now: u64) -> Session {
        let mut s = Session {
            config,
            state: State::Hello,
            deframer: Deframer::new(),
            out: Vec::with_capacity(4096),
            out_sent: 0,
            events: VecDeque::new(),
            held: Vec::new(),
            next_xid: 0,
            pending: VecDeque::new(),
            sent: SentRing::default(),
            features: None,
            ports: Vec::new(),
            features_xid: 0,
            port_desc_xid: 0,
            started: now,
            last_rx: now,
            echo_sent: false,
            role: None,
            down: false,
            malformed: 0,
        };
        s.send(Hello::openflow13());
        s
    }

    /// The session's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// True once the handshake has completed and the session is not closed.
    pub fn is_up(&self) -> bool {
        self.state == State::Up
    }

    /// True when the session is over: write out [`Session::output`], then close.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The switch's features, once known.
    pub fn features(&self) -> Option<&SwitchFeatures> {
        self.features.as_ref()
    }

    /// The datapath id, once known.
    pub fn datapath_id(&self) -> Option<u64> {
        self.features.map(|f| f.datapath_id)
    }

    /// The ports as of the `PORT_DESC` reply.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    /// The role from the last `ROLE_REPLY`, if any.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Messages from the switch that did not decode.
    pub fn malformed_count(&self) -> u64 {
        self.malformed
    }

    /// Requests still waiting for a reply.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Bytes to write to the switch.
    pub fn output(&self) -> &[u8] {
        &self.out[self.out_sent..]
    }

    /// The caller wrote the first `n` bytes of [`Session::output`].
    pub fn consume_output(&mut self, n: usize) {
        self.out_sent = (self.out_sent + n).min(self.out.len());
        if self.out_sent == self.out.len() {
            self.out.clear();
            self.out_sent = 0;
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    fn alloc_xid(&mut self) -> u32 {
        self.next_xid = self.next_xid.wrapping_add(1);
        if self.next_xid == 0 {
            self.next_xid = 1;
        }
        self.next_xid
    }

    /// Sends `body` with a fresh xid and returns it. If it is a request that
    /// has a reply (features, config, multipart, barrier, queue config, role,
    /// async config), the reply comes as [`SessionEvent::Reply`] with this xid.
    /// Nothing is sent once the session is closed (the xid is still returned).
    pub fn send(&mut self, body: impl Into<Body>) -> u32 {
        let xid = self.alloc_xid();
        self.send_with_xid(xid, body.into());
        xid
    }

    fn send_with_xid(&mut self, xid: u32, body: Body) {
        if self.state == State::Closed {
            return;
        }
        if expects_reply(&body) {
            if self.pending.len() >= self.config.max_pending.max(1) {
                self.pending.pop_front();
            }
            self.pending.push_back(Pending { xid, parts: Vec::new() });
        }
        let start = self.out.len();
        let msg = Message::new(xid, body);
        msg.encode(&mut self.out);
        if !matches!(msg.body, Body::EchoReply(_) | Body::EchoRequest(_) | Body::Hello(_)) {
            self.sent.record(self.config.sent_history, xid, &self.out[start..]);
        }
    }

    /// Sends a `BARRIER_REQUEST`; its reply ([`SessionEvent::Reply`] with the
    /// returned xid) means every message sent before it has been processed.
    pub fn barrier(&mut self) -> u32 {
        self.send(Body::BarrierRequest)
    }

    /// Sends a `ROLE_REQUEST` (`OFPCR_ROLE_EQUAL`, `_MASTER`, `_SLAVE` or
    /// `_NOCHANGE`) with `generation_id` (§6.3.7); the answer is a
    /// [`SessionEvent::Role`] or an error `OFPET_ROLE_REQUEST_FAILED` (for
    /// instance `OFPRRFC_STALE` when the generation id is older than one seen).
    pub fn set_role(&mut self, role: u32, generation_id: u64) -> u32 {
        debug_assert!(
            [OFPCR_ROLE_NOCHANGE, OFPCR_ROLE_EQUAL, OFPCR_ROLE_MASTER, OFPCR_ROLE_SLAVE].contains(&role)
        );
        self.send(Body::RoleRequest(Role { role, generation_id }))
    }

    /// Ends the session from our side (reported as [`DownReason::Closed`]).
    pub fn close(&mut self) {
        self.go_down(DownReason::Closed);
    }

    /// The transport closed or failed (EOF, reset).
    pub fn handle_disconnect(&mut self) {
        self.go_down(DownReason::Disconnected);
    }

    fn go_down(&mut self, reason: DownReason) {
        self.state = State::Closed;
        self.pending.clear();
        self.held.clear();
        if !self.down {
            self.down = true;
            self.events.push_back(SessionEvent::Down(reason));
        }
    }

    /// When [`Session::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.state == State::Closed {
            return None;
        }
        let keepalive = if self.echo_sent {
            self.last_rx + self.config.echo_interval_ms + self.config.echo_timeout_ms
        } else {
            self.last_rx + self.config.echo_interval_ms
        };
        if self.state == State::Up {
            Some(keepalive)
        } else {
            Some(keepalive.min(self.started + self.config.handshake_timeout_ms))
        }
    }

    /// Runs the timers: the handshake deadline, our echo, the keepalive timeout.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.state == State::Closed {
            return;
        }
        if self.state != State::Up && now >= self.started + self.config.handshake_timeout_ms {
            self.go_down(DownReason::HandshakeTimeout);
            return;
        }
        let silent = now.saturating_sub(self.last_rx);
        if silent >= self.config.echo_interval_ms + self.config.echo_timeout_ms {
            self.go_down(DownReason::KeepaliveTimeout);
        } else if silent >= self.config.echo_interval_ms && !self.echo_sent && self.state != State::Hello {
            self.echo_sent = true;
            self.send(Body::EchoRequest(Vec::new()));
        }
    }

    /// Bytes read from the switch at `now`.
    pub fn handle_input(&mut self, now: u64, data: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        if !data.is_empty() {
            self.last_rx = now;
            self.echo_sent = false;
        }
        self.deframer.push(data);
        while self.state != State::Closed {
            let frame = match self.deframer.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    self.go_down(DownReason::Framing(e));
                    break;
                }
            };
            self.handle_frame(frame);
        }
    }

    fn handle_frame(&mut self, frame: Bytes) {
        // The hot path: a PACKET_IN is checked in place and passed on whole.
        if self.state == State::Up
            && frame.get(..2) == Some(&[OFP_VERSION, u8::from(MessageType::PacketIn)][..])
        {
            match PacketInView::parse(&frame) {
                Ok(_) => self.events.push_back(SessionEvent::PacketIn(frame)),
                Err(e) => self.malformed(&frame, e),
            }
            return;
        }
        match Message::decode(&frame) {
            Ok(msg) => self.handle_message(msg, frame),
            Err(e) => self.malformed(&frame, e),
        }
    }

    fn malformed(&mut self, frame: &[u8], error: DecodeError) {
        self.malformed += 1;
        let xid = frame.get(4..8).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let body = ErrorMsg::for_request(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, frame);
        self.send_with_xid(xid, Body::Error(body));
        self.events.push_back(SessionEvent::Malformed(error));
    }

    /// Delivers now when up, or holds until up.
    fn deliver(&mut self, event: SessionEvent) {
        if self.state == State::Up {
            self.events.push_back(event);
        } else if self.held.len() < self.config.max_held {
            self.held.push(event);
        }
    }

    fn handle_message(&mut self, msg: Message, frame: Bytes) {
        if self.state == State::Hello {
            let (Body::Hello(_) | Body::Unknown { msg_type: 0, .. }) = &msg.body else {
                if let Body::Error(e) = &msg.body
                    && e.err_type() == OFPET_HELLO_FAILED
                {
                    let code = if let ErrorMsg::Standard { code, .. } = e { *code } else { 0 };
                    self.go_down(DownReason::HelloRefused { code });
                } else {
                    self.go_down(DownReason::NoHello);
                }
                return;
            };
            if msg.negotiate_version(&[OFP_VERSION]) == Some(OFP_VERSION) {
                self.state = State::Features;
                self.features_xid = self.send(Body::FeaturesRequest);
            } else {
                let error = ErrorMsg::Standard {
                    err_type: OFPET_HELLO_FAILED,
                    code: OFPHFC_INCOMPATIBLE,
                    data: b"no common version: this controller speaks OpenFlow 1.3 (0x04)".to_vec(),
                };
                self.send_with_xid(msg.xid, Body::Error(error));
                self.go_down(DownReason::VersionMismatch { peer_version: msg.version });
            }
            return;
        }
        if msg.version != OFP_VERSION {
            let error = ErrorMsg::for_request(OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, &frame);
            self.send_with_xid(msg.xid, Body::Error(error));
            return;
        }
        let xid = msg.xid;
        match msg.body {
            Body::EchoRequest(data) => self.send_with_xid(xid, Body::EchoReply(data)),
            Body::EchoReply(_) | Body::Hello(_) => {}
            Body::Error(error) => self.handle_error(xid, error),
            Body::FeaturesReply(features) if self.state == State::Features => {
                self.take_pending(xid);
                self.features = Some(features);
                self.state = State::PortDesc;
                let config = SwitchConfig { miss_send_len: self.config.miss_send_len, ..Default::default() };
                self.send(Body::SetConfig(config));
                if self.config.table_miss {
                    self.send(table_miss_flow());
                }
                self.port_desc_xid = self.send(MultipartRequest::port_desc());
            }
            Body::PacketIn(_) | Body::PortStatus(_) | Body::FlowRemoved(_) | Body::Experimenter { .. } => {
                let msg = Message { version: OFP_VERSION, xid, body: msg.body };
                if let Body::PacketIn(_) = msg.body {
                    self.deliver(SessionEvent::PacketIn(frame));
                } else {
                    self.deliver(SessionEvent::Async(msg));
                }
            }
            Body::MultipartReply(part) => self.handle_multipart(xid, part),
            body @ (Body::FeaturesReply(_)
            | Body::GetConfigReply(_)
            | Body::BarrierReply
            | Body::QueueGetConfigReply(_)
            | Body::RoleReply(_)
            | Body::GetAsyncReply(_)) => {
                if self.take_pending(xid).is_none() {
                    return; // an answer to nothing we asked (or forgotten): drop
                }
                if let Body::RoleReply(role) = body {
                    self.role = Some(role);
                    self.deliver(SessionEvent::Role(role));
                }
                self.deliver(SessionEvent::Reply { xid, reply: Message::new(xid, body) });
            }
            // Controller-to-switch messages the switch has no business sending.
            _ => {
                let error = ErrorMsg::for_request(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, &frame);
                self.send_with_xid(xid, Body::Error(error));
            }
        }
    }

    fn take_pending(&mut self, xid: u32) -> Option<Pending> {
        let at = self.pending.iter().position(|p| p.xid == xid)?;
        self.pending.remove(at)
    }

    fn handle_multipart(&mut self, xid: u32, part: MultipartReply) {
        let Some(pending) = self.pending.iter_mut().find(|p| p.xid == xid) else {
            return; // not asked (or forgotten): drop
        };
        let more = part.more();
        pending.parts.push(part);
        if more {
            return;
        }
        let Some(pending) = self.take_pending(xid) else { return };
        let mut parts = pending.parts.into_iter();
        let Some(mut whole) = parts.next() else { return };
        for part in parts {
            merge_multipart(&mut whole.body, part.body);
        }
        whole.flags = 0;
        if xid == self.port_desc_xid && self.state == State::PortDesc {
            if let MultipartReplyBody::PortDesc(ports) = whole.body {
                self.ports = ports;
            }
            self.switch_up();
            return;
        }
        self.deliver(SessionEvent::Reply { xid, reply: Message::new(xid, whole) });
    }

    fn switch_up(&mut self) {
        let Some(features) = self.features else { return };
        self.state = State::Up;
        self.events.push_back(SessionEvent::Up { features, ports: self.ports.clone() });
        let held = core::mem::take(&mut self.held);
        self.events.extend(held);
    }

    fn handle_error(&mut self, xid: u32, error: ErrorMsg) {
        match self.state {
            State::Features if xid == self.features_xid => {
                // Without features there is no datapath: give up.
                self.go_down(DownReason::NoHello);
                return;
            }
            State::PortDesc if xid == self.port_desc_xid => {
                // A switch without PORT_DESC: come up with no ports.
                self.take_pending(xid);
                self.switch_up();
                return;
            }
            _ => {}
        }
        if error.err_type() == OFPET_HELLO_FAILED {
            let code = if let ErrorMsg::Standard { code, .. } = error { code } else { 0 };
            self.go_down(DownReason::HelloRefused { code });
            return;
        }
        self.take_pending(xid);
        let request = self.sent.find(xid);
        self.deliver(SessionEvent::Error { xid, error, request });
    }
}
