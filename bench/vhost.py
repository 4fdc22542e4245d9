#!/usr/bin/python3
"""Virtio console benchmarks: one User-Mode Linux guest (tests/uml/umlrig.py)
with two consoles served by one ttyhubd, in one run:

- vhost: /dev/hvc0, the virtio console ttyhubd itself provides over
  vhost-user (type = vhost-user), driven by the guest's real
  virtio_console driver;
- chardev: /dev/tty1, UML's own console line on a socket (con1=fd:N, a
  connected unix socket whose other end ttyhubd holds as a type = unix
  console): what QEMU's `-chardev socket` with `-serial chardev:` is to a
  QEMU guest, the console through the VMM instead of through a device
  of ours.

Both consoles have raw TCP listeners; the clients are Python sockets.
Measured: guest-to-client MB/s (the guest writes N bytes with dd, every
client counts them), client-to-guest MB/s (one client writes N bytes,
the guest reads them with head -c and answers), and the keystroke round
trip (one byte out, the guest's dd bs=1 sends it back), each with 1 and
with 10 clients attached.  The guest is told what to do over the
console being measured, so nothing else crosses its path.

Run from the repository root as `/usr/bin/python3 bench/vhost.py` (or
`make bench-vhost`), after `make all helpers`.  Writes the "Virtio
consoles" section of bench/RESULTS.md (between marker lines; the rest of
the file is left as it is).  bench/README.md ("Virtio consoles") says
what each number is; BENCH_QUICK=1 runs small sizes.  Not part of make
check.
"""

import json
import os
import select
import selectors
import signal
import socket
import sys
import time

import harness
from harness import (Started, fmt, log, markers, measured, med, note_command,
                     write_section)

sys.path.insert(0, os.path.join(harness.ROOT, "tests"))
sys.path.insert(0, os.path.join(harness.ROOT, "tests", "uml"))
import umlrig  # noqa: E402

OUT = os.path.join(harness.OUT, "vhost")
BEGIN, END = markers("vhost.py")
QUICK = harness.QUICK
CFG = {
    "out_bytes": harness.env_num("BENCH_VH_OUT", (2 if QUICK else 16) << 20),
    "in_bytes": harness.env_num("BENCH_VH_IN", (1 if QUICK else 4) << 20),
    "rtt_count": harness.env_num("BENCH_VH_RTT", 100 if QUICK else 500),
    "reps": harness.env_num("BENCH_VH_REPS", 1 if QUICK else 3),
    "retries": harness.env_num("BENCH_RETRIES", 0 if QUICK else 2),
    "wait_idle_s": harness.env_num("BENCH_WAIT_IDLE_S", 0 if QUICK else 30,
                                   float),
}
CLIENTS = (1, 10)
PATHS = ("vhost", "chardev")
DEVICE = {"vhost": "/dev/hvc0", "chardev": "/dev/tty1"}
BLOCK = 65536
IN_TIMEOUT = 40         # s; 4 MiB at 0.1 MB/s: a stalled line, not a slow one
BOOTS_IN = 3            # boots tried for each chardev bulk input

# The guest: a server on each console, reading commands from it.
GUEST = r"""serve() {
	stty -F "$1" raw -echo
	while read -r cmd n; do
		case $cmd in
		out)	dd if=/dev/zero bs=65536 count=$((n / 65536)) \
			    2>/dev/null ;;
		in)	head -c "$n" >/dev/null; echo "in-done" ;;
		rtt)	dd bs=1 count="$n" 2>/dev/null ;;
		quit)	break ;;
		esac
	done
}
exec 4<>/dev/tty1
serve /dev/tty1 <&4 >&4 &
exec 3<>/dev/hvc0
serve /dev/hvc0 <&3 >&3 &
say "serving"
wait
"""


class Daemon(Started):
    """ttyhubd with the two consoles."""

    def __init__(self, vsock, csock, ports):
        self.logpath = os.path.join(OUT, "ttyhubd.log")
        self.conf = os.path.join(OUT, "ttyhub.conf")
        with open(self.conf, "w") as f:
            f.write("""[ttyhubd]
broker-unix = none

[console vhost]
type = vhost-user
path = %s
raw = 127.0.0.1:%d
notices = no
replay = 0
backlog = 64m

[console chardev]
type = unix
path = %s
raw = 127.0.0.1:%d
notices = no
replay = 0
backlog = 64m
""" % (vsock, ports["vhost"], csock, ports["chardev"]))
        self.port = ports["vhost"]
        argv = [harness.TTYHUBD, "-F", "-c", self.conf]
        note_command("ttyhubd", argv)
        if not self.spawn(argv):
            sys.exit("bench: ttyhubd did not start; see %s" % self.logpath)


class Clients:
    """n raw clients of one console; client 0 is the one that writes."""

    def __init__(self, port, n):
        self.socks = [socket.create_connection(("127.0.0.1", port), 10)
                      for _ in range(n)]
        self.sel = selectors.DefaultSelector()
        for i, s in enumerate(self.socks):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sel.register(s, selectors.EVENT_READ, i)

    def drain(self, timeout=0.2):
        """Read what is there, until timeout of quiet (at most 10 s)."""
        deadline = time.monotonic() + 10
        while self.sel.select(timeout) and time.monotonic() < deadline:
            for key, _ in self.sel.select(0):
                try:
                    key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    pass

    def send(self, data, deadline=None):
        """Client 0 sends data; False if it could not by the deadline (a
        guest that stopped reading: the daemon's queue and the socket's
        buffers are full)."""
        s = self.socks[0]
        deadline = deadline or time.monotonic() + 60
        view = memoryview(data)
        while view:
            try:
                view = view[s.send(view):]
                continue
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.drain(0)
            select.select([], [s], [], min(left, 0.5))
        return True

    def read_each(self, n, deadline):
        """Until every client has n bytes: (first byte, last byte) times,
        or None at the deadline."""
        got = [0] * len(self.socks)
        first = last = None
        while min(got) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for key, _ in self.sel.select(min(left, 0.5)):
                try:
                    b = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not b:
                    return None
                now = time.monotonic()
                first = first or now
                got[key.data] += len(b)
                last = now
        return first, last

    def read_until(self, needle, deadline):
        """Client 0 until needle; the time it came, or None."""
        buf = b""
        s = self.socks[0]
        while needle not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready = [k for k, _ in self.sel.select(min(left, 0.5))]
            for key in ready:
                try:
                    b = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                if key.fileobj is s:
                    buf += b
        return time.monotonic()

    def close(self):
        for s in self.socks:
            s.close()


def run_out(c, n):
    """The guest writes n bytes; MB/s at the slowest client."""
    c.drain()
    c.send(b"out %d\n" % n)
    t = c.read_each(n, time.monotonic() + 120)
    if t is None or t[1] <= t[0]:
        return {"error": "timeout"}
    return {"mbs": round(n / 1e6 / (t[1] - t[0]), 2)}


def run_in(c, n):
    """Client 0 writes n bytes; MB/s until the guest says it has them."""
    c.drain()
    c.send(b"in %d\n" % n)
    data = b"x" * BLOCK
    t0 = time.monotonic()
    deadline = t0 + IN_TIMEOUT
    sent = 0
    while sent < n:
        if not c.send(data[:min(BLOCK, n - sent)], deadline):
            return {"error": "the guest stopped reading"}
        sent += min(BLOCK, n - sent)
    t1 = c.read_until(b"in-done", deadline)
    if t1 is None:
        return {"error": "timeout"}
    return {"mbs": round(n / 1e6 / (t1 - t0), 2)}


def run_rtt(c, n):
    """n keystrokes, each sent when the last came back: p50 and p90."""
    c.drain()
    c.send(b"rtt %d\n" % n)
    times = []
    s = c.socks[0]
    for i in range(n):
        t0 = time.monotonic()
        c.send(b"k")
        deadline = t0 + 10
        got = False
        while not got:
            left = deadline - time.monotonic()
            if left <= 0:
                return {"error": "timeout"}
            for key, _ in c.sel.select(left):
                try:
                    b = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if key.fileobj is s and b:
                    got = True
        times.append(time.monotonic() - t0)
    times.sort()
    return {"p50_us": round(1e6 * times[len(times) // 2], 1),
            "p90_us": round(1e6 * times[len(times) * 9 // 10], 1)}


def session_ticks(sid):
    """CPU ticks of the processes in session sid: the guest's (UML
    forks processes that leave our tree, but not its session)."""
    ticks = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks


def measure(fn, *args):
    """fn(*args), redone while other work on the machine disturbed it:
    harness.measured's guard, with the guest's own processes left out of
    the others' CPU time."""
    for attempt in range(1 + CFG["retries"]):
        t0, g0 = time.monotonic(), session_ticks(GUEST_SID[0])
        res = measured(lambda: fn(*args), steal=True)
        dt = time.monotonic() - t0
        guest = (session_ticks(GUEST_SID[0]) - g0) / os.sysconf(
            "SC_CLK_TCK")
        res["others_cpu"] = round(max(0.0, res["others_cpu"] - guest), 2)
        res["disturbed"] = res["others_cpu"] > 0.05 * dt + 0.03 or \
            res.get("steal_pct", 0) > 100 * harness.STEAL_MAX
        res["attempts"] = attempt + 1
        # A stalled line stays stalled on this boot: no use trying again.
        if not res.get("disturbed") or "error" in res:
            break
    return res


GUEST_SID = [0]


class Guest:
    """One boot of the guest, its chardev end accepted from listener (to
    which ttyhubd's unix console connects, again after each boot)."""

    def __init__(self, kernel, vsock, listener):
        listener.settimeout(30)
        self.conn, _ = listener.accept()
        fd = self.conn.fileno()
        os.set_inheritable(fd, True)
        self.g = umlrig.Guest(OUT, vsock, GUEST, name="guest",
                              on_hvc=False, script_timeout=3600,
                              cmdline=("con1=fd:%d" % fd,), pass_fds=(fd,),
                              kernel=kernel)
        note_command("guest", self.g.argv())
        self.g.start()
        GUEST_SID[0] = self.g.pid
        self.g.wait_for(umlrig.MARK + "serving", 30)
        self.conn.close()

    def stop(self, ports):
        for path in PATHS:
            try:
                c = Clients(ports[path], 1)
                c.send(b"quit\n")
                c.close()
            except OSError:
                pass
        try:
            self.g.wait_exit(20)
        except umlrig.GuestError:
            pass
        self.g.stop()


def step(results, ports, path, n, what):
    """One measurement of what on path with n clients, into results."""
    fn, arg = {"out": (run_out, CFG["out_bytes"]),
               "in": (run_in, CFG["in_bytes"]),
               "rtt": (run_rtt, CFG["rtt_count"])}[what]
    c = Clients(ports[path], n)
    try:
        res = measure(fn, c, arg)
    finally:
        c.close()
    results.setdefault((path, n, what), []).append(res)
    log("%s, %d client(s), %s: %s" % (path, n, what, res))
    return res


def chardev_in(results, ports, kernel, vsock, listener, n):
    """The chardev's bulk input with n clients, on a boot of its own:
    UML's console line may stop reading its fd when it throttles
    (bench/README.md), so a boot where it did is left and the
    measurement made again on a fresh one, up to BOOTS_IN boots; the
    runs that stalled stay in the record."""
    for _ in range(BOOTS_IN):
        g = Guest(kernel, vsock, listener)
        try:
            res = step(results, ports, "chardev", n, "in")
        finally:
            g.stop(ports)
        if "error" not in res:
            return


def main():
    # SIGTERM unwinds, so that the guest and the daemon are stopped.
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(1))
    os.makedirs(OUT, exist_ok=True)
    t_start = time.monotonic()
    if not os.access(harness.TTYHUBD, os.X_OK):
        sys.exit("bench: %s is missing: make all" % harness.TTYHUBD)
    try:
        kernel = umlrig.Kernel.get()
    except umlrig.RigError as e:
        sys.exit("bench: %s" % e)
    vsock = os.path.join(OUT, "vm.vhost")
    csock = os.path.join(OUT, "con1.sock")
    for p in (vsock, csock):
        if os.path.exists(p):
            os.unlink(p)
    # The guest's end of the chardev: we listen, ttyhubd connects, UML
    # gets what we accepted as con1=fd:N.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(csock)
    listener.listen(1)
    ports = {p: harness.free_port() for p in PATHS}
    d = Daemon(vsock, csock, ports)
    results = {}
    try:
        for rep in range(CFG["reps"]):
            if CFG["wait_idle_s"]:
                harness.wait_idle("repetition %d" % (rep + 1),
                                  CFG["wait_idle_s"])
            g = Guest(kernel, vsock, listener)
            try:
                for n in CLIENTS:
                    for path in PATHS:
                        step(results, ports, path, n, "out")
                        step(results, ports, path, n, "rtt")
                for n in CLIENTS:
                    step(results, ports, "vhost", n, "in")
            finally:
                g.stop(ports)
            for n in CLIENTS:
                chardev_in(results, ports, kernel, vsock, listener, n)
    finally:
        d.stop_proc()
        listener.close()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"%s/%d/%s" % k: v for k, v in results.items()}, f,
                  indent=1)
    report(results, kernel, time.monotonic() - t_start)


def value(runs, key):
    good = [r.get(key) for r in runs if "error" not in r and
            not r.get("disturbed")]
    if not good:
        good = [r.get(key) for r in runs if "error" not in r]
    return med(good)


def report(results, kernel, secs):
    rows = []
    for n in CLIENTS:
        rows.append(("Guest to client%s (MB/s)" % (
            "s, each" if n > 1 else ""), n, "out", "mbs", 2))
        rows.append(("Client to guest%s (MB/s)" % (
            ", 1 writer" if n > 1 else ""), n, "in", "mbs", 2))
        rows.append(("Keystroke round trip p50 (µs)", n, "rtt", "p50_us",
                     0))
        rows.append(("Keystroke round trip p90 (µs)", n, "rtt", "p90_us",
                     0))
    lines = [BEGIN, "## Virtio consoles", "",
             "Written by `bench/vhost.py` in %.0f s. One User-Mode Linux "
             "guest (%s) with two consoles, both served by ttyhubd with "
             "raw TCP listeners: **vhost** is /dev/hvc0, the virtio "
             "console ttyhubd provides over vhost-user to the guest's "
             "virtio_console driver; **chardev** is /dev/tty1, UML's own "
             "console line on a connected unix socket (`con1=fd:N`) whose "
             "other end is a `type = unix` console, what QEMU's "
             "`-chardev socket` is to a QEMU guest. See bench/README.md "
             "(Virtio consoles)." % (secs, kernel.version), "",
             "| metric | clients | vhost | chardev |",
             "|---|---|---|---|"]
    for name, n, what, key, nd in rows:
        lines.append("| %s | %d | %s | %s |" % (
            name, n, fmt(value(results.get(("vhost", n, what), []), key),
                         nd),
            fmt(value(results.get(("chardev", n, what), []), key), nd)))
    lines += ["", "Medians of %d repetitions (a repetition during which "
              "other processes or the host used the CPU is redone, up to "
              "%d times). Guest to client: %d bytes written by the guest "
              "with dd, timed from the first byte to the last at the "
              "slowest client. Client to guest: %d bytes from one client, "
              "timed from its first byte to the guest's answer after "
              "reading them all. Round trip: %d keystrokes of one byte, "
              "each sent when the last came back. A chardev bulk input whose line "
              "stalled (bench/README.md) is made again on a fresh boot, up "
              "to %d boots; the stalled runs are under Runs." % (
                  CFG["reps"], CFG["retries"], CFG["out_bytes"],
                  CFG["in_bytes"], CFG["rtt_count"], BOOTS_IN), "",
              "### Machine", ""]
    for k, v in harness.machine(peers={
            "linux.uml": "%s (%s)" % (kernel.version, kernel.path),
            "umlfpu.so": kernel.preload or "not used"}).items():
        lines.append("- %s: %s" % (k, v))
    lines += ["", "### Runs", "", "| run | result |", "|---|---|"]
    for (path, n, what), runs in sorted(results.items()):
        lines.append("| %s, %d client(s), %s | %s |" % (
            path, n, what, "; ".join(
                ", ".join("%s=%s" % kv for kv in sorted(r.items()))
                for r in runs)))
    lines += ["", "### Commands", ""]
    for what, cmd in harness.COMMANDS:
        lines.append("- %s: `%s`" % (what, cmd))
    lines.append(END)
    write_section("vhost.py", "\n".join(lines))
    log("wrote the Virtio consoles section of %s" % harness.RESULTS)


if __name__ == "__main__":
    main()
