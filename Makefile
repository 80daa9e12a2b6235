# llm-sidecar: `make run` installs and starts the sidecar; `make test` installs and runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: install install-dev run test lint bench bench-tools redis prometheus nginx clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

# torch is pinned and installed first: an unpinned torch pulls gigabytes of CUDA wheels.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	$(BIN)/python -m cache.onnx_export
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -e '.[dev,train]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python -m sidecar --host $(HOST) --port $(PORT) $(if $(CONFIG),--config $(CONFIG)) $(if $(UPSTREAM),--upstream $(UPSTREAM))

redis:
	bash scripts/ensure-redis.sh

prometheus:
	bash scripts/ensure-prometheus.sh

nginx:
	bash scripts/ensure-nginx.sh

test: install-dev redis prometheus nginx
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check sidecar cache classifier benchmarks tests
	$(BIN)/python -m mypy
	bash scripts/lint-deploy.sh

# wrk (max-RPS runs) and node/npm (the Portkey gateway peer) from Debian, or a loud failure.
bench-tools:
	bash scripts/ensure-bench-tools.sh

bench: install-dev redis bench-tools
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV)
