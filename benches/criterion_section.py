"""The "## Criterion" section of benches/RESULTS.md, from criterion's own files.

    python3 benches/criterion_section.py TARGET/criterion SINCE COMMAND > section.md

Reads every <group>/<function>/new/{benchmark,estimates}.json written at or
after SINCE (Unix seconds: this run's, not an older run's), prints one table
of time per iteration and throughput, and adds the figures the issues set
goals for to the run's summary (benches/summary.py). A goal's bench that did
not run is a failed row, never a number.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summary  # noqa: E402

root, since, command = sys.argv[1], float(sys.argv[2]), sys.argv[3]
res = {}
for b in sorted(glob.glob(f"{root}/**/new/benchmark.json", recursive=True)):
    e = os.path.join(os.path.dirname(b), "estimates.json")
    try:
        if os.path.getmtime(e) < since:
            continue
        meta, est = json.load(open(b)), json.load(open(e))
        ns = est["mean"]["point_estimate"]
        lo, hi = est["mean"]["confidence_interval"]["lower_bound"], est["mean"]["confidence_interval"]["upper_bound"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"criterion_section.py: skipping {b}: {err}", file=sys.stderr)
        continue
    tp = meta.get("throughput") or {}
    res[meta["full_id"]] = {"ns": ns, "lo": lo, "hi": hi, "elements": tp.get("Elements"), "bytes": tp.get("Bytes")}


def per_sec(r):
    """Elements (or bytes) per second on one core, from the mean time."""
    n = r["elements"] or r["bytes"] or 1
    return n / (r["ns"] / 1e9)


def dur(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


L = ["## Criterion: the hot paths on one core", ""]
L.append(f"`{command}`, pinned to CPU 0; {len(res)} benches. *time*: criterion's mean time per iteration "
         "with its 95 % confidence interval; *throughput*: the bench's elements (or bytes) per iteration ÷ that time.")
L.append("")
L.append("| bench | time per iteration | throughput |")
L.append("| --- | ---: | ---: |")
for k, r in res.items():
    if r["bytes"]:
        tp = f"{per_sec(r) / 2**30:.2f} GiB/s"
    else:
        tp = f"{per_sec(r):,.0f} /s" + (f" ({r['elements']} per iteration)" if (r["elements"] or 1) > 1 else "")
    L.append(f"| `{k}` | {dur(r['ns'])} [{dur(r['lo'])} – {dur(r['hi'])}] | {tp} |")
if not res:
    L.append("| (no bench wrote results in this run) | failed | |")
sys.stdout.write("\n".join(L) + "\n")


def rate(k):
    return per_sec(res[k]) if k in res else None


def at_least(x, goal):
    return None if x is None else x >= goal


# the goals of the OpenFlow codec, DNS and TLS issues
for k, what, goal in (("openflow/packet_in_decode", "PACKET_IN decodes/s", 10e6),
                      ("openflow/packet_in_view", "PACKET_IN decodes/s (zero-copy view)", 10e6),
                      ("openflow/flow_mod_encode", "FLOW_MOD encodes/s", 5e6)):
    summary.add(f"criterion: OpenFlow {what}", rate(k), None, None, f"≥ {goal / 1e6:.0f} M/s", at_least(rate(k), goal))
dns = {k: rate(k) for k in res if k.startswith("dns_answer/")}
slow = min(dns, key=dns.get) if dns else None
summary.add(f"criterion: DNS answers/s, slowest case (`{slow or 'dns_answer/*'}`)", dns.get(slow), None, None,
            "≥ 2 M/s", at_least(dns.get(slow), 2e6))
G = "tls13_aes128gcm_bulk_1MiB_16KiB_writes"
glue, rustls = rate(f"{G}/tls_glue"), rate(f"{G}/rustls_buffered")
summary.add("criterion: TLS 1.3 AES-128-GCM bulk GiB/s, tls-glue", glue and glue / 2**30, "rustls",
            rustls and rustls / 2**30, "≥ 0.95×", None if not (glue and rustls) else glue / rustls >= 0.95)
for kind in ("full", "resumed"):
    k = f"tls13_ecdsa_p256_handshake/{kind}"
    summary.add(f"criterion: TLS {kind} handshakes/s, tls-glue", rate(f"{k}/tls_glue"), "rustls",
                rate(f"{k}/rustls_buffered"), "reported", None)
