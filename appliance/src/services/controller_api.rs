//! The controller's northbound API: HTTP/1.1 + JSON on its own TCP port,
//! served by the [`ControllerService`](super::controller::ControllerService)
//! itself (connections are routed by local port), so it reads and drives the
//! live controller state without locks or copies.
//!
//! ```text
//!  client ─ HTTP request ─▶ request::parse (the static server's parser and limits)
//!     ─▶ route ─▶ answer now (switches, ports, topology, errors)
//!            └──▶ FLOW_STATS multipart / FLOW_MOD + BARRIER to the switch
//!                   ─▶ Notice::Reply / SwitchError / SwitchDown / timeout ─▶ answer
//! ```
//!
//! One request per connection is in flight: while the switch has not
//! answered, further pipelined requests stay in the stack (not consumed)
//! and are served in order afterwards. Every answer is JSON; errors are
//! `{"error": "..."}` (plus `"ofp_error"` when the switch refused). The
//! routes and bodies are defined in the README ("OpenFlow controller").

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use openflow::action::{Action, OFPCML_NO_BUFFER, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD};
use openflow::apps::topology::Topology;
use openflow::controller::{self, Controller, Notice, SwitchInfo, Token};
use openflow::instruction::Instruction;
use openflow::json::ToOsken;
use openflow::message::{
    Body, ErrorMsg, FlowMod, OFP_DEFAULT_PRIORITY, OFPCR_ROLE_EQUAL, OFPCR_ROLE_MASTER, OFPCR_ROLE_SLAVE,
    OFPTT_ALL,
};
use openflow::multipart::{FlowStats, FlowStatsRequest, MultipartReplyBody, MultipartRequest};
use openflow::oxm::Match;
use openflow::structs::{OFPPC_PORT_DOWN, OFPPS_LINK_DOWN, Port};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::service::{ConnId, ConnInfo, Instant, Net};
use crate::services::http::date::DateCache;
use crate::services::http::request::{self, Head, Parsed, Status};
use crate::services::http::{HttpOptions, head_end, head_start, server_field};

/// How long the API waits for a switch's answer before a 504.
pub const DEFAULT_SWITCH_TIMEOUT_MS: u64 = 5_000;

/// Settings of the northbound API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// The TCP port.
    pub port: u16,
    /// Accept only connections made to this local address (default
    /// 127.0.0.1); None: any address the stack has.
    pub address: Option<IpAddr>,
    /// Milliseconds to wait for a switch's reply (flow dump, barrier) before 504.
    pub switch_timeout_ms: u64,
    /// Request limits (head, target, fields, body), idle timeout and the most
    /// connections at once; `port` and `server_name` of it are not used.
    pub http: HttpOptions,
}

impl ApiSettings {
    /// The API on `port`, loopback only, with the default limits (64 KiB
    /// bodies, 8 KiB heads, 16 connections, 30 s idle).
    pub fn new(port: u16) -> ApiSettings {
        ApiSettings {
            port,
            address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            switch_timeout_ms: DEFAULT_SWITCH_TIMEOUT_MS,
            http: HttpOptions { port, max_connections: 16, ..HttpOptions::default() },
        }
    }
}

/// One API connection.
#[derive(Debug)]
struct Client {
    peer: SocketAddr,
    /// Answer bytes not yet taken by the connection: `out[sent..]`.
    out: Vec<u8>,
    sent: usize,
    /// A request waits for the switch; nothing more is read meanwhile.
    waiting: bool,
    /// Close once `out` is written; read no more requests.
    close_after: bool,
    /// We closed it; waiting for `on_closed`.
    closing: bool,
    /// When it is closed for idleness (ms).
    idle_deadline: u64,
}

/// What a request waiting for a switch expects.
#[derive(Debug)]
enum Expect {
    /// A flow-stats multipart reply (reassembled by the session).
    Flows,
    /// The barrier after this FLOW_MOD; an error for the FLOW_MOD comes first.
    Barrier(FlowMod),
}

/// A request waiting for a switch.
#[derive(Debug)]
struct Wait {
    client: ConnId,
    token: Token,
    expect: Expect,
    deadline: u64,
    keep_alive: bool,
    minor: u8,
}

/// An answer: status, JSON body, and for 405 the methods allowed.
#[derive(Debug)]
struct Answer {
    status: Status,
    body: Value,
    allow: Option<&'static str>,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer { status: Status::Ok, body, allow: None }
    }
    fn error(status: Status, message: impl Into<String>) -> Answer {
        Answer { status, body: json!({ "error": message.into() }), allow: None }
    }
}

/// What routing a request gave.
enum Routed {
    Now(Answer),
    Later(Token, Expect),
}

/// When a switch connected and came up (for `connected_for_s`).
#[derive(Debug, Clone, Copy)]
struct SwitchMeta {
    peer: SocketAddr,
    up_ms: Option<u64>,
}

/// The API's state (see the [module docs](self)).
#[derive(Debug)]
pub(crate) struct Api {
    settings: ApiSettings,
    clients: HashMap<ConnId, Client>,
    waits: Vec<Wait>,
    switches: HashMap<controller::ConnId, SwitchMeta>,
    server: Box<[u8]>,
    date: DateCache,
    /// Answers were queued where no `Net` was at hand: flush at the next timer.
    flush_due: bool,
}

fn is_api(info: &ConnInfo, settings: &ApiSettings) -> bool {
    info.local.port() == settings.port
}

impl Api {
    pub(crate) fn new(settings: ApiSettings) -> Api {
        let server = server_field(&settings.http.server_name);
        Api {
            settings,
            clients: HashMap::new(),
            waits: Vec::new(),
            switches: HashMap::new(),
            server,
            date: DateCache::default(),
            flush_due: false,
        }
    }

    /// The API's port.
    pub(crate) fn port(&self) -> u16 {
        self.settings.port
    }

    /// True when `info` is a connection to the API's port.
    pub(crate) fn accepts(&self, info: &ConnInfo) -> bool {
        is_api(info, &self.settings)
    }

    /// True when `conn` is an API connection.
    pub(crate) fn owns(&self, conn: ConnId) -> bool {
        self.clients.contains_key(&conn)
    }

    /// A switch connection opened from `peer`.
    pub(crate) fn switch_opened(&mut self, conn: controller::ConnId, peer: SocketAddr) {
        self.switches.insert(conn, SwitchMeta { peer, up_ms: None });
    }

    /// A switch connection is gone.
    pub(crate) fn switch_closed(&mut self, conn: controller::ConnId) {
        self.switches.remove(&conn);
    }

    /// A new API connection (one for which [`Api::accepts`] is true).
    pub(crate) fn on_open(&mut self, now: u64, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        if let Some(want) = self.settings.address
            && !want.is_unspecified()
            && info.local.ip() != want
        {
            tracing::debug!(peer = %info.peer, local = %info.local, "controller api: not on {want}; closing");
            net.close(conn);
            return;
        }
        if self.clients.values().filter(|c| !c.closing).count() >= self.settings.http.max_connections {
            tracing::debug!(peer = %info.peer, "controller api: connection limit reached; closing");
            net.close(conn);
            return;
        }
        let idle_deadline = now + self.idle_ms();
        self.clients.insert(
            conn,
            Client {
                peer: info.peer,
                out: Vec::new(),
                sent: 0,
                waiting: false,
                close_after: false,
                closing: false,
                idle_deadline,
            },
        );
    }

    fn idle_ms(&self) -> u64 {
        self.settings.http.idle_timeout.total_millis()
    }

    /// Request bytes on an API connection; returns how many were consumed.
    pub(crate) fn on_data(
        &mut self,
        now: u64,
        net: &mut dyn Net,
        ctl: &mut Controller,
        conn: ConnId,
        data: &[u8],
    ) -> usize {
        let Some(c) = self.clients.get(&conn) else { return data.len() };
        if c.closing || c.close_after {
            return data.len();
        }
        if c.waiting || c.sent < c.out.len() {
            return 0; // one request at a time: the rest waits in the stack
        }
        let window = net.recv_window(conn);
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            let (head, head_len) = match request::parse(rest, &self.settings.http, window) {
                Parsed::Partial => break,
                Parsed::Reject(r) => {
                    tracing::debug!(conn = conn.0, "controller api: {} ({})", r.status.code(), r.why);
                    let answer = Answer::error(r.status, r.why);
                    self.answer(now, conn, &answer, false, 1);
                    pos = data.len();
                    break;
                }
                Parsed::Complete(head, len) => (head, len),
            };
            let body_len = head.content_length as usize; // parse capped it at max_body_bytes
            if rest.len() < head_len + body_len {
                if head_len + body_len > window {
                    let answer =
                        Answer::error(Status::ContentTooLarge, "request larger than the receive window");
                    self.answer(now, conn, &answer, false, head.minor);
                    pos = data.len();
                }
                break;
            }
            let body = &rest[head_len..head_len + body_len];
            pos += head_len + body_len;
            let (keep_alive, minor) = (head.keep_alive, head.minor);
            let routed = route(ctl, &self.switches, now, &head, body);
            tracing::info!(target: "access", peer = %self.clients[&conn].peer, method = head.method,
                path = head.target, routed = matches!(routed, Routed::Later(..)));
            match routed {
                Routed::Now(answer) => self.answer(now, conn, &answer, keep_alive, minor),
                Routed::Later(token, expect) => {
                    let deadline = now + self.settings.switch_timeout_ms;
                    self.waits.push(Wait { client: conn, token, expect, deadline, keep_alive, minor });
                    if let Some(c) = self.clients.get_mut(&conn) {
                        c.waiting = true;
                    }
                    break;
                }
            }
            if self.clients.get(&conn).is_none_or(|c| c.close_after) {
                pos = data.len();
                break;
            }
        }
        self.flush(now, net, conn);
        pos
    }

    /// Queues an answer on `conn` (written by the next flush).
    fn answer(&mut self, now: u64, conn: ConnId, answer: &Answer, keep_alive: bool, minor: u8) {
        let date = *self.date.get(Instant::from_millis(now.min(i64::MAX as u64) as i64));
        let Some(c) = self.clients.get_mut(&conn) else { return };
        let body = serde_json::to_vec_pretty(&answer.body).unwrap_or_else(|_| b"{}".to_vec());
        head_start(&mut c.out, answer.status, &self.server, &date);
        if let Some(allow) = answer.allow {
            let _ = write!(c.out, "Allow: {allow}\r\n");
        }
        let _ = write!(c.out, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len() + 1);
        let keep_alive = keep_alive && !c.close_after;
        head_end(&mut c.out, keep_alive, minor);
        c.out.extend_from_slice(&body);
        c.out.push(b'\n');
        c.close_after |= !keep_alive;
        c.waiting = false;
        c.idle_deadline = now + self.settings.http.idle_timeout.total_millis();
        self.flush_due = true;
    }

    /// Writes what `conn` has pending; closes it when done and due to close.
    fn flush(&mut self, now: u64, net: &mut dyn Net, conn: ConnId) {
        let Some(c) = self.clients.get_mut(&conn) else { return };
        if c.closing {
            return;
        }
        if c.sent < c.out.len() {
            let n = net.write(conn, &c.out[c.sent..]);
            c.sent += n;
            if n > 0 {
                c.idle_deadline = now + self.settings.http.idle_timeout.total_millis();
            }
        }
        if c.sent == c.out.len() {
            c.out.clear();
            c.sent = 0;
            if c.close_after && !c.waiting {
                c.closing = true;
                net.close(conn);
            }
        }
    }

    /// Writes the answers queued since the last write, if any.
    pub(crate) fn write_pending(&mut self, now: u64, net: &mut dyn Net) {
        if self.flush_due {
            self.flush_all(now, net);
        }
    }

    fn flush_all(&mut self, now: u64, net: &mut dyn Net) {
        let mut ids: Vec<ConnId> = self.clients.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.flush(now, net, id);
        }
        self.flush_due = false;
    }

    pub(crate) fn on_writable(&mut self, now: u64, net: &mut dyn Net, conn: ConnId) {
        self.flush(now, net, conn);
    }

    pub(crate) fn on_peer_close(&mut self, now: u64, net: &mut dyn Net, conn: ConnId) {
        if let Some(c) = self.clients.get_mut(&conn) {
            // A request in flight still gets its answer; then close.
            c.close_after = true;
            self.flush(now, net, conn);
        }
    }

    pub(crate) fn on_closed(&mut self, conn: ConnId) {
        self.clients.remove(&conn);
        self.waits.retain(|w| w.client != conn);
    }

    /// Handles one controller notice (replies, errors, switches coming and going).
    pub(crate) fn on_notice(&mut self, now: u64, notice: &Notice) {
        match notice {
            Notice::SwitchUp { conn, .. } => {
                if let Some(m) = self.switches.get_mut(conn) {
                    m.up_ms = Some(now);
                }
            }
            Notice::SwitchDown { conn, .. } => {
                if let Some(m) = self.switches.get_mut(conn) {
                    m.up_ms = None;
                }
                self.finish(
                    now,
                    |w| w.token.conn == *conn,
                    |_| Answer::error(Status::BadGateway, "the switch disconnected before it answered"),
                );
            }
            Notice::Reply { token, reply } => {
                self.finish(
                    now,
                    |w| w.token == *token,
                    |w| match (&w.expect, &reply.body) {
                        (Expect::Flows, Body::MultipartReply(r)) => match &r.body {
                            MultipartReplyBody::Flow(flows) => {
                                Answer::ok(Value::Array(flows.iter().map(flow_json).collect()))
                            }
                            _ => Answer::error(
                                Status::BadGateway,
                                "the switch answered with another multipart type",
                            ),
                        },
                        (Expect::Barrier(_), Body::BarrierReply) => Answer::ok(json!({ "status": "ok" })),
                        _ => Answer::error(
                            Status::BadGateway,
                            format!("unexpected {} from the switch", reply.type_name()),
                        ),
                    },
                );
            }
            Notice::RequestFailed { token, error } => {
                self.finish(now, |w| w.token == *token, |_| switch_error(error));
            }
            Notice::SwitchError { conn, error, request: Some(request) } => {
                self.finish(
                    now,
                    |w| {
                        w.token.conn == *conn
                            && matches!((&w.expect, &request.body), (Expect::Barrier(sent), Body::FlowMod(failed)) if sent == failed)
                    },
                    |_| switch_error(error),
                );
            }
            Notice::SwitchError { .. } | Notice::Malformed { .. } => {}
        }
    }

    /// Answers (and forgets) the waits `which` selects with what `answer` makes.
    fn finish(&mut self, now: u64, which: impl Fn(&Wait) -> bool, answer: impl Fn(&Wait) -> Answer) {
        let mut i = 0;
        while i < self.waits.len() {
            if which(&self.waits[i]) {
                let w = self.waits.swap_remove(i);
                let a = answer(&w);
                self.answer(now, w.client, &a, w.keep_alive, w.minor);
            } else {
                i += 1;
            }
        }
    }

    /// When [`Api::on_timer`] should run (ms): a wait's deadline, an idle
    /// connection's, or at once when answers wait to be written.
    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        if self.flush_due {
            return Some(0);
        }
        let waits = self.waits.iter().map(|w| w.deadline);
        let idle = self.clients.values().filter(|c| !c.closing && !c.waiting).map(|c| c.idle_deadline);
        waits.chain(idle).min()
    }

    /// Answers requests whose switch did not reply in time (504), closes
    /// idle connections, writes queued answers.
    pub(crate) fn on_timer(&mut self, now: u64, net: &mut dyn Net) {
        let secs = self.settings.switch_timeout_ms as f64 / 1000.0;
        self.finish(
            now,
            |w| w.deadline <= now,
            |_| Answer::error(Status::GatewayTimeout, format!("no answer from the switch within {secs} s")),
        );
        let idle: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(_, c)| !c.closing && !c.waiting && c.sent == c.out.len() && c.idle_deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            if let Some(c) = self.clients.get_mut(&id) {
                tracing::debug!(conn = id.0, peer = %c.peer, "controller api: idle; closing");
                c.closing = true;
                net.close(id);
            }
        }
        self.flush_all(now, net);
    }
}

/// Routes one request. Borrowing `switches` (not the whole API) lets the
/// caller keep `head` borrowed from the input.
fn route(
    ctl: &mut Controller,
    meta: &HashMap<controller::ConnId, SwitchMeta>,
    now: u64,
    head: &Head<'_>,
    body: &[u8],
) -> Routed {
    let Some(path) = request::target_path(head.target) else {
        return Routed::Now(Answer::error(Status::BadRequest, "the request target is not a path"));
    };
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = head.method;
    let not_allowed = |allow: &'static str| {
        Routed::Now(Answer {
            status: Status::MethodNotAllowed,
            body: json!({ "error": format!("{method} is not allowed here (allowed: {allow})") }),
            allow: Some(allow),
        })
    };
    match parts.as_slice() {
        ["switches"] => match method {
            "GET" => {
                let list = ctl.switches().map(|s| switch_json(s, meta, now)).collect();
                Routed::Now(Answer::ok(Value::Array(list)))
            }
            _ => not_allowed("GET"),
        },
        ["topology"] => match method {
            "GET" => Routed::Now(topology_json(ctl)),
            _ => not_allowed("GET"),
        },
        ["switches", dpid, rest @ ..] => {
            let Some(dpid) = parse_dpid(dpid) else {
                return Routed::Now(Answer::error(
                    Status::BadRequest,
                    format!("{dpid:?} is not a datapath id (decimal, 0x-hex, or 16 hex digits)"),
                ));
            };
            let Some(sw) = ctl.switches().find(|s| s.datapath_id() == dpid) else {
                return Routed::Now(Answer::error(
                    Status::NotFound,
                    format!("no switch {dpid:016x} is connected"),
                ));
            };
            let conn = sw.conn;
            match (rest, method) {
                ([], "GET") => Routed::Now(Answer::ok(switch_json(sw, meta, now))),
                ([], _) => not_allowed("GET"),
                (["ports"], "GET") => {
                    Routed::Now(Answer::ok(Value::Array(sw.ports.values().map(port_json).collect())))
                }
                (["ports"], _) => not_allowed("GET"),
                (["flows"], "GET") => {
                    match ctl.request(conn, MultipartRequest::flow_stats(FlowStatsRequest::new())) {
                        Some(token) => Routed::Later(token, Expect::Flows),
                        None => {
                            Routed::Now(Answer::error(Status::BadGateway, "the switch connection is closing"))
                        }
                    }
                }
                (["flows"], "POST") => match add_flow(body) {
                    Ok(fm) => flow_mod(ctl, conn, fm),
                    Err(e) => Routed::Now(Answer::error(Status::BadRequest, e)),
                },
                (["flows"], "DELETE") => match delete_flows(body) {
                    Ok(fm) => flow_mod(ctl, conn, fm),
                    Err(e) => Routed::Now(Answer::error(Status::BadRequest, e)),
                },
                (["flows"], _) => not_allowed("GET, POST, DELETE"),
                _ => Routed::Now(Answer::error(Status::NotFound, format!("no route {path}"))),
            }
        }
        _ => Routed::Now(Answer::error(Status::NotFound, format!("no route {path}"))),
    }
}

/// Sends `fm` and a barrier; the answer comes with the barrier reply (or
/// the error for `fm`, which the switch sends before it).
fn flow_mod(ctl: &mut Controller, conn: controller::ConnId, fm: FlowMod) -> Routed {
    if !ctl.send(conn, fm.clone()) {
        return Routed::Now(Answer::error(Status::BadGateway, "the switch connection is closing"));
    }
    match ctl.request(conn, Body::BarrierRequest) {
        Some(token) => Routed::Later(token, Expect::Barrier(fm)),
        None => Routed::Now(Answer::error(Status::BadGateway, "the switch connection is closing")),
    }
}

/// A datapath id in a path: 16 hex digits (as the API prints it), `0x` hex, or decimal.
fn parse_dpid(s: &str) -> Option<u64> {
    if s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u64::from_str_radix(s, 16).ok();
    }
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.len() <= 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// The switch's refusal as an answer: 400 for errors in what was asked
/// (bad request, action, instruction, match, flow-mod failure), 502 otherwise.
fn switch_error(error: &ErrorMsg) -> Answer {
    let (kind, code) = match error {
        ErrorMsg::Standard { err_type, code, .. } => (*err_type, *code),
        ErrorMsg::Experimenter { exp_type, .. } => (0xffff, *exp_type),
    };
    let status = if (1..=5).contains(&kind) { Status::BadRequest } else { Status::BadGateway };
    let body = json!({
        "error": format!("the switch refused the request: {} code {code}", error_type_name(kind)),
        "ofp_error": { "type": kind, "type_name": error_type_name(kind), "code": code },
    });
    Answer { status, body, allow: None }
}

/// `OFPET_*` names (OpenFlow 1.3.5 §7.4.4).
fn error_type_name(kind: u16) -> &'static str {
    const NAMES: [&str; 14] = [
        "OFPET_HELLO_FAILED",
        "OFPET_BAD_REQUEST",
        "OFPET_BAD_ACTION",
        "OFPET_BAD_INSTRUCTION",
        "OFPET_BAD_MATCH",
        "OFPET_FLOW_MOD_FAILED",
        "OFPET_GROUP_MOD_FAILED",
        "OFPET_PORT_MOD_FAILED",
        "OFPET_TABLE_MOD_FAILED",
        "OFPET_QUEUE_OP_FAILED",
        "OFPET_SWITCH_CONFIG_FAILED",
        "OFPET_ROLE_REQUEST_FAILED",
        "OFPET_METER_MOD_FAILED",
        "OFPET_TABLE_FEATURES_FAILED",
    ];
    match kind {
        0xffff => "OFPET_EXPERIMENTER",
        k => NAMES.get(usize::from(k)).copied().unwrap_or("unknown"),
    }
}

/// `OFPC_*` capability names (§7.3.1).
const CAPABILITIES: [(u32, &str); 7] = [
    (1 << 0, "flow_stats"),
    (1 << 1, "table_stats"),
    (1 << 2, "port_stats"),
    (1 << 3, "group_stats"),
    (1 << 5, "ip_reasm"),
    (1 << 6, "queue_stats"),
    (1 << 8, "port_blocked"),
];

fn switch_json(sw: &SwitchInfo, meta: &HashMap<controller::ConnId, SwitchMeta>, now: u64) -> Value {
    let f = &sw.features;
    let m = meta.get(&sw.conn);
    let role = sw.role.map(|r| match r.role {
        OFPCR_ROLE_EQUAL => "equal",
        OFPCR_ROLE_MASTER => "master",
        OFPCR_ROLE_SLAVE => "slave",
        _ => "nochange",
    });
    json!({
        "dpid": format!("{:016x}", f.datapath_id),
        "dpid_int": f.datapath_id,
        "peer": m.map(|m| m.peer.to_string()),
        "n_tables": f.n_tables,
        "n_buffers": f.n_buffers,
        "capabilities": f.capabilities,
        "capability_names": CAPABILITIES.iter().filter(|(b, _)| f.capabilities & b != 0).map(|(_, n)| *n).collect::<Vec<_>>(),
        "role": role,
        "connected_for_s": m.and_then(|m| m.up_ms).map(|up| now.saturating_sub(up) as f64 / 1000.0),
        "ports": sw.ports.values().map(port_json).collect::<Vec<_>>(),
    })
}

fn port_json(p: &Port) -> Value {
    json!({
        "port_no": p.port_no,
        "name": p.name(),
        "hw_addr": openflow::json::mac(p.hw_addr),
        "config": p.config,
        "state": p.state,
        "up": p.config & OFPPC_PORT_DOWN == 0 && p.state & OFPPS_LINK_DOWN == 0,
        "curr_speed_kbps": p.curr_speed,
    })
}

fn topology_json(ctl: &Controller) -> Answer {
    let Some(topo) = ctl.app::<Topology>() else {
        return Answer::error(
            Status::NotFound,
            "the topology app is not running (start the controller with --app learning-switch,topology)",
        );
    };
    let end = |e: &openflow::apps::topology::Endpoint| json!({ "dpid": format!("{:016x}", e.datapath_id), "port_no": e.port_no });
    let links: Vec<Value> = topo.links().map(|l| json!({ "src": end(&l.src), "dst": end(&l.dst) })).collect();
    let switches: Vec<Value> = ctl.switches().map(|s| format!("{:016x}", s.datapath_id()).into()).collect();
    Answer::ok(json!({ "switches": switches, "links": links }))
}

/// A match as a flat object: `{"in_port": 1, "eth_dst": "aa:..", "ipv4_src": "10.0.0.0/255.255.255.0"}`
/// (masked values as `value/mask`), from the fields' os-ken form.
fn match_json(m: &Match) -> Value {
    let mut out = Map::new();
    for oxm in &m.fields {
        let Value::Object(tlv) = oxm.to_osken() else { continue };
        let Some(Value::Object(f)) = tlv.get("OXMTlv") else { continue };
        let (Some(Value::String(name)), Some(value)) = (f.get("field"), f.get("value")) else { continue };
        let value = match (value, f.get("mask")) {
            (_, None | Some(Value::Null)) => value.clone(),
            (Value::String(v), Some(Value::String(mask))) => Value::String(format!("{v}/{mask}")),
            (v, Some(mask)) => json!({ "value": v, "mask": mask }),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// Actions in the API's short form; actions it has none for in os-ken form.
fn action_json(a: &Action) -> Value {
    match a {
        Action::Output { port: OFPP_FLOOD, .. } => json!({ "type": "flood" }),
        Action::Output { port: OFPP_CONTROLLER, max_len } => {
            json!({ "type": "controller", "max_len": max_len })
        }
        Action::Output { port, .. } => json!({ "type": "output", "port": port }),
        other => other.to_osken(),
    }
}

fn flow_json(f: &FlowStats) -> Value {
    let actions: Vec<Value> = f
        .instructions
        .iter()
        .filter_map(|i| match i {
            Instruction::ApplyActions(a) => Some(a.iter().map(action_json)),
            _ => None,
        })
        .flatten()
        .collect();
    json!({
        "table_id": f.table_id,
        "priority": f.priority,
        "cookie": f.cookie,
        "idle_timeout": f.idle_timeout,
        "hard_timeout": f.hard_timeout,
        "flags": f.flags,
        "packet_count": f.packet_count,
        "byte_count": f.byte_count,
        "duration_sec": f.duration_sec,
        "duration_nsec": f.duration_nsec,
        "match": match_json(&f.matching),
        "actions": actions,
        "instructions": f.instructions.iter().map(ToOsken::to_osken).collect::<Vec<_>>(),
    })
}

/// `POST /switches/{dpid}/flows`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowAdd {
    #[serde(default)]
    table_id: u8,
    #[serde(default = "default_priority")]
    priority: u16,
    #[serde(default, rename = "match")]
    matching: Map<String, Value>,
    #[serde(default)]
    actions: Vec<ActionSpec>,
    #[serde(default)]
    idle_timeout: u16,
    #[serde(default)]
    hard_timeout: u16,
    #[serde(default)]
    cookie: u64,
}

fn default_priority() -> u16 {
    OFP_DEFAULT_PRIORITY
}

fn no_buffer() -> u16 {
    OFPCML_NO_BUFFER
}

/// One action of a [`FlowAdd`].
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ActionSpec {
    Output {
        port: u32,
    },
    Flood,
    Controller {
        #[serde(default = "no_buffer")]
        max_len: u16,
    },
    Drop,
}

/// `DELETE /switches/{dpid}/flows` (every field optional; no body: every flow).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowDelete {
    table_id: Option<u8>,
    #[serde(default, rename = "match")]
    matching: Map<String, Value>,
    cookie: Option<u64>,
    cookie_mask: Option<u64>,
    out_port: Option<u32>,
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))
}

fn add_flow(body: &[u8]) -> Result<FlowMod, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("a JSON body is required (at least {\"actions\": [...]})".into());
    }
    let req: FlowAdd = json_body(body)?;
    if req.table_id == OFPTT_ALL {
        return Err("table_id 255 (all tables) cannot take a new flow".into());
    }
    let matching = parse_match(&req.matching)?;
    let drop = req.actions.iter().any(|a| matches!(a, ActionSpec::Drop));
    if drop && req.actions.len() > 1 {
        return Err("\"drop\" cannot be combined with other actions".into());
    }
    let actions: Vec<Action> = req
        .actions
        .iter()
        .filter_map(|a| match a {
            ActionSpec::Output { port } => Some(Action::output(*port)),
            ActionSpec::Flood => Some(Action::output(OFPP_FLOOD)),
            ActionSpec::Controller { max_len } => Some(Action::to_controller(*max_len)),
            ActionSpec::Drop => None,
        })
        .collect();
    let mut fm = FlowMod::add(req.table_id)
        .priority(req.priority)
        .idle_timeout(req.idle_timeout)
        .hard_timeout(req.hard_timeout)
        .cookie(req.cookie)
        .matching(matching);
    if !actions.is_empty() {
        fm = fm.apply_actions(actions);
    }
    Ok(fm)
}

fn delete_flows(body: &[u8]) -> Result<FlowMod, String> {
    let req: FlowDelete =
        if body.iter().all(u8::is_ascii_whitespace) { FlowDelete::default() } else { json_body(body)? };
    let mut fm = FlowMod::delete(req.table_id.unwrap_or(OFPTT_ALL))
        .matching(parse_match(&req.matching)?)
        .out_port(req.out_port.unwrap_or(OFPP_ANY));
    if let Some(cookie) = req.cookie {
        fm = fm.cookie(cookie).cookie_mask(req.cookie_mask.unwrap_or(u64::MAX));
    } else if req.cookie_mask.is_some() {
        return Err("cookie_mask without cookie".into());
    }
    Ok(fm)
}

/// An integer field: a JSON number, or a string in decimal or `0x` hex.
fn int<T: TryFrom<u64>>(name: &str, v: &Value) -> Result<T, String> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        },
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok()).ok_or_else(|| format!("match field {name}: {v} is not a valid value"))
}

fn text<'a>(name: &str, v: &'a Value) -> Result<&'a str, String> {
    v.as_str().ok_or_else(|| format!("match field {name}: expected a string, got {v}"))
}

fn mac(name: &str, s: &str) -> Result<[u8; 6], String> {
    let mut out = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut out {
        let p = parts
            .next()
            .filter(|p| p.len() == 2)
            .ok_or_else(|| format!("match field {name}: {s:?} is not a MAC"))?;
        *b = u8::from_str_radix(p, 16).map_err(|_| format!("match field {name}: {s:?} is not a MAC"))?;
    }
    if parts.next().is_some() {
        return Err(format!("match field {name}: {s:?} is not a MAC"));
    }
    Ok(out)
}

/// `value` or `value/mask`.
fn split_mask(s: &str) -> (&str, Option<&str>) {
    match s.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (s, None),
    }
}

/// An address of one family (`v6`), with an optional mask written as an
/// address or a prefix length.
fn ip_masked(name: &str, s: &str, v6: bool) -> Result<(IpAddr, Option<IpAddr>), String> {
    let family = if v6 { "IPv6" } else { "IPv4" };
    let bad =
        || format!("match field {name}: {s:?} is not an {family} address, address/prefix or address/mask");
    let ours = |a: &IpAddr| a.is_ipv6() == v6;
    let (v, m) = split_mask(s);
    let addr = v.parse::<IpAddr>().ok().filter(ours).ok_or_else(bad)?;
    let Some(m) = m else { return Ok((addr, None)) };
    if let Ok(mask) = m.parse::<IpAddr>() {
        return if ours(&mask) { Ok((addr, Some(mask))) } else { Err(bad()) };
    }
    let bits = if v6 { 128 } else { 32 };
    let len: u32 = m.parse().ok().filter(|l| *l <= bits).ok_or_else(bad)?;
    let ones = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    let mask = if v6 { IpAddr::V6(ones.into()) } else { IpAddr::V4(((ones >> 96) as u32).into()) };
    Ok((addr, Some(mask)))
}

/// The IPv4 address of an [`ip_masked`] result (which checked the family).
fn v4(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => a.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
    }
}

/// The IPv6 address of an [`ip_masked`] result (which checked the family).
fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    }
}

/// The API's flat match (see [`match_json`]) as an OpenFlow match, with the
/// prerequisites checked (e.g. `ipv4_src` needs `eth_type` 0x0800).
fn parse_match(fields: &Map<String, Value>) -> Result<Match, String> {
    let mut m = Match::new();
    for (name, v) in fields {
        let n = name.as_str();
        m = match n {
            "in_port" => m.in_port(int(n, v)?),
            "eth_type" => m.eth_type(int(n, v)?),
            "vlan_vid" => m.vlan_vid(int(n, v)?),
            "vlan_pcp" => m.vlan_pcp(int(n, v)?),
            "ip_dscp" => m.ip_dscp(int(n, v)?),
            "ip_proto" => m.ip_proto(int(n, v)?),
            "tcp_src" => m.tcp_src(int(n, v)?),
            "tcp_dst" => m.tcp_dst(int(n, v)?),
            "udp_src" => m.udp_src(int(n, v)?),
            "udp_dst" => m.udp_dst(int(n, v)?),
            "icmpv4_type" => m.icmpv4_type(int(n, v)?),
            "icmpv4_code" => m.icmpv4_code(int(n, v)?),
            "arp_op" => m.arp_op(int(n, v)?),
            "metadata" => m.metadata(int(n, v)?),
            "eth_dst" | "eth_src" => {
                let (value, mask) = split_mask(text(n, v)?);
                let value = mac(n, value)?;
                match (n, mask.map(|mask| mac(n, mask)).transpose()?) {
                    ("eth_dst", None) => m.eth_dst(value),
                    ("eth_dst", Some(mask)) => m.eth_dst_masked(value, mask),
                    (_, None) => m.eth_src(value),
                    (_, Some(mask)) => m.eth_src_masked(value, mask),
                }
            }
            "ipv4_src" | "ipv4_dst" | "arp_spa" | "arp_tpa" => {
                let (value, mask) = ip_masked(n, text(n, v)?, false)?;
                let (value, mask) = (v4(value), mask.map(v4));
                match (n, mask) {
                    ("ipv4_src", None) => m.ipv4_src(value),
                    ("ipv4_src", Some(mask)) => m.ipv4_src_masked(value, mask),
                    ("ipv4_dst", None) => m.ipv4_dst(value),
                    ("ipv4_dst", Some(mask)) => m.ipv4_dst_masked(value, mask),
                    ("arp_spa", None) => m.arp_spa(value),
                    ("arp_spa", Some(mask)) => m.arp_spa_masked(value, mask),
                    (_, None) => m.arp_tpa(value),
                    (_, Some(mask)) => m.arp_tpa_masked(value, mask),
                }
            }
            "ipv6_src" | "ipv6_dst" => {
                let (value, mask) = ip_masked(n, text(n, v)?, true)?;
                let (value, mask) = (v6(value), mask.map(v6));
                match (n, mask) {
                    ("ipv6_src", None) => m.ipv6_src(value),
                    ("ipv6_src", Some(mask)) => m.ipv6_src_masked(value, mask),
                    (_, None) => m.ipv6_dst(value),
                    (_, Some(mask)) => m.ipv6_dst_masked(value, mask),
                }
            }
            _ => return Err(format!("unknown match field {name:?}")),
        };
    }
    // In field-code order, which puts every prerequisite before the fields needing it.
    m.fields.sort_by_key(|o| (o.class(), o.field()));
    m.check_prerequisites().map_err(|e| format!("match: {e}"))?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use openflow::framing::Deframer;
    use openflow::message::{Hello, Message, OFPET_BAD_MATCH, OFPFC_ADD, OFPFC_DELETE, SwitchFeatures};
    use openflow::multipart::{MultipartReply, OFPMPF_REPLY_MORE};

    use super::*;
    use crate::service::Service;
    use crate::services::controller::{ControllerService, ControllerSettings};
    use crate::services::testing::RecordingNet;

    const SWITCH: ConnId = ConnId(1);
    const CLIENT: ConnId = ConnId(2);
    const DPID: u64 = 0xaa;

    fn at(ms: i64) -> Instant {
        Instant::from_millis(ms)
    }

    fn info(local: &str, peer: &str) -> ConnInfo {
        ConnInfo { local: local.parse().unwrap(), peer: peer.parse().unwrap(), initiated: false }
    }

    /// The switch's side of the connection: everything the controller wrote, decoded.
    fn to_switch(net: &RecordingNet) -> Vec<Message> {
        let mut d = Deframer::new();
        d.push(&net.written(SWITCH));
        std::iter::from_fn(|| d.next_message().unwrap()).collect()
    }

    fn from_switch(svc: &mut ControllerService, net: &mut RecordingNet, t: i64, msg: Message) {
        let bytes = msg.to_vec();
        assert_eq!(svc.on_data(at(t), net, SWITCH, &bytes), bytes.len());
    }

    /// A controller with the API on 8080 and switch `DPID` up with two ports.
    fn setup() -> (ControllerService, RecordingNet) {
        let settings = ControllerSettings { api: Some(ApiSettings::new(8080)), ..Default::default() };
        let mut svc = ControllerService::new(settings);
        assert_eq!(svc.listen().tcp, [6653, 8080]);
        let mut net = RecordingNet::default();
        svc.on_open(at(0), &mut net, SWITCH, info("127.0.0.1:6653", "127.0.0.1:40000"));
        from_switch(&mut svc, &mut net, 0, Message::new(1, Hello::openflow13()));
        let fx = to_switch(&net)[1].xid;
        let features =
            SwitchFeatures { datapath_id: DPID, n_tables: 254, capabilities: 0x4f, ..Default::default() };
        from_switch(&mut svc, &mut net, 0, Message::new(fx, features));
        let pd = to_switch(&net).last().unwrap().xid;
        let mut down = Port::new(2, [2, 0, 0, 0, 0, 2], "p2");
        down.state = OFPPS_LINK_DOWN;
        let ports = vec![Port::new(1, [2, 0, 0, 0, 0, 1], "p1"), down];
        let reply = MultipartReply { flags: 0, body: MultipartReplyBody::PortDesc(ports) };
        from_switch(&mut svc, &mut net, 1000, Message::new(pd, reply));
        assert_eq!(svc.controller().switches().count(), 1);
        svc.on_open(at(1000), &mut net, CLIENT, info("127.0.0.1:8080", "127.0.0.1:50000"));
        (svc, net)
    }

    /// Every answer written to `conn`: (status, JSON body, head).
    fn answers(net: &RecordingNet, conn: ConnId) -> Vec<(u16, Value, String)> {
        let bytes = net.written(conn);
        let mut rest = bytes.as_slice();
        let mut out = Vec::new();
        while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(rest[..end].to_vec()).unwrap();
            let status: u16 = head[9..12].parse().unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map(|v| v.parse().unwrap())
                .unwrap();
            assert!(head.contains("Content-Type: application/json"), "{head}");
            let body = &rest[end + 4..end + 4 + len];
            out.push((status, serde_json::from_slice(body).unwrap(), head));
            rest = &rest[end + 4 + len..];
        }
        assert!(rest.is_empty(), "trailing bytes: {rest:?}");
        out
    }

    fn last(net: &RecordingNet) -> (u16, Value) {
        let (s, v, _) = answers(net, CLIENT).pop().expect("no answer");
        (s, v)
    }

    fn request(method: &str, path: &str, body: &str) -> String {
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len())
    }

    fn send(svc: &mut ControllerService, net: &mut RecordingNet, t: i64, req: &str) -> usize {
        svc.on_data(at(t), net, CLIENT, req.as_bytes())
    }

    #[test]
    fn lists_switches_and_ports_and_refuses_what_is_not_there() {
        let (mut svc, mut net) = setup();
        let handshake = to_switch(&net).len();
        send(&mut svc, &mut net, 3500, &request("GET", "/switches", ""));
        let (status, list) = last(&net);
        assert_eq!(status, 200);
        let sw = &list[0];
        assert_eq!(sw["dpid"], "00000000000000aa");
        assert_eq!(sw["dpid_int"], 170);
        assert_eq!(sw["peer"], "127.0.0.1:40000");
        assert_eq!(sw["n_tables"], 254);
        assert_eq!(
            sw["capability_names"],
            json!(["flow_stats", "table_stats", "port_stats", "group_stats", "queue_stats"])
        );
        assert_eq!(sw["connected_for_s"], 2.5);
        assert_eq!(sw["role"], Value::Null);
        assert_eq!(sw["ports"][0]["name"], "p1");
        assert_eq!(sw["ports"][0]["up"], true);
        assert_eq!(sw["ports"][1]["hw_addr"], "02:00:00:00:00:02");
        assert_eq!(sw["ports"][1]["up"], false);

        for path in ["/switches/170", "/switches/0xaa", "/switches/00000000000000aa"] {
            send(&mut svc, &mut net, 3500, &request("GET", path, ""));
            assert_eq!(last(&net), (200, sw.clone()), "{path}");
        }
        send(&mut svc, &mut net, 3500, &request("GET", "/switches/170/ports?x=1", ""));
        assert_eq!(last(&net), (200, sw["ports"].clone()));

        let cases = [
            ("GET", "/switches/171", 404),
            ("GET", "/switches/0xzz", 400),
            ("GET", "/switches/170/meters", 404),
            ("GET", "/nothing", 404),
            ("POST", "/switches", 405),
            ("PUT", "/switches/170/flows", 405),
            ("GET", "/topology", 404), // the topology app is not running
        ];
        for (method, path, want) in cases {
            send(&mut svc, &mut net, 3500, &request(method, path, ""));
            let (status, body) = last(&net);
            assert_eq!(status, want, "{method} {path}: {body}");
            assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
        }
        let (_, _, head) = answers(&net, CLIENT).pop().unwrap();
        assert!(
            answers(&net, CLIENT).iter().any(|(s, _, h)| *s == 405 && h.contains("Allow: GET, POST, DELETE"))
        );
        assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"));
        // Nothing went to the switch for any of that; the connection stays open.
        assert_eq!(to_switch(&net).len(), handshake);
        assert!(net.closed.is_empty());
    }

    fn flow(priority: u16, matching: Match, actions: Vec<Action>) -> FlowStats {
        FlowStats {
            table_id: 0,
            duration_sec: 7,
            duration_nsec: 5,
            priority,
            idle_timeout: 60,
            hard_timeout: 0,
            flags: 0,
            cookie: 0x4c53,
            packet_count: 3,
            byte_count: 294,
            matching,
            instructions: vec![Instruction::apply(actions)],
        }
    }

    #[test]
    fn dumps_flows_from_a_multipart_reply_in_two_parts() {
        let (mut svc, mut net) = setup();
        send(&mut svc, &mut net, 2000, &request("GET", "/switches/170/flows", ""));
        assert!(net.written(CLIENT).is_empty(), "answered before the switch did");
        let req = to_switch(&net).pop().unwrap();
        let Body::MultipartRequest(MultipartRequest {
            body: openflow::multipart::MultipartRequestBody::Flow(f),
            ..
        }) = &req.body
        else {
            panic!("not a flow-stats request: {req:?}");
        };
        assert_eq!(f.table_id, OFPTT_ALL);
        let m = Match::new().in_port(1).eth_dst([2, 0, 0, 0, 0, 2]);
        let part1 = MultipartReply {
            flags: OFPMPF_REPLY_MORE,
            body: MultipartReplyBody::Flow(vec![flow(1, m, vec![Action::output(2)])]),
        };
        from_switch(&mut svc, &mut net, 2100, Message::new(req.xid, part1));
        assert!(net.written(CLIENT).is_empty(), "answered after the first part");
        let m =
            Match::new().eth_type(0x0800).ipv4_src_masked([10, 0, 0, 0].into(), [255, 255, 255, 0].into());
        let part2 = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::Flow(vec![flow(0, m, vec![Action::to_controller(OFPCML_NO_BUFFER)])]),
        };
        from_switch(&mut svc, &mut net, 2200, Message::new(req.xid, part2));
        let (status, flows) = last(&net);
        assert_eq!(status, 200);
        assert_eq!(flows.as_array().unwrap().len(), 2);
        assert_eq!(flows[0]["match"], json!({ "in_port": 1, "eth_dst": "02:00:00:00:00:02" }));
        assert_eq!(flows[0]["actions"], json!([{ "type": "output", "port": 2 }]));
        assert_eq!(flows[0]["cookie"], 0x4c53);
        assert_eq!(flows[0]["byte_count"], 294);
        assert_eq!(flows[0]["idle_timeout"], 60);
        assert!(flows[0]["instructions"][0]["OFPInstructionActions"].is_object(), "{}", flows[0]);
        assert_eq!(flows[1]["match"], json!({ "eth_type": 2048, "ipv4_src": "10.0.0.0/255.255.255.0" }));
        assert_eq!(flows[1]["actions"], json!([{ "type": "controller", "max_len": 65535 }]));
    }

    #[test]
    fn add_and_delete_send_flow_mod_then_barrier_and_answer_after_the_barrier_reply() {
        let (mut svc, mut net) = setup();
        let before = to_switch(&net).len();
        let body = r#"{"priority": 100, "match": {"in_port": 1, "eth_type": "0x0800", "ipv4_dst": "10.0.0.0/8"},
                       "actions": [{"type": "output", "port": 2}, {"type": "controller"}], "idle_timeout": 30,
                       "hard_timeout": 300, "cookie": 77}"#;
        // A pipelined request behind it waits until the first is answered.
        let both = request("POST", "/switches/170/flows", body) + &request("GET", "/switches", "");
        let n = send(&mut svc, &mut net, 2000, &both);
        assert_eq!(n, both.len() - request("GET", "/switches", "").len());
        let sent = to_switch(&net).split_off(before);
        assert_eq!(sent.len(), 2, "{sent:?}");
        let Body::FlowMod(fm) = &sent[0].body else { panic!("not a flow mod: {:?}", sent[0]) };
        assert_eq!((fm.command, fm.table_id, fm.priority, fm.cookie), (OFPFC_ADD, 0, 100, 77));
        assert_eq!((fm.idle_timeout, fm.hard_timeout), (30, 300));
        assert_eq!(
            fm.match_,
            Match::new()
                .in_port(1)
                .eth_type(0x0800)
                .ipv4_dst_masked([10, 0, 0, 0].into(), [255, 0, 0, 0].into()),
            "in field-code order"
        );
        assert_eq!(
            fm.instructions,
            [Instruction::apply([Action::output(2), Action::to_controller(OFPCML_NO_BUFFER)])]
        );
        assert!(matches!(sent[1].body, Body::BarrierRequest));
        assert!(net.written(CLIENT).is_empty(), "answered before the barrier reply");
        // Offered again while waiting: nothing is consumed.
        assert_eq!(send(&mut svc, &mut net, 2000, &request("GET", "/switches", "")), 0);
        from_switch(&mut svc, &mut net, 2100, Message::new(sent[1].xid, Body::BarrierReply));
        assert_eq!(last(&net), (200, json!({ "status": "ok" })));
        let get = request("GET", "/switches", "");
        assert_eq!(send(&mut svc, &mut net, 2200, &get), get.len());
        assert_eq!(last(&net).0, 200);

        // Delete by cookie in table 0; then everything (no body).
        let before = to_switch(&net).len();
        send(
            &mut svc,
            &mut net,
            3000,
            &request("DELETE", "/switches/170/flows", r#"{"table_id": 0, "cookie": 77}"#),
        );
        let sent = to_switch(&net).split_off(before);
        let Body::FlowMod(fm) = &sent[0].body else { panic!("not a flow mod: {:?}", sent[0]) };
        assert_eq!((fm.command, fm.table_id, fm.cookie, fm.cookie_mask), (OFPFC_DELETE, 0, 77, u64::MAX));
        assert!(matches!(sent[1].body, Body::BarrierRequest));
        from_switch(&mut svc, &mut net, 3100, Message::new(sent[1].xid, Body::BarrierReply));
        assert_eq!(last(&net), (200, json!({ "status": "ok" })));
        let before = to_switch(&net).len();
        send(&mut svc, &mut net, 3200, &request("DELETE", "/switches/170/flows", ""));
        let sent = to_switch(&net).split_off(before);
        let Body::FlowMod(fm) = &sent[0].body else { panic!("not a flow mod: {:?}", sent[0]) };
        assert_eq!(
            (fm.command, fm.table_id, fm.out_port, fm.match_.fields.len()),
            (OFPFC_DELETE, OFPTT_ALL, OFPP_ANY, 0)
        );
    }

    #[test]
    fn an_error_from_the_switch_becomes_error_json() {
        let (mut svc, mut net) = setup();
        let before = to_switch(&net).len();
        send(&mut svc, &mut net, 2000, &request("POST", "/switches/170/flows", r#"{"actions": []}"#));
        let sent = to_switch(&net).split_off(before);
        let Body::FlowMod(fm) = &sent[0].body else { panic!("not a flow mod: {:?}", sent[0]) };
        assert!(fm.instructions.is_empty(), "no actions: drop");
        let error = ErrorMsg::Standard {
            err_type: OFPET_BAD_MATCH,
            code: 3,
            data: sent[0].to_vec()[..64.min(sent[0].to_vec().len())].to_vec(),
        };
        from_switch(&mut svc, &mut net, 2100, Message::new(sent[0].xid, error));
        let (status, body) = last(&net);
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["ofp_error"], json!({ "type": 4, "type_name": "OFPET_BAD_MATCH", "code": 3 }));
        // The barrier reply that follows answers nothing more.
        from_switch(&mut svc, &mut net, 2200, Message::new(sent[1].xid, Body::BarrierReply));
        assert_eq!(answers(&net, CLIENT).len(), 1);
        assert!(net.closed.is_empty());
    }

    #[test]
    fn malformed_bodies_and_limits_are_4xx_and_never_reach_the_switch() {
        let (mut svc, mut net) = setup();
        let before = to_switch(&net).len();
        let cases = [
            ("POST", "{\"actions\": [", 400, "bad JSON"),
            ("POST", "", 400, "required"),
            ("POST", r#"{"actions": [], "colour": 1}"#, 400, "unknown field"),
            ("POST", r#"{"actions": [{"type": "teleport"}]}"#, 400, "unknown variant"),
            ("POST", r#"{"actions": [{"type": "drop"}, {"type": "flood"}]}"#, 400, "drop"),
            ("POST", r#"{"table_id": 255}"#, 400, "table_id"),
            ("POST", r#"{"match": {"ipv4_src": "10.0.0.1"}}"#, 400, "match"),
            ("POST", r#"{"match": {"eth_dst": "02:00:00:00:00"}}"#, 400, "not a MAC"),
            ("POST", r#"{"match": {"in_port": -1}}"#, 400, "in_port"),
            ("POST", r#"{"match": {"colour": 1}}"#, 400, "unknown match field"),
            ("POST", r#"{"priority": 70000}"#, 400, "bad JSON"),
            ("DELETE", r#"{"cookie_mask": 1}"#, 400, "cookie_mask"),
            ("DELETE", "[]", 400, "bad JSON"),
        ];
        for (method, body, want, says) in cases {
            send(&mut svc, &mut net, 2000, &request(method, "/switches/170/flows", body));
            let (status, answer) = last(&net);
            assert_eq!(status, want, "{method} {body}: {answer}");
            assert!(answer["error"].as_str().unwrap().contains(says), "{body}: {answer}");
        }
        assert_eq!(to_switch(&net).len(), before, "a refused request reached the switch");
        // Over the body limit: 413 and the connection closes.
        let big = "POST /switches/170/flows HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
        assert_eq!(send(&mut svc, &mut net, 2000, big), big.len());
        assert_eq!(last(&net).0, 413);
        assert_eq!(net.closed, [CLIENT]);
    }

    #[test]
    fn match_values_masks_and_families() {
        let parse = |v: Value| parse_match(v.as_object().unwrap());
        let m =
            parse(json!({ "eth_type": "0x86dd", "ipv6_dst": "fd00::/16", "ipv6_src": "fd00::1" })).unwrap();
        let want = Match::new()
            .eth_type(0x86dd)
            .ipv6_src("fd00::1".parse().unwrap())
            .ipv6_dst_masked("fd00::".parse().unwrap(), "ffff::".parse().unwrap());
        assert_eq!(m, want);
        let m =
            parse(json!({ "eth_type": 2048, "ipv4_src": "10.1.0.0/255.255.0.0", "ipv4_dst": "10.0.0.1/0" }));
        let want = Match::new()
            .eth_type(0x0800)
            .ipv4_src_masked([10, 1, 0, 0].into(), [255, 255, 0, 0].into())
            .ipv4_dst_masked([10, 0, 0, 1].into(), [0, 0, 0, 0].into());
        assert_eq!(m.unwrap(), want);
        let m = parse(json!({ "eth_dst": "01:00:00:00:00:00/01:00:00:00:00:00", "in_port": "7" })).unwrap();
        assert_eq!(m, Match::new().in_port(7).eth_dst_masked([1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]));
        // The flat form the dumps print reads back to the same match.
        assert_eq!(parse(match_json(&want)).unwrap(), want);
        for bad in [
            json!({ "eth_type": 2048, "ipv4_dst": "10.0.0.0/33" }),
            json!({ "eth_type": 2048, "ipv4_dst": "fd00::1" }),
            json!({ "eth_type": 2048, "ipv4_dst": "10.0.0.0/ffff::" }),
            json!({ "eth_type": 34525, "ipv6_dst": "fd00::/129" }),
            json!({ "eth_type": 70000 }),
            json!({ "eth_dst": "02:00:00:00:00:00:00" }),
            json!({ "eth_dst": 5 }),
            json!({ "tcp_dst": 80 }),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_reply_in_time_is_504_and_a_switch_leaving_is_502() {
        let (mut svc, mut net) = setup();
        send(&mut svc, &mut net, 2000, &request("GET", "/switches/170/flows", ""));
        assert!(svc.poll_timeout().is_some_and(|t| t <= at(7000)));
        svc.on_timer(at(6999), &mut net);
        assert!(net.written(CLIENT).is_empty());
        svc.on_timer(at(7000), &mut net);
        let (status, body) = last(&net);
        assert_eq!(status, 504, "{body}");
        // The late reply answers nothing more.
        let req =
            to_switch(&net).iter().rev().find(|m| matches!(m.body, Body::MultipartRequest(_))).unwrap().xid;
        let reply = MultipartReply { flags: 0, body: MultipartReplyBody::Flow(vec![]) };
        from_switch(&mut svc, &mut net, 7100, Message::new(req, reply));
        assert_eq!(answers(&net, CLIENT).len(), 1);

        send(
            &mut svc,
            &mut net,
            8000,
            &request("POST", "/switches/170/flows", r#"{"actions": [{"type": "flood"}]}"#),
        );
        svc.on_peer_close(at(8100), &mut net, SWITCH);
        let (status, body) = last(&net);
        assert_eq!(status, 502, "{body}");
        send(&mut svc, &mut net, 8200, &request("GET", "/switches", ""));
        assert_eq!(last(&net), (200, json!([])));
    }

    #[test]
    fn only_the_configured_address_and_limit_are_served() {
        let (mut svc, mut net) = setup();
        svc.on_open(at(0), &mut net, ConnId(9), info("10.0.0.2:8080", "10.0.0.1:5000"));
        assert_eq!(net.closed, [ConnId(9)]);
        // Idle API connections close after the idle timeout.
        svc.on_timer(at(1000 + 29_999), &mut net);
        assert!(!net.closed.contains(&CLIENT));
        svc.on_timer(at(1000 + 30_000), &mut net);
        assert!(net.closed.contains(&CLIENT));
        // Routes do not depend on Connection: close being honoured later.
        svc.on_open(at(0), &mut net, ConnId(10), info("127.0.0.1:8080", "127.0.0.1:5001"));
        let req = "GET /switches HTTP/1.0\r\n\r\n";
        assert_eq!(svc.on_data(at(0), &mut net, ConnId(10), req.as_bytes()), req.len());
        let (status, _, head) = answers(&net, ConnId(10)).pop().unwrap();
        assert_eq!(status, 200);
        assert!(head.contains("Connection: close"), "{head}");
        assert_eq!(net.closed.last(), Some(&ConnId(10)));
    }
}
