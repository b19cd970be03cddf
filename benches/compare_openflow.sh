#!/usr/bin/env bash
# benches/compare_openflow.sh - OpenFlow 1.3 flow setups/s, side by side, in
# one run: the appliance's `controller --app learning-switch` (host sockets)
# vs os-ken's simple_switch_13, both driven by benches' `ofbench` (a
# cbench-style generator: N emulated switches, PACKET_INs for new MAC pairs,
# FLOW_MOD/PACKET_OUT answers counted per second).
#
#   bash benches/compare_openflow.sh [--quick]   (writes the "## OpenFlow" section of benches/RESULTS.md)
#
#   default   3 rounds of 10 s per controller and mode, medians reported
#   --quick   1 round of 3 s
#
# The controller runs pinned to CPU 0, ofbench to CPU 1, over loopback
# (127.0.0.1, a port of its own). os-ken is installed into a venv when
# missing (OSKEN_VENV, default /opt/osken-venv): os-ken 3.1.1's
# osken-manager with the unmodified simple_switch_13.py of the os-ken 1.4.1
# wheel (4.x ships neither; see ../shared/lab/install.sh). Every run is
# bounded (ofbench --seconds under `timeout`); controllers are stopped by PID.
set -uo pipefail

QUICK=0
case "${1:-}" in
    "") ;;
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare_openflow.sh: unknown argument '$1'" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then DUR=${BENCH_DUR:-3}; ROUNDS=${ROUNDS:-1}; else DUR=${BENCH_DUR:-10}; ROUNDS=${ROUNDS:-3}; fi
SWITCHES=${SWITCHES:-16}; HOSTS=${HOSTS:-1000}; WINDOW=${WINDOW:-1000}
PORT=${PORT:-16653}
SRV_CPU=0; CLI_CPU=1

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/benches/RESULTS.md"
OSKEN_VENV="${OSKEN_VENV:-/opt/osken-venv}"
W="$(mktemp -d /tmp/ofbench.XXXXXX)"
CTRL_PID=""
cleanup() {
    if [ -n "$CTRL_PID" ]; then
        kill "$CTRL_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$CTRL_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$CTRL_PID" 2>/dev/null
    fi
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- os-ken, per the lab's recipe -------------------------------------------
if [ ! -x "$OSKEN_VENV/bin/osken-manager" ]; then
    echo "== installing os-ken 3.1.1 into $OSKEN_VENV"
    python3 -m venv "$OSKEN_VENV" || exit 1
    "$OSKEN_VENV/bin/pip" install -q "os-ken==3.1.1" || exit 1
fi
if [ ! -f "$OSKEN_VENV/apps/simple_switch_13.py" ]; then
    tmp=$(mktemp -d)
    "$OSKEN_VENV/bin/pip" download -q --no-deps "os-ken==1.4.1" -d "$tmp" || exit 1
    mkdir -p "$OSKEN_VENV/apps"
    "$OSKEN_VENV/bin/python" -c 'import sys, zipfile
open(sys.argv[2] + "/simple_switch_13.py", "wb").write(zipfile.ZipFile(sys.argv[1]).read("os_ken/app/simple_switch_13.py"))' \
        "$tmp"/os_ken-1.4.1-*.whl "$OSKEN_VENV/apps" || exit 1
    rm -rf "$tmp"
fi

echo "== building (release)"
(cd "$ROOT" && cargo build -q --release -p appliance --bin appliance && cargo build -q --release -p benches --bin ofbench) || exit 1
APPLIANCE="$ROOT/target/release/appliance"
OFBENCH="$ROOT/target/release/ofbench"

CMD_OURS="$APPLIANCE controller --port $PORT --app learning-switch"
CMD_OSKEN="$OSKEN_VENV/bin/osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port $PORT $OSKEN_VENV/apps/simple_switch_13.py"

start() { # name command...
    local name=$1; shift
    RUST_LOG=warn taskset -c "$SRV_CPU" "$@" >"$W/$name.log" 2>&1 &
    CTRL_PID=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "$name did not listen on $PORT:"; tail -5 "$W/$name.log"; return 1
}
stop() {
    kill "$CTRL_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$CTRL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CTRL_PID" 2>/dev/null
    wait "$CTRL_PID" 2>/dev/null
    CTRL_PID=""
}
bench() { # name mode -> answers/s
    local name=$1 mode=$2
    local line
    line=$(taskset -c "$CLI_CPU" timeout $((DUR + 90)) "$OFBENCH" --target "127.0.0.1:$PORT" \
        --switches "$SWITCHES" --hosts "$HOSTS" --seconds "$DUR" --mode "$mode" --window "$WINDOW" \
        2>>"$W/$name.ofbench.err" | tee -a "$W/$name.ofbench.log" | grep '^RESULT')
    sed -n 's/.* per_sec=\([0-9]*\).*/\1/p' <<<"$line"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }

declare -A RES
for mode in throughput latency; do
    for name in ours osken; do
        : >"$W/$name.$mode.vals"
    done
done
for r in $(seq "$ROUNDS"); do
    for name in ours osken; do
        if [ "$name" = ours ]; then cmd=$CMD_OURS; else cmd=$CMD_OSKEN; fi
        for mode in throughput latency; do
            # shellcheck disable=SC2086
            start "$name" $cmd || exit 1
            v=$(bench "$name" "$mode")
            stop
            echo "round $r: $name $mode: ${v:-failed} flow setups/s"
            echo "${v:-0}" >>"$W/$name.$mode.vals"
        done
    done
done
for mode in throughput latency; do
    for name in ours osken; do
        RES[$name.$mode]=$(median <"$W/$name.$mode.vals")
    done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
RT=$(ratio "${RES[ours.throughput]}" "${RES[osken.throughput]}")
RL=$(ratio "${RES[ours.latency]}" "${RES[osken.latency]}")

CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
SECTION="$W/section.md"
{
    echo "## OpenFlow: the appliance's learning switch vs os-ken simple_switch_13 (ofbench)"
    echo
    echo "Date: $(date -u +%Y-%m-%d). Machine: $CPU_MODEL, $(nproc) cores, $(uname -r)."
    echo "Controller pinned to CPU $SRV_CPU, ofbench to CPU $CLI_CPU, loopback TCP, one run of this script."
    echo "$SWITCHES emulated switches, $HOSTS hosts each, ${DUR} s per run, median of $ROUNDS round(s)."
    echo "Throughput mode: up to $WINDOW unanswered PACKET_INs per switch; latency mode: one per switch."
    echo "Each PACKET_IN is buffered and has a known destination, so each answer is one FLOW_MOD (a flow setup)."
    echo
    echo "| mode | appliance learning-switch (flows/s) | os-ken simple_switch_13 (flows/s) | ratio |"
    echo "|---|---:|---:|---:|"
    echo "| throughput | ${RES[ours.throughput]} | ${RES[osken.throughput]} | ${RT}x |"
    echo "| latency | ${RES[ours.latency]} | ${RES[osken.latency]} | ${RL}x |"
    echo
    echo "Commands:"
    echo
    echo '```'
    echo "taskset -c $SRV_CPU $CMD_OURS" | sed "s|$ROOT/||g"
    echo "taskset -c $SRV_CPU $CMD_OSKEN"
    echo "taskset -c $CLI_CPU target/release/ofbench --target 127.0.0.1:$PORT --switches $SWITCHES --hosts $HOSTS --seconds $DUR --mode throughput|latency --window $WINDOW"
    echo '```'
} >"$SECTION"
cat "$SECTION"

python3 "$ROOT/benches/section.py" "$OUT" "## OpenFlow" <"$SECTION" || exit 1
T=${RES[ours.throughput]}; TO=${RES[osken.throughput]}
python3 "$ROOT/benches/summary.py" add "OpenFlow flow setups/s (throughput mode), learning switch" "$T" os-ken "$TO" \
    "≥ 1 M/s and ≥ 50×" "$(awk -v a="$T" -v b="$TO" 'BEGIN { print (a >= 1e6 && b > 0 && a / b >= 50) ? "yes" : "no" }')"
echo "wrote the OpenFlow section of $OUT"
