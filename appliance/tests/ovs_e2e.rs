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
//! 4. the northbound API (`curl`): the switch is listed with its ports, the
//!    flows it lists are those `ovs-ofctl dump-flows` shows (count, a learned
//!    flow), a flow added through it appears in `dump-flows` and one deleted
//!    through it disappears;
//! 5. a capture of the OpenFlow session decodes in tshark's `openflow_v4`
//!    dissector with nothing malformed.
//!
//! TLS variant (socket stack): certificates made by `openssl` at test time (a
//! CA, the controller's server certificate, the switch's client certificate);
//! Open vSwitch with an `ssl:` controller connects, ping works through the
//! learning switch, the API answers over TLS with a client certificate; a
//! switch whose certificate comes from another CA is refused.
//!
//! Not root, or Open vSwitch / iperf3 / tshark missing: SKIPPED with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{BIN, Proc, have, is_root};

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
        Proc::spawn(&mut self.sw_cmd(args), Some(&self.dir.path().join(log)))
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
            Some(&log),
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

impl Lab {
    /// One northbound API request with `curl` (in the switch namespace, where
    /// the controller runs): (status, JSON body). `extra`: more curl flags (TLS).
    fn api(&self, method: &str, url: &str, body: Option<&str>, extra: &[&str]) -> (u16, serde_json::Value) {
        let mut args = vec!["timeout", "20", "curl", "-sS", "-X", method, "-w", "\n%{http_code}"];
        args.extend_from_slice(extra);
        if let Some(body) = body {
            args.extend_from_slice(&["-H", "Content-Type: application/json", "--data-binary", body]);
        }
        args.push(url);
        let out = self.sw_exec(&args);
        let (body, code) = out.trim_end().rsplit_once('\n').unwrap_or_else(|| panic!("curl said {out:?}"));
        let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {url}: {e}: {body}"));
        (code.parse().unwrap_or_else(|_| panic!("curl status {code:?}")), json)
    }

    /// The flow lines of `ovs-ofctl dump-flows`.
    fn flow_lines(&self) -> Vec<String> {
        self.flows().lines().filter(|l| l.contains("cookie=")).map(str::to_string).collect()
    }
}

/// The northbound API against the real switch (`base`: `http://IP:PORT`).
fn check_api(lab: &Lab, base: &str, tag: u8, extra: &[&str]) {
    let (status, switches) = lab.api("GET", &format!("{base}/switches"), None, extra);
    assert_eq!(status, 200, "{switches}");
    let list = switches.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{switches}");
    let sw = &list[0];
    let names: Vec<&str> =
        sw["ports"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    for want in ["sw1", "sw2", "br0"] {
        assert!(names.contains(&want), "port {want} missing: {sw}");
    }
    let dpid = sw["dpid"].as_str().unwrap().to_string();
    assert_eq!(u64::from_str_radix(&dpid, 16).unwrap(), sw["dpid_int"].as_u64().unwrap());
    let port1 = sw["ports"].as_array().unwrap().iter().find(|p| p["name"] == "sw1").unwrap();
    assert_eq!((port1["port_no"].as_u64(), port1["up"].as_bool()), (Some(1), Some(true)), "{sw}");

    // The same flows as dump-flows (retried while learning still changes them).
    let flows_url = format!("{base}/switches/{dpid}/flows");
    let mut agreed = None;
    for _ in 0..10 {
        let before = lab.flow_lines();
        let (status, flows) = lab.api("GET", &flows_url, None, extra);
        assert_eq!(status, 200, "{flows}");
        if before.len() == lab.flow_lines().len() && flows.as_array().unwrap().len() == before.len() {
            agreed = Some((before, flows));
            break;
        }
        thread::sleep(Duration::from_millis(300));
    }
    let (lines, flows) =
        agreed.unwrap_or_else(|| panic!("the API never listed what dump-flows shows\n{}", lab.flows()));
    let learned = flows.as_array().unwrap().iter().find(|f| f["cookie"] == 0x4c53_0000_0000_0001_u64);
    let learned = learned.unwrap_or_else(|| panic!("no learned flow in {flows}"));
    let dst = learned["match"]["eth_dst"].as_str().expect("a learned flow matches eth_dst");
    assert!(
        lines.iter().any(|l| l.contains(&format!("dl_dst={dst}")) && l.contains("cookie=0x4c53000000000001")),
        "{dst} not in dump-flows:\n{lines:?}"
    );

    // Add a flow, see it in dump-flows; delete it, see it go.
    let add = format!(
        r#"{{"priority": 1234, "cookie": 2748, "idle_timeout": 0, "match": {{"in_port": 1, "eth_type": 2048,
            "ipv4_dst": "10.77.{tag}.99"}}, "actions": [{{"type": "output", "port": 2}}]}}"#
    );
    let (status, body) = lab.api("POST", &flows_url, Some(&add), extra);
    assert_eq!((status, &body), (200, &serde_json::json!({ "status": "ok" })));
    let added = |lines: &[String]| {
        lines.iter().any(|l| l.contains("priority=1234") && l.contains(&format!("nw_dst=10.77.{tag}.99")))
    };
    let lines = lab.flow_lines();
    assert!(added(&lines), "the added flow is not in dump-flows:\n{lines:?}");
    assert!(lines.iter().any(|l| l.contains("cookie=0xabc") && l.contains("actions=output:2")), "{lines:?}");
    let (status, body) = lab.api("DELETE", &flows_url, Some(r#"{"cookie": 2748}"#), extra);
    assert_eq!(status, 200, "{body}");
    let lines = lab.flow_lines();
    assert!(!added(&lines), "the deleted flow is still in dump-flows:\n{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("cookie=0x4c53000000000001")),
        "other flows went too:\n{lines:?}"
    );

    // A flow the switch refuses: the switch's error comes back.
    let bad = r#"{"table_id": 254, "priority": 1, "actions": [{"type": "output", "port": 2}]}"#;
    let (status, body) = lab.api("POST", &flows_url, Some(bad), extra);
    assert!(status == 400 || status == 502, "{status} {body}");
    assert!(body["ofp_error"]["type"].is_u64(), "{body}");
    let (status, _) = lab.api("GET", &format!("{base}/switches/0x1234"), None, extra);
    assert_eq!(status, 404);
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
            "--api-port",
            "18080",
        ];
        let addr = format!("{ctl_ip}/24");
        let net = format!("tap:{tap}");
        if direct {
            // The direct stack has no loopback: the API answers on the TAP address.
            args.extend_from_slice(&["--net", &net, "--addr", &addr, "--api-address", &ctl_ip]);
        }
        let mut cmd = lab.sw_cmd(&args);
        cmd.env("RUST_LOG", "info");
        Proc::spawn(&mut cmd, Some(&lab.dir.path().join(format!("controller{n}.log"))))
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
    check_api(&lab, &format!("http://{ctl_ip}:18080"), tag, &[]);
    let (status, topology) = lab.api("GET", &format!("http://{ctl_ip}:18080/topology"), None, &[]);
    assert_eq!(status, 200, "{topology}");
    assert_eq!(topology["switches"].as_array().map(Vec::len), Some(1), "{topology}");
    eprintln!("{test}: the northbound API agrees with ovs-ofctl dump-flows");

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

    // 5. The capture decodes cleanly.
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

/// The (cert, key) paths as strings, for command lines.
fn strings((crt, key): (PathBuf, PathBuf)) -> (String, String) {
    (crt.to_string_lossy().into_owned(), key.to_string_lossy().into_owned())
}

/// A CA: (cert, key) in `dir`, named by `stem`.
fn make_ca(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    common::self_signed(
        dir,
        stem,
        stem,
        &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"],
    )
}

/// A certificate for `cn` signed by `ca`, for TLS servers and clients both
/// (Open vSwitch uses one certificate for either role).
fn make_signed(dir: &Path, stem: &str, cn: &str, ca: &(PathBuf, PathBuf)) -> (String, String) {
    strings(common::signed(
        dir,
        stem,
        cn,
        ca,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    ))
}

#[test]
fn controller_over_tls_with_client_certificates() {
    let test = "controller_over_tls_with_client_certificates";
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED {test}: {reason}");
        return;
    }
    let tag = 3;
    let lab = Lab::new(tag, "ssl:127.0.0.1:6654");
    let dir = lab.dir.path().to_path_buf();
    let ca_files = make_ca(&dir, "ca");
    let controller = make_signed(&dir, "controller", "controller", &ca_files);
    let switch = make_signed(&dir, "switch", "switch", &ca_files);
    let ca = strings(ca_files);
    let rogue_ca = make_ca(&dir, "rogue-ca");
    let rogue = make_signed(&dir, "rogue", "switch", &rogue_ca);
    lab.vsctl(&["set-ssl", &switch.1, &switch.0, &ca.0]);

    let start = |n: u32| {
        let args = [
            BIN,
            "controller",
            "--tls-port",
            "6654",
            "--cert",
            &controller.0,
            "--key",
            &controller.1,
            "--client-ca",
            &ca.0,
            "--app",
            "learning-switch",
            "--api-port",
            "18443",
        ];
        let mut cmd = lab.sw_cmd(&args);
        cmd.env("RUST_LOG", "info");
        Proc::spawn(&mut cmd, Some(&dir.join(format!("controller-tls{n}.log"))))
    };
    let mut ctl = start(1);
    let logs = |ctl: &Proc| format!("controller:\n{}\novs-vswitchd:\n{}", ctl.log(), lab.vswitchd_log());
    wait_for(|| lab.connected(), "the switch to connect over TLS", &|| logs(&ctl));
    wait_for(|| ctl.log().contains("up with"), "switch-up in the log", &|| logs(&ctl));
    assert!(lab.ping(), "ping failed with the TLS controller\n{}\n{}", lab.flows(), logs(&ctl));
    let learned = lab.flow_lines().iter().filter(|l| l.contains("cookie=0x4c53000000000001")).count();
    assert!(learned >= 2, "no learned flows:\n{}", lab.flows());

    // The API over TLS, with a client certificate from the same CA.
    let tls = ["--cacert", &ca.0, "--cert", &switch.0, "--key", &switch.1];
    let (status, switches) = lab.api("GET", "https://127.0.0.1:18443/switches", None, &tls);
    assert_eq!(status, 200, "{switches}");
    assert_eq!(switches.as_array().map(Vec::len), Some(1), "{switches}");
    // Without a client certificate the handshake is refused.
    let out = run(&mut lab.sw_cmd(&[
        "timeout",
        "20",
        "curl",
        "-sS",
        "--cacert",
        &ca.0,
        "https://127.0.0.1:18443/switches",
    ]));
    assert!(!out.status.success(), "the API answered without a client certificate");
    eprintln!("{test}: the switch connected over TLS, ping works, the API answers over TLS");

    // A switch whose certificate another CA signed is refused.
    ctl.stop();
    wait_for(|| !lab.connected(), "the switch to notice the controller is gone", &|| logs(&ctl));
    lab.vsctl(&["set-ssl", &rogue.1, &rogue.0, &ca.0]);
    let ctl = start(2);
    wait_for(|| ctl.log().contains("UnknownIssuer"), "the rogue switch's handshake to fail", &|| logs(&ctl));
    thread::sleep(Duration::from_secs(2));
    assert!(!lab.connected(), "a switch with another CA's certificate connected\n{}", logs(&ctl));
    assert!(!ctl.log().contains("up with"), "a switch with another CA's certificate came up\n{}", logs(&ctl));
    eprintln!("{test}: a switch with another CA's certificate was refused");
}

/// The CLI's API flags without a switch (no root needed; loopback only).
#[test]
fn api_flags_on_the_command_line() {
    if !have("curl", "--version") {
        eprintln!("SKIPPED api_flags_on_the_command_line: `curl` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut ctl = Proc::spawn(
        Command::new(BIN).args(["controller", "--port", "16653", "--api-port", "18091"]),
        Some(&dir.path().join("controller.log")),
    );
    let get = |path: &str| {
        run(Command::new("timeout")
            .args(["20", "curl", "-sS", "-w", "\n%{http_code}"])
            .arg(format!("http://127.0.0.1:18091{path}")))
    };
    wait_for(|| get("/switches").status.success(), "the API to listen", &|| ctl.log());
    let out = String::from_utf8(get("/switches").stdout).unwrap();
    let (body, code) = out.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(
        (code, serde_json::from_str::<serde_json::Value>(body).unwrap()),
        ("200", serde_json::json!([]))
    );
    let out = String::from_utf8(get("/topology").stdout).unwrap();
    assert!(out.ends_with("404"), "topology without the app: {out}");
    ctl.stop();
    // --cert without --key is refused before anything starts.
    let out = run(Command::new(BIN).args(["controller", "--tls-port", "16654", "--cert", "x.crt"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 --cert for 0 --key"), "{out:?}");
}
