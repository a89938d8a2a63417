# Two commands do all the set-up on a fresh machine with only Python 3.10+:
#   make lab    - create .venv, install, start the local orgs and JupyterLab on notebooks/
#   make test   - create .venv, install, run ruff and every test (unit, integration, notebooks)
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

.PHONY: lab test install lint bench orgs stop-orgs clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(PY) -m helpers.localorg status >/dev/null || $(PY) -c "from helpers import localorg; print(localorg.ensure_running())"
	$(PY) -m jupyterlab --notebook-dir=notebooks

test: $(STAMP)
	$(PY) -m ruff check helpers tests bench
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.localorg_load

orgs: $(STAMP)
	$(PY) -m helpers.localorg serve

stop-orgs: $(STAMP)
	$(PY) -m helpers.localorg stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
