"""Serial consoles: a socat-made pty pair stands in for a serial line.
ttyhubd's console opens TMP/dev0, as it would /dev/ttyUSB0; the test holds
TMP/dev1 as the board at the other end.  Clients are the byte-exact Telnet
client, socat as a raw client, and pyserial's rfc2217:// client (Debian
python3-serial), which is what people script boards with.

How the line is observed: a pty keeps its termios on the slave, which
ttyhubd holds with TIOCEXCL and flock.  Root (CAP_SYS_ADMIN) may still
open it, so the tests open TMP/dev0 a second time, check that flock is
refused, and read the line with tcgetattr.  Without root that open fails
with EBUSY, which is checked instead, and the termios checks are skipped.
A pty has limits a UART has not: it keeps CS8 without parity whatever it
is told (glibc's tcsetattr then reports EINVAL), and it has no modem lines
(TIOCMGET: ENOTTY), so DTR and RTS are kept by ttyhubd and no modem state
changes can be seen; BREAK is accepted and does nothing."""
import errno
import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

import pytest

from ttyhubtest import file_bytes, free_port, without_notices
from telnetc import Telnet, BINARY, IAC, SB, SE, WILL, DO

COM_PORT = 44
CMSPAR = 0o10000000000

pytestmark = pytest.mark.skipif(shutil.which("socat") is None,
                                reason="socat is not installed")


class Line:
    """The pty pair: socat started and stopped by the test, TMP/dev0 for
    ttyhubd and TMP/dev1 for the board."""

    def __init__(self, tmp):
        self.dev0 = str(tmp / "dev0")
        self.dev1 = str(tmp / "dev1")
        self.said = str(tmp / "socat.err")
        self.proc = None
        self.board = None
        self.start()

    def start(self):
        """Ready once socat says it copies: it makes each link before it
        sets that pty raw, so a line written or read as soon as the links
        are there may still be cooked (CR LF made CR CR LF)."""
        with open(self.said, "wb") as err:
            self.proc = subprocess.Popen(
                ["socat", "-d", "-d",
                 "PTY,link=%s,raw,echo=0" % self.dev0,
                 "PTY,link=%s,raw,echo=0" % self.dev1],
                stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 10
        while not (os.path.exists(self.dev0) and os.path.exists(self.dev1)
                   and b"starting data transfer loop" in
                   file_bytes(self.said)):
            assert self.proc.poll() is None, \
                "socat exited: %r" % file_bytes(self.said)
            assert time.monotonic() < deadline, \
                "socat made no ptys: %r" % file_bytes(self.said)
            time.sleep(0.02)
        self.board = os.open(self.dev1, os.O_RDWR | os.O_NOCTTY |
                             os.O_NONBLOCK)

    def stop(self):
        """The device goes away, as a USB adapter pulled out does."""
        if self.board is not None:
            os.close(self.board)
            self.board = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        for p in (self.dev0, self.dev1):
            if os.path.lexists(p):
                os.unlink(p)

    def write(self, b):
        os.write(self.board, b)

    def expect(self, needle, timeout=15):
        got = bytearray()
        deadline = time.monotonic() + timeout
        while needle not in got:
            left = deadline - time.monotonic()
            assert left > 0, "board never got %r; got %r" % (needle,
                                                             bytes(got))
            r, _, _ = select.select([self.board], [], [], min(left, 0.1))
            if r:
                try:
                    got += os.read(self.board, 65536)
                except BlockingIOError:
                    pass
        return bytes(got)


@pytest.fixture
def line(tmp_path):
    ln = Line(tmp_path)
    yield ln
    ln.stop()


def config(ln, tport, rport=None, roport=None, extra=""):
    text = "[console board]\ntype = serial\ndevice = %s\n" % ln.dev0
    text += "telnet = 127.0.0.1:%d" % tport
    if roport:
        text += " 127.0.0.1:%d,ro" % roport
    text += "\n"
    if rport:
        text += "raw = 127.0.0.1:%d\n" % rport
    return text + extra


def peek(ln):
    """The line as the device has it (termios list), or None without
    root.  Also checks that the device is held exclusively."""
    try:
        fd = os.open(ln.dev0, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        assert e.errno == errno.EBUSY, e    # TIOCEXCL
        assert os.geteuid() != 0
        return None
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return termios.tcgetattr(fd)
    finally:
        os.close(fd)


def wait_line(ln, check, timeout=5):
    """Wait until check(termios) holds; returns the termios (or None)."""
    deadline = time.monotonic() + timeout
    while True:
        t = peek(ln)
        if t is None or check(t):
            return t
        assert time.monotonic() < deadline, "line never changed: %r" % t
        time.sleep(0.05)


def comport_client(port):
    """A Telnet client that has enabled COM-PORT-OPTION.  It agrees to
    COM-PORT too, so that the server's DO (its answer) is not taken for a
    request and refused."""
    t = Telnet(port, agree=(BINARY, COM_PORT))
    t.send_raw(bytes([IAC, WILL, COM_PORT]))
    deadline = time.monotonic() + 15
    while (DO, COM_PORT) not in t.commands:
        assert time.monotonic() < deadline, t.commands
        t.pump(0.1)
    return t


def sb(cmd, value=b""):
    return (bytes([IAC, SB, COM_PORT, cmd]) +
            bytes(value).replace(b"\xff", b"\xff\xff") + bytes([IAC, SE]))


def answer(t, cmd, timeout=5):
    """The next COM-PORT reply to cmd (cmd + 100), consumed."""
    deadline = time.monotonic() + timeout
    while True:
        for i, (opt, body) in enumerate(t.subneg):
            if opt == COM_PORT and body[:1] == bytes([cmd + 100]):
                del t.subneg[i]
                return body[1:]
        assert time.monotonic() < deadline, \
            "no reply to COM-PORT %d: %r" % (cmd, t.subneg)
        t.pump(0.1)


def no_answer(t, cmd, wait=0.5):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        t.pump(0.05)
    assert not [b for o, b in t.subneg
                if o == COM_PORT and b[:1] == bytes([cmd + 100])], t.subneg


def test_line_from_config_and_held_exclusively(hub, line, tmp_path):
    tport = free_port()
    h = hub(config(line, tport, extra="baud = 57600\ndata-bits = 7\n"
                   "parity = even\nstop-bits = 2\nflow = rtscts\n"))
    h.wait_output("console board: serial backend up")
    t = wait_line(line, lambda a: a[4] == termios.B57600)
    if t is not None:
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = t
        assert ispeed == ospeed == termios.B57600
        assert cflag & termios.CSTOPB
        assert cflag & termios.CRTSCTS
        assert cflag & termios.CLOCAL and cflag & termios.CREAD
        assert not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)
        assert not oflag & termios.OPOST
        assert not iflag & (termios.IXON | termios.IXOFF | termios.ICRNL)
        assert cc[termios.VMIN] in (1, b"\x01")
        # What a pty cannot keep is said, not hidden.
        assert cflag & termios.CSIZE == termios.CS8
    h.wait_output("keeps 8 data bits, parity none (7, even asked for")

    # A second ttyhubd for the same device is refused by the lock and
    # keeps retrying; the first goes on.
    other = tmp_path / "other"
    other.mkdir()
    h2 = hub("[ttyhubd]\nbroker-unix = %s\n\n" % (other / "broker.sock") +
             config(line, free_port()))
    if os.geteuid() == 0:
        h2.wait_output("is in use by another program (locked); retrying")
    else:
        h2.wait_output("Device or resource busy; retrying")
    tc = Telnet(tport)
    line.write(b"still mine\r\n")
    tc.expect(b"still mine\r\n")
    tc.close()


def test_data_both_ways_telnet_and_raw(hub, line):
    tport, rport = free_port(), free_port()
    h = hub(config(line, tport, rport))
    h.wait_output("console board: serial backend up")
    tc = Telnet(tport)
    raw = subprocess.Popen(["socat", "-", "TCP:127.0.0.1:%d" % rport],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        h.wait_output("attached (rw)")
        deadline = time.monotonic() + 15
        while h.output().count("attached (rw)") < 2:
            assert time.monotonic() < deadline, h.output()
            time.sleep(0.02)
        line.write(b"U-Boot 2024.01\r\n=> \xff\x00")
        tc.expect(b"=> \xff\x00")
        assert without_notices(tc.data).endswith(
            b"U-Boot 2024.01\r\n=> \xff\x00")
        got = b""
        deadline = time.monotonic() + 15
        while not got.endswith(b"=> \xff\x00"):
            assert time.monotonic() < deadline, got
            r, _, _ = select.select([raw.stdout], [], [], 0.1)
            if r:
                got += os.read(raw.stdout.fileno(), 65536)
        assert without_notices(got).endswith(b"U-Boot 2024.01\r\n=> \xff\x00")

        tc.send(b"printenv\r\n")        # a Telnet end of line
        assert line.expect(b"printenv\r").endswith(b"printenv\r")
        raw.stdin.write(b"boot\n")
        raw.stdin.flush()
        line.expect(b"boot\n")
    finally:
        raw.stdin.close()
        raw.terminate()
        raw.wait(5)
        tc.close()


def test_break_from_telnet(hub, line):
    tport = free_port()
    h = hub(config(line, tport))
    h.wait_output("console board: serial backend up")
    tc = Telnet(tport)
    h.wait_output("attached (rw)")
    tc.send_raw(bytes([IAC, 243]))      # IAC BRK
    h.wait_output("console board: BREAK sent to %s (250 ms)" % line.dev0)
    # The line comes out of BREAK by itself; data goes on.
    tc.send(b"after\r")
    line.expect(b"after\r")
    time.sleep(0.4)
    assert "BREAK failed" not in h.output()
    assert b"BREAK failed" not in tc.data


def test_pyserial_rfc2217(hub, line):
    serial = pytest.importorskip("serial")
    tport = free_port()
    h = hub(config(line, tport, extra="baud = 9600\n"))
    h.wait_output("console board: serial backend up")
    s = serial.serial_for_url("rfc2217://127.0.0.1:%d" % tport,
                              baudrate=19200, stopbits=2, timeout=0.2)
    try:
        wait_line(line, lambda a: a[4] == termios.B19200 and
                  a[2] & termios.CSTOPB)
        h.wait_output("set the line: 19200 8N2")

        s.write(b"hello \xff board\r\n")
        assert line.expect(b"board\r\n").endswith(b"hello \xff board\r\n")
        line.write(b"from \xff the board\r\n\x00")
        got = b""
        deadline = time.monotonic() + 15
        while not got.endswith(b"board\r\n\x00"):
            assert time.monotonic() < deadline, got
            got += s.read(100)
        assert got.endswith(b"from \xff the board\r\n\x00")

        s.baudrate = 115200
        wait_line(line, lambda a: a[4] == termios.B115200)
        s.stopbits = 1
        wait_line(line, lambda a: not a[2] & termios.CSTOPB)
        s.rtscts = True
        wait_line(line, lambda a: a[2] & termios.CRTSCTS)
        s.rtscts = False
        s.xonxoff = True
        wait_line(line, lambda a: a[0] & termios.IXON and
                  a[0] & termios.IXOFF and not a[2] & termios.CRTSCTS)
        s.xonxoff = False
        wait_line(line, lambda a: not a[0] & (termios.IXON | termios.IXOFF))

        # A pty has no framing: 7 data bits are answered with the 8 in
        # effect, which pyserial reports as a refusal; 8 again is fine.
        with pytest.raises(ValueError):
            s.bytesize = 7
        h.wait_output("SET-DATASIZE 7 not taken")
        s.bytesize = 8

        # BREAK held by the client, then released; DTR and RTS on a pty
        # are kept by ttyhubd (pyserial checks every answer).
        s.break_condition = True
        h.wait_output("BREAK on")
        s.break_condition = False
        s.dtr = False
        s.rts = False
        h.wait_output("DTR off, RTS off")
        s.reset_input_buffer()
        s.reset_output_buffer()
        s.write(b"still here\r")
        line.expect(b"still here\r")
    finally:
        s.close()


def test_invalid_values_rejected(hub, line):
    tport = free_port()
    h = hub(config(line, tport, extra="baud = 9600\n"))
    h.wait_output("console board: serial backend up")
    t = comport_client(tport)
    nine600 = struct.pack("!I", 9600)

    t.send_raw(sb(2, b"\x09"))                  # data size 9
    assert answer(t, 2) == b"\x08"
    t.send_raw(sb(2, b"\x00"))                  # 0 asks
    assert answer(t, 2) == b"\x08"
    t.send_raw(sb(1, struct.pack("!I", 0)))     # baud 0 asks
    assert answer(t, 1) == nine600
    t.send_raw(sb(1, struct.pack("!I", 12345)))  # no such speed
    assert answer(t, 1) == nine600
    t.send_raw(sb(1, b"\x00\x00\x25"))          # three bytes
    assert answer(t, 1) == nine600
    t.send_raw(sb(3, b"\x09"))                  # parity 9
    assert answer(t, 3) == b"\x01"
    t.send_raw(sb(4, b"\x03"))                  # 1.5 stop bits
    assert answer(t, 4) == b"\x01"
    t.send_raw(sb(3, b"\x02"))                  # odd: a pty keeps none
    assert answer(t, 3) == b"\x01"
    t.send_raw(sb(5, b"\x14"))                  # control 20: no value
    no_answer(t, 5)
    t.send_raw(sb(12, b"\x07"))                 # purge 7
    no_answer(t, 12)
    t.send_raw(sb(0))                           # our signature
    assert answer(t, 0).startswith(b"ttyhub ")
    t.send_raw(sb(1, struct.pack("!I", 0xff00ff)))   # IACs in a value
    assert answer(t, 1) == nine600
    t.send_raw(sb(11, b"\xff"))                 # modem mask 255, doubled
    assert answer(t, 11) == b"\xff"
    t.send_raw(sb(7))                           # modem state poll
    assert answer(t, 7) == b"\x00"              # a pty has no lines

    a = peek(line)
    if a is not None:
        assert a[4] == termios.B9600
        assert not a[2] & termios.CSTOPB
    assert "set the line" not in h.output()
    t.close()


def test_read_only_cannot_change(hub, line):
    serial = pytest.importorskip("serial")
    tport, roport = free_port(), free_port()
    h = hub(config(line, tport, roport=roport, extra="baud = 9600\n"))
    h.wait_output("console board: serial backend up")

    t = comport_client(roport)
    t.send_raw(sb(1, struct.pack("!I", 115200)))
    assert answer(t, 1) == struct.pack("!I", 9600)
    t.expect(b"[ttyhub: board: read-only: COM-PORT change refused]")
    t.send_raw(sb(5, b"\x05"))                  # BREAK on
    assert answer(t, 5) == b"\x06"
    t.send_raw(sb(5, b"\x09"))                  # DTR off
    assert answer(t, 5) == b"\x08"
    t.send_raw(sb(10, b"\x01"))                 # its own mask: allowed
    assert answer(t, 10) == b"\x01"
    t.send_raw(sb(12, b"\x03"))                 # its own view only
    assert answer(t, 12) == b"\x03"
    h.wait_output("read-only: SET-BAUDRATE refused")

    # pyserial on the read-only port: the answer is not what it asked
    # for, so it reports a refusal.
    with pytest.raises((ValueError, serial.SerialException)):
        serial.serial_for_url("rfc2217://127.0.0.1:%d" % roport,
                              baudrate=38400, timeout=0.2)
    a = peek(line)
    if a is not None:
        assert a[4] == termios.B9600
    assert "set the line" not in h.output()
    t.close()


def test_repeated_com_port_requests_cannot_flood_the_log(hub, line):
    """A read-only client that asks for a new speed 200 times, and a
    writer that asks 200 times for a parity the device keeps (a pty):
    each is answered every time, and the daemon says so 10 times, then
    the 200th with how many more it left out (10 + 1 + 189), when the
    client goes."""
    tport, roport = free_port(), free_port()
    h = hub(config(line, tport, roport=roport, extra="baud = 9600\n"))
    h.wait_output("console board: serial backend up")
    ro = comport_client(roport)
    rw = comport_client(tport)
    for _ in range(200):
        ro.send_raw(sb(1, struct.pack("!I", 115200)))
        rw.send_raw(sb(3, b"\x02"))                # odd: a pty keeps none
        assert answer(ro, 1) == struct.pack("!I", 9600)
        assert answer(rw, 3) == b"\x01"
    ro.close()
    rw.close()
    deadline = time.monotonic() + 10
    while h.output().count("more like this suppressed") < 2:
        assert time.monotonic() < deadline, h.output()
        time.sleep(0.05)
    said = h.output().splitlines()
    for what in ("read-only: SET-BAUDRATE refused", "SET-PARITY 2 not taken"):
        lines = [x for x in said if what in x]
        assert len(lines) == 11, "\n".join(said)
        assert lines[-1].endswith("(189 more like this suppressed)"), \
            "\n".join(said)


def test_device_gone_and_back(hub, line):
    tport = free_port()
    h = hub(config(line, tport, extra="baud = 9600\n"))
    h.wait_output("console board: serial backend up")
    t = comport_client(tport)
    t.send_raw(sb(1, struct.pack("!I", 38400)))
    assert answer(t, 1) == struct.pack("!I", 38400)
    line.write(b"before\r\n")
    t.expect(b"before\r\n")

    line.stop()
    t.expect(b"[ttyhub: board: backend down (")
    assert re.search(rb"\[ttyhub: board: backend down \([^)]+\); "
                     rb"retrying\]", t.data), t.data
    h.wait_output("cannot open %s: No such file or directory" % line.dev0)
    # Asked while the device is away: kept for the next open.
    t.send_raw(sb(4, b"\x02"))
    assert answer(t, 4) == b"\x02"

    line.start()
    t.expect(b"[ttyhub: board: backend up]", timeout=10)
    # What the client set survived the reopen.
    wait_line(line, lambda a: a[4] == termios.B38400 and
              a[2] & termios.CSTOPB)
    line.write(b"after\r\n")
    t.expect(b"after\r\n")
    t.send(b"typed\r")
    line.expect(b"typed\r")
    # Retries back off: a few opens, not a busy loop.
    assert h.output().count("No such file or directory") < 10
    t.close()
