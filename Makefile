# The two commands: `make dev` runs everything locally, `make test` runs every test.
# Both create .venv on first use and reinstall only when a requirements file changes.

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
PIP := $(PYTHON) -m pip
BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: dev test lint format synth preflight smoke which-stage reset rds-ca chromium clean

dev: $(VENV)/.installed-local console/node_modules/.installed
	$(PYTHON) -m local serve

# One worker per core (pytest-xdist).
test: $(VENV)/.installed-dev node_modules/.installed console/node_modules/.installed chromium
	$(PYTHON) -m pytest -n auto $(PYTEST_ARGS)

# The CloudFormation templates of every stage, in cdk.out/ (no AWS account, no Docker needed); with
# the CDK CLI (node_modules/.bin/cdk, for cdk deploy) and the console's files the stack deploys.
synth: $(VENV)/.installed-dev node_modules/.installed console/node_modules/.installed
	$(PYTHON) -m infra.app
	@ls cdk.out/*.template.json

# An operator's value as one shell word, whatever it holds (STAGE='dev; rm …' stays a stage's name,
# which the script then refuses): in single quotes, each of its own single quotes written '\''.
quote = '$(subst ','\'',$(1))'

# What the AWS account needs before a stage's first deploy, checked with the deploy's credentials (reads
# only): make preflight STAGE=dev
preflight: $(if $(STAGE),$(VENV)/.installed-dev,which-stage)
	$(PYTHON) -m stage preflight --stage $(call quote,$(STAGE))

# A running stage served end to end by a throwaway user and client: make smoke STAGE=dev after a deploy,
# make smoke STAGE=local against make dev (the local runtime's packages suffice); API_URL=... points it elsewhere.
smoke: $(if $(STAGE),$(if $(filter local,$(STAGE)),$(VENV)/.installed-local,$(VENV)/.installed-dev),which-stage)
	$(PYTHON) -m stage smoke --stage $(call quote,$(STAGE)) $(if $(API_URL),--api-url $(call quote,$(API_URL)))

# Asked before installing anything
which-stage:
	@echo "which stage? make preflight STAGE=dev (or prod); make smoke STAGE=dev, prod, or local (make dev's)"; exit 2

# ruff, mypy (pyproject.toml's [tool.mypy]), and the layers between packages ([tool.importlinter] contracts).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(PYTHON):
	@$(BOOTSTRAP_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "Python 3.11 is required (found: $$($(BOOTSTRAP_PYTHON) --version))"; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The local runtime only: quick, without the CDK toolchain.
$(VENV)/.installed-local: requirements.txt requirements-local.txt | $(PYTHON)
	@echo "installing the local runtime's packages into $(VENV) (first time: about a minute) ..."
	$(PIP) install --quiet -r requirements-local.txt
	@touch $@

# Everything: tests, lint, and the CDK app.
$(VENV)/.installed-dev: requirements.txt requirements-local.txt requirements-dev.txt | $(PYTHON)
	@echo "installing the test, lint and infrastructure packages into $(VENV) (first time: a few minutes) ..."
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-local

# Aurora's TLS certificates are signed by the RDS CAs, which Lambda does not trust by default: AWS's
# bundle is kept in infra/certs/ and pinned in infra/packaging.py. This fetches AWS's current one and
# prints its checksum, to pin when AWS adds CAs (synth refuses a bundle that is not the one pinned).
rds-ca:
	curl -fsSL https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem -o infra/certs/rds-global-bundle.pem
	@echo "pin this in infra/packaging.py (RDS_CA_SHA256): $$(sha256sum infra/certs/rds-global-bundle.pem | cut -d' ' -f1)"

# The CDK CLI, pinned in package.json (cdk synth, cdk deploy): node_modules/.bin/cdk
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The console's graph layout (elkjs), pinned in console/package.json, served from the repository.
console/node_modules/.installed: console/package.json console/package-lock.json
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	@touch $@

# The browser the console's tests drive: Debian's chromium, installed when missing.
chromium:
	@command -v chromium >/dev/null || { echo "installing chromium (Debian) for the console's browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Start the local runtime afresh: its state directory (database, executions, token keys, mailbox,
# clock) goes, after asking; never while `make dev` runs on it.
reset:
	@if [ -x $(PYTHON) ]; then $(PYTHON) -m local reset; else echo "nothing to reset: make dev never ran here"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache cdk.out build node_modules console/node_modules
