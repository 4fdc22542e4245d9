"""Fixtures for the ttyhub client's tests (the helpers are in
clienttest.py): the client binary of the build under test, checked for
sanitizer reports at the end, and a private tmux server."""
import os

import pytest

from clienttest import Tmux, client_path
from ttyhubtest import SAN_MARKERS


@pytest.fixture
def ttyhub(build, tmp_path):
    """The client binary, and a check at the end that no run of it left a
    sanitizer report (ASAN_OPTIONS sends them to files in tmp_path)."""
    path = client_path(build)
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: run make check (it builds it)" % path)
    yield path
    for name in os.listdir(tmp_path):
        if name.startswith("asan-client"):
            text = open(tmp_path / name, errors="replace").read()
            assert not any(m in text for m in SAN_MARKERS), text


@pytest.fixture
def tmux(tmp_path):
    t = Tmux(tmp_path)
    yield t
    t.kill()
