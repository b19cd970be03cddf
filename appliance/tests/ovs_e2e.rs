//! The `controller` service driving a real Open vSwitch.
//!
//! Each test builds its own lab and tears it down (by PID, and by deleting
//! the namespaces it made):
//!
//! ```text
//!  netns H1 [h1 10.77.x.1/24] ─veth─┐  netns SW: ovsdb-server + ovs-vswitchd
//!                                   ├─ br0 (netdev datapath, OpenFlow13, fail_mode=secure)
//!  netns H2 [h2 10.77.x.2/24] ─veth─┘      └─ controller tcp:127.0.0.1:6653 (socket stack)
//!                                              or tcp:10.97.x.2:6653 over a TAP (direct stack)
//! ```
//!
//! Open vSwitch runs with no kernel module (the userspace `netdev` datapath)
//! and a private database and run directory in a temp dir. Checked, for the
//! socket stack and then the direct stack:
//!
//! 1. no controller: h1 cannot ping h2;
//! 2. our controller (`learning-switch,topology`): ping works, TCP works
//!    (an `iperf3` run through the switch), `ovs-ofctl dump-flows` shows the
//!    learned flows (our cookie, the idle timeout, MAC matches);
//! 3. the controller restarts (flows deleted meanwhile): the switch
//!    reconnects and ping works again;
//! 4. a capture of the OpenFlow session decodes in tshark's `openflow_v4`
//!    dissector with nothing malformed.
//!
//! Not root, or Open vSwitch / iperf3 / tshark missing: SKIPPED with the reason.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_appliance");

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

fn skip_reason() -> Option<String> {
    if !is_root() {
        return Some("needs root for network namespaces and veth pairs".into());
    }
    for (tool, arg, pkg) in [
        ("ovs-vswitchd", "--version", "openvswitch-switch"),
        ("ovsdb-server", "--version", "openvswitch-switch"),
        ("ovs-vsctl", "--version", "openvswitch-switch"),
        ("iperf3", "--version", "iperf3"),
        ("tshark", "--version", "tshark"),
        ("ip", "-V", "iproute2"),
        ("ping", "-V", "iputils-ping"),
    ] {
        if !have(tool, arg) {
            return Some(format!("`{tool}` is not installed (apt-get install {pkg})"));
        }
    }
    if !Path::new("/usr/share/openvswitch/vswitch.ovsschema").exists() {
        return Some("the Open vSwitch schema is missing".into());
    }
    None
}

/// A process started by the test: SIGTERM by PID (then SIGKILL) on stop or drop.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(cmd: &mut Command, log: &Path) -> Proc {
        cmd.stderr(std::fs::File::create(log).unwrap()).stdout(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        Proc { child, log: log.to_path_buf() }
    }
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        // SAFETY: kill on our own child's PID, which is still ours to signal.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The namespaces, veths and Open vSwitch of one test.
struct Lab {
    dir: tempfile::TempDir,
    sw: String,
    h1: String,
    h2: String,
    ip2: String,
    procs: Vec<Proc>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        // vswitchd before the database.
        while let Some(mut p) = self.procs.pop() {
            p.stop();
        }
        for ns in [&self.h1, &self.h2, &self.sw] {
            let _ = Command::new("ip").args(["netns", "del", ns]).stderr(Stdio::null()).status();
        }
    }
}

impl Lab {
    /// `tag` keeps the names of concurrent tests apart (0..=9).
    fn new(tag: u8, controller: &str) -> Lab {
        let id = std::process::id() % 10_000;
        let name = |role: &str| format!("ovs{tag}{role}{id}");
        let dir = tempfile::tempdir().unwrap();
        let mut lab = Lab {
            dir,
            sw: name("sw"),
            h1: name("h1"),
            h2: name("h2"),
            ip2: format!("10.77.{tag}.2"),
            procs: Vec::new(),
        };
        for ns in [&lab.sw, &lab.h1, &lab.h2] {
            let _ = Command::new("ip").args(["netns", "del", ns]).stderr(Stdio::null()).status();
            ok(Command::new("ip").args(["netns", "add", ns]));
            ok(Command::new("ip").args(["netns", "exec", ns, "ip", "link", "set", "lo", "up"]));
        }
        for (n, host) in [(1, lab.h1.clone()), (2, lab.h2.clone())] {
            let outer = format!("sw{n}");
            ok(Command::new("ip")
                .args(["link", "add", &outer, "netns", &lab.sw, "type", "veth", "peer", "name"])
                .args([&format!("h{n}"), "netns", &host]));
            lab.sw_exec(&["ip", "link", "set", &outer, "up"]);
            let addr = format!("10.77.{tag}.{n}/24");
            let h = |args: &[&str]| ok(Command::new("ip").args(["netns", "exec", &host]).args(args));
            h(&["ip", "addr", "add", &addr, "dev", &format!("h{n}")]);
            h(&["ip", "link", "set", &format!("h{n}"), "up"]);
            // The netdev datapath does not complete checksums left to offload.
            let _ = run(Command::new("ip").args([
                "netns",
                "exec",
                &host,
                "ethtool",
                "-K",
                &format!("h{n}"),
                "tx",
                "off",
            ]));
        }
        let w = lab.dir.path().to_path_buf();
        ok(Command::new("ovsdb-tool")
            .arg("create")
            .arg(w.join("conf.db"))
            .arg("/usr/share/openvswitch/vswitch.ovsschema"));
        let db = lab.sw_proc(
            &[
                "ovsdb-server",
                &w.join("conf.db").to_string_lossy(),
                &format!("--remote=punix:{}", w.join("db.sock").display()),
                &format!("--unixctl={}", w.join("ovsdb-server.ctl").display()),
            ],
            "ovsdb-server.log",
        );
        lab.procs.push(db);
        wait_for(|| w.join("db.sock").exists(), "ovsdb-server socket", &|| String::new());
        lab.vsctl(&["--no-wait", "init"]);
        let vswitchd = lab.sw_proc(
            &[
                "ovs-vswitchd",
                &format!("unix:{}", w.join("db.sock").display()),
                &format!("--unixctl={}", w.join("ovs-vswitchd.ctl").display()),
            ],
            "ovs-vswitchd.log",
        );
        lab.procs.push(vswitchd);
        lab.vsctl(&[
            "add-br",
            "br0",
            "--",
            "set",
            "bridge",
            "br0",
            "datapath_type=netdev",
            "protocols=OpenFlow13",
            "fail_mode=secure",
        ]);
        lab.vsctl(&["set-controller", "br0", controller]);
        lab.vsctl(&["set", "controller", "br0", "max_backoff=1000"]);
        lab.vsctl(&["add-port", "br0", "sw1", "--", "set", "interface", "sw1", "ofport_request=1"]);
        lab.vsctl(&["add-port", "br0", "sw2", "--", "set", "interface", "sw2", "ofport_request=2"]);
        lab
    }

    fn sw_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.sw]).args(args);
        let w = self.dir.path();
        for var in ["OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"] {
            cmd.env(var, w);
        }
        cmd
    }

    fn sw_exec(&self, args: &[&str]) -> String {
        ok(&mut self.sw_cmd(args))
    }

    /// A process in the switch namespace (`ip netns exec` execs it: the PID is its own).
    fn sw_proc(&self, args: &[&str], log: &str) -> Proc {
        Proc::spawn(&mut self.sw_cmd(args), &self.dir.path().join(log))
    }

    fn vsctl(&self, args: &[&str]) -> String {
        let db = format!("--db=unix:{}", self.dir.path().join("db.sock").display());
        let mut all = vec!["ovs-vsctl", &db, "--timeout=10"];
        all.extend_from_slice(args);
        self.sw_exec(&all)
    }

    fn vswitchd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ovs-vswitchd.log")).unwrap_or_default()
    }

    fn flows(&self) -> String {
        let mgmt = format!("unix:{}", self.dir.path().join("br0.mgmt").display());
        self.sw_exec(&["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", &mgmt])
    }

    fn del_flows(&self) {
        let mgmt = format!("unix:{}", self.dir.path().join("br0.mgmt").display());
        self.sw_exec(&["ovs-ofctl", "-O", "OpenFlow13", "del-flows", &mgmt]);
    }

    fn connected(&self) -> bool {
        let db = format!("--db=unix:{}", self.dir.path().join("db.sock").display());
        let out = run(&mut self.sw_cmd(&[
            "ovs-vsctl",
            &db,
            "--timeout=10",
            "get",
            "controller",
            "br0",
            "is_connected",
        ]));
        String::from_utf8_lossy(&out.stdout).trim() == "true"
    }

    fn ping(&self) -> bool {
        run(Command::new("ip")
            .args(["netns", "exec", &self.h1, "ping", "-c", "3", "-i", "0.2", "-W", "1", &self.ip2]))
        .status
        .success()
    }

    /// A bounded iperf3 run from h1 to h2 through the switch; the receiver's line.
    fn iperf(&self) -> String {
        let log = self.dir.path().join("iperf3-server.log");
        let mut server = Proc::spawn(
            Command::new("ip").args(["netns", "exec", &self.h2, "iperf3", "-s", "-1", "-B", &self.ip2]),
            &log,
        );
        let mut out = String::new();
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(200));
            let o = run(Command::new("ip").args([
                "netns", "exec", &self.h1, "timeout", "20", "iperf3", "-c", &self.ip2, "-t", "2", "-f", "m",
            ]));
            out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                break;
            }
        }
        server.stop();
        out.lines()
            .find(|l| l.contains("receiver"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("iperf3 failed:\n{out}"))
    }
}

fn wait_for(cond: impl Fn() -> bool, what: &str, log: &dyn Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", log());
        thread::sleep(Duration::from_millis(100));
    }
}

/// What the capture says: (OpenFlow messages, malformed lines).
fn tshark_check(pcap: &Path, port: u16) -> (usize, String) {
    let file = pcap.to_string_lossy();
    let decode_as = format!("tcp.port=={port},openflow");
    let count = |filter: &str| {
        let out = run(Command::new("tshark").args(["-r", &file, "-d", &decode_as, "-Y", filter]));
        assert!(out.status.success(), "tshark -Y {filter}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    (count("openflow_v4").lines().count(), count("_ws.malformed || _ws.expert.severity == error"))
}

fn scenario(tag: u8, direct: bool) {
    let test = if direct { "controller_on_the_direct_stack" } else { "controller_on_the_socket_stack" };
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED {test}: {reason}");
        return;
    }
    if direct && !Path::new("/dev/net/tun").exists() {
        eprintln!("SKIPPED {test}: /dev/net/tun is missing");
        return;
    }
    let tap = format!("ovstap{tag}");
    let (ctl_ip, capture_if) =
        if direct { (format!("10.97.{tag}.2"), tap.as_str()) } else { ("127.0.0.1".into(), "lo") };
    let lab = Lab::new(tag, &format!("tcp:{ctl_ip}:6653"));
    if direct {
        lab.sw_exec(&["ip", "tuntap", "add", "dev", &tap, "mode", "tap"]);
        lab.sw_exec(&["ip", "addr", "add", &format!("10.97.{tag}.1/24"), "dev", &tap]);
        lab.sw_exec(&["ip", "link", "set", &tap, "up"]);
    }
    let pcap = lab.dir.path().join("openflow.pcap");
    let mut capture = lab.sw_proc(
        &["dumpcap", "-q", "-i", capture_if, "-f", "tcp port 6653", "-w", &pcap.to_string_lossy()],
        "dumpcap.log",
    );
    thread::sleep(Duration::from_millis(800));

    // 1. No controller: the secure-mode switch has no flows and drops everything.
    assert!(!lab.ping(), "ping worked without a controller\n{}", lab.flows());

    // 2. Our controller.
    let start = |n: u32| {
        let mut args = vec![
            BIN,
            "controller",
            "--port",
            "6653",
            "--app",
            "learning-switch,topology",
            "--flow-idle-timeout",
            "60",
        ];
        let addr = format!("{ctl_ip}/24");
        let net = format!("tap:{tap}");
        if direct {
            args.extend_from_slice(&["--net", &net, "--addr", &addr]);
        }
        let mut cmd = lab.sw_cmd(&args);
        cmd.env("RUST_LOG", "info");
        Proc::spawn(&mut cmd, &lab.dir.path().join(format!("controller{n}.log")))
    };
    let mut ctl = start(1);
    let logs = |ctl: &Proc| format!("controller:\n{}\novs-vswitchd:\n{}", ctl.log(), lab.vswitchd_log());
    wait_for(|| lab.connected(), "the switch to connect", &|| logs(&ctl));
    wait_for(|| ctl.log().contains("up with"), "switch-up in the log", &|| logs(&ctl));
    assert!(lab.ping(), "ping failed with the controller\n{}\n{}", lab.flows(), logs(&ctl));
    let flows = lab.flows();
    let learned: Vec<&str> = flows.lines().filter(|l| l.contains("cookie=0x4c53000000000001")).collect();
    assert!(learned.len() >= 2, "no learned flows:\n{flows}");
    assert!(
        learned
            .iter()
            .all(|l| l.contains("idle_timeout=60") && l.contains("dl_src=") && l.contains("dl_dst=")),
        "{flows}"
    );
    assert!(flows.contains("priority=0 actions=CONTROLLER:65535"), "no table-miss flow:\n{flows}");
    assert!(flows.contains("dl_type=0x88cc"), "no LLDP flow from topology:\n{flows}");
    let receiver = lab.iperf();
    eprintln!("{test}: iperf3 through Open vSwitch: {receiver}");

    // 3. Restart: the switch reconnects, and forwarding works again from scratch.
    ctl.stop();
    wait_for(|| !lab.connected(), "the switch to notice the controller is gone", &|| logs(&ctl));
    lab.del_flows();
    assert!(!lab.ping(), "ping worked with no flows and no controller");
    let ctl = start(2);
    wait_for(|| lab.connected(), "the switch to reconnect", &|| logs(&ctl));
    wait_for(|| ctl.log().contains("up with"), "switch-up after restart", &|| logs(&ctl));
    assert!(lab.ping(), "ping failed after the restart\n{}\n{}", lab.flows(), logs(&ctl));
    drop(ctl);

    // 4. The capture decodes cleanly.
    thread::sleep(Duration::from_millis(500));
    capture.stop();
    let (messages, malformed) = tshark_check(&pcap, 6653);
    assert!(messages > 20, "tshark saw {messages} OpenFlow 1.3 messages\n{}", capture.log());
    assert!(malformed.is_empty(), "tshark found malformed or erroneous packets:\n{malformed}");
    eprintln!("{test}: tshark decoded {messages} OpenFlow 1.3 packets, none malformed");
}

#[test]
fn controller_on_the_socket_stack() {
    scenario(1, false);
}

#[test]
fn controller_on_the_direct_stack() {
    scenario(2, true);
}
