#!/usr/bin/python3
"""ttyhub benchmark suite: ttyhubd, BusyBox telnetd and inetutils telnetd
side by side, with the machine's own ceilings measured in the same run.

Run from the repository root as `/usr/bin/python3 bench/run.py` (or
`make bench`).  Builds the helper programs in bench/helpers/ into bench/out/,
starts each daemon on an ephemeral 127.0.0.1 port, measures, and writes
bench/RESULTS.md (and, with the profile step, bench/PROFILES.md).
bench/README.md explains every measurement and the environment variables
that size it; bench/harness.py holds what the benchmark scripts share.
"""

import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import time

from harness import (ALL_CPUS, COMMANDS, MIB, OUT, QUICK, RESULTS, ROOT,
                     TTYHUBD, Started, build_helper, children_of, cpus_for,
                     descendants_of, env_list, env_num, fmt, fnum, kv, log,
                     machine, measured, med, note_command, perf_top,
                     proc_start_time, raise_nofile, rel, run_table, run_tool,
                     sections, verdict, version, with_server)
import harness

LOGS = os.path.join(OUT, "logs")
PROFILES = os.path.join(harness.BENCH, "PROFILES.md")

CFG = {
    # bulk output, plain bytes and all 0xFF (MiB of payload)
    "out_mib": env_num("BENCH_OUT_MIB", 8 if QUICK else 64),
    "ff_mib": env_num("BENCH_FF_MIB", 4 if QUICK else 32),
    # bulk input (MiB of payload)
    "in_mib": env_num("BENCH_IN_MIB", 4 if QUICK else 32),
    # no single transfer runs longer than this (s); the rate so far counts
    "cap_s": env_num("BENCH_CAP_S", 1.0 if QUICK else 5.0, float),
    "reps": env_num("BENCH_REPS", 1 if QUICK else 5),
    "rtt_reps": env_num("BENCH_RTT_REPS", 1 if QUICK else 3),
    "rtt_count": env_num("BENCH_RTT_COUNT", 2000 if QUICK else 10000),
    "rtt_warmup": env_num("BENCH_RTT_WARMUP", 200 if QUICK else 1000),
    # round trips on one peer before the interleaved run moves to the next
    "rtt_batch": env_num("BENCH_RTT_BATCH", 100),
    "seq_s": env_num("BENCH_SEQ_S", 1.0 if QUICK else 3.0, float),
    "conc_s": env_num("BENCH_CONC_S", 1.5 if QUICK else 5.0, float),
    "conc": env_num("BENCH_CONC", 32),
    "sess_timeout_ms": env_num("BENCH_SESS_TIMEOUT_MS",
                               2000 if QUICK else 5000),
    "mem_sessions": env_num("BENCH_MEM_SESSIONS", 50 if QUICK else 1000),
    "mem_window": env_num("BENCH_MEM_WINDOW", 4),
    # the CPU of the "one CPU" runs
    "cpu": env_num("BENCH_CPU", ALL_CPUS[-1]),
    # before each step, wait up to this long (s) for the machine to be
    # at least 85 % idle: other work on a 2-CPU machine skews everything
    "wait_idle_s": env_num("BENCH_WAIT_IDLE_S", 0 if QUICK else 60, float),
    # a repetition disturbed by other work is redone at most this often
    "retries": env_num("BENCH_RETRIES", 0 if QUICK else 3),
}
BUSYBOX = os.environ.get("BENCH_BUSYBOX", "busybox")
INETUTILS = os.environ.get("BENCH_INETUTILS", "/usr/sbin/telnetd")
SOCAT = os.environ.get("BENCH_SOCAT", "socat")
# A second ttyhubd (say, the build of the commit before a change), run as
# one more peer in every step: before and after in one run.
BASE = os.environ.get("BENCH_TTYHUBD_BASE", "")
TTYHUB = os.environ.get("BENCH_TTYHUB", os.path.join(os.path.dirname(
    TTYHUBD), "ttyhub"))
STEPS = ("output", "input", "rtt", "sessions", "memory", "console",
         "profile")
ONLY = env_list("BENCH_ONLY", STEPS)
PLACES = env_list("BENCH_PLACES", ("one", "free"), ("one", "free"))
PROFILE = os.environ.get("BENCH_PROFILE", "0" if QUICK else "1") not in (
    "", "0")


def peers():
    """The daemons of a login step, ours first."""
    return ("ttyhubd",) + (("base",) if BASE else ()) + ("busybox",
                                                        "inetutils")


# --- building the helpers -------------------------------------------------

def build_helpers():
    os.makedirs(LOGS, exist_ok=True)
    for name, flags in (("blast", []), ("sink", []), ("echo", []),
                        ("ttyecho", []), ("tnclient", []),
                        ("ptybench", []), ("hubclient", []),
                        ("relay", []), ("ready", ["-static"])):
        build_helper(name, OUT, flags)

    def wrapper(name, args):
        # The daemons run -l PROG with no arguments: a two-line script
        # passes them (its exec happens once per session).
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexec " +
                    " ".join(shlex.quote(a) for a in args) + "\n")
        os.chmod(path, 0o755)
        note_command(f"{rel(path)}, the -l program, runs", ["exec", *args])
        return path

    blast = os.path.join(OUT, "blast")
    return {
        "blast_a": wrapper("blast-a.sh", [blast, str(CFG["out_mib"] * MIB),
                                          "61"]),
        "blast_ff": wrapper("blast-ff.sh", [blast, str(CFG["ff_mib"] * MIB),
                                            "ff"]),
        "sink": os.path.join(OUT, "sink"),
        "echo": os.path.join(OUT, "echo"),
        "ttyecho": os.path.join(OUT, "ttyecho"),
        "ready": os.path.join(OUT, "ready"),
    }


# --- daemons ---------------------------------------------------------------

class Daemon(Started):
    """One telnetd we started, or the relay (helpers/relay.c: a pty and
    a TCP socket copied to each other, no Telnet; the echo steps' floor);
    stopped (by PID) when done."""

    def __init__(self, kind, prog, tag):
        self.kind, self.prog, self.tag = kind, prog, tag
        self.start_on_free_port(f"{kind} (see {LOGS})")

    def argv(self):
        if self.kind == "relay":
            return [RELAY, str(self.port), self.prog]
        if self.kind in ("ttyhubd", "base"):
            return [TTYHUBD if self.kind == "ttyhubd" else BASE, "-F", "-b",
                    f"127.0.0.1:{self.port}", "-l", self.prog, "-f",
                    "/dev/null"]
        if self.kind == "inetutils":
            # inetd's way: a server per connection, on the socket itself
            # (nofork: socat execs telnetd in its child, no relay).
            # -h: no host name line before the program's output.
            return [SOCAT, f"TCP-LISTEN:{self.port},bind=127.0.0.1,fork,"
                    "reuseaddr,backlog=128",
                    f"EXEC:{INETUTILS} -h -E {self.prog},nofork"]
        return [BUSYBOX, "telnetd", "-F", "-p", str(self.port),
                "-b", "127.0.0.1", "-l", self.prog, "-f", "/dev/null"]

    def _start(self):
        argv = self.argv()
        note_command(f"{self.kind} ({self.tag})", argv)
        self.logpath = os.path.join(LOGS, f"{self.kind}-{self.tag}.log")
        return self.spawn(argv)

    def death(self):
        """How it ended, if it did: exit status and its last log line."""
        rc = self.proc.poll()
        if rc is None:
            return None
        how = f"killed by signal {-rc}" if rc < 0 else f"exit status {rc}"
        try:
            with open(self.logpath, "rb") as f:
                last = f.read().decode("utf-8", "replace").strip()
            last = last.splitlines()[-1] if last else ""
        except OSError:
            last = ""
        return f"{how}" + (f" ({last})" if last else "")

    def stop(self):
        if self.proc is None:
            return
        kids = [(k, proc_start_time(k)) for k in descendants_of(self.pid)]
        self.stop_proc()
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


def start_all(prog, tag):
    return {who: Daemon(who, prog, tag) for who in peers()}


def stop_all(ds):
    for d in ds.values():
        d.stop()


# --- clients ---------------------------------------------------------------

TNCLIENT = os.path.join(OUT, "tnclient")
PTYBENCH = os.path.join(OUT, "ptybench")
HUBCLIENT = os.path.join(OUT, "hubclient")
RELAY = os.path.join(OUT, "relay")


def client_ceiling(nbytes, byte):
    """Our client reading from a plain C sender: no pty, no daemon."""
    return with_server(OUT, "client ceiling", ["tcpsrc", str(nbytes), byte],
                       ["out", str(nbytes), byte, str(CFG["cap_s"])],
                       CFG["cap_s"] + 30)


# --- the measurements ------------------------------------------------------

R = {}      # results, keyed by measurement
D = {}      # details: lists of repetitions (dicts: who -> result)


def cpu_during(daemon, fn):
    c0 = daemon.cpu()
    res = fn()
    res["daemon_cpu"] = round(daemon.cpu() - c0, 3)
    return res


def redo_row(measure, show):
    """One repetition: measure() gives a row (name -> result), taken
    again while any result was disturbed, up to BENCH_RETRIES times."""
    for attempt in range(CFG["retries"] + 1):
        row = measure()
        bad = sorted(n for n, r in row.items() if r.get("disturbed"))
        log("  " + ", ".join(f"{n} {show(r)}" for n, r in row.items()) +
            (f"  [disturbed: {' '.join(bad)}]" if bad else ""))
        if not bad:
            break
        if attempt < CFG["retries"]:
            wait_idle("retry", quiet=True)
    row["_attempts"] = attempt + 1
    return row


def clean_row(runs, show):
    """One repetition: each of runs (name -> fn) once, redone while any
    was disturbed."""
    return redo_row(lambda: {name: measured(fn)
                             for name, fn in runs.items()}, show)


def show_mbps(r):
    return r.get("mbps", r.get("error"))


def show_p50(r):
    return f"p50 {r.get('p50', r.get('error'))}"


def show_sess(r):
    return (f"{r.get('rate', r.get('error'))}/s fail {r.get('fail')} "
            f"p50 {r.get('p50_us', '-')}")


def bench_output(progs):
    cap = CFG["cap_s"]
    for byte, key, mib, prog in (("61", "out", CFG["out_mib"], "blast_a"),
                                 ("ff", "ff", CFG["ff_mib"], "blast_ff")):
        n = mib * MIB
        log(f"bulk output, {'plain' if byte == '61' else 'all 0xFF'}, "
            f"{mib} MiB x {CFG['reps']}")
        ds = start_all(progs[prog], prog)
        try:
            for rep in range(CFG["reps"]):
                runs = {"ceiling": lambda: run_tool(
                    f"pty ceiling ({key})",
                    [PTYBENCH, OUT, "out", str(n), byte], cap + 60)}
                for name, d in ds.items():
                    runs[name] = lambda name=name, d=d: cpu_during(
                        d, lambda: run_tool(
                            f"{name} output ({key})",
                            [TNCLIENT, "out", str(d.port), str(n), byte,
                             str(cap)], cap + 30))
                D.setdefault(key, []).append(clean_row(runs, show_mbps))
            D.setdefault(key + "_client", []).append(clean_row(
                {"client": lambda: client_ceiling(n, byte)}, show_mbps))
        finally:
            stop_all(ds)


def bench_input(progs):
    cap = CFG["cap_s"]
    n = CFG["in_mib"] * MIB
    ds = start_all(progs["sink"], "sink")
    try:
        for rep in range(CFG["reps"]):
            for byte, key in (("61", "in"), ("ff", "in_ff")):
                if rep == 0:
                    label = "plain" if byte == "61" else "all 0xFF"
                    log(f"bulk input, {label}, {CFG['in_mib']} MiB x "
                        f"{CFG['reps']}")
                runs = {"ceiling": lambda byte=byte, key=key: run_tool(
                    f"pty input ceiling ({key})",
                    [PTYBENCH, OUT, "in", str(n), byte], 90)}
                for name, d in ds.items():
                    runs[name] = lambda name=name, d=d, byte=byte, \
                        key=key: cpu_during(d, lambda: run_tool(
                            f"{name} input ({key})",
                            [TNCLIENT, "in", str(d.port), str(n), byte,
                             str(cap)], cap + 60))
                D.setdefault(key, []).append(clean_row(runs, show_mbps))
    finally:
        stop_all(ds)


def tcp_echo(cpus):
    """A TCP ping-pong server for one client (ptybench tcpecho, on
    cpus): its process and port, or (None, None).  It ends when its
    client closes; end_tcp_echo waits for that, then kills it."""
    src = subprocess.Popen([PTYBENCH, OUT, "tcpecho"], stdout=subprocess.PIPE,
                           text=True, preexec_fn=harness.preexec(cpus))
    note_command("TCP ping-pong (server)", src.args)
    sel = selectors.DefaultSelector()
    sel.register(src.stdout, selectors.EVENT_READ)
    port = None
    if sel.select(timeout=5):
        port = kv(src.stdout.readline()).get("port")
    if port is None:
        end_tcp_echo(src)
        return None, None
    return src, port


def end_tcp_echo(src):
    try:
        src.wait(timeout=10)
    except subprocess.TimeoutExpired:
        src.kill()
        src.wait(timeout=5)


def daemons_of(peers):
    """The daemons of peers (name -> (tnclient's PEER, daemon or None))
    whose CPU a mix counts."""
    return {n: d for n, (_, d) in peers.items() if d is not None}


def run_mix(what, argv, names, ds, timeout, preexec=None):
    """Run tnclient mix or smix (argv) and take its lines, one per peer
    in order (conn=I), as a result per name of names; a peer with no line
    gets the run's error.  Each of ds (name -> daemon) has its CPU over
    the run counted, as cpu_during does."""
    note_command(what, argv)
    c0 = {n: d.cpu() for n, d in ds.items()}
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=preexec)
        out, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired:
        out, rc = "error=timeout", -1
    lines = {int(x["conn"]): x for x in map(kv, out.splitlines())
             if "conn" in x}
    err = [kv(l) for l in out.splitlines() if "error=" in l]
    res = {}
    for i, n in enumerate(names):
        res[n] = lines.get(i) or {"error": (err[-1].get("error") if err
                                            else f"exit {rc}")}
        res[n].pop("conn", None)
        if n in ds:
            res[n]["daemon_cpu"] = round(ds[n].cpu() - c0[n], 3)
    return res


def rtt_mix(what, kind, peers, cpus, opts=()):
    """One interleaved echo run (tnclient mix): every peer (name ->
    (tnclient's PEER, the Started whose CPU to count, or None)) at once,
    with the TCP ping-pong as a raw peer and the pty echo of kind as a
    pty one, rounds of BENCH_RTT_BATCH round trips each in turn.  A
    result per name, plus "tcp_KIND" and "pty_KIND"."""
    k, w, b = CFG["rtt_count"], CFG["rtt_warmup"], CFG["rtt_batch"]
    src, port = tcp_echo(cpus)
    names = list(peers) + ["pty_" + kind] + (
        ["tcp_" + kind] if port else [])
    specs = [p for p, _ in peers.values()] + ["pty:" + os.path.join(OUT,
                                                                    kind)]
    if port:
        specs.append("raw:" + port)
    argv = [TNCLIENT, *opts, "mix", str(k), str(w), str(b), *specs]
    res = {} if port else {"tcp_" + kind: {"error": "no tcpecho port"}}
    try:
        res.update(run_mix(what, argv, names, daemons_of(peers),
                           60 + len(specs) * (k + w) * 0.01,
                           harness.preexec(cpus)))
    finally:
        if src is not None:
            end_tcp_echo(src)
    return res


def clean_mix(mixes, show):
    """One repetition of interleaved runs (each a function returning a
    result per name): each once, all redone while any was disturbed.
    Other work during a run disturbs every result of it."""
    def measure():
        row = {}
        for fn in mixes:
            res = measured(lambda: {"all": fn()})
            for n, r in res["all"].items():
                r["others_cpu"], r["disturbed"] = res["others_cpu"], \
                    res["disturbed"]
                row[n] = r
        return row
    return redo_row(measure, show)

def bench_rtt(progs):
    k = CFG["rtt_count"]
    log(f"keystroke echo, {k} round trips x {CFG['rtt_reps']}, "
        f"interleaved in rounds of {CFG['rtt_batch']}, placements "
        f"{' '.join(PLACES)}")
    dss = {}
    try:
        for kind in ("echo", "ttyecho"):
            dss[kind] = start_all(progs[kind], kind)
            dss[kind]["relay"] = Daemon("relay", progs[kind], kind)
        for rep in range(CFG["rtt_reps"]):
            for place in PLACES:
                cpus = cpus_for(place, CFG["cpu"])
                mixes = []
                for kind, ds in dss.items():
                    for d in ds.values():
                        d.pin(cpus)
                    peers = {f"{n}_{kind}": (("raw:" if n == "relay" else
                                              "") + str(d.port), d)
                             for n, d in ds.items()}
                    mixes.append(lambda kind=kind, peers=peers, cpus=cpus,
                                 place=place: rtt_mix(
                                     f"echo, {kind}, interleaved ({place})",
                                     kind, peers, cpus))
                D.setdefault("rtt_" + place, []).append(
                    clean_mix(mixes, show_p50))
    finally:
        for ds in dss.values():
            stop_all(ds)


def sess_mix(peers, secs, what="sessions, interleaved"):
    """One interleaved run of session starts (tnclient smix): every peer
    (name -> (tnclient's PEER, the daemon whose CPU to count, or None))
    one session at a time, in rounds of one each, for secs.  A result
    per name."""
    to = CFG["sess_timeout_ms"]
    argv = [TNCLIENT, "smix", str(secs), str(to),
            *[p for p, _ in peers.values()]]
    ds = daemons_of(peers)
    # A round is bounded by a session deadline per peer.
    res = run_mix(what, argv, list(peers), ds,
                  secs + 60 + len(peers) * to / 1000)
    # Let the daemons reap and settle, as after a sequential run.
    time.sleep(0.5)
    for n, d in ds.items():
        res[n]["daemon_alive"] = d.alive()
    return res


def bench_sessions(progs):
    to = CFG["sess_timeout_ms"]
    ds = start_all(progs["ready"], "ready")
    relay = None
    try:
        relay = Daemon("relay", progs["ready"], "ready")
        for key, secs, conc in (("seq", CFG["seq_s"], 1),
                                ("conc", CFG["conc_s"], CFG["conc"])):
            log(f"sessions, {conc} at a time, {secs} s" +
                (f", {', '.join(n for n in ('ttyhubd', 'base') if n in ds)}"
                 ", the relay and the bare start interleaved"
                 if key == "seq" else ""))
            runs = {}
            if key == "seq":
                for how in ("fork", "pipe"):
                    runs["spawn_" + how] = lambda how=how: run_tool(
                        f"bare start ({how})", [PTYBENCH, OUT, "spawn",
                                                str(secs), how], secs + 60)
            for name, d in ds.items():
                if key == "seq" and name in ("ttyhubd", "base"):
                    continue
                def one(name=name, d=d, key=key, secs=secs, conc=conc):
                    res = cpu_during(d, lambda: run_tool(
                        f"{name} sessions ({key})",
                        [TNCLIENT, "sess", str(d.port), str(secs),
                         str(conc), str(to)], secs + to / 1000 + 60))
                    # Let the daemon reap and settle between runs.
                    time.sleep(0.5)
                    res["daemon_alive"] = d.alive()
                    return res
                runs[name] = one
            if key == "conc":
                D.setdefault(key, []).append(clean_row(runs, show_sess))
                continue
            # The peers whose ratios the table shows, interleaved (the
            # machine's wake-ups change mode from one minute to the
            # next); BusyBox and inetutils after it, one at a time.
            mixed = {n: (str(ds[n].port), ds[n]) for n in ("ttyhubd",
                                                           "base")
                     if n in ds}
            mixed["relay"] = ("raw:" + str(relay.port), relay)
            mixed["spawn_pty"] = ("spawn:" + progs["ready"], None)
            mixes = [lambda: sess_mix(mixed, secs)] + [
                lambda n=n, fn=fn: {n: fn()} for n, fn in runs.items()]
            D.setdefault(key, []).append(clean_mix(mixes, show_sess))
    finally:
        stop_all(ds)
        if relay is not None:
            relay.stop()


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
    # At least 5 s per attempt: longer than a SYN retransmit (1 s, then
    # 3 s), so a connect dropped by a short listen backlog is not a failure.
    argv = [TNCLIENT, "hold", str(d.port), str(n), str(CFG["mem_window"]),
            str(max(5000, CFG["sess_timeout_ms"]))]
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
    # inetutils is a process per connection: no one daemon's RSS to take.
    for kind in [p for p in peers() if p != "inetutils"]:
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
            res["death"] = d.death()
            R["mem_" + kind] = res
            log(f"  {kind}: held {res.get('held')} of {n}, RSS "
                f"{base.get('rss')} -> {res.get('mem', {}).get('rss')} KiB"
                + (f"; died: {res['death']}" if res["death"] else ""))
        finally:
            d.stop()


# --- consoles: an exec backend, through Telnet and through ttyhub --------

class ConsoleDaemon(Started):
    """ttyhubd -c with four exec consoles and a TCP broker.  sink, echo
    and ttyecho have replay off (their clients probe instead of waiting
    for a ready line); ready keeps the default replay, so a client's
    first output is the program's TB-READY from it."""

    NAMES = ("sink", "echo", "ttyecho", "ready")

    def __init__(self, binary, progs, tag):
        self.binary, self.progs, self.tag = binary, progs, tag
        self.start_on_free_port(f"console daemon (see {LOGS})")

    def _start(self):
        self.ports = {n: harness.free_port() for n in self.NAMES}
        cmd = {"sink": f"{self.progs['sink']} loop",
               "echo": self.progs["echo"],
               "ttyecho": self.progs["ttyecho"],
               "ready": self.progs["ready"]}
        # max-clients-per-source: every client here is 127.0.0.1, and 32
        # in flight plus those still closing pass the default of 32.
        text = ["[ttyhubd]", f"broker = 127.0.0.1:{self.port}",
                "broker-unix = none", "max-clients-per-source = 1024", ""]
        for n in self.NAMES:
            text += [f"[console {n}]", "type = exec",
                     f"command = {cmd[n]}",
                     f"telnet = 127.0.0.1:{self.ports[n]}"]
            if n != "ready":
                text.append("replay = 0")
            text.append("")
        self.conf = os.path.join(OUT, f"console-{self.tag}.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(text))
        self.text = "\n".join(text)
        self.logpath = os.path.join(LOGS, f"console-{self.tag}.log")
        argv = [self.binary, "-F", "-c", self.conf]
        note_command(f"console daemon ({self.tag})", argv)
        if not self.spawn(argv):
            return False
        # Every console's listener, and its program up.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if all(harness.listening(p) for p in self.ports.values()) and \
                    len(children_of(self.pid)) >= len(self.NAMES):
                return True
            time.sleep(0.02)
        self.stop_proc()
        return False

    def stop(self):
        if self.proc is not None:
            self.stop_proc()
            self.proc = None


def bench_console(progs):
    """The three numbers through a console: Telnet to its listener (and
    to the broker for the start), and the ttyhub client through the
    broker, next to the legs and the bare start measured in between."""
    cap = CFG["cap_s"]
    n = CFG["in_mib"] * MIB
    k, w = CFG["rtt_count"], CFG["rtt_warmup"]
    to = CFG["sess_timeout_ms"]
    binaries = {"ttyhubd": TTYHUBD}
    if BASE:
        binaries["base"] = BASE
    cds = {who: ConsoleDaemon(b, progs, who) for who, b in binaries.items()}
    R["console_conf"] = next(iter(cds.values())).text
    try:
        log(f"console input, {CFG['in_mib']} MiB x {CFG['reps']}")
        for rep in range(CFG["reps"]):
            for byte, key in (("61", "con_in"), ("ff", "con_in_ff")):
                runs = {}
                for who, cd in cds.items():
                    sink = cd.ports["sink"]
                    runs[f"{who}_telnet"] = lambda cd=cd, sink=sink, \
                        byte=byte, key=key: cpu_during(cd, lambda: run_tool(
                            f"console input, Telnet ({key})",
                            [TNCLIENT, "-q", "in", str(sink), str(n), byte,
                             str(cap)], cap + 60))
                    runs[f"{who}_ttyhub"] = lambda cd=cd, byte=byte, \
                        key=key, who=who: cpu_during(cd, lambda: run_tool(
                            f"console input, ttyhub ({key})",
                            [HUBCLIENT, "in", hub_for(who),
                             f"127.0.0.1:{cd.port}", "sink", str(n), byte,
                             str(cap)], cap + 60))
                D.setdefault(key, []).append(clean_row(runs, show_mbps))
        log(f"console echo, {k} round trips x {CFG['rtt_reps']}")
        for rep in range(CFG["rtt_reps"]):
            for place in PLACES:
                cpus = cpus_for(place, CFG["cpu"])
                mixes = []
                for cd in cds.values():
                    cd.pin(cpus)
                for kind in ("echo", "ttyecho"):
                    # Telnet to each console's listener, interleaved with
                    # the legs; ttyhub (a client process over pipes,
                    # hubclient) one after the other.
                    peers = {f"{who}_telnet_{kind}": (
                        str(cd.ports[kind]), cd) for who, cd in cds.items()}
                    mixes.append(lambda kind=kind, peers=peers, cpus=cpus,
                                 place=place: rtt_mix(
                                     f"console echo, Telnet, {kind}, "
                                     f"interleaved ({place})", kind, peers,
                                     cpus, ["-q"]))
                    for who, cd in cds.items():
                        mixes.append(lambda cd=cd, kind=kind, who=who,
                                     cpus=cpus, place=place: {
                            f"{who}_ttyhub_{kind}": cpu_during(
                                cd, lambda: run_tool(
                                    f"console echo, ttyhub, {kind} "
                                    f"({place})",
                                    [HUBCLIENT, "rtt", hub_for(who),
                                     f"127.0.0.1:{cd.port}", kind, str(k),
                                     str(w)], 300, cpus))})
                D.setdefault("con_rtt_" + place, []).append(
                    clean_mix(mixes, show_p50))
        for cd in cds.values():
            cd.pin(set(ALL_CPUS))
        # One at a time: every way of every build and the bare start
        # interleaved (tnclient smix; hub: peers start ttyhub as
        # hubclient does).
        secs = CFG["seq_s"]
        log(f"console attach, 1 at a time, {secs} s, interleaved")
        mixed = {}
        for who, cd in cds.items():
            mixed[f"{who}_telnet"] = (str(cd.ports["ready"]), None)
            mixed[f"{who}_broker"] = (f"con:ready:{cd.port}", None)
            mixed[f"{who}_ttyhub"] = (
                f"hub:{hub_for(who)},127.0.0.1:{cd.port},ready", None)
        mixed["spawn_pty"] = ("spawn:" + progs["ready"], None)
        D.setdefault("con_seq", []).append(clean_mix(
            [lambda: sess_mix(mixed, secs, "console attach, interleaved")],
            show_sess))
        for key, secs, conc in (("con_conc", CFG["conc_s"], CFG["conc"]),):
            log(f"console attach, {conc} at a time, {secs} s")
            runs = {}
            for who, cd in cds.items():
                ready = cd.ports["ready"]
                for via, argv in (
                        ("telnet", [TNCLIENT, "sess", str(ready)]),
                        ("broker", [TNCLIENT, "-c", "ready", "sess",
                                    str(cd.port)]),
                        ("ttyhub", [HUBCLIENT, "sess", hub_for(who),
                                    f"127.0.0.1:{cd.port}", "ready"])):
                    def one(cd=cd, argv=argv, via=via, secs=secs,
                            conc=conc):
                        res = cpu_during(cd, lambda: run_tool(
                            f"console attach, {via} ({key})",
                            [*argv, str(secs), str(conc), str(to)],
                            secs + to / 1000 + 60))
                        time.sleep(0.5)
                        return res
                    runs[f"{who}_{via}"] = one
            D.setdefault(key, []).append(clean_row(runs, show_sess))
    finally:
        for cd in cds.values():
            cd.stop()


def hub_for(who):
    """The ttyhub client of a build: ours, or the base build's."""
    return TTYHUB if who == "ttyhubd" else os.path.join(
        os.path.dirname(BASE), "ttyhub")


# --- profiles ---------------------------------------------------------------

def bench_profile(progs):
    """perf record -g on each ttyhubd (ours, and the base build) during
    one extra run of the paths the issue is about; the symbols with the
    most self time go to bench/PROFILES.md.  Not used for any number in
    RESULTS.md."""
    if shutil.which("perf") is None:
        log("profile: perf is not installed; skipped")
        return
    n = CFG["in_mib"] * MIB
    k, w = CFG["rtt_count"], CFG["rtt_warmup"]
    cap = CFG["cap_s"]
    binaries = {"ttyhubd": TTYHUBD}
    if BASE:
        binaries["base"] = BASE
    for who, binary in binaries.items():
        prof = {}
        for prog, what, argv in (
                ("sink", "login session, input all 0xFF",
                 ["in", "PORT", str(n), "ff", str(cap)]),
                ("sink", "login session, input plain",
                 ["in", "PORT", str(n), "61", str(cap)]),
                ("echo", "login session, keystroke echo (program)",
                 ["rtt", "PORT", str(k), str(w)]),
                ("ready", "login sessions, sequential starts",
                 ["sess", "PORT", str(CFG["seq_s"]), "1", "5000"])):
            d = Daemon(who, progs[prog], "profile")
            try:
                log(f"profile: {who}, {what}")
                args = [TNCLIENT] + [str(d.port) if a == "PORT" else a
                                     for a in argv]
                res, top = perf_top(d.pid, lambda: run_tool(
                    f"profile: {what}", args, 120), OUT)
                prof[what] = (res, top)
            finally:
                d.stop()
        cd = ConsoleDaemon(binary, progs, "profile")
        try:
            what = "console, input all 0xFF (Telnet)"
            log(f"profile: {who}, {what}")
            res, top = perf_top(cd.pid, lambda: run_tool(
                f"profile: {what}", [TNCLIENT, "-q", "in",
                                     str(cd.ports["sink"]), str(n), "ff",
                                     str(cap)], 120), OUT)
            prof[what] = (res, top)
        finally:
            cd.stop()
        R["profile_" + who] = prof


# --- the report -------------------------------------------------------------

def clean(key):
    """The repetitions of key that nothing disturbed (all, if none)."""
    rows = D.get(key, [])
    ok = [r for r in rows
          if not any(isinstance(v, dict) and v.get("disturbed")
                     for v in r.values())]
    return ok or rows


def col(key, who, field):
    return med([fnum(row.get(who, {}), field) for row in clean(key)])


def ratio(key, who, den_who, field, den_field=None):
    """The median of per-repetition ratios who/den_who."""
    vals = []
    for row in clean(key):
        a, b = fnum(row.get(who, {}), field), \
            fnum(row.get(den_who, {}), den_field or field)
        if a is not None and b:
            vals.append(a / b)
    return med(vals)


def ratio_sum(key, who, dens, field):
    """The median of per-repetition who / (sum of dens)."""
    vals = []
    for row in clean(key):
        a = fnum(row.get(who, {}), field)
        bs = [fnum(row.get(d, {}), field) for d in dens]
        if a is not None and all(b for b in bs):
            vals.append(a / sum(bs))
    return med(vals)


def ratio_best(key, who, others, field):
    """The median of per-repetition who / (the best, lowest, of others)."""
    vals = []
    for row in clean(key):
        a = fnum(row.get(who, {}), field)
        bs = [fnum(row.get(o, {}), field) for o in others]
        bs = [b for b in bs if b]
        if a is not None and bs:
            vals.append(a / min(bs))
    return med(vals)


def relay_floor(key, kind):
    """The relay's p50 over the better login peer's, per repetition."""
    return ratio_best(key, f"relay_{kind}", [f"busybox_{kind}",
                                             f"inetutils_{kind}"], "p50")


def cross_ratio(key_a, who_a, key_b, who_b, field):
    """Medians taken apart, then divided (different steps)."""
    a, b = col(key_a, who_a, field), col(key_b, who_b, field)
    return a / b if a is not None and b else None


def columns():
    """The login table's daemons: the peers, then the relay if a step it
    is measured in (echo, sessions) ran."""
    return peers() + (("relay",) if any(
        k.startswith("rtt_") or k == "seq" for k in D) else ())


def summarize():
    """The table: (metric, ttyhubd, [base,] busybox, inetutils, relay,
    legs, target, verdict for ttyhubd)."""
    rows = []
    ps = peers()

    def row(metric, cells, legs_cell="-", target="-", ok=None):
        rows.append((metric, *[cells.get(p, "-") for p in columns()],
                     legs_cell, target, verdict(ok) if target != "-" else
                     "-"))

    def each(key, field, nd=1, suffix=""):
        return {p: fmt(col(key, p, field), nd) + suffix for p in ps}

    if "out" in D:
        row("Bulk output, plain (MB/s)", each("out", "mbps"),
            f"pty {fmt(col('out', 'ceiling', 'mbps'))}")
        r = {p: fmt(ratio("out", p, "ceiling", "mbps"), 2) for p in ps}
        v = ratio("out", "ttyhubd", "ceiling", "mbps")
        row("Bulk output / pty ceiling", r, "-", ">= 0.85",
            v is not None and v >= 0.85)
        v = col("ff", "ttyhubd", "mbps")
        row("Bulk output, all 0xFF (MB/s)", each("ff", "mbps"), "-", ">= 60",
            v is not None and v >= 60)
    if "in" in D:
        row("Bulk input, plain (MB/s)", each("in", "mbps"),
            f"pty {fmt(col('in', 'ceiling', 'mbps'))}")
        row("Bulk input, all 0xFF (MB/s)", each("in_ff", "mbps"),
            f"pty {fmt(col('in_ff', 'ceiling', 'mbps'))}")
        # ff and plain alternate within a repetition: ratio per
        # repetition of the medians is not possible across keys, so the
        # medians are divided.
        r = {p: fmt(cross_ratio("in_ff", p, "in", p, "mbps"), 2)
             for p in ps}
        v = cross_ratio("in_ff", "ttyhubd", "in", "ttyhubd", "mbps")
        row("Input all 0xFF / own plain input", r, "-", ">= 0.7",
            v is not None and v >= 0.7)
        v = ratio("in_ff", "ttyhubd", "inetutils", "mbps")
        row("Input all 0xFF / inetutils'", {"ttyhubd": fmt(v, 2)}, "-",
            ">= 2", v is not None and v >= 2)
    for place in PLACES:
        key = "rtt_" + place
        if key not in D:
            continue
        where = "one CPU" if place == "one" else "free placement"
        for kind, label in (("echo", "program echo"),
                            ("ttyecho", "tty echo")):
            pty = col(key, "pty_" + kind, "p50")
            tcp = col(key, "tcp_" + kind, "p50")
            row(f"Keystroke p50, {label}, {where} (µs)",
                {p: fmt(col(key, f"{p}_{kind}", "p50")) for p in columns()},
                f"pty {fmt(pty)} + TCP {fmt(tcp)}")
            v = ratio_best(key, f"ttyhubd_{kind}",
                           [f"busybox_{kind}", f"inetutils_{kind}"], "p50")
            row(f"  / best of BusyBox, inetutils", {"ttyhubd": fmt(v, 2)},
                "-", "<= 0.8", v is not None and v <= 0.8)
            v = ratio_sum(key, f"ttyhubd_{kind}", ["pty_" + kind,
                                                   "tcp_" + kind], "p50")
            row(f"  / (pty echo + TCP ping-pong)", {"ttyhubd": fmt(v, 2)},
                "-", "<= 1.5", v is not None and v <= 1.5)
            # The floor: what a relay with no Telnet at all takes, and
            # how it stands against the target's yardstick.
            row(f"  / relay floor", {p: fmt(ratio(
                key, f"{p}_{kind}", f"relay_{kind}", "p50"), 2)
                for p in ps})
            row(f"  relay floor / best of BusyBox, inetutils",
                {"relay": fmt(relay_floor(key, kind), 2)})
            row(f"Keystroke p99, {label}, {where} (µs)",
                {p: fmt(col(key, f"{p}_{kind}", "p99")) for p in columns()},
                f"pty {fmt(col(key, 'pty_' + kind, 'p99'))} + TCP "
                f"{fmt(col(key, 'tcp_' + kind, 'p99'))}",
                "<= base" if BASE else "-",
                None if not BASE else (
                    (col(key, f"ttyhubd_{kind}", "p99") or 1e9) <=
                    (col(key, f"base_{kind}", "p99") or 0)))
    if "seq" in D:
        # ttyhubd, base, the relay and the bare start (spawn_pty) ran
        # interleaved; BusyBox, inetutils and the other starts after.
        sp = col("seq", "spawn_pty", "p50_us")
        row("Connect to first output, sequential p50 (µs)",
            {p: fmt(col("seq", p, "p50_us"), 0) for p in columns()},
            f"start {fmt(sp, 0)} (by fork "
            f"{fmt(col('seq', 'spawn_fork', 'p50'), 0)}, to a pipe "
            f"{fmt(col('seq', 'spawn_pipe', 'p50'), 0)})")
        v = ratio("seq", "ttyhubd", "spawn_pty", "p50_us")
        row("  / bare start on a pty", {p: fmt(ratio(
            "seq", p, "spawn_pty", "p50_us"), 2) for p in columns()}, "-",
            "<= 1.5", v is not None and v <= 1.5)
        row("  / relay floor", {p: fmt(ratio(
            "seq", p, "relay", "p50_us"), 2) for p in ps
            if p in ("ttyhubd", "base")})
        row("Sessions per second, sequential",
            {p: f"{fmt(col('seq', p, 'rate'))}/s" for p in columns()},
            f"start {fmt(col('seq', 'spawn_pty', 'rate'))}/s")
    if "conc" in D:
        cells = {}
        for p in ps:
            res = (clean("conc") or [{}])[0].get(p, {})
            cells[p] = (f"{fmt(col('conc', p, 'rate'))}/s, "
                        f"{fmt(fnum(res, 'fail'), 0)} failed")
        res = (clean("conc") or [{}])[0].get("ttyhubd", {})
        row(f"Sessions per second, {CFG['conc']} in flight", cells, "-",
            "0 failed", fnum(res, "fail") == 0)
    n = CFG["mem_sessions"]
    if any(k.startswith("mem_") for k in R):
        cells, ok = {}, None
        for who in ps:
            res = R.get("mem_" + who, {})
            held = int(res.get("held", 0) or 0)
            b, m = res.get("base", {}).get("rss"), \
                res.get("mem", {}).get("rss")
            if not res:
                cells[who] = "n/a"
            elif held == n and b is not None and m is not None:
                cells[who] = f"{fmt((m - b) / n)} KiB"
                if who == "ttyhubd":
                    ok = (m - b) / n <= 8
            else:
                cells[who] = (f"only {held} of {n}"
                              f"{'' if res.get('alive') else ', died'}")
                if who == "ttyhubd":
                    ok = False
        row(f"Daemon RSS per idle session at {n}", cells, "-", "<= 8 KiB",
            ok)
    return rows


def console_rows():
    """The console table: (metric, Telnet, [base Telnet,] ttyhub, [base
    ttyhub,] legs, target, verdict for ours over Telnet and ttyhub)."""
    rows = []
    whos = ["ttyhubd"] + (["base"] if BASE else [])
    cols = [(w, v) for v in ("telnet", "ttyhub") for w in whos]

    def row(metric, cells, legs_cell="-", target="-", oks=()):
        oks = [o for o in oks]
        rows.append((metric, *[cells.get(c, "-") for c in cols], legs_cell,
                     target, " / ".join(verdict(o) for o in oks)
                     if target != "-" else "-"))

    if "con_in" in D:
        row("Input, plain (MB/s)", {(w, v): fmt(col("con_in", f"{w}_{v}",
                                                     "mbps"))
                                    for w, v in cols},
            f"pty {fmt(col('in', 'ceiling', 'mbps'))}")
        row("Input, all 0xFF (MB/s)", {(w, v): fmt(col(
            "con_in_ff", f"{w}_{v}", "mbps")) for w, v in cols})
        r = {(w, v): cross_ratio("con_in_ff", f"{w}_{v}", "con_in",
                                 f"{w}_{v}", "mbps") for w, v in cols}
        row("  all 0xFF / own plain", {c: fmt(x, 2) for c, x in r.items()},
            "-", ">= 0.7", [r[("ttyhubd", v)] is not None and
                            r[("ttyhubd", v)] >= 0.7
                            for v in ("telnet", "ttyhub")])
        inet = col("in_ff", "inetutils", "mbps")
        r = {(w, v): (col("con_in_ff", f"{w}_{v}", "mbps") or 0) / inet
             if inet else None for w, v in cols}
        row("  all 0xFF / inetutils' (login)",
            {c: fmt(x, 2) for c, x in r.items()}, "-", ">= 2",
            [r[("ttyhubd", v)] is not None and r[("ttyhubd", v)] >= 2
             for v in ("telnet", "ttyhub")])
    for place in PLACES:
        key = "con_rtt_" + place
        if key not in D:
            continue
        where = "one CPU" if place == "one" else "free placement"
        for kind, label in (("echo", "program echo"),
                            ("ttyecho", "tty echo")):
            pty = col(key, "pty_" + kind, "p50")
            tcp = col(key, "tcp_" + kind, "p50")
            row(f"Keystroke p50, {label}, {where} (µs)",
                {(w, v): fmt(col(key, f"{w}_{v}_{kind}", "p50"))
                 for w, v in cols}, f"pty {fmt(pty)} + TCP {fmt(tcp)}")
            rr = {(w, v): ratio_sum(key, f"{w}_{v}_{kind}",
                                    ["pty_" + kind, "tcp_" + kind], "p50")
                  for w, v in cols}
            row("  / (pty echo + TCP ping-pong)",
                {c: fmt(x, 2) for c, x in rr.items()}, "-", "<= 1.5",
                [rr[("ttyhubd", v)] is not None and rr[("ttyhubd", v)] <= 1.5
                 for v in ("telnet", "ttyhub")])
            lk = "rtt_" + place
            best = [b for b in (col(lk, f"busybox_{kind}", "p50"),
                                col(lk, f"inetutils_{kind}", "p50")) if b]
            rr = {(w, v): (col(key, f"{w}_{v}_{kind}", "p50") or 0) /
                  min(best) if best else None for w, v in cols}
            row("  / best login peer's (BusyBox, inetutils)",
                {c: fmt(x, 2) for c, x in rr.items()}, "-", "<= 0.8",
                [rr[("ttyhubd", v)] is not None and rr[("ttyhubd", v)] <= 0.8
                 for v in ("telnet", "ttyhub")])
            row(f"Keystroke p99, {label}, {where} (µs)",
                {(w, v): fmt(col(key, f"{w}_{v}_{kind}", "p99"))
                 for w, v in cols})
    if "con_seq" in D:
        sp = col("con_seq", "spawn_pty", "p50_us")
        for via in ("telnet", "broker", "ttyhub"):
            cells = {(w, v): fmt(col("con_seq", f"{w}_{via}", "p50_us"), 0)
                     for w, v in cols if v == ("ttyhub" if via == "ttyhub"
                                               else "telnet")}
            r = ratio("con_seq", f"ttyhubd_{via}", "spawn_pty", "p50_us")
            row(f"Attach to first output, {via}, sequential p50 (µs)",
                cells, f"start {fmt(sp, 0)}", "<= 1.5 x start",
                [r is not None and r <= 1.5])
    if "con_conc" in D:
        for via in ("telnet", "broker", "ttyhub"):
            res = (clean("con_conc") or [{}])[0].get(f"ttyhubd_{via}", {})
            cells = {(w, v): f"{fmt(col('con_conc', f'{w}_{via}', 'rate'))}"
                     f"/s, {fmt(fnum((clean('con_conc') or [{}])[0].get(f'{w}_{via}', {}), 'fail'), 0)} failed"
                     for w, v in cols if v == ("ttyhub" if via == "ttyhub"
                                               else "telnet")}
            row(f"Attaches per second, {via}, {CFG['conc']} in flight",
                cells, "-", "0 failed", [fnum(res, "fail") == 0])
    return cols, rows


def detail_tables():
    out = []

    def runs(key, title, fields):
        if key not in D:
            return
        out.append(f"\n### {title}\n")
        whos = []
        for row in D[key]:
            for w in row:
                if w != "_attempts" and w not in whos:
                    whos.append(w)
        out.extend(run_table(D[key], whos,
                             fields + ["daemon_cpu", "others_cpu"]))

    flds = ["mbps", "bytes", "secs", "bad", "capped"]
    runs("out", "Bulk output, plain", flds)
    runs("out_client", "Client ceiling, plain (C sender, no pty)", flds)
    runs("ff", "Bulk output, all 0xFF", flds)
    runs("ff_client", "Client ceiling, all 0xFF (C sender, no pty)", flds)
    iflds = ["mbps", "got", "ff", "other", "secs", "capped"]
    runs("in", "Bulk input, plain", iflds)
    runs("in_ff", "Bulk input, all 0xFF", iflds)
    rflds = ["p50", "p90", "p99", "min", "mean", "max"]
    for place in PLACES:
        runs("rtt_" + place, f"Keystroke echo, {place} (µs)", rflds)
    sflds = ["ok", "secs", "rate", "fail", "refused", "reset", "eof",
             "timeout", "other", "p50_us", "p99_us", "max_us", "p50",
             "p99", "daemon_alive"]
    runs("seq", "Sessions, sequential (ttyhubd, base, relay, spawn_pty "
         "interleaved, rate per peer; spawn_fork, spawn_pipe: p50/p99 in "
         "µs)", sflds + ["rounds"])
    runs("conc", f"Sessions, {CFG['conc']} in flight", sflds)
    runs("con_in", "Console input, plain", iflds)
    runs("con_in_ff", "Console input, all 0xFF", iflds)
    for place in PLACES:
        runs("con_rtt_" + place, f"Console echo, {place} (µs)", rflds)
    runs("con_seq", "Console attach, sequential (interleaved, rate per "
         "peer)", sflds + ["rounds"])
    runs("con_conc", f"Console attach, {CFG['conc']} in flight", sflds)

    if any(k.startswith("mem_") for k in R):
        out.append(f"\n### Memory, {CFG['mem_sessions']} idle sessions "
                   "(KiB)\n")
        out.append("| daemon | held | failed attempts | open time (s) | "
                   "children | VmRSS base -> held -> after close | Pss | "
                   "Private (clean+dirty) | Anonymous | RSS / session | "
                   "Private / session |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for who in peers():
            res = R.get("mem_" + who, {})
            if not res:
                continue
            b, m, a = res.get("base", {}), res.get("mem", {}), \
                res.get("after", {})
            held = int(res.get("held", 0) or 0)

            def per(k):
                if held and k in b and k in m:
                    return fmt((m[k] - b[k]) / held, 2)
                return "n/a"
            out.append(
                f"| {who} | {res.get('held', 'n/a')} | "
                f"{res.get('fail', 'n/a')} | {res.get('secs', 'n/a')} | "
                f"{res.get('kids', 'n/a')} | "
                f"{b.get('rss')} -> {m.get('rss')} -> "
                f"{a.get('rss', 'gone')} | "
                f"{b.get('pss')} -> {m.get('pss')} | "
                f"{b.get('private')} -> {m.get('private')} | "
                f"{b.get('anonymous')} -> {m.get('anonymous')} | "
                f"{per('rss')} | {per('private')} |")
        for who in peers():
            death = R.get("mem_" + who, {}).get("death")
            if death:
                out.append(f"\n{who} died during the memory step: {death}.")
    return out


def auto_notes():
    """Caveats that follow from this run's own numbers."""
    notes = []
    c = col("out", "ceiling", "mbps")
    over = [w for w in peers()
            if c and (col("out", w, "mbps") or 0) > c]
    if over:
        notes.append(
            f"{', '.join(over)} beat the raw pty ceiling ({fmt(c)} MB/s) "
            "on plain output: its reader sleeps after every 4 KiB read "
            "and pays a vCPU wake-up each time, while a daemon busy "
            "forwarding to TCP sleeps less. The ceiling is then not an "
            "upper bound; compare the daemons directly.")
    over = [f"{fmt(v, 2)} ({label}, {where})"
            for place, where in (("one", "one CPU"), ("free", "free"))
            if place in PLACES
            for kind, label in (("echo", "program echo"),
                                ("ttyecho", "tty echo"))
            for v in [relay_floor("rtt_" + place, kind)]
            if v is not None and v > 0.8]
    if over:
        notes.append(
            "The relay floor's p50 over the better login peer's: "
            f"{', '.join(over)}. A process that does nothing but copy "
            "between the socket and the pty does not reach 0.8x there, "
            "so neither can a telnetd (bench/README.md, \"Reading the "
            "results\").")
    dis = sum(1 for k in D for r in D[k] if r.get("_attempts", 1) > 1)
    if dis:
        notes.append(f"{dis} repetition(s) were redone because other "
                     "processes used the CPU meanwhile.")
    return notes


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def mix_ports(cmd):
    """tnclient mix's and smix's peers with PORT for their ports (after
    COUNT, WARMUP and BATCH; SECONDS and TIMEOUT_MS), and paths relative
    to the repository."""
    for mode, fixed in ((" mix ", 3), (" smix ", 2)):
        if mode not in cmd:
            continue
        head, tail = re.sub(r"(pty|spawn|hub):" + re.escape(ROOT + "/"),
                            r"\1:", cmd).split(mode, 1)
        words = tail.split(" ")
        return head + mode + " ".join(words[:fixed] + [
            re.sub(r"^(raw:|con:[^:]+:)?\d+$", r"\1PORT", x)
            for x in words[fixed:]])
    return cmd


def write_results(t_total):
    rows = summarize()
    ps = peers()
    info = machine(TTYHUBD, {
        "base (BENCH_TTYHUBD_BASE)": (
            f"{rel(BASE)}: {harness.output([BASE, '-V'])}" if BASE else
            "not run"),
        "busybox": (harness.output([BUSYBOX]) or "?").splitlines()[0],
        "inetutils": f"{version([INETUTILS, '--version'])}, under "
                     f"{version([SOCAT, '-V']).strip() or 'socat'}"})
    lines = ["# ttyhub benchmark results", "",
             f"Written by `bench/run.py` in {t_total:.0f} s"
             f"{' (BENCH_QUICK=1: smoke-test sizes, not for comparison)' if QUICK else ''}."
             " See bench/README.md for what each line measures, and "
             "bench/PROFILES.md for where the time goes.", "",
             "## Login sessions", ""]
    lines += table(["metric", *columns(), "the machine alone", "target",
                    "ttyhubd"], rows)
    lines += ["",
              "Medians of the repetitions; MB = 10^6 bytes of payload (IAC "
              "counted once). A ratio is the median of per-repetition "
              "ratios, each against runs of the same repetition, except "
              "0xFF/plain input (medians divided). \"one CPU\": every "
              "process of the run on CPU "
              f"{CFG['cpu']}; \"free placement\": where the scheduler puts "
              "them (bench/README.md, \"Where processes run\"). The "
              "machine alone: the legs and the bare start measured in the "
              "same repetitions.", ""]
    cols, crows = console_rows()
    if crows:
        lines += ["## Through a console (exec backend)", ""]
        lines += table(["metric", *[f"{w} {v}" for w, v in cols],
                        "the machine alone", "target",
                        "ttyhubd Telnet / ttyhub"], crows)
        lines += ["", "Telnet: to the console's own listener (the "
                  "broker where it says so); ttyhub: the client, "
                  "through the broker's TCP listener, driven over pipes "
                  "(bench/helpers/hubclient.c). The configuration:", "",
                  "```", re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT",
                                R.get("console_conf", "")).replace(
                      ROOT + "/", ""), "```", ""]
    notes = auto_notes()
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Machine", ""]
    for k, v in info.items():
        lines.append(f"- {k}: {v}")
    if IDLE:
        lines += ["- idle CPU before each step (other work on the machine "
                  "skews results): " + ", ".join(
                      f"{s} {p:.0f} %" + (f" after waiting {w:.0f} s"
                                          if w >= 1.5 else "")
                      for s, p, w in IDLE)]
    lines += ["", "## Sizes", ""]
    lines += [f"- {k} = {v}" for k, v in CFG.items()]
    lines += ["", "## Runs", ""]
    lines += detail_tables()
    lines += ["", "`daemon_cpu` is the daemon's user+system CPU seconds "
              "during that run (from /proc/PID/stat); `others_cpu` the CPU "
              "seconds that processes not started by the benchmark used "
              "meanwhile. A repetition in which others used more than 5 % "
              "of a CPU is redone (`attempts`); medians use the "
              "undisturbed repetitions.", "",
              "## Commands", "",
              "Run from the repository root; PORT is an ephemeral port "
              "picked per daemon, N the size in bytes.", "", "```"]
    for what, cmd in COMMANDS:
        cmd = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", cmd)
        cmd = re.sub(r"(telnetd -F -p )\d+", r"\1PORT", cmd)
        cmd = re.sub(r"TCP-LISTEN:\d+", "TCP-LISTEN:PORT", cmd)
        cmd = re.sub(r"(relay )\d+", r"\1PORT", cmd)
        cmd = mix_ports(cmd)
        cmd = re.sub(r"(tnclient (?:-[cq] \S+ |-q )*(?:out|in|rtt|sess|"
                     r"hold) )\d+", r"\1PORT", cmd)
        lines.append(f"# {what}\n{cmd}")
    lines += ["```", ""]
    text = "\n".join(lines)
    # The other scripts own sections of their own: keep them.
    for sec in sections():
        text += "\n" + sec + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)
    return rows


def write_profiles():
    """bench/PROFILES.md: this run's profiles, a section per binary."""
    profs = {k[len("profile_"):]: v for k, v in R.items()
             if k.startswith("profile_")}
    if not profs:
        return
    lines = ["# Where ttyhubd's time goes", "",
             "Written by `bench/run.py` (the profile step): `perf record -g "
             "-p PID` on the daemon during one extra run of each path, "
             "`perf report --no-children --sort sym`; symbols with at "
             "least 1.5 % of the samples, by self time. `kernel` marks "
             "kernel symbols. The run's own number is beside each title "
             "(perf slows the daemon down). bench/README.md and CHANGES "
             "say what was changed after each reading.", ""]
    for who, prof in profs.items():
        binary = TTYHUBD if who == "ttyhubd" else BASE
        lines += [f"## {who}: {rel(binary)} ({harness.output([binary, '-V'])}"
                  f"{', git ' + harness.output(['git', 'rev-parse', '--short', 'HEAD']) if who == 'ttyhubd' else ''})", ""]
        for what, (res, top) in prof.items():
            num = res.get("mbps")
            num = f"{num} MB/s" if num else (
                f"p50 {res['p50']} µs" if "p50" in res else
                f"{res.get('rate', res.get('error', '?'))}/s, p50 "
                f"{res.get('p50_us', '?')} µs")
            lines += [f"### {what} ({num})", "", "| self % | symbol |",
                      "|---|---|"]
            lines += [f"| {p:.1f} | `{s}` |" for p, s in top]
            lines.append("")
    with open(PROFILES, "w") as f:
        f.write("\n".join(lines))


IDLE = []       # (step, % idle measured before it, seconds waited)


def wait_idle(step, quiet=False):
    pct, waited = harness.wait_idle(step, CFG["wait_idle_s"])
    if not quiet:
        IDLE.append((step, pct, waited))


def main():
    # SIGTERM ends the run as an exception would: every step's finally
    # stops the daemons it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))
    t0 = time.monotonic()
    for path, what in ((TTYHUBD, "run make first"),
                       (TTYHUB, "run make first")) + (
            ((BASE, "BENCH_TTYHUBD_BASE"),) if BASE else ()):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is missing: {what}")
    if subprocess.run([BUSYBOX, "telnetd", "--help"], capture_output=True,
                      timeout=10).returncode not in (0, 1):
        sys.exit("bench: busybox telnetd is missing")
    for path in (INETUTILS, shutil.which(SOCAT) or SOCAT):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is missing (make test-deps installs "
                     "inetutils-telnetd and socat)")
    raise_nofile()
    log(f"{'quick ' if QUICK else ''}run; sizes {CFG}")
    progs = build_helpers()
    for step in (bench_output, bench_input, bench_rtt, bench_sessions,
                 bench_memory, bench_console, bench_profile):
        name = step.__name__[len("bench_"):]
        if (ONLY and name not in ONLY) or (name == "profile" and
                                           not PROFILE):
            continue
        if CFG["wait_idle_s"] > 0:
            wait_idle(name)
        t = time.monotonic()
        step(progs)
        log(f"  ({step.__name__}: {time.monotonic() - t:.1f} s)")
    rows = write_results(time.monotonic() - t0)
    write_profiles()
    for r in rows:
        log(" | ".join(r))
    log(f"wrote {rel(RESULTS)} in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
