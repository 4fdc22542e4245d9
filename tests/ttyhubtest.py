"""What the tests share besides fixtures: the real daemon as a process
(Daemon for login sessions, Hub for ttyhubd -c), a stand-in for QEMU's
chardev socket (FakeGuest), clients (Raw, Socat; the Telnet one is
telnetc.py), configuration sections, waits, processes, free ports, paths.
Importable by name from every test directory (tests/ is on sys.path once
tests/conftest.py is loaded), unlike conftest itself: tests/e2e has a
conftest.py of its own.  A helper two test modules need belongs here or
in conftest.py, never in one of them for the other to import."""
import contextlib
import fcntl
import gzip
import hashlib
import lzma
import os
import pwd
import random
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")
SAN_MARKERS = ("ERROR: AddressSanitizer", "runtime error:",
               "ERROR: LeakSanitizer")


PORT_DIR = "/tmp/ttyhub-test-ports"
_held_ports = []


def _port_range():
    """Ports for tests: below the kernel's ephemeral range, so that no
    bind(port 0) and no outgoing connection on this machine is handed one
    between free_port() and the daemon's bind."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(1024, low - 12000), low


def free_port():
    """A loopback TCP port no other test takes.  Several test runs share
    the machine (other worktrees, other builds): each port is claimed by
    an flock on PORT_DIR/PORT held for the rest of this process's life
    (up to 256 at a time; the oldest claims are given back first), and
    must bind now.  Ports are picked from below the ephemeral range, so
    programs that are not tests do not take them either."""
    return free_ports(1)


def _claim_port(port):
    """The flock on PORT_DIR/port if it is ours now and port binds."""
    fd = os.open(os.path.join(PORT_DIR, str(port)),
                 os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    except OSError:
        os.close(fd)
        return None
    return fd


def free_ports(n):
    """The first of n consecutive free ports (PORT, PORT+1, ...), each
    claimed as free_port() claims one: for programs that take a base
    port and count up from it."""
    os.makedirs(PORT_DIR, mode=0o1777, exist_ok=True)
    low, high = _port_range()
    rng = random.Random()
    for _ in range(2000):
        port = rng.randrange(low, high - n)
        fds = []
        for p in range(port, port + n):
            fd = _claim_port(p)
            if fd is None:
                break
            fds.append(fd)
        if len(fds) < n:
            for fd in fds:
                os.close(fd)
            continue
        _held_ports.extend(fds)
        while len(_held_ports) > 256:
            os.close(_held_ports.pop(0))
        return port
    raise RuntimeError("no %d free ports in %d-%d" % (n, low, high))


def wait_for(pred, timeout=20, what="a condition", pump=()):
    """Poll pred until it returns something true, and return that; fail
    after timeout seconds.  what may be a callable, for a message made at
    the time of failure.  Between polls the clients in pump read what has
    come (each for up to 20 ms), or with none we sleep 20 ms."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" %
                                 (timeout, what() if callable(what)
                                  else what))
        if pump:
            for c in pump:
                c.pump(0.02)
        else:
            time.sleep(0.02)


def file_bytes(path):
    """A file's bytes now, or b"" while it cannot be read (it does not
    exist yet, or the mount namespace it is in has gone)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def wait_file(path, cond, timeout=20):
    """Wait until a file that is still being written (a console log) holds
    cond: bytes it must contain, or a predicate on all its bytes.  Returns
    the bytes that satisfied it."""
    if isinstance(cond, (bytes, bytearray)):
        needle = bytes(cond)

        def cond(b):
            return needle in b
    got = [b""]

    def check():
        got[0] = file_bytes(path)
        return cond(got[0])
    wait_for(check, timeout, lambda: "%s to hold what the test wants; it "
             "has (last 600 bytes) %r" % (path, got[0][-600:]))
    return got[0]


def fill_disk(path):
    """Write zeros to a new file at path until its file system is full
    (4 MB at most: far past the 256 KiB tmpfs the tests mount); returns
    path, for the test to remove when there should be room again."""
    with open(path, "wb", buffering=0) as f:
        try:
            for _ in range(1000):
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return path


def helper(name):
    """A program of tests/helpers/, as make helpers builds it."""
    return os.path.join(ROOT, "build", "tests", name)


def module_bytes(path):
    """A kernel module's ELF bytes: .ko as it is, .ko.xz/.gz/.zst
    decompressed (a guest's busybox insmod hands the file to
    finit_module, which a kernel without module decompression refuses).
    None when zstd cannot."""
    with open(path, "rb") as f:
        blob = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(blob)
    if path.endswith(".gz"):
        return gzip.decompress(blob)
    if path.endswith(".zst"):
        p = subprocess.run(["zstd", "-dcq"], input=blob,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return p.stdout if p.returncode == 0 and p.stdout else None
    return blob


def processes():
    """(pid, fields) for every process now in /proc: fields are those of
    /proc/PID/stat after the command name (state ppid pgrp session ...)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(d), fields


def proc_state(pid):
    """A process's state letter, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def alive(pid):
    return proc_state(pid) not in (None, "Z", "X")


def wait_gone(pid, timeout=10):
    """Wait until pid is not running (gone, or a zombie of someone else)."""
    wait_for(lambda: not alive(pid), timeout,
             "process %d to stop running" % pid)


def cpu_seconds(pid):
    """User plus system CPU time of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def as_nobody(binary, prefix):
    """A copy of binary that the user nobody may run, in a directory of
    its own that nobody may pass through (pytest's tmp_path is closed to
    other users); yields (that directory, the argv that runs the copy as
    nobody without groups, an environment for it).  The directory goes
    at the end."""
    nobody = pwd.getpwnam("nobody")
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        os.chmod(d, 0o711)
        copy = os.path.join(d, os.path.basename(binary))
        shutil.copy(binary, copy)
        os.chmod(copy, 0o755)
        argv = ["setpriv", "--reuid=%d" % nobody.pw_uid,
                "--regid=%d" % nobody.pw_gid, "--clear-groups", copy]
        yield d, argv, {"PATH": "/usr/bin:/bin",
                        "ASAN_OPTIONS": "detect_leaks=0"}
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- configuration ------------------------------------------------------

def console_section(name, kind, extra="", **keys):
    """A [console NAME] section of type kind: the keys given, in the
    order given ("_" in a name is "-"; None leaves a key out; the telnet
    and raw listeners may be given as a port on 127.0.0.1), then extra
    lines and an empty one."""
    text = "[console %s]\ntype = %s\n" % (name, kind)
    for key, value in keys.items():
        if value is None:
            continue
        if key in ("telnet", "raw") and isinstance(value, int):
            value = "127.0.0.1:%d" % value
        text += "%s = %s\n" % (key.replace("_", "-"), value)
    return text + extra + "\n"


def exec_console(tmp_path, name="sh", command="/bin/sh -i", extra=""):
    """A console running a program on a pty, logged to tmp_path."""
    return console_section(name, "exec", command=command,
                           log=tmp_path / (name + ".log"), extra=extra)


# --- a binary upload ---------------------------------------------------

# The program at the far end of an upload: the terminal raw, it reads the
# size given and prints how much it got and its SHA-256.
UPLOAD_SINK = r"""
import hashlib, os, sys, tty
n = int(sys.argv[1])
tty.setraw(0)
os.write(1, b"ready\n")
h, got = hashlib.sha256(), 0
while got < n:
    b = os.read(0, 65536)
    if not b:
        break
    h.update(b)
    got += len(b)
os.write(1, b"got %d %s\n" % (got, h.hexdigest().encode()))
os.read(0, 1)
"""


def upload_payload(binary, size=256 * 1024, seed=14):
    """What a person pushes through Telnet in a file transfer: random
    bytes with runs of 0xFF from one byte to a few reads long, and CR
    (each followed by LF or NUL, as a client without BINARY sends it).
    Returns (wire payload before IAC doubling, what the program must get):
    without BINARY, CR LF and CR NUL arrive as CR."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        kind = rng.randrange(4)
        if kind == 0:
            out += rng.randbytes(rng.randrange(1, 3000)).replace(b"\r", b"")
        elif kind == 1:
            out += b"\xff" * rng.choice((1, 2, 3, 7, 255, 4096, 9000))
        elif kind == 2:
            out += rng.choice((b"\r\n", b"\r\0", b"\xff\r\n", b"\r\0\xff"))
        else:
            out += bytes(rng.randrange(256) | 0x80
                         for _ in range(rng.randrange(1, 40)))
    sent = bytes(out[:size]).rstrip(b"\r")
    if binary:
        return sent, sent
    return sent, sent.replace(b"\r\n", b"\r").replace(b"\r\0", b"\r")


def upload(t, binary, timeout=60):
    """Push upload_payload through Telnet client t (the program is
    UPLOAD_SINK, told the size that arrives), in reads of every size;
    assert that the program got exactly that.  With binary, t must agree
    to BINARY: it offers it first."""
    sent, want = upload_payload(binary)
    if binary:
        t.send_raw(b"\xff\xfb\x00")         # IAC WILL BINARY
    t.expect(b"ready")
    rng = random.Random(len(sent))
    at = 0
    while at < len(sent):
        n = rng.choice((1, 2, 511, 4096, 65536))
        t.send(sent[at:at + n])
        at += n
    m = t.expect_re(rb"got (\d+) ([0-9a-f]{64})", timeout=timeout)
    assert (int(m.group(1)), m.group(2).decode()) == (
        len(want), hashlib.sha256(want).hexdigest())


# --- what a console says ------------------------------------------------

NOTICE = re.compile(rb"\r\n\[ttyhub: [^\]]*\]\r\n")


def without_notices(data):
    """What the console printed: a client's bytes without our notices."""
    return NOTICE.sub(b"", bytes(data))


def log_output(raw):
    """A console log's output: its bytes without our event lines (those
    carry the marker the log's header announced; a "+" after the bracket
    says the newline before the line is ours too)."""
    markers = set(re.findall(
        rb"\[ttyhub ([0-9a-f]{16}) \S+\]\+? log of console", raw))
    out = raw
    for m in markers:
        out = re.sub(rb"\n\[ttyhub " + m + rb" [^\]\n]*\]\+ [^\n]*\n", b"",
                     out)
        out = re.sub(rb"\[ttyhub " + m + rb" [^\]\n]*\] [^\n]*\n", b"", out)
    return out


# --- clients ------------------------------------------------------------

class Reader:
    """What every client here does with what it receives: self.data holds
    it, pump(timeout) reads once more (False once the peer has closed),
    and the waits below are bounded."""

    expect_timeout = 10

    def expect(self, needle, timeout=None):
        """Wait until needle (bytes) is in what came; return it all."""
        deadline = time.monotonic() + (timeout or self.expect_timeout)
        while needle not in self.data:
            if time.monotonic() > deadline or not self.pump(0.1):
                if needle in self.data:
                    break
                raise AssertionError("did not see %r; got %r" %
                                     (needle, bytes(self.data[-2000:])))
        return bytes(self.data)

    def expect_re(self, pattern, timeout=10, start=0):
        """Wait for a match of pattern at or after offset start; return
        the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(bytes(self.data), start)
            if m:
                return m
            if time.monotonic() > deadline or not self.pump(0.1):
                m = rx.search(bytes(self.data), start)
                if m:
                    return m
                raise AssertionError("did not see %r; got %r" %
                                     (pattern, bytes(self.data[-2000:])))

    def wait_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError("connection still open")
            self.pump(0.1)
        return bytes(self.data)


class Raw(Reader):
    """A raw stream client (TCP or unix); with tls (an ssl.SSLContext),
    inside TLS."""

    expect_timeout = 15

    def __init__(self, port=None, path=None, tls=None):
        if path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(path)
        else:
            self.sock = tls_wrap(socket.create_connection(
                ("127.0.0.1", port), 5), tls)
        self.data = bytearray()
        self.closed = False

    def pump(self, timeout=0.05):
        pending = isinstance(self.sock, ssl.SSLSocket) and \
            self.sock.pending() > 0
        r, _, _ = select.select([self.sock], [], [], timeout) \
            if not pending else ([self.sock], [], [])
        if not r:
            return True
        try:
            b = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return True     # a record not whole yet
        except (ConnectionError, ssl.SSLError):
            b = b""
        if not b:
            self.closed = True
            return False
        self.data += b
        return True

    def send(self, b):
        self.sock.sendall(b)

    def close(self):
        self.sock.close()


# --- TLS ----------------------------------------------------------------

def openssl(*args, cwd=None):
    subprocess.run(["openssl"] + list(args), check=True, cwd=cwd,
                   capture_output=True, timeout=60)


def make_pki(d, users=("nobody",)):
    """Certificates for the tests, in directory d: a CA (ca.pem) and the
    daemon's certificate from it (server.pem, server.key: CN localhost,
    names localhost and 127.0.0.1), a client certificate from it for each
    user (USER.pem, USER.key, CN USER), and one from a CA nobody trusts
    (stranger.pem, stranger.key, CN nobody).  Returns d as a str."""
    d = str(d)
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", *ec, "-keyout", ca + ".key", "-out",
                ca + ".pem", "-days", "30", "-subj", "/CN=ttyhub test " + ca,
                cwd=d)
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def issue(name, cn, ca, extfile=None):
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + cn, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
                "-CAkey", ca + ".key", "-CAcreateserial", "-days", "30",
                "-out", name + ".pem", *(["-extfile", extfile]
                                         if extfile else []), cwd=d)
    issue("server", "localhost", "ca", ext)
    for u in users:
        issue(u, u, "ca")
    issue("stranger", "nobody", "otherca")
    return d


def tls_context(pki, user=None, cert=None):
    """A client's context trusting pki's CA, presenting user's
    certificate (or the one named cert: "stranger") if given."""
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    who = cert or user
    if who:
        ctx.load_cert_chain(os.path.join(pki, who + ".pem"),
                            os.path.join(pki, who + ".key"))
    return ctx


def tls_wrap(sock, ctx):
    """sock inside TLS made from ctx (None: sock as it is), the server
    checked for the name localhost."""
    if ctx is None:
        return sock
    return ctx.wrap_socket(sock, server_hostname="localhost")


def tls_section(pki, ca=True, extra=""):
    """The [ttyhubd] keys of a daemon with pki's certificate."""
    return ("tls-cert = %s/server.pem\ntls-key = %s/server.key\n" %
            (pki, pki) + ("tls-ca = %s/ca.pem\n" % pki if ca else "") +
            extra)


class Wire:
    """How a parametrized test reaches TCP listeners: plain, or TLS
    (listeners get ,tls; clients a context trusting pki's CA)."""

    def __init__(self, kind, pki):
        self.kind = kind
        self.pki = pki
        self.tls = tls_context(pki) if kind == "tls" else None
        self.opt = ",tls" if kind == "tls" else ""

    def daemon_keys(self):
        return tls_section(self.pki, ca=False) if self.tls else ""

    def text(self, text, sock):
        """A configuration's text with every TCP listener of its telnet,
        raw and broker lines over this wire, and the [ttyhubd] section
        (the broker socket at sock) in front."""
        out = []
        for line in text.splitlines():
            k, sep, v = line.partition(" = ")
            if sep and k in ("telnet", "raw", "broker") and \
                    v not in ("yes", "no", "none"):
                v = " ".join(w + self.opt for w in v.split())
            out.append(k + sep + v if sep else line)
        return ("[ttyhubd]\nbroker-unix = %s\n%s\n" %
                (sock, self.daemon_keys()) + "\n".join(out) + "\n")


class Socat(Reader):
    """A raw client as a user runs one: socat between our pipes and ADDR
    (the socat fixture starts them and ends them)."""

    def __init__(self, addr):
        self.proc = subprocess.Popen(["socat", "-", addr],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.data = bytearray()
        self.closed = False

    def send(self, b):
        self.proc.stdin.write(b)
        self.proc.stdin.flush()

    def pump(self, timeout=0.05):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            b = os.read(self.proc.stdout.fileno(), 65536)
            if not b:
                self.closed = True
                return False
            self.data += b
        return True

    def expect(self, needle, timeout=10, start=0):
        """Wait for needle (bytes) at or after start; unlike the other
        clients' expect, return its offset."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.data.find(needle, start)
            if i >= 0:
                return i
            if time.monotonic() > deadline or not self.pump(0.1):
                i = self.data.find(needle, start)
                if i >= 0:
                    return i
                raise AssertionError("did not see %r; got %r" %
                                     (needle, bytes(self.data[-2000:])))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdin.close()
        self.proc.stdout.close()


class Daemon:
    """One ttyhubd process; stderr is kept for the sanitizer check."""

    def __init__(self, binary, args, tmp_path, port=None):
        self.port = port or free_port()
        self.log_path = tmp_path / ("ttyhubd-%d.log" % self.port)
        self._start([binary, "-F", "-b", "127.0.0.1:%d" % self.port,
                     "-f", "/dev/null"] + list(args),
                    lambda: socket.create_connection(("127.0.0.1", self.port),
                                                     0.2).close())

    def _start(self, cmd, answers):
        """Run cmd with its output in log_path, and wait (30 s at most)
        until answers() connects without an OSError."""
        self.log = open(self.log_path, "wb")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                     env=env)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ttyhubd exited: " + self.output())
            try:
                answers()
                break
            except OSError:
                time.sleep(0.02)
        else:
            raise RuntimeError("ttyhubd did not listen: " + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_output(self, needle, timeout=20, count=1):
        """Wait until the daemon has said needle (count times)."""
        wait_for(lambda: self.output().count(needle) >= count, timeout,
                 lambda: "the daemon to say %r (x%d):\n%s" %
                 (needle, count, self.output()[-3000:]))

    def wait_attached(self, console, sock=None, count=1, timeout=20):
        """Wait until a client is attached to console: the one on TCP
        socket sock (our end), or count clients in all since the start."""
        if sock is not None:
            self.wait_output("console %s: 127.0.0.1 %d attached (" %
                             (console, sock.getsockname()[1]), timeout)
        else:
            rx = re.compile(r"console %s: .* attached \(" % re.escape(console))
            wait_for(lambda: len(rx.findall(self.output())) >= count,
                     timeout, lambda: "%d clients on %s:\n%s" %
                     (count, console, self.output()[-3000:]))

    def children(self):
        """Pids whose parent is the daemon (live or zombie)."""
        kids = []
        for pid, fields in processes():
            if int(fields[1]) == self.pid:
                kids.append((pid, fields[0]))
        return kids

    def wait_foreground(self, argv, timeout=20):
        """Wait until a process of the daemon's (at any depth) runs argv
        (a list of str) as the foreground job of its terminal, so that a
        Ctrl-C now goes to it; returns its pid."""
        want = "\0".join(argv) + "\0"

        def find():
            procs = dict(processes())
            for pid, f in procs.items():
                if f[2] != f[5]:            # pgrp is not the tty's
                    continue
                try:
                    with open("/proc/%d/cmdline" % pid) as c:
                        if c.read() != want:
                            continue
                except OSError:
                    continue
                up, n = int(f[1]), 0
                while up > 1 and up in procs and n < 64:
                    if up == self.pid:
                        return pid
                    up, n = int(procs[up][1]), n + 1
            return None
        return wait_for(find, timeout, "%r in the foreground" % (argv,))

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return self.output()


class Hub(Daemon):
    """ttyhubd -F -c FILE with consoles.  The text given is the file's
    body; a [ttyhubd] section putting the broker's socket in tmp_path is
    added in front unless the text has its own (then sock names the
    socket it gives).  Ready when the broker's socket answers."""

    def __init__(self, binary, text, tmp_path, extra=(), sock=None):
        self.port = None
        self.tmp = tmp_path
        self.sock = sock or str(tmp_path / "broker.sock")
        if "[ttyhubd]" not in text:
            text = "[ttyhubd]\nbroker-unix = %s\n\n" % self.sock + text
        self.conf = tmp_path / "ttyhub.conf"
        self.conf.write_text(text)
        self.log_path = tmp_path / ("ttyhubd-hub-%d.log" % id(self))

        def answers():
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(self.sock)
        self._start([binary, "-F", "-c", str(self.conf)] + list(extra),
                    answers)

    def row(self, name):
        """The broker's list line for console name (TTYHUB_COMMAND=list):
        {"state", "clients", "in", "out"}; IN counts the bytes written to
        the backend."""
        from telnetc import Telnet
        t = Telnet(path=self.sock, agree={39},
                   env=[(3, b"TTYHUB_COMMAND", b"list")])
        try:
            data = t.wait_closed(20)
        finally:
            t.close()
        for line in data.decode("utf-8", "replace").split("\r\n"):
            f = line.split("\t")
            if len(f) >= 6 and f[0] == name:
                return {"state": f[2], "clients": int(f[3]),
                        "in": int(f[4]), "out": int(f[5])}
        raise AssertionError("no console %s in %r" % (name, data))

    def wait_written(self, name, n, timeout=20):
        """Wait until console name has written n bytes to its backend."""
        wait_for(lambda: self.row(name)["in"] >= n, timeout,
                 lambda: "%s to write %d bytes: %r" % (name, n,
                                                        self.row(name)))

    def rewrite(self, text):
        """Replace the file's body (keeping our [ttyhubd] section) and
        send SIGHUP."""
        if "[ttyhubd]" not in text:
            text = "[ttyhubd]\nbroker-unix = %s\n\n" % self.sock + text
        self.conf.write_text(text)
        self.proc.send_signal(signal.SIGHUP)



class FakeGuest:
    """A unix socket server that takes one connection at a time, as
    QEMU's chardev does, and records what it receives.  Its thread serves
    for at most life seconds; waits default to timeout seconds."""

    def __init__(self, path, timeout=15, life=300):
        self.path = path
        self.timeout = timeout
        self.life = life
        self.received = bytearray()
        self.lock = threading.Lock()
        self.conn = None
        self.srv = None
        self.start()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(self.path)
        self.srv.listen(1)
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + self.life
        while not self.stop_ev.is_set() and time.monotonic() < deadline:
            if self.conn is None:
                r, _, _ = select.select([self.srv], [], [], 0.05)
                if r:
                    self.conn, _ = self.srv.accept()
                continue
            r, _, _ = select.select([self.conn], [], [], 0.05)
            if r:
                try:
                    b = self.conn.recv(65536)
                except OSError:
                    b = b""
                if not b:
                    self.conn.close()
                    self.conn = None
                    continue
                with self.lock:
                    self.received += b

    def wait_connected(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while self.conn is None:
            assert time.monotonic() < deadline, "ttyhubd never connected"
            time.sleep(0.02)

    def send(self, data):
        self.wait_connected()
        self.conn.sendall(data)

    def wait_received(self, needle, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            with self.lock:
                if needle in self.received:
                    return bytes(self.received)
            assert time.monotonic() < deadline, \
                "guest never got %r; got %r" % (needle, bytes(self.received))
            time.sleep(0.02)

    def stop(self):
        """The guest goes away: connection and listening socket closed."""
        self.stop_ev.set()
        self.thread.join(5)
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.srv.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
