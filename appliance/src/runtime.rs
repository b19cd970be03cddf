//! Builds a configured appliance and runs it until SIGINT/SIGTERM.
//!
//! The stack runs on the calling thread (instance 0; further instances, the
//! socket stack's SO_REUSEPORT twins or the direct stack's TAP queues, on
//! threads of their own, stopped with it). The direct stack's loop sleeps in
//! `mio::Poll` until the device's fd is readable, the shutdown fires, or the
//! next deadline (smoltcp's `poll_at`, service timers) comes: an idle
//! appliance uses no CPU. On shutdown, services say goodbye, connections are
//! closed (bounded in time), the capture file is flushed and the counters
//! are logged. With a `dns` service, SIGHUP reloads its zones on a thread of
//! its own and swaps them in atomically (a zone that fails keeps the old
//! ones serving).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::config::{Appliance, HostEnv, Loaded, StackChoice};
use crate::device::HostDevice;
use crate::device::counted::Counted;
use crate::device::pcap::Pcap;
use crate::device::tap::TapDevice;
use crate::metrics::Metrics;
use crate::service::{Duration, Service};
use crate::services::dns::ZoneSet;
use crate::stack::direct::{DirectConfig, DirectStack};
use crate::stack::socket::{Proto, run_instances};
use crate::stack::{Clock, Shutdown};

/// Why an appliance could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Opening the device, binding a socket, or polling failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: io::Error,
    },
    /// The direct stack refused the configuration.
    #[error(transparent)]
    Direct(#[from] crate::stack::direct::DirectError),
    /// A service could not be built: zones, site or certificates.
    #[error(transparent)]
    Build(#[from] crate::config::BuildError),
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> RuntimeError {
    let context = context.into();
    move |source| RuntimeError::Io { context, source }
}

/// How long a graceful stop may take before the rest is dropped.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// Runs `appliance` until `shutdown` fires. Counters go to `metrics`.
pub fn run(appliance: &Appliance, metrics: &Arc<Metrics>, shutdown: Shutdown) -> Result<(), RuntimeError> {
    if let Some(addr) = appliance.metrics {
        let bound = metrics.serve(addr).map_err(io_err(format!("metrics: bind {addr}")))?;
        tracing::info!("metrics at http://{bound}/metrics");
    }
    let mut services: Vec<Box<dyn Service>> = Vec::with_capacity(appliance.services.len());
    let mut zone_sets = Vec::new();
    // Per service table: what it loaded, shared by every socket stack instance.
    let mut shared: Vec<Loaded> = Vec::with_capacity(appliance.services.len());
    for config in &appliance.services {
        let built = config.build(&HostEnv)?;
        services.extend(built.services);
        zone_sets.extend(built.loaded.zones.clone());
        shared.push(built.loaded);
    }
    // Dropped (thread stopped) when this function returns.
    let _reloader = Reloader::start(zone_sets).map_err(io_err("SIGHUP handler"))?;
    let names: Vec<String> = services.iter().map(|s| s.name().to_string()).collect();
    // Instance 0 takes the services built above; the others build their
    // own on their threads, sharing zones, site and TLS config.
    let build = |_instance: usize| -> io::Result<Vec<Box<dyn Service>>> {
        appliance
            .services
            .iter()
            .zip(&shared)
            .map(|(config, loaded)| {
                config.build_sharing(loaded, &HostEnv).map(|b| b.services).map_err(io::Error::other)
            })
            .collect::<io::Result<Vec<_>>>()
            .map(|per_table| per_table.into_iter().flatten().collect())
    };
    let result = match &appliance.stack {
        StackChoice::Socket(config) => {
            let log_bound = |bound: &[(String, Proto, std::net::SocketAddr)]| {
                for (service, proto, addr) in bound {
                    tracing::info!("{service}: {proto:?} {addr}");
                }
                if config.instances > 1 {
                    tracing::info!("socket stack: {} instances (SO_REUSEPORT)", config.instances);
                }
            };
            run_instances(config, services, build, metrics, shutdown, log_bound)
                .map_err(io_err("socket stack"))
        }
        StackChoice::Virtio { .. } => Err(RuntimeError::Io {
            context: "stack virtio".into(),
            source: io::Error::new(
                io::ErrorKind::Unsupported,
                "runs only in a VM image: build one with `cargo xtask image --config FILE --out FILE.elf`",
            ),
        }),
        StackChoice::Tap { interface, mtu, direct, pcap: _, instances } if *instances > 1 => {
            let counters = metrics.interface(interface);
            let devices: Vec<_> = TapDevice::open_queues(interface, *mtu, *instances)
                .map_err(io_err(format!("tap {interface}")))?
                .into_iter()
                .map(|tap| Counted::new(tap.with_counters(Arc::clone(&counters)), Arc::clone(&counters)))
                .collect();
            tracing::info!(%interface, mac = %direct.mac, ipv4 = ?direct.ipv4, ipv6 = ?direct.ipv6, instances, "direct stack, multi-queue TAP");
            run_direct_instances(devices, direct, services, &build, metrics, shutdown)
        }
        StackChoice::Tap { interface, mtu, direct, pcap, .. } => {
            let counters = metrics.interface(interface);
            let tap = TapDevice::open(interface, *mtu)
                .map_err(io_err(format!("tap {interface}")))?
                .with_counters(Arc::clone(&counters));
            let device = Counted::new(tap, counters);
            tracing::info!(%interface, mac = %direct.mac, ipv4 = ?direct.ipv4, ipv6 = ?direct.ipv6, "direct stack");
            match pcap {
                Some(path) => {
                    let device = Pcap::create(device, std::path::Path::new(path))
                        .map_err(io_err(format!("pcap {path}")))?;
                    tracing::info!("recording frames to {path}");
                    run_direct(device, direct.clone(), services, metrics, shutdown)
                }
                None => run_direct(device, direct.clone(), services, metrics, shutdown),
            }
        }
    };
    tracing::info!("stopped ({}); counters:\n{}", names.join(", "), metrics.summary().trim_end());
    result
}

/// Reloads every `dns` service's zones on SIGHUP, on a thread of its own:
/// parsing never delays a query, and a zone set that fails to load keeps
/// the old one serving (the log says why, file:line:column).
struct Reloader {
    handle: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reloader {
    /// Starts listening for SIGHUP; None (SIGHUP keeps its default action)
    /// when there are no zones to reload.
    fn start(sets: Vec<Arc<ZoneSet>>) -> io::Result<Option<Reloader>> {
        if sets.is_empty() {
            return Ok(None);
        }
        let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])?;
        let handle = signals.handle();
        let closed = handle.clone();
        let thread = std::thread::Builder::new().name("zone-reload".into()).spawn(move || {
            for _ in signals.forever() {
                tracing::info!("SIGHUP: reloading zones");
                for set in &sets {
                    match set.reload() {
                        Ok(summary) => {
                            for w in &summary.warnings {
                                tracing::warn!("{w}");
                            }
                            tracing::info!("dns: reloaded {summary}");
                        }
                        Err(e) => tracing::error!("dns: reload failed; the old zones keep serving:\n{e}"),
                    }
                }
                for set in &sets {
                    set.collect_retired(std::time::Duration::from_secs(60), &|| closed.is_closed());
                }
            }
        })?;
        Ok(Some(Reloader { handle, thread: Some(thread) }))
    }
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs one direct stack per device (the queues of one multi-queue TAP):
/// the first on this thread with `services`, the others on threads of their
/// own with `build(i)`'s services, all stopped when the first stops.
fn run_direct_instances<D, B>(
    devices: Vec<D>,
    config: &DirectConfig,
    services: Vec<Box<dyn Service>>,
    build: &B,
    metrics: &Metrics,
    shutdown: Shutdown,
) -> Result<(), RuntimeError>
where
    D: HostDevice + Send,
    B: Fn(usize) -> io::Result<Vec<Box<dyn Service>>> + Sync,
{
    let mut devices = devices.into_iter();
    let Some(first) = devices.next() else {
        return Ok(());
    };
    let mut stops = Vec::new();
    let mut others = Vec::new();
    for device in devices {
        let stop = Shutdown::new().map_err(io_err("shutdown pipe"))?;
        stops.push(stop.trigger().map_err(io_err("shutdown pipe"))?);
        others.push((device, stop));
    }
    std::thread::scope(|scope| {
        let mut threads = Vec::with_capacity(others.len());
        let mut result = Ok(());
        for (i, (device, stop)) in (1..).zip(others) {
            let thread = std::thread::Builder::new().name(format!("direct-stack-{i}")).spawn_scoped(
                scope,
                move || {
                    let services = build(i).map_err(io_err(format!("instance {i}: services")))?;
                    run_direct(device, config.clone(), services, metrics, stop)
                },
            );
            match thread {
                Ok(t) => threads.push(t),
                Err(e) => {
                    result = Err(RuntimeError::Io { context: format!("instance {i}: thread"), source: e });
                    break;
                }
            }
        }
        if result.is_ok() {
            result = run_direct(first, config.clone(), services, metrics, shutdown);
        }
        for stop in &stops {
            stop.fire();
        }
        for t in threads {
            let r = t
                .join()
                .unwrap_or_else(|_| Err(io_err("direct stack")(io::Error::other("an instance panicked"))));
            if let Err(e) = r {
                tracing::warn!("direct stack instance: {e}");
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    })
}

const DEVICE: Token = Token(0);
const STOP: Token = Token(1);

/// The direct stack's event loop over a device with a file descriptor.
pub fn run_direct<D: HostDevice>(
    device: D,
    config: DirectConfig,
    services: Vec<Box<dyn Service>>,
    metrics: &Metrics,
    mut shutdown: Shutdown,
) -> Result<(), RuntimeError> {
    let clock = Clock::new();
    let mut poll = Poll::new().map_err(io_err("epoll"))?;
    let fd: Option<RawFd> = device.wait_fd();
    if let Some(fd) = fd {
        poll.registry()
            .register(&mut SourceFd(&fd), DEVICE, Interest::READABLE)
            .map_err(io_err("register device"))?;
    }
    poll.registry()
        .register(shutdown.source(), STOP, Interest::READABLE)
        .map_err(io_err("register shutdown"))?;

    let mut stack = DirectStack::new(device, config, services, metrics, clock.now())?;
    tracing::info!(addresses = ?stack.addresses(), "direct stack up");
    let mut events = Events::with_capacity(8);
    let mut drain_until = None;
    loop {
        let now = clock.now();
        stack.poll(now);
        if let Some(limit) = drain_until {
            if stack.is_drained() || now >= limit {
                break;
            }
        }
        let mut wait = stack.poll_at(now).map(|t| Clock::until(now, t));
        if drain_until.is_some() {
            // Closing connections need their retransmit timers looked at.
            wait = Some(wait.map_or(std::time::Duration::from_millis(20), |w| {
                w.min(std::time::Duration::from_millis(20))
            }));
        }
        if let Err(e) = poll.poll(&mut events, wait) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(RuntimeError::Io { context: "epoll_wait".into(), source: e });
        }
        if drain_until.is_none() && events.iter().any(|e| e.token() == STOP) && shutdown.requested() {
            tracing::info!("shutting down: closing connections");
            let now = clock.now();
            stack.begin_shutdown(now);
            drain_until = Some(now + DRAIN_LIMIT);
        }
    }
    stack.device_mut().flush().map_err(io_err("flush device"))?;
    Ok(())
}
