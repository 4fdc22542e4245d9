"""make install as a user or a packager runs it: into DESTDIR, with
PREFIX, and what it installs working from there (the programs, and the
man pages through man(1), as ttyhub --help promises them).

make runs with -o for the two programs: it installs what build/ holds
and never rebuilds them here, with other flags, under the other tests."""
import filecmp
import os
import re
import subprocess

import pytest

from ttyhubtest import ROOT

PROGRAMS = ("build/ttyhubd", "build/ttyhub")

# Installed path under PREFIX -> the file in the tree it copies.
INSTALLED = {
    "bin/ttyhub": "build/ttyhub",
    "sbin/ttyhubd": "build/ttyhubd",
    "share/man/man1/ttyhub.1": "doc/ttyhub.1",
    "share/man/man5/ttyhub.conf.5": "doc/ttyhub.conf.5",
    "share/man/man8/ttyhubd.8": "doc/ttyhubd.8",
    "share/doc/ttyhub/examples/ttyhub.conf": "doc/examples/ttyhub.conf",
    "lib/systemd/system/ttyhubd.socket": "dist/systemd/ttyhubd.socket",
}
# Made from a template with the paths of this install.
SERVICE = "lib/systemd/system/ttyhubd.service"

# The PAM service, where PAM reads it whatever PREFIX is (not removed by
# uninstall, as an edited one is kept by install).
PAM = "etc/pam.d/ttyhub"

# Each page as man(1) finds it by name, and a line its NAME section has.
PAGES = (("1", "ttyhub", "ttyhub - attach to a console of ttyhubd"),
         ("5", "ttyhub.conf",
          "ttyhub.conf - consoles, login services, guest networks and the "
          "broker"),
         ("8", "ttyhubd", "ttyhubd - serve login sessions over Telnet"))


def make(*args):
    cmd = ["make", "-s", "-C", ROOT]
    for p in PROGRAMS:
        cmd += ["-o", p]
    # Under make check: not the outer make's flags, variables or jobs.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(cmd + list(args), capture_output=True, timeout=60,
                       env=env)
    assert p.returncode == 0, p.stderr.decode()
    return p


def files_under(top):
    found = set()
    for d, _, names in os.walk(top):
        for n in names:
            found.add(os.path.relpath(os.path.join(d, n), top))
    return found


def plain(text):
    """man's output without overstrike and with one kind of dash."""
    text = re.sub(r".\x08", "", text)
    return text.replace("\u2014", "-").replace("\u2013", "-")


@pytest.fixture(autouse=True)
def built():
    for p in PROGRAMS:
        if not os.access(os.path.join(ROOT, p), os.X_OK):
            pytest.fail("%s is missing: run make check (it builds it)" % p)


def test_install_puts_everything_under_destdir_and_it_works(tmp_path):
    dest = tmp_path / "dest"
    make("install", "DESTDIR=%s" % dest)
    prefix = dest / "usr/local"
    assert files_under(dest) == {"usr/local/" + f
                                 for f in list(INSTALLED) + [SERVICE]} | {PAM}
    assert filecmp.cmp(dest / PAM, os.path.join(ROOT,
                       "doc/examples/pam.d-ttyhub"), shallow=False)
    with open(os.path.join(ROOT, "dist/systemd/ttyhubd.service.in")) as f:
        want = f.read().replace("@SBINDIR@", "/usr/local/sbin").replace(
            "@SYSCONFDIR@", "/etc")
    assert (prefix / SERVICE).read_text() == want
    assert os.stat(prefix / SERVICE).st_mode & 0o777 == 0o644
    # One someone edited stays as it is.
    (dest / PAM).write_text("auth required pam_deny.so\n")
    make("install", "DESTDIR=%s" % dest)
    assert (dest / PAM).read_text() == "auth required pam_deny.so\n"
    for f, src in INSTALLED.items():
        assert filecmp.cmp(prefix / f, os.path.join(ROOT, src),
                           shallow=False), f
        mode = os.stat(prefix / f).st_mode & 0o777
        assert mode == (0o755 if "bin/" in f else 0o644), (f, oct(mode))

    p = subprocess.run([prefix / "bin/ttyhub", "--help"],
                       capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert b"(man ttyhub for the details)" in p.stdout
    p = subprocess.run([prefix / "sbin/ttyhubd", "--help"],
                       capture_output=True, timeout=10)
    assert p.returncode == 0 and b"usage: ttyhubd" in p.stdout, p
    example = prefix / "share/doc/ttyhub/examples/ttyhub.conf"
    p = subprocess.run([prefix / "sbin/ttyhubd", "-c", example, "-t"],
                       capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert b": good (3 consoles)" in p.stdout

    # man by name, through MANPATH, and man -l on each file.
    env = dict(os.environ, MANPATH=str(prefix / "share/man"),
               MANWIDTH="80", LC_ALL="C.UTF-8")
    for section, name, line in PAGES:
        p = subprocess.run(["man", "-P", "cat", section, name],
                           capture_output=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        assert line in plain(p.stdout.decode()), p.stdout
        page = prefix / "share/man" / ("man" + section) / (
            name + "." + section)
        p = subprocess.run(["man", "-P", "cat", "-l", page],
                           capture_output=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        assert line in plain(p.stdout.decode()), p.stdout

    make("uninstall", "DESTDIR=%s" % dest)
    assert files_under(dest) == {PAM}


def test_prefix_moves_everything(tmp_path):
    dest = tmp_path / "dest"
    make("install", "DESTDIR=%s" % dest, "PREFIX=/opt/th")
    assert files_under(dest) == {"opt/th/" + f
                                 for f in list(INSTALLED) + [SERVICE]} | {PAM}
    assert "ExecStart=/opt/th/sbin/ttyhubd -F -c /etc/ttyhub/ttyhub.conf\n" \
        in (dest / "opt/th" / SERVICE).read_text()
    p = subprocess.run([dest / "opt/th/bin/ttyhub", "--version"],
                       capture_output=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith(b"ttyhub "), p
    make("uninstall", "DESTDIR=%s" % dest, "PREFIX=/opt/th")
    assert files_under(dest) == {PAM}
