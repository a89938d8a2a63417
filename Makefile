# Two commands do all the set-up on a fresh machine with only Python 3.10+ (make test also
# uses Node.js 20+ and npm for its test-only tools):
#   make lab    - create .venv, install, start the local orgs and JupyterLab (repository root, opens
#                 my-notebooks/00-overview.ipynb, your own copy of notebooks/)
#   make test   - create .venv, install, npm ci (test-only Node tools), run ruff, lint-imports and
#                 every test (unit, integration, real clients, browser, notebooks)
#   make notebooks - re-execute every notebook against fresh seeded local orgs, saving the outputs
#   make node-deps - npm ci: jsforce, the sf CLI, the Apex parser, JupyterHub's proxy (once; make test runs it)
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

NODE_STAMP := node_modules/.installed

.PHONY: lab test install lint bench orgs stop-orgs clean notebooks node-deps fuzz

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@# jupyterlab-rise 0.43 (pinned before) pulled in a JupyterLab 3 extension: gone from fresh venvs
	$(PY) -m pip uninstall --quiet --yes jupyterlab-mathjax3 2>/dev/null || true
	@# jsonschema[format-nongpl] (via jupyter-events) brings rfc3987-syntax, which compiles ~35
	@# Earley grammars on every import: 1.7 s of CPU in each JupyterLab, JupyterHub and pytest
	@# process, for an "iri" format no Jupyter schema uses. Without it jsonschema skips that
	@# check (python-jsonschema/jsonschema#1428). tests/test_packaging.py checks it stays out.
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax 2>/dev/null || true
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

# Salesforce's own clients for tests/realclients, exactly as package-lock.json pins them
# (install scripts are not needed and not run). Without npm the tests are skipped with a
# hint, except in CI (CI=true), where both this and the tests fail.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $(NODE_STAMP); \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "CI=true and npm is missing: install Node.js and npm (apt-get install npm)" >&2; \
		exit 1; \
	else \
		echo "npm not found: the tests that need Node (jsforce, sf CLI, Apex parser, JupyterHub) will be skipped;" \
		     "install Node.js + npm, then run make node-deps"; \
	fi

node-deps: $(NODE_STAMP)

# Serves the repository root, opens my-notebooks/00-overview.ipynb (your git-ignored copy of
# notebooks/), starts the local orgs if needed; --allow-root only as root. See tools/lab.py.
lab: $(STAMP)
	$(PY) tools/lab.py $(LAB_ARGS)

test: $(STAMP) node-deps
	$(PY) -m ruff check .
	$(BIN)/lint-imports
	@# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE):
	@# ~100 Python processes (local orgs, JupyterLab, kernels, CLIs) import the project's
	@# modules, and each would compile them again.
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

# Regenerate the committed notebook outputs (scripted demo user, seeded orgs on free ports);
# then `make test` checks them with strict nbval.
notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py

bench: $(STAMP)
	$(PY) -m bench.localorg_load
	$(PY) -m bench.sync_bench

# A longer seeded fuzz run of the local orgs (tests/localorg/test_fuzz.py; the suite runs 2,000):
#   make fuzz FUZZ_COUNT=50000 FUZZ_SEED=7
FUZZ_COUNT ?= 20000
FUZZ_SEED ?= 20261203
fuzz: $(STAMP)
	LOCALORG_FUZZ_COUNT=$(FUZZ_COUNT) LOCALORG_FUZZ_SEED=$(FUZZ_SEED) \
		$(PY) -m pytest -q -s -p no:cacheprovider tests/localorg/test_fuzz.py

orgs: $(STAMP)
	$(PY) -m localorg serve

stop-orgs: $(STAMP)
	$(PY) -m localorg stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
