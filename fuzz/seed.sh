#!/usr/bin/env bash
# Seeds the corpus of the openflow_roundtrip fuzz target with the 64 public
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
