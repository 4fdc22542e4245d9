"""vhost-user consoles against the real Linux driver: ttyhubd is the
vhost-user backend of a single-port virtio console, User-Mode Linux's
virtio_uml is the frontend (`virtio_uml.device=SOCK:3`) and the guest's
virtio_console.ko drives it as /dev/hvc0.  Clients are socat on the raw
listener and the byte-exact Telnet client (for NAWS).

Each test boots one or two guests (about 2 s each, see umlrig.py); the
guest's part is a shell snippet with stdin/stdout on /dev/hvc0 (raw,
-echo) that reports on the UML console with `say`.  Every wait is
bounded."""
import os
import time

import pytest

import umlrig
from umlrig import wait_guest
from ttyhubtest import free_port
from telnetc import NAWS, Telnet

READY = umlrig.MARK + "hvc0 ready"

# The guest reports every window size it sees on /dev/hvc0 until it sees
# `want` (or 15 s pass).  A fork costs ~25 ms in UML: time by uptime.
WATCH_SIZE = """want='%s'
last=
clock
end=$((now + 15))
i=0
while [ $i -lt 1000 ]; do
	s=$(stty -F /dev/hvc0 size)
	if [ "$s" != "$last" ]; then say "size:$s"; last=$s; fi
	[ "$s" = "$want" ] && break
	clock
	[ $now -lt $end ] || break
	sleep 0.1
	i=$((i + 1))
done
"""


def vhost_conf(tmp_path):
    """ttyhubd's config for one vhost-user console: (text, socket path,
    raw port, telnet port)."""
    sock = str(tmp_path / "vm1.vhost")
    rport, tport = free_port(), free_port()
    text = """[console vm1]
type = vhost-user
path = %s
size = 120x40
raw = 127.0.0.1:%d
telnet = 127.0.0.1:%d
""" % (sock, rport, tport)
    return text, sock, rport, tport


@pytest.fixture
def vm1(hub, tmp_path):
    """ttyhubd serving console vm1 on a vhost-user socket: (hub, socket,
    raw port, telnet port)."""
    text, sock, rport, tport = vhost_conf(tmp_path)
    h = hub(text)
    deadline = time.monotonic() + 10
    while not os.path.exists(sock):
        assert time.monotonic() < deadline, "no socket at %s:\n%s" % (
            sock, h.output())
        time.sleep(0.02)
    return h, sock, rport, tport


def test_guest_output_reaches_raw_and_telnet_clients(vm1, uml, socat):
    h, sock, rport, tport = vm1
    r = socat("TCP:127.0.0.1:%d" % rport)
    t = Telnet(tport)
    g = uml(sock, 'echo "hello from the guest"\nsay "wrote"\n')
    wait_guest(g, h, umlrig.MARK + "wrote", clients=(t,))
    r.expect(b"hello from the guest\n", timeout=10)
    t.expect(b"hello from the guest", timeout=10)
    assert g.wait_exit(30) == 0


def test_client_input_reaches_the_guest(vm1, uml, socat):
    h, sock, rport, tport = vm1
    r = socat("TCP:127.0.0.1:%d" % rport)
    g = uml(sock, 'read line\nsay "got:$line"\n')
    wait_guest(g, h, READY)
    r.send(b"hello from the client\n")
    wait_guest(g, h, umlrig.MARK + "got:hello from the client", timeout=15)
    assert g.wait_exit(30) == 0


def test_initial_size_then_telnet_naws_resize_the_guest(vm1, uml):
    h, sock, rport, tport = vm1
    g = uml(sock, WATCH_SIZE % "30 100")
    # The device pushes the configured size once the port is up (Linux
    # does not read cols/rows at probe).
    wait_guest(g, h, umlrig.MARK + "size:40 120", timeout=20)
    t = Telnet(tport, agree={NAWS}, naws=(100, 30))
    wait_guest(g, h, umlrig.MARK + "size:30 100", timeout=15, clients=(t,))
    assert g.wait_exit(30) == 0
    t.close()


def test_guest_poweroff_and_a_second_boot(vm1, uml, socat):
    h, sock, rport, tport = vm1
    r = socat("TCP:127.0.0.1:%d" % rport)
    g1 = uml(sock, 'echo "first boot"\n')
    wait_guest(g1, h, READY)
    r.expect(b"first boot\n", timeout=10)
    assert g1.wait_exit(30) == 0
    r.expect(b"[ttyhub: vm1: backend down", timeout=10)
    # The client stays connected while the guest is away.
    time.sleep(0.5)
    r.pump(0.1)
    assert not r.closed and r.proc.poll() is None
    at = len(r.data)
    g2 = uml(sock, 'echo "second boot"\nread line\nsay "got:$line"\n')
    wait_guest(g2, h, READY)
    r.expect(b"second boot\n", timeout=10, start=at)
    r.send(b"typed after the reboot\n")
    wait_guest(g2, h, umlrig.MARK + "got:typed after the reboot", timeout=15)
    assert g2.wait_exit(30) == 0
    assert h.proc.poll() is None
