//! Project tasks that need more than cargo.
//!
//! `cargo xtask image --config FILE --out FILE.elf` turns an appliance
//! configuration into a bootable VM image: a Multiboot ELF that QEMU starts
//! with `-kernel`. The configuration is checked and its services built here,
//! on the host, through a recording environment, so an image that builds
//! is an image whose config, zones, site and certificates load; everything
//! they read is baked into the kernel (crate `vm/`, built for the host
//! target as a freestanding program).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use appliance::config::Config;
use appliance::env::HostEnv;
use appliance::image::{self, BootArgs, RecordingEnv};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Project tasks beyond cargo")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Builds a bootable VM image of the appliance a config describes.
    Image {
        /// The appliance config (the same file `appliance run --config` takes).
        #[arg(long)]
        config: PathBuf,
        /// Where to write the image (a stripped Multiboot ELF for `qemu -kernel`).
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Image { config, out } => build_image(&config, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn build_image(config_path: &Path, out: &Path) -> Result<(), String> {
    let origin = config_path.display().to_string();
    let text = std::fs::read_to_string(config_path).map_err(|e| format!("{origin}: cannot read: {e}"))?;
    let config = Config::parse(&text, &origin).map_err(|e| e.to_string())?;

    // Resolve and build exactly as the image will at boot with no boot
    // arguments, recording every file the build reads.
    let host = HostEnv;
    let recorder = RecordingEnv::new(&host, &origin, &text);
    let appliance =
        image::resolve(config, &text, &origin, &BootArgs::default(), &recorder).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    for service in &appliance.services {
        let built = service.build(&recorder).map_err(|e| format!("{origin}: {e}"))?;
        names.extend(built.services.iter().map(|s| s.name().to_string()));
    }
    let bundle = recorder.into_bundle();

    let root = workspace_root();
    let work = root.join("target").join("xtask");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let stem = config_path.file_stem().map_or("image".into(), |s| s.to_string_lossy().into_owned());
    let bundle_path = work.join(format!("{stem}.bundle"));
    std::fs::write(&bundle_path, bundle.encode()).map_err(|e| format!("{}: {e}", bundle_path.display()))?;

    let vm = root.join("vm");
    // One image build at a time: they share the kernel's target directory,
    // and the kernel binary must not change between its build and the copy.
    let lock_path = work.join("image.lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&vm)
        .args(["build", "--release", "--quiet"])
        .env("APPLIANCE_BUNDLE", &bundle_path)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the kernel in {} failed ({status})", vm.display()));
    }
    let kernel = vm.join("target/x86_64-unknown-linux-gnu/release/appliance-vm");
    let status = Command::new("objcopy")
        .arg("--strip-all")
        .arg(&kernel)
        .arg(out)
        .status()
        .map_err(|e| format!("cannot run objcopy (binutils): {e}"))?;
    if !status.success() {
        return Err(format!("objcopy --strip-all {} failed ({status})", kernel.display()));
    }
    let size = std::fs::metadata(out).map_err(|e| format!("{}: {e}", out.display()))?.len();
    println!(
        "{}: {} KiB; services: {}; baked in: {} file(s), {} byte(s), {} generated certificate(s)",
        out.display(),
        size.div_ceil(1024),
        names.join(", "),
        bundle.files.len(),
        bundle.file_bytes(),
        bundle.certificates.len()
    );
    Ok(())
}
