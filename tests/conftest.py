"""Shared fixtures: the real daemon, started per test on an ephemeral
loopback port, for each build under test (normal and ASan+UBSan)."""
import os
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDS = os.environ.get("TTYHUB_BUILDS", "build,build-asan").split(",")
SAN_MARKERS = ("ERROR: AddressSanitizer", "runtime error:",
               "ERROR: LeakSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def helper(name):
    return os.path.join(ROOT, "build", "tests", name)


class Daemon:
    """One ttyhubd process; stderr is kept for the sanitizer check."""

    def __init__(self, binary, args, tmp_path, port=None):
        self.port = port or free_port()
        self.log_path = tmp_path / ("ttyhubd-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        cmd = [binary, "-F", "-b", "127.0.0.1:%d" % self.port,
               "-f", "/dev/null"] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                     env=env)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ttyhubd exited: " + self.output())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
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

    def children(self):
        """Pids whose parent is the daemon (live or zombie)."""
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                kids.append((int(d), fields[0]))
        return kids

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


@pytest.fixture(params=BUILDS)
def build(request):
    path = os.path.join(ROOT, request.param, "ttyhubd")
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: run make check (it builds it)" % path)
    return path


@pytest.fixture
def daemon(build, tmp_path):
    """Factory: daemon(args...) starts ttyhubd; all are stopped at the end
    and their output must hold no sanitizer report."""
    started = []

    def start(*args, binary=None, **kw):
        d = Daemon(binary or build, args, tmp_path, **kw)
        started.append(d)
        return d

    yield start
    for d in started:
        out = d.stop()
        for marker in SAN_MARKERS:
            assert marker not in out, out
