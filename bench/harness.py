"""What the benchmark scripts share: run.py (login sessions against
BusyBox telnetd), console.py (a serial console against ser2net),
netq.py (the guest network's queues) and web.py (the web console's
WebSocket clients beside Telnet ones).

The settings read from the environment, the log and the list of commands
RESULTS.md shows, building the C helpers in bench/helpers/, servers
started on a free loopback port and stopped by their PID, running a
helper and reading its last key=value line, the pty device of the
console benchmarks (condev), the guard against other work
on this shared machine (other processes' CPU time, the host's steal, an
idle wait), medians and verdicts, the machine's description, and writing
a script's own section of RESULTS.md.  Nothing here measures: each
script decides what its runs are and what they mean.
"""

import datetime
import os
import platform
import re
import select
import resource
import selectors
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
HELPERS = os.path.join(BENCH, "helpers")
OUT = os.path.join(BENCH, "out")
RESULTS = os.path.join(BENCH, "RESULTS.md")

MB = 1000 * 1000
MIB = 1024 * 1024
NOFILE = 8192
CC = os.environ.get("CC", "cc")
TTYHUBD = os.environ.get("BENCH_TTYHUBD", os.path.join(ROOT, "build",
                                                       "ttyhubd"))


def env_num(name, default, kind=int):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        sys.exit(f"bench: {name}={raw!r} is not a number")


QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_list(name, choices, default=None):
    """A comma or space separated list of some of choices (all by
    default); anything else ends the run with a message."""
    raw = os.environ.get(name, "")
    got = raw.replace(",", " ").split() if raw else list(default or [])
    if any(x not in choices for x in got):
        sys.exit(f"bench: {name} takes some of: {' '.join(choices)}")
    return got


# --- the log and the commands RESULTS.md shows ----------------------------

COMMANDS = []           # (what, command line) as run, for RESULTS.md


def rel(path):
    """A path as shown in RESULTS.md: relative to the repository root."""
    if isinstance(path, str) and path.startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return path


def show(argv):
    return " ".join(shlex.quote(rel(a)) for a in argv)


def note_command(what, argv):
    if what not in (w for w, _ in COMMANDS):
        COMMANDS.append((what, show(argv)))


def log(msg):
    print(f"bench: {msg}", flush=True)


def raise_nofile():
    """In a child before exec (and in the script itself): room for 1000
    sessions of 2 fds each."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# --- where processes run ---------------------------------------------------
#
# On this VM an idle vCPU halts at once (cpuidle haltpoll with
# guest_halt_poll_ns=0), and waking it takes 25-50 µs: a round trip's time
# then depends on how many of its hops find their CPU halted, which is the
# scheduler's placement, not the programs' work (bench/README.md, "Where
# processes run").  A run "on one CPU" has every process of it (client,
# daemon and its children, ceiling programs) on the same CPU, which never
# idles while the round trip goes on; a "free" run lets the scheduler
# place them.

ALL_CPUS = sorted(os.sched_getaffinity(0))


def cpus_for(place, cpu):
    """The CPU set of a placement: "one" (cpu alone) or "free"."""
    return {cpu} if place == "one" else set(ALL_CPUS)


def preexec(cpus=None):
    """A preexec_fn: room for fds, and the CPU set if one is given."""
    def fn():
        raise_nofile()
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
    return fn


# --- building the helpers -------------------------------------------------

# The modules in bench/helpers/ that a helper is linked with besides its
# own NAME.c: bench.c (clock, exit, loopback socket, pty child, round-trip
# line), tnrecv.c (the Telnet receiver) and wsrecv.c (the WebSocket
# receiver).
HELPER_LIBS = {
    "tnclient": ["tnrecv", "bench"],
    "conview": ["tnrecv", "wsrecv", "bench"],
    "ptybench": ["bench"],
    "condev": ["bench"],
    "netq": ["bench"],
    "netpeer": ["bench"],
    "tlsview": ["tnrecv", "bench"],
    "hubclient": ["bench"],
    "relay": ["bench"],
}


def helper_sources(name):
    """The .c files a helper is built from: its own, then shared ones."""
    return [os.path.join(HELPERS, f + ".c")
            for f in (name, *HELPER_LIBS.get(name, []))]


def build_helper(name, outdir, flags=(), libs=(), extra_sources=()):
    """Compile bench/helpers/NAME.c with its HELPER_LIBS (and
    extra_sources, relative to the repository root) into outdir/NAME;
    the run ends if it does not compile.  Returns the program's path and
    the command."""
    os.makedirs(outdir, exist_ok=True)
    dst = os.path.join(outdir, name)
    srcs = helper_sources(name) + [os.path.join(ROOT, s)
                                   for s in extra_sources]

    def argv(fl):
        return [CC, "-O2", "-Wall", "-Wextra", *fl, "-o", dst, *srcs, *libs]
    cmd = argv(flags)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "-static" in flags:
        # No static libc: a dynamic one does the same job.
        cmd = argv([f for f in flags if f != "-static"])
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=120)
    if r.returncode != 0:
        sys.exit(f"bench: cannot build {name}:\n{r.stderr}")
    note_command(f"build {name}", cmd)
    return dst, cmd


# --- processes ------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether 127.0.0.1:port is in LISTEN, from /proc (no connection)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1] == want and parts[3] == "0A":
                    return True
    except OSError:
        pass
    return False


def proc_start_time(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def proc_cpu(pid):
    """utime + stime of a process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def proc_rss(pid):
    """VmRSS of a process in KiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def descendants_of(pid, depth=0):
    """Children, their children, ... (an inetd's servers and their
    programs)."""
    out = []
    for k in children_of(pid):
        out.append(k)
        if depth < 8:
            out += descendants_of(k, depth + 1)
    return out


class Started:
    """A server we started, listening on self.port and logging to
    self.logpath; stopped by its PID, never by name.  A subclass's
    _start() writes what it needs and calls spawn(argv)."""

    proc = None
    port = None

    def start_on_free_port(self, what):
        """_start() on a free port, another if that one was taken
        meanwhile; five tries, then the run ends."""
        for _ in range(5):
            self.port = free_port()
            if self._start():
                return
        sys.exit(f"bench: cannot start {what}")

    def spawn(self, argv, port=None):
        """Start argv; True once it listens (on port, self.port by
        default), False if it exited (its port taken meanwhile: try
        another) or did not listen within 5 s."""
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf,
                                     preexec_fn=raise_nofile, cwd=ROOT)
        logf.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if listening(port or self.port):
                return True
            time.sleep(0.01)
        self.stop_proc()
        return False

    def stop_proc(self):
        """SIGTERM, and SIGKILL after 5 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    @property
    def pid(self):
        return self.proc.pid

    def cpu(self):
        return proc_cpu(self.pid)

    def rss(self):
        return proc_rss(self.pid)

    def alive(self):
        return self.proc.poll() is None

    def pin(self, cpus):
        """Run on cpus from now on; what it forks later inherits that."""
        try:
            os.sched_setaffinity(self.pid, cpus)
        except OSError:
            pass


# --- running a helper -----------------------------------------------------

class Device:
    """condev dev LINK: the pty whose slave a server opens as its port
    (condev: the helper's path, built by the script), for console.py and
    web.py."""

    def __init__(self, condev, link):
        self.link = link
        argv = [condev, "dev", self.link]
        note_command("device (one per server)", argv)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.buf = b""
        self.fd = self.proc.stdout.fileno()
        line = self.readline(5)
        if not line.startswith("dev="):
            sys.exit(f"bench: condev: {line!r}")
        self.path = line.strip()[4:]
        self.pid = self.proc.pid

    def readline(self, timeout):
        """One line from the device, or "" after timeout (raw reads: a
        buffered reader would hide lines from select)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return ""
            r = select.select([self.fd], [], [], left)[0]
            if r:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    return ""
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("ascii", "replace") + "\n"

    def cmd(self, text):
        """Send a command; returns what the device said about the one
        before it (blast: bytes written)."""
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        info = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.readline(1)
            if line.startswith("blasted"):
                info = kv(line)
            if line.strip() == f"ok {text}":
                return info
            if line == "" and self.proc.poll() is not None:
                break
        sys.exit(f"bench: condev did not take {text!r}")

    def cpu(self):
        return proc_cpu(self.pid)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)


def kv(line):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", line)}


def run_tool(what, argv, timeout, cpus=None):
    """Run a helper (on cpus, if given); its last key=value line as a
    dict (with "error" if it failed or timed out)."""
    note_command(what, argv)
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=preexec(cpus))
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    lines = [l for l in r.stdout.splitlines() if "=" in l]
    res = kv(lines[-1]) if lines else {"error": f"exit {r.returncode}"}
    if r.returncode != 0 and "error" not in res:
        res["error"] = f"exit {r.returncode}"
    return res


def with_server(outdir, what, server_args, client_args, timeout,
                cpus=None):
    """Run a ptybench TCP server from outdir (it prints port=N), then
    outdir's tnclient on it: the client and the loopback alone.  Both
    on cpus, if given."""
    ptybench = os.path.join(outdir, "ptybench")
    tnclient = os.path.join(outdir, "tnclient")
    src = subprocess.Popen([ptybench, outdir, *server_args],
                           stdout=subprocess.PIPE, text=True,
                           preexec_fn=preexec(cpus))
    note_command(what + " (server)", src.args)
    try:
        sel = selectors.DefaultSelector()
        sel.register(src.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=5):
            return {"error": "no port"}
        port = kv(src.stdout.readline()).get("port", "0")
        res = run_tool(what + " (client)",
                       [tnclient, client_args[0], port, *client_args[1:]],
                       timeout, cpus)
    finally:
        try:
            src.wait(timeout=10)
        except subprocess.TimeoutExpired:
            src.kill()
            src.wait()
    return res


# --- numbers --------------------------------------------------------------

def fnum(res, key):
    try:
        return float(res[key])
    except (KeyError, ValueError, TypeError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, nd=1):
    return "n/a" if v is None else f"{v:,.{nd}f}"


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def run_table(rows, whos, fields, usual=lambda field, value: False):
    """The lines of a Markdown table of every run: a line per repetition
    (a dict: who -> that run's result, "_attempts" -> how often it was
    done), a column per who, each cell the fields the run has, but for
    those usual() calls unremarkable."""
    out = ["| run | " + " | ".join(whos) + " | attempts |",
           "|---|" + "---|" * (len(whos) + 1)]
    for i, row in enumerate(rows):
        cells = []
        for w in whos:
            r = row.get(w, {})
            if not r:
                cells.append("-")
            elif "error" in r:
                cells.append("error: " + str(r["error"]))
            else:
                cells.append(", ".join(
                    f"{f}={r[f]}" for f in fields
                    if f in r and not usual(f, r[f])) +
                    (" **disturbed**" if r.get("disturbed") else ""))
        out.append(f"| {i + 1} | " + " | ".join(cells) +
                   f" | {row.get('_attempts', 1)} |")
    return out


# --- other work on the machine --------------------------------------------
#
# This machine is shared (other people's builds, tests and guests run on
# the same 2 CPUs), and a busy CPU skews every number here.  Around each
# run we sum the CPU time of every process that is neither ours (the
# script and its descendants) nor a kernel thread, and optionally the
# time the hypervisor stole from our vCPUs; a run during which either
# went over 5 % of a CPU is marked disturbed, and the script redoes it.

PF_KTHREAD = 0x00200000


def cpu_snapshot():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[6]) & PF_KTHREAD:
            continue
        # ppid, utime + stime + cutime + cstime
        procs[int(d)] = (int(fields[1]),
                         sum(int(x) for x in fields[11:15]))
    return procs


def others_cpu(before, after):
    """CPU seconds used between two snapshots by processes not ours."""
    me = os.getpid()
    ours = {me}
    parents = {pid: v[0] for pid, v in after.items()}
    parents.update({pid: v[0] for pid, v in before.items()})

    def is_ours(pid, depth=0):
        while pid > 1 and depth < 64:
            if pid in ours:
                return True
            pid = parents.get(pid, 0)
            depth += 1
        return False
    ticks = 0
    for pid, (_, cpu) in after.items():
        if pid == 1 or is_ours(pid):
            # pid 1 reaps our orphans; its own use is small and steady.
            continue
        ticks += cpu - before[pid][1] if pid in before else cpu
    return ticks / os.sysconf("SC_CLK_TCK")


def steal_ticks():
    """Time the hypervisor ran something else while our vCPUs wanted to
    run (/proc/stat "steal", all CPUs), in ticks."""
    with open("/proc/stat") as f:
        v = f.readline().split()
    return int(v[8]) if len(v) > 8 else 0


STEAL_MAX = 0.05        # of one CPU, over a run


def measured(fn, steal=False):
    """Run fn() (it returns a dict), noting in it the CPU others used
    meanwhile, and with steal the host's steal too: this VM's host takes
    CPU time from it in some minutes, which no process here shows, and a
    run then slows down by up to 7 times."""
    s0, st0, t0 = cpu_snapshot(), steal_ticks(), time.monotonic()
    res = fn()
    dt = time.monotonic() - t0
    other = others_cpu(s0, cpu_snapshot())
    res["others_cpu"] = round(other, 2)
    res["disturbed"] = other > 0.05 * dt + 0.03
    if steal:
        stolen = (steal_ticks() - st0) / os.sysconf("SC_CLK_TCK")
        res["steal_pct"] = round(100 * stolen / dt, 1)
        if stolen > STEAL_MAX * dt + 0.02:
            res["disturbed"] = True
    return res


def idle_pct(secs=1.0):
    """How idle all CPUs were over the next secs, in percent."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)     # idle + iowait, total
    i0, t0 = sample()
    time.sleep(secs)
    i1, t1 = sample()
    return 100.0 * (i1 - i0) / max(1, t1 - t0)


def wait_idle(step, limit):
    """Wait up to limit seconds for the CPUs to be 85 % idle; returns
    (% idle found, seconds waited)."""
    start = time.monotonic()
    pct = idle_pct()
    while pct < 85 and time.monotonic() - start < limit:
        pct = idle_pct()
    waited = time.monotonic() - start
    log(f"{step}: machine {pct:.0f} % idle (waited {waited:.0f} s)")
    return pct, waited


# --- the report -----------------------------------------------------------

def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().strip()


LOADAVG_START = loadavg()


def machine(ttyhubd=TTYHUBD, peers=None):
    """The machine and the programs, for RESULTS.md; peers (name ->
    version line) follow ttyhubd."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
    dirty = output(["git", "status", "--porcelain", "--", "src", "Makefile"])
    info = {
        "CPU": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": mem,
        "kernel": f"{platform.system()} {platform.release()} "
                  f"({platform.version()})",
        "date": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M:%S UTC"),
        "load average at start": LOADAVG_START,
        "load average at end": loadavg(),
        "ttyhubd": f"{output([ttyhubd, '-V'])}, git "
                   f"{output(['git', 'rev-parse', '--short', 'HEAD'])}"
                   f"{' (src/ or Makefile modified)' if dirty else ''}",
    }
    info.update(peers or {})
    info["compiler"] = output([CC, "--version"]).splitlines()[0] \
        if output([CC, "--version"]) else "?"
    info["python"] = sys.version.split()[0]
    return info


def output(argv):
    """What a command printed, stripped; "?" if it could not run."""
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=10, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def version(argv):
    """The first line a program prints about its version, or "?"."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


# --- profiles -------------------------------------------------------------

def perf_top(pid, fn, outdir, limit=12):
    """perf record -g on pid (and what it forks meanwhile) while fn()
    runs; fn's result and the symbols with the most self time, as
    (percent, symbol) pairs."""
    data = os.path.join(outdir, f"perf-{pid}.data")
    argv = ["perf", "record", "-q", "-g", "-o", data, "-p", str(pid)]
    note_command("profile (perf)", argv)
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    res = fn()
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    r = subprocess.run(["perf", "report", "-i", data, "--no-children",
                        "--sort", "sym", "--stdio", "-g", "none",
                        "--percent-limit", "1.5"],
                       capture_output=True, text=True, timeout=120)
    top = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[([k.])\]\s+(\S+)", line)
        if m:
            top.append((float(m.group(1)),
                        ("kernel " if m.group(2) == "k" else "") +
                        m.group(3)))
    try:
        os.unlink(data)
    except OSError:
        pass
    return res, top[:limit]


# Each script but run.py owns a section of RESULTS.md between two marker
# lines; run.py writes the rest of the file and keeps the sections.

def markers(script):
    return (f"<!-- bench/{script}: begin -->",
            f"<!-- bench/{script}: end -->")


SECTION = re.compile(r"<!-- bench/(\S+): begin -->.*?"
                     r"<!-- bench/\1: end -->", re.S)


def read_results():
    try:
        with open(RESULTS) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def sections():
    """Every script's section now in RESULTS.md, in order."""
    return [m.group(0) for m in SECTION.finditer(read_results())]


def write_section(script, text):
    """Replace script's section of RESULTS.md with text (which starts
    and ends with its marker lines), or add it at the end."""
    begin, end = markers(script)
    text = text.rstrip("\n")
    old = read_results() or "# ttyhub benchmark results\n"
    if begin in old and end in old:
        a = old.index(begin)
        b = old.index(end) + len(end)
        new = old[:a] + text + old[b:]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    with open(RESULTS, "w") as f:
        f.write(new)
