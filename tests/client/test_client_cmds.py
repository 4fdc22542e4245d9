"""The ttyhub client's commands for scripts (-l, who, tail, break, send),
attach through pipes, and its error messages, against a real ttyhubd.
No terminal here: standard input and output are pipes, as in a script."""
import grp
import os
import pwd
import re
import select
import signal
import subprocess
import time

from clienttest import client_env, run
from telnetc import Telnet
from ttyhubtest import (FakeGuest, as_nobody, console_section, exec_console,
                        free_port, wait_file)


def Guest(path):
    """QEMU's chardev, played by the shared FakeGuest with the longer
    waits these tests have always used."""
    return FakeGuest(path, timeout=10, life=120)


def guest_console(tmp_path, guest, name="vm1", extra=""):
    return console_section(name, "unix", path=guest.path,
                           log=tmp_path / (name + ".log"), extra=extra)


def test_list_shows_every_console(hub, ttyhub, tmp_path):
    guest = Guest(str(tmp_path / "vm1.serial"))
    try:
        h = hub(guest_console(tmp_path, guest) +
                exec_console(tmp_path, name="sh", command="/bin/cat") +
                "[console cold]\ntype = unix\npath = %s\n" %
                (tmp_path / "nobody.sock"))
        guest.wait_connected()
        guest.send(b"12345")
        wait_file(tmp_path / "vm1.log", b"12345", 10)
        for args in (["-l"], ["list"]):
            p = run(ttyhub, tmp_path, "-s", h.sock, *args)
            assert p.returncode == 0, p.stderr
            lines = p.stdout.decode().splitlines()
            assert re.match(r"NAME\s+TYPE\s+STATE\s+CLIENTS\s+IN\s+OUT\s+LOG$",
                            lines[0]), lines
            rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
            assert rows["vm1"][1:6] == ["unix", "up", "0", "0", "5"], rows
            assert rows["vm1"][6] == str(tmp_path / "vm1.log")
            assert rows["sh"][1:3] == ["exec", "up"]
            assert rows["cold"][1:3] == ["unix", "down"]
            assert rows["cold"][6] == "-"
            assert p.stderr == b""
    finally:
        guest.stop()


def test_who_lists_the_attached_clients(hub, ttyhub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat",
                         extra="writers = one"))
    holders = [subprocess.Popen([ttyhub, "-s", h.sock, "sh"] + extra,
                                stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                env=client_env(tmp_path))
               for extra in ([], ["-r"])]
    try:
        deadline = time.monotonic() + 10
        while True:
            p = run(ttyhub, tmp_path, "-s", h.sock, "who", "sh")
            assert p.returncode == 0, p.stderr
            lines = p.stdout.decode().splitlines()
            if len(lines) == 2:
                break
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        roles = sorted(ln.split()[0] for ln in lines)
        assert roles == ["ro", "writer"], lines
        for ln in lines:
            assert re.match(r"(ro|writer)\s+root \(uid 0, pid \d+\)$", ln), ln
    finally:
        for c in holders:
            c.stdin.close()
            c.wait(20)


def test_tail_prints_recent_lines_made_harmless(hub, ttyhub, tmp_path):
    prog = tmp_path / "prog.sh"
    # Through the pty every LF arrives as CR LF (ONLCR).
    prog.write_text("printf 'one\\ntwo\\n\\033[31mred\\033[0m\\n"
                    "\\033]0;title\\007bell\\ncr\\rover\\n'\n"
                    "exec sleep 600\n")
    h = hub(exec_console(tmp_path, command="/bin/sh %s" % prog,
                         extra="restart = no"))
    wait_file(tmp_path / "sh.log", b"over", 10)
    p = run(ttyhub, tmp_path, "-s", h.sock, "tail", "-n", "3", "sh")
    assert p.returncode == 0, p.stderr
    assert p.stdout == (b"^[[31mred^[[0m\n^[]0;title^Gbell\ncr^Mover\n"), \
        p.stdout
    p = run(ttyhub, tmp_path, "-s", h.sock, "tail", "sh")
    assert p.stdout.startswith(b"one\ntwo\n"), p.stdout
    p = run(ttyhub, tmp_path, "-s", h.sock, "tail", "-n", "1", "--raw", "sh")
    assert p.returncode == 0
    assert p.stdout == b"cr\rover\r\n", p.stdout
    p = run(ttyhub, tmp_path, "-s", h.sock, "tail", "-n", "0", "sh")
    assert p.returncode == 0 and p.stdout == b""


def test_tail_follows_until_interrupted(hub, ttyhub, tmp_path):
    guest = Guest(str(tmp_path / "vm1.serial"))
    try:
        h = hub(guest_console(tmp_path, guest))
        guest.send(b"old line\r\n")
        wait_file(tmp_path / "vm1.log", b"old line", 10)
        t = subprocess.Popen([ttyhub, "-s", h.sock, "tail", "-f", "vm1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=client_env(tmp_path))
        out = bytearray()
        deadline = time.monotonic() + 10
        while b"old line\n" not in out:
            assert time.monotonic() < deadline, out
            r, _, _ = select.select([t.stdout], [], [], 0.1)
            if r:
                out += os.read(t.stdout.fileno(), 4096)
        guest.send(b"new \x1b[2Jline\r\n")
        while b"new ^[[2Jline\n" not in out:
            assert time.monotonic() < deadline, out
            r, _, _ = select.select([t.stdout], [], [], 0.1)
            if r:
                out += os.read(t.stdout.fileno(), 4096)
        t.send_signal(signal.SIGINT)
        assert t.wait(10) == 128 + signal.SIGINT
    finally:
        guest.stop()


def test_send_and_break(hub, ttyhub, tmp_path):
    guest = Guest(str(tmp_path / "vm1.serial"))
    try:
        h = hub(guest_console(tmp_path, guest) +
                exec_console(tmp_path, command="/bin/cat"))
        guest.wait_connected()
        p = run(ttyhub, tmp_path, "-s", h.sock, "send", "vm1", "echo", "hi")
        assert p.returncode == 0, p.stderr
        assert guest.wait_received(b"echo hi\r") == b"echo hi\r"
        p = run(ttyhub, tmp_path, "-s", h.sock, "send", "-n", "vm1",
                b"\xff\r\n-raw")
        assert p.returncode == 0, p.stderr
        got = guest.wait_received(b"\xff\r\n-raw")
        assert got.endswith(b"\r\xff\r\n-raw")     # as given; no Enter
        # BREAK: a pty has one, a socket has none.
        p = run(ttyhub, tmp_path, "-s", h.sock, "break", "sh")
        assert p.returncode == 0, p.stderr
        wait_file(tmp_path / "sh.log", b"BREAK from", 10)
        p = run(ttyhub, tmp_path, "-s", h.sock, "break", "vm1")
        assert p.returncode == 1
        assert p.stderr.startswith(b"ttyhub: vm1: BREAK not supported by "
                                   b"the unix backend"), p.stderr
        assert len(p.stderr.splitlines()) == 1
    finally:
        guest.stop()


def test_send_to_a_console_someone_else_writes(hub, ttyhub, tmp_path):
    guest = Guest(str(tmp_path / "vm1.serial"))
    try:
        h = hub(guest_console(tmp_path, guest, extra="writers = one"))
        guest.wait_connected()
        holder = subprocess.Popen([ttyhub, "-s", h.sock, "vm1"],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL,
                                  env=client_env(tmp_path))
        deadline = time.monotonic() + 10
        while b"writer" not in run(ttyhub, tmp_path, "-s", h.sock, "who",
                                   "vm1").stdout:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        p = run(ttyhub, tmp_path, "-s", h.sock, "send", "vm1", "refused")
        assert p.returncode == 1
        assert re.match(rb"ttyhub: vm1: read-only: root \(uid 0, pid \d+\) "
                        rb"is writing \(-f takes over\)\n$", p.stderr), \
            p.stderr
        p = run(ttyhub, tmp_path, "-s", h.sock, "send", "-f", "vm1", "forced")
        assert p.returncode == 0, p.stderr
        got = guest.wait_received(b"forced\r")
        assert b"refused" not in got
        holder.stdin.close()
        holder.wait(20)
    finally:
        guest.stop()


def test_send_to_a_console_that_is_down(hub, ttyhub, tmp_path):
    h = hub("[console cold]\ntype = unix\npath = %s\n" %
            (tmp_path / "nobody.sock"))
    p = run(ttyhub, tmp_path, "-s", h.sock, "send", "cold", "x")
    assert p.returncode == 1
    assert p.stderr.startswith(b"ttyhub: cold: backend down (")
    assert p.stderr.endswith(b"; nothing sent\n"), p.stderr


def test_pipes_in_and_out(hub, ttyhub, tmp_path):
    h = hub(exec_console(tmp_path))
    t0 = time.monotonic()
    p = run(ttyhub, tmp_path, "-s", h.sock, "--no-replay", "sh",
            input=b"echo piped-$((1+2))\n")
    assert p.returncode == 0, p.stderr
    assert b"piped-3\r\n" in p.stdout, p.stdout
    assert p.stderr == b"", p.stderr
    assert time.monotonic() - t0 < 12
    # Nothing to send: it leaves at once.
    with open(os.devnull, "rb") as null:
        p = subprocess.run([ttyhub, "-s", h.sock, "sh"], stdin=null,
                           capture_output=True, timeout=20,
                           env=client_env(tmp_path))
    assert p.returncode == 0, p.stderr
    # The replay comes first unless --no-replay.
    p = run(ttyhub, tmp_path, "-s", h.sock, "sh", input=b"echo second\n")
    assert b"piped-3" in p.stdout and b"second" in p.stdout


def test_errors_are_one_line_and_status_1(hub, ttyhub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat"))
    want = b'ttyhub: no console named "vm3" (ttyhub -l lists them)\n'
    for args in (["vm3"], ["who", "vm3"], ["tail", "vm3"], ["break", "vm3"],
                 ["send", "vm3", "x"], ["attach", "-r", "vm3"]):
        p = run(ttyhub, tmp_path, "-s", h.sock, *args, input=b"")
        assert p.returncode == 1, args
        assert p.stderr == want, (args, p.stderr)
        assert p.stdout == b""
    nowhere = str(tmp_path / "nowhere.sock")
    for args in (["sh"], ["-l"], ["who", "sh"]):
        p = run(ttyhub, tmp_path, "-s", nowhere, *args)
        assert p.returncode == 1
        assert p.stderr == ("ttyhub: cannot connect to ttyhubd at %s: No "
                            "such file or directory (is it running? -s "
                            "names its socket)\n" % nowhere).encode(), \
            p.stderr
    for args, needle in ((["-x", "sh"], b"unknown option -x"),
                         (["tail"], b"tail: which console?"),
                         (["send", "sh"], b"send: no text after the"),
                         (["-e", "ab", "sh"], b"-e ab: an escape is one"),
                         (["tail", "-n", "x", "sh"], b"-n x: not a number"),
                         (["sh", "other"], b"one console at a time"),
                         ([], b"usage: ttyhub")):
        p = run(ttyhub, tmp_path, "-s", h.sock, *args)
        assert p.returncode == 1, (args, p.stderr)
        assert needle in p.stderr, (args, p.stderr)
        assert len(p.stderr.splitlines()) == 1 or args == [], p.stderr


def test_finds_the_daemon_without_s(hub, ttyhub, tmp_path):
    h = hub(exec_console(tmp_path, command="/bin/cat"))
    p = run(ttyhub, tmp_path, "-l",
            env=client_env(tmp_path, TTYHUB_SOCKET=h.sock))
    assert p.returncode == 0, p.stderr
    assert b"\nsh " in p.stdout


def test_broker_over_tcp(build, tmp_path, hub, ttyhub):
    port = free_port()
    h = hub("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d\n\n" %
            (tmp_path / "broker.sock", port) +
            exec_console(tmp_path, command="/bin/cat"))
    assert h.sock
    p = run(ttyhub, tmp_path, "-s", "127.0.0.1:%d" % port, "-l")
    assert p.returncode == 0, p.stderr
    assert b"\nsh " in p.stdout
    p = run(ttyhub, tmp_path, "-s", "127.0.0.1:%d" % port, "--no-replay",
            "sh", input=b"over-tcp\n")
    assert p.returncode == 0, p.stderr
    assert b"over-tcp" in p.stdout


def test_version_and_help(ttyhub, tmp_path):
    p = run(ttyhub, tmp_path, "--version")
    assert p.returncode == 0
    assert re.match(rb"ttyhub \d+\.\d+\.\d+ \(protocol 4, DNS-SD: "
                    rb"(Avahi|not built in)\)\n$", p.stdout)
    p = run(ttyhub, tmp_path, "--help")
    assert p.returncode == 0 and b"usage: ttyhub" in p.stdout


def test_a_large_pipe_arrives_whole(hub, ttyhub, tmp_path):
    """2 MiB of every byte value piped in reach the guest unchanged (BINARY
    both ways; IAC doubled on the way), paced by the daemon."""
    guest = Guest(str(tmp_path / "vm1.serial"))
    try:
        h = hub(guest_console(tmp_path, guest))
        guest.wait_connected()
        payload = bytes(range(256)) * 8192
        p = run(ttyhub, tmp_path, "-s", h.sock, "--no-replay", "vm1",
                input=payload, timeout=60)
        assert p.returncode == 0, p.stderr
        deadline = time.monotonic() + 30
        while len(guest.received) < len(payload):
            assert time.monotonic() < deadline, len(guest.received)
            time.sleep(0.05)
        assert bytes(guest.received) == payload
    finally:
        guest.stop()


def test_a_long_list(hub, ttyhub, tmp_path):
    """More consoles than the daemon queues at once: the list is written
    as the socket takes it, whole and in order."""
    names = ["console-%04d" % i for i in range(600)]
    h = hub("".join("[console %s]\ntype = unix\npath = %s\n" %
                    (n, tmp_path / (n + ".sock")) for n in names))
    p = run(ttyhub, tmp_path, "-s", h.sock, "-l", timeout=60)
    assert p.returncode == 0, p.stderr
    rows = p.stdout.decode().splitlines()[1:]
    assert [r.split()[0] for r in rows] == names


def test_a_user_the_socket_is_closed_to_is_told_why(hub, ttyhub, tmp_path):
    """The broker's socket is 0600 by default: another user is told that,
    and what opens it; broker-unix-group with mode 0660 lets a group in."""
    nobody = pwd.getpwnam("nobody")
    with as_nobody(ttyhub, "ttyhub-perm-") as (d, argv, env):
        sock = os.path.join(d, "broker.sock")
        console = exec_console(tmp_path, command="/bin/cat")
        h = hub("[ttyhubd]\nbroker-unix = %s\n\n" % sock + console, sock=sock)
        p = subprocess.run(argv + ["-s", sock, "-l"], capture_output=True,
                           timeout=20, env=env)
        assert p.returncode == 1
        assert p.stderr == ("ttyhub: cannot connect to ttyhubd at %s: "
                            "Permission denied (its socket is closed to "
                            "this user: see broker-unix-mode and "
                            "broker-unix-group in ttyhub.conf(5))\n"
                            % sock).encode(), p.stderr
        h.stop()
        group = grp.getgrgid(nobody.pw_gid).gr_name
        hub("[ttyhubd]\nbroker-unix = %s\nbroker-unix-mode = 0660\n"
            "broker-unix-group = %s\n\n" % (sock, group) + console,
            sock=sock)
        st = os.stat(sock)
        assert (st.st_mode & 0o777, st.st_gid) == (0o660, nobody.pw_gid)
        p = subprocess.run(argv + ["-s", sock, "-l"], capture_output=True,
                           timeout=20, env=env)
        assert p.returncode == 0, p.stderr
        assert b"\nsh " in p.stdout


def test_tail_send_and_break_come_and_go_quietly(hub, ttyhub, tmp_path):
    """The humans on a console are not told about every script that sends
    to it: tail, send and break attach without join or leave notices (the
    console's log still records them); a real attach is announced."""
    h = hub(exec_console(tmp_path, command="/bin/cat"))
    watcher = Telnet(path=h.sock, agree={39},
                     env=[(3, b"TTYHUB_CONSOLE", b"sh")])
    deadline = time.monotonic() + 10
    while b"rw" not in run(ttyhub, tmp_path, "-s", h.sock, "who",
                           "sh").stdout:
        assert time.monotonic() < deadline, "the watcher did not attach"
        watcher.pump(0.1)
    for args in (["send", "sh", "quiet-send"], ["tail", "sh"],
                 ["break", "sh"]):
        p = run(ttyhub, tmp_path, "-s", h.sock, *args)
        assert p.returncode == 0, (args, p.stderr)
    watcher.expect(b"quiet-send")
    p = run(ttyhub, tmp_path, "-s", h.sock, "--no-replay", "sh",
            input=b"loud-attach\n")
    assert p.returncode == 0, p.stderr
    watcher.expect(b"detached]")
    notices = re.findall(rb"\[ttyhub: sh: [^\]]* (?:attached|detached)",
                         bytes(watcher.data))
    assert len(notices) == 2, bytes(watcher.data)
    log = wait_file(tmp_path / "sh.log",
                    lambda b: len(re.findall(rb"\]\+? attach ", b)) >= 5)
    assert len(re.findall(rb"\]\+? attach ", log)) == 5, log
    watcher.close()
