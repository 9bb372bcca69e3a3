"""What `make dev` prints: where everything is, and the AWS CLI variables next to the Step Functions endpoint."""

from local.__main__ import AWS_CLI_VARIABLES, banner, local_environment
from local.config import LocalSettings


def test_the_banner_gives_the_aws_cli_variables_and_endpoint_to_paste() -> None:
    text = banner("http://127.0.0.1:3000", "http://127.0.0.1:8083", ["client-onboarding"], "sqlite:///x.db", "/s")
    lines = text.splitlines()
    endpoint = next(index for index, line in enumerate(lines) if line.strip().startswith("Step Functions"))
    assert "http://127.0.0.1:8083" in lines[endpoint]
    assert "client-onboarding" in lines[endpoint]
    # the next two lines can be pasted as they are
    assert lines[endpoint + 1].split("AWS CLI", 1)[1].strip() == (
        "export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1"
    )
    assert lines[endpoint + 2].strip() == "aws stepfunctions --endpoint-url http://127.0.0.1:8083 list-state-machines"


def test_the_functions_get_the_same_variables_the_banner_prints(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LOCAL_SFN_PORT", "8099")
    monkeypatch.delenv("LOCAL_HOST", raising=False)
    environment = local_environment(LocalSettings.from_env())
    assert AWS_CLI_VARIABLES.items() <= environment.items()
    assert environment["AWS_ENDPOINT_URL_SFN"] == "http://127.0.0.1:8099"
