//! The OpenFlow 1.3 controller as an appliance service: switches connect over
//! TCP (port 6653 by default) and are driven by the apps named in the config
//! (`learning-switch`, `topology`).
//!
//! This is a thin adapter: [`openflow::controller::Controller`] does the work
//! (sessions, handshake, keepalive, apps), sans-IO; this service maps the
//! stack's connections and clock onto it, writes what it produces with
//! back-pressure, closes the connections it gives up on, limits how many
//! switches may connect, and logs switches coming and going.
//!
//! With [`ControllerSettings::api`] the same service also listens on the API
//! port and routes those connections (by local port) to the northbound
//! HTTP/JSON API ([`controller_api`](super::controller_api)), which reads and
//! drives this controller directly. OpenFlow over TLS is `Tls<ControllerService>`
//! (built by the config), the API then behind the same TLS.
//!
//! ```text
//!  stack ─ on_open / on_data / on_closed / on_timer ─▶ ControllerService ─▶ Controller ─▶ apps
//!  stack ◀─ write (output per switch) / close ───────── ControllerService ◀─ notices (logged)
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;
use core::str::FromStr;

use openflow::apps::learning_switch::{LearningConfig, LearningSwitch};
use openflow::apps::topology::{Topology, TopologyConfig};
use openflow::controller::{self, Controller, Notice};
use openflow::session::SessionConfig;

use crate::service::{ConnId, ConnInfo, Instant, Listen, Net, Service};
#[cfg(feature = "std")]
use crate::services::controller_api::{Api, ApiSettings};

/// The IANA OpenFlow port.
pub const DEFAULT_PORT: u16 = 6653;
/// Switches at once; beyond it new connections are closed.
pub const DEFAULT_MAX_SWITCHES: usize = 1024;
/// Output held for one switch beyond which its input is not read (back-pressure).
const OUTPUT_HIGH_WATER: usize = 1 << 20;

/// A controller app the service can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    /// [`LearningSwitch`].
    LearningSwitch,
    /// [`Topology`].
    Topology,
}

impl AppKind {
    /// The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AppKind::LearningSwitch => "learning-switch",
            AppKind::Topology => "topology",
        }
    }
}

impl FromStr for AppKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "learning-switch" | "learning_switch" => Ok(AppKind::LearningSwitch),
            "topology" => Ok(AppKind::Topology),
            _ => Err(format!("unknown controller app {s:?} (known: learning-switch, topology)")),
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of a [`ControllerService`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerSettings {
    /// TCP port switches connect to.
    pub port: u16,
    /// Apps, in the order they see events.
    pub apps: Vec<AppKind>,
    /// Switch connections at once.
    pub max_switches: usize,
    /// Session tunables (echo, handshake, table-miss, miss_send_len).
    pub session: SessionConfig,
    /// Learning-switch tunables.
    pub learning: LearningConfig,
    /// Topology tunables.
    pub topology: TopologyConfig,
    /// The northbound HTTP/JSON API, when it is served (on its own port; std only:
    /// it speaks os-ken's JSON).
    #[cfg(feature = "std")]
    pub api: Option<ApiSettings>,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        ControllerSettings {
            port: DEFAULT_PORT,
            apps: vec![AppKind::LearningSwitch],
            max_switches: DEFAULT_MAX_SWITCHES,
            session: SessionConfig::default(),
            learning: LearningConfig::default(),
            topology: TopologyConfig::default(),
            #[cfg(feature = "std")]
            api: None,
        }
    }
}

/// The controller service (see the [module docs](self)).
pub struct ControllerService {
    settings: ControllerSettings,
    ctl: Controller,
    dirty: Vec<controller::ConnId>,
    #[cfg(feature = "std")]
    api: Option<Api>,
}

impl fmt::Debug for ControllerService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllerService").field("settings", &self.settings).field("ctl", &self.ctl).finish()
    }
}

fn ms(now: Instant) -> u64 {
    now.total_millis().max(0) as u64
}

fn of(conn: ConnId) -> controller::ConnId {
    controller::ConnId(conn.0)
}

impl ControllerService {
    /// A controller with `settings`, its apps created in order.
    pub fn new(settings: ControllerSettings) -> ControllerService {
        let mut ctl = Controller::new(settings.session);
        for app in &settings.apps {
            match app {
                AppKind::LearningSwitch => ctl.add_app(LearningSwitch::new(settings.learning)),
                AppKind::Topology => ctl.add_app(Topology::new(settings.topology)),
            }
        }
        ControllerService {
            #[cfg(feature = "std")]
            api: settings.api.clone().map(Api::new),
            settings,
            ctl,
            dirty: Vec::new(),
        }
    }

    /// The controller inside (switches, apps, requests).
    pub fn controller(&self) -> &Controller {
        &self.ctl
    }

    /// The controller inside, mutably (e.g. to send on behalf of an API);
    /// output it produces goes out at the next event or timer.
    pub fn controller_mut(&mut self) -> &mut Controller {
        &mut self.ctl
    }

    /// True when `conn` is a northbound API connection.
    #[cfg(feature = "std")]
    fn is_api(&self, conn: ConnId) -> bool {
        self.api.as_ref().is_some_and(|a| a.owns(conn))
    }

    /// Logs the controller's notices and hands them to the API.
    #[cfg_attr(not(feature = "std"), allow(unused_variables))]
    fn notices(&mut self, now: Instant) {
        while let Some(notice) = self.ctl.poll_notice() {
            log(&notice);
            #[cfg(feature = "std")]
            if let Some(api) = &mut self.api {
                api.on_notice(ms(now), &notice);
            }
        }
    }

    /// Writes every switch's pending output, closes sessions that are over,
    /// handles the controller's notices and writes the API answers they made.
    fn flush(&mut self, now: Instant, net: &mut dyn Net) {
        self.ctl.drain_dirty(&mut self.dirty);
        for conn in self.dirty.drain(..) {
            let id = ConnId(conn.0);
            let out = self.ctl.output(conn);
            if !out.is_empty() {
                let n = net.write(id, out);
                self.ctl.consume_output(conn, n);
            }
            if self.ctl.should_close(conn) && self.ctl.output(conn).is_empty() {
                net.close(id);
            }
        }
        self.notices(now);
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api {
            api.write_pending(ms(now), net);
        }
    }
}

fn log(notice: &Notice) {
    match notice {
        Notice::SwitchUp { conn, datapath_id, ports } => {
            tracing::info!(conn = conn.0, "controller: switch {datapath_id:016x} up with {ports} port(s)")
        }
        Notice::SwitchDown { conn, datapath_id: Some(dpid), reason } => {
            tracing::info!(conn = conn.0, "controller: switch {dpid:016x} down: {reason:?}")
        }
        Notice::SwitchDown { conn, datapath_id: None, reason } => {
            tracing::info!(conn = conn.0, "controller: connection closed before switch-up: {reason:?}")
        }
        Notice::Malformed { conn, error } => {
            tracing::warn!(conn = conn.0, "controller: undecodable message from switch: {error}")
        }
        Notice::SwitchError { conn, error, request } => tracing::debug!(
            conn = conn.0,
            "controller: switch error type {} ({}) for {}",
            error.err_type(),
            match error {
                openflow::message::ErrorMsg::Standard { code, .. } => *code,
                openflow::message::ErrorMsg::Experimenter { exp_type, .. } => *exp_type,
            },
            request.as_ref().map_or("an unknown request", |r| r.type_name())
        ),
        Notice::Reply { .. } | Notice::RequestFailed { .. } => {}
    }
}

impl Service for ControllerService {
    fn name(&self) -> &str {
        "controller"
    }

    fn listen(&self) -> Listen {
        #[cfg_attr(not(feature = "std"), allow(unused_mut))]
        let mut listen = Listen::tcp(self.settings.port);
        #[cfg(feature = "std")]
        listen.tcp.extend(self.api.as_ref().map(Api::port));
        listen
    }

    fn on_open(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        if info.initiated {
            return;
        }
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api
            && api.accepts(&info)
        {
            api.on_open(ms(now), net, conn, info);
            return;
        }
        if self.ctl.connections() >= self.settings.max_switches {
            tracing::warn!(peer = %info.peer, "controller: {} switches connected already; closing", self.settings.max_switches);
            net.close(conn);
            return;
        }
        tracing::debug!(conn = conn.0, peer = %info.peer, "controller: switch connected");
        self.ctl.connect(ms(now), of(conn));
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api {
            api.switch_opened(of(conn), info.peer);
        }
        self.flush(now, net);
    }

    fn on_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        #[cfg(feature = "std")]
        if let Some(api) = self.api.as_mut().filter(|a| a.owns(conn)) {
            let n = api.on_data(ms(now), net, &mut self.ctl, conn, data);
            self.flush(now, net); // the request's messages to a switch
            return n;
        }
        if self.ctl.session(of(conn)).is_none() {
            return data.len(); // refused at the limit, or already gone
        }
        if self.ctl.output(of(conn)).len() >= OUTPUT_HIGH_WATER {
            return 0; // the switch is not reading: stop reading it until on_writable
        }
        self.ctl.handle_input(ms(now), of(conn), data);
        self.flush(now, net);
        data.len()
    }

    fn on_writable(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        #[cfg(feature = "std")]
        if let Some(api) = self.api.as_mut().filter(|a| a.owns(conn)) {
            return api.on_writable(ms(now), net, conn);
        }
        self.dirty.push(of(conn));
        self.flush(now, net);
    }

    fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        #[cfg(feature = "std")]
        if let Some(api) = self.api.as_mut().filter(|a| a.owns(conn)) {
            return api.on_peer_close(ms(now), net, conn);
        }
        self.ctl.handle_disconnect(ms(now), of(conn));
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api {
            api.switch_closed(of(conn));
        }
        self.flush(now, net);
        net.close(conn);
    }

    fn on_closed(&mut self, now: Instant, conn: ConnId) {
        #[cfg(feature = "std")]
        if self.is_api(conn) {
            if let Some(api) = &mut self.api {
                api.on_closed(conn);
            }
            return;
        }
        self.ctl.handle_disconnect(ms(now), of(conn));
        // Answers this makes (a switch gone mid-request) go out at the next timer.
        self.notices(now);
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api {
            api.switch_closed(of(conn));
        }
    }

    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        self.ctl.handle_timeout(ms(now));
        self.flush(now, net);
        #[cfg(feature = "std")]
        if let Some(api) = &mut self.api
            && api.poll_timeout().is_some_and(|t| t <= ms(now))
        {
            api.on_timer(ms(now), net);
            self.flush(now, net);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        #[cfg(feature = "std")]
        let api = self.api.as_ref().and_then(Api::poll_timeout);
        #[cfg(not(feature = "std"))]
        let api = None;
        let t = match (self.ctl.poll_timeout(), api) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        t.map(|t| Instant::from_millis(t.min(i64::MAX as u64) as i64))
    }

    fn on_shutdown(&mut self, now: Instant, net: &mut dyn Net) {
        self.flush(now, net);
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use openflow::framing::Deframer;
    use openflow::message::{Body, Hello, Message, SwitchFeatures};
    use openflow::multipart::{MultipartReply, MultipartReplyBody};

    use super::*;
    use crate::services::testing::RecordingNet;

    fn info() -> ConnInfo {
        let a: SocketAddr = "127.0.0.1:6653".parse().unwrap();
        ConnInfo { local: a, peer: "127.0.0.1:40000".parse().unwrap(), initiated: false }
    }

    fn messages(net: &RecordingNet, conn: ConnId) -> Vec<Message> {
        let mut d = Deframer::new();
        d.push(&net.written(conn));
        std::iter::from_fn(|| d.next_message().unwrap()).collect()
    }

    #[test]
    fn app_names_parse() {
        assert_eq!("learning-switch".parse::<AppKind>(), Ok(AppKind::LearningSwitch));
        assert_eq!("topology".parse::<AppKind>(), Ok(AppKind::Topology));
        assert!("hub".parse::<AppKind>().is_err());
    }

    #[test]
    fn handshake_through_the_service_and_connection_limit() {
        let settings = ControllerSettings { max_switches: 1, ..Default::default() };
        let mut svc = ControllerService::new(settings);
        let mut net = RecordingNet::default();
        let t = Instant::from_millis(5);
        svc.on_open(t, &mut net, ConnId(1), info());
        assert!(matches!(messages(&net, ConnId(1))[0].body, Body::Hello(_)));
        // A second switch is over the limit.
        svc.on_open(t, &mut net, ConnId(2), info());
        assert_eq!(net.closed, [ConnId(2)]);
        assert_eq!(svc.on_data(t, &mut net, ConnId(2), b"xx"), 2);

        let hello = Message::new(1, Hello::openflow13()).to_vec();
        assert_eq!(svc.on_data(t, &mut net, ConnId(1), &hello), hello.len());
        let fx = messages(&net, ConnId(1))[1].xid;
        let features = SwitchFeatures { datapath_id: 1, ..Default::default() };
        svc.on_data(t, &mut net, ConnId(1), &Message::new(fx, features).to_vec());
        let pd = messages(&net, ConnId(1)).last().unwrap().xid;
        let reply = MultipartReply { flags: 0, body: MultipartReplyBody::PortDesc(vec![]) };
        svc.on_data(t, &mut net, ConnId(1), &Message::new(pd, reply).to_vec());
        assert_eq!(svc.controller().switches().count(), 1);
        // Keepalive timer is armed; the switch leaving forgets it.
        assert!(svc.poll_timeout().is_some());
        svc.on_peer_close(t, &mut net, ConnId(1));
        assert_eq!(svc.controller().connections(), 0);
    }

    #[test]
    fn version_failure_closes_after_the_error_is_written() {
        let mut svc = ControllerService::new(ControllerSettings::default());
        let mut net = RecordingNet::default();
        let t = Instant::from_millis(0);
        svc.on_open(t, &mut net, ConnId(1), info());
        let mut hello = Message::new(1, Hello::new(&[1]));
        hello.version = 1;
        svc.on_data(t, &mut net, ConnId(1), &hello.to_vec());
        assert!(matches!(messages(&net, ConnId(1))[1].body, Body::Error(_)));
        assert_eq!(net.closed, [ConnId(1)]);
    }
}
