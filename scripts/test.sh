#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs dependencies, builds, starts
# the servers the team-storage and Slurm tests need (PostgreSQL, an
# S3-compatible server and a one-node Slurm cluster, on 127.0.0.1, from
# scripts/services/), runs every unit and integration test (ctest), and stops
# the servers it started. Exit code 0 means all passed.
# TRELLIS_TEST_NO_SERVICES=1 skips the servers (the S3 and PostgreSQL tests then
# fail, saying what is missing; the Slurm tests skip).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

if [[ -z "${TRELLIS_TEST_NO_SERVICES:-}" ]]; then
  s3_port=${S3_PORT:-4568}
  pg_port=${PG_PORT:-5432}
  started=()
  if ! curl -s -o /dev/null "http://127.0.0.1:$s3_port/" 2>/dev/null; then started+=(s3); fi
  if ! pg_isready -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; then started+=(postgres); fi
  if ! scontrol ping 2>/dev/null | grep -q 'is UP'; then started+=(slurm); fi
  stop_started() {
    for s in "${started[@]}"; do bash "scripts/services/$s-down.sh" >/dev/null 2>&1 || true; done
  }
  trap stop_started EXIT
  pg_url=$(PG_FAST=1 PG_PORT=$pg_port bash scripts/services/postgres-up.sh | tail -n1)
  S3_PORT=$s3_port bash scripts/services/s3-up.sh >/dev/null
  # A failed start is fatal: the Slurm tests would otherwise skip silently.
  SLURM_SKIP_SMOKE=1 bash scripts/services/slurm-up.sh >/dev/null
  export TRELLIS_TEST_SLURM=1
  export TRELLIS_TEST_PG_URL="$pg_url"
  # The cluster a test restarts to prove reconnection (tests/e2e_remote_test.cpp).
  export TRELLIS_TEST_PG_CLUSTER="$(ls /usr/lib/postgresql | sort -V | tail -n1) ${PG_CLUSTER:-main}"
  export TRELLIS_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port" TRELLIS_TEST_S3_BUCKET=flow
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  echo "test.sh: PostgreSQL at ${pg_url/:flow@/:***@}, S3 at $TRELLIS_TEST_S3_ENDPOINT, Slurm: $(sinfo -h -o '%P %N %c CPUs' | head -n1)" >&2
fi

cd build
# One test at a time: the LibTorch tests each use every core, and running them
# side by side only makes each slower (and their timings meaningless).
ctest --output-on-failure --timeout 1800 "$@"
