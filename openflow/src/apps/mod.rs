//! Controller apps ([`crate::controller::App`]s) that come with the crate.
//!
//! - [`learning_switch::LearningSwitch`]: per-datapath MAC learning, flows for
//!   known pairs, flooding for the rest (the `learning-switch` app).
//! - [`topology::Topology`]: LLDP discovery of switch-to-switch links (the
//!   `topology` app).

pub mod learning_switch;
pub mod topology;

/// `ETH_TYPE_LLDP` (IEEE 802.1AB).
pub const ETH_TYPE_LLDP: u16 = 0x88cc;
/// `ETH_TYPE_8021Q`: a VLAN tag follows the source address.
pub const ETH_TYPE_VLAN: u16 = 0x8100;

/// The Ethernet header of a frame: destination, source and the EtherType
/// (after one VLAN tag, if there is one). None when the frame is too short.
pub fn ethernet(frame: &[u8]) -> Option<([u8; 6], [u8; 6], u16)> {
    let dst = *frame.first_chunk::<6>()?;
    let src = *frame.get(6..)?.first_chunk::<6>()?;
    let mut ethertype = u16::from_be_bytes(*frame.get(12..)?.first_chunk::<2>()?);
    if ethertype == ETH_TYPE_VLAN {
        ethertype = u16::from_be_bytes(*frame.get(16..)?.first_chunk::<2>()?);
    }
    Some((dst, src, ethertype))
}

/// True for a group (multicast or broadcast) MAC address.
pub fn is_group(mac: &[u8; 6]) -> bool {
    mac[0] & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_header() {
        let mut frame = [0u8; 18];
        frame[0] = 0xff;
        frame[6] = 2;
        frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(ethernet(&frame), Some(([0xff, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0], 0x0800)));
        frame[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        frame[16..18].copy_from_slice(&0x88ccu16.to_be_bytes());
        assert_eq!(ethernet(&frame).map(|e| e.2), Some(0x88cc));
        assert_eq!(ethernet(&frame[..13]), None);
        assert_eq!(ethernet(&frame[..17]), None);
        assert!(is_group(&[0x01, 0x80, 0xc2, 0, 0, 0x0e]) && !is_group(&[2, 0, 0, 0, 0, 1]));
    }
}
