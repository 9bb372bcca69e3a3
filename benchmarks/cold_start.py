"""What our own code adds to a Lambda cold start, beside the libraries it needs.

    .venv/bin/python -m benchmarks.cold_start            # 15 fresh interpreters per measurement
    .venv/bin/python -m benchmarks.cold_start --runs 31

For each function module it measures, in fresh interpreters, the CPU time to import the module and
the CPU time to import exactly the library modules that import pulled in (everything outside
``lambdas``/``workflows``), in pairs run back to back (``--runs`` pairs). What the module adds over
its libraries is our code; the goal is at most 15% (median over the pairs). It also lists modules a function must
not import at cold start (the X-Ray SDK, boto3 where no client is called, other workflows' code).
Results go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OWN = ("lambdas", "workflows")
GOAL = 0.15

# function module → what it must not import at cold start (tests/unit/test_cold_start.py checks it too)
FUNCTIONS = {
    "lambdas.tasks.client_onboarding": (
        "aws_xray_sdk", "boto3", "lambdas.api", "lambdas.shared.onboarding.intake", "lambdas.shared.onboarding.views",
    ),
    "lambdas.api.app": ("aws_xray_sdk", "boto3", "lambdas.tasks", "lambdas.shared.onboarding.steps"),
}  # fmt: skip

PROBE = """
import importlib, json, sys, time
before = set(sys.modules)
started = time.process_time()
importlib.import_module({module!r})
elapsed = time.process_time() - started
print(json.dumps({{"seconds": elapsed, "modules": [m for m in sys.modules if m not in before]}}))
"""

LIBRARIES = """
import importlib, json, time
names = {names!r}
started = time.process_time()
for name in names:
    importlib.import_module(name)
print(json.dumps({{"seconds": time.process_time() - started}}))
"""


@dataclass
class Measure:
    module: str
    own_ms: float
    libraries_ms: float
    overhead: float  # median over the pairs: each pair ran back to back, under the same load
    forbidden: list[str]


def _run(code: str) -> dict:
    # the environment a deployed function has: Powertools configured, tracing decided at first call
    env = {
        **os.environ,
        "POWERTOOLS_SERVICE_NAME": "fondation",
        "POWERTOOLS_METRICS_NAMESPACE": "Fondation",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(module: str, runs: int) -> Measure:
    first = _run(PROBE.format(module=module))
    libraries = [name for name in first["modules"] if not name.startswith(OWN) and not name.startswith("_")]
    forbidden = [
        name
        for name in FUNCTIONS[module]
        if any(loaded == name or loaded.startswith(f"{name}.") for loaded in first["modules"])
    ]
    own, libs = [], []
    for _ in range(runs):
        own.append(_run(PROBE.format(module=module))["seconds"])
        libs.append(_run(LIBRARIES.format(names=libraries))["seconds"])
    overhead = statistics.median((mine - theirs) / theirs for mine, theirs in zip(own, libs, strict=True))
    return Measure(module, statistics.median(own) * 1000, statistics.median(libs) * 1000, overhead, forbidden)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per measurement (default 15)")
    args = parser.parse_args()
    results = []
    for module in FUNCTIONS:
        print(f"measuring {module} ({args.runs} runs) ...", file=sys.stderr, flush=True)
        results.append(measure(module, args.runs))
    print("\n| function module | import | its libraries alone | our code adds | must not import, found |")
    print("|---|---:|---:|---:|---|")
    for result in results:
        verdict = "within" if result.overhead <= GOAL else "OVER"
        print(
            f"| `{result.module}` | {result.own_ms:.0f} ms | {result.libraries_ms:.0f} ms | "
            f"{result.overhead:+.1%} ({verdict} {GOAL:.0%}) | {', '.join(result.forbidden) or 'none'} |"
        )


if __name__ == "__main__":
    main()
