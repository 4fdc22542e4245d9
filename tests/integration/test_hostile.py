"""The console side under attack: hostile backends, hostile local peers,
reloads that must not forget what a listener was told.  Each test here
failed on the code before its fix (issue 11)."""
import time
import zlib

from ttyhubtest import FakeGuest, free_port
from telnetc import Telnet

IAC, SB, SE = 255, 250, 240
COMPRESS, COMPRESS2 = 85, 86


def wait_until(cond, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


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
        wait_until(lambda: h.output().count("unix backend up") == 2,
                   "the backend never came back:\n" + h.output())
        wait_until(lambda: g.conn not in (None, first),
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
        wait_until(lambda: b"backend down" in log.read_bytes(),
                   "the log never said the backend went down")
        text = log.read_bytes()
        assert b"last words\r\n" in text
        assert text.index(b"last words") < text.index(b"backend down")
        assert b"never shown" not in text
    finally:
        g.stop()
