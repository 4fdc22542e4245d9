"""Hosts on one link, simulated with network namespaces, for the
discovery tests (tests/integration/test_discovery.py): each host is a
namespace with a veth to a bridge in a switch namespace, its own system
bus (a dbus-daemon listening on a path in the test's directory, which
DBUS_SYSTEM_BUS_ADDRESS names to everything run there) and, when asked,
its own avahi-daemon (host name HOST, IPv4 on eth0 only, run in a
private mount namespace with its own /run, so several run on one
machine), and then whatever the test starts in it.  Nothing reaches the
machine's own network, and every process is stopped by its PID and the
namespaces deleted at the end."""
import itertools
import os
import signal
import socket
import subprocess

from ttyhubtest import wait_for

BUS_CONF = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name=%s
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
[reflector]
[rlimits]
"""

NEEDED = ("ip", "dbus-daemon", "avahi-daemon", "avahi-browse")


def missing():
    """What this machine lacks for the rig, or None."""
    if os.geteuid() != 0:
        return "not root: network namespaces need it"
    for prog in NEEDED:
        if not any(os.access(os.path.join(d, prog), os.X_OK)
                   for d in os.environ.get("PATH", "/usr/bin").split(":")
                   + ["/usr/sbin", "/sbin"]):
            return "%s is not installed (make test-deps installs it)" % prog
    return None


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True,
                   timeout=30)


class Proc:
    """A process in a host, its output in a file."""

    def __init__(self, host, name, argv, env=None):
        self.host = host
        self.path = os.path.join(host.dir, name + ".out")
        self.out = open(self.path, "wb")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", host.ns, "env"] +
            ["%s=%s" % kv for kv in sorted(host.env(env).items())] + argv,
            stdout=self.out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        # ip and env exec what follows: one process, one PID.
        self.pid = self.proc.pid

    def output(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_output(self, needle, count=1, timeout=20):
        wait_for(lambda: self.output().count(needle) >= count, timeout,
                 lambda: "%r x%d in:\n%s" % (needle, count,
                                             self.output()[-3000:]))

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()
        return self.output()


class Host:
    """One namespace on the link: 10.88.N.I/24 on eth0."""

    def __init__(self, link, name, index):
        self.link = link
        self.name = name
        self.addr = "%s.%d" % (link.net, index)
        self.ns = "%s-%s" % (link.prefix, name)
        self.dir = os.path.join(link.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.bus = os.path.join(self.dir, "bus")
        self.procs = []
        self.avahi = None
        self.dbus = None
        _ip("netns", "add", self.ns)
        link.namespaces.append(self.ns)
        peer = "v%s%d" % (link.tag, index)
        _ip("link", "add", "eth0", "netns", self.ns, "type", "veth",
            "peer", "name", peer, "netns", link.switch)
        _ip("-n", link.switch, "link", "set", peer, "master", "br0", "up")
        _ip("-n", self.ns, "addr", "add", self.addr + "/24", "dev", "eth0")
        _ip("-n", self.ns, "link", "set", "eth0", "up")
        _ip("-n", self.ns, "link", "set", "lo", "up")

    def env(self, extra=None):
        env = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=" + self.bus,
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
               "UBSAN_OPTIONS": "print_stacktrace=1",
               "LC_ALL": "C.UTF-8", "HOME": self.dir,
               "XDG_RUNTIME_DIR": self.dir}
        env.update(extra or {})
        return env

    def start(self, name, argv, env=None):
        p = Proc(self, name, argv, env)
        self.procs.append(p)
        return p

    def start_bus(self):
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONF % self.bus)
        self.dbus = self.start("dbus", ["dbus-daemon", "--nofork",
                                        "--config-file=" + conf])

        def answers():
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.bus)
                return True
            except OSError:
                return False
        wait_for(answers, 20, "the system bus of " + self.name)

    def start_avahi(self):
        """avahi-daemon for this host, with a /run of its own (its pid
        file and socket live there); waits until it has its name."""
        conf = os.path.join(self.dir, "avahi.conf")
        with open(conf, "w") as f:
            f.write(AVAHI_CONF % self.name)
        self.avahi = self.start("avahi", [
            "sh", "-c", "mount -t tmpfs ttyhub-test /run && exec "
            "avahi-daemon -f \"$0\" --no-drop-root --no-chroot "
            "--no-rlimits --no-proc-title", conf])
        self.avahi.wait_output("Server startup complete", timeout=30)

    def stop_avahi(self):
        out = self.avahi.stop()
        self.procs.remove(self.avahi)
        self.avahi = None
        return out

    def run(self, argv, env=None, input=b"", timeout=60):
        return subprocess.run(
            ["ip", "netns", "exec", self.ns, "env"] +
            ["%s=%s" % kv for kv in sorted(self.env(env).items())] + argv,
            input=input, capture_output=True, timeout=timeout)

    def browse(self, type="_ttyhub._tcp"):
        """avahi-browse's parsable, resolved lines for type, as
        [(host, address, port, {key: value})]."""
        p = self.run(["avahi-browse", "-rtp", type], timeout=60)
        found = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            f = line.split(";")
            if f[0] != "=" or len(f) < 10:
                continue
            txt = {}
            for item in _txt_items(f[9]):
                k, _, v = item.partition("=")
                txt.setdefault(k, v)
            found.append((f[6], f[7], int(f[8]), txt))
        return found

    def stop(self):
        """Stop every process (each one even if another fails)."""
        outs, errors = {}, []
        for p in reversed(self.procs):
            try:
                outs[p.path] = p.stop()
            except Exception as e:       # noqa: BLE001 - the rest still go
                errors.append(e)
        self.procs = []
        if errors:
            raise errors[0]
        return outs


def _txt_items(field):
    """avahi-browse -p's TXT field: "a=1" "b=2" (quotes escaped with \\)."""
    items, cur, inq, esc = [], "", False, False
    for ch in field:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            if inq:
                items.append(cur)
                cur = ""
            inq = not inq
        elif inq:
            cur += ch
    return items


_links = itertools.count()


class Link:
    """A bridge in a switch namespace and the hosts on it."""

    def __init__(self, tmp_path):
        self.dir = str(tmp_path)
        # Unique on the machine, and short: an interface name has 15 bytes.
        self.tag = "%x%02x" % (os.getpid() % 0x100000, next(_links) % 256)
        self.prefix = "th%s" % self.tag
        self.net = "10.88.0"
        self.namespaces = []
        self.hosts = []
        self.switch = self.prefix + "-sw"
        _ip("netns", "add", self.switch)
        self.namespaces.append(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")

    def host(self, name, bus=True, avahi=True):
        h = Host(self, name, len(self.hosts) + 1)
        self.hosts.append(h)
        if bus:
            h.start_bus()
        if avahi:
            h.start_avahi()
        return h

    def close(self):
        """Every host's processes, then the namespaces, whatever fails."""
        outs, errors = {}, []
        for h in self.hosts:
            try:
                outs.update(h.stop())
            except Exception as e:       # noqa: BLE001 - the rest still go
                errors.append(e)
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                           timeout=30)
        self.namespaces = []
        if errors:
            raise errors[0]
        return outs


def wait_browse(host, pred, what, timeout=30, type="_ttyhub._tcp"):
    """Browse from host until pred(found) holds; returns found."""
    seen = []

    def check():
        seen[:] = host.browse(type)
        return pred(seen)
    wait_for(check, timeout, lambda: "%s (found %r)" % (what, seen))
    return seen
