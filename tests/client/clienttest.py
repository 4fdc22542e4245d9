"""What the ttyhub client's tests share besides fixtures: the client
binary of the build under test, its environment, a private tmux server to
run it in, and the console configurations the tests use.  A module of its
own, importable by name (conftest.py is not: tests/e2e has one too).

Every wait is bounded.  The only processes signalled are ones these tests
started: daemons (through the hub fixture), clients whose pid a wrapper
wrote down, and the private tmux server, which is killed at the end."""
import itertools
import os
import re
import shlex
import subprocess
import time

_serial = itertools.count()


def client_path(build):
    """The ttyhub of the same build as the daemon under test."""
    return os.path.join(os.path.dirname(build), "ttyhub")


def client_env(tmp_path, **extra):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:log_path=%s" %
                           (tmp_path / "asan-client"))
    env["UBSAN_OPTIONS"] = ("print_stacktrace=1:log_path=%s" %
                            (tmp_path / "asan-client"))
    env.pop("TTYHUB_SOCKET", None)
    env.update(extra)
    return env


def run(ttyhub, tmp_path, *args, input=None, timeout=20, env=None):
    """Run the client to the end; returns the CompletedProcess (bytes)."""
    return subprocess.run([ttyhub] + list(args), input=input,
                          capture_output=True, timeout=timeout,
                          env=env or client_env(tmp_path))


class Tmux:
    """A private tmux server (its own socket, so the user's tmux is never
    touched) with one session running a plain /bin/sh in a clean
    environment.  The shell's prompt is "$ "."""

    def __init__(self, tmp_path, cols=100, rows=30):
        self.tmp = tmp_path
        self.name = "ttyhubtest-%d-%d" % (os.getpid(), next(_serial))
        self.base = ["tmux", "-L", self.name, "-f", "/dev/null"]
        self.windows = 0
        self.cmd("new-session", "-d", "-s", "main", "-x", str(cols),
                 "-y", str(rows), "-c", str(tmp_path), self.shell())
        self.cmd("set-option", "-g", "history-limit", "5000")
        self.wait("$ ", literal=True)

    def shell(self, env=None):
        env = dict(env or {})
        env.update(PATH="/usr/bin:/bin", TERM="screen", HOME=str(self.tmp),
                   PS1="$ ", ENV="")
        env["ASAN_OPTIONS"] = client_env(self.tmp)["ASAN_OPTIONS"]
        env["UBSAN_OPTIONS"] = client_env(self.tmp)["UBSAN_OPTIONS"]
        return "env -i %s /bin/sh" % " ".join(
            "%s=%s" % (k, shlex.quote(v)) for k, v in sorted(env.items()))

    def cmd(self, *args):
        return subprocess.run(self.base + list(args), capture_output=True,
                              text=True, timeout=10, check=True).stdout

    def new_window(self):
        """A second shell, in a window of its own; returns its target."""
        self.windows += 1
        target = "main:%d" % self.windows
        self.cmd("new-window", "-t", target, "-c", str(self.tmp),
                 self.shell())
        self.wait("$ ", target=target, literal=True)
        return target

    def type(self, text, target="main:0"):
        """Literal keys (no key names), as a user types them."""
        self.cmd("send-keys", "-t", target, "-l", text)

    def key(self, *keys, target="main:0"):
        self.cmd("send-keys", "-t", target, *keys)

    def line(self, text, target="main:0"):
        self.type(text, target)
        self.key("Enter", target=target)

    def screen(self, target="main:0"):
        """The pane's history and screen, wrapped lines joined."""
        return self.cmd("capture-pane", "-p", "-J", "-S", "-3000", "-t",
                        target)

    def wait(self, pattern, target="main:0", timeout=15, count=1,
             literal=False):
        """Wait until pattern (a regex, or literal text) occurs count
        times on the pane; returns the last match."""
        rx = re.compile(re.escape(pattern) if literal else pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen(target)
            found = list(rx.finditer(text))
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError("never saw %r (x%d) on the pane:\n%s" %
                                     (pattern, count, text))
            time.sleep(0.05)

    def resize(self, cols, rows):
        self.cmd("resize-window", "-t", "main:0", "-x", str(cols), "-y",
                 str(rows))

    def client(self, argv, target="main:0"):
        """Run a client in the pane's shell as a user would, between two
        `stty -a`, with its exit status printed after it."""
        return ClientRun(self, argv, target)

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True,
                       timeout=10)


class ClientRun:
    """One client started from a tmux pane's shell.  The shell records
    `stty -a` before and after it and prints "EXIT:TAG:STATUS:"; a wrapper
    writes the client's pid (sh -c exec: the pid stays the client's), so
    a test can signal exactly the process it started."""

    def __init__(self, tmux, argv, target):
        self.tmux = tmux
        self.target = target
        self.tag = "c%d" % next(_serial)
        q = " ".join(shlex.quote(a) for a in argv)
        tmux.line("stty -a > %s.before; sh -c 'echo $$ > %s.pid; exec "
                  "\"$0\" \"$@\"' %s; echo EXIT:%s:$?:; stty -a > %s.after"
                  % (self.tag, self.tag, q, self.tag, self.tag), target)

    def pid(self, timeout=10):
        path = self.tmux.tmp / (self.tag + ".pid")
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = path.read_text().strip()
                if text:
                    return int(text)
            except OSError:
                pass
            assert time.monotonic() < deadline, "client never started"
            time.sleep(0.02)

    def wait_exit(self, timeout=15):
        m = self.tmux.wait(r"^EXIT:%s:(\d+):" % self.tag, self.target,
                           timeout)
        # The shell writes the second stty right after the echo.
        after = self.tmux.tmp / (self.tag + ".after")
        deadline = time.monotonic() + 15
        while not (after.exists() and after.stat().st_size > 0):
            assert time.monotonic() < deadline, "no stty -a after the client"
            time.sleep(0.02)
        return int(m.group(1))

    def stty(self):
        before = (self.tmux.tmp / (self.tag + ".before")).read_text()
        after = (self.tmux.tmp / (self.tag + ".after")).read_text()
        return before, after
