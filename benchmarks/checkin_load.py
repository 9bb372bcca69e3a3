"""Check-ins over HTTP against the local runtime: N front desks in a closed loop for a fixed time.

    .venv/bin/python -m benchmarks.checkin_load                          # 16 clients, 30 s, MariaDB
    .venv/bin/python -m benchmarks.checkin_load --quick                  # 8 clients, 3 s
    .venv/bin/python -m benchmarks.checkin_load --clients 8 --api-workers 2
    .venv/bin/python -m benchmarks.checkin_load --sqlite --quick         # no MariaDB needed

Each client sends ``POST /sites/saint-denis/tickets`` with a front-desk token, waits for the answer
and sends the next at once (a closed loop: the load is as high as the runtime lets it be). The script
starts ``python -m local serve`` on free ports against a fresh database of its own (``fondation_bench``
on the MariaDB server, dropped and created again), or uses a runtime already running (``--url`` with
``--database-url``). Only the check-ins that end within the measured window count; the warm-up's
do not. Then it reads the ``tickets`` table: every (day, prefix) must hold the numbers 1..n once
each, as many tickets as 201 answers, and every ticket parked by its workflow (waiting for its call).
It exits 1 otherwise. Results go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
SITE = "saint-denis"
PATH = f"/sites/{SITE}/tickets"
DEFAULT_SERVER = os.environ.get("MYSQL_TEST_URL", "mysql+pymysql://root@127.0.0.1:3306/")
DATABASE = "fondation_bench"
START_TIMEOUT_SECONDS = 90
DRAIN_TIMEOUT_SECONDS = 120  # how long the engine may take to park what was checked in
REQUEST_TIMEOUT_SECONDS = 30  # API Gateway gives up at 29 s
FULL = {"clients": 16, "warmup": 3.0, "seconds": 30.0}
QUICK = {"clients": 8, "warmup": 2.0, "seconds": 3.0}


@dataclass
class Sample:
    started: float  # perf_counter
    seconds: float
    status: int  # 0: no answer (``error`` says why)
    number: str | None = None
    error: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds


# --- the runtime -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_mysql_database(server_url: str, name: str) -> str:
    """``name`` emptied on the server (the benchmark's own database, never a shared one); its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if name in ("test", "mysql", "information_schema", "performance_schema", "sys"):
        raise SystemExit(f"refusing to empty the database {name}: give the benchmark one of its own")
    server = make_url(server_url)
    engine = create_engine(server.set(database=""), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


@dataclass
class Runtime:
    api_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_runtime(state_dir: Path, database_url: str, api_workers: int | None) -> Runtime:
    env = {
        **os.environ,
        "LOCAL_STATE_DIR": str(state_dir),
        "LOCAL_API_PORT": str(api_port := free_port()),
        "LOCAL_SFN_PORT": str(free_port()),
        "DATABASE_URL": database_url,
    }
    command = [sys.executable, "-m", "local", "serve"]
    if api_workers is not None:
        command += ["--api-workers", str(api_workers)]
    log_path = state_dir / "runtime.log"
    with log_path.open("ab") as log:  # a line per request: kept out of the benchmark's output
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    runtime = Runtime(f"http://127.0.0.1:{api_port}", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the local runtime exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if _status(runtime.api_url, "/health") == 200:
                return runtime
        except OSError:
            pass
        time.sleep(0.1)
    runtime.stop()
    raise SystemExit(f"the local runtime did not answer within {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


def _status(base_url: str, path: str) -> int:
    url = urlsplit(base_url)
    assert url.hostname is not None, base_url
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --- the load ----------------------------------------------------------------------------------------


def client_loop(base_url: str, token: str, client: int, stop_at: float, samples: list[Sample]) -> None:
    """One front desk on one keep-alive connection: a check-in, its answer, the next check-in."""
    url = urlsplit(base_url)
    assert url.hostname is not None, base_url
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT_SECONDS)
    sent = 0
    while (started := time.perf_counter()) < stop_at:
        sent += 1
        body = json.dumps({"display_name": f"Bench {client}-{sent}"})
        try:
            connection.request("POST", PATH, body=body, headers=headers)
            response = connection.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException) as failure:
            samples.append(Sample(started, time.perf_counter() - started, 0, error=type(failure).__name__))
            connection.close()  # counted as an error; a new connection after a pause, not a busy loop
            time.sleep(0.1)
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT_SECONDS)
            continue
        number = json.loads(payload).get("number") if status == 201 else None
        samples.append(Sample(started, time.perf_counter() - started, status, number))
    connection.close()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: p99 of 3 000 values is the 2 970th smallest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class Load:
    """The closed loop: one thread per client, each appending to a list of its own (no lock to share)."""

    def __init__(self, base_url: str, token: str, clients: int, warmup: float, seconds: float) -> None:
        self.per_client: list[list[Sample]] = [[] for _ in range(clients)]
        self.started = time.perf_counter()
        self.window = (self.started + warmup, self.started + warmup + seconds)
        self._threads = [
            threading.Thread(target=client_loop, args=(base_url, token, index, self.window[1], samples))
            for index, samples in enumerate(self.per_client)
        ]

    def samples(self) -> list[Sample]:
        return [sample for samples in self.per_client for sample in samples]

    def run(self, at_window_start: Callable[[], None]) -> None:
        """Until the window's end; ``at_window_start`` is called when measuring begins."""
        done = threading.Event()
        reporter = threading.Thread(target=self._report_progress, args=(done,), daemon=True)
        starter = threading.Timer(self.window[0] - time.perf_counter(), at_window_start)
        for thread in [reporter, starter, *self._threads]:
            thread.start()
        for thread in self._threads:
            thread.join()
        starter.join()
        done.set()
        reporter.join()

    def _report_progress(self, done: threading.Event) -> None:
        """Once a second, what ended in that second."""
        seen = [0] * len(self.per_client)
        total = 0
        while not done.wait(1.0):
            fresh = []
            for index, samples in enumerate(self.per_client):
                count = len(samples)  # appends only: the first ``count`` are complete
                fresh.extend(samples[seen[index] : count])
                seen[index] = count
            total += len(fresh)
            latencies = [sample.seconds * 1000 for sample in fresh]
            elapsed = time.perf_counter() - self.started
            phase = "warm-up" if time.perf_counter() < self.window[0] else "measuring"
            print(
                f"  {elapsed:5.1f} s {phase:<9} {len(fresh):4d} ended  p50 {percentile(latencies, 0.5):5.0f} ms  "
                f"p99 {percentile(latencies, 0.99):5.0f} ms  errors {sum(s.status != 201 for s in fresh)}  "
                f"checked in so far {total}",
                file=sys.stderr,
                flush=True,
            )


# --- where the CPU goes (Linux /proc) ----------------------------------------------------------------


def _process_stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds) of a process, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
    return command, int(rest[1]), (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(runtime_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by the API workers, the runtime's own process, MariaDB and these clients."""
    found = dict.fromkeys(("API workers", "runtime (gateway, engine, tasks)", "MariaDB"), 0.0)
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        stat = _process_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is None:
            continue
        command, parent, seconds = stat
        if runtime_pid is not None and int(entry.name) == runtime_pid:
            found["runtime (gateway, engine, tasks)"] += seconds
        elif runtime_pid is not None and parent == runtime_pid:
            found["API workers"] += seconds
        elif command in ("mariadbd", "mysqld"):
            found["MariaDB"] += seconds
    own = os.times()
    found["load clients"] = own.user + own.system
    return found


def row_locks(database_url: str) -> tuple[int, int] | None:
    """InnoDB's row lock waits so far and the milliseconds spent in them (the whole server's)."""
    if not database_url.startswith("mysql"):
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        status: dict[str, str] = dict(connection.execute(text("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_%'")).all())
    engine.dispose()
    return int(status["Innodb_row_lock_waits"]), int(status["Innodb_row_lock_time"])


# --- the tickets -------------------------------------------------------------------------------------


@dataclass
class Tickets:
    stored: int
    duplicates: int  # numbers given to more than one ticket of a (day, prefix)
    missing: int  # numbers below a (day, prefix)'s highest that no ticket has
    parked: int  # tickets their workflow parked: waiting for their call


def read_tickets(database_url: str) -> Tickets:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        groups = connection.execute(
            text(
                "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM tickets WHERE site_id = :site "
                "GROUP BY service_day, prefix"
            ),
            {"site": SITE},
        ).all()
        parked = connection.execute(
            text("SELECT COUNT(*) FROM tickets WHERE site_id = :site AND waiting_for = 'call'"), {"site": SITE}
        ).scalar_one()
    engine.dispose()
    return Tickets(
        stored=sum(count for count, _, _ in groups),
        duplicates=sum(count - distinct for count, distinct, _ in groups),
        missing=sum(highest - distinct for _, distinct, highest in groups),  # numbers start at 1
        parked=parked,
    )


def wait_parked(database_url: str, expected: int) -> tuple[Tickets, float]:
    """Poll until ``expected`` tickets are parked (the engine caught up), or give up; how long it took."""
    started = time.perf_counter()
    while True:
        tickets = read_tickets(database_url)
        waited = time.perf_counter() - started
        if tickets.parked >= expected or waited > DRAIN_TIMEOUT_SECONDS:
            return tickets, waited
        time.sleep(0.1)


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Result:
    clients: int
    api_workers: str
    database: str
    seconds: float
    latencies_ms: list[float]  # of the check-ins that ended in the measured window
    errors: Counter[str]
    answered: int  # 201 answers, warm-up included
    answered_twice: int  # numbers answered to two check-ins
    new: Tickets  # stored since the run began
    drain_seconds: float
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the measured window
    locks: tuple[int, int] | None = None  # row lock waits and their milliseconds, in the window

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def duplicates(self) -> int:
        return self.new.duplicates + self.answered_twice

    @property
    def consistent(self) -> bool:
        """No number twice, none skipped, a ticket for each 201 and no other, each parked."""
        return (
            self.duplicates == 0
            and self.new.missing == 0
            and self.new.stored == self.answered
            and self.new.parked == self.answered
        )


def run(args: argparse.Namespace) -> Result:
    from local.config import LocalSettings
    from local.tokens import KeyPair, issue_token

    state_dir = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    runtime: Runtime | None = None
    try:
        if args.url:
            database_url, api_url = args.database_url, args.url
            keys_dir = LocalSettings.from_env().state_dir / "keys"  # that runtime's token issuer
            database = "given"
        else:
            if args.sqlite:
                database_url, database = f"sqlite:///{state_dir / 'fondation.db'}", "SQLite"
            else:
                database_url, database = fresh_mysql_database(args.server, args.database), "MariaDB"
            print("starting the local runtime ...", file=sys.stderr, flush=True)
            runtime = start_runtime(state_dir, database_url, args.api_workers)
            api_url, keys_dir = runtime.api_url, state_dir / "keys"
        token = issue_token(KeyPair.load_or_create(keys_dir), ["front-desk"], "bench-desk", ttl_seconds=3600)
        before = read_tickets(database_url)  # a runtime given with --url may hold tickets already
        print(
            f"check-in load on {database}: {args.clients} clients, {args.warmup:g} s warm-up, "
            f"{args.seconds:g} s measured",
            file=sys.stderr,
            flush=True,
        )
        runtime_pid = runtime.process.pid if runtime else None
        at_start: dict[str, Any] = {}

        def window_starts() -> None:
            at_start.update(cpu=cpu_seconds(runtime_pid), locks=row_locks(database_url))

        load = Load(api_url, token, args.clients, args.warmup, args.seconds)
        load.run(at_window_start=window_starts)
        # read when the last client has its answer, a moment after the window: under 1 % more at 30 s
        cpu_end, locks_end = cpu_seconds(runtime_pid), row_locks(database_url)
        samples = load.samples()
        answered = sum(1 for sample in samples if sample.status == 201)
        print("waiting for the workflows to park every ticket ...", file=sys.stderr, flush=True)
        after, drain = wait_parked(database_url, before.parked + answered)
    finally:
        if runtime is not None:
            runtime.stop()
        if args.keep:
            print(f"state directory kept: {state_dir}", file=sys.stderr)
        else:
            shutil.rmtree(state_dir, ignore_errors=True)

    numbers = Counter(sample.number for sample in samples if sample.number is not None)
    start, end = load.window
    return Result(
        clients=args.clients,
        api_workers="default" if args.api_workers is None else str(args.api_workers),
        database=database,
        seconds=end - start,
        latencies_ms=[s.seconds * 1000 for s in samples if s.status == 201 and start <= s.ended <= end],
        errors=Counter(sample.error or str(sample.status) for sample in samples if sample.status != 201),
        answered=answered,
        answered_twice=sum(count - 1 for count in numbers.values()),
        new=Tickets(
            stored=after.stored - before.stored,
            duplicates=after.duplicates - before.duplicates,
            missing=after.missing - before.missing,
            parked=after.parked - before.parked,
        ),
        drain_seconds=drain,
        cpu={name: cpu_end[name] - at_start["cpu"][name] for name in cpu_end} if "cpu" in at_start else {},
        locks=(
            (locks_end[0] - at_start["locks"][0], locks_end[1] - at_start["locks"][1])
            if locks_end and at_start.get("locks")
            else None
        ),
    )


def report(result: Result) -> str:
    latencies = result.latencies_ms
    errors = ", ".join(f"{count} x {kind}" for kind, count in sorted(result.errors.items())) or "none"
    lines = [
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {result.database}",
        "",
        "| clients | API workers | measured | check-ins | check-ins/s | p50 | p99 | max | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {result.clients} | {result.api_workers} | {result.seconds:.0f} s | {len(latencies)} | "
        f"{result.per_second:.1f} | {percentile(latencies, 0.5):.0f} ms | {percentile(latencies, 0.99):.0f} ms | "
        f"{max(latencies, default=float('nan')):.0f} ms | {errors} |",
        "",
        "| tickets stored | 201 answers | duplicate numbers | missing numbers | parked by their workflow | "
        "engine caught up |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {result.new.stored} | {result.answered} | {result.duplicates} | {result.new.missing} | "
        f"{result.new.parked} | {result.drain_seconds:.1f} s after the load |",
    ]
    checkins = len(latencies)
    if result.cpu and checkins:
        per_checkin = ", ".join(f"{name} {seconds / checkins * 1000:.1f}" for name, seconds in result.cpu.items())
        total = sum(result.cpu.values())
        lines += [
            "",
            f"CPU per check-in (ms): {per_checkin}; total {total / checkins * 1000:.1f} "
            f"(busy cores: {total / result.seconds:.2f} of {os.cpu_count()})",
        ]
    if result.locks and checkins:
        waits, milliseconds = result.locks
        lines.append(
            f"InnoDB row lock waits: {waits} ({waits / checkins:.2f} per check-in), "
            f"{milliseconds / max(waits, 1):.1f} ms each on average"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.checkin_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, help="front desks checking people in at once (16; quick: 8)")
    parser.add_argument("--seconds", type=float, help="the measured time (30; quick: 3)")
    parser.add_argument("--warmup", type=float, help="seconds of load before measuring (3; quick: 2): cold starts")
    parser.add_argument("--quick", action="store_true", help="rough figures in seconds: the quick defaults")
    parser.add_argument("--api-workers", type=int, help="passed to python -m local serve (default: its own)")
    parser.add_argument("--sqlite", action="store_true", help="the runtime's own SQLite file instead of MariaDB")
    parser.add_argument("--server", default=DEFAULT_SERVER, help=f"the MariaDB server ({DEFAULT_SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"the database emptied for the run ({DATABASE})")
    parser.add_argument("--url", help="the API of a runtime already running (with --database-url)")
    parser.add_argument("--database-url", help="with --url: that runtime's DATABASE_URL, to read its tickets")
    parser.add_argument("--keep", action="store_true", help="keep the state directory and its runtime.log")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():  # what is given on the command line wins
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (to read the tickets it stored)")
    return args


def main(argv: list[str] | None = None) -> int:
    result = run(parse(argv))
    print()
    print(report(result))
    if not result.consistent:
        print("\nFAILED: tickets duplicated, missing, not answered or not parked (above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
