#!/usr/bin/env python3
"""Serve a fixture index (the contract.md layout) over HTTP/1.1 with keep-alive and
TCP_NODELAY, so timings measure the resolvers and not the server. `python3 -m http.server`
answers HTTP/1.0 and stalls ~40 ms per sequential request (Nagle + delayed ACK).

    serve.py DIR [--port N] [--delay-ms MS] [--jitter-ms MS] [--log FILE] [--no-cache-headers]

Project pages are negotiated: PEP 691 JSON when the client accepts it (and index.json exists),
else PEP 503 HTML. By default responses carry PyPI's caching headers (`Cache-Control:
max-age=600`, an ETag and Last-Modified; `If-None-Match` gets a 304); --no-cache-headers sends
none of them (a plain static server that gives a client nothing to keep or revalidate by).
--delay-ms adds latency to every response, to imitate a remote index; --jitter-ms adds a
further random latency from 0 to MS to each (the same sequence every run), whatever the load:
a nearby server whose answers vary without being queued (a LAN mirror, a CDN edge);
--log writes each request to FILE: milliseconds since start when it was answered (headers
sent), status, path, milliseconds since start when it arrived, and the client's port (one per
connection; `trace.py` reads these); `replay.py` adds the answer's body bytes.
Prints the base URL on stdout once listening.
"""

import argparse
import random
import http.server
import os
import socket
import socketserver
import sys
import threading
import time


class RequestLog:
    """A request handler's log: one line per request (answered at, status, path, arrived at,
    client port), read by benches/trace.py; nothing on stderr."""

    log = None
    log_lock = threading.Lock()
    start = time.perf_counter()

    def log_message(self, *args):
        pass

    def parse_request(self):
        self.arrived = time.perf_counter()
        return super().parse_request()

    def log_request(self, code="-", size="-"):
        if self.log:
            ms = (time.perf_counter() - self.start) * 1000
            arrived = (getattr(self, "arrived", self.start) - self.start) * 1000
            port = self.client_address[1]
            with self.log_lock:
                sent = getattr(self, "body_len", None)  # replay.py: bytes of the answer
                extra = f" {sent}" if sent is not None else ""
                self.log.write(f"{ms:8.1f} {code} {self.path} {arrived:.1f} {port}{extra}\n")
                self.log.flush()


class Handler(RequestLog, http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay = 0.0
    jitter = 0.0
    rng = random.Random(14)
    cache_headers = True

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_head(self):
        if self.delay or self.jitter:
            time.sleep(self.delay + self.jitter * self.rng.random())
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            accept = self.headers.get("Accept", "")
            if "application/vnd.pypi.simple.v1+json" in accept and os.path.exists(os.path.join(path, "index.json")):
                path = os.path.join(path, "index.json")
                self.etag = self.etag_of(path)
                if self.cache_headers and self.headers.get("If-None-Match") == self.etag:
                    self.send_response(304)
                    self.end_headers()
                    return None
                body = open(path, "rb").read()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                import io
                return io.BytesIO(body)
            path = os.path.join(path, "index.html")
        self.etag = self.etag_of(path)
        if self.cache_headers and self.etag and self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return None
        return super().send_head()

    @staticmethod
    def etag_of(path):
        try:
            st = os.stat(path)
        except OSError:
            return None
        return f'"{st.st_size:x}-{st.st_mtime_ns:x}"'

    def send_header(self, keyword, value):
        if not self.cache_headers and keyword.lower() == "last-modified":
            return
        super().send_header(keyword, value)

    def end_headers(self):
        if self.cache_headers:
            self.send_header("Cache-Control", "max-age=600")
            if getattr(self, "etag", None):
                self.send_header("ETag", self.etag)
        super().end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--log")
    ap.add_argument("--no-cache-headers", action="store_true",
                    help="send no Cache-Control, ETag or Last-Modified")
    args = ap.parse_args()
    Handler.delay = args.delay_ms / 1000.0
    Handler.jitter = args.jitter_ms / 1000.0
    Handler.cache_headers = not args.no_cache_headers
    if args.log:
        Handler.log = open(args.log, "w")
    handler = lambda *a, **k: Handler(*a, directory=args.dir, **k)  # noqa: E731
    with Server(("127.0.0.1", args.port), handler) as srv:
        print(f"http://127.0.0.1:{srv.server_address[1]}/simple", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
