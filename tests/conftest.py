"""Shared fixtures: the real daemon, started per test on an ephemeral
loopback port, for each build under test (normal and ASan+UBSan); socat
clients; a stand-in for QEMU's chardev socket.  The helpers they are made
of are in ttyhubtest.py."""
import os
import shutil
import subprocess

import pytest

from ttyhubtest import (BUILDS, ROOT, SAN_MARKERS, Daemon, FakeGuest, Hub,
                        Socat, Wire, make_pki)


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


@pytest.fixture
def socat():
    """Factory: socat(ADDR) starts `socat - ADDR` (a Socat); all are
    ended at the end."""
    started = []

    def start(addr):
        s = Socat(addr)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Test certificates (ttyhubtest.make_pki), made once per run."""
    return make_pki(tmp_path_factory.mktemp("pki"), users=("nobody", "daemon"))


@pytest.fixture(params=["plain", "tls"])
def wire(request, pki):
    """A test run twice: its TCP listeners and clients plain, then TLS."""
    return Wire(request.param, pki)


@pytest.fixture
def guest(tmp_path):
    """QEMU's chardev socket server for console vm1, at
    tmp_path/vm1.serial (tests/e2e's guest is a real one)."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    yield g
    g.stop()


@pytest.fixture(scope="module")
def pam_user():
    """A user with a password, and a PAM service that checks it with
    pam_unix (not the machine's login policy); both removed at the end.
    Needs root and useradd: tests that use it skip without."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("makes a user and a PAM service: needs root and useradd")
    user = "tthub%d" % (os.getpid() % 100000)
    password = "Secret %d pass" % os.getpid()
    service = "ttyhub-test-%d" % os.getpid()
    pamfile = "/etc/pam.d/" + service
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", user],
                   check=True, capture_output=True)
    try:
        subprocess.run(["chpasswd"], input=("%s:%s\n" % (user, password))
                       .encode(), check=True, capture_output=True)
        with open(pamfile, "w") as f:
            f.write("auth required pam_unix.so\n"
                    "account required pam_unix.so\n")
        yield {"user": user, "password": password, "service": service}
    finally:
        if os.path.exists(pamfile):
            os.unlink(pamfile)
        subprocess.run(["userdel", user], capture_output=True)
