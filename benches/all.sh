#!/usr/bin/env bash
# benches/all.sh - every benchmark of the project in one run, writing a fresh
# benches/RESULTS.md: the machine and the run, a summary of every headline
# figure against its peer and its goal, then one section per comparison.
#
#   sudo bash benches/all.sh [--quick]
#
#   default   criterion with 1 s warm-up and 2 s measurement per bench, then
#             every comparison script: 3 rounds of 4 s runs (about 12 min)
#   --quick   criterion with 0.2 s + 0.5 s, then every script with --quick:
#             one round of 2 s runs (about 3 min)
#             (not counting a first apt-get install or cargo build)
#
# In order: the release build of everything (once); the criterion benches of
# benches/benches/*.rs (OpenFlow codec, DNS answer path, TLS record path and
# handshakes, HTTP service, direct stack over the in-memory device); then
# benches/compare.sh (network: Linux kernel vs socket stack vs direct stack,
# iperf3), compare_rr.sh (TCP request/response), compare_dns.sh (NSD, Knot),
# compare_https.sh (nginx), compare_openflow.sh (os-ken), and in full mode
# compare_vm.sh (the DNS appliance as a VM image under QEMU). Each script
# installs its missing peers, pins the server to CPU 0 and the load to CPU 1,
# bounds every run, stops what it started by PID, and writes its own section.
# A script that fails is reported in the summary; the others still run.
set -uo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
NAME=all.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
SRV_CPU=0; CLI_CPU=1
require_root "$@"
MODE=full; ARG=""
if [ "$QUICK" = 1 ]; then
    MODE=quick; ARG=--quick
    CRIT=(--warm-up-time 0.2 --measurement-time 0.5 --sample-size 10 --noplot)
    export BENCH_DUR=2 # seconds per run of every comparison script (one round each)
else
    CRIT=(--warm-up-time 1 --measurement-time 2 --noplot)
    export BENCH_DUR=4 # seconds per run (three rounds each): the whole set in 15 min
fi
OUT="$ROOT/benches/RESULTS.md"
SCRIPTS=(compare.sh compare_rr.sh compare_dns.sh compare_https.sh compare_openflow.sh)
# The VM image comparison builds three images (minutes on a cold build): full mode only.
[ "$QUICK" = 1 ] || SCRIPTS+=(compare_vm.sh)
BENCHES=()
for f in "$ROOT"/benches/benches/*.rs; do BENCHES+=(--bench "$(basename "$f" .rs)"); done

install_missing
build_appliance
echo "== cargo build --release (the appliance, benches' load generators, the criterion benches)"
(cd "$ROOT" && cargo build --release -p benches --bins && cargo bench -p benches "${BENCHES[@]}" --no-run) ||
    die "build failed"

START=$(date -u '+%Y-%m-%d %H:%M:%S'); T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_SUMMARY; BENCH_SUMMARY="$(mktemp /tmp/apl-all-summary.XXXXXX)"
PARTS="$(mktemp /tmp/apl-all-parts.XXXXXX)"
trap 'rm -f "$BENCH_SUMMARY" "$PARTS"' EXIT
trap 'echo "$NAME: interrupted" >&2; exit 130' INT TERM

# A fresh file: these two sections are rewritten at the end; a run that
# does not get there leaves them saying so.
cat >"$OUT" <<EOF
# Benchmark results

Written by \`sudo bash benches/all.sh${ARG:+ $ARG}\`; see README.md, "Benchmarks".

## Run

The run started at $START (UTC) did not finish: the sections below are what it wrote.

## Summary

No summary: the run did not finish.
EOF

# part NAME SECONDS STATUS: a line for the run's table of parts
part() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$PARTS"; }

echo "== criterion ($MODE): cargo bench -p benches ${BENCHES[*]} -- ${CRIT[*]}"
t=$SECONDS
CRIT_FROM=$(date +%s)
if (cd "$ROOT" && taskset -c "$SRV_CPU" cargo bench -p benches "${BENCHES[@]}" -- "${CRIT[@]}"); then
    st=ok
else
    st="failed"; FAILED=1
fi
python3 "$ROOT/benches/criterion_section.py" "${CARGO_TARGET_DIR:-$ROOT/target}/criterion" "$CRIT_FROM" \
    "cargo bench -p benches ${BENCHES[*]} -- ${CRIT[*]}" | python3 "$ROOT/benches/section.py" "$OUT" "## Criterion" ||
    { st="failed (report)"; FAILED=1; }
part "criterion benches (\`cargo bench -p benches\`, pinned to CPU $SRV_CPU)" $((SECONDS - t)) "$st"

for s in "${SCRIPTS[@]}"; do
    echo "== $s $ARG"
    t=$SECONDS
    bash "$ROOT/benches/$s" $ARG
    rc=$?
    if [ "$rc" = 0 ]; then st=ok; else st="failed (exit $rc)"; FAILED=1; fi
    part "\`bash benches/$s${ARG:+ $ARG}\`" $((SECONDS - t)) "$st"
done

ELAPSED=$(($(date +%s) - T0))
{
    echo "## Run"
    echo
    echo "- command: \`sudo bash benches/all.sh${ARG:+ $ARG}\` ($MODE mode)"
    echo "- date: $START (UTC); wall time after the build: $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
    echo "- commit: \`$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(cd "$ROOT" &&
        [ -n "$(git status --porcelain 2>/dev/null)" ] && echo ' with uncommitted changes')"
    echo "- machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores," \
        "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory; kernel \`$(uname -r)\`"
    echo "- load average (1, 5, 15 min) before: $LOAD0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- every server pinned to CPU $SRV_CPU, every load generator to CPU $CLI_CPU (\`taskset -c\`)"
    echo
    echo "| part | seconds | status |"
    echo "| --- | ---: | --- |"
    awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$PARTS"
} | python3 "$ROOT/benches/section.py" "$OUT" "## Run" || die "writing $OUT failed"
{
    echo "## Summary"
    echo
    echo "Every headline figure of this run against its peer measured in the same run, and the goal the issues" \
        "set for it (*ratio* = appliance ÷ peer). Details, and the conditions of each measurement, in the sections below."
    echo
    python3 "$ROOT/benches/summary.py" table "$BENCH_SUMMARY"
} | python3 "$ROOT/benches/section.py" "$OUT" "## Summary" || die "writing $OUT failed"
echo "== wrote $OUT: $MODE mode, $ELAPSED s after the build"
[ "$FAILED" = 0 ]
