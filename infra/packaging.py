"""The functions' code and their dependency layer, built without Docker.

The layer holds ``requirements.txt`` installed from wheels for the Lambda platform (manylinux,
aarch64, CPython 3.11) and compiled to ``.pyc``: a layer without them imports 2 to 3 times slower at
cold start. Both folders are named by a hash of what goes in, built once, and published with an
atomic rename, so concurrent synths (parallel tests, two terminals) never see a half-built folder.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import py_compile
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
REQUIREMENTS = REPO / "requirements.txt"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
# The CA bundle that verifies Aurora's TLS certificate (Lambda's trust store lacks the RDS CAs): AWS's
# public global bundle, kept here and pinned, since a function without it fails every connection.
# `make rds-ca` fetches AWS's current one and prints the checksum to pin when AWS adds CAs.
RDS_CA_BUNDLE = REPO / "infra" / "certs" / "rds-global-bundle.pem"
RDS_CA_SHA256 = "fefac91d6800404461cece76724bc0a2383f4f556a1c9beb0813fac6f2e1e49f"
CA_BUNDLE_IN_ASSET = "certs/rds-global-bundle.pem"

# Bytecode checked by nothing but its source's presence: Lambda unpacks a zip whose files the CDK CLI
# dates 1980-01-01, so a timestamp-checked .pyc would be stale there and every import compile again.
# A hash-based, unchecked one is valid whatever the dates (and the same bytes on every build).
BYTECODE = py_compile.PycInvalidationMode.UNCHECKED_HASH


def layer_directory(platform: str = LAMBDA_PLATFORM) -> Path:
    """The layer's asset folder (``python/`` inside, as Lambda expects). Another ``platform`` gives the
    same layer for that machine: the cold-start benchmark's, which cannot import arm64 extensions."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + BYTECODE.name.encode() + platform.encode()).hexdigest()[:16]

    def build(staging: Path) -> None:
        print(f"building the {platform} layer from {REQUIREMENTS.name} (once per version) ...", file=sys.stderr)
        # --no-compile: pip's own bytecode is timestamp-checked, stale under the zip's dates, and
        # compileall keeps what it finds up to date
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        wheels = ["--platform", platform, "--implementation", "cp", "--python-version", "3.11", "--only-binary=:all:"]
        wheels += ["--target", str(staging / "python"), "-r", str(REQUIREMENTS)]
        subprocess.run([*install, *wheels], check=True)  # noqa: S603 - our own interpreter and files
        _compile(staging / "python", "/opt/python")

    return _built(BUILD / "layer" / digest, build)


# The functions' packages: their code, and the workflow declarations their names come from.
CODE_PACKAGES = ("lambdas", "workflows")


def code_directory() -> Path:
    """The functions' code: ``CODE_PACKAGES``, compiled, and the RDS CA bundle."""
    sources = sorted(
        path for package in CODE_PACKAGES for path in (REPO / package).rglob("*") if path.is_file() and _is_source(path)
    )
    _check_rds_ca_bundle(RDS_CA_BUNDLE)
    digest = hashlib.sha256(BYTECODE.name.encode())
    for path in [*sources, RDS_CA_BUNDLE]:
        digest.update(str(path.relative_to(path.anchor)).encode())
        digest.update(path.read_bytes())

    def build(staging: Path) -> None:
        for package in CODE_PACKAGES:
            shutil.copytree(REPO / package, staging / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (staging / CA_BUNDLE_IN_ASSET).parent.mkdir(parents=True)
        shutil.copy(RDS_CA_BUNDLE, staging / CA_BUNDLE_IN_ASSET)
        _compile(staging, "/var/task")

    code = _built(BUILD / "code" / digest.hexdigest()[:16], build)
    _check_rds_ca_bundle(code / CA_BUNDLE_IN_ASSET)  # the one deployed, from a build kept since too
    return code


def _check_rds_ca_bundle(bundle: Path) -> None:
    """A synth error, not a deploy that fails TLS verification after the cluster's ten minutes."""
    if not bundle.is_file():
        raise SystemExit(f"the RDS CA bundle {bundle} is missing: restore it from git, or run `make rds-ca`")
    found = hashlib.sha256(bundle.read_bytes()).hexdigest()
    if found != RDS_CA_SHA256:
        raise SystemExit(
            f"the RDS CA bundle {bundle} is not the one pinned (sha256 {found}, pinned {RDS_CA_SHA256}): "
            "restore it from git, or, after `make rds-ca`, pin the new checksum in infra/packaging.py"
        )


def _is_source(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix != ".pyc"


CONSOLE = REPO / "console"


def console_directory() -> Path:
    """The console's files under ``console/``, as its ``package.json`` lists them (``served``) and the
    local runtime serves them (the layout library from ``console/node_modules``: ``make test`` and
    ``make dev`` install it)."""
    served = json.loads((CONSOLE / "package.json").read_text(encoding="utf-8"))["served"]
    files = {name: CONSOLE / path for name, path in served.items()}
    missing = [str(path) for path in files.values() if not path.exists()]
    if missing:
        raise SystemExit(f"the console is missing {', '.join(missing)}: run `npm ci --prefix console`")
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(name.encode())
        digest.update(path.read_bytes())

    def build(staging: Path) -> None:
        for name, path in files.items():
            (staging / "console" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / "console" / name)

    return _built(BUILD / "console" / digest.hexdigest()[:16], build)


def _built(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, built by ``build`` into a staging folder and renamed into place if not there yet."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        build(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not a concurrent build that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _compile(directory: Path, unpacked_at: str) -> None:
    """Compile ``directory``, its files named where Lambda unpacks them (not where they were built:
    the same bytes from every build)."""
    compiled = compileall.compile_dir(
        directory,
        quiet=1,
        workers=0,
        optimize=0,
        invalidation_mode=BYTECODE,
        stripdir=str(directory),
        prependdir=unpacked_at,
    )
    if not compiled:
        raise SystemExit(f"could not compile {directory}")
