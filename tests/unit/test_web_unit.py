"""Runs the C unit test of the web console's protocol layer
(tests/unit/test-web.c) for each build."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")


@pytest.mark.parametrize("build", BUILDS)
def test_web_protocol_layer(build):
    binary = os.path.join(ROOT, build, "test-web")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    p = subprocess.run([binary], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
