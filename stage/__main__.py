"""``python -m stage preflight --stage dev``: what the account needs before the first deploy.
``python -m stage smoke --stage dev``: a deployed stage serves a client end to end (``--stage local``:
the same steps against ``make dev``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import urlparse

LOCAL = "local"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    preflight = commands.add_parser("preflight", help="check the AWS account a stage deploys to (reads only)")
    preflight.add_argument("--stage", required=True, help="a stage of infra/settings.py: dev or prod")
    smoke = commands.add_parser(
        "smoke", help="onboard and erase a throwaway client through a running stage's API, as a throwaway user"
    )
    smoke.add_argument(
        "--stage",
        required=True,
        help=f"a deployed stage (dev, prod: its stack's outputs give the API and the user pool), or {LOCAL} "
        "(make dev's API and its token issuer)",
    )
    smoke.add_argument("--api-url", help="the API's URL (default: the stack's ApiUrl output, or make dev's)")
    smoke.add_argument(
        "--wait", type=float, default=None, metavar="SECONDS", help="how long the onboarding may take (default: 180)"
    )
    args = parser.parse_args(argv)
    if args.command == "preflight":
        return run_preflight(args.stage)
    return run_smoke(args.stage, args.api_url, args.wait)


def _settings(name: str, *others: str) -> Any:
    from infra.settings import STAGES

    if name not in STAGES:
        raise SystemExit(
            f"--stage: no stage {name!r} in infra/settings.py (choose one of {', '.join([*STAGES, *others])})"
        )
    return STAGES[name]


def _clients(region: str) -> Any:
    import boto3

    session = boto3.session.Session(region_name=region)
    return lambda service: session.client(service)


def run_preflight(stage: str) -> int:
    from stage.preflight import preflight

    settings = _settings(stage)
    return preflight(settings, _clients(settings.region), sys.stdout)


def run_smoke(stage: str, api_url: str | None, wait: float | None) -> int:
    from stage.smoke import DEFAULT_WAIT_SECONDS, Api, CognitoIdentity, Identity, LocalIdentity, Smoke, new_run

    run = new_run()
    identity: Identity
    if stage == LOCAL:
        from local.config import LocalSettings

        local = LocalSettings.from_env()
        api_url = api_url or f"http://{local.host}:{local.api_port}"
        identity = LocalIdentity(local.state_dir, f"smoke-{run}")
    else:
        from botocore.exceptions import BotoCoreError, ClientError

        from stage.preflight import read_stack_outputs, stack_name

        settings = _settings(stage, LOCAL)
        clients = _clients(settings.region)
        try:
            outputs = read_stack_outputs(clients("cloudformation"), stack_name(settings))
        except (ClientError, BotoCoreError) as error:
            raise SystemExit(f"cannot read the stack {stack_name(settings)}'s outputs: {error}") from None
        if outputs is None:
            raise SystemExit(f"{stack_name(settings)} is not deployed in {settings.region}: deploy it first")
        api_url = api_url or outputs["ApiUrl"]
        identity = CognitoIdentity(
            clients("cognito-idp"), outputs["UserPoolId"], outputs["FrontEndClientId"], f"smoke-{run}"
        )
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SystemExit(f"--api-url: {api_url!r} is not an http(s) URL")
    print(f"smoke test {run} of {stage}: {api_url}", flush=True)
    smoke = Smoke(
        Api(api_url.rstrip("/")),
        identity,
        sys.stdout,
        wait_seconds=DEFAULT_WAIT_SECONDS if wait is None else wait,
        run=run,
    )
    return smoke.main()


if __name__ == "__main__":
    sys.exit(main())
