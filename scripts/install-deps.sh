#!/usr/bin/env bash
# Installs every build and test dependency of Trellis from Debian 12 packages.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg query. Pass --bench to add the Python baselines
# used by bench/ (python3-torch, python3-torchvision, wrk).
# The browser tests (tests/browser/) need chromium, node and npm from Debian plus
# playwright-core from npm, installed into ./node_modules from package-lock.json.
# The fuzz targets (scripts/fuzz.sh) need clang 14 and its libFuzzer runtime.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libsqlite3-dev libzstd-dev libssl-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev libopencv-dev libcpp-httplib-dev libcurl4-openssl-dev libpq-dev
  libexpat1-dev python3-numpy chromium
  postgresql postgresql-client  # PostgreSQL metadata tests (scripts/services/postgres-up.sh)
  python3-boto3  # S3 tests: boto3 reads what S3Storage wrote; scripts/services/s3-check.py
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: clang++-14 and libFuzzer (libclang_rt.fuzzer)
  slurmctld slurmd slurm-client munge  # Slurm executor tests (scripts/services/slurm-up.sh)
  # The Python module (python/): pybind11 builds it; pytest tests it; the example
  # notebook is executed by nbconvert with the ipykernel, draws with matplotlib
  # and PIL decodes tracked images; pandas for Metrics.to_pandas().
  pybind11-dev python3-dev python3-pytest python3-pil python3-pandas python3-matplotlib
  jupyter-nbconvert python3-ipykernel
)
# Node.js: Debian's nodejs + npm unless a node with its own npm (e.g. NodeSource's) is there.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch python3-torchvision wrk hyperfine pgbouncer)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# playwright-core for the browser tests, pinned by package-lock.json (no browser download:
# the tests drive /usr/bin/chromium).
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ! -d "$root/node_modules/playwright-core" ]]; then
  echo "install-deps: npm ci (playwright-core)" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi
