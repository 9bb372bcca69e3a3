"""A clinic day in bursts over HTTP, against the local runtime on MariaDB: is everyone who asks served?

    .venv/bin/python -m benchmarks.clinic_bursts                 # 30 rounds, 8 counters
    .venv/bin/python -m benchmarks.clinic_bursts --quick         # 5 rounds
    .venv/bin/python -m benchmarks.clinic_bursts --rounds 100 --counters 8 --seed 7

Each round, at one site's reception: a burst of 5 to 30 check-ins sent at the same instant (half with
an Idempotency-Key, a third as priority), then every counter presses call-next at the same instant,
then each person called is marked arrived and their service completed, all at once. The script starts
``python -m local serve`` on free ports against a database of its own on the MariaDB server
(``fondation_bursts``, dropped and created again). It counts every answer by status and exits 1 on
any 5xx (a 503 that concurrency alone caused included) or any counter told that nobody waits (204)
while at least as many people waited as counters called. Results go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.checkin_load import DEFAULT_SERVER, fresh_mysql_database, start_runtime

SITE, STATION = "saint-denis", "reception"
DATABASE = "fondation_bursts"
FULL = {"rounds": 30, "counters": 8}
QUICK = {"rounds": 5, "counters": 8}


@dataclass
class Tally:
    by_route: dict[str, Counter[int]] = field(default_factory=dict)
    nobody_while_waiting: int = 0  # call-next answered 204 while at least as many waited as counters called
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, route: str, status: int) -> None:
        with self.lock:
            self.by_route.setdefault(route, Counter())[status] += 1

    def server_errors(self) -> int:
        return sum(count for statuses in self.by_route.values() for status, count in statuses.items() if status >= 500)


class Api:
    """One keep-alive connection per thread to the runtime's API, with a token."""

    def __init__(self, base_url: str, token: str, tally: Tally) -> None:
        self.url, self.token, self.tally = urlsplit(base_url), token, tally
        self.local = threading.local()

    def call(self, method: str, path: str, route: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            assert self.url.hostname is not None, self.url
            connection = self.local.connection = http.client.HTTPConnection(
                self.url.hostname, self.url.port, timeout=35
            )
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **headers}
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.local.connection = None
            connection.close()
            status, raw = 0, b""  # no answer at all: counted as such
        self.tally.count(route, status)
        return status, json.loads(raw) if raw else None


def at_once(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    start = threading.Barrier(len(items))

    def one(item: Any) -> Any:
        start.wait()
        return work(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(one, items))


def waiting(api: Api) -> int:
    status, page = api.call("GET", f"/sites/{SITE}/tickets?station_id={STATION}&status=waiting", "list (not timed)")
    return len(page["items"]) if status == 200 else -1


def round_of(api: Api, counters: list[str], chance: random.Random, tally: Tally) -> None:
    def check_in(index: int) -> None:
        body: dict[str, Any] = {"display_name": f"Person {index}"}
        if chance.random() < 0.33:
            body["priority"] = {"reason": "elderly"}
        headers = {"Idempotency-Key": str(uuid.uuid4())} if index % 2 else {}
        api.call("POST", f"/sites/{SITE}/tickets", "check-in", body, **headers)

    at_once(check_in, list(range(chance.randint(5, 30))))
    before = waiting(api)

    def call_next(counter: str) -> str | None:
        status, ticket = api.call(
            "POST", f"/sites/{SITE}/stations/{STATION}/call-next", "call-next", {"counter": counter}
        )
        return ticket["ticket_id"] if status == 200 else None

    called = at_once(call_next, counters)
    with tally.lock:
        tally.calls += len(counters)
        if before >= len(counters):
            tally.nobody_while_waiting += called.count(None)
    served = [ticket for ticket in called if ticket]
    if served:
        at_once(lambda ticket: api.call("POST", f"/tickets/{ticket}/arrived", "arrived"), served)
        at_once(lambda ticket: api.call("POST", f"/tickets/{ticket}/complete", "complete", {}), served)


def configure(manager: Api, counters: list[str]) -> None:
    status, station = manager.call(
        "PUT",
        f"/sites/{SITE}/stations/{STATION}",
        "configure (not timed)",
        {"name": "Accueil", "prefix": "A", "counters": counters},
    )
    if status != 200:
        raise SystemExit(f"could not give reception its counters: {status} {station}")


def run(args: argparse.Namespace) -> Tally:
    from local.tokens import KeyPair, issue_token

    state_dir = Path(tempfile.mkdtemp(prefix="bench-bursts-"))
    runtime = None
    tally = Tally()
    try:
        database_url = fresh_mysql_database(args.server, args.database)
        print("starting the local runtime ...", file=sys.stderr, flush=True)
        runtime = start_runtime(state_dir, database_url, None)
        keys = KeyPair.load_or_create(state_dir / "keys")
        desk = Api(runtime.api_url, issue_token(keys, ["front-desk"], "bursts-desk"), tally)
        manager = Api(runtime.api_url, issue_token(keys, ["managers"], "bursts-manager"), tally)
        counters = [f"desk-{index}" for index in range(1, args.counters + 1)]
        configure(manager, counters)
        chance = random.Random(args.seed)
        started = time.perf_counter()
        for number in range(1, args.rounds + 1):
            round_of(desk, counters, chance, tally)
            print(
                f"  round {number}/{args.rounds}: {tally.calls} calls, {tally.nobody_while_waiting} told nobody "
                f"waits while people did, {tally.server_errors()} server errors "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if runtime is not None:
            runtime.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    return tally


def report(tally: Tally, args: argparse.Namespace) -> str:
    statuses = sorted({status for counts in tally.by_route.values() for status in counts})
    lines = [
        f"{args.rounds} rounds, {args.counters} counters at reception, seed {args.seed}, MariaDB",
        "",
        "| route | " + " | ".join(str(status) for status in statuses) + " |",
        "|---|" + "---:|" * len(statuses),
    ]
    for route, counts in sorted(tally.by_route.items()):
        if "not timed" not in route:
            lines.append(f"| {route} | " + " | ".join(str(counts.get(status, 0)) for status in statuses) + " |")
    lines += [
        "",
        f"call-next: {tally.calls} calls by {args.counters} counters at once; told nobody waits while people "
        f"did: {tally.nobody_while_waiting}; server errors (5xx, 503 included): {tally.server_errors()}",
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.clinic_bursts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, help="rounds of check-ins, calls and services (30; quick: 5)")
    parser.add_argument("--counters", type=int, help="counters pressing call-next at once (8)")
    parser.add_argument("--quick", action="store_true", help="the quick defaults")
    parser.add_argument("--seed", type=int, default=24, help="the bursts' sizes and priorities (24)")
    parser.add_argument("--server", default=DEFAULT_SERVER, help=f"the MariaDB server ({DEFAULT_SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"the database emptied for the run ({DATABASE})")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    tally = run(args)
    print()
    print(report(tally, args))
    if tally.server_errors() or tally.nobody_while_waiting:
        print("\nFAILED: a server error, or a counter told nobody waits while people did (above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
