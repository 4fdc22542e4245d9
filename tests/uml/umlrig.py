"""umlrig: boot User-Mode Linux guests that run the real Linux virtio_console
driver against a vhost-user console backend (ttyhubd's), for tests/uml.

Debian's `user-mode-linux` package gives /usr/bin/linux.uml (built-in
virtio_uml, a vhost-user *frontend*: `virtio_uml.device=SOCK:3` connects to
SOCK and presents a virtio console) and its modules under
/usr/lib/uml/modules/VERSION (virtio_console.ko is a module there).

Each Guest gets a dedicated, minimal root directory under the test's
tmp_path, mounted by the guest through hostfs: busybox-static with a
symlink per applet, empty /dev /proc /sys (devtmpfs is mounted on /dev by
the kernel), the modules, and a generated /tth/init.  Never give UML the
host's / as root: hostfs exposes it with the UML process's rights.

/tth/init mounts proc and sysfs, insmods the modules, and, when the guest
has a vhost-user socket, waits (bounded) for /dev/hvc0, keeps it open on
fd 3 (hvc resets termios on the last close) and makes it `raw -echo`.  It
then runs the test's shell snippet under `timeout`, with stdin and stdout
on /dev/hvc0 (on /dev/null and the UML console without a socket), and
powers off.  Everything the guest reports goes to the UML console (con0 =
our pipes) as lines "TTH| ..."; the snippet reports with `say TEXT`.

    g = Guest(tmp_path, sock, script='echo hi; read l; say "got:$l"')
    g.start()                   # returns once the guest's init runs
    g.wait_for("TTH| hvc0 ready")
    ...
    g.wait_exit(30)             # or g.stop(): SIGTERM, then SIGKILL
    g.console_output()          # all the console said ("\\r\\n" -> "\\n")

linux.uml runs with tests/helpers/umlfpu.c (build/tests/umlfpu.so, `make
helpers`) in LD_PRELOAD: UML 6.1 writes a guest's FPU state with a
2696-byte PTRACE_SETREGSET that a host kernel refuses when its XSAVE area
is larger (AMX); the shim widens that write and is a no-op elsewhere.

UML runs in a session of its own (it forks helper processes and ptraced
address-space processes); stop() signals that session's process group and
then checks that no live process of the session is left.  Every wait is
bounded.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from ttyhubtest import helper, module_bytes, processes

KERNEL = os.environ.get("TTYHUB_UML_KERNEL", "/usr/bin/linux.uml")
MODULE_ROOT = os.environ.get("TTYHUB_UML_MODULES", "/usr/lib/uml/modules")
# "" runs linux.uml without the shim (to see what it is for)
PRELOAD = os.environ.get("TTYHUB_UML_PRELOAD", helper("umlfpu.so"))
BUSYBOX = "/bin/busybox"
MARK = "TTH| "
# Now and then (up to 1 boot in 20, in bursts) the first fork
# of /tth/init fails with EAGAIN and the kernel panics; that boot's kernel
# also failed to start a kernel thread (a WARNING in crypto_wait_for_test).
# It happens with or without umlfpu.so's widening; the next boot works.
# start() boots again when init said nothing but this.
BOOT_TRIES = 3
INIT_CANNOT_FORK = "can't fork"

_PR_SET_PDEATHSIG = 1
try:
    # bound in the parent: the child after fork only makes the call
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


class RigError(Exception):
    """The rig cannot work here: a missing package or file."""


class GuestError(Exception):
    """The guest did not do what was waited for; the message holds the
    console's tail."""


def _check_output(argv, timeout=30):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    if p.returncode != 0:
        raise RigError("%s failed (exit %d): %s" % (
            " ".join(argv), p.returncode,
            p.stdout.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


class Kernel:
    """linux.uml, its version and its module directory."""

    _cached = None

    def __init__(self, path=KERNEL, module_root=MODULE_ROOT,
                 preload=PRELOAD):
        if not os.access(path, os.X_OK):
            raise RigError("%s is missing: install the Debian package "
                           "user-mode-linux (sh tools/deps.sh test)" % path)
        if not os.access(BUSYBOX, os.X_OK):
            raise RigError("%s is missing: install the Debian package "
                           "busybox-static (sh tools/deps.sh test)" % BUSYBOX)
        if preload and not os.path.isfile(preload):
            raise RigError("%s is missing: make helpers" % preload)
        self.path = path
        self.preload = preload
        self.version = _check_output([path, "--version"]).strip()
        self.moddir = os.path.join(module_root, self.version)
        if not os.path.isdir(self.moddir):
            raise RigError("no module directory %s for %s %s (package "
                           "user-mode-linux incomplete?)" %
                           (self.moddir, path, self.version))
        self._dep = None

    @classmethod
    def get(cls):
        """The default kernel, checked once per process."""
        if cls._cached is None:
            cls._cached = cls()
        return cls._cached

    def _deps(self):
        """modules.dep as {name: (relative path, [dependency paths])}."""
        if self._dep is None:
            self._dep = {}
            with open(os.path.join(self.moddir, "modules.dep")) as f:
                for line in f:
                    if ":" not in line:
                        continue
                    mod, deps = line.split(":", 1)
                    name = _modname(mod)
                    self._dep[name] = (mod, deps.split())
        return self._dep

    def resolve(self, names):
        """Module paths (absolute) for names and their dependencies, in
        load order.  A built-in module (modules.builtin) is left out."""
        with open(os.path.join(self.moddir, "modules.builtin")) as f:
            builtin = {_modname(line.strip()) for line in f if line.strip()}
        deps = self._deps()
        order = []

        def visit(name, depth):
            name = name.replace("-", "_")
            if name in builtin or any(_modname(p) == name for p in order):
                return
            if name not in deps:
                raise RigError("module %s is not in %s/modules.dep" %
                               (name, self.moddir))
            if depth > 32:
                raise RigError("module dependencies too deep at %s" % name)
            mod, needs = deps[name]
            for d in needs:
                visit(_modname(d), depth + 1)
            order.append(os.path.join(self.moddir, mod))

        for n in names:
            visit(n, 0)
        return order


def wait_guest(g, h, text, timeout=30, clients=(), start=0):
    """g.wait_for(text), pumping clients meanwhile (Telnet clients
    answer negotiation); a failure shows the daemon's (h) output too."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return g.wait_for(text, 0.1, start)
        except GuestError as e:
            if not g.running() or time.monotonic() > deadline:
                raise AssertionError("%s\nttyhubd said:\n%s" %
                                     (e, h.output())) from None
        for c in clients:
            c.pump(0.02)


def _modname(path):
    return re.sub(r"\.ko(\.xz|\.gz|\.zst)?$", "",
                  os.path.basename(path)).replace("-", "_")


_applets = None


def _busybox_applets():
    global _applets
    if _applets is None:
        _applets = _check_output([BUSYBOX, "--list"]).split()
    return _applets


def _set_pdeathsig():
    """In the child: die with the test process (SIGKILL)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _session_members(sid):
    """[(pid, state)] of the live (non-zombie) processes in session sid."""
    return [(pid, fields[0]) for pid, fields in processes()
            if int(fields[3]) == sid and fields[0] not in ("Z", "X")]


def _sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


INIT = r"""#!/bin/sh
# /tth/init, written by tests/uml/umlrig.py for one boot.
PATH=/bin:/sbin
export PATH
exec 7>&1           # fd 7: the UML console (con0), for reports
say() { echo "TTH| $*" >&7; }
# $now = whole seconds of uptime, without a fork (~25 ms each in UML)
clock() { read _up _rest </proc/uptime; now=${_up%%.*}; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
say "init $(cut -d' ' -f1 /proc/uptime)"
%(insmods)s
if [ -n %(sock)s ]; then
	# insmod probed the device; /dev/hvc0 follows unless the probe failed
	clock
	end=$((now + %(hvc_wait)d))
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 1000 ]; do
		set -- /sys/bus/virtio/drivers/virtio_console/virtio*
		[ -e "$1" ] || break
		clock
		[ $now -lt $end ] || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -c /dev/hvc0 ] && [ %(on_hvc)d = 0 ]; then
		say "hvc0 ready"
		timeout -s KILL %(timeout)d sh /tth/snippet </dev/null >&7 2>&7
		say "snippet exit $?"
	elif [ -c /dev/hvc0 ]; then
		exec 3<>/dev/hvc0
		stty -F /dev/hvc0 raw -echo && say "hvc0 ready"
		timeout -s KILL %(timeout)d sh /tth/snippet <&3 >&3 2>&7
		say "snippet exit $?"
	else
		say "no /dev/hvc0; virtio devices:" \
		    $(ls /sys/bus/virtio/devices) "; bound to virtio_console:" \
		    $(ls /sys/bus/virtio/drivers/virtio_console 2>/dev/null | grep virtio)
		dmesg | grep -i -e virtio -e vhost | tail -n 20 >&7
	fi
else
	timeout -s KILL %(timeout)d sh /tth/snippet </dev/null >&7 2>&7
	say "snippet exit $?"
fi
say "poweroff"
poweroff -f
sleep 10
say "poweroff did not stop the guest"
"""

SNIPPET_PRELUDE = """say() { echo "TTH| $*" >&7; }
clock() { read _up _rest </proc/uptime; now=${_up%.*}; }
"""


class Guest:
    """One UML boot.  tmp_path: the test's directory (the root, TMPDIR,
    uml_dir and console log go in tmp_path/NAME); sock: the vhost-user
    socket (None: boot without a virtio device); script: shell text run in
    the guest with stdin/stdout on /dev/hvc0 (`say TEXT` reports on the
    console); files: {guest path: host file} copied into the root, e.g.
    {"/tth/prog": helper("prog")} (a static program: the root has no
    libraries).  on_hvc=False runs the script on the UML console instead
    (stdout and `say` alike), with nothing holding /dev/hvc0 open: for
    guests that open their ports themselves, or unload the driver.
    pass_fds: host fds linux.uml inherits, for cmdline=("con1=fd:N",)."""

    def __init__(self, tmp_path, sock=None, script="", name="uml",
                 modules=("virtio_console",), mem="64M", script_timeout=60,
                 hvc_wait=10, kernel_log=False, cmdline=(), kernel=None,
                 files=None, on_hvc=True, pass_fds=()):
        self.kernel = kernel or Kernel.get()
        self.sock = str(sock) if sock is not None else None
        if self.sock and re.search(r"[:\s]", self.sock):
            raise RigError("virtio_uml.device= cannot take a path with ':' "
                           "or white space: %r" % self.sock)
        self.script = script
        self.name = name
        self.modules = list(modules)
        self.mem = mem
        self.script_timeout = int(script_timeout)
        self.hvc_wait = hvc_wait
        self.kernel_log = kernel_log
        self.extra_cmdline = list(cmdline)
        self.files = dict(files or {})    # guest path: host file to copy
        self.on_hvc = bool(on_hvc)
        self.pass_fds = tuple(pass_fds)   # for con1=fd:N and the like
        self.dir = os.path.join(str(tmp_path), name)
        self.root = os.path.join(self.dir, "root")
        if re.search(r"\s", self.root):
            raise RigError("the kernel command line cannot take a root "
                           "path with white space: %r" % self.root)
        self.log_path = os.path.join(self.dir, "console.log")
        self.proc = None
        self.pid = None
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._reader = None
        self._stdin = None
        self.t_start = None
        self.boot_time = None       # start() to the guest's first report
        self.failed_boots = []      # consoles of boots whose init could not fork
        self.leftovers = []         # session processes stop() had to kill

    # -- building the root

    def build_root(self):
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "tth/modules"):
            os.makedirs(os.path.join(self.root, d))
        os.makedirs(os.path.join(self.dir, "uml_dir"))   # UML's pid, mconsole
        os.makedirs(os.path.join(self.dir, "tmpdir"))    # TMPDIR: guest RAM
        # a copy, not a link: the guest can write to its root
        shutil.copy2(BUSYBOX, os.path.join(self.root, "bin", "busybox"))
        for a in _busybox_applets():
            if a != "busybox" and "/" not in a:
                os.symlink("busybox", os.path.join(self.root, "bin", a))
        lines = []
        for path in self.kernel.resolve(self.modules):
            name = _modname(path)
            dst = "/tth/modules/%s.ko" % name
            data = module_bytes(path)
            if data is None:
                raise RigError("cannot decompress %s (zstd installed?)" %
                               path)
            with open(self.root + dst, "wb") as f:
                f.write(data)
            lines.append('if insmod %s; then say "insmod %s ok"; '
                         'else say "insmod %s failed ($?)"; fi' %
                         (dst, name, name))
        init = INIT % {
            "insmods": "\n".join(lines),
            "sock": _sh_quote(self.sock or ""),
            "hvc_wait": int(self.hvc_wait),
            "timeout": self.script_timeout,
            "on_hvc": 1 if self.on_hvc else 0,
        }
        for dst, src in self.files.items():
            if not os.path.isfile(src):
                raise RigError("%s is missing (make helpers?)" % src)
            shutil.copy2(src, os.path.join(self.root, dst.lstrip("/")))
        self._write("tth/init", init, 0o755)
        self._write("tth/snippet", SNIPPET_PRELUDE + self.script + "\n", 0o755)

    def _write(self, rel, text, mode):
        path = os.path.join(self.root, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def argv(self):
        argv = [self.kernel.path, "mem=" + self.mem, "root=/dev/root",
                "rootfstype=hostfs", "rootflags=" + self.root, "rw",
                "init=/tth/init", "con=null", "ssl=null", "con0=fd:0,fd:1",
                "umid=" + self.name, "uml_dir=" + os.path.join(self.dir,
                                                              "uml_dir")]
        if self.sock:
            argv.append("virtio_uml.device=%s:3" % self.sock)
        if not self.kernel_log:
            argv.append("quiet")
        return argv + self.extra_cmdline

    # -- running

    def start(self, wait=True, timeout=30):
        """Build the root, boot; with wait, return once /tth/init runs.
        A boot whose init could not fork before its first report is
        stopped and made again, up to BOOT_TRIES boots (failed_boots)."""
        if self.proc is not None:
            raise RigError("guest %s already started" % self.name)
        self.build_root()
        for boot in range(1, BOOT_TRIES + 1):
            self._launch()
            if not wait:
                return self
            try:
                self.wait_for(MARK + "init ", timeout)
            except GuestError:
                out = self.console_output()
                if boot == BOOT_TRIES or self.running() or \
                        INIT_CANNOT_FORK not in out:
                    raise
                self.failed_boots.append(out)
                self.stop()
                self._forget(boot)
                continue
            self.boot_time = time.monotonic() - self.t_start
            return self

    def _launch(self):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
               "TMPDIR": os.path.join(self.dir, "tmpdir"),
               "HOME": os.path.join(self.dir, "tmpdir")}
        if self.kernel.preload:
            env["LD_PRELOAD"] = self.kernel.preload
        rfd, wfd = os.pipe()
        self.t_start = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv(), stdin=rfd, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=self.dir, env=env,
                start_new_session=True, preexec_fn=_set_pdeathsig,
                pass_fds=self.pass_fds)
        finally:
            os.close(rfd)
        self._stdin = wfd            # open until stop(): con0 sees no EOF
        self.pid = self.proc.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _forget(self, boot):
        """After stop(): ready for another boot; the log keeps this one,
        and what stop() had to kill of it."""
        with open(self.log_path, "ab") as log:
            log.write(b"\n--- umlrig: init could not fork in boot %d "
                      b"(killed: %r); booting again ---\n" %
                      (boot, self.leftovers))
        self.leftovers = []
        self.proc = None
        self.pid = None
        self._reader = None
        with self._lock:
            self._buf = bytearray()

    def _read(self):
        fd = self.proc.stdout.fileno()
        with open(self.log_path, "ab") as log:
            while True:
                try:
                    b = os.read(fd, 65536)
                except OSError:
                    b = b""
                if not b:
                    return
                log.write(b)
                log.flush()
                with self._lock:
                    self._buf += b

    def console_bytes(self):
        with self._lock:
            return bytes(self._buf)

    def console_output(self):
        """Everything the UML console printed so far, "\\r\\n" -> "\\n"."""
        return self.console_bytes().decode("utf-8", "replace").replace(
            "\r\n", "\n")

    def reports(self):
        """The guest's "TTH| ..." lines, without the mark."""
        return [line[len(MARK):].rstrip("\r")
                for line in self.console_output().split("\n")
                if line.startswith(MARK)]

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _tail(self, n=40):
        lines = self.console_output().split("\n")
        return "\n".join(lines[-n:])

    def wait_for(self, text, timeout=30, start=0):
        """Wait until text (str) is in the console output at or after
        offset start; return the offset just after it.  Raises GuestError
        if the guest exits or the time runs out first."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.console_output()
            i = out.find(text, start)
            if i >= 0:
                return i + len(text)
            if self.proc.poll() is not None:
                # let the reader take the last bytes, then look once more
                if self._reader:
                    self._reader.join(2)
                out = self.console_output()
                i = out.find(text, start)
                if i >= 0:
                    return i + len(text)
                raise GuestError("guest %s exited (status %s) before saying "
                                 "%r; console:\n%s" % (
                                     self.name, self.proc.returncode, text,
                                     self._tail()))
            if time.monotonic() > deadline:
                raise GuestError("guest %s did not say %r within %s s; "
                                 "console:\n%s" % (self.name, text, timeout,
                                                   self._tail()))
            time.sleep(0.02)

    def wait_exit(self, timeout=30):
        """Wait for the guest to power off; return UML's exit status.
        Raises GuestError (and leaves the guest running) on timeout."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise GuestError("guest %s still running after %s s; console:\n%s"
                             % (self.name, timeout, self._tail())) from None
        self._reap_session()
        # Then all it printed: its exit came before the reader took the
        # last bytes from the pipe, which ends (EOF) once nothing of the
        # session holds it.
        if self._reader:
            self._reader.join(5)
        if rc == -signal.SIGABRT and "reboot: System halted" in \
                self.console_output():
            # The guest halted; UML's host process then aborted on its own
            # way out (seen once in a fresh-clone make check, after a clean
            # "System halted").  That is UML's exit path, not the guest's
            # power-off the tests ask about.
            return 0
        return rc

    def _reap_session(self, timeout=5):
        """Kill (by pid) what is left of UML's session; bounded."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 1):
            left = _session_members(self.pid)
            if not left:
                break
            self.leftovers.extend(p for p, _st in left
                                  if p not in self.leftovers)
            for p, _st in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        left = _session_members(self.pid)
        if left:
            raise RigError("guest %s: processes of its session survive "
                           "SIGKILL: %s" % (self.name, left))

    def stop(self, timeout=5):
        """Stop the guest if it runs: SIGTERM to UML (it exits at once),
        SIGKILL to its process group after timeout; then make sure no
        process of its session is left.  Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout)
        try:
            self._reap_session()
        finally:
            if self._stdin is not None:
                os.close(self._stdin)
                self._stdin = None
            if self._reader:
                self._reader.join(5)
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
