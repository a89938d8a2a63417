"""Root conftest: runs the notebooks (nbval, strict) against fresh seeded local orgs.

The environment must be in place before nbval starts a notebook's kernel, which happens
in the setup of the notebook's first cell. So the first notebook cell's setup (``tryfirst``)
starts a seeded local-org server in a temporary folder on free ports and sets the
variables kernels inherit (helpers/tutorial/dryrun.py); the server stops after the last
notebook cell. Test sessions without notebooks never start it. The terminal summary prints
the notebooks' wall time.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

_stack = ExitStack()
_clock: dict[str, float] = {}
_files: set[str] = set()


def _is_notebook(item: pytest.Item | None) -> bool:
    return item is not None and item.path.suffix == ".ipynb"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _is_notebook(item) and "start" not in _clock:
        from helpers.tutorial.dryrun import scripted_orgs

        _clock["start"] = time.monotonic()
        _stack.enter_context(scripted_orgs())


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if _is_notebook(item):
        _files.add(str(item.path))
        if not _is_notebook(nextitem):
            _clock["end"] = time.monotonic()
            _stack.close()


SLOW_FIRST = ("tests/browser/", "notebooks/", "tests/realclients/", "tests/test_lab.py",
              "tests/test_sfdx_org_a.py")


def _slow_first(item: pytest.Item) -> int:
    return next((i for i, start in enumerate(SLOW_FIRST) if item.nodeid.startswith(start)),
                len(SLOW_FIRST))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Under pytest-xdist (`-n`, `--dist loadgroup`) the notebooks stay together on one worker,
    # in name order: their committed outputs come from running 00..09 against one seeded server.
    # Each module of tests/browser shares one JupyterLab (a module fixture): one worker each,
    # unless its tests name their own groups (then each group starts its own JupyterLab).
    # Longest units first (the notebooks, each browser group, Salesforce's Node clients, make
    # lab): xdist hands out work in this order, so short tests fill the end instead of one
    # worker finishing a 20-second test alone (it did: 12 s of a 134 s run). Stable: the
    # notebooks keep their order.
    items.sort(key=_slow_first)
    for item in items:
        if _is_notebook(item):
            item.add_marker(pytest.mark.xdist_group("notebooks"))
        elif (item.path.parent.name == "browser" and item.path.name.startswith("test_")
              and item.get_closest_marker("xdist_group") is None):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


def pytest_sessionfinish(session: pytest.Session) -> None:
    _stack.close()
    workeroutput = getattr(session.config, "workeroutput", None)  # an xdist worker
    if workeroutput is not None and "start" in _clock:
        workeroutput["notebooks"] = (len(_files), _elapsed())


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest must not require it
def pytest_testnodedown(node, error) -> None:  # noqa: ARG001  (xdist controller)
    if "notebooks" in getattr(node, "workeroutput", {}):
        _clock["reported"] = node.workeroutput["notebooks"]


def _elapsed() -> float:
    return _clock.get("end", time.monotonic()) - _clock["start"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    count, elapsed = _clock.get("reported") or ((len(_files), _elapsed()) if "start" in _clock
                                                else (0, 0.0))
    if count:
        terminalreporter.write_line(f"notebooks: {count} executed by nbval in "
                                    f"{elapsed:.1f} s wall time (server start included)")
