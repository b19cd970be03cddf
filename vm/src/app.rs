//! The application: the appliance its image was built from, run with the
//! same configuration code, services and direct stack as the Linux build,
//! over the platform's virtio-net device.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration as StdDuration;

use appliance::config::{Config, StackChoice};
use appliance::device::{FlushError, HostDevice};
use appliance::image::{self, BootArgs, Bundle, BundleEnv};
use appliance::metrics::Metrics;
use appliance::service::{Duration, Service};
use appliance::stack::direct::DirectStack;
use appliance::stack::direct::Ipv4Config;
use smoltcp::wire::EthernetAddress;
use tls_glue::rustls::pki_types::UnixTime;
use tls_glue::rustls::time_provider::TimeProvider;

use crate::platform::{self, Boot};

/// The bundle `cargo xtask image` baked in (empty in a plain `cargo build`).
static BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bundle.bin"));

/// How long open connections get to close after a shutdown request.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// Runs the appliance until a shutdown request, then powers off. Any error
/// at start-up is printed on the console before powering off.
pub fn run(boot: Boot) -> ! {
    if let Err(e) = serve(boot) {
        tracing::error!("cannot start: {e}");
    }
    tracing::info!("powering off");
    platform::power_off()
}

/// rustls's clock: the platform's wall clock.
#[derive(Debug)]
struct PlatformTime;

impl TimeProvider for PlatformTime {
    fn current_time(&self) -> Option<UnixTime> {
        let micros = u64::try_from(platform::now().total_micros()).ok()?;
        Some(UnixTime::since_unix_epoch(StdDuration::from_micros(micros)))
    }
}

/// virtio-net sends each frame as smoltcp hands it over: nothing to flush.
impl HostDevice for platform::NetDevice {
    fn flush(&mut self) -> Result<(), FlushError> {
        Ok(())
    }
}

fn serve(boot: Boot) -> Result<(), String> {
    let args = BootArgs::parse(boot.cmdline)?;
    let bundle = Bundle::decode(BUNDLE)?;
    let env = BundleEnv::new(&bundle, platform::random_u64, Arc::new(PlatformTime));
    let (text, origin) = (&bundle.config_text, &bundle.config_origin);
    let config = Config::parse(text, origin).map_err(|e| e.to_string())?;
    let appliance = image::resolve(config, text, origin, &args, &env).map_err(|e| e.to_string())?;
    let StackChoice::Virtio { mut direct, .. } = appliance.stack else {
        return Err("the image's stack is not the direct stack on virtio-net".to_string());
    };
    direct.mac = args.mac.unwrap_or(EthernetAddress(boot.net.mac()));
    direct.random_seed = platform::random_u64();

    let mut services: Vec<Box<dyn Service>> = Vec::new();
    for table in &appliance.services {
        services.extend(table.build(&env).map_err(|e| format!("{origin}: {e}"))?.services);
    }
    let names: Vec<String> = services.iter().map(|s| s.name().to_string()).collect();
    let metrics = Metrics::default();
    let mac = direct.mac;
    let mut net = boot.net;
    if let Ipv4Config::Static { cidr, .. } = direct.ipv4 {
        crate::announce(&mut net, mac, cidr.address());
    }
    let mut stack =
        DirectStack::new(net, direct, services, &metrics, platform::now()).map_err(|e| e.to_string())?;
    tracing::info!(
        "serving {} on virtio-net {mac}, addresses {:?}, {} MiB of RAM",
        names.join(", "),
        stack.addresses(),
        boot.ram_bytes >> 20
    );

    let mut drain_until = None;
    loop {
        let now = platform::now();
        stack.poll(now);
        if let Some(limit) = drain_until {
            if stack.is_drained() || now >= limit {
                break;
            }
        } else if platform::shutdown_requested() {
            tracing::info!("shutdown requested: closing connections");
            stack.begin_shutdown(now);
            drain_until = Some(now + DRAIN_LIMIT);
            continue;
        }
        let mut deadline = stack.poll_at(now);
        if drain_until.is_some() {
            // Closing connections need their retransmit timers looked at.
            let tick = now + Duration::from_millis(20);
            deadline = Some(deadline.map_or(tick, |d| d.min(tick)));
        }
        platform::idle_until(deadline);
    }
    Ok(())
}
