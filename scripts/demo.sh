#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs example flows into a
# fresh store (./demo-store), then reads the results back with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
store=${TRELLIS_DEMO_ROOT:-$PWD/demo-store}
rm -rf "$store"
export TRELLIS_ROOT=$store
echo "== a foreach flow: one task per item, then a join"
build/flows/foreach run --width 8
echo
echo "== a run that fails at step 4 of 5 ..."
build/flows/failing run || true
echo
echo "== ... fixed and resumed: steps 1-3 are cloned, not rerun"
TRELLIS_EXAMPLE_FIXED=1 build/flows/failing resume
echo
echo "== reading results back"
build/bin/trellis runs Failing
build/bin/trellis show Failing/2/end
echo "total of squares: $(build/bin/trellis get Foreach/1/join/total)"
echo
echo "store: $store   (try: build/bin/trellis --root $store show Foreach/1)"
