#!/usr/bin/python3
"""Network queues: how a guest network's ports should hold frames, measured
without sockets by bench/helpers/netq.c: one copy per destination queue
(src/net/fq.c, what the switch uses) against one shared copy with a
reference per queue, and the whole switch (sw_input) for scale.

Run from the repository root as `/usr/bin/python3 bench/netq.py` (or
`make bench-netq`).  Builds netq into bench/out/netq/, runs every
strategy for 64- and 1500-byte frames and 1, 3 and 7 destinations, the
strategies back to back within each repetition, and writes the "Network
queues" section of bench/RESULTS.md between its marker lines (the rest
of the file is left as it is).  BENCH_NETQ_SECS (default 1) is each
run's length, BENCH_NETQ_REPS (default 5) the repetitions; a repetition
during which other processes used the CPU is marked and redone, as in
run.py (bench/harness.py).
"""

import os
import subprocess
import sys

import harness

OUT = os.path.join(harness.OUT, "netq")
SECS = harness.env_num("BENCH_NETQ_SECS", 1.0, float)
REPS = harness.env_num("BENCH_NETQ_REPS", 5)
RETRIES = harness.env_num("BENCH_RETRIES", 1)
STRATEGIES = ("copy", "shared", "sw")
SIZES = (64, 1500)
FANOUTS = (1, 3, 7)
NET_SRC = ["src/net/fq.c", "src/net/frame.c", "src/net/fdb.c",
           "src/net/sw.c"]


def build():
    dst, argv = harness.build_helper("netq", OUT, extra_sources=NET_SRC)
    return dst, harness.show(argv)


def one(prog, how, size, fanout):
    def fn():
        r = subprocess.run([prog, how, str(size), str(fanout), str(SECS)],
                           capture_output=True, text=True,
                           timeout=SECS * 10 + 30)
        if r.returncode != 0:
            sys.exit(f"bench: netq {how} {size} {fanout}: {r.stdout}"
                     f"{r.stderr}")
        return harness.kv(r.stdout)
    for _ in range(RETRIES + 1):
        res = harness.measured(fn)
        if not res["disturbed"]:
            break
        harness.log(f"netq {how} {size} {fanout}: others used "
                    f"{res['others_cpu']} s of CPU, redone")
    return res


def main():
    prog, cmd = build()
    runs = {}
    redone = 0
    for size in SIZES:
        for fanout in FANOUTS:
            for rep in range(REPS):
                for how in STRATEGIES:
                    res = one(prog, how, size, fanout)
                    redone += res["disturbed"]
                    runs.setdefault((how, size, fanout), []).append(
                        float(res["cpufps"]))
            harness.log(f"netq {size} B to {fanout}: " + ", ".join(
                f"{h} {harness.med(runs[(h, size, fanout)]) / 1e6:.2f} M/s"
                for h in STRATEGIES))
    info = harness.machine()
    begin, end = harness.markers("netq.py")
    lines = [begin, "", "## Network queues", "",
             "Written by `bench/netq.py`. Input frames per second of CPU time "
             "(millions; median of %d runs of %.1f s; CPU time, because other "
             "work shares this machine) through each strategy, each frame "
             "to N queues, every queue drained every 32 frames as a stream "
             "port's writev takes it, and copied once more as the kernel "
             "would. `copy`: src/net/fq.c, a copy per queue; `shared`: one "
             "copy in a pool slot, a reference per queue (a model, not in "
             "src/); `sw`: the switch's sw_input flooding a broadcast to N "
             "ports through fq, with its counters and address learning."
             % (REPS, SECS), "",
             "| frame | queues | copy | shared | sw | shared / copy |",
             "|---|---|---|---|---|---|"]
    for size in SIZES:
        for fanout in FANOUTS:
            m = {h: harness.med(runs[(h, size, fanout)]) for h in STRATEGIES}
            lines.append(f"| {size} B | {fanout} | {m['copy'] / 1e6:.2f} | "
                         f"{m['shared'] / 1e6:.2f} | {m['sw'] / 1e6:.2f} | "
                         f"{m['shared'] / m['copy']:.2f} |")
    lines += ["", "### Machine", ""]
    for k in ("CPU", "kernel", "date", "load average at start",
              "load average at end", "compiler"):
        lines.append(f"- {k}: {info.get(k, '?')}")
    lines.append("- git: " +
                 harness.output(["git", "rev-parse", "--short", "HEAD"]))
    lines.append(f"- runs redone because other processes used the CPU: "
                 f"{redone}")
    lines += ["", "### Runs (M frames per CPU second)", "",
              "| frame | queues | strategy | runs |", "|---|---|---|---|"]
    for size in SIZES:
        for fanout in FANOUTS:
            for how in STRATEGIES:
                v = ", ".join(f"{x / 1e6:.2f}"
                              for x in runs[(how, size, fanout)])
                lines.append(f"| {size} B | {fanout} | {how} | {v} |")
    lines += ["", "### Commands", "", "```", cmd,
              f"{harness.rel(prog)} copy|shared|sw SIZE QUEUES {SECS}", "```",
              "", end]
    harness.write_section("netq.py", "\n".join(lines))
    harness.log(f"wrote the Network queues section of "
              f"{harness.rel(harness.RESULTS)}")


if __name__ == "__main__":
    main()
