"""What both local HTTP servers share: HTTP/1.1 keep-alive without Nagle delays, one log line a request."""

from __future__ import annotations

import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_prefix = "http"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes; without this, delayed ACKs add ~40 ms to each response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.started = time.perf_counter()

    def read_body(self) -> bytes:
        self.started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def respond(self, status: int, headers: list[tuple[str, str]], payload: bytes, label: str) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        elapsed = (time.perf_counter() - self.started) * 1000
        print(f"{self.log_prefix}  {label} {status} {elapsed:.0f}ms", file=sys.stderr)

    def log_message(self, format: str, *args: Any) -> None:  # respond() prints one line per request
        return


def make_server(host: str, port: int, handler: type[LocalRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
