"""Guests on a ttyhubd network (ttyhub.conf(5), NETWORK SECTIONS), with
the seed's complaint in mind: with -net socket,listen= in one guest and
connect= in the others, the others lose each other when that one goes.

Four QEMU 7.2 guests on one [network], each through another kind of
port: A over a stream unix socket (-netdev stream), B over stream TCP
(-netdev socket,connect=), C over a unix datagram socket and D over UDP
(-netdev dgram).  They ping each other; A is killed and B, C, D go on;
A starts again and rejoins, and so does C (every guest in turn with
TTYHUB_FULL=1); the capture holds their ICMP for tcpdump;
ttyhub -l lists them; and ttyhubd is restarted under C and D, which talk
again without being touched.  The tests run in this order and share the
guests: each leaves them as the next expects."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from guestrig import Guest, Link, free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TTYHUBD = os.environ.get("TTYHUBD", os.path.join(REPO, "build", "ttyhubd"))
TTYHUB = os.path.join(REPO, "build", "ttyhub")

IP = {"a": "10.0.3.1", "b": "10.0.3.2", "c": "10.0.3.3", "d": "10.0.3.4"}
MAC = {"a": "52:54:00:12:36:01", "b": "52:54:00:12:36:02",
       "c": "52:54:00:12:36:03", "d": "52:54:00:12:36:04"}


class Daemon:
    """ttyhubd -F -c FILE on the host, started and stopped by pid."""

    def __init__(self, conf, sock, log):
        self.conf, self.sock, self.logpath = conf, sock, log
        self.proc = None

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([TTYHUBD, "-F", "-c", self.conf],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.sock)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("ttyhubd did not start:\n" +
                                         self.output())
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None
        self.log.close()

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")


@pytest.fixture(scope="module")
def lan(rig):
    if not os.access(TTYHUBD, os.X_OK):
        pytest.skip("%s is not built: make all" % TTYHUBD)
    d = tempfile.mkdtemp(prefix="tthn-", dir="/tmp")   # short: sun_path
    tcp, udp, d_local = free_port(), free_port(), free_port()
    conf = os.path.join(d, "ttyhub.conf")
    with open(conf, "w") as f:
        f.write("[ttyhubd]\nbroker-unix = %s/broker.sock\n\n"
                "[network lan]\nstream = %s/lan.sock 127.0.0.1:%d\n"
                "dgram = %s/lan.dgram 127.0.0.1:%d\npcap = %s/lan.pcap\n"
                % (d, d, tcp, d, udp, d))
    daemon = Daemon(conf, os.path.join(d, "broker.sock"),
                    os.path.join(d, "ttyhubd.log"))
    daemon.start()
    netdevs = {
        "a": "stream,server=off,addr.type=unix,addr.path=%s/lan.sock" % d,
        "b": "socket,connect=127.0.0.1:%d" % tcp,
        "c": "dgram,local.type=unix,local.path=%s/c.sock,remote.type=unix,"
             "remote.path=%s/lan.dgram" % (d, d),
        "d": "dgram,local.type=inet,local.host=127.0.0.1,local.port=%d,"
             "remote.type=inet,remote.host=127.0.0.1,remote.port=%d"
             % (d_local, udp),
    }
    guests = {}
    for n in "abcd":
        guests[n] = Guest(rig, name="net-" + n, forwards={}, memory=128,
                          links=[Link(netdev=netdevs[n], mac=MAC[n],
                                      addr=IP[n] + "/24")])
    try:
        # Booted side by side: QEMU starts at once, the kernels in parallel.
        for g in guests.values():
            g.start(wait=False)
        for g in guests.values():
            g.wait_ready()
        yield {"dir": d, "daemon": daemon, **guests}
    finally:
        for g in guests.values():
            g.cleanup()
        daemon.stop()
        if not os.environ.get("TTYHUB_E2E_KEEP"):
            shutil.rmtree(d, ignore_errors=True)


# A ping a second until one is answered, 15 at most (BusyBox's -c 1 -w
# sends one request only, however long it waits).
PING = ("i=0; until ping -c 1 -W 1 %s >/dev/null; do i=$((i+1)); "
        "[ $i -lt 15 ] || exit 1; done")


def ping(g, peer, timeout=30):
    """g pings peer's address until a reply comes, for up to 15 s."""
    return g.run(PING % IP[peer], timeout=timeout)


def pings_both_ways(lan, x, y):
    """x and y ping each other at once, as guests that talk do: each one's
    requests make it known to the network."""
    # The whole list in the background: "A; B &" would run y's pings
    # first, alone, and a dgram x nobody has heard from since (after the
    # daemon's restart) would not get them until its kernel happened to
    # send something, an IPv6 router solicitation seconds apart.
    lan[y].run("((%s) >/tmp/ping.%s 2>&1; echo $? >>/tmp/ping.%s) &"
               % (PING % IP[x], x, x), check=True)
    r = ping(lan[x], y)
    assert r.status == 0, "%s -> %s: %s" % (x, y, r.output)
    back = lan[y].run("i=0; while [ $i -lt 200 ] && ! grep -qx '[0-9][0-9]*' "
                      "/tmp/ping.%s 2>/dev/null; do sleep 0.1; i=$((i+1));"
                      " done; cat /tmp/ping.%s; rm -f /tmp/ping.%s"
                      % (x, x, x), timeout=40)
    assert back.output.split()[-1:] == ["0"], "%s -> %s: %s" % (
        y, x, back.output)


def test_guests_ping_each_other(lan):
    for x, y in (("c", "a"), ("d", "b"), ("a", "b"), ("b", "c"),
                 ("c", "d"), ("a", "d")):
        pings_both_ways(lan, x, y)


# The guests killed in turn: A (stream unix) by default, C (unix dgram)
# too, and every guest with TTYHUB_FULL=1.
KILLED = "abcd" if os.environ.get("TTYHUB_FULL") == "1" else "ac"


@pytest.mark.parametrize("victim", KILLED)
def test_killed_guest_others_keep_talking_and_it_rejoins(lan, victim):
    """The victim's QEMU dies at once (SIGKILL: a crash, not a shutdown);
    the other three go on; the same QEMU command starts it again and it
    rejoins (a stream guest on a new connection, a dgram guest from the
    same address)."""
    g = lan[victim]
    joined = lan["daemon"].output().count(" joined on ")
    os.kill(g.pid, signal.SIGKILL)
    g.stop()
    others = [n for n in "abcd" if n != victim]
    for x, y in zip(others, others[1:] + others[:1]):
        pings_both_ways(lan, x, y)
    g.start()
    for y in others:
        pings_both_ways(lan, victim, y)
    if victim in "ab":
        log = lan["daemon"].output()
        assert log.count(" joined on ") > joined, log


def test_capture_shows_the_guests_icmp(lan):
    pcap = os.path.join(lan["dir"], "lan.pcap")
    for x, y in (("a", "c"), ("b", "d")):
        pings_both_ways(lan, x, y)
    deadline = time.monotonic() + 20
    while True:
        out = subprocess.run(["tcpdump", "-nn", "-e", "-r", pcap],
                             capture_output=True, text=True,
                             timeout=30).stdout
        if ("%s > %s: ICMP echo request" % (IP["a"], IP["c"]) in out and
                "%s > %s: ICMP echo reply" % (IP["d"], IP["b"]) in out):
            break
        assert time.monotonic() < deadline, out[-3000:]
        time.sleep(0.2)
    assert "%s > %s" % (MAC["a"], MAC["c"]) in out


def test_ttyhub_lists_the_guests(lan):
    env = dict(os.environ, TTYHUB_SOCKET=lan["daemon"].sock)
    r = subprocess.run([TTYHUB, "-l"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "network lan: switch, 4 ports" in r.stdout, r.stdout
    for n in "abcd":
        assert MAC[n] in r.stdout, r.stdout
    assert "%s/c.sock" % lan["dir"] in r.stdout


def test_restart_under_dgram_guests(lan):
    """The daemon goes and comes back; C and D (dgram) are not touched
    and talk again.  (A and B, on stream ports, would need their QEMU
    started again: 7.2 does not reconnect.)"""
    pings_both_ways(lan, "c", "d")
    lan["daemon"].stop()
    lan["daemon"].start()
    pings_both_ways(lan, "c", "d")
    pings_both_ways(lan, "d", "c")
