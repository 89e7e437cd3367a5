#!/usr/bin/python3
"""The hostile and watching clients of bench/serve_soak.sh, for DURATION seconds against one
trellis-serve: slowloris connections dribbling a request head, idle keep-alive connections, a
/ping prober on fresh connections every 100 ms, a model swapper (copy the other checkpoint over
the served file, POST /admin/reload) and an RSS sampler. Writes a JSON summary and two CSVs
(ping latencies, RSS) into OUT_DIR. Standard library only.

  serve_soak_clients.py --port P --pid PID --duration 600 --out DIR \
      --served FILE --models A B --token-file T [--slow 70] [--idle 500]
"""
import argparse
import json
import selectors
import shutil
import socket
import statistics
import threading
import time
import urllib.request


def now():
    return time.monotonic()


class Soak:
    def __init__(self, a):
        self.a = a
        self.stop_at = now() + a.duration
        self.t0 = now()
        self.lock = threading.Lock()
        self.pings = []  # (t, seconds, ok)
        self.rss = []  # (t, kB)
        self.swaps = []  # (t, status, seconds, body)
        self.slow_cut = 0  # slowloris connections the server closed (408 after its header timeout)
        self.slow_408 = 0
        self.idle_closed = 0  # idle connections the server closed (idle timeout)
        self.connect_errors = {"slow": 0, "idle": 0}

    def running(self):
        return now() < self.stop_at

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.a.port), timeout=5)
        s.setblocking(False)
        return s

    def slowloris(self):
        socks = []
        for _ in range(self.a.slow):
            try:
                s = self.connect()
                s.send(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                socks.append(s)
            except OSError:
                self.connect_errors["slow"] += 1
        while self.running():
            time.sleep(1.0)
            for i, s in enumerate(socks):
                closed = False
                try:
                    data = s.recv(4096)
                    if data.startswith(b"HTTP/1.1 408"):
                        self.slow_408 += 1
                    closed = True  # an answer or EOF: the server cut it off
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
                if not closed:
                    try:
                        s.send(b"a")  # one byte a second
                    except OSError:
                        closed = True
                if closed:
                    self.slow_cut += 1
                    s.close()
                    try:
                        socks[i] = self.connect()
                        socks[i].send(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    except OSError:
                        self.connect_errors["slow"] += 1
        for s in socks:
            s.close()

    def idle(self):
        sel = selectors.DefaultSelector()
        for _ in range(self.a.idle):
            try:
                sel.register(self.connect(), selectors.EVENT_READ)
            except OSError:
                self.connect_errors["idle"] += 1
        while self.running():
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    self.idle_closed += 1
                    sel.unregister(s)
                    s.close()
                    try:
                        sel.register(self.connect(), selectors.EVENT_READ)
                    except OSError:
                        self.connect_errors["idle"] += 1
        for key in list(sel.get_map().values()):
            key.fileobj.close()

    def pinger(self):
        while self.running():
            started = now()
            ok = False
            try:
                with socket.create_connection(("127.0.0.1", self.a.port), timeout=5) as s:
                    s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    ok = data.startswith(b"HTTP/1.1 200")
            except OSError:
                ok = False
            took = now() - started
            with self.lock:
                self.pings.append((started - self.t0, took, ok))
            time.sleep(max(0.0, 0.1 - took))

    def sampler(self):
        while self.running():
            try:
                with open(f"/proc/{self.a.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.rss.append((now() - self.t0, int(line.split()[1])))
            except OSError:
                pass
            time.sleep(5)

    def swapper(self):
        token = open(self.a.token_file).read().strip()
        k = 0
        while True:
            next_swap = self.t0 + 30 * (k + 1)
            if next_swap >= self.stop_at - 5:
                return
            time.sleep(max(0.0, next_swap - now()))
            k += 1
            shutil.copyfile(self.a.models[k % 2], self.a.served + ".tmp")
            shutil.move(self.a.served + ".tmp", self.a.served)
            started = now()
            req = urllib.request.Request(
                f"http://127.0.0.1:{self.a.port}/admin/reload", method="POST",
                headers={"Authorization": "Bearer " + token})
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    status, body = r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read().decode()
            except OSError as e:
                status, body = 0, str(e)
            self.swaps.append((started - self.t0, status, now() - started, body))

    def run(self):
        threads = [threading.Thread(target=f) for f in
                   (self.slowloris, self.idle, self.pinger, self.sampler, self.swapper)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--out", required=True)
    ap.add_argument("--served", required=True)
    ap.add_argument("--models", nargs=2, required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--slow", type=int, default=70)
    ap.add_argument("--idle", type=int, default=500)
    a = ap.parse_args()
    s = Soak(a)
    s.run()

    lat = [t for _, t, ok in s.pings]
    per_minute = []
    for m in range(int(a.duration // 60) + 1):
        window = [t for at, t, _ in s.pings if m * 60 <= at < (m + 1) * 60]
        rss = [kb for at, kb in s.rss if m * 60 <= at < (m + 1) * 60]
        if window:
            per_minute.append({"minute": m, "pings": len(window),
                               "p50_ms": round(pct(window, 50) * 1e3, 1),
                               "p99_ms": round(pct(window, 99) * 1e3, 1),
                               "max_ms": round(max(window) * 1e3, 1),
                               "rss_mb": round(max(rss) / 1024) if rss else None})
    summary = {
        "duration_s": a.duration,
        "pings": len(s.pings), "ping_failures": sum(1 for _, _, ok in s.pings if not ok),
        "ping_p50_ms": round(pct(lat, 50) * 1e3, 1), "ping_p99_ms": round(pct(lat, 99) * 1e3, 1),
        "ping_max_ms": round(max(lat) * 1e3, 1) if lat else None,
        "swaps": len(s.swaps), "swap_failures": sum(1 for _, st, _, _ in s.swaps if st != 200),
        "swap_max_s": round(max((d for _, _, d, _ in s.swaps), default=0), 2),
        "swap_changed": sum(1 for _, st, _, b in s.swaps if st == 200 and '"changed":true' in b),
        "slowloris_cut_off": s.slow_cut, "slowloris_408": s.slow_408,
        "idle_closed_by_server": s.idle_closed, "connect_errors": s.connect_errors,
        "rss_mb_first": round(s.rss[0][1] / 1024) if s.rss else None,
        "rss_mb_min": round(min(k for _, k in s.rss) / 1024) if s.rss else None,
        "rss_mb_max": round(max(k for _, k in s.rss) / 1024) if s.rss else None,
        "rss_mb_last": round(s.rss[-1][1] / 1024) if s.rss else None,
        "per_minute": per_minute,
    }
    with open(f"{a.out}/summary.json", "w") as f:
        json.dump(summary, f, indent=1)
    with open(f"{a.out}/pings.csv", "w") as f:
        f.write("t_s,latency_ms,ok\n")
        for at, t, ok in s.pings:
            f.write(f"{at:.2f},{t * 1e3:.2f},{int(ok)}\n")
    with open(f"{a.out}/rss.csv", "w") as f:
        f.write("t_s,rss_mb\n")
        for at, kb in s.rss:
            f.write(f"{at:.1f},{kb / 1024:.1f}\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
