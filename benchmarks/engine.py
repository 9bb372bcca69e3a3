"""How fast the local Step Functions engine runs workflows, in-process and over HTTP, persistence on.

    .venv/bin/python -m benchmarks.engine            # full run (about two minutes)
    .venv/bin/python -m benchmarks.engine --quick    # fewer executions

For each workflow in ``benchmarks/engine_workflows`` it reports the median and p90 latency of one
execution run alone, the overhead per state transition (latency / states entered), and throughput
(executions per second with many started at once). In-process means the engine API called directly;
HTTP means boto3 against ``python -m local serve`` in another process, polling DescribeExecution.
Against moto: the JSONPath six-state workflow (moto runs no JSONata) on moto's interpreter and on the
engine as other projects' tests use it (``local/sfn/testing.py``: store in memory), each through its
own boto3 client in this process, the same trivial handler behind both; then the engine's API called
without the client, polled the same way.
Results go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "benchmarks.engine_workflows"
WORKFLOWS = [
    "bench-six-states",
    "bench-six-states-jsonpath",
    "bench-twenty-pass",
    "bench-choice-loop",
    "bench-map-hundred",
]
AGAINST_MOTO = "six_states_jsonpath.asl.json"
MOTO_ROLE = "arn:aws:iam::123456789012:role/bench"
INPUT = json.dumps({"id": "c-1", "ok": True})
POLL = 0.0005  # seconds between two DescribeExecution calls


@dataclass
class Row:
    workflow: str
    mode: str
    transitions: int
    median_ms: float
    p90_ms: float
    per_transition_us: float
    per_second: float


def _arn(name: str) -> str:
    return f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"


def _transitions(history: list[dict]) -> int:
    return sum(1 for event in history if event["type"].endswith("StateEntered"))


def _measure(
    workflow: str,
    mode: str,
    runs: int,
    burst: int,
    run_one: Callable[[], str],
    run_many: Callable[[int], None],
    history: Callable[[str], list[dict]],
) -> Row:
    for _ in range(min(20, runs)):  # warm up: imports, caches, SQLite pages
        run_one()
    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        arn = run_one()
        latencies.append(time.perf_counter() - started)
    transitions = _transitions(history(arn))
    started = time.perf_counter()
    run_many(burst)
    per_second = burst / (time.perf_counter() - started)
    median = statistics.median(latencies)
    return Row(
        workflow, mode, transitions, median * 1000, statistics.quantiles(latencies, n=10)[-1] * 1000,
        median / transitions * 1e6, per_second,
    )  # fmt: skip


def in_process(runs: int, burst: int) -> list[Row]:
    from local import engine_host
    from workflows import all_workflows

    state_dir = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    service = engine_host.build(state_dir, all_workflows(PACKAGE))
    engine = service.engine
    engine.start()

    def history(arn: str) -> list[dict]:
        return service.GetExecutionHistory({"executionArn": arn, "maxResults": 1000})["events"]

    rows = []
    for name in WORKFLOWS:

        def run_one(name: str = name) -> str:
            arn = service.StartExecution({"stateMachineArn": _arn(name), "input": INPUT})["executionArn"]
            status = engine.wait_for(arn)
            assert status == "SUCCEEDED", status
            return arn

        def run_many(count: int, name: str = name) -> None:
            for _ in range(count):
                service.StartExecution({"stateMachineArn": _arn(name), "input": INPUT})
            assert engine.wait_idle(600)

        rows.append(_measure(name, "in-process", runs, burst, run_one, run_many, history))
        _progress(rows[-1])
    engine.shutdown()
    return rows


def over_http(runs: int, burst: int) -> list[Row]:
    import boto3

    sys.path.insert(0, str(REPO))
    from tests.e2e.conftest import start_runtime, stop_runtime

    state_dir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    server = start_runtime(state_dir, state_dir / "runtime.log", LOCAL_WORKFLOW_PACKAGES=f"workflows,{PACKAGE}")
    client = boto3.client(
        "stepfunctions", endpoint_url=server.sfn_url, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106 - any key will do locally
    )  # fmt: skip

    def history(arn: str) -> list[dict]:
        return client.get_execution_history(executionArn=arn, maxResults=1000)["events"]

    rows = []
    try:
        for name in WORKFLOWS:

            def run_one(name: str = name) -> str:
                arn = client.start_execution(stateMachineArn=_arn(name), input=INPUT)["executionArn"]
                while (status := client.describe_execution(executionArn=arn)["status"]) == "RUNNING":
                    time.sleep(POLL)
                assert status == "SUCCEEDED", status
                return arn

            def run_many(count: int, name: str = name) -> None:
                for _ in range(count):
                    client.start_execution(stateMachineArn=_arn(name), input=INPUT)
                while client.list_executions(stateMachineArn=_arn(name), statusFilter="RUNNING", maxResults=1)[
                    "executions"
                ]:
                    time.sleep(0.005)

            rows.append(_measure(name, "HTTP", runs, burst, run_one, run_many, history))
            _progress(rows[-1])
    finally:
        stop_runtime(server)
    return rows


def against_moto(runs: int) -> list[Row]:
    """The same JSONPath definition, the same handler, the same polling, on moto and on the engine."""
    import boto3
    import moto
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    from benchmarks.engine_workflows.handlers import trivial
    from local.sfn.testing import ROLE, local_stepfunctions

    text = (REPO / PACKAGE.replace(".", "/") / AGAINST_MOTO).read_text()

    def mocked_invoke(parameters: dict, region: str, state_credentials: object) -> dict:
        return {"StatusCode": 200, "Payload": trivial(parameters.get("Payload"), None)}

    def measure(mode: str, client: Any, definition: str, role: str) -> Row:
        machine = client.create_state_machine(name="six", definition=definition, roleArn=role)["stateMachineArn"]

        def run_one() -> str:
            name = uuid.uuid4().hex  # moto names every unnamed execution "None"
            arn = client.start_execution(stateMachineArn=machine, name=name, input=INPUT)["executionArn"]
            while (status := client.describe_execution(executionArn=arn)["status"]) == "RUNNING":
                time.sleep(POLL)
            assert status == "SUCCEEDED", status
            return arn

        def run_many(count: int) -> None:
            for _ in range(count):
                run_one()

        def history(arn: str) -> list[dict]:
            return client.get_execution_history(executionArn=arn, maxResults=1000)["events"]

        return _measure("bench-six-states-jsonpath", mode, runs, max(runs // 2, 10), run_one, run_many, history)

    rows = []
    original = lambda_eval_utils._invoke_lambda_function
    lambda_eval_utils._invoke_lambda_function = mocked_invoke
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            client = boto3.client("stepfunctions", region_name="us-east-1")
            function = "arn:aws:lambda:us-east-1:123456789012:function:trivial"
            mode = f"moto {moto.__version__}"
            rows.append(measure(mode, client, text.replace("${Trivial}", function), MOTO_ROLE))
            _progress(rows[-1])
    finally:
        lambda_eval_utils._invoke_lambda_function = original
    with local_stepfunctions({"trivial": trivial}) as sfn:
        engine_text = text.replace("${Trivial}", "trivial")
        rows.append(measure("engine, boto3", sfn.client, engine_text, ROLE))
        _progress(rows[-1])
        _floor(sfn.client)
        rows.append(measure("engine alone", _Direct(sfn.service), engine_text, ROLE))
        _progress(rows[-1])
    return rows


def _floor(client: Any) -> None:
    """What the polling costs whatever the engine: one call through the client, one poll's sleep."""
    call = statistics.median(_timed(client.list_state_machines) for _ in range(500))
    sleep = statistics.median(_timed(lambda: time.sleep(POLL)) for _ in range(500))
    print(f"  one boto3 call {call * 1000:.2f} ms, one poll's sleep {sleep * 1000:.2f} ms", file=sys.stderr)


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


class _Direct:
    """The engine's API called as a boto3 client is (``start_execution(**request)``), without the
    client's own cost: serialising, signing, parsing."""

    def __init__(self, service: object) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Callable[..., dict]:
        operation = getattr(self._service, "".join(word.title() for word in name.split("_")))
        return lambda **request: operation(request)


def _progress(row: Row) -> None:
    print(f"  {row.workflow:<18} {row.mode:<10} median {row.median_ms:7.2f} ms", file=sys.stderr, flush=True)


def table(rows: list[Row]) -> str:
    lines = [
        "| workflow | mode | states entered | median | p90 | per transition | executions/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.workflow} | {r.mode} | {r.transitions} | {r.median_ms:.2f} ms | {r.p90_ms:.2f} ms | "
        f"{r.per_transition_us:.0f} µs | {r.per_second:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer executions (a rough figure in seconds)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    parser.add_argument("--no-moto", action="store_true", help="skip the comparison with moto")
    args = parser.parse_args()
    runs, burst = (30, 30) if args.quick else (200, 200)
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench")
    print(f"engine benchmark: {runs} timed runs and a burst of {burst} per workflow", file=sys.stderr)
    rows = in_process(runs, burst)
    if not args.no_http:
        rows += over_http(max(runs // 2, 10), burst)
    if not args.no_moto:
        compared = against_moto(max(runs // 4, 10))
        rows += compared
        moto, *ours = compared
        ratios = " and ".join(f"{moto.median_ms / row.median_ms:.0f}x {row.mode}" for row in ours)
        print(f"  faster than moto on the same definition: {ratios}", file=sys.stderr)
    print(f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print(table(rows))


if __name__ == "__main__":
    main()
