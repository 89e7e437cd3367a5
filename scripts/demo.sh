#!/usr/bin/env bash
# The main job: installs dependencies, builds, trains the plant-disease detector on the
# bundled PlantDoc subset (CPU, a few minutes on 2 cores), deploys it to the alias
# plant/production, serves it, sends one test image and prints the detections.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --bench >/dev/null
bash scripts/build.sh
export TRELLIS_ROOT=${TRELLIS_DEMO_ROOT:-$PWD/demo-store}
mkdir -p "$TRELLIS_ROOT"
echo "== training, evaluating and deploying (store: $TRELLIS_ROOT)"
build/flows/plant_detection run --epochs "${DEMO_EPOCHS:-2}" --image-size "${DEMO_IMAGE_SIZE:-256}"
report=$TRELLIS_ROOT/PlantDetection-latest-report.html
build/bin/trellis report PlantDetection/latest -o "$report" >/dev/null
if [[ -x build/bin/trellis-serve ]]; then
  port=${DEMO_PORT:-8080}
  echo "== serving plant/production on 127.0.0.1:$port"
  build/bin/trellis serve plant/production --port "$port" > "$TRELLIS_ROOT/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break
    sleep 0.5
  done
  image=data/plantdoc-mini/images/test/00001.jpg
  echo "== POST $image to /invocations"
  curl -s -H 'Content-Type: image/jpeg' --data-binary @"$image" \
    "http://127.0.0.1:$port/invocations?score_threshold=0.2" | python3 -m json.tool
  echo "upload page: http://127.0.0.1:$port/  (stops when this script ends)"
fi
echo
echo "report: $report"
echo "runs:   build/bin/trellis runs PlantDetection"
