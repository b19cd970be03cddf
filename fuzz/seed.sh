#!/usr/bin/env bash
# Seeds the fuzz corpora: openflow_roundtrip with the 64 public
# OpenFlow 1.3 vectors (../shared/testdata/openflow13/packet/*.packet). The
# vectors are not copied into the repository; the corpus directory is ignored
# by git and made here.
#
#   bash fuzz/seed.sh [TESTDATA_DIR]
set -euo pipefail
cd "$(dirname "$0")"
src=${1:-../../shared/testdata/openflow13/packet}
if ! compgen -G "$src/*.packet" >/dev/null; then
    echo "no OpenFlow 1.3 vectors in $src" >&2
    exit 1
fi
dst=corpus/openflow_roundtrip
mkdir -p "$dst"
cp "$src"/*.packet "$dst"/
echo "seeded $dst with $(ls "$src"/*.packet | wc -l) vectors from $src"

# The zone parser's corpus: the project's own test zones.
mkdir -p corpus/dns_zone
find ../dns ../appliance/tests -name '*.zone' -exec cp {} corpus/dns_zone/ \; 2>/dev/null || true
printf '$ORIGIN example.\n$TTL 1h\n@ SOA ns hostmaster 1 2h 1h 1w 1h\n  NS ns\nns A 192.0.2.1\n*.w TXT "a\\"b" c\n$GENERATE 1-4 h$ A 10.0.0.$\n' > corpus/dns_zone/seed.zone
echo "seeded corpus/dns_zone"

# The HTTP request path's corpus: byte 0 picks the write room, byte 1 the
# split step, then the stream (see fuzz_targets/http_request.rs).
mkdir -p corpus/http_request
printf '\000\377GET / HTTP/1.1\r\nHost: x\r\n\r\n' > corpus/http_request/get
printf '\001\003GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-99\r\n\r\nHEAD /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' > corpus/http_request/pipelined
printf '\002\007POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET /sub HTTP/1.1\r\nHost: x\r\nIf-None-Match: "x", *\r\n\r\n' > corpus/http_request/post
printf '\003\001GET /%%2e%%2e/etc/passwd?q HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' > corpus/http_request/escape
echo "seeded corpus/http_request"

# The TLS server's corpus: byte 0 is the split step, then a client's bytes
# (a real ClientHello from `openssl s_client`, when openssl is installed).
mkdir -p corpus/tls_server
printf '\001\026\003\001\000\005\001\000\000\001\000' > corpus/tls_server/short-hello
printf '\007GET / HTTP/1.1\r\nHost: x\r\n\r\n' > corpus/tls_server/plaintext-http
if command -v openssl >/dev/null && command -v timeout >/dev/null; then
    # Capture the ClientHello openssl sends, by listening with a one-shot socket.
    python3 - <<'PY' || true
import socket, subprocess
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
cli = subprocess.Popen(["timeout", "5", "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost", "-alpn", "http/1.1"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
conn, _ = srv.accept(); conn.settimeout(3)
hello = conn.recv(65536)
open("corpus/tls_server/openssl-hello", "wb").write(b"\xff" + hello)
conn.close(); cli.wait()
PY
fi
echo "seeded corpus/tls_server"
