#!/usr/bin/env bash
# Throughput of two trellis-serve binaries side by side (e.g. before and after a change to the
# HTTP layer), on a small detector so that HTTP, decoding and batching - not the model - set
# the pace: wrk at CONCURRENCY on POST /invocations (a 480x480 JPEG) and on GET /ping, the two
# servers alternating for ROUNDS rounds; prints each run and the medians' ratio B/A.
#
#   bench/serve_http_ab.sh A_BIN B_BIN [--duration 15] [--rounds 3] [--concurrency 32]
#                          [--model M.safetensors --image I.jpg]  (e.g. serve_bench.sh's R50 at 416)
set -euo pipefail
cd "$(dirname "$0")/.."
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
cat >"$work/post.lua" <<LUA
local f = io.open("$(realpath "$image")", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
port_a=18495 port_b=18496
"$a_bin" "$model" --port $port_a --log-level warn >"$work/a.log" 2>&1 &
pids+=($!)
"$b_bin" "$model" --port $port_b --log-level warn >"$work/b.log" 2>&1 &
pids+=($!)
for port in $port_a $port_b; do
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break
    sleep 0.2
  done
done

# One wrk run -> "rps errors"
run() {
  local port=$1 what=$2 script=()
  [[ $what == invocations ]] && script=(-s "$work/post.lua")
  wrk -t2 -c"$concurrency" -d"${duration}s" --timeout 30s "${script[@]}" \
    "http://127.0.0.1:$port/$what" | awk '
      /Requests\/sec/ { rps = $2 }
      /Non-2xx/ { err += $NF }
      /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
      END { printf "%.1f %d\n", rps, err }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "# serve_http_ab: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration} s a run," \
     "$concurrency connections, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A: $a_bin"
echo "B: $b_bin"
echo
echo "| round | endpoint | A req/s | A errors | B req/s | B errors |"
echo "| --- | --- | --- | --- | --- | --- |"
declare -A all
for r in $(seq 1 "$rounds"); do
  for what in invocations ping; do
    read -r ra ea < <(run $port_a $what)
    read -r rb eb < <(run $port_b $what)
    echo "| $r | $what | $ra | $ea | $rb | $eb |"
    all[a.$what]+="$ra "
    all[b.$what]+="$rb "
  done
done
echo
for what in invocations ping; do
  ma=$(tr ' ' '\n' <<<"${all[a.$what]}" | grep . | median)
  mb=$(tr ' ' '\n' <<<"${all[b.$what]}" | grep . | median)
  awk -v w="$what" -v a="$ma" -v b="$mb" \
    'BEGIN { printf "%s: median A %.1f req/s, B %.1f req/s, B/A %.2f\n", w, a, b, (a > 0 ? b / a : 0) }'
done
echo "end load average $(cut -d' ' -f1-3 /proc/loadavg)"
