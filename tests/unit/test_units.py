"""Runs every C unit test (tests/unit/test-NAME.c, which the Makefile
links as BUILD/test-NAME) for each build, so that one pytest summary
covers them.  Each must exit 0 and end with " 0 failed"; under ASan a
leak or any sanitizer report fails it too.  A new test-NAME.c is found
here by itself; ARGS holds what a program is given besides.
TTYHUB_UNITS=NAME,... runs only those (make unit-NAME)."""
import glob
import os
import subprocess

import pytest

from ttyhubtest import BUILDS, ROOT

# Arguments of the programs that take any.
ARGS = {
    "tn": [os.path.join(ROOT, "tests", "golden", "telnet")],
}

UNITS = sorted(os.path.basename(p)[len("test-"):-len(".c")]
               for p in glob.glob(os.path.join(ROOT, "tests", "unit",
                                               "test-*.c")))
if os.environ.get("TTYHUB_UNITS"):
    UNITS = [u for u in UNITS
             if u in os.environ["TTYHUB_UNITS"].split(",")]


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("unit", UNITS)
def test_unit(unit, build):
    binary = os.path.join(ROOT, build, "test-" + unit)
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    p = subprocess.run([binary] + ARGS.get(unit, []), capture_output=True,
                       text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "Sanitizer" not in p.stderr, p.stderr[-4000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]
