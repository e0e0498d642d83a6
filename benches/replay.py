#!/usr/bin/env python3
"""A recording proxy of a live index (PyPI), to measure live resolves repeatably.

    replay.py STORE [--port N] [--delay-ms MS] [--log FILE] [--offline]
              [--upstream https://pypi.org/simple] [--files https://files.pythonhosted.org]

Serves `/simple/<project>/` from the upstream index and `/files/<path>` from its file host,
range requests included (what `pylock index snapshot` cannot record: a snapshot rewrites every
file as a `.metadata`, so wheels without PEP 658 metadata, read by range requests into the
zip, and sdists, downloaded whole, take another path there). Every answer (status, the headers
a client reads, body) is kept under STORE, keyed by method, path, page format and Range, and
served from there the next time: after one recording run, runs are repeatable and do not
touch the network (`--offline` answers 504 to anything not recorded). Pages are rewritten so
their file URLs point at this proxy. No caching headers are sent (live PyPI pages reached this
machine without them). --delay-ms and --log work as in serve.py (same log format, which
`trace.py`'s parse/depth/profile read). Prints the base URL on stdout once listening.
"""

import argparse
import hashlib
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

from serve import RequestLog, Server  # serve.py, beside this file

KEPT_HEADERS = ("content-type", "content-range", "accept-ranges")


class Handler(RequestLog, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = "."
    delay = 0.0
    offline = False
    upstream = "https://pypi.org/simple"
    files = "https://files.pythonhosted.org"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def upstream_url(self):
        if self.path.startswith("/simple/"):
            return self.upstream + self.path[len("/simple"):]
        if self.path.startswith("/files/"):
            return self.files + self.path[len("/files"):]
        return None

    def key(self):
        accept = self.headers.get("Accept", "")
        kind = "json" if "application/vnd.pypi.simple.v1+json" in accept else "html"
        if not self.path.startswith("/simple/"):
            kind = ""
        raw = f"{self.command} {self.path} {kind} {self.headers.get('Range', '')}"
        return hashlib.sha256(raw.encode()).hexdigest(), kind

    def fetch(self, url, kind):
        headers = {"User-Agent": "pylock-bench-replay"}
        if kind == "json":
            headers["Accept"] = "application/vnd.pypi.simple.v1+json"
        elif kind == "html":
            headers["Accept"] = "text/html"
        if self.headers.get("Range"):
            headers["Range"] = self.headers["Range"]
        request = urllib.request.Request(url, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, head, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, head, body = e.code, e.headers, e.read()
        kept = {k: head[k] for k in KEPT_HEADERS if head.get(k)}
        if self.command == "HEAD" and head.get("content-length"):
            # A HEAD answer has no body: its length is the file's (uv sizes a wheel so).
            kept["content-length"] = head["content-length"]
        return status, kept, body

    def answer(self):
        if self.delay:
            time.sleep(self.delay)
        url = self.upstream_url()
        if url is None:
            return 404, {}, b"not found\n"
        key, kind = self.key()
        meta_path = os.path.join(self.store, key + ".json")
        body_path = os.path.join(self.store, key + ".body")
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
            with open(body_path, "rb") as f:
                body = f.read()
            return meta["status"], meta["headers"], body
        if self.offline:
            return 504, {}, f"not recorded: {self.path}\n".encode()
        status, headers, body = self.fetch(url, kind)
        tmp = f"{body_path}.{threading.get_ident()}"
        with open(tmp, "wb") as f:
            f.write(body)
        os.replace(tmp, body_path)
        with open(f"{meta_path}.{threading.get_ident()}", "w") as f:
            json.dump({"status": status, "headers": headers, "path": self.path, "kind": kind,
                       "range": self.headers.get("Range", "")}, f)
        os.replace(f"{meta_path}.{threading.get_ident()}", meta_path)
        return status, headers, body

    def do_GET(self):
        status, headers, body = self.answer()
        if self.path.startswith("/simple/"):
            host = f"http://127.0.0.1:{self.server.server_address[1]}/files"
            body = body.replace(self.files.encode(), host.encode())
        self.body_len = len(body)
        self.send_response(status)
        for k, v in headers.items():
            if k != "content-length":
                self.send_header(k, v)
        length = headers.get("content-length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--log")
    ap.add_argument("--offline", action="store_true", help="answer 504 to what is not recorded")
    ap.add_argument("--upstream", default=Handler.upstream)
    ap.add_argument("--files", default=Handler.files)
    args = ap.parse_args()
    os.makedirs(args.store, exist_ok=True)
    Handler.store = args.store
    Handler.delay = args.delay_ms / 1000.0
    Handler.offline = args.offline
    Handler.upstream = args.upstream.rstrip("/")
    Handler.files = args.files.rstrip("/")
    if args.log:
        Handler.log = open(args.log, "w")
    with Server(("127.0.0.1", args.port), Handler) as srv:
        print(f"http://127.0.0.1:{srv.server_address[1]}/simple", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
