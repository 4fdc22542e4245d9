"""ttyhubd with vhost-device-console's command line, used the way that
program's README uses it (tests/../shared seed 003): the daemon started
with --socket-path, --socket-count, --tcp-port and --backend, User-Mode
Linux guests on PATH0, PATH1 (umlrig.py), and then `nc localhost PORT`
for --backend=network, or the terminal the daemon was started in
(a private tmux server) for --backend=nested.

The daemon runs as the user runs it, so its broker is on the default
socket, /run/ttyhub/ttyhub.sock for root: each test runs it in a mount
namespace of its own with a fresh tmpfs on /run (unshare -m), touching
nothing outside the test; `ttyhub -l` is run in the same namespace
(nsenter).  Every wait is bounded; the processes signalled are the
daemons these tests started, by pid."""
import os
import signal
import subprocess
import time

from clienttest import Tmux, client_path
from ttyhubtest import SAN_MARKERS, free_ports, wait_for
from umlrig import MARK

# A mount namespace with /run of its own, then the program.
PRIVATE_RUN = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs -o mode=755 tmpfs /run && exec "$0" "$@"']


def san_env(tmp_path, name):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:log_path=%s" %
                           (tmp_path / name))
    env["UBSAN_OPTIONS"] = ("print_stacktrace=1:log_path=%s" %
                            (tmp_path / name))
    env.pop("TTYHUB_SOCKET", None)
    return env


def san_reports(tmp_path):
    out = ""
    for name in os.listdir(tmp_path):
        if name.startswith("asan-"):
            out += open(tmp_path / name, errors="replace").read()
    return [m for m in SAN_MARKERS if m in out], out


def wait_socket(path, proc=None, log=None, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            raise AssertionError("ttyhubd exited %s:\n%s" % (
                proc.returncode, log.read_text() if log else ""))
        assert time.monotonic() < deadline, "no socket at %s" % path
        time.sleep(0.02)


def test_network_backend_with_nc_as_the_readme_has_it(build, uml, tmp_path):
    """ttyhubd --socket-path=PATH --socket-count=2 --tcp-port=PORT
    --backend=network: guests on PATH0 and PATH1, each on its own TCP
    port of 127.0.0.1, where `nc localhost PORT` (and `nc 127.0.0.1
    PORT+1`) is the guest's console, byte for byte, both ways; ttyhub -l
    lists them as vm0 and vm1."""
    path = str(tmp_path / "console.sock")
    port = free_ports(2)
    log = tmp_path / "ttyhubd.log"
    with open(log, "wb") as f:
        d = subprocess.Popen(PRIVATE_RUN + [
            build, "--socket-path=" + path, "--socket-count=2",
            "--tcp-port=%d" % port, "--backend=network"],
            stdin=subprocess.DEVNULL, stdout=f, stderr=f,
            env=san_env(tmp_path, "asan-daemon"))
    ncs = []
    try:
        wait_socket(path + "0", d, log)
        wait_socket(path + "1", d, log)
        guest = r"""echo "hello from %s"
read l; say "got:$l"
"""
        g0 = uml(path + "0", guest % "guest 0", name="g0")
        g1 = uml(path + "1", guest % "guest 1", name="g1")
        # nc localhost PORT as the README has it, and 127.0.0.1 as
        # ttyhubd's listeners are bound: both reach the guest.
        for i, host in ((0, "localhost"), (1, "127.0.0.1")):
            ncs.append(subprocess.Popen(
                ["nc", host, str(port + i)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
            os.set_blocking(ncs[i].stdout.fileno(), False)
        got = {0: b"", 1: b""}

        def read_nc():
            for i in (0, 1):
                try:
                    got[i] += ncs[i].stdout.read() or b""
                except BlockingIOError:
                    pass
            return got
        wait_for(lambda: b"hello from guest 0\n" in read_nc()[0] and
                 b"hello from guest 1\n" in got[1], 30,
                 lambda: "the guests' lines on nc: %r" % got)
        for i, g in ((0, g0), (1, g1)):
            ncs[i].stdin.write(b"typed into nc %d\n" % i)
            ncs[i].stdin.flush()
            g.wait_for(MARK + "got:typed into nc %d" % i, 20)
        # Exactly the guest's bytes: no notice among them (nc takes every
        # byte as the guest's), whatever the other guest does.
        assert got[0] == b"hello from guest 0\n", got
        assert got[1] == b"hello from guest 1\n", got
        ls = subprocess.run(["nsenter", "-t", str(d.pid), "-m", "--",
                             client_path(build), "-l"], capture_output=True,
                            timeout=20, env=san_env(tmp_path, "asan-client"))
        assert ls.returncode == 0, ls
        names = [line.split()[0] for line in ls.stdout.decode().splitlines()
                 if line.strip()]
        assert "vm0" in names and "vm1" in names, ls.stdout
        assert g0.wait_exit(30) == 0 and g1.wait_exit(30) == 0
        # A guest gone says nothing to nc either.
        read_nc()
        assert got[0] == b"hello from guest 0\n", got
    finally:
        for p in ncs:
            p.kill()
            p.wait(5)
        if d.poll() is None:
            d.send_signal(signal.SIGTERM)
        d.wait(10)
    assert d.returncode == 0, log.read_text()
    found, text = san_reports(tmp_path)
    assert not found, text


def test_nested_backend_in_a_terminal(build, uml, tmp_path):
    """ttyhubd --socket-path=PATH --backend=nested in a terminal (tmux):
    the terminal is the guest's console, at its size; a line typed goes
    to the guest, Ctrl-C too (a byte, not a signal to ttyhubd); ~. after
    Enter leaves, ttyhubd stops, and the terminal is as it was."""
    path = str(tmp_path / "console.sock")
    tmux = Tmux(tmp_path)
    try:
        run = tmux.client(PRIVATE_RUN + [build, "--socket-path=" + path,
                                         "--backend=nested"])
        wait_socket(path + "0")
        g = uml(path + "0", r"""echo "guest prompt>"
clock; end=$((now + 15)); i=0
while [ "$(stty -F /dev/hvc0 size)" != "30 100" ] && [ $i -lt 300 ]; do
	clock; [ $now -lt $end ] || break
	sleep 0.05; i=$((i + 1))
done
# Enter in a terminal is CR: as a getty's terminal would, make it NL,
# before saying anything the host waits for: a line typed before icrnl
# is set keeps its CR, and read would wait for an NL that never comes.
stty -F /dev/hvc0 icrnl
say "size:$(stty -F /dev/hvc0 size)"
read l; say "line:$l"
say "byte:$(dd bs=1 count=1 2>/dev/null | od -An -tx1)"
echo "guest done"
""")
        tmux.wait(r"guest prompt>")
        g.wait_for(MARK + "size:30 100", 20)
        tmux.line("hello guest")
        g.wait_for(MARK + "line:hello guest", 20)
        tmux.key("C-c")
        g.wait_for(MARK + "byte: 03", 20)
        tmux.wait(r"guest done")
        assert g.wait_exit(30) == 0
        # ~. first thing on a line: the client leaves, and ttyhubd with it.
        tmux.key("Enter")
        tmux.type("~.")
        assert run.wait_exit(20) == 0, tmux.screen()
        before, after = run.stty()
        assert before == after, (before, after)
    finally:
        if os.environ.get("TTYHUB_TEST_SHOW"):
            print(tmux.screen())
        tmux.kill()
    found, text = san_reports(tmp_path)
    assert not found, text


def test_compatible_command_line_refusals(build, tmp_path):
    """What does not go together is said in one line, exit status 2."""
    for args, says in (
            (["--tcp-port=5"], "--tcp-port is for the vhost-user guests"),
            (["--socket-path=x", "--socket-count=2", "--backend=nested"],
             "--backend=nested serves one guest"),
            (["--socket-path=x", "--backend=serial"],
             'bad value "serial" for --backend'),
            (["--socket-path=x"],
             "--backend=nested needs a terminal"),
            (["--socket-path=x", "-c", "/dev/null"],
             "--socket-path cannot be used with -c"),
            (["--socket-path=x", "--backend=network",
              "--socket-count=3", "--tcp-port=65534"],
             "go past port 65535"),
            (["--socket-path=" + "x" * 120, "--backend=network"],
             "too long for a unix socket")):
        p = subprocess.run([build] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=20, cwd=tmp_path,
                           env=san_env(tmp_path, "asan-daemon"))
        assert p.returncode == 2 and says in p.stderr.decode(), \
            (args, p.stderr)
        assert len(p.stderr.decode().splitlines()) == 1, p.stderr
    found, text = san_reports(tmp_path)
    assert not found, text


def test_help_names_the_compatible_options(build):
    """-h and --help print the usage, with vhost-device-console's options,
    on stdout, and exit 0."""
    for flag in ("-h", "--help"):
        p = subprocess.run([build, flag], capture_output=True, timeout=20,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0 and p.stderr == b"", p
    out = p.stdout.decode()
    assert out.startswith("usage: ttyhubd"), out
    for opt in ("--socket-path=PATH", "--socket-count=N", "--tcp-port=PORT",
                "--backend=network|nested"):
        assert opt in out, out
