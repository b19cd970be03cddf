"""Puts the Markdown section on standard input into a results file.

    python3 benches/section.py FILE "## HEADING" < section.md

The section replaces the one starting with the same heading line (up to the
next "## " heading), or is appended; the rest of the file stays as it is.
"""
import sys

out, heading = sys.argv[1], sys.argv[2]
section = sys.stdin.read()
if not section.startswith(heading):
    sys.exit(f"section.py: the section does not start with {heading!r}")
try:
    old = open(out).read()
except OSError:
    old = ""
i = 0 if old.startswith(heading) else old.find("\n" + heading)
head, tail = old, ""
if i >= 0:
    head = old[:i]
    j = old.find("\n## ", i + 1)
    tail = old[j:] if j >= 0 else ""
text = (head.rstrip("\n") + "\n\n" if head.strip() else "") + section.rstrip("\n") + "\n" + tail
open(out, "w").write(text)
