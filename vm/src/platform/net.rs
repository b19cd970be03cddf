//! virtio-net (through `virtio-drivers`' raw driver) as a smoltcp `phy::Device`.
//!
//! Receive and transmit buffers are allocated once: `RX_BUFFERS` buffers stay posted in the
//! receive queue and come back to it when the next packet is asked for; transmit buffers are
//! reused as the device completes them. No allocation per packet.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::Ordering;

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::DeviceType;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{DeviceFunction, PciRoot};
use virtio_drivers::{BufferDirection, Hal, PAGE_SIZE, PhysAddr};

use super::interrupts::{NET_IRQ_PENDING, unmask_irq};
use super::pci::{PortCam, interrupt_line};
use super::transport::NoEventIdx;

/// Descriptors per virtqueue.
const QUEUE_SIZE: usize = 32;
/// Posted receive buffers (each takes one descriptor).
const RX_BUFFERS: usize = 16;
/// Transmit buffers in flight.
const TX_BUFFERS: usize = 16;
/// Room for the virtio-net header and a full Ethernet frame.
const BUFFER_BYTES: usize = 2048;
/// Ethernet MTU as smoltcp counts it (with the 14-byte header).
const MTU: usize = 1514;

/// DMA on the boot identity mapping: physical address = virtual address.
pub struct IdentityHal;

// SAFETY: memory comes from the global allocator, page-aligned and zeroed, and is identity
// mapped, so the addresses handed to the device are the ones the driver uses.
unsafe impl Hal for IdentityHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let layout = core::alloc::Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE)
            .unwrap_or_else(|_| super::fatal(format_args!("DMA layout for {pages} pages")));
        // SAFETY: the layout has a non-zero size (virtio asks for at least one page).
        let ptr = unsafe { alloc::alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(ptr).unwrap_or_else(|| alloc::alloc::handle_alloc_error(layout));
        (ptr.as_ptr() as PhysAddr, ptr)
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, vaddr: NonNull<u8>, pages: usize) -> i32 {
        if let Ok(layout) = core::alloc::Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE) {
            // SAFETY: allocated by `dma_alloc` with this layout.
            unsafe { alloc::alloc::dealloc(vaddr.as_ptr(), layout) };
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        super::boot::ensure_identity_mapped(paddr, size as u64);
        NonNull::new(paddr as *mut u8).unwrap_or_else(|| super::fatal(format_args!("MMIO at address 0")))
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        buffer.as_ptr().cast::<u8>() as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

type Raw = VirtIONetRaw<IdentityHal, NoEventIdx, QUEUE_SIZE>;
type Buffer = Box<[u8; BUFFER_BYTES]>;

/// Transmit side: the driver and its buffers (split from the receive buffers so smoltcp can
/// hold an RxToken and a TxToken at once).
struct TxSide {
    raw: Raw,
    buffers: Vec<Buffer>,
    free: Vec<usize>,
    /// For each descriptor token in flight: (buffer index, bytes posted).
    in_flight: [Option<(usize, usize)>; QUEUE_SIZE],
    /// Receive buffers ready to be posted again (their packet has been consumed).
    rx_repost: Vec<usize>,
}

/// The virtio-net device as smoltcp sees it.
pub struct NetDevice {
    tx: TxSide,
    rx_buffers: Vec<Buffer>,
    /// For each receive descriptor token: the buffer index posted with it.
    rx_posted: [Option<usize>; QUEUE_SIZE],
    mac: [u8; 6],
    irq: u8,
}

fn new_buffer() -> Buffer {
    Box::new([0; BUFFER_BYTES])
}

impl NetDevice {
    /// Find the first virtio-net device on PCI bus 0 and bring it up.
    pub fn probe() -> NetDevice {
        let mut root = PciRoot::new(PortCam);
        let mut found = None;
        for (df, info) in root.enumerate_bus(0) {
            if virtio_drivers::transport::pci::virtio_device_type(&info) == Some(DeviceType::Network) {
                found = Some(df);
                break;
            }
        }
        let Some(df) = found else {
            super::fatal(format_args!("no virtio-net device (add -device virtio-net-pci)"));
        };
        Self::open(&mut root, df)
    }

    fn open(root: &mut PciRoot<PortCam>, df: DeviceFunction) -> NetDevice {
        use virtio_drivers::transport::pci::bus::Command;
        let (_, command) = root.get_status_command(df);
        root.set_command(df, command | Command::MEMORY_SPACE | Command::IO_SPACE | Command::BUS_MASTER);
        let irq = interrupt_line(&PortCam, df);
        let transport = PciTransport::new::<IdentityHal, _>(root, df)
            .unwrap_or_else(|e| super::fatal(format_args!("virtio-net transport at {df}: {e:?}")));
        let raw = Raw::new(NoEventIdx(transport))
            .unwrap_or_else(|e| super::fatal(format_args!("virtio-net init: {e:?}")));
        let mac = raw.mac_address();
        let mut dev = NetDevice {
            tx: TxSide {
                raw,
                buffers: (0..TX_BUFFERS).map(|_| new_buffer()).collect(),
                free: (0..TX_BUFFERS).collect(),
                in_flight: [None; QUEUE_SIZE],
                rx_repost: Vec::with_capacity(RX_BUFFERS),
            },
            rx_buffers: (0..RX_BUFFERS).map(|_| new_buffer()).collect(),
            rx_posted: [None; QUEUE_SIZE],
            mac,
            irq,
        };
        dev.tx.rx_repost.extend(0..RX_BUFFERS);
        dev.tx.repost_rx(&mut dev.rx_buffers, &mut dev.rx_posted);
        dev.tx.raw.enable_interrupts();
        log::info!("virtio-net at {df}: mac {:02x?}, irq {irq}", mac);
        dev
    }

    /// The device's MAC address (from its configuration space).
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The legacy interrupt line the device raises.
    pub fn irq(&self) -> u8 {
        self.irq
    }

    /// Acknowledge a pending interrupt and let the line through again.
    fn ack_interrupt(&mut self) {
        if NET_IRQ_PENDING.swap(false, Ordering::Acquire) {
            self.tx.raw.ack_interrupt();
            unmask_irq(self.irq);
        }
    }
}

impl TxSide {
    /// Take back transmit buffers the device has finished with.
    fn reclaim(&mut self) {
        while let Some(token) = self.raw.poll_transmit() {
            let Some((index, len)) = self.in_flight.get_mut(usize::from(token)).and_then(Option::take) else {
                log::error!("virtio-net: unknown transmit token {token}");
                return;
            };
            // SAFETY: the same slice that was passed to `transmit_begin` for this token.
            if let Err(e) = unsafe { self.raw.transmit_complete(token, &self.buffers[index][..len]) } {
                log::error!("virtio-net: transmit completion: {e:?}");
            }
            self.free.push(index);
        }
    }

    /// Post the receive buffers whose packets have been consumed (all of them at start).
    fn repost_rx(&mut self, rx_buffers: &mut [Buffer], rx_posted: &mut [Option<usize>; QUEUE_SIZE]) {
        while let Some(index) = self.rx_repost.pop() {
            // SAFETY: the buffer is heap memory owned by the device and not touched until the
            // device returns it through `receive_complete` with the same slice.
            match unsafe { self.raw.receive_begin(&mut rx_buffers[index][..]) } {
                Ok(token) if usize::from(token) < QUEUE_SIZE => rx_posted[usize::from(token)] = Some(index),
                Ok(token) => log::error!("virtio-net: receive token {token} out of range"),
                Err(e) => log::error!("virtio-net: reposting receive buffer: {e:?}"),
            }
        }
    }
}

/// A received frame, borrowed from its receive buffer.
pub struct RxToken<'a> {
    frame: &'a [u8],
}

/// Permission to send one frame.
pub struct TxToken<'a> {
    tx: &'a mut TxSide,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let tx = self.tx;
        let Some(index) = tx.free.pop() else {
            // `transmit` only hands out a token when a buffer is free; keep smoltcp going anyway.
            let mut scratch = [0u8; BUFFER_BYTES];
            log::warn!("virtio-net: no transmit buffer, frame dropped");
            return f(&mut scratch[..len.min(BUFFER_BYTES)]);
        };
        let buf = &mut tx.buffers[index][..];
        let header = tx.raw.fill_buffer_header(buf).unwrap_or(0);
        let len = len.min(BUFFER_BYTES - header);
        let result = f(&mut buf[header..header + len]);
        let total = header + len;
        // SAFETY: the buffer stays untouched until `reclaim` completes this token.
        match unsafe { tx.raw.transmit_begin(&tx.buffers[index][..total]) } {
            Ok(token) if usize::from(token) < QUEUE_SIZE => {
                tx.in_flight[usize::from(token)] = Some((index, total))
            }
            Ok(token) => log::error!("virtio-net: transmit token {token} out of range"),
            Err(e) => {
                log::warn!("virtio-net: transmit: {e:?}");
                tx.free.push(index);
            }
        }
        result
    }
}

impl phy::Device for NetDevice {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        self.ack_interrupt();
        self.tx.repost_rx(&mut self.rx_buffers, &mut self.rx_posted);
        self.tx.reclaim();
        if self.tx.free.is_empty() {
            return None;
        }
        loop {
            let token = self.tx.raw.poll_receive()?;
            let Some(index) = self.rx_posted.get_mut(usize::from(token)).and_then(Option::take) else {
                log::error!("virtio-net: unknown receive token {token}");
                return None;
            };
            // SAFETY: the same slice that was passed to `receive_begin` for this token.
            let done = unsafe { self.tx.raw.receive_complete(token, &mut self.rx_buffers[index][..]) };
            self.tx.rx_repost.push(index);
            match done {
                Ok((header, len)) if header + len <= BUFFER_BYTES => {
                    let frame = &self.rx_buffers[index][header..header + len];
                    return Some((RxToken { frame }, TxToken { tx: &mut self.tx }));
                }
                Ok(_) => log::warn!("virtio-net: oversized frame dropped"),
                Err(e) => log::warn!("virtio-net: receive: {e:?}"),
            }
        }
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxToken<'_>> {
        self.tx.reclaim();
        if self.tx.free.is_empty() {
            return None;
        }
        Some(TxToken { tx: &mut self.tx })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(RX_BUFFERS);
        caps
    }
}
