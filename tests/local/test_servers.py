"""Both local servers absorb a burst of connections and refuse requests they cannot read, on loopback."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from local import engine_host
from local.gateway import LocalApiGateway, make_http_server
from local.sfn.http import MAX_BODY_BYTES
from local.tokens import KeyPair, issue_token

BURST = 200  # the kernel caps the backlog at net.core.somaxconn: 4096 on Linux since 5.4
CONNECT_TIMEOUT = 2.0  # on loopback a queued connection completes at once; a dropped SYN waits 1 s, then 3 s
READ_TIMEOUT = 20.0
HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
LIST_STATE_MACHINES = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
    b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}"
)


def _healthy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"status": "ok"}'}


@pytest.fixture
def api_server(token_keys: KeyPair) -> Iterator[ThreadingHTTPServer]:
    server = make_http_server("127.0.0.1", 0, LocalApiGateway(_healthy, token_keys))
    yield server
    server.server_close()


@pytest.fixture
def sfn_server(tmp_path: Path) -> Iterator[ThreadingHTTPServer]:
    service = engine_host.build(tmp_path, workflows=[])
    server = engine_host.make_sfn_server("127.0.0.1", 0, service)
    yield server
    server.server_close()
    service.store.close()


def _connect_and_send(address: tuple[str, int], request: bytes) -> socket.socket:
    connection = socket.create_connection(address, timeout=CONNECT_TIMEOUT)
    connection.sendall(request)
    return connection


def _status_of_response(connection: socket.socket) -> int:
    connection.settimeout(READ_TIMEOUT)
    with connection, connection.makefile("rb") as response:
        status = int(response.readline().split()[1])
        response.read()  # to the end: the server closes after answering ("Connection: close")
    return status


def _burst(server: ThreadingHTTPServer, request: bytes) -> list[int | str]:
    """BURST clients connect and send at once while the server is not accepting yet, as when a burst
    outruns the accept loop: the kernel must queue every one of them; then each reads its answer."""
    address = server.server_address[:2]
    with ThreadPoolExecutor(max_workers=BURST) as clients:
        attempts = [clients.submit(_connect_and_send, address, request) for _ in range(BURST)]  # type: ignore[arg-type]  # typeshed: any family's address
        connections: list[socket.socket | OSError] = []
        for attempt in attempts:
            try:
                connections.append(attempt.result())
            except OSError as error:
                connections.append(error)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        try:
            answers = [
                clients.submit(_status_of_response, each) if isinstance(each, socket.socket) else None
                for each in connections
            ]
            results: list[int | str] = []
            for answer, connection in zip(answers, connections, strict=True):
                if answer is None:
                    results.append(f"connect: {connection!r}")
                    continue
                try:
                    results.append(answer.result())
                except OSError as error:
                    results.append(f"read: {error!r}")
        finally:
            server.shutdown()
            serving.join(10)
    return results


def test_the_api_answers_a_burst_of_200_connections(api_server: ThreadingHTTPServer) -> None:
    # When 200 clients ask for /health at the same moment
    results = _burst(api_server, HEALTH)
    # Then every one of them is answered
    assert [result for result in results if result != 200] == []


def test_step_functions_answers_a_burst_of_200_connections(sfn_server: ThreadingHTTPServer) -> None:
    results = _burst(sfn_server, LIST_STATE_MACHINES)
    assert [result for result in results if result != 200] == []


def _exchange(server: ThreadingHTTPServer, request: bytes) -> tuple[int, bytes]:
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as connection:  # type: ignore[arg-type]
            connection.sendall(request)
            with connection.makefile("rb") as response:
                status = int(response.readline().split()[1])
                return status, response.read()
    finally:
        server.shutdown()
        serving.join(10)


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5"])
def test_an_unreadable_content_length_is_a_400_on_the_api(api_server: ThreadingHTTPServer, length: str) -> None:
    # "-1" would have the server read until the client hangs up: a thread stuck for good
    request = f"POST /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n".encode()
    status, raw = _exchange(api_server, request)
    assert status == 400
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1]) == {"message": f"invalid Content-Length '{length}'"}


def test_an_unreadable_content_length_is_a_400_on_step_functions(sfn_server: ThreadingHTTPServer) -> None:
    request = LIST_STATE_MACHINES.replace(b"Content-Length: 2", b"Content-Length: -1")
    status, raw = _exchange(sfn_server, request)
    assert status == 400
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["__type"].endswith("#SerializationException")


def test_a_body_longer_than_api_gateway_takes_is_a_413_without_being_read(api_server: ThreadingHTTPServer) -> None:
    # only the headers are sent: the server must answer from Content-Length alone, not wait for 10 MB
    request = f"POST /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
    status, raw = _exchange(api_server, request)
    assert status == 413
    assert b"Connection: close" in raw.split(b"\r\n\r\n", 1)[0]


def test_a_body_longer_than_the_limit_is_a_413_on_step_functions(sfn_server: ThreadingHTTPServer) -> None:
    request = LIST_STATE_MACHINES.replace(b"Content-Length: 2", f"Content-Length: {MAX_BODY_BYTES + 1}".encode())
    status, raw = _exchange(sfn_server, request)
    assert status == 413
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["__type"].endswith("#SerializationException")


def _raw(server: ThreadingHTTPServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    status, raw = _exchange(server, request)
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().splitlines() if ": " in line)
    return status, headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",  # no token: the gateway's 401
        b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",  # no such route: its 404
        b"TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",  # no such method: no route takes it, a 404
        b"POST /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    ],
    ids=["401", "404", "404-method", "400-length"],
)
def test_the_local_servers_own_answers_are_json_with_the_security_headers(
    api_server: ThreadingHTTPServer, request_bytes: bytes
) -> None:
    status, headers, body = _raw(api_server, request_bytes)
    assert status >= 400
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "application/json"
    assert "message" in json.loads(body)
    assert "Python" not in headers["Server"]


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_no_route_takes_is_answered_as_api_gateway_answers_it_never_a_5xx(
    api_server: ThreadingHTTPServer, method: str
) -> None:
    status, _, body = _raw(
        api_server, f"{method} /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    )
    assert (status, json.loads(body)["error"]) == (404, "not_found")  # the CDK app's answer to an unknown route


@pytest.mark.parametrize("method", ["GET", "TRACE", "DELETE"])
def test_step_functions_takes_posts_only_and_says_so(sfn_server: ThreadingHTTPServer, method: str) -> None:
    status, headers, body = _raw(
        sfn_server, f"{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    )
    assert (status, headers["Allow"], json.loads(body)) == (405, "POST", {"message": "Method Not Allowed"})


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:3000", "127.0.0.1.nip.io", "10.0.0.1"])
def test_a_request_addressed_to_another_name_is_refused(
    api_server: ThreadingHTTPServer, sfn_server: ThreadingHTTPServer, host: str
) -> None:
    # a web page that rebinds its own domain to 127.0.0.1 sends its own name as Host
    status, _, body = _raw(api_server, f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert status == 403
    assert "localhost" in json.loads(body)["message"]
    request = LIST_STATE_MACHINES.replace(b"Host: 127.0.0.1", f"Host: {host}".encode())
    assert _exchange(sfn_server, request)[0] == 403


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000"])
def test_loopback_names_are_answered(api_server: ThreadingHTTPServer, host: str) -> None:
    assert _raw(api_server, f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())[0] == 200


class _Stderr:
    """A standard error that records what is written, taking ``delay`` seconds a write as a busy
    terminal may, or broken as a closed pipe is."""

    def __init__(self, delay: float = 0.0, broken: bool = False) -> None:
        self.lines: list[str] = []
        self.delay, self.broken = delay, broken

    def write(self, text: str) -> int:
        if self.broken:
            raise BrokenPipeError(32, "Broken pipe")
        time.sleep(self.delay)
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def _logged_while_asking(
    server: ThreadingHTTPServer, stderr: _Stderr, monkeypatch: pytest.MonkeyPatch, *request: Any
) -> list[str]:
    """What the server had logged by the time the client read its answer (kept alive: the answer
    ends with its body, not with its connection)."""
    monkeypatch.setattr("sys.stderr", stderr)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)  # type: ignore[arg-type]
        connection.request(*request)
        connection.getresponse().read()
        logged = list(stderr.lines)
        connection.close()
    finally:
        server.shutdown()
        serving.join(10)
    return logged


@pytest.mark.parametrize("method", ["GET", "HEAD"])  # HEAD: an answer without a body
def test_a_request_is_logged_before_its_answer_is_read(
    api_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # A test's output capture ends when it has its answer: a line written after that lands in another's
    logged = _logged_while_asking(api_server, _Stderr(delay=0.2), monkeypatch, method, "/health")
    assert [line for line in logged if line.startswith(f"api  {method} /health ")] != []


def test_a_log_nobody_reads_any_more_costs_no_answer(
    api_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make dev | head`: once head has gone, writing the log fails; the answer must still go out
    monkeypatch.setattr("sys.stderr", _Stderr(broken=True))
    status, _ = _exchange(api_server, HEALTH)
    assert status == 200


def test_a_refused_step_functions_call_is_logged_with_its_error(
    sfn_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an ExecutionAlreadyExists (an idempotent replay) must not read as a fault in the runtime's log
    headers = {"X-Amz-Target": "AWSStepFunctions.DescribeExecution", "Content-Type": "application/x-amz-json-1.0"}
    body = json.dumps({"executionArn": "arn:aws:states:us-east-1:000000000000:execution:none:none"})
    logged = _logged_while_asking(sfn_server, _Stderr(), monkeypatch, "POST", "/", body, headers)
    assert [line for line in logged if "DescribeExecution (ExecutionDoesNotExist) 400" in line] != []


@pytest.mark.parametrize("server_name", ["api_server", "sfn_server"])
def test_a_body_that_ends_before_its_length_is_a_400(request: pytest.FixtureRequest, server_name: str) -> None:
    # A client that stops sending half-way: the half that came must not be acted upon
    server = request.getfixturevalue(server_name)
    body = json.dumps({"name": "Amina"}).encode()
    head = (
        f"POST /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body) + 500}\r\n"
        "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Type: application/json\r\n\r\n"
    )
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as connection:
            connection.sendall(head.encode() + body)
            connection.shutdown(socket.SHUT_WR)
            with connection.makefile("rb") as response:
                status = int(response.readline().split()[1])
                raw = response.read()
    finally:
        server.shutdown()
        serving.join(10)
    assert status == 400
    answer = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    assert f"the body ended after {len(body)} of its {len(body) + 500} bytes" in answer.get("message", "")


def test_a_client_gone_before_its_answer_costs_no_traceback_but_a_bug_does(
    api_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = _Stderr()
    monkeypatch.setattr("sys.stderr", stderr)
    for error in (ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError(32, "Broken pipe")):
        try:
            raise error
        except OSError:
            api_server.handle_error(None, ("127.0.0.1", 40000))  # as socketserver calls it, in the except
    assert stderr.lines == []
    try:
        raise ValueError("a bug of the server")
    except ValueError:
        api_server.handle_error(None, ("127.0.0.1", 40000))
    assert "ValueError: a bug of the server" in "".join(stderr.lines)


SMUGGLED = b"0\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # a second request, hidden as a body


@pytest.mark.parametrize("server_name", ["api_server", "sfn_server"])
@pytest.mark.parametrize(
    ("framing", "status", "message"),
    [
        (b"Transfer-Encoding: chunked\r\n", 411, "send the body with a Content-Length, not Transfer-Encoding"),
        (b"Content-Length: 5\r\nContent-Length: 0\r\n", 400, "conflicting Content-Length headers 0, 5"),
        (b"Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n", 411, "Transfer-Encoding"),
        # the stdlib's parser stops at a line it cannot read, dropping the Content-Length after it
        (b"X-\xe9: 1\r\nContent-Length: 5\r\n", 400, "a header line could not be read"),
        (b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n", 400, "a header line could not be read"),
        # a CR inside a line: a break to the stdlib, part of the value to a stricter reader
        (b"X-Note: a\rContent-Length: 5\r\n", 400, "a header line could not be read"),
    ],
    ids=["chunked", "two-lengths", "empty-encoding-first", "unreadable-name", "space-before-colon", "stray-cr"],
)
def test_a_body_whose_end_is_in_doubt_is_refused_and_nothing_after_it_is_read(
    request: pytest.FixtureRequest, server_name: str, framing: bytes, status: int, message: str
) -> None:
    # Read another way by a proxy in front, the bytes after the body would be a request of their own
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
    answered, raw = _exchange(request.getfixturevalue(server_name), head + framing + b"\r\n" + SMUGGLED)
    answers = raw.count(b"HTTP/1.1 ") + 1  # the first status line was read by _exchange
    head, _, body = raw.partition(b"\r\n\r\n")
    assert (answered, answers, b"Connection: close" in head) == (status, 1, True)
    assert message in json.loads(body).get("message", body.decode())


@pytest.mark.parametrize("framing", [b"Content-Length: 0\r\nContent-Length: 0\r\n", b"Content-Length: 0 \r\n"])
def test_one_length_however_written_is_read(api_server: ThreadingHTTPServer, framing: bytes) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + framing + b"\r\n"
    assert _exchange(api_server, request)[0] == 200


def test_two_hosts_are_a_400(api_server: ThreadingHTTPServer) -> None:
    # the loopback check reads one: another reader may take the other
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
    status, _, body = _raw(api_server, request)
    assert (status, json.loads(body)) == (400, {"message": "send one Host header"})


@pytest.mark.parametrize(
    ("request_line", "status"), [(b"GET /a b HTTP/1.1", 400), (b"GET /health HTTP/2.0", 505)], ids=["space", "http2"]
)
def test_a_refused_request_line_is_answered_whole(
    api_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, request_line: bytes, status: int
) -> None:
    # a status line, and the body its Content-Length announces (a client would wait for it otherwise)
    stderr = _Stderr()
    monkeypatch.setattr("sys.stderr", stderr)
    answered, headers, body = _raw(api_server, request_line + b"\r\nHost: 127.0.0.1\r\n\r\n")
    assert (answered, len(body)) == (status, int(headers["Content-Length"]))
    assert "message" in json.loads(body)
    assert f"api  request (refused) {status} " in "".join(stderr.lines)


def test_an_operation_name_that_is_none_is_quoted_in_the_log(
    sfn_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"X-Amz-Target": "AWSStepFunctions.StopExecution 200 2ms", "Content-Type": "application/x-amz-json-1.0"}
    logged = _logged_while_asking(sfn_server, _Stderr(), monkeypatch, "POST", "/", "{}", headers)
    assert [line for line in logged if line.startswith("sfn  'StopExecution 200 2ms' (UnknownOperation")] != []


def test_what_a_caller_writes_cannot_forge_a_log_line_or_move_the_cursor(
    api_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = _Stderr()
    monkeypatch.setattr("sys.stderr", stderr)
    forged = b"GET /\x1b[2J\x1b[1Aok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert _exchange(api_server, forged)[0] == 404
    written = "".join(stderr.lines)
    assert (written.count("\n"), "\x1b" in written) == (1, False), written
    assert "GET /\\x1b[2J\\x1b[1Aok 404" in written


def test_two_authorization_headers_are_a_401_not_a_choice(
    api_server: ThreadingHTTPServer, token_keys: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = _Stderr()
    monkeypatch.setattr("sys.stderr", stderr)
    token = issue_token(token_keys, ["front-desk"], "awa")
    one = f"GET /clients HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n"
    assert _exchange(api_server, f"{one}\r\n".encode())[0] == 200
    assert _exchange(api_server, f"{one}Authorization: Bearer {token}\r\n\r\n".encode())[0] == 401
    assert "401, several Authorization headers: send one" in "".join(stderr.lines)
