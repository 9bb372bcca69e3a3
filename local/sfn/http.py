"""What the engine's HTTP server shares with any other local one: HTTP/1.1 keep-alive without Nagle
delays, one log line a request, a listen backlog that absorbs a burst of connections, and IPv6
addresses as well as IPv4.

Every answer, the server's own errors included, is JSON with the handler's ``default_headers``. Served on
loopback, a server answers only requests addressed to a loopback name: a web page that rebinds its
own domain to 127.0.0.1 cannot read task tokens from the Step Functions endpoint."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
READ_TIMEOUT_SECONDS = 60  # a client that stops sending mid-request frees its thread after this

# The stdlib's default of 5 resets most of a burst of simultaneous clients (a test suite, a load run);
# the kernel caps it at net.core.somaxconn anyway.
LISTEN_BACKLOG = 1024


# What API Gateway accepts at most (a Step Functions request is far smaller); a longer body is refused
# before it is read into memory.
MAX_BODY_BYTES = 10 * 1024 * 1024


class BadRequest(Exception):
    """The request cannot be read (a malformed Content-Length): answered 400 before any routing."""

    status = 400


class LengthRequired(BadRequest):
    """A chunked body: bodies are read by their Content-Length only, and a server that reads a
    request's end one way while a proxy reads it another can be smuggled a second request. Answered
    411, the connection closed."""

    status = 411


class PayloadTooLarge(BadRequest):
    """The body is longer than API Gateway would take: answered 413 without reading it."""

    status = 413


class _Lines:
    """The connection's bytes, noting a request or header line with a CR that does not end it: the
    stdlib's parser reads that CR as a line break, where a stricter one reads the line whole."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.stray_cr = False

    def readline(self, limit: int = -1) -> bytes:
        line = self._raw.readline(limit)
        self.stray_cr = self.stray_cr or b"\r" in line.removesuffix(b"\n").removesuffix(b"\r")
        return line

    def __getattr__(self, name: str) -> Any:  # read, close, ...: the connection's own
        return getattr(self._raw, name)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_prefix = "http"
    sys_version = ""  # the Server header names the server, not the Python that runs it
    timeout = READ_TIMEOUT_SECONDS
    accepted_hosts: frozenset[str] | None = None  # set by make_server: None accepts any Host
    default_headers: Mapping[str, str] = {}  # sent with every answer that does not set them itself

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        # Headers read one way here and another by a proxy in front would let a body hide a request:
        # a line the parser could not read (it drops every header after it), a CR inside a line, two Hosts
        if self.headers.defects or self._lines.stray_cr:
            self.send_error(
                400, "a header line could not be read: each ends with CRLF and has a name, a colon, a value"
            )
            return False
        if len(self.headers.get_all("Host") or []) > 1:
            self.send_error(400, "send one Host header")
            return False
        host = _host_name(self.headers.get("Host", ""))
        if self.accepted_hosts is not None and host not in self.accepted_hosts:
            self.send_error(403, f"this server answers only requests to {', '.join(sorted(self.accepted_hosts))}")
            return False
        return True

    def __getattr__(self, name: str) -> Any:
        """A method this server has no handler for (TRACE, CONNECT, any word) goes to ``unknown_method``:
        the stdlib would answer 501, a server error for what is the caller's mistake."""
        if name.startswith("do_"):
            return self.unknown_method
        raise AttributeError(name)

    def unknown_method(self) -> None:
        """405, naming the methods this server takes; whatever body came is not read."""
        self.close_connection = True
        allowed = ", ".join(sorted(name[3:] for name in dir(type(self)) if name.startswith("do_")))
        payload = json_payload({"message": "Method Not Allowed"})
        headers = [("Content-Type", "application/json"), ("Allow", allowed)]
        self.respond(405, headers, payload, f"{self.command} {path_only(self.path)}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (a bad request line, an unknown method) as JSON, with the headers."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # a request line refused before its version was read
            self.request_version = self.protocol_version  # answered with a status line all the same
        payload = json_payload({"message": message or self.responses.get(code, ("error",))[0]})
        self.respond(code, [("Content-Type", "application/json")], payload, f"{self.command or 'request'} (refused)")

    def setup(self) -> None:
        super().setup()
        self._lines = _Lines(self.rfile)
        self.rfile = self._lines  # type: ignore[assignment]  # it reads as the connection does
        # headers and body go out as two writes; without this, delayed ACKs add ~40 ms to each response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.started = time.perf_counter()

    def read_body(self) -> bytes:
        self.started = time.perf_counter()
        if "Transfer-Encoding" in self.headers:  # any, even empty: another reader may take a later one
            self.close_connection = True
            raise LengthRequired("send the body with a Content-Length, not Transfer-Encoding")
        lengths = set(self.headers.get_all("Content-Length") or ["0"])
        if len(lengths) > 1:  # which one ends the body? (RFC 9112 6.3): the connection cannot be reused
            self.close_connection = True
            raise BadRequest(f"conflicting Content-Length headers {', '.join(sorted(lengths))}")
        header = lengths.pop().strip() or "0"
        # int() alone would take "-1" (read to EOF: a hung thread) or " 1_0"; only plain digits are a length
        if not header.isascii() or not header.isdigit():
            self.close_connection = True  # the body's end is unknown: the connection cannot be reused
            raise BadRequest(f"invalid Content-Length {header!r}")
        length = int(header)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body is still on the connection
            raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client stopped sending: what came is not the request it meant
            self.close_connection = True
            raise BadRequest(f"the body ended after {len(body)} of its {length} bytes")
        return body

    def respond(self, status: int, headers: list[tuple[str, str]], payload: bytes, label: str) -> None:
        # logged before a byte goes out: whoever has read an answer finds its line written (a test's
        # captured output, not the next test's), bodiless answers included
        elapsed = (time.perf_counter() - self.started) * 1000
        log(f"{self.log_prefix}  {label} {status} {elapsed:.0f}ms")
        self.send_response(status)
        given = {name.lower() for name, _ in headers}
        missing = [(name, value) for name, value in self.default_headers.items() if name.lower() not in given]
        for name, value in [*headers, *missing]:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if status in (204, 304) or status < 200:  # neither a body nor a Content-Length (RFC 9110)
            payload = b""
        else:
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # respond() prints one line per request
        return


def json_payload(body: dict[str, Any]) -> bytes:
    """A JSON answer written compactly, as API Gateway writes its own."""
    return json.dumps(body, separators=(",", ":")).encode()


def log(line: str) -> None:
    """One line on stderr. What a caller wrote in it (a path, a method) cannot move the terminal's
    cursor or forge a second line: characters that are not printable are written escaped."""
    if not line.isprintable():
        line = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in line)
    with contextlib.suppress(OSError):  # a log nobody reads any more (`make dev | head`) costs no answer
        print(line, file=sys.stderr)


def make_server(host: str, port: int, handler: type[RequestHandler]) -> ThreadingHTTPServer:
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        request_queue_size = LISTEN_BACKLOG
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            """A client that went away before its answer (``curl … | head``) is not the server's error."""
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    class Handler(handler):  # type: ignore[valid-type,misc]  # a subclass of the one given
        accepted_hosts = LOOPBACK_NAMES | {host.lower()} if _is_loopback(host) else None

    return Server((host, port), Handler)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _host_name(header: str) -> str:
    """``127.0.0.1:3000`` → ``127.0.0.1``; ``[::1]:3000`` → ``::1``."""
    return (urlsplit(f"//{header.strip()}").hostname or "").lower()


def path_only(raw_path: str) -> str:
    """What the request log shows of a path: never its query (searches carry names and phones)."""
    return urlsplit(raw_path).path


def base_url(host: str, port: int) -> str:
    """The URL a client on this machine uses: the wildcard addresses are reached through loopback."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host or '127.0.0.1'}:{port}"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"
