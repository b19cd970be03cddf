//! Records every frame a device moves, both ways, to a classic libpcap file
//! that tcpdump, Wireshark and tshark read: the direct stack has no kernel
//! interface to sniff on, so it sniffs itself.
//!
//! ## Wire format
//!
//! The file is the classic libpcap format, little-endian throughout:
//! a 24-byte header (magic `0xa1b2c3d4` = microsecond timestamps, version
//! 2.4, zone 0, sigfigs 0, snaplen 65535, link type 1 = Ethernet), then per
//! frame a 16-byte record header (seconds, microseconds, captured length,
//! original length) and the frame's bytes, cut at the snaplen.
//!
//! Timestamps are the smoltcp [`Instant`]s passed to `receive`/`transmit`,
//! so with the stacks' epoch-based clock they are wall-clock times, and on
//! the virtual network they are virtual times.
//!
//! Writing goes through a `BufWriter`; [`HostDevice::flush`] pushes it out.
//! A failed write never reaches the data path: it is logged once, and
//! capturing stops while the device keeps working.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use smoltcp::phy::{self, Device, DeviceCapabilities, PacketMeta};
use smoltcp::time::Instant;

use crate::device::HostDevice;

/// Classic pcap magic for microsecond timestamps.
const MAGIC: u32 = 0xa1b2_c3d4;
/// Longest frame part recorded; longer frames are cut (their original
/// length is still recorded).
pub const SNAPLEN: u32 = 65_535;
/// `LINKTYPE_ETHERNET`.
const LINKTYPE_ETHERNET: u32 = 1;

/// Where frames are recorded; shared by the tokens of one `receive` call.
#[derive(Debug)]
struct Capture {
    out: Option<BufWriter<File>>,
    path: PathBuf,
    frames: u64,
}

impl Capture {
    fn record(&mut self, timestamp: Instant, frame: &[u8]) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        match write_record(out, timestamp, frame) {
            Ok(()) => self.frames += 1,
            Err(e) => self.fail("write", &e),
        }
    }

    fn flush(&mut self) {
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.flush()
        {
            self.fail("flush", &e);
        }
    }

    /// Logs the first error and stops capturing.
    fn fail(&mut self, what: &str, e: &io::Error) {
        tracing::warn!(
            "pcap {}: {what} failed, capture stopped after {} frames: {e}",
            self.path.display(),
            self.frames
        );
        if let Some(out) = self.out.take() {
            // Drop what is still buffered instead of retrying the write.
            let (file, _unwritten) = out.into_parts();
            drop(file);
        }
    }
}

fn write_header(out: &mut impl Write) -> io::Result<()> {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone (8..12) and sigfigs (12..16) stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    out.write_all(&h)
}

fn write_record(out: &mut impl Write, timestamp: Instant, frame: &[u8]) -> io::Result<()> {
    // Times before 0, or after 2106, are clamped into pcap's u32 seconds.
    let micros = timestamp.total_micros().max(0);
    let secs = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
    let usecs = u32::try_from(micros % 1_000_000).unwrap_or(0);
    let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
    let incl_len = orig_len.min(SNAPLEN);
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&secs.to_le_bytes());
    h[4..8].copy_from_slice(&usecs.to_le_bytes());
    h[8..12].copy_from_slice(&incl_len.to_le_bytes());
    h[12..16].copy_from_slice(&orig_len.to_le_bytes());
    out.write_all(&h)?;
    out.write_all(frame.get(..incl_len as usize).unwrap_or(frame))
}

/// Records every frame `D` receives and transmits to a pcap file.
#[derive(Debug)]
pub struct Pcap<D> {
    inner: D,
    capture: RefCell<Capture>,
}

impl<D> Pcap<D> {
    /// Wraps `inner`, creating (or truncating) the capture file at `path`
    /// and writing its header.
    pub fn create(inner: D, path: &Path) -> io::Result<Self> {
        let err = |what: &str, e: io::Error| {
            io::Error::new(e.kind(), format!("pcap {}: {what}: {e}", path.display()))
        };
        let file = File::create(path).map_err(|e| err("create", e))?;
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        write_header(&mut out).map_err(|e| err("write header", e))?;
        Ok(Pcap {
            inner,
            capture: RefCell::new(Capture { out: Some(out), path: path.to_path_buf(), frames: 0 }),
        })
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably. Frames moved through it directly are not
    /// recorded.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// False once a write error stopped the capture.
    pub fn capturing(&self) -> bool {
        self.capture.borrow().out.is_some()
    }

    /// Frames recorded so far (some may still sit in the buffer).
    pub fn frames(&self) -> u64 {
        self.capture.borrow().frames
    }

    /// Flushes the capture file (best effort) and unwraps the inner device.
    pub fn into_inner(self) -> D {
        self.capture.borrow_mut().flush();
        self.inner
    }
}

impl<D: Device> Device for Pcap<D> {
    type RxToken<'a>
        = PcapRxToken<'a, D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = PcapTxToken<'a, D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let capture = &self.capture;
        self.inner.receive(timestamp).map(|(rx, tx)| {
            (PcapRxToken { token: rx, capture, timestamp }, PcapTxToken { token: tx, capture, timestamp })
        })
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let capture = &self.capture;
        self.inner.transmit(timestamp).map(|token| PcapTxToken { token, capture, timestamp })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl<D: HostDevice> HostDevice for Pcap<D> {
    fn wait_fd(&self) -> Option<RawFd> {
        self.inner.wait_fd()
    }

    /// Flushes the capture file, then the inner device. A capture failure is
    /// logged and stops the capture; only the inner device's error is returned.
    fn flush(&mut self) -> io::Result<()> {
        self.capture.get_mut().flush();
        self.inner.flush()
    }
}

/// A received frame that is recorded when consumed.
#[derive(Debug)]
pub struct PcapRxToken<'a, T> {
    token: T,
    capture: &'a RefCell<Capture>,
    timestamp: Instant,
}

impl<T: phy::RxToken> phy::RxToken for PcapRxToken<'_, T> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let (capture, timestamp) = (self.capture, self.timestamp);
        self.token.consume(|frame| {
            // The borrow ends before `f` runs: smoltcp may send a reply with
            // the paired transmit token from inside `f`.
            capture.borrow_mut().record(timestamp, frame);
            f(frame)
        })
    }

    fn meta(&self) -> PacketMeta {
        self.token.meta()
    }
}

/// A frame to send that is recorded once smoltcp has filled it in.
#[derive(Debug)]
pub struct PcapTxToken<'a, T> {
    token: T,
    capture: &'a RefCell<Capture>,
    timestamp: Instant,
}

impl<T: phy::TxToken> phy::TxToken for PcapTxToken<'_, T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let (capture, timestamp) = (self.capture, self.timestamp);
        self.token.consume(len, |frame| {
            let result = f(frame);
            capture.borrow_mut().record(timestamp, frame);
            result
        })
    }

    fn set_meta(&mut self, meta: PacketMeta) {
        self.token.set_meta(meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::{Loopback, Medium, RxToken as _, TxToken as _};
    use std::process::Command;

    /// smoltcp's loopback device, as a [`HostDevice`] that counts flushes.
    struct Lo(Loopback, usize);

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
            None
        }
        fn flush(&mut self) -> io::Result<()> {
            self.1 += 1;
            Ok(())
        }
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn frame(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
    }

    #[test]
    fn records_both_directions_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.pcap");
        let mut dev = Pcap::create(Lo(Loopback::new(Medium::Ethernet), 0), &path).unwrap();
        let sizes = [60usize, 1514, 342];
        // Three transmits at 1.000001 s, 2.5 s, 3 s...
        let times = [Instant::from_micros(1_000_001), Instant::from_micros(2_500_000), Instant::from_secs(3)];
        for (i, (&len, &t)) in sizes.iter().zip(&times).enumerate() {
            let bytes = frame(len, i as u8);
            dev.transmit(t).unwrap().consume(len, |buf| buf.copy_from_slice(&bytes));
        }
        // ...and the loopback hands them back as receives at 10 s.
        let rx_time = Instant::from_secs(10);
        for _ in 0..sizes.len() {
            let (rx, _tx) = dev.receive(rx_time).unwrap();
            rx.consume(|_| ());
        }
        assert!(dev.receive(rx_time).is_none());
        assert_eq!(dev.frames(), 6);
        dev.flush().unwrap();
        assert_eq!(dev.inner().1, 1, "flush reaches the inner device");
        assert!(dev.capturing());

        let data = std::fs::read(&path).unwrap();
        assert_eq!(u32_at(&data, 0), 0xa1b2c3d4);
        assert_eq!(&data[4..8], &[2, 0, 4, 0], "version 2.4");
        assert_eq!(u32_at(&data, 8), 0);
        assert_eq!(u32_at(&data, 12), 0);
        assert_eq!(u32_at(&data, 16), 65535);
        assert_eq!(u32_at(&data, 20), 1, "LINKTYPE_ETHERNET");
        let mut at = 24;
        let mut records = Vec::new();
        while at < data.len() {
            let (sec, usec) = (u32_at(&data, at), u32_at(&data, at + 4));
            let (incl, orig) = (u32_at(&data, at + 8), u32_at(&data, at + 12));
            assert_eq!(incl, orig);
            let body = data[at + 16..at + 16 + incl as usize].to_vec();
            records.push((sec, usec, body));
            at += 16 + incl as usize;
        }
        assert_eq!(at, data.len());
        assert_eq!(records.len(), 6);
        let expect_times = [(1, 1), (2, 500_000), (3, 0), (10, 0), (10, 0), (10, 0)];
        for (i, (sec, usec, body)) in records.iter().enumerate() {
            assert_eq!((*sec, *usec), expect_times[i], "record {i}");
            assert_eq!(*body, frame(sizes[i % 3], (i % 3) as u8), "record {i}");
        }

        let tshark = Path::new("/usr/bin/tshark");
        if !tshark.exists() {
            eprintln!("tshark check skipped: /usr/bin/tshark not installed");
            return;
        }
        let out = Command::new(tshark)
            .args(["-r", path.to_str().unwrap(), "-T", "fields", "-e", "frame.len"])
            .output()
            .unwrap();
        assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
        let lens: Vec<usize> =
            String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().parse().unwrap()).collect();
        assert_eq!(lens, [60, 1514, 342, 60, 1514, 342]);
    }

    #[test]
    fn write_errors_stop_the_capture_without_failing_the_device() {
        let Ok(full) = File::options().write(true).open("/dev/full") else {
            eprintln!("skipped: /dev/full missing");
            return;
        };
        let mut dev = Pcap {
            inner: Lo(Loopback::new(Medium::Ethernet), 0),
            capture: RefCell::new(Capture {
                out: Some(BufWriter::with_capacity(16, full)),
                path: "/dev/full".into(),
                frames: 0,
            }),
        };
        for _ in 0..3 {
            dev.transmit(Instant::ZERO).unwrap().consume(100, |buf| buf.fill(1));
        }
        assert!(!dev.capturing());
        assert!(dev.flush().is_ok());
        // The device itself still works.
        assert!(dev.inner_mut().0.receive(Instant::ZERO).is_some());
    }

    #[test]
    fn timestamps_are_clamped_not_wrapped() {
        let mut out = Vec::new();
        write_record(&mut out, Instant::from_micros(-1), &[1, 2]).unwrap();
        assert_eq!(u32_at(&out, 0), 0);
        assert_eq!(u32_at(&out, 4), 0);
        let mut out = Vec::new();
        write_record(&mut out, Instant::from_micros(i64::MAX), &[]).unwrap();
        assert_eq!(u32_at(&out, 0), u32::MAX);
    }
}
