#!/usr/bin/python3
"""The web console under load: a ttyhubd serial console's output to 1 and
100 WebSocket clients (browsers' worth, without the browsers), side by
side with as many Telnet clients of the same console, in one run.

Run from the repository root as `/usr/bin/python3 bench/web.py` (or
`make bench-web`), after `make`.  Builds bench/helpers/condev.c (the
device: a pty pair whose master it drives, as for console.py) and
conview.c (the viewers: `view` for Telnet, `wsview` for WebSocket, the
same counting either way) into bench/out/web/, and writes the "Web
console" section of bench/RESULTS.md between its marker lines.

Each run is a fresh ttyhubd (so that memory freed by an earlier run is
not counted as free here), its console's ring filled once with no client
attached, then the clients attach, then the device writes as fast as the
pty takes it for the window.  Memory per client is the daemon's RSS with
the clients attached (after their replay and notices), and at its
highest during the output, less its RSS before they came (after one
client of the kind came and went), over their number.  A repetition during which other processes used the CPU is
redone, as in the other scripts (bench/harness.py).

TLS: each kind is a listener of the console and a conview mode
(KINDS): Telnet and WebSocket in the clear, and both over TLS (a
listener with tls, the daemon's certificate made for the run with
openssl req; `conview view-tls`, `wsview-tls`).
"""

import os
import socket
import ssl
import subprocess
import sys
import time

import harness
from harness import Device, Started, kv, log, note_command, rel

OUT = os.path.join(harness.OUT, "web")
CONDEV = os.path.join(OUT, "condev")
CONVIEW = os.path.join(OUT, "conview")
WINDOW_S = harness.env_num("BENCH_WEB_WINDOW_S",
                           1.0 if harness.QUICK else 2.0, float)
REPS = harness.env_num("BENCH_WEB_REPS", 1 if harness.QUICK else 3)
RETRIES = harness.env_num("BENCH_RETRIES", 0 if harness.QUICK else 2)
CLIENTS = [int(x) for x in os.environ.get("BENCH_WEB_CLIENTS",
                                          "1,100").split(",") if x]

# kind -> (how conview reads it, which listener of the configuration)
KINDS = {
    "telnet": ("view", "telnet"),
    "websocket": ("wsview", "web"),
    "telnet+tls": ("view-tls", "telnet_tls"),
    "websocket+tls": ("wsview-tls", "web_tls"),
}
KEY, CERT = os.path.join(OUT, "key.pem"), os.path.join(OUT, "cert.pem")


def make_cert():
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", KEY,
            "-out", CERT, "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    note_command("certificate", argv)


def conf(dev, ports):
    return ("# bench/web.py: ttyhubd's serial console on the device's pty\n"
            "# slave, a Telnet listener and the web console; everything\n"
            "# else as it is by default (replay 64k, backlog 1m, slow =\n"
            "# drop, notices = yes, no log).\n"
            "[ttyhubd]\n"
            "broker-unix = none\n"
            "max-clients-per-source = 1024\n"
            f"tls-cert = {CERT}\ntls-key = {KEY}\n"
            f"web = 127.0.0.1:{ports['web']} "
            f"127.0.0.1:{ports['web_tls']},tls\n"
            "\n"
            "[console bench]\n"
            "type = serial\n"
            f"device = {dev}\n"
            "baud = 115200\n"
            f"telnet = 127.0.0.1:{ports['telnet']} "
            f"127.0.0.1:{ports['telnet_tls']},tls\n")


class Server(Started):
    """One ttyhubd in front of its own device; stopped by its PID."""

    def __init__(self, tag):
        self.dev = Device(CONDEV, os.path.join(OUT, f"dev-{tag}"))
        self.ports = {}
        self.logpath = os.path.join(OUT, "ttyhubd.log")
        self.start_on_free_port("ttyhubd")

    def _start(self):
        self.ports = {"telnet": self.port, "web": harness.free_port(),
                      "telnet_tls": harness.free_port(),
                      "web_tls": harness.free_port()}
        path = os.path.join(OUT, "ttyhubd.conf")
        with open(path, "w") as f:
            f.write(conf(self.dev.path, self.ports))
        argv = [harness.TTYHUBD, "-F", "-c", path]
        note_command("ttyhubd (one per run)", argv)
        if not self.spawn(argv):
            return False
        deadline = time.monotonic() + 5
        while not harness.listening(self.ports["web_tls"]):
            if time.monotonic() > deadline:
                self.stop_proc()
                return False
            time.sleep(0.01)
        return True

    def stop(self):
        self.stop_proc()
        self.dev.stop()


GEN = [0]


def next_byte():
    """A new payload byte per run, 0x80..0xfe: never IAC, CR, or anything
    a notice or an earlier run's replayed output contains."""
    GEN[0] += 1
    return f"{0x80 + GEN[0] % 0x7f:02x}"


def fill_ring(srv):
    """Output with no client attached, enough to touch the whole ring
    (1 MiB): what the console costs is not any client's."""
    srv.dev.cmd(f"blast {next_byte()}")
    time.sleep(0.5)
    srv.dev.cmd("idle")
    time.sleep(0.1)


def first_client(srv, kind):
    """One client of kind comes and goes: what the first costs once (the
    Telnet option table, libcrypto's SHA-1 set up for the handshake) is
    nobody's in particular."""
    port = srv.ports[KINDS[kind][1]]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        if kind.endswith("+tls"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        if kind.startswith("websocket"):
            s.sendall(b"GET /ws/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                      b"dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Protocol: ttyhub\r\n\r\n")
        if not s.recv(4096):
            sys.exit(f"bench: {kind}: closed at once")
    time.sleep(0.2)


def one_run(kind, n):
    """A fresh daemon; n clients of kind count for the window."""
    mode, _ = KINDS[kind]
    srv = Server(f"{kind}-{n}")
    try:
        fill_ring(srv)
        first_client(srv, kind)
        base = srv.rss()
        byte = next_byte()
        port = srv.ports[KINDS[kind][1]]
        argv = [CONVIEW, mode, str(port), str(n), "0", byte, str(WINDOW_S)]
        note_command(f"{kind} clients", [a if i != 2 else "PORT"
                                         for i, a in enumerate(argv)])
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                             preexec_fn=harness.raise_nofile)
        line = p.stdout.readline()
        if not line.startswith("READY"):
            p.kill()
            p.wait()
            sys.exit(f"bench: {kind} x{n}: {line!r}")
        attached = srv.rss()
        c0, t0 = srv.cpu(), time.monotonic()
        srv.dev.cmd(f"blast {byte}")
        peak = attached
        while p.poll() is None and time.monotonic() < t0 + WINDOW_S + 30:
            peak = max(peak, srv.rss() or 0)
            time.sleep(0.05)
        out, _ = p.communicate(timeout=30)
        c1, dt = srv.cpu(), time.monotonic() - t0
        srv.dev.cmd("idle")
        res = {}
        for l in out.splitlines():
            if "=" in l and not l.startswith("viewer "):
                res.update(kv(l))
        if "total_mbps" not in res:
            sys.exit(f"bench: {kind} x{n}: {out!r}")
        res["cpu_pct"] = round(100 * (c1 - c0) / dt)
        res["kib_attached"] = (attached - base) / n
        res["kib_peak"] = (peak - base) / n
        res["rss_base"] = base
        return res
    finally:
        srv.stop()


def measure(kind, n):
    for _ in range(RETRIES + 1):
        res = harness.measured(lambda: one_run(kind, n))
        if not res["disturbed"]:
            return res
        log(f"{kind} x{n}: others used {res['others_cpu']} s of CPU, "
            "redone")
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    harness.build_helper("condev", OUT, libs=["-lutil"])
    harness.build_helper("conview", OUT, libs=["-lssl", "-lcrypto"])
    make_cert()
    runs = {}
    redone = 0
    for n in CLIENTS:
        for rep in range(REPS):
            # The kinds back to back in each repetition, so that a slow
            # minute of the machine hits both.
            for kind in KINDS:
                res = measure(kind, n)
                redone += res["disturbed"]
                runs.setdefault((kind, n), []).append(res)
                log(f"{kind} x{n}: {float(res['total_mbps']):.1f} MB/s in "
                    f"all, {res['kib_attached']:.1f} KiB per client "
                    f"attached, {res['kib_peak']:.1f} at the peak")
    write(runs, redone)


def write(runs, redone):
    med = harness.med
    info = harness.machine()
    begin, end = harness.markers("web.py")
    lines = [begin, "", "## Web console", "",
             "Written by `bench/web.py`. A serial console's output (a pty "
             "driven as fast as it takes bytes, bench/helpers/condev.c) to N "
             "clients at once: WebSocket clients of the web console "
             "(`conview wsview`: the handshake, then binary frames' payload "
             "counted) and Telnet clients of the console's own listener "
             "(`conview view`), the same counting either way, in C so that "
             "the clients are not what is measured; `+tls`: the same over "
             "TLS, through listeners with `tls` (`conview view-tls`, "
             "`wsview-tls`; TLS 1.3, an ECDSA P-256 certificate). A fresh "
             "ttyhubd per run. "
             "Medians of %d runs of a %.1f s window. KiB per client: the "
             "daemon's RSS with the clients attached, and at its highest "
             "while the output ran, less its RSS before they came (the "
             "console's 1 MiB ring already filled), over N." %
             (REPS, WINDOW_S), "",
             "| clients | kind | MB/s, all | MB/s, each (mean) | slowest | "
             "daemon CPU | KiB each, attached | KiB each, peak |",
             "|---|---|---|---|---|---|---|---|"]
    for n in CLIENTS:
        for kind in KINDS:
            rs = runs[(kind, n)]

            def m(key):
                return med([float(r[key]) for r in rs])
            lines.append(f"| {n} | {kind} | {m('total_mbps'):.1f} | "
                         f"{m('per_mean'):.2f} | {m('per_min'):.2f} | "
                         f"{m('cpu_pct'):.0f} % | {m('kib_attached'):.1f} | "
                         f"{m('kib_peak'):.1f} |")
    lines += ["", "### Machine", ""]
    for k in ("CPU", "kernel", "date", "load average at start",
              "load average at end", "compiler"):
        lines.append(f"- {k}: {info.get(k, '?')}")
    lines.append("- git: " +
                 harness.output(["git", "rev-parse", "--short", "HEAD"]))
    total = sum(len(rs) for rs in runs.values())
    lines.append(f"- runs during which other processes used the CPU, even "
                 f"after {RETRIES} tries again: {redone} of {total} (on a "
                 f"shared machine, compare the kinds within a repetition: "
                 f"they ran back to back)")
    lines += ["", "### Runs (MB/s in all; KiB each at the peak)", "",
              "| clients | kind | runs |", "|---|---|---|"]
    for n in CLIENTS:
        for kind in KINDS:
            lines.append(f"| {n} | {kind} | " + ", ".join(
                f"{float(r['total_mbps']):.1f} ({r['kib_peak']:.0f})"
                for r in runs[(kind, n)]) + " |")
    lines += ["", "### Commands", "", "```"]
    lines += [f"# {what}\n{cmd}" for what, cmd in harness.COMMANDS]
    lines += ["```", "", end]
    harness.write_section("web.py", "\n".join(lines))
    log(f"wrote the Web console section of {rel(harness.RESULTS)}")


if __name__ == "__main__":
    main()
