"""Fixtures for the User-Mode Linux rig (umlrig.py): `uml` boots guests
that are stopped at teardown.  A missing linux.uml or busybox-static is a
failure, not a skip: tools/deps.sh test installs both."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# clienttest.py (the private tmux server), for a terminal of our own.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "client"))

import umlrig  # noqa: E402


@pytest.fixture(scope="session")
def uml_kernel():
    try:
        return umlrig.Kernel.get()
    except umlrig.RigError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def uml(uml_kernel, tmp_path):
    """Factory: uml(sock=None, script="", **Guest kwargs) -> a started
    Guest (start=False: not started).  Every guest is stopped at the end,
    and none may leave a process of its session behind."""
    guests = []

    def boot(sock=None, script="", start=True, name=None, **kw):
        g = umlrig.Guest(tmp_path, sock, script,
                         name=name or "uml%d" % (len(guests) + 1),
                         kernel=uml_kernel, **kw)
        guests.append(g)
        if start:
            g.start()
        return g

    yield boot
    for g in guests:
        g.stop()
