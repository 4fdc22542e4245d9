"""TLS on the daemon's TCP listeners (ttyhub.conf(5), TLS AND LOGINS):
real peers (openssl s_client, the ttyhub client, Python's ssl), client
certificates mapped to users and checked against a console's rw and ro,
the handshake's bounds, certificates read again on SIGHUP, and the rule
that a listener a network can reach takes TLS.  Certificates come from
tests/ttyhubtest.make_pki (the session's pki fixture)."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from ttyhubtest import (ROOT, Raw, console_section, free_port, tls_context,
                        tls_section, wait_for)
from telnetc import Telnet

CLIENT = os.path.join(ROOT, "build", "ttyhub")


def tls_hub(hub, tmp_path, pki, body, ca=True, daemon=""):
    sock = str(tmp_path / "broker.sock")
    text = "[ttyhubd]\nbroker-unix = %s\n%s%s\n%s" % (
        sock, tls_section(pki, ca=ca), daemon, body)
    return hub(text, sock=sock)


def exec_sh(name, **keys):
    """A console running a shell that says READY once it reads."""
    return console_section(name, "exec", command="/bin/sh -c 'echo "
                           "READY; exec cat'", **keys)


def ttyhub(*args, timeout=20, env=None):
    e = dict(os.environ)
    e.pop("TTYHUB_SOCKET", None)
    e.update(env or {})
    return subprocess.run([CLIENT] + list(args), capture_output=True,
                          timeout=timeout, env=e, stdin=subprocess.DEVNULL)


def test_openssl_s_client_reads_and_writes_a_console(hub, tmp_path, pki):
    port = free_port()
    tls_hub(hub, tmp_path, pki, exec_sh("sh", raw="127.0.0.1:%d,tls" % port))
    p = subprocess.Popen(["openssl", "s_client", "-quiet", "-verify_return_"
                          "error", "-CAfile", os.path.join(pki, "ca.pem"),
                          "-verify_hostname", "localhost", "-connect",
                          "127.0.0.1:%d" % port], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        got = bytearray()
        deadline = time.monotonic() + 20
        os.set_blocking(p.stdout.fileno(), False)

        def read_for(needle):
            while needle not in got:
                assert time.monotonic() < deadline, bytes(got)
                b = p.stdout.read(4096) if p.poll() is None else b""
                if b:
                    got.extend(b)
                else:
                    time.sleep(0.05)
        read_for(b"READY")
        p.stdin.write(b"through-tls\n")
        p.stdin.flush()
        read_for(b"through-tls")
    finally:
        p.kill()
        p.wait()


def test_ttyhub_client_over_tls_checks_the_certificate(hub, tmp_path, pki):
    port = free_port()
    h = tls_hub(hub, tmp_path, pki, exec_sh("sh"),
                daemon="broker = 127.0.0.1:%d,tls\n" % port)
    ca = os.path.join(pki, "ca.pem")
    r = ttyhub("-s", "tls://localhost:%d" % port, "--tls-ca", ca, "-l")
    assert r.returncode == 0, r.stderr
    assert re.search(rb"^sh\s+exec\s+up", r.stdout, re.M), r.stdout
    # tail and who, with the CA from the environment.
    r = ttyhub("-s", "tls://localhost:%d" % port, "tail", "-n", "1", "sh",
               env={"TTYHUB_TLS_CA": ca})
    assert r.returncode == 0 and r.stdout == b"READY\n", r
    # The system's store does not know our CA; another CA is not ours.
    for args in ([], ["--tls-ca", os.path.join(pki, "otherca.pem")]):
        r = ttyhub("-s", "tls://localhost:%d" % port, *args, "-l")
        assert r.returncode == 1
        assert b"TLS: certificate:" in r.stderr, r.stderr
    # The certificate names localhost and 127.0.0.1, not 127.0.0.2.
    r = ttyhub("-s", "tls://127.0.0.2:%d" % port, "--tls-ca", ca, "-l")
    assert r.returncode != 0
    # A plain Telnet client gets no Telnet out of a TLS port.
    t = Telnet(port)
    t.send_raw(b"\xff\xfd\x03")
    t.wait_closed(15)
    assert b"ttyhub> " not in t.data
    wait_for(lambda: "TLS handshake failed" in h.output(), 10,
             "the failed handshake in the log")


def test_a_client_certificate_is_the_user_a_console_checks(hub, tmp_path,
                                                           pki):
    """tls-ca set: nobody's certificate makes nobody, read-write by the
    rw list; daemon's, read-only by the ro list; a certificate from
    another CA is refused at the handshake; none at all on a raw auth
    listener is refused after it."""
    port = free_port()
    h = tls_hub(hub, tmp_path, pki, exec_sh(
        "sh", raw="127.0.0.1:%d,tls,auth" % port, rw="nobody",
        ro="daemon"))
    rw = Raw(port, tls=tls_context(pki, "nobody"))
    rw.expect(b"READY")
    ro = Raw(port, tls=tls_context(pki, "daemon"))
    ro.expect(b"READY")
    rw.expect(b"daemon (127.0.0.1")      # the notice names the user
    ro.send(b"from-ro\n")
    ro.expect(b"read-only: your input is ignored")
    rw.send(b"from-rw\n")
    rw.expect(b"from-rw")
    assert b"from-ro" not in rw.data
    assert "authenticated as nobody (certificate)" in h.output()
    # A certificate our CA did not sign: refused in the handshake (which
    # a TLS 1.3 client may finish before the server has checked it).
    try:
        s = Raw(port, tls=tls_context(pki, cert="stranger"))
        s.wait_closed(15)
        assert b"READY" not in s.data
    except (ssl.SSLError, ConnectionError):
        pass
    wait_for(lambda: "TLS handshake failed: certificate" in h.output(), 10,
             "the refused certificate in the log")
    # No certificate, on a raw listener with auth: told, and closed.
    n = Raw(port, tls=tls_context(pki))
    n.wait_closed(15)
    assert b"a client certificate is required here" in n.data
    assert b"READY" not in n.data


def test_a_stalled_handshake_holds_a_slot_and_is_closed(hub, tmp_path, pki):
    """A peer that opens TCP and never says a word of TLS counts against
    max-clients-per-source like any connection, and goes after 10 s."""
    port = free_port()
    h = tls_hub(hub, tmp_path, pki, exec_sh(
        "sh", raw="127.0.0.1:%d,tls" % port),
        daemon="max-clients-per-source = 2\n")
    stalled = [socket.create_connection(("127.0.0.1", port))
               for _ in range(2)]
    third = socket.create_connection(("127.0.0.1", port))
    third.settimeout(10)
    assert third.recv(100) == b"", "the third was not refused"
    assert "max-clients-per-source" in h.output()
    for s in stalled:
        s.settimeout(15)
        assert s.recv(100) == b""
    assert "no TLS handshake in 10 s" in h.output()
    # The slots are free again.
    ok = Raw(port, tls=tls_context(pki))
    ok.expect(b"READY")


def test_sighup_reads_new_certificates_and_keeps_clients(hub, tmp_path,
                                                        pki):
    """Only the certificate files changed: the client stays attached; a
    new connection gets the new certificate."""
    certs = tmp_path / "certs"
    certs.mkdir()
    for f in ("server.pem", "server.key"):
        shutil.copy(os.path.join(pki, f), certs / f)
    port = free_port()
    sock = str(tmp_path / "broker.sock")
    text = ("[ttyhubd]\nbroker-unix = %s\ntls-cert = %s\ntls-key = %s\n\n"
            % (sock, certs / "server.pem", certs / "server.key") +
            exec_sh("sh", raw="127.0.0.1:%d,tls" % port))
    h = hub(text, sock=sock)
    ctx = tls_context(pki)
    old = Raw(port, tls=ctx)
    old.expect(b"READY")
    first = old.sock.getpeercert()["serialNumber"]
    # A new certificate from the same CA, in the same files.
    subprocess.run(["openssl", "x509", "-req", "-in",
                    os.path.join(pki, "server.csr"), "-CA",
                    os.path.join(pki, "ca.pem"), "-CAkey",
                    os.path.join(pki, "ca.key"), "-set_serial", "4242",
                    "-days", "30", "-extfile",
                    os.path.join(pki, "server.ext"), "-out",
                    str(certs / "server.pem")], check=True,
                   capture_output=True)
    h.proc.send_signal(signal.SIGHUP)
    h.wait_output("SIGHUP:")

    def new_serial():
        c = Raw(port, tls=ctx)
        c.expect(b"READY")
        serial = c.sock.getpeercert()["serialNumber"]
        c.close()
        return serial
    wait_for(lambda: new_serial() == "1092", 10, "the new certificate")
    assert first != "1092"
    old.send(b"still-here\n")
    old.expect(b"still-here")
    # A key that does not match the certificate: the reload is refused,
    # and the running certificate stays.
    shutil.copy(os.path.join(pki, "nobody.key"), certs / "server.key")
    h.proc.send_signal(signal.SIGHUP)
    h.wait_output("keeping the running configuration")
    assert new_serial() == "1092"


def test_a_listener_a_network_reaches_needs_tls(build, tmp_path, pki):
    """Refused at start (and by -t) unless tls or insecure = yes."""
    conf = tmp_path / "t.conf"
    for listen in ("*:%d", "0.0.0.0:%d", "[::]:%d", "192.0.2.1:%d"):
        conf.write_text("[ttyhubd]\nbroker-unix = none\n\n" +
                        exec_sh("sh", telnet=listen % free_port()))
        p = subprocess.run([build, "-F", "-c", str(conf)],
                           capture_output=True, timeout=20)
        assert p.returncode == 2, p
        assert b"can be reached from a network" in p.stderr, p.stderr
        assert b"insecure = yes" in p.stderr
    conf.write_text("[ttyhubd]\nbroker-unix = none\n%s\n" %
                    tls_section(pki, ca=False) + exec_sh(
                        "sh", telnet="*:%d,tls" % free_port(),
                        raw="*:%d" % free_port(), extra="insecure = yes"))
    p = subprocess.run([build, "-c", str(conf), "-t"], capture_output=True,
                       timeout=20)
    assert p.returncode == 0, p.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                    reason="makes a network namespace: needs root and ip")
def test_a_non_loopback_address_in_a_namespace(build, tmp_path):
    """On an address of a test-made namespace: refused without TLS,
    served with insecure = yes."""
    ns = "ttyhub-tls-%d" % os.getpid()
    addr = "10.231.%d.1" % (os.getpid() % 250)
    run = ["ip", "netns", "exec", ns]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        # On its loopback interface, which every namespace has (a dummy
        # interface needs a module the machine may not have): what
        # counts is the address, and 10.x is not a loopback one.
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", addr + "/32", "dev", "lo"]):
            subprocess.run(run + cmd, check=True)
        port = free_port()
        conf = tmp_path / "t.conf"
        body = exec_sh("sh", raw="%s:%d" % (addr, port))
        conf.write_text("[ttyhubd]\nbroker-unix = none\n\n" + body)
        p = subprocess.run(run + [build, "-F", "-c", str(conf)],
                           capture_output=True, timeout=20)
        assert p.returncode == 2 and b"reached from a network" in p.stderr
        conf.write_text("[ttyhubd]\nbroker-unix = none\n\n" + body +
                        "insecure = yes\n")
        d = subprocess.Popen(run + [build, "-F", "-c", str(conf)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            probe = ("import socket,sys,time\n"
                     "t=time.monotonic()+20\n"
                     "while True:\n"
                     " try:\n"
                     "  s=socket.create_connection(('%s',%d),2);break\n"
                     " except OSError:\n"
                     "  assert time.monotonic()<t; time.sleep(0.05)\n"
                     "s.settimeout(10);d=b''\n"
                     "while b'READY' not in d:\n"
                     " b=s.recv(100);assert b;d+=b\n"
                     "print('got', d)\n" % (addr, port))
            p = subprocess.run(run + ["python3", "-c", probe],
                               capture_output=True, timeout=40)
            assert p.returncode == 0, p.stderr
        finally:
            d.send_signal(signal.SIGTERM)
            d.wait(20)
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def test_the_broker_over_tls_prompt_and_new_environ(hub, tmp_path, pki):
    port = free_port()
    tls_hub(hub, tmp_path, pki, exec_sh("sh"),
            daemon="broker = 127.0.0.1:%d,tls\n" % port)
    ctx = tls_context(pki)
    b = Telnet(port, tls=ctx)
    b.expect(b"ttyhub> ")
    b.send(b"list\r")
    b.expect(b"exec")
    b.send(b"sh\r")
    b.expect(b"READY")
    b.send(b"typed\r")
    b.expect(b"typed")
    e = Telnet(port, tls=ctx, agree={39},
               env=[(3, b"TTYHUB_CONSOLE", b"sh")])
    e.expect(b"READY")
    assert b"ttyhub> " not in e.data


def test_a_login_service_over_tls(hub, tmp_path, pki):
    """A [login] listener with tls: the session, program and all, inside
    TLS; the program starts only once the handshake is over."""
    port = free_port()
    tls_hub(hub, tmp_path, pki, "[login sh]\nlisten = 127.0.0.1:%d,tls\n"
            "program = /bin/sh\nissue = /dev/null\n" % port, ca=False)
    t = Telnet(port, tls=tls_context(pki), agree={24, 31})
    t.send(b"echo tls-$((40+2))\r")
    t.expect(b"tls-42")
    t.close()
    # A peer that never starts TLS gets no program.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"echo plain\r\n")
    s.settimeout(15)
    try:
        got = s.recv(1000)
    except ConnectionResetError:
        got = b""
    assert b"plain" not in got
