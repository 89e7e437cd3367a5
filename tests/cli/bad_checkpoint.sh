#!/usr/bin/env bash
# Hostile checkpoints through the real command lines (issue 10, item 2): metadata saying
# num_classes = 1e9, a negative class count, an absurd image size or an unknown backbone makes
# `trellis predict` and `trellis serve` exit 1 with a message naming the field (not abort with
# 134), and a SIGHUP reload onto such a file leaves the running server on its old model.
# Usage: bad_checkpoint.sh BIN_DIR
set -euo pipefail
bin=$1
work=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill -9 "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin/trellis-serve-fixture" --out "$work/good.safetensors" --images "$work" --epochs 1 \
    --train-images 2 --threads 2 --seed 1 > "$work/fixture.log" 2>&1 ||
  fail "fixture: $(cat "$work/fixture.log")"

# edit IN OUT KEY VALUE_JSON: the checkpoint with one field of its stored TrainConfig replaced.
edit() {
  /usr/bin/python3 - "$@" <<'PY'
import json, struct, sys
src, dst, key, value = sys.argv[1:5]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
header = json.loads(b[8:8 + n])
config = json.loads(header["__metadata__"]["config"])
config[key] = json.loads(value)
header["__metadata__"]["config"] = json.dumps(config)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + b[8 + n:])
PY
}

cases=("num_classes 1e9" "num_classes -5" "image_size 1073741824" 'backbone "resnet9000"')
i=0
for c in "${cases[@]}"; do
  read -r key value <<<"$c"
  i=$((i + 1))
  bad="$work/bad$i.safetensors"
  edit "$work/good.safetensors" "$bad" "$key" "$value"

  set +e
  out=$("$bin/trellis" predict --model "$bad" "$work/sample.png" 2>&1)
  rc=$?
  set -e
  [[ $rc == 1 ]] || fail "predict with $key=$value exited $rc, not 1: $out"
  grep -q "$key" <<<"$out" || fail "predict with $key=$value: message does not name $key: $out"

  set +e
  out=$(timeout 60 "$bin/trellis" serve --port 0 "$bad" 2>&1)
  rc=$?
  set -e
  [[ $rc == 1 ]] || fail "serve with $key=$value exited $rc, not 1: $out"
  grep -q "$key" <<<"$out" || fail "serve with $key=$value: message does not name $key: $out"
done

# A running server: SIGHUP onto each bad file keeps it up and on the good model.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp "$work/good.safetensors" "$work/served.safetensors"
"$bin/trellis-serve" --port "$port" "$work/served.safetensors" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/ping" > /dev/null && break
  kill -0 "$server" 2>/dev/null || fail "server exited: $(cat "$work/serve.log")"
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/ping" > /dev/null || fail "server not ready: $(cat "$work/serve.log")"
version=$(curl -sf "http://127.0.0.1:$port/version")
for n in $(seq "$i"); do
  cp "$work/bad$n.safetensors" "$work/served.tmp" && mv "$work/served.tmp" "$work/served.safetensors"
  kill -HUP "$server"
  for _ in $(seq 600); do
    [[ $(grep -c "reload: " "$work/serve.log") -ge $n ]] && break
    kill -0 "$server" 2>/dev/null || fail "SIGHUP onto bad$n killed the server: $(cat "$work/serve.log")"
    sleep 0.1
  done
  kill -0 "$server" 2>/dev/null || fail "SIGHUP onto bad$n killed the server: $(cat "$work/serve.log")"
  [[ $(curl -sf "http://127.0.0.1:$port/version") == "$version" ]] ||
    fail "after bad$n the server no longer serves the old model"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/png' \
      --data-binary "@$work/sample.png" "http://127.0.0.1:$port/invocations")
  [[ $code == 200 ]] || fail "after bad$n /invocations answered $code"
done
[[ $(grep -c "reload: .*still serving" "$work/serve.log") == "$i" ]] ||
  fail "not every failed reload was logged: $(cat "$work/serve.log")"
kill -TERM "$server"
wait "$server" || fail "server did not exit cleanly"
server=""
echo "ok"
