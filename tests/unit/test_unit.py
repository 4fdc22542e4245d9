"""Runs the C unit tests (golden Telnet transcripts and table tests) for
each build, so that one pytest summary covers everything."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")


@pytest.mark.parametrize("build", BUILDS)
def test_telnet_golden_transcripts(build):
    binary = os.path.join(ROOT, build, "test-tn")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    p = subprocess.run([binary, os.path.join(ROOT, "tests/golden/telnet")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
