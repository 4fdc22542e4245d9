"""Runs the client's C table tests (tests/client/unit-client.c: escapes,
cleaning, the client's Telnet policy) for each build."""
import os
import subprocess

import pytest

from ttyhubtest import BUILDS, ROOT


@pytest.mark.parametrize("build", BUILDS)
def test_client_tables(build):
    binary = os.path.join(ROOT, build, "test-client")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    p = subprocess.run([binary], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
