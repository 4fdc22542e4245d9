"""Protocol version 2 (doc/PROTOCOL.md) byte by byte: the daemon's side
of TTYHUB-CONTROL and TTYHUB_COMMAND, driven by the exact-bytes Telnet
client of the other tests, and the client's side against a fake broker
that sends what a real one never would."""
import socket
import threading
import time

import pytest

from clienttest import run
from ttyhubtest import exec_console, free_port
from telnetc import DO, DONT, IAC, NEW_ENVIRON, SB, SE, WILL, Telnet

TTYHUB = 172
RO, RW, FORCE, WHO, REPLAY, PING = 1, 2, 3, 4, 5, 6
STATE, NOTICE, ERROR, WHO_LINE, WHO_END, REPLAY_END, PONG = range(65, 72)
USERVAR = 3


class Ctl(Telnet):
    """A Telnet client that offers TTYHUB-CONTROL and records each of its
    messages with the payload offset it arrived at."""

    def __init__(self, *a, offer=True, **kw):
        agree = set(kw.pop("agree", ())) | {NEW_ENVIRON, TTYHUB}
        super().__init__(*a, agree=agree, **kw)
        self.ctl = []
        if offer:
            self.send_raw(bytes([IAC, WILL, TTYHUB]))

    def _subneg(self, opt, body):
        if opt == TTYHUB and body:
            self.ctl.append((body[0], bytes(body[1:]), len(self.data)))
        super()._subneg(opt, body)

    def request(self, code, text=b""):
        self.send_raw(bytes([IAC, SB, TTYHUB, code]) +
                      text.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE]))

    def wait_ctl(self, code, text=None, timeout=10, after=0):
        deadline = time.monotonic() + timeout
        while True:
            for i, (c, t, pos) in enumerate(self.ctl):
                if i >= after and c == code and (text is None or t == text):
                    return i, t, pos
            if time.monotonic() > deadline or not self.pump(0.1):
                raise AssertionError("no message %d %r; got %r" %
                                     (code, text, self.ctl))


def env(**kv):
    return [(USERVAR, k.encode(), v.encode()) for k, v in kv.items()]


@pytest.fixture
def shcons(hub, tmp_path):
    prog = tmp_path / "prog.sh"
    prog.write_text("echo boot-line\nexec cat\n")
    return hub(exec_console(tmp_path, command="/bin/sh %s" % prog))


def test_attach_state_replay_who_ping_and_roles(shcons, tmp_path):
    h = shcons
    deadline = time.monotonic() + 10
    while b"boot-line" not in (tmp_path / "sh.log").read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    c = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="sh"))
    c.wait_ctl(STATE, b"sh rw up")
    _, _, end = c.wait_ctl(REPLAY_END)
    # The replay ends exactly where the marker is.
    assert c.data[:end] == b"boot-line\r\n"
    # WHO: this client, marked, then the count.
    c.request(WHO)
    i, line, _ = c.wait_ctl(WHO_LINE)
    role, you, peer = line.split(b"\t")
    assert (role, you) == (b"rw", b"you") and peer.startswith(b"root (uid 0")
    c.wait_ctl(WHO_END, b"1", after=i)
    c.request(PING, b"abc\xffdef")
    c.wait_ctl(PONG, b"abc\xffdef")
    # REPLAY: the recent output again, then the marker.
    n = len(c.ctl)
    c.request(REPLAY)
    _, _, end2 = c.wait_ctl(REPLAY_END, after=n)
    assert c.data[end:end2] == b"boot-line\r\n"
    c.request(REPLAY, b"5")
    _, _, end3 = c.wait_ctl(REPLAY_END, after=n + 1)
    assert c.data[end2:end3] == b"ine\r\n"
    c.request(REPLAY, b"x5")
    c.wait_ctl(ERROR, b"badcommand replay: not a byte count")
    # RO: told, and typed input is refused with a notice, not in the data.
    c.request(RO)
    c.wait_ctl(NOTICE, b"sh: you are read-only now")
    c.wait_ctl(STATE, b"sh ro up")
    c.send(b"typed\r")
    c.wait_ctl(NOTICE, b"read-only: your input is ignored")
    c.request(RW)
    c.wait_ctl(NOTICE, b"sh: you may write now")
    c.send(b"typed-rw\r")
    c.expect(b"typed-rw")
    assert b"[ttyhub" not in c.data
    assert b"typed\r" not in c.data.replace(b"typed-rw", b"")
    # Unknown codes are ignored, known ones still work after them.
    c.request(99, b"future")
    c.request(PING, b"still")
    c.wait_ctl(PONG, b"still")


def test_writers_one_busy_force_and_handover(hub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat",
                         extra="writers = one"))
    a = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="sh"))
    a.wait_ctl(STATE, b"sh writer up")
    b = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="sh"))
    b.wait_ctl(STATE, b"sh ro up")
    b.request(RW)
    _, text, _ = b.wait_ctl(ERROR)
    assert text.startswith(b"busy sh: root (uid 0") and \
        text.endswith(b"is writing")
    b.request(FORCE)
    b.wait_ctl(STATE, b"sh writer up")
    a.wait_ctl(STATE, b"sh ro up")
    b.request(RO)
    a.wait_ctl(STATE, b"sh writer up")
    a.wait_ctl(NOTICE, b"sh: you are the writer now")


def test_read_only_listener_may_not_ask(hub, tmp_path):
    port = free_port()
    h = hub("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d,ro\n\n" %
            (tmp_path / "broker.sock", port) +
            exec_console(tmp_path, command="/bin/cat"))
    assert h.sock
    c = Ctl(port, env=env(TTYHUB_CONSOLE="sh"))
    c.wait_ctl(STATE, b"sh ro up")
    for code in (RW, FORCE):
        n = len(c.ctl)
        c.request(code)
        _, text, _ = c.wait_ctl(ERROR, after=n)
        assert text.startswith(b"denied sh: you may not write here"), text


def test_unknown_console(hub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat"))
    c = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="vm3"))
    c.wait_ctl(ERROR, b'noconsole no console named "vm3"')
    c.wait_closed()
    assert c.data == b""
    # Without the option: the line of protocol 1.
    c = Telnet(path=h.sock, agree={NEW_ENVIRON},
               env=env(TTYHUB_CONSOLE="vm3"))
    c.wait_closed()
    assert c.data == b'ttyhub: no console named "vm3"\r\n'


def test_commands_list_and_who(hub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat") +
            "[console cold]\ntype = unix\npath = %s\n" %
            (tmp_path / "nobody.sock"))
    keep = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="sh"))
    keep.wait_ctl(STATE)
    c = Telnet(path=h.sock, agree={NEW_ENVIRON},
               env=env(TTYHUB_COMMAND="list"))
    lines = c.wait_closed().split(b"\r\n")
    assert lines[-1] == b""
    assert lines[0].split(b"\t")[:4] == [b"sh", b"exec", b"up", b"1"]
    assert lines[0].split(b"\t")[6] == str(tmp_path / "sh.log").encode()
    assert lines[1].split(b"\t") == [b"cold", b"unix", b"down", b"0", b"0",
                                     b"0", b"-"]
    c = Telnet(path=h.sock, agree={NEW_ENVIRON},
               env=env(TTYHUB_COMMAND="who", TTYHUB_CONSOLE="sh"))
    role, you, peer = c.wait_closed().rstrip(b"\r\n").split(b"\t")
    assert (role, you) == (b"rw", b"-") and peer.startswith(b"root (uid 0")
    c = Ctl(path=h.sock, env=env(TTYHUB_COMMAND="bogus"))
    c.wait_ctl(ERROR, b'badcommand unknown command "bogus"')
    c.wait_closed()
    c = Ctl(path=h.sock, env=env(TTYHUB_COMMAND="who",
                                 TTYHUB_CONSOLE="vm3"))
    c.wait_ctl(ERROR, b'noconsole no console named "vm3"')


def test_plain_clients_never_see_the_option(hub, tmp_path):
    port = free_port()
    h = hub(exec_console(tmp_path, command="/bin/cat",
                         extra="telnet = 127.0.0.1:%d" % port))
    # A broker client that does not offer it gets notices in the data.
    plain = Telnet(path=h.sock, agree={NEW_ENVIRON},
                   env=env(TTYHUB_CONSOLE="sh"))
    deadline = time.monotonic() + 15
    while not any(o == NEW_ENVIRON for o, _ in plain.subneg):
        assert time.monotonic() < deadline
        plain.pump(0.1)             # it answers SEND with the name
    plain.pump(0.2)
    plain.send(b"attached?\r")
    plain.expect(b"attached?")          # cat says it back
    other = Ctl(path=h.sock, env=env(TTYHUB_CONSOLE="sh"))
    other.wait_ctl(STATE)
    plain.expect(b"[ttyhub: sh: root (uid 0")
    assert not any(o == TTYHUB for o, _ in plain.subneg)
    # A console's own Telnet listener never offers it either.
    direct = Telnet(port, agree={NEW_ENVIRON})
    direct.send(b"direct?\r")
    direct.expect(b"direct?")
    assert not any(o == TTYHUB for _, o in direct.commands), \
        direct.commands
    assert not any(o == TTYHUB for o, _ in direct.subneg)


class FakeBroker:
    """Speaks just enough of the broker's side to attach a ttyhub client,
    then sends what it was given and closes."""

    def __init__(self, path, payload):
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(10)
        self.payload = payload
        self.got = bytearray()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read_until(self, conn, needle, deadline):
        while needle not in self.got and time.monotonic() < deadline:
            try:
                b = conn.recv(4096)
            except socket.timeout:
                continue
            if not b:
                return
            self.got += b

    def _run(self):
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        conn.settimeout(0.2)
        deadline = time.monotonic() + 10
        conn.sendall(bytes([IAC, DO, NEW_ENVIRON]))
        self._read_until(conn, bytes([IAC, WILL, NEW_ENVIRON]), deadline)
        conn.sendall(bytes([IAC, DO, TTYHUB, IAC, SB, NEW_ENVIRON, 1, IAC,
                            SE]))
        self._read_until(conn, b"TTYHUB_CONSOLE", deadline)
        conn.sendall(self.payload)
        time.sleep(0.3)
        conn.close()

    def stop(self):
        self.srv.close()
        self.thread.join(5)


def sb(code, text):
    return bytes([IAC, SB, TTYHUB, code]) + \
        text.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE])


def test_client_cleans_what_the_daemon_says(ttyhub, tmp_path):
    path = str(tmp_path / "fake.sock")
    evil = b"evil\x1b]0;pwned\x07\x9b31m\r\n[ttyhub: forged]"
    fb = FakeBroker(path, sb(STATE, b"vm1 rw up") + sb(NOTICE, evil) +
                    b"console\x1b[1mdata")
    try:
        p = run(ttyhub, tmp_path, "-s", path, "vm1", input=b"")
    finally:
        fb.stop()
    assert b"TTYHUB_CONSOLE\x01vm1" in fb.got
    # Console output is the console's: as it came.
    assert p.stdout == b"console\x1b[1mdata"
    # What the client says is one line of clean text.
    assert p.stderr.startswith(
        b"[ttyhub: evil\\x1b]0;pwned\\x07\\x9b31m\\x0d\\x0a[ttyhub: forged]]"
        b"\n"), p.stderr
    assert not any(b < 0x20 and b != 0x0a for b in p.stderr), p.stderr


def test_client_refuses_an_endless_subnegotiation(ttyhub, tmp_path):
    path = str(tmp_path / "fake.sock")
    fb = FakeBroker(path, sb(STATE, b"vm1 rw up") +
                    bytes([IAC, SB, TTYHUB, NOTICE]) + b"x" * 20000)
    try:
        p = run(ttyhub, tmp_path, "-s", path, "vm1", input=b"")
    finally:
        fb.stop()
    assert p.returncode == 1
    assert b"subnegotiation too long" in p.stderr, p.stderr
    assert b"x" * 100 not in p.stdout


class FakeOldConsole(FakeBroker):
    """A console's own Telnet socket as ttyhubd before protocol 3 served
    it: attached at once (output before anything is asked), TTYHUB-CONTROL
    refused, and a NEW-ENVIRON SEND for USER and TERM only."""

    def _run(self):
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        conn.settimeout(0.2)
        deadline = time.monotonic() + 10
        conn.sendall(bytes([IAC, DO, NEW_ENVIRON]) + b"console-output\r\n")
        self._read_until(conn, bytes([IAC, WILL, TTYHUB]), deadline)
        conn.sendall(bytes([IAC, DONT, TTYHUB]))
        self._read_until(conn, bytes([IAC, WILL, NEW_ENVIRON]), deadline)
        conn.sendall(bytes([IAC, SB, NEW_ENVIRON, 1, 0]) + b"USER" +
                     bytes([3]) + b"TERM" + bytes([IAC, SE]) + self.payload)
        # Until the client closes: what it sends meanwhile is kept.
        while time.monotonic() < deadline:
            try:
                b = conn.recv(4096)
            except socket.timeout:
                continue
            if not b:
                break
            self.got += b
        conn.close()


def test_an_older_daemons_console_socket_is_refused(ttyhub, tmp_path):
    """It cannot say which console it is: the client says so and leaves,
    with nothing typed sent and none of the output shown."""
    path = str(tmp_path / "old.sock")
    fb = FakeOldConsole(path, b"more-output\r\n")
    try:
        p = run(ttyhub, tmp_path, "-s", path, "vm1", input=b"typed\n")
    finally:
        fb.stop()
    assert p.returncode == 1
    assert p.stderr == ("ttyhub: %s is a console's own socket, and this "
                        "ttyhubd cannot say which console: reach it with "
                        "telnet or socat, or use the broker's socket\n" %
                        path).encode(), p.stderr
    assert p.stdout == b""
    assert b"typed" not in fb.got


def test_a_socket_that_says_nothing_is_given_up(ttyhub, tmp_path):
    """ttyhubd speaks first; a socket that stays silent (a quiet console's
    raw socket) gets nothing from us and is given up after 10 s."""
    path = str(tmp_path / "silent.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    try:
        p = run(ttyhub, tmp_path, "-s", path, "vm1", input=b"typed\n",
                timeout=30)
        conn, _ = srv.accept()
        conn.setblocking(False)
        try:
            got = conn.recv(4096)
        except BlockingIOError:
            got = b""
        conn.close()
    finally:
        srv.close()
    assert p.returncode == 1
    assert p.stderr == ("ttyhub: %s said nothing for 10 s: is it ttyhubd? "
                        "(a console's raw socket says nothing until the "
                        "console prints)\n" % path).encode(), p.stderr
    assert got == b""


class FakeProtocol3Broker(FakeBroker):
    """A broker before protocol 4: list answers its consoles, and net is
    an unknown command.  Takes one connection per payload."""

    def __init__(self, path, n):
        self.n = n
        self.commands = []
        super().__init__(path, b"")

    def _run(self):
        for _ in range(self.n):
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            conn.settimeout(0.2)
            deadline = time.monotonic() + 10
            self.got = bytearray()
            conn.sendall(bytes([IAC, DO, NEW_ENVIRON]))
            self._read_until(conn, bytes([IAC, WILL, NEW_ENVIRON]), deadline)
            conn.sendall(bytes([IAC, DO, TTYHUB, IAC, SB, NEW_ENVIRON, 1,
                                IAC, SE]))
            self._read_until(conn, bytes([IAC, SE]), deadline)
            if b"TTYHUB_COMMAND\x01list" in self.got:
                self.commands.append("list")
                conn.sendall(b"vm1\tunix\tup\t0\t0\t0\t-\r\n")
            else:
                self.commands.append("net")
                conn.sendall(sb(ERROR, b'badcommand unknown command "net"'))
            time.sleep(0.2)
            conn.close()


def test_networks_from_a_daemon_before_protocol_4(ttyhub, tmp_path):
    """-l still lists the consoles, with no networks and no error; net
    NAME says the daemon has none."""
    path = str(tmp_path / "fake.sock")
    fb = FakeProtocol3Broker(path, 2)
    try:
        p = run(ttyhub, tmp_path, "-s", path, "-l")
    finally:
        fb.stop()
    assert fb.commands == ["list", "net"]
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1].split() == [b"vm1", b"unix", b"up", b"0",
                                                b"0", b"0", b"-"], p.stdout
    assert b"network" not in p.stdout and p.stderr == b""
    path = str(tmp_path / "fake2.sock")
    fb = FakeProtocol3Broker(path, 1)
    try:
        p = run(ttyhub, tmp_path, "-s", path, "net", "lan")
    finally:
        fb.stop()
    assert p.returncode == 1
    assert p.stderr == ("ttyhub: the ttyhubd at %s has no networks (it "
                        "speaks a protocol before 4)\n" % path).encode()
