#!/usr/bin/env bash
# The project's test command: installs the Debian packages the tests drive
# (real peers: iperf3, tshark, ping, ip, dnsmasq, dig, kdig, NSD, Knot,
# curl, openssl, gnutls-cli, Open vSwitch, QEMU for the VM image) when
# missing, then runs format, lint and every test of the workspace.
#
#   bash scripts/test.sh
#
# TAP and network-namespace tests need root; unprivileged, they report
# themselves skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v tshark >/dev/null || need+=(tshark)
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v dig >/dev/null || need+=(bind9-dnsutils)
command -v kdig >/dev/null || need+=(knot-dnsutils)
[ -x /usr/sbin/nsd ] || need+=(nsd)
[ -x /usr/sbin/knotd ] || need+=(knot)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v gnutls-cli >/dev/null || need+=(gnutls-bin)
[ -x /usr/sbin/ovs-vswitchd ] || need+=(openvswitch-switch)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v objcopy >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # tshark asks whether non-root users may capture: no.
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${need[@]}"
    else
        echo "== not root: cannot install ${need[*]}; tests that need them will say they are skipped"
    fi
fi

echo "== cargo fmt"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== the VM kernel (vm/, its own workspace): fmt and clippy"
(cd vm && cargo fmt --check && cargo clippy --release -- -D warnings)
echo "== cargo check fuzz targets (outside the workspace; running them needs nightly)"
cargo check --manifest-path fuzz/Cargo.toml
echo "== protocol cores without std (what the VM image will build)"
for core in openflow dns tls-glue; do
    cargo check -p "$core" --no-default-features
done
cargo check -p appliance --no-default-features --lib
echo "== cargo test"
cargo test --workspace
