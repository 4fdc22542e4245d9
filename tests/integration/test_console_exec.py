"""Exec consoles (backend-exec.c): a program of ttyhubd's on a pty, as
procServ runs one.  Real daemon, real clients: socat on raw listeners and
the byte-exact Telnet client on Telnet ones.  The programs are /bin/sh
one-liners and small Python scripts written to tmp_path.

Every wait is bounded; the only processes signalled are the daemon this
test started (through the fixture) and socat processes it started."""
import json
import os
import pwd
import re
import signal
import subprocess
import time

import pytest

from ttyhubtest import (UPLOAD_SINK, alive, as_nobody, console_section,
                        free_port, proc_state, upload, upload_payload,
                        wait_file, wait_gone)
from telnetc import BINARY, NAWS, Telnet

IAC_BRK = bytes([255, 243])


def notice(name, text):
    return b"\r\n[ttyhub: %s: %s]\r\n" % (name.encode(), text.encode())


def wait_naws(t, timeout=10):
    """Until the client has sent its window size (it does when asked):
    what it sends after that reaches the program after the size."""
    deadline = time.monotonic() + timeout
    while ("us", NAWS) not in t.options_on:
        assert time.monotonic() < deadline, "never asked for NAWS"
        t.pump(0.05)


def console(name, command, port=None, raw=None, unix=None, extra=""):
    return console_section(name, "exec", command=command, telnet=port or None,
                           raw=raw or None, unix=unix or None, extra=extra)


def event_times(log, event):
    """Seconds (since midnight, from the daemon's own stamps) of each
    console log event line that starts with event."""
    out = []
    for hh, mm, ss in re.findall(rb"\[ttyhub [0-9a-f]{16} [0-9-]+T(\d\d):(\d\d):"
                                 rb"(\d\d\.\d{3})Z\]\+? " + re.escape(event),
                                 log):
        out.append(int(hh) * 3600 + int(mm) * 60 + float(ss))
    return out


def script(tmp_path, name, body):
    p = tmp_path / name
    p.write_text(body)
    return "/usr/bin/python3 %s" % p


def test_exec_output_reaches_client_and_input_reaches_program(hub, socat):
    raw = free_port()
    hub(console("sh1", "/bin/sh -c 'echo hello; exec cat'", raw=raw))
    c = socat("TCP:127.0.0.1:%d" % raw)
    c.expect(b"hello\r\n")
    c.send(b"ping\n")
    # The terminal echoes the line, then cat writes it back.
    c.expect(b"ping\r\nping\r\n")


def test_exec_unix_listener_and_two_clients_share_output(hub, socat,
                                                         tmp_path):
    raw = free_port()
    path = str(tmp_path / "sh1.sock")
    hub(console("sh1", "/bin/sh -c 'echo hello; exec cat'", raw=raw,
                unix=path + ",raw"))
    a = socat("TCP:127.0.0.1:%d" % raw)
    b = socat("UNIX-CONNECT:%s" % path)
    a.expect(b"hello")
    b.expect(b"hello")
    b.send(b"from-unix\n")
    a.expect(b"from-unix\r\nfrom-unix\r\n")
    b.expect(b"from-unix\r\nfrom-unix\r\n")


def test_exec_restarts_after_holdoff_with_notices(hub, tmp_path):
    sock = str(tmp_path / "sh1.sock")
    log = tmp_path / "sh1.log"
    h = hub(console("sh1", "/bin/sh -c 'echo \"run $$\"; read x; exit 3'",
                    unix=sock, extra="restart-delay = 200ms\nlog = %s\n" %
                    log))
    t = Telnet(path=sock)
    first = int(t.expect_re(rb"run (\d+)\r\n").group(1))
    t.send(b"go\r\n")
    down = notice("sh1", "backend down (program exited with status 3); "
                  "retrying")
    t.expect(down)
    t.expect(notice("sh1", "backend up"))
    at = t.data.find(notice("sh1", "backend up"))
    second = int(t.expect_re(rb"run (\d+)\r\n", start=at).group(1))
    assert second != first
    assert t.data.find(down) < at
    # The hold-off is 200 ms: not at once, and not much later.  Timed by
    # the daemon's own stamps in the log: when a client reads the two
    # notices depends on how busy the machine is.
    text = wait_file(log, lambda b: len(event_times(b, b"backend up")) >= 2)
    t_down = event_times(text, b"backend down")[0]
    t_up = event_times(text, b"backend up")[1]
    assert 0.12 <= t_up - t_down < 3, t_up - t_down
    h.wait_output("program exited with status 3")
    assert not alive(first)
    t.close()


@pytest.mark.parametrize("size", [1, 4095, 200000])
def test_exec_last_output_is_not_lost(hub, socat, size):
    """What a program writes just before it exits reaches the clients
    before the notice that it went (the pty is drained before EIO)."""
    raw = free_port()
    h = hub(console("last", "/bin/sh -c 'read x; head -c %d /dev/zero | "
                    "tr \"\\\\0\" x; echo END; exit 5'" % size, raw=raw,
                    extra="restart = no\n"))
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("last")
    c.send(b"go\n")
    down = b"[ttyhub: last: backend down (program exited with status 5)"
    at = c.expect(down)
    end = c.data.find(b"END\r\n")
    assert 0 <= end < at, bytes(c.data[-300:])
    assert c.data[:end].count(b"x") == size


def test_exec_program_gone_while_child_holds_terminal(hub, socat):
    """The program exits but a child of it that ignores the hang-up keeps
    the terminal open: the console still goes down, after a short linger,
    with the program's exit status."""
    raw = free_port()
    hub(console("held", "/bin/sh -c 'trap \"\" HUP; sleep 60 & "
                "echo \"started $!\"; read x; exit 4'", raw=raw,
                extra="restart = no\n"))
    c = socat("TCP:127.0.0.1:%d" % raw)
    kid = int(c.expect_re(rb"started (\d+)").group(1))
    try:
        c.send(b"go\n")
        c.expect(b"[ttyhub: held: backend down (program exited with "
                 b"status 4)", timeout=30)
        # Down while the child still holds the terminal (it would for a
        # minute): the console did not wait for it.
        assert alive(kid)
    finally:
        if alive(kid):
            os.kill(kid, signal.SIGKILL)


def test_exec_instant_deaths_back_off(hub, socat, tmp_path):
    raw = free_port()
    log = tmp_path / "quick.log"
    hub(console("quick", "/bin/sh -c 'echo run; exit 1'", raw=raw,
                extra="restart-delay = 200ms\nlog = %s\n" % log))
    c = socat("TCP:127.0.0.1:%d" % raw)
    at = 0
    for _ in range(4):
        at = c.expect(b"run\r\n", timeout=10, start=at) + 1
    # Timed by the daemon's own stamps of each start, not by when this
    # client happened to read the output.
    text = wait_file(log, lambda b: len(event_times(b, b"backend up")) >= 4)
    times = event_times(text, b"backend up")[:4]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # 200 ms, then doubled for each run in a row that died at once: 400
    # and 800 ms (a timer never fires early; a late one only helps).
    assert gaps[1] >= 0.3 and gaps[2] >= 0.65, gaps
    assert gaps[2] > gaps[0] * 2, gaps


def test_exec_restart_no_stays_down(hub, socat):
    raw = free_port()
    h = hub(console("once", "/bin/sh -c 'echo \"once $$\"; read x; exit 0'",
                    raw=raw, extra="restart = no\nrestart-delay = 100ms\n"),
            extra=["-d"])
    c = socat("TCP:127.0.0.1:%d" % raw)
    pid = int(c.expect_re(rb"once (\d+)").group(1))
    c.send(b"bye\n")
    c.expect(b"[ttyhub: once: backend down (program exited with status 0)")
    h.wait_output("stays down")
    time.sleep(1.0)
    c.pump(0.1)
    assert b"backend up" not in c.data
    assert c.data.count(b"once ") == 1
    assert not c.closed
    assert all(p != pid for p, _ in h.children()), h.children()


def test_exec_missing_program_is_reported(hub, socat):
    raw = free_port()
    hub(console("nope", "/nonexistent/prog --flag", raw=raw))
    c = socat("TCP:127.0.0.1:%d" % raw)
    c.expect(b"[ttyhub: nope: backend down (cannot run /nonexistent/prog: "
             b"No such file or directory); retrying]")


def test_exec_environment_directory_and_fds(hub, socat, tmp_path):
    """argv as given, no shell; the environment is exactly TERM, PATH and
    HOME; the program runs in its directory with only fds 0-2 open."""
    raw = free_port()
    work = tmp_path / "work dir"
    work.mkdir()
    prog = script(tmp_path, "env.py", r"""
import json, os, sys
# As execve gave it: Python itself adds LC_CTYPE to os.environ.
with open("/proc/self/environ", "rb") as f:
    env = dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if e)
out = {"argv": sys.argv[1:], "cwd": os.getcwd(), "env": env,
       "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
       "tty": os.ttyname(0), "pgrp": os.getpgrp() == os.getpid(),
       "sid": os.getsid(0) == os.getpid()}
sys.stdout.write("JSON " + json.dumps(out) + "\n")
sys.stdout.flush()
sys.stdin.readline()
""")
    hub(console("env", prog + " 'two words' '$HOME' \"*\"", raw=raw,
                extra='directory = %s\n' % work))
    c = socat("TCP:127.0.0.1:%d" % raw)
    m = c.expect_re(rb"JSON (\{.*\})\r\n")
    out = json.loads(m.group(1))
    assert out["argv"] == ["two words", "$HOME", "*"]
    assert out["cwd"] == str(work)
    assert out["env"] == {"TERM": "vt100", "HOME": "/",
                          "PATH": "/usr/local/sbin:/usr/local/bin:"
                                  "/usr/sbin:/usr/bin:/sbin:/bin"}
    # listdir itself holds one more fd while it reads the directory.
    assert len(out["fds"]) == 4 and out["fds"][:3] == [0, 1, 2], out["fds"]
    assert out["tty"].startswith("/dev/pts/")
    assert out["pgrp"] and out["sid"]


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "text"])
def test_exec_binary_upload_arrives_exact(hub, tmp_path, binary):
    """A file pushed through a console's Telnet writer reaches the program
    byte for byte: 0xFF runs of every length, cut anywhere by the
    client's writes; without BINARY a CR LF or CR NUL arrives as CR."""
    port = free_port()
    want = len(upload_payload(binary)[1])
    prog = script(tmp_path, "sink.py", UPLOAD_SINK)
    hub(console("up", "%s %d" % (prog, want), port=port))
    t = Telnet(port, agree={BINARY} if binary else ())
    upload(t, binary)
    t.close()


def test_exec_window_size_from_naws(hub):
    port = free_port()
    hub(console("sz", "/bin/sh -c 'while read x; do stty size; done'",
                port=port, extra="size = 90x30\n"))
    t = Telnet(port, agree={NAWS}, naws=(100, 40))
    wait_naws(t)
    t.send(b"\r\n")
    t.expect(b"40 100\r\n")
    t.send_naws(120, 50)
    # The size and the line travel in order on one connection.
    at = len(t.data)
    t.send(b"\r\n")
    m = t.expect_re(rb"(\d+) (\d+)\r\n", start=at)
    assert m.group(0) == b"50 120\r\n"
    t.close()


def test_exec_window_size_from_config_then_sigwinch(hub, tmp_path):
    port = free_port()
    prog = script(tmp_path, "winch.py", r"""
import fcntl, os, signal, struct, termios, time
def show(*_):
    rows, cols = struct.unpack("hh", fcntl.ioctl(0, termios.TIOCGWINSZ,
                                                 b"\0" * 4))
    os.write(1, b"size %d %d\n" % (cols, rows))
signal.signal(signal.SIGWINCH, show)
show()
for _ in range(600):
    time.sleep(0.1)
""")
    hub(console("w", prog, port=port, extra="size = 90x30\n"))
    first = Telnet(port)            # says no to NAWS
    first.expect(b"size 90 30\r\n")  # from the config
    t = Telnet(port, agree={NAWS}, naws=(132, 43))
    t.expect(b"size 132 43\r\n")     # a writer's NAWS: SIGWINCH
    t.send_naws(77, 22)
    t.expect(b"size 77 22\r\n")
    first.expect(b"size 77 22\r\n")
    t.close()
    first.close()


def test_exec_break_is_a_terminal_break(hub, tmp_path):
    """BREAK from a Telnet writer does what a serial line's BREAK does to
    the program: SIGINT with BRKINT set, a NUL byte in raw mode."""
    port, port2 = free_port(), free_port()
    prog = script(tmp_path, "brk.py", r"""
import os, signal, sys, termios, time, tty
if sys.argv[1] == "brkint":
    t = termios.tcgetattr(0)
    t[0] = (t[0] | termios.BRKINT) & ~termios.IGNBRK
    termios.tcsetattr(0, termios.TCSANOW, t)
    signal.signal(signal.SIGINT, lambda *_: os.write(1, b"got SIGINT\n"))
    os.write(1, b"ready\n")
    for _ in range(600):
        time.sleep(0.1)
else:
    tty.setraw(0)
    os.write(1, b"ready\r\n")
    while True:
        b = os.read(0, 1)
        if not b:
            break
        os.write(1, b"byte %d\r\n" % b[0])
""")
    hub(console("bi", prog + " brkint", port=port) +
        console("raw", prog + " raw", port=port2))
    t = Telnet(port)
    t.expect(b"ready")
    t.send_raw(IAC_BRK)
    t.expect(b"got SIGINT")
    t.close()
    r = Telnet(port2)
    r.expect(b"ready")
    r.send_raw(IAC_BRK)
    r.expect(b"byte 0\r\n")
    r.close()


def test_exec_sigterm_leaves_no_program(hub, socat):
    """Stopping the daemon ends every program: one that goes on SIGHUP at
    once, and one that ignores SIGHUP and SIGTERM (SIGKILL after the
    grace), with its background child.  The daemon reaps its own."""
    raw, raw2 = free_port(), free_port()
    h = hub(console("meek", "/bin/sh -c 'echo \"pid $$\"; exec cat'",
                    raw=raw) +
            console("stubborn", "/bin/sh -c 'trap \"\" HUP TERM; "
                    "sleep 1000 & echo \"pids $$ $!\"; wait; wait; wait'",
                    raw=raw2))
    a = socat("TCP:127.0.0.1:%d" % raw)
    b = socat("TCP:127.0.0.1:%d" % raw2)
    meek = int(a.expect_re(rb"pid (\d+)").group(1))
    m = b.expect_re(rb"pids (\d+) (\d+)")
    stubborn, kid = int(m.group(1)), int(m.group(2))
    kids = [p for p, _ in h.children()]
    assert meek in kids and stubborn in kids
    t0 = time.monotonic()
    out = h.stop()
    took = time.monotonic() - t0
    assert h.proc.returncode == 0, out
    assert took < 8, took
    for pid in (meek, stubborn, kid):
        wait_gone(pid, 5)
    # Ours were reaped by the daemon itself: not even zombies remain.
    assert proc_state(meek) is None and proc_state(stubborn) is None
    assert "SIGKILL" in out, out


def test_exec_sighup_removed_console_ends_program(hub, socat, tmp_path):
    """A console removed by SIGHUP: its clients are told, its program is
    hung up on (and killed after the grace if it ignores that), reaped,
    and the other consoles go on meanwhile."""
    raw1, raw2, raw3 = free_port(), free_port(), free_port()
    keep = console("keep", "/bin/sh -c 'exec cat'", raw=raw1)
    h = hub(keep +
            console("meek", "/bin/sh -c 'echo \"pid $$\"; exec cat'",
                    raw=raw2) +
            console("stubborn", "/bin/sh -c 'trap \"\" HUP TERM; "
                    "echo \"pid $$\"; while :; do sleep 0.2; done'",
                    raw=raw3))
    k = socat("TCP:127.0.0.1:%d" % raw1)
    a = socat("TCP:127.0.0.1:%d" % raw2)
    b = socat("TCP:127.0.0.1:%d" % raw3)
    meek = int(a.expect_re(rb"pid (\d+)").group(1))
    stubborn = int(b.expect_re(rb"pid (\d+)").group(1))
    k.send(b"before\n")
    k.expect(b"before\r\nbefore\r\n")

    h.rewrite(keep)
    a.expect(b"[ttyhub: meek: console removed from the configuration]")
    b.expect(b"[ttyhub: stubborn: console removed from the configuration]")
    wait_gone(meek, 5)
    # The stubborn one has its grace; the loop is not held up by it: the
    # other console answers while the stubborn program still lives.
    assert alive(stubborn)
    k.send(b"during\n")
    k.expect(b"during\r\nduring\r\n")
    assert alive(stubborn)
    wait_gone(stubborn, 20)
    deadline = time.monotonic() + 15
    while any(p in (meek, stubborn) for p, _ in h.children()):
        assert time.monotonic() < deadline, h.children()
        time.sleep(0.02)
    h.wait_output("SIGKILL")
    a.pump(0.5)
    b.pump(0.5)
    k.send(b"after\n")
    k.expect(b"after\r\nafter\r\n")


def test_exec_user_and_group_run_the_program_unprivileged(hub, socat,
                                                          tmp_path):
    """user = nobody: the program runs with nobody's uid, group, groups
    and home, on a terminal that is nobody's; group = alone changes the
    group and drops root's other groups."""
    nobody = pwd.getpwnam("nobody")
    groups = sorted(os.getgrouplist("nobody", nobody.pw_gid))
    show = ("/bin/sh -c 'echo \"ID $(id -u) $(id -g) G=$(id -G) "
            "HOME=$HOME TTY=$(stat -c %u $(tty)) END\"; exec cat'")
    raw, raw2 = free_port(), free_port()
    hub(console("asnobody", show, raw=raw, extra="user = nobody") +
        console("asgroup", show, raw=raw2, extra="group = %d" %
                nobody.pw_gid))
    c = socat("TCP:127.0.0.1:%d" % raw)
    m = c.expect_re(rb"ID (\d+) (\d+) G=([\d ]+) HOME=(\S*) TTY=(\d+) END")
    assert int(m.group(1)) == nobody.pw_uid
    assert int(m.group(2)) == nobody.pw_gid
    assert sorted(int(g) for g in m.group(3).split()) == groups
    assert m.group(4).decode() == nobody.pw_dir
    assert int(m.group(5)) == nobody.pw_uid
    c = socat("TCP:127.0.0.1:%d" % raw2)
    m = c.expect_re(rb"ID (\d+) (\d+) G=([\d ]+) HOME=(\S*) TTY=(\d+) END")
    assert (int(m.group(1)), int(m.group(2))) == (0, nobody.pw_gid)
    assert m.group(3).split() == [str(nobody.pw_gid).encode()]
    assert m.group(4) == b"/" and int(m.group(5)) == 0


def test_exec_user_needs_a_root_daemon(build, tmp_path):
    """A daemon that is not root cannot run a program as someone else: the
    file is refused when it is read, not when the program would start."""
    with as_nobody(build, "ttyhub-user-") as (d, argv, env):
        conf = os.path.join(d, "t.conf")
        for key, ok in (("user = root", False), ("group = root", False),
                        ("user = nobody", True)):
            with open(conf, "w") as f:
                f.write("[console a]\ntype = exec\ncommand = /bin/cat\n"
                        "%s\n" % key)
            os.chmod(conf, 0o644)
            p = subprocess.run(argv + ["-c", conf, "-t"], capture_output=True,
                               text=True, timeout=20, env=env)
            if ok:
                assert p.returncode == 0, p.stderr
                continue
            assert p.returncode == 2, p.stderr
            assert p.stderr == ("ttyhubd: %s:4: console \"a\": user and "
                                "group other than ttyhubd's own need "
                                "ttyhubd to run as root\n" % conf), p.stderr
