"""valgrind memcheck over login sessions (issue 6): the normal build of
ttyhubd, run under valgrind, serves a full session and a few hostile or
broken ones, then stops on SIGTERM; memcheck must report no error and no
block definitely lost (--errors-for-leak-kinds=definite makes a definite
leak an error, and --error-exitcode turns any error into the exit status).

Only the daemon is checked: its children are left alone from fork on
(--child-silent-after-fork), since they exec /bin/sh at once."""
import os
import re
import shutil
import signal
import socket
import struct
import time

import pytest

from telnetc import (BINARY, DO, IAC, NAWS, NEW_ENVIRON, SB, SE, TTYPE,
                     WILL, Telnet)
from ttyhubtest import ROOT, SAN_MARKERS, Daemon, Hub, free_port, wait_for

VALGRIND = shutil.which("valgrind")
ERROR_EXIT = 99


@pytest.fixture
def vg_daemon(tmp_path):
    if VALGRIND is None:
        pytest.skip("valgrind is not installed (make test-deps installs it)")
    binary = os.path.join(ROOT, "build", "ttyhubd")
    if not os.access(binary, os.X_OK):
        pytest.fail("%s is missing: run make check (it builds it)" % binary)
    vg_log = tmp_path / "valgrind.log"
    wrapper = tmp_path / "ttyhubd-valgrind"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec %s --tool=memcheck --error-exitcode=%d --leak-check=full "
        "--show-leak-kinds=definite --errors-for-leak-kinds=definite "
        "--track-fds=no --child-silent-after-fork=yes --num-callers=30 "
        "--log-file=%s %s \"$@\"\n" % (VALGRIND, ERROR_EXIT, vg_log, binary))
    wrapper.chmod(0o755)
    started = []

    def start(*args):
        d = Daemon(str(wrapper), args, tmp_path)
        started.append(d)
        return d

    yield start, vg_log
    for d in started:
        d.stop()


def session(d):
    """A full session: options, NAWS, TTYPE, NEW-ENVIRON, commands, AYT,
    IP, a resize, BINARY, and exit with output still flowing."""
    t = Telnet(d.port, agree={TTYPE, NAWS, NEW_ENVIRON, BINARY},
               ttype="XTERM-256COLOR", naws=(120, 40),
               env=[(0, b"USER", b"alice"), (3, b"LANG", b"C.UTF-8")])
    t.expect(b"# ", timeout=30)
    t.send(b"stty size; echo T=$TERM\r\n")
    t.expect(b"T=xterm-256color", timeout=30)
    t.send_naws(100, 30)
    t.send(b"stty size\r\n")
    t.expect(b"30 100", timeout=30)
    t.send_raw(bytes([IAC, 246]))                   # AYT
    t.expect(b"[ttyhub: yes]", timeout=30)
    t.send(b"sleep 30\r\n")
    d.wait_foreground(["sleep", "30"], timeout=60)
    t.send_raw(bytes([IAC, 244]))                   # IP
    t.send(b"echo after $((20+22))\r\n")
    t.expect(b"after 42", timeout=30)
    t.send_raw(bytes([IAC, WILL, BINARY, IAC, DO, BINARY]))
    t.send(b"head -c 300000 /dev/zero | tr '\\000' '\\377'; exit\r\n")
    t.wait_closed(60)
    t.close()


def hostile(port):
    """Connections that end badly: protocol failures and resets."""
    # An over-long subnegotiation after some typing.
    s = socket.create_connection(("127.0.0.1", port), 10)
    try:
        s.sendall(b"x" + bytes([IAC, SB, NEW_ENVIRON, 0, 0]) + b"Y" * 9000 +
                  bytes([IAC, SE]))
    except OSError:
        pass
    s.close()
    # Unsolicited COMPRESS2.
    s = socket.create_connection(("127.0.0.1", port), 10)
    try:
        s.sendall(bytes([IAC, SB, 86, IAC, SE]) + b"zzzz")
    except OSError:
        pass
    s.close()
    # Output pouring out, then a reset with it unread.
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(b"cat /dev/zero\r")
    s.settimeout(30)
    got = 0
    while got < 65536:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    # Connect and leave at once.
    socket.create_connection(("127.0.0.1", port), 10).close()


def assert_clean(rc, out, vg_log):
    """A clean exit under memcheck: status 0, no sanitizer text, no
    error, nothing definitely lost."""
    report = vg_log.read_text()
    for marker in SAN_MARKERS:
        assert marker not in out, out
    assert rc == 0, "exit status %d under valgrind:\n%s" % (rc, report[-6000:])
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors", report)
    assert summary and summary[-1] == "0", report[-6000:]
    m = re.search(r"definitely lost: ([\d,]+) bytes", report)
    assert m is None or m.group(1) == "0", report[-6000:]
    assert "All heap blocks were freed" in report or m is not None, \
        report[-6000:]


def test_login_sessions_under_valgrind_memcheck(vg_daemon):
    start, vg_log = vg_daemon
    d = start("-l", "/bin/sh", "--accept-env", "LANG")
    session(d)
    hostile(d.port)
    # A session still open at shutdown is closed by the daemon itself.
    t = Telnet(d.port)
    t.expect(b"# ", timeout=30)
    # The five connections above are all closed (one log line each).
    deadline = time.monotonic() + 30
    while d.output().count(": closed") < 5:
        assert time.monotonic() < deadline, d.output()
        time.sleep(0.1)
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(60)
    finally:
        t.close()
    out = d.stop()
    assert_clean(rc, out, vg_log)


def hub_wrapper(tmp_path):
    """A script that runs the normal build under memcheck, for Hub; and
    the log memcheck writes."""
    if VALGRIND is None:
        pytest.skip("valgrind is not installed (make test-deps installs it)")
    binary = os.path.join(ROOT, "build", "ttyhubd")
    vg_log = tmp_path / "valgrind.log"
    wrapper = tmp_path / "ttyhubd-valgrind"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec %s --tool=memcheck --error-exitcode=%d --leak-check=full "
        "--show-leak-kinds=definite --errors-for-leak-kinds=definite "
        "--child-silent-after-fork=yes --num-callers=30 "
        "--log-file=%s %s \"$@\"\n" % (VALGRIND, ERROR_EXIT, vg_log, binary))
    wrapper.chmod(0o755)
    return wrapper, vg_log


def test_a_console_session_under_valgrind_memcheck(tmp_path):
    """ttyhubd -c with a program console: clients over Telnet, raw TCP and
    the broker, a restart of the program, a SIGHUP that adds and removes a
    console, shutdown; no errors, nothing definitely lost."""
    wrapper, vg_log = hub_wrapper(tmp_path)
    tport, rport = free_port(), free_port()
    conf = """[console sh]
type = exec
command = /bin/sh -c 'echo hello-vg; exec cat'
restart-delay = 100ms
telnet = 127.0.0.1:%d
raw = 127.0.0.1:%d
log = %s
""" % (tport, rport, tmp_path / "sh.log")
    h = Hub(str(wrapper), conf, tmp_path)
    try:
        t = Telnet(tport, agree={NAWS}, naws=(90, 30))
        t.expect(b"hello-vg", timeout=30)
        t.send(b"typed\xffbyte\r")
        t.expect(b"typed\xffbyte", timeout=30)
        b = Telnet(path=h.sock)
        b.expect(b"ttyhub> ", timeout=30)
        b.send(b"list\r")
        b.expect(b"sh ", timeout=30)
        b.send(b"attach sh ro\r")
        b.expect(b"typed", timeout=30)
        h.rewrite(conf + "\n[console two]\ntype = pty\nlink = %s\n"
                  % (tmp_path / "two.pty"))
        h.wait_output(" kept, ", timeout=60)
        h.rewrite(conf)
        deadline = time.monotonic() + 60
        while h.output().count(" kept, ") < 2:
            assert time.monotonic() < deadline, h.output()
            time.sleep(0.1)
        t.close()
        b.close()
        h.proc.send_signal(signal.SIGTERM)
        rc = h.proc.wait(60)
    finally:
        out = h.stop()
    assert_clean(rc, out, vg_log)


def test_a_vhost_user_console_under_valgrind_memcheck(tmp_path):
    """ttyhubd as a vhost-user console device, under memcheck: a frontend
    (tests/vhostfront.py) maps guest memory, output and input flow, a
    writer resizes, the guest reboots, a frontend sends a message the
    spec forbids and is dropped, another comes, shutdown; no errors,
    nothing definitely lost."""
    import vhostfront as vf
    wrapper, vg_log = hub_wrapper(tmp_path)
    tport, rport = free_port(), free_port()
    path = str(tmp_path / "vm.vhost")
    conf = """[console vm]
type = vhost-user
path = %s
size = 100x30
telnet = 127.0.0.1:%d
raw = 127.0.0.1:%d
""" % (path, tport, rport)
    h = Hub(str(wrapper), conf, tmp_path)
    fe = None
    try:
        t = Telnet(tport, agree={NAWS}, naws=(90, 30))
        fe = vf.Frontend(path, connect_timeout=30, reply_timeout=30)
        fe.write(b"hello from the guest\r\n" + bytes(range(256)))
        t.expect(b"hello from the guest", timeout=30)
        t.send(b"typed\r")
        assert fe.read(6, timeout=30) == b"typed\r"
        t.send_naws(120, 40)
        fe.wait_config_change(timeout=30)
        fe.reboot()
        fe.write(b"after reboot\r\n")
        t.expect(b"after reboot", timeout=30)
        fe.send_msg(99)                     # not a request: dropped
        fe.close()
        fe = vf.Frontend(path, connect_timeout=30, reply_timeout=30)
        fe.write(b"second frontend\r\n")
        t.expect(b"second frontend", timeout=30)
        fe.close()
        fe = None
        t.close()
        h.proc.send_signal(signal.SIGTERM)
        rc = h.proc.wait(60)
    finally:
        if fe is not None:
            fe.close()
        out = h.stop()
    assert_clean(rc, out, vg_log)


def test_a_guest_network_under_valgrind_memcheck(tmp_path):
    """A [network] with stream ports (unix, TCP), a datagram port and a
    capture: frames both ways, a port closed for a bad length, a sender
    forgotten for a bad datagram, SIGUSR2, a reload that restarts the
    network, shutdown with ports open; no errors, nothing definitely
    lost."""
    wrapper, vg_log = hub_wrapper(tmp_path)
    tcp = free_port()
    conf = ("[network lan]\nstream = %s 127.0.0.1:%d\ndgram = %s\n"
            "pcap = %s\n" % (tmp_path / "lan.sock", tcp,
                             tmp_path / "lan.dgram", tmp_path / "lan.pcap"))
    h = Hub(str(wrapper), conf, tmp_path)

    def framed(f):
        return struct.pack(">I", len(f)) + f

    def recv_frame(s):
        hdr = b""
        while len(hdr) < 4:
            hdr += s.recv(4 - len(hdr))
        n = struct.unpack(">I", hdr)[0]
        body = b""
        while len(body) < n:
            body += s.recv(n - len(body))
        return body

    bcast = b"\xff" * 6
    a = socket.socket(socket.AF_UNIX)
    b = socket.create_connection(("127.0.0.1", tcp), 30)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for s in (a, b, c):
        s.settimeout(30)
    try:
        a.connect(str(tmp_path / "lan.sock"))
        c.bind(str(tmp_path / "c.sock"))
        fa = bcast + b"\x52\x54\x00\x00\x00\x01\x88\xb5" + b"a" * 46
        fc = bcast + b"\x52\x54\x00\x00\x00\x03\x88\xb5" + b"c" * 46
        c.sendto(fc, str(tmp_path / "lan.dgram"))
        assert recv_frame(a) == fc and recv_frame(b) == fc
        a.sendall(framed(fa))
        assert recv_frame(b) == fa
        assert c.recv(2000) == fa
        c.sendto(b"x" * 3000, str(tmp_path / "lan.dgram"))
        h.wait_output("closed: a frame longer than the network's MTU "
                      "allows (3000 bytes)", timeout=60)
        b.sendall(struct.pack(">I", 0))
        h.wait_output("closed: a frame of length 0", timeout=60)
        h.proc.send_signal(signal.SIGUSR2)
        h.rewrite(conf + "mode = hub\n")
        h.wait_output("0 networks kept, 1 closed, 1 started", timeout=60)
        a2 = socket.socket(socket.AF_UNIX)
        a2.settimeout(30)
        a2.connect(str(tmp_path / "lan.sock"))
        h.wait_output("stream root", timeout=60, count=2)
        c.sendto(fc, str(tmp_path / "lan.dgram"))
        assert recv_frame(a2) == fc
        a2.sendall(framed(fa))
        assert c.recv(2000) == fa
        h.proc.send_signal(signal.SIGTERM)
        rc = h.proc.wait(60)
    finally:
        for s in (a, b, c):
            s.close()
        out = h.stop()
    assert_clean(rc, out, vg_log)


def test_a_web_console_session_under_valgrind_memcheck(tmp_path):
    """The web console under memcheck: pages, requests in a row, a
    refused request, a browser's session over a WebSocket (typing, size,
    who, ping, an unmasked frame), a console removed under an open
    WebSocket, and shutdown with another open; no errors, nothing
    definitely lost."""
    websocket = pytest.importorskip("websocket")
    wrapper, vg_log = hub_wrapper(tmp_path)
    wport = free_port()
    sock = str(tmp_path / "vg.sock")
    head = "[ttyhubd]\nbroker-unix = %s\nweb = 127.0.0.1:%d\n\n" % (sock,
                                                                   wport)
    cons = """[console sh]
type = exec
command = /bin/sh -c 'echo hello-web; exec cat'
"""
    h = Hub(str(wrapper), head + cons + "[console two]\ntype = exec\n"
            "command = /bin/cat\n", tmp_path, sock=sock)
    url = "ws://127.0.0.1:%d/ws/" % wport
    origin = "http://127.0.0.1:%d" % wport

    def ws(name):
        return websocket.create_connection(url + name, timeout=60,
                                           subprotocols=["ttyhub"],
                                           origin=origin)

    def until(c, pred):
        got = []
        deadline = time.monotonic() + 60
        while not pred(got):
            assert time.monotonic() < deadline, got
            got.append(c.recv())
        return got

    try:
        wait_for(lambda: "web: listening" in h.output(), 60,
                 "the web listener (the broker's opens first)")
        with socket.create_connection(("127.0.0.1", wport), 60) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                      b"GET /static/ttyhub.js HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"\r\nGET /c/sh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            assert data.count(b"HTTP/1.1 200 OK") == 3
        with socket.create_connection(("127.0.0.1", wport), 60) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 400")
        a = ws("sh")
        until(a, lambda got: any(b"hello-web" in x for x in got
                                 if isinstance(x, bytes)))
        a.send("size 100 30")
        a.send_binary(b"typed\r")
        until(a, lambda got: any(b"typed" in x for x in got
                                 if isinstance(x, bytes)))
        a.send("who")
        a.send("ping vg")
        until(a, lambda got: "pong vg" in got)
        b = ws("two")
        b.send_frame(websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_TEXT,
                                    0, b"\xff\xfe"))    # unmasked: 1002
        until(b, lambda got: False if not got else True)
        c = ws("two")
        h.rewrite(head + cons)
        until(c, lambda got: any("removed" in x for x in got
                                 if isinstance(x, str)))
        h.proc.send_signal(signal.SIGTERM)
        rc = h.proc.wait(60)
        for x in (a, b, c):
            x.close()
    finally:
        out = h.stop()
    assert_clean(rc, out, vg_log)
