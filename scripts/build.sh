#!/usr/bin/env bash
# Configures and builds Trellis into ./build (Release, warnings as errors).
# Extra arguments go to CMake, e.g. scripts/build.sh -DTRELLIS_BUILD_VISION=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRELLIS_WERROR=ON "$@" >/dev/null
ninja -C build -j"$jobs"
# `import trellis` for Debian's python3 (and Jupyter on it) with no extra step: a .pth file in
# its site directory names build/python (the user site when the system one is not writable).
if [[ -d build/python/trellis ]]; then
  /usr/bin/python3 - "$PWD/build/python" <<'PY'
import os, site, sys
target = sys.argv[1]
dirs = [d for d in site.getsitepackages() if d.startswith("/usr/local")] + [site.getusersitepackages()]
for d in dirs:
    pth = os.path.join(d, "trellis.pth")
    try:
        os.makedirs(d, exist_ok=True)
        if not os.path.exists(pth) or open(pth).read().strip() != target:
            with open(pth, "w") as f:
                f.write(target + "\n")
            print(f"build.sh: python3 imports trellis from {target} ({pth})", file=sys.stderr)
        break
    except OSError:
        continue
PY
fi
