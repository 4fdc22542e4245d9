"""The ttyhub client as a user runs it: inside a real terminal (a private
tmux server), against a real ttyhubd serving a /bin/sh console.  Keys go
in with send-keys, the screen comes back with capture-pane.

What is checked: attach, type, see output; the console program's window
size follows the terminal, at attach and after a resize; every escape;
detach; and `stty -a` is the same before and after the client, whether
it leaves by ~., SIGTERM, SIGHUP, the daemon dying or the console being
removed, and while it is suspended."""
import os
import signal
import time

from ttyhubtest import exec_console


def conf(tmp_path, extra=""):
    return exec_console(tmp_path, extra=extra)


def attach(tmux, ttyhub, hub, *opts, target="main:0", name="sh"):
    run = tmux.client([ttyhub, "-s", hub.sock] + list(opts) + [name],
                      target)
    tmux.wait(r"\[ttyhub: attached to %s \((rw|ro|writer)\)" % name, target)
    return run


def same_terminal(run):
    if os.environ.get("TTYHUB_TEST_SHOW"):
        print(run.tmux.screen(run.target))
    before, after = run.stty()
    assert before == after, (before, after)


def wait_size(tmux, rows, cols, timeout=20):
    """Until the program's terminal has our new size: a resize travels as
    SIGWINCH to the client, NAWS to the daemon and an ioctl to the pty, so
    ask again (each question marked) until the answer is the new size."""
    deadline = time.monotonic() + timeout
    for n in range(200):
        tmux.line("echo sz%d:$(stty size):" % n)
        m = tmux.wait(r"^sz%d:(\d+ \d+):$" % n)
        if m.group(1) == "%d %d" % (rows, cols):
            return
        assert time.monotonic() < deadline, "size stays %s" % m.group(1)
        time.sleep(0.1)


def test_attach_type_resize_detach(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path))
    run = attach(tmux, ttyhub, h)
    tmux.line("echo hello-$((6*7))")
    tmux.wait(r"^hello-42", literal=False)
    # The program's terminal has the size of ours, from the attach on.
    tmux.line("stty size; echo size-done")
    tmux.wait(r"^30 100$")
    tmux.resize(120, 40)
    wait_size(tmux, 40, 120)
    tmux.resize(100, 30)
    wait_size(tmux, 30, 100)
    tmux.type("~.")
    tmux.wait(r"^\[ttyhub: sh: detached\]$")
    assert run.wait_exit() == 0
    same_terminal(run)


def test_every_escape(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path))
    run = attach(tmux, ttyhub, h)
    tmux.line("echo mark-$((1+1))")
    tmux.wait(r"^mark-2$")
    # ~? lists every escape.
    tmux.type("~?")
    for keys in (r"~\.", "~b", "~r", "~w", "~f", "~u", "~l", r"~\^Z", r"~\?",
                 "~~"):
        tmux.wait(r"^\[ttyhub:   %s\s" % keys)
    # ~u: who is attached; this client is marked.
    tmux.type("~u")
    tmux.wait(r"^\[ttyhub: sh: rw\s+root \(uid 0, pid \d+\) \(you\)\]$")
    # ~r: read-only; what is typed then does not reach the program.
    tmux.type("~r")
    tmux.wait(r"^\[ttyhub: sh: you are read-only now\]$")
    tmux.line("echo ro-$((2+2))")
    tmux.wait(r"^\[ttyhub: read-only: your input is ignored\]$")
    # ~w: writing again.
    tmux.type("~w")
    tmux.wait(r"^\[ttyhub: sh: you may write now\]$")
    tmux.line("echo rw-$((3+3))")
    tmux.wait(r"^rw-6$")
    assert "ro-4" not in tmux.screen().replace("echo ro-$((2+2))", "")
    # ~f with nobody else writing: already writing.
    tmux.type("~f")
    tmux.wait(r"^\[ttyhub: sh: you are writing already\]$")
    # ~l: the recent output again, framed by our own lines.
    tmux.type("~l")
    tmux.wait(r"^\[ttyhub: sh: replaying the recent output\]$")
    tmux.wait(r"^\[ttyhub: sh: end of replay\]$")
    tmux.wait(r"^mark-2$", count=2)
    # ~b: a BREAK reaches the console (its log records it).
    tmux.type("~b")
    tmux.wait(r"^\[ttyhub: sh: BREAK\]$")
    deadline = time.monotonic() + 15
    while b"BREAK from" not in (tmp_path / "sh.log").read_bytes():
        assert time.monotonic() < deadline, "no BREAK in the console log"
        time.sleep(0.05)
    # ~~ at the start of a line sends one ~; a ~ inside a line is text.
    tmux.key("C-u")
    tmux.line('read x; echo "got[$x]"')
    tmux.type("~~z")
    tmux.key("Enter")
    tmux.wait(r"^got\[~z\]$")
    tmux.line("echo a~.b~?c")
    tmux.wait(r"^a~\.b~\?c$")
    # An escape followed by something else sends both.
    tmux.line('read x; echo "got[$x]"')
    tmux.type("~x")
    tmux.key("Enter")
    tmux.wait(r"^got\[~x\]$")
    tmux.type("~.")
    assert run.wait_exit() == 0
    same_terminal(run)


def test_force_and_ask_between_two_clients(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path, "writers = one"))
    first = attach(tmux, ttyhub, h)
    other = tmux.new_window()
    second = attach(tmux, ttyhub, h, target=other)
    tmux.wait(r"^\[ttyhub: sh: read-only: root \(uid 0, pid \d+\) is "
              r"writing\]$", other)
    # Asking is refused while someone writes, and says how to force.
    tmux.type("~w", other)
    tmux.wait(r"is writing \(~f takes over\)\]$", other)
    tmux.type("~f", other)
    tmux.wait(r"^\[ttyhub: sh: you are the writer now\]$", other)
    tmux.wait(r"took over writing; you are read-only\]$")
    tmux.line("echo second-$((5*5))", other)
    tmux.wait(r"^second-25$", other)
    # ~r hands the write to the next in line.
    tmux.type("~r", other)
    tmux.wait(r"^\[ttyhub: sh: you are the writer now\]$")
    tmux.line("echo first-$((4*4))")
    tmux.wait(r"^first-16$")
    tmux.type("~.", other)
    tmux.type("~.")
    assert second.wait_exit() == 0
    assert first.wait_exit() == 0
    same_terminal(first)
    same_terminal(second)


def test_other_escape_characters(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path))
    # -e '^]': Ctrl-] then . detaches; ~. is plain text.
    run = attach(tmux, ttyhub, h, "-e", "^]")
    tmux.wait(r"; \^\]\? for help\]$")
    tmux.line('read x; echo "got[$x]"')
    tmux.type("~.")
    tmux.key("Enter")
    tmux.wait(r"^got\[~\.\]$")
    tmux.key("C-]")
    tmux.type(".")
    tmux.wait(r"^\[ttyhub: sh: detached\]$")
    assert run.wait_exit() == 0
    same_terminal(run)
    # -e none: nothing is an escape; SIGHUP is the way out here.
    run = attach(tmux, ttyhub, h, "-e", "none")
    tmux.line('read x; echo "none[$x]"')
    tmux.type("~.")
    tmux.key("Enter")
    tmux.wait(r"^none\[~\.\]$")
    os.kill(run.pid(), signal.SIGHUP)
    tmux.wait(r"^\[ttyhub: sh: SIGHUP: detached\]$")
    assert run.wait_exit() == 128 + signal.SIGHUP
    same_terminal(run)


def test_sigterm_restores_the_terminal(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path))
    run = attach(tmux, ttyhub, h)
    tmux.line("echo before-term")
    tmux.wait(r"^before-term$")
    os.kill(run.pid(), signal.SIGTERM)
    tmux.wait(r"^\[ttyhub: sh: SIGTERM: detached\]$")
    assert run.wait_exit() == 128 + signal.SIGTERM
    same_terminal(run)


def test_daemon_killed_restores_the_terminal(hub, tmux, ttyhub, tmp_path):
    h = hub(conf(tmp_path))
    run = attach(tmux, ttyhub, h)
    tmux.line("echo before-kill")
    tmux.wait(r"^before-kill$")
    h.proc.kill()
    h.proc.wait(10)
    tmux.wait(r"^\[ttyhub: sh: (ttyhubd closed the connection|connection "
              r"to ttyhubd lost: .*)\]$")
    assert run.wait_exit() == 1
    same_terminal(run)


def test_console_removed_restores_the_terminal(hub, tmux, ttyhub, tmp_path):
    other = exec_console(tmp_path, name="other", command="/bin/cat")
    h = hub(conf(tmp_path) + other)
    run = attach(tmux, ttyhub, h)
    tmux.line("echo before-reload")
    tmux.wait(r"^before-reload$")
    h.rewrite(other)
    tmux.wait(r"^\[ttyhub: sh: console removed from the configuration\]$")
    tmux.wait(r"^\[ttyhub: sh: ttyhubd closed the connection\]$")
    assert run.wait_exit() == 1
    same_terminal(run)


def test_suspend_and_resume(hub, tmux, ttyhub, tmp_path):
    """~^Z stops the client with the terminal as it was; fg makes it raw
    again.  Started on a line of its own: a shell carries on with the rest
    of a list when a job in it stops."""
    h = hub(conf(tmp_path))
    tmux.line("stty -a > s.before")
    tmux.line("%s -s %s sh" % (ttyhub, h.sock))
    tmux.wait(r"\[ttyhub: attached to sh \(rw\)")
    tmux.type("~\x1a")
    # The shell has the terminal back when it says the job stopped; typed
    # before, the line would go to the client.
    tmux.wait(r"Stopped")
    tmux.line("stty -a > s.during; echo SUSPENDED-$((7*7))")
    tmux.wait(r"^SUSPENDED-49$")
    before = (tmp_path / "s.before").read_text()
    assert (tmp_path / "s.during").read_text() == before
    tmux.line("fg")
    # The shell reads one line ("fg") and hands the terminal over: the
    # next line waits in it for the client, which flushes no input.
    tmux.line("echo resumed-$((8*8))")
    tmux.wait(r"^resumed-64$")
    tmux.type("~.")
    tmux.wait(r"^\[ttyhub: sh: detached\]$")
    tmux.line("echo EXIT:s:$?:; stty -a > s.after")
    tmux.wait(r"EXIT:s:0:$")
    deadline = time.monotonic() + 15
    while not (tmp_path / "s.after").exists() or \
            (tmp_path / "s.after").stat().st_size == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (tmp_path / "s.after").read_text() == before


def test_reconnect_after_the_daemon_restarts(hub, tmux, ttyhub, tmp_path):
    text = conf(tmp_path)
    h = hub(text)
    run = attach(tmux, ttyhub, h, "--reconnect")
    tmux.line("echo first-life")
    tmux.wait(r"^first-life$")
    h.stop()
    tmux.wait(r"^\[ttyhub: sh: (ttyhubd closed the connection|connection "
              r"to ttyhubd lost: .*); reconnecting \(~\. leaves\)\]$")
    time.sleep(1.0)
    hub(text)
    tmux.wait(r"^\[ttyhub: sh: reconnected \(rw\)\]$", timeout=20)
    tmux.line("echo second-life-$((9*9))")
    tmux.wait(r"^second-life-81$")
    tmux.type("~.")
    assert run.wait_exit() == 0
    same_terminal(run)


def test_reconnect_waits_for_a_console_to_appear(hub, tmux, ttyhub,
                                                 tmp_path):
    other = exec_console(tmp_path, name="other", command="/bin/cat")
    h = hub(other)
    run = tmux.client([ttyhub, "-s", h.sock, "--reconnect", "sh"])
    tmux.wait(r"^\[ttyhub: sh: no console of that name; reconnecting "
              r"\(~\. leaves\)\]$")
    h.rewrite(other + conf(tmp_path))
    tmux.wait(r"^\[ttyhub: sh: reconnected \((rw|writer)\)\]$", timeout=20)
    tmux.line("echo appeared-$((3*7))")
    tmux.wait(r"^appeared-21$")
    tmux.type("~.")
    assert run.wait_exit() == 0
    same_terminal(run)
