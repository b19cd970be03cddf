//! os-ken's `to_jsondict` layout (feature `json`): the form the public test
//! vectors are written in, and what `appliance ofp decode --json` prints.
//!
//! Each wire type implements [`ToOsken`] in its own module, so the layout of
//! a type lives beside the type. The conventions os-ken uses:
//! - a class is an object with one key, the os-ken class name:
//!   `{"OFPActionOutput": {"len": 16, "max_len": 65535, "port": 6, "type": 0}}`;
//! - integers stay integers, MAC addresses are `"01:02:03:04:05:06"`, IPv4
//!   and IPv6 addresses their usual text, opaque bytes are base64 strings;
//! - OXM fields are `{"OXMTlv": {"field": "eth_dst", "mask": null, "value": ...}}`.

use alloc::string::String;

use serde_json::{Map, Value};

/// Renders a value the way os-ken's `to_jsondict` does.
pub trait ToOsken {
    /// The os-ken JSON of this value.
    fn to_osken(&self) -> Value;
}

/// `{"Class": {fields...}}`.
pub fn class(name: &str, fields: Map<String, Value>) -> Value {
    let mut outer = Map::new();
    outer.insert(name.into(), Value::Object(fields));
    Value::Object(outer)
}

/// Opaque bytes as os-ken prints them: standard base64.
pub fn bytes(data: &[u8]) -> Value {
    use base64::Engine as _;
    Value::String(base64::engine::general_purpose::STANDARD.encode(data))
}

/// A MAC address as `01:02:03:04:05:06`.
pub fn mac(addr: [u8; 6]) -> Value {
    Value::String(alloc::format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        addr[0],
        addr[1],
        addr[2],
        addr[3],
        addr[4],
        addr[5]
    ))
}

/// A list of values.
pub fn list<T: ToOsken>(items: &[T]) -> Value {
    Value::Array(items.iter().map(ToOsken::to_osken).collect())
}
