"""What a user meets in the first hour with the ttyhub client: usage
messages, exit statuses a script can rely on, and output that leaves the
shell's prompt where it belongs.  Each test here is a report that was
made."""
import os
import select
import signal
import subprocess
import time

import pexpect

from clienttest import run
from ttyhubtest import as_nobody, exec_console, free_port, wait_file


def test_send_without_text_says_so(ttyhub, tmp_path):
    """`ttyhub send sh` once said "which console?" though it named one."""
    for args in (["send", "sh"], ["send", "-n", "sh"]):
        p = run(ttyhub, tmp_path, "-s", str(tmp_path / "none.sock"), *args)
        assert p.returncode == 1
        assert p.stderr == (b"ttyhub: send: no text after the console's "
                            b"name (ttyhub --help shows the usage)\n"), \
            p.stderr
    p = run(ttyhub, tmp_path, "send")
    assert p.returncode == 1 and b"send: which console?" in p.stderr


def test_tail_on_a_terminal_ends_an_unfinished_line(hub, tmux, ttyhub,
                                                    tmp_path):
    """The console's last line has no end (a shell's prompt): on a
    terminal, tail ends it, so the shell's prompt is not glued to it;
    interrupted, tail -f does the same.  Into a pipe, the bytes stay as
    the console printed them."""
    prog = tmp_path / "prog.sh"
    prog.write_text("printf 'one\\nguest-prompt# '\nexec sleep 600\n")
    h = hub(exec_console(tmp_path, command="/bin/sh %s" % prog,
                         extra="restart = no"))
    wait_file(tmp_path / "sh.log", b"guest-prompt# ", 10)
    r = tmux.client([ttyhub, "-s", h.sock, "tail", "sh"])
    assert r.wait_exit() == 0
    tmux.wait(r"^guest-prompt# \nEXIT:%s:0:$" % r.tag)
    r = tmux.client([ttyhub, "-s", h.sock, "tail", "--raw", "sh"])
    assert r.wait_exit() == 0
    tmux.wait(r"^guest-prompt# \nEXIT:%s:0:$" % r.tag)
    r = tmux.client([ttyhub, "-s", h.sock, "tail", "-f", "sh"])
    tmux.wait(r"^guest-prompt# $", count=3)
    os.kill(r.pid(), signal.SIGINT)
    assert r.wait_exit() == 130
    tmux.wait(r"^guest-prompt# \nEXIT:%s:130:$" % r.tag)
    p = run(ttyhub, tmp_path, "-s", h.sock, "tail", "sh")
    assert p.returncode == 0 and p.stdout == b"one\nguest-prompt# ", p.stdout


def test_piped_input_refused_as_read_only_fails(hub, ttyhub, tmp_path):
    """A script's input that the console did not take (a read-only
    listener, -r) ends with status 1 and says so; input that went in
    ends with 0."""
    port = free_port()
    h = hub("[ttyhubd]\nbroker-unix = %s\nbroker = 127.0.0.1:%d,ro\n\n" %
            (tmp_path / "broker.sock", port) +
            exec_console(tmp_path, command="/bin/cat"))
    ro = "127.0.0.1:%d" % port
    p = run(ttyhub, tmp_path, "-s", ro, "--no-replay", "sh",
            input=b"refused-1\n")
    assert p.returncode == 1, p.stderr
    assert p.stderr.endswith(b"[ttyhub: sh: read-only: the input was not "
                             b"sent]\n"), p.stderr
    p = run(ttyhub, tmp_path, "-s", h.sock, "-r", "--no-replay", "sh",
            input=b"refused-2\n")
    assert p.returncode == 1, p.stderr
    p = run(ttyhub, tmp_path, "-s", ro, "send", "sh", "refused-3")
    assert p.returncode == 1
    assert p.stderr == b"ttyhub: sh: read-only for you\n", p.stderr
    p = run(ttyhub, tmp_path, "-s", h.sock, "--no-replay", "sh",
            input=b"taken\n")
    assert p.returncode == 0, p.stderr
    # Read-only without input is no failure: watching is what -r is for.
    p = run(ttyhub, tmp_path, "-s", ro, "--no-replay", "sh", input=b"")
    assert p.returncode == 0, p.stderr
    wait_file(tmp_path / "sh.log", b"taken", 10)
    assert b"refused" not in (tmp_path / "sh.log").read_bytes()


def read_for(proc, needle, got, timeout=10):
    """Read a socat's output into got until needle is in it."""
    deadline = time.monotonic() + timeout
    while needle not in got:
        assert time.monotonic() < deadline, bytes(got)
        r, _, _ = select.select([proc.stdout], [], [], 0.1)
        if r:
            b = os.read(proc.stdout.fileno(), 65536)
            assert b, bytes(got)
            got += b
    return bytes(got)


def test_a_consoles_own_socket_is_a_target(hub, ttyhub, tmp_path):
    """`ttyhub -s` at a console's own socket once attached to that
    console whatever name was given, and -l said the daemon spoke an old
    protocol.  Now the name is checked, the commands answer for that
    console, the replay comes once; a raw socket is refused before a
    byte of ours reaches the console; and plain clients of the console's
    listeners (socat, telnet) get what they always got."""
    s1, s2, s3 = (str(tmp_path / n) for n in ("sh.sock", "raw.sock",
                                                "ro.sock"))
    port = free_port()
    h = hub(exec_console(tmp_path, command="/bin/sh -c 'echo boot-line; "
                         "exec cat'", extra="unix = %s %s,raw %s,ro\n"
                         "telnet = 127.0.0.1:%d\n" % (s1, s2, s3, port)) +
            exec_console(tmp_path, name="other", command="/bin/cat"))
    wait_file(tmp_path / "sh.log", b"boot-line", 10)
    # A plain client of the Telnet socket: the opening and the replay at
    # once, as before; its bytes are input.
    plain = subprocess.Popen(["socat", "-", "UNIX-CONNECT:" + s1],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = bytearray()
    got = read_for(plain, b"boot-line\r\n", out)
    assert got == bytes([255, 251, 1, 255, 251, 3, 255, 253, 3, 255, 253,
                         31, 255, 253, 24, 255, 253, 39]) + \
        b"boot-line\r\n", got
    for where in (s1, "127.0.0.1:%d" % port):
        p = run(ttyhub, tmp_path, "-s", where, "-l")
        assert p.returncode == 0, p.stderr
        rows = p.stdout.decode().splitlines()
        assert len(rows) == 2 and rows[1].split()[:4] == ["sh", "exec",
                                                           "up", "1"], rows
    p = run(ttyhub, tmp_path, "-s", s1, "who", "sh")
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 1       # the plain client only
    for args in (["other"], ["who", "other"], ["send", "other", "x"]):
        p = run(ttyhub, tmp_path, "-s", s1, *args, input=b"wrong-name\n")
        assert p.returncode == 1, (args, p.stderr)
        assert p.stderr == (b"ttyhub: this socket is console \"sh\"'s, "
                            b"not \"other\"'s\n"), (args, p.stderr)
    p = run(ttyhub, tmp_path, "-s", s1, "sh", input=b"right-name\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(b"boot-line") == 1, p.stdout
    assert p.stdout.startswith(b"boot-line\r\n") and \
        b"right-name\r\nright-name\r\n" in p.stdout, p.stdout
    p = run(ttyhub, tmp_path, "-s", s1, "tail", "-n", "1", "sh")
    assert p.returncode == 0 and p.stdout == b"right-name\n", p.stdout
    p = run(ttyhub, tmp_path, "-s", s1, "send", "sh", "sent-direct")
    assert p.returncode == 0, p.stderr
    p = run(ttyhub, tmp_path, "-s", s3, "send", "sh", "refused-ro")
    assert p.returncode == 1
    assert p.stderr == b"ttyhub: sh: read-only for you\n", p.stderr
    p = run(ttyhub, tmp_path, "-s", s2, "sh", input=b"refused-raw\n")
    assert p.returncode == 1
    assert p.stderr == ("ttyhub: %s does not speak Telnet: not ttyhubd's "
                        "broker (a console's raw socket? socat or nc "
                        "reaches that)\n" % s2).encode(), p.stderr
    plain.stdin.write(b"plain-last\r")
    plain.stdin.flush()
    got = read_for(plain, b"plain-last\r\nplain-last\r\n", out)
    assert b"sent-direct\r\n" in got
    log = (tmp_path / "sh.log").read_bytes()
    for never in (b"wrong-name", b"refused", b"\xff"):
        assert never not in log, (never, log)
    plain.stdin.close()
    plain.wait(10)
    # A real Telnet client of the console's TCP listener answers the
    # NEW-ENVIRON SEND, which now names the broker's variables too.
    t = pexpect.spawn("telnet 127.0.0.1 %d" % port, timeout=10)
    t.expect("boot-line")
    t.sendline("via-telnet")
    t.expect("via-telnet.*via-telnet")
    t.close(force=True)
    assert h.proc.poll() is None


def test_a_consoles_own_socket_that_refuses_says_why(hub, ttyhub,
                                                     tmp_path):
    """A console's own socket refuses a user its rw and ro lists leave
    out before it can know the client is ttyhub: the client, which drops
    what comes before the answer to its option, still says why."""
    with as_nobody(ttyhub, "ttyhub-acl-") as (d, argv, env):
        sock = os.path.join(d, "sh.sock")
        hub(exec_console(tmp_path, command="/bin/cat", extra="unix = %s\n"
                         "unix-mode = 0666\nrw = root\n" % sock))
        p = subprocess.run(argv + ["-s", sock, "sh"], input=b"denied\n",
                           capture_output=True, timeout=20, env=env)
        assert p.returncode == 1
        assert p.stderr == (b"[ttyhub: sh: connection to ttyhubd lost: it "
                            b"said: not allowed on console \"sh\"]\n"), \
            p.stderr
        p = subprocess.run(argv + ["-s", sock, "-l"], capture_output=True,
                           timeout=20, env=env)
        assert p.returncode == 1
        assert p.stderr == (b"ttyhub: connection to ttyhubd lost: it said: "
                            b"not allowed on console \"sh\"\n"), p.stderr


def test_attach_through_a_consoles_own_socket_in_a_terminal(hub, tmux,
                                                            ttyhub, tmp_path):
    """The same session as through the broker: attached, the window size
    (held while the client named the console) reaches the program,
    escapes work, the terminal is put back."""
    sock = str(tmp_path / "sh.sock")
    hub(exec_console(tmp_path, extra="unix = %s\n" % sock))
    r = tmux.client([ttyhub, "-s", sock, "sh"])
    tmux.wait(r"\[ttyhub: attached to sh \(rw\); ~\? for help\]")
    # The shell may print its first prompt after our line's echo.
    tmux.line("stty size; echo mark-$((6*7))")
    tmux.wait(r"(^|# )30 100$")
    tmux.wait(r"^mark-42$")
    tmux.type("~u")
    tmux.wait(r"^\[ttyhub: sh: rw\s+root \(uid 0, pid \d+\) \(you\)\]$")
    tmux.type("~.")
    tmux.wait(r"^\[ttyhub: sh: detached\]$")
    assert r.wait_exit() == 0
    before, after = r.stty()
    assert before == after


def test_a_read_only_attach_through_a_consoles_socket_leaves_its_size(
        hub, tmux, ttyhub, tmp_path):
    """-r through a console's own socket: the socket attached the client
    as a writer at accept, but its window size, sent before it named the
    console, must not resize the console: it is read-only."""
    sock = str(tmp_path / "sh.sock")
    h = hub(exec_console(tmp_path, extra="unix = %s\n" % sock))
    r = tmux.client([ttyhub, "-s", sock, "-r", "sh"])
    tmux.wait(r"\[ttyhub: attached to sh \(ro\); ~\? for help\]")
    tmux.type("~.")
    assert r.wait_exit() == 0
    p = run(ttyhub, tmp_path, "-s", h.sock, "--no-replay", "sh",
            input=b"stty size\n")
    assert p.returncode == 0, p.stderr
    assert b"\r\n24 80\r\n" in p.stdout, p.stdout
