#!/usr/bin/python3
"""TLS: console output to 1 and 100 Telnet clients over TLS, side by
side with the same clients in the clear, in one run and against one
daemon: MB/s of payload each client got, in all and per client, the
daemon's CPU, and its memory per client while output flows.

Run from the repository root as `/usr/bin/python3 bench/tls.py` (or
`make bench-tls`), after `make`.  Builds bench/helpers/tlsview.c (the
clients, in C so that they are not what is measured) into
bench/out/tls/, makes a self-signed certificate there, and starts one
ttyhubd (a copy of build/ttyhubd) with a `type = unix` console whose
backend is a feeder that writes one byte value as fast as the daemon
reads it (a unix socket: a pty would cap the stream at its own 60 MB/s),
and two Telnet listeners on it, one with `tls`.  Each repetition runs
plain and TLS back to back for each client count, so that both see the
same machine; a run during which other processes used the CPU is marked
and redone once (bench/harness.py).  BENCH_TLS_SECS (default 3) is each
run's counting window, BENCH_TLS_REPS (default 3) the repetitions.
Writes the "TLS" section of bench/RESULTS.md between its marker lines.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import harness

OUT = os.path.join(harness.OUT, "tls")
SECS = harness.env_num("BENCH_TLS_SECS", 3.0, float)
REPS = harness.env_num("BENCH_TLS_REPS", 3)
RETRIES = harness.env_num("BENCH_RETRIES", 1)
COUNTS = (1, 100)
WIRES = ("plain", "tls")
BYTE = "41"

FEEDER = r"""
import os, socket, sys
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
print("ready", flush=True)
block = bytes([0x%s]) * 65536
while True:
    c, _ = s.accept()
    try:
        while True:
            c.sendall(block)
    except OSError:
        c.close()
""" % BYTE


class Daemon(harness.Started):
    """A fresh ttyhubd for each run, so that its memory is the run's."""

    def __init__(self, ttyhubd, conf_text):
        self.ttyhubd = ttyhubd
        self.conf_text = conf_text
        self.logpath = os.path.join(OUT, "ttyhubd.log")
        if os.path.exists(self.logpath):
            os.unlink(self.logpath)
        self.start_on_free_port("ttyhubd")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.logpath) as f:
                if "unix backend up" in f.read():
                    return
            time.sleep(0.05)
        sys.exit("bench: the console did not come up")

    def _start(self):
        self.plain = self.port
        self.tls = harness.free_port()
        conf = os.path.join(OUT, "tls.conf")
        with open(conf, "w") as f:
            f.write(self.conf_text % {"plain": self.plain, "tls": self.tls})
        argv = [self.ttyhubd, "-F", "-c", conf]
        harness.note_command("ttyhubd", argv)
        return self.spawn(argv)


def setup():
    os.makedirs(OUT, exist_ok=True)
    prog, cmd = harness.build_helper("tlsview", OUT, libs=["-lssl",
                                                             "-lcrypto"])
    key, cert = os.path.join(OUT, "key.pem"), os.path.join(OUT, "cert.pem")
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", cert, "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    harness.note_command("certificate", argv)
    ttyhubd = os.path.join(OUT, "ttyhubd")
    shutil.copy2(harness.TTYHUBD, ttyhubd)
    feed = os.path.join(OUT, "feed.sock")
    feeder = subprocess.Popen([sys.executable, "-c", FEEDER, feed],
                              stdout=subprocess.PIPE, text=True)
    harness.note_command("feeder (python3, 64 KiB sendall)",
                         ["python3", "-c", "FEEDER", feed])
    if feeder.stdout.readline().strip() != "ready":
        sys.exit("bench: the feeder did not start")
    conf = ("[ttyhubd]\nbroker-unix = none\nmax-clients-per-source = 1024\n"
            "tls-cert = %s\ntls-key = %s\n\n[console bench]\ntype = unix\n"
            "path = %s\nreplay = 0\nnotices = no\n"
            "telnet = 127.0.0.1:%%(plain)d 127.0.0.1:%%(tls)d,tls\n"
            % (cert, key, feed))
    return prog, cert, feeder, (ttyhubd, conf)


def one(prog, cert, daemon, wire, k):
    def fn():
        d = Daemon(*daemon)
        try:
            return run(d)
        finally:
            d.stop_proc()

    def run(d):
        port = d.tls if wire == "tls" else d.plain
        argv = [prog, str(port), str(k), BYTE, str(SECS)] + \
            ([cert] if wire == "tls" else [])
        harness.note_command(f"clients ({wire})",
                             [a if i != 1 else "PORT" for i, a in
                              enumerate(argv)])
        base = d.rss()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                             preexec_fn=harness.raise_nofile)
        line = p.stdout.readline()
        if not line.startswith("READY"):
            p.kill()
            p.wait()
            return {"error": line.strip() or "no READY"}
        c0, t0 = d.cpu(), time.monotonic()
        time.sleep(SECS / 2)
        rss = d.rss()
        out, _ = p.communicate(timeout=SECS + 60)
        dt = time.monotonic() - t0
        res = harness.kv(out.strip().splitlines()[-1])
        res["cpu_pct"] = round(100 * (d.cpu() - c0) / dt)
        mbps = harness.fnum(res, "total_mbps")
        res["cpu_s_per_gb"] = round((d.cpu() - c0) / dt / (mbps / 1000),
                                    3) if mbps else None
        res["kib_per_client"] = round((rss - base) / k, 1) \
            if rss and base else None
        return res
    for _ in range(RETRIES + 1):
        res = harness.measured(fn)
        if not res["disturbed"]:
            break
        harness.log(f"{wire} x{k}: others used {res['others_cpu']} s of "
                    f"CPU, redone")
    return res


def section(runs, t_total):
    begin, end = harness.markers("tls.py")
    lines = [begin, "", "## TLS", "",
             f"Written by `bench/tls.py` in {t_total:.0f} s. Console output "
             "(one byte value, from a unix socket backend that writes as "
             "fast as the daemon reads) to N Telnet clients in C "
             "(bench/helpers/tlsview.c) on 127.0.0.1, in the clear and over "
             "TLS (TLS 1.3, the suite OpenSSL 3.0 picks: AES-256-GCM), in "
             f"one run: medians of {REPS} repetitions of {SECS:.0f} s, each "
             "against a fresh daemon. MB = 10^6 bytes of payload; `per "
             "client` is the median client's rate; memory is the daemon's "
             "RSS halfway through the window, less its RSS before the "
             "clients came, per client. The clients, the feeder and the "
             "daemon share two CPUs (with whatever else runs), so MB/s is "
             "the machine's; the daemon's CPU seconds per GB delivered is "
             "its own cost, the column to compare.", "",
             "| clients | wire | MB/s, all | MB/s per client | daemon CPU "
             "| daemon CPU s per GB | KiB per client | TLS / plain (CPU "
             "per GB) |",
             "|---|---|---|---|---|---|---|---|"]
    for k in COUNTS:
        plain_gb = harness.med([r.get("cpu_s_per_gb")
                                for r in runs[("plain", k)]])
        for wire in WIRES:
            rs = runs[(wire, k)]
            total = harness.med([harness.fnum(r, "total_mbps") for r in rs])
            per = harness.med([harness.fnum(r, "per_med") for r in rs])
            cpu = harness.med([r.get("cpu_pct") for r in rs])
            gb = harness.med([r.get("cpu_s_per_gb") for r in rs])
            kib = harness.med([r.get("kib_per_client") for r in rs])
            ratio = "-" if wire == "plain" or not plain_gb or \
                gb is None else f"{gb / plain_gb:.2f}"
            lines.append(f"| {k} | {wire} | {harness.fmt(total)} | "
                         f"{harness.fmt(per, 2)} | {harness.fmt(cpu, 0)} % | "
                         f"{harness.fmt(gb, 2)} | {harness.fmt(kib)} | "
                         f"{ratio} |")
    lines += ["", "With one TLS client, most of the memory is OpenSSL's own, "
              "once per process: its first connection loads the cipher "
              "implementations and tables; the 100-client row is what a "
              "client costs (its SSL object, and while output flows its "
              "record buffers and, when the socket is full, the copy of the "
              "record it holds).", ""]
    lines += ["", "### Runs", "", "| clients | wire | MB/s, all (each "
              "repetition) | disturbed |", "|---|---|---|---|"]
    for k in COUNTS:
        for wire in WIRES:
            rs = runs[(wire, k)]
            lines.append(f"| {k} | {wire} | " + ", ".join(
                harness.fmt(harness.fnum(r, "total_mbps")) for r in rs) +
                f" | {sum(1 for r in rs if r.get('disturbed'))} |")
    lines += ["", "### Machine", ""]
    lines += [f"- {k}: {v}" for k, v in harness.machine().items()]
    lines += ["", "### Commands", "", "```"]
    lines += [f"# {w}\n{c}" for w, c in harness.COMMANDS]
    lines += ["```", end]
    harness.write_section("tls.py", "\n".join(lines))


def main():
    t0 = time.monotonic()
    harness.raise_nofile()
    prog, cert, feeder, d = setup()
    runs = {(w, k): [] for w in WIRES for k in COUNTS}
    try:
        for rep in range(REPS):
            for k in COUNTS:
                for wire in WIRES:
                    r = one(prog, cert, d, wire, k)
                    harness.log(f"rep {rep + 1}: {wire} x{k}: "
                                f"{r.get('total_mbps')} MB/s in all, "
                                f"{r.get('per_med')} per client, "
                                f"{r.get('kib_per_client')} KiB each, "
                                f"{r.get('cpu_pct')} % CPU"
                                f"{' ' + r['error'] if 'error' in r else ''}")
                    runs[(wire, k)].append(r)
    finally:
        feeder.send_signal(signal.SIGTERM)
        feeder.wait(timeout=10)
    section(runs, time.monotonic() - t0)


if __name__ == "__main__":
    main()
