//! `appliance`: run network appliances on the userspace stack or host sockets.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use appliance::config::{Config, DEFAULT_CONFIG, Overrides, StackKind};
use appliance::metrics::Metrics;
use appliance::ofp;
use appliance::runtime;
use appliance::services::dns::{self as dns_service, ZoneSource};
use appliance::stack::Shutdown;
use clap::{Args, Parser, Subcommand};

/// Network appliances on their own userspace TCP/IP stack (smoltcp) or on
/// the host's sockets.
#[derive(Parser, Debug)]
#[command(name = "appliance", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the appliance a config file describes (with none: a built-in
    /// echo + discard + iperf3 appliance on 127.0.0.1).
    Run {
        /// The TOML config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run an RFC 862 echo service (UDP and TCP) alone.
    Echo {
        /// The port.
        #[arg(long, default_value_t = 7)]
        port: u16,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run an RFC 863 discard service (UDP and TCP) alone, counting bytes.
    Discard {
        /// The port.
        #[arg(long, default_value_t = 9)]
        port: u16,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run an iperf3-compatible server alone (drive it with `iperf3 -c`).
    Iperf3 {
        /// The port.
        #[arg(long, default_value_t = 5201)]
        port: u16,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run an authoritative DNS server (UDP and TCP) on zone files; SIGHUP
    /// reloads them.
    Dns {
        /// A zone file in RFC 1035 master format (repeatable).
        #[arg(long = "zone", value_name = "FILE", required = true)]
        zones: Vec<PathBuf>,
        /// The origin of the zone file given at the same position (repeatable;
        /// default: the file's $ORIGIN, else its SOA owner, else its name
        /// less `.zone`).
        #[arg(long = "origin", value_name = "NAME")]
        origins: Vec<String>,
        /// The port (UDP and TCP).
        #[arg(long, default_value_t = 53)]
        port: u16,
        /// The largest UDP answer, whatever EDNS size a client offers.
        #[arg(long, value_name = "BYTES")]
        max_udp_payload: Option<u16>,
        /// Also serve DNS over TLS (RFC 7858) on this TCP port (usually 853).
        #[arg(long, value_name = "PORT")]
        tls_port: Option<u16>,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Serve a static site over HTTPS (HTTP/1.1 on TLS 1.3/1.2); the site is
    /// loaded into memory at start.
    Https {
        /// The document root.
        #[arg(long, value_name = "DIR")]
        root: PathBuf,
        /// The HTTPS port.
        #[arg(long, default_value_t = 443)]
        port: u16,
        /// Also listen for plain HTTP on this port and redirect every request to HTTPS.
        #[arg(long, value_name = "PORT")]
        http_port: Option<u16>,
        /// Read files from disk per request instead of loading them at start.
        #[arg(long)]
        from_disk: bool,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run an OpenFlow 1.3 controller that switches (Open vSwitch) connect to.
    Controller {
        /// The TCP port switches connect to.
        #[arg(long, default_value_t = 6653)]
        port: u16,
        /// Apps, comma-separated, in the order they see events:
        /// learning-switch, topology.
        #[arg(
            long = "app",
            value_name = "APP,...",
            value_delimiter = ',',
            default_value = "learning-switch"
        )]
        apps: Vec<String>,
        /// Seconds a learned flow stays without traffic (0: forever).
        #[arg(long, value_name = "SECONDS")]
        flow_idle_timeout: Option<u16>,
        /// Serve the northbound HTTP/JSON API on this TCP port.
        #[arg(long, value_name = "PORT")]
        api_port: Option<u16>,
        /// The local address API connections must be made to (default 127.0.0.1;
        /// 0.0.0.0: any).
        #[arg(long, value_name = "IP")]
        api_address: Option<std::net::IpAddr>,
        /// OpenFlow over TLS on this port instead of plain TCP on --port (Open
        /// vSwitch `ssl:` controllers; --client-ca checks the switches'
        /// certificates); the API is then served over TLS too.
        #[arg(long, value_name = "PORT")]
        tls_port: Option<u16>,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        net: NetArgs,
    },
    /// DNS zone file tools.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Check a config file and exit: errors name the line and key.
    CheckConfig {
        /// The TOML config file.
        file: PathBuf,
    },
    /// OpenFlow 1.3 tools.
    #[command(subcommand)]
    Ofp(OfpCommand),
}

#[derive(Subcommand, Debug)]
enum OfpCommand {
    /// Decode OpenFlow 1.3 messages and print them readably (like
    /// `ovs-ofctl ofp-print`). Exits non-zero on any decode error or, with
    /// --verify, any difference.
    Decode {
        /// Print os-ken's `to_jsondict` JSON, one message per line.
        #[arg(long)]
        json: bool,
        /// Re-encode every message and report each byte that differs.
        #[arg(long)]
        verify: bool,
        /// TCP port carrying OpenFlow in captures (repeatable; default 6653 and 6633).
        #[arg(long = "port", value_name = "PORT")]
        ports: Vec<u16>,
        /// Hex text (spaces and colons allowed; consecutive arguments are
        /// joined), or a file of raw concatenated messages, hex text, or a
        /// pcap/pcapng capture; `-` reads standard input.
        #[arg(required = true, value_name = "FILE|HEX")]
        inputs: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ZoneCommand {
    /// Check a zone file (like `nsd-checkzone`): syntax errors and semantic
    /// problems as FILE:LINE:COLUMN: message; exits non-zero on any error.
    Check {
        /// The zone file.
        file: PathBuf,
        /// The zone's origin (default: the file's $ORIGIN, else its SOA
        /// owner, else its name less `.zone`).
        #[arg(long, value_name = "NAME")]
        origin: Option<String>,
    },
}

/// Flags every appliance command takes; they override the config file.
#[derive(Args, Debug, Clone, Default)]
struct NetArgs {
    /// Which stack: `socket` (host kernel) or `tap:IFNAME` (the userspace stack).
    #[arg(long, value_name = "socket|tap:IFNAME")]
    net: Option<StackKind>,
    /// Socket stack: the IP to bind (default 127.0.0.1). Direct stack: our
    /// CIDR (default 10.0.0.2/24) or `dhcp`.
    #[arg(long)]
    addr: Option<String>,
    /// Direct stack: the IPv4 default gateway.
    #[arg(long)]
    gateway: Option<std::net::Ipv4Addr>,
    /// Direct stack: record every frame to this pcap file.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Serve Prometheus metrics on 127.0.0.1:PORT.
    #[arg(long)]
    metrics_port: Option<u16>,
    /// Run N shared-nothing instances (threads): socket stack on the same
    /// ports with SO_REUSEPORT; direct stack on N queues of a multi-queue TAP.
    #[arg(long, value_name = "N")]
    instances: Option<usize>,
}

/// Certificates and client authentication of a TLS listener.
#[derive(Args, Debug, Clone, Default)]
struct TlsArgs {
    /// A certificate chain (PEM), end entity first; repeatable, paired with
    /// --key by position; several are chosen by SNI, the first is the default.
    #[arg(long = "cert", value_name = "PEM")]
    certs: Vec<PathBuf>,
    /// The private key (PEM: PKCS#8, SEC1 or PKCS#1) of the --cert at the same position.
    #[arg(long = "key", value_name = "PEM")]
    keys: Vec<PathBuf>,
    /// With no --cert: the names a generated self-signed certificate covers
    /// (repeatable; default localhost).
    #[arg(long = "name", value_name = "NAME")]
    names: Vec<String>,
    /// Require client certificates signed by the CAs in this PEM file (mutual TLS).
    #[arg(long, value_name = "PEM")]
    client_ca: Option<PathBuf>,
}

impl TlsArgs {
    /// An error when --cert and --key do not pair up.
    fn check(&self) -> Result<(), String> {
        if self.certs.len() != self.keys.len() {
            return Err(format!(
                "{} --cert for {} --key: give each certificate its key, in the same order",
                self.certs.len(),
                self.keys.len()
            ));
        }
        Ok(())
    }

    /// The `[service.tls]` table, in the file syntax (after [`TlsArgs::check`]).
    fn table(&self) -> String {
        let mut text = String::from("[service.tls]\ncertificates = [\n");
        for (cert, key) in self.certs.iter().zip(&self.keys) {
            text += &format!(
                "  {{ cert = {}, key = {} }},\n",
                quote(&cert.to_string_lossy()),
                quote(&key.to_string_lossy())
            );
        }
        text += "]\n";
        if !self.names.is_empty() {
            let names: Vec<String> = self.names.iter().map(|n| quote(n)).collect();
            text += &format!("names = [{}]\n", names.join(", "));
        }
        if let Some(ca) = &self.client_ca {
            text += &format!("client_ca = {}\n", quote(&ca.to_string_lossy()));
        }
        text
    }
}

impl Command {
    /// The TLS flags of the commands that take them.
    fn tls(&self) -> Option<&TlsArgs> {
        match self {
            Command::Dns { tls, .. } | Command::Https { tls, .. } | Command::Controller { tls, .. } => {
                Some(tls)
            }
            _ => None,
        }
    }
}

/// A TOML string literal.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl NetArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            stack: self.net.clone(),
            addr: self.addr.clone(),
            gateway: self.gateway,
            pcap: self.pcap.as_ref().map(|p| p.display().to_string()),
            metrics_port: self.metrics_port,
            instances: self.instances,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    if let Err(e) = cli.command.tls().map_or(Ok(()), TlsArgs::check) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let (text, origin, net) = match &cli.command {
        Command::Ofp(OfpCommand::Decode { json, verify, ports, inputs }) => {
            let opts = ofp::DecodeOptions { json: *json, verify: *verify, ports: ports.clone() };
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
            return match ofp::decode_command(inputs, &opts, &mut out, &mut err) {
                Ok(summary) if summary.ok() => ExitCode::SUCCESS,
                Ok(summary) => {
                    let _ = writeln!(
                        err,
                        "{} message(s): {} decode error(s), {} re-encoding difference(s), {} input error(s)",
                        summary.messages, summary.decode_errors, summary.differences, summary.input_errors
                    );
                    ExitCode::FAILURE
                }
                // stdout closed early (e.g. piped into `head`): not our failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Zone(ZoneCommand::Check { file, origin }) => {
            return zone_check(file, origin.as_deref());
        }
        Command::CheckConfig { file } => {
            return match Config::load(file).and_then(|c| {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                c.resolve(&text, &file.display().to_string(), &Overrides::default())
            }) {
                Ok(a) => {
                    // A config is only good if its zones load too.
                    let mut zone_errors = 0;
                    for svc in &a.services {
                        if let Err(e) = svc.build(&appliance::config::HostEnv) {
                            eprintln!("error: {e}");
                            zone_errors += 1;
                        }
                    }
                    if zone_errors > 0 {
                        return ExitCode::FAILURE;
                    }
                    println!("{}: OK ({} service(s))", file.display(), a.services.len());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Run { config: Some(path), net } => match std::fs::read_to_string(path) {
            Ok(text) => (text, path.display().to_string(), net),
            Err(e) => {
                eprintln!("error: {}: cannot read: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        Command::Run { config: None, net } => (DEFAULT_CONFIG.to_string(), "<default config>".into(), net),
        Command::Echo { port, net } => (one_service("echo", *port), "<command line>".into(), net),
        Command::Discard { port, net } => (one_service("discard", *port), "<command line>".into(), net),
        Command::Iperf3 { port, net } => (one_service("iperf3", *port), "<command line>".into(), net),
        Command::Controller { port, apps, flow_idle_timeout, api_port, api_address, tls_port, tls, net } => {
            let mut text = controller_service(*port, apps, *flow_idle_timeout);
            if let Some(p) = api_port {
                text += &format!("api_port = {p}\n");
            }
            if let Some(a) = api_address {
                text += &format!("api_address = {}\n", quote(&a.to_string()));
            }
            if let Some(p) = tls_port {
                text += &format!("tls_port = {p}\n");
            }
            text += &tls.table();
            (text, "<command line>".into(), net)
        }
        Command::Dns { zones, origins, port, max_udp_payload, tls_port, tls, net } => {
            if origins.len() > zones.len() {
                eprintln!(
                    "error: {} --origin for {} --zone: each --origin names the zone given at its position",
                    origins.len(),
                    zones.len()
                );
                return ExitCode::FAILURE;
            }
            let mut text = dns_service(zones, origins, *port, *max_udp_payload);
            if let Some(tls_port) = tls_port {
                text += &format!("tls_port = {tls_port}\n");
            }
            text += &tls.table();
            (text, "<command line>".into(), net)
        }
        Command::Https { root, port, http_port, from_disk, tls, net } => {
            let mut text = format!(
                "[[service]]\nkind = \"https\"\nport = {port}\nroot = {}\nfrom_disk = {from_disk}\n",
                quote(&root.to_string_lossy())
            );
            if let Some(http_port) = http_port {
                text += &format!("http_port = {http_port}\n");
            }
            text += &tls.table();
            (text, "<command line>".into(), net)
        }
    };

    let appliance =
        match Config::parse(&text, &origin).and_then(|c| c.resolve(&text, &origin, &net.overrides())) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
    let shutdown = match Shutdown::new().and_then(|s| s.on_signals().map(|()| s)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: signal handling: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime::run(&appliance, &Metrics::new(), shutdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The config of a one-service command, in the file syntax (one code path).
fn one_service(kind: &str, port: u16) -> String {
    format!("[[service]]\nkind = \"{kind}\"\nport = {port}\n")
}

/// The config of `appliance controller`, in the file syntax.
fn controller_service(port: u16, apps: &[String], flow_idle_timeout: Option<u16>) -> String {
    let apps: Vec<toml::Value> = apps.iter().map(|a| toml::Value::String(a.trim().to_string())).collect();
    let mut text =
        format!("[[service]]\nkind = \"controller\"\nport = {port}\napps = {}\n", toml::Value::Array(apps));
    if let Some(t) = flow_idle_timeout {
        text += &format!("flow_idle_timeout = {t}\n");
    }
    text
}

/// The config of `appliance dns`, in the file syntax.
fn dns_service(zones: &[PathBuf], origins: &[String], port: u16, max_udp_payload: Option<u16>) -> String {
    let mut text = format!("[[service]]\nkind = \"dns\"\nport = {port}\n");
    if let Some(max) = max_udp_payload {
        text += &format!("max_udp_payload = {max}\n");
    }
    text += "zones = [\n";
    for (i, file) in zones.iter().enumerate() {
        text += &format!("  {{ file = {}", quote(&file.to_string_lossy()));
        if let Some(origin) = origins.get(i) {
            text += &format!(", origin = {}", quote(origin));
        }
        text += " },\n";
    }
    text + "]\n"
}

/// `appliance zone check`: every problem as FILE:LINE:COLUMN: message, like
/// `nsd-checkzone`; non-zero exit on errors (warnings alone pass).
fn zone_check(file: &std::path::Path, origin: Option<&str>) -> ExitCode {
    let source = ZoneSource { file: file.display().to_string(), origin: origin.map(str::to_string) };
    let check = dns_service::check_zone_file(&source);
    for w in &check.warnings {
        eprintln!("{w}");
    }
    for e in &check.errors {
        eprintln!("{e}");
    }
    let origin = check.origin.as_deref().unwrap_or("?");
    if check.errors.is_empty() {
        println!("zone {origin} is ok: {} record(s), {} warning(s)", check.records, check.warnings.len());
        ExitCode::SUCCESS
    } else {
        println!("zone {origin} has {} error(s), {} warning(s)", check.errors.len(), check.warnings.len());
        ExitCode::FAILURE
    }
}
