//! The appliance configuration file (TOML) and its validation.
//!
//! A file describes one appliance: the network it lives on (`[net]`), an
//! optional metrics listener (`[metrics]`) and its services (`[[service]]`).
//! [`Config::parse`] checks everything a start-up would trip over, and every
//! error names the file, line and key. The CLI's flags override `[net]`.
//! Relative file paths (zones, site root, certificates, pcap) are relative
//! to the config file's directory; [`Config::resolve`] makes them so, and
//! building a service reads every file through a [`BuildEnv`] (the host's
//! files with [`HostEnv`], or a VM image's), without std if need be.
//!
//! ```toml
//! [net]
//! stack = "tap:tap0"        # or "socket" (host kernel sockets)
//! addr = "10.0.0.2/24"      # socket: IP to bind; tap: our CIDR, or "dhcp"
//! gateway = "10.0.0.1"
//!
//! [metrics]
//! port = 9100               # Prometheus text on 127.0.0.1:9100
//!
//! [[service]]
//! kind = "echo"
//! port = 7
//!
//! [[service]]
//! kind = "dns"              # authoritative DNS; SIGHUP reloads the zones
//! port = 53
//! zones = [{ file = "example.test.zone", origin = "example.test." }]
//! tls_port = 853            # DNS over TLS too (RFC 7858)
//!
//! [[service]]
//! kind = "https"            # a static site over TLS (Tls<Http>)
//! root = "site"
//! http_port = 80            # plain HTTP that redirects to HTTPS
//! [service.tls]
//! certificates = [{ cert = "site.crt", key = "site.key" }]
//!
//! [[service]]
//! kind = "controller"       # OpenFlow 1.3 controller for Open vSwitch
//! port = 6653
//! apps = ["learning-switch", "topology"]
//! api_port = 8080           # northbound HTTP/JSON API on 127.0.0.1:8080
//! # tls_port = 6654         # OpenFlow over TLS instead (API over TLS too), with
//! # [service.tls]           # client_ca = the CA of the switches' certificates
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::sync::Arc;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::str::FromStr;
#[cfg(feature = "std")]
use std::path::Path;

use serde::Deserialize;
use smoltcp::wire::{EthernetAddress, Ipv4Cidr, Ipv6Cidr};

#[cfg(feature = "std")]
pub use crate::env::HostEnv;
pub use crate::env::{BuildEnv, resolve_path};
use crate::service::Service;
use crate::services::controller::{AppKind, ControllerService, ControllerSettings};
#[cfg(feature = "std")]
use crate::services::controller_api::ApiSettings;
use crate::services::dns::{Dns, DnsSettings, ZoneLoadError, ZoneSet, ZoneSource};
#[cfg(feature = "std")]
use crate::services::http::SiteMode;
use crate::services::http::{Http, HttpOptions, Redirect, Site, SiteError};
#[cfg(feature = "std")]
use crate::services::iperf3::Iperf3;
use crate::services::{discard::Discard, echo::Echo};
use crate::stack::direct::{DirectConfig, Ipv4Config};
#[cfg(feature = "std")]
use crate::stack::socket::SocketConfig;
use crate::tls::{Tls, TlsOptions};
use openflow::apps::learning_switch::LearningConfig;
use openflow::session::SessionConfig;
use tls_glue::pem::{PemFile, PemIdentity, PemServerSettings};

/// The config used when `appliance run` is given no file: echo, discard and
/// an iperf3 server on host sockets at 127.0.0.1 (unprivileged ports).
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A whole configuration file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The network the appliance lives on.
    #[serde(default)]
    pub net: NetConfig,
    /// The optional Prometheus metrics listener.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// The services, in the order given.
    #[serde(default, rename = "service")]
    pub services: Vec<toml::Spanned<ServiceConfig>>,
}

/// `[net]`: which stack, and its addressing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    /// `socket` (host kernel sockets) or `tap:IFNAME` (the direct stack).
    #[serde(default)]
    pub stack: StackKind,
    /// Socket stack: the IP to bind (default 127.0.0.1). Direct stack: our
    /// IPv4 CIDR (default 10.0.0.2/24), or `dhcp`.
    pub addr: Option<toml::Spanned<String>>,
    /// Direct stack: the IPv4 default gateway.
    pub gateway: Option<Ipv4Addr>,
    /// Direct stack: a static IPv6 CIDR, e.g. `fd00::2/64`.
    pub addr6: Option<Cidr6>,
    /// Direct stack: the IPv6 default gateway.
    pub gateway6: Option<Ipv6Addr>,
    /// Direct stack: our MAC address (default 02:00:00:00:00:02).
    pub mac: Option<Mac>,
    /// Direct stack: the link MTU (IP bytes per frame), default 1500.
    pub mtu: Option<u16>,
    /// Direct stack: record every frame to this pcap file.
    pub pcap: Option<String>,
    /// Most TCP connections at once (default 1024).
    pub max_connections: Option<usize>,
    /// Direct stack: TCP buffer per connection and direction, bytes (default 262144).
    pub tcp_buffer: Option<usize>,
    /// Shared-nothing instances, one thread each (default 1): socket stack on
    /// the same ports through SO_REUSEPORT; direct stack on the queues of a
    /// multi-queue TAP (same MAC and addresses; static addresses only).
    pub instances: Option<usize>,
    /// Socket stack: SO_RCVBUF and SO_SNDBUF of every UDP socket, bytes
    /// (default 4194304; 0 keeps the kernel's default).
    pub udp_buffer: Option<usize>,
}

/// `[metrics]`: where Prometheus text is served.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// The port; no port, no listener.
    pub port: Option<u16>,
    /// The address to listen on (default 127.0.0.1).
    pub address: Option<IpAddr>,
}

/// One `[[service]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ServiceConfig {
    /// RFC 862 echo over UDP and TCP.
    Echo {
        /// The port (default 7).
        #[serde(default = "port_echo")]
        port: u16,
    },
    /// RFC 863 discard over UDP and TCP, counting what it swallows.
    Discard {
        /// The port (default 9).
        #[serde(default = "port_discard")]
        port: u16,
    },
    /// A server that stock `iperf3 -c` clients can drive.
    Iperf3 {
        /// The port (default 5201).
        #[serde(default = "port_iperf3")]
        port: u16,
    },
    /// An authoritative DNS server over UDP and TCP (RFC 1035, RFC 7766);
    /// its zones reload on SIGHUP.
    Dns {
        /// The port (default 53).
        #[serde(default = "port_dns")]
        port: u16,
        /// The zone files (`zones = [{ file = "...", origin = "..." }]`, or
        /// `zone = [...]`; a bare string is a file).
        #[serde(alias = "zone")]
        zones: Vec<ZoneConfig>,
        /// The largest UDP answer whatever EDNS size a client offers
        /// (default 1232; 512..=65535).
        #[serde(default = "max_udp_payload")]
        max_udp_payload: u16,
        /// Seconds a TCP connection may stay quiet before it is closed (default 10).
        #[serde(default = "tcp_idle_timeout")]
        tcp_idle_timeout: Seconds,
        /// The most TCP connections at once; beyond it new ones are closed (default 256).
        #[serde(default = "max_tcp_connections")]
        max_tcp_connections: usize,
        /// Also serve DNS over TLS (RFC 7858) on this TCP port (usually 853).
        tls_port: Option<u16>,
        /// `[service.tls]`: the DNS-over-TLS certificates.
        #[serde(default)]
        tls: TlsConfig,
    },
    /// A static site over HTTPS (`Tls<Http>`), optionally with a plain-HTTP
    /// listener that redirects to it.
    Https {
        /// The HTTPS port (default 443).
        #[serde(default = "port_https")]
        port: u16,
        /// The document root, loaded into memory at start.
        root: String,
        /// Read files from disk per request instead of loading them at start.
        #[serde(default)]
        from_disk: bool,
        /// A plain-HTTP port whose every request is redirected to HTTPS.
        http_port: Option<u16>,
        /// `[service.tls]`: certificates and client authentication.
        #[serde(default)]
        tls: TlsConfig,
    },
    /// An OpenFlow 1.3 controller that switches connect to over TCP.
    Controller {
        /// The port (default 6653).
        #[serde(default = "port_controller")]
        port: u16,
        /// The apps, in the order they see events: `learning-switch`,
        /// `topology` (default `["learning-switch"]`).
        #[serde(default = "controller_apps")]
        apps: Vec<String>,
        /// The most switches at once; beyond it new connections are closed (default 1024).
        #[serde(default = "max_switches")]
        max_switches: usize,
        /// Seconds a learned flow stays without traffic (default 60; 0: forever).
        #[serde(default = "flow_idle_timeout")]
        flow_idle_timeout: u16,
        /// Seconds of silence from a switch before we send an echo request (default 5);
        /// twice as long again without an answer and the switch is declared gone.
        #[serde(default = "echo_interval")]
        echo_interval: Seconds,
        /// Serve the northbound HTTP/JSON API on this TCP port (default: no API).
        api_port: Option<u16>,
        /// The local address API connections must be made to (default 127.0.0.1;
        /// `0.0.0.0` or `::`: any address of the stack).
        #[serde(default = "api_address")]
        api_address: IpAddr,
        /// OpenFlow over TLS on this port (`ssl:` controllers in Open vSwitch) instead
        /// of plain TCP on `port`; the API, if any, is then served over TLS too.
        tls_port: Option<u16>,
        /// `[service.tls]`: the controller's certificate and the CA that signs
        /// the switches' certificates (`client_ca`).
        #[serde(default)]
        tls: TlsConfig,
    },
}

/// `[service.tls]`: a TLS listener's certificates, client authentication
/// and limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chains and keys (PEM), chosen by SNI; the first is the
    /// default. None: a self-signed certificate for `names` (with a warning).
    #[serde(default)]
    pub certificates: Vec<CertConfig>,
    /// The names a generated self-signed certificate covers (default `localhost`).
    #[serde(default = "self_signed_names")]
    pub names: Vec<String>,
    /// Verify client certificates against the CAs in this PEM file (mutual TLS).
    pub client_ca: Option<String>,
    /// With `client_ca`: refuse clients without a certificate (default true).
    #[serde(default = "yes")]
    pub client_auth_required: bool,
    /// Seconds from accept to a finished handshake before the connection is reset (default 10).
    #[serde(default = "handshake_timeout")]
    pub handshake_timeout: Seconds,
    /// Most handshakes in progress at once; beyond it new connections are reset (default 1024).
    #[serde(default = "max_handshakes")]
    pub max_handshakes: usize,
    /// Entries of the server-side session cache (0: none; default 1024).
    #[serde(default = "session_cache")]
    pub session_cache: usize,
    /// Issue session tickets for resumption (default true).
    #[serde(default = "yes")]
    pub tickets: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            certificates: Vec::new(),
            names: self_signed_names(),
            client_ca: None,
            client_auth_required: true,
            handshake_timeout: handshake_timeout(),
            max_handshakes: max_handshakes(),
            session_cache: session_cache(),
            tickets: true,
        }
    }
}

/// One certificate chain and its private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertConfig {
    /// The chain, end entity first.
    pub cert: String,
    /// Its private key (PKCS#8, SEC1 or PKCS#1).
    pub key: String,
}

impl TlsConfig {
    /// Builds the adapter for `inner` on `port`, loading or generating the
    /// certificates; a generated one is logged as a warning.
    /// `loaded.tls` is used when set (another instance built it); else it is
    /// built here and recorded there.
    fn wrap<S: Service + 'static>(
        &self,
        inner: S,
        ports: &[u16],
        alpn: &[&[u8]],
        loaded: &mut Loaded,
        env: &dyn BuildEnv,
    ) -> Result<Box<dyn Service>, BuildError> {
        let options = TlsOptions {
            ports: ports.to_vec(),
            handshake_timeout: self.handshake_timeout.duration(),
            max_handshakes: self.max_handshakes,
            ..TlsOptions::default()
        };
        if let Some(config) = &loaded.tls {
            return Ok(Box::new(Tls::new(inner, Arc::clone(config), options)));
        }
        let read = |name: &str| -> Result<PemFile, BuildError> {
            Ok(PemFile { name: name.to_string(), pem: env.read(name).map_err(BuildError::Read)? })
        };
        let identities = if self.certificates.is_empty() {
            let (cert, key) = env.self_signed(&self.names).map_err(BuildError::SelfSigned)?;
            tracing::warn!(
                "{}: no certificate configured; serving a self-signed certificate for {} that clients will not trust",
                inner.name(),
                self.names.join(", ")
            );
            let generated =
                |what: &str, pem: String| PemFile { name: format!("<self-signed {what}>"), pem: pem.into() };
            vec![PemIdentity { cert: generated("certificate", cert), key: generated("key", key) }]
        } else {
            let files = self
                .certificates
                .iter()
                .map(|c| Ok(PemIdentity { cert: read(&c.cert)?, key: read(&c.key)? }));
            files.collect::<Result<Vec<_>, BuildError>>()?
        };
        let settings = PemServerSettings {
            identities,
            alpn: alpn.iter().map(|p| p.to_vec()).collect(),
            client_ca: self.client_ca.as_deref().map(read).transpose()?,
            client_auth_required: self.client_auth_required,
            session_cache_entries: self.session_cache,
            tickets: self.tickets,
            ..PemServerSettings::default()
        };
        let config = settings.build(env.time_provider())?;
        loaded.tls = Some(Arc::clone(&config));
        Ok(Box::new(Tls::new(inner, config, options)))
    }

    fn validate(&self) -> Result<(), (&'static str, String)> {
        let t = self.handshake_timeout.0;
        if !(t > 0.0 && t <= 600.0) {
            return Err(("tls.handshake_timeout", format!("{t} is outside 0 < seconds <= 600")));
        }
        if self.max_handshakes == 0 {
            return Err(("tls.max_handshakes", "0 would refuse every connection".into()));
        }
        if self.certificates.is_empty() && self.names.is_empty() {
            return Err(("tls.names", "no certificates and no names for a self-signed one".into()));
        }
        Ok(())
    }
}

/// Building a service failed: its zones, site or certificates.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A `dns` service's zones did not load.
    #[error("zones did not load:\n{0}")]
    Zones(#[from] ZoneLoadError),
    /// An `https` service's site did not load.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// Certificates or keys did not load.
    #[error("TLS: {0}")]
    Tls(#[from] tls_glue::pem::PemError),
    /// A certificate, key or CA file could not be read (the platform's message, with the path).
    #[error("TLS: {0}")]
    Read(String),
    /// The platform could not generate a self-signed certificate.
    #[error("TLS: generating a self-signed certificate: {0}")]
    SelfSigned(String),
    /// The service needs the host (std): `iperf3`, `from_disk`, the controller's API.
    #[error("{0} needs the std build")]
    NeedsStd(&'static str),
}

/// One zone of a `dns` service: its file and, optionally, its origin.
/// Written `{ file = "example.zone", origin = "example.com." }`, or just
/// `"example.zone"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneConfig {
    /// The zone file (RFC 1035 master format); a relative path is relative
    /// to the config file's directory (see [`resolve_path`]).
    pub file: String,
    /// The zone's origin (apex) name; when absent, the file's first
    /// `$ORIGIN`, else the owner of its SOA record, else the file name less
    /// `.zone`/`.db` (see [`crate::services::dns::ZoneSource`]).
    pub origin: Option<String>,
}

impl<'de> Deserialize<'de> for ZoneConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ZoneConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a zone file name, or a table `{ file = \"...\", origin = \"...\" }`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ZoneConfig, E> {
                Ok(ZoneConfig { file: v.into(), origin: None })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ZoneConfig, A::Error> {
                let (mut file, mut origin) = (None::<String>, None::<String>);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "file" => file = Some(map.next_value()?),
                        "origin" => origin = Some(map.next_value()?),
                        other => return Err(serde::de::Error::unknown_field(other, &["file", "origin"])),
                    }
                }
                let file = file.ok_or_else(|| serde::de::Error::missing_field("file"))?;
                Ok(ZoneConfig { file, origin })
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration in seconds, written as a number (`10`, `2.5`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl Eq for Seconds {}

impl Seconds {
    /// As a service duration (whole microseconds).
    pub fn duration(self) -> crate::service::Duration {
        crate::service::Duration::from_micros((self.0 * 1e6) as u64)
    }
}

fn port_echo() -> u16 {
    7
}
fn port_discard() -> u16 {
    9
}
fn port_iperf3() -> u16 {
    5201
}
fn port_dns() -> u16 {
    53
}
fn port_https() -> u16 {
    443
}
fn yes() -> bool {
    true
}
fn self_signed_names() -> Vec<String> {
    vec!["localhost".into()]
}
fn handshake_timeout() -> Seconds {
    Seconds(10.0)
}
fn max_handshakes() -> usize {
    1024
}
fn session_cache() -> usize {
    1024
}
fn max_udp_payload() -> u16 {
    crate::services::dns::DEFAULT_MAX_UDP_PAYLOAD
}
fn tcp_idle_timeout() -> Seconds {
    Seconds(crate::services::dns::DEFAULT_TCP_IDLE_TIMEOUT.total_millis() as f64 / 1000.0)
}
fn max_tcp_connections() -> usize {
    crate::services::dns::DEFAULT_MAX_TCP_CONNECTIONS
}
fn port_controller() -> u16 {
    crate::services::controller::DEFAULT_PORT
}
fn controller_apps() -> Vec<String> {
    vec!["learning-switch".to_string()]
}
fn max_switches() -> usize {
    crate::services::controller::DEFAULT_MAX_SWITCHES
}
fn api_address() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}
fn flow_idle_timeout() -> u16 {
    openflow::apps::learning_switch::LearningConfig::default().idle_timeout
}
fn echo_interval() -> Seconds {
    Seconds(openflow::session::SessionConfig::default().echo_interval_ms as f64 / 1000.0)
}

/// The services one `[[service]]` table runs, and what they loaded.
pub struct BuiltService {
    /// The services: one, or with TLS or a redirect listener, two.
    pub services: Vec<Box<dyn Service>>,
    /// Zones (SIGHUP reloads them), site and TLS config, for other instances to share.
    pub loaded: Loaded,
}

/// What a `[[service]]` table loads once: every socket-stack instance's copy
/// of the service serves the same zones, site and TLS config (one
/// certificate and one set of ticket keys, so a session resumes on any
/// instance, and a generated certificate is the same everywhere).
#[derive(Clone, Default)]
pub struct Loaded {
    /// A `dns` service's zones.
    pub zones: Option<Arc<ZoneSet>>,
    /// An `https` service's site.
    pub site: Option<Arc<Site>>,
    /// A TLS listener's config.
    pub tls: Option<Arc<tls_glue::rustls::ServerConfig>>,
}

impl fmt::Debug for BuiltService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.services.iter().map(|s| s.name()).collect();
        f.debug_struct("BuiltService").field("services", &names).finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// Builds the services this table describes; a `dns` service loads its
    /// zones here (every error names file:line:column), an `https` one its
    /// site and certificates.
    /// Every file is read through `env` (paths as [`Config::resolve`] left them).
    pub fn build(&self, env: &dyn BuildEnv) -> Result<BuiltService, BuildError> {
        self.build_sharing(&Loaded::default(), env)
    }

    /// [`build`](Self::build), but what `shared` holds (loaded by another
    /// stack instance's copy) is used instead of loading it again.
    pub fn build_sharing(&self, shared: &Loaded, env: &dyn BuildEnv) -> Result<BuiltService, BuildError> {
        let mut loaded = shared.clone();
        let service: Box<dyn Service> = match self {
            ServiceConfig::Echo { port } => Box::new(Echo::new(*port)),
            ServiceConfig::Discard { port } => Box::new(Discard::new(*port)),
            #[cfg(feature = "std")]
            ServiceConfig::Iperf3 { port } => Box::new(Iperf3::new(*port)),
            #[cfg(not(feature = "std"))]
            ServiceConfig::Iperf3 { .. } => return Err(BuildError::NeedsStd("iperf3")),
            ServiceConfig::Dns {
                port,
                zones,
                max_udp_payload,
                tcp_idle_timeout,
                max_tcp_connections,
                tls_port,
                tls,
            } => {
                let set = match &loaded.zones {
                    Some(set) => Arc::clone(set),
                    None => {
                        let sources = zones
                            .iter()
                            .map(|z| ZoneSource { file: z.file.clone(), origin: z.origin.clone() })
                            .collect();
                        let (set, summary) = ZoneSet::load_in(sources, env)?;
                        for w in &summary.warnings {
                            tracing::warn!("{w}");
                        }
                        tracing::info!("dns: loaded {}", summary);
                        Arc::new(set)
                    }
                };
                let settings = DnsSettings {
                    port: *port,
                    max_udp_payload: *max_udp_payload,
                    tcp_idle_timeout: tcp_idle_timeout.duration(),
                    max_tcp_connections: *max_tcp_connections,
                };
                let mut services: Vec<Box<dyn Service>> =
                    vec![Box::new(Dns::with_zones(settings, Arc::clone(&set)))];
                if let Some(tls_port) = tls_port {
                    // RFC 7858 over the same zones; "dot" is its ALPN id (RFC 8310).
                    services.push(tls.wrap(
                        Dns::with_zones(settings, Arc::clone(&set)),
                        &[*tls_port],
                        &[b"dot"],
                        &mut loaded,
                        env,
                    )?);
                }
                loaded.zones = Some(set);
                return Ok(BuiltService { services, loaded });
            }
            ServiceConfig::Https { port, root, from_disk, http_port, tls } => {
                let site = match &loaded.site {
                    Some(site) => Arc::clone(site),
                    None => {
                        #[cfg(feature = "std")]
                        let site = if *from_disk {
                            Site::load(root, SiteMode::Disk)?
                        } else {
                            Site::load_in(root, env, crate::services::http::site::DEFAULT_MEMORY_LIMIT)?
                        };
                        #[cfg(not(feature = "std"))]
                        let site = if *from_disk {
                            return Err(BuildError::NeedsStd("from_disk"));
                        } else {
                            Site::load_in(root, env, crate::services::http::site::DEFAULT_MEMORY_LIMIT)?
                        };
                        tracing::info!(
                            "https: site {} ({} file(s), {} bytes{})",
                            root,
                            site.files(),
                            site.total_bytes(),
                            if *from_disk { ", served from disk" } else { " in memory" }
                        );
                        Arc::new(site)
                    }
                };
                loaded.site = Some(Arc::clone(&site));
                let http = Http::new(site, HttpOptions { port: *port, ..HttpOptions::default() });
                let mut services = vec![tls.wrap(http, &[*port], &[b"http/1.1"], &mut loaded, env)?];
                if let Some(http_port) = http_port {
                    services.push(Box::new(Redirect::new(*http_port, *port)));
                }
                return Ok(BuiltService { services, loaded });
            }
            ServiceConfig::Controller {
                port,
                apps,
                max_switches,
                flow_idle_timeout,
                echo_interval,
                api_port,
                api_address,
                tls_port,
                tls,
            } => {
                let echo_ms = (echo_interval.0 * 1000.0) as u64;
                let settings = ControllerSettings {
                    port: *port,
                    // validate() has checked every name.
                    apps: apps.iter().filter_map(|a| a.parse::<AppKind>().ok()).collect(),
                    max_switches: *max_switches,
                    session: SessionConfig {
                        echo_interval_ms: echo_ms,
                        echo_timeout_ms: 2 * echo_ms,
                        ..SessionConfig::default()
                    },
                    learning: LearningConfig {
                        idle_timeout: *flow_idle_timeout,
                        ..LearningConfig::default()
                    },
                    #[cfg(feature = "std")]
                    api: api_port.map(|p| ApiSettings {
                        address: Some(*api_address).filter(|a| !a.is_unspecified()),
                        ..ApiSettings::new(p)
                    }),
                    ..ControllerSettings::default()
                };
                #[cfg(not(feature = "std"))]
                if api_port.is_some() {
                    return Err(BuildError::NeedsStd("the controller's api_port"));
                }
                #[cfg(not(feature = "std"))]
                let _ = api_address;
                let service = ControllerService::new(settings);
                match tls_port {
                    Some(tls_port) => {
                        let mut ports = vec![*tls_port];
                        ports.extend(*api_port);
                        tls.wrap(service, &ports, &[], &mut loaded, env)?
                    }
                    None => Box::new(service),
                }
            }
        };
        Ok(BuiltService { services: vec![service], loaded })
    }

    /// Makes every file it names relative to the config file's directory.
    fn resolve_paths(&mut self, origin: &str) {
        let tls = match self {
            ServiceConfig::Dns { zones, tls, .. } => {
                for z in zones {
                    z.file = resolve_path(origin, &z.file);
                }
                tls
            }
            ServiceConfig::Https { root, tls, .. } => {
                *root = resolve_path(origin, root);
                tls
            }
            ServiceConfig::Controller { tls, .. } => tls,
            ServiceConfig::Echo { .. } | ServiceConfig::Discard { .. } | ServiceConfig::Iperf3 { .. } => {
                return;
            }
        };
        for c in &mut tls.certificates {
            c.cert = resolve_path(origin, &c.cert);
            c.key = resolve_path(origin, &c.key);
        }
        if let Some(ca) = &mut tls.client_ca {
            *ca = resolve_path(origin, ca);
        }
    }

    /// (protocol, port) pairs this service binds.
    fn ports(&self) -> Vec<(&'static str, u16)> {
        match self {
            ServiceConfig::Echo { port }
            | ServiceConfig::Discard { port }
            | ServiceConfig::Iperf3 { port } => {
                vec![("udp", *port), ("tcp", *port)]
            }
            ServiceConfig::Dns { port, tls_port, .. } => {
                let mut ports = vec![("udp", *port), ("tcp", *port)];
                ports.extend(tls_port.map(|p| ("tcp", p)));
                ports
            }
            ServiceConfig::Https { port, http_port, .. } => {
                let mut ports = vec![("tcp", *port)];
                ports.extend(http_port.map(|p| ("tcp", p)));
                ports
            }
            ServiceConfig::Controller { port, api_port, tls_port, .. } => {
                let mut ports = vec![("tcp", tls_port.unwrap_or(*port))];
                ports.extend(api_port.map(|p| ("tcp", p)));
                ports
            }
        }
    }

    /// Checks the values no type can: what is wrong, and under which key.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if let ServiceConfig::Https { root, tls, .. } = self {
            if root.is_empty() {
                return Err(("root", "the site's `root` is empty".into()));
            }
            tls.validate()?;
        }
        if let ServiceConfig::Dns { tls_port: Some(_), tls, .. } = self {
            tls.validate()?;
        }
        if let ServiceConfig::Controller { tls_port: Some(_), tls, .. } = self {
            tls.validate()?;
        }
        if let ServiceConfig::Controller { apps, max_switches, echo_interval, .. } = self {
            if apps.is_empty() {
                return Err((
                    "apps",
                    "a controller needs at least one app (learning-switch, topology)".into(),
                ));
            }
            for app in apps {
                app.parse::<AppKind>().map_err(|e| ("apps", e))?;
            }
            if *max_switches == 0 {
                return Err(("max_switches", "0 would refuse every switch".into()));
            }
            let t = echo_interval.0;
            if !(0.1..=3600.0).contains(&t) {
                return Err(("echo_interval", format!("{t} is outside 0.1 <= seconds <= 3600")));
            }
        }
        if let ServiceConfig::Dns { zones, max_udp_payload, tcp_idle_timeout, max_tcp_connections, .. } = self
        {
            if zones.is_empty() {
                return Err(("zones", "a dns service needs at least one zone file".into()));
            }
            if *max_udp_payload < 512 {
                return Err((
                    "max_udp_payload",
                    format!("{max_udp_payload} is below 512, the size every DNS client accepts"),
                ));
            }
            let t = tcp_idle_timeout.0;
            if !(t > 0.0 && t <= 3600.0) {
                return Err(("tcp_idle_timeout", format!("{t} is outside 0 < seconds <= 3600")));
            }
            if *max_tcp_connections == 0 {
                return Err(("max_tcp_connections", "0 would refuse every TCP connection".into()));
            }
            for z in zones {
                if z.file.is_empty() {
                    return Err(("zones", "a zone `file` is empty".into()));
                }
            }
        }
        Ok(())
    }
}

/// `socket`, `tap:IFNAME` or `virtio`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StackKind {
    /// The host kernel's sockets.
    #[default]
    Socket,
    /// The direct (smoltcp) stack on a TAP interface of this name.
    Tap(String),
    /// The direct stack on a VM image's virtio-net device (see [`crate::image`]).
    Virtio,
}

impl FromStr for StackKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "socket" => Ok(StackKind::Socket),
            None if s == "virtio" => Ok(StackKind::Virtio),
            Some(("tap", name)) if !name.is_empty() && name.len() < 16 && !name.contains(['/', ' ']) => {
                Ok(StackKind::Tap(name.to_string()))
            }
            Some(("tap", _)) => {
                Err(format!("`{s}`: a TAP interface name is 1 to 15 characters, no '/' or spaces"))
            }
            _ => Err(format!("`{s}` is not a stack: use `socket`, `tap:IFNAME` or `virtio` (in a VM image)")),
        }
    }
}

impl fmt::Display for StackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackKind::Socket => f.write_str("socket"),
            StackKind::Tap(name) => write!(f, "tap:{name}"),
            StackKind::Virtio => f.write_str("virtio"),
        }
    }
}

/// Deserializes a value through its `FromStr`, so that the TOML error
/// carries the line of the bad value.
macro_rules! from_str_deserialize {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
from_str_deserialize!(StackKind);

/// An IPv6 address with prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr6(pub Ipv6Cidr);

impl FromStr for Cidr6 {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, len) =
            s.split_once('/').ok_or_else(|| format!("`{s}`: expected ADDRESS/PREFIX, e.g. fd00::2/64"))?;
        let addr: Ipv6Addr = addr.parse().map_err(|_| format!("`{addr}` is not an IPv6 address"))?;
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 128)
            .ok_or_else(|| format!("`{len}`: prefix length is 0 to 128"))?;
        Ok(Cidr6(Ipv6Cidr::new(addr, len)))
    }
}
from_str_deserialize!(Cidr6);

/// An Ethernet address written `02:00:00:00:00:02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub EthernetAddress);

impl FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut bytes = [0u8; 6];
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 6 {
            return Err(format!("`{s}`: expected six hex bytes like 02:00:00:00:00:02"));
        }
        for (b, p) in bytes.iter_mut().zip(parts) {
            *b = u8::from_str_radix(p, 16).map_err(|_| format!("`{s}`: `{p}` is not a hex byte"))?;
        }
        let mac = EthernetAddress(bytes);
        if !mac.is_unicast() {
            return Err(format!("`{s}` is a multicast address; the stack needs a unicast one"));
        }
        Ok(Mac(mac))
    }
}
from_str_deserialize!(Mac);

/// Parses an IPv4 CIDR like `10.0.0.2/24`.
pub fn parse_cidr4(s: &str) -> Result<Ipv4Cidr, String> {
    let (addr, len) =
        s.split_once('/').ok_or_else(|| format!("`{s}`: expected ADDRESS/PREFIX, e.g. 10.0.0.2/24"))?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| format!("`{addr}` is not an IPv4 address"))?;
    let len: u8 =
        len.parse().ok().filter(|l| *l <= 32).ok_or_else(|| format!("`{len}`: prefix length is 0 to 32"))?;
    Ok(Ipv4Cidr::new(addr, len))
}

/// A configuration error: where, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or `<default config>` / `<command line>`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key, e.g. `net.addr` or `service[2].port`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl core::error::Error for ConfigError {}

/// Which stack to run, fully resolved.
#[derive(Debug, Clone)]
pub enum StackChoice {
    /// Host kernel sockets.
    #[cfg(feature = "std")]
    Socket(SocketConfig),
    /// The direct stack on a TAP interface.
    Tap {
        /// The interface name.
        interface: String,
        /// The link MTU.
        mtu: usize,
        /// The stack's settings.
        direct: DirectConfig,
        /// Where to record frames, if anywhere.
        pcap: Option<String>,
        /// Direct-stack instances, one per TAP queue (1: a single-queue TAP).
        instances: usize,
    },
    /// The direct stack on a VM image's virtio-net device.
    Virtio {
        /// The link MTU.
        mtu: usize,
        /// The stack's settings (the MAC is the device's unless configured).
        direct: DirectConfig,
    },
}

/// A validated appliance: everything needed to start it.
#[derive(Debug, Clone)]
pub struct Appliance {
    /// The stack and its settings.
    pub stack: StackChoice,
    /// Where to serve metrics, if anywhere.
    pub metrics: Option<SocketAddr>,
    /// The services.
    pub services: Vec<ServiceConfig>,
}

/// Command-line values that override `[net]` and `[metrics]`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--net`.
    pub stack: Option<StackKind>,
    /// `--addr`.
    pub addr: Option<String>,
    /// `--gateway`.
    pub gateway: Option<Ipv4Addr>,
    /// `--pcap`.
    pub pcap: Option<String>,
    /// `--metrics-port`.
    pub metrics_port: Option<u16>,
    /// `--instances`.
    pub instances: Option<usize>,
}

impl Config {
    /// Parses `text` (from `origin`, for messages) without semantic checks.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            ConfigError { origin: origin.to_string(), line, key: None, message: e.message().to_string() }
        })
    }

    /// Reads and parses a file.
    #[cfg(feature = "std")]
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            line: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(&text, &origin)
    }

    /// Checks the whole configuration, applies `overrides`, and resolves it
    /// into an [`Appliance`] on the host ([`HostEnv`]'s randomness).
    #[cfg(feature = "std")]
    pub fn resolve(self, text: &str, origin: &str, overrides: &Overrides) -> Result<Appliance, ConfigError> {
        self.resolve_in(text, origin, overrides, &HostEnv)
    }

    /// Checks the whole configuration, applies `overrides`, and resolves it
    /// into an [`Appliance`]. `text` is the source, for line numbers;
    /// `origin` its file, against whose directory relative paths are
    /// resolved ([`resolve_path`]); `env` seeds the direct stack.
    pub fn resolve_in(
        mut self,
        text: &str,
        origin: &str,
        overrides: &Overrides,
        env: &dyn BuildEnv,
    ) -> Result<Appliance, ConfigError> {
        let err = |span: Option<core::ops::Range<usize>>, key: &str, message: String| ConfigError {
            origin: origin.to_string(),
            line: span.map(|s| line_of(text, s.start)),
            key: Some(key.to_string()),
            message,
        };
        if let Some(stack) = &overrides.stack {
            self.net.stack = stack.clone();
        }
        let addr_span = self.net.addr.as_ref().map(|a| a.span());
        let addr = overrides.addr.clone().or_else(|| self.net.addr.as_ref().map(|a| a.get_ref().clone()));
        // A value from the command line has no line in the file.
        let addr_span = if overrides.addr.is_some() { None } else { addr_span };
        let gateway = overrides.gateway.or(self.net.gateway);

        if self.services.is_empty() {
            return Err(err(
                None,
                "service",
                "no [[service]] is configured: the appliance would do nothing".into(),
            ));
        }
        let mut seen: Vec<((&str, u16), usize)> = Vec::new();
        for (i, svc) in self.services.iter().enumerate() {
            if let Err((key, message)) = svc.get_ref().validate() {
                return Err(err(Some(svc.span()), &format!("service[{i}].{key}"), message));
            }
            for key in svc.get_ref().ports() {
                if key.1 == 0 {
                    return Err(err(
                        Some(svc.span()),
                        &format!("service[{i}].port"),
                        "port 0 is not a port to serve on".into(),
                    ));
                }
                if let Some((_, j)) = seen.iter().find(|(k, _)| *k == key) {
                    return Err(err(
                        Some(svc.span()),
                        &format!("service[{i}].port"),
                        format!("{} port {} is already used by service[{j}]", key.0, key.1),
                    ));
                }
                seen.push((key, i));
            }
        }

        let stack = match &self.net.stack {
            #[cfg(not(feature = "std"))]
            StackKind::Socket => {
                return Err(err(None, "net.stack", "the socket stack needs the std build".into()));
            }
            #[cfg(feature = "std")]
            StackKind::Socket => {
                let ip = match &addr {
                    None => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    Some(a) => a.parse().map_err(|_| {
                        err(
                            addr_span.clone(),
                            "net.addr",
                            format!("`{a}` is not an IP address to bind (socket stack)"),
                        )
                    })?,
                };
                for (key, set) in [
                    ("net.gateway", gateway.is_some()),
                    ("net.addr6", self.net.addr6.is_some()),
                    ("net.gateway6", self.net.gateway6.is_some()),
                    ("net.mac", self.net.mac.is_some()),
                    ("net.mtu", self.net.mtu.is_some()),
                    ("net.pcap", self.net.pcap.is_some() || overrides.pcap.is_some()),
                    ("net.tcp_buffer", self.net.tcp_buffer.is_some()),
                ] {
                    if set {
                        return Err(err(
                            None,
                            key,
                            "applies to the direct stack only (`stack = \"tap:IFNAME\"`)".into(),
                        ));
                    }
                }
                let mut config = SocketConfig { addr: ip, ..SocketConfig::default() };
                if let Some(max) = self.net.max_connections {
                    config.max_connections = max;
                }
                if let Some(n) = overrides.instances.or(self.net.instances) {
                    if !(1..=256).contains(&n) {
                        return Err(err(None, "net.instances", format!("{n} is outside 1..=256")));
                    }
                    config.instances = n;
                }
                if let Some(bytes) = self.net.udp_buffer {
                    if bytes > (1 << 30) {
                        return Err(err(None, "net.udp_buffer", format!("{bytes} is above 1073741824")));
                    }
                    config.udp_rcvbuf = bytes;
                    config.udp_sndbuf = bytes;
                }
                StackChoice::Socket(config)
            }
            StackKind::Tap(_) | StackKind::Virtio => {
                let virtio = self.net.stack == StackKind::Virtio;
                // A VM image's default is DHCP: QEMU's user-mode network works as is.
                let default_addr = if virtio { "dhcp" } else { "10.0.0.2/24" };
                let ipv4 = match addr.as_deref().unwrap_or(default_addr) {
                    "dhcp" => {
                        if gateway.is_some() {
                            return Err(err(
                                None,
                                "net.gateway",
                                "comes from DHCP when `addr = \"dhcp\"`".into(),
                            ));
                        }
                        Ipv4Config::Dhcp
                    }
                    a => {
                        let cidr = parse_cidr4(a).map_err(|m| err(addr_span.clone(), "net.addr", m))?;
                        if let Some(gw) = gateway
                            && !cidr.contains_addr(&gw)
                        {
                            return Err(err(None, "net.gateway", format!("{gw} is not inside {cidr}")));
                        }
                        Ipv4Config::Static { cidr, gateway }
                    }
                };
                let instances = overrides.instances.or(self.net.instances).unwrap_or(1);
                if !(1..=256).contains(&instances) {
                    return Err(err(None, "net.instances", format!("{instances} is outside 1..=256")));
                }
                if instances > 1 && ipv4 == Ipv4Config::Dhcp {
                    return Err(err(None, "net.instances", "needs a static `addr`, not DHCP".into()));
                }
                for (key, set) in [("net.udp_buffer", self.net.udp_buffer.is_some())] {
                    if set {
                        return Err(err(
                            None,
                            key,
                            "applies to the socket stack only (`stack = \"socket\"`)".into(),
                        ));
                    }
                }
                let mtu = usize::from(self.net.mtu.unwrap_or(1500));
                if !(576..=9000).contains(&mtu) {
                    return Err(err(None, "net.mtu", format!("{mtu} is outside 576..=9000")));
                }
                let mut direct = DirectConfig {
                    ipv4,
                    ipv6: self.net.addr6.map(|c| (c.0, self.net.gateway6)),
                    random_seed: env.random_u64(),
                    ..DirectConfig::default()
                };
                if let Some(mac) = self.net.mac {
                    direct.mac = mac.0;
                }
                if let Some(max) = self.net.max_connections {
                    direct.max_connections = max;
                }
                if let Some(buf) = self.net.tcp_buffer {
                    if !(4096..=(16 << 20)).contains(&buf) {
                        return Err(err(None, "net.tcp_buffer", format!("{buf} is outside 4096..=16777216")));
                    }
                    direct.tcp_rx_buffer = buf;
                    direct.tcp_tx_buffer = buf;
                }
                // A path from the command line is the user's, relative to the working directory.
                let pcap =
                    overrides.pcap.clone().or(self.net.pcap.as_deref().map(|p| resolve_path(origin, p)));
                if instances > 1 && pcap.is_some() {
                    return Err(err(
                        None,
                        "net.pcap",
                        "records one instance only: use `instances = 1`".into(),
                    ));
                }
                match &self.net.stack {
                    StackKind::Tap(interface) => {
                        StackChoice::Tap { interface: interface.clone(), mtu, direct, pcap, instances }
                    }
                    _ if pcap.is_some() => {
                        return Err(err(
                            None,
                            "net.pcap",
                            "a VM image has no file system to record to".into(),
                        ));
                    }
                    _ if instances > 1 => {
                        return Err(err(None, "net.instances", "a VM image runs one instance".into()));
                    }
                    _ => StackChoice::Virtio { mtu, direct },
                }
            }
        };
        let instances = match &stack {
            #[cfg(feature = "std")]
            StackChoice::Socket(c) => c.instances,
            StackChoice::Tap { instances, .. } => *instances,
            StackChoice::Virtio { .. } => 1,
        };
        if instances > 1
            && let Some((i, svc)) = self
                .services
                .iter()
                .enumerate()
                .find(|(_, s)| matches!(s.get_ref(), ServiceConfig::Iperf3 { .. }))
        {
            return Err(err(
                Some(svc.span()),
                &format!("service[{i}].kind"),
                "iperf3 keeps a test's state in one instance, but the test's connections may reach \
                 different instances: run it with `instances = 1`"
                    .into(),
            ));
        }

        let metrics_port = overrides.metrics_port.or(self.metrics.port);
        let metrics = metrics_port.map(|port| {
            SocketAddr::new(self.metrics.address.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)), port)
        });
        Ok(Appliance {
            stack,
            metrics,
            services: self
                .services
                .into_iter()
                .map(|s| {
                    let mut s = s.into_inner();
                    s.resolve_paths(origin);
                    s
                })
                .collect(),
        })
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<Appliance, ConfigError> {
        Config::parse(text, "t.toml")?.resolve(text, "t.toml", &Overrides::default())
    }

    #[test]
    fn socket_instances_and_udp_buffer_are_socket_stack_settings() {
        let text = "[net]\nstack = \"socket\"\ninstances = 4\nudp_buffer = 1048576\n\n[[service]]\nkind = \"echo\"\n";
        let a = resolve(text).unwrap();
        let StackChoice::Socket(c) = a.stack else { panic!("socket stack expected") };
        assert_eq!((c.instances, c.udp_rcvbuf, c.udp_sndbuf), (4, 1 << 20, 1 << 20));
        let over = Overrides { instances: Some(2), ..Overrides::default() };
        let a = Config::parse(text, "t").unwrap().resolve(text, "t", &over).unwrap();
        assert!(matches!(a.stack, StackChoice::Socket(ref c) if c.instances == 2), "the flag wins");
        let e = resolve("[net]\ninstances = 0\n\n[[service]]\nkind = \"echo\"\n").unwrap_err();
        assert!(e.to_string().contains("net.instances"), "{e}");
        let e = resolve("[net]\nstack = \"tap:t0\"\nudp_buffer = 65536\n\n[[service]]\nkind = \"echo\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("socket stack only"), "{e}");
    }

    #[test]
    fn iperf3_refuses_instances() {
        for stack in ["socket", "tap:t0"] {
            let text =
                format!("[net]\nstack = \"{stack}\"\ninstances = 2\n\n[[service]]\nkind = \"iperf3\"\n");
            let e = resolve(&text).unwrap_err();
            assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("service[0].kind")), "{e}");
        }
    }

    #[test]
    fn tap_instances_are_queues_with_static_addresses() {
        let a =
            resolve("[net]\nstack = \"tap:t0\"\ninstances = 2\n\n[[service]]\nkind = \"echo\"\n").unwrap();
        assert!(matches!(a.stack, StackChoice::Tap { instances: 2, .. }));
        let e = resolve(
            "[net]\nstack = \"tap:t0\"\naddr = \"dhcp\"\ninstances = 2\n\n[[service]]\nkind = \"echo\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("DHCP"), "{e}");
        let e = resolve("[net]\nstack = \"tap:t0\"\ninstances = 0\n\n[[service]]\nkind = \"echo\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("outside 1..=256"), "{e}");
    }

    #[test]
    fn default_config_is_valid_and_uses_sockets() {
        let a = resolve(DEFAULT_CONFIG).unwrap();
        assert!(matches!(a.stack, StackChoice::Socket(ref c) if c.addr == IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(a.services.len() >= 2);
    }

    #[test]
    fn tap_stack_with_static_addresses() {
        let a = resolve(
            "[net]\nstack = \"tap:tap0\"\naddr = \"10.1.0.2/24\"\ngateway = \"10.1.0.1\"\naddr6 = \"fd00::2/64\"\n\
             [[service]]\nkind = \"echo\"\nport = 7\n",
        )
        .unwrap();
        let StackChoice::Tap { interface, direct, mtu, .. } = a.stack else { panic!("not tap") };
        assert_eq!(interface, "tap0");
        assert_eq!(mtu, 1500);
        assert_eq!(
            direct.ipv4,
            Ipv4Config::Static {
                cidr: Ipv4Cidr::new(Ipv4Addr::new(10, 1, 0, 2), 24),
                gateway: Some(Ipv4Addr::new(10, 1, 0, 1))
            }
        );
        assert_eq!(direct.ipv6.map(|(c, _)| c.prefix_len()), Some(64));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = resolve("[net]\nstack = \"socket\"\n\n[[service]]\nkind = \"echo\"\nprot = 7\n").unwrap_err();
        // serde buffers tagged enums, so the line is that of the table holding the key.
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().contains("prot"), "{e}");

        let e =
            resolve("[net]\nstack = \"tap:tap0\"\naddr = \"10.0.0.300/24\"\n[[service]]\nkind = \"echo\"\n")
                .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("net.addr")), "{e}");

        let e = resolve("[net]\nstack = \"tcp\"\n[[service]]\nkind = \"echo\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().contains("`socket`, `tap:IFNAME` or `virtio`"), "{e}");

        let e =
            resolve("[[service]]\nkind = \"echo\"\nport = 7\n[[service]]\nkind = \"discard\"\nport = 7\n")
                .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("service[1].port")), "{e}");

        let e = resolve("[[service]]\nkind = \"gopher\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");

        let e = resolve("[net]\ngateway = \"10.0.0.1\"\n[[service]]\nkind = \"echo\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("net.gateway"), "{e}");

        let e = resolve("").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service"), "{e}");
    }

    #[test]
    fn command_line_overrides_the_file() {
        let text = "[[service]]\nkind = \"echo\"\n";
        let overrides = Overrides {
            stack: Some("tap:tap9".parse().unwrap()),
            addr: Some("dhcp".into()),
            metrics_port: Some(9100),
            ..Overrides::default()
        };
        let a = Config::parse(text, "t").unwrap().resolve(text, "t", &overrides).unwrap();
        assert!(matches!(a.stack, StackChoice::Tap { ref interface, ref direct, .. }
            if interface == "tap9" && direct.ipv4 == Ipv4Config::Dhcp));
        assert_eq!(a.metrics, Some("127.0.0.1:9100".parse().unwrap()));
    }

    #[test]
    fn dns_service_zones_and_defaults() {
        let a = resolve(
            "[[service]]\nkind = \"dns\"\nport = 5353\n\
             zones = [{ file = \"a.zone\", origin = \"a.test.\" }, \"db.b.test\"]\n",
        )
        .unwrap();
        let ServiceConfig::Dns {
            port, zones, max_udp_payload, tcp_idle_timeout, max_tcp_connections, ..
        } = &a.services[0]
        else {
            panic!("not dns: {:?}", a.services[0]);
        };
        assert_eq!(*port, 5353);
        assert_eq!(
            zones,
            &vec![
                ZoneConfig { file: "a.zone".into(), origin: Some("a.test.".into()) },
                ZoneConfig { file: "db.b.test".into(), origin: None },
            ]
        );
        assert_eq!((*max_udp_payload, *max_tcp_connections), (1232, 256));
        assert_eq!(tcp_idle_timeout.duration(), crate::service::Duration::from_secs(10));

        let a = resolve(
            "[[service]]\nkind = \"dns\"\nzone = [\"x.zone\"]\ntcp_idle_timeout = 2.5\nmax_udp_payload = 4096\n",
        )
        .unwrap();
        let ServiceConfig::Dns { port, tcp_idle_timeout, max_udp_payload, .. } = &a.services[0] else {
            panic!("not dns");
        };
        assert_eq!((*port, *max_udp_payload), (53, 4096));
        assert_eq!(tcp_idle_timeout.duration(), crate::service::Duration::from_millis(2500));
    }

    #[test]
    fn dns_service_errors_name_line_and_key() {
        let e = resolve("[net]\n[[service]]\nkind = \"dns\"\nzones = []\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("service[0].zones")), "{e}");
        let e = resolve("[[service]]\nkind = \"dns\"\nzones = [\"a\"]\nmax_udp_payload = 511\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].max_udp_payload"), "{e}");
        let e = resolve("[[service]]\nkind = \"dns\"\nzones = [\"a\"]\ntcp_idle_timeout = -1\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].tcp_idle_timeout"), "{e}");
        let e =
            resolve("[[service]]\nkind = \"dns\"\nzones = [\"a\"]\nmax_tcp_connections = 0\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].max_tcp_connections"), "{e}");
        let e =
            resolve("[[service]]\nkind = \"dns\"\nzones = [{ file = \"a\", orign = \"x\" }]\n").unwrap_err();
        assert!(e.to_string().contains("orign"), "{e}");
        let e = resolve("[[service]]\nkind = \"dns\"\nzones = [{ origin = \"x\" }]\n").unwrap_err();
        assert!(e.to_string().contains("file"), "{e}");
        let e = resolve("[[service]]\nkind = \"dns\"\n").unwrap_err();
        assert!(e.to_string().contains("zones"), "{e}");
        let e = resolve(
            "[[service]]\nkind = \"dns\"\nport = 7\nzones = [\"a\"]\n[[service]]\nkind = \"echo\"\nport = 7\n",
        )
        .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[1].port"), "{e}");
    }

    #[test]
    fn https_and_dns_over_tls_sections() {
        let a = resolve(
            "[[service]]\nkind = \"https\"\nroot = \"site\"\nhttp_port = 8080\n\
             [service.tls]\ncertificates = [{ cert = \"a.crt\", key = \"a.key\" }]\nhandshake_timeout = 5\n\
             [[service]]\nkind = \"dns\"\nzones = [\"a\"]\ntls_port = 853\n",
        )
        .unwrap();
        let ServiceConfig::Https { port, root, http_port, tls, from_disk } = &a.services[0] else {
            panic!("not https: {:?}", a.services[0]);
        };
        assert_eq!(
            (*port, Some(root.as_str()), *http_port, *from_disk),
            (443, Some("site"), Some(8080), false)
        );
        assert_eq!(tls.certificates, [CertConfig { cert: "a.crt".into(), key: "a.key".into() }]);
        assert_eq!(
            (tls.handshake_timeout, tls.names.as_slice()),
            (Seconds(5.0), &["localhost".to_string()][..])
        );
        assert!(matches!(&a.services[1], ServiceConfig::Dns { tls_port: Some(853), .. }));

        // Port clashes across the TLS and redirect listeners, bad TLS values, unknown keys.
        let e = resolve("[[service]]\nkind = \"https\"\nroot = \"s\"\nport = 8443\nhttp_port = 8443\n")
            .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].port"), "{e}");
        let e = resolve("[[service]]\nkind = \"dns\"\nzones = [\"a\"]\ntls_port = 53\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].port"), "{e}");
        let e =
            resolve("[[service]]\nkind = \"https\"\nroot = \"s\"\n[service.tls]\nhandshake_timeout = 0\n")
                .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].tls.handshake_timeout"), "{e}");
        let e = resolve("[[service]]\nkind = \"https\"\nroot = \"s\"\n[service.tls]\ncert = \"x\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("cert"), "{e}");
        let e = resolve("[[service]]\nkind = \"https\"\n").unwrap_err();
        assert!(e.to_string().contains("root"), "{e}");
    }

    #[test]
    fn controller_service_defaults_and_errors() {
        let a = resolve("[[service]]\nkind = \"controller\"\n").unwrap();
        let ServiceConfig::Controller { port, apps, max_switches, flow_idle_timeout, echo_interval, .. } =
            &a.services[0]
        else {
            panic!("not a controller: {:?}", a.services[0]);
        };
        assert_eq!(
            (*port, apps.as_slice(), *max_switches),
            (6653, &["learning-switch".to_string()][..], 1024)
        );
        assert_eq!((*flow_idle_timeout, echo_interval.0), (60, 5.0));
        assert_eq!(a.services[0].build(&HostEnv).unwrap().services[0].name(), "controller");
        let a = resolve("[[service]]\nkind = \"controller\"\napps = [\"learning-switch\", \"topology\"]\n")
            .unwrap();
        assert!(matches!(&a.services[0], ServiceConfig::Controller { apps, .. } if apps.len() == 2));
        // TCP only: a UDP service may share the port number.
        resolve("[[service]]\nkind = \"controller\"\nport = 7\n").unwrap();
        let e = resolve("[[service]]\nkind = \"controller\"\napps = [\"hub\"]\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].apps"), "{e}");
        assert!(e.to_string().contains("hub"), "{e}");
        let e = resolve("[[service]]\nkind = \"controller\"\napps = []\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].apps"), "{e}");
        let e = resolve("[[service]]\nkind = \"controller\"\necho_interval = 0\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].echo_interval"), "{e}");
    }

    #[test]
    fn controller_api_and_tls() {
        // The API shares the controller service: one service, two ports.
        let a = resolve("[[service]]\nkind = \"controller\"\napi_port = 8080\n").unwrap();
        let built = a.services[0].build(&HostEnv).unwrap();
        assert_eq!(built.services.len(), 1);
        assert_eq!(built.services[0].listen().tcp, [6653, 8080]);
        let ServiceConfig::Controller { api_address, .. } = &a.services[0] else { panic!() };
        assert_eq!(*api_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let e = resolve("[[service]]\nkind = \"controller\"\napi_port = 6653\n").unwrap_err();
        assert!(e.to_string().contains("6653"), "{e}");
        let e = resolve("[[service]]\nkind = \"controller\"\napi_address = \"nowhere\"\n").unwrap_err();
        assert!(e.to_string().contains("invalid IP address"), "{e}");
        // OpenFlow over TLS (and the API with it): Tls<ControllerService> on both ports.
        let a = resolve(
            "[[service]]\nkind = \"controller\"\ntls_port = 6654\napi_port = 8443\n\
             [service.tls]\nnames = [\"ctl.test\"]\n",
        )
        .unwrap();
        let built = a.services[0].build(&HostEnv).unwrap();
        assert_eq!(built.services[0].name(), "tls+controller");
        assert_eq!(built.services[0].listen().tcp, [6654, 8443]);
        let e = resolve(
            "[[service]]\nkind = \"controller\"\ntls_port = 6654\n[service.tls]\nmax_handshakes = 0\n",
        )
        .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service[0].tls.max_handshakes"), "{e}");
    }

    #[test]
    fn stack_and_mac_syntax() {
        assert_eq!("socket".parse::<StackKind>(), Ok(StackKind::Socket));
        assert!("tap:".parse::<StackKind>().is_err());
        assert!("tap:waytoolonginterfacename".parse::<StackKind>().is_err());
        assert!("01:00:5e:00:00:01".parse::<Mac>().is_err());
        assert_eq!("02:00:00:00:00:0a".parse::<Mac>().unwrap().0, EthernetAddress([2, 0, 0, 0, 0, 10]));
    }
}
