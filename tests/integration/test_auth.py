"""Logging in on listeners with auth (ttyhub.conf(5), TLS AND LOGINS):
passwords checked by PAM against a user this test makes, through a PAM
service of its own (pam_unix, not the machine's login policy): the
broker's login prompt, a console's own Telnet listener, the ttyhub
client asking on its terminal; failures slowed down and told alike."""
import os
import re
import shutil
import subprocess
import time

import pexpect
import pytest

from ttyhubtest import (ROOT, console_section, free_port, tls_context,
                        tls_section)
from telnetc import Telnet

CLIENT = os.path.join(ROOT, "build", "ttyhub")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None,
    reason="makes a user and a PAM service: needs root and useradd")


def auth_hub(hub, tmp_path, pki, pam_user, body, daemon=""):
    sock = str(tmp_path / "broker.sock")
    text = "[ttyhubd]\nbroker-unix = %s\npam-service = %s\n%s%s\n%s" % (
        sock, pam_user["service"], tls_section(pki), daemon, body)
    return hub(text, sock=sock)


def exec_sh(name, **keys):
    return console_section(name, "exec", command="/bin/sh -c 'echo "
                           "READY; exec cat'", **keys)


def log_in(t, user, password):
    """At a login prompt: the name (echoed), the password (not)."""
    t.expect(b"login: ")
    t.send(user.encode() + b"\r")
    t.expect(b"Password: ")
    t.send(password.encode() + b"\r")


def test_the_broker_asks_and_never_echoes_the_password(hub, tmp_path, pki,
                                                       pam_user):
    port = free_port()
    h = auth_hub(hub, tmp_path, pki, pam_user, exec_sh("sh"),
                 daemon="broker = 127.0.0.1:%d,tls,auth\n" % port)
    t = Telnet(port, tls=tls_context(pki))
    log_in(t, pam_user["user"], pam_user["password"])
    t.expect(b"ttyhub> ")
    assert (pam_user["user"] + "\r\n").encode() in t.data    # echoed
    assert pam_user["password"].encode() not in t.data
    t.send(b"sh\r")
    t.expect(b"READY")
    assert "authenticated as %s (password)" % pam_user["user"] in h.output()
    assert pam_user["password"] not in h.output()


def test_failures_are_slowed_down_and_told_alike(hub, tmp_path, pki,
                                                pam_user):
    """A wrong password and a user that does not exist get the same
    answer, each later than the one before; the third closes."""
    port = free_port()
    h = auth_hub(hub, tmp_path, pki, pam_user, exec_sh("sh"),
                 daemon="broker = 127.0.0.1:%d,tls,auth\n" % port)
    t = Telnet(port, tls=tls_context(pki))
    waits = []
    for user, password in ((pam_user["user"], "wrong"),
                           ("nosuchuser", pam_user["password"]),
                           (pam_user["user"], "wrong again")):
        log_in(t, user, password)
        start, n = time.monotonic(), len(t.data)
        t.expect_re(rb"Login incorrect", start=n, timeout=60)
        waits.append(time.monotonic() - start)
    t.wait_closed(15)
    assert t.data.count(b"Login incorrect") == 3
    # Held 2 s, then 4 s, then 8 s: lower bounds only.
    assert waits[0] >= 1.9 and waits[1] >= 3.9 and waits[2] >= 7.9, waits
    out = h.output()
    assert "login as nosuchuser failed" in out
    assert "login as %s failed" % pam_user["user"] in out
    assert pam_user["password"] not in out


def test_a_console_listener_attaches_only_after_the_login(hub, tmp_path,
                                                         pki, pam_user):
    """Loopback without TLS: auth alone.  Nobody is told of the client,
    and it gets no output, before it has logged in; the console's rw list
    is then checked against the user."""
    port, port2 = free_port(), free_port()
    usock = str(tmp_path / "sh.sock")
    h = auth_hub(hub, tmp_path, pki, pam_user,
                 exec_sh("sh", telnet="127.0.0.1:%d,auth" % port,
                         unix=usock, rw=pam_user["user"]) +
                 exec_sh("other", telnet="127.0.0.1:%d,auth" % port2,
                         rw="root"))
    watcher = Telnet(path=usock)
    watcher.expect(b"READY")
    t = Telnet(port)
    t.expect(b"login: ")
    assert b"READY" not in t.data
    t.send(pam_user["user"].encode() + b"\r")
    t.expect(b"Password: ")
    assert b"attached" not in watcher.data
    t.send(pam_user["password"].encode() + b"\r")
    t.expect(b"READY")
    watcher.expect(("%s (127.0.0.1" % pam_user["user"]).encode())
    # Not in the other console's rw list: refused after the login.
    o = Telnet(port2)
    log_in(o, pam_user["user"], pam_user["password"])
    o.wait_closed(15)
    assert b'not allowed on console "other"' in o.data
    assert b"READY" not in o.data
    h.stop()


def test_the_ttyhub_client_asks_on_its_terminal(hub, tmp_path, pki,
                                               pam_user):
    port = free_port()
    auth_hub(hub, tmp_path, pki, pam_user, exec_sh("sh"),
             daemon="broker = 127.0.0.1:%d,tls,auth\n" % port)
    where = "tls://localhost:%d" % port
    ca = os.path.join(pki, "ca.pem")
    env = dict(os.environ, TTYHUB_TLS_CA=ca)
    env.pop("TTYHUB_SOCKET", None)
    c = pexpect.spawn(CLIENT, ["-s", where, "--user", pam_user["user"],
                               "tail", "-n", "1", "sh"], env=env,
                      timeout=30)
    c.expect("%s@%s's password: " % (pam_user["user"], where))
    c.sendline(pam_user["password"])
    c.expect("READY")
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 0
    assert pam_user["password"].encode() not in c.before
    # No terminal to ask on: a clear message, and a failure.
    p = subprocess.run([CLIENT, "-s", where, "-l"], env=env,
                       capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    assert p.returncode == 1
    assert b"no terminal to ask on" in p.stderr, p.stderr
    # A client certificate needs no password.
    p = subprocess.run([CLIENT, "-s", where, "--tls-cert",
                        os.path.join(pki, "nobody.pem"), "--tls-key",
                        os.path.join(pki, "nobody.key"), "-l"], env=env,
                       capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    assert p.returncode == 0, p.stderr
    assert b"sh" in p.stdout


def test_the_broker_hides_consoles_the_user_may_not_use(hub, tmp_path, pki,
                                                        pam_user):
    """After the login, a console whose rw and ro lists leave the user
    out is not there for it: not listed, no who, no attach by name (as on
    the web, where it answers 404).  The log says why."""
    port = free_port()
    h = auth_hub(hub, tmp_path, pki, pam_user,
                 exec_sh("mine", rw=pam_user["user"]) +
                 exec_sh("secret", rw="root") + exec_sh("open"),
                 daemon="broker = 127.0.0.1:%d,tls,auth\n" % port)
    t = Telnet(port, tls=tls_context(pki))
    log_in(t, pam_user["user"], pam_user["password"])
    t.expect(b"ttyhub> ")
    for line, want in ((b"list", b"\r\nttyhub> "),
                       (b"who secret", b'no console named "secret"'),
                       (b"secret", b'no console named "secret"')):
        n = len(t.data)
        t.send(line + b"\r")
        t.expect_re(re.escape(want), start=n)
        t.expect_re(rb"ttyhub> ", start=n)
        if line == b"list":
            names = [r.split()[0] for r in
                     t.data[n:].decode().split("\r\n")[1:] if r.strip()]
            assert "mine" in names and "open" in names, names
            assert "secret" not in names, names
    assert b"READY" not in t.data
    h.wait_output("console secret: %s (127.0.0.1" % pam_user["user"])
    assert "refused by rw/ro lists" in h.output()
    t.send(b"mine\r")
    t.expect(b"READY")
