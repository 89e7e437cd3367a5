#!/usr/bin/python3
"""Kill-at-a-random-point harness for run + resume (issue 10).

Each trial starts the foreach_work example flow through its real CLI on a fresh
store, SIGKILLs either the orchestrator or one running task process at a random
moment, waits until nothing of that run is left running, then runs `resume`
and checks the points below. Kill moments are uniform in [0, W] after "run
started", W the shortest of three clean runs, narrowed whenever a trial's run
ends before its kill (a busy machine makes runs slower or faster). Checks:
  - resume exits 0 and the resumed run is recorded as succeeded;
  - every task's artifacts (name -> digest) equal those of a clean run;
  - every task the killed run had finished is cloned, not run again (its only
    attempt record in the resumed run is the clone's), with the same artifacts;
  - every blob the resumed run points to is in the store and hashes to its digest.
It prints a summary and exits 1 if any trial failed.

  /usr/bin/python3 bench/kill_resume.py --build build --trials 200 --seed 1
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time


def task_processes(root, any_kind=False):
    """pid -> argv of live task processes (`FLOW step ...`) of the store at `root`;
    with any_kind, every process of that store, such as a child the killed
    orchestrator forked that has not exec'd its `step` command line yet."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        argv = [a.decode(errors="replace") for a in argv if a]
        if len(argv) > 2 and (any_kind or argv[1] == "step") and "--root" in argv:
            i = argv.index("--root")
            if i + 1 < len(argv) and argv[i + 1] == root:
                found[int(name)] = argv
    return found


def wait_until_no_tasks(root, timeout=60.0):
    deadline = time.monotonic() + timeout
    while task_processes(root, any_kind=True):
        if time.monotonic() > deadline:
            raise RuntimeError("task processes still running after %.0fs" % timeout)
        time.sleep(0.01)


def db(root):
    con = sqlite3.connect(f"file:{root}/metadata.db?mode=ro", uri=True, timeout=30)
    con.row_factory = sqlite3.Row
    return con


def instance(step, stack_json):
    return (step, tuple(e["index"] for e in json.loads(stack_json)))


def tasks_of(root, flow, run):
    """instance -> {task_id, status, cloned_from, artifacts{name: digest}, attempts[]}"""
    out = {}
    with db(root) as con:
        for t in con.execute("SELECT * FROM tasks WHERE flow=? AND run_id=?", (flow, run)):
            arts = {a["name"]: a["digest"] for a in con.execute(
                "SELECT name, digest FROM artifacts WHERE flow=? AND run_id=? AND task_id=?",
                (flow, run, t["task_id"]))}
            attempts = [dict(a) for a in con.execute(
                "SELECT attempt, ok, reason FROM attempts WHERE flow=? AND run_id=? AND task_id=?",
                (flow, run, t["task_id"]))]
            out[instance(t["step"], t["foreach_stack"])] = {
                "task_id": t["task_id"], "status": t["status"], "cloned_from": t["cloned_from"],
                "artifacts": arts, "attempts": attempts}
    return out


def run_status(root, flow, run):
    with db(root) as con:
        row = con.execute("SELECT status FROM runs WHERE flow=? AND run_id=?", (flow, run)).fetchone()
    return row["status"] if row else None


def blob_ok(root, digest, trellis, pathspec):
    path = f"{root}/objects/{digest[:2]}/{digest}"
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    if len(data) < 8 or data[-8:-4] != b"TRB1":
        return False
    if data[-4] == 0:  # raw
        return hashlib.sha256(data[:-8]).hexdigest() == digest
    # zstd: let the store decode and re-hash it
    r = subprocess.run([trellis, "--root", root, "get", pathspec, "--out", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.returncode == 0 and hashlib.sha256(r.stdout).hexdigest() == digest


class Flow:
    def __init__(self, build, args):
        self.exe = os.path.join(build, "flows", "foreach_work")
        self.trellis = os.path.join(build, "bin", "trellis")
        self.params = ["--width", str(args.width), "--work-ms", str(args.work_ms),
                       "--data-kb", str(args.data_kb)]
        self.workers = ["--max-workers", str(args.workers)]

    def start(self, root):
        return subprocess.Popen([self.exe, "run", *self.params, "--root", root, *self.workers],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def resume(self, root):
        return subprocess.run([self.exe, "resume", "--origin-run-id", "1", "--root", root,
                               *self.workers], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=300)


class Output:
    """Collects a process's output on a thread; `wait_for` blocks until a text shows up."""

    def __init__(self, proc):
        self.text = ""
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in iter(proc.stdout.readline, b""):
            with self.cv:
                self.text += line.decode(errors="replace")
                self.cv.notify_all()
        with self.cv:
            self.text += "\n<eof>"
            self.cv.notify_all()

    def wait_for(self, needle, timeout):
        with self.cv:
            return self.cv.wait_for(lambda: needle in self.text or "<eof>" in self.text, timeout)


def trial(flow, reference, duration, rng, root, kind):
    """Returns (problems, info)."""
    info = {"kind": kind, "landed": False}
    proc = flow.start(root)
    out = Output(proc)
    out.wait_for("run started", 30)
    started = time.monotonic()
    delay = rng.uniform(0.0, duration)
    time.sleep(delay)
    if kind == "orchestrator":
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            info["landed"] = True
        proc.wait(timeout=120)
        wait_until_no_tasks(root)  # orphaned tasks finish (or not) on their own
    else:
        while proc.poll() is None:
            live = task_processes(root)
            if live:
                pid = rng.choice(sorted(live))
                try:
                    os.kill(pid, signal.SIGKILL)
                    info["landed"] = True
                    info["victim"] = live[pid][2]
                    break
                except ProcessLookupError:
                    continue
            time.sleep(0.002)
        proc.wait(timeout=120)
        wait_until_no_tasks(root)
    out.thread.join(timeout=10)
    if not info["landed"]:
        # The run ended before the kill: as an upper bound of how long it took
        # (output arrives after the fact), this narrows the window later trials draw from.
        info["run_seconds"] = time.monotonic() - started

    problems = []
    origin = tasks_of(root, "ForeachWork", 1)
    finished = {k: v for k, v in origin.items() if v["status"] == "done"}
    info["finished_before"] = len(finished)
    r = flow.resume(root)
    text = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        return [f"resume exited {r.returncode}:\n{text[-3000:]}"], info
    if run_status(root, "ForeachWork", 2) != "succeeded":
        problems.append(f"resumed run recorded as {run_status(root, 'ForeachWork', 2)}")
    resumed = tasks_of(root, "ForeachWork", 2)
    if set(resumed) != set(reference):
        problems.append(f"resumed run has instances {sorted(resumed)}, clean run {sorted(reference)}")
    cloned = 0
    for key, t in resumed.items():
        if t["status"] != "done":
            problems.append(f"{key}: status {t['status']}")
        if reference.get(key, {}).get("artifacts") != t["artifacts"]:
            problems.append(f"{key}: artifacts differ from the clean run's")
        if t["cloned_from"]:
            cloned += 1
            if len(t["attempts"]) != 1 or not t["attempts"][0]["reason"].startswith("cloned from"):
                problems.append(f"{key}: cloned but has attempts {t['attempts']}")
        if key in finished:
            if not t["cloned_from"]:
                problems.append(f"{key}: finished before the kill but was run again")
            if finished[key]["artifacts"] != t["artifacts"]:
                problems.append(f"{key}: clone's artifacts differ from the origin's")
        for name, digest in t["artifacts"].items():
            pathspec = f"ForeachWork/2/{key[0]}/{t['task_id']}/{name}"
            if not blob_ok(root, digest, flow.trellis, pathspec):
                problems.append(f"{pathspec}: blob {digest} missing or corrupt")
    info["cloned"] = cloned
    info["rerun"] = len(resumed) - cloned
    return problems, info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--work-ms", type=int, default=100)
    ap.add_argument("--data-kb", type=int, default=1024)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the stores of failed trials")
    args = ap.parse_args()
    flow = Flow(os.path.abspath(args.build), args)
    base = tempfile.mkdtemp(prefix="trellis-kill-")
    rng = random.Random(args.seed)
    t0 = time.monotonic()

    # Three clean runs: their artifacts are the expected ones (and must agree),
    # and the shortest time from "run started" to exit is the window kill
    # moments are drawn from (the shortest, so that kills land on a busy machine).
    durations, reference = [], None
    for k in range(3):
        ref_root = os.path.join(base, f"reference-{k}")
        p = flow.start(ref_root)
        ref_out = Output(p)
        ref_out.wait_for("run started", 30)
        start = time.monotonic()
        p.wait()
        durations.append(time.monotonic() - start)
        ref_out.thread.join(timeout=10)
        if p.returncode != 0:
            print(ref_out.text)
            sys.exit("clean run failed")
        tasks = tasks_of(ref_root, "ForeachWork", 1)
        arts = {key: t["artifacts"] for key, t in tasks.items()}
        if reference is not None and arts != {key: t["artifacts"] for key, t in reference.items()}:
            sys.exit("two clean runs stored different artifacts: the flow is not deterministic")
        reference = tasks
    duration = min(durations)
    print(f"clean runs: {len(reference)} tasks in " + ", ".join(f"{d:.2f}s" for d in durations) +
          f"; kills land in [0, {duration:.2f}s]")

    counts = {"orchestrator": 0, "task": 0}
    landed = {"orchestrator": 0, "task": 0}
    failures, cloned, rerun = 0, 0, 0
    for i in range(args.trials):
        kind = rng.choice(["orchestrator", "task"])
        root = os.path.join(base, f"trial-{i}")
        try:
            problems, info = trial(flow, reference, duration, rng, root, kind)
        except Exception as e:  # a hang or a crash of the harness is a failed trial too
            problems, info = [f"harness: {e!r}"], {"kind": kind, "landed": False}
        if "run_seconds" in info:
            duration = min(duration, info["run_seconds"])
        counts[kind] += 1
        landed[kind] += info.get("landed", False)
        cloned += info.get("cloned", 0)
        rerun += info.get("rerun", 0)
        status = "ok" if not problems else "FAILED"
        victim = f" ({info['victim']})" if "victim" in info else ""
        print(f"trial {i + 1:3d}: kill {kind}{victim}{'' if info['landed'] else ' (run had ended)'}, "
              f"{info.get('finished_before', '?')} finished before, "
              f"{info.get('cloned', '?')} cloned, {info.get('rerun', '?')} run: {status}", flush=True)
        if problems:
            failures += 1
            for pr in problems[:10]:
                print("    " + pr)
            if args.keep:
                print(f"    store kept at {root}")
                continue
        shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - t0
    print(f"kill window at the end: [0, {duration:.2f}s]")
    print(f"\nsummary: {args.trials} trials, kills: orchestrator {counts['orchestrator']} "
          f"({landed['orchestrator']} landed), task {counts['task']} ({landed['task']} landed); "
          f"tasks cloned {cloned}, rerun {rerun}; failures {failures}; wall {wall:.1f}s")
    if not args.keep or failures == 0:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
