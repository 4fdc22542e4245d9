#!/usr/bin/python3
"""Console benchmarks: a ttyhubd serial console and ser2net 4.3 (telnet
mode), each in front of its own pty driven by the same C device.

Run from the repository root as `/usr/bin/python3 bench/console.py` (or
`make bench-console`), after `make`.  Builds bench/helpers/condev.c (the
device: a pty pair whose master it drives) and conview.c (the Telnet
viewers) into bench/out/console/, measures, and writes the "Consoles"
section of bench/RESULTS.md (between marker lines; the rest of the file is
left as it is).  bench/README.md ("Consoles") explains each measurement
and the environment variables that size it.  `console.py --report` writes
the section again from the last run's bench/out/console/results.json.

The guard against other work on the machine is bench/harness.py's, as
for the login-session suite (bench/run.py): wait for the CPUs to be idle
before each step, and redo a repetition during which processes not
started by the benchmark, or the host, used the CPU.
"""

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import time

from harness import (COMMANDS, RESULTS, STEAL_MAX, Device, Started,
                     build_helper, env_list, env_num, fmt, fnum, kv, log,
                     markers,
                     measured, med, note_command, raise_nofile,
                     rel, run_table, run_tool, steal_ticks, verdict,
                     version, with_server, write_section)
import harness

OUT = os.path.join(harness.OUT, "console")
BEGIN, END = markers("console.py")

QUICK = harness.QUICK
CFG = {
    # seconds each viewer run counts, from the first byte at any viewer
    "window_s": env_num("BENCH_CON_WINDOW_S", 1.0 if QUICK else 2.0, float),
    # repetitions of each throughput run (and of the bare pty ceiling)
    "reps": env_num("BENCH_CON_REPS", 1 if QUICK else 3),
    # pairs of (10 healthy, 10 healthy + 1 stalled) runs
    # pairs for ttyhubd, and for the others (whose cost is plain to see
    # in a few): run-to-run noise here is about +-10 %, against a 5 % target
    "stall_reps": env_num("BENCH_CON_STALL_REPS", 1 if QUICK else 6),
    "stall_reps_other": env_num("BENCH_CON_STALL_REPS_OTHER",
                                1 if QUICK else 2),
    "stall_readers": env_num("BENCH_CON_STALL_READERS", 10),
    # the stall runs count after a warm-up: the stalled viewer's socket
    # buffers take a while to fill (2 s and more with ser2net), and only
    # then does it cost what it costs for as long as it stays
    "stall_warm_s": env_num("BENCH_CON_STALL_WARM_S",
                            0.5 if QUICK else 2.5, float),
    "stall_window_s": env_num("BENCH_CON_STALL_WINDOW_S",
                              1.0 if QUICK else 1.5, float),
    "rtt_count": env_num("BENCH_RTT_COUNT", 2000 if QUICK else 20000),
    "rtt_warmup": env_num("BENCH_RTT_WARMUP", 200 if QUICK else 1000),
    # a slow server's echo run stops after this many seconds of round trips
    "rtt_cap_s": env_num("BENCH_CON_RTT_CAP_S", 1.5 if QUICK else 5.0,
                         float),
    "rtt_reps": env_num("BENCH_CON_RTT_REPS", 1 if QUICK else 3),
    "wait_idle_s": env_num("BENCH_WAIT_IDLE_S", 0 if QUICK else 45, float),
    # seconds of waiting (beyond a short check) and redoing in all
    "slack_s": env_num("BENCH_CON_SLACK_S", 20 if QUICK else 60, float),
    "retries": env_num("BENCH_RETRIES", 0 if QUICK else 2),
}
VIEWERS = [int(x) for x in os.environ.get("BENCH_CON_VIEWERS",
                                          "1,10,100").split(",") if x]
TTYHUBD = harness.TTYHUBD
SER2NET = os.environ.get("BENCH_SER2NET", "ser2net")
PERF = os.environ.get("BENCH_CON_PERF", "0" if QUICK else "1") not in ("",
                                                                      "0")
SERVERS = ("ttyhubd", "ser2net", "ser2net-tuned")
STEPS = ("ceiling", "fanout", "stall", "rtt", "profile")
ONLY = env_list("BENCH_CON_ONLY", STEPS)
WANT_SERVERS = env_list("BENCH_CON_SERVERS", SERVERS, SERVERS)

# ser2net-tuned behaves as ser2net here (one stalled client holds all),
# and the step is the longest: by default it is left out.
STALL_SERVERS = os.environ.get("BENCH_CON_STALL_SERVERS",
                               "ttyhubd,ser2net").replace(",", " ").split()

CONFIGS = {}        # server -> config text as run
R = {}              # results
IDLE = []


# --- building ---------------------------------------------------------------

CONDEV = os.path.join(OUT, "condev")
CONVIEW = os.path.join(OUT, "conview")


TTYHUBD_BUILT = TTYHUBD
BUILT_AT = [0]


def copy_ttyhubd():
    """Run a copy: others may rebuild build/ttyhubd during the run, and
    perf needs the binary it sampled to name its symbols."""
    global TTYHUBD
    BUILT_AT[0] = os.stat(TTYHUBD).st_mtime
    dst = os.path.join(OUT, "ttyhubd")
    shutil.copy2(TTYHUBD, dst)
    note_command(f"copy of {rel(TTYHUBD)}", ["cp", TTYHUBD, dst])
    TTYHUBD = dst


def build_helpers():
    for name, libs in (("condev", ["-lutil"]), ("conview", ["-lssl", "-lcrypto"]),
                       ("tnclient", []), ("ptybench", [])):
        build_helper(name, OUT, libs=libs)


# --- the device ---------------------------------------------------------------

# --- the servers ----------------------------------------------------------------

def ttyhubd_conf(dev, port):
    return ("# bench/console.py: ttyhubd's serial console on the device's\n"
            "# pty slave; everything not given is the default (replay 64k,\n"
            "# backlog 1m, slow = drop, notices = yes, no log).\n"
            "[ttyhubd]\n"
            "broker-unix = none\n"
            "# every viewer comes from 127.0.0.1\n"
            "max-clients-per-source = 1024\n"
            "\n"
            "[console bench]\n"
            "type = serial\n"
            f"device = {dev}\n"
            "baud = 115200\n"
            f"telnet = 127.0.0.1:{port}\n")


def ser2net_conf(dev, port, tuned):
    text = ("%YAML 1.1\n"
            "---\n"
            "# bench/console.py: ser2net's telnet (RFC 2217) accepter on the\n"
            "# device's pty slave.  max-connections lets the viewers share it\n"
            "# (default 1).\n"
            "connection: &bench\n"
            f"  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n"
            f"  connector: serialdev,{dev},115200n81,local\n"
            "  options:\n"
            "    max-connections: 128\n")
    if tuned:
        text += ("    # tuned: no wait for more characters before sending,\n"
                 "    # and 64 KiB buffers instead of 64 bytes\n"
                 "    chardelay: false\n"
                 "    dev-to-net-bufsize: 65536\n"
                 "    net-to-dev-bufsize: 65536\n")
    return text


class Server(Started):
    """One server in front of its own device; stopped by its PID."""

    def __init__(self, kind):
        self.kind = kind
        self.dev = Device(CONDEV, os.path.join(OUT, f"dev-{kind}"))
        self.proc = None
        self.start_on_free_port(f"{kind} (see {OUT})")

    def _start(self):
        if self.kind == "ttyhubd":
            conf = os.path.join(OUT, "ttyhubd.conf")
            text = ttyhubd_conf(self.dev.path, self.port)
            argv = [TTYHUBD, "-F", "-c", conf]
        else:
            conf = os.path.join(OUT, f"{self.kind}.yaml")
            text = ser2net_conf(self.dev.path, self.port,
                                self.kind == "ser2net-tuned")
            argv = [SER2NET, "-n", "-u", "-P",
                    os.path.join(OUT, f"{self.kind}.pid"), "-c", conf]
        with open(conf, "w") as f:
            f.write(text)
        CONFIGS[self.kind] = (rel(conf), text)
        note_command(self.kind, argv)
        self.logpath = os.path.join(OUT, f"{self.kind}.log")
        return self.spawn(argv)

    def stop(self):
        self.stop_proc()
        self.dev.stop()


def start_servers():
    return {k: Server(k) for k in SERVERS if k in WANT_SERVERS}


def stop_servers(ss):
    for s in ss.values():
        s.stop()


# --- runs ---------------------------------------------------------------------

GEN = [0]


def next_byte():
    """A new payload byte per run, 0x80..0xfe: never IAC, CR, or anything a
    notice or an earlier run's replayed output contains."""
    GEN[0] += 1
    return f"{0x80 + GEN[0] % 0x7f:02x}"


def view_run(srv, readers, stalled=0, window=None, warm=0.0):
    """The device blasts; `readers` viewers count for the window (which
    starts `warm` seconds after the first byte)."""
    byte = next_byte()
    k = readers + stalled
    window = window or CFG["window_s"]
    argv = [CONVIEW, "view", str(srv.port), str(k), str(stalled), byte,
            str(window)] + ([str(warm)] if warm else [])
    note_command(f"viewers ({k} connections, {stalled} stalled)",
                 [a if i != 2 else "PORT" for i, a in enumerate(argv)])
    srv.dev.cmd("idle")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                         preexec_fn=raise_nofile)
    res = {"viewers": []}
    try:
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            if sel.select(timeout=1):
                line = p.stdout.readline()
                if line.startswith("READY") or line.startswith("error") \
                        or line == "":
                    break
        if not line.startswith("READY"):
            res["error"] = kv(line).get("error", "no READY") if line else \
                "no READY"
            return res
        res["closed_at_start"] = int(kv(line).get("closed", 0))
        res["connect_s"] = fnum(kv(line), "connect_s")
        c0, d0, t0 = srv.cpu(), srv.dev.cpu(), time.monotonic()
        srv.dev.cmd(f"blast {byte}")
        out, _ = p.communicate(timeout=window + warm + 30)
        c1, d1 = srv.cpu(), srv.dev.cpu()
        info = srv.dev.cmd("idle")
        dt = time.monotonic() - t0
        for l in out.splitlines():
            if l.startswith("viewer "):
                res["viewers"].append(kv(l))
            elif "=" in l:
                res.update(kv(l))
        res["daemon_cpu"] = round(c1 - c0, 2)
        res["daemon_cpu_pct"] = round(100 * (c1 - c0) / dt, 0)
        res["device_cpu_pct"] = round(100 * (d1 - d0) / dt, 0)
        blasted = fnum(info, "bytes")
        res["device_mbps"] = round(blasted / fnum(info, "secs") / 1e6, 2) \
            if blasted and fnum(info, "secs") else None
        res["daemon_alive"] = srv.alive()
        res["rss_kib"] = srv.rss()
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        res["error"] = "timeout"
        srv.dev.cmd("idle")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # Let the server see the viewers go before the next run.
    time.sleep(0.3)
    return res


SLACK_USED = [0.0]


def over_budget():
    """Once BENCH_CON_SLACK_S have gone into waiting and redoing, no more
    of either: a busy host must not make the run endless."""
    return SLACK_USED[0] > CFG["slack_s"]


def repeat(key, runs, show):
    """runs: name -> fn.  One repetition, each run once, redone while
    others (or the host) disturbed any: BENCH_RETRIES times at most, and
    not past the time budget."""
    row = {}
    for name in runs:
        row[name] = measured(runs[name], steal=True)
    bad = [n for n in runs if row[n].get("disturbed")]
    log("  " + ", ".join(f"{n} {show(row[n])}" for n in runs) +
        (f"  [disturbed: {' '.join(bad)}]" if bad else ""))
    attempt = 0
    while bad and attempt < CFG["retries"] and not over_budget():
        attempt += 1
        t = time.monotonic()
        wait_idle("retry", quiet=True)
        SLACK_USED[0] += time.monotonic() - t
        # Redo the disturbed runs, with their partners: "X" and
        # "X+stalled" are compared with each other.
        groups = {n.split("+")[0] for n in bad}
        todo = [n for n in runs if n.split("+")[0] in groups]
        t = time.monotonic()
        for name in todo:
            row[name] = measured(runs[name], steal=True)
        SLACK_USED[0] += time.monotonic() - t
        bad = [n for n in todo if row[n].get("disturbed")]
        log("  " + ", ".join(f"{n} {show(row[n])}" for n in todo) +
            (f"  [disturbed: {' '.join(bad)}]" if bad else ""))
        if not bad:
            break
    row["_attempts"] = attempt + 1
    R.setdefault(key, []).append(row)


def host_steal(secs=0.5):
    """Steal while both vCPUs are busy (the bare pty for secs), in % of
    one CPU: an idle VM shows none however busy its host is."""
    st0, t0 = steal_ticks(), time.monotonic()
    subprocess.run([CONDEV, "ceiling", str(secs), "a0"], capture_output=True,
                   timeout=secs + 30)
    dt = time.monotonic() - t0
    return 100 * (steal_ticks() - st0) / os.sysconf("SC_CLK_TCK") / dt


def wait_idle(step, quiet=False):
    """The wait for idle CPUs, then for a host that steals little."""
    if CFG["wait_idle_s"] <= 0:
        return
    limit = 0 if over_budget() else \
        min(CFG["wait_idle_s"], CFG["slack_s"] - SLACK_USED[0])
    start = time.monotonic()
    pct, _ = harness.wait_idle(step, limit)
    steal = host_steal()
    while steal > 100 * STEAL_MAX and time.monotonic() - start < limit:
        time.sleep(2)
        steal = host_steal()
    if not quiet:
        # A step's own check (1.5 s) is not slack; waiting longer is.
        SLACK_USED[0] += max(0, time.monotonic() - start - 3)
    log(f"{step}: host steal {steal:.0f} % of a CPU under load "
        f"(waited {time.monotonic() - start:.0f} s in all)")
    if not quiet:
        IDLE.append((step, pct, steal, time.monotonic() - start))


def show_mbps(r):
    if "error" in r:
        return "error " + r["error"]
    return f"{r.get('total_mbps', r.get('mbps'))} MB/s"


# --- steps ----------------------------------------------------------------------

def step_ceiling(ss):
    w = CFG["window_s"]
    log(f"bare pty: device -> reader, {w} s x {CFG['reps']}")
    for _ in range(CFG["reps"]):
        repeat("ceiling_out", {
            "pty": lambda: run_tool(
                "bare pty output ceiling", [CONDEV, "ceiling", str(w),
                                            next_byte()], w + 60),
            "spin": lambda: run_tool(
                "bare pty output ceiling, reader never sleeps",
                [CONDEV, "ceiling", str(w), next_byte(), "spin"], w + 60)},
            lambda r: r.get("mbps", r.get("error")))


def step_fanout(ss):
    for n in VIEWERS:
        log(f"output to {n} viewer(s), {CFG['window_s']} s x {CFG['reps']}")
        for _ in range(CFG["reps"]):
            repeat(f"fan{n}", {name: (lambda s=s, n=n: view_run(s, n))
                               for name, s in ss.items()}, show_mbps)


def step_stall(ss):
    n = CFG["stall_readers"]
    log(f"{n} viewers, then {n} viewers and one that never reads, "
        f"x {CFG['stall_reps']} (others x {CFG['stall_reps_other']})")
    w, warm = CFG["stall_window_s"], CFG["stall_warm_s"]
    for rep in range(max(CFG["stall_reps"], CFG["stall_reps_other"])):
        runs = {}
        for name, s in ss.items():
            if name not in STALL_SERVERS or rep >= CFG[
                    "stall_reps" if name == "ttyhubd" else
                    "stall_reps_other"]:
                continue
            # Which goes first alternates: run-to-run drift on this VM is
            # as large as the effect looked for.
            pair = [(name, 0), (name + "+stalled", 1)]
            for key, st in (pair if rep % 2 == 0 else pair[::-1]):
                runs[key] = lambda s=s, st=st: view_run(s, n, st, w, warm)
        repeat("stall", runs, show_mbps)


def step_rtt(ss):
    k, wu, cap = CFG["rtt_count"], CFG["rtt_warmup"], CFG["rtt_cap_s"]
    log(f"keystroke round trip, {k} (at most {cap} s) x {CFG['rtt_reps']}")
    for s in ss.values():
        s.dev.cmd("echo")
    try:
        for _ in range(CFG["rtt_reps"]):
            # The two legs of a round trip alone, in the same minute:
            # how fast this VM wakes a sleeper changes from minute to
            # minute more than anything a server does.
            runs = {
                "pty": lambda: run_tool(
                    "bare pty echo ceiling",
                    [CONDEV, "rttceil", str(k), str(wu)], 120),
                "tcp": lambda: with_server(
                    OUT, "TCP echo ceiling", ["tcpecho"],
                    ["rtt", str(k), str(wu)], 120)}
            for name, s in ss.items():
                def one(s=s):
                    c0 = s.cpu()
                    r = run_tool("round trips", [
                        CONVIEW, "rtt", str(s.port), str(k), str(wu),
                        str(cap)], cap + 120)
                    r["daemon_cpu"] = round(s.cpu() - c0, 2)
                    return r
                runs[name] = one
            repeat("rtt", runs, lambda r: f"p50 {r.get('p50', r.get('error'))}")
    finally:
        for s in ss.values():
            s.dev.cmd("idle")


def step_profile(ss):
    if shutil.which("perf") is None or "ttyhubd" not in ss:
        log("profile: perf or ttyhubd not there; skipped")
        return
    s = ss["ttyhubd"]
    for n in (1, 100):
        log(f"profile: ttyhubd, {n} viewer(s), under perf")
        res, top = harness.perf_top(s.pid, lambda: view_run(s, n), OUT)
        R[f"profile{n}"] = {"run": res, "top": top}
        log(f"  {show_mbps(res)}; " +
            ", ".join(f"{p:.1f}% {sym}" for p, sym in top[:5]))


# --- the report ---------------------------------------------------------------

def clean(key, *whos):
    """The repetitions of key in which the runs of whos were not disturbed
    (all of them, if there are none)."""
    rows = R.get(key, [])
    ok = [r for r in rows
          if not any(r.get(w, {}).get("disturbed") for w in whos)]
    return ok or rows


def col(key, who, field):
    return med([fnum(r.get(who, {}), field) for r in clean(key, who)])


def stall_cost(who, field="per_mean"):
    """Per repetition: 1 - (healthy viewers' mean rate with the stalled one
    / their mean rate without it); the median."""
    vals = []
    for row in clean("stall", who, who + "+stalled"):
        a = fnum(row.get(who, {}), field)
        b = fnum(row.get(who + "+stalled", {}), field)
        if a and b is not None:
            vals.append(100 * (1 - b / a))
    return med(vals), vals


def tainted(key, *whos):
    """No repetition of key had undisturbed runs of whos."""
    rows = R.get(key, [])
    return bool(rows) and all(any(r.get(w, {}).get("disturbed")
                                  for w in whos) for r in rows)


def table():
    whos = [w for w in SERVERS if w in WANT_SERVERS]
    rows = []
    mark = "†"

    def cell(key, who, field, nd=1):
        v = col(key, who, field)
        return v, fmt(v, nd) + (mark if v is not None and
                                tainted(key, who) else "")

    def cells(key, field, nd=1, suffix=""):
        got = [cell(key, w + suffix, field, nd) for w in whos]
        return [v for v, _ in got], [t for _, t in got]

    def add(label, texts, target="-", ok=None):
        rows.append((label, *texts, target,
                     *(verdict(o) + (mark if o is not None and
                                     t.endswith(mark) else "")
                       for o, t in zip(ok or [None] * 2, texts))))

    def same(key, who, field):
        return [cell(key, who, field)[1]] + ["″"] * (len(whos) - 1)

    if "ceiling_out" in R:
        add("Bare pty, device -> reader, no server (MB/s)",
            same("ceiling_out", "pty", "mbps"))
        add("The same, reader never sleeps (MB/s)",
            same("ceiling_out", "spin", "mbps"))
    for n in VIEWERS:
        key = f"fan{n}"
        if key not in R:
            continue
        per, per_t = cells(key, "per_mean")
        tot, tot_t = cells(key, "total_mbps")
        if n == 1:
            add("Output to 1 viewer (MB/s)", tot_t, ">= 100 [15]",
                [v is not None and v >= 100 for v in tot[:2]])
            continue
        add(f"Output to {n} viewers, per viewer (MB/s)", per_t)
        if n == 100:
            add(f"Output to {n} viewers, total (MB/s)", tot_t, ">= 500",
                [v is not None and v >= 500 for v in tot[:2]])
        else:
            add(f"Output to {n} viewers, total (MB/s)", tot_t)
    for n in VIEWERS:
        if f"fan{n}" in R:
            add(f"Device writes, {n} viewer(s) (MB/s)",
                cells(f"fan{n}", "device_mbps")[1])
    for n in VIEWERS:
        if f"fan{n}" in R:
            add(f"Server CPU, {n} viewer(s) (% of one CPU)",
                cells(f"fan{n}", "daemon_cpu_pct", 0)[1])
    n = CFG["stall_readers"]
    if "stall" in R:
        add(f"{n} viewers, per viewer (MB/s)", cells("stall", "per_mean")[1])
        add(f"{n} viewers + 1 stalled, the {n}, per viewer (MB/s)",
            cells("stall", "per_mean", suffix="+stalled")[1])
        costs = [stall_cost(w)[0] for w in whos]
        add("Cost of the stalled viewer to the others (%)",
            [fmt(c) + (mark if c is not None and
                       tainted("stall", w, w + "+stalled") else "")
             for c, w in zip(costs, whos)], "< 5",
            [c is not None and c < 5 for c in costs[:2]])
        add("Cost per repetition (%)",
            [" / ".join(fmt(v, 0) for v in stall_cost(w)[1]) or "n/a"
             for w in whos])
    if "rtt" in R:
        add("Echo, bare pty alone, p50 (µs)", same("rtt", "pty", "p50"))
        add("Echo, TCP loopback alone, p50 (µs)", same("rtt", "tcp", "p50"))
        p50, p50_t = cells("rtt", "p50")
        add("Keystroke round trip p50 (µs)", p50_t, "<= 60 [3,300]",
            [v is not None and v <= 60 for v in p50[:2]])
        for q in ("p90", "p99"):
            add(f"Keystroke round trip {q} (µs)", cells("rtt", q)[1])
        add("Round trips measured per repetition",
            cells("rtt", "count", 0)[1])
    return whos, rows


def usual(field, value):
    """Fields left out of the run tables when they say all is well."""
    return (field, value) in (("closed_at_start", 0), ("daemon_alive", True),
                              ("eof", "0"))


def detail(key, title, fields):
    if key not in R:
        return []
    out = [f"\n#### {title}\n"]
    whos = sorted({w for row in R[key] for w in row
                   if not w.startswith("_")},
                  key=lambda w: (SERVERS.index(w.split("+")[0])
                                 if w.split("+")[0] in SERVERS else -1, w))
    return out + run_table(R[key], whos,
                           fields + ["others_cpu", "steal_pct"], usual)


def notes():
    out = []
    ceil = col("ceiling_out", "pty", "mbps")
    spin = col("ceiling_out", "spin", "mbps")
    one = col("fan1", "ttyhubd", "total_mbps")
    if ceil and spin and one:
        top = max(ceil, spin)
        text = (
            f"The bare pty carries {fmt(ceil)} MB/s from a writer on the "
            f"master to a blocking reader of the raw slave, and {fmt(spin)} "
            f"MB/s to a reader that never sleeps, with nothing else in the "
            f"way (about 4 KiB per read: the line discipline hands out at "
            f"most its 4 KiB buffer at a time). ttyhubd's single viewer got "
            f"{fmt(one)} MB/s, {fmt(100 * one / top, 0)} % of the higher.")
        if one > ceil:
            text += (" It beat the blocking reader: on this VM a reader "
                     "that sleeps after every 4 KiB pays a vCPU wake-up "
                     "each time, and ttyhubd, busy with TCP too, sleeps "
                     "less; neither bare reader is a strict upper bound.")
        cpu = col("fan1", "ttyhubd", "daemon_cpu_pct")
        if cpu is not None and cpu < 85:
            text += (f" ttyhubd used {fmt(cpu, 0)} % of a CPU for one "
                     "viewer: it waits for the pty, which decides this "
                     "number (see the profile: most of it is the kernel's "
                     "pty work).")
        out.append(text)
    p = col("rtt", "pty", "p50")
    t = col("rtt", "tcp", "p50")
    th = col("rtt", "ttyhubd", "p50")
    if p and t and th:
        out.append(
            f"Echo: the pty leg alone takes {fmt(p)} µs p50 and the TCP "
            f"loopback leg alone {fmt(t)} µs in the same minutes "
            f"(together {fmt(p + t)} µs); ttyhubd's round trip, "
            f"{fmt(th)} µs, crosses both. On this VM both legs alone "
            f"took 20-30 µs p50 in fast minutes and 80-150 µs in slow "
            f"ones, with no steal recorded.")
    s = col("rtt", "ser2net", "p50")
    if s:
        out.append(
            f"ser2net's default `chardelay` holds device output for at "
            f"least `chardelay-min` (1000 µs) hoping for more, and its "
            f"default `dev-to-net-bufsize` is 64 bytes; its round trip "
            f"({fmt(s)} µs p50) and single-viewer rate are mostly those two "
            f"settings. The ser2net-tuned column turns chardelay off and "
            f"uses 64 KiB buffers.")
    busy = [n for n in VIEWERS if n > 1 and
            (col(f"fan{n}", "ttyhubd", "daemon_cpu_pct") or 0) >= 90]
    if busy:
        out.append(
            f"With {' and '.join(map(str, busy))} viewers ttyhubd used "
            f"{' and '.join(fmt(col(f'fan{n}', 'ttyhubd', 'daemon_cpu_pct'), 0) for n in busy)} "
            "% of a CPU: its fan-out is CPU-bound; the profile below says "
            "where the time goes.")
    dis = sum(1 for k in R for r in R[k]
              if isinstance(r, dict) and r.get("_attempts", 1) > 1)
    if dis:
        out.append(f"{dis} repetition(s) had runs redone because other "
                   "processes, or the host, used the CPU meanwhile.")
    return out


def machine():
    info = harness.machine(TTYHUBD)
    info["ser2net"] = version([SER2NET, "-v"])
    info["ttyhubd binary"] = (
        f"a copy of {rel(TTYHUBD_BUILT)} (built "
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(BUILT_AT[0]))}"
        "), run from bench/out/console/")
    return info


def section(t_total, info):
    whos, rows = table()
    lines = [BEGIN, "## Consoles", "",
             f"Written by `bench/console.py` in {t_total:.0f} s"
             f"{' (BENCH_QUICK=1: smoke-test sizes, not for comparison)' if QUICK else ''}"
             ". A console in front of a pty that a C program drives as the "
             "device (bench/helpers/condev.c), with C Telnet viewers "
             "(bench/helpers/conview.c); ttyhubd with a `type = serial` "
             "console on the pty's slave, ser2net with a "
             "`telnet(rfc2217)` accepter and a `serialdev` connector on "
             "the slave of its own, identical pty. See bench/README.md "
             "(Consoles).", "",
             "| metric | " + " | ".join(whos) +
             " | target [ser2net, from the issue] | ttyhubd | ser2net |",
             "|---|" + "---|" * (len(whos) + 3)]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    lines += ["",
              "Medians over the repetitions that nothing else disturbed. "
              "MB = 10^6 bytes of payload (each viewer counts the device's "
              "bytes it received, Telnet removed), over a common window of "
              f"{CFG['window_s']} s from the first such byte at any viewer; "
              "total = all viewers' bytes / window. The stall runs count "
              f"{CFG['stall_window_s']} s after {CFG['stall_warm_s']} s of "
              "warm-up (the stalled socket's buffers fill first), and the "
              "cost is the median of the per-pair costs. Verdicts are for "
              "ttyhubd and default ser2net; ser2net-tuned is there for "
              "context. \"″\": the same ceiling for every column. †: every "
              "repetition of this run was disturbed (see Runs); the number "
              "is the median of disturbed runs.", ""]
    ns = notes()
    if ns:
        lines += ["### Notes", ""] + [f"- {n}" for n in ns] + [""]
    for n in (1, 100):
        pr = R.get(f"profile{n}")
        if pr:
            lines += [f"### ttyhubd profile, {n} viewer(s)", "",
                      f"`perf record -g -p PID` during one extra run "
                      f"({show_mbps(pr['run'])} under perf, server CPU "
                      f"{pr['run'].get('daemon_cpu_pct')} %); self time by "
                      "symbol, entries at 1.5 % or more:", ""]
            lines += [f"- {p:.1f} % {sym}" for p, sym in pr["top"]]
            lines.append("")
    lines += ["### Machine", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    if IDLE:
        lines.append("- before each step, idle CPU and the host's steal "
                     "under load (% of one CPU): " + ", ".join(
                         f"{s} {p:.0f} % idle, steal {st:.0f} %" +
                         (f" after waiting {w:.0f} s" if w >= 2.5 else "")
                         for s, p, st, w in IDLE))
    lines += ["", "### Sizes", ""]
    lines += [f"- {k} = {v}" for k, v in CFG.items()]
    lines.append(f"- viewers = {VIEWERS}")
    lines += ["", "### Configurations", "",
              "PORT is an ephemeral port and /dev/pts/N the device's pty "
              "slave, both picked per run.", ""]
    for who, (path, text) in CONFIGS.items():
        text = re.sub(r"/dev/pts/\d+", "/dev/pts/N", text)
        text = re.sub(r"127\.0\.0\.1([:,])\d+", r"127.0.0.1\1PORT", text)
        lines += [f"{who} (`{path}`):", "", "```", text.rstrip("\n"),
                  "```", ""]
    lines += ["### Runs"]
    vf = ["total_mbps", "per_min", "per_max", "late_per_mean",
          "device_mbps", "daemon_cpu_pct", "device_cpu_pct", "other", "eof",
          "closed_at_start", "rss_kib", "daemon_alive"]
    lines += detail("ceiling_out", "Bare pty output",
                    ["mbps", "bytes", "reads", "per_read", "bad"])
    for n in VIEWERS:
        lines += detail(f"fan{n}", f"Output to {n} viewer(s)", vf)
    lines += detail("stall", f"{CFG['stall_readers']} viewers, without "
                    "and with one stalled viewer", vf)
    rf = ["p50", "p90", "p99", "min", "mean", "max", "count", "daemon_cpu"]
    lines += detail("rtt", "Keystroke round trip (µs)", rf)
    lines += ["", "`daemon_cpu_pct`, `device_cpu_pct`: the server's and "
              "the device program's CPU time over the run's wall time "
              "(from /proc/PID/stat), in % of one CPU; `others_cpu`: CPU "
              "seconds used meanwhile by processes the benchmark did not "
              "start; `steal_pct`: time the hypervisor gave our vCPUs to "
              "others, in % of one CPU. More than 5 % of a CPU in either "
              "marks a run disturbed, and it is redone while "
              "`BENCH_CON_SLACK_S` lasts. `other`: payload bytes that were not the "
              "device's (notices, replay); `eof`: viewers that were "
              "disconnected (shown when not 0); `rss_kib`: the server's "
              "VmRSS after the run.", "", "### Commands", "", "```"]
    for what, cmd in COMMANDS:
        cmd = re.sub(r"(conview (?:view|rtt) )\d+", r"\1PORT", cmd)
        cmd = re.sub(r"(tnclient rtt )\d+", r"\1PORT", cmd)
        lines.append(f"# {what}\n{cmd}")
    lines += ["```", END]
    return "\n".join(lines) + "\n", rows


STATE = os.path.join(OUT, "results.json")


def save_state(t_total, info):
    """Everything the section is made from, so that it can be written
    again (`console.py --report`) without measuring again."""
    with open(STATE, "w") as f:
        json.dump({"t_total": t_total, "info": info, "R": R, "CFG": CFG,
                   "VIEWERS": VIEWERS, "WANT_SERVERS": WANT_SERVERS,
                   "CONFIGS": CONFIGS, "COMMANDS": COMMANDS, "IDLE": IDLE,
                   "QUICK": QUICK}, f, indent=1)


def load_state():
    global VIEWERS, WANT_SERVERS, QUICK
    with open(STATE) as f:
        st = json.load(f)
    R.update(st["R"])
    CFG.update(st["CFG"])
    VIEWERS, WANT_SERVERS, QUICK = st["VIEWERS"], st["WANT_SERVERS"], \
        st["QUICK"]
    CONFIGS.update({k: tuple(v) for k, v in st["CONFIGS"].items()})
    COMMANDS[:] = [tuple(c) for c in st["COMMANDS"]]
    IDLE[:] = [tuple(i) for i in st["IDLE"]]
    return st["t_total"], st["info"]


def write_results(t_total, info):
    text, rows = section(t_total, info)
    write_section("console.py", text)
    with open(os.path.join(OUT, "section.md"), "w") as f:
        f.write(text)
    return rows


def main():
    if sys.argv[1:] == ["--report"]:
        rows = write_results(*load_state())
        for r in rows:
            log(" | ".join(r))
        log(f"wrote the Consoles section of {rel(RESULTS)} from "
            f"{rel(STATE)}")
        return
    t0 = time.monotonic()
    if not os.access(TTYHUBD, os.X_OK):
        sys.exit(f"bench: {TTYHUBD} is missing: run make first")
    if any(s.startswith("ser2net") for s in WANT_SERVERS) and \
            shutil.which(SER2NET) is None:
        sys.exit("bench: ser2net is missing (Debian package ser2net)")
    raise_nofile()
    log(f"{'quick ' if QUICK else ''}console run; sizes {CFG}")
    build_helpers()
    copy_ttyhubd()
    ss = start_servers()
    try:
        for step in (step_ceiling, step_fanout, step_stall, step_rtt,
                     step_profile):
            name = step.__name__[len("step_"):]
            if ONLY and name not in ONLY:
                continue
            if name == "profile" and not PERF:
                continue
            wait_idle(name)
            t = time.monotonic()
            step(ss)
            for s in ss.values():
                if not s.alive():
                    log(f"  {s.kind} died: exit {s.proc.poll()} "
                        f"(see {rel(s.logpath)})")
            log(f"  ({name}: {time.monotonic() - t:.1f} s)")
    finally:
        stop_servers(ss)
    info = machine()
    save_state(time.monotonic() - t0, info)
    rows = write_results(time.monotonic() - t0, info)
    for r in rows:
        log(" | ".join(r))
    log(f"wrote the Consoles section of {rel(RESULTS)} in "
        f"{time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
