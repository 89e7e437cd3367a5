"""Parity of our C++ RetinaNet with torchvision's on the same weights and inputs.

  /usr/bin/python3 bench/vision_model_parity.py build/bin/vision_model_bench [--backbone resnet50]

The C++ binary writes its weights (torchvision state_dict keys), two 416x416 inputs and its
outputs to one safetensors file; this script loads the weights into torchvision (strict), runs
the same inputs and prints `name value` lines: max abs differences of the head outputs, the
anchors, and of the final detections (boxes, scores, labels), then PASS/FAIL per tolerance.
Exit status 1 when a tolerance is missed.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vision_model_common import load_weights, make_torchvision_retinanet, read_safetensors  # noqa


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--backbone", default="resnet18")
    p.add_argument("--classes", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "parity.safetensors")
        subprocess.run([args.binary, "--dump-parity", path, "--backbone", args.backbone,
                        "--classes", str(args.classes), "--threads", str(args.threads)],
                       check=True)
        t, meta = read_safetensors(path)
    size = int(meta["image_size"])
    model = make_torchvision_retinanet(args.backbone, args.classes, size)
    load_weights(model, t)
    model.eval()
    images = list(t["input.images"])
    checks = []

    def report(name, value, tol):
        print(f"{name} {value:.3g}")
        checks.append((name, value, tol))

    with torch.no_grad():
        batch, _ = model.transform(images)
        feats = list(model.backbone(batch.tensors).values())
        head = model.head(feats)
        anchors = model.anchor_generator(batch, feats)[0]
        dets = model(images)
    scale = head["cls_logits"].abs().max().item()
    report("parity_cls_logits_max_abs_diff", (head["cls_logits"] - t["output.cls_logits"]).abs().max().item(), 1e-4 * max(1, scale))
    report("parity_bbox_regression_max_abs_diff", (head["bbox_regression"] - t["output.bbox_regression"]).abs().max().item(), 1e-4)
    report("parity_anchors_max_abs_diff", (anchors - t["output.anchors"]).abs().max().item(), 0.0)
    report("parity_fast_path_cls_max_abs_diff", (head["cls_logits"] - t["output.fast.cls_logits"]).abs().max().item(), 1e-3)
    report("parity_fast_path_box_max_abs_diff", (head["bbox_regression"] - t["output.fast.bbox_regression"]).abs().max().item(), 1e-3)
    for i, d in enumerate(dets):
        ours_boxes = t[f"output.det{i}.boxes"]
        ours_scores = t[f"output.det{i}.scores"]
        ours_labels = t[f"output.det{i}.labels"]
        print(f"parity_det{i}_count_tv {d['scores'].numel()}")
        print(f"parity_det{i}_count_ours {ours_scores.numel()}")
        n = min(d["scores"].numel(), ours_scores.numel())
        report(f"parity_det{i}_count_diff", abs(d["scores"].numel() - ours_scores.numel()), 0)
        report(f"parity_det{i}_score_max_abs_diff", (d["scores"][:n] - ours_scores[:n]).abs().max().item(), 1e-4)
        report(f"parity_det{i}_box_max_abs_diff", (d["boxes"][:n] - ours_boxes[:n]).abs().max().item(), 1e-2)
        report(f"parity_det{i}_label_mismatches", (d["labels"][:n] != ours_labels[:n]).sum().item(), 0)
    failed = [c for c in checks if not c[1] <= c[2]]
    for name, value, tol in failed:
        print(f"FAIL {name} {value:.3g} > {tol:.3g}")
    print("parity PASS" if not failed else "parity FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
