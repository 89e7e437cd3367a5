"""torchvision side of bench/vision_model: same weights, threads, input size and batch sizes as
the C++ binary; prints `tv_<name> <value>` lines. Usage: vision_model_peer.py WEIGHTS [opts]"""
import argparse
import resource
import time

import torch

from vision_model_common import load_weights, make_torchvision_retinanet, read_safetensors


CLOCK = time.perf_counter


def make(args, weights):
    model = make_torchvision_retinanet(args.backbone, args.classes, args.size)
    load_weights(model, weights)
    return model


def targets(batch):
    return [{"boxes": torch.tensor([[30.0 + i, 40.0, 200.0, 220.0], [220.0, 100.0, 400.0, 300.0]]),
             "labels": torch.tensor([1 + i % 5, 7])} for i in range(batch)]


def time_train(args, weights, batch):
    model = make(args, weights).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(1)
    images = list(torch.rand(batch, 3, args.size, args.size))
    tgts = targets(batch)
    best = 1e30
    for s in range(args.steps + 1):
        t0 = CLOCK()
        opt.zero_grad()
        loss = sum(model(images, tgts).values())
        loss.backward()
        opt.step()
        if s > 0:
            best = min(best, CLOCK() - t0)
    return best


def time_infer(args, weights, batch):
    model = make(args, weights).eval()
    torch.manual_seed(1)
    images = list(torch.rand(batch, 3, args.size, args.size))
    best, dets = 1e30, 0
    with torch.no_grad():
        for s in range(args.steps + 1):
            t0 = CLOCK()
            out = model(images)
            if s > 0:
                best = min(best, CLOCK() - t0)
            dets = out[0]["scores"].numel()
    return best, dets


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backbone", default="resnet18")
    p.add_argument("--classes", type=int, default=30)
    p.add_argument("--size", type=int, default=416)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--only", default="")
    p.add_argument("--clock", default="wall", help="wall | cpu (process CPU time)")
    args = p.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    weights, _ = read_safetensors(args.weights)
    want = (lambda n: n != "mem4") if not args.only else (lambda n: n == args.only)
    print(f"tv_threads {torch.get_num_threads()}")
    for batch in (2, 4):
        name = f"train{batch}"
        if want(name):
            s = time_train(args, weights, batch)
            print(f"tv_{name}_step_s {s:.4f}\ntv_{name}_img_per_s {batch / s:.3f}", flush=True)
    if want("mem4"):
        time_train(args, weights, 4)
        print(f"tv_train4_peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")
    if want("infer1"):
        s, dets = time_infer(args, weights, 1)
        print(f"tv_infer1_latency_ms {s * 1000:.2f}\ntv_infer1_dets {dets}", flush=True)
    if want("infer8"):
        s, _ = time_infer(args, weights, 8)
        print(f"tv_infer8_img_per_s {8 / s:.3f}")


if __name__ == "__main__":
    main()
