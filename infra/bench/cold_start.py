#!/usr/bin/env python3
"""Cold start of Lambda binaries: process start to first response, through a stand-in of the
Lambda Runtime API on loopback. Each binary is started RUNS times; each run serves one event.

usage: cold_start.py RUNS NAME=BINARY:EVENT_FILE [...]   (EVENT_FILE '-' sends {})
Environment for the binaries (AWS endpoint, table, secret) is inherited from this process.

The names listed in BASELINES (default "hello,sdk") are baselines: every other binary's p50
cold start and size are reported as ratios to each of them. `hello` answers without touching
AWS; `sdk` builds the same SDK clients and reads one secret from the same emulator, so the
ratio to it is what our own init and code cost.
"""
import json, os, statistics, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Runtime(BaseHTTPRequestHandler):
    """The Runtime API of one run. Each run has its own server and state, so a late request of
    the previous (killed) process can never take the next process's event."""
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def do_GET(self):
        state = self.server.state
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        if state["served"].is_set():
            state["done"].wait(30)  # the process is killed after its first response
            return
        state["served"].set()
        body = state["event"]
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        state = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        payload = self.rfile.read(n)
        if "/response" in self.path or "/error" in self.path:
            state["at"] = time.perf_counter()
            try:
                state["status"] = json.loads(payload).get("statusCode", "ok") if "/response" in self.path else "error"
            except Exception:
                state["status"] = "unparsed"
            state["done"].set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

def main():
    runs = int(sys.argv[1])
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_LOG_LEVEL": "error",
    })
    for spec in sys.argv[2:]:
        name, rest = spec.split("=", 1)
        binary, event = rest.split(":", 1)
        body = b"{}" if event == "-" else open(event, "rb").read()
        times, statuses = [], set()
        for _ in range(runs):
            state = {"event": body, "done": threading.Event(), "served": threading.Event(), "status": None}
            server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
            server.daemon_threads = True
            server.state = state
            threading.Thread(target=server.serve_forever, daemon=True).start()
            env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{server.server_address[1]}"
            t0 = time.perf_counter()
            p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=None if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL)
            if not state["done"].wait(30):
                p.kill(); sys.exit(f"{name}: no response within 30 s")
            times.append((state["at"] - t0) * 1000)
            statuses.add(state["status"])
            p.kill(); p.wait()
            server.shutdown(); server.server_close()
        times.sort()
        size = os.path.getsize(binary) / 1024 / 1024
        p50 = statistics.median(times)
        results[name] = (p50, size)
        print(f"{name:14s} size={size:6.2f} MiB  cold start p50={p50:6.1f} ms  "
              f"min={times[0]:6.1f}  max={times[-1]:6.1f}  (n={runs}, responses {sorted(map(str, statuses))})")
    baselines = [b for b in os.environ.get("BASELINES", "hello,sdk").split(",") if b in results]
    for name, (p50, size) in results.items():
        if name in baselines:
            continue
        ratios = "  ".join(
            f"vs {b}: cold start {p50 / results[b][0]:5.2f}x, size {size / results[b][1]:5.2f}x"
            for b in baselines)
        print(f"{name:14s} {ratios}")

results = {}
main()
