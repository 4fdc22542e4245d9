"""Runs the C table tests of the guest network layer (tests/unit/test-net.c:
src/net/frame.c, fq.c, fdb.c and sw.c on plain memory) for each build."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")


@pytest.mark.parametrize("build", BUILDS)
def test_net_tables(build):
    binary = os.path.join(ROOT, build, "test-net")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    p = subprocess.run([binary], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
