//! Network appliances on a userspace TCP/IP stack.
//!
//! Data flows one way: frames come up from a [`device`], through a
//! [`stack`] (smoltcp's, or the host kernel's sockets), into sans-IO
//! [`service`]s; replies go back down the same way.
//!
//! ```text
//!  device (TAP | virtual network | pcap, counters)      host kernel sockets
//!          │                                                   │
//!  stack::direct (smoltcp Interface)                  stack::socket (mio)
//!          └────────────── service::Service ──────────────────┘
//!                    (echo, discard, iperf3, ...)
//! ```
//!
//! [`config`] describes one appliance (which stack, which services), and
//! [`runtime`] builds and runs it until SIGINT/SIGTERM. [`metrics`] counts
//! everything per interface and per service.

//!
//! Without the default `std` feature the crate is `#![no_std]` + `alloc`: the
//! direct stack, the services, TLS and the configuration (parsing,
//! validation, building services through a [`config::BuildEnv`]) are the
//! same code a VM image runs; host sockets, TAP, pcap, the runtime and the
//! CLI need `std`.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod config;
pub mod device;
pub mod env;
pub mod image;
pub mod metrics;
#[cfg(feature = "std")]
pub mod ofp;
#[cfg(feature = "std")]
pub mod runtime;
pub mod service;
pub mod services;
pub mod stack;
mod sync;

/// The names std's prelude gives and a no_std crate must import; every
/// module shared by both builds glob-imports this.
mod prelude {
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec::Vec;
    pub(crate) use alloc::{format, vec};
}
pub mod tls;
