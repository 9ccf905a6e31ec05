"""sdk.py: the benchmark's openstacksdk client (Debian's python3-openstacksdk,
run with /usr/bin/python3). Same scenarios and output as clients/ostack.lua:
one JSON line {"wall", "cpu", "n", "bytes", "connect"} for the work alone.

usage: /usr/bin/python3 bench/clients/sdk.py SCENARIO CLOUD [args]   (see ostack.lua)
"""
import json
import os
import sys
import time
import warnings

warnings.simplefilter("ignore")
t_import = time.perf_counter()
import openstack  # noqa: E402
t_import = time.perf_counter() - t_import

t_start, c_start = time.perf_counter(), time.process_time()
scenario, cloud = sys.argv[1], sys.argv[2]
conn = openstack.connect(cloud=cloud)
conn.authorize()
connect = time.perf_counter() - t_start


def report(t0, c0, **fields):
    out = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "connect": connect,
           "import": t_import}
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
    conn.compute.get_server(ids[0])  # version discovery, outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    ok = 0
    for i in range(n):
        s = conn.compute.get_server(ids[i % len(ids)])
        if s.id and s.name and s.status:
            ok += 1
    report(t0, c0, n=ok)

elif scenario == "list":
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for s in conn.compute.servers():
        if s.id and s.name and s.status:
            n += 1
    report(t0, c0, n=n)

elif scenario == "images":
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for img in conn.image.images():
        if img.id and img.name and img.status:
            n += 1
    report(t0, c0, n=n)

elif scenario == "delete":
    n, concurrency = int(sys.argv[3]), int(sys.argv[4])
    conn.compute.get_endpoint()  # endpoint selection, outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    if concurrency <= 1:
        for i in range(1, n + 1):
            conn.compute.delete_server(uuid(i, 99))
    else:
        # openstacksdk has no concurrency of its own: the usual thread pool
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(lambda i: conn.compute.delete_server(uuid(i, 99)), range(1, n + 1)))
    report(t0, c0, n=n)

elif scenario == "upload":
    path = sys.argv[3]
    size = os.path.getsize(path)
    t0, c0 = time.perf_counter(), time.process_time()
    with open(path, "rb") as f:
        img = conn.image.upload_image(container_format="bare", disk_format="raw", data=f, name="bench-upload")
    assert img.id
    report(t0, c0, n=1, bytes=size)

elif scenario == "download":
    image_id, out = sys.argv[3], sys.argv[4]
    t0, c0 = time.perf_counter(), time.process_time()
    conn.image.download_image(image_id, output=out)  # checks Content-MD5 (md5)
    report(t0, c0, n=1, bytes=os.path.getsize(out), verified="md5")

else:
    raise SystemExit("unknown scenario " + scenario)
