#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs dependencies, builds,
# runs every unit and integration test (ctest). Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
