//! Link the binary as a freestanding kernel: no C runtime, no libc, static, not PIE, one
//! unaligned load segment (`-n`) so QEMU's Multiboot loader can copy it byte for byte.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/linker.ld");
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie", "-Wl,-n", "-Wl,--gc-sections"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{script}");
    println!("cargo:rerun-if-changed=linker.ld");
    bake_bundle();
    println!("cargo:rerun-if-changed=build.rs");
}

/// Puts the bundle `cargo xtask image` wrote (named by `APPLIANCE_BUNDLE`) where `src/app.rs`
/// includes it; without one the kernel carries an empty bundle and says at boot how to make
/// an image.
fn bake_bundle() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let target = format!("{out}/bundle.bin");
    println!("cargo:rerun-if-env-changed=APPLIANCE_BUNDLE");
    let bytes = match std::env::var("APPLIANCE_BUNDLE") {
        Ok(path) => {
            println!("cargo:rerun-if-changed={path}");
            std::fs::read(&path).unwrap_or_else(|e| panic!("APPLIANCE_BUNDLE={path}: {e}"))
        }
        Err(_) => Vec::new(),
    };
    std::fs::write(&target, bytes).unwrap_or_else(|e| panic!("{target}: {e}"));
}
