#!/usr/bin/env bash
# Team stores (issue 11): what S3 + PostgreSQL cost a flow and a reader, against the
# local folder + SQLite, in one run side by side.
#   1. A foreach of N trivial tasks (flows/examples/foreach, --max-workers 2) on both
#      stores, ROUNDS times alternating; per-task wall time = run wall / N; the ratio
#      of the medians (goal: S3 + PostgreSQL <= 2x local).
#   2. `trellis get` of a small artifact in a fresh process, REPS times, on both
#      (goal: < 50 ms on S3 + PostgreSQL).
# Needs the servers of scripts/test.sh: TRELLIS_TEST_S3_ENDPOINT, TRELLIS_TEST_PG_URL
# (and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); defaults: s3rver on 4568, PostgreSQL on 5432.
# --pooled URL adds a third side: the same S3 store with the metadata through a PostgreSQL
# pooler (bench/pgbouncer_up.sh prints such a URL; it needs a database of its own, since
# PgBouncer passes no search_path option).
# Usage: bench/team_stores_bench.sh [BUILD_DIR] [--width N] [--rounds R] [--reps K] [--pooled URL]
set -euo pipefail
build=build width=1000 rounds=3 reps=20 pooled=
while (($#)); do
  case "$1" in
    --width) width=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --pooled) pooled=$2; shift 2 ;;
    *) build=$1; shift ;;
  esac
done
build=$(realpath "$build")
endpoint=${TRELLIS_TEST_S3_ENDPOINT:-http://127.0.0.1:4568}
pg=${TRELLIS_TEST_PG_URL:-postgresql://flow:flow@127.0.0.1:5432/flow}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-S3RVER} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-S3RVER}
work=$(mktemp -d)
schema="bench_$(date +%s)_$$"
trap 'psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1; rm -rf "$work"' EXIT
psql "$pg" -qc "CREATE SCHEMA $schema" >/dev/null
sep='?'; [[ "$pg" == *\?* ]] && sep='&'
remote=(--datastore "s3://flow/bench-$schema?endpoint=$endpoint" --metadata "$pg${sep}options=-csearch_path%3D$schema")
local_=(--root "$work/local")
pooled_=(--datastore "s3://flow/bench-$schema-pooled?endpoint=$endpoint" --metadata "$pooled")
sides=(local remote); [[ -n "$pooled" ]] && sides+=(pooled)
side_args() {
  case "$1" in
    local) args=("${local_[@]}") ;;
    remote) args=("${remote[@]}") ;;
    pooled) args=("${pooled_[@]}") ;;
  esac
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%F)  width: $width  rounds: $rounds"
: >"$work/local.txt"; : >"$work/remote.txt"; : >"$work/pooled.txt"
for r in $(seq "$rounds"); do
  for side in "${sides[@]}"; do
    side_args "$side"
    t0=$(now)
    "$build/flows/foreach" run --width "$width" --max-workers 2 "${args[@]}" >"$work/out.txt" 2>&1 ||
      { tail -5 "$work/out.txt"; exit 1; }
    t1=$(now)
    per=$(echo "($t1 - $t0) * 1000 / $width" | bc -l)
    printf '%s\n' "$per" >>"$work/$side.txt"
    printf 'round %d %-6s %8.2f s  %6.2f ms/task\n' "$r" "$side" "$(echo "$t1 - $t0" | bc -l)" "$per"
  done
done
l=$(median <"$work/local.txt"); s=$(median <"$work/remote.txt")
printf 'foreach per-task wall (median): local %.2f ms, S3+PostgreSQL %.2f ms, ratio %.2f (goal <= 2)\n' \
  "$l" "$s" "$(echo "$s / $l" | bc -l)"
if [[ -n "$pooled" ]]; then
  p=$(median <"$work/pooled.txt")
  printf 'foreach per-task wall (median): S3+PostgreSQL through PgBouncer %.2f ms, ratio %.2f\n' \
    "$p" "$(echo "$p / $l" | bc -l)"
fi

# Timed from Python: a `date` subprocess on each side would add its own start-up.
for side in "${sides[@]}"; do
  side_args "$side"
  ms=$(/usr/bin/python3 - "$reps" "$build/bin/trellis" "${args[@]}" get Foreach/latest/end/total <<'PY'
import statistics, subprocess, sys, time
reps, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(reps):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print("%.1f" % statistics.median(times))
PY
)
  printf 'trellis get (fresh process, median of %d): %-6s %s ms\n' "$reps" "$side" "$ms"
done
