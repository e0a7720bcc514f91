# make run: install if needed, build the index, serve API + web UI on 127.0.0.1.
# make test: install if needed, then the whole suite (unit, integration, browser, eval gate).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE=1
export ANONYMIZED_TELEMETRY=False
export GRADIO_ANALYTICS_ENABLED=False

.PHONY: install run index test eval bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

run: install
	$(BIN)/opc-assistant serve --host $(HOST) --port $(PORT)

index: install
	$(BIN)/opc-assistant index

test: install
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/opc-assistant eval --report evals/out

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data evals/out test-output
