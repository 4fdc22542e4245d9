"""Shared fixtures: the real daemon, started per test on an ephemeral
loopback port, for each build under test (normal and ASan+UBSan)."""
import os

import pytest

from ttyhubtest import (BUILDS, ROOT, SAN_MARKERS, Daemon, Hub,  # noqa: F401
                        free_port, helper)


@pytest.fixture(params=BUILDS)
def build(request):
    path = os.path.join(ROOT, request.param, "ttyhubd")
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: run make check (it builds it)" % path)
    return path


@pytest.fixture
def daemon(build, tmp_path):
    """Factory: daemon(args...) starts ttyhubd; all are stopped at the end
    and their output must hold no sanitizer report."""
    started = []

    def start(*args, binary=None, **kw):
        d = Daemon(binary or build, args, tmp_path, **kw)
        started.append(d)
        return d

    yield start
    for d in started:
        out = d.stop()
        for marker in SAN_MARKERS:
            assert marker not in out, out


@pytest.fixture
def hub(build, tmp_path):
    """Factory: hub(config_text) starts ttyhubd -c; all are stopped at the
    end and their output must hold no sanitizer report."""
    started = []

    def start(text, binary=None, extra=(), sock=None):
        h = Hub(binary or build, text, tmp_path, extra, sock)
        started.append(h)
        return h

    yield start
    for h in started:
        out = h.stop()
        for marker in SAN_MARKERS:
            assert marker not in out, out
