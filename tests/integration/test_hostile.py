"""The console side under attack: hostile backends, hostile local peers,
reloads that must not forget what a listener was told.  Each test here
failed on the code before its fix (issue 11)."""
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

import pytest

from ttyhubtest import FakeGuest, free_port, wait_for
from telnetc import Telnet

IAC, SB, SE = 255, 250, 240
COMPRESS, COMPRESS2 = 85, 86


def test_a_telnet_backend_that_starts_compression_is_cut_off(hub, tmp_path):
    """A guest behind a Telnet backend sends the COMPRESS2 start marker
    (never negotiated) and then a zlib stream that inflates to 4 MiB.
    libtelnet would inflate it and hand over far more than was read, into
    room made for the bytes read: the daemon must refuse the marker
    before anything is inflated, take the backend down, and come back on
    the next connection with nothing of the stream shown."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
""" % (g.path, tport))
        g.wait_connected()
        c = Telnet(tport)
        g.send(b"before\r\n")
        c.expect(b"before\r\n")
        bomb = zlib.compress(b"A" * (4 << 20), 9)
        first = g.conn
        g.send(b"x" + bytes([IAC, SB, COMPRESS2, IAC, SE]) + bomb)
        c.expect(b"backend down")
        h.wait_output("broke the protocol: peer started compression")
        # The daemon comes back (a new connection): served as before.
        wait_for(lambda: h.output().count("unix backend up") == 2, 10,
                 "the backend never came back:\n" + h.output())
        wait_for(lambda: g.conn not in (None, first), 10,
                 "the guest never took the new connection")
        g.send(b"after\r\n")
        c.expect(b"after\r\n")
        assert b"AAAA" not in c.data
        assert h.proc.poll() is None
    finally:
        g.stop()


def test_a_telnet_backend_old_compress_marker_is_refused_too(hub, tmp_path):
    """MCCP's first version (option 85) is not ours either."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
""" % (g.path, tport))
        g.wait_connected()
        c = Telnet(tport)
        g.send(bytes([IAC, SB, COMPRESS, 251, SE]) + b"junk")
        c.expect(b"backend down")
        h.wait_output("broke the protocol: peer started compression")
    finally:
        g.stop()


def as_user_with_groups(path, groups, uid=65534, gid=65534):
    """Connect to the unix socket at path as uid with these supplementary
    groups and return the first bytes the daemon sends (from a child
    process: setgroups is per process)."""
    script = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
sys.stdout.buffer.write(s.recv(4096))
"""
    p = subprocess.run([sys.executable, "-c", script, path],
                       user=uid, group=gid, extra_groups=groups,
                       capture_output=True, timeout=30)
    return p.stdout


def test_a_unix_peer_with_many_groups_is_checked_against_all_of_them(
        hub, tmp_path):
    """SO_PEERGROUPS used to be read into room for 63 groups with a
    length of 64: a peer with 64 groups overflowed the stack.  Users may
    have many more: the group that lets this one in is its 300th."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    # pytest's tmp_path is closed to other users: a directory they can
    # pass through holds the console's socket.
    d = tempfile.mkdtemp(prefix="ttyhub-groups-")
    try:
        os.chmod(d, 0o711)
        sock = os.path.join(d, "vm1.sock")
        h = hub("""[console vm1]
type = unix
path = %s
unix = %s
unix-mode = 0666
rw = @40300
ro = @40063
""" % (g.path, sock))
        g.wait_connected()
        for n, expect in ((64, "attached (ro)"), (300, "attached (rw)"),
                          (10, "refused by rw/ro lists")):
            seen = len(h.output())
            as_user_with_groups(sock, list(range(40001, 40001 + n)))
            wait_for(lambda: "nobody (uid 65534" in h.output()[seen:], 10,
                     "the daemon never saw the peer:\n" + h.output())
            assert expect in h.output()[seen:], (n, h.output()[seen:])
        assert h.proc.poll() is None
    finally:
        g.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_a_local_user_is_shown_only_the_consoles_it_may_use(hub, build):
    """ttyhub -l, who and attach by a local user (nobody) that the rw and
    ro lists of one console leave out: it is not there for that user, as
    for a network user after a login (test_auth.py); root sees it."""
    client = os.path.join(os.path.dirname(build), "ttyhub")
    d = tempfile.mkdtemp(prefix="ttyhub-hidden-")
    try:
        os.chmod(d, 0o711)
        sock = os.path.join(d, "broker.sock")
        text = "[ttyhubd]\nbroker-unix = %s\nbroker-unix-mode = 0666\n" % sock
        for name, acl in (("shared", "ro = nobody\n"),
                          ("private", "rw = root\n"), ("open", "")):
            text += ("[console %s]\ntype = exec\ncommand = /bin/cat\n%s"
                     % (name, acl))
        h = hub(text, sock=sock)

        def run(*args, uid=65534):
            return subprocess.run(
                [client] + list(args), user=uid, group=uid,
                env={"TTYHUB_SOCKET": sock, "PATH": "/usr/bin:/bin"},
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=30)
        names = [line.split()[0] for line in run("-l").stdout.splitlines()]
        assert "shared" in names and "open" in names, names
        assert "private" not in names, names
        assert "private" in run("-l", uid=0).stdout
        for args in (("who", "private"), ("-r", "private")):
            r = run(*args)
            assert r.returncode != 0, (args, r)
            assert 'no console named "private"' in r.stderr, (args, r)
        h.wait_output("console private: ")
        assert "refused by rw/ro lists" in h.output()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_a_client_gone_before_its_attach_is_answered(hub, tmp_path):
    """A peer that names its console in NEW-ENVIRON and closes at once:
    the broker attaches it inside the Telnet read, the first write fails
    (EPIPE), and the client used to be freed there, under libtelnet's
    feet (a heap use-after-free: ttyhubd died).  Twenty of them, then a
    client that stays is served."""
    sock = str(tmp_path / "broker.sock")
    h = hub("[ttyhubd]\nbroker-unix = %s\n[console c]\ntype = exec\n"
            "command = /bin/sh -c 'echo READY; exec cat'\n" % sock,
            sock=sock)
    WILL, WONT, NEW_ENVIRON, TTYPE = 251, 252, 39, 24
    named = bytes([IAC, WONT, TTYPE, IAC, WILL, NEW_ENVIRON,
                   IAC, SB, NEW_ENVIRON, 0, 0]) + b"TTYHUB_CONSOLE" + \
        bytes([1]) + b"c" + bytes([IAC, SE])
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.settimeout(10)
        s.recv(4096)                # its negotiation: it is reading
        s.sendall(named)
        s.close()
    wait_for(lambda: h.output().count(" attached (") >= 20 or
             h.proc.poll() is not None, 20, "twenty attaches")
    assert h.proc.poll() is None, h.output()
    t = Telnet(path=sock, agree={39}, env=[(3, b"TTYHUB_CONSOLE", b"c")])
    t.expect(b"READY")


def attach_by_env(port=None, path=None):
    return Telnet(port, path=path, agree={39},
                  env=[(3, b"TTYHUB_CONSOLE", b"vm1")])


def reload_and_wait(h, text):
    """Rewrite the file, SIGHUP, and wait until the daemon says it is done
    (its last word on a reload is "N consoles kept, N closed, N started")."""
    done = h.output().count(" kept, ")
    h.rewrite(text)
    wait_for(lambda: h.output().count(" kept, ") > done, 10,
             "the reload never finished:\n" + h.output())


def test_a_reload_gives_a_broker_listener_its_new_role(hub, tmp_path):
    """broker = PORT, then broker = PORT,ro and SIGHUP: the broker used to
    stay read-write because the reload compared only host and port.  Its
    clients from before are told and closed, as a fresh start with ,ro
    would not have them writing; a new client is read-only.  Then
    noreplay, and back."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        port = free_port()
        console = "[console vm1]\ntype = unix\npath = %s\n" % g.path

        def conf(opts):
            return ("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d%s\n\n"
                    % (tmp_path / "broker.sock", port, opts) + console)

        h = hub(conf(""))
        g.wait_connected()
        g.send(b"replayed\r\n")
        before = attach_by_env(port)
        before.expect(b"replayed\r\n")
        before.send(b"rw-before\r")
        g.wait_received(b"rw-before")

        reload_and_wait(h, conf(",ro"))
        before.expect(b"reconfigured: reconnect")
        before.wait_closed()
        after = attach_by_env(port)
        after.expect(b"replayed\r\n")
        after.send(b"ro-after\r")
        after.expect(b"read-only")
        assert b"ro-after" not in g.wait_received(b"rw-before")

        reload_and_wait(h, conf(",noreplay"))
        after.wait_closed()
        seen = h.output().count(" attached (")
        quiet = attach_by_env(port)
        # Nothing comes on attach now: wait for the daemon's word on it.
        wait_for(lambda: quiet.pump() and
                 h.output().count(" attached (") > seen, 10,
                 "never attached:\n" + h.output())
        g.send(b"live\r\n")
        quiet.expect(b"live\r\n")
        assert b"replayed" not in quiet.data
        quiet.send(b"rw-again\r")
        g.wait_received(b"rw-again")

        # An unchanged listener keeps its clients across a reload.
        reload_and_wait(h, conf(",noreplay") + "\n# a comment\n")
        g.send(b"still\r\n")
        quiet.expect(b"still\r\n")
    finally:
        g.stop()


def test_a_reload_applies_the_broker_socket_mode_and_group(hub, tmp_path):
    sock = tmp_path / "broker.sock"
    h = hub("[ttyhubd]\nbroker-unix = %s\n" % sock, sock=str(sock))
    assert os.stat(sock).st_mode & 0o777 == 0o600
    reload_and_wait(h, "[ttyhubd]\nbroker-unix = %s\nbroker-unix-mode = 0660"
                    "\nbroker-unix-group = 65534\n" % sock)
    wait_for(lambda: os.path.exists(sock) and
             os.stat(sock).st_mode & 0o777 == 0o660, 10,
             "the socket never got its new mode")
    assert os.stat(sock).st_gid == 65534


@pytest.mark.parametrize("before,after,check", [
    ("", ",ro", "ro"),
    (",ro", "", "rw"),
    ("", ",noreplay", "noreplay"),
])
def test_a_reload_gives_a_console_listener_its_new_options(hub, tmp_path,
                                                           before, after,
                                                           check):
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()

        def conf(opts):
            return ("[console vm1]\ntype = unix\npath = %s\nlog = %s\n"
                    "telnet = 127.0.0.1:%d%s\n" % (g.path, logf, tport, opts))

        logf = tmp_path / "vm1.log"
        h = hub(conf(before))
        g.wait_connected()
        first = g.conn
        reload_and_wait(h, conf(after))
        # A changed console starts again: a new backend connection.
        wait_for(lambda: g.conn not in (None, first), 10, "no new backend")
        g.send(b"replayed\r\n")
        wait_for(lambda: logf.exists() and
                 b"replayed" in logf.read_bytes(), 10, "never logged")
        seen = h.output().count(" attached (")
        c = Telnet(tport)
        wait_for(lambda: c.pump() and
                 h.output().count(" attached (") > seen, 10,
                 "never attached:\n" + h.output())
        if check == "noreplay":
            g.send(b"live\r\n")
            c.expect(b"live\r\n")
            assert b"replayed" not in c.data
            return
        c.expect(b"replayed\r\n")
        c.send(b"typed\r")
        if check == "ro":
            c.expect(b"read-only")
            assert b"typed" not in bytes(g.received)
        else:
            g.wait_received(b"typed")
    finally:
        g.stop()


def open_many(n, port, source="127.0.0.1"):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def refused(socks, why, timeout=10):
    """The sockets the daemon refused: each was sent one line saying why
    and closed.  The others are still open (and may get notices)."""
    got = {s: b"" for s in socks}
    done = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s for s in socks if s not in done], [], [],
                                0.2)
        if not r:
            break
        for s in r:
            b = s.recv(4096)
            got[s] += b
            if not b:
                done.add(s)
    out = [s for s in done if got[s].startswith(b"ttyhub: refused: " + why)]
    assert all(s in out for s in done), [got[s] for s in done]
    return out


def test_one_address_cannot_lock_out_the_others(hub, tmp_path):
    """Idle connections to a read-only TCP listener used to fill
    max-clients, and then the owner's attach on the unix socket got EOF.
    One address now gets max-clients-per-source (32 by default); the
    rest of it is refused with a line that says why; another address and
    the owner still get in."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    socks = []
    try:
        port = free_port()
        usock = str(tmp_path / "vm1.sock")
        h = hub("""[ttyhubd]
broker-unix = %s
max-clients = 64

[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d,ro
unix = %s
""" % (tmp_path / "broker.sock", g.path, port, usock))
        g.wait_connected()
        socks = open_many(80, port)
        no = refused(socks, b"too many connections from this address")
        assert len(no) == 48
        wait_for(lambda: h.output().count("attached (ro)") == 32, 10,
                 "not 32 attached:\n" + h.output()[-3000:])
        # Another address, and the owner on the unix socket.
        o2 = socket.socket()
        o2.bind(("127.0.0.2", 0))
        o2.connect(("127.0.0.1", port))
        socks.append(o2)
        owner = Telnet(path=usock)
        g.send(b"for the owner\r\n")
        owner.expect(b"for the owner\r\n")
        o2.settimeout(5)
        got = b""
        while b"for the owner" not in got:
            b = o2.recv(4096)
            assert b, got
            got += b
    finally:
        for s in socks:
            s.close()
        g.stop()


def test_many_addresses_leave_room_for_unix_clients(hub, tmp_path):
    """Spread over many addresses, TCP clients get at most seven eighths
    of max-clients: the last eighth is kept for unix-socket peers."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    socks = []
    try:
        port = free_port()
        usock = str(tmp_path / "vm1.sock")
        h = hub("""[ttyhubd]
broker-unix = %s
max-clients = 64

[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d,ro
unix = %s
""" % (tmp_path / "broker.sock", g.path, port, usock))
        g.wait_connected()
        for i in range(10):
            socks += open_many(8, port, "127.0.1.%d" % (i + 1))
        no = refused(socks, b"too many network clients")
        assert len(no) == 24
        wait_for(lambda: h.output().count("attached (ro)") == 56, 10,
                 "not 56 attached:\n" + h.output()[-3000:])
        owners = [Telnet(path=usock) for _ in range(8)]
        g.send(b"for the owner\r\n")
        for o in owners:
            o.expect(b"for the owner\r\n")
    finally:
        for s in socks:
            s.close()
        g.stop()


def test_idle_connections_at_the_broker_prompt_cannot_crowd_it(hub,
                                                              tmp_path):
    """At most 64 connections wait at the broker (negotiating or at the
    prompt); a new one pushes out the oldest, so idle sockets cannot keep
    real users out.  The owner attaches through the broker's socket."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    socks = []
    try:
        port = free_port()
        h = hub("""[ttyhubd]
broker-unix = %s
broker = 127.0.0.1:%d

[console vm1]
type = unix
path = %s
""" % (tmp_path / "broker.sock", port, g.path))
        g.wait_connected()
        for i in range(4):
            socks += open_many(25, port, "127.0.2.%d" % (i + 1))
        # The daemon rate-limits its own lines: count what the peers got.
        gone, got = set(), {s: b"" for s in socks}
        deadline = time.monotonic() + 10
        while len(gone) < 36 and time.monotonic() < deadline:
            r, _, _ = select.select([s for s in socks if s not in gone],
                                    [], [], 0.2)
            for s in r:
                try:
                    b = s.recv(4096)
                except ConnectionResetError:
                    b = b""
                got[s] += b
                if not b:
                    gone.add(s)
        assert len(gone) == 36, len(gone)
        assert gone == set(socks[:36])
        # Each was told why it went.
        for s in gone:
            assert b"too many connections waiting" in got[s], got[s]
        g.send(b"boot\r\n")
        owner = Telnet(path=h.sock, agree={39},
                       env=[(3, b"TTYHUB_CONSOLE", b"vm1")])
        owner.expect(b"boot\r\n")
    finally:
        for s in socks:
            s.close()
        g.stop()


def reversing_storm(n):
    """n pairs of a peer reversing itself: WILL then WONT ECHO... and DO
    then DONT SGA, each answered by RFC 1143 every time."""
    one = bytes([IAC, 251, 24, IAC, 252, 24, IAC, 253, 3, IAC, 254, 3])
    return one * n


def test_a_login_peer_that_keeps_reversing_its_options_is_cut_off(daemon):
    """Each reversal costs a reply; a peer that keeps reversing used to get
    about 3 MB of replies in 3 s.  Past 1,000 negotiations the connection
    is closed with the reason in the log, having cost a few KiB."""
    d = daemon("-l", "/bin/cat")
    s = socket.create_connection(("127.0.0.1", d.port), 5)
    got = bytearray()
    try:
        s.sendall(reversing_storm(2000))
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.settimeout(10)
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        got += b
    s.close()
    assert len(got) < 16 * 1024, len(got)
    wait_for(lambda: "more option negotiations than any honest peer" in
             d.output(), 10, "no reason logged:\n" + d.output())


def test_a_telnet_backend_that_keeps_reversing_is_cut_off(hub, tmp_path):
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
""" % (g.path, tport))
        g.wait_connected()
        c = Telnet(tport)
        g.send(reversing_storm(2000))
        c.expect(b"backend down")
        h.wait_output("broke the protocol: more option negotiations")
    finally:
        g.stop()


def test_a_telnet_backend_s_words_before_its_fault_are_kept(hub, tmp_path):
    """What a Telnet backend sent before it broke the protocol is shown
    and logged, however its bytes came in reads.  Here a guest's last
    line and the COMPRESS2 marker come in one write, so in one read, which
    the console used to drop whole; had they come in two reads, the line
    was shown.  A guest that panics and then prints garbage should leave
    its last words in the log."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    log = tmp_path / "vm1.log"
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
log = %s
""" % (g.path, tport, log))
        g.wait_connected()
        c = Telnet(tport)
        g.send(b"booting\r\n")
        c.expect(b"booting\r\n")
        g.send(b"Kernel panic - not syncing: last words\r\n" +
               bytes([IAC, SB, COMPRESS2, IAC, SE]) + b"never shown")
        c.expect(b"backend down")
        h.wait_output("broke the protocol: peer started compression")
        assert b"last words\r\n" in c.data
        assert c.data.index(b"last words") < c.data.index(b"backend down")
        assert b"never shown" not in c.data
        wait_for(lambda: b"backend down" in log.read_bytes(), 10,
                 "the log never said the backend went down")
        text = log.read_bytes()
        assert b"last words\r\n" in text
        assert text.index(b"last words") < text.index(b"backend down")
        assert b"never shown" not in text
    finally:
        g.stop()


def test_naws_sides_are_bounded_and_zero_keeps_the_last(daemon):
    """A NAWS of 65535x65535 used to reach TIOCSWINSZ as it was."""
    d = daemon("-l", "/bin/sh")
    c = Telnet(d.port, agree={31}, naws=(65535, 65535))
    c.expect(b"# ")
    c.send(b"stty size\r")
    c.expect(b"4096 4096")
    c.send_naws(0, 48)
    c.send(b"stty size\r")
    c.expect(b"48 4096")
