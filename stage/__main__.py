"""``python -m stage preflight --stage dev``: what the account needs before the first deploy.
``python -m stage smoke --stage dev``: a deployed stage serves a client end to end (``--stage local``:
the same steps against ``make dev``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

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
    smoke.add_argument(
        "--api-url",
        help="the API's URL (default: the console's origin + /api, as browsers call it, or make dev's); a deployed "
        "stage's must be https on the host of the stack's ApiUrl or ConsoleUrl",
    )
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
        refuse(f"--stage: no stage {name!r} in infra/settings.py (choose one of {', '.join([*STAGES, *others])})")
    return STAGES[name]


def refuse(message: str) -> NoReturn:
    """What the run cannot start with (a stage, a profile, a URL): said, and exit 2, as for an account
    out of reach; 1 is for a check or a step that failed."""
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)


def _clients(region: str) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.session.Session(region_name=region)
    except BotoCoreError as error:  # AWS_PROFILE names a profile this machine does not have
        refuse(f"AWS credentials: {error} (create it with aws configure --profile NAME, or set AWS_PROFILE to one)")
    return lambda service: session.client(service)


def run_preflight(stage: str) -> int:
    from stage.preflight import preflight

    settings = _settings(stage)
    return preflight(settings, _clients(settings.region), sys.stdout)


# What the smoke test reads of a deployed stack
SMOKE_OUTPUTS = ("ApiUrl", "ConsoleUrl", "UserPoolId", "FrontEndClientId")


def run_smoke(stage: str, api_url: str | None, wait: float | None) -> int:
    from stage.smoke import DEFAULT_WAIT_SECONDS, Api, Smoke, new_run

    run = new_run()
    url, identity = _local_target(api_url, run) if stage == LOCAL else _deployed_target(stage, api_url, run)
    print(f"smoke test {run} of {stage}: {url}", flush=True)
    smoke = Smoke(
        Api(url),
        identity,
        sys.stdout,
        wait_seconds=DEFAULT_WAIT_SECONDS if wait is None else wait,
        run=run,
    )
    try:
        return smoke.main()
    except KeyboardInterrupt:
        print("smoke test interrupted (what it made is taken back above)", flush=True)
        return 130


def _local_target(api_url: str | None, run: str) -> tuple[str, Any]:
    from local.config import LocalSettings
    from stage.smoke import LocalIdentity

    local = LocalSettings.from_env()
    url = _api_base(api_url or f"http://{local.host}:{local.api_port}")
    return url, LocalIdentity(local.state_dir, f"smoke-{run}")


def _deployed_target(stage: str, api_url: str | None, run: str) -> tuple[str, Any]:
    """The API's base URL (by default the console's origin and CloudFront's /api/, the browsers'
    path) and the Cognito user, from the stack's outputs; the run refused, before anything is made,
    for an --api-url the ID token must not go to."""
    from botocore.exceptions import BotoCoreError, ClientError

    from stage.preflight import read_stack_outputs, stack_name
    from stage.smoke import CognitoIdentity, console_api

    settings = _settings(stage, LOCAL)
    clients = _clients(settings.region)
    name = stack_name(settings)
    try:
        outputs = read_stack_outputs(clients("cloudformation"), name)
    except (ClientError, BotoCoreError) as error:
        refuse(f"cannot read the stack {name}'s outputs: {error}")
    if outputs is None:
        refuse(f"{name} is not deployed in {settings.region}: deploy it first")
    missing = [output for output in SMOKE_OUTPUTS if not outputs.get(output)]
    if missing:
        refuse(f"the stack {name} has no output {', '.join(missing)}: deploy this checkout's stack")
    url = _api_base(api_url or console_api(outputs["ConsoleUrl"]), [outputs["ApiUrl"], outputs["ConsoleUrl"]])
    cognito = clients("cognito-idp")
    return url, CognitoIdentity(cognito, outputs["UserPoolId"], outputs["FrontEndClientId"], f"smoke-{run}")


def _api_base(url: str, token_hosts: list[str] | None = None) -> str:
    """The URL checked before anything is made (stage.smoke.api_base), or the run refused."""
    from stage.smoke import api_base

    try:
        return api_base(url, token_hosts)
    except ValueError as error:
        refuse(f"--api-url: {error}")


if __name__ == "__main__":
    sys.exit(main())
