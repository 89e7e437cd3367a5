#!/usr/bin/env bash
# Slurm executor overhead against Slurm's own job latency, on the cluster of
# scripts/services/slurm-up.sh (or any cluster whose nodes share this folder).
#   bash bench/slurm_bench.sh [BUILD_DIR] [--width 100] [--reps 3]
# Prints, medians of --reps runs, alternating the executors in each round:
#  - Slurm itself: sbatch submit -> the job's script runs (slurm-bench.sh's probe),
#    and --width trivial jobs (`true`) to completion, one sbatch each and as one
#    array: the cluster's own turnover, which bounds any executor's;
#  - one step on Slurm: `cluster run` (train as a Slurm job) minus `--executor local`;
#  - a foreach of --width trivial tasks: `foreach run --executor slurm` (the
#    tasks as one job array), the same with `slurm.arrays: false` (one sbatch
#    per task), and `--executor local`: wall time and per task.
set -euo pipefail
BUILD=build
WIDTH=100
REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --width) WIDTH=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
W=$(mktemp -d -p "$PWD" slurm-bench.XXXXXX)  # under the working directory: the nodes must see it
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f\n", b-a}'; }
wall() {  # wall seconds of a command, which must succeed
  local t0 t1
  t0=$(now)
  "$@" >"$W/out.txt" 2>&1 || { cat "$W/out.txt" >&2; echo "failed: $*" >&2; exit 1; }
  t1=$(now)
  sub "$t0" "$t1"
}

for f in slurm_jobs slurm_array slurm_start cluster_slurm cluster_local fe_slurm fe_single fe_local; do : >"$W/$f"; done
echo '{"slurm": {"arrays": false}}' >"$W/single.json"
for r in $(seq 1 "$REPS"); do
  for i in 1 2 3; do  # Slurm alone: submit -> script starts
    sleep "0.$(printf '%03d' $((RANDOM % 1000)))"  # random phase against slurmctld's tick
    t0=$(now)
    sbatch --parsable -o /dev/null --wrap "date +%s.%N > $W/start.$r.$i" >/dev/null
    for _ in $(seq 1 1000); do [ -s "$W/start.$r.$i" ] && break; sleep 0.01; done
    sub "$t0" "$(cat "$W/start.$r.$i")" >>"$W/slurm_start"
  done
  # Slurm alone: --width trivial jobs submitted at once, until the last has ended.
  t0=$(now)
  last=""
  for i in $(seq 1 "$WIDTH"); do last=$(sbatch --parsable -o /dev/null --wrap true); done
  until squeue -h -j "$last" -t all -o %T 2>/dev/null | grep -qE 'COMPLETED|FAILED'; do sleep 0.05; done
  until [ -z "$(squeue -h -t PD,R,CG -o %i)" ]; do sleep 0.05; done
  sub "$t0" "$(now)" >>"$W/slurm_jobs"
  t0=$(now)
  sbatch --parsable -o /dev/null --array=0-$((WIDTH - 1)) --wrap true >/dev/null
  sleep 0.2
  until [ -z "$(squeue -h -t PD,R,CG -o %i)" ]; do sleep 0.05; done
  sub "$t0" "$(now)" >>"$W/slurm_array"
  wall "$BUILD/flows/cluster" run --root "$W/store" >>"$W/cluster_slurm"
  wall "$BUILD/flows/cluster" run --root "$W/store" --executor local >>"$W/cluster_local"
  wall "$BUILD/flows/foreach" run --root "$W/store" --width "$WIDTH" --executor slurm >>"$W/fe_slurm"
  TRELLIS_CONFIG="$W/single.json" wall "$BUILD/flows/foreach" run --root "$W/store" --width "$WIDTH" \
    --executor slurm >>"$W/fe_single"
  wall "$BUILD/flows/foreach" run --root "$W/store" --width "$WIDTH" --executor local >>"$W/fe_local"
  echo "round $r: cluster slurm $(tail -1 "$W/cluster_slurm") s, local $(tail -1 "$W/cluster_local") s;" \
       "foreach-$WIDTH slurm array $(tail -1 "$W/fe_slurm") s, one sbatch each $(tail -1 "$W/fe_single") s, local $(tail -1 "$W/fe_local") s" >&2
done
CPUS=$(sinfo -h -o '%c' | head -n1)
s=$(median <"$W/slurm_start"); cs=$(median <"$W/cluster_slurm"); cl=$(median <"$W/cluster_local")
fs=$(median <"$W/fe_slurm"); f1=$(median <"$W/fe_single"); fl=$(median <"$W/fe_local")
echo "medians of $REPS rounds (seconds), cluster of $CPUS cpus:"
sj=$(median <"$W/slurm_jobs"); sa=$(median <"$W/slurm_array")
echo "  Slurm: sbatch submit -> job script runs:      $s"
echo "  Slurm: $WIDTH x 'true', one sbatch each:          $sj"
echo "  Slurm: $WIDTH x 'true', one array:                $sa"
echo "  cluster run, train on Slurm:                  $cs"
echo "  cluster run --executor local:                 $cl"
echo "  one step on Slurm costs (difference):         $(sub "$cl" "$cs")"
per() { awk -v a="$1" -v w="$WIDTH" 'BEGIN{printf "%.3f", a/w}'; }
echo "  foreach-$WIDTH on Slurm, one array (wall):      $fs  ($(per "$fs") per task)"
echo "  foreach-$WIDTH on Slurm, one sbatch each:       $f1  ($(per "$f1") per task)"
echo "  foreach-$WIDTH --executor local (wall):         $fl  ($(per "$fl") per task)"
echo "  array, per task x cpus (a slot's time per task): $(awk -v a="$fs" -v w="$WIDTH" -v c="$CPUS" 'BEGIN{printf "%.3f", a/w*c}')"
