//! Randomness from RDRAND, for ring/rustls (through the `syscall(SYS_getrandom)` shim in
//! `libc.rs`) and for the application (ports, DNS ids). A CPU without RDRAND stops the boot:
//! there is no other entropy source here worth trusting.

/// True if CPUID reports RDRAND.
pub fn available() -> bool {
    let leaf1 = core::arch::x86_64::__cpuid(1);
    leaf1.ecx & (1 << 30) != 0
}

/// # Safety
/// The CPU must have RDRAND (`available()`).
#[target_feature(enable = "rdrand")]
unsafe fn rdrand_step() -> Option<u64> {
    let mut value = 0u64;
    let ok = core::arch::x86_64::_rdrand64_step(&mut value);
    (ok == 1).then_some(value)
}

/// 64 random bits; RDRAND may transiently fail, so retry (Intel suggests 10 tries).
pub fn random_u64() -> u64 {
    for _ in 0..100 {
        // SAFETY: `start` checked RDRAND before anything can ask for randomness.
        if let Some(value) = unsafe { rdrand_step() } {
            return value;
        }
    }
    super::fatal(format_args!("RDRAND failed 100 times in a row"));
}

/// Fill `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let bytes = random_u64().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}
