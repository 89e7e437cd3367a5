#!/usr/bin/python3
"""Python peer of bench/vision_loader: the same training input pipeline written
with torchvision transforms (PIL backend, as torchvision 0.14 pipelines do),
fed through torch.utils.data.DataLoader.

  vision_loader_baseline.py --coco TRAIN.json --threads 1 --images 400 [--size 416]

Per image: decode JPEG, jittered resize (0.8-1.25, aspect kept), crop/pad to
size x size at a random offset, horizontal and vertical flips (p=0.5), rotation
up to +-21.6 degrees (boxes: bounds of the rotated corners, clipped, small or
mostly cut boxes dropped), hue (+-18 deg) / saturation (0.7-1.3) / brightness /
contrast jitter, to_tensor + normalize; batches stacked into NCHW float.
--threads 1 runs in the main process (num_workers=0); N > 1 uses N worker
processes. torch.set_num_threads(1) everywhere. Prints one JSON line.
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class AugmentedCoco(torch.utils.data.Dataset):
    def __init__(self, coco_json, size, seed):
        with open(coco_json) as f:
            doc = json.load(f)
        root = os.path.dirname(coco_json)
        anns = {}
        for a in doc["annotations"]:
            x, y, w, h = a["bbox"]
            anns.setdefault(a["image_id"], []).append((x, y, x + w, y + h, a["category_id"]))
        self.items = [(os.path.join(root, im["file_name"]), anns.get(im["id"], []))
                      for im in doc["images"]]
        self.size = size
        self.seed = seed

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, objs = self.items[i]
        rng = random.Random(self.seed * 1000003 + i)
        S = self.size
        img = Image.open(path).convert("RGB")
        w, h = img.size
        boxes = torch.tensor([o[:4] for o in objs], dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([o[4] for o in objs], dtype=torch.int64)
        # jittered resize, then crop/pad to S x S at a random offset
        k = min(S / w, S / h) * rng.uniform(0.8, 1.25)
        nw, nh = max(1, round(w * k)), max(1, round(h * k))
        img = F.resize(img, [nh, nw], interpolation=InterpolationMode.BILINEAR)
        boxes *= torch.tensor([nw / w, nh / h, nw / w, nh / h])
        left = -round((S - nw) * rng.random())
        top = -round((S - nh) * rng.random())
        img = F.crop(img, top, left, S, S)
        boxes -= torch.tensor([left, top, left, top], dtype=torch.float32)
        if rng.random() < 0.5:
            img = F.hflip(img)
            boxes[:, [0, 2]] = S - boxes[:, [2, 0]]
        if rng.random() < 0.5:
            img = F.vflip(img)
            boxes[:, [1, 3]] = S - boxes[:, [3, 1]]
        angle = rng.uniform(-21.6, 21.6)
        img = F.rotate(img, angle, interpolation=InterpolationMode.BILINEAR, fill=[114, 114, 114])
        boxes, labels = rotate_boxes(boxes, labels, angle, S)
        img = F.adjust_hue(img, rng.uniform(-0.05, 0.05))
        img = F.adjust_saturation(img, rng.uniform(0.7, 1.3))
        img = F.adjust_brightness(img, 1 + rng.uniform(-20, 20) / 255)
        img = F.adjust_contrast(img, rng.uniform(0.85, 1.15))
        t = F.normalize(F.to_tensor(img), MEAN, STD)
        return t, boxes, labels


def rotate_boxes(boxes, labels, angle, S):
    if boxes.numel() == 0:
        return boxes, labels
    r = math.radians(angle)
    c, s = math.cos(r), math.sin(r)
    cx = cy = S / 2
    xs = boxes[:, [0, 2, 0, 2]] - cx
    ys = boxes[:, [1, 1, 3, 3]] - cy
    rx = c * xs + s * ys + cx
    ry = -s * xs + c * ys + cy
    full = torch.stack([rx.min(1).values, ry.min(1).values, rx.max(1).values, ry.max(1).values], 1)
    area = (full[:, 2] - full[:, 0]) * (full[:, 3] - full[:, 1])
    clipped = full.clamp(0, S)
    w = clipped[:, 2] - clipped[:, 0]
    h = clipped[:, 3] - clipped[:, 1]
    keep = (w >= 2) & (h >= 2) & (w * h >= 0.3 * area)
    return clipped[keep], labels[keep]


def collate(batch):
    return (torch.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch])


def init_worker(_):
    torch.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coco", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=416)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = AugmentedCoco(args.coco, args.size, args.seed)
    workers = 0 if args.threads <= 1 else args.threads
    kwargs = dict(batch_size=args.batch, shuffle=True, collate_fn=collate, num_workers=workers,
                  drop_last=True)
    if workers:
        kwargs.update(worker_init_fn=init_worker, prefetch_factor=4, persistent_workers=True)
    loader = torch.utils.data.DataLoader(ds, **kwargs)
    done, t0, first = 0, None, True
    while True:
        for images, boxes, labels in loader:
            assert images.shape == (args.batch, 3, args.size, args.size)
            if first:  # warm-up batch (worker start-up) is not timed
                first, t0 = False, time.perf_counter()
                continue
            done += images.shape[0]
            if done >= args.images:
                break
        if done >= args.images:
            break
    dt = time.perf_counter() - t0
    print(json.dumps({"threads": args.threads, "images": done, "seconds": dt,
                      "images_per_s": done / dt, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
