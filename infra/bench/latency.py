#!/usr/bin/env python3
"""p50/p99 of login and `me` through the local runner (sequential keep-alive requests).

usage: latency.py BASE_URL LOGINS MES
"""
import http.client, json, statistics, sys, time, urllib.parse

base, logins, mes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port)

def call(method, path, body=None, token=None):
    h = {"content-type": "application/json"}
    if token:
        h["authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse(); data = r.read()
    return (time.perf_counter() - t0) * 1000, r.status, data, r.getheaders()

email, pw = f"bench-{int(time.time())}@example.com", "Bench-Passw0rd!"
_, s, _, _ = call("POST", "/api/auth/register", {"email": email, "password": pw, "name": "Bench", "acceptTerms": True, "acceptPrivacy": True})
assert s == 201, s
import os, re
outbox = open(os.environ.get("OUTBOX", ".data/outbox.log")).read()
token = re.findall(r"token=([A-Za-z0-9_-]+)", outbox)[-1]
_, s, _, _ = call("GET", f"/api/auth/verify-email?token={token}")
assert s == 200, s

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

lt, access = [], None
for _ in range(logins):
    t, s, d, _ = call("POST", "/api/auth/login", {"email": email, "password": pw})
    assert s == 200, (s, d)
    lt.append(t); access = json.loads(d)["accessToken"]
mt = []
for _ in range(mes):
    t, s, d, _ = call("GET", "/api/auth/me", token=access)
    assert s == 200, (s, d)
    mt.append(t)
print(f"login n={logins}: p50={statistics.median(lt):.2f} ms p99={pct(lt, 99):.2f} ms")
print(f"me    n={mes}: p50={statistics.median(mt):.2f} ms p99={pct(mt, 99):.2f} ms")
