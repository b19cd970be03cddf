#!/usr/bin/env bash
# benches/compare_https.sh - HTTPS side by side, in one run, as ratios: nginx
# vs the appliance's `https` service (Tls<Http>) on host sockets and on its
# own userspace stack (smoltcp, "direct") on a TAP device.
#
#   bash benches/compare_https.sh [--quick]   (as root; writes the "## HTTPS" section of benches/RESULTS.md)
#
#   default   3 rounds of 10 s runs, medians reported (about 4 min)
#   --quick   1 round of 3 s runs (about 1 min)
#             (not counting a first apt-get install or cargo build)
#
# Each round measures, per server: keep-alive HTTP/1.1 requests/s
# (`h2load --h1`, 16 connections, ~1 KB file) and full TLS 1.3 handshakes/s
# (4 parallel `openssl s_time -new`), plus resumed TLS 1.2 handshakes/s
# (`s_time -reuse`; OpenSSL 3.0's s_time does not resume TLS 1.3 sessions).
# Same ECDSA P-256 certificate and file for every server.
#
# Topology (everything inside namespaces created here and deleted on exit):
#
#   netns apl-tlsb-cli                               netns apl-tlsb-srv
#   [apl-tlsb-c 10.98.21.1/24] <--- veth ---> [apl-tlsb-s 10.98.21.2/24]
#       h2load / s_time (CPU 1)                    nginx | appliance https --net socket  (CPU 0)
#   [apl-tlsb-tap 10.98.22.1/24]  TAP: kernel side
#       h2load / s_time (CPU 1)                    appliance https --net tap:apl-tlsb-tap
#                                                    --addr 10.98.22.2/24 (CPU 0, in the client netns)
#
# nginx runs one worker (worker_processes 1, access log off, shared session
# cache), the appliance its single event loop (access log off via RUST_LOG);
# both pinned to CPU 0 with everything they fork, the load generators to
# CPU 1. The server's CPU is the run time of its process tree
# (/proc/PID/task/*/schedstat, user + kernel) over the run; "per CPU-second"
# divides the rate by that share, the fair figure when the one-core load
# generator is the limit.
#
# Every load run is bounded (-D / -time under `timeout`); processes are
# stopped by PID; namespaces and the TAP go away on exit, also on failure.
# Env: KEEP_LOGS=1 keeps the work directory; ROUNDS=N overrides the rounds.
set -uo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
NAME=compare_https.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
CONNS=16; HANDSHAKERS=4

OUT="$ROOT/benches/RESULTS.md"
NSC=apl-tlsb-cli; NSS=apl-tlsb-srv
VC=apl-tlsb-c; VS=apl-tlsb-s; TAP=apl-tlsb-tap
IP_C=10.98.21.1; IP_S=10.98.21.2; IP_TAPK=10.98.22.1; IP_APL=10.98.22.2
PORT=443
SRV_CPU=0; CLI_CPU=1
require_root "$@"

# ---- peers, the appliance, the work dir ------------------------------------------
need=()
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
install_missing "${need[@]}"
PATH="$PATH:/usr/sbin"
build_appliance
SECONDS=0
make_workdir apl-tlsb
chmod 755 "$W" # nginx's worker (an unprivileged user) reads the site

# ---- certificate and site ------------------------------------------------------------
SAN="subjectAltName=IP:$IP_S,IP:$IP_APL,DNS:localhost"
run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj /CN=localhost \
    -addext "$SAN" -keyout "$W/ec.key" -out "$W/ec.crt" 2>/dev/null ||
    die "openssl req failed"
chmod 644 "$W/ec.key" # a throwaway key nginx's worker must read
mkdir -p "$W/www" "$W/nginx/tmp"
# ~1 KB page, as ../shared/lab/tls-peers.sh serves
{ echo "<!doctype html><title>bench</title><pre>"; for i in $(seq 1 16); do
    echo "line $i: the quick brown fox jumps over the lazy dog"; done; echo "</pre>"; } >"$W/www/index.html"
chmod -R a+rX "$W/www"
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    types { text/html html; }
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    root $W/www;
    server {
        listen $IP_S:$PORT ssl;
        ssl_certificate $W/ec.crt;
        ssl_certificate_key $W/ec.key;
    }
}
EOF

# ---- topology ----------------------------------------------------------------------
make_topology

# ---- measuring ---------------------------------------------------------------------
# start_server VARIANT: starts it pinned to CPU 0; sets SRV_PID, SRV_ADDR
start_server() {
    local v="$1" log="$W/server-$1.log" i
    case "$v" in
        nginx)
            SRV_ADDR=$IP_S
            cmd "ip netns exec $NSS taskset -c $SRV_CPU nginx -p nginx -c nginx/nginx.conf"
            ip netns exec "$NSS" taskset -c "$SRV_CPU" nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" \
                -e "$W/nginx/error.log" >"$log" 2>&1 &
            ;;
        socket)
            SRV_ADDR=$IP_S
            cmd "ip netns exec $NSS env RUST_LOG=warn taskset -c $SRV_CPU \$BIN https --root www --cert ec.crt --key ec.key --port $PORT --net socket --addr $IP_S"
            ip netns exec "$NSS" env RUST_LOG=warn taskset -c "$SRV_CPU" "$BIN" https --root "$W/www" \
                --cert "$W/ec.crt" --key "$W/ec.key" --port "$PORT" --net socket --addr "$IP_S" >"$log" 2>&1 &
            ;;
        direct)
            SRV_ADDR=$IP_APL
            cmd "ip netns exec $NSC env RUST_LOG=warn taskset -c $SRV_CPU \$BIN https --root www --cert ec.crt --key ec.key --port $PORT --net tap:$TAP --addr $IP_APL/24"
            ip netns exec "$NSC" env RUST_LOG=warn taskset -c "$SRV_CPU" "$BIN" https --root "$W/www" \
                --cert "$W/ec.crt" --key "$W/ec.key" --port "$PORT" --net "tap:$TAP" --addr "$IP_APL/24" >"$log" 2>&1 &
            ;;
    esac
    SRV_PID=$!
    for i in $(seq 100); do
        inC curl -sk --max-time 1 -o /dev/null "https://$SRV_ADDR:$PORT/index.html" && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare_https.sh: $v did not answer; its log:" >&2; tail -20 "$log" >&2
    stop_pid "$SRV_PID"; SRV_PID=""
    return 1
}

# requests VARIANT ROUND: one bounded h2load run -> a line in results.txt
requests() {
    local v="$1" rnd="$2" t0 t1 s0 s1 f="$W/h2load-$1-r$2.txt" rate
    local args=(--h1 -D "$DUR" -c "$CONNS" -t 1 "https://$SRV_ADDR:$PORT/index.html")
    [ "$rnd" = 1 ] && cmd "ip netns exec $NSC taskset -c $CLI_CPU h2load ${args[*]}"
    t0=$(tree_ns "$SRV_PID"); s0=$(date +%s.%N)
    inC taskset -c "$CLI_CPU" timeout $((DUR + 30)) h2load "${args[@]}" >"$f" 2>&1
    t1=$(tree_ns "$SRV_PID"); s1=$(date +%s.%N)
    rate=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$f")
    local okreq failed
    okreq=$(awk '/^requests:/ { print $8 }' "$f"); failed=$(awk '/^requests:/ { print $10 }' "$f")
    record "$v" req "$rnd" "${rate:-FAIL}" "$t0" "$t1" "$s0" "$s1" "ok=${okreq:-0} failed=${failed:-?}"
}

# handshakes VARIANT ROUND KIND: HANDSHAKERS parallel `openssl s_time`, bounded
handshakes() {
    local v="$1" rnd="$2" kind="$3" t0 t1 s0 s1 i pids=() n
    local args=(-connect "$SRV_ADDR:$PORT" -time "$DUR")
    case "$kind" in full) args+=(-new -tls1_3) ;; resumed) args+=(-reuse -tls1_2) ;; esac
    [ "$rnd" = 1 ] && cmd "ip netns exec $NSC taskset -c $CLI_CPU openssl s_time ${args[*]}   (x$HANDSHAKERS in parallel)"
    t0=$(tree_ns "$SRV_PID"); s0=$(date +%s.%N)
    for i in $(seq "$HANDSHAKERS"); do
        inC taskset -c "$CLI_CPU" timeout $((DUR + 30)) openssl s_time "${args[@]}" >"$W/stime-$v-$kind-r$rnd.$i" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(tree_ns "$SRV_PID"); s1=$(date +%s.%N)
    n=$(cat "$W"/stime-"$v-$kind-r$rnd".* | awk '/connections in .* real seconds/ { s += $1 } END { print s + 0 }')
    local rate
    rate=$(awk -v n="$n" -v s="$s0" -v e="$s1" 'BEGIN { if (n > 0) printf "%.1f", n / (e - s); else print "FAIL" }')
    record "$v" "$kind" "$rnd" "$rate" "$t0" "$t1" "$s0" "$s1" "connections=$n"
}

# record VARIANT METRIC ROUND RATE T0 T1 S0 S1 NOTE: a results.txt line + a console line
record() {
    local line
    line=$(awk -v v="$1" -v m="$2" -v r="$3" -v rate="$4" -v t0="$5" -v t1="$6" -v s0="$7" -v s1="$8" -v note="$9" 'BEGIN {
        if (rate == "FAIL") { print v, m, r, "FAIL", 0, note; exit }
        cpu = 100 * (t1 - t0) / 1e9 / (s1 - s0)
        printf "%s %s %s %.1f %.1f %s\n", v, m, r, rate, cpu, note }')
    echo "$line" >>"$W/results.txt"
    echo "$line" | awk '{ if ($4 == "FAIL") printf "   %-7s %-8s FAILED (%s)\n", $1, $2, $6;
        else printf "   %-7s %-8s %10.0f /s   server CPU %5.1f%%   %s\n", $1, $2, $4, $5, $6 }'
    case "$4" in FAIL) FAILED=1 ;; esac
}

# ---- runs -------------------------------------------------------------------------------
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "invocation=bash benches/compare_https.sh${1:+ $1}"
    echo "dur=$DUR"; echo "rounds=$ROUNDS"; echo "conns=$CONNS"; echo "handshakers=$HANDSHAKERS"
    echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "cores=$(nproc)"; echo "kernel=$(uname -r)"; echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "nginx=$(nginx -v 2>&1 | head -1)"; echo "openssl=$(openssl version)"
    echo "h2load=$(h2load --version 2>&1 | head -1)"
    echo "git=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- appliance tls-glue Cargo.toml Cargo.lock 2>/dev/null)" ] && echo ' + uncommitted changes')"
} >"$W/meta.txt"
: >"$W/results.txt"
VARIANTS=(nginx socket direct)
echo "== $ROUNDS round(s) of $DUR s runs; servers on CPU $SRV_CPU, load generators on CPU $CLI_CPU"
for rnd in $(seq "$ROUNDS"); do
    for v in "${VARIANTS[@]}"; do
        start_server "$v" || { echo "$v req $rnd FAIL 0 start" >>"$W/results.txt"; FAILED=1; continue; }
        requests "$v" "$rnd"
        handshakes "$v" "$rnd" full
        handshakes "$v" "$rnd" resumed
        stop_pid "$SRV_PID"; SRV_PID=""
        sleep 0.5
    done
done
echo "elapsed=$SECONDS" >>"$W/meta.txt"

# ---- report -----------------------------------------------------------------------------
python3 - "$W" "$ROOT/benches" <<'PY' | python3 "$ROOT/benches/section.py" "$OUT" "## HTTPS" || die "writing $OUT failed"
import sys
w = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import summary
meta, rows = summary.run_files(w)
med = summary.median
NAMES = {"nginx": "nginx", "socket": "appliance, socket stack", "direct": "appliance, direct stack (TAP)"}
def agg(v, m):
    rs = [r for r in rows if r[0] == v and r[1] == m and r[3] != "FAIL"]
    if not rs:
        return None
    rate = [float(r[3]) for r in rs]; cpu = [float(r[4]) for r in rs]
    per = [float(r[3]) / (float(r[4]) / 100) for r in rs if float(r[4]) > 0]
    return {"rate": med(rate), "min": min(rate), "max": max(rate), "cpu": med(cpu), "per": med(per) if per else 0, "n": len(rs)}
L = []; p = L.append
p("## HTTPS: nginx vs the appliance's `https` service (h2load, openssl s_time)")
p("")
p(f"Written by `{meta['invocation']}` on {meta['date']} (UTC); {meta['rounds']} round(s) of {meta['dur']} s runs; "
  f"the script took {meta['elapsed']} s after the build.")
p("")
p(f"- CPU: {meta['cpu']}, {meta['cores']} cores; kernel `{meta['kernel']}`; load average before: {meta['loadavg']}")
p(f"- {meta['nginx']}; {meta['openssl']}; {meta['h2load']}; appliance built from `{meta['git']}`")
p("- every server pinned to CPU 0 (nginx `worker_processes 1`, access log off, `ssl_session_cache shared`; the "
  "appliance's single event loop, access log off); the load generators pinned to CPU 1; the same ECDSA P-256 "
  "certificate and ~1 KB `index.html` for all. nginx and the socket stack serve on a veth (10.98.21.2) from their "
  "own netns; the direct stack owns a TAP (10.98.22.2) whose kernel side is in the client's netns.")
p(f"- *requests*: `h2load --h1 -c {meta['conns']}`, keep-alive HTTP/1.1 over TLS 1.3; *full*: {meta['handshakers']} "
  f"parallel `openssl s_time -new -tls1_3` (a full handshake per connection); *resumed*: `openssl s_time -reuse -tls1_2` (every connection after the first "
  f"resumes the first one's session; OpenSSL 3.0's s_time does not resume TLS 1.3 sessions).")
p("")
p("*server CPU %* is the time the server's threads and processes spent on a CPU (user + kernel, "
  "/proc/PID/task/*/schedstat) over the run (100 = one core); *per CPU-second* = rate ÷ that share. "
  "Medians over the rounds, with (min–max).")
for metric, title in (("req", "Keep-alive requests/s"), ("full", "Full TLS 1.3 handshakes/s"), ("resumed", "Resumed TLS 1.2 handshakes/s")):
    p("")
    p(f"### {title}")
    p("")
    p("| server | rate /s | server CPU % | per CPU-second | ÷ nginx (rate) | ÷ nginx (per CPU-s) |")
    p("| --- | ---: | ---: | ---: | ---: | ---: |")
    base = agg("nginx", metric)
    for v, name in NAMES.items():
        a = agg(v, metric)
        if a is None:
            p(f"| {name} | failed | | | | |")
            continue
        rng = f" ({a['min']:,.0f}–{a['max']:,.0f})" if a["n"] > 1 else ""
        r1 = f"{a['rate'] / base['rate']:.2f}" if base and base["rate"] else "—"
        r2 = f"{a['per'] / base['per']:.2f}" if base and base["per"] else "—"
        p(f"| {name} | {a['rate']:,.0f}{rng} | {a['cpu']:.0f} | {a['per']:,.0f} | {r1} | {r2} |")
def ratio(v, m):
    a, b = agg(v, m), agg("nginx", m)
    if not (a and b and b["rate"] and b["per"]):
        return "—"
    return f"{a['rate'] / b['rate']:.2f} (per CPU-second {a['per'] / b['per']:.2f})"
p("")
p(f"Against the goals of the TLS issue (socket stack ÷ nginx, ≥ 1.0 on both): keep-alive requests/s **{ratio('socket', 'req')}**, "
  f"full handshakes/s **{ratio('socket', 'full')}**; direct stack: **{ratio('direct', 'req')}** and **{ratio('direct', 'full')}**. "
  "Where every server's CPU is well below 100 % the load generator's one core is the limit (a TLS client's handshake costs "
  "about what the server's does), so the rates tie and the per-CPU-second ratio is the measure of capacity.")
for metric, what in (("req", "keep-alive requests/s"), ("full", "full TLS 1.3 handshakes/s")):
    b = agg("nginx", metric)
    for v, goal in (("socket", 1.0), ("direct", None)):
        a = agg(v, metric)
        ours, theirs = a["rate"] if a else None, b["rate"] if b else None
        met = ours / theirs >= goal if goal and ours is not None and theirs else None
        summary.add(f"HTTPS {what}, {NAMES[v].removeprefix('appliance, ')}", ours, "nginx", theirs,
                    f"≥ {goal}×" if goal else "reported", met)
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
echo "== wrote the HTTPS section of $OUT (${SECONDS} s)"
[ "$FAILED" = 0 ]
