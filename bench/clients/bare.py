"""bare.py: the benchmark's floor for Python: http.client + json.loads by
hand, one keep-alive connection, no SDK. Same scenarios and output as
clients/ostack.lua. Authenticates with a POST to Keystone, reads the
catalog, follows servers_links / Glance "next" like an SDK would.

usage: python3 bench/clients/bare.py SCENARIO CLOUD [args]   (see ostack.lua)
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

t_start, c_start = time.perf_counter(), time.process_time()
scenario, cloud = sys.argv[1], sys.argv[2].replace("bench-", "", 1)  # the fixture path prefix
HOST, PORT = "127.0.0.1", json.load(open("bench/fixture-data/fixture.json"))["port"]
BLOCK = 64 * 1024


def new_conn():
    return http.client.HTTPConnection(HOST, PORT, blocksize=BLOCK)


conn = new_conn()
auth_body = json.dumps({"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "bench", "password": "bench-secret", "domain": {"name": "Default"}}}},
    "scope": {"project": {"name": "bench", "domain": {"name": "Default"}}}}})
conn.request("POST", "/%s/identity/v3/auth/tokens" % cloud, body=auth_body,
             headers={"Content-Type": "application/json", "Accept": "application/json"})
resp = conn.getresponse()
token_doc = json.loads(resp.read())
TOKEN = resp.getheader("X-Subject-Token")
assert resp.status == 201 and TOKEN
ENDPOINTS = {}
for svc in token_doc["token"]["catalog"]:
    for ep in svc["endpoints"]:
        if ep["interface"] == "public":
            ENDPOINTS[svc["type"]] = urllib.parse.urlsplit(ep["url"]).path.rstrip("/")
HEADERS = {"X-Auth-Token": TOKEN, "Accept": "application/json"}
connect = time.perf_counter() - t_start


def get_json(c, path):
    c.request("GET", path, headers=HEADERS)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit("GET %s: %d" % (path, r.status))
    return json.loads(body)


def report(t0, c0, **fields):
    out = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "connect": connect}
    out.update(fields)
    print(json.dumps(out), flush=True)


def uuid(n, salt):  # bench/gen_servers.lua's uuid()
    return "%08x-%04x-4%03x-a%03x-%012x" % (n, salt % 65536, n % 4096, (n * 7) % 4096,
                                              n * 2654435761 % 281474976710656)


if scenario == "auth":
    report(t_start, c_start, n=1)

elif scenario == "get":
    ids = open(sys.argv[3]).read().split()
    n = int(sys.argv[4])
    base = ENDPOINTS["compute"]
    t0, c0 = time.perf_counter(), time.process_time()
    ok = 0
    for i in range(n):
        s = get_json(conn, "%s/servers/%s" % (base, ids[i % len(ids)]))["server"]
        if s["id"] and s["name"] and s["status"]:
            ok += 1
    report(t0, c0, n=ok)

elif scenario == "list":
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    path = ENDPOINTS["compute"] + "/servers/detail"
    while path:
        doc = get_json(conn, path)
        for s in doc["servers"]:
            if s["id"] and s["name"] and s["status"]:
                n += 1
        path = None
        for link in doc.get("servers_links", ()):
            if link.get("rel") == "next":
                u = urllib.parse.urlsplit(link["href"])
                path = u.path + ("?" + u.query if u.query else "")
    report(t0, c0, n=n)

elif scenario == "images":
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    root = ENDPOINTS["image"]
    path = root + "/v2/images"
    while path:
        doc = get_json(conn, path)
        for img in doc["images"]:
            if img["id"] and img["name"] and img["status"]:
                n += 1
        path = root + doc["next"] if doc.get("next") else None
    report(t0, c0, n=n)

elif scenario == "delete":
    n, concurrency = int(sys.argv[3]), int(sys.argv[4])
    base = ENDPOINTS["compute"]

    def delete(c, i):
        c.request("DELETE", "%s/servers/%s" % (base, uuid(i, 99)), headers=HEADERS)
        r = c.getresponse()
        r.read()
        if r.status not in (202, 204):
            raise SystemExit("DELETE: %d" % r.status)

    t0, c0 = time.perf_counter(), time.process_time()
    if concurrency <= 1:
        for i in range(1, n + 1):
            delete(conn, i)
    else:
        # threads, each with its own keep-alive connection
        import threading
        from concurrent.futures import ThreadPoolExecutor
        local = threading.local()

        def task(i):
            if not hasattr(local, "c"):
                local.c = new_conn()
            delete(local.c, i)

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(task, range(1, n + 1)))
    report(t0, c0, n=n)

elif scenario == "upload":
    path = sys.argv[3]
    size = os.path.getsize(path)
    root = ENDPOINTS["image"]
    t0, c0 = time.perf_counter(), time.process_time()
    conn.request("POST", root + "/v2/images", body=json.dumps(
        {"name": "bench-upload", "disk_format": "raw", "container_format": "bare"}),
        headers=dict(HEADERS, **{"Content-Type": "application/json"}))
    r = conn.getresponse()
    image = json.loads(r.read())
    with open(path, "rb") as f:
        conn.request("PUT", "%s/v2/images/%s/file" % (root, image["id"]), body=f,
                     headers=dict(HEADERS, **{"Content-Type": "application/octet-stream",
                                              "Content-Length": str(size)}))
        r = conn.getresponse()
        r.read()
        assert r.status in (201, 204), r.status
    report(t0, c0, n=1, bytes=size)

elif scenario == "download":
    image_id, out = sys.argv[3], sys.argv[4]
    root = ENDPOINTS["image"]
    t0, c0 = time.perf_counter(), time.process_time()
    conn.request("GET", "%s/v2/images/%s/file" % (root, image_id), headers=HEADERS)
    r = conn.getresponse()
    assert r.status == 200, r.status
    total = 0
    with open(out, "wb") as f:
        while True:
            chunk = r.read(BLOCK)
            if not chunk:
                break
            f.write(chunk)
            total += len(chunk)
    report(t0, c0, n=1, bytes=total, verified="none")

elif scenario == "script":
    # the one-command script: authenticate, list flavors, print their names
    for f in get_json(conn, ENDPOINTS["compute"] + "/flavors/detail")["flavors"]:
        print(f["name"])

else:
    raise SystemExit("unknown scenario " + scenario)
