#!/usr/bin/python3
"""The Python module's costs (issue 14), on a fresh local store:

- `import trellis` in a fresh interpreter, against an interpreter that imports nothing;
- reading a small artifact in a fresh interpreter (goal < 0.15 s; Metaflow's Client
  measured on this machine: 0.60 s), by pathspec and through Flow(...).latest_run;
- a 256 MB float32 NPY artifact into numpy in this process (goal >= 1 GB/s), against
  numpy.load of the same NPY bytes from a file in the page cache.

    /usr/bin/python3 bench/python_client_bench.py [BUILD_DIR] [--reps 15] [--mb 256]

Medians of --reps; the two sides of each comparison alternate in one loop.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def fresh(code, env):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--mb", type=int, default=256)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    sys.path.insert(0, os.path.join(build, "python"))
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
    import numpy as np
    import trellis

    with tempfile.TemporaryDirectory() as root:
        subprocess.run([f"{build}/flows/linear", "run", "--root", root], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([f"{build}/flows/artifacts", "run", "--root", root, "--mb", str(a.mb),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        trellis.connect(root=root)
        end = trellis.Run("Linear/1").end_task.pathspec

        nothing, imports, by_path, by_flow = [], [], [], []
        small_path = f"import trellis; trellis.connect(root={root!r}); print(trellis.Task({end!r}).data.count)"
        small_flow = (f"import trellis; trellis.connect(root={root!r}); "
                      "print(trellis.Flow('Linear').latest_run['end'].task.data.count)")
        for _ in range(a.reps):
            nothing.append(fresh("pass", env))
            imports.append(fresh("import trellis", env))
            by_path.append(fresh(small_path, env))
            by_flow.append(fresh(small_flow, env))

        task = trellis.Run("Artifacts/1")["start"].task
        art = task["array"]
        npy_file = os.path.join(root, "array.npy")
        with open(npy_file, "wb") as f:
            f.write(art.as_bytes())
        ours, numpy_load = [], []
        for _ in range(max(3, a.reps // 3)):
            t0 = time.perf_counter()
            arr = task.data.array
            ours.append(time.perf_counter() - t0)
            assert arr.nbytes == a.mb << 20
            del arr
            t0 = time.perf_counter()
            ref = np.load(npy_file)
            numpy_load.append(time.perf_counter() - t0)
            del ref

    med = statistics.median
    gb = (a.mb << 20) / 1e9
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cpus; medians of {a.reps}")
    print(f"  fresh interpreter, nothing imported:        {med(nothing) * 1e3:7.1f} ms")
    print(f"  fresh interpreter, import trellis:          {med(imports) * 1e3:7.1f} ms")
    print(f"  fresh interpreter, Task(pathspec).data.x:   {med(by_path) * 1e3:7.1f} ms  (goal < 150)")
    print(f"  fresh interpreter, Flow().latest_run...x:   {med(by_flow) * 1e3:7.1f} ms")
    print(f"  {a.mb} MB NPY artifact -> numpy (task.data):  {med(ours):7.3f} s  {gb / med(ours):5.2f} GB/s (goal >= 1)")
    print(f"  numpy.load of the same bytes (page cache):  {med(numpy_load):7.3f} s  {gb / med(numpy_load):5.2f} GB/s")


if __name__ == "__main__":
    main()
