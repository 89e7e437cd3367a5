#!/usr/bin/env bash
# Configures and builds Trellis into ./build (Release, warnings as errors).
# Extra arguments go to CMake, e.g. scripts/build.sh -DTRELLIS_BUILD_VISION=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRELLIS_WERROR=ON "$@" >/dev/null
ninja -C build -j"$jobs"
