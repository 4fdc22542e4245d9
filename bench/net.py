#!/usr/bin/python3
"""Guest networks: frames through ttyhubd's [network] and through
vde_switch (Debian vde-switch), side by side in one run, between two
synthetic guests on loopback (bench/helpers/netpeer.c).

Run from the repository root as `/usr/bin/python3 bench/net.py` (or
`make bench-net`, which first installs vde-switch and libvdeplug-dev
with tools/deps.sh bench), after `make`.  Builds netpeer into
bench/out/net/, starts one ttyhubd with a network that has a stream
unix socket, a stream TCP port and a unix datagram socket, and one
vde_switch, and measures, repetition by repetition, each system in turn
(the order rotates):

- throughput: A sends 64- and 1500-byte frames to B's learned MAC as fast
  as the path takes them, B counts what arrives (frames/s and MB/s at B);
  the ceilings are the same peers with no switch between them (a unix
  stream socketpair, and a datagram socket each);
- a stalled guest: A floods broadcast frames to B, with and without a
  third port C that joined and never reads again; the cost is how much
  B's rate drops.

Writes the "Guest networks" section of bench/RESULTS.md between its
marker lines.  BENCH_NET_SECS (2), BENCH_NET_REPS (5) and
BENCH_NET_STALL_REPS (9) size it; BENCH_QUICK=1 is a smoke run.  A run
during which other processes used the CPU is marked and redone, as in
run.py (bench/harness.py); bench/README.md explains every number.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import harness
from harness import env_num, fmt, log, med, verdict

OUT = os.path.join(harness.OUT, "net")
QUICK = harness.QUICK
SECS = env_num("BENCH_NET_SECS", 1.0 if QUICK else 2.0, float)
WARM = env_num("BENCH_NET_WARM", 0.3, float)
REPS = env_num("BENCH_NET_REPS", 1 if QUICK else 5)
STALL_REPS = env_num("BENCH_NET_STALL_REPS", 1 if QUICK else 9)
RETRIES = env_num("BENCH_RETRIES", 0 if QUICK else 2)
SIZES = (64, 1500)
STALL_SIZE = 1500
VDE_SWITCH = os.environ.get("BENCH_VDE_SWITCH", "vde_switch")
TTYHUBD = harness.TTYHUBD

# What each system is, for the tables: (name, what it is).
SYSTEMS = [
    ("direct-stream", "ceiling: no switch, a unix stream socketpair"),
    ("direct-dgram", "ceiling: no switch, a unix datagram socket each"),
    ("ttyhubd-stream", "ttyhubd, stream port on a unix socket "
     "(-netdev stream)"),
    ("ttyhubd-tcp", "ttyhubd, stream port on TCP (-netdev socket,connect=)"),
    ("ttyhubd-dgram", "ttyhubd, dgram port on a unix socket (-netdev dgram)"),
    ("vde_switch", "vde_switch 2.3, a VDE plug each (libvdeplug, unix "
     "datagrams)"),
]
STALL_SYSTEMS = ("ttyhubd-stream", "ttyhubd-dgram", "vde_switch")


class Ttyhubd(harness.Started):
    def __init__(self):
        self.logpath = os.path.join(OUT, "ttyhubd.log")
        self.start_on_free_port("ttyhubd (see %s)" % OUT)

    def _start(self):
        self.conf = os.path.join(OUT, "ttyhubd.conf")
        self.text = (
            "# bench/net.py: one network, a port of each kind; the rest is\n"
            "# the default (switch, mtu 1500, queues of 512k and 1024\n"
            "# frames, no capture).\n"
            "[ttyhubd]\nbroker-unix = none\n\n"
            "[network bench]\n"
            "stream = %s/n.sock 127.0.0.1:%d\n"
            "dgram = %s/n.dgram\n" % (OUT, self.port, OUT))
        with open(self.conf, "w") as f:
            f.write(self.text)
        argv = [TTYHUBD, "-F", "-c", self.conf]
        harness.note_command("ttyhubd", argv)
        return self.spawn(argv)


class VdeSwitch:
    """vde_switch in the foreground, its console on a pipe we hold (it
    stops at the console's end of file); stopped by its PID."""

    def __init__(self):
        self.dir = os.path.join(OUT, "vde")
        shutil.rmtree(self.dir, ignore_errors=True)
        argv = [VDE_SWITCH, "-s", self.dir]
        harness.note_command("vde_switch", argv)
        self.logf = open(os.path.join(OUT, "vde_switch.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=self.logf, stderr=self.logf)
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(self.dir, "ctl")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("bench: vde_switch did not start (see %s)" % OUT)
            time.sleep(0.02)

    def cpu(self):
        return harness.proc_cpu(self.proc.pid)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.logf.close()


def spec(system, srv):
    d = os.path.join(OUT, "peers")
    os.makedirs(d, exist_ok=True)
    return {
        "direct-stream": "direct:stream",
        "direct-dgram": "direct:dgram:" + d,
        "ttyhubd-stream": "stream:" + os.path.join(OUT, "n.sock"),
        "ttyhubd-tcp": "tcp:%d" % srv["ttyhubd"].port,
        "ttyhubd-dgram": "dgram:%s:%s" % (os.path.join(OUT, "n.dgram"), d),
        "vde_switch": "vde:" + srv["vde"].dir,
    }[system]


def hub_of(system, srv):
    if system.startswith("ttyhubd"):
        return srv["ttyhubd"]
    if system == "vde_switch":
        return srv["vde"]
    return None


def peer_run(prog, system, srv, size, mode, stall=False):
    """One netpeer run, with the switch's CPU over it."""
    hub = hub_of(system, srv)
    argv = [prog, spec(system, srv), str(size), str(SECS), str(WARM), mode]
    if stall:
        argv.append("stall")
    shown = ["netpeer", spec(system, srv) if system != "ttyhubd-tcp"
             else "tcp:PORT", "SIZE", str(SECS), str(WARM), mode] + \
        (["stall"] if stall else [])
    harness.note_command("%s (%s%s)" % (system, mode, ", stall" if stall
                                         else ""), shown)

    def fn():
        c0 = hub.cpu() if hub else 0
        t0 = time.monotonic()
        res = harness.run_tool(system, argv, SECS + WARM + 60)
        dt = time.monotonic() - t0
        if hub:
            res["hub_cpu_pct"] = round(100 * (hub.cpu() - c0) / dt)
            if not hub.alive():
                res["error"] = "%s died" % system
        return res
    res = None
    for attempt in range(RETRIES + 1):
        res = harness.measured(fn, steal=True)
        res["attempts"] = attempt + 1
        if not res["disturbed"] or "error" in res:
            break
    if "error" in res:
        log("%s %s: %s" % (system, size, res["error"]))
    return res


def copy_ttyhubd():
    """Run a copy: others may rebuild build/ttyhubd during the run."""
    global TTYHUBD
    dst = os.path.join(OUT, "ttyhubd")
    shutil.copy2(TTYHUBD, dst)
    harness.note_command("copy of %s" % harness.rel(TTYHUBD),
                         ["cp", TTYHUBD, dst])
    TTYHUBD = dst


def main():
    os.makedirs(OUT, exist_ok=True)
    copy_ttyhubd()
    if shutil.which(VDE_SWITCH) is None:
        sys.exit("bench: vde_switch is missing: sh tools/deps.sh bench "
                 "(Debian vde-switch and libvdeplug-dev)")
    prog, _ = harness.build_helper("netpeer", OUT, libs=["-lvdeplug"])
    srv = {"ttyhubd": Ttyhubd(), "vde": VdeSwitch()}
    runs = {}
    stalls = {}
    t_start = time.monotonic()
    try:
        harness.wait_idle("throughput", 0 if QUICK else 30)
        names = [s for s, _ in SYSTEMS]
        for rep in range(REPS):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for size in SIZES:
                for system in order:
                    res = peer_run(prog, system, srv, size, "unicast")
                    runs.setdefault((system, size), []).append(res)
            log("rep %d: " % (rep + 1) + ", ".join(
                "%s %s" % (s, fmt(harness.fnum(runs[(s, 1500)][-1], "fps"),
                                  0)) for s in names) + " (1500 B fps)")
        harness.wait_idle("stall", 0 if QUICK else 30)
        for rep in range(STALL_REPS):
            for system in STALL_SYSTEMS:
                pair = [False, True] if rep % 2 == 0 else [True, False]
                for stall in pair:
                    res = peer_run(prog, system, srv, STALL_SIZE, "flood",
                                   stall)
                    stalls.setdefault((system, stall), []).append(res)
            log("stall rep %d: " % (rep + 1) + ", ".join(
                "%s %s/%s" % (s, fmt(harness.fnum(stalls[(s, False)][-1],
                                                  "fps"), 0),
                              fmt(harness.fnum(stalls[(s, True)][-1],
                                               "fps"), 0))
                for s in STALL_SYSTEMS))
    finally:
        srv["ttyhubd"].stop_proc()
        srv["vde"].stop()
    report(runs, stalls, srv, time.monotonic() - t_start)


def medf(rows, key):
    return med([harness.fnum(r, key) for r in rows if "error" not in r])


def report(runs, stalls, srv, took):
    names = [s for s, _ in SYSTEMS]
    info = harness.machine(ttyhubd=TTYHUBD, peers={
        "vde_switch": harness.version([VDE_SWITCH, "-v"])})
    begin, end = harness.markers("net.py")
    lines = [begin, "", "## Guest networks", "",
             "Written by `bench/net.py` in %.0f s. Two synthetic guests "
             "(bench/helpers/netpeer.c) on one switch: A sends frames to "
             "B's learned MAC as fast as its socket takes them (one write "
             "per frame, as QEMU does), B reads in a process of its own and "
             "counts what arrives over %.1f s after %.1f s. Medians of %d "
             "repetitions, the systems in turn within each. MB = 10^6 "
             "bytes of frames at B. `switch CPU` is the switch process's "
             "CPU time over the run, in %% of one CPU (2 CPUs: peers and "
             "switch share them)." % (took, SECS, WARM, REPS), ""]
    vde = {size: medf(runs[("vde_switch", size)], "fps") for size in SIZES}
    for size in SIZES:
        lines += ["### %d-byte frames" % size, "",
                  "| system | frames/s | MB/s | switch CPU | / vde_switch |",
                  "|---|---|---|---|---|"]
        for system in names:
            rows = runs[(system, size)]
            fps = medf(rows, "fps")
            cpu = medf(rows, "hub_cpu_pct")
            ratio = fps / vde[size] if fps and vde[size] else None
            lines.append("| %s | %s | %s | %s | %s |" % (
                system, fmt(fps, 0), fmt(medf(rows, "mbps"), 1),
                "-" if cpu is None else "%.0f %%" % cpu,
                "-" if system.startswith("direct") else fmt(ratio, 2)))
        lines.append("")
    lines += ["| target | result |", "|---|---|"]
    missed = []
    for system in ("ttyhubd-stream", "ttyhubd-tcp", "ttyhubd-dgram"):
        for size in SIZES:
            fps = medf(runs[(system, size)], "fps")
            ok = None if fps is None or vde[size] is None else \
                fps >= vde[size]
            lines.append("| %s, %d B: at least vde_switch's frames/s | "
                         "%s |" % (system, size, verdict(ok)))
            if ok is False and system not in missed:
                missed.append(system)
    if missed:
        lines += ["", "Not met: %s. bench/README.md (Guest networks) says "
                  "what is known of why." % ", ".join(missed)]
    lines += ["", "### A stalled guest", "",
              "A floods %d-byte broadcast frames; B reads them; C joined "
              "(one frame) and never reads again. B's frames/s without C "
              "and with C, and the switch's CPU, medians of %d pairs run "
              "back to back (the order alternating). The cost is the "
              "median of the pairs' 1 - with/without (each pair shares its "
              "minutes' load, so the ratio drifts less than the rates), the "
              "target under 5 %%." % (STALL_SIZE, STALL_REPS), "",
              "| system | without C | with C stalled | switch CPU without, "
              "with | cost | target |",
              "|---|---|---|---|---|---|"]
    for system in STALL_SYSTEMS:
        a = medf(stalls[(system, False)], "fps")
        b = medf(stalls[(system, True)], "fps")
        costs = []
        for x, y in zip(stalls[(system, False)], stalls[(system, True)]):
            fx, fy = harness.fnum(x, "fps"), harness.fnum(y, "fps")
            if fx and fy is not None and "error" not in x and \
                    "error" not in y:
                costs.append(1 - fy / fx)
        cost = med(costs)
        ca = medf(stalls[(system, False)], "hub_cpu_pct")
        cb = medf(stalls[(system, True)], "hub_cpu_pct")
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            system, fmt(a, 0), fmt(b, 0),
            "n/a" if ca is None or cb is None else
            "%.0f %%, %.0f %%" % (ca, cb),
            "n/a" if cost is None else "%.1f %%" % (100 * cost),
            verdict(None if cost is None else cost < 0.05)))
    lines += ["", "### Machine", ""]
    for k in ("CPU", "kernel", "date", "load average at start",
              "load average at end", "ttyhubd", "vde_switch", "compiler"):
        lines.append("- %s: %s" % (k, info.get(k, "?")))
    redone = sum(r.get("attempts", 1) - 1 for rows in
                 list(runs.values()) + list(stalls.values()) for r in rows)
    left = sum(bool(r.get("disturbed")) for rows in
               list(runs.values()) + list(stalls.values()) for r in rows)
    lines.append("- runs redone because other processes used the CPU: %d; "
                 "still disturbed after %d tries: %d" % (redone,
                                                         RETRIES + 1, left))
    lines += ["", "### Runs", "",
              "| system | frame | runs (frames/s, switch CPU %) |",
              "|---|---|---|"]
    for size in SIZES:
        for system in names:
            lines.append("| %s | %d | %s |" % (system, size, ", ".join(
                "error: %s" % r["error"] if "error" in r else
                "%s (%s%%)%s" % (r.get("fps"), r.get("hub_cpu_pct", "-"),
                                 " disturbed" if r.get("disturbed") else "")
                for r in runs[(system, size)])))
    for system in STALL_SYSTEMS:
        for stall in (False, True):
            lines.append("| %s, flood%s | %d | %s |" % (
                system, " + C stalled" if stall else "", STALL_SIZE,
                ", ".join("error: %s" % r["error"] if "error" in r else
                          "%s (%s%%)%s" % (r.get("fps"),
                                           r.get("hub_cpu_pct", "-"),
                                           " disturbed" if
                                           r.get("disturbed") else "")
                          for r in stalls[(system, stall)])))
    lines += ["", "### Configuration and commands", "", "```",
              srv["ttyhubd"].text.rstrip("\n").replace(OUT, "bench/out/net"),
              "```", "", "```"]
    for what, cmd in harness.COMMANDS:
        lines.append("# %s\n%s" % (what, cmd))
    lines += ["```", "", end]
    harness.write_section("net.py", "\n".join(lines))
    log("wrote the Guest networks section of %s" %
        harness.rel(harness.RESULTS))


if __name__ == "__main__":
    main()
