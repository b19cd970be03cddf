//! Per-interface frame and byte counters as a device wrapper, so every
//! device (TAP, virtual port, ...) is counted the same way without counting
//! code of its own.
//!
//! A frame counts when smoltcp consumes its token: received frames as they
//! are read, transmitted frames as they are handed to the inner device.
//! Drops inside the inner device (a full TAP queue) are that device's to
//! count, in the same [`InterfaceCounters`].

use alloc::sync::Arc;
#[cfg(feature = "std")]
use std::os::fd::RawFd;

use smoltcp::phy::{self, Device, DeviceCapabilities, PacketMeta};
use smoltcp::time::Instant;

use crate::device::{FlushError, HostDevice};
use crate::metrics::InterfaceCounters;

/// Counts every frame `D` moves in an [`InterfaceCounters`] set
/// (`frames_rx`, `bytes_rx`, `frames_tx`, `bytes_tx`).
#[derive(Debug)]
pub struct Counted<D> {
    inner: D,
    counters: Arc<InterfaceCounters>,
}

impl<D> Counted<D> {
    /// Wraps `inner`, counting into `counters` (usually
    /// [`Metrics::interface`](crate::metrics::Metrics::interface)).
    pub fn new(inner: D, counters: Arc<InterfaceCounters>) -> Self {
        Counted { inner, counters }
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably. Frames moved through it directly are not
    /// counted.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The counters this wrapper bumps.
    pub fn counters(&self) -> &Arc<InterfaceCounters> {
        &self.counters
    }

    /// Unwraps the inner device.
    pub fn into_inner(self) -> D {
        self.inner
    }
}

impl<D: Device> Device for Counted<D> {
    type RxToken<'a>
        = CountedRxToken<'a, D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = CountedTxToken<'a, D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let counters = &*self.counters;
        self.inner
            .receive(timestamp)
            .map(|(rx, tx)| (CountedRxToken { token: rx, counters }, CountedTxToken { token: tx, counters }))
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let counters = &*self.counters;
        self.inner.transmit(timestamp).map(|token| CountedTxToken { token, counters })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl<D: HostDevice> HostDevice for Counted<D> {
    #[cfg(feature = "std")]
    fn wait_fd(&self) -> Option<RawFd> {
        self.inner.wait_fd()
    }

    fn flush(&mut self) -> Result<(), FlushError> {
        self.inner.flush()
    }
}

/// A received frame that is counted when consumed.
#[derive(Debug)]
pub struct CountedRxToken<'a, T> {
    token: T,
    counters: &'a InterfaceCounters,
}

impl<T: phy::RxToken> phy::RxToken for CountedRxToken<'_, T> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let counters = self.counters;
        self.token.consume(|frame| {
            counters.frames_rx.inc();
            counters.bytes_rx.add(frame.len() as u64);
            f(frame)
        })
    }

    fn meta(&self) -> PacketMeta {
        self.token.meta()
    }
}

/// A frame to send that is counted when consumed.
#[derive(Debug)]
pub struct CountedTxToken<'a, T> {
    token: T,
    counters: &'a InterfaceCounters,
}

impl<T: phy::TxToken> phy::TxToken for CountedTxToken<'_, T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        self.counters.frames_tx.inc();
        self.counters.bytes_tx.add(len as u64);
        self.token.consume(len, f)
    }

    fn set_meta(&mut self, meta: PacketMeta) {
        self.token.set_meta(meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::{Loopback, Medium, RxToken as _, TxToken as _};
    use std::io;

    /// smoltcp's loopback device, as a [`HostDevice`].
    struct Lo(Loopback);

    impl Device for Lo {
        type RxToken<'a> = <Loopback as Device>::RxToken<'a>;
        type TxToken<'a> = <Loopback as Device>::TxToken<'a>;
        fn receive(&mut self, t: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
            self.0.receive(t)
        }
        fn transmit(&mut self, t: Instant) -> Option<Self::TxToken<'_>> {
            self.0.transmit(t)
        }
        fn capabilities(&self) -> DeviceCapabilities {
            self.0.capabilities()
        }
    }

    impl HostDevice for Lo {
        fn wait_fd(&self) -> Option<RawFd> {
            Some(7)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn counts_frames_and_bytes_both_ways() {
        let counters = Arc::new(InterfaceCounters::default());
        let mut dev = Counted::new(Lo(Loopback::new(Medium::Ethernet)), Arc::clone(&counters));
        let now = Instant::ZERO;
        for len in [60, 1514] {
            dev.transmit(now).unwrap().consume(len, |buf| buf.fill(0xab));
        }
        assert_eq!(counters.frames_tx.get(), 2);
        assert_eq!(counters.bytes_tx.get(), 1574);
        assert_eq!(counters.frames_rx.get(), 0);

        // Receive one, and answer it with the paired transmit token.
        let (rx, tx) = dev.receive(now).unwrap();
        let len = rx.consume(|frame| frame.len());
        assert_eq!(len, 60);
        tx.consume(42, |_| ());
        assert_eq!(counters.frames_rx.get(), 1);
        assert_eq!(counters.bytes_rx.get(), 60);
        assert_eq!(counters.frames_tx.get(), 3);

        // An unconsumed token counts nothing.
        drop(dev.receive(now));
        assert_eq!(counters.frames_rx.get(), 1);

        assert_eq!(dev.wait_fd(), Some(7));
        assert!(dev.flush().is_ok());
        assert_eq!(dev.capabilities().max_transmission_unit, 65535);
        assert_eq!(counters.drops.get(), 0);
    }
}
