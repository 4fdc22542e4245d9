"""Login sessions as users meet them, through clients nobody here wrote:
inetutils telnet and busybox telnet under pexpect, socat and nc for raw
bytes.  Every test runs against the normal and the ASan+UBSan build."""
import os
import re
import shutil
import time

import pexpect
import pytest

from telnetc import BINARY, Telnet
from ttyhubtest import UPLOAD_SINK, upload, upload_payload, wait_for

PROMPT = re.compile(rb"[#$] $")


def spawn(cmd, rows=24, cols=80):
    child = pexpect.spawn(cmd, dimensions=(rows, cols), timeout=10,
                          env={"TERM": "xterm", "PATH": os.environ["PATH"]})
    return child


def shell_ready(child):
    child.expect(PROMPT)
    # A marker the echoed command line cannot match: printf's octal.
    child.sendline(r"PS1='$ '; printf 'READY\056\n'")
    child.expect(r"READY\.\r\n")
    child.expect(PROMPT)


def sync(child, tries=5):
    """Get back to a shell that takes input.  A full-screen program
    flushes typeahead when it restores the terminal, so a line typed while
    it was leaving can vanish: type a fresh marker until one answers."""
    for n in range(tries):
        child.sendline("printf 'SYNC%d\\056\\n'" % n)
        try:
            child.expect(r"SYNC%d\.\r\n" % n, timeout=3)
            return
        except pexpect.TIMEOUT:
            continue
    raise AssertionError("shell did not come back")


def run(child, cmd, pattern, timeout=10):
    child.sendline(cmd)
    child.expect(pattern, timeout=timeout)
    return child.match


def test_inetutils_telnet_session(daemon):
    d = daemon("-l", "/bin/sh")
    c = spawn("telnet 127.0.0.1 %d" % d.port, rows=30, cols=100)
    shell_ready(c)
    run(c, "echo $((6*7))", r"\r\n42\r\n")
    run(c, "stty size", r"\r\n30 100\r\n")
    c.setwinsize(41, 132)
    # The resize travels as NAWS and must reach the pty.
    deadline = time.monotonic() + 15
    while True:
        c.sendline("stty size")
        i = c.expect([r"\r\n41 132\r\n", r"\r\n30 100\r\n"])
        if i == 0:
            break
        assert time.monotonic() < deadline, "window size did not follow"
        time.sleep(0.2)
    m = run(c, "tty", rb"\r\n(/dev/pts/\d+)\r\n")
    assert m.group(1).startswith(b"/dev/pts/")
    run(c, "echo TERM=$TERM", r"TERM=xterm\r\n")
    # Ctrl-C interrupts a foreground command: the prompt comes back, and
    # the command is gone (it would have run for 100 s).
    c.sendline("sleep 100")
    pid = d.wait_foreground(["sleep", "100"])
    c.sendcontrol("c")
    c.expect(PROMPT, timeout=20)
    wait_for(lambda: not os.path.exists("/proc/%d" % pid), 20,
             "sleep 100 to be interrupted")
    run(c, "echo $((1+1))", r"\r\n2\r\n")
    c.sendline("exit")
    c.expect("Connection closed by foreign host", timeout=10)
    c.expect(pexpect.EOF)


def test_two_sessions_have_their_own_pty(daemon):
    d = daemon("-l", "/bin/sh")
    a = spawn("telnet 127.0.0.1 %d" % d.port)
    b = spawn("telnet 127.0.0.1 %d" % d.port)
    shell_ready(a)
    shell_ready(b)
    ta = run(a, "tty", rb"\r\n(/dev/pts/\d+)\r\n").group(1)
    tb = run(b, "tty", rb"\r\n(/dev/pts/\d+)\r\n").group(1)
    assert ta != tb
    for c in (a, b):
        c.sendline("exit")
        c.expect(pexpect.EOF)


def test_top_and_vi_run(daemon, tmp_path):
    d = daemon("-l", "/bin/sh")
    c = spawn("telnet 127.0.0.1 %d" % d.port, rows=30, cols=100)
    shell_ready(c)
    c.sendline("top")
    c.expect(["load average", "Mem:", "PID"], timeout=15)
    time.sleep(0.5)
    c.send("q")
    sync(c)

    vi = "vi" if shutil.which("vi") else "busybox vi"
    target = tmp_path / "vi-test.txt"
    c.sendline("%s %s" % (vi, target))
    c.expect_exact("~", timeout=20)         # its screen: it reads keys now
    c.send("ihello from vi")
    c.send("\x1b")
    time.sleep(0.3)
    c.send(":wq\r")
    deadline = time.monotonic() + 10
    while not (target.exists() and target.read_text().strip()):
        assert time.monotonic() < deadline, "vi did not write the file"
        time.sleep(0.1)
    sync(c)
    assert target.read_text().strip() == "hello from vi"
    c.sendline("exit")
    c.expect(pexpect.EOF)


def test_busybox_telnet(daemon):
    d = daemon("-l", "/bin/sh")
    c = spawn("busybox telnet 127.0.0.1 %d" % d.port, rows=25, cols=90)
    shell_ready(c)
    run(c, "echo $((6*7))", r"\r\n42\r\n")
    run(c, "stty size", r"\r\n25 90\r\n")
    c.sendline("exit")
    c.expect(pexpect.EOF)


def test_socat_raw(daemon):
    d = daemon("-l", "/bin/sh", "--negotiate-ms", "200")
    c = spawn("socat -,raw,echo=0 TCP:127.0.0.1:%d" % d.port)
    c.expect(PROMPT)
    c.send("echo $((6*7))\r")
    c.expect(r"\r\n42\r\n")
    c.send("exit\r")
    c.expect(pexpect.EOF)


def test_nc_raw(daemon):
    d = daemon("-l", "/bin/sh", "--negotiate-ms", "200")
    c = spawn("nc 127.0.0.1 %d" % d.port)
    c.expect(PROMPT)
    c.send("echo $((6*7))\n")
    # nc writes to pexpect's own pty, which turns our CR LF into CR CR LF.
    c.expect(r"\r\n42\r+\n")
    c.send("exit\n")
    deadline = time.monotonic() + 10
    while "closed" not in d.output().split("started /bin/sh", 1)[-1]:
        assert time.monotonic() < deadline, "session did not end"
        time.sleep(0.1)
    c.terminate(force=True)


def test_telnetd_symlink_is_the_same(daemon, tmp_path, build):
    link = tmp_path / "telnetd"
    os.symlink(build, link)
    d = daemon("-l", "/bin/sh", binary=str(link))
    c = spawn("telnet 127.0.0.1 %d" % d.port)
    shell_ready(c)
    run(c, "echo $((6*7))", r"\r\n42\r\n")
    c.sendline("exit")
    c.expect(pexpect.EOF)
    d.wait_output("telnetd: ")


@pytest.mark.parametrize("flag", [[], ["-K"]])
def test_exit_delivers_all_output_then_closes(daemon, flag):
    """What the program printed just before it exited reaches the client
    before the connection closes.  (A client that reads everything: the
    inetutils client itself drops tty output it still holds when the
    connection ends.)"""
    d = daemon("-l", "/bin/sh", *flag)
    for _ in range(3):
        t = Telnet(d.port)
        t.expect(b"# ")
        t.send(b"seq 1 50000; exit\r\n")
        data = t.wait_closed(30)
        lines = data.split(b"\r\n")
        assert b"50000" in lines and b"49999" in lines
        assert data.endswith(b"50000\r\n")
        t.close()


def test_a_login_program_that_cannot_run_is_named_and_the_next_is_served(
        daemon, tmp_path):
    """The child that execs the login program shares the daemon's memory
    until it has (vfork): when the exec fails (here a script whose
    interpreter is missing), it says so on the terminal and exits, and
    the daemon, which waited for it, goes on serving the next session."""
    prog = tmp_path / "login"
    prog.write_text("#!/nonexistent/interpreter\n")
    prog.chmod(0o755)
    d = daemon("-l", str(prog))
    for _ in range(3):
        t = Telnet(d.port)
        data = t.wait_closed(20)
        assert b"ttyhubd: cannot run the login program\r" in data, data
        t.close()
    wait_for(lambda: d.output().count("ended: exit status 127") >= 3, 20,
             "no exit status 127 logged:\n" + d.output())
    assert d.proc.poll() is None


def test_issue_file_is_shown(daemon, tmp_path):
    issue = tmp_path / "issue.net"
    issue.write_text("Welcome to the test lab\nsecond line\n")
    d = daemon("-l", "/bin/sh", "-f", str(issue))
    c = spawn("telnet 127.0.0.1 %d" % d.port)
    c.expect(r"Welcome to the test lab\r\nsecond line\r\n")
    shell_ready(c)
    c.sendline("exit")
    c.expect(pexpect.EOF)


def test_sighup_rereads_the_issue_file_and_keeps_serving(daemon, tmp_path):
    issue = tmp_path / "issue.net"
    issue.write_text("first banner\n")
    d = daemon("-l", "/bin/sh", "-f", str(issue))
    c = spawn("telnet 127.0.0.1 %d" % d.port)
    c.expect("first banner")
    shell_ready(c)
    issue.write_text("second banner\n")
    os.kill(d.pid, 1)
    deadline = time.monotonic() + 15
    while "SIGHUP" not in d.output():
        assert time.monotonic() < deadline, d.output()
        time.sleep(0.05)
    run(c, "echo $((6*7))", r"\r\n42\r\n")   # the old session lives on
    c2 = spawn("telnet 127.0.0.1 %d" % d.port)
    c2.expect("second banner")
    for x in (c, c2):
        x.sendline("exit")
        x.expect(pexpect.EOF)


@pytest.mark.parametrize("cmd", ["telnet", "busybox telnet"])
def test_a_variable_sent_without_a_value_is_not_set(daemon, cmd):
    """inetutils telnet answers NEW-ENVIRON SEND by naming every variable
    asked for; one it does not export comes valueless.  That is not
    given: the program finds LANG unset, not set empty.  (busybox refuses
    NEW-ENVIRON.)"""
    d = daemon("-l", "/bin/sh", "--accept-env", "LANG")
    c = spawn("%s 127.0.0.1 %d" % (cmd, d.port))
    shell_ready(c)
    run(c, r"""printf 'LANG\072[%s]\n' "${LANG-unset}" """,
        r"LANG:\[unset\]\r\n")
    c.sendline("exit")
    c.expect(pexpect.EOF)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "text"])
def test_a_binary_upload_arrives_exact(daemon, tmp_path, binary):
    """A file pushed through the session (half of a binary one is 0xFF,
    doubled on the wire) reaches the program byte for byte, however the
    client's writes cut the IAC pairs and CR LF; without BINARY a CR LF or
    CR NUL is the CR the person typed."""
    want = len(upload_payload(binary)[1])
    prog = tmp_path / "sink.py"
    prog.write_text(UPLOAD_SINK)
    sh = tmp_path / "sink.sh"
    sh.write_text("#!/bin/sh\nexec /usr/bin/python3 %s %d\n" % (prog, want))
    sh.chmod(0o755)
    d = daemon("-l", str(sh))
    t = Telnet(d.port, agree={BINARY} if binary else ())
    upload(t, binary)
    t.close()



# What the program started on the terminal finds, with no more than sh's
# builtins, so that nothing a program does at its start (Python ignores
# SIGPIPE; sh catches SIGCHLD) is in the way: what it blocks and ignores, and whether /dev/tty (its
# controlling terminal) opens.
CLEAN_SH = r"""#!/bin/sh
sig=
while read -r k v; do
	case $k in SigBlk:|SigIgn:) sig="$sig $k$v";; esac
done < /proc/self/status
if exec 4<>/dev/tty; then tty=yes; else tty=no; fi
echo "CLEAN$sig tty=$tty"
read -r x
"""


# Runs the daemon with signals 32 and 33 ignored, as a parent may leave
# them: glibc's sigaction cannot change them, the kernel's call can.
IGNORING_WRAPPER = r"""#!/usr/bin/python3
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
ign = (ctypes.c_ulong * 16)()
ign[0] = 1                                  # SIG_IGN, no flags, no mask
for sig in (32, 33):
    if libc.syscall(13, sig, ign, None, 8) != 0:    # rt_sigaction, x86-64
        sys.exit("cannot ignore signal %d" % sig)
os.execv(DAEMON, [DAEMON] + sys.argv[1:])
"""


@pytest.mark.parametrize("parent", ["plain", "ignoring"])
def test_the_program_starts_clean(daemon, build, tmp_path, parent):
    """The login program has the pty as its controlling terminal, no
    signal ignored (the daemon ignores SIGPIPE; glibc's posix_spawn left
    its internal 32 and 33 ignored, and a parent may ignore them: they
    are inherited through fork and exec) and none blocked."""
    if parent == "ignoring" and os.uname().machine != "x86_64":
        pytest.skip("the wrapper's system call number is x86-64's")
    sh = tmp_path / "clean.sh"
    sh.write_text(CLEAN_SH)
    sh.chmod(0o755)
    binary = None
    if parent == "ignoring":
        binary = tmp_path / "ignoring-ttyhubd"
        binary.write_text(IGNORING_WRAPPER.replace("DAEMON",
                                                   repr(str(build))))
        binary.chmod(0o755)
        binary = str(binary)
    d = daemon("-l", str(sh), binary=binary)
    t = Telnet(d.port)
    m = t.expect_re(rb"CLEAN[^\r\n]*\r\n")
    assert m.group(0) == (b"CLEAN SigBlk:0000000000000000 "
                          b"SigIgn:0000000000000000 tty=yes\r\n")
    t.close()
