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

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod config;
pub mod device;
pub mod metrics;
pub mod ofp;
pub mod runtime;
pub mod service;
pub mod services;
pub mod stack;
pub mod tls;
