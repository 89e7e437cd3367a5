#!/usr/bin/env bash
# Throughput of two trellis-serve binaries side by side (e.g. before and after a change to the
# HTTP layer), on a small detector so that HTTP, decoding and batching - not the model - set
# the pace: wrk at CONCURRENCY on POST /invocations (a 480x480 JPEG) and on GET /ping, the two
# servers alternating (ABBA) for ROUNDS rounds; prints each run, the medians' ratio B/A, and the
# CPU time each server spent per request (robust on a shared machine).
#
#   bench/serve_http_ab.sh A_BIN B_BIN [--duration 15] [--rounds 3] [--concurrency 32]
#                          [--model M.safetensors --image I.jpg]  (e.g. serve_bench.sh's R50 at 416)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/serve_lib.sh
a_bin=$(realpath "$1") b_bin=$(realpath "$2")
shift 2
duration=15 rounds=3 concurrency=32 model="" image=""
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=build/bench/http_ab
mkdir -p "$work"
if [[ -z $model ]]; then
  model=$work/model.safetensors
  [[ -f $model ]] || build/bin/trellis-serve-fixture --out "$model" --size 64 --epochs 1 \
    --train-images 2 --threads 2 --images "$work" >/dev/null
fi
[[ -n $image ]] || image=$work/sample.jpg
write_post_lua "$image" "$work/post.lua"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
port_a=18495 port_b=18496
"$a_bin" "$model" --port $port_a --log-level warn >"$work/a.log" 2>&1 &
pid_a=$!
pids+=($pid_a)
"$b_bin" "$model" --port $port_b --log-level warn >"$work/b.log" 2>&1 &
pid_b=$!
pids+=($pid_b)
wait_ready $port_a
wait_ready $port_b

# CPU seconds (user + system) the process has used: robust to a shared machine, unlike req/s.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# One wrk run -> "rps errors cpu_ms_per_request"
run() {
  local port=$1 pid=$2 what=$3 script=() c0 c1
  [[ $what == invocations ]] && script=(-s "$work/post.lua")
  c0=$(cpu_s "$pid")
  wrk -t2 -c"$concurrency" -d"${duration}s" --timeout 30s "${script[@]}" \
    "http://127.0.0.1:$port/$what" >"$work/wrk.out"
  c1=$(cpu_s "$pid")
  awk -v c0="$c0" -v c1="$c1" '
      /requests in/ { n = $1 }
      /Requests\/sec/ { rps = $2 }
      /Non-2xx/ { err += $NF }
      /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
      END { printf "%.1f %d %.3f\n", rps, err, (n > 0 ? (c1 - c0) * 1000 / n : 0) }' "$work/wrk.out"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "# serve_http_ab: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration} s a run," \
     "$concurrency connections, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A: $a_bin"
echo "B: $b_bin"
echo
echo "| round | endpoint | A req/s | A errors | A CPU ms/req | B req/s | B errors | B CPU ms/req |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
declare -A all
for r in $(seq 1 "$rounds"); do
  for what in invocations ping; do
    if ((r % 2)); then  # A first in odd rounds, B first in even ones: drifting load hits both
      read -r ra ea ca < <(run $port_a $pid_a $what)
      read -r rb eb cb < <(run $port_b $pid_b $what)
    else
      read -r rb eb cb < <(run $port_b $pid_b $what)
      read -r ra ea ca < <(run $port_a $pid_a $what)
    fi
    echo "| $r | $what | $ra | $ea | $ca | $rb | $eb | $cb |"
    all[a.$what]+="$ra "
    all[b.$what]+="$rb "
    all[ca.$what]+="$ca "
    all[cb.$what]+="$cb "
  done
done
echo
for what in invocations ping; do
  m() { tr ' ' '\n' <<<"${all[$1.$what]}" | grep . | median; }
  awk -v w="$what" -v a="$(m a)" -v b="$(m b)" -v ca="$(m ca)" -v cb="$(m cb)" 'BEGIN {
    printf "%s: median A %.1f req/s, B %.1f req/s, B/A %.2f; CPU per request A %.3f ms, B %.3f ms, B/A %.2f\n",
           w, a, b, (a > 0 ? b / a : 0), ca, cb, (ca > 0 ? cb / ca : 0) }'
done
echo "end load average $(cut -d' ' -f1-3 /proc/loadavg)"
