"""Self-tests of the guest rig: consoles, run(), initramfs additions, links, stop."""

import os
import re

import pytest

from guestrig import Guest, GuestError, Link, TelnetClient, free_port

# Addresses on the guest-to-guest link only: frames travel between the two QEMU processes
# over a 127.0.0.1 TCP socket and never reach the host's network.
LINK_A, LINK_B = "10.0.3.1", "10.0.3.2"


@pytest.fixture(scope="module")
def link_port():
    return free_port()


@pytest.fixture(scope="module")
def initrd(rig):
    return rig.initramfs(files={"/etc/tth/hello": b"hello from the host\n"},
                         symlinks={"/usr/local/bin/hi": "/bin/busybox"},
                         init_lines=["echo init-line-ran > /tmp/init-line"],
                         scenario="echo scenario-ran > /tmp/scenario\n")


@pytest.fixture(scope="module")
def g(rig, initrd, link_port):
    """Every optional device at once: hvc0, QEMU telnet serial ttyS1, a listening link."""
    guest = Guest(rig, initrd, name="rig-a", virtconsole=True, telnet_serial=True,
                  links=[Link(listen=link_port, addr=LINK_A + "/24")])
    guest.start()
    yield guest
    guest.cleanup()


def test_run_returns_output_and_status(g):
    r = g.run("echo hi; exit 3")
    assert (r.output, r.status) == ("hi\n", 3)
    # a status of several digits, whole (a serial line brings it a digit at a time)
    assert [g.run("exit 137").status for _ in range(5)] == [137] * 5
    # multi-line text with quotes, $ and a long body (sent in several chunks)
    body = "\n".join("echo 'line %d \"$x\"'" % i for i in range(120))
    r = g.run("x=dollar\n" + body)
    assert r.status == 0
    assert r.output.splitlines() == ['line %d "$x"' % i for i in range(120)]


def test_typed_run_keeps_shell_state(g):
    assert g.run("TTH_X=17", typed=True).status == 0
    assert g.run("echo $TTH_X", typed=True).output.strip() == "17"
    assert g.run("echo ${TTH_X:-unset}").output.strip() == "unset"     # script: fresh sh


def test_initramfs_additions(g, rig, initrd):
    r = g.run("cat /etc/tth/hello /tmp/init-line /tmp/scenario; readlink /usr/local/bin/hi")
    assert r.output.splitlines() == ["hello from the host", "init-line-ran", "scenario-ran",
                                     "/bin/busybox"]
    # the image is cached by the hash of its inputs
    again = rig.initramfs(files={"/etc/tth/hello": b"hello from the host\n"},
                          symlinks={"/usr/local/bin/hi": "/bin/busybox"},
                          init_lines=["echo init-line-ran > /tmp/init-line"],
                          scenario="echo scenario-ran > /tmp/scenario\n")
    assert again == initrd
    assert rig.initramfs(files={"/etc/tth/hello": b"changed\n"}) != initrd


def test_network_and_modules(g):
    r = g.run("ip -4 addr show eth0; ip route; lsmod", check=True)
    assert "inet 10.0.2.15/24" in r.output
    assert "default via 10.0.2.2" in r.output
    for m in ("virtio_net", "virtio_console", "e1000", "virtio_pci"):
        assert re.search(r"^%s\s" % m, r.output, re.M), m


def test_hvc0_console(g):
    r = g.run("tty", console="hvc0", typed=True)
    assert r.output.strip() == "/dev/hvc0"


def test_output_logged_while_nobody_listens(g):
    # printed on ttyS0 while we are attached to hvc0 only: QEMU's logfile keeps it
    g.run(r"printf 'tth-\154\157\147\n' > /dev/ttyS0", console="hvc0", check=True)
    assert "tth-log\n" in g.log("ttyS0").replace("\r\n", "\n")


def test_qemu_telnet_serial(g):
    """ttyS1 is served by QEMU's own telnet server: a second Telnet implementation."""
    c = TelnetClient(g.telnet_port, rows=30, cols=90, new_shell=False)
    try:
        assert c.sh("echo $((6*7))").splitlines()[-1] == "42"
        assert c.sh("tty").splitlines()[-1] == "/dev/ttyS1"
    finally:
        c.close()


def test_guest_to_guest_link(rig, initrd, g, link_port, make_guest):
    b = make_guest(initrd, name="rig-b", forwards={},
                   links=[Link(connect=link_port, addr=LINK_B + "/24")])
    r = b.run("ping -c 2 -W 5 %s" % LINK_A, timeout=30)
    assert r.status == 0, r.output
    # a TCP byte stream across the link
    b.run("nc -l -p 5000 > /tmp/got </dev/null &", typed=True, check=True)
    assert b.tcp_listener(5000, timeout=5)
    r = g.run("echo over-the-link | nc %s 5000" % LINK_B, timeout=20)
    assert r.status == 0, r.output
    r = b.run("i=0; while [ $i -lt 50 ] && [ ! -s /tmp/got ]; do sleep 0.1; i=$((i+1)); done;"
              " cat /tmp/got")
    assert r.output.strip() == "over-the-link"


def test_boot_timeout_fails_with_console_tail(rig, initrd, make_guest):
    gg = make_guest(initrd, start=False, name="too-slow", boot_timeout=0.5)
    with pytest.raises(GuestError, match=r"(?s)not ready after .*--- ttyS0"):
        gg.start()


def test_stop_by_pid(rig, initrd, make_guest):
    gg = make_guest(initrd, start=False, name="stopper", forwards={})
    gg.start(wait=False)
    pid = gg.pid
    assert gg.stop(timeout=10) is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
