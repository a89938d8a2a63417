# Two commands do all the set-up on a fresh machine with only Python 3.10+:
#   make lab    - create .venv, install, start the local orgs and JupyterLab (repository root, opens notebooks/00-overview.ipynb)
#   make test   - create .venv, install, run ruff and every test (unit, integration, notebooks)
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

.PHONY: lab test install lint bench orgs stop-orgs clean notebooks fuzz

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(PY) -m localorg status >/dev/null || $(PY) -c "import localorg; print(localorg.ensure_running())"
	$(PY) -m jupyterlab notebooks/00-overview.ipynb

test: $(STAMP)
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
	rm -rf $(VENV) .pytest_cache .ruff_cache
