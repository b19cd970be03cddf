#!/usr/bin/env bash
# benches/compare.sh - side-by-side network benchmark, in one run, as ratios:
# the Linux kernel's stack vs the appliance on host sockets vs the
# appliance's own userspace stack (smoltcp, "direct") on a TAP device.
#
#   bash benches/compare.sh [--quick]   (as root; writes the "## Network" section of benches/RESULTS.md)
#
#   default   3 rounds of 5 s runs, medians reported (about 6 min; at most 10)
#   --quick   1 round of 2 s runs (about 1 min; at most 3)
#             (not counting a first apt-get install or cargo build)
#
# Topology (everything inside namespaces created here and deleted on exit):
#
#   netns apl-bench-cli                              netns apl-bench-srv
#   [apl-bench-c 10.98.1.1/24] <---- veth ----> [apl-bench-s 10.98.1.2/24]
#       iperf3 -c (CPU 1)                        (a) iperf3 -s                  (CPU 0)
#                                                (b) appliance iperf3 --net socket
#   [apl-bench-tap 10.98.2.1/24]  TAP: the kernel side is the client's interface
#       iperf3 -c (CPU 1)         (c) appliance iperf3 --net tap:apl-bench-tap
#                                     --addr 10.98.2.2/24   (CPU 0, same netns)
#
# Variant (a) runs with the veth offloads as created (TSO/GSO/checksum on) and
# again with them off (TSO/GSO/GRO/tx/rx checksum), to show what offloads are
# worth to the kernel (the appliance takes the TAP's through IFF_VNET_HDR);
# and, as a reference, with RPS off (below).
# MTU 1500 everywhere. Tests per variant: TCP
# bulk with 1 and 4 streams, UDP -b 0 with 64- and 1400-byte datagrams. The
# server's CPU (/proc/PID/task/*/schedstat) is sampled in the steady part
# of every run, with per-core busy time from /proc/stat. The direct-stack
# appliance is also measured idle (5 s; 3 s with --quick) for CPU, wakeups and VmRSS.
#
# Every iperf3 run is bounded (-t DUR under `timeout`); processes are stopped
# by PID; namespaces, TAP and veth go away on exit, also on Ctrl-C or failure.
# Receive packet steering (RPS) puts each side's kernel receive path on its
# own core: the server's on CPU 0, the client's on CPU 1 (see "topology").
# A round runs every variant in turn; rounds repeat that, so slow drift on the
# machine spreads over all variants instead of landing on one.
# Env: KEEP_LOGS=1 keeps the work directory (iperf3 JSON, server logs);
#      RPS=0 leaves receive processing where the kernel puts it;
#      ROUNDS=N overrides the number of rounds (runs past the time budget are
#      reported as skipped).
set -uo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
NAME=compare.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
# iperf3 runs are shorter than lib.sh's default: 4 tests x 5 variants per round
if [ "$QUICK" = 1 ]; then DUR=${BENCH_DUR:-2}; BUDGET=170; IDLE_SECS=3; else DUR=${BENCH_DUR:-5}; BUDGET=570; IDLE_SECS=5; fi

OUT="$ROOT/benches/RESULTS.md"
NSC=apl-bench-cli; NSS=apl-bench-srv
VC=apl-bench-c; VS=apl-bench-s; TAP=apl-bench-tap
IP_C=10.98.1.1; IP_S=10.98.1.2; IP_TAPK=10.98.2.1; IP_APL=10.98.2.2
PORT=5201
SRV_CPU=0; CLI_CPU=1
SRV_MASK=$(printf '%x' $((1 << SRV_CPU))); CLI_MASK=$(printf '%x' $((1 << CLI_CPU)))
RPS="${RPS:-1}"
require_root "$@"

need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ss >/dev/null || need+=(iproute2)
command -v ethtool >/dev/null || need+=(ethtool)
command -v ps >/dev/null || need+=(procps)
# Debian's iperf3 asks whether to start a system-wide daemon: no.
[ ${#need[@]} -eq 0 ] || echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true
install_missing "${need[@]}"
build_appliance
# the interpreter itself, not a wrapper such as a pyenv shim (slow to start on a busy core)
PY="$(python3 -c 'import sys; print(sys.executable)')" || die "python3 does not run"
SECONDS=0 # the time budget starts here
SMP_PID=""
make_workdir apl-bench
trap 'stop_pid "$SMP_PID"; SMP_PID=""; cleanup' EXIT

# ---- helpers in Python: CPU sampler, iperf3 JSON parser, report writer ------------
cat >"$W/sample.py" <<'PY'
# sample.py PID WINDOW -> JSON over the next WINDOW seconds (idle measurement)
# sample.py PID DUR OUT ERR -- CLIENT-COMMAND...
#   starts the client (stdout to OUT, stderr to ERR), samples every 0.1 s until
#   it exits, and reports over the steady part of the test: from DUR-0.4 s
#   before the client's exit to 0.2 s before it (the test ends when the client
#   exits, give or take the result exchange; it may start late, e.g. after a
#   retransmitted SYN, so the window is not counted from the launch).
#   Exits with the client's exit status.
# JSON: the process's CPU % (all its threads' /proc/PID/task/*/schedstat run
# time, exact ns, user + kernel, as lib.sh's tree_ns; 100 = one core), each core's busy %
# (/proc/stat), the process's context switches/s, VmRSS, the client's wall time.
import glob, json, os, signal, subprocess, sys, time
pid, span = int(sys.argv[1]), float(sys.argv[2])
def proc():
    ns = 0
    for t in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            ns += int(open(t).read().split()[0])
        except (OSError, IndexError, ValueError):
            pass  # a thread that just ended
    st = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        st[k] = v.split()
    ctx = int(st["voluntary_ctxt_switches"][0]) + int(st["nonvoluntary_ctxt_switches"][0])
    return ns, ctx, int(st.get("VmRSS", ["0"])[0])
def cores():
    out = {}
    for line in open("/proc/stat"):
        if line.startswith("cpu") and line[3].isdigit():
            n, *v = line.split()
            v = [int(x) for x in v[:8]]  # user nice system idle iowait irq softirq steal
            out[n] = (sum(v) - v[3] - v[4], sum(v))
    return out
def sample():
    return (time.monotonic(), proc(), cores())
res, rc, gone = {}, 0, None
if len(sys.argv) == 3:
    try:
        a = sample(); time.sleep(span); b = sample()
    except (OSError, KeyError, ValueError) as e:
        gone = e
else:
    out, err, cmd = sys.argv[3], sys.argv[4], sys.argv[6:]
    with open(out, "wb") as o, open(err, "wb") as e:
        t0 = time.monotonic()
        client = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    stopped = []
    def stop(signum, frame):  # the script is being stopped: stop the client too
        stopped.append(signum)  # (the loop below reaps it; no waiting in a handler)
        try:
            os.kill(client.pid, signal.SIGTERM)
        except OSError:
            pass
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    samples = []
    while True:
        try:
            if gone is None:
                samples.append(sample())
        except (OSError, KeyError, ValueError) as e:
            gone = e
        try:
            rc = client.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            pass
    if stopped:
        sys.exit(128 + stopped[0])
    t_end = time.monotonic()
    res["client_wall_s"] = round(t_end - t0, 2)
    inside = [x for x in samples if t_end - span + 0.4 <= x[0] <= t_end - 0.2]
    if gone is None and (len(inside) < 2 or inside[-1][0] - inside[0][0] < 0.3):
        print(json.dumps({"error": "the run was too short to sample", **res}))
        sys.exit(rc)
    if gone is None:
        a, b = inside[0], inside[-1]
if gone is not None:
    print(json.dumps({"error": f"server process {pid} gone during the run ({gone.__class__.__name__})", **res}))
    sys.exit(rc)
dt = b[0] - a[0]
(p0, c0, _), (p1, c1, rss) = a[1], b[1]
res.update({"window_s": round(dt, 2), "proc_cpu": 100.0 * (p1 - p0) / 1e9 / dt,
            "ctx_per_s": (c1 - c0) / dt, "rss_kb": rss})
for n in a[2]:
    db, dtot = b[2][n][0] - a[2][n][0], b[2][n][1] - a[2][n][1]
    res[n] = 100.0 * db / dtot if dtot else 0.0
print(json.dumps(res))
sys.exit(rc)
PY

cat >"$W/parse.py" <<'PY'
# parse.py VARIANT TEST JSON ERR CPU RC TIMEOUT DUR IFPKTS IFDROPS RCVBUFERRS SERVER_ALIVE SERVER_LOG ROUND
# -> one JSON line: the test's numbers, or {"fail": reason}. Never invents a number.
import json, sys
(variant, test, jpath, epath, cpath, rc, tmo, dur, ifp, ifd, rbe, alive, slog, rnd) = sys.argv[1:15]
rc, dur = int(rc), float(dur)
row = {"variant": variant, "test": test, "round": int(rnd)}
def tail(path, n=300):
    try:
        t = open(path, errors="replace").read().strip()
    except OSError:
        return ""
    return " ".join(t[-n:].split())
def fail(reason):
    row["fail"] = reason
    print(json.dumps(row)); sys.exit()
try:
    cpu = json.load(open(cpath))
except Exception:
    cpu = {"error": "no CPU sample"}
row["cpu"] = cpu
raw = open(jpath, errors="replace").read()
j = None
try:
    j = json.loads(raw)
except Exception:
    pass
if rc == 124:
    fail(f"timeout: iperf3 -c did not finish within {tmo} s" + ("" if alive == "1" else f"; server exited: {tail(slog, 200)}"))
if j is None:
    fail(f"iperf3 -c exit {rc}, no JSON: {tail(epath) or raw.strip()[-300:]}")
if "error" in j:
    extra = "" if alive == "1" else f"; server exited: {tail(slog, 200)}"
    fail(f"iperf3: {j['error']}{extra}")
if rc != 0:
    fail(f"iperf3 -c exit {rc}: {tail(epath)}")
e = j.get("end", {})
proto = j.get("start", {}).get("test_start", {}).get("protocol", "?")
ifp, ifd = int(ifp), int(ifd)
row["if_pps"], row["if_drops"] = ifp / dur, ifd
if proto == "TCP":
    s, r = e.get("sum_sent"), e.get("sum_received")
    if not s or not r:
        fail("iperf3 JSON has no end.sum_sent/sum_received")
    row["gbps"] = r["bits_per_second"] / 1e9
    row["sent_gbps"] = s["bits_per_second"] / 1e9
    row["retr"] = s.get("retransmits")
else:
    s = e.get("sum_sent") or e.get("sum")
    r = e.get("sum_received") or e.get("sum")
    if not s or not r or "packets" not in s:
        fail("iperf3 JSON has no UDP end sums")
    got = r["packets"] - r.get("lost_packets", 0)
    if variant == "direct":
        # frames the appliance read from the TAP but its service never got
        # (smoltcp drops a datagram when the UDP socket's buffer is full,
        # uncounted); the few control-connection frames make this approximate
        row["stack_drops"] = max(0, ifp - got)
    else:
        row["stack_drops"] = int(rbe)
    row["sent_pps"] = s["packets"] / s["seconds"] if s["seconds"] else 0.0
    row["recv_pps"] = got / r["seconds"] if r["seconds"] else 0.0
    row["loss"] = r.get("lost_percent")
    row["sent_gbps"] = s["bits_per_second"] / 1e9
    row["recv_gbps"] = r["bits_per_second"] / 1e9
print(json.dumps(row))
PY

cat >"$W/show.py" <<'PY'
# show.py < one results line -> one human line on the terminal
import json, sys
r = json.loads(sys.stdin.read())
c = r.get("cpu", {}).get("proc_cpu")
c = "" if c is None else f", server CPU {c:.0f}%"
w = r.get("cpu", {}).get("client_wall_s")
c += "" if w is None else f", client ran {w} s"
if "fail" in r:
    print("FAILED:", r["fail"])
elif "gbps" in r:
    print(f"{r['gbps']:.2f} Gbit/s, retransmits {r.get('retr')}{c}")
else:
    print(f"{r['sent_pps']:,.0f} pkt/s sent, {r['recv_pps']:,.0f} received, loss {r.get('loss')}%{c}")
PY

cat >"$W/report.py" <<'PY'
# report.py WORKDIR: the "## Network" section of RESULTS.md, from the collected
# pieces, on standard output; the headline figures to benches/summary.py.
import json, os, sys
w = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import summary
meta = dict(l.rstrip("\n").split("=", 1) for l in open(f"{w}/meta.txt") if "=" in l)
rows = [json.loads(l) for l in open(f"{w}/results.jsonl") if l.strip()]
median = summary.median
def read(name):
    try:
        return open(f"{w}/{name}", errors="replace").read().rstrip()
    except OSError:
        return "(not recorded)"
V = [("kernel", "Linux kernel: `iperf3 -s` (veth, offloads on)"),
     ("kernel-off", "Linux kernel: `iperf3 -s` (veth, offloads off)"),
     ("socket", "appliance, socket stack (veth, offloads on)"),
     ("direct", "appliance, direct stack (TAP, virtio-net header offloads)")]
if meta.get("rps") == "1":
    V.append(("kernel-norps", "reference: Linux kernel (veth, offloads on, RPS off)"))
def get(v, t):
    """The runs of variant v, test t, folded: the median of every number,
    with its min and max; failed runs are named, never counted."""
    rs = [r for r in rows if r["variant"] == v and r["test"] == t]
    if not rs:
        return {"fail": "not run"}
    ok = [r for r in rs if "fail" not in r]
    if not ok:
        return {"fail": rs[0]["fail"] + (f" (all {len(rs)} runs)" if len(rs) > 1 else "")}
    agg = {"n": len(ok), "note": ""}
    if len(ok) < len(rs):
        bad = [r for r in rs if "fail" in r]
        agg["note"] = f"; {len(bad)} of {len(rs)} runs failed: {bad[0]['fail']}"
    for k, x in ok[0].items():
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            xs = [r[k] for r in ok if isinstance(r.get(k), (int, float))]
            agg[k], agg[k + "_min"], agg[k + "_max"] = median(xs), min(xs), max(xs)
    cpus = [r["cpu"] for r in ok if "proc_cpu" in r.get("cpu", {})]
    agg["cpu"] = {k: median([c.get(k, 0.0) for c in cpus]) for k in ("proc_cpu", "cpu0", "cpu1")} if cpus else {}
    return agg
def main(r, k, fmt):
    """The median, and the range when there were several runs."""
    m = format(r[k], fmt)
    if r.get("n", 1) > 1:
        m += f" ({format(r[k + '_min'], fmt)}–{format(r[k + '_max'], fmt)})"
    return m + r.get("note", "")
def num(x, fmt):
    return "—" if x is None else format(x, fmt)
def ratio(r, base, key):
    if "fail" in r or "fail" in base or not base.get(key):
        return "—"
    return f"{r[key] / base[key]:.2f}"
def cpu_cols(r):
    c = r.get("cpu", {})
    if "proc_cpu" not in c:
        return ["—", "—"]
    return [f"{c['proc_cpu']:.0f}", f"{c.get('cpu0', 0):.0f} / {c.get('cpu1', 0):.0f}"]
def esc(s):
    return s.replace("|", "\\|").replace("\n", " ")
L = []
p = L.append
p("## Network: Linux kernel stack vs the appliance's socket and direct stacks (iperf3)")
p("")
p(f"Written by `{meta['invocation']}` on {meta['date']} (UTC), "
  f"{meta['dur']} s per iperf3 run{' (quick mode)' if meta['quick'] == '1' else ''}; "
  f"the script took {meta['elapsed']} s after the build.")
p("")
p("### Machine")
p("")
p(f"- CPU: {meta['cpu']}, {meta['cores']} cores (`nproc`); kernel `{meta['kernel']}`")
p(f"- load average before the runs: {meta['loadavg']}")
p(f"- {meta['iperf3']}; appliance built from `{meta['git']}`")
p(f"- server pinned to CPU {meta['srv_cpu']}, client (`iperf3 -c`) to CPU {meta['cli_cpu']} (`taskset -c`)")
p("")
p("### Topology")
p("")
p("```")
p("netns apl-bench-cli                                netns apl-bench-srv")
p(f"[{meta['vc']} {meta['ip_c']}/24] <---- veth ----> [{meta['vs']} {meta['ip_s']}/24]   (a) iperf3 -s, (b) appliance --net socket")
p(f"[{meta['tap']} {meta['ip_tapk']}/24]  TAP, kernel side    (c) appliance --net tap:{meta['tap']} --addr {meta['ip_apl']}/24 (same netns)")
p("```")
p("")
p(f"MTU: veth {meta['mtu_veth']}, TAP {meta['mtu_tap']}, the appliance its default (1500); TAP txqueuelen {meta['txq_tap']}. "
  "IPv6 is disabled in both namespaces (no router solicitations or MLD in the idle measurement).")
p("")
p("Offloads (`ethtool -k`, main features) of the veth as created (variants a, b) and of the TAP (c); "
  "the offloads-off run of (a) sets `tso gso gro tx rx off` on both veth ends:")
p("")
p("| feature | veth (default) | veth (offloads-off run) | TAP |")
p("| --- | --- | --- | --- |")
def feats(name):
    d = {}
    for l in read(name).splitlines():
        k, _, v = l.partition(":")
        if v:
            d[k.strip()] = v.strip()
    return d
fv, fo, ft = feats("offloads-veth.txt"), feats("offloads-veth-off.txt"), feats("offloads-tap.txt")
for k in list(dict.fromkeys(list(fv) + list(ft))):
    p(f"| {k} | {fv.get(k, '—')} | {fo.get(k, '—')} | {ft.get(k, '—')} |")
p("")
if "warn" in meta:
    p(f"**Warning**: {meta['warn']}.")
    p("")
p("### Results")
p("")
p("How to read these tables:")
p("")
p("- *÷ Linux*, *÷ Linux offloads off*, *÷ socket stack*: the variant's number divided by that row's "
  "(Gbit/s for TCP, received packets/s for UDP). Direct ÷ Linux is the headline; direct ÷ socket stack "
  "compares two stacks running the *same* iperf3 service code, so it isolates the stack from the server "
  "program (stock `iperf3 -s` receives UDP with a `select()` and one `recv` per datagram).")
p("- The appliance opens the TAP with `IFF_VNET_HDR` and `TUNSETOFFLOAD` (TSO4/6, CSUM), so the kernel side "
  "hands it GSO super-frames of up to 64 KiB with checksums it vouches for, as the veth gives the kernel stack "
  "its GRO/TSO: *÷ Linux* (offloads on) is the like-for-like comparison; the TAP column of the offloads table "
  "is read before the appliance starts.")
if meta.get("rps") == "1":
    p("- Receive packet steering (`rps_cpus`) puts the server side's kernel receive path on CPU "
      f"{meta['srv_cpu']} and the client side's on CPU {meta['cli_cpu']} (veth delivers a frame in the "
      "sender's context, so without it the server's IP/TCP/UDP receive work would run on the client's "
      "core, giving the kernel variants a second core). The *reference* row is the kernel with RPS off.")
p("- *server CPU %*: the server process's CPU time (/proc/PID/task/*/schedstat) over the steady part of the run "
  f"({meta['win_desc']}); 100 = one core. Kernel softirq work can be charged to whatever process it "
  "interrupts (tick-based accounting without `CONFIG_IRQ_TIME_ACCOUNTING`), so *CPU0 / CPU1 busy %* (all work on each core, /proc/stat, same window) is the fairer "
  "measure of what the server side cost.")
p("- UDP runs at `-b 0` are limited by the sender as well: one `iperf3 -c` core sends fewer datagrams "
  "into a veth (whose xmit also queues to the receiver) than into a TAP. Where a row receives ~all that "
  "was sent with its server core below 100 %, the server was not saturated and its ratio is a lower bound.")
if meta["rounds"] == "1":
    p("- Every number comes from a single run, and runs vary (quick mode's 2 s runs the most): repeat before quoting.")
else:
    p(f"- Every test ran {meta['rounds']} times (rounds: all variants in turn, then again); a number is the median "
      "of the runs, the main one followed by (min–max); the ratios divide medians.")
p("")
tests_tcp = [("tcp1", "TCP bulk, 1 stream: Gbit/s at the receiver"),
             ("tcp4", "TCP bulk, 4 streams (`-P 4`): Gbit/s at the receiver")]
for t, title in tests_tcp:
    p(f"#### {title}")
    p("")
    p("| variant | Gbit/s | client retransmits | server CPU % | CPU0 / CPU1 busy % | ÷ Linux | ÷ Linux offloads off | ÷ socket stack |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    b_on, b_off, b_sock = get("kernel", t), get("kernel-off", t), get("socket", t)
    for v, name in V:
        r = get(v, t)
        if "fail" in r:
            p(f"| {name} | failed: {esc(r['fail'])} | | | | | | |")
            continue
        p(f"| {name} | {main(r, 'gbps', '.2f')} | {num(r.get('retr'), ',.0f')} | " + " | ".join(cpu_cols(r)) +
          f" | {ratio(r, b_on, 'gbps')} | {ratio(r, b_off, 'gbps')} | {ratio(r, b_sock, 'gbps')} |")
    p("")
for t, title in [("udp64", "UDP, 64-byte datagrams (`-u -b 0 -l 64`): packets/s"),
                 ("udp1400", "UDP, 1400-byte datagrams (`-u -b 0 -l 1400`): packets/s")]:
    p(f"#### {title}")
    p("")
    p("| variant | sent pkt/s | received pkt/s | loss % | server interface pkt/s | drops: interface / stack | server CPU % "
      "| CPU0 / CPU1 busy % | received ÷ Linux | ÷ Linux offloads off | ÷ socket stack |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    b_on, b_off, b_sock = get("kernel", t), get("kernel-off", t), get("socket", t)
    for v, name in V:
        r = get(v, t)
        if "fail" in r:
            p(f"| {name} | failed: {esc(r['fail'])} | | | | | | | | | |")
            continue
        p(f"| {name} | {r['sent_pps']:,.0f} | {main(r, 'recv_pps', ',.0f')} | {num(r.get('loss'), '.1f')} | "
          f"{r['if_pps']:,.0f} | {r['if_drops']:,.0f} / {('≈' if v == 'direct' else '') + format(r['stack_drops'], ',.0f')} | "
          + " | ".join(cpu_cols(r)) +
          f" | {ratio(r, b_on, 'recv_pps')} | {ratio(r, b_off, 'recv_pps')} | {ratio(r, b_sock, 'recv_pps')} |")
    p("")
p("*sent* and *loss* are iperf3's (the receiver counts lost datagrams from their sequence numbers); "
  "*received* = datagrams that reached the server program. *server interface pkt/s*: frames the server's "
  f"interface took in per second of the {meta['dur']} s test: veth `rx_packets` of {meta['vs']}; for the TAP, "
  f"`tx_packets` of {meta['tap']}, i.e. frames the appliance read. *drops*, over the whole test: *interface* = "
  "veth `rx_dropped` / TAP `tx_dropped` (the TAP's queue was full: the appliance did not read fast enough); "
  "*stack* = for the kernel, UDP `RcvbufErrors` in the server's namespace (the server program did not drain "
  "its socket fast enough); for the direct stack, frames the appliance read minus datagrams its iperf3 "
  "service received (≈, a few frames are TCP control traffic): datagrams smoltcp dropped because the UDP "
  "socket's buffer was full, which the appliance's own counters do not count.")
p("")
p("#### Idle and memory")
p("")
try:
    idle = json.loads(read("idle.json"))
except Exception:
    idle = {"error": read("idle.json")}
p("| measurement | value |")
p("| --- | --- |")
if "error" in idle:
    p(f"| direct stack idle ({meta['idle_secs']} s) | failed: {esc(idle['error'])} |")
else:
    p(f"| direct stack (TAP) idle, {idle['window_s']} s: CPU % (schedstat) | {idle['proc_cpu']:.2f} |")
    p(f"| direct stack (TAP) idle: context switches/s (wakeups) | {idle['ctx_per_s']:.1f} |")
    p(f"| direct stack (TAP) idle: VmRSS | {idle['rss_kb'] / 1024:.1f} MiB ({idle['rss_kb']} kB) |")
hwm = {}
for l in read("hwm.txt").splitlines():
    k, _, x = l.partition(" ")
    if x.strip().isdigit():
        hwm[k] = max(hwm.get(k, 0), int(x))
for v, name in V:
    val = f"{hwm[v] / 1024:.1f} MiB" if v in hwm else "failed: not measured"
    p(f"| {name}: peak RSS (VmHWM) after its runs | {val} |")
p("")
p("### Commands")
p("")
p("Exactly as run (`$BIN` = the release binary, " + f"`{meta['bin']}`)"
  + ("" if meta["rounds"] == "1" else "; round 2 repeats the variant runs:" if meta["rounds"] == "2"
     else f"; rounds 2 to {meta['rounds']} repeat the variant runs:") + ("" if meta["rounds"] != "1" else ":"))
p("")
p("```sh")
p(read("commands.txt").replace(meta["bin"], "$BIN"))
p("```")
p("")
p("### Direct stack: the appliance's counters at shutdown (each round's four runs together)")
p("")
p("```")
p(read("direct-counters.txt"))
p("```")
# headline figures: direct stack ÷ Linux (offloads on), goals of issue 7 "at
# equal or lower server CPU": met when the ratio reaches the goal both as is
# and per CPU0 busy % (all work on the server's core), so a saturated core on
# both sides compares the work done per unit of it
def headline(t, key, unit, goal):
    d, k = get("direct", t), get("kernel", t)
    ours = None if "fail" in d else d[key]
    theirs = None if "fail" in k else k[key]
    met = None
    if ours is not None and theirs:
        cd, ck = d.get("cpu", {}).get("cpu0"), k.get("cpu", {}).get("cpu0")
        met = ours / theirs >= goal and bool(cd) and bool(ck) and ours / cd >= goal * theirs / ck
    summary.add(f"network: {unit}, direct stack (TAP)", ours, "Linux kernel (veth)", theirs,
                f"≥ {goal}×, also per CPU0 busy %", met)
headline("tcp1", "gbps", "TCP bulk 1 stream Gbit/s", 1.0)
headline("tcp4", "gbps", "TCP bulk 4 streams Gbit/s", 1.0)
headline("udp64", "recv_pps", "UDP 64 B packets/s", 1.5)
headline("udp1400", "recv_pps", "UDP 1400 B packets/s", 1.5)
ok = "error" not in idle
summary.add("network: idle direct stack, CPU %", idle["proc_cpu"] if ok else None, None, None, "~0 (< 1 %)",
            idle["proc_cpu"] < 1.0 if ok else None)
summary.add("network: idle direct stack, VmRSS MiB", idle["rss_kb"] / 1024 if ok else None, None, None, "≤ 8 MiB",
            idle["rss_kb"] <= 8 * 1024 if ok else None)
sys.stdout.write("\n".join(L) + "\n")
PY

# ---- topology ---------------------------------------------------------------------
make_topology
# RPS=0: the reference without receive packet steering everywhere
if [ "$RPS" != 1 ]; then set_rps "$NSS" "$VS" 0 && set_rps "$NSC" "$VC" 0 && set_rps "$NSC" "$TAP" 0 || die "RPS off failed"; fi
inC ping -c 2 -i 0.2 -W 1 "$IP_S" >/dev/null || die "ping over the veth failed"

OFFL='^(rx-checksumming|tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|large-receive-offload|tx-udp-segmentation):'
inC ethtool -k "$VC" | grep -E "$OFFL" >"$W/offloads-veth.txt"
inC ethtool -k "$TAP" | grep -E "$OFFL" >"$W/offloads-tap.txt"
cmd "ip netns exec $NSC ethtool -k $VC; ip netns exec $NSC ethtool -k $TAP   # offloads, recorded above"

# ---- servers ------------------------------------------------------------------------
# `ip netns exec` and `taskset` exec the program, so $! is the server's own PID.
# (Not inside a function: a function run with & would be a subshell.)
start_server() { # VARIANT -> SRV_PID, log $W/server-VARIANT-rROUND.log; returns 1 if it is not ready
    local v="$1" log="$W/server-$1-r$ROUND.log"
    case "$v" in
        kernel | kernel-off | kernel-norps)
            cmd "ip netns exec $NSS taskset -c $SRV_CPU iperf3 -s -B $IP_S -p $PORT &"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" iperf3 -s -B "$IP_S" -p "$PORT" >>"$log" 2>&1 &
            SRV_PID=$! ;;
        socket)
            cmd "ip netns exec $NSS taskset -c $SRV_CPU $BIN iperf3 --port $PORT --net socket --addr $IP_S &"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" "$BIN" iperf3 --port "$PORT" --net socket --addr "$IP_S" \
                >>"$log" 2>&1 &
            SRV_PID=$! ;;
        direct)
            cmd "ip netns exec $NSC taskset -c $SRV_CPU $BIN iperf3 --port $PORT --net tap:$TAP --addr $IP_APL/24 &"
            ip netns exec "$NSC" taskset -c "$SRV_CPU" "$BIN" iperf3 --port "$PORT" --net "tap:$TAP" \
                --addr "$IP_APL/24" >>"$log" 2>&1 &
            SRV_PID=$! ;;
    esac
    local until=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$until" ]; do
        kill -0 "$SRV_PID" 2>/dev/null || break
        case "$v" in
            direct) inC ping -c 1 -W 1 "$IP_APL" >/dev/null 2>&1 && return 0 ;;
            *) [ -n "$(inS ss -Hltn "sport = :$PORT")" ] && return 0; sleep 0.25 ;;
        esac
    done
    SRV_FAIL="server did not come up: $(tail -c 300 "$log" | tr '\n' ' ')"
    stop_pid "$SRV_PID"; SRV_PID=""
    return 1
}
stop_server() { # VARIANT: records VmHWM, stops the server by PID
    local v="$1"
    [ -n "$SRV_PID" ] || return 0
    if kill -0 "$SRV_PID" 2>/dev/null; then
        echo "$v $(awk '/^VmHWM:/ {print $2}' "/proc/$SRV_PID/status" 2>/dev/null)" >>"$W/hwm.txt"
    fi
    stop_pid "$SRV_PID"; SRV_PID=""
}

server_iface_counters() { # VARIANT -> "packets drops rcvbuf-errors" on the server's side
    # veth: rx_packets/rx_dropped of its server end, and UDP RcvbufErrors of
    # the server's netns (datagrams a full socket buffer dropped);
    # TAP: tx_packets (frames the appliance read) and tx_dropped (queue full).
    case "$1" in
        direct) echo "$(inC cat /sys/class/net/$TAP/statistics/tx_packets) $(inC cat /sys/class/net/$TAP/statistics/tx_dropped) 0" ;;
        *) echo "$(inS cat /sys/class/net/$VS/statistics/rx_packets) $(inS cat /sys/class/net/$VS/statistics/rx_dropped)" \
            "$(inS awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp)" ;;
    esac
}

fail_row() { # VARIANT TEST REASON -> a failed row in results.jsonl
    "$PY" -c 'import json,sys; print(json.dumps({"variant":sys.argv[1],"test":sys.argv[2],"round":int(sys.argv[3]),"fail":sys.argv[4]}))' \
        "$1" "$2" "$ROUND" "$3" >>"$W/results.jsonl"
    FAILED=1
}

# run_test VARIANT TEST iperf3-args...: one bounded client run -> results.jsonl
run_test() {
    local v="$1" t="$2"; shift 2
    local dst="$IP_S" ns="$NSC" tmo=$((DUR + 10)) left rc alive p0 d0 b0 p1 d1 b1 f="$W/$v-$t-r$ROUND"
    [ "$v" = direct ] && dst="$IP_APL"
    left=$((BUDGET - SECONDS))
    if [ "$left" -lt $((DUR + 5)) ]; then
        fail_row "$v" "$t" "skipped: time budget (${BUDGET} s) used up"
        return
    fi
    [ "$left" -lt "$tmo" ] && tmo=$left
    if [ -z "$SRV_PID" ] || ! kill -0 "$SRV_PID" 2>/dev/null; then
        stop_pid "$SRV_PID"; SRV_PID=""
        SRV_FAIL=""
        start_server "$v" || { fail_row "$v" "$t" "$SRV_FAIL"; return; }
    fi
    printf '   %-12s %-8s ' "$v" "$t"
    read -r p0 d0 b0 < <(server_iface_counters "$v")
    cmd "ip netns exec $ns taskset -c $CLI_CPU timeout $tmo iperf3 -c $dst -p $PORT -t $DUR -J${*:+ $*}"
    # the sampler (on the client's core) starts the client and waits for it
    taskset -c "$CLI_CPU" "$PY" "$W/sample.py" "$SRV_PID" "$DUR" "$f.json" "$f.err" -- \
        ip netns exec "$ns" taskset -c "$CLI_CPU" timeout "$tmo" iperf3 -c "$dst" -p "$PORT" -t "$DUR" -J "$@" \
        >"$f.cpu" 2>>"$f.err" &
    SMP_PID=$!
    wait "$SMP_PID"; rc=$?; SMP_PID=""
    read -r p1 d1 b1 < <(server_iface_counters "$v")
    alive=0; kill -0 "$SRV_PID" 2>/dev/null && alive=1
    "$PY" "$W/parse.py" "$v" "$t" "$f.json" "$f.err" "$f.cpu" "$rc" "$tmo" "$DUR" \
        $((p1 - p0)) $((d1 - d0)) $((b1 - b0)) "$alive" "$W/server-$v-r$ROUND.log" "$ROUND" |
        tee -a "$W/results.jsonl" | "$PY" "$W/show.py"
    if tail -n 1 "$W/results.jsonl" | grep -q '"fail"'; then
        FAILED=1
        # a failed run may leave the server mid-test: start the next run on a fresh one
        stop_pid "$SRV_PID"; SRV_PID=""
    fi
    sleep 0.3
}

# The veth's state for a variant: offloads as created or off, RPS on or off.
# (Offloads are put back from what ethtool -k said at the start.)
OFFL_NOW=default; RPS_NOW=$RPS
veth_state() { # default|off  1|0
    local dev ns
    if [ "$1" != "$OFFL_NOW" ]; then
        for dev in "$VC" "$VS"; do
            ns=$NSC; [ "$dev" = "$VS" ] && ns=$NSS
            if [ "$1" = off ]; then
                run ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1
            else
                # shellcheck disable=SC2086
                run ip netns exec "$ns" ethtool -K "$dev" $OFFL_RESTORE >/dev/null 2>&1
            fi
        done
        if [ "$1" = default ] && ! inC ethtool -k "$VC" | grep -E "$OFFL" | cmp -s - "$W/offloads-veth.txt"; then
            echo "   warning: the veth's offloads did not come back as they were (ethtool -K $OFFL_RESTORE)"
            echo "warn=round $ROUND: the veth's offloads did not come back to their initial state after the offloads-off runs" >>"$W/meta.txt"
        fi
        OFFL_NOW=$1
    fi
    if [ "$RPS" = 1 ] && [ "$2" != "$RPS_NOW" ]; then
        if [ "$2" = 1 ]; then set_rps "$NSS" "$VS" "$SRV_MASK"; set_rps "$NSC" "$VC" "$CLI_MASK"
        else set_rps "$NSS" "$VS" 0; set_rps "$NSC" "$VC" 0; fi
        RPS_NOW=$2
    fi
}

run_variant() { # VARIANT TITLE
    local v="$1"
    echo "-- $2"
    case "$v" in
        kernel | socket) veth_state default 1 ;;
        kernel-norps) veth_state default 0 ;;
        kernel-off) veth_state off 1 ;;
    esac
    [ "$v" = kernel-off ] && [ ! -s "$W/offloads-veth-off.txt" ] &&
        inC ethtool -k "$VC" | grep -E "$OFFL" >"$W/offloads-veth-off.txt"
    SRV_FAIL=""
    if [ "$v" = direct ] && [ "$ROUND" = 1 ]; then
        # the idle appliance first: CPU, wakeups, memory with no traffic
        if start_server direct; then
            sleep 1
            cmd "# idle: sample /proc/\$PID/task/*/schedstat and /proc/\$PID/status over $IDLE_SECS s, no traffic"
            "$PY" "$W/sample.py" "$SRV_PID" "$IDLE_SECS" >"$W/idle.json" 2>&1
            echo "   idle: $(cat "$W/idle.json")"
        else
            "$PY" -c 'import json,sys; print(json.dumps({"error": sys.argv[1]}))' "$SRV_FAIL" >"$W/idle.json"
        fi
    fi
    run_test "$v" tcp1
    run_test "$v" tcp4 -P 4
    run_test "$v" udp64 -u -b 0 -l 64
    run_test "$v" udp1400 -u -b 0 -l 1400
    stop_server "$v"
    if [ "$v" = direct ]; then
        { echo "round $ROUND:"; sed -n '/counters:/,$p' "$W/server-direct-r$ROUND.log" | sed 1d | sed 's/\x1b\[[0-9;]*m//g'; } \
            >>"$W/direct-counters.txt"
    fi
}

# ethtool -K arguments that put the veth's offloads back as they were created
OFFL_RESTORE="$(awk -F': ' '
    $1 == "rx-checksumming" { a = a " rx " $2 }             $1 == "tx-checksumming" { a = a " tx " $2 }
    $1 == "tcp-segmentation-offload" { a = a " tso " $2 }   $1 == "generic-segmentation-offload" { a = a " gso " $2 }
    $1 == "generic-receive-offload" { a = a " gro " $2 }    END { print a }' "$W/offloads-veth.txt" |
    sed 's/ \[[a-z ]*\]//g')"

: >"$W/results.jsonl"; : >"$W/hwm.txt"; : >"$W/direct-counters.txt"
{
    echo "invocation=bash benches/compare.sh${1:+ $1}"
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "quick=$QUICK"; echo "dur=$DUR"; echo "rounds=$ROUNDS"; echo "idle_secs=$IDLE_SECS"
    echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "cores=$(nproc)"; echo "kernel=$(uname -r)"; echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "iperf3=$(iperf3 --version | head -1 | sed 's/ (.*//')"
    echo "git=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- appliance Cargo.toml Cargo.lock 2>/dev/null)" ] && echo ' + uncommitted changes in appliance/')"
    echo "srv_cpu=$SRV_CPU"; echo "cli_cpu=$CLI_CPU"; echo "bin=$BIN"; echo "rps=$RPS"
    echo "vc=$VC"; echo "vs=$VS"; echo "tap=$TAP"
    echo "ip_c=$IP_C"; echo "ip_s=$IP_S"; echo "ip_tapk=$IP_TAPK"; echo "ip_apl=$IP_APL"
    echo "mtu_veth=$(inC cat /sys/class/net/$VC/mtu)"; echo "mtu_tap=$(inC cat /sys/class/net/$TAP/mtu)"
    echo "txq_tap=$(inC cat /sys/class/net/$TAP/tx_queue_len)"
    echo "win_desc=the last $DUR s of the client's life less 0.4 s at the start and 0.2 s at the end, sampled every 0.1 s: $("$PY" -c "print(round($DUR - 0.6, 1))") s"
} >"$W/meta.txt"

echo "== $( [ "$QUICK" = 1 ] && echo "quick: ")$ROUNDS round(s) of iperf3 runs of $DUR s; server on CPU $SRV_CPU, client on CPU $CLI_CPU"
for ROUND in $(seq "$ROUNDS"); do
    [ "$ROUNDS" -gt 1 ] && echo "== round $ROUND of $ROUNDS ($SECONDS s so far)"
    [ "$ROUND" = 2 ] && RECORD=0 # the commands are recorded once
    run_variant direct "(c) appliance, direct stack on TAP $TAP"
    run_variant kernel "(a) Linux kernel, iperf3 -s on the veth (offloads on)"
    run_variant socket "(b) appliance, socket stack on the veth (offloads on)"
    [ "$RPS" = 1 ] && run_variant kernel-norps "(a, reference) Linux kernel, iperf3 -s on the veth (offloads on), RPS off"
    run_variant kernel-off "(a') Linux kernel, iperf3 -s on the veth, offloads off"
done

echo "elapsed=$SECONDS" >>"$W/meta.txt"
if "$PY" "$W/report.py" "$W" "$ROOT/benches" | "$PY" "$ROOT/benches/section.py" "$OUT" "## Network"; then
    echo "== wrote $OUT (${SECONDS} s)"
else
    echo "compare.sh: writing $OUT failed" >&2
    FAILED=1; exit 1
fi
