#!/usr/bin/env bash
# trellis-train then trellis-predict through their command lines, on a slice of plantdoc-mini:
# augmented and plain training both write checkpoints and COCO-validated metrics, the checkpoint
# predicts, and bad input is an error that names the thing.
# Usage: train_predict.sh BIN_DIR DATA_DIR
set -euo pipefail
bin=$1 data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A 6-image train / 3-image test slice keeps this at a few seconds.
/usr/bin/python3 - "$data" "$work/slice" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
os.symlink(os.path.join(os.path.abspath(src), "images"), os.path.join(dst, "images"))
for split, n in (("train", 6), ("test", 3)):
    d = json.load(open(os.path.join(src, split + ".json")))
    d["images"] = d["images"][:n]
    ids = {i["id"] for i in d["images"]}
    d["annotations"] = [a for a in d["annotations"] if a["image_id"] in ids]
    json.dump(d, open(os.path.join(dst, split + ".json"), "w"))
PY

common=(--data "$work/slice" --epochs 2 --image-size 64 --batch-size 3 --backbone resnet18
        --threads 2 --quiet)
"$bin/trellis-train" "${common[@]}" --out "$work/aug" --loader-threads 2
"$bin/trellis-train" "${common[@]}" --out "$work/plain" --no-augment
for run in aug plain; do
  test -s "$work/$run/best.safetensors" || fail "$run: no best.safetensors"
  [[ $(wc -l < "$work/$run/metrics.jsonl") == 2 ]] || fail "$run: metrics.jsonl is not 2 epochs"
  grep -q '"val_map":' "$work/$run/metrics.jsonl" || fail "$run: no val_map in metrics.jsonl"
done
grep -q '"augment":true' <(tr -d ' \n' < "$work/aug/config.json") || fail "aug: augment not recorded"
grep -q '"augment":false' <(tr -d ' \n' < "$work/plain/config.json") || fail "plain: --no-augment not recorded"

image=$(ls "$work/slice/images/test/" | head -1)
"$bin/trellis-predict" --model "$work/aug/best.safetensors" --json --score-thresh 0 \
    --max-detections 5 --threads 2 "$work/slice/images/test/$image" > "$work/dets.json"
/usr/bin/python3 - "$work/dets.json" <<'PY'
import json, sys
dets = json.load(open(sys.argv[1]))
assert len(dets) == 5, dets
for d in dets:
    assert d["image_id"] == 1 and len(d["bbox"]) == 4 and 0 <= d["score"] <= 1, d
PY

if out=$("$bin/trellis-train" --data "$work/missing" --out "$work/x" --quiet 2>&1); then
  fail "training on a missing folder succeeded"
fi
grep -q "$work/missing" <<<"$out" || fail "error does not name the folder: $out"
echo "ok"
