"""bench/vision_model: our C++ RetinaNet against torchvision's on the same libtorch.

  /usr/bin/python3 bench/vision_model.py build/bin/vision_model_bench [--rounds 3]
      [--threads 2] [--backbone resnet18] [--size 416] [--classes 30] [--plain-malloc]

Both sides use the same weights (written by the C++ binary, loaded strictly by torchvision),
the same random inputs, thread count, input size (torchvision min_size = max_size = size, so
its transform does not resize) and SGD settings. Every figure is measured in a fresh process,
alternating C++ and Python, `rounds` times; the best of all runs is kept on each side, which
filters out noise from other work on a shared machine. Prints `name value` lines, then ratios
(> 1 means C++ is better, except the memory ratio where < 1 is better).
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIGURES = ["train2", "train4", "infer1", "infer8", "mem4"]


def parse(out):
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                values[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return values


def run(cmd):
    return parse(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def better(name, a, b):
    lower_is_better = name.endswith(("_s", "_ms", "_mb")) and not name.endswith("per_s")
    return min(a, b) if lower_is_better else max(a, b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backbone", default="resnet18")
    p.add_argument("--size", type=int, default=416)
    p.add_argument("--classes", type=int, default=30)
    p.add_argument("--plain-malloc", action="store_true")
    p.add_argument("--clock", default="wall",
                   help="wall, or cpu: process CPU time (use with --threads 1 on a busy machine)")
    p.add_argument("--figures", default=",".join(FIGURES))
    args = p.parse_args()
    common = ["--threads", str(args.threads), "--backbone", args.backbone, "--size", str(args.size),
              "--classes", str(args.classes), "--steps", str(args.steps), "--clock", args.clock]
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "weights.safetensors")
        subprocess.run([args.binary, "--weights", weights, "--only", "none"] + common, check=True,
                       capture_output=True)
        cpp_extra = ["--plain-malloc"] if args.plain_malloc else []
        for r in range(args.rounds):
            for fig in args.figures.split(","):
                for cmd in ([args.binary, "--only", fig] + common + cpp_extra,
                            [sys.executable, os.path.join(HERE, "vision_model_peer.py"), weights,
                             "--only", fig] + common):
                    for k, v in run(cmd).items():
                        best[k] = better(k, best[k], v) if k in best else v
                print(f"# round {r + 1}/{args.rounds} {fig} done", file=sys.stderr, flush=True)
    print(f"backbone {args.backbone}\nimage_size {args.size}\nnum_classes {args.classes}")
    print(f"threads {args.threads}\nrounds {args.rounds}\nclock_{args.clock} 1")
    for k in sorted(best):
        print(f"{k} {best[k]:g}")

    def ratio(name, num, den):
        if num in best and den in best and best[den] > 0:
            print(f"{name} {best[num] / best[den]:.3f}")

    ratio("ratio_train2_img_per_s", "cpp_train2_img_per_s", "tv_train2_img_per_s")
    ratio("ratio_train4_img_per_s", "cpp_train4_img_per_s", "tv_train4_img_per_s")
    ratio("ratio_infer1_speedup", "tv_infer1_latency_ms", "cpp_infer1_latency_ms")
    ratio("ratio_infer8_img_per_s", "cpp_infer8_img_per_s", "tv_infer8_img_per_s")
    ratio("ratio_train4_peak_rss", "cpp_train4_peak_rss_mb", "tv_train4_peak_rss_mb")


if __name__ == "__main__":
    main()
