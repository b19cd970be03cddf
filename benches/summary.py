"""Headline figures for the summary table at the top of benches/RESULTS.md.

Each comparison script, when benches/all.sh runs it, adds its headline
figures here; all.sh then turns them into one table. From Python:

    sys.path.insert(0, "benches"); import summary
    summary.add("DNS UDP queries per CPU-second, socket stack", 123000, "NSD", 105600, ">= 1.5x", ok)

From a shell:

    python3 benches/summary.py add FIGURE OURS PEER THEIRS GOAL MET   (MET: yes, no or -)
    python3 benches/summary.py table FILE        (the Markdown table on standard output)

The rows go to the file named by $BENCH_SUMMARY (one JSON object a line);
without it (a script run on its own) add does nothing.
"""
import json
import os
import sys


def add(figure, ours, peer, theirs, goal, met):
    """Records one figure: ours vs the peer's (None when there is no peer or
    it failed), the goal as text, met True/False (None: no goal or no
    measurement). The ratio is computed here, so every row divides the same way."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    ratio = ours / theirs if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) and theirs else None
    row = {"figure": figure, "ours": ours, "peer": peer, "theirs": theirs, "ratio": ratio, "goal": goal, "met": met}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def fmt(x):
    """A figure as the tables print it: thousands separated, two decimals when small."""
    if x is None:
        return "failed"
    if isinstance(x, str):
        return x
    return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"


def table(path):
    """The summary table, from the rows in path (missing file: no rows)."""
    try:
        rows = [json.loads(line) for line in open(path) if line.strip()]
    except OSError:
        rows = []
    out = ["| figure | appliance | peer | peer's | ratio | goal | met |", "| --- | ---: | --- | ---: | ---: | --- | --- |"]
    for r in rows:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        met = {True: "**met**", False: "not met", None: "—"}[r["met"]]
        theirs = "—" if r["peer"] is None else fmt(r["theirs"])
        out.append(f"| {r['figure']} | {fmt(r['ours'])} | {r['peer'] or '—'} | {theirs} | {ratio} | {r['goal']} | {met} |")
    return "\n".join(out) + "\n"


def run_files(work):
    """What a comparison script left in its work directory: meta.txt as a
    dict (key=value lines) and results.txt as rows of whitespace-split words."""
    meta = dict(l.rstrip("\n").split("=", 1) for l in open(f"{work}/meta.txt") if "=" in l)
    rows = [l.split() for l in open(f"{work}/results.txt") if l.strip()]
    return meta, rows


def median(xs):
    """The median of a non-empty list of numbers."""
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def _num(s):
    try:
        return float(s)
    except ValueError:
        return None


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 7 and a[0] == "add":
        add(a[1], _num(a[2]), None if a[3] == "-" else a[3], _num(a[4]), a[5], {"yes": True, "no": False}.get(a[6]))
    elif len(a) == 2 and a[0] == "table":
        sys.stdout.write(table(a[1]))
    else:
        sys.exit(__doc__)
