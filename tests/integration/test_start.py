"""Starting ttyhubd as people do: the README's two examples side by side,
in the background (where it says where it listens, its pid, and whether
syslog will hear it), and as a user without XDG_RUNTIME_DIR.

These are about the default paths (/run/ttyhub/ttyhub.sock,
/tmp/ttyhub-UID/, /dev/log), so each test runs its programs in a mount
namespace of its own (a Box: unshare -m; we run as root) with fresh
tmpfs on /tmp and /run, and for the syslog tests on /dev: the real paths,
touching nothing outside the test.  A daemon that goes to the background
is made our child while it starts (we are its subreaper), so the test
ends it by the pid it printed and reaps it."""
import ctypes
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import time

import pytest

from ttyhubtest import ROOT, SAN_MARKERS, free_port, processes, wait_for

NOBODY = pwd.getpwnam("nobody")
PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)

# The Box's setup, run by sh in the new namespace (mounts there are
# private: unshare -m makes them so).  With BOX_DEV=1, /dev is a tmpfs
# holding only what the programs need, so /dev/log is ours to make or
# leave out.
SETUP = r"""
set -e
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
if [ "$BOX_DEV" = 1 ]; then
	mkdir /run/hostdev
	mount --rbind /dev /run/hostdev
	mount -t tmpfs -o mode=755 tmpfs /dev
	for n in null zero full random urandom tty; do
		touch /dev/$n
		mount --bind /run/hostdev/$n /dev/$n
	done
	mkdir /dev/pts /dev/shm
	mount --bind /run/hostdev/pts /dev/pts
	ln -s pts/ptmx /dev/ptmx
	ln -s /proc/self/fd /dev/fd
	umount -l /run/hostdev
	rmdir /run/hostdev
fi
echo ready
exec sleep 600
"""


def subreaper(on):
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children():
    """The pids whose parent we are."""
    me = str(os.getpid())
    return {pid for pid, fields in processes() if fields[1] == me}


def holds_socket(pid, path):
    """Whether process pid has a unix socket bound to path open (the
    socket's inode from /proc/net/unix among its fds)."""
    inodes = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) == 8 and fields[7] == path:
                inodes.add("socket:[%s]" % fields[6])
    fds = "/proc/%d/fd" % pid
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)) in inodes:
                return True
        except OSError:
            pass
    return False


class Box:
    """A mount namespace with private /tmp and /run (and /dev with
    dev=True), and a copy of the build's ttyhubd and ttyhub in /tmp/bin
    (the tree may be under /tmp, or closed to nobody).  Its files are
    reached from here through /proc/PID/root; commands run in it through
    nsenter, as root or as nobody."""

    def __init__(self, tmp_path, build, dev=False):
        self.tmp = tmp_path
        self.procs = []
        self.daemons = {}	# pid of a daemon in the background: reaped
        env = dict(os.environ, BOX_DEV="1" if dev else "0")
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             SETUP], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd="/")
        self.pid = self.holder.pid
        r, _, _ = select.select([self.holder.stdout], [], [], 10)
        line = self.holder.stdout.readline() if r else b""
        if line != b"ready\n":
            self.holder.kill()
            self.holder.wait(5)
            raise RuntimeError("no mount namespace: %r" %
                               self.holder.stderr.read())
        os.mkdir(self.path("/tmp/bin"), 0o755)
        for name in ("ttyhubd", "ttyhub"):
            shutil.copy(os.path.join(os.path.dirname(build), name),
                        self.path("/tmp/bin/" + name))
        self.ttyhubd = "/tmp/bin/ttyhubd"
        self.ttyhub = "/tmp/bin/ttyhub"

    def path(self, p):
        return "/proc/%d/root%s" % (self.pid, p)

    def write(self, p, text, mode=0o644):
        with open(self.path(p), "w") as f:
            f.write(text)
        os.chmod(self.path(p), mode)

    def env(self, **extra):
        """A clean environment: no XDG_RUNTIME_DIR, no TTYHUB_SOCKET;
        sanitizer reports go to files under /tmp, checked at the end."""
        env = {"PATH": "/usr/bin:/bin",
               "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:"
                               "log_path=/tmp/asan",
               "UBSAN_OPTIONS": "print_stacktrace=1:log_path=/tmp/asan"}
        env.update(extra)
        return env

    def cmd(self, args, user):
        pre = ["nsenter", "-t", str(self.pid), "-m", "--"]
        if user is not None:
            pre += ["setpriv", "--reuid=%d" % user.pw_uid,
                    "--regid=%d" % user.pw_gid, "--clear-groups"]
        return pre + [str(a) for a in args]

    def run(self, args, user=None, env=None, input=None, timeout=30):
        return subprocess.run(self.cmd(args, user), input=input,
                              capture_output=True, timeout=timeout,
                              env=env or self.env(), cwd="/")

    def popen(self, args, user=None, env=None):
        """A program left running (a daemon with -F): its output goes to
        a file, read with output()."""
        log = self.tmp / ("out-%d.log" % len(self.procs))
        f = open(log, "wb")
        p = subprocess.Popen(self.cmd(args, user), stdout=f, stderr=f,
                             env=env or self.env(), cwd="/")
        p.log = log
        p.logf = f
        self.procs.append(p)
        return p

    @staticmethod
    def output(p):
        p.logf.flush()
        return p.log.read_text(errors="replace")

    def background(self, args, user=None, env=None):
        """Run a daemon that goes to the background, to the end of its
        first process.  Returns that and the pid it said it left running;
        whatever it did leave running became our child (a daemon that
        says nothing is still ended at the end), and must be that pid."""
        before = children()
        subreaper(True)
        try:
            p = self.run(args, user, env)
        finally:
            subreaper(False)
        left = children() - before
        for pid in left:
            self.daemons[pid] = None
        m = re.search(rb"running in the background as pid (\d+)", p.stderr)
        said = int(m.group(1)) if m else None
        assert left <= {said}, (left, p.stderr)
        return p, said

    def end(self, pid):
        """SIGTERM a daemon we put in the background; its wait status."""
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                self.daemons[pid] = status
                return status
            assert time.monotonic() < deadline, "pid %d did not end" % pid
            time.sleep(0.02)

    def close(self):
        """End everything; the text of any sanitizer report."""
        for pid, status in list(self.daemons.items()):
            if status is None:
                self.end(pid)
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            p.logf.close()
        reports = ""
        for name in os.listdir(self.path("/tmp")):
            if name.startswith("asan."):
                with open(self.path("/tmp/" + name), errors="replace") as f:
                    reports += f.read()
        for p in self.procs:
            reports += p.log.read_text(errors="replace")
        self.holder.kill()
        self.holder.wait(5)
        return reports


@pytest.fixture
def box(build, tmp_path):
    """Factory: box(dev=False) makes a Box with the build under test; all
    are closed at the end, and a sanitizer report from anything run in
    one fails the test."""
    made = []

    def make(dev=False):
        made.append(Box(tmp_path, build, dev))
        return made[-1]

    yield make
    for b in made:
        reports = b.close()
        for marker in SAN_MARKERS:
            assert marker not in reports, reports


def answers(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def tcp_answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def readme_examples():
    """The README's console example (vm1.conf, ttyhubd -F) and client
    example (sh.conf, ttyhubd in the background), as written there."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"\ncat > vm1\.conf <<'END'\n(.*?\n)END\n"
                  r"ttyhubd -F -c vm1\.conf\ntelnet 127\.0\.0\.1 7001 ",
                  text, re.S)
    assert m, "README: the vm1.conf example changed; update this test"
    vm1 = m.group(1)
    m = re.search(r"\nprintf '(\[console sh\][^']*)' > sh\.conf && "
                  r"ttyhubd -c sh\.conf\nttyhub sh ", text)
    assert m, "README: the sh.conf example changed; update this test"
    return vm1, m.group(1).replace("\\n", "\n")


def test_the_readme_examples_run_side_by_side(box):
    """The README's two daemons at once, as root, each as the README
    starts it: the first keeps its broker off the default socket, so
    the second gets it and `ttyhub sh` finds it with no options."""
    b = box()
    vm1, sh = readme_examples()
    port = free_port()
    assert "telnet = 127.0.0.1:7001\n" in vm1
    b.write("/tmp/vm1.conf", vm1.replace("7001", str(port)))
    b.write("/tmp/sh.conf", sh)
    first = b.popen([b.ttyhubd, "-F", "-c", "/tmp/vm1.conf"])
    wait_for(lambda: first.poll() is not None or tcp_answers(port), 10,
             "the first daemon did not start")
    assert first.poll() is None, b.output(first)

    p, pid = b.background([b.ttyhubd, "-c", "/tmp/sh.conf"])
    assert p.returncode == 0, p.stderr
    assert pid is not None, p.stderr

    client = b.ttyhub
    p = b.run([client, "-l"])
    assert p.returncode == 0, p.stderr
    assert [r.split()[0] for r in p.stdout.decode().splitlines()[1:]] == \
        ["sh"]
    p = b.run([client, "sh"], input=b"echo side-by-$((6*7))\n")
    assert p.returncode == 0, p.stderr
    assert b"side-by-42" in p.stdout
    p = b.run([client, "-s", "/tmp/vm1-hub.sock", "-l"])
    assert p.returncode == 0, p.stderr
    assert [r.split()[0] for r in p.stdout.decode().splitlines()[1:]] == \
        ["vm1"]
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.settimeout(5)
        assert s.recv(100).startswith(b"\xff")	# its Telnet opening
    assert b.end(pid) == 0
    assert first.poll() is None, b.output(first)


def test_a_second_daemon_is_told_which_key_moves_its_socket(box):
    """Two daemons cannot share a broker socket; the second one's
    message names broker-unix, for the default socket and for one the
    file gave."""
    b = box()
    b.write("/tmp/a.conf", "[console a]\ntype = exec\ncommand = /bin/cat\n")
    first = b.popen([b.ttyhubd, "-F", "-c", "/tmp/a.conf"])
    wait_for(lambda: answers(b.path("/run/ttyhub/ttyhub.sock")), 10,
             "the first daemon did not start: " + b.output(first))
    p = b.run([b.ttyhubd, "-F", "-c", "/tmp/a.conf"])
    assert p.returncode == 1
    assert p.stderr == (
        b"ttyhubd: broker: /run/ttyhub/ttyhub.sock is in use by another "
        b"process (another ttyhubd? give this one its own: broker-unix = "
        b"PATH, or none, in the [ttyhubd] section)\n"), p.stderr

    b.write("/tmp/b.conf", "[ttyhubd]\nbroker-unix = /tmp/b.sock\n"
            "[console b]\ntype = exec\ncommand = /bin/cat\n")
    b.popen([b.ttyhubd, "-F", "-c", "/tmp/b.conf"])
    wait_for(lambda: answers(b.path("/tmp/b.sock")), 10,
             "the daemon with broker-unix did not start")
    p = b.run([b.ttyhubd, "-F", "-c", "/tmp/b.conf"])
    assert p.returncode == 1
    assert p.stderr == (
        b"ttyhubd: broker: /tmp/b.sock is in use by another process "
        b"(another ttyhubd? move this one's with broker-unix in the "
        b"[ttyhubd] section)\n"), p.stderr
    assert first.poll() is None, b.output(first)


@pytest.mark.parametrize("syslog", ["syslog", "no-syslog"])
def test_in_the_background_it_says_where_it_listens_and_its_pid(box, syslog):
    """Without -F: each listener and the pid left running, on stderr
    before the first process exits; a word when nothing listens on
    /dev/log (the messages from then on would be lost); with a syslog,
    the messages go there under that pid."""
    b = box(dev=True)
    if syslog == "syslog":
        b.popen(["socat", "-u", "UNIX-RECV:/dev/log,mode=666",
                 "OPEN:/tmp/syslog,creat,append"])
        wait_for(lambda: os.path.exists(b.path("/dev/log")), 10,
                 "socat did not make /dev/log")
        warning = []
        last = "; messages go to syslog"
    else:
        warning = ["ttyhubd: syslog is unreachable (/dev/log: No such file "
                   "or directory): messages from the background will be "
                   "lost (-F keeps it in front, logging to standard error)"]
        last = ""
    port = free_port()
    b.write("/tmp/sh.conf", "[console sh]\ntype = exec\n"
            "command = /bin/cat\ntelnet = %d\n" % port)
    p, pid = b.background([b.ttyhubd, "-c", "/tmp/sh.conf"])
    assert p.returncode == 0, p.stderr
    assert p.stderr.decode().splitlines() == warning + [
        "ttyhubd: console sh: listening on 127.0.0.1 port %d (telnet)" % port,
        "ttyhubd: broker: listening on /run/ttyhub/ttyhub.sock",
        "ttyhubd: /tmp/sh.conf: 1 console",
        "ttyhubd: running in the background as pid %d%s" % (pid, last)]
    # That pid is the daemon (background() saw it stay): it holds the
    # broker's socket, which answers, and ending it removes the socket.
    assert holds_socket(pid, "/run/ttyhub/ttyhub.sock")
    p = b.run([b.ttyhub, "-l"])
    assert p.returncode == 0 and b"\nsh " in p.stdout, p.stderr
    if syslog == "syslog":
        wait_for(lambda: b"ttyhubd[%d]: console sh: exec backend up" % pid
                 in open(b.path("/tmp/syslog"), "rb").read(), 10,
                 "the daemon's messages did not reach syslog")
    assert b.end(pid) == 0
    assert not os.path.exists(b.path("/run/ttyhub/ttyhub.sock"))
    if syslog == "syslog":
        wait_for(lambda: b"ttyhubd[%d]: signal 15: shutting down" % pid
                 in open(b.path("/tmp/syslog"), "rb").read(), 10,
                 "the daemon's last message did not reach syslog")

    # Login sessions (no -c) say the same.
    p, pid = b.background([b.ttyhubd, "-b", "127.0.0.1:%d" % port, "-l",
                           "/bin/cat", "-f", "/dev/null"])
    assert p.returncode == 0, p.stderr
    assert p.stderr.decode().splitlines() == warning + [
        "ttyhubd: listening on 127.0.0.1 port %d" % port,
        "ttyhubd: running in the background as pid %d%s" % (pid, last)]
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.settimeout(5)
        assert s.recv(100).startswith(b"\xff")
    assert b.end(pid) == 0


def test_a_user_without_xdg_runtime_dir_gets_a_broker(box):
    """A user's daemon with no XDG_RUNTIME_DIR puts its broker in
    /tmp/ttyhub-UID (made 0700), and the user's client finds it there
    without being told."""
    b = box()
    b.write("/tmp/sh.conf", "[console sh]\ntype = exec\ncommand = /bin/cat\n")
    d = b.popen([b.ttyhubd, "-F", "-c", "/tmp/sh.conf"], user=NOBODY)
    sock = "/tmp/ttyhub-%d/ttyhub.sock" % NOBODY.pw_uid
    wait_for(lambda: d.poll() is not None or answers(b.path(sock)), 10,
             "no broker socket")
    assert d.poll() is None, b.output(d)
    # Said once listen() is done: the socket may answer a moment before.
    wait_for(lambda: "ttyhubd: broker: listening on %s\n" % sock in
             b.output(d), 10, lambda: "the broker's line in:\n" +
             b.output(d))
    st = os.lstat(b.path(os.path.dirname(sock)))
    assert (st.st_uid, oct(st.st_mode)) == (NOBODY.pw_uid, oct(0o40700))
    client = b.ttyhub
    p = b.run([client, "-l"], user=NOBODY)
    assert p.returncode == 0, p.stderr
    assert b"\nsh " in p.stdout
    p = b.run([client, "send", "sh", "hello-from-nobody"], user=NOBODY)
    assert p.returncode == 0, p.stderr
    p = b.run([client, "tail", "sh"], user=NOBODY)
    assert b"hello-from-nobody" in p.stdout, p


@pytest.mark.parametrize("made", ["by-root", "group-writable", "symlink"])
def test_a_directory_someone_else_made_is_refused(box, made):
    """/tmp/ttyhub-UID made first by someone else (here root, with a
    daemon listening in it), writable by others, or a symbolic link: the
    user's daemon does not start and the user's client does not connect,
    and both say why and what to do."""
    b = box()
    uid = NOBODY.pw_uid
    d = "/tmp/ttyhub-%d" % uid
    client = b.ttyhub
    if made == "by-root":
        os.mkdir(b.path(d))
        os.chmod(b.path(d), 0o777)
        b.write("/tmp/trap.conf", "[ttyhubd]\nbroker-unix = %s/ttyhub.sock\n"
                "broker-unix-mode = 0666\n[console sh]\ntype = exec\n"
                "command = /bin/cat\n" % d)
        trap = b.popen([b.ttyhubd, "-F", "-c", "/tmp/trap.conf"])
        wait_for(lambda: answers(b.path(d + "/ttyhub.sock")), 10,
                 "root's daemon did not start: " + b.output(trap))
        why = ("%s belongs to uid 0, not to this user (uid %d), so someone "
               "else made it: have it removed" % (d, uid))
    elif made == "group-writable":
        os.mkdir(b.path(d))
        os.chown(b.path(d), uid, NOBODY.pw_gid)
        os.chmod(b.path(d), 0o770)
        why = "%s can be written by other users (mode 0770): chmod 700 it" % d
    else:
        os.mkdir(b.path("/tmp/elsewhere"), 0o700)
        os.chown(b.path("/tmp/elsewhere"), uid, NOBODY.pw_gid)
        os.symlink("/tmp/elsewhere", b.path(d))
        why = "%s is a symbolic link, not a directory: remove it" % d
    b.write("/tmp/sh.conf", "[console sh]\ntype = exec\ncommand = /bin/cat\n")

    p = b.run([b.ttyhubd, "-F", "-c", "/tmp/sh.conf"], user=NOBODY)
    assert p.returncode == 1
    assert p.stderr.decode() == (
        "ttyhubd: broker: not using the default socket: %s (or set "
        "XDG_RUNTIME_DIR, or give broker-unix = PATH in the [ttyhubd] "
        "section)\n" % why)
    p = b.run([client, "-l"], user=NOBODY)
    assert p.returncode == 1
    assert p.stderr.decode() == (
        "ttyhub: not using the default socket: %s (or set XDG_RUNTIME_DIR, "
        "or give -s)\n" % why)
    # Given the socket, the user is trusted to know what they connect to.
    if made == "by-root":
        p = b.run([client, "-s", d + "/ttyhub.sock", "-l"], user=NOBODY)
        assert p.returncode == 0 and b"\nsh " in p.stdout, p.stderr


def test_a_user_with_no_daemon_is_told_so_not_about_modes(box):
    """A user whose own daemon is not running reaches root's, whose
    socket is closed to them: the message says that they have no daemon,
    where theirs would be, and then what opens root's."""
    b = box()
    b.write("/tmp/sh.conf", "[console sh]\ntype = exec\ncommand = /bin/cat\n")
    root = b.popen([b.ttyhubd, "-F", "-c", "/tmp/sh.conf"])
    wait_for(lambda: answers(b.path("/run/ttyhub/ttyhub.sock")), 10,
             "root's daemon did not start: " + b.output(root))
    p = b.run([b.ttyhub, "-l"], user=NOBODY)
    assert p.returncode == 1
    assert p.stderr.decode() == (
        "ttyhub: cannot connect to ttyhubd at /run/ttyhub/ttyhub.sock: "
        "Permission denied (that is root's daemon; this user has none "
        "running at /tmp/ttyhub-%d/ttyhub.sock: start one with ttyhubd -c "
        "FILE, or see broker-unix-mode and broker-unix-group in "
        "ttyhub.conf(5) to open root's)\n" % NOBODY.pw_uid)
