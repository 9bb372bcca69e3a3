"""The local runtime: `serve` runs the whole system on this machine; the other commands work with a
running one (tokens, the mailbox, the clock, a drill's fault) or start it afresh (reset)."""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
from pathlib import Path
from types import FrameType

from local.config import DEFAULT_API_PORT, DEFAULT_SFN_PORT, SETTINGS_FILE, ExposureRefused, LocalSettings
from local.drills import FAULT_ERROR
from local.mailbox import mailbox_directory
from local.sfn.files import is_private, make_private_directory, make_private_file
from local.sfn.http import base_url

# Two cores are the common laptop (and CI machine): a request spends much of its time waiting for the
# database and Step Functions, so a container more than cores keeps both busy. A request that finds
# all busy for a while gets one more, up to the limit: one that needs no database is not held behind
# ones stuck on it.
DEFAULT_API_WORKERS = 3
API_CONCURRENCY = 10
LOCAL_DOCS = "lambdas.api.app.enable_local_docs"  # each container serves Swagger UI, as this process declares it

# What the AWS CLI and boto3 need to talk to the local Step Functions: any credentials will do.
AWS_CLI_VARIABLES = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


def machine_clients() -> dict[str, frozenset[str]]:
    """The user pool's machine clients and their scopes, as the CDK app creates them."""
    from lambdas.api.access import LAB_CLIENT

    return {"lab": LAB_CLIENT}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="start the local API (and everything behind it)")
    serve_command.add_argument(
        "--host",
        help="the address both servers listen on (default: LOCAL_HOST, else 127.0.0.1). Only this option may name "
        "an address other than loopback, which exposes the task tokens and the task functions to the network",
    )
    serve_command.add_argument(
        "--api-port",
        type=_port,
        metavar="PORT",
        help=f"the API's port, the console's too (default: LOCAL_API_PORT, else {DEFAULT_API_PORT})",
    )
    serve_command.add_argument(
        "--sfn-port",
        type=_port,
        metavar="PORT",
        help=f"the Step Functions endpoint's port (default: LOCAL_SFN_PORT, else {DEFAULT_SFN_PORT})",
    )
    serve_command.add_argument(
        "--api-workers",
        type=int,
        default=DEFAULT_API_WORKERS,
        metavar="N",
        help="API function containers started at once: worker processes that each run one request at a time; "
        f"when a request finds all busy for half a second another starts, up to {API_CONCURRENCY}, as Lambda "
        f"scales (default: {DEFAULT_API_WORKERS}). "
        "0 runs the function in this process, one request at a time, with no time limit (a debugger stops there)",
    )
    token = commands.add_parser(
        "token",
        help="print a token signed by the local issuer: a person's ID token, or a machine client's access token",
    )
    kind = token.add_mutually_exclusive_group(required=True)
    kind.add_argument("--group", action="append", help="a Cognito group (an ID token); repeat for several")
    kind.add_argument("--client", choices=sorted(machine_clients()), help="a machine client (an access token)")
    token.add_argument("--user", default="local-user", help="the cognito:username (default: local-user)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires (default: 3600)")
    commands.add_parser("outbox", help="print the messages the local dispatcher delivered (SMS and e-mail)")
    clock = commands.add_parser(
        "clock",
        help="move the running runtime's Step Functions clock forward: Waits, timeouts and reminders due by then fire",
    )
    clock.add_argument("duration", help="how far: +7d, +90m, +1d12h, or seconds")
    fault = commands.add_parser(
        "fault",
        help="make a task of the running runtime fail at its next call (a drill: a failed execution to redrive)",
    )
    fault.add_argument(
        "task", nargs="?", help="a task state's name (ReserveFrame, AwaitLab) or its function's; none: list them"
    )
    fault.add_argument("--error", default=FAULT_ERROR, help=f"the error its calls fail with (default: {FAULT_ERROR})")
    fault.add_argument("--times", type=_times, default=1, metavar="N", help="how many calls fail, 1 to 100 (1)")
    commands.add_parser("reset", help="delete the state directory (database, executions, keys, mailbox), once asked")
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["clock"] and len(arguments) > 1 and arguments[1].startswith("-") and arguments[1] != "-h":
        print(f"the clock only moves forward: +1d, not {arguments[1]}", file=sys.stderr)
        return 2
    args = parser.parse_args(arguments)

    if args.command == "reset":
        return reset(LocalSettings.from_env())

    if args.command in ("clock", "fault"):
        from local.drills import main as drill

        if args.command == "clock":
            return drill("clock", LocalSettings.from_env(), duration=args.duration)
        return drill("fault", LocalSettings.from_env(), task=args.task, error=args.error, times=args.times)

    if args.command == "outbox":
        from local.mailbox import print_outbox

        try:
            return print_outbox(LocalSettings.from_env().state_dir)
        except BrokenPipeError:  # read by `head`, which had enough: nothing more to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0

    if args.command == "token":
        if args.client:
            return print_access_token(LocalSettings.from_env(), args.client, args.ttl)
        return print_token(LocalSettings.from_env(), args.group, args.user, args.ttl)
    if args.api_workers < 0:
        parser.error("--api-workers must be 0 or more")
    return serve(
        LocalSettings.from_env(host=args.host, api_port=args.api_port, sfn_port=args.sfn_port),
        api_workers=args.api_workers,
    )


def _times(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"{text} calls: 1 to 100")
    return int(text)


def reset(settings: LocalSettings) -> int:
    """Delete the state directory once the person says yes; never under a running runtime."""
    from local.sfn.store import Store, StoreInUse

    state = settings.state_dir
    if not state.is_dir():
        print(f"nothing to reset: no {state}/")
        return 0
    store = state / "stepfunctions.db"
    if store.exists():
        try:
            Store(store).close()
        except StoreInUse:
            print(f"the local runtime is running on {state}/: stop `make dev` first", file=sys.stderr)
            return 2
    answer = input(f"delete {state}/ (the local database, executions, token keys, mailbox, clock)? [y/N] ")
    if not answer.strip().lower().startswith("y"):
        print("nothing deleted")
        return 0
    import shutil

    shutil.rmtree(state)
    print(f"deleted {state}/")
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a port: {text} (1 to 65535)")
    return int(text)


def print_token(settings: LocalSettings, groups: list[str], user: str, ttl: int) -> int:
    from lambdas.api.access import Group
    from local.tokens import KeyPair, issue_token

    known = {group.value for group in Group}
    unknown = [group for group in groups if group not in known]
    if unknown:
        print(f"unknown group {', '.join(unknown)}; known groups: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    if ttl <= 0:
        print("--ttl must be a positive number of seconds", file=sys.stderr)
        return 2
    keys = KeyPair.load_or_create(settings.state_dir / "keys")
    print(issue_token(keys, groups, user, ttl))
    return 0


def print_access_token(settings: LocalSettings, client: str, ttl: int) -> int:
    """What the user pool's client-credentials flow gives the client, with its scopes."""
    from local.tokens import KeyPair, issue_access_token

    if ttl <= 0:
        print("--ttl must be a positive number of seconds", file=sys.stderr)
        return 2
    keys = KeyPair.load_or_create(settings.state_dir / "keys")
    print(issue_access_token(keys, client, sorted(machine_clients()[client]), ttl))
    return 0


def local_environment(settings: LocalSettings) -> dict[str, str]:
    """What AWS would set on the functions; existing values win."""
    return {
        "DATABASE_URL": settings.database_url,
        "POWERTOOLS_SERVICE_NAME": "fondation-local",
        "POWERTOOLS_METRICS_NAMESPACE": "Fondation",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_REGION": "us-east-1",
        **AWS_CLI_VARIABLES,
        "AWS_ENDPOINT_URL_SFN": base_url(settings.host, settings.sfn_port),
        "NOTIFY_MAILBOX": str(mailbox_directory(settings.state_dir)),
        "SETTINGS_FILE": str(SETTINGS_FILE),  # the stage's parameters, as Parameter Store holds them in AWS
    }


def banner(api_url: str, sfn_url: str, machines: list[str], database: str, state_dir: str) -> str:
    """What `make dev` prints once both servers listen: where everything is, and how to reach it."""
    exports = " ".join(f"{name}={value}" for name, value in AWS_CLI_VARIABLES.items())
    return "\n".join(
        [
            "fondation local runtime",
            f"  API             {api_url}   (Swagger UI {api_url}/docs; {api_url}/openapi.json takes a staff token)",
            f"  web app         {api_url}/console/   (front desk: check-in, counter; display: the waiting room's",
            "                  screen; managers and ops: executions, the local mailbox)",
            f"  Step Functions  {sfn_url}   (state machines: {', '.join(machines) or 'none'})",
            f"    AWS CLI       export {exports}",
            f"                  aws stepfunctions --endpoint-url {sfn_url} list-state-machines",
            f"  database        {database}",
            f"  state           {state_dir}",
            f"  mailbox         .venv/bin/python -m local outbox   (the SMS and e-mails sent: {state_dir}/mailbox)",
            "  a token         .venv/bin/python -m local token --group front-desk",
            "ready (Ctrl-C to stop)",
        ]
    )


def prepare_state(state_dir: Path, database_url: str) -> list[str]:
    """Create the state directory 0700 and an SQLite database file 0600 before anything is written;
    warnings about an existing directory that others may read."""
    make_private_directory(state_dir)
    database = sqlite_file(database_url)
    if database is not None and database.parent.is_dir():  # else SQLite itself says what is wrong
        make_private_file(database)
    if is_private(state_dir):
        return []
    mode = stat.S_IMODE(state_dir.stat().st_mode)
    return [
        f"WARNING: the state directory {state_dir} is open to other users (mode {mode:o}): its databases "
        f"and keys are not, but their names are. Make it private with: chmod 700 {state_dir}"
    ]


def sqlite_file(database_url: str) -> Path | None:
    """The file of an SQLite database URL; None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query.get("uri"):
        return None
    return Path(url.database)


def serve(settings: LocalSettings, api_workers: int = DEFAULT_API_WORKERS) -> int:
    try:
        warning = settings.check_listen_host()
    except ExposureRefused as refusal:
        print(refusal, file=sys.stderr)
        return 2
    if warning:
        print(warning, file=sys.stderr, flush=True)
    os.umask(0o077)  # whatever else the runtime or a library creates is private too
    for name, value in local_environment(settings).items():
        os.environ.setdefault(name, value)
    for message in prepare_state(settings.state_dir, os.environ["DATABASE_URL"]):
        print(message, file=sys.stderr)

    from sqlalchemy.exc import OperationalError

    from lambdas.api.app import enable_local_docs, handler
    from lambdas.migrations import upgrade
    from lambdas.shared.config import state_machine_variable
    from lambdas.shared.db.engine import get_engine
    from local import engine_host
    from local.console import LocalConsole
    from local.containers import ContainerFailed, ContainerPool
    from local.gateway import LocalApiGateway, make_http_server
    from local.mailbox import ScheduledDispatcher
    from local.seed import SITE_ID, STATIONS, seed
    from local.sfn.clock import ShiftedClock
    from local.sfn.expressions import DefinitionError
    from local.sfn.store import StoreInUse
    from local.tokens import KeyPair
    from workflows import DeclarationError

    database = _redacted(os.environ["DATABASE_URL"])
    print(f"migrating {database} ...", file=sys.stderr, flush=True)
    try:
        upgrade(get_engine())
    except OperationalError as error:  # not a bug of ours: say what to check, not a traceback
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        print(f"cannot reach the database {database}: {reason}. Is it running? Check DATABASE_URL.", file=sys.stderr)
        return 1
    if seed():
        print(f"configured the local site {SITE_ID} (its stations: {', '.join(STATIONS)})", file=sys.stderr)
    try:
        # the system clock, which `python -m local clock` moves forward for a demo (kept across restarts)
        clock = ShiftedClock(settings.state_dir / "clock-shift")
        stepfunctions = engine_host.build(settings.state_dir, packages=settings.workflow_packages, clock=clock)
    except (DefinitionError, DeclarationError) as error:
        print(f"cannot load the workflows: {error}", file=sys.stderr)
        return 1
    except StoreInUse as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 1
    for machine in stepfunctions.store.state_machines():  # what CDK tells the API function in AWS
        os.environ.setdefault(state_machine_variable(machine["name"]), machine["arn"])
    enable_local_docs()
    keys = KeyPair.load_or_create(settings.state_dir / "keys")
    containers = None
    if api_workers > 0:  # started once the environment is complete: each container reads it at its cold start
        try:
            containers = ContainerPool(
                "lambdas.api.app.handler", api_workers, prepare_path=LOCAL_DOCS, limit=API_CONCURRENCY
            )
        except ContainerFailed as error:
            print(f"cannot start the API function: {error}", file=sys.stderr)
            return 1
        print(
            f"the API function runs in {api_workers} containers (up to {max(api_workers, API_CONCURRENCY)} when "
            "all are busy), one request at a time each",
            file=sys.stderr,
        )
    try:
        sfn = engine_host.make_sfn_server(settings.host, settings.sfn_port, stepfunctions)
        gateway = LocalApiGateway(containers or handler, keys)
        console = LocalConsole(keys, mailbox_directory(settings.state_dir))
        api = make_http_server(settings.host, settings.api_port, gateway, console)
    except OSError as error:
        print(
            f"cannot listen on {settings.host} ({error.strerror}): another `make dev` running? "
            "Choose other ports with LOCAL_API_PORT and LOCAL_SFN_PORT.",
            file=sys.stderr,
        )
        if containers is not None:
            containers.close()
        return 1
    stepfunctions.engine.start()
    dispatcher = ScheduledDispatcher()
    dispatcher.start()

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threading.Thread(target=api.serve_forever, name="api", daemon=True).start()
    threading.Thread(target=sfn.serve_forever, name="sfn", daemon=True).start()
    machines = [machine["name"] for machine in stepfunctions.store.state_machines()]
    print(
        banner(
            base_url(settings.host, api.server_address[1]),
            base_url(settings.host, sfn.server_address[1]),
            machines,
            _redacted(os.environ["DATABASE_URL"]),
            str(settings.state_dir),
        ),
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    api.shutdown()
    if containers is not None:
        containers.close()
    sfn.shutdown()
    dispatcher.stop()
    stepfunctions.engine.shutdown()
    print("stopped", file=sys.stderr)
    return 0


def _redacted(url: str) -> str:
    """A database URL without its password, fit to print."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
