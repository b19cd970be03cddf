# benches/lib.sh - what the side-by-side scripts share (sourced, not run):
# the root and CPU checks, installing peers, the release build, a work
# directory cleaned up on exit, the two-namespace topology, and the CPU time
# of a process tree.
#
# Before sourcing, a script sets NAME (for messages), ROOT, a usage function,
# and for the topology:
# NSC NSS (client and server netns), VC VS (the veth ends), TAP, IP_C IP_S
# IP_TAPK (addresses), SRV_CPU CLI_CPU (where server and load run).
# Servers it starts go in SRV_PID; cleanup stops that PID.

SRV_PID=""; FAILED=0

die() { echo "$NAME: $*" >&2; FAILED=1; exit 1; }

# parse_mode ARGS...: no argument is the full run (3 rounds of 10 s),
# --quick one round of 3 s; ROUNDS=N in the environment overrides the rounds,
# BENCH_DUR=S the runs' seconds (benches/all.sh sets it, to fit its budget).
# Sets QUICK, DUR, ROUNDS; -h prints the script's header comment (usage).
parse_mode() {
    QUICK=0
    case "${1:-}" in
        "") ;;
        --quick) QUICK=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$NAME: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    if [ "$QUICK" = 1 ]; then DUR=${BENCH_DUR:-3}; ROUNDS=${ROUNDS:-1}; else DUR=${BENCH_DUR:-10}; ROUNDS=${ROUNDS:-3}; fi
    case "$ROUNDS" in [1-9]) ;; *) echo "$NAME: ROUNDS must be 1 to 9" >&2; exit 2 ;; esac
    case "$DUR" in [1-9] | [1-9][0-9]) ;; *) echo "$NAME: BENCH_DUR must be 1 to 99" >&2; exit 2 ;; esac
}

# require_root ARGS...: root (netns, TAP, apt-get) and two CPUs, or exit.
require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "$NAME: needs root (network namespaces, a TAP device, apt-get); run: sudo bash benches/$NAME${1:+ $*}" >&2
        exit 1
    fi
    if [ "$(nproc)" -lt 2 ]; then
        echo "$NAME: needs at least 2 CPUs (server on CPU $SRV_CPU, load on CPU $CLI_CPU)" >&2
        exit 1
    fi
}

# install_missing PKG...: apt-get installs the packages given (the caller
# lists only what is missing), plus the tools every script uses.
install_missing() {
    local need=("$@")
    command -v ip >/dev/null || need+=(iproute2)
    command -v taskset >/dev/null || need+=(util-linux)
    command -v python3 >/dev/null || need+=(python3)
    [ ${#need[@]} -gt 0 ] || return 0
    echo "== installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}" ||
        { echo "$NAME: apt-get install ${need[*]} failed" >&2; exit 1; }
}

# build_appliance: the release binary, in BIN.
build_appliance() {
    if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then PATH="$HOME/.cargo/bin:$PATH"; fi
    command -v cargo >/dev/null || { echo "$NAME: cargo not found" >&2; exit 1; }
    echo "== cargo build --release -p appliance (a no-op when up to date)"
    (cd "$ROOT" && cargo build --release -p appliance) || { echo "$NAME: build failed" >&2; exit 1; }
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/appliance"
    [ -x "$BIN" ] || { echo "$NAME: $BIN missing after the build" >&2; exit 1; }
}

stop_pid() { # PID: SIGTERM, up to 5 s, then SIGKILL; reaps it
    local p="$1" i
    [ -n "$p" ] || return 0
    kill "$p" 2>/dev/null || true
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}

# make_workdir PREFIX: a fresh W, removed on exit (kept on failure or with
# KEEP_LOGS=1) after the server is stopped and the namespaces deleted.
make_workdir() {
    W="$(mktemp -d "/tmp/$1.XXXXXX")"
    trap cleanup EXIT
    trap 'echo "$NAME: interrupted" >&2; exit 130' INT TERM
}
cleanup() {
    stop_pid "$SRV_PID"; SRV_PID=""
    ip netns exec "$NSC" ip tuntap del dev "$TAP" mode tap 2>/dev/null || true
    ip netns del "$NSC" 2>/dev/null || true
    ip netns del "$NSS" 2>/dev/null || true
    if [ "${KEEP_LOGS:-0}" = 1 ] || [ "$FAILED" = 1 ]; then echo "== logs kept in $W"; else rm -rf "$W"; fi
}

inC() { ip netns exec "$NSC" "$@"; }
inS() { ip netns exec "$NSS" "$@"; }
# record a command for RESULTS.md (RECORD=0: not, e.g. in a repeated round)
cmd() { [ "${RECORD:-1}" = 0 ] || echo "$*" >>"$W/commands.txt"; }
run() { cmd "$*"; "$@"; }

# make_topology: client netns with a veth to the server netns and a TAP
# (the direct stack's wire), IPv6 off, receive packet steering putting each
# side's kernel receive path on its own core.
make_topology() {
    local n ns spec ok=1 srv_mask cli_mask
    srv_mask=$(printf '%x' $((1 << SRV_CPU))); cli_mask=$(printf '%x' $((1 << CLI_CPU)))
    for n in "$NSC" "$NSS"; do ip netns del "$n" 2>/dev/null && echo "removed stale netns $n"; done
    run ip netns add "$NSC" && run ip netns add "$NSS" || ok=0
    run ip link add "$VC" netns "$NSC" type veth peer name "$VS" netns "$NSS" || ok=0
    for ns in "$NSC" "$NSS"; do
        run ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        run ip netns exec "$ns" ip link set lo up
    done
    run inC ip link set "$VC" up && run inS ip link set "$VS" up || ok=0
    run inC ip addr add "$IP_C/24" dev "$VC" && run inS ip addr add "$IP_S/24" dev "$VS" || ok=0
    run inC ip tuntap add dev "$TAP" mode tap || ok=0
    run inC ip link set "$TAP" up && run inC ip addr add "$IP_TAPK/24" dev "$TAP" || ok=0
    set_rps "$NSS" "$VS" "$srv_mask" && set_rps "$NSC" "$VC" "$cli_mask" && set_rps "$NSC" "$TAP" "$cli_mask" || ok=0
    [ "$ok" = 1 ] || die "creating namespaces/veth/TAP failed"
}
# set_rps NETNS IFNAME HEXMASK: the cores that run IFNAME's kernel receive
# path (0: no steering). veth delivers a frame in the sender's context, so
# without this the server's receive path would run on the client's core.
set_rps() {
    cmd "ip netns exec $1 sh -c 'echo $3 > /sys/class/net/$2/queues/rx-0/rps_cpus'"
    ip netns exec "$1" sh -c "echo $3 > /sys/class/net/$2/queues/rx-0/rps_cpus"
}

# tree_ns PID: nanoseconds on a CPU (/proc/PID/task/TID/schedstat, exact,
# user + kernel) of PID, its threads and all its descendants.
tree_ns() {
    local p t
    for p in $(tree_pids "$1"); do
        for t in /proc/"$p"/task/*/schedstat; do cat "$t" 2>/dev/null; done
    done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
tree_pids() { # PID: it and all its descendants
    awk -v root="$1" '
        { sub(/^[0-9]+ \(.*\) /, "", $0) }
        FNR == 1 { split(FILENAME, a, "/"); ppid[a[3]] = $2 }
        END { for (p in ppid) { q = p; while (q != "" && q != 0 && q != root) q = ppid[q]; if (q == root) print p } }' \
        /proc/[0-9]*/stat 2>/dev/null
}
