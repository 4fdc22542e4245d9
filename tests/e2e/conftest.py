"""pytest fixtures for the QEMU guest rig (see README.md in this directory)."""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guestrig  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TTYHUBD_STATIC = os.environ.get("TTYHUBD_STATIC", os.path.join(REPO, "build", "ttyhubd-static"))

_REQUIRED = {
    "qemu-system-x86_64": "qemu-system-x86",
    "/bin/busybox": "busybox-static",
    "/usr/bin/telnet": "inetutils-telnet",
    "apt-get": "apt",
    "dpkg-deb": "dpkg",
}


def _check_tools():
    missing = ["%s (package %s)" % (tool, pkg) for tool, pkg in _REQUIRED.items()
               if not (os.path.exists(tool) if tool.startswith("/") else shutil.which(tool))]
    if missing:
        pytest.fail("e2e tests need: " + ", ".join(missing) + "; see tests/e2e/README.md",
                    pytrace=False)


@pytest.fixture(scope="session")
def rig():
    """The Rig: kernel downloaded/unpacked/decompressed once into the cache."""
    _check_tools()
    r = guestrig.Rig(log=lambda m: print("[guestrig] " + m, file=sys.stderr))
    try:
        r.kernel()
    except guestrig.RigError as e:
        pytest.fail(str(e), pytrace=False)
    return r


@pytest.fixture
def make_guest(rig):
    """Factory: make_guest(initramfs=None, **Guest kwargs) -> started Guest, stopped at teardown.

    Pass start=False to get an unstarted Guest (start it yourself, e.g. after a listener).
    """
    guests = []

    def make(initramfs=None, start=True, **kw):
        g = guestrig.Guest(rig, initramfs, **kw)
        guests.append(g)
        if start:
            g.start()
        return g

    yield make
    for g in reversed(guests):
        g.cleanup()


@pytest.fixture(scope="module")
def guest(rig):
    """A plain guest (ttyS0 + hvc0 shells, eth0 with :23 forwarded) shared by a module."""
    g = guestrig.Guest(rig, virtconsole=True)
    g.start()
    yield g
    g.cleanup()


@pytest.fixture(scope="session")
def ttyhubd_static():
    """Path of build/ttyhubd-static (or $TTYHUBD_STATIC); skips when it is not built."""
    if not os.path.isfile(TTYHUBD_STATIC):
        pytest.skip("%s does not exist: build it with `make static`" % TTYHUBD_STATIC)
    return TTYHUBD_STATIC
