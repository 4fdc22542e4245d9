"""Guest networks ([network] in ttyhub.conf(5)) with synthetic guests:
sockets that speak what QEMU's stream and dgram netdevs speak, so every
case (bad lengths, a guest that stops reading, a restart) can be made
on purpose.  tests/e2e/test_network_guests.py has real QEMU guests."""
import os
import signal
import socket
import stat
import struct
import subprocess

import pytest

from ttyhubtest import ROOT, free_port, wait_for

TTYHUB = os.path.join(ROOT, "build", "ttyhub")
BCAST = b"\xff" * 6


def mac(n):
    return bytes([0x52, 0x54, 0x00, 0x12, 0x35, n])


def frame(dst, src, payload=b"", size=60):
    """An Ethernet frame of at least size bytes (type 0x88b5, local
    experimental), payload first."""
    body = payload + b"\0" * max(0, size - 14 - len(payload))
    return dst + src + b"\x88\xb5" + body


def icmp_echo(dst, src, seq):
    """A whole ICMP echo request from 10.0.3.1 to 10.0.3.2."""
    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xffff)
        s += s >> 16
        return ~s & 0xffff
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x7474, seq) + b"ttyhub" * 4
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64,
                     1, 0, bytes([10, 0, 3, 1]), bytes([10, 0, 3, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst + src + b"\x08\x00" + ip + icmp


class Stream:
    """A guest on a stream port: frames behind 4-byte lengths."""

    def __init__(self, addr):
        if isinstance(addr, str):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(addr)
        else:
            self.s = socket.create_connection(addr, 5)
        self.s.settimeout(0.2)
        self.buf = b""
        self.frames = []
        self.eof = False

    def send(self, f):
        self.s.sendall(struct.pack(">I", len(f)) + f)

    def send_raw(self, b):
        self.s.sendall(b)

    def pump(self, timeout=0.02):
        """Read what has come, waiting up to timeout for the first."""
        self.s.settimeout(timeout)
        while not self.eof:
            try:
                b = self.s.recv(1 << 16)
            except (socket.timeout, BlockingIOError):
                break
            except ConnectionResetError:
                b = b""
            if not b:
                self.eof = True
                break
            self.buf += b
            self.s.settimeout(0)
        while len(self.buf) >= 4:
            n = struct.unpack(">I", self.buf[:4])[0]
            if len(self.buf) < 4 + n:
                break
            self.frames.append(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]

    def close(self):
        self.s.close()


class Dgram:
    """A guest on a dgram port: a frame per datagram, from its own
    address (a unix path, or a UDP port on 127.0.0.1)."""

    def __init__(self, local, remote):
        self.remote = remote
        if isinstance(local, str):
            if os.path.exists(local):
                os.unlink(local)
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        else:
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(local)
        self.s.settimeout(0.2)
        self.frames = []
        self.eof = False

    def send(self, f):
        self.s.sendto(f, self.remote)

    def pump(self, timeout=0.02):
        self.s.settimeout(timeout)
        while True:
            try:
                self.frames.append(self.s.recv(1 << 17))
            except (socket.timeout, BlockingIOError):
                break
            self.s.settimeout(0)

    def close(self):
        self.s.close()


def got(guest, want, timeout=20):
    """Wait until guest has received every frame in want (a list)."""
    def done():
        return all(w in guest.frames for w in want)
    wait_for(done, timeout, lambda: "%d frames, %d arrived" %
             (len(want), sum(w in guest.frames for w in want)),
             pump=[guest])


def net_lines(h, name=None):
    """The broker's answer to TTYHUB_COMMAND=net, as lists of fields."""
    from telnetc import Telnet
    env = [(3, b"TTYHUB_COMMAND", b"net")]
    if name is not None:
        env.append((3, b"TTYHUB_CONSOLE", name.encode()))
    t = Telnet(path=h.sock, agree={39}, env=env)
    try:
        data = t.wait_closed(20)
    finally:
        t.close()
    return [line.split("\t") for line in
            data.decode("utf-8", "replace").split("\r\n") if line]


def ports(h, name="lan"):
    """{port number: fields} of the network's ports."""
    return {int(f[2]): f for f in net_lines(h, name) if f[0] == "port"}


def joined(h, n, name="lan"):
    """Wait until the network has n ports.  A guest's connect() returns
    before ttyhubd accepts it, and a frame read before then is flooded
    only to the ports there are: a test waits for its receivers to be
    ports before it sends them anything."""
    wait_for(lambda: len(ports(h, name)) == n, 20,
             lambda: "%d ports: %r" % (n, ports(h, name)))


def port_of(h, peer_part, name="lan"):
    for f in ports(h, name).values():
        if peer_part in f[5]:
            return f
    return None


def lan(tmp_path, extra=""):
    return ("[network lan]\nstream = %s 127.0.0.1:%d\ndgram = %s\n%s" %
            (tmp_path / "lan.sock", lan.port, tmp_path / "lan.dgram", extra))


@pytest.fixture
def net(hub, tmp_path):
    lan.port = free_port()

    def start(extra=""):
        return hub(lan(tmp_path, extra))
    return start


def test_switch_learns_floods_and_forwards(net, tmp_path):
    """Three guests, one of each kind: broadcast reaches the two others,
    a frame to a learned address reaches its port alone, and the
    listing shows who is where."""
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(("127.0.0.1", lan.port))
    c = Dgram(str(tmp_path / "c.sock"), str(tmp_path / "lan.dgram"))
    joined(h, 2)
    hello = [frame(BCAST, mac(n), b"hello") for n in (1, 2, 3)]
    c.send(hello[2])            # the dgram guest first: it joins by sending
    got(a, [hello[2]])
    got(b, [hello[2]])
    a.send(hello[0])
    b.send(hello[1])
    got(a, [hello[1]])
    got(b, [hello[0]])
    got(c, [hello[0], hello[1]])
    # Unicast to a learned address: that port alone.
    to_b = frame(mac(2), mac(1), b"to b")
    a.send(to_b)
    got(b, [to_b])
    to_c = frame(mac(3), mac(1), b"to c")
    a.send(to_c)
    got(c, [to_c])
    assert to_b not in c.frames and to_c not in b.frames
    p = ports(h)
    assert sorted(f[3] for f in p.values()) == ["dgram", "stream", "stream"]
    by_mac = {f[13]: f for f in p.values()}
    assert set(by_mac) == {"52:54:00:12:35:01", "52:54:00:12:35:02",
                           "52:54:00:12:35:03"}
    assert by_mac["52:54:00:12:35:02"][5].startswith("127.0.0.1 ")
    assert by_mac["52:54:00:12:35:03"][5] == str(tmp_path / "c.sock")
    assert by_mac["52:54:00:12:35:01"][6] == "3"      # frames in
    network = [f for f in net_lines(h) if f[0] == "network"]
    assert network[0][1:4] == ["lan", "switch", "3"]


def test_hub_mode_sends_everything_everywhere(net, tmp_path):
    net("mode = hub\n")
    a, b, c = (Stream(str(tmp_path / "lan.sock")) for _ in range(3))
    for i, g in enumerate((a, b, c)):
        g.send(frame(BCAST, mac(i + 1)))
    got(a, [frame(BCAST, mac(2)), frame(BCAST, mac(3))])
    to_b = frame(mac(2), mac(1), b"to b")
    a.send(to_b)
    got(b, [to_b])
    got(c, [to_b])


@pytest.mark.parametrize("bad,why", [
    (struct.pack(">I", 0), "a frame of length 0"),
    (struct.pack(">I", 9), "a frame shorter than an Ethernet header (9 "
     "bytes)"),
    (struct.pack(">I", 1519), "a frame longer than the network's MTU "
     "allows (1519 bytes)"),
    (b"GET / HTTP/1.1\r\n", "a frame longer than the network's MTU allows"),
])
def test_bad_length_closes_that_port_only(net, tmp_path, bad, why):
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(str(tmp_path / "lan.sock"))
    bad_guest = Stream(("127.0.0.1", lan.port))
    joined(h, 3)
    ok = frame(BCAST, mac(1), b"before")
    a.send(ok)
    got(bad_guest, [ok])
    bad_guest.send_raw(bad)
    wait_for(lambda: bad_guest.eof, 20, "the port to be closed",
             pump=[bad_guest])
    h.wait_output("closed: " + why)
    after = frame(BCAST, mac(1), b"after")
    a.send(after)
    got(b, [after])
    assert len(ports(h)) == 2


def test_dgram_sender_with_a_bad_frame_is_forgotten(net, tmp_path):
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    c = Dgram(str(tmp_path / "c.sock"), str(tmp_path / "lan.dgram"))
    joined(h, 1)
    c.send(frame(BCAST, mac(3)))
    got(a, [frame(BCAST, mac(3))])
    assert port_of(h, "c.sock") is not None
    c.send(b"x" * 2000)
    h.wait_output("closed: a frame longer than the network's MTU allows "
                  "(2000 bytes)")
    assert port_of(h, "c.sock") is None
    again = frame(BCAST, mac(3), b"again")
    c.send(again)
    got(a, [again])
    assert port_of(h, "c.sock") is not None


def test_udp_dgram_port(hub, tmp_path):
    port = free_port()
    h = hub("[network lan]\nstream = %s\ndgram = %d\n" %
            (tmp_path / "lan.sock", port))
    a = Stream(str(tmp_path / "lan.sock"))
    u = Dgram(("127.0.0.1", 0), ("127.0.0.1", port))
    joined(h, 1)
    u.send(frame(BCAST, mac(4), b"udp"))
    got(a, [frame(BCAST, mac(4), b"udp")])
    back = frame(mac(4), mac(1), b"back")
    a.send(back)
    got(u, [back])
    assert port_of(h, "127.0.0.1 %d" % u.s.getsockname()[1])[3] == "dgram"


def test_a_guest_that_stops_reading_loses_its_own_frames(net, tmp_path):
    """A stalled port fills its queue and drops what is for it, counted;
    a guest that reads gets every frame, and the sender is never held."""
    h = net()
    stalled = Stream(str(tmp_path / "lan.sock"))
    reader = Stream(str(tmp_path / "lan.sock"))
    sender = Stream(("127.0.0.1", lan.port))
    joined(h, 3)
    stalled.send(frame(BCAST, mac(9)))      # and never reads again
    got(reader, [frame(BCAST, mac(9))])
    # 3000 frames of 1500 bytes, 4.5 MB: far more than the stalled
    # port's queue (512k) and socket buffers hold.  In windows, so the
    # reader's own queue never fills.
    for w in range(30):
        batch = [frame(BCAST, mac(2), struct.pack(">I", w * 100 + i),
                       1514) for i in range(100)]
        for f in batch:
            sender.send(f)
        got(reader, batch)
        reader.frames.clear()
    drops = {f[13]: int(f[10]) for f in ports(h).values()}
    assert drops["52:54:00:12:35:09"] > 1000, drops     # the stalled one
    assert drops["52:54:00:12:35:02"] == 0, drops       # the sender
    assert [d for m, d in drops.items() if m == "-"] == [0], drops
    network = [f for f in net_lines(h) if f[0] == "network"][0]
    assert int(network[7]) == drops["52:54:00:12:35:09"]


def test_reload_keeps_an_unchanged_network_with_its_ports(net, tmp_path):
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(("127.0.0.1", lan.port))
    joined(h, 2)
    a.send(frame(BCAST, mac(1)))
    got(b, [frame(BCAST, mac(1))])
    h.rewrite(lan(tmp_path) + "\n# a comment, and the same values:\n"
              "mtu = 1500\n")
    h.wait_output("1 network kept, 0 closed, 0 started")
    again = frame(BCAST, mac(1), b"still here")
    a.send(again)
    got(b, [again])
    # A change restarts it: its stream guests lose their link.
    h.rewrite(lan(tmp_path, "mode = hub\n"))
    h.wait_output("0 networks kept, 1 closed, 1 started")
    wait_for(lambda: a.eof and b.eof, 20, "the ports to be closed",
             pump=[a, b])
    c = Stream(str(tmp_path / "lan.sock"))
    d = Stream(("127.0.0.1", lan.port))
    joined(h, 2)
    c.send(frame(BCAST, mac(3)))
    got(d, [frame(BCAST, mac(3))])
    assert [f[2] for f in net_lines(h) if f[0] == "network"] == ["hub"]


def test_restart_under_dgram_guests(build, tmp_path, hub):
    """ttyhubd stops and starts again; guests on dgram ports go on
    sending to the same address and are joined again, untouched."""
    text = "[network lan]\ndgram = %s\n" % (tmp_path / "lan.dgram")
    h = hub(text)
    x = Dgram(str(tmp_path / "x.sock"), str(tmp_path / "lan.dgram"))
    y = Dgram(str(tmp_path / "y.sock"), str(tmp_path / "lan.dgram"))
    x.send(frame(BCAST, mac(1)))
    y.send(frame(BCAST, mac(2)))
    got(x, [frame(BCAST, mac(2))])
    h.stop()
    h2 = hub(text)
    for n in range(2):          # both talk, as guests that ping each other
        x.send(frame(mac(2), mac(1), b"x%d" % n))
        y.send(frame(mac(1), mac(2), b"y%d" % n))
    got(y, [frame(mac(2), mac(1), b"x1")])
    got(x, [frame(mac(1), mac(2), b"y1")])
    assert len(ports(h2)) == 2


def test_a_gone_unix_dgram_guest_is_forgotten_and_may_come_back(net,
                                                               tmp_path):
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    path = str(tmp_path / "c.sock")
    c = Dgram(path, str(tmp_path / "lan.dgram"))
    joined(h, 1)
    c.send(frame(BCAST, mac(3)))
    got(a, [frame(BCAST, mac(3))])
    c.close()
    os.unlink(path)
    a.send(frame(mac(3), mac(1), b"to nobody"))
    h.wait_output("(dgram %s): gone" % path)
    assert port_of(h, "c.sock") is None
    # Its QEMU again, on the same path: it joins again by sending.
    c = Dgram(path, str(tmp_path / "lan.dgram"))
    c.send(frame(BCAST, mac(3), b"back"))
    got(a, [frame(BCAST, mac(3), b"back")])
    hi = frame(mac(3), mac(1), b"hi again")
    a.send(hi)
    got(c, [hi])


def test_a_dgram_guest_connected_to_the_network(net, tmp_path):
    """A guest whose socket is connected to the network's address takes
    datagrams from that address alone: it is answered from there, and
    frames go on reaching it when it stops reading for a while."""
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    c = Dgram(str(tmp_path / "c.sock"), str(tmp_path / "lan.dgram"))
    joined(h, 1)
    c.s.connect(str(tmp_path / "lan.dgram"))
    c.send(frame(BCAST, mac(3)))
    got(a, [frame(BCAST, mac(3))])
    # More than its socket holds (10 datagrams), while it does not read.
    batch = [frame(mac(3), mac(1), struct.pack(">I", i)) for i in range(50)]
    for f in batch:
        a.send(f)
    got(c, batch)
    assert "Operation not permitted" not in h.output()


def test_silent_dgram_guest_is_aged_out(net, tmp_path):
    h = net("dgram-ageing = 1s\n")
    c = Dgram(str(tmp_path / "c.sock"), str(tmp_path / "lan.dgram"))

    def listed():
        # Each look sends again first: the port lives 1-2 s after its
        # last frame, and a look that comes later than that (a loaded
        # machine) must not find it gone for good.
        c.send(frame(BCAST, mac(3)))
        return port_of(h, "c.sock") is not None
    wait_for(listed, 20, "the port")
    # Forgotten since it was listed (a look that came late saw an
    # earlier life of it forgotten).
    before = h.output().count("silent for 1 s: forgotten")
    h.wait_output("silent for 1 s: forgotten", count=before + 1)
    assert port_of(h, "c.sock") is None


def test_max_ports(net, tmp_path):
    h = net("max-ports = 2\n")
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(str(tmp_path / "lan.sock"))
    wait_for(lambda: len(ports(h)) == 2, 20, "two ports")
    c = Stream(str(tmp_path / "lan.sock"))
    wait_for(lambda: c.eof, 20, "the third to be refused", pump=[c])
    h.wait_output("refused: all 2 ports in use (max-ports)")
    a.send(frame(BCAST, mac(1)))
    got(b, [frame(BCAST, mac(1))])


def test_unix_sockets_mode(hub, tmp_path):
    hub("[network lan]\nstream = %s\ndgram = %s\nunix-mode = 0660\n" %
        (tmp_path / "s.sock", tmp_path / "d.sock"))
    for name in ("s.sock", "d.sock"):
        st = os.stat(tmp_path / name)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660, name


def test_capture_is_read_by_tcpdump(net, tmp_path):
    pcap = tmp_path / "lan.pcap"
    h = net("pcap = %s\n" % pcap)
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(("127.0.0.1", lan.port))
    joined(h, 2)
    pings = [icmp_echo(mac(2), mac(1), n) for n in range(3)]
    b.send(frame(BCAST, mac(2)))
    for p in pings:
        a.send(p)
    got(b, pings)

    def dump():
        r = subprocess.run(["tcpdump", "-nn", "-e", "-r", str(pcap)],
                           capture_output=True, text=True, timeout=30)
        return r.stdout
    wait_for(lambda: dump().count("ICMP echo request") == 3, 20,
             lambda: "three pings in the capture:\n" + dump())
    assert "10.0.3.1 > 10.0.3.2" in dump()
    assert "52:54:00:12:35:01 > 52:54:00:12:35:02" in dump()
    # Rotation: move it away, SIGUSR2, and a new file starts.
    os.rename(pcap, tmp_path / "lan.pcap.1")
    h.proc.send_signal(signal.SIGUSR2)
    wait_for(lambda: pcap.exists(), 20, "the capture to be opened again")
    a.send(icmp_echo(mac(2), mac(1), 7))
    wait_for(lambda: "ICMP echo request" in dump(), 20, "the new capture")
    # A restart appends to it, behind one header.
    h.stop()
    h2 = net("pcap = %s\n" % pcap)
    a = Stream(str(tmp_path / "lan.sock"))
    a.send(icmp_echo(mac(2), mac(1), 8))
    wait_for(lambda: dump().count("ICMP echo request") == 2, 20,
             lambda: "two pings after the restart:\n" + dump())
    assert h2 is not None


def test_capture_stops_at_its_size(net, tmp_path):
    pcap = tmp_path / "lan.pcap"
    h = net("pcap = %s\npcap-size = 64k\n" % pcap)
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(str(tmp_path / "lan.sock"))
    joined(h, 2)
    batch = [frame(BCAST, mac(1), struct.pack(">I", i), 1514)
             for i in range(60)]       # 60 * 1530 bytes: over 64k
    for f in batch:
        a.send(f)
    got(b, batch)
    h.wait_output("reached its size (pcap-size = 65536)")
    wait_for(lambda: pcap.stat().st_size > 60000, 20, "the flush")
    assert pcap.stat().st_size <= 65536
    f = [x for x in net_lines(h) if x[0] == "network"][0]
    assert int(f[10]) + int(f[11]) == 60 and int(f[11]) > 0


def test_capture_refuses_a_file_of_another_kind(hub, tmp_path, build):
    pcap = tmp_path / "lan.pcap"
    pcap.write_bytes(b"not a capture\n")
    conf = tmp_path / "t.conf"
    conf.write_text("[ttyhubd]\nbroker-unix = none\n[network lan]\n"
                    "stream = %s\npcap = %s\n" % (tmp_path / "s", pcap))
    r = subprocess.run([build, "-F", "-c", str(conf)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "not a pcap capture of Ethernet frames" in r.stderr
    assert pcap.read_bytes() == b"not a capture\n"


def test_ttyhub_lists_networks(net, tmp_path):
    h = net()
    a = Stream(str(tmp_path / "lan.sock"))
    b = Stream(("127.0.0.1", lan.port))
    joined(h, 2)
    a.send(frame(BCAST, mac(1)))
    b.send(frame(mac(1), mac(2)))
    got(a, [frame(mac(1), mac(2))])
    env = dict(os.environ, TTYHUB_SOCKET=h.sock)
    r = subprocess.run([TTYHUB, "-l"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "network lan: switch, 2 ports, 2 addresses learned" in r.stdout
    rows = [line.split() for line in r.stdout.splitlines()
            if "52:54:00:12:35:0" in line]
    assert len(rows) == 2
    assert any("127.0.0.1" in row for row in rows)
    r = subprocess.run([TTYHUB, "net", "lan"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "PEER" in r.stdout, r.stderr
    assert "52:54:00:12:35:02" in r.stdout
    r = subprocess.run([TTYHUB, "net", "wan"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr == 'ttyhub: no network named "wan" (ttyhub -l lists ' \
        'them)\n'
    # TTYHUB_COMMAND=list, which older clients read: consoles alone.
    assert h.stop() is not None


def test_list_stays_consoles_alone(hub, tmp_path):
    """Clients before protocol 4 read every list line as a console."""
    h = hub("[network lan]\nstream = %s\n[console c]\ntype = pty\n"
            "link = %s\n" % (tmp_path / "lan.sock", tmp_path / "c"))
    from telnetc import Telnet
    t = Telnet(path=h.sock, agree={39},
               env=[(3, b"TTYHUB_COMMAND", b"list")])
    try:
        data = t.wait_closed(20)
    finally:
        t.close()
    lines = [x for x in data.decode().split("\r\n") if x]
    assert [x.split("\t")[0] for x in lines] == ["c"]
