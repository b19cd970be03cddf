//! The services an appliance can run. Each is a sans-IO
//! [`Service`](crate::service::Service).

pub mod discard;
pub mod echo;
pub mod iperf3;
