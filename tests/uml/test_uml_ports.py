"""Devices of several ports, several devices, and guests that restart,
against the real Linux virtio_console driver in User-Mode Linux
(umlrig.py): ttyhubd is the vhost-user backend, virtio_uml the
frontend.  With `ports = N` the device offers MULTIPORT and the driver
and ttyhubd speak over the control queue: PORT_ADD, PORT_READY,
CONSOLE_PORT, PORT_NAME, PORT_OPEN and RESIZE.

The guests' snippets run on the UML console (on_hvc=False) and open
their ports themselves.  BusyBox has no udev: a snippet makes
/dev/virtio-ports/NAME from each port's sysfs name as udev's rule does
(KERNEL=="vport*", ATTR{name}=="?*", SYMLINK+="virtio-ports/$attr{name}").
Clients are socat on raw listeners (notices come in band, as
"[ttyhub: ...]" lines) and the byte-exact Telnet client for NAWS.
Every wait is bounded; guests report with `say`."""
import os
import time

from ttyhubtest import free_port
from telnetc import NAWS, Telnet
from umlrig import MARK, wait_guest

# udev's rule for virtio ports, by hand.
LINKS = r"""mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/vport*; do
	[ -r "$p/name" ] && ln -sf "../${p##*/}" \
	    "/dev/virtio-ports/$(cat "$p/name")"
done
say "ports: $(cd /dev/virtio-ports && echo *)"
"""

# Open a console port on fd $2 as soon as it opens (bounded, timed by
# uptime), then make it raw.  Its device node is there before the driver
# has made it a console (ENODEV until then).  The first open is the one
# kept: input that waited for the guest is in the driver's buffer and
# goes to the first program that opens the port, and a program that
# opens and closes it (stty -F alone) would take it with it; and hvc
# resets a terminal on its last close.
OPEN_HVC = r"""open_hvc() {
	clock; end=$((now + 15)); i=0
	while ! { eval "command exec $2<>$1"; } 2>/dev/null; do
		clock; [ $now -lt $end ] && [ $i -lt 300 ] || return 1
		sleep 0.05; i=$((i + 1))
	done
	stty -F "$1" raw -echo
}
"""


def sock_ready(h, path):
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "no socket at %s:\n%s" % (
            path, h.output())
        time.sleep(0.02)


def test_three_ports_names_data_resize_and_reopen(hub, uml, socat, tmp_path):
    """One device of three ports: vm1 (port 0, /dev/hvc0), vm1-b (port 1,
    a second console port, /dev/hvc1) and vm1.log (port 2, a named port
    the guest opens as /dev/virtio-ports/org.ttyhub.log).  The guest sees
    each port's name; output and input go both ways on each, exactly; a
    Telnet writer's NAWS on vm1-b resizes /dev/hvc1 alone; the guest
    closes the named port and opens it again, its client is told both
    times, and what it typed while the port was closed waits for it."""
    sock = str(tmp_path / "vm1.vhost")
    p0, p1, p2, t1 = free_port(), free_port(), free_port(), free_port()
    h = hub("""[console vm1]
type = vhost-user
path = %s
ports = 3
size = 100x30
raw = 127.0.0.1:%d

[console vm1-b]
type = vhost-port
port = vm1:1
console-port = yes
size = 90x20
raw = 127.0.0.1:%d
telnet = 127.0.0.1:%d

[console vm1.log]
type = vhost-port
port = vm1:2
port-name = org.ttyhub.log
raw = 127.0.0.1:%d
""" % (sock, p0, p1, t1, p2))
    sock_ready(h, sock)
    c0 = socat("TCP:127.0.0.1:%d" % p0)
    c1 = socat("TCP:127.0.0.1:%d" % p1)
    c2 = socat("TCP:127.0.0.1:%d" % p2)
    h.wait_attached("vm1.log")
    script = LINKS + OPEN_HVC + r"""
open_hvc /dev/hvc0 3 || say "no hvc0"
open_hvc /dev/hvc1 4 || say "no hvc1"
say "sizes $(stty -F /dev/hvc0 size) / $(stty -F /dev/hvc1 size)"
exec 5<>/dev/virtio-ports/org.ttyhub.log
echo "out0" >&3
echo "out1" >&4
echo "out2" >&5
say "wrote"
read l <&3; say "in0:$l"
read l <&4; say "in1:$l"
read l <&5; say "in2:$l"
exec 5>&-
say "closed the port"
read l <&3; say "told:$l"
exec 5<>/dev/virtio-ports/org.ttyhub.log
read l <&5; say "again:$l"
echo "out2 again" >&5
clock; end=$((now + 15)); i=0
while [ "$(stty -F /dev/hvc1 size)" != "11 77" ] && [ $i -lt 300 ]; do
	clock; [ $now -lt $end ] || break
	sleep 0.05; i=$((i + 1))
done
say "sizes $(stty -F /dev/hvc0 size) / $(stty -F /dev/hvc1 size)"
"""
    g = uml(sock, script, on_hvc=False)
    wait_guest(g, h, MARK + "ports: org.ttyhub.log vm1 vm1-b\n")
    at = wait_guest(g, h, MARK + "sizes 30 100 / 20 90\n")
    wait_guest(g, h, MARK + "wrote")
    c0.expect(b"out0\n")
    c1.expect(b"out1\n")
    c2.expect(b"[ttyhub: vm1.log: the guest opened the port]\r\n")
    c2.expect(b"out2\n")
    c0.send(b"in0\n")
    wait_guest(g, h, MARK + "in0:in0")
    c1.send(b"in1\n")
    wait_guest(g, h, MARK + "in1:in1")
    c2.send(b"in2\n")
    wait_guest(g, h, MARK + "in2:in2")
    wait_guest(g, h, MARK + "closed the port")
    c2.expect(b"[ttyhub: vm1.log: the guest closed the port]\r\n")
    at2 = len(c2.data)
    c2.send(b"typed while closed\n")
    # Held for the guest: Linux drops what comes for a closed port.
    c0.send(b"reopen\n")
    wait_guest(g, h, MARK + "told:reopen")
    wait_guest(g, h, MARK + "again:typed while closed")
    c2.expect(b"[ttyhub: vm1.log: the guest opened the port]\r\n",
              start=at2)
    c2.expect(b"out2 again\n", start=at2)
    # A writer's window size reaches its own port only.
    t = Telnet(t1, agree={NAWS}, naws=(77, 11))
    wait_guest(g, h, MARK + "sizes 30 100 / 11 77\n", start=at,
               clients=(t,))
    assert g.wait_exit(30) == 0
    t.close()
    # Exactly the guest's bytes on each (hvc0 and hvc1 raw: no echo).
    assert b"in0" not in c0.data and b"in1" not in c1.data
    assert bytes(c0.data).startswith(b"out0\n")
    assert bytes(c1.data).startswith(b"out1\n")


def test_two_guests_on_two_sockets_at_once(hub, uml, socat, tmp_path):
    """Two devices of one daemon, two guests at once: vm1 of two ports
    (port 1 made as console vm1.1, the name its guest sees) and vm2 of
    one.  Each client sees its own guest's output only and its input
    reaches its own guest only; when guest 1 stops, guest 2 goes on."""
    s1, s2 = str(tmp_path / "vm1.vhost"), str(tmp_path / "vm2.vhost")
    r1, r2 = free_port(), free_port()
    h = hub("""[console vm1]
type = vhost-user
path = %s
ports = 2
raw = 127.0.0.1:%d

[console vm2]
type = vhost-user
path = %s
raw = 127.0.0.1:%d
""" % (s1, r1, s2, r2))
    sock_ready(h, s1)
    sock_ready(h, s2)
    c1 = socat("TCP:127.0.0.1:%d" % r1)
    c2 = socat("TCP:127.0.0.1:%d" % r2)
    h.wait_attached("vm2")
    guest = OPEN_HVC + r"""
[ -d /sys/class/virtio-ports ] &&
    say "names: $(cat /sys/class/virtio-ports/*/name | tr '\n' ' ')"
open_hvc /dev/hvc0 3 || say "no hvc0"
echo "hello from %s" >&3
read l <&3; say "got:$l"
read l <&3; say "got:$l"
"""
    g1 = uml(s1, guest % "vm1", on_hvc=False, name="vm1")
    g2 = uml(s2, guest % "vm2", on_hvc=False, name="vm2")
    wait_guest(g1, h, MARK + "names: vm1 vm1.1 \n")
    c1.expect(b"hello from vm1\n")
    c2.expect(b"hello from vm2\n")
    c1.send(b"to vm1\n")
    c2.send(b"to vm2\n")
    wait_guest(g1, h, MARK + "got:to vm1")
    wait_guest(g2, h, MARK + "got:to vm2")
    assert b"vm2" not in c1.data and b"vm1" not in c2.data
    assert "to vm2" not in g1.console_output()
    # Guest 1 goes (killed); the other device goes on as if nothing was.
    g1.stop()
    c1.expect(b"[ttyhub: vm1: backend down")
    c2.send(b"still there\n")
    wait_guest(g2, h, MARK + "got:still there")
    assert b"backend down" not in c2.data
    assert g2.wait_exit(30) == 0
    # Port 1 is a console of its own, waiting for a frontend with its
    # device.
    assert h.row("vm1.1")["state"] == h.row("vm1")["state"] == "connecting"


def test_driver_reset_keeps_the_window_size(hub, uml, socat, tmp_path):
    """Without MULTIPORT: a writer sets 100x30; the guest unloads and
    loads virtio_console on the same connection; after it the console is
    100x30 again, not 0x0, and output and input still flow."""
    sock = str(tmp_path / "vm1.vhost")
    rport, tport = free_port(), free_port()
    h = hub("""[console vm1]
type = vhost-user
path = %s
size = 120x40
raw = 127.0.0.1:%d
telnet = 127.0.0.1:%d
""" % (sock, rport, tport))
    sock_ready(h, sock)
    c = socat("TCP:127.0.0.1:%d" % rport)
    t = Telnet(tport, agree={NAWS}, naws=(100, 30))
    script = OPEN_HVC + r"""
open_hvc /dev/hvc0 3 || say "no hvc0"
clock; end=$((now + 15)); i=0
while [ "$(stty -F /dev/hvc0 size)" != "30 100" ] && [ $i -lt 300 ]; do
	clock; [ $now -lt $end ] || break
	sleep 0.05; i=$((i + 1))
done
say "before: $(stty -F /dev/hvc0 size)"
exec 3>&-
rmmod virtio_console && say "unloaded"
insmod /tth/modules/virtio_console.ko && say "loaded"
open_hvc /dev/hvc0 3 || say "no hvc0"
clock; end=$((now + 5)); i=0
while [ "$(stty -F /dev/hvc0 size)" != "30 100" ] && [ $i -lt 100 ]; do
	clock; [ $now -lt $end ] || break
	sleep 0.05; i=$((i + 1))
done
say "after: $(stty -F /dev/hvc0 size)"
echo "after the reset" >&3
read l <&3; say "got:$l"
"""
    g = uml(sock, script, on_hvc=False)
    wait_guest(g, h, MARK + "before: 30 100", clients=(t,))
    wait_guest(g, h, MARK + "loaded", clients=(t,))
    wait_guest(g, h, MARK + "after: ", clients=(t,))
    assert MARK + "after: 30 100" in g.console_output(), \
        g.console_output()[-500:]
    c.expect(b"after the reset")
    c.send(b"typed after the reset\n")
    wait_guest(g, h, MARK + "got:typed after the reset", clients=(t,))
    assert g.wait_exit(30) == 0
    t.close()


def test_guest_restarted_with_clients_attached(hub, uml, socat, tmp_path):
    """A device of two ports (vm1; vm1.ctl, a named port) with a client on
    each, across a guest that powers off and boots again: the clients
    stay, are told, and what they typed while the guest was away (before
    it booted, before it opened the port) reaches the second boot; both
    ports work both ways in both boots."""
    sock = str(tmp_path / "vm1.vhost")
    p0, p1 = free_port(), free_port()
    h = hub("""[console vm1]
type = vhost-user
path = %s
ports = 2
raw = 127.0.0.1:%d

[console vm1.ctl]
type = vhost-port
port = vm1:1
raw = 127.0.0.1:%d
""" % (sock, p0, p1))
    sock_ready(h, sock)
    c0 = socat("TCP:127.0.0.1:%d" % p0)
    c1 = socat("TCP:127.0.0.1:%d" % p1)
    h.wait_attached("vm1.ctl")
    script = OPEN_HVC + r"""
open_hvc /dev/hvc0 3 || say "no hvc0"
exec 5<>/dev/vport0p1
echo "boot %d port 0" >&3
echo "boot %d port 1" >&5
read l <&3; say "got0:$l"
read l <&5; say "got1:$l"
"""
    g1 = uml(sock, script % (1, 1), on_hvc=False, name="boot1")
    c0.expect(b"boot 1 port 0\n")
    c1.expect(b"boot 1 port 1\n")
    c0.send(b"first 0\n")
    c1.send(b"first 1\n")
    wait_guest(g1, h, MARK + "got0:first 0")
    wait_guest(g1, h, MARK + "got1:first 1")
    assert g1.wait_exit(30) == 0
    c0.expect(b"[ttyhub: vm1: backend down")
    c1.expect(b"[ttyhub: vm1.ctl: backend down")
    a0, a1 = len(c0.data), len(c1.data)
    # Typed while no guest runs: it waits for the next.
    c0.send(b"while away 0\n")
    c1.send(b"while away 1\n")
    g2 = uml(sock, script % (2, 2), on_hvc=False, name="boot2")
    c0.expect(b"[ttyhub: vm1: backend up]", start=a0)
    c0.expect(b"boot 2 port 0\n", start=a0)
    c1.expect(b"boot 2 port 1\n", start=a1)
    wait_guest(g2, h, MARK + "got0:while away 0")
    wait_guest(g2, h, MARK + "got1:while away 1")
    assert g2.wait_exit(30) == 0
    assert not c0.closed and not c1.closed
    assert c1.data[a1:].count(b"the guest opened the port") == 1
