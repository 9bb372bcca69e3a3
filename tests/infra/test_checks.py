"""cfn-lint on the synthesised templates; synth without an AWS account or Docker, by the CDK CLI too;
a new workflow declaration deploys with no change under infra/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from infra.app import build_app
from infra.settings import STAGES
from tests.infra.conftest import Synthesised, synthesise
from workflows import Task, Workflow, all_workflows

REPO = Path(__file__).resolve().parents[2]


# cfn-lint's state machine schema wants a number where the States Language lets a JSONata machine
# write an expression (a Task's TimeoutSeconds and HeartbeatSeconds); the engine checks the value at run time
JSONATA_TIMEOUT = re.compile(r"^'\{%.*%\}' is not of type 'number'( at |$)")
JSONATA_TIMEOUT_FIELDS = ("TimeoutSeconds", "HeartbeatSeconds")


def _cfn_lint_false_positive(match: Any) -> bool:
    return (
        match.rule.id == "E3601"
        and bool(JSONATA_TIMEOUT.match(match.message))
        and match.path_string.rsplit("/", 1)[-1] in JSONATA_TIMEOUT_FIELDS
    )


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_cfn_lint_finds_no_error(synthesised: Synthesised, stage: str) -> None:
    matches = lint(json.dumps(synthesised.templates[stage]), config=ManualArgs(regions=[STAGES[stage].region]))
    errors = [
        f"{m.rule.id} {m.message} ({m.path_string})"
        for m in matches
        if m.rule.id.startswith("E") and not _cfn_lint_false_positive(m)
    ]
    assert errors == []
    skipped = [m for m in matches if _cfn_lint_false_positive(m)]
    assert {m.path_string.split("/States/")[1] for m in skipped} <= {
        # the queue's timeouts from the site's hours; the lab's wait from what is left of its overall time;
        # the pickup reminders' interval from the stage's parameter
        "AwaitCall/TimeoutSeconds",
        "AwaitArrival/TimeoutSeconds",
        "AwaitServiceEnd/TimeoutSeconds",
        "AwaitLab/TimeoutSeconds",
        "AwaitLab/HeartbeatSeconds",
        "AwaitPickup/TimeoutSeconds",
    }


def test_aws_solutions_checks_leave_no_finding_unacknowledged(synthesised: Synthesised) -> None:
    report = json.loads((synthesised.outdir / "validation-report.json").read_text())
    findings = [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == "AwsSolutions"
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    assert findings == []


def test_every_acknowledged_finding_says_why(synthesised: Synthesised) -> None:
    ours = {
        (path, rule): reason
        for path, rules in synthesised.acknowledgments.items()
        for rule, reason in rules.items()
        if rule.startswith("AwsSolutions::")
    }
    assert len(ours) >= 10
    assert [key for key, reason in ours.items() if len(reason.split()) < 5] == []


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_sns as sns

    app = build_app(stages=["dev"], outdir=str(tmp_path))
    sns.Topic(Stack(app, "Careless"), "Plain")  # AwsSolutions-SNS3: publishing without TLS allowed
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    assert "AwsSolutions-SNS3" in rules


def _offline_environment() -> dict[str, str]:
    """No AWS credentials, no Docker on the PATH."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return environment


def test_python_synth_needs_no_account_and_no_docker(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"from infra.app import build_app; build_app(outdir={str(tmp_path)!r}).synth()"],
        cwd=REPO, env=_offline_environment(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert {path.name for path in tmp_path.glob("*.template.json")} == {
        f"Fondation-{stage}.template.json" for stage in STAGES
    }


def test_the_cdk_cli_synthesises_a_stage_offline(tmp_path: Path) -> None:
    cdk = REPO / "node_modules" / ".bin" / "cdk"
    assert cdk.exists(), "the CDK CLI is installed by `make test` (npm ci)"
    result = subprocess.run(
        [str(cdk), "synth", "-c", "stage=prod", "--quiet", "--no-notices", "-o", str(tmp_path)],
        cwd=REPO, env=_offline_environment(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    template = json.loads((tmp_path / "Fondation-prod.template.json").read_text())
    assert any(r["Type"] == "AWS::RDS::DBCluster" for r in template["Resources"].values())


def test_a_new_workflow_declaration_adds_its_state_machine_and_functions(tmp_path: Path) -> None:
    # Given a throwaway workflow, declared like the real ones (its ASL file and one task)
    asl = tmp_path / "throwaway.asl.json"
    shutil.copy(REPO / "tests" / "engine" / "workflows" / "hold_and_ask.asl.json", asl)
    throwaway = Workflow(
        "throwaway", "run", asl, {"Ask": Task("tests.engine.handlers.remember_token", timeout_seconds=9)}
    )
    # When the app is synthesised with it
    synthesised = synthesise(tmp_path / "out", stages=["dev"], workflows=[*all_workflows(), throwaway])
    # Then its state machine and function exist, bound together, with no change under infra/
    machines = synthesised.resources("dev", "AWS::StepFunctions::StateMachine")
    names = {machine["Properties"]["StateMachineName"] for machine in machines.values()}
    assert "fondation-dev-throwaway" in names
    functions = {
        f["Properties"]["FunctionName"]: f["Properties"]
        for f in synthesised.resources("dev", "AWS::Lambda::Function").values()
        if "FunctionName" in f["Properties"]
    }
    assert functions["fondation-dev-throwaway-ask"]["Handler"] == "tests.engine.handlers.remember_token"
    assert functions["fondation-dev-throwaway-ask"]["Timeout"] == 9
    api = functions["fondation-dev-api"]["Environment"]["Variables"]
    assert "STATE_MACHINE_ARN_THROWAWAY" in api


def test_every_function_that_connects_verifies_aurora_with_the_pinned_rds_ca_bundle(
    synthesised: Synthesised, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infra.packaging

    for stage in STAGES:
        functions = synthesised.resources(stage, "AWS::Lambda::Function").values()
        variables = [f["Properties"]["Environment"]["Variables"] for f in functions if "DB_HOST" in str(f)]
        assert variables
        assert all(v["DB_CA_BUNDLE"] == "/var/task/certs/rds-global-bundle.pem" for v in variables)
    monkeypatch.setattr(infra.packaging, "BUILD", tmp_path / "build")
    code = infra.packaging.code_directory()
    assert (code / "certs" / "rds-global-bundle.pem").read_bytes() == infra.packaging.RDS_CA_BUNDLE.read_bytes()


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_the_rds_ca_bundle_holds_the_stages_regional_root_cas_valid_for_years(stage: str) -> None:
    import datetime

    from cryptography import x509

    import infra.packaging

    certificates = x509.load_pem_x509_certificates(infra.packaging.RDS_CA_BUNDLE.read_bytes())
    region = STAGES[stage].region
    in_ten_years = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3650)
    roots = {
        name.value
        for certificate in certificates
        for name in certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if certificate.subject == certificate.issuer and certificate.not_valid_after_utc > in_ten_years
    }
    # Aurora's default CA (RSA2048 G1) and the two others a cluster may be moved to
    assert {f"Amazon RDS {region} Root CA {kind} G1" for kind in ("RSA2048", "RSA4096", "ECC384")} <= roots


@pytest.mark.parametrize(
    ("bundle", "error"),
    [
        (None, "is missing"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "is not the one pinned"),
    ],
    ids=["missing", "not-the-pinned-one"],
)
def test_synth_stops_on_an_rds_ca_bundle_missing_or_not_the_pinned_one(
    bundle: bytes | None, error: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infra.packaging

    path = tmp_path / "rds-global-bundle.pem"
    if bundle is not None:
        path.write_bytes(bundle)
    monkeypatch.setattr(infra.packaging, "RDS_CA_BUNDLE", path)
    monkeypatch.setattr(infra.packaging, "BUILD", tmp_path / "build")
    with pytest.raises(SystemExit, match=error):
        synthesise(tmp_path / "out", stages=["dev"])
    assert not (tmp_path / "build" / "code").exists()  # no asset without its bundle


def test_synth_stops_on_a_kept_build_whose_bundle_was_changed_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infra.packaging

    monkeypatch.setattr(infra.packaging, "BUILD", tmp_path / "build")
    code = infra.packaging.code_directory()
    (code / infra.packaging.CA_BUNDLE_IN_ASSET).write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(SystemExit, match="is not the one pinned"):
        infra.packaging.code_directory()


def test_the_functions_code_holds_the_workflow_declarations_their_names_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    import infra.packaging

    monkeypatch.setattr(infra.packaging, "BUILD", tmp_path / "build")
    code = infra.packaging.code_directory()
    assert (code / "workflows" / "client_onboarding.asl.json").is_file()
    # the API function imports as Lambda would import it: from the code asset alone (and its libraries)
    probe = "import lambdas.api.app, lambdas.tasks.client_onboarding"
    environment = {"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, check=True)


def test_the_functions_bytecode_is_valid_whatever_the_files_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import os
    import subprocess
    import sys

    import infra.packaging

    monkeypatch.setattr(infra.packaging, "BUILD", tmp_path / "build")
    code = infra.packaging.code_directory()
    compiled = sorted(code.rglob("*.pyc"))
    assert compiled
    # each .pyc is hash-based and unchecked (PEP 552: flags 0b01), so the 1980 dates of the zip the CDK
    # CLI uploads do not make Lambda compile every import again
    assert {int.from_bytes(path.read_bytes()[4:8], "little") for path in compiled} == {0b01}
    assert all(path.read_bytes()[:4] == importlib.util.MAGIC_NUMBER for path in compiled)
    # dated as the zip dates them, the sources are not compiled again when imported
    for path in code.rglob("*"):
        os.utime(path, (315532800, 315532800))  # 1980-01-01
    before = {path: path.read_bytes() for path in compiled}
    probe = "import lambdas.api.app"
    environment = {"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, check=True)
    assert {path: path.read_bytes() for path in compiled} == before
    assert sorted(code.rglob("*.pyc")) == compiled


def test_the_layers_bytecode_is_hash_based_too(synthesised: Synthesised) -> None:
    import infra.packaging

    # the layer the stacks were synthesised with: pip's own bytecode (timestamp-checked, stale under
    # the zip's 1980 dates) would make every library compile again at each cold start
    compiled = list((infra.packaging.layer_directory() / "python").rglob("*.pyc"))
    assert len(compiled) > 1000
    assert {int.from_bytes(path.read_bytes()[4:8], "little") for path in compiled} == {0b01}
    sources = list((infra.packaging.layer_directory() / "python").rglob("*.py"))
    assert len(compiled) >= len(sources) * 0.9  # and nearly every source has its bytecode


def test_two_clean_builds_of_the_functions_code_are_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import infra.packaging

    def build(clone: Path, seconds: int) -> str:
        """The code asset built from a clone whose files are all dated ``seconds`` (as a fresh clone's
        are dated the moment it was made); a digest of every file's path and bytes."""
        for package in infra.packaging.CODE_PACKAGES:
            shutil.copytree(REPO / package, clone / package, ignore=shutil.ignore_patterns("__pycache__"))
        for path in clone.rglob("*"):
            os.utime(path, (seconds, seconds))
        monkeypatch.setattr(infra.packaging, "REPO", clone)
        monkeypatch.setattr(infra.packaging, "BUILD", clone / "build")
        code = infra.packaging.code_directory()
        digest = hashlib.sha256()
        for path in sorted(code.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(code)).encode() + path.read_bytes())
        return digest.hexdigest()

    assert build(tmp_path / "one", 1_700_000_000) == build(tmp_path / "two", 1_800_000_000)
