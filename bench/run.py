#!/usr/bin/python3
"""ttyhub benchmark suite: ttyhubd and BusyBox telnetd side by side.

Run from the repository root as `/usr/bin/python3 bench/run.py` (or
`make bench`).  Builds the helper programs in bench/helpers/ into bench/out/,
starts each daemon on an ephemeral 127.0.0.1 port, measures, and writes
bench/RESULTS.md.  bench/README.md explains every measurement and the
environment variables that size it.
"""

import datetime
import os
import platform
import re
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
LOGS = os.path.join(OUT, "logs")
RESULTS = os.path.join(BENCH, "RESULTS.md")

MB = 1000 * 1000
MIB = 1024 * 1024
NOFILE = 8192


def env_num(name, default, kind=int):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        sys.exit(f"bench: {name}={raw!r} is not a number")


QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
CFG = {
    # bulk output, plain bytes and all 0xFF (MiB of payload)
    "out_mib": env_num("BENCH_OUT_MIB", 8 if QUICK else 64),
    "ff_mib": env_num("BENCH_FF_MIB", 4 if QUICK else 32),
    # bulk input (MiB of payload)
    "in_mib": env_num("BENCH_IN_MIB", 4 if QUICK else 32),
    # no single transfer runs longer than this (s); the rate so far counts
    "cap_s": env_num("BENCH_CAP_S", 1.0 if QUICK else 5.0, float),
    "reps": env_num("BENCH_REPS", 1 if QUICK else 5),
    "rtt_count": env_num("BENCH_RTT_COUNT", 2000 if QUICK else 20000),
    "rtt_warmup": env_num("BENCH_RTT_WARMUP", 200 if QUICK else 1000),
    "seq_s": env_num("BENCH_SEQ_S", 1.0 if QUICK else 3.0, float),
    "conc_s": env_num("BENCH_CONC_S", 1.5 if QUICK else 5.0, float),
    "conc": env_num("BENCH_CONC", 32),
    "sess_timeout_ms": env_num("BENCH_SESS_TIMEOUT_MS",
                               2000 if QUICK else 5000),
    "mem_sessions": env_num("BENCH_MEM_SESSIONS", 100 if QUICK else 1000),
    "mem_window": env_num("BENCH_MEM_WINDOW", 16),
}
TTYHUBD = os.environ.get("BENCH_TTYHUBD", os.path.join(ROOT, "build", "ttyhubd"))
BUSYBOX = os.environ.get("BENCH_BUSYBOX", "busybox")
CC = os.environ.get("CC", "cc")

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
    """In a child before exec: room for 1000 sessions (2 fds each)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# --- building the helpers -------------------------------------------------

def build_helpers():
    os.makedirs(LOGS, exist_ok=True)
    progs = [("blast", []), ("sink", []), ("echo", []), ("tnclient", []),
             ("ptybench", []), ("ready", ["-static"])]
    for name, extra in progs:
        src = os.path.join(HELPERS, name + ".c")
        dst = os.path.join(OUT, name)
        argv = [CC, "-O2", "-Wall", "-Wextra", *extra, "-o", dst, src]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if r.returncode != 0 and extra:
            # No static libc: a dynamic one does the same job.
            argv = [CC, "-O2", "-Wall", "-Wextra", "-o", dst, src]
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=120)
        if r.returncode != 0:
            sys.exit(f"bench: cannot build {name}:\n{r.stderr}")
        note_command(f"build {name}", argv)

    def wrapper(name, args):
        # Both daemons run -l PROG with no arguments: a two-line script
        # passes them (its exec happens once per session).
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexec " +
                    " ".join(shlex.quote(a) for a in args) + "\n")
        os.chmod(path, 0o755)
        return path

    blast = os.path.join(OUT, "blast")
    return {
        "blast_a": wrapper("blast-a.sh", [blast, str(CFG["out_mib"] * MIB),
                                          "61"]),
        "blast_ff": wrapper("blast-ff.sh", [blast, str(CFG["ff_mib"] * MIB),
                                            "ff"]),
        "sink": os.path.join(OUT, "sink"),
        "echo": os.path.join(OUT, "echo"),
        "ready": os.path.join(OUT, "ready"),
    }


# --- daemons ---------------------------------------------------------------

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


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


class Daemon:
    """One daemon we started; stopped (by PID) when done."""

    def __init__(self, kind, prog, tag):
        self.kind, self.prog, self.tag = kind, prog, tag
        self.proc = None
        self.port = None
        for _ in range(5):
            self.port = free_port()
            if self._start():
                return
        sys.exit(f"bench: cannot start {kind} (see {LOGS})")

    def argv(self):
        if self.kind == "ttyhubd":
            return [TTYHUBD, "-F", "-b", f"127.0.0.1:{self.port}",
                    "-l", self.prog, "-f", "/dev/null"]
        return [BUSYBOX, "telnetd", "-F", "-p", str(self.port),
                "-b", "127.0.0.1", "-l", self.prog, "-f", "/dev/null"]

    def _start(self):
        argv = self.argv()
        note_command(f"{self.kind} ({self.tag})", argv)
        logf = open(os.path.join(LOGS, f"{self.kind}-{self.tag}.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf,
                                     preexec_fn=raise_nofile, cwd=ROOT)
        logf.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False    # port taken meanwhile: try another
            if listening(self.port):
                return True
            time.sleep(0.01)
        self.stop()
        return False

    @property
    def pid(self):
        return self.proc.pid

    def cpu(self):
        return proc_cpu(self.pid)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        kids = [(k, proc_start_time(k)) for k in children_of(self.pid)]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        # Its session programs die of SIGHUP when the masters close; any
        # left (same PID and start time as before) we end ourselves.
        deadline = time.monotonic() + 2
        for pid, start in kids:
            while (proc_start_time(pid) == start and start is not None and
                   time.monotonic() < deadline):
                time.sleep(0.01)
            if start is not None and proc_start_time(pid) == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.proc = None


def both(prog, tag):
    return {"ttyhubd": Daemon("ttyhubd", prog, tag),
            "busybox": Daemon("busybox", prog, tag)}


def stop_all(ds):
    for d in ds.values():
        d.stop()


# --- clients ---------------------------------------------------------------

def kv(line):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", line)}


def run_tool(what, argv, timeout):
    note_command(what, argv)
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=raise_nofile)
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    lines = [l for l in r.stdout.splitlines() if "=" in l]
    res = kv(lines[-1]) if lines else {"error": f"exit {r.returncode}"}
    if r.returncode != 0 and "error" not in res:
        res["error"] = f"exit {r.returncode}"
    return res


TNCLIENT = os.path.join(OUT, "tnclient")
PTYBENCH = os.path.join(OUT, "ptybench")


def fnum(res, key):
    try:
        return float(res[key])
    except (KeyError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def with_server(what, server_args, client_args, timeout):
    """Run a ptybench TCP server (it prints port=N), then tnclient on it."""
    src = subprocess.Popen([PTYBENCH, OUT, *server_args],
                           stdout=subprocess.PIPE, text=True)
    note_command(what + " (server)", src.args)
    try:
        sel = selectors.DefaultSelector()
        sel.register(src.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=5):
            return {"error": "no port"}
        port = kv(src.stdout.readline()).get("port", "0")
        res = run_tool(what + " (client)",
                       [TNCLIENT, client_args[0], port, *client_args[1:]],
                       timeout)
    finally:
        try:
            src.wait(timeout=10)
        except subprocess.TimeoutExpired:
            src.kill()
            src.wait()
    return res


def client_ceiling(nbytes, byte):
    """Our client reading from a plain C sender: no pty, no daemon."""
    return with_server("client ceiling", ["tcpsrc", str(nbytes), byte],
                       ["out", str(nbytes), byte, str(CFG["cap_s"])],
                       CFG["cap_s"] + 30)


# --- the measurements ------------------------------------------------------

R = {}      # results, keyed by measurement
D = {}      # details: lists of raw result dicts


def cpu_during(daemon, fn):
    c0 = daemon.cpu()
    res = fn()
    res["daemon_cpu"] = round(daemon.cpu() - c0, 3)
    return res


def bench_output(progs):
    cap = CFG["cap_s"]
    for byte, key, mib, prog in (("61", "out", CFG["out_mib"], "blast_a"),
                                 ("ff", "ff", CFG["ff_mib"], "blast_ff")):
        n = mib * MIB
        log(f"bulk output, {'plain' if byte == '61' else 'all 0xFF'}, "
            f"{mib} MiB x {CFG['reps']}")
        ds = both(progs[prog], prog)
        try:
            for rep in range(CFG["reps"]):
                row = {"ceiling": run_tool(
                    f"pty ceiling ({key})",
                    [PTYBENCH, OUT, "out", str(n), byte], cap + 60)}
                for name, d in ds.items():
                    row[name] = cpu_during(d, lambda d=d: run_tool(
                        f"{name} output ({key})",
                        [TNCLIENT, "out", str(d.port), str(n), byte,
                         str(cap)], cap + 30))
                D.setdefault(key, []).append(row)
                log("  " + ", ".join(f"{k} {v.get('mbps', v.get('error'))}"
                                     for k, v in row.items()))
            row = {"client": client_ceiling(n, byte)}
            D.setdefault(key + "_client", []).append(row)
        finally:
            stop_all(ds)


def bench_input(progs):
    cap = CFG["cap_s"]
    n = CFG["in_mib"] * MIB
    ds = both(progs["sink"], "sink")
    try:
        for byte, key in (("61", "in"), ("ff", "in_ff")):
            log(f"bulk input, {'plain' if byte == '61' else 'all 0xFF'}, "
                f"{CFG['in_mib']} MiB x {CFG['reps']}")
            for rep in range(CFG["reps"]):
                row = {"ceiling": run_tool(
                    f"pty input ceiling ({key})",
                    [PTYBENCH, OUT, "in", str(n), byte], 90)}
                for name, d in ds.items():
                    row[name] = cpu_during(d, lambda d=d: run_tool(
                        f"{name} input ({key})",
                        [TNCLIENT, "in", str(d.port), str(n), byte,
                         str(cap)], cap + 60))
                D.setdefault(key, []).append(row)
                log("  " + ", ".join(f"{k} {v.get('mbps', v.get('error'))}"
                                     for k, v in row.items()))
    finally:
        stop_all(ds)


def bench_rtt(progs):
    k, w = CFG["rtt_count"], CFG["rtt_warmup"]
    log(f"keystroke echo, {k} round trips x {CFG['reps']}")
    ds = both(progs["echo"], "echo")
    try:
        for rep in range(CFG["reps"]):
            row = {"ceiling": run_tool("pty echo ceiling",
                                       [PTYBENCH, OUT, "rtt", str(k), str(w)],
                                       120),
                   "tcp": with_server("TCP echo ceiling", ["tcpecho"],
                                      ["rtt", str(k), str(w)], 120)}
            for name, d in ds.items():
                row[name] = cpu_during(d, lambda d=d: run_tool(
                    f"{name} echo", [TNCLIENT, "rtt", str(d.port), str(k),
                                     str(w)], 300))
            D.setdefault("rtt", []).append(row)
            log("  " + ", ".join(f"{n} p50 {v.get('p50', v.get('error'))}"
                                 for n, v in row.items()))
    finally:
        stop_all(ds)


def bench_sessions(progs):
    to = CFG["sess_timeout_ms"]
    ds = both(progs["ready"], "ready")
    try:
        for key, secs, conc in (("seq", CFG["seq_s"], 1),
                                ("conc", CFG["conc_s"], CFG["conc"])):
            log(f"sessions, {conc} at a time, {secs} s")
            row = {}
            for name, d in ds.items():
                row[name] = cpu_during(d, lambda d=d: run_tool(
                    f"{name} sessions ({key})",
                    [TNCLIENT, "sess", str(d.port), str(secs), str(conc),
                     str(to)], secs + to / 1000 + 60))
                # Let the daemon reap and settle between runs.
                time.sleep(0.5)
                row[name]["daemon_alive"] = d.alive()
            D.setdefault(key, []).append(row)
            log("  " + ", ".join(
                f"{n} {v.get('rate', v.get('error'))}/s fail {v.get('fail')}"
                for n, v in row.items()))
    finally:
        stop_all(ds)


def mem_of(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                m = re.match(r"(\w+):\s+(\d+) kB", line)
                if m:
                    out[m.group(1).lower()] = int(m.group(2))
    except OSError:
        pass
    if "private_clean" in out:
        out["private"] = out["private_clean"] + out["private_dirty"]
    return out


def hold(d, n):
    """Open n sessions on d, measure d's memory, close them."""
    argv = [TNCLIENT, "hold", str(d.port), str(n), str(CFG["mem_window"]),
            str(CFG["sess_timeout_ms"])]
    note_command(f"{d.kind} hold", argv)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, preexec_fn=raise_nofile)
    res = {}
    try:
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and not line.startswith("HELD"):
            if sel.select(timeout=1):
                line = p.stdout.readline()
                if line == "":
                    break
        res = kv(line) if line.startswith("HELD") else {"error": "no HELD"}
        time.sleep(0.5)         # late children, log lines
        res["alive"] = d.alive()
        res["mem"] = mem_of(d.pid)
        res["kids"] = len(children_of(d.pid))
        p.stdin.write("\n")
        p.stdin.flush()
        p.wait(timeout=60)
    except (subprocess.TimeoutExpired, BrokenPipeError, OSError) as e:
        res.setdefault("error", str(e))
        p.kill()
        p.wait()
    return res


def bench_memory(progs):
    n = CFG["mem_sessions"]
    log(f"memory, {n} idle sessions")
    for kind in ("ttyhubd", "busybox"):
        d = Daemon(kind, progs["ready"], "memory")
        try:
            # One session first, so one-time costs are in the baseline.
            run_tool(f"{kind} warm-up", [TNCLIENT, "sess", str(d.port),
                                         "0.05", "1", "5000"], 30)
            time.sleep(0.5)
            base = mem_of(d.pid)
            res = hold(d, n)
            time.sleep(1.0)
            res["base"] = base
            res["after"] = mem_of(d.pid) if d.alive() else {}
            res["alive_after"] = d.alive()
            R["mem_" + kind] = res
            log(f"  {kind}: held {res.get('held')} of {n}, RSS "
                f"{base.get('rss')} -> {res.get('mem', {}).get('rss')} KiB")
        finally:
            d.stop()


# --- the report -------------------------------------------------------------

def fmt(v, nd=1):
    if v is None:
        return "n/a"
    return f"{v:,.{nd}f}"


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def machine():
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

    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=10, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    bb = out([BUSYBOX]).splitlines()
    dirty = out(["git", "status", "--porcelain", "--", "src", "Makefile"])
    return {
        "CPU": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": mem,
        "kernel": f"{platform.system()} {platform.release()} "
                  f"({platform.version()})",
        "date": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M:%S UTC"),
        "load average at start": out(["cat", "/proc/loadavg"]),
        "ttyhubd": f"{out([TTYHUBD, '-V'])}, git "
                   f"{out(['git', 'rev-parse', '--short', 'HEAD'])}"
                   f"{' (src/ or Makefile modified)' if dirty else ''}",
        "busybox": bb[0] if bb else "?",
        "compiler": out([CC, "--version"]).splitlines()[0]
        if out([CC, "--version"]) else "?",
        "python": sys.version.split()[0],
    }


def summarize():
    """Medians over repetitions, and the table rows."""
    def col(key, who, field="mbps"):
        return med([fnum(row.get(who, {}), field) for row in D.get(key, [])])

    rows = []
    ceil = col("out", "ceiling")
    th, bb = col("out", "ttyhubd"), col("out", "busybox")
    # Each repetition is a ceiling run next to one of each daemon: the
    # ratio is taken per repetition, then the median.
    def ratio(who):
        vals = []
        for row in D.get("out", []):
            c, v = fnum(row.get("ceiling", {}), "mbps"), \
                fnum(row.get(who, {}), "mbps")
            if c and v is not None:
                vals.append(v / c)
        return med(vals)
    rth, rbb = ratio("ttyhubd"), ratio("busybox")
    rows.append(("Raw pty ceiling, output (MB/s)", fmt(ceil), fmt(ceil),
                 "-", "-", "-"))
    rows.append(("Bulk output, plain (MB/s payload)", fmt(th), fmt(bb),
                 "-", "-", "-"))
    rows.append(("Bulk output / pty ceiling", fmt(rth, 2), fmt(rbb, 2),
                 ">= 0.85 [bb 0.59]", verdict(rth and rth >= 0.85),
                 verdict(rbb and rbb >= 0.85)))
    th, bb = col("ff", "ttyhubd"), col("ff", "busybox")
    rows.append(("Bulk output, all 0xFF (MB/s payload)", fmt(th), fmt(bb),
                 ">= 60 [bb 1.2]", verdict(th and th >= 60),
                 verdict(bb and bb >= 60)))
    v = col("in", "ceiling")
    rows.append(("Raw pty ceiling, input (MB/s)", fmt(v), fmt(v), "-", "-",
                 "-"))
    for key, label in (("in", "plain"), ("in_ff", "all 0xFF")):
        rows.append((f"Bulk input, {label} (MB/s payload)",
                     fmt(col(key, "ttyhubd")), fmt(col(key, "busybox")),
                     "-", "-", "-"))
    for who, label in (("ceiling", "pty alone"), ("tcp", "TCP loopback "
                                                   "alone")):
        v = col("rtt", who, "p50")
        rows.append((f"Echo ceiling, {label}, p50 (µs)", fmt(v), fmt(v),
                     "-", "-", "-"))
    th, bb = col("rtt", "ttyhubd", "p50"), col("rtt", "busybox", "p50")
    rows.append(("Keystroke echo p50 (µs)", fmt(th), fmt(bb),
                 "<= 35 [bb 79]", verdict(th and th <= 35),
                 verdict(bb and bb <= 35)))
    rows.append(("Keystroke echo p99 (µs)", fmt(col("rtt", "ttyhubd", "p99")),
                 fmt(col("rtt", "busybox", "p99")), "-", "-", "-"))
    for key, label in (("seq", "sequential"),
                       ("conc", f"{CFG['conc']} concurrent clients")):
        cells = []
        oks = []
        for who in ("ttyhubd", "busybox"):
            res = (D.get(key) or [{}])[0].get(who, {})
            rate, fail = fnum(res, "rate"), fnum(res, "fail")
            cells.append(f"{fmt(rate)}/s, {fmt(fail, 0)} failed"
                         if rate is not None else res.get("error", "n/a"))
            oks.append(None if rate is None else
                       (rate >= 1000 and fail == 0))
        if key == "conc":
            rows.append((f"Sessions per second, {label}", *cells,
                         ">= 1000/s, 0 failed [bb 97/s, 26 failed]",
                         verdict(oks[0]), verdict(oks[1])))
        else:
            rows.append((f"Sessions per second, {label}", *cells, "-", "-",
                         "-"))
    n = CFG["mem_sessions"]
    cells, oks = [], []
    for who in ("ttyhubd", "busybox"):
        res = R.get("mem_" + who, {})
        held = int(res.get("held", 0) or 0)
        b, m = res.get("base", {}).get("rss"), res.get("mem", {}).get("rss")
        if held == n and b is not None and m is not None:
            per = (m - b) / n
            cells.append(f"{fmt(per)} KiB")
            oks.append(per <= 8)
        else:
            extra = ""
            if b is not None and m is not None and held:
                extra = f"; {fmt((m - b) / held)} KiB each"
            cells.append(f"only {held} of {n} held"
                         f"{'' if res.get('alive') else ', daemon died'}"
                         f"{extra}")
            oks.append(False)
    rows.append((f"Daemon RSS per idle session at {n} sessions", *cells,
                 "<= 8 KiB [bb cannot hold 1000]", verdict(oks[0]),
                 verdict(oks[1])))
    return rows


def detail_tables():
    out = []

    def runs(key, title, fields):
        if key not in D:
            return
        out.append(f"\n### {title}\n")
        whos = [w for w in ("ceiling", "tcp", "client", "ttyhubd",
                            "busybox")
                if any(w in row for row in D[key])]
        out.append("| run | " + " | ".join(whos) + " |")
        out.append("|---|" + "---|" * len(whos))
        for i, row in enumerate(D[key]):
            cells = []
            for w in whos:
                r = row.get(w, {})
                if "error" in r:
                    cells.append("error: " + r["error"])
                else:
                    cells.append(", ".join(f"{f}={r[f]}" for f in fields
                                           + ["daemon_cpu"] if f in r))
            out.append(f"| {i + 1} | " + " | ".join(cells) + " |")

    flds = ["mbps", "bytes", "secs", "bad", "capped"]
    runs("out", "Bulk output, plain", flds)
    runs("out_client", "Client ceiling, plain (C sender, no pty)", flds)
    runs("ff", "Bulk output, all 0xFF", flds)
    runs("ff_client", "Client ceiling, all 0xFF (C sender, no pty)", flds)
    iflds = ["mbps", "got", "ff", "other", "secs", "capped"]
    runs("in", "Bulk input, plain", iflds)
    runs("in_ff", "Bulk input, all 0xFF", iflds)
    runs("rtt", "Keystroke echo (µs)", ["p50", "p90", "p99", "min", "mean",
                                        "max"])
    sflds = ["ok", "secs", "rate", "fail", "refused", "reset", "eof",
             "timeout", "other", "p50_us", "p99_us", "max_us", "daemon_alive"]
    runs("seq", "Sessions, sequential", sflds)
    runs("conc", f"Sessions, {CFG['conc']} concurrent", sflds)

    out.append(f"\n### Memory, {CFG['mem_sessions']} idle sessions (KiB)\n")
    out.append("| daemon | held | failed | open time (s) | children | "
               "VmRSS base -> held -> after close | Pss | Private "
               "(clean+dirty) | Anonymous | RSS / session | "
               "Private / session |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for who in ("ttyhubd", "busybox"):
        res = R.get("mem_" + who, {})
        b, m, a = res.get("base", {}), res.get("mem", {}), res.get("after",
                                                                    {})
        held = int(res.get("held", 0) or 0)

        def per(k):
            if held and k in b and k in m:
                return fmt((m[k] - b[k]) / held, 2)
            return "n/a"
        out.append(
            f"| {who} | {res.get('held', 'n/a')} | {res.get('fail', 'n/a')} "
            f"| {res.get('secs', 'n/a')} | {res.get('kids', 'n/a')} | "
            f"{b.get('rss')} -> {m.get('rss')} -> {a.get('rss', 'gone')} | "
            f"{b.get('pss')} -> {m.get('pss')} | "
            f"{b.get('private')} -> {m.get('private')} | "
            f"{b.get('anonymous')} -> {m.get('anonymous')} | "
            f"{per('rss')} | {per('private')} |")
    return out


def write_results(t_total):
    rows = summarize()
    info = machine()
    lines = ["# ttyhub benchmark results", "",
             f"Written by `bench/run.py` in {t_total:.0f} s"
             f"{' (BENCH_QUICK=1: smoke-test sizes, not for comparison)' if QUICK else ''}."
             " See bench/README.md for what each line measures.", "",
             "| metric | ttyhubd | busybox | target | ttyhubd | busybox |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    lines += ["",
              "Throughputs are medians of the repetitions; MB = 10^6 bytes "
              "of payload (what the program wrote or read, IAC counted "
              "once). The ratio is the median of per-repetition ratios, each "
              "against a ceiling run made just before. Bracketed targets are "
              "BusyBox 1.35 numbers measured elsewhere.", "",
              "## Machine", ""]
    for k, v in info.items():
        lines.append(f"- {k}: {v}")
    lines += ["", "## Sizes", ""]
    lines += [f"- {k} = {v}" for k, v in CFG.items()]
    lines += ["", "## Runs", ""]
    lines += detail_tables()
    lines += ["", "`daemon_cpu` is the daemon's user+system CPU seconds "
              "during that run (from /proc/PID/stat).", "",
              "## Commands", "",
              "Run from the repository root; PORT is an ephemeral port "
              "picked per daemon, N the size in bytes.", "", "```"]
    for what, cmd in COMMANDS:
        cmd = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", cmd)
        cmd = re.sub(r"(telnetd -F -p )\d+", r"\1PORT", cmd)
        cmd = re.sub(r"(tnclient (?:out|in|rtt|sess|hold) )\d+", r"\1PORT",
                     cmd)
        lines.append(f"# {what}\n{cmd}")
    lines += ["```", ""]
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines))
    return rows


def main():
    t0 = time.monotonic()
    if not os.access(TTYHUBD, os.X_OK):
        sys.exit(f"bench: {TTYHUBD} is missing: run make first")
    if subprocess.run([BUSYBOX, "telnetd", "--help"], capture_output=True,
                      timeout=10).returncode not in (0, 1):
        sys.exit("bench: busybox telnetd is missing")
    raise_nofile()
    log(f"{'quick ' if QUICK else ''}run; sizes {CFG}")
    progs = build_helpers()
    for step in (bench_output, bench_input, bench_rtt, bench_sessions,
                 bench_memory):
        t = time.monotonic()
        step(progs)
        log(f"  ({step.__name__}: {time.monotonic() - t:.1f} s)")
    rows = write_results(time.monotonic() - t0)
    for r in rows:
        log(" | ".join(r))
    log(f"wrote {rel(RESULTS)} in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
