//! The two network stacks a service can run on, and what they share.
//!
//! - [`direct`]: smoltcp's `Interface` over a [`Device`](crate::device) (TAP,
//!   the in-memory virtual network, ...): the unikernel netstack.
//! - [`socket`]: the host kernel's UDP/TCP sockets, non-blocking, via mio.
//!
//! Both run the same [`Service`](crate::service::Service) values on one
//! thread each, sleep until I/O readiness or the next deadline, and stop
//! gracefully when their `Shutdown` fires. Without `std` only [`direct`]
//! exists; its owner supplies the clock and the loop.

pub mod direct;
#[cfg(feature = "std")]
pub mod socket;

#[cfg(feature = "std")]
use std::io;
#[cfg(feature = "std")]
use std::os::unix::net::UnixStream;

#[cfg(feature = "std")]
use crate::service::Instant;

/// The stacks' clock: monotonic, and in Unix-epoch microseconds so that pcap
/// timestamps are wall-clock times.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: std::time::Instant,
    start_epoch: Instant,
}

#[cfg(feature = "std")]
impl Clock {
    /// A clock that reads the host's monotonic time.
    pub fn new() -> Self {
        let since_epoch =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Clock {
            start: std::time::Instant::now(),
            start_epoch: Instant::from_micros(since_epoch.as_micros() as i64),
        }
    }

    /// Now, as the stacks and services see it.
    pub fn now(&self) -> Instant {
        self.start_epoch + smoltcp::time::Duration::from_micros(self.start.elapsed().as_micros() as u64)
    }

    /// How long from `now` until `deadline` (zero when it has passed).
    pub fn until(now: Instant, deadline: Instant) -> std::time::Duration {
        if deadline <= now {
            std::time::Duration::ZERO
        } else {
            std::time::Duration::from_micros((deadline - now).total_micros())
        }
    }
}

#[cfg(feature = "std")]
impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// Wakes an event loop to stop it: from SIGINT/SIGTERM or from code (tests).
///
/// A socket pair: triggers write a byte, the loop registers the read end
/// with its poller, so a stop request wakes a sleeping loop at once.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct Shutdown {
    rx: mio::net::UnixStream,
    tx: UnixStream,
}

/// The sending side of a [`Shutdown`], usable from any thread; get more with
/// [`Shutdown::trigger`].
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct ShutdownTrigger(UnixStream);

#[cfg(feature = "std")]
impl Shutdown {
    /// A new, unfired shutdown.
    pub fn new() -> io::Result<Self> {
        let (rx, tx) = UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        Ok(Shutdown { rx: mio::net::UnixStream::from_std(rx), tx })
    }

    /// Fires this shutdown on SIGINT and SIGTERM.
    pub fn on_signals(&self) -> io::Result<()> {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::low_level::pipe::register(sig, self.tx.try_clone()?)?;
        }
        Ok(())
    }

    /// A handle that fires this shutdown.
    pub fn trigger(&self) -> io::Result<ShutdownTrigger> {
        Ok(ShutdownTrigger(self.tx.try_clone()?))
    }

    /// The read end, to register with a `mio::Poll` as READABLE.
    pub fn source(&mut self) -> &mut mio::net::UnixStream {
        &mut self.rx
    }

    /// True once a stop was requested (drains the wake-up bytes).
    pub fn requested(&mut self) -> bool {
        use std::io::Read;
        let mut buf = [0u8; 64];
        let mut fired = false;
        loop {
            match self.rx.read(&mut buf) {
                Ok(0) => return fired,
                Ok(_) => fired = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return fired,
            }
        }
    }
}

#[cfg(feature = "std")]
impl ShutdownTrigger {
    /// Asks the loop to stop. Never blocks; a full pipe already means "stop".
    pub fn fire(&self) {
        use std::io::Write;
        let _ = (&self.0).write(&[1]);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn trigger_wakes_and_is_seen_once() {
        let mut s = Shutdown::new().unwrap();
        assert!(!s.requested());
        s.trigger().unwrap().fire();
        assert!(s.requested());
        assert!(!s.requested());
    }

    #[test]
    fn clock_is_monotonic_and_epoch_based() {
        let c = Clock::new();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
        assert!(a.secs() > 1_600_000_000, "epoch-based: {a}");
        assert_eq!(Clock::until(b, a), std::time::Duration::ZERO);
    }
}
