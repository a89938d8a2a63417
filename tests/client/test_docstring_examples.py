"""The examples in the helpers' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["helpers.errors", "helpers.settings", "helpers.http", "helpers.transcript",
           "helpers.oauth.pkce", "helpers.oauth.trust", "helpers.oauth.tokens",
           "helpers.oauth.callback", "helpers.oauth.authorize"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
