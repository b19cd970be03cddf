//! What the end-to-end tests share: processes stopped by PID, network
//! namespaces that delete themselves, and checks for tools and root.
#![allow(dead_code)] // each test binary uses its own part

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The appliance binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_appliance");

/// True when `tool arg` runs at all (installed and executable).
pub fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// True when running as root (TAP devices, namespaces).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A port free on 127.0.0.1 for both TCP and UDP right now.
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A process started by the test: SIGTERM by PID (then SIGKILL) on stop or drop.
pub struct Proc {
    child: Child,
    log: Option<PathBuf>,
}

impl Proc {
    /// Starts `cmd` with stdout discarded and stderr into `log` (if given).
    pub fn spawn(cmd: &mut Command, log: Option<&Path>) -> Proc {
        match log {
            Some(path) => cmd.stderr(std::fs::File::create(path).unwrap()),
            None => cmd.stderr(Stdio::null()),
        };
        let child = cmd.stdout(Stdio::null()).spawn().unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        Proc { child, log: log.map(Path::to_path_buf) }
    }
    /// What the process wrote to its log so far.
    pub fn log(&self) -> String {
        self.log.as_ref().map(|p| std::fs::read_to_string(p).unwrap_or_default()).unwrap_or_default()
    }
    /// The PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// Sends `sig` to the process by its PID.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill on our own child's PID, which is still ours to signal.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }
    /// True while it runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
    /// SIGTERM, then SIGKILL after 10 s; returns the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        if let Some(status) = self.child.try_wait().expect("wait") {
            return status;
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("wait");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

/// A network namespace that is deleted when dropped.
pub struct Netns(pub String);

impl Netns {
    /// Creates it (removing a stale one of the same name first).
    pub fn create(name: &str) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", name]).stderr(Stdio::null()).status();
        let out = Command::new("ip").args(["netns", "add", name]).output().unwrap();
        assert!(out.status.success(), "ip netns add: {}", String::from_utf8_lossy(&out.stderr));
        Netns(name.to_string())
    }
    /// Runs `cmd` inside and waits for it.
    pub fn exec(&self, cmd: &[&str]) -> Output {
        Command::new("ip").args(["netns", "exec", &self.0]).args(cmd).output().expect("ip netns exec")
    }
    /// Runs each command inside, asserting success: namespace set-up.
    pub fn setup(&self, cmds: &[&[&str]]) {
        for cmd in cmds {
            let out = self.exec(cmd);
            assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    /// A `Command` that runs `program` inside.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0, program]);
        c
    }
    /// Runs `f` on a thread that lives inside the namespace.
    pub fn on_thread<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/var/run/netns/{}", self.0);
        thread::spawn(move || {
            let ns = std::fs::File::open(&path).expect("open netns");
            // SAFETY: ns is an open namespace fd; setns changes only this
            // thread's network namespace, and the thread ends with `f`.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .expect("namespace thread panicked")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Why a TAP test cannot run here, or None when it can.
pub fn tap_skip_reason(tools: &[(&str, &str, &str)]) -> Option<String> {
    if !is_root() {
        return Some("needs root for network namespaces and TAP devices".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing".into());
    }
    if !have("ip", "-V") {
        return Some("`ip` is not installed (apt-get install iproute2)".into());
    }
    for (tool, arg, package) in tools {
        if !have(tool, arg) {
            return Some(format!("`{tool}` is not installed (apt-get install {package})"));
        }
    }
    None
}

/// A self-signed ECDSA P-256 certificate for `cn` made by `openssl req`,
/// with each of `exts` as an `-addext` (SANs, CA constraints), written as
/// `<stem>.crt` and `<stem>.key` in `dir`.
pub fn self_signed(dir: &Path, stem: &str, cn: &str, exts: &[&str]) -> (PathBuf, PathBuf) {
    let (crt, key) = (dir.join(format!("{stem}.crt")), dir.join(format!("{stem}.key")));
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]);
    cmd.args(["-days", "2", "-subj", &format!("/CN={cn}")]);
    for ext in exts {
        cmd.args(["-addext", ext]);
    }
    cmd.arg("-keyout").arg(&key).arg("-out").arg(&crt);
    openssl(&mut cmd);
    (crt, key)
}

/// A certificate for `cn` signed by the CA `ca` (a [`self_signed`] pair),
/// with the X.509 extensions in `ext` (openssl extfile syntax).
pub fn signed(dir: &Path, stem: &str, cn: &str, ca: &(PathBuf, PathBuf), ext: &str) -> (PathBuf, PathBuf) {
    let path = |e: &str| dir.join(format!("{stem}.{e}"));
    let (crt, key, csr, extfile) = (path("crt"), path("key"), path("csr"), path("ext"));
    std::fs::write(&extfile, ext).unwrap();
    let mut request = Command::new("openssl");
    request.args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]);
    request.args(["-subj", &format!("/CN={cn}")]).arg("-keyout").arg(&key).arg("-out").arg(&csr);
    openssl(&mut request);
    let mut sign = Command::new("openssl");
    sign.args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"]).arg(&csr);
    sign.arg("-CA").arg(&ca.0).arg("-CAkey").arg(&ca.1).arg("-extfile").arg(&extfile).arg("-out").arg(&crt);
    openssl(&mut sign);
    (crt, key)
}

fn openssl(cmd: &mut Command) {
    let out = cmd.output().expect("openssl");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}
