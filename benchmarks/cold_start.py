"""What our own code adds to each function's cold start, measured on what Lambda runs.

    .venv/bin/python -m benchmarks.cold_start            # 15 fresh interpreters per function
    .venv/bin/python -m benchmarks.cold_start --runs 31
    .venv/bin/python -m benchmarks.cold_start --own lambdas.api.app   # our modules' import times (-X importtime)

What it imports is the packaged asset, as Lambda unpacks it: the functions' code and the layer built
by ``infra/packaging.py`` (bytecode hash-based, unchecked), zipped with every file dated 1980-01-01
as the CDK CLI zips them, and unpacked with those dates into a temporary ``var/task`` and ``opt``.
The layer is built for this machine's platform (``layer_directory(platform)``: the same requirements,
wheels and compilation; arm64 extensions cannot be imported on x86_64). Each interpreter is fresh
and sees what a function sees: ``var/task`` then ``opt/python`` on ``PYTHONPATH``, no site-packages
(``-S``: nothing of the virtualenv), no bytecode written (``-B``: Lambda's disk is read-only), no
working directory on the path (``-P``), and the environment CDK gives a function, nothing else.

For each function's handler module, a first interpreter lists the library modules its import pulls
in (everything outside ``lambdas``/``workflows``, the standard library's included). Then each run
(``--runs``) imports, in a fresh interpreter, those libraries alone, then the module: the first CPU
time is the libraries', the second our code's own work (its module bodies, and what they make the
libraries do: building models, mapping tables), both under the same load; their sum is the
function's init. The API imports a route module when a request first reaches one of its routes: it
is measured alone, and then with each route module, as a cold start that serves a request. Our
code's share is the median over the runs of the second over the first; the goal is at most 10% for
every function. It also lists modules a function must not import at cold start
(the X-Ray SDK, boto3 where the first request calls no AWS service, other functions' code), and any
source compiled at import (none: else the asset's bytecode is not what Lambda can use). Results go
in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lambdas.api.routes import MODULES as ROUTE_MODULES

REPO = Path(__file__).resolve().parent.parent
OWN = ("lambdas", "workflows")
GOAL = 0.10
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the CDK CLI's date for every file of an asset

# Every function's handler module (a workflow's tasks share their module: tests/unit/test_cold_start.py
# checks every declared task's is here) → what it must not import at cold start.
FUNCTIONS = {
    "lambdas.api.app": ("aws_xray_sdk", "boto3", "lambdas.tasks", *(f"lambdas.api.routes.{m}" for m in ROUTE_MODULES)),
    "lambdas.tasks.client_onboarding": (
        "aws_xray_sdk", "boto3", "lambdas.api", "lambdas.shared.onboarding.intake", "lambdas.shared.onboarding.views",
        "lambdas.shared.orders", "lambdas.shared.db.orders",
    ),
    "lambdas.tasks.order_fulfilment": ("aws_xray_sdk", "boto3", "lambdas.api", "lambdas.shared.onboarding"),
    "lambdas.tasks.queue_progression": ("aws_xray_sdk", "boto3", "lambdas.api", "lambdas.shared.onboarding"),
    "lambdas.migrations.handler": ("aws_xray_sdk", "boto3", "lambdas.api", "lambdas.tasks"),
    "lambdas.dispatcher.handler": ("aws_xray_sdk", "boto3", "lambdas.api", "lambdas.tasks"),
}  # fmt: skip

# The API imports a route module when a request first reaches one of its routes (lambdas.api.routes):
# a cold start that serves a request pays for that module too, which must not load what only some of
# its routes use.
FIRST_REQUEST = (
    "aws_xray_sdk", "boto3", "lambdas.tasks", "lambdas.shared.onboarding.steps", "lambdas.shared.erasure",
    "lambdas.shared.executions.operating",
)  # fmt: skip

# What Lambda's runtime has imported when it imports the handler: an interpreter's start (site, but
# -S keeps the virtualenv's packages out) and its bootstrap's own (awslambdaric/bootstrap.py)
RUNTIME = "import decimal, importlib, json, logging, os, site, sys, time, traceback"

PROBE = """
before = set(sys.modules)
started = time.process_time()
for module in {modules!r}:
    importlib.import_module(module)
elapsed = time.process_time() - started
print(json.dumps({{"seconds": elapsed, "modules": [m for m in sys.modules if m not in before]}}))
"""

# The libraries first, then the module: what the module adds is our code's own work (its bodies, and
# what they make the libraries do), measured in the same interpreter as the libraries it is set against
SPLIT = """
names = {names!r}
started = time.process_time()
for name in names:
    importlib.import_module(name)
libraries = time.process_time() - started
for module in {modules!r}:
    importlib.import_module(module)
print(json.dumps({{"libraries": libraries, "ours": time.process_time() - started - libraries}}))
"""


@dataclass(frozen=True)
class Lambda:
    """A function's file system as Lambda lays it out: the code in ``task``, the layer in ``opt``."""

    root: Path

    @property
    def task(self) -> Path:
        return self.root / "var" / "task"

    @property
    def opt(self) -> Path:
        return self.root / "opt"

    def run(self, arguments: list[str]) -> subprocess.CompletedProcess[str]:
        """``python <arguments>`` in a fresh interpreter that sees what a function sees."""
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": f"{self.task}:{self.opt / 'python'}",
            "LAMBDA_TASK_ROOT": str(self.task),
            "AWS_REGION": "eu-west-3",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "POWERTOOLS_SERVICE_NAME": "fondation-bench",
            "POWERTOOLS_METRICS_NAMESPACE": "Fondation",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        command = [sys.executable, "-S", "-B", "-P", *arguments]
        result = subprocess.run(command, cwd=self.root, env=environment, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(arguments)} failed:\n{result.stderr}")
        return result


def unpacked(root: Path) -> Lambda:
    """The code and a layer for this machine, zipped and unpacked into ``root`` as Lambda would."""
    from infra.packaging import code_directory, layer_directory

    if sys.version_info[:2] != (3, 11):
        raise SystemExit("the functions run on Python 3.11: run the benchmark with it (.venv/bin/python)")
    function = Lambda(root)
    layer = layer_directory(f"manylinux2014_{platform.machine()}")
    _unzip(_zip(layer, root / "layer.zip"), function.opt)
    _unzip(_zip(code_directory(), root / "code.zip"), function.task)
    return function


def _zip(directory: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                entry = zipfile.ZipInfo(str(path.relative_to(directory)), date_time=ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                zipped.writestr(entry, path.read_bytes())
    return archive


def _unzip(archive: Path, directory: Path) -> None:
    """Unpacked with the zip's dates (``extractall`` would date the files now)."""
    dated = calendar.timegm((*ZIP_DATE, 0, 0, 0))
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(directory)
    for path in directory.rglob("*"):
        os.utime(path, (dated, dated))
    archive.unlink()


@dataclass(frozen=True)
class ColdStart:
    """What a cold start imports, in order, and what it must not."""

    modules: tuple[str, ...]
    forbidden: tuple[str, ...]

    @property
    def label(self) -> str:
        return " + ".join(f"`{module}`" for module in self.modules)


def cold_starts() -> list[ColdStart]:
    """Every function's, then the API's with the route module of its first request, for each."""
    handlers = [ColdStart((module,), forbidden) for module, forbidden in FUNCTIONS.items()]
    requests = [ColdStart(("lambdas.api.app", f"lambdas.api.routes.{m}"), FIRST_REQUEST) for m in ROUTE_MODULES]
    return handlers + requests


@dataclass
class Measure:
    label: str
    init_ms: float
    libraries_ms: float
    overhead: float  # median over the runs of our code's time over the libraries'
    forbidden: list[str]
    compiled: list[str]


def _probe(function: Lambda, code: str) -> dict:
    return json.loads(function.run(["-c", RUNTIME + code]).stdout.strip().splitlines()[-1])


def measure(function: Lambda, start: ColdStart, runs: int) -> Measure:
    modules = list(start.modules)
    first = _probe(function, PROBE.format(modules=modules))
    libraries = [name for name in first["modules"] if not name.startswith(OWN) and not name.startswith("_")]
    forbidden = [
        name
        for name in start.forbidden
        if any(loaded == name or loaded.startswith(f"{name}.") for loaded in first["modules"])
    ]
    splits = [_probe(function, SPLIT.format(names=libraries, modules=modules)) for _ in range(runs)]
    overhead = statistics.median(run["ours"] / run["libraries"] for run in splits)
    init = statistics.median(run["libraries"] + run["ours"] for run in splits) * 1000
    alone = statistics.median(run["libraries"] for run in splits) * 1000
    return Measure(start.label, init, alone, overhead, forbidden, compiled_when_imported(function, modules))


def compiled_when_imported(function: Lambda, modules: list[str]) -> list[str]:
    """The sources compiled by importing ``modules``: none, if the asset's bytecode is valid where
    Lambda unpacks it (``-v`` says where each module's code object comes from)."""
    report = function.run(["-v", "-c", f"{RUNTIME}; import {', '.join(modules)}"]).stderr
    loaded = [line.split("'")[1] for line in report.splitlines() if line.startswith("# code object from '")]
    return [path for path in loaded if path.endswith(".py")]


IMPORT_TIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def own_modules(function: Lambda, module: str, top: int = 25) -> str:
    """Our modules that cost the most to import (self time, µs, one run: rough), as ``-X importtime``
    reports them."""
    report = function.run(["-X", "importtime", "-c", f"{RUNTIME}; import {module}"]).stderr
    rows = [IMPORT_TIME.match(line) for line in report.splitlines()]
    ours = sorted((int(row[1]), int(row[2]), row[4]) for row in rows if row and row[4].startswith(OWN))[::-1]
    lines = [f"{'self µs':>8} {'cumulative':>10}  module", *(f"{s:>8} {c:>10}  {n}" for s, c, n in ours[:top])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per function (default 15)")
    parser.add_argument("--own", metavar="MODULE", help="list what our modules cost MODULE instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as root:
        function = unpacked(Path(root))
        if args.own:
            print(own_modules(function, args.own))
            return
        results = []
        for start in cold_starts():
            print(f"measuring {start.label} ({args.runs} runs) ...", file=sys.stderr, flush=True)
            results.append(measure(function, start, args.runs))
    print("\n| function: handler module (+ first request's) | init: import | libraries alone | our code adds | found |")
    print("|---|---:|---:|---:|---|")
    for result in results:
        verdict = "within" if result.overhead <= GOAL else "OVER"
        print(
            f"| {result.label} | {result.init_ms:.0f} ms | {result.libraries_ms:.0f} ms | "
            f"{result.overhead:+.1%} ({verdict} {GOAL:.0%}) | {', '.join(result.forbidden) or 'none'} |"
        )
    for result in results:
        if result.compiled:  # the asset's bytecode is not what Lambda can use: the figures are not Lambda's
            print(f"{result.label} compiled {len(result.compiled)} sources: {result.compiled[:3]} ...")


if __name__ == "__main__":
    main()
