#!/usr/bin/python3
"""Scriptable HTTP(S) fixture server for the busted unit specs.

Serves responses scripted through the /__fixture/ control API, records every
other request exactly, and can inject transport faults. Stdlib only.
See spec/support/README.md for the protocol.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL_PREFIX = "/__fixture/"
MAX_RECORDED_BODY = 1024 * 1024
IO_CHUNK = 64 * 1024
# body_size data: byte at offset i is i % 256, so specs can predict it.
PATTERN = bytes(range(256)) * (IO_CHUNK // 256)
FAULTS = {None, "reset", "reset_mid_body", "close", "stall", "trickle", "truncate"}
STALL_MAX_S = 60
VERBOSE = bool(os.environ.get("FIXTURE_VERBOSE"))


class Route:
    def __init__(self, spec):
        self.method = str(spec.get("method", "GET")).upper()
        self.path = spec.get("path")
        self.path_prefix = spec.get("path_prefix")
        if (self.path is None) == (self.path_prefix is None):
            raise ValueError("route needs exactly one of path / path_prefix")
        query = spec.get("query")
        self.query = None if query is None else {
            k: ([_qstr(x) for x in v] if isinstance(v, list) else _qstr(v))
            for k, v in query.items()}
        responses = spec.get("responses")
        if responses is None:
            responses = [spec["response"]] if "response" in spec else [{}]
        if not isinstance(responses, list) or not responses:
            raise ValueError("responses must be a non-empty list")
        for r in responses:
            if r.get("fault") not in FAULTS:
                raise ValueError("unknown fault %r" % r.get("fault"))
        self.responses = responses
        self.next = 0

    def matches(self, method, path, query):
        if method != self.method:
            return False
        if self.path is not None and path != self.path:
            return False
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return False
        # A query spec must match the request's whole query exactly, so a
        # spec notices parameters the SDK adds unexpectedly.
        return self.query is None or self.query == query

    def take(self):
        resp = self.responses[self.next]
        if self.next < len(self.responses) - 1:
            self.next += 1
        return resp


def _qstr(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_query(qs):
    out = {}
    for k, v in urllib.parse.parse_qsl(qs, keep_blank_values=True):
        if k in out:
            if not isinstance(out[k], list):
                out[k] = [out[k]]
            out[k].append(v)
        else:
            out[k] = v
    return out


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = []
        self.requests = []
        self.conn_counter = 0
        self.base = ""
        self.port = 0
        self.stopping = threading.Event()

    def next_conn_id(self):
        with self.lock:
            self.conn_counter += 1
            return self.conn_counter

    def find(self, method, path, query):
        with self.lock:
            for route in reversed(self.routes):
                if route.matches(method, path, query):
                    return route.take()
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ostack-fixture/1"

    # Accept any method name (COPY, PURGE, ...): every do_X is our dispatcher.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def setup(self):
        # headers and body leave in separate writes: without this, Nagle and
        # delayed ACKs add ~40 ms to every response with a body
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = self.server.ssl_context
        if ctx is not None:
            # Handshake here (in the connection's thread), not in accept(),
            # so one bad client cannot block the listener.
            self.request.settimeout(10)
            self.request = ctx.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        self.connection_id = self.server.state.next_conn_id()
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.server.ssl_context is not None:
                # The server only closes the pre-TLS socket; close ours.
                try:
                    self.connection.close()
                except OSError:
                    pass

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("fixture: %s\n" % (fmt % args))

    # -- request side -----------------------------------------------------

    def read_body(self, keep_all=False):
        """Read the request body (Content-Length or chunked) into a hash,
        keeping the bytes only while they fit the recording limit.
        Returns (bytes or None, size, sha256 hex, complete)."""
        digest = hashlib.sha256()
        kept = bytearray()
        size = 0

        def feed(data):
            nonlocal size, kept
            digest.update(data)
            size += len(data)
            if kept is not None:
                if size > MAX_RECORDED_BODY and not keep_all:
                    kept = None
                else:
                    kept += data

        def read_exactly(n):
            while n > 0:
                data = self.rfile.read(min(n, IO_CHUNK))
                if not data:
                    raise ConnectionError("eof in body")
                feed(data)
                n -= len(data)

        complete = True
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                while True:
                    line = self.rfile.readline(65537)
                    if not line:
                        raise ConnectionError("eof in chunked body")
                    n = int(line.split(b";", 1)[0].strip() or b"0", 16)
                    if n == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        break
                    read_exactly(n)
                    self.rfile.readline(3)  # CRLF after the chunk data
            else:
                read_exactly(int(self.headers.get("Content-Length") or 0))
        except (OSError, ValueError):
            # Client gave up mid-upload: still worth recording what arrived.
            complete = False
        return (None if kept is None else bytes(kept)), size, digest.hexdigest(), complete

    def record(self, path, qs, body, size, sha, complete):
        entry = {
            "method": self.command,
            "path": path,
            "query_string": qs,
            "query": parse_query(qs),
            "headers": {},
            "body": None,
            "body_size": size,
            "body_sha256": sha,
            "connection_id": self.connection_id,
            "time": time.time(),
        }
        if not complete:
            entry["incomplete"] = True
        for name, value in self.headers.items():
            name = name.lower()
            if name in entry["headers"]:
                entry["headers"][name] += ", " + value
            else:
                entry["headers"][name] = value
        if body is not None:
            try:
                entry["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                # JSON strings cannot carry raw bytes; the Lua helper decodes this.
                entry["body_base64"] = base64.b64encode(body).decode("ascii")
        state = self.server.state
        with state.lock:
            state.requests.append(entry)

    def dispatch(self):
        path, _, qs = self.path.partition("?")
        is_control = path.startswith(CONTROL_PREFIX)
        body, size, sha, complete = self.read_body(keep_all=is_control)
        if not complete:
            self.close_connection = True
            if not is_control and not self.server.control_only:
                self.record(path, qs, body, size, sha, complete)
            return
        try:
            if is_control:
                self.control(path, body)
            elif self.server.control_only:
                self.send_simple(404, {"error": "control port serves only " + CONTROL_PREFIX})
            else:
                self.record(path, qs, body, size, sha, complete)
                resp = self.server.state.find(self.command, path, parse_query(qs))
                if resp is None:
                    self.send_simple(599, {
                        "error": "fixture: no route for %s %s" % (self.command, path),
                        "method": self.command, "path": path, "query_string": qs})
                else:
                    self.respond(resp)
        except OSError:  # the client went away or TLS failed: drop the connection
            self.close_connection = True

    # -- control API ------------------------------------------------------

    def control(self, path, body):
        state = self.server.state
        op = path[len(CONTROL_PREFIX):]
        if op == "reset" and self.command == "POST":
            with state.lock:
                state.routes = []
                state.requests = []
            self.send_simple(200, {"ok": True})
        elif op == "routes" and self.command == "POST":
            try:
                specs = json.loads(body or b"[]")
                if isinstance(specs, dict):
                    specs = [specs]
                routes = [Route(s) for s in specs]
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                self.send_simple(400, {"error": "bad routes: %s" % e})
                return
            with state.lock:
                state.routes.extend(routes)
            self.send_simple(200, {"ok": True, "added": len(routes)})
        elif op == "requests" and self.command == "GET":
            with state.lock:
                data = json.dumps(state.requests, ensure_ascii=False)
            self.send_bytes(200, data.encode("utf-8"))
        elif op == "ping":
            self.send_simple(200, {"ok": True, "port": state.port})
        else:
            self.send_simple(404, {"error": "unknown control call %s %s" % (self.command, path)})

    def send_simple(self, status, obj):
        self.send_bytes(status, json.dumps(obj).encode("utf-8"))

    def send_bytes(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # -- scripted responses -----------------------------------------------

    def subst(self, text):
        state = self.server.state
        return text.replace("{{port}}", str(state.port)).replace("{{base}}", state.base)

    def hard_reset(self):
        """Close with RST: SO_LINGER 0 drops the connection instead of FIN."""
        self.close_connection = True
        conn = self.connection
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        # makefile() objects hold references; the fd only closes with them.
        for f in (self.rfile, self.wfile, conn):
            try:
                f.close()
            except OSError:
                pass
        # http.server still flushes/closes these after we return.
        self.rfile, self.wfile = io.BytesIO(), io.BytesIO()

    def stall(self):
        """Hold the connection unanswered until the client leaves (max 60 s)."""
        self.close_connection = True
        conn = self.connection
        deadline = time.monotonic() + STALL_MAX_S
        while time.monotonic() < deadline and not self.server.state.stopping.is_set():
            try:
                ready, _, _ = select.select([conn], [], [], 0.2)
                if ready and not conn.recv(IO_CHUNK):
                    return
            except (OSError, ValueError):
                return

    def respond(self, resp):
        fault = resp.get("fault")
        if resp.get("delay_ms"):
            time.sleep(resp["delay_ms"] / 1000.0)
        if fault == "reset":
            return self.hard_reset()
        if fault == "close":
            self.close_connection = True
            return
        if fault == "stall":
            return self.stall()

        if "body_base64" in resp:
            data, total = base64.b64decode(resp["body_base64"]), None
        elif resp.get("body") is not None:
            data, total = self.subst(resp["body"]).encode("utf-8"), None
        elif resp.get("body_size") is not None:
            data, total = None, int(resp["body_size"])
        elif fault in ("truncate", "reset_mid_body"):
            data, total = None, 1024  # something to cut in half
        else:
            data, total = b"", None
        if data is not None:
            total = len(data)

        status = int(resp.get("status", 200))
        chunked = bool(resp.get("chunked"))
        head = self.command == "HEAD"
        no_body = head or status in (204, 304) or status < 200
        headers = resp.get("headers") or {}
        given = {k.lower() for k in headers}

        self.send_response(status)
        for name, value in headers.items():
            for v in (value if isinstance(value, list) else [value]):
                self.send_header(name, self.subst(str(v)))
        if chunked and "transfer-encoding" not in given:
            self.send_header("Transfer-Encoding", "chunked")
        elif not chunked and "content-length" not in given and not (
                status in (204, 304) or status < 200):
            self.send_header("Content-Length", str(total))
        self.end_headers()
        if no_body:
            return

        limit, ending = total, None
        if fault == "truncate":
            limit, ending = total // 2, "close"
        elif fault == "reset_mid_body":
            limit, ending = total // 2, "reset"
        trickle = resp.get("trickle_ms", 200) / 1000.0 if fault == "trickle" else None

        for piece in self.pieces(data, limit):
            if trickle is not None:
                for i in range(len(piece)):
                    time.sleep(trickle)
                    self.write_piece(piece[i:i + 1], chunked)
            else:
                self.write_piece(piece, chunked)
        if ending == "reset":
            return self.hard_reset()
        if ending == "close":
            self.close_connection = True
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def write_piece(self, piece, chunked):
        if chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        else:
            self.wfile.write(piece)

    @staticmethod
    def pieces(data, limit):
        """Yield the first `limit` body bytes in chunks; body_size data is
        generated on the fly so huge sizes cost no memory."""
        sent = 0
        while sent < limit:
            n = min(IO_CHUNK, limit - sent)
            if data is not None:
                yield data[sent:sent + n]
            else:
                yield PATTERN[:n]  # IO_CHUNK is a multiple of 256: offsets line up
            sent += n


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, addr, state, ssl_context=None, control_only=False):
        self.state = state
        self.ssl_context = ssl_context
        self.control_only = control_only
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        # Clients vanishing mid-response or failing TLS is routine here.
        if VERBOSE:
            sys.stderr.write("fixture: connection error: %r\n" % (sys.exc_info()[1],))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--parent", type=int, default=None,
                    help="exit once this pid is no longer our parent (default: parent at startup)")
    args = ap.parse_args()
    # Taken first thing: a parent that dies right after reading PORT must still count.
    parent = args.parent or os.getppid()

    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    elif args.client_ca:
        ap.error("--client-ca needs --tls")

    state = State()
    server = Server(("127.0.0.1", args.port), state, ctx)
    state.port = server.server_address[1]
    state.base = "%s://127.0.0.1:%d" % ("https" if ctx else "http", state.port)
    servers = [server]
    if ctx:
        # Plain-HTTP control port, so the helper needs no client cert or CA.
        control = Server(("127.0.0.1", 0), state, None, control_only=True)
        servers.append(control)
        print("CONTROL %d" % control.server_address[1])
    print("PORT %d" % state.port, flush=True)

    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Exit with our parent, so a crashed spec never leaves a server behind.
    while os.getppid() == parent and not stop.wait(1.0):
        pass
    state.stopping.set()
    for s in servers:
        s.shutdown()
        s.server_close()


if __name__ == "__main__":
    main()
