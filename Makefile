# Two commands do all the set-up on a fresh machine with only Python 3.10+ (make test: also Node.js 18+ and npm):
#   make lab    - create .venv, install, start the local orgs and JupyterLab (repository root, opens notebooks/00-overview.ipynb)
#   make test   - create .venv, install (and npm ci: JupyterHub's proxy for a browser test), run ruff and every test
#   make notebooks - re-execute every notebook against fresh seeded local orgs, saving the outputs
# Plain equivalents without make are in the README.

PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# Node tools for the tests (configurable-http-proxy: JupyterHub's proxy), from package-lock.json
NPM_STAMP := node_modules/.installed

.PHONY: lab test install lint bench orgs stop-orgs clean notebooks

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

lab: $(STAMP)
	$(PY) -m localorg status >/dev/null || $(PY) -c "import localorg; print(localorg.ensure_running())"
	$(PY) -m jupyterlab notebooks/00-overview.ipynb

test: $(STAMP) $(NPM_STAMP)
	$(PY) -m ruff check .
	$(BIN)/lint-imports
	$(PY) -m pytest

# Regenerate the committed notebook outputs (scripted demo user, seeded orgs on free ports);
# then `make test` checks them with strict nbval.
notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py

bench: $(STAMP)
	$(PY) -m bench.localorg_load
	$(PY) -m bench.sync_bench

orgs: $(STAMP)
	$(PY) -m localorg serve

stop-orgs: $(STAMP)
	$(PY) -m localorg stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
