"""What a user meets in the first hour with the ttyhub client: usage
messages, exit statuses a script can rely on, and output that leaves the
shell's prompt where it belongs.  Each test here is a report that was
made."""
import os
import signal
import time

from clienttest import exec_console, run
from ttyhubtest import free_port


def wait_log(path, needle, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if needle in path.read_bytes():
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "%s never had %r" % (path,
                                                                 needle)
        time.sleep(0.05)


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
    wait_log(tmp_path / "sh.log", b"guest-prompt# ")
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
    wait_log(tmp_path / "sh.log", b"taken")
    assert b"refused" not in (tmp_path / "sh.log").read_bytes()
