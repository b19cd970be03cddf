//! The console: COM1 (16550 UART), with a `log` logger (smoltcp, virtio-drivers log through
//! `log`) and a minimal `tracing` subscriber (the shared appliance code uses `tracing`), both
//! printing one line per record: time, level, target, message and fields.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, LevelFilter, Metadata, Subscriber};

use super::port::{inb, outb};

const COM1: u16 = 0x3F8;

/// Program the UART: 115200 baud, 8N1, FIFOs on.
pub fn init() {
    outb(COM1 + 1, 0x00); // no UART interrupts: the console is written synchronously
    outb(COM1 + 3, 0x80); // DLAB
    outb(COM1, 0x01); // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8N1
    outb(COM1 + 2, 0xC7); // FIFO on, cleared
    outb(COM1 + 4, 0x03); // DTR | RTS
}

fn put_byte(byte: u8) {
    // Bounded wait for the transmit holding register; a missing UART must not hang the kernel.
    for _ in 0..100_000 {
        if inb(COM1 + 5) & 0x20 != 0 {
            break;
        }
    }
    outb(COM1, byte);
}

/// A `fmt::Write` onto COM1 (LF becomes CRLF).
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                put_byte(b'\r');
            }
            put_byte(byte);
        }
        Ok(())
    }
}

/// Print formatted text on the console (used by the panic and exception paths too).
pub fn print(args: fmt::Arguments<'_>) {
    let _ = Console.write_fmt(args);
}

/// Current maximum level as a `log` level number (0 = off .. 5 = trace).
static MAX_LEVEL: AtomicUsize = AtomicUsize::new(3);

/// Parse `log=LEVEL` from the command line (error, warn, info, debug, trace, off).
fn level_from_cmdline(cmdline: &str) -> usize {
    let value = cmdline.split_ascii_whitespace().find_map(|w| w.strip_prefix("log="));
    match value {
        Some("off") => 0,
        Some("error") => 1,
        Some("warn") => 2,
        Some("debug") => 4,
        Some("trace") => 5,
        _ => 3,
    }
}

fn prefix(level: &str, target: &str) {
    let us = super::clock::now().total_micros();
    let since_boot = (us as u64).saturating_sub(super::clock::boot_time_micros());
    print(format_args!(
        "[{:>5}.{:06}] {level:<5} {target}: ",
        since_boot / 1_000_000,
        since_boot % 1_000_000
    ));
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() as usize <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            prefix(record.level().as_str(), record.target());
            print(format_args!("{}\n", record.args()));
        }
    }

    fn flush(&self) {}
}

/// Prints `tracing` events; spans are accepted but not tracked (the appliance uses events).
struct TracingConsole;

fn tracing_level_number(level: &Level) -> usize {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Writes `message` first, then ` name=value` for the other fields.
struct FieldPrinter;

impl Visit for FieldPrinter {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            print(format_args!("{value:?}"));
        } else {
            print(format_args!(" {}={value:?}", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            print(format_args!("{value}"));
        } else {
            print(format_args!(" {}={value}", field.name()));
        }
    }
}

impl Subscriber for TracingConsole {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        tracing_level_number(metadata.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match MAX_LEVEL.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        prefix(metadata.level().as_str(), metadata.target());
        event.record(&mut FieldPrinter);
        print(format_args!("\n"));
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

static LOGGER: Logger = Logger;

/// Install the `log` logger and the global `tracing` subscriber at the level the command line
/// asks for (`log=debug`; info by default).
pub fn init_logging(cmdline: &str) {
    let level = level_from_cmdline(cmdline);
    MAX_LEVEL.store(level, Ordering::Relaxed);
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(match level {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    });
    if tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(TracingConsole)).is_err() {
        print(format_args!("tracing subscriber already set\n"));
    }
}
