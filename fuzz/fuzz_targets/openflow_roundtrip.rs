//! OpenFlow 1.3 decode → encode → decode agreement, and no panic on any input.
//!
//! Whatever `Message::decode` accepts must encode back to the input bytes
//! (the codec is byte-exact, unknown codepoints included), and those bytes
//! must decode to an equal message.
//!
//! The one normalization the codec does is padding: the spec says pad bytes
//! are zero; like Open vSwitch and os-ken the decoder accepts any value there
//! and the encoder writes zeros. So bytes the encoder writes as zero may
//! differ from the input. `OPENFLOW_FUZZ_PADDING=strict` disallows even that
//! (and finds non-zero padding at once).

#![no_main]

use libfuzzer_sys::fuzz_target;
use openflow::message::Message;
use openflow::wire::Encode;

fn lenient() -> bool {
    static LENIENT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *LENIENT.get_or_init(|| std::env::var("OPENFLOW_FUZZ_PADDING").map_or(true, |v| v != "strict"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::decode(data) else {
        return;
    };
    assert_eq!(msg.encoded_len(), data.len(), "encoded_len disagrees with the decoded length");
    let bytes = msg.to_vec();
    if lenient() {
        assert_eq!(bytes.len(), data.len());
        for (i, (&got, &input)) in bytes.iter().zip(data).enumerate() {
            assert!(got == input || got == 0, "re-encoding changed byte {i}: {input:#04x} -> {got:#04x}");
        }
    } else {
        assert_eq!(bytes, data, "re-encoding changed the bytes");
    }
    let again = Message::decode(&bytes).expect("re-encoded bytes decode");
    assert_eq!(again, msg, "decode of the re-encoded bytes differs");
});
