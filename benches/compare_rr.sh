#!/usr/bin/env bash
# benches/compare_rr.sh - TCP request/response rate (1-byte ping-pong) side by
# side, in one run: the Linux kernel's TCP stack vs the appliance's own
# userspace stack (smoltcp, "direct") on a TAP device, serving the same echo
# service.
#
#   bash benches/compare_rr.sh [--quick]   (as root; writes the "## TCP request/response" section of benches/RESULTS.md)
#
#   default   3 rounds of 10 s runs, medians reported (about 1.5 min)
#   --quick   1 round of 3 s runs (about 20 s)
#
# The load is benches' `tcp_rr` (16 connections, each: write 1 byte, wait
# for it back). "Linux kernel" is the appliance's echo service on host
# sockets (the kernel's TCP, epoll; the same service code as the direct
# variant), on a veth from its own netns; the direct stack owns a TAP whose
# kernel side is in the client's netns. Server pinned to CPU 0 (its CPU time
# measured from /proc/PID/task/*/schedstat), client to CPU 1. Every run is
# bounded (tcp_rr --seconds under `timeout`); servers are stopped by PID.
set -uo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
NAME=compare_rr.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
CONNS=16

OUT="$ROOT/benches/RESULTS.md"
NSC=apl-rrb-cli; NSS=apl-rrb-srv
VC=apl-rrb-c; VS=apl-rrb-s; TAP=apl-rrb-tap
IP_C=10.98.31.1; IP_S=10.98.31.2; IP_TAPK=10.98.32.1; IP_APL=10.98.32.2
PORT=7
SRV_CPU=0; CLI_CPU=1
require_root "$@"
install_missing
build_appliance
(cd "$ROOT" && cargo build --release -p benches --bin tcp_rr) || die "building tcp_rr failed"
RR="${CARGO_TARGET_DIR:-$ROOT/target}/release/tcp_rr"
SECONDS=0
make_workdir apl-rrb
make_topology

# start_server VARIANT: the echo service pinned to CPU 0; SRV_PID, SRV_ADDR
start_server() {
    local v="$1" log="$W/server-$1.log" i
    case "$v" in
        linux)
            SRV_ADDR=$IP_S
            cmd "ip netns exec $NSS taskset -c $SRV_CPU \$BIN echo --port $PORT --net socket --addr $IP_S"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" "$BIN" echo --port "$PORT" --net socket --addr "$IP_S" \
                >"$log" 2>&1 &
            ;;
        direct)
            SRV_ADDR=$IP_APL
            cmd "ip netns exec $NSC taskset -c $SRV_CPU \$BIN echo --port $PORT --net tap:$TAP --addr $IP_APL/24"
            ip netns exec "$NSC" taskset -c "$SRV_CPU" "$BIN" echo --port "$PORT" --net "tap:$TAP" \
                --addr "$IP_APL/24" >"$log" 2>&1 &
            ;;
    esac
    SRV_PID=$!
    for i in $(seq 100); do
        inC "$RR" --target "$SRV_ADDR:$PORT" --conns 1 --seconds 0.1 >/dev/null 2>&1 && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "$NAME: $v did not answer; its log:" >&2; tail -20 "$log" >&2
    stop_pid "$SRV_PID"; SRV_PID=""
    return 1
}

# measure VARIANT ROUND: one bounded tcp_rr run -> a line in results.txt
measure() {
    local v="$1" rnd="$2" t0 t1 s0 s1 out line
    [ "$rnd" = 1 ] && cmd "ip netns exec $NSC taskset -c $CLI_CPU tcp_rr --target $SRV_ADDR:$PORT --conns $CONNS --seconds $DUR"
    t0=$(tree_ns "$SRV_PID"); s0=$(date +%s.%N)
    out=$(inC taskset -c "$CLI_CPU" timeout $((DUR + 20)) "$RR" --target "$SRV_ADDR:$PORT" --conns "$CONNS" \
        --seconds "$DUR" 2>"$W/rr-$v-r$rnd.err" | tail -1)
    t1=$(tree_ns "$SRV_PID"); s1=$(date +%s.%N)
    line=$(awk -v v="$v" -v r="$rnd" -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" '
        /^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
        END {
            if (f["per_sec"] == "" || f["failed"] != 0) { print v, r, "FAIL"; exit }
            printf "%s %s %s %.1f %s %s\n", v, r, f["per_sec"], 100 * (t1 - t0) / 1e9 / (s1 - s0), f["p50_us"], f["p99_us"]
        }' <<<"$out")
    echo "$line" >>"$W/results.txt"
    echo "$line" | awk '{ if ($3 == "FAIL") print "   " $1 ": FAILED"; else
        printf "   %-7s %9.0f transactions/s   server CPU %5.1f%%   p50 %s us  p99 %s us\n", $1, $3, $4, $5, $6 }'
    case "$line" in *FAIL*) FAILED=1 ;; esac
}

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "invocation=bash benches/compare_rr.sh${1:+ $1}"
    echo "dur=$DUR"; echo "rounds=$ROUNDS"; echo "conns=$CONNS"
    echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "cores=$(nproc)"; echo "kernel=$(uname -r)"; echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "git=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)"
} >"$W/meta.txt"
: >"$W/results.txt"
echo "== $ROUNDS round(s) of $DUR s runs; server on CPU $SRV_CPU, tcp_rr on CPU $CLI_CPU"
for rnd in $(seq "$ROUNDS"); do
    for v in linux direct; do
        start_server "$v" || { echo "$v $rnd FAIL" >>"$W/results.txt"; FAILED=1; continue; }
        measure "$v" "$rnd"
        stop_pid "$SRV_PID"; SRV_PID=""
    done
done
echo "elapsed=$SECONDS" >>"$W/meta.txt"

python3 - "$W" "$ROOT/benches" <<'PY' | python3 "$ROOT/benches/section.py" "$OUT" "## TCP request/response" || die "writing $OUT failed"
import sys
w = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import summary
meta, rows = summary.run_files(w)
med = summary.median
def agg(v):
    rs = [r for r in rows if r[0] == v and r[2] != "FAIL"]
    if not rs:
        return None
    rate = [float(r[2]) for r in rs]
    return {"rate": med(rate), "min": min(rate), "max": max(rate), "cpu": med([float(r[3]) for r in rs]),
            "per": med([float(r[2]) / (float(r[3]) / 100) for r in rs if float(r[3]) > 0] or [0]),
            "p50": med([float(r[4]) for r in rs]), "p99": med([float(r[5]) for r in rs]), "n": len(rs)}
NAMES = {"linux": "Linux kernel TCP (the echo service on host sockets, veth)", "direct": "appliance, direct stack (TAP)"}
L = []; p = L.append
p("## TCP request/response: 1-byte ping-pong (tcp_rr)")
p("")
p(f"Written by `{meta['invocation']}` on {meta['date']} (UTC); {meta['rounds']} round(s) of {meta['dur']} s; "
  f"CPU: {meta['cpu']}, {meta['cores']} cores; kernel `{meta['kernel']}`; load average before: {meta['loadavg']}; "
  f"appliance built from `{meta['git']}`.")
p("")
p(f"`tcp_rr`, {meta['conns']} connections, each writing one byte and waiting for it back, pinned to CPU 1; the server "
  "(the appliance's echo service) pinned to CPU 0, its CPU from /proc/PID/task/*/schedstat. *per CPU-second* = "
  "transactions/s ÷ the server's CPU share. Medians over the rounds, with (min–max).")
p("")
p("| server | transactions/s | server CPU % | per CPU-second | p50 µs | p99 µs | ÷ Linux | ÷ Linux (per CPU-s) |")
p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
base = agg("linux")
for v, name in NAMES.items():
    a = agg(v)
    if a is None:
        p(f"| {name} | failed | | | | | | |")
        continue
    rng = f" ({a['min']:,.0f}–{a['max']:,.0f})" if a["n"] > 1 else ""
    r1 = f"{a['rate'] / base['rate']:.2f}" if base and base["rate"] else "—"
    r2 = f"{a['per'] / base['per']:.2f}" if base and base["per"] else "—"
    p(f"| {name} | {a['rate']:,.0f}{rng} | {a['cpu']:.0f} | {a['per']:,.0f} | {a['p50']:.0f} | {a['p99']:.0f} | {r1} | {r2} |")
d = agg("direct")
summary.add("TCP request/response transactions/s, direct stack (TAP)", d["rate"] if d else None,
            "Linux kernel (veth)", base["rate"] if base else None, "≥ 1.0×, also per server CPU-second",
            d["rate"] >= base["rate"] and d["per"] >= base["per"] if d and base else None)
p("")
p("### Commands")
p("")
p("```sh")
p(open(f"{w}/commands.txt").read().rstrip())
p("```")
sys.stdout.write("\n".join(L) + "\n")
PY
echo "== wrote the TCP request/response section of $OUT (${SECONDS} s)"
[ "$FAILED" = 0 ]
