# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed here, so they work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDK_CLI_VERSION := 2.1148.1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

# `make integ`: the real-AWS integration suite (tests/integ), deployed, asserted and
# destroyed by the CDK integ-runner. Needs AWS credentials; costs a few cents (README).
INTEG_REGION ?= us-east-1

.PHONY: setup test bench demo synth lint clean integ

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp is rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.bin/cdk: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.bin/cdk

# On every core (pytest-xdist), one test file per worker: a file's module-scoped synths
# stay in one process. PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= auto
test: setup
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

integ: setup
	@$(BIN)/python -c "import boto3; boto3.client('sts').get_caller_identity()" 2>/dev/null || \
	  { echo "make integ needs AWS credentials (boto3 found none): it deploys to a real account"; exit 2; }
	PATH=$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH integ-runner --language python \
	  --directory tests/integ --test-regex '^integ_.*\.py$$' --app 'python3 {filePath}' \
	  --parallel-regions $(INTEG_REGION) --update-on-failed $(INTEG_ARGS)

bench: setup
	$(BIN)/python -m benchmarks.run

synth: setup
	PATH=$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH cdk synth --quiet

demo: setup
	PATH=$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH cdk synth --quiet
	$(BIN)/warm-start-tuning demo --template cdk.out/WarmStartTuningExample.template.json

clean:
	rm -rf $(VENV) node_modules cdk.out build dist *.egg-info .pytest_cache .hypothesis
