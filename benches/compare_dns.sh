#!/usr/bin/env bash
# benches/compare_dns.sh - authoritative DNS side by side, in one run, as
# ratios: NSD and Knot DNS vs the appliance's `dns` service on host sockets
# and on its own userspace stack (smoltcp, "direct") on a TAP device; plus
# the memory each needs for a 100,000-record zone.
#
#   bash benches/compare_dns.sh [--quick]   (as root; writes the "## DNS" section of benches/RESULTS.md)
#
#   default   3 rounds of 10 s dnsperf runs over UDP, 1 round over TCP,
#             medians reported (about 5 min)
#   --quick   1 round of 3 s runs (about 1 min)
#             (not counting a first apt-get install or cargo build)
#
# Topology (everything inside namespaces created here and deleted on exit):
#
#   netns apl-dnsb-cli                               netns apl-dnsb-srv
#   [apl-dnsb-c 10.98.11.1/24] <--- veth ---> [apl-dnsb-s 10.98.11.2/24]
#       dnsperf (CPU 1)                           NSD | Knot | appliance dns --net socket  (CPU 0)
#                                                 appliance dns --net socket --instances 2 (CPUs 0-1)
#   [apl-dnsb-tap 10.98.12.1/24]  TAP: kernel side
#       dnsperf (CPU 1)                           appliance dns --net tap:apl-dnsb-tap
#                                                   --addr 10.98.12.2/24 (CPU 0, in the client netns)
#
# Each server runs one worker (NSD server-count 1; Knot 1 UDP + 1 TCP
# worker), pinned to CPU 0 with everything it forks; dnsperf is pinned to
# CPU 1. One more variant, for total throughput rather than per-CPU cost:
# the socket stack with 2 SO_REUSEPORT instances allowed on both CPUs
# (sharing CPU 1 with dnsperf). Receive packet steering puts each side's kernel receive path on its
# own core (as in compare.sh). The server's CPU is the run time of its whole
# process tree (/proc/PID/task/*/schedstat, nanoseconds, user + kernel) over
# the dnsperf run; per-core busy time comes from /proc/stat. "Queries per server CPU-second" = answered queries/s
# divided by the server's CPU share: on 2 cores dnsperf itself is often the
# limit, and that figure stays fair when it is.
#
# Every dnsperf run is bounded (-l DUR under `timeout`); processes are
# stopped by PID; namespaces and the TAP go away on exit, also on failure.
# Env: KEEP_LOGS=1 keeps the work directory; ROUNDS=N overrides the rounds.
set -uo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
NAME=compare_dns.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
DNSPERF_OPTS=(-c 4 -T 1 -q 500)
BIG_RECORDS=100000

OUT="$ROOT/benches/RESULTS.md"
NSC=apl-dnsb-cli; NSS=apl-dnsb-srv
VC=apl-dnsb-c; VS=apl-dnsb-s; TAP=apl-dnsb-tap
IP_C=10.98.11.1; IP_S=10.98.11.2; IP_TAPK=10.98.12.1; IP_APL=10.98.12.2
PORT=53
SRV_CPU=0; CLI_CPU=1
require_root "$@"

# ---- peers, the appliance, the work dir ------------------------------------------
need=()
[ -x /usr/sbin/nsd ] || need+=(nsd)
[ -x /usr/sbin/knotd ] || need+=(knot)
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(bind9-dnsutils)
install_missing "${need[@]}"
PATH="$PATH:/usr/sbin"
build_appliance
SECONDS=0
make_workdir apl-dnsb

# ---- zones and queries ---------------------------------------------------------------
# The same zone and query mix as ../shared/lab/dns-peers.sh: SOA, NS with
# in-zone addresses, apex A/AAAA/MX/TXT, CNAMEs, a wildcard, a delegation
# with glue, 40 hosts; queries ~15% NXDOMAIN, some NODATA, referrals.
cat >"$W/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
@       IN NS    ns1
@       IN NS    ns2
@       IN A     192.0.2.1
@       IN AAAA  2001:db8::1
@       IN MX    10 mail
@       IN MX    20 mail2
@       IN TXT   "v=spf1 mx -all"
ns1     IN A     192.0.2.53
ns1     IN AAAA  2001:db8::53
ns2     IN A     198.51.100.53
mail    IN A     192.0.2.25
mail    IN AAAA  2001:db8::25
mail2   IN A     198.51.100.25
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
alias   IN CNAME www
chain   IN CNAME alias
ext     IN CNAME www.example.org.
txt     IN TXT   "hello world" "second string"
*.wild  IN A     192.0.2.99
*.wild  IN TXT   "wildcard match"
child   IN NS    ns1.child
child   IN NS    ns2.child
ns1.child IN A   192.0.2.153
ns2.child IN AAAA 2001:db8::153
ZONE
for i in $(seq 1 40); do printf 'h%d\tIN A\t192.0.2.%d\n' "$i" "$((100 + i))"; done >>"$W/example.test.zone"
{
    cat <<'Q'
example.test SOA
example.test NS
example.test A
example.test AAAA
example.test MX
example.test TXT
www.example.test A
www.example.test AAAA
www.example.test MX
mail.example.test A
mail.example.test AAAA
ns1.example.test A
alias.example.test A
chain.example.test AAAA
ext.example.test A
txt.example.test TXT
foo.wild.example.test A
bar.baz.wild.example.test TXT
x.wild.example.test AAAA
child.example.test NS
host.child.example.test A
www.child.example.test AAAA
nope.example.test A
missing.example.test AAAA
zz.nx.example.test MX
Q
    for i in $(seq 1 40); do echo "h$i.example.test A"; done
    for i in $(seq 1 10); do echo "nx$i.example.test A"; done
} >"$W/queries.txt"
# The memory test: 100,000 records (50,000 names with an A and an AAAA).
{
    echo '$ORIGIN big.test.'; echo '$TTL 3600'
    echo '@ IN SOA ns1.big.test. hostmaster.big.test. 1 7200 3600 1209600 300'
    echo '@ IN NS ns1'; echo 'ns1 IN A 192.0.2.53'
    awk -v n=$((BIG_RECORDS / 2)) 'BEGIN { for (i = 1; i <= n; i++)
        printf "h%d IN A 10.%d.%d.%d\nh%d IN AAAA 2001:db8::%x\n", i, int(i / 65536), int(i / 256) % 256, i % 256, i, i }'
} >"$W/big.test.zone"

# ---- server configs ------------------------------------------------------------------
nsd_conf() { # DIR ADDR ZONE-NAME ZONE-FILE
    mkdir -p "$1"
    cat >"$1/nsd.conf" <<EOF
server:
    ip-address: $2@$PORT
    port: $PORT
    username: ""
    chroot: ""
    zonesdir: "$1"
    database: ""
    zonelistfile: "$1/zone.list"
    xfrdfile: "$1/xfrd.state"
    xfrdir: "$1"
    pidfile: "$1/nsd.pid"
    logfile: "$1/nsd.log"
    server-count: 1
    tcp-count: 100
    # Debian's NSD limits responses per source /24 (rrl) by default: off,
    # or dnsperf from one address measures the rate limiter.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: $3
    zonefile: $4
EOF
}
knot_conf() { # DIR ADDR ZONE-NAME ZONE-FILE
    mkdir -p "$1/db"
    cat >"$1/knot.conf" <<EOF
server:
    rundir: "$1"
    pidfile: "$1/knot.pid"
    listen: $2@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: "$1/knot.log"
    any: info
database:
    storage: "$1/db"
control:
    listen: "$1/knot.sock"
template:
  - id: default
    storage: "$1"
    semantic-checks: on
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
zone:
  - domain: $3
    file: "$4"
EOF
}
nsd_conf "$W/nsd" "$IP_S" example.test "$W/example.test.zone"
knot_conf "$W/knot" "$IP_S" example.test "$W/example.test.zone"
nsd-checkzone example.test "$W/example.test.zone" >/dev/null || die "nsd-checkzone failed"
"$BIN" zone check "$W/example.test.zone" >/dev/null || die "appliance zone check failed"

# ---- topology ----------------------------------------------------------------------
make_topology

# ---- measuring ---------------------------------------------------------------------
# CPU 0 and CPU 1 jiffies (/proc/stat): "busy total softirq" for each
core_jiffies() { awk '/^cpu[01] / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6, $8 }' /proc/stat | paste -sd' '; }
# Function-call interrupts (IPIs: receive packet steering hands packets to
# the other core with one) taken by CPU 0 and CPU 1 so far
ipis() { awk '$1 == "CAL:" { print $2, $3 }' /proc/interrupts; }
# VmRSS and VmHWM (kB) of a PID and its descendants, summed; and how many processes
tree_mem() {
    local p
    for p in $(tree_pids "$1"); do
        awk '/^VmRSS|^VmHWM/ { print $1, $2 }' "/proc/$p/status" 2>/dev/null
    done | awk '{ m[$1] += $2 } END { printf "%d %d %d\n", m["VmRSS:"], m["VmHWM:"], NR / 2 }'
}

# start_server VARIANT [ZONE-DIR]: starts it pinned to CPU 0; SRV_PID, SRV_ADDR, SRV_NS
start_server() {
    local v="$1" log="$W/server-$1.log" i
    case "$v" in
        nsd)
            SRV_ADDR=$IP_S; SRV_NS=$NSC
            cmd "ip netns exec $NSS taskset -c $SRV_CPU nsd -d -c nsd/nsd.conf"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" nsd -d -c "$W/nsd/nsd.conf" >"$log" 2>&1 &
            ;;
        knot)
            SRV_ADDR=$IP_S; SRV_NS=$NSC
            cmd "ip netns exec $NSS taskset -c $SRV_CPU knotd -c knot/knot.conf"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" knotd -c "$W/knot/knot.conf" >"$log" 2>&1 &
            ;;
        socket2)
            SRV_ADDR=$IP_S; SRV_NS=$NSC
            cmd "ip netns exec $NSS taskset -c 0,1 \$BIN dns --zone example.test.zone --port $PORT --net socket --addr $IP_S --instances 2"
            ip netns exec "$NSS" taskset -c 0,1 "$BIN" dns --zone "$W/example.test.zone" --port "$PORT" \
                --net socket --addr "$IP_S" --instances 2 >"$log" 2>&1 &
            ;;
        socket)
            SRV_ADDR=$IP_S; SRV_NS=$NSC
            cmd "ip netns exec $NSS taskset -c $SRV_CPU \$BIN dns --zone example.test.zone --port $PORT --net socket --addr $IP_S"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" "$BIN" dns --zone "$W/example.test.zone" --port "$PORT" \
                --net socket --addr "$IP_S" >"$log" 2>&1 &
            ;;
        direct)
            SRV_ADDR=$IP_APL; SRV_NS=$NSC
            cmd "ip netns exec $NSC taskset -c $SRV_CPU \$BIN dns --zone example.test.zone --port $PORT --net tap:$TAP --addr $IP_APL/24"
            ip netns exec "$NSC" taskset -c "$SRV_CPU" "$BIN" dns --zone "$W/example.test.zone" --port "$PORT" \
                --net "tap:$TAP" --addr "$IP_APL/24" >"$log" 2>&1 &
            ;;
    esac
    SRV_PID=$!
    for i in $(seq 100); do
        ip netns exec "$SRV_NS" dig @"$SRV_ADDR" -p "$PORT" +time=1 +tries=1 +norec example.test SOA 2>/dev/null |
            grep -q 'status: NOERROR' && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare_dns.sh: $v did not answer; its log:" >&2; tail -20 "$log" >&2
    stop_pid "$SRV_PID"; SRV_PID=""
    return 1
}

# perf VARIANT TRANSPORT ROUND: one bounded dnsperf run -> a line in results.txt
perf() {
    local v="$1" mode="$2" rnd="$3" t0 t1 c0 c1 i0 i1 out f="$W/dnsperf-$1-$2-r$3.txt"
    local extra=(); [ "$mode" = tcp ] && extra=(-m tcp)
    [ "$rnd" = 1 ] && cmd "ip netns exec $SRV_NS taskset -c $CLI_CPU dnsperf -s $SRV_ADDR -p $PORT -d queries.txt -l $DUR ${DNSPERF_OPTS[*]} ${extra[*]}"
    t0=$(tree_ns "$SRV_PID"); c0=$(core_jiffies); i0=$(ipis)
    ip netns exec "$SRV_NS" taskset -c "$CLI_CPU" timeout $((DUR + 20)) \
        dnsperf -s "$SRV_ADDR" -p "$PORT" -d "$W/queries.txt" -l "$DUR" "${DNSPERF_OPTS[@]}" "${extra[@]}" >"$f" 2>&1
    t1=$(tree_ns "$SRV_PID"); c1=$(core_jiffies); i1=$(ipis)
    out=$(awk -v v="$v" -v m="$mode" -v r="$rnd" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v i0="$i0" -v i1="$i1" '
        /Queries completed:/ { done = $3 } /Queries lost:/ { lost = $3 } /Queries sent:/ { sent = $3 }
        /Queries per second:/ { qps = $4 } /Run time \(s\):/ { secs = $4 } /Average Latency/ { lat = $4 * 1000 }
        END {
            split(c0, a, " "); split(c1, b, " ")
            cpu0 = (b[2] - a[2]) ? 100 * (b[1] - a[1]) / (b[2] - a[2]) : 0
            cpu1 = (b[5] - a[5]) ? 100 * (b[4] - a[4]) / (b[5] - a[5]) : 0
            sirq0 = (b[2] - a[2]) ? 100 * (b[3] - a[3]) / (b[2] - a[2]) : 0
            srv = secs ? 100 * (t1 - t0) / 1e9 / secs : 0
            split(i0, x, " "); split(i1, y, " ")
            ipi0 = done ? (y[1] - x[1]) / done : 0
            ipi1 = done ? (y[2] - x[2]) / done : 0
            if (qps == "") { print v, m, r, "FAIL"; exit }
            printf "%s %s %s %.0f %d %d %.3f %.1f %.1f %.1f %.1f %.3f %.3f\n", v, m, r, qps, sent, lost, lat, srv, cpu0, cpu1, sirq0, ipi0, ipi1
        }' "$f")
    echo "$out" >>"$W/results.txt"
    echo "   $out" | awk '{ if ($4 == "FAIL") print "   " $1 " " $2 ": FAILED"; else printf "   %-7s %-4s %9s q/s  lost %-6s latency %6.3f ms  server CPU %5.1f%%  CPU0 %5.1f%% (softirq %4.1f%%)  CPU1 %5.1f%%  IPIs/query %.2f / %.2f\n", $1, $2, $4, $6, $7, $8, $9, $11, $10, $12, $13 }'
    grep -q "Queries per second" "$f" || FAILED=1
}

# ---- runs -------------------------------------------------------------------------------
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "invocation=bash benches/compare_dns.sh${1:+ $1}"
    echo "dur=$DUR"; echo "rounds=$ROUNDS"
    echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "cores=$(nproc)"; echo "kernel=$(uname -r)"; echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "nsd=$(nsd -v 2>&1 | head -1)"; echo "knot=$(knotd --version 2>&1 | head -1)"
    echo "dnsperf=$(dnsperf -h 2>&1 | awk '/Version/ {print $2}')"
    echo "git=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- appliance dns Cargo.toml Cargo.lock 2>/dev/null)" ] && echo ' + uncommitted changes')"
    echo "queries=$(wc -l <"$W/queries.txt")"; echo "opts=${DNSPERF_OPTS[*]}"
} >"$W/meta.txt"
: >"$W/results.txt"
VARIANTS=(nsd knot socket direct socket2)
echo "== $ROUNDS round(s) of $DUR s dnsperf runs over UDP, then one over TCP; servers on CPU $SRV_CPU, dnsperf on CPU $CLI_CPU"
for rnd in $(seq "$ROUNDS"); do
    for v in "${VARIANTS[@]}"; do
        start_server "$v" || { echo "$v udp $rnd FAIL" >>"$W/results.txt"; FAILED=1; continue; }
        perf "$v" udp "$rnd"
        if [ "$rnd" = 1 ]; then perf "$v" tcp 1; fi
        stop_pid "$SRV_PID"; SRV_PID=""
        sleep 0.5
    done
done

# ---- memory with a 100,000-record zone ----------------------------------------------------
echo "== memory with a $BIG_RECORDS-record zone"
nsd_conf "$W/nsd-big" "$IP_S" big.test "$W/big.test.zone"
knot_conf "$W/knot-big" "$IP_S" big.test "$W/big.test.zone"
: >"$W/memory.txt"
for v in nsd knot socket; do
    t0=$(date +%s.%N)
    case "$v" in
        nsd) ip netns exec "$NSS" nsd -d -c "$W/nsd-big/nsd.conf" >"$W/big-$v.log" 2>&1 & ;;
        knot) ip netns exec "$NSS" knotd -c "$W/knot-big/knot.conf" >"$W/big-$v.log" 2>&1 & ;;
        socket) ip netns exec "$NSS" "$BIN" dns --zone "$W/big.test.zone" --port "$PORT" --net socket --addr "$IP_S" \
                    >"$W/big-$v.log" 2>&1 & ;;
    esac
    SRV_PID=$!
    loaded=0
    for _ in $(seq 600); do
        if inC dig @"$IP_S" -p "$PORT" +time=1 +tries=1 +norec h49999.big.test AAAA 2>/dev/null | grep -q 'status: NOERROR'; then
            loaded=1; break
        fi
        sleep 0.1
    done
    t1=$(date +%s.%N)
    sleep 1
    read -r rss hwm procs < <(tree_mem "$SRV_PID")
    echo "$v $loaded $rss $hwm $procs $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" | tee -a "$W/memory.txt"
    stop_pid "$SRV_PID"; SRV_PID=""
done
cmd "# memory: the same servers on big.test.zone ($BIG_RECORDS records), VmRSS/VmHWM of the process tree once h49999.big.test AAAA answers"

echo "elapsed=$SECONDS" >>"$W/meta.txt"

# ---- report -----------------------------------------------------------------------------
python3 - "$W" "$ROOT/benches" <<'PY' | python3 "$ROOT/benches/section.py" "$OUT" "## DNS" || die "writing $OUT failed"
import sys
w = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import summary
meta, rows = summary.run_files(w)
med = summary.median
NAMES = {"nsd": "NSD", "knot": "Knot DNS", "socket": "appliance, socket stack", "direct": "appliance, direct stack (TAP)",
         "socket2": "appliance, socket stack, `--instances 2` on CPUs 0–1 (shares CPU 1 with dnsperf)"}
def agg(v, m):
    rs = [r for r in rows if r[0] == v and r[1] == m and r[3] != "FAIL"]
    if not rs:
        return None
    col = lambda i: [float(r[i]) for r in rs]
    a = {k: med(col(i)) for k, i in (("qps", 3), ("sent", 4), ("lost", 5), ("lat", 6), ("srv", 7), ("cpu0", 8), ("cpu1", 9), ("sirq0", 10), ("ipi0", 11), ("ipi1", 12))}
    a["n"], a["qmin"], a["qmax"] = len(rs), min(col(3)), max(col(3))
    pcs = [float(r[3]) / (float(r[7]) / 100) for r in rs if float(r[7]) > 0]
    a["per_cpu"] = med(pcs) if pcs else 0
    a["pc_min"], a["pc_max"] = (min(pcs), max(pcs)) if pcs else (0, 0)
    return a
L = []; p = L.append
p("## DNS: NSD and Knot vs the appliance's `dns` service (dnsperf)")
p("")
p(f"Written by `{meta['invocation']}` on {meta['date']} (UTC); {meta['rounds']} round(s) of {meta['dur']} s dnsperf runs over UDP "
  f"and one over TCP; the script took {meta['elapsed']} s after the build.")
p("")
p(f"- CPU: {meta['cpu']}, {meta['cores']} cores; kernel `{meta['kernel']}`; load average before: {meta['loadavg']}")
p(f"- {meta['nsd']}; {meta['knot']}; dnsperf {meta['dnsperf']}; appliance built from `{meta['git']}`")
p(f"- every server runs one worker pinned to CPU 0 (NSD `server-count: 1`, Knot 1 UDP + 1 TCP worker, the appliance's single "
  f"event loop); dnsperf `{meta['opts']}` pinned to CPU 1; {meta['queries']} query lines (the mix of `../shared/lab/dns-peers.sh`: "
  "positive, NODATA, ~15% NXDOMAIN, CNAME, wildcard, referral), looped")
p("- NSD, Knot and the socket stack serve on a veth (10.98.11.2) from their own netns; the direct stack owns a TAP "
  "(10.98.12.2) whose kernel side is in dnsperf's netns. Receive packet steering puts each side's kernel receive path on "
  "its own core. NSD's response rate limiting is off (`rrl-ratelimit: 0`).")
p("- the last row is for total throughput, not per-CPU cost: the socket stack with 2 SO_REUSEPORT instances (threads), "
  "allowed on both CPUs, so it competes with dnsperf for CPU 1.")
p("")
p("How to read: *server CPU %* is the time the server's threads and processes spent on a CPU, in user and kernel mode "
  "(/proc/PID/task/*/schedstat, exact) over the run (100 = one core); "
  "*queries per CPU-second* = answered queries/s ÷ that share, the fair figure when dnsperf (one core) is the limit; "
  "*CPU0 / CPU1* are each core's busy % (/proc/stat), which also shows kernel work charged to no process "
  "(in parentheses: CPU 0's softirq share, the receive path packet steering puts there); they are sampled at timer "
  "ticks and can read below the exact per-process figure. *lost*: queries dnsperf got no answer to, mostly datagrams "
  "the server's UDP socket buffer dropped in bursts (`UdpRcvbufErrors`; NSD and the socket stack enlarge their buffers "
  "(the socket stack to 4 MiB), Knot keeps the kernel default). *IPIs per query*: function-call interrupts (/proc/interrupts "
  "`CAL`) CPU 0 / CPU 1 took per answered query; receive packet steering sends one whenever it hands a packet to a core "
  "whose backlog was idle, and on this VM each costs an exit to the hypervisor. Numbers are medians over the rounds, "
  "with (min–max) of queries/s and of queries per CPU-second.")
for mode, title in (("udp", "UDP"), ("tcp", "TCP (`-m tcp`, one run)")):
    p("")
    p(f"### {title}")
    p("")
    p("| server | queries/s | lost | latency ms | server CPU % | CPU0 (softirq) / CPU1 busy % | IPIs per query to CPU0 / CPU1 | queries per CPU-second | ÷ NSD (per CPU-s) | ÷ Knot (per CPU-s) |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    base = {v: agg(v, mode) for v in NAMES}
    for v, name in NAMES.items():
        a = base[v]
        if a is None:
            p(f"| {name} | failed | | | | | | | | |")
            continue
        rng = f" ({a['qmin']:,.0f}–{a['qmax']:,.0f})" if a["n"] > 1 else ""
        rat = lambda b: f"{a['per_cpu'] / b['per_cpu']:.2f}" if b and b["per_cpu"] else "—"
        rng_pc = ""
        if a["n"] > 1:
            rng_pc = f" ({a['pc_min']:,.0f}–{a['pc_max']:,.0f})"
        p(f"| {name} | {a['qps']:,.0f}{rng} | {a['lost']:,.0f} | {a['lat']:.3f} | {a['srv']:.0f} | {a['cpu0']:.0f} ({a['sirq0']:.0f}) / {a['cpu1']:.0f} "
          f"| {a['ipi0']:.2f} / {a['ipi1']:.2f} | {a['per_cpu']:,.0f}{rng_pc} | {rat(base['nsd'])} | {rat(base['knot'])} |")
udp = {v: agg(v, "udp") for v in NAMES}
mem = {l.split()[0]: l.split() for l in open(f"{w}/memory.txt")}
def per(a, b):
    return f"{udp[a]['per_cpu'] / udp[b]['per_cpu']:.2f}" if udp.get(a) and udp.get(b) and udp[b]["per_cpu"] else "—"
p("")
p("Against the goals of the DNS issue (UDP, queries per server CPU-second): socket stack ÷ NSD = "
  f"**{per('socket', 'nsd')}** (goal ≥ 1.5); direct stack ÷ socket stack = **{per('direct', 'socket')}** (goal > 1); "
  + (f"RSS with 100,000 records = **{int(mem['socket'][2]) / 1024:.1f} MB** (goal ≤ 64 MB; peak while loading "
     f"{int(mem['socket'][3]) / 1024:.1f} MB)." if "socket" in mem and mem["socket"][1] == "1" else "RSS not measured."))
def pc(v):
    return udp[v]["per_cpu"] if udp.get(v) and udp[v]["per_cpu"] else None
def ge(a, b, goal):
    return a / b >= goal if a is not None and b else None
summary.add("DNS UDP queries per server CPU-second, socket stack", pc("socket"), "NSD", pc("nsd"), "≥ 1.5×",
            ge(pc("socket"), pc("nsd"), 1.5))
summary.add("DNS UDP queries per server CPU-second, direct stack", pc("direct"), "appliance, socket stack",
            pc("socket"), "> 1×", None if pc("direct") is None or not pc("socket") else pc("direct") > pc("socket"))
loaded = "socket" in mem and mem["socket"][1] == "1"
summary.add("DNS VmRSS MB with 100,000 records, socket stack", int(mem["socket"][2]) / 1024 if loaded else None,
            "NSD", int(mem["nsd"][2]) / 1024 if "nsd" in mem and mem["nsd"][1] == "1" else None, "≤ 64 MB",
            int(mem["socket"][2]) / 1024 <= 64 if loaded else None)
p("")
p("### Memory with a 100,000-record zone")
p("")
p("`big.test`: 50,000 names with an A and an AAAA record each. VmRSS and its peak VmHWM, summed over the server's "
  "processes (NSD forks: the sum counts pages its processes share more than once), once the last name answers.")
p("")
p("| server | VmRSS MB | peak (VmHWM) MB | processes | load time s |")
p("| --- | ---: | ---: | ---: | ---: |")
for l in open(f"{w}/memory.txt"):
    v, ok, rss, hwm, procs, secs = l.split()
    if ok != "1":
        p(f"| {NAMES[v]} | did not load in 60 s | | | |")
    else:
        p(f"| {NAMES[v]} | {int(rss) / 1024:.1f} | {int(hwm) / 1024:.1f} | {procs} | {secs} |")
p("")
p("### Commands")
p("")
p("As run, from the work directory (`$BIN` = the release binary):")
p("")
p("```sh")
p(open(f"{w}/commands.txt").read().rstrip())
p("```")
sys.stdout.write("\n".join(L) + "\n")
PY
echo "== wrote the DNS section of $OUT (${SECONDS} s)"
