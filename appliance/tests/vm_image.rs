//! The appliance as a bootable VM image, end to end: `cargo xtask image`
//! builds the examples' images, QEMU boots them (TCG: no KVM here), and real
//! clients talk to them: `dig` over UDP and TCP and `curl` through QEMU's
//! user-mode network with a forwarded loopback port, and `dig` and `curl`
//! to a composed image (DNS + HTTPS + controller) over a TAP device inside a
//! test network namespace. A shutdown request (ACPI power
//! button) powers the guest off cleanly.
//!
//! Every QEMU run is bounded (`timeout`) and stopped by its PID.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{Netns, Proc, free_port, have, tap_skip_reason};

/// Longest a QEMU run may take before `timeout` kills it.
const QEMU_LIMIT: &str = "180";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Why these tests cannot run here, or None.
fn skip_reason() -> Option<String> {
    if !have("qemu-system-x86_64", "--version") {
        return Some("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)".into());
    }
    if !have("objcopy", "--version") {
        return Some("objcopy is not installed (apt-get install binutils)".into());
    }
    None
}

/// Builds `examples/<name>.toml` into an image once per test run.
fn image(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(n, _)| n == name) {
        return path.clone();
    }
    let root = workspace();
    let out = root.join("target").join("xtask").join(format!("{name}.elf"));
    let config = root.join("examples").join(format!("{name}.toml"));
    let output = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["xtask", "image", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run cargo xtask image");
    assert!(
        output.status.success(),
        "cargo xtask image --config {}: {}{}",
        config.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{}", String::from_utf8_lossy(&output.stdout).trim());
    built.push((name.to_string(), out.clone()));
    out
}

/// A QEMU guest: serial console in a file, a monitor socket for shutdown requests.
struct Guest {
    proc: Proc,
    serial: PathBuf,
    monitor: PathBuf,
    started: Instant,
    _dir: tempfile::TempDir,
}

impl Guest {
    /// Boots `kernel` with `-append cmdline` and this `-netdev` (id `n0`),
    /// inside `netns` when given.
    fn boot(kernel: &Path, cmdline: &str, netdev: &str, netns: Option<&Netns>) -> Guest {
        let dir = tempfile::tempdir().unwrap();
        let serial = dir.path().join("serial.log");
        let monitor = dir.path().join("monitor.sock");
        let mut cmd = match netns {
            Some(ns) => ns.command("timeout"),
            None => Command::new("timeout"),
        };
        cmd.args([QEMU_LIMIT, "qemu-system-x86_64", "-kernel"])
            .arg(kernel)
            .args(["-append", cmdline, "-m", "32M", "-cpu", "max", "-display", "none", "-no-reboot"])
            .args(["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"])
            .arg("-serial")
            .arg(format!("file:{}", serial.display()))
            .arg("-monitor")
            .arg(format!("unix:{},server,nowait", monitor.display()));
        let started = Instant::now();
        let proc = Proc::spawn(&mut cmd, Some(&dir.path().join("qemu.log")));
        Guest { proc, serial, monitor, started, _dir: dir }
    }

    /// What the guest printed on its serial console so far.
    fn console(&self) -> String {
        std::fs::read_to_string(&self.serial).unwrap_or_default()
    }

    /// Sends `system_powerdown` (the ACPI power button) and waits for QEMU
    /// to exit by itself; returns its exit status.
    fn power_down(&mut self) -> std::process::ExitStatus {
        let mut monitor = UnixStream::connect(&self.monitor).expect("connect to the QEMU monitor");
        monitor.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        monitor.write_all(b"system_powerdown\n").unwrap();
        let mut sink = [0u8; 4096];
        let _ = monitor.read(&mut sink);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.proc.running() {
            assert!(Instant::now() < deadline, "the guest did not power off:\n{}", self.console());
            std::thread::sleep(Duration::from_millis(50));
        }
        self.proc.stop()
    }
}

/// `dig` with short timeouts, retried while the guest boots; returns the
/// answer section and when it first came.
fn dig_until_answered(guest: &Guest, netns: Option<&Netns>, args: &[&str]) -> (String, Duration) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut cmd = match netns {
            Some(ns) => ns.command("dig"),
            None => Command::new("dig"),
        };
        let out = cmd.args(args).args(["+short", "+time=1", "+tries=1"]).output().expect("run dig");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() && !text.trim().is_empty() && !text.contains(";;") {
            return (text, guest.started.elapsed());
        }
        assert!(Instant::now() < deadline, "no DNS answer from the guest:\n{}", guest.console());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn dns_image_answers_dig_over_udp_and_tcp_through_user_networking() {
    if let Some(why) = skip_reason().or_else(|| (!have("dig", "-v")).then(|| "dig is missing".into())) {
        println!("SKIPPED: {why}");
        return;
    }
    let kernel = image("dns");
    let port = free_port();
    let netdev = format!("user,id=n0,hostfwd=udp:127.0.0.1:{port}-:5353,hostfwd=tcp:127.0.0.1:{port}-:5353");
    let mut guest = Guest::boot(&kernel, "", &netdev, None);
    let server = ["@127.0.0.1", "-p", &port.to_string()];

    let (answer, first) =
        dig_until_answered(&guest, None, &[&server[..], &["www.example.test", "A"]].concat());
    assert_eq!(answer.trim(), "192.0.2.80");
    println!("first answer {} ms after QEMU started (TCG)", first.as_millis());

    let (answer, _) =
        dig_until_answered(&guest, None, &[&server[..], &["+tcp", "www.example.test", "AAAA"]].concat());
    assert_eq!(answer.trim(), "2001:db8::80");
    let out = Command::new("dig")
        .args(server)
        .args(["+time=2", "+tries=2", "nothing.example.test", "A"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status: NXDOMAIN") && text.contains("flags: qr aa"), "{text}");

    let status = guest.power_down();
    assert!(status.success(), "QEMU exit {status}:\n{}", guest.console());
    let console = guest.console();
    assert!(console.contains("dns"), "the console names the service:\n{console}");
    assert!(console.to_lowercase().contains("power"), "the console says it powers off:\n{console}");
}

#[test]
fn https_image_serves_its_baked_in_site_to_curl() {
    if let Some(why) =
        skip_reason().or_else(|| (!have("curl", "--version")).then(|| "curl is missing".into()))
    {
        println!("SKIPPED: {why}");
        return;
    }
    let kernel = image("https");
    let (port, http_port) = (free_port(), free_port());
    let netdev =
        format!("user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:8443,hostfwd=tcp:127.0.0.1:{http_port}-:8080");
    let guest = Guest::boot(&kernel, "", &netdev, None);
    let url = format!("https://127.0.0.1:{port}/index.html");
    let deadline = Instant::now() + Duration::from_secs(120);
    let body = loop {
        let out = Command::new("curl")
            .args(["-sSk", "--max-time", "20", "--tlsv1.3", &url])
            .output()
            .expect("run curl");
        if out.status.success() {
            break String::from_utf8_lossy(&out.stdout).to_string();
        }
        assert!(Instant::now() < deadline, "no HTTPS answer from the guest:\n{}", guest.console());
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(body.contains("Served by an appliance"), "{body}");
    println!("first page {} ms after QEMU started (TCG)", guest.started.elapsed().as_millis());

    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--max-time", "20"])
        .arg(format!("http://127.0.0.1:{http_port}/index.html"))
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.starts_with("301 https://"), "plain HTTP redirects to HTTPS: {answer}");
}

#[test]
fn composed_image_on_a_tap_device_serves_dns_and_https_at_its_command_line_address() {
    let tools = [("dig", "-v", "bind9-dnsutils"), ("curl", "--version", "curl")];
    if let Some(why) = skip_reason().or_else(|| tap_skip_reason(&tools)) {
        println!("SKIPPED: {why}");
        return;
    }
    let kernel = image("composed");
    let ns = Netns::create("apl-vm-tap");
    ns.setup(&[
        &["ip", "tuntap", "add", "dev", "vmtap0", "mode", "tap"],
        &["ip", "addr", "add", "10.77.0.1/24", "dev", "vmtap0"],
        &["ip", "link", "set", "vmtap0", "up"],
        &["ip", "link", "set", "lo", "up"],
    ]);
    let guest = Guest::boot(
        &kernel,
        "addr=10.77.0.2/24 gateway=10.77.0.1 https.port=8443",
        "tap,id=n0,ifname=vmtap0,script=no,downscript=no",
        Some(&ns),
    );
    let (answer, _) = dig_until_answered(&guest, Some(&ns), &["@10.77.0.2", "mail.example.test", "A"]);
    assert_eq!(answer.trim(), "192.0.2.25");
    let (answer, _) = dig_until_answered(&guest, Some(&ns), &["@10.77.0.2", "+tcp", "example.test", "MX"]);
    assert_eq!(answer.trim(), "10 mail.example.test.");
    let out = ns.exec(&["curl", "-sSk", "--max-time", "30", "https://10.77.0.2:8443/index.html"]);
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(body.contains("Served by an appliance"), "{body}{}", String::from_utf8_lossy(&out.stderr));
    let out = ns.exec(&["ping", "-c", "1", "-W", "5", "10.77.0.2"]);
    assert!(out.status.success(), "the guest answers ping: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn controller_image_greets_an_openflow_switch() {
    if let Some(why) = skip_reason() {
        println!("SKIPPED: {why}");
        return;
    }
    let kernel = image("controller");
    let port = free_port();
    let guest = Guest::boot(&kernel, "", &format!("user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:6653"), None);
    // OFPT_HELLO, OpenFlow 1.3 (version 4), xid 1.
    let hello = [4u8, 0, 0, 8, 0, 0, 0, 1];
    let deadline = Instant::now() + Duration::from_secs(120);
    let got = loop {
        // QEMU accepts on the host side at once; the guest's answer is what counts.
        if let Ok(mut switch) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            switch.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            if switch.write_all(&hello).is_ok() {
                // The controller answers HELLO and asks for the switch's features.
                while got.len() < 16 {
                    match switch.read(&mut buf) {
                        Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                        _ => break,
                    }
                }
            }
            if got.len() >= 16 {
                break got;
            }
        }
        assert!(Instant::now() < deadline, "no OpenFlow answer from the guest:\n{}", guest.console());
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!((got[0], got[1]), (4, 0), "HELLO first: {got:02x?}");
    let second = usize::from(u16::from_be_bytes([got[2], got[3]]));
    assert_eq!((got[second], got[second + 1]), (4, 5), "then FEATURES_REQUEST: {got:02x?}");
}

#[test]
fn a_panic_in_the_guest_is_printed_and_powers_off() {
    if let Some(why) = skip_reason() {
        println!("SKIPPED: {why}");
        return;
    }
    let kernel = image("dns");
    for (selftest, says) in [("panic", "deliberate panic"), ("exception", "cpu exception 6")] {
        let mut guest = Guest::boot(&kernel, &format!("selftest={selftest}"), "user,id=n0", None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while guest.proc.running() {
            assert!(
                Instant::now() < deadline,
                "{selftest}: the guest did not power off:\n{}",
                guest.console()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = guest.proc.stop();
        let console = guest.console();
        assert!(status.success(), "{selftest}: QEMU exit {status}:\n{console}");
        assert!(console.to_lowercase().contains(says), "{selftest}: the console says why:\n{console}");
    }
}
