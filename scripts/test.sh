#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs dependencies, builds,
# runs every unit and integration test (ctest). Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
# One test at a time: the LibTorch tests each use every core, and running them
# side by side only makes each slower (and their timings meaningless).
ctest --output-on-failure --timeout 1800 "$@"
