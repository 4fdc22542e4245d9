"""ttyhubd under systemd (issue 18), without systemd as PID 1: the test
is the service manager.  It makes the notification socket and the
listening sockets, starts ttyhubd with them from fd 3 on and LISTEN_PID
its own (bash execs it, so $$ is its PID), and checks the notifications
(READY=1, RELOADING=1 with MONOTONIC_USEC, STOPPING=1) and that the
passed sockets, not new ones, are served.  systemd-socket-activate, a
real peer from systemd, starts it on a first connection; and
systemd-analyze verify reads the unit files make install writes."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from telnetc import Telnet
from ttyhubtest import ROOT, SAN_MARKERS, free_port, wait_for


class Notify:
    """The service manager's end of $NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def next(self, timeout=20):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("no notification within %d s" % timeout)

    def close(self):
        self.sock.close()


def listening_tcp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    return s


def listening_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(16)
    return s


def start_with(build, conf, socks, names, notify, log):
    """ttyhubd -F -c conf with socks as fds 3, 4, ..., as systemd passes
    them."""
    dups = " ".join("%d<&%d %d<&-" % (3 + i, s.fileno(), s.fileno())
                    for i, s in enumerate(socks))
    env = dict(os.environ, LISTEN_FDS=str(len(socks)),
               LISTEN_FDNAMES=":".join(names), NOTIFY_SOCKET=notify.path,
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    return subprocess.Popen(
        ["bash", "-c", "exec %s; LISTEN_PID=$$ exec \"$@\"" % dups, "bash",
         build, "-F", "-c", str(conf)],
        pass_fds=[s.fileno() for s in socks], env=env, stdout=log,
        stderr=subprocess.STDOUT)


def output(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def inode(fd_path):
    return os.stat(fd_path).st_ino


def ttyhub(build, *args):
    client = os.path.join(os.path.dirname(build), "ttyhub")
    return subprocess.run([client] + list(args), capture_output=True,
                          timeout=30, stdin=subprocess.DEVNULL)


def config(tmp_path, broker_port, login_port, vm1_port, ro=""):
    conf = tmp_path / "ttyhub.conf"
    conf.write_text(
        "[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d%s\n\n"
        "[console vm1]\ntype = exec\ncommand = /bin/cat\n"
        "telnet = 127.0.0.1:%d\n\n"
        "[login sh]\nlisten = 127.0.0.1:%d\nprogram = /bin/sh\n"
        "issue = /dev/null\n" % (tmp_path / "broker.sock", broker_port, ro,
                                 vm1_port, login_port))
    return conf


def test_notifications_and_passed_sockets(build, tmp_path):
    ports = [free_port() for _ in range(4)]
    socks = [listening_tcp(ports[0]), listening_unix(tmp_path / "broker.sock"),
             listening_tcp(ports[1]), listening_tcp(ports[2]),
             listening_tcp(ports[3])]
    names = ["broker", "broker", "login", "vm1", "spare"]
    conf = config(tmp_path, ports[0], ports[1], ports[2])
    notify = Notify(tmp_path / "notify")
    log_path = tmp_path / "ttyhubd.log"
    with open(log_path, "wb") as log:
        d = start_with(build, conf, socks, names, notify, log)
    try:
        msg = notify.next()
        assert msg == "READY=1\nSTATUS=1 console, %s" % conf, msg
        out = output(log_path)
        for line in ("broker: listening on 127.0.0.1 port %d (passed by "
                     "systemd: broker)" % ports[0],
                     "broker: listening on %s (passed by systemd: broker)"
                     % (tmp_path / "broker.sock"),
                     "login sh: listening on 127.0.0.1 port %d (passed by "
                     "systemd: login)" % ports[1],
                     "console vm1: listening on 127.0.0.1 port %d (passed "
                     "by systemd: vm1)" % ports[2],
                     "systemd passed a socket on 127.0.0.1 port %d (spare) "
                     "that no listener of the configuration asks for: not "
                     "used" % ports[3]):
            assert line in out, out
        # The daemon serves our sockets, fds 3 to 7, and made none of its
        # own for these addresses.
        for i, s in enumerate(socks):
            assert inode("/proc/%d/fd/%d" % (d.pid, 3 + i)) == \
                os.fstat(s.fileno()).st_ino
        for s in socks:
            s.close()           # only the daemon's copies are left
        p = ttyhub(build, "-s", str(tmp_path / "broker.sock"), "-l")
        assert p.returncode == 0 and b"vm1" in p.stdout, p.stderr
        p = ttyhub(build, "-s", "127.0.0.1:%d" % ports[0], "-l")
        assert p.returncode == 0 and b"vm1" in p.stdout, p.stderr
        t = Telnet(port=ports[2])
        t.send(b"through-vm1s-own\r")
        t.expect(b"through-vm1s-own")
        t.close()
        t = Telnet(port=ports[1])
        t.send(b"echo login-$((6*7))\r")
        t.expect(b"login-42")
        t.close()

        # A reload: RELOADING=1 with the monotonic clock, then READY=1.
        # The broker's TCP listener changes (ro), so it is closed and
        # opened again, from the passed socket it gave back.
        config(tmp_path, ports[0], ports[1], ports[2], ro=",ro")
        before = time.monotonic()
        os.kill(d.pid, signal.SIGHUP)
        msg = notify.next()
        key, usec = msg.split("\n")
        assert key == "RELOADING=1" and usec.startswith("MONOTONIC_USEC=")
        usec = int(usec[len("MONOTONIC_USEC="):])
        assert before * 1e6 <= usec <= time.monotonic() * 1e6, \
            (before, usec)
        assert notify.next() == "READY=1\nSTATUS=1 console, %s" % conf
        out = output(log_path)
        assert out.count("broker: listening on 127.0.0.1 port %d (passed "
                         "by systemd: broker)" % ports[0]) == 2, out
        assert out.count("(spare)") == 1, out
        p = ttyhub(build, "-s", "127.0.0.1:%d" % ports[0], "-l")
        assert p.returncode == 0 and b"vm1" in p.stdout, p.stderr

        d.send_signal(signal.SIGTERM)
        assert notify.next() == "STOPPING=1"
        assert d.wait(20) == 0
        # The unix socket is the service manager's: left where it is.
        assert os.path.exists(tmp_path / "broker.sock")
    finally:
        if d.poll() is None:
            d.kill()
            d.wait(5)
        notify.close()
    out = output(log_path)
    for marker in SAN_MARKERS:
        assert marker not in out, out


def test_systemd_socket_activate_starts_it_on_first_use(build, tmp_path):
    """systemd-socket-activate holds the sockets and starts ttyhubd when
    the first client connects; that client is served."""
    tool = shutil.which("systemd-socket-activate")
    if tool is None:
        pytest.skip("systemd-socket-activate is not installed (systemd)")
    port = free_port()
    sock = tmp_path / "broker.sock"
    conf = tmp_path / "ttyhub.conf"
    conf.write_text("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d\n\n"
                    "[console vm1]\ntype = exec\ncommand = /bin/cat\n"
                    % (sock, port))
    notify = Notify(tmp_path / "notify")
    log_path = tmp_path / "activate.log"
    with open(log_path, "wb") as log:
        act = subprocess.Popen(
            [tool, "-l", "127.0.0.1:%d" % port, "-l", str(sock),
             "--fdname=ttyhub", "-E", "NOTIFY_SOCKET=" + notify.path,
             "-E", "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0",
             build, "-F", "-c", str(conf)], stdout=log,
            stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "Listening on %s" % sock in output(log_path), 20,
                 "systemd-socket-activate to listen")
        assert "Execing" not in output(log_path)    # nobody came yet
        p = ttyhub(build, "-s", "127.0.0.1:%d" % port, "-l")
        assert p.returncode == 0, p.stderr
        assert b"vm1" in p.stdout, p.stdout
        assert notify.next().startswith("READY=1\n")
        out = output(log_path)
        assert "broker: listening on 127.0.0.1 port %d (passed by systemd: " \
            "ttyhub)" % port in out, out
        p = ttyhub(build, "-s", str(sock), "-l")
        assert p.returncode == 0 and b"vm1" in p.stdout, p.stderr
        act.send_signal(signal.SIGTERM)
        assert notify.next() == "STOPPING=1"
        assert act.wait(20) == 0
    finally:
        if act.poll() is None:
            act.kill()
            act.wait(5)
        notify.close()
    out = output(log_path)
    for marker in SAN_MARKERS:
        assert marker not in out, out


def test_sockets_for_another_process_are_not_taken(build, tmp_path):
    """LISTEN_PID names another process: the variables are not ours, and
    ttyhubd binds its listeners itself (and tells nobody it is ready)."""
    port = free_port()
    conf = tmp_path / "ttyhub.conf"
    conf.write_text("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d\n"
                    % (tmp_path / "broker.sock", port))
    env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1")
    log_path = tmp_path / "ttyhubd.log"
    with open(log_path, "wb") as log:
        d = subprocess.Popen([build, "-F", "-c", str(conf)], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "broker: listening on 127.0.0.1 port %d\n" % port
                 in output(log_path), 20, "the broker to listen")
        assert "systemd" not in output(log_path)
    finally:
        d.send_signal(signal.SIGTERM)
        assert d.wait(20) == 0


def test_unit_files_verify(tmp_path):
    """The units make install writes, read by systemd-analyze verify
    (which runs without systemd as PID 1): no warning, the programs they
    run exist, and the manual pages they name are found (MANPATH points
    into the install)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (systemd)")
    prefix = tmp_path / "p"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(["make", "-s", "-C", ROOT, "-o", "build/ttyhubd",
                        "-o", "build/ttyhub", "install", "PREFIX=%s" % prefix],
                       capture_output=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    units = prefix / "lib/systemd/system"
    env["MANPATH"] = str(prefix / "share/man")
    p = subprocess.run([tool, "verify", str(units / "ttyhubd.service"),
                        str(units / "ttyhubd.socket")], capture_output=True,
                       timeout=120, env=env, cwd=str(units))
    assert p.returncode == 0, p.stderr
    assert p.stderr == b"" and p.stdout == b"", p.stderr + p.stdout
    text = (units / "ttyhubd.service").read_text()
    assert "ExecStart=%s/sbin/ttyhubd -F -c /etc/ttyhub/ttyhub.conf\n" % \
        prefix in text
    assert "Type=notify\n" in text
