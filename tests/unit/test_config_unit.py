"""What the configuration file parser's C table tests
(tests/unit/test-config.c) are given besides the run test_units.py makes
of them in each build: the normal build runs once more under valgrind,
for leaks and for reads of memory a parse never wrote.  Then the manual:
doc/ttyhub.conf.5 describes every key of the table (test-config --keys),
no other, and the default the table gives."""
import os
import re
import shutil
import subprocess

import pytest

from ttyhubtest import ROOT

MANUAL = os.path.join(ROOT, "doc", "ttyhub.conf.5")
# The manual's sections for the configuration file's sections.
SECTIONS = {"THE TTYHUBD SECTION": "ttyhubd", "CONSOLE SECTIONS": "console",
            "LOGIN SECTIONS": "login", "NETWORK SECTIONS": "network"}


def binary_of(build):
    binary = os.path.join(ROOT, build, "test-config")
    assert os.access(binary, os.X_OK), "%s missing: run make check" % binary
    return binary


def test_config_valgrind():
    """Every key parsed alone and freed (run_table), every good and bad
    file: nothing leaks, nothing uninitialised is read."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed (make test-deps installs it)")
    p = subprocess.run([valgrind, "-q", "--error-exitcode=99",
                        "--leak-check=full", binary_of("build")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-6000:] + p.stdout[-2000:]
    assert p.stdout.strip().endswith(" 0 failed"), p.stdout[-2000:]


def manual_keys():
    """{(section, key): text} of every ".It Cm KEY" in the manual's
    sections for [ttyhubd], [console] and [login], with the text up to
    the next item (mdoc macros dropped); a key given twice (telnet, path)
    gets both texts."""
    keys, sect, cur = {}, None, None
    with open(MANUAL) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                sect, cur = SECTIONS.get(line[4:].strip()), None
                continue
            if sect is None:
                continue
            m = re.match(r"\.It Cm (\S+)", line)
            if m:
                cur = (sect, m.group(1))
                keys.setdefault(cur, "")
                continue
            if line.startswith((".It", ".El")):
                cur = None
            elif cur is not None:
                if line.startswith("."):
                    line = line.split(" ", 1)[1] if " " in line else ""
                keys[cur] += " " + line
    return keys


def table_keys():
    """[(section, key, default or None)] from test-config --keys."""
    p = subprocess.run([binary_of("build"), "--keys"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = [line.split(" ") for line in p.stdout.splitlines()]
    assert rows and all(len(r) == 3 for r in rows), p.stdout
    return [(s, k, None if d == "-" else d) for s, k, d in rows]


def test_manual_has_every_key():
    table = {(s, k) for s, k, _ in table_keys()}
    manual = set(manual_keys())
    assert table - manual == set(), "keys not in doc/ttyhub.conf.5"
    assert manual - table == set(), "doc/ttyhub.conf.5 has keys the " \
        "table (src/daemon/config-table.c) does not"


def test_manual_gives_each_default():
    manual = manual_keys()
    for sect, key, default in table_keys():
        if default is None:
            continue
        text = manual[(sect, key)]
        assert re.search(r"default is\s+%s(?![\w/-])" % re.escape(default),
                         text), "%s %s: the manual does not say \"The " \
            "default is %s\": %s" % (sect, key, default, text[:300])
