#!/usr/bin/env bash
# Load test of trellis-serve against the plain Python baseline (serve_baseline.py: torchvision
# RetinaNet behind http.server) with the same checkpoint: wrk on loopback, POST of one 416x416
# JPEG, each concurrency for DURATION seconds, the two servers alternating so that machine load
# hits both alike. Prints a markdown table (p50/p99 latency, requests/s, errors, peak RSS) and
# the throughput ratio.
#
#   bench/serve_bench.sh [--duration 30] [--concurrency "1 8 32"] [--threads 2] [--workers 1]
#                        [--model M.safetensors] [--image I.jpg] [-- extra trellis-serve args]
# Needs: build/bin/trellis-serve, build/bin/trellis-serve-fixture, wrk, /usr/bin/python3 with
# torch + torchvision + PIL (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/serve_lib.sh
duration=30 concurrency="1 8 32" threads=2 workers=1 model="" image=""
extra=()
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;  # trellis-serve: workers x threads/workers threads
    --model) model=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=build/bench/serve
mkdir -p "$work"
if [[ -z "$model" ]]; then
  # ResNet-50 RetinaNet at 416 (the plant model's shape), fixed seed, barely trained.
  model=$work/retinanet_r50_416.safetensors
  [[ -f $model ]] || build/bin/trellis-serve-fixture --out "$model" --backbone resnet50 \
      --size 416 --epochs 1 --train-images 2 --threads "$threads" >&2
fi
if [[ -z "$image" ]]; then
  image=$work/leaf416.jpg
  /usr/bin/python3 -c "
from PIL import Image
Image.open('data/plantdoc-mini/images/test/00007.jpg').convert('RGB').resize((416, 416)).save('$image', quality=90)"
fi
write_post_lua "$image" "$work/post.lua"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port_c=18480 port_py=18481
build/bin/trellis-serve "$model" --port $port_c --workers "$workers" \
  --threads "$((threads / workers > 0 ? threads / workers : 1))" --log-level warn \
  "${extra[@]}" >"$work/trellis.log" 2>&1 &
pids+=($!) ; pid_c=$!
/usr/bin/python3 bench/serve_baseline.py --model "$model" --port $port_py --threads "$threads" \
  >"$work/baseline.log" 2>&1 &
pids+=($!) ; pid_py=$!
wait_ready $port_c
wait_ready $port_py

# One wrk run -> "rps p50_ms p99_ms errors requests".
run_wrk() {
  local port=$1 c=$2 out
  out=$(wrk -t"$((c < 2 ? c : 2))" -c"$c" -d"${duration}s" --timeout 120s --latency \
        -s "$work/post.lua" "http://127.0.0.1:$port/invocations")
  echo "$out" >>"$work/wrk.log"
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0;
                     if (v ~ /m$/) return v*60000; return v*1000 }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /requests in/ { n = $1 }
    /Non-2xx/ { err += $NF }
    /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    END { printf "%.2f %.0f %.0f %d %d\n", rps, p50, p99, err, n }'
}
peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

: >"$work/wrk.log"
echo "# serve_bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration} s per run," \
     "threads $threads (trellis: $workers workers), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| concurrency | server | req/s | p50 ms | p99 ms | errors | requests |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
declare -A rps
for c in $concurrency; do
  for side in trellis python; do
    port=$([[ $side == trellis ]] && echo $port_c || echo $port_py)
    read -r r p50 p99 err n < <(run_wrk "$port" "$c")
    rps[$side.$c]=$r
    echo "| $c | $side | $r | $p50 | $p99 | $err | $n |"
  done
done
echo
echo "peak RSS: trellis-serve $(peak_rss_mb $pid_c) MB, python baseline $(peak_rss_mb $pid_py) MB"
for c in $concurrency; do
  awk -v c="$c" -v a="${rps[trellis.$c]}" -v b="${rps[python.$c]}" \
      'BEGIN { printf "throughput ratio at concurrency %s: %.2fx\n", c, (b > 0 ? a / b : 0) }'
done
echo "end load average $(cut -d' ' -f1-3 /proc/loadavg)"
