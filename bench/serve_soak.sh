#!/usr/bin/env bash
# Soak test of trellis-serve (issue 10): wrk holds 32 connections of POST /invocations for
# DURATION seconds while the model is swapped every 30 s (/admin/reload), 70 slowloris clients
# dribble request heads, 500 idle connections sit open and a prober GETs /ping every 100 ms on a
# fresh connection (bench/serve_soak_clients.py). Pass: 0 failed wrk requests, 0 failed pings and
# swaps, /ping p99 under 100 ms, RSS flat. Prints a markdown summary; the RSS and ping curves are
# left in build/bench/soak/ (rss.csv, pings.csv, summary.json).
#
#   bench/serve_soak.sh [--duration 600] [--connections 32] [--size 128] [--backbone resnet18]
#                       [-- extra trellis-serve args]
# Needs: build/bin/trellis-serve, build/bin/trellis-serve-fixture, wrk, /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/serve_lib.sh
duration=600 connections=32 size=128 backbone=resnet18
extra=()
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --backbone) backbone=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=build/bench/soak
rm -rf "$work"
mkdir -p "$work"
# Two versions of a small detector (other seeds: other bytes), so that every swap changes it.
for seed in 1 2; do
  build/bin/trellis-serve-fixture --out "$work/model$seed.safetensors" --backbone "$backbone" \
    --size "$size" --epochs 1 --train-images 2 --threads 2 --seed "$seed" >/dev/null
done
cp "$work/model1.safetensors" "$work/served.safetensors"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
write_post_lua data/plantdoc-mini/images/test/00001.jpg "$work/post.lua"

port=18490
build/bin/trellis-serve "$work/served.safetensors" --port $port --admin-token-file "$work/token" \
  --log-level warn "${extra[@]}" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
wait_ready $port

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s --latency -s "$work/post.lua" \
  "http://127.0.0.1:$port/invocations" >"$work/wrk.log" 2>&1 &
wrk_pid=$!
/usr/bin/python3 bench/serve_soak_clients.py --port $port --pid $pid --duration "$duration" \
  --out "$work" --served "$work/served.safetensors" \
  --models "$work/model1.safetensors" "$work/model2.safetensors" --token-file "$work/token" \
  >"$work/clients.log" 2>&1
wait $wrk_pid
alive=$(kill -0 $pid 2>/dev/null && echo yes || echo no)

read -r requests rps p50 p99 errors < <(awk '
  function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0;
                   if (v ~ /m$/) return v*60000; return v*1000 }
  /requests in/ { n = $1 } /Requests\/sec/ { rps = $2 }
  /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
  /Non-2xx/ { err += $NF }
  /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
  END { printf "%d %.1f %.0f %.0f %d\n", n, rps, p50, p99, err }' "$work/wrk.log")

/usr/bin/python3 - "$work/summary.json" <<PY
import json, sys
s = json.load(open(sys.argv[1]))
print("# serve_soak: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration} s, load average at start $load_start")
print()
print("| what | result |")
print("| --- | --- |")
print("| wrk POST /invocations, $connections connections | $requests requests, $rps req/s, p50 $p50 ms, p99 $p99 ms, **$errors failed** |")
print(f"| /ping every 100 ms, fresh connection | {s['pings']} pings, **{s['ping_failures']} failed**, p50 {s['ping_p50_ms']} ms, **p99 {s['ping_p99_ms']} ms**, max {s['ping_max_ms']} ms |")
print(f"| model swaps (/admin/reload every 30 s) | {s['swaps']} swaps, {s['swap_changed']} changed the model, **{s['swap_failures']} failed**, slowest {s['swap_max_s']} s |")
print(f"| 70 slowloris clients | cut off {s['slowloris_cut_off']} times ({s['slowloris_408']} with 408), reconnected each time |")
print(f"| 500 idle connections | closed by the idle timeout {s['idle_closed_by_server']} times, reconnected each time |")
print(f"| RSS | first {s['rss_mb_first']} MB, min {s['rss_mb_min']} MB, max {s['rss_mb_max']} MB, last {s['rss_mb_last']} MB |")
print(f"| server alive at the end | $alive |")
print()
print("| minute | pings | p50 ms | p99 ms | max ms | RSS MB (max) |")
print("| --- | --- | --- | --- | --- | --- |")
for m in s["per_minute"]:
    print(f"| {m['minute']} | {m['pings']} | {m['p50_ms']} | {m['p99_ms']} | {m['max_ms']} | {m['rss_mb']} |")
PY
