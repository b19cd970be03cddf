//! Counters per interface and per service, printed at shutdown and served as
//! Prometheus text on an optional metrics port.
//!
//! Counters are relaxed atomics held in `Arc`s: the stack thread bumps them on
//! the hot path without locks; the registry lock is taken only when a counter
//! set is created and when the text is rendered.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use alloc::{format, vec};
use core::fmt::Write as _;
use core::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "std")]
use std::io::{self, Read, Write};
#[cfg(feature = "std")]
use std::net::{SocketAddr, TcpListener};

use crate::sync::Mutex;

/// A monotonically growing count (or, for `*_open`, a gauge).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }
    /// Subtracts one (gauges only); never goes below zero.
    #[inline]
    pub fn dec(&self) {
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(1)));
    }
    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Declares a counter set: a struct of [`Counter`]s plus its list of
/// (metric name, help, value) for rendering.
macro_rules! counter_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $help:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: Counter,)*
        }
        impl $name {
            /// Every counter as (name, help, value).
            pub fn values(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($field), $help, self.$field.get()),)*]
            }
        }
    };
}

counter_set!(
    /// Frames through one network interface (device level).
    InterfaceCounters {
        /// Frames received from the device.
        frames_rx: "frames received",
        /// Frames sent to the device.
        frames_tx: "frames sent",
        /// Bytes received (whole frames).
        bytes_rx: "bytes received",
        /// Bytes sent (whole frames).
        bytes_tx: "bytes sent",
        /// Frames lost by the device (write failed, queue full).
        drops: "frames dropped",
        /// Device errors (read/write failures other than would-block).
        errors: "device errors",
    }
);

counter_set!(
    /// Traffic and connections of one service.
    ServiceCounters {
        /// UDP datagrams delivered to the service.
        datagrams_rx: "datagrams received",
        /// UDP datagrams the service sent.
        datagrams_tx: "datagrams sent",
        /// Datagrams dropped (no buffer room, oversized, no route).
        datagrams_dropped: "datagrams dropped",
        /// Payload bytes received (UDP + TCP).
        bytes_rx: "payload bytes received",
        /// Payload bytes sent (UDP + TCP).
        bytes_tx: "payload bytes sent",
        /// TCP connections accepted or established.
        connections: "connections opened",
        /// TCP connections open now (gauge).
        connections_open: "connections open now",
        /// Connections refused because the limit was reached.
        connections_refused: "connections refused at the limit",
        /// Errors (resets, failed connects, socket errors).
        errors: "errors",
    }
);

/// All counter sets of one appliance process.
#[derive(Debug, Default)]
pub struct Metrics {
    interfaces: Mutex<Vec<(String, Arc<InterfaceCounters>)>>,
    services: Mutex<Vec<(String, Arc<ServiceCounters>)>>,
}

impl Metrics {
    /// A new, empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The counters of interface `name`, created on first use.
    pub fn interface(&self, name: &str) -> Arc<InterfaceCounters> {
        get_or_insert(&self.interfaces, name)
    }

    /// The counters of service `name`, created on first use.
    pub fn service(&self, name: &str) -> Arc<ServiceCounters> {
        get_or_insert(&self.services, name)
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        render_family(&mut out, "appliance_interface", "interface", &self.interfaces, |c| c.values());
        render_family(&mut out, "appliance_service", "service", &self.services, |c| c.values());
        out
    }

    /// One line per interface and service, for the log at shutdown.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        summarize(&mut out, "interface", &self.interfaces, |c| c.values());
        summarize(&mut out, "service", &self.services, |c| c.values());
        out
    }

    /// Serves [`render_prometheus`](Self::render_prometheus) over plain HTTP
    /// on `addr` from a background thread (host sockets, whatever the stack).
    /// Returns the bound address (useful with port 0).
    #[cfg(feature = "std")]
    pub fn serve(self: &Arc<Self>, addr: SocketAddr) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        let metrics = Arc::clone(self);
        std::thread::Builder::new().name("metrics".into()).spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Err(e) = answer_scrape(&metrics, stream) {
                    tracing::debug!("metrics scrape failed: {e}");
                }
            }
        })?;
        Ok(bound)
    }
}

fn get_or_insert<T: Default>(list: &Mutex<Vec<(String, Arc<T>)>>, name: &str) -> Arc<T> {
    let mut list = list.lock();
    if let Some((_, c)) = list.iter().find(|(n, _)| n == name) {
        return Arc::clone(c);
    }
    let c = Arc::new(T::default());
    list.push((name.to_string(), Arc::clone(&c)));
    c
}

type Values = Vec<(&'static str, &'static str, u64)>;

fn render_family<T>(
    out: &mut String,
    prefix: &str,
    label: &str,
    list: &Mutex<Vec<(String, Arc<T>)>>,
    values: impl Fn(&T) -> Values,
) {
    let list = list.lock();
    let Some((_, first)) = list.first() else {
        return;
    };
    for (i, (field, help, _)) in values(first).into_iter().enumerate() {
        let kind = if field.ends_with("_open") { "gauge" } else { "counter" };
        let name =
            if kind == "counter" { format!("{prefix}_{field}_total") } else { format!("{prefix}_{field}") };
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (n, c) in list.iter() {
            let v = values(c)[i].2;
            let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {v}", escape_label(n));
        }
    }
}

fn summarize<T>(
    out: &mut String,
    kind: &str,
    list: &Mutex<Vec<(String, Arc<T>)>>,
    values: impl Fn(&T) -> Values,
) {
    for (name, c) in list.lock().iter() {
        let _ = write!(out, "{kind} {name}:");
        for (field, _, v) in values(c) {
            let _ = write!(out, " {field}={v}");
        }
        out.push('\n');
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(feature = "std")]
fn answer_scrape(metrics: &Metrics, mut stream: std::net::TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
    // Read the request head; any GET gets the metrics (one endpoint only).
    let mut head = [0u8; 2048];
    let mut len = 0;
    while len < head.len() {
        let n = stream.read(&mut head[len..])?;
        if n == 0 {
            break;
        }
        len += n;
        if head[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let response = if head[..len].starts_with(b"GET ") {
        let body = metrics.render_prometheus();
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
    };
    stream.write_all(response.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_for_every_set() {
        let m = Metrics::new();
        m.interface("tap0").frames_rx.add(3);
        let echo = m.service("echo");
        echo.connections_open.inc();
        echo.connections_open.inc();
        echo.connections_open.dec();
        m.service("discard").bytes_rx.add(10);
        let text = m.render_prometheus();
        assert!(text.contains("appliance_interface_frames_rx_total{interface=\"tap0\"} 3\n"), "{text}");
        assert!(text.contains("# TYPE appliance_service_connections_open gauge\n"), "{text}");
        assert!(text.contains("appliance_service_connections_open{service=\"echo\"} 1\n"), "{text}");
        assert!(text.contains("appliance_service_bytes_rx_total{service=\"discard\"} 10\n"), "{text}");
        assert!(m.summary().contains("service discard: "));
    }

    #[test]
    fn serves_scrapes_over_http() {
        let m = Metrics::new();
        m.service("echo").bytes_tx.add(42);
        let addr = m.serve("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut body = String::new();
        s.read_to_string(&mut body).unwrap();
        assert!(body.starts_with("HTTP/1.1 200 OK\r\n"), "{body}");
        assert!(body.contains("appliance_service_bytes_tx_total{service=\"echo\"} 42"), "{body}");
    }
}
