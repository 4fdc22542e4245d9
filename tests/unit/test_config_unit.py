"""Runs the C table tests of the configuration file parser
(tests/unit/test-config.c) for each build, so that one pytest summary
covers them.  Under ASan a failed parse that leaks fails the test."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")


@pytest.mark.parametrize("build", BUILDS)
def test_config_tables(build):
    binary = os.path.join(ROOT, build, "test-config")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    p = subprocess.run([binary], capture_output=True, text=True, timeout=300,
                       env=env)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "Sanitizer" not in p.stderr, p.stderr[-4000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
