#!/usr/bin/env bash
# Boot the VM image under QEMU (TCG, user networking), check UDP and TCP echo from the host,
# measure idle CPU, then power it off through the ACPI power button and check QEMU exits 0.
# Usage: vm/boot-test.sh [extra -append words]. Every QEMU run is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
KERNEL=target/x86_64-unknown-linux-gnu/release/appliance-vm
WORK=$(mktemp -d)
LOG=$WORK/serial.log
SOCK=$WORK/monitor.sock
PORT=${PORT:-$((20000 + RANDOM % 20000))}
MEM=${MEM:-16M}
QEMU_PID=
cleanup() {
    if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- serial log"; cat "$LOG"; exit 1; }

START_NS=$(date +%s%N)
timeout 120 qemu-system-x86_64 -kernel "$KERNEL" -append "${*:-log=info}" -m "$MEM" -cpu max \
    -display none -serial "file:$LOG" -no-reboot \
    -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$PORT-:7,hostfwd=tcp:127.0.0.1:$PORT-:7" \
    -device virtio-net-pci,netdev=n0 -monitor "unix:$SOCK,server,nowait" &
QEMU_PID=$!

# UDP then TCP echo round trips, retried until the guest answers (at most 30 s).
python3 - "$PORT" "$START_NS" <<'PY' || fail "echo round trips"
import socket, sys, time
port, start_ns = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 30
def udp_echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    msg = b"udp echo %d" % time.time_ns()
    s.sendto(msg, ("127.0.0.1", port))
    try:
        return s.recv(2048) == msg
    except OSError:
        return False
while not udp_echo():
    if time.time() > deadline:
        sys.exit("no UDP echo")
first = (time.time_ns() - start_ns) / 1e6
print(f"first UDP echo answered {first:.0f} ms after QEMU start")
with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
    payload = bytes(range(256)) * 64
    c.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = c.recv(65536)
        if not chunk:
            break
        got += chunk
    if got != payload:
        sys.exit(f"TCP echo mismatch: {len(got)} of {len(payload)} bytes")
print(f"TCP echo of {len(payload)} bytes ok")
PY

# Idle CPU: QEMU's user+system time over 5 s with no traffic.
# $QEMU_PID is `timeout`; QEMU is its only child.
VM_PID=$(cat "/proc/$QEMU_PID/task/$QEMU_PID/children" | tr -d ' ')
[ -n "$VM_PID" ] || fail "no QEMU process under timeout"
ticks() { awk '{print $14 + $15}' "/proc/$VM_PID/stat"; }
T0=$(ticks); sleep 5; T1=$(ticks)
HZ=$(getconf CLK_TCK)
echo "idle CPU over 5 s: $(( (T1 - T0) * 100 / (5 * HZ) ))% of one core ($((T1 - T0)) ticks)"

python3 - "$SOCK" <<'PY' || fail "monitor"
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(0.2)
s.sendall(b"system_powerdown\n")
time.sleep(0.2)
PY
STATUS=0
wait "$QEMU_PID" || STATUS=$?
QEMU_PID=
[ "$STATUS" -eq 0 ] || fail "QEMU exit status $STATUS"
grep -q "powering off" "$LOG" || fail "no power-off message in the log"
echo "QEMU exited 0 after system_powerdown"

# Failure paths: a CPU exception and a panic each print and power the machine off.
for test in exception:"CPU exception 6" panic:"deliberate panic"; do
    STATUS=0
    timeout 60 qemu-system-x86_64 -kernel "$KERNEL" -append "selftest=${test%%:*}" -m "$MEM" -cpu max \
        -display none -serial "file:$LOG" -no-reboot -nic user,model=virtio-net-pci || STATUS=$?
    [ "$STATUS" -eq 0 ] || fail "selftest=${test%%:*}: QEMU exit status $STATUS"
    grep -q "${test#*:}" "$LOG" || fail "selftest=${test%%:*}: no '${test#*:}' in the log"
    echo "selftest=${test%%:*}: reported and powered off"
done
echo "PASS"
