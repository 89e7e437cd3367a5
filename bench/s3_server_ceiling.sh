#!/usr/bin/env bash
# bench/s3_server_ceiling.sh - what the S3 server itself can do, to read
# s3_transfer_bench's figures against: one 256 MB PUT and one GET with the curl
# CLI (one stream, libcurl's SigV4), wall time and the server process's CPU
# time for each. Usage: bench/s3_server_ceiling.sh [ENDPOINT] [BUCKET]
# (s3rver from scripts/services/s3-up.sh; its pid file gives the CPU figures).
set -euo pipefail
endpoint=${1:-http://127.0.0.1:4568}
bucket=${2:-flow}
port=${endpoint##*:}
pidfile=/run/flow-s3/s3rver-$port.pid
file=$(mktemp /tmp/s3-ceiling.XXXXXX)
trap 'rm -f "$file"' EXIT
head -c $((256 << 20)) /dev/urandom >"$file"
sign=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "${AWS_ACCESS_KEY_ID:-S3RVER}:${AWS_SECRET_ACCESS_KEY:-S3RVER}"
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
cpu() { if [ -f "$pidfile" ]; then awk '{print $14 + $15}' "/proc/$(cat "$pidfile")/stat"; else echo 0; fi; }
tck=$(getconf CLK_TCK)
for round in 1 2 3; do
  c0=$(cpu)
  put=$(curl -sf -o /dev/null -w '%{time_total}' "${sign[@]}" -T "$file" "$endpoint/$bucket/bench-ceiling/b256")
  c1=$(cpu)
  get=$(curl -sf -o /dev/null -w '%{time_total}' "${sign[@]}" "$endpoint/$bucket/bench-ceiling/b256")
  c2=$(cpu)
  echo "round $round single-stream PUT ${put}s (server cpu $(echo "scale=2; ($c1 - $c0) / $tck" | bc)s)" \
       "GET ${get}s (server cpu $(echo "scale=2; ($c2 - $c1) / $tck" | bc)s)"
done
curl -sf -o /dev/null "${sign[@]}" -X DELETE "$endpoint/$bucket/bench-ceiling/b256" || true
