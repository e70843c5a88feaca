# The two set-up commands of the README: `make run` and `make test`.
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export RAGAS_DO_NOT_TRACK := true

.PHONY: setup run test test-fast eval lint

setup:
	bash scripts/setup.sh

# Ingest the shipped corpus (incremental) and serve the API and web UI on 127.0.0.1:8000.
run: setup
	.venv/bin/gaios ingest
	.venv/bin/gaios serve --host 127.0.0.1 --port 8000

# The whole test suite, slow tests (real models, servers, browser) included.
test:
	bash scripts/setup.sh --test
	bash scripts/test.sh

test-fast: setup
	.venv/bin/python -m pytest -m "not slow" -q

eval: setup
	.venv/bin/gaios eval all
