//! Many switches, many apps: the controller core, sans-IO.
//!
//! A [`Controller`] holds one [`Session`] per switch connection (named by the
//! caller's [`ConnId`]) and a list of [`App`]s. The transport hands bytes in
//! with [`Controller::handle_input`]; the controller runs the sessions, turns
//! what they report into [`Event`]s and delivers each event to every app, in
//! the order the apps were added. Apps act through a [`Handle`]: send a
//! message to any switch, send a request and get its reply back as an
//! [`Event::Reply`] carrying the [`Token`] the request returned, send a barrier,
//! look at the switches and their ports. What they send lands in per-connection
//! output that the transport writes ([`Controller::output`],
//! [`Controller::take_dirty`]).
//!
//! ```text
//!  transport ─ connect / handle_input / handle_disconnect / handle_timeout ─▶ Controller
//!      Controller ─ Session per conn ─ Event ─▶ app 1, app 2, ... (Handle: send / request / barrier)
//!  transport ◀─ take_dirty + output / consume_output / should_close / poll_notice ─ Controller
//! ```
//!
//! Replies go only to the app that sent the request; every other event goes to
//! every app. An error that answers one app's request goes to that app, other
//! errors to all.
//!
//! # Example: an app that floods every packet
//!
//! ```
//! use openflow::action::{Action, OFPP_FLOOD};
//! use openflow::controller::{App, ConnId, Controller, Event, Handle};
//! use openflow::message::{Body, Message, PacketIn, PacketOut, SwitchFeatures};
//! use openflow::oxm::Match;
//! use openflow::session::SessionConfig;
//!
//! /// A hub: every packet that reaches the controller goes out of every other port.
//! #[derive(Default)]
//! struct Hub {
//!     flooded: usize,
//! }
//!
//! impl App for Hub {
//!     fn name(&self) -> &str {
//!         "hub"
//!     }
//!     fn on_event(&mut self, ctl: &mut Handle<'_>, event: &Event<'_>) {
//!         if let Event::PacketIn { conn, packet, .. } = event {
//!             let Some(in_port) = packet.in_port() else { return };
//!             let out = PacketOut::new(in_port).action(Action::output(OFPP_FLOOD));
//!             let out = if packet.buffer_id() == openflow::message::OFP_NO_BUFFER {
//!                 out.data(packet.data())
//!             } else {
//!                 out.buffer(packet.buffer_id())
//!             };
//!             ctl.send(*conn, out);
//!             self.flooded += 1;
//!         }
//!     }
//! }
//!
//! // A switch, played by hand: the controller's side of the handshake is automatic.
//! let mut ctl = Controller::new(SessionConfig { table_miss: false, ..SessionConfig::default() });
//! ctl.add_app(Hub::default());
//! let conn = ConnId(1);
//! ctl.connect(0, conn);
//! let mut switch = openflow::framing::Deframer::new();
//! let mut to_switch = |ctl: &mut Controller| -> Vec<Message> {
//!     switch.push(ctl.output(conn));
//!     let n = ctl.output(conn).len();
//!     ctl.consume_output(conn, n);
//!     std::iter::from_fn(|| switch.next_message().unwrap()).collect()
//! };
//! let hello = Message::new(1, openflow::message::Hello::openflow13()).to_vec();
//! ctl.handle_input(0, conn, &hello);
//! let sent = to_switch(&mut ctl); // HELLO, FEATURES_REQUEST
//! let features = SwitchFeatures { datapath_id: 7, n_tables: 254, ..Default::default() };
//! ctl.handle_input(0, conn, &Message::new(sent[1].xid, features).to_vec());
//! let sent = to_switch(&mut ctl); // SET_CONFIG, PORT_DESC request
//! let ports = openflow::multipart::MultipartReply {
//!     flags: 0,
//!     body: openflow::multipart::MultipartReplyBody::PortDesc(vec![]),
//! };
//! ctl.handle_input(0, conn, &Message::new(sent[1].xid, ports).to_vec());
//! assert_eq!(ctl.switch(conn).unwrap().datapath_id(), 7);
//!
//! // A table-miss packet comes up; the hub floods it.
//! let packet_in = PacketIn {
//!     buffer_id: openflow::message::OFP_NO_BUFFER,
//!     total_len: 4,
//!     reason: 0,
//!     table_id: 0,
//!     cookie: 0,
//!     match_: Match::new().in_port(3),
//!     data: vec![1, 2, 3, 4],
//! };
//! ctl.handle_input(0, conn, &Message::new(9, packet_in).to_vec());
//! let sent = to_switch(&mut ctl);
//! let Body::PacketOut(out) = &sent[0].body else { panic!("{sent:?}") };
//! assert_eq!((out.in_port, out.data.as_slice()), (3, &[1, 2, 3, 4][..]));
//! assert_eq!(ctl.app::<Hub>().unwrap().flooded, 1);
//! ```

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::any::Any;

use crate::message::{
    Body, ErrorMsg, FlowRemoved, Message, OFPPR_DELETE, PacketInView, PortStatus, Role, SwitchFeatures,
};
use crate::session::{DownReason, Session, SessionConfig, SessionEvent, State};
use crate::structs::Port;
use crate::wire::DecodeError;

/// One switch connection, as the transport names it. Never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Names a request sent through [`Handle::request`] or
/// [`Controller::request`]; the reply comes back with the same token.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token {
    /// The connection it went to.
    pub conn: ConnId,
    /// The request's xid.
    pub xid: u32,
}

/// A switch whose handshake is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchInfo {
    /// Its connection.
    pub conn: ConnId,
    /// Its `FEATURES_REPLY`.
    pub features: SwitchFeatures,
    /// Its ports by number, kept current with `PORT_STATUS`.
    pub ports: BTreeMap<u32, Port>,
    /// The role from its last `ROLE_REPLY`, if any.
    pub role: Option<Role>,
}

impl SwitchInfo {
    /// The datapath id.
    pub fn datapath_id(&self) -> u64 {
        self.features.datapath_id
    }
}

/// What apps receive. Borrowed from the controller for the call.
#[derive(Debug)]
pub enum Event<'a> {
    /// A switch completed its handshake.
    SwitchUp {
        /// Its connection.
        conn: ConnId,
        /// Its features and ports.
        switch: &'a SwitchInfo,
    },
    /// A switch that was up is gone (its connection closed, or the session gave up).
    SwitchDown {
        /// Its connection.
        conn: ConnId,
        /// Its datapath id.
        datapath_id: u64,
        /// Why.
        reason: &'a DownReason,
    },
    /// A `PACKET_IN` (read without copying).
    PacketIn {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The message.
        packet: PacketInView<'a>,
    },
    /// A `PORT_STATUS` (already applied to [`SwitchInfo::ports`]).
    PortStatus {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The message.
        status: &'a PortStatus,
    },
    /// A `FLOW_REMOVED`.
    FlowRemoved {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The message.
        removed: &'a FlowRemoved,
    },
    /// An `ERROR` from the switch, with the request that caused it when known.
    Error {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The error's xid.
        xid: u32,
        /// The error.
        error: &'a ErrorMsg,
        /// The request it answers, if it is among the last ones sent.
        request: Option<&'a Message>,
    },
    /// The reply to this app's request (multipart replies reassembled).
    Reply {
        /// The request's token.
        token: Token,
        /// The switch.
        datapath_id: u64,
        /// The reply.
        reply: &'a Message,
    },
    /// A `ROLE_REPLY`: the controller's role on that switch.
    Role {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The role.
        role: Role,
    },
    /// Another unsolicited message (`EXPERIMENTER`, ...).
    Message {
        /// The switch's connection.
        conn: ConnId,
        /// The switch.
        datapath_id: u64,
        /// The message.
        message: &'a Message,
    },
}

/// What the controller tells its owner (for logs, metrics and the
/// northbound API); take them with [`Controller::poll_notice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A switch completed its handshake.
    SwitchUp {
        /// Its connection.
        conn: ConnId,
        /// Its datapath id.
        datapath_id: u64,
        /// How many ports it has.
        ports: usize,
    },
    /// A switch is gone.
    SwitchDown {
        /// Its connection.
        conn: ConnId,
        /// Its datapath id, if known.
        datapath_id: Option<u64>,
        /// Why.
        reason: DownReason,
    },
    /// A switch sent a message that did not decode (answered with an error, dropped).
    Malformed {
        /// Its connection.
        conn: ConnId,
        /// What was wrong.
        error: DecodeError,
    },
    /// A switch reported an error nobody asked about by token.
    SwitchError {
        /// Its connection.
        conn: ConnId,
        /// The error.
        error: ErrorMsg,
        /// The request that caused it, if known.
        request: Option<Message>,
    },
    /// The reply to a [`Controller::request`].
    Reply {
        /// The request's token.
        token: Token,
        /// The reply.
        reply: Message,
    },
    /// The error answering a [`Controller::request`].
    RequestFailed {
        /// The request's token.
        token: Token,
        /// The error.
        error: ErrorMsg,
    },
}

/// A controller application. Every callback gets a [`Handle`] to act with.
pub trait App: Any {
    /// A short name, for logs.
    fn name(&self) -> &str;

    /// Something happened (see [`Event`]).
    fn on_event(&mut self, ctl: &mut Handle<'_>, event: &Event<'_>);

    /// The time from [`App::poll_timeout`] has come ([`Handle::now`]).
    fn on_timer(&mut self, ctl: &mut Handle<'_>) {
        let _ = ctl;
    }

    /// When this app next wants [`App::on_timer`] (controller milliseconds).
    fn poll_timeout(&self) -> Option<u64> {
        None
    }
}

/// `App` plus the `Any` view the controller needs for [`Controller::app`].
trait AnyApp: App {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: App> AnyApp for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Who asked: an app by index, or the controller's owner.
const EXTERNAL: usize = usize::MAX;

#[derive(Debug)]
struct Switch {
    session: Session,
    info: Option<SwitchInfo>,
}

/// The state apps reach through a [`Handle`].
#[derive(Debug, Default)]
struct Shared {
    switches: BTreeMap<ConnId, Switch>,
    /// Which app sent each request that is waiting for a reply.
    owners: BTreeMap<Token, usize>,
    /// Connections with new output since the last `take_dirty`.
    dirty: Vec<ConnId>,
}

impl Shared {
    fn mark(&mut self, conn: ConnId) {
        if self.dirty.last() != Some(&conn) && !self.dirty.contains(&conn) {
            self.dirty.push(conn);
        }
    }

    fn session(&mut self, conn: ConnId) -> Option<&mut Session> {
        let sw = self.switches.get_mut(&conn)?;
        (sw.session.state() != State::Closed).then_some(&mut sw.session)
    }

    fn send(&mut self, conn: ConnId, body: Body) -> Option<u32> {
        let xid = self.session(conn)?.send(body);
        self.mark(conn);
        Some(xid)
    }
}

/// What an app can do while it handles an event (see [`App`]).
pub struct Handle<'a> {
    now: u64,
    app: usize,
    shared: &'a mut Shared,
}

impl Handle<'_> {
    /// The controller's clock (milliseconds), as the transport passed it in.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Sends `body` to a switch; false when that connection is gone.
    pub fn send(&mut self, conn: ConnId, body: impl Into<Body>) -> bool {
        self.shared.send(conn, body.into()).is_some()
    }

    /// Sends a request whose reply comes to this app as [`Event::Reply`]
    /// with the returned token (errors as [`Event::Error`] to this app).
    pub fn request(&mut self, conn: ConnId, body: impl Into<Body>) -> Option<Token> {
        let xid = self.shared.send(conn, body.into())?;
        let token = Token { conn, xid };
        self.shared.owners.insert(token, self.app);
        Some(token)
    }

    /// Sends a barrier; its reply comes as [`Event::Reply`] with the token.
    pub fn barrier(&mut self, conn: ConnId) -> Option<Token> {
        self.request(conn, Body::BarrierRequest)
    }

    /// Asks for a role (`OFPCR_ROLE_*`) on a switch (see [`Session::set_role`]).
    pub fn set_role(&mut self, conn: ConnId, role: u32, generation_id: u64) -> Option<Token> {
        self.request(conn, Body::RoleRequest(Role { role, generation_id }))
    }

    /// A switch that is up.
    pub fn switch(&self, conn: ConnId) -> Option<&SwitchInfo> {
        self.shared.switches.get(&conn)?.info.as_ref()
    }

    /// Every switch that is up.
    pub fn switches(&self) -> impl Iterator<Item = &SwitchInfo> {
        self.shared.switches.values().filter_map(|s| s.info.as_ref())
    }

    /// The connection of the switch with this datapath id.
    pub fn conn_of(&self, datapath_id: u64) -> Option<ConnId> {
        self.switches().find(|s| s.datapath_id() == datapath_id).map(|s| s.conn)
    }
}

/// Many switch sessions and the apps that drive them (see the [module docs](self)).
pub struct Controller {
    config: SessionConfig,
    apps: Vec<Box<dyn AnyApp>>,
    shared: Shared,
    notices: VecDeque<Notice>,
    max_notices: usize,
}

impl core::fmt::Debug for Controller {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Controller")
            .field("apps", &self.apps.iter().map(|a| a.name()).collect::<Vec<_>>())
            .field("switches", &self.shared.switches.len())
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller whose sessions use `config`; no apps yet.
    pub fn new(config: SessionConfig) -> Controller {
        Controller {
            config,
            apps: Vec::new(),
            shared: Shared::default(),
            notices: VecDeque::new(),
            max_notices: 4096,
        }
    }

    /// Adds an app; events reach apps in the order they were added.
    pub fn add_app(&mut self, app: impl App) {
        self.apps.push(Box::new(app));
    }

    /// The first app of type `T`.
    pub fn app<T: App>(&self) -> Option<&T> {
        self.apps.iter().find_map(|a| a.as_any().downcast_ref::<T>())
    }

    /// The first app of type `T`, mutably.
    pub fn app_mut<T: App>(&mut self) -> Option<&mut T> {
        self.apps.iter_mut().find_map(|a| a.as_any_mut().downcast_mut::<T>())
    }

    /// The apps' names, in delivery order.
    pub fn app_names(&self) -> impl Iterator<Item = &str> {
        self.apps.iter().map(|a| a.name())
    }

    /// A switch connection opened at `now`; our HELLO goes out.
    pub fn connect(&mut self, now: u64, conn: ConnId) {
        let session = Session::new(self.config, now);
        self.shared.switches.insert(conn, Switch { session, info: None });
        self.shared.mark(conn);
    }

    /// Number of connections (up or not).
    pub fn connections(&self) -> usize {
        self.shared.switches.len()
    }

    /// A switch that is up.
    pub fn switch(&self, conn: ConnId) -> Option<&SwitchInfo> {
        self.shared.switches.get(&conn)?.info.as_ref()
    }

    /// Every switch that is up.
    pub fn switches(&self) -> impl Iterator<Item = &SwitchInfo> {
        self.shared.switches.values().filter_map(|s| s.info.as_ref())
    }

    /// The session of a connection.
    pub fn session(&self, conn: ConnId) -> Option<&Session> {
        self.shared.switches.get(&conn).map(|s| &s.session)
    }

    /// Bytes read from a switch at `now`. Events are delivered before this returns.
    pub fn handle_input(&mut self, now: u64, conn: ConnId, data: &[u8]) {
        let Some(sw) = self.shared.switches.get_mut(&conn) else { return };
        sw.session.handle_input(now, data);
        self.shared.mark(conn);
        self.drain(now, conn);
    }

    /// The transport of `conn` closed (EOF, reset, or after [`Controller::should_close`]):
    /// apps see the switch go down, and the connection is forgotten.
    pub fn handle_disconnect(&mut self, now: u64, conn: ConnId) {
        let Some(sw) = self.shared.switches.get_mut(&conn) else { return };
        sw.session.handle_disconnect();
        self.drain(now, conn);
        self.shared.switches.remove(&conn);
        self.shared.owners.retain(|t, _| t.conn != conn);
        self.shared.dirty.retain(|c| *c != conn);
    }

    /// Connections that got output since the last call (write their
    /// [`Controller::output`]).
    pub fn take_dirty(&mut self) -> Vec<ConnId> {
        core::mem::take(&mut self.shared.dirty)
    }

    /// Appends the connections with new output to `into` (no allocation when
    /// `into` has room).
    pub fn drain_dirty(&mut self, into: &mut Vec<ConnId>) {
        into.append(&mut self.shared.dirty);
    }

    /// Bytes to write to `conn`.
    pub fn output(&self, conn: ConnId) -> &[u8] {
        self.shared.switches.get(&conn).map_or(&[], |s| s.session.output())
    }

    /// The transport wrote the first `n` bytes of [`Controller::output`].
    pub fn consume_output(&mut self, conn: ConnId, n: usize) {
        if let Some(s) = self.shared.switches.get_mut(&conn) {
            s.session.consume_output(n);
        }
    }

    /// True when the session of `conn` is over: write its output, then close
    /// it and call [`Controller::handle_disconnect`].
    pub fn should_close(&self, conn: ConnId) -> bool {
        self.shared.switches.get(&conn).is_some_and(|s| s.session.is_closed())
    }

    /// Sends a request on behalf of the owner (the northbound API); the reply
    /// comes as [`Notice::Reply`].
    pub fn request(&mut self, conn: ConnId, body: impl Into<Body>) -> Option<Token> {
        let xid = self.shared.send(conn, body.into())?;
        let token = Token { conn, xid };
        self.shared.owners.insert(token, EXTERNAL);
        Some(token)
    }

    /// Sends a message on behalf of the owner; false when the connection is gone.
    pub fn send(&mut self, conn: ConnId, body: impl Into<Body>) -> bool {
        self.shared.send(conn, body.into()).is_some()
    }

    /// The next notice, if any (the oldest are dropped beyond 4096).
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    fn notice(&mut self, notice: Notice) {
        if self.notices.len() >= self.max_notices {
            self.notices.pop_front();
        }
        self.notices.push_back(notice);
    }

    /// When [`Controller::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<u64> {
        let sessions = self.shared.switches.values().filter_map(|s| s.session.poll_timeout());
        let apps = self.apps.iter().filter_map(|a| a.poll_timeout());
        sessions.chain(apps).min()
    }

    /// Runs due session timers (echo, keepalive, handshake) and app timers.
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<ConnId> = self
            .shared
            .switches
            .iter()
            .filter(|(_, s)| s.session.poll_timeout().is_some_and(|t| t <= now))
            .map(|(c, _)| *c)
            .collect();
        for conn in due {
            if let Some(sw) = self.shared.switches.get_mut(&conn) {
                sw.session.handle_timeout(now);
                self.shared.mark(conn);
                self.drain(now, conn);
            }
        }
        for i in 0..self.apps.len() {
            if self.apps[i].poll_timeout().is_some_and(|t| t <= now) {
                let mut handle = Handle { now, app: i, shared: &mut self.shared };
                self.apps[i].on_timer(&mut handle);
            }
        }
    }

    /// Turns the session's events into app events.
    fn drain(&mut self, now: u64, conn: ConnId) {
        loop {
            let Some(sw) = self.shared.switches.get_mut(&conn) else { return };
            let Some(event) = sw.session.poll_event() else { return };
            let dpid = sw.info.as_ref().map_or(0, |i| i.datapath_id());
            match event {
                SessionEvent::PacketIn(frame) => {
                    let Ok(packet) = PacketInView::parse(&frame) else { continue };
                    self.dispatch(now, &Event::PacketIn { conn, datapath_id: dpid, packet });
                }
                SessionEvent::Up { features, ports } => {
                    let info = SwitchInfo {
                        conn,
                        features,
                        ports: ports.into_iter().map(|p| (p.port_no, p)).collect(),
                        role: None,
                    };
                    let n = info.ports.len();
                    sw.info = Some(info.clone());
                    self.notice(Notice::SwitchUp { conn, datapath_id: features.datapath_id, ports: n });
                    self.dispatch(now, &Event::SwitchUp { conn, switch: &info });
                }
                SessionEvent::Async(message) => match &message.body {
                    Body::PortStatus(status) => {
                        if let Some(info) = sw.info.as_mut() {
                            if status.reason == OFPPR_DELETE {
                                info.ports.remove(&status.desc.port_no);
                            } else {
                                info.ports.insert(status.desc.port_no, status.desc.clone());
                            }
                        }
                        self.dispatch(now, &Event::PortStatus { conn, datapath_id: dpid, status });
                    }
                    Body::FlowRemoved(removed) => {
                        self.dispatch(now, &Event::FlowRemoved { conn, datapath_id: dpid, removed });
                    }
                    _ => self.dispatch(now, &Event::Message { conn, datapath_id: dpid, message: &message }),
                },
                SessionEvent::Reply { xid, reply } => {
                    let token = Token { conn, xid };
                    match self.shared.owners.remove(&token) {
                        Some(EXTERNAL) => self.notice(Notice::Reply { token, reply }),
                        Some(app) => self.dispatch_to(
                            now,
                            app,
                            &Event::Reply { token, datapath_id: dpid, reply: &reply },
                        ),
                        None => {}
                    }
                }
                SessionEvent::Role(role) => {
                    if let Some(info) = sw.info.as_mut() {
                        info.role = Some(role);
                    }
                    self.dispatch(now, &Event::Role { conn, datapath_id: dpid, role });
                }
                SessionEvent::Error { xid, error, request } => {
                    let token = Token { conn, xid };
                    let event = Event::Error {
                        conn,
                        datapath_id: dpid,
                        xid,
                        error: &error,
                        request: request.as_ref(),
                    };
                    match self.shared.owners.remove(&token) {
                        Some(EXTERNAL) => self.notice(Notice::RequestFailed { token, error }),
                        Some(app) => self.dispatch_to(now, app, &event),
                        None => {
                            self.dispatch(now, &event);
                            self.notice(Notice::SwitchError { conn, error, request });
                        }
                    }
                }
                SessionEvent::Malformed(error) => self.notice(Notice::Malformed { conn, error }),
                SessionEvent::Down(reason) => {
                    // Apps hear of switches going down only if they heard them come up.
                    let datapath_id = sw.info.take().map(|i| i.datapath_id());
                    self.shared.owners.retain(|t, _| t.conn != conn);
                    if let Some(datapath_id) = datapath_id {
                        self.dispatch(now, &Event::SwitchDown { conn, datapath_id, reason: &reason });
                    }
                    self.notice(Notice::SwitchDown { conn, datapath_id, reason });
                }
            }
        }
    }

    fn dispatch(&mut self, now: u64, event: &Event<'_>) {
        for (i, app) in self.apps.iter_mut().enumerate() {
            let mut handle = Handle { now, app: i, shared: &mut self.shared };
            app.on_event(&mut handle, event);
        }
    }

    fn dispatch_to(&mut self, now: u64, app: usize, event: &Event<'_>) {
        if let Some(a) = self.apps.get_mut(app) {
            let mut handle = Handle { now, app, shared: &mut self.shared };
            a.on_event(&mut handle, event);
        }
    }
}
