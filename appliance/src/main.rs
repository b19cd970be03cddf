//! `appliance`: run network appliances on the userspace stack or host sockets.

use std::path::PathBuf;
use std::process::ExitCode;

use appliance::config::{Config, DEFAULT_CONFIG, Overrides, StackKind};
use appliance::metrics::Metrics;
use appliance::runtime;
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
    /// Check a config file and exit: errors name the line and key.
    CheckConfig {
        /// The TOML config file.
        file: PathBuf,
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
}

impl NetArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            stack: self.net.clone(),
            addr: self.addr.clone(),
            gateway: self.gateway,
            pcap: self.pcap.clone(),
            metrics_port: self.metrics_port,
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

    let (text, origin, net) = match &cli.command {
        Command::CheckConfig { file } => {
            return match Config::load(file).and_then(|c| {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                c.resolve(&text, &file.display().to_string(), &Overrides::default())
            }) {
                Ok(a) => {
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
