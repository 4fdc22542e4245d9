"""The seed's scenario: a telnet daemon inside a QEMU guest, reached from the host.

Inside the guest `telnetd -F -l /bin/sh` (or, daemonizing, `telnetd -l /bin/sh`) listens on
port 23; the host connects to the hostfwd port with inetutils telnet driven by pexpect.

Implementations:
  busybox  - BusyBox's telnetd (/usr/sbin/telnetd -> /bin/busybox), the reference;
  ttyhubd  - build/ttyhubd-static copied in as /bin/ttyhubd, /usr/sbin/telnetd -> ttyhubd.
Anything that passes with busybox and fails with ttyhubd is a ttyhubd bug.
"""

import re
import time

import pytest

import guestrig
from guestrig import TelnetClient

ROWS, COLS = 33, 101          # initial pty size of the client: NAWS must carry it
ROWS2, COLS2 = 41, 123        # after setwinsize
FIFO_LINES = 200

VARIANTS = [("busybox", "foreground"), ("busybox", "daemon"),
            ("ttyhubd", "foreground"), ("ttyhubd", "daemon")]


class TelnetdGuest:
    def __init__(self, guest, impl, mode):
        self.guest, self.impl, self.mode = guest, impl, mode
        self.port = guest.fwd[23]

    def client(self, rows=ROWS, cols=COLS, **kw):
        return TelnetClient(self.port, rows=rows, cols=cols, **kw)

    def diagnostics(self):
        r = self.guest.run("cat /tmp/telnetd.log 2>/dev/null; ps -o pid,ppid,stat,args; "
                           "netstat -tn", timeout=15)
        return "guest state:\n%s\n%s" % (r.output, self.guest.diagnostics(15))


@pytest.fixture(scope="module", params=VARIANTS, ids=["%s-%s" % v for v in VARIANTS])
def td(request, rig):
    impl, mode = request.param
    if impl == "ttyhubd":
        path = request.getfixturevalue("ttyhubd_static")
        initrd = rig.initramfs(files={"/bin/ttyhubd": path},
                               symlinks={"/usr/sbin/telnetd": "/bin/ttyhubd"})
        expect_target = "/bin/ttyhubd"
    else:
        initrd = rig.initramfs()
        expect_target = "/bin/busybox"
    # e1000 as in the seed (the rig's own tests use virtio-net)
    g = guestrig.Guest(rig, initrd, name="telnetd-%s-%s" % (impl, mode), nic_model="e1000",
                       forwards={23: 0, 2323: 0})
    g.start()
    try:
        r = g.run("readlink /usr/sbin/telnetd", check=True)
        assert r.output.strip() == expect_target, "telnetd is %r" % r.output
        # Debian's busybox-static shell prefers its applets to $PATH (FEATURE_SH_STANDALONE):
        # a bare `telnetd` would run busybox's applet even with ttyhubd first in $PATH. The
        # path makes the shell exec the symlink, so argv[0] is still .../telnetd.
        if mode == "foreground":
            # as the seed types it at the console, backgrounded so the console stays usable
            # (typed: a job of the interactive shell, so SIGINT is not ignored in it)
            r = g.run("/usr/sbin/telnetd -F -l /bin/sh </dev/null >/tmp/telnetd.log 2>&1 &\n"
                      "echo $! >/tmp/telnetd.pid", typed=True)
        else:
            r = g.run("/usr/sbin/telnetd -l /bin/sh >/tmp/telnetd.log 2>&1", typed=True)
            assert r.status == 0, "telnetd -l /bin/sh exited %d: %s" % (r.status, r.output)
        # bounded wait for the listening socket, then check which program owns it
        lst = g.tcp_listener(23, timeout=5)
        log = g.run("cat /tmp/telnetd.log").output
        assert lst, "telnetd (%s, %s) is not listening on :23; its output: %s" % (impl, mode, log)
        assert lst[1] == expect_target, "port 23 is served by %r" % (lst,)
        yield TelnetdGuest(g, impl, mode)
    finally:
        g.cleanup()


@pytest.fixture
def clients(td):
    made = []

    def make(**kw):
        c = td.client(**kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_prompt_and_command(td, clients):
    c = clients()
    out = c.sh("echo $((6*7))")
    assert out.splitlines() == ["42"], out
    # the shell runs on a pty of its own, as session leader with a controlling tty
    out = c.sh("tty; [ $$ = $(cut -d' ' -f6 /proc/$$/stat) ] && echo sessleader")
    assert re.match(r"/dev/pts/\d+\nsessleader$", out), out


def wait_sleep_foreground(g, timeout=60):
    """Until a `sleep 100` in the guest is the foreground job of its
    terminal (pgrp = the tty's, /proc/PID/stat fields 5 and 8), so that a
    Ctrl-C now is its; asked on the guest's own console."""
    deadline = time.monotonic() + timeout
    while True:
        out = g.run(r"""for p in $(pidof sleep); do set -- $(cat /proc/$p/stat)
[ "$5" = "$8" ] && [ "$(tr '\0' ' ' </proc/$p/cmdline)" = "sleep 100 " ] && echo FG-$p
done""").output
        if "FG-" in out:
            return
        assert time.monotonic() < deadline, "sleep 100 never in the foreground"
        time.sleep(0.1)


def test_ctrl_c_interrupts_sleep(td, clients):
    c = clients()
    c.send("sleep 100\r")
    c.expect("sleep 100\r\n")
    wait_sleep_foreground(td.guest)
    # The prompt back long before sleep's 100 s.
    c.child.sendcontrol("c")
    c.expect_prompt(timeout=30)
    assert c.sh("echo $((6*7))").splitlines()[-1] == "42"


def test_top_runs_and_quits(td, clients):
    c = clients()
    c.send("top\r")
    c.expect(r"Mem: .* used")
    c.expect(r"PID\s+PPID\s+USER")
    c.send("q")
    c.expect_prompt(timeout=5)
    assert c.sh("echo $((6*7))").splitlines()[-1] == "42"


def test_window_size_follows_client(td, clients):
    c = clients()
    assert c.sh("stty size") == "%d %d" % (ROWS, COLS)
    c.setwinsize(ROWS2, COLS2)
    want, got = "%d %d" % (ROWS2, COLS2), None
    for _ in range(20):                      # NAWS travels asynchronously: bounded retries
        got = c.sh("stty size")
        if got == want:
            break
        time.sleep(0.1)
    assert got == want, "stty size after resize: %r, want %r" % (got, want)


def test_two_sessions_fifo(td, clients):
    reader, writer = clients(), clients()
    assert reader.sh("rm -f /tmp/fifo; mkfifo /tmp/fifo; echo ok") == "ok"
    reader.send("cat /tmp/fifo\r")
    reader.expect("cat /tmp/fifo\r\n")
    writer.sh("for i in $(seq 1 %d); do echo line$i; done > /tmp/fifo" % FIFO_LINES,
              timeout=20)
    got = reader.expect_prompt(timeout=20)
    nums = [int(n) for n in re.findall(r"line(\d+)\r\n", got)]
    assert nums == list(range(1, FIFO_LINES + 1)), "reader got %d lines: %r" % (len(nums),
                                                                              got[-500:])


def _zombies(c):
    out = c.sh("ps -o pid,ppid,stat,args")
    return [l for l in out.splitlines()[1:] if re.match(r"\s*\d+\s+\d+\s+\S*Z", l)], out


def test_exit_closes_and_daemon_keeps_serving(td, clients):
    for round_ in range(3):
        c = clients()
        assert c.sh("echo $((6*7))").splitlines()[-1] == "42"
        c.send("exit\r")
        c.expect("Connection closed by foreign host", timeout=5)
        c.expect(c.pexpect.EOF, timeout=5)
    # a third session sees no zombie (reaping may lag a moment: bounded retries)
    c = clients()
    for _ in range(20):
        zombies, ps = _zombies(c)
        if not zombies:
            break
        time.sleep(0.1)
    assert not zombies, "zombies left in the guest:\n%s\n%s" % (ps, td.diagnostics())
    if td.mode == "foreground":
        assert c.sh("kill -0 $(cat /tmp/telnetd.pid) && echo alive") == "alive"


def test_sessions_are_independent(td, clients):
    """Closing one session (killing its shell) leaves another one working."""
    a, b = clients(), clients()
    a_pid = a.sh("echo $$")
    assert b.sh("kill -9 %s; echo $((6*7))" % a_pid).splitlines()[-1] == "42"
    a.expect("Connection closed by foreign host", timeout=5)
    assert b.sh("echo $((7*6))").splitlines()[-1] == "42"


def test_ctrl_c_when_started_with_sigint_ignored(td, clients, request):
    """A daemon started from a script's background job inherits SIGINT ignored (POSIX).

    The sessions it gives out must still get a working Ctrl-C: the daemon should reset
    signal dispositions before it execs the login program. BusyBox telnetd does not (known
    BusyBox weakness, kept as the reference's expected failure).
    """
    if td.mode != "foreground":
        pytest.skip("checked once per implementation, in the foreground variant")
    if td.impl == "busybox":
        request.applymarker(pytest.mark.xfail(
            strict=True, reason="busybox telnetd keeps SIGINT ignored in its sessions"))
    g = td.guest
    # a script (not typed): its & job gets SIGINT/SIGQUIT set to SIG_IGN
    r = g.run("/usr/sbin/telnetd -F -p 2323 -l /bin/sh </dev/null >/tmp/td2.log 2>&1 &\n"
              "echo $!")
    pid = int(r.output.split()[-1])
    try:
        assert g.tcp_listener(2323, timeout=5), "no listener on :2323"
        c = TelnetClient(g.fwd[2323], rows=ROWS, cols=COLS)
        try:
            c.send("sleep 100\r")
            c.expect("sleep 100\r\n")
            wait_sleep_foreground(g)
            c.child.sendcontrol("c")
            c.expect_prompt(timeout=10)
        finally:
            c.close()
    finally:
        g.run("kill %d" % pid)
