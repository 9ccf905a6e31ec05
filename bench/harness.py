"""harness.py: runs the benchmark scenarios against the fixture cloud that
bench/run.sh started, and writes bench/results/latest.{md,json}.

Every measured command runs under `/usr/bin/time -v` (peak RSS); CPU of
whole processes comes from wait4(). A client reports the wall and CPU time of its work alone as a
JSON line (clients/*.{lua,py,js}); curl and the end-to-end scenarios are
timed as whole processes. Start-up is timed by hyperfine. Warm-up runs are
made and thrown away; the table shows the median and the spread (min-max).

usage: /usr/bin/python3 bench/harness.py [--quick] [--only=KEY,...]   (bench/run.sh calls it)
  KEY: startup auth get list10k list100k images delete_seq delete_par upload download script
"""
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
FIX = os.path.join(ROOT, "bench", "fixture-data")
RESULTS = os.path.join(ROOT, "bench", "results")
QUICK = "--quick" in sys.argv
F = json.load(open(os.path.join(FIX, "fixture.json")))
SHM, HOST, TOKEN = F["shm"], F["host"], F["token"]
OUT_DIR = os.path.join(SHM, "out")
IMAGE = os.path.join(SHM, "image.bin")
GIB = F["image_bytes"] / 2**30

OSTACK = ["build/ostack-lua", "bench/clients/ostack.lua"]
SDK = ["/usr/bin/python3", "bench/clients/sdk.py"]
PKG = ["node", "bench/clients/pkgcloud.js"]
BARE = ["/usr/bin/python3", "bench/clients/bare.py"]

ENV = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
ENV["OS_CLIENT_CONFIG_FILE"] = os.path.join(FIX, "clouds.yaml")
ENV["PYTHONWARNINGS"] = "ignore"

LABEL = {"ostack": "ostack-lua", "sdk": "openstacksdk", "pkgcloud": "pkgcloud", "bare": "bare Python",
         "curl": "curl"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running


def run_once(argv, timed="work", cleanup=None):
    """One run under /usr/bin/time -v (its peak RSS); wall clock around it
    and user+system CPU from wait4() (µs resolution, the process and its
    children). timed='work': the client's own JSON line gives wall/cpu;
    'process': the whole process is the measurement."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-v", "-o", tf.name] + argv, env=ENV, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        tv = tf.read()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if cleanup:
        cleanup()
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                  stderr.decode(errors="replace")[-2000:]))

    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", tv)
    r = {"proc_wall": wall, "rss_kb": float(m.group(1)) if m else None,
         "proc_cpu": ru.ru_utime + ru.ru_stime}
    if timed == "work":
        line = [ln for ln in stdout.decode().splitlines() if ln.startswith("{")][-1]
        j = json.loads(line)
        r.update(wall=j["wall"], cpu=j["cpu"], n=j.get("n"), bytes=j.get("bytes"), connect=j.get("connect"),
                 verified=j.get("verified"))
    else:
        r.update(wall=wall, cpu=r["proc_cpu"])
    return r


def measure(argv, runs, warmup, timed="work", cleanup=None, n=None, nbytes=None):
    for _ in range(warmup):
        run_once(argv, timed, cleanup)
    samples = [run_once(argv, timed, cleanup) for _ in range(runs)]
    walls = [s["wall"] for s in samples]
    res = {
        "argv": argv, "runs": runs, "warmup": warmup, "samples": samples,
        "median": statistics.median(walls), "min": min(walls), "max": max(walls),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "rss_kb": statistics.median(s["rss_kb"] for s in samples),
        "rss_max_kb": max(s["rss_kb"] for s in samples),
        "n": samples[0].get("n") or n, "bytes": samples[0].get("bytes") or nbytes,
        "verified": samples[0].get("verified"),
    }
    return res


def hyperfine(cmd, runs, warmup):
    with tempfile.NamedTemporaryFile("r", suffix=".json") as tf:
        subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                        "--export-json", tf.name, cmd], env=ENV, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=ROOT)
        h = json.load(open(tf.name))["results"][0]
    rss = run_once(shlex.split(cmd), timed="process")["rss_kb"]
    return {"argv": cmd, "runs": runs, "warmup": warmup, "median": h["median"], "min": h["min"], "max": h["max"],
            "cpu": h["user"] + h["system"], "rss_kb": rss, "rss_max_kb": rss, "n": 1, "bytes": None,
            "samples": h["times"]}


# ---------------------------------------------------------------- curl command files


def curl_cfg(name, urls, method=None):
    path = os.path.join(FIX, "curl-%s.cfg" % name)
    with open(path, "w") as f:
        f.write('silent\nshow-error\nfail\nheader = "X-Auth-Token: %s"\nheader = "Accept: application/json"\n'
                % TOKEN)
        if method:
            f.write('request = "%s"\n' % method)
        for u in urls:
            f.write('url = "%s"\noutput = "/dev/null"\n' % u)
    return path


def uuid(n, salt):  # bench/gen_servers.lua's uuid()
    return "%08x-%04x-4%03x-a%03x-%012x" % (n, salt % 65536, n % 4096, (n * 7) % 4096,
                                              n * 2654435761 % 281474976710656)


AUTH_JSON = os.path.join(FIX, "auth.json")
with open(AUTH_JSON, "w") as f:
    json.dump({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "bench", "password": "bench-secret", "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "bench", "domain": {"name": "Default"}}}}}, f)


def lines(path):
    return open(path).read().split()


# ---------------------------------------------------------------- scenarios

# runs/warm-up per tool: R(ostack), and the others; long runs of slow tools
# skip the warm-up (said in the table).
def R(default, quick):
    return quick if QUICK else default


def cleanup_out():
    for name in os.listdir(OUT_DIR):
        os.unlink(os.path.join(OUT_DIR, name))


SCENARIOS = []


def scenario(key, title, unit, note=""):
    def deco(fn):
        SCENARIOS.append({"key": key, "title": title, "unit": unit, "note": note, "fn": fn})
        return fn
    return deco


@scenario("startup", "Start-up", "process",
          "Time to start the runtime and exit (hyperfine, no shell). ostack-lua: `ostack-lua -e ''`, which "
          "loads the `openstack` module; openstacksdk: `python3 -c 'import openstack'`; pkgcloud: "
          "`node -e 'require(\"pkgcloud\")'`; bare Python: `python3 -c 'import http.client, json'`.")
def s_startup():
    return {
        "ostack": hyperfine("build/ostack-lua -e ''", R(100, 30), R(10, 3)),
        "sdk": hyperfine("/usr/bin/python3 -c 'import openstack'", R(10, 5), R(2, 1)),
        "pkgcloud": hyperfine("node -e 'require(\"./bench/node_modules/pkgcloud\")'", R(10, 5), R(2, 1)),
        "bare": hyperfine("/usr/bin/python3 -c 'import http.client, json'", R(30, 10), R(3, 1)),
    }


@scenario("auth", "Connect + authenticate", "single",
          "Create the connection and get a token (POST /v3/auth/tokens, catalog parsed); the library import "
          "is not included (see start-up). curl: one POST, whole process.")
def s_auth():
    r, w = R(5, 3), R(1, 1)
    return {
        "ostack": measure(OSTACK + ["auth", "bench-c10k"], R(10, 5), R(2, 1)),
        "sdk": measure(SDK + ["auth", "bench-c10k"], r, w),
        "pkgcloud": measure(PKG + ["auth", "bench-c10k"], r, w),
        "bare": measure(BARE + ["auth", "bench-c10k"], r, w),
        "curl": measure(["curl", "-sS", "-f", "-o", "/dev/null", "-H", "Content-Type: application/json",
                         "-d", "@" + AUTH_JSON, HOST + "/c10k/identity/v3/auth/tokens"], R(10, 5), R(2, 1),
                        timed="process", n=1),
    }


N_GET = 500


@scenario("get", "get_server x %d (one connection)" % N_GET, "call",
          "500 GET /servers/{id} in a row on one keep-alive connection, after a first call that did the "
          "version discovery. curl: the 500 URLs in one invocation (one connection), whole process.")
def s_get():
    ids_file = os.path.join(FIX, "server-ids-c10k.txt")
    args = ["get", "bench-c10k", ids_file, str(N_GET)]
    base = HOST + "/c10k/compute/v2.1/servers/"
    cfg = curl_cfg("get", [base + lines(ids_file)[i % 500] for i in range(N_GET)])
    r, w = R(3, 2), 1
    return {
        "ostack": measure(OSTACK + args, R(5, 3), 1),
        "sdk": measure(SDK + args, r, R(1, 0)),
        "pkgcloud": measure(PKG + args, r, w),
        "bare": measure(BARE + args, r, w),
        "curl": measure(["curl", "-K", cfg], R(5, 3), 1, timed="process", n=N_GET),
    }


def json_mb(cloud):
    d = os.path.join(FIX, "www", cloud, "servers")
    if not os.path.isdir(d):
        return 0
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) / 1e6


def list_scenario(cloud, count, sdk_runs):
    urls = lines(os.path.join(FIX, "curl-list-%s.txt" % cloud))
    cfg = curl_cfg("list-" + cloud, urls)
    args = ["list", "bench-" + cloud]
    r = R(3, 2)
    return {
        "ostack": measure(OSTACK + args, R(5, 3), 1),
        "sdk": measure(SDK + args, sdk_runs, 0),
        "pkgcloud": measure(PKG + args, r, 1),
        "bare": measure(BARE + args, r, 1),
        "curl": measure(["curl", "-K", cfg], R(5, 3), 1, timed="process", n=count,
                        nbytes=sum(os.path.getsize(p) for p in
                                   [os.path.join(FIX, "www", cloud, "servers", f)
                                    for f in os.listdir(os.path.join(FIX, "www", cloud, "servers"))])),
    }


LIST_NOTE = ("Every server of servers/detail (pages of 1,000 with servers_links, ~2.5 KB per server), reading "
             "id, name and status of each; after authentication. pkgcloud's getServers() reads one page, so its "
             "client walks the pages with marker=<last id> (one extra, empty page at the end). curl: the page "
             "URLs (known in advance) in one invocation on one connection, bodies to /dev/null: the transfer "
             "alone, no parsing.")


@scenario("list10k", "List 10,000 servers (%.0f MB of JSON)" % json_mb("c10k"), "item", LIST_NOTE)
def s_list10k():
    return list_scenario("c10k", 10000, R(3, 1))


@scenario("list100k", "List 100,000 servers (%.0f MB of JSON)" % json_mb("c100k"), "item", LIST_NOTE + " openstacksdk runs once here (about 4 "
          "minutes a run).")
def s_list100k():
    if QUICK:
        return None
    return list_scenario("c100k", 100000, 1)


@scenario("images", "List %d Glance images" % F["images"], "item",
          "GET /v2/images pages of 25 (Glance's default) following \"next\"; id, name and status read. "
          "pkgcloud has no Glance v2 image service (not run). curl: the page URLs in one invocation.")
def s_images():
    cfg = curl_cfg("images", lines(os.path.join(FIX, "curl-images.txt")))
    args = ["images", "bench-c10k"]
    return {
        "ostack": measure(OSTACK + args, R(10, 5), 1),
        "sdk": measure(SDK + args, R(3, 1), R(1, 0)),
        "bare": measure(BARE + args, R(10, 5), 1),
        "curl": measure(["curl", "-K", cfg], R(10, 5), 1, timed="process", n=F["images"]),
    }


N_DELETE = R(1000, 100)


@scenario("delete_seq", "Bulk delete: %d deletes, sequential (20 ms per request)" % N_DELETE, "item",
          "DELETE /servers/{id}, one after another. The fixture adds 20 ms to every DELETE: nginx proxies "
          "them (keep-alive upstream) to bench/slow_server.py, an asyncio server that awaits "
          "asyncio.sleep(0.020) before answering 204, so concurrent requests overlap as with a real API. "
          "The floor is %d x 20 ms = %.0f s. Sequential runs are long, so only ostack-lua repeats them "
          "(no warm-up)." % (N_DELETE, N_DELETE * 0.02))
def s_delete_seq():
    args = ["delete", "bench-slow", str(N_DELETE), "1"]
    urls = [HOST + "/slow/compute/v2.1/servers/" + uuid(i, 99) for i in range(1, N_DELETE + 1)]
    cfg = curl_cfg("delete", urls, "DELETE")
    return {
        "ostack": measure(OSTACK + args, R(3, 2), 0),
        "sdk": measure(SDK + args, 1, 0),
        "pkgcloud": measure(PKG + args, 1, 0),
        "bare": measure(BARE + args, 1, 0),
        "curl": measure(["curl", "-K", cfg], 1, 0, timed="process", n=N_DELETE),
    }


@scenario("delete_par", "Bulk delete: %d deletes, 16 at a time (20 ms per request)" % N_DELETE, "item",
          "The same deletes with 16 in flight. ostack-lua: conn:gather(tasks, {concurrency=16}) on one "
          "connection object; openstacksdk: a ThreadPoolExecutor(16) over one Connection (it has no "
          "concurrency of its own); pkgcloud: 16 async workers; bare Python: 16 threads, one "
          "http.client connection each; curl: --parallel --parallel-max 16 --parallel-immediate. The floor "
          "is %d / 16 x 20 ms = %.2f s." % (N_DELETE, N_DELETE / 16 * 0.02))
def s_delete_par():
    args = ["delete", "bench-slow", str(N_DELETE), "16"]
    cfg = os.path.join(FIX, "curl-delete.cfg")
    r = R(3, 2)
    return {
        "ostack": measure(OSTACK + args, R(5, 3), 1),
        "sdk": measure(SDK + args, r, 1),
        "pkgcloud": measure(PKG + args, r, 1),
        "bare": measure(BARE + args, r, 1),
        "curl": measure(["curl", "--parallel", "--parallel-max", "16", "--parallel-immediate", "-K", cfg], r, 1,
                        timed="process", n=N_DELETE),
    }


@scenario("upload", "Image upload, %.2f GiB" % GIB, "byte",
          "Create the image record (POST /v2/images) and PUT the file to /v2/images/{id}/file "
          "(application/octet-stream, streamed from a file). ostack-lua: conn.image:upload_image{..., "
          "filename=}; openstacksdk: conn.image.upload_image(..., data=<open file>); bare Python: "
          "http.client with a file body (64 KiB blocks); curl: `curl -T` (the PUT alone). nginx stores the "
          "body with WebDAV PUT on tmpfs. pkgcloud: no Glance v2 (not run).")
def s_upload():
    args = ["upload", "bench-c10k", IMAGE]
    url = "%s/c10k/image/v2/images/%s/file" % (HOST, F["upload_id"])
    r = R(5, 2)  # uploads' wall time swings with the kernel's tmpfs work: more runs
    return {
        "ostack": measure(OSTACK + args, r, 1),
        "sdk": measure(SDK + args, r, 1),
        "bare": measure(BARE + args, r, 1),
        "curl": measure(["curl", "-sS", "-f", "-o", "/dev/null", "-H", "X-Auth-Token: " + TOKEN, "-H",
                         "Content-Type: application/octet-stream", "-T", IMAGE, url], r, 1, timed="process",
                        nbytes=F["image_bytes"]),
    }


@scenario("download", "Image download, %.2f GiB" % GIB, "byte",
          "GET /v2/images/{id}/file to a file on tmpfs. ostack-lua: conn.image:download_image(id, "
          "{output=path}), which by default reads the image record and checks its digest while streaming "
          "(the one result says which: os_hash_value's sha512 here); the verify=false row is the transfer alone. "
          "openstacksdk: conn.image.download_image(id, output=path) (checks Content-MD5; it reads the whole "
          "body into memory before writing it). bare Python: http.client, 64 KiB reads, no check. curl: "
          "`curl -o`, no check. pkgcloud: no Glance v2 (not run).")
def s_download():
    out = os.path.join(OUT_DIR, "download.img")
    args = ["download", "bench-c10k", F["download_id"], out]
    url = "%s/c10k/image/v2/images/%s/file" % (HOST, F["download_id"])
    r = R(3, 2)
    return {
        "ostack": measure(OSTACK + args + ["true"], r, 1, cleanup=cleanup_out),
        "ostack_noverify": measure(OSTACK + args + ["false"], r, 1, cleanup=cleanup_out),
        "sdk": measure(SDK + args, r, R(1, 0), cleanup=cleanup_out),
        "bare": measure(BARE + args, r, 1, cleanup=cleanup_out),
        "curl": measure(["curl", "-sS", "-f", "-o", out, "-H", "X-Auth-Token: " + TOKEN, url], r, 1,
                        timed="process", cleanup=cleanup_out, nbytes=F["image_bytes"]),
    }


@scenario("script", "One-command script: authenticate + list flavors, end to end", "process",
          "The whole process, as a user runs it: start, read clouds.yaml, authenticate, GET "
          "/flavors/detail, print the ten names. ostack-lua: `ostack-lua --os-cloud bench-c10k -e 'for f in "
          "conn.compute:flavors() do print(f.name) end'`; openstacksdk: `python3 -c 'import openstack; "
          "c = openstack.connect(cloud=\"bench-c10k\"); [print(f.name) for f in c.compute.flavors()]'`; "
          "pkgcloud and bare Python: the same in their clients; curl: a `sh -c` with two curls (token from "
          "the header, then the flavors), printing the JSON.")
def s_script():
    flavors = HOST + "/c10k/compute/v2.1/flavors/detail"
    sh = ("t=$(curl -sS -f -D - -o /dev/null -H 'Content-Type: application/json' -d @%s %s "
          "| sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p' | tr -d '\\r'); curl -sS -f -H \"X-Auth-Token: $t\" %s"
          % (AUTH_JSON, HOST + "/c10k/identity/v3/auth/tokens", flavors))
    r = R(5, 3)
    return {
        "ostack": measure(["build/ostack-lua", "--os-cloud", "bench-c10k", "-e",
                           "for f in conn.compute:flavors() do print(f.name) end"], R(10, 5), 2, timed="process",
                          n=1),
        "sdk": measure(["/usr/bin/python3", "-c", "import openstack; c = openstack.connect(cloud='bench-c10k'); "
                        "[print(f.name) for f in c.compute.flavors()]"], r, 1, timed="process", n=1),
        "pkgcloud": measure(PKG + ["script", "bench-c10k"], r, 1, timed="process", n=1),
        "bare": measure(BARE + ["script", "bench-c10k"], r, 1, timed="process", n=1),
        "curl": measure(["sh", "-c", sh], r, 1, timed="process", n=1),
    }


# ---------------------------------------------------------------- reporting


def fmt_time(s):
    if s is None:
        return "-"
    if s < 0.001:
        return "%.0f µs" % (s * 1e6)
    if s < 1:
        return "%.1f ms" % (s * 1e3)
    return "%.2f s" % s


def fmt_mb(kb):
    return "%.1f MB" % (kb / 1024) if kb is not None else "-"


def throughput(res, unit):
    if unit == "item" and res.get("n"):
        return "%s/s" % format(round(res["n"] / res["median"]), ",")
    if unit == "call" and res.get("n"):
        return "%s/s" % format(round(res["n"] / res["median"]), ",")
    if unit == "byte" and res.get("bytes"):
        return "%.0f MB/s" % (res["bytes"] / res["median"] / 1e6)
    return ""


ORDER = ["ostack", "ostack_noverify", "sdk", "pkgcloud", "bare", "curl"]
ROW_LABEL = dict(LABEL, ostack_noverify="ostack-lua (verify=false)")


def table_for(sc, res):
    unit = sc["unit"]
    base = res.get("ostack")
    out = ["| tool | median | spread (min–max) | runs (+warm-up) | rate | CPU (median) | peak RSS | "
           "tool time / ostack-lua time |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key in ORDER:
        r = res.get(key)
        if r is None:
            continue
        ratio = "%.2f×" % (r["median"] / base["median"]) if base and key != "ostack" else "1×"
        label = ROW_LABEL[key]
        if key == "ostack" and sc["key"] == "download":
            label = "ostack-lua (default: verifies %s)" % (r.get("verified") or "?")
        out.append("| %s | %s | %s–%s | %d (+%d) | %s | %s | %s | %s |" % (
            label, fmt_time(r["median"]), fmt_time(r["min"]), fmt_time(r["max"]), r["runs"], r["warmup"],
            throughput(r, unit), fmt_time(r["cpu"]), fmt_mb(r["rss_kb"]), ratio))
    for key, why in (("sdk", None), ("pkgcloud", "pkgcloud 2.2.0's OpenStack provider has no Glance v2 API")):
        if key not in res and why and sc["key"] in ("images", "upload", "download"):
            out.append("| %s | not run | | | | | | %s |" % (LABEL[key], why))
    lines_ = ["\n".join(out)]
    ratios = []
    if base:
        for key, word in (("sdk", "openstacksdk"), ("pkgcloud", "pkgcloud"), ("bare", "bare Python")):
            if key in res:
                x = res[key]["median"] / base["median"]
                ratios.append("%.1f× faster than %s" % (x, word) if x >= 1 else "%.1f× slower than %s" % (1 / x, word))
        if "curl" in res:
            ratios.append("%.2f× curl's time (%.0f%% of curl's speed)" % (
                base["median"] / res["curl"]["median"], 100 * res["curl"]["median"] / base["median"]))
    if ratios:
        lines_.append("\nostack-lua: " + "; ".join(ratios) + ".")
    return "\n".join(lines_)


def goals(R_):
    """(goal, measured, verdict) rows. Verdicts use the wall-clock medians
    (what the goals are written in); the CPU-time figure beside each ratio
    is the same comparison by user+system CPU, which waiting for a busy
    machine does not inflate."""
    rows = []

    def get(s, t, what="median"):
        return (R_.get(s) or {}).get(t, {}).get(what)

    def row(goal, ok, measured, margin=None):
        rows.append((goal, measured, ("met" if ok else "MISSED") + (" (%s)" % margin if margin else "")))

    def faster(goal, s, tool, need):
        o, t = get(s, "ostack"), get(s, tool)
        if not (o and t):
            return
        x, xc = t / o, get(s, tool, "cpu") / get(s, "ostack", "cpu")
        row(goal, x >= need, "%.1f× (CPU: %.1f×)" % (x, xc), "%.2f× the goal" % (x / need) if need > 1 else None)

    lst = "list100k" if R_.get("list100k") else "list10k"
    size = "100k" if lst == "list100k" else "10k (100k not run: --quick)"
    faster("list %s ≥ 100× faster than openstacksdk" % size, lst, "sdk", 100)
    faster("list %s ≥ 2× faster than pkgcloud" % size, lst, "pkgcloud", 2)
    o, b = get(lst, "ostack"), get(lst, "bare")
    if o and b:
        row("list %s faster than the bare Python loop" % size, b / o > 1, "%.2f× (CPU: %.2f×)" % (
            b / o, get(lst, "bare", "cpu") / get(lst, "ostack", "cpu")))
    o, c = get(lst, "ostack"), get(lst, "curl")
    if o and c:
        row("list %s within 5× of curl" % size, o / c <= 5, "%.1f× curl's time" % (o / c),
            "%.2f× the allowance" % (o / c / 5))
    r10, r100 = get("list10k", "ostack", "rss_max_kb"), get("list100k", "ostack", "rss_max_kb")
    if r10:
        peak = max(r10, r100 or 0)
        row("peak RSS < 40 MB (listing)", peak < 40 * 1024, fmt_mb(peak))
        if r100:
            row("RSS flat: 100k ≤ 10k", r100 <= r10, "%s (100k) vs %s (10k)" % (fmt_mb(r100), fmt_mb(r10)),
                "%+.1f MB" % ((r100 - r10) / 1024))
    faster("get_server ≥ 20× openstacksdk", "get", "sdk", 20)
    faster("get_server ≥ 3× pkgcloud", "get", "pkgcloud", 3)
    o = get("startup", "ostack")
    if o:
        row("start-up < 10 ms", o < 0.010, fmt_time(o))
    faster("start-up ≥ 100× faster than `import openstack`", "startup", "sdk", 100)
    faster("one-command script ≥ 20× faster than openstacksdk", "script", "sdk", 20)
    for s, key, what in (("upload", "ostack", "upload"), ("download", "ostack", "download (verify, default)"),
                         ("download", "ostack_noverify", "download (verify=false)")):
        o, c = get(s, key), get(s, "curl")
        if o and c:
            row("image %s ≥ 80%% of curl" % what, c / o >= 0.8, "%.0f%%" % (100 * c / o))
            peak = get(s, key, "rss_max_kb")
            row("image %s memory flat (peak RSS < 64 MB for %.2f GiB)" % (what, GIB), peak < 64 * 1024,
                fmt_mb(peak))
    seq, par = get("delete_seq", "ostack"), get("delete_par", "ostack")
    if seq and par:
        row("gather bulk delete ≥ 8× sequential", seq / par >= 8, "%.1f×" % (seq / par),
            "%.2f× the goal" % (seq / par / 8))
    return rows


def sdk_fingerprint():
    """A hash of what ostack-lua runs: the binary and the Lua modules it
    loads from the source tree (both may change under a long run when
    others work in the same tree)."""
    import hashlib
    h = hashlib.sha1()
    paths = ["build/ostack-lua"]
    for d, _, files in os.walk("lua"):
        paths += [os.path.join(d, f) for f in files if f.endswith(".lua")]
    for path in sorted(paths):
        h.update(path.encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def versions():
    def out(cmd):
        try:
            return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env=ENV, timeout=60).stdout.decode().strip().splitlines()[0]
        except Exception as e:  # noqa: BLE001
            return "? (%s)" % e
    return {
        "ostack-lua": out("build/ostack-lua -v"),
        "openstacksdk": out("/usr/bin/python3 -c 'import openstack.version as v; print(v.__version__)'"),
        "python": out("/usr/bin/python3 -V"),
        "pkgcloud": out("node -p 'require(\"./bench/node_modules/pkgcloud/package.json\").version'"),
        "node": out("node -v"),
        "curl": out("curl -V"),
        "nginx": out("nginx -v"),
        "build": time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime("build/ostack-lua"))),
        "commit": out("git rev-parse --short HEAD") + (" + uncommitted changes" if out(
            "git status --porcelain --untracked-files=no | head -1") else ""),
        "cpu": out("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2") + ", %d cores" % os.cpu_count(),
        "kernel": platform.release(),
    }


def main():
    os.makedirs(RESULTS, exist_ok=True)
    os.makedirs(OUT_DIR, exist_ok=True)
    started = time.time()
    binary0 = os.path.getmtime("build/ostack-lua")
    print0 = sdk_fingerprint()
    load0 = os.getloadavg()
    results = {}
    only = [a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--only=")]
    for sc in SCENARIOS:
        if only and sc["key"] not in only[0]:
            results[sc["key"]] = None
            continue
        t = time.time()
        log("bench: %s ..." % sc["title"])
        results[sc["key"]] = sc["fn"]()
        log("bench:   %.0f s" % (time.time() - t))
    load1 = os.getloadavg()
    elapsed = time.time() - started

    md = ["# ostack-lua benchmark results%s" % (" (--quick)" if QUICK else ""), ""]
    v = versions()
    v["build"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(binary0))
    md.append("%s; %s. Fixture cloud: nginx %s on 127.0.0.1 (static files, bench/fixture.lua). "
              "Harness: %.0f s. Load average %.2f at the start, %.2f at the end (other work shares this "
              "machine: wall times include waiting for a CPU; the CPU column does not)." % (
                  datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), v["cpu"], v["nginx"].split("/")[-1],
                  elapsed, load0[0], load1[0]))
    md.append("")
    md.append("Versions: %s, build/ostack-lua of %s; openstacksdk %s (%s); pkgcloud %s (node %s); %s. "
              "Commit %s. Command: `bench/run.sh%s`." % (
                  v["ostack-lua"], v["build"], v["openstacksdk"], v["python"], v["pkgcloud"], v["node"],
                  v["curl"].split(" (")[0], v["commit"], "".join(" " + a for a in sys.argv[1:])))
    print1 = sdk_fingerprint()
    if print1 != print0:
        md.append("")
        md.append("**Warning: build/ostack-lua or lua/**/*.lua changed during this run (fingerprint %s at the "
                  "start, %s at the end; the binary was from %s at the start): scenarios before and after the "
                  "change measured different code.**" % (print0, print1, time.strftime(
                      "%Y-%m-%d %H:%M", time.localtime(binary0))))
    else:
        md.append("")
        md.append("SDK fingerprint (build/ostack-lua + lua/**/*.lua): %s, unchanged during the run." % print0)
    md.append("")
    md.append("Times are the median of the runs (work only, measured inside each client, unless the scenario "
              "says \"process\"); CPU is user+system of the work (whole process for curl); peak RSS is "
              "`/usr/bin/time -v`'s maximum resident set size of the whole process. The last column is how "
              "much longer the tool took than ostack-lua (> 1: ostack-lua is faster).")
    g = goals(results)
    md += ["", "## Goals", "", "Verdicts use the wall-clock medians; \"CPU\" gives the same ratio by user+system "
           "CPU time, which waiting for a busy machine does not inflate.", "",
           "| goal | measured | verdict |", "|---|---|---|"]
    md += ["| %s | %s | %s |" % row for row in g]
    for sc in SCENARIOS:
        res = results.get(sc["key"])
        md += ["", "## " + sc["title"], ""]
        if res is None:
            md.append("Not run (%s)." % ("--quick" if QUICK and sc["key"] == "list100k" else "--only"))
            continue
        md += [sc["note"], "", table_for(sc, res)]
    text = "\n".join(md) + "\n"
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(text)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(RESULTS, "results-%s%s.md" % (stamp, "-quick" if QUICK else "")), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump({"quick": QUICK, "versions": v, "load": [load0, load1], "elapsed": elapsed,
                   "results": results}, f, indent=1, default=str)
    print(text)


if __name__ == "__main__":
    main()
