"""Runs the C unit test of the console ring (tests/unit/test-ring.c) for
each build."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")


@pytest.mark.parametrize("build", BUILDS)
def test_ring_against_a_model(build):
    binary = os.path.join(ROOT, build, "test-ring")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    p = subprocess.run([binary], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
