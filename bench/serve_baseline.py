#!/usr/bin/python3
"""Python peer of trellis-serve for bench/serve_bench.sh: the same RetinaNet checkpoint
(torchvision state_dict keys, read from the safetensors file) in torchvision's
retinanet_resnet50_fpn with min_size = max_size = the checkpoint's image size, behind the
standard library's ThreadingHTTPServer. POST /invocations takes JPEG/PNG bytes and answers the
same JSON as trellis-serve; GET /ping answers 200. One forward pass at a time (a lock), which is
faster than letting every request thread run its own on a small machine.

  serve_baseline.py --model M.safetensors --port 8081 --threads 2
"""
import argparse
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
import torchvision
from PIL import Image
from torchvision.transforms.functional import pil_to_tensor

from vision_model_common import read_safetensors  # the one safetensors reader of bench/

def load_model(path, threads):
    torch.set_num_threads(threads)
    tensors, meta = read_safetensors(path)
    categories = json.loads(meta["categories"])
    config = json.loads(meta["config"])
    size = int(config.get("image_size", 416))
    model = torchvision.models.detection.retinanet_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=len(categories),
        min_size=size, max_size=size, score_thresh=0.05, nms_thresh=0.5,
        detections_per_img=100, topk_candidates=1000)
    state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise SystemExit(f"checkpoint does not fit torchvision: missing {missing[:5]}, "
                         f"unexpected {result.unexpected_keys[:5]}")
    model.eval()
    names = {i: (c["name"] if isinstance(c, dict) else str(c)) for i, c in enumerate(categories)}
    ids = {i: (c["id"] if isinstance(c, dict) else i) for i, c in enumerate(categories)}
    return model, names, ids, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--score-threshold", type=float, default=0.3)
    args = ap.parse_args()
    model, names, ids, size = load_model(args.model, args.threads)
    lock = threading.Lock()
    with torch.inference_mode():  # warm-up
        model([torch.rand(3, size, size)])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

        def log_message(self, *a):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/ping":
                self.reply(200, {"status": "ok"})
            else:
                self.reply(404, {"error": "no such path"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            data = self.rfile.read(n)
            if self.path.split("?")[0] != "/invocations":
                self.reply(404, {"error": "no such path"})
                return
            try:
                img = Image.open(io.BytesIO(data)).convert("RGB")
            except Exception as e:  # noqa: BLE001
                self.reply(400, {"error": str(e)})
                return
            x = pil_to_tensor(img).float().div_(255)
            with lock, torch.inference_mode():
                out = model([x])[0]
            dets = []
            for box, score, label in zip(out["boxes"].tolist(), out["scores"].tolist(),
                                         out["labels"].tolist()):
                if score < args.score_threshold:
                    continue
                dets.append({"box": [round(v, 2) for v in box], "score": round(score, 4),
                             "class_id": ids[label], "label": names[label]})
            self.reply(200, {"detections": dets, "width": img.width, "height": img.height,
                             "model": "baseline"})

    # The default accept backlog (5) overflows when 32 clients connect at once; trellis-serve
    # listens with 1024.
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"serve_baseline: listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
