#!/usr/bin/env bash
# Seed-scale benchmark: 500,000 accounts, ~15M requests, on its own local Neo4j.
#   bash bench/seed_scale.sh [OUT_DIR]
#   GDS=1 bash bench/seed_scale.sh [OUT_DIR]   # also detect with --engine gds (installs GDS first)
# Prints wall time and peak memory of generate, load, detect and trace --all, then the
# scores against truth (bench/score_detection.py, bench/score_attribution.py).
set -euo pipefail
OUT=${1:-/tmp/ringtrace-seed}
export RINGTRACE_HOME="$OUT/home" RINGTRACE_NEO4J_PORT=${RINGTRACE_NEO4J_PORT:-7690}
export RINGTRACE_NEO4J_HEAP=${RINGTRACE_NEO4J_HEAP:-4g} RINGTRACE_NEO4J_PAGECACHE=${RINGTRACE_NEO4J_PAGECACHE:-4g}
unset NEO4J_URI
timed() { local name=$1; shift; /usr/bin/time -f "$name: %e s wall, %M KB peak RSS" "$@"; }
mkdir -p "$OUT"
[ -f "$OUT/data/accounts.csv" ] || timed generate ringtrace sample "$OUT/data" --accounts 500000 --seed 7
if [ "${GDS:-0}" = 1 ]; then ringtrace neo4j install-gds; fi
ringtrace neo4j start
timed load ringtrace load "$OUT/data" --no-progress
timed detect ringtrace detect --results "$OUT/results" --no-progress
timed trace ringtrace trace --all --results "$OUT/results" > "$OUT/trace.log"
python "$(dirname "$0")/score_detection.py" "$OUT/data" "$OUT/results"
python "$(dirname "$0")/score_attribution.py" "$OUT/data" "$OUT/results"
if [ "${GDS:-0}" = 1 ]; then
  timed detect-gds ringtrace detect --engine gds --results "$OUT/results-gds" --no-progress
  python "$(dirname "$0")/score_detection.py" "$OUT/data" "$OUT/results-gds"
fi
