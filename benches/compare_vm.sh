#!/usr/bin/env bash
# benches/compare_vm.sh - the DNS appliance as a VM image under QEMU, beside
# the same appliance on the direct stack as a Linux process:
#
#   - image sizes (stripped) of examples/{dns,https,controller}.toml;
#   - time from starting QEMU to the first answered DNS query (median of
#     several boots; QEMU's user-mode network, a query every 5 ms);
#   - the smallest guest RAM (-m) that boots and answers;
#   - dnsperf queries/s against the image on a TAP device in a network
#     namespace, and against `appliance run --config examples/dns.toml`
#     on the direct stack on the same kind of TAP, each server pinned to
#     CPU 0 and dnsperf to CPU 1; with the QEMU process's CPU time.
#
# Runs under TCG when /dev/kvm does not work for this guest (nested
# virtualisation here); the accelerator used is in the results.
#
#   sudo bash benches/compare_vm.sh [--quick]
#
# Writes the "## VM image" section of benches/RESULTS.md.
set -euo pipefail
NAME=compare_vm.sh
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
NSC=apl-vm-bench NSS=apl-vm-bench-unused TAP=apl-vmtap SRV_CPU=0 CLI_CPU=1
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
parse_mode "$@"
require_root "$@"
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v objcopy >/dev/null || need+=(binutils)
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(bind9-dnsutils)
install_missing "${need[@]}"
build_appliance
make_workdir apl-vm
BOOTS=$([ "$QUICK" = 1 ] && echo 3 || echo 7)
START=$(date +%s)

echo "== images (cargo xtask image)"
declare -A SIZE
for ex in dns https controller; do
    (cd "$ROOT" && run cargo xtask image --config "examples/$ex.toml" --out "$W/$ex.elf") >/dev/null
    SIZE[$ex]=$(stat -c %s "$W/$ex.elf")
done

ACCEL=tcg
QEMU=(qemu-system-x86_64 -cpu max -display none -no-reboot -device virtio-net-pci,netdev=n0)

# first_answer MEM: boots the DNS image with MEM of RAM on user-mode
# networking and prints ms from starting QEMU to the first DNS answer
# ("none" when nothing answers within 30 s).
first_answer() {
    local port
    port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 - "$W/dns.elf" "$1" "$port" "${QEMU[@]}" <<'EOF'
import socket, struct, subprocess, sys, time
kernel, mem, port, qemu = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x04test\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.005)
t0 = time.monotonic()
vm = subprocess.Popen(["timeout", "60"] + qemu + ["-kernel", kernel, "-m", mem, "-serial", "null",
    "-netdev", f"user,id=n0,hostfwd=udp:127.0.0.1:{port}-:5353"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
answer = "none"
try:
    while time.monotonic() - t0 < 30 and vm.poll() is None:
        s.sendto(query, ("127.0.0.1", port))
        try:
            data = s.recv(512)
            if data[:2] == b"\x12\x34" and data[3] & 0x0F == 0:
                answer = str(round((time.monotonic() - t0) * 1000))
                break
        except OSError:
            pass
finally:
    vm.terminate()
    vm.wait()
print(answer)
EOF
}

echo "== time from QEMU start to the first answer ($BOOTS boots, -m 16M)"
times=()
for _ in $(seq "$BOOTS"); do times+=("$(first_answer 16M)"); done
FIRST=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "   ${times[*]} ms -> median $FIRST ms"

echo "== smallest guest RAM that answers"
MINMEM=none
for mem in 2M 3M 4M 6M 8M 12M 16M; do
    if [ "$(first_answer "$mem")" != none ]; then MINMEM=$mem; break; fi
done
echo "   $MINMEM"

echo "== dnsperf over a TAP in a network namespace"
ip netns del "$NSC" 2>/dev/null || true
ip netns add "$NSC"
inC ip link set lo up
inC ip tuntap add dev "$TAP" mode tap
inC ip addr add 10.78.0.1/24 dev "$TAP"
inC ip link set "$TAP" up
python3 - "$W/queries" <<'EOF'
import sys
names = ["www A", "www AAAA", "mail A", "ns1 A", "example.test. MX", "example.test. SOA", "ftp A", "nothing A"]
with open(sys.argv[1], "w") as f:
    for n in names:
        name, qtype = n.split()
        f.write(f"{name if name.endswith('.') else name + '.example.test.'} {qtype}\n")
EOF
DPF_SECS=${BENCH_DUR:-$([ "$QUICK" = 1 ] && echo 5 || echo 15)}
# dnsperf_run TAG: one bounded dnsperf run on the load CPU against 10.78.0.2:53; prints q/s.
dnsperf_run() {
    inC taskset -c "$CLI_CPU" dnsperf -s 10.78.0.2 -p 53 -d "$W/queries" -l "$DPF_SECS" -c 4 -q 64 -t 2 \
        >"$W/dnsperf-$1.txt" 2>&1 || true
    awk '/Queries per second/ {print int($4)}' "$W/dnsperf-$1.txt"
}
wait_answer() {
    local i
    for i in $(seq 300); do
        inC dig @10.78.0.2 www.example.test +short +time=1 +tries=1 2>/dev/null | grep -q 192.0.2.80 && return 0
        sleep 0.2
    done
    return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Started directly (not through a shell function) so that SRV_PID is the server's own PID.
vm=(taskset -c "$SRV_CPU" timeout 600 "${QEMU[@]}" -kernel "$W/dns.elf" -m 32M -serial "file:$W/vm.log"
    -append "addr=10.78.0.2/24 dns.port=53" -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no")
cmd "${vm[*]}"
ip netns exec "$NSC" "${vm[@]}" &
SRV_PID=$!
wait_answer || die "the image did not answer on the TAP (log: $W/vm.log)"
QPID=$(pgrep -P "$SRV_PID" -f qemu-system || echo "$SRV_PID")
t0=$(cpu_ticks "$QPID")
VM_QPS=$(dnsperf_run vm)
VM_CPU=$(( $(cpu_ticks "$QPID") - t0 ))
stop_pid "$SRV_PID"; SRV_PID=""

# The same appliance as a Linux process on the direct stack, same TAP.
sed -e 's/^stack = "socket"/stack = "tap:'"$TAP"'"/' -e 's/^addr = "127.0.0.1"/addr = "10.78.0.2\/24"/' \
    -e 's/^port = 5353/port = 53/' -e "s#zones/#$ROOT/examples/zones/#" "$ROOT/examples/dns.toml" >"$W/native.toml"
cmd "taskset -c $SRV_CPU appliance run --config native.toml  # examples/dns.toml on tap:$TAP, 10.78.0.2/24, port 53"
ip netns exec "$NSC" taskset -c "$SRV_CPU" "$BIN" run --config "$W/native.toml" 2>"$W/native.log" &
SRV_PID=$!
wait_answer || die "the native appliance did not answer (log: $W/native.log)"
t0=$(cpu_ticks "$SRV_PID")
NATIVE_QPS=$(dnsperf_run native)
NATIVE_CPU=$(( $(cpu_ticks "$SRV_PID") - t0 ))
stop_pid "$SRV_PID"; SRV_PID=""

HZ=$(getconf CLK_TCK)
kib() { echo $(( ($1 + 1023) / 1024 )); }
add() { python3 "$ROOT/benches/summary.py" add "$@"; }
add "VM image (DNS), stripped KiB" "$(kib "${SIZE[dns]}")" - - "<= 2048 KiB" "$([ "${SIZE[dns]}" -le 2097152 ] && echo yes || echo no)"
add "VM image: QEMU start to first DNS answer, ms ($ACCEL)" "$FIRST" - - "<= 50 ms under KVM (not available here)" -
if [ "$MINMEM" = none ]; then
    add "VM image: smallest guest RAM that answers, MiB" none - - "<= 16" no
else
    add "VM image: smallest guest RAM that answers, MiB" "${MINMEM%M}" - - "<= 16" "$([ "${MINMEM%M}" -le 16 ] && echo yes || echo no)"
fi
add "VM image dnsperf q/s ($ACCEL) vs the same appliance as a Linux process" "$VM_QPS" "Linux process" "$NATIVE_QPS" - -
ELAPSED=$(( $(date +%s) - START ))
{
    echo "## VM image"
    echo
    echo "Written by \`sudo bash benches/compare_vm.sh$([ "$QUICK" = 1 ] && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M') UTC in ${ELAPSED} s;"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel \`$(uname -r)\`,"
    echo "QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), accelerator **$ACCEL** (KVM fails for this guest here:"
    echo "nested virtualisation), appliance at \`$(cd "$ROOT" && git rev-parse --short HEAD)\`."
    echo
    echo "| figure | value | goal |"
    echo "| --- | --- | --- |"
    echo "| DNS image, stripped | $(kib "${SIZE[dns]}") KiB | ≤ 2048 KiB |"
    echo "| HTTPS image, stripped | $(kib "${SIZE[https]}") KiB | |"
    echo "| controller image, stripped | $(kib "${SIZE[controller]}") KiB | |"
    echo "| QEMU start → first DNS answer (median of $BOOTS: ${times[*]} ms) | $FIRST ms ($ACCEL) | ≤ 50 ms under KVM |"
    echo "| smallest \`-m\` that answers | $MINMEM | ≤ 16M |"
    echo "| dnsperf, image on TAP ($ACCEL) | $VM_QPS q/s, QEMU CPU $(( VM_CPU * 100 / HZ / DPF_SECS ))% | |"
    echo "| dnsperf, same appliance as a Linux process (direct stack, TAP) | $NATIVE_QPS q/s, CPU $(( NATIVE_CPU * 100 / HZ / DPF_SECS ))% | |"
    echo "| image ÷ Linux process | $(python3 -c "print(f'{$VM_QPS / max($NATIVE_QPS, 1):.3f}')")× | |"
    echo
    echo "dnsperf: \`dnsperf -s 10.78.0.2 -d queries -l $DPF_SECS -c 4 -q 64\` on CPU $CLI_CPU, server (QEMU or the appliance) on CPU $SRV_CPU."
    echo "Commands:"
    echo
    echo '```'
    cat "$W/commands.txt"
    echo '```'
} | python3 "$ROOT/benches/section.py" "$ROOT/benches/RESULTS.md" "## VM image"
echo "== wrote the VM image section of benches/RESULTS.md (${ELAPSED} s)"
