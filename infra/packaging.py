"""The functions' code and their dependency layer, built without Docker.

The layer holds ``requirements.txt`` installed from wheels for the Lambda platform (manylinux,
aarch64, CPython 3.11) and compiled to ``.pyc``: a layer without them imports 2 to 3 times slower at cold
start. It is built once per version of ``requirements.txt`` and reused (``build/layer/<hash>``).
"""

from __future__ import annotations

import compileall
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
REQUIREMENTS = REPO / "requirements.txt"
# The CA bundle that verifies Aurora's TLS certificate (not in Lambda's trust store): `make rds-ca` fetches it
RDS_CA_BUNDLE = BUILD / "rds-ca" / "global-bundle.pem"
CA_BUNDLE_IN_ASSET = "certs/rds-global-bundle.pem"
PLATFORM = ("--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.11")


def layer_directory() -> Path:
    """The layer's asset folder (``python/`` inside, as Lambda expects), built on first use."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    target = BUILD / "layer" / digest
    if (target / "python").is_dir():
        return target
    print(f"building the Lambda layer from {REQUIREMENTS.name} for arm64 (once per version) ...", file=sys.stderr)
    (BUILD / "layer").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="layer-", dir=BUILD / "layer"))
    try:
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        wheels = [*PLATFORM, "--only-binary=:all:", "--target", str(staging / "python"), "-r", str(REQUIREMENTS)]
        subprocess.run([*install, *wheels], check=True)  # noqa: S603 - our own interpreter and files
        _compile(staging / "python")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def code_directory() -> Path:
    """The functions' code: the ``lambdas`` package, compiled, and the RDS CA bundle when fetched."""
    target = BUILD / "code"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPO / "lambdas", target / "lambdas", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if RDS_CA_BUNDLE.exists():
        (target / CA_BUNDLE_IN_ASSET).parent.mkdir(parents=True)
        shutil.copy(RDS_CA_BUNDLE, target / CA_BUNDLE_IN_ASSET)
    _compile(target)
    return target


def _compile(directory: Path) -> None:
    if not compileall.compile_dir(directory, quiet=1, workers=0, optimize=0):
        raise SystemExit(f"could not compile {directory}")
