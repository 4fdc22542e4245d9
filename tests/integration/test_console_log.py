"""A console's log keeps the line format of ttyhub.conf(5) through every
opening, reopening and failing write, and the daemon's own log cannot be
flooded by a peer.

The format: output byte for byte; event lines of ours carry the random
marker that the file's header line announced, each starting a line; one
that comes while the output's last line is open starts with a newline of
its own, marked by a "+" after the bracket.  check_lines() holds a log to
exactly that.  A full disk is a small tmpfs mounted in a mount namespace
of the daemon's own (so it goes with the daemon)."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from ttyhubtest import (SAN_MARKERS, Raw, exec_console, file_bytes,
                        fill_disk, free_port, log_output, wait_file,
                        wait_for)

EVENT = re.compile(rb"\[ttyhub ([0-9a-f]{16}) [^\]\n]*\](\+?) ")


def markers(raw):
    return set(re.findall(
        rb"\[ttyhub ([0-9a-f]{16}) [^\]\n]*\]\+? log of console", raw))


def check_lines(raw):
    """Every line of ours starts a line; the "+" is there exactly when
    the output's last line was open, so the newline before is ours."""
    ours = markers(raw)
    assert ours, raw[:300]
    for m in EVENT.finditer(raw):
        if m.group(1) not in ours:
            continue                    # output that looks like ours
        at = m.start()
        ctx = raw[max(0, at - 60):at + 80]
        if m.group(2):
            assert at >= 2 and raw[at - 1:at] == b"\n" and \
                raw[at - 2:at - 1] != b"\n", ctx
        else:
            assert at == 0 or raw[at - 1:at] == b"\n", ctx
        assert raw.find(b"\n", at) != -1, ctx


class SmallDisk:
    """ttyhubd -F -c CONF with DIR on a 256 KiB tmpfs of its own mount
    namespace; the test sees the files through /proc/PID/root.  Skips when
    this machine cannot mount one."""

    def __init__(self, build, tmp_path, conf_text, logs):
        self.tmp = tmp_path
        self.sock = str(tmp_path / "broker.sock")
        conf = tmp_path / "disk.conf"
        conf.write_text("[ttyhubd]\nbroker-unix = %s\n\n%s" %
                        (self.sock, conf_text))
        self.out_path = tmp_path / "daemon.out"
        self.out = open(self.out_path, "wb")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs -o size=256k tmpfs "$1" || exit 99; '
             'exec "$2" -F -c "$3"', "sh", str(logs), build, str(conf)],
            stdout=self.out, stderr=self.out, env=env)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None:
                said = self.output()
                self.out.close()
                if self.proc.returncode == 99 or "unshare:" in said:
                    pytest.skip("cannot mount a tmpfs here: " + said)
                raise AssertionError(said)
            if time.monotonic() > deadline:
                said = self.stop()
                raise AssertionError("the daemon never listened: " + said)
            time.sleep(0.02)
        self.root = "/proc/%d/root%s" % (self.proc.pid, logs)

    def path(self, name):
        return os.path.join(self.root, name)

    def fill(self, log=None):
        """Take every free block, and with log the room left in the log's
        last block too (with newlines); returns the filler's path."""
        filler = fill_disk(self.path("filler"))
        if log is not None:
            with open(log, "ab", buffering=0) as f:
                try:
                    for _ in range(4096):
                        f.write(b"\n")
                except OSError:
                    pass
        return filler

    def output(self):
        if not self.out.closed:
            self.out.flush()
        return self.out_path.read_bytes().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.out.close()
        said = self.output()
        for marker in SAN_MARKERS:
            assert marker not in said, said
        return said


@pytest.mark.parametrize("stamps", ["no", "yes"])
def test_a_log_gap_after_a_cut_line_starts_a_line_of_its_own(
        build, guest, tmp_path, stamps):
    """The disk fills in the middle of a long line, so the write is cut
    short (ENOSPC after part of it).  When space comes back, the gap line
    starts a line of its own, with the "+" that says the newline before
    it is ours, and the count is exact."""
    logs = tmp_path / "logs"
    logs.mkdir()
    rport = free_port()
    d = SmallDisk(build, tmp_path, """[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d
log = %s
log-timestamps = %s
""" % (guest.path, rport, logs / "vm1.log", stamps), logs)
    try:
        guest.wait_connected()
        r = Raw(rport)
        guest.send(b"before\n")
        r.expect(b"before\n")
        logf = d.path("vm1.log")
        wait_file(logf, b"before\n", 10)
        filler = d.fill()
        line = b"x" * 20000 + b"\n"
        guest.send(line)
        r.expect(line)
        wait_for(lambda: "No space left on device; forwarding goes on" in
                 d.output(), 10, "the failure reported")
        os.unlink(filler)
        guest.send(b"after\n")
        r.expect(b"after\n")
        log = wait_file(logf, b"after\n", 10)
        m = re.search(rb"log gap: (\d+) bytes of output not logged", log)
        assert m, log[-300:]
        check_lines(log)
        if stamps == "yes":             # the stamps at line starts
            log = re.sub(rb"(^|\n)\[[0-9T:.\-]+Z\] ", rb"\1", log)
        body = log_output(log)
        kept = body[len(b"before\n"):-len(b"after\n")]
        # The write was cut inside the line: part of it is in the log.
        assert 0 < len(kept) < len(line), body[:200]
        assert body == b"before\n" + line[:len(kept)] + b"after\n"
        assert len(kept) + int(m.group(1)) == len(line)
    finally:
        d.stop()


def test_an_event_lost_to_a_full_disk_is_counted_and_never_glued(
        build, guest, tmp_path):
    """An event line that the full disk refused is counted in the gap
    line, even when no output was lost, and output after it starts where
    a line starts."""
    logs = tmp_path / "logs"
    logs.mkdir()
    rport = free_port()
    d = SmallDisk(build, tmp_path, """[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d
log = %s
""" % (guest.path, rport, logs / "vm1.log"), logs)
    try:
        guest.wait_connected()
        guest.send(b"before\n")
        logf = d.path("vm1.log")
        wait_file(logf, b"before\n", 10)
        filler = d.fill(logf)
        size = len(file_bytes(logf))
        r = Raw(rport)                  # its attach line cannot be written
        wait_for(lambda: "No space left on device"
                 in d.output(), 10, "the failure reported")
        assert len(file_bytes(logf)) == size
        os.unlink(filler)
        guest.send(b"after\n")
        r.expect(b"after\n")
        log = wait_file(logf, b"after\n", 10)
        check_lines(log)
        assert re.search(rb"log gap: 0 bytes of output and 1 event line "
                         rb"not logged", log), log[-300:]
    finally:
        d.stop()


def test_a_header_the_full_disk_refused_is_written_before_anything_else(
        build, guest, tmp_path):
    """The log is reopened while the disk is full, so its header cannot
    be written: it is written once there is room, before the next line,
    and every event line carries a marker that a header announced."""
    logs = tmp_path / "logs"
    logs.mkdir()
    rport = free_port()
    d = SmallDisk(build, tmp_path, """[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d
log = %s
""" % (guest.path, rport, logs / "vm1.log"), logs)
    try:
        guest.wait_connected()
        guest.send(b"before\n")
        logf = d.path("vm1.log")
        wait_file(logf, b"before\n", 10)
        filler = d.fill(logf)
        d.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: "No space left on device"
                 in d.output(), 10, "the failure reported")
        os.unlink(filler)
        r = Raw(rport)
        guest.send(b"after\n")
        r.expect(b"after\n")
        log = wait_file(logf, b"after\n", 10)
        check_lines(log)
        ours = markers(log)
        assert len(ours) == 2, log[-300:]
        events = [m.group(1) for m in EVENT.finditer(log)]
        assert b"attach" in log and set(events) <= ours, log[-300:]
    finally:
        d.stop()


def test_reopening_after_a_partial_line_marks_the_header(hub, tmp_path):
    """The program prints a line without its newline, then the log is
    reopened (SIGUSR2): the new header starts a line of its own, marked
    with "+", and the output is still recovered byte for byte.  (The
    program waits after it, so no event line comes in between.)"""
    prog = tmp_path / "partial"
    prog.write_text("#!/bin/sh\nprintf partial-line\nexec cat\n")
    prog.chmod(0o755)
    h = hub("""[console p]
type = exec
command = %s
log = %s
""" % (prog, tmp_path / "p.log"))
    logf = tmp_path / "p.log"
    wait_file(logf, lambda b: b.endswith(b"partial-line"), 10)
    h.proc.send_signal(signal.SIGUSR2)
    log = wait_file(logf, lambda b: len(markers(b)) == 2 and
                    b.endswith(b"\n"), 10)
    check_lines(log)
    assert log_output(log).endswith(b"partial-line")


def test_a_console_added_by_sighup_gets_one_header(hub, guest, tmp_path):
    """SIGHUP reopens the logs and starts the consoles the file gained:
    a new console's log is opened once, so it has one header."""
    h = hub("""[console vm1]
type = unix
path = %s
""" % guest.path)
    h.rewrite("""[console vm1]
type = unix
path = %s

%s""" % (guest.path, exec_console(tmp_path, "new", "/bin/sh")))
    h.wait_output("kept, 0 closed, 1 started")
    logf = tmp_path / "new.log"
    log = wait_file(logf, b"console started", 10)
    assert len(markers(log)) == 1, log
    assert log.count(b" log of console new opened") == 1, log
    check_lines(log)


def test_a_daemon_that_fails_to_start_writes_nothing_in_logs(build,
                                                            tmp_path):
    """The second console cannot listen (its port is taken): the daemon
    exits, and neither console's log says it started or closed."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    conf = tmp_path / "bad.conf"
    conf.write_text("""[ttyhubd]
broker-unix = %s

%s
[console second]
type = exec
command = /bin/cat
raw = 127.0.0.1:%d
log = %s
""" % (tmp_path / "broker.sock", exec_console(tmp_path, "first", "/bin/sh"),
       port, tmp_path / "second.log"))
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    try:
        p = subprocess.run([build, "-F", "-c", str(conf)],
                           capture_output=True, timeout=20, env=env)
    finally:
        taken.close()
    said = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, said
    assert "console second" in said and "in use" in said, said
    for marker in SAN_MARKERS:
        assert marker not in said, said
    for name in ("first.log", "second.log"):
        log = file_bytes(tmp_path / name)
        assert b"[ttyhub " not in log, (name, log)


IAC, DO, DONT, NAWS = 255, 253, 254, 31


class Deaf:
    """A Telnet peer on a unix socket that never reads: one connection,
    then what the test gives it to send."""

    def __init__(self, path):
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(10)
        self.conn = None

    def accept(self):
        self.conn, _ = self.srv.accept()
        self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.srv.close()


def test_a_peer_that_never_reads_cannot_flood_the_daemons_log(hub,
                                                              tmp_path):
    """20,000 DO and DONT NAWS from a Telnet backend that never reads used
    to make 18,154 identical warnings, one per reply it would not take.
    Now it is cut off after 1,000 negotiations, having cost a few replies,
    and the daemon's whole log about it is a handful of lines.  (The
    "does not read" warning itself is rate-limited too, like every line a
    peer can repeat; a writer cannot reach it, since a writer is not read
    while the backend's queue is full.)"""
    path = str(tmp_path / "deaf.sock")
    deaf = Deaf(path)
    rport = free_port()
    try:
        h = hub("""[console deaf]
type = unix
path = %s
telnet = yes
raw = 127.0.0.1:%d
notices = no
""" % (path, rport))
        deaf.accept()
        r = Raw(rport)
        flood = bytes([IAC, DO, NAWS, IAC, DONT, NAWS]) * 20000
        sender = threading.Thread(target=deaf.conn.sendall,
                                  args=(flood,))
        sender.start()
        h.wait_output("more option negotiations than any honest peer")
        deaf.close()
        sender.join(10)
        said = [x for x in h.output().splitlines() if "deaf" in x]
        assert len(said) <= 12, "\n".join(said[:30])
        assert r.pump()
    finally:
        deaf.close()


def test_clients_refused_at_max_clients_cannot_flood_the_log(hub, guest,
                                                            tmp_path):
    """50 connections past max-clients, each refused: the daemon says so
    10 times, then the 50th with how many more it left out."""
    rport = free_port()
    h = hub("""[ttyhubd]
broker-unix = %s
max-clients = 1

[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d
""" % (tmp_path / "broker.sock", guest.path, rport))
    r = Raw(rport)
    h.wait_output("attached (rw)")
    for _ in range(50):
        with socket.create_connection(("127.0.0.1", rport), 5) as s:
            s.settimeout(5)
            got = b""
            while True:                         # one line, then closed
                b = s.recv(4096)
                if not b:
                    break
                got += b
            assert got == (b"ttyhub: refused: too many clients "
                           b"(max-clients); try again later\r\n"), got
    r.close()
    said = h.stop().splitlines()
    lines = [x for x in said if "refusing " in x and "max-clients" in x]
    assert len(lines) == 11, "\n".join(said)
    assert lines[-1].endswith("(39 more like this suppressed)"), lines[-1]


def test_a_backend_that_keeps_coming_and_going_cannot_flood_the_log(
        hub, tmp_path):
    """40 connections, each closed at once by the backend: each up and
    down is in the console's log, and the daemon says each 10 times, then
    how many more it left out (when the console goes)."""
    path = str(tmp_path / "flaky.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(10)
    logf = tmp_path / "flaky.log"
    try:
        h = hub("""[console flaky]
type = unix
path = %s
log = %s
""" % (path, logf))
        for i in range(40):
            conn, _ = srv.accept()
            if i == 39:
                # No 41st life: the retry after this one (50-100 ms
                # later) must find nobody listening, however late we are.
                srv.close()
            conn.close()
        wait_file(logf, lambda b: b.count(b"backend down") == 40, 10)
    finally:
        srv.close()
    said = h.stop().splitlines()
    for what, n in (("backend up", 29), ("backend down: end of file", 29)):
        lines = [x for x in said if what in x]
        assert len(lines) == 11, "\n".join(said)
        assert lines[-1].endswith("(%d more like this suppressed)" % n), \
            lines[-1]
