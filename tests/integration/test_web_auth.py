"""The web console over HTTPS with logins (web = ADDR,tls,auth): the
login form checked by PAM against a user this test makes (conftest's
pam_user: a PAM service of its own), the session cookie and what it
lets through, logging out, the slow-down, the console's rw and ro lists
applied to the user, client certificates, and a web listener a network
reaches refused without TLS.  Requests are plain Python over the ssl
module; WebSockets are websocket-client's, as test_web.py's."""
import re
import socket
import ssl
import subprocess
import time
import urllib.parse

import pytest

from telnetc import Telnet
from ttyhubtest import (console_section, free_port, tls_context,
                        tls_section, wait_for)

websocket = pytest.importorskip("websocket")

COOKIE = "__Host-ttyhub"


class Answer:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.fields = [tuple(x.strip() for x in line.split(":", 1))
                       for line in lines[1:] if ":" in line]

    def field(self, name):
        return next((v for n, v in self.fields if n.lower() == name.lower()),
                    None)

    def cookie(self):
        """The session cookie's value from Set-Cookie, or None."""
        sc = self.field("Set-Cookie")
        if sc is None:
            return None
        return sc.split(";")[0].split("=", 1)[1]


def https(port, ctx, method, path, cookie=None, form=None, origin="self",
          timeout=30):
    """One request with Connection: close over TLS; its Answer."""
    head = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
            % (method, path, port))
    if origin == "self":
        origin = "https://127.0.0.1:%d" % port
    if origin:
        head += "Origin: %s\r\n" % origin
    if cookie:
        head += "Cookie: %s=%s\r\n" % (COOKIE, cookie)
    body = b""
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        head += ("Content-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: %d\r\n" % len(body))
    out = b""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as r:
        with ctx.wrap_socket(r, server_hostname="localhost") as s:
            s.sendall(head.encode() + b"\r\n" + body)
            while time.monotonic() < deadline:
                try:
                    b = s.recv(65536)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not b:
                    break
                out += b
    assert out, "no answer to %s %s" % (method, path)
    return Answer(out)


def log_in(port, ctx, user, password):
    return https(port, ctx, "POST", "/login",
                 form={"user": user, "password": password})


def wss(port, name, ctx, cookie=None, origin=None):
    """A WebSocket to console name over TLS, or the refusal's exception."""
    return websocket.create_connection(
        "wss://127.0.0.1:%d/ws/%s" % (port, name), subprotocols=["ttyhub"],
        timeout=20, origin=origin or "https://127.0.0.1:%d" % port,
        cookie="%s=%s" % (COOKIE, cookie) if cookie else None,
        sslopt={"context": ctx, "server_hostname": "localhost"})


def expect_ws(ws, pred, what, timeout=20):
    """Read frames until pred(console bytes, texts) holds; return them."""
    data, texts = bytearray(), []
    deadline = time.monotonic() + timeout
    while not pred(data, texts):
        assert time.monotonic() < deadline, "timed out waiting for %s: " \
            "%r %r" % (what, bytes(data[-300:]), texts)
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        op, payload = ws.recv_data()
        if op == websocket.ABNF.OPCODE_TEXT:
            texts.append(payload.decode())
        elif op == websocket.ABNF.OPCODE_BINARY:
            data += payload
    return data, texts


def cat_console(name, **keys):
    return console_section(name, "exec", command="/bin/sh -c 'echo "
                           "READY; exec cat'", **keys)


def web_auth_hub(hub, tmp_path, pki, pam_user, body, opts=",tls,auth",
                 ca=True):
    port = free_port()
    sock = str(tmp_path / "broker.sock")
    h = hub("[ttyhubd]\nbroker-unix = %s\npam-service = %s\n%s"
            "web = 127.0.0.1:%d%s\n\n%s" % (
                sock, pam_user["service"], tls_section(pki, ca=ca), port,
                opts, body), sock=sock)
    wait_for(lambda: "web: listening on 127.0.0.1 port %d" % port
             in h.output(), what="the web listener")
    return h, port


@pytest.fixture
def site(hub, tmp_path, pki, pam_user):
    """Consoles mine (rw: the user), look (ro: the user) and hidden (rw:
    root only) behind a TLS web listener with auth."""
    u = pam_user["user"]
    h, port = web_auth_hub(hub, tmp_path, pki, pam_user,
                           cat_console("mine", rw=u) +
                           cat_console("look", rw="root", ro=u,
                                       unix=tmp_path / "look.sock") +
                           cat_console("hidden", rw="root"))
    return h, port, tls_context(pki)


def test_login_gives_a_session_cookie(site, pam_user):
    """Nothing but the form before logging in; the login sets a cookie
    only HTTPS and this site see, script cannot read, and no other
    site's page sends; the password goes nowhere."""
    h, port, ctx = site
    assert "port %d (TLS) (logins)" % port in h.output()
    a = https(port, ctx, "GET", "/")
    assert a.status == 303 and a.field("Location") == "/login"
    assert https(port, ctx, "GET", "/c/mine").status == 303
    a = https(port, ctx, "GET", "/login")
    assert a.status == 200 and b'<form method="post" action="/login">' \
        in a.body and b'type="password"' in a.body
    assert https(port, ctx, "GET", "/static/ttyhub.css").status == 200

    a = log_in(port, ctx, pam_user["user"], pam_user["password"])
    assert a.status == 303 and a.field("Location") == "/"
    attrs = [x.strip() for x in a.field("Set-Cookie").split(";")]
    name, _, token = attrs[0].partition("=")
    assert name == COOKIE
    assert re.fullmatch("[0-9a-f]{64}", token), token     # 256 bits
    for attr in ("Path=/", "HttpOnly", "Secure", "SameSite=Strict"):
        assert attr in attrs, attrs
    assert any(re.fullmatch(r"Max-Age=\d+", x) for x in attrs), attrs
    assert "Domain" not in a.field("Set-Cookie")

    a = https(port, ctx, "GET", "/", cookie=token)
    assert a.status == 200
    assert b'href="/c/mine"' in a.body and b'href="/c/look"' in a.body
    assert ('<span id="user">%s</span>' % pam_user["user"]).encode() in \
        a.body
    assert https(port, ctx, "GET", "/c/mine", cookie=token).status == 200
    # Another token is nobody's.
    assert https(port, ctx, "GET", "/", cookie="0" * 64).status == 303
    out = h.output()
    assert "authenticated as %s (password)" % pam_user["user"] in out
    assert pam_user["password"] not in out
    assert token not in out


def test_failures_told_alike_slowed_and_no_cookie(site, pam_user):
    """A wrong password and a user that does not exist get the same
    page, no cookie, each later than the one before."""
    h, port, ctx = site
    answers, waits = [], []
    for user, password in ((pam_user["user"], "wrong"),
                           ("nosuchuser", pam_user["password"])):
        start = time.monotonic()
        answers.append(log_in(port, ctx, user, password))
        waits.append(time.monotonic() - start)
    for a in answers:
        assert a.status == 403 and a.field("Set-Cookie") is None
        assert b"Login incorrect" in a.body
    assert answers[0].body == answers[1].body
    assert [f for f in answers[0].fields if f[0] != "Date"] == \
        [f for f in answers[1].fields if f[0] != "Date"]
    # Held 2 s, then 4 s: lower bounds only.
    assert waits[0] >= 1.9 and waits[1] >= 3.9, waits
    out = h.output()
    assert "login as nosuchuser failed" in out
    assert pam_user["password"] not in out


def test_a_login_from_another_site_is_refused(site, pam_user):
    _, port, ctx = site
    a = https(port, ctx, "POST", "/login", origin="https://evil.example",
              form={"user": pam_user["user"],
                    "password": pam_user["password"]})
    assert a.status == 403 and a.field("Set-Cookie") is None


def test_the_websocket_needs_the_cookie(site, pam_user):
    """No cookie or a wrong one: refused; the right one from another
    site's page: refused; the right one: the console, to type in."""
    _, port, ctx = site
    token = log_in(port, ctx, pam_user["user"], pam_user["password"]) \
        .cookie()
    for bad in (None, "0" * 64, token[:-1], token + "0"):
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            wss(port, "mine", ctx, cookie=bad)
        assert e.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        wss(port, "mine", ctx, cookie=token, origin="https://evil.example")
    assert e.value.status_code == 403

    ws = wss(port, "mine", ctx, cookie=token)
    expect_ws(ws, lambda d, t: b"READY" in d, "READY")
    ws.send_binary(b"typed over wss\n")
    expect_ws(ws, lambda d, t: b"typed over wss\r\ntyped over wss" in d,
              "the echo and cat's copy")
    ws.close()


def closed(ws, timeout=20):
    """Read until the server's close frame; return its text."""
    deadline = time.monotonic() + timeout
    texts = []
    while time.monotonic() < deadline:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        op, payload = ws.recv_data(control_frame=True)
        if op == websocket.ABNF.OPCODE_CLOSE:
            return texts
        if op == websocket.ABNF.OPCODE_TEXT:
            texts.append(payload.decode())
    raise AssertionError("no close in %d s: %r" % (timeout, texts))


def test_logout_ends_the_session(site, pam_user):
    """The cookie is nobody's any more, and the session's WebSocket is
    closed with a notice; another session's stays."""
    _, port, ctx = site
    token = log_in(port, ctx, pam_user["user"], pam_user["password"]) \
        .cookie()
    other = log_in(port, ctx, pam_user["user"], pam_user["password"]) \
        .cookie()
    assert https(port, ctx, "GET", "/", cookie=token).status == 200
    ws = wss(port, "mine", ctx, cookie=token)
    expect_ws(ws, lambda d, t: b"READY" in d, "READY")
    ws2 = wss(port, "mine", ctx, cookie=other)
    expect_ws(ws2, lambda d, t: b"READY" in d, "READY")
    # Not from another site's page.
    assert https(port, ctx, "POST", "/logout", cookie=token,
                 origin="https://evil.example").status == 403
    assert https(port, ctx, "GET", "/", cookie=token).status == 200
    a = https(port, ctx, "POST", "/logout", cookie=token)
    assert a.status == 303 and a.field("Location") == "/login"
    assert "Max-Age=0" in a.field("Set-Cookie")
    assert a.cookie() == ""
    assert https(port, ctx, "GET", "/", cookie=token).status == 303
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        wss(port, "mine", ctx, cookie=token)
    assert e.value.status_code == 403
    assert "notice you logged out" in closed(ws)
    ws2.send_binary(b"still here\n")
    expect_ws(ws2, lambda d, t: b"still here" in d, "the other session")
    ws2.close()


def test_the_consoles_lists_apply_to_the_user(site, pam_user):
    """ro: read-only, typing goes nowhere; in neither list: not listed,
    and its page and WebSocket are a console that does not exist."""
    h, port, ctx = site
    token = log_in(port, ctx, pam_user["user"], pam_user["password"]) \
        .cookie()
    page = https(port, ctx, "GET", "/", cookie=token).body
    assert b"hidden" not in page
    assert re.search(rb'href="/c/look">look</a>.*<td>ro</td>', page)
    assert re.search(rb'href="/c/mine">mine</a>.*<td>rw</td>', page)
    hidden = https(port, ctx, "GET", "/c/hidden", cookie=token)
    nosuch = https(port, ctx, "GET", "/c/nosuch", cookie=token)
    assert hidden.status == nosuch.status == 404
    assert hidden.body == nosuch.body
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        wss(port, "hidden", ctx, cookie=token)
    assert e.value.status_code == 404

    ro = wss(port, "look", ctx, cookie=token)
    expect_ws(ro, lambda d, t: b"READY" in d and
              any(x.startswith("state look ro") for x in t), "ro state")
    ro.send_binary(b"from the ro user\n")
    expect_ws(ro, lambda d, t: any(x.startswith("error ignored")
                                   for x in t), "input ignored")
    # The console got nothing of it: a writer's line, typed after the
    # refusal, is the first thing cat (and the pty's echo) sends back.
    writer = Telnet(path=str(h.tmp / "look.sock"))
    writer.expect(b"READY")
    writer.send(b"from root\r")
    data, _ = expect_ws(ro, lambda d, t: b"from root" in d, "root's line")
    assert b"from the ro user" not in data
    writer.close()
    rw = wss(port, "mine", ctx, cookie=token)
    expect_ws(rw, lambda d, t: any(x.startswith("state mine rw") or
                                   x.startswith("state mine writer")
                                   for x in t), "rw state")
    rw.close()
    ro.close()


def test_a_client_certificate_needs_no_form(hub, tmp_path, pki, pam_user):
    """nobody's certificate (tls-ca): the list at once, as nobody, with
    the consoles nobody may use."""
    h, port = web_auth_hub(hub, tmp_path, pki, pam_user,
                           cat_console("open") +
                           cat_console("closed", rw="root"))
    ctx = tls_context(pki, user="nobody")
    a = https(port, ctx, "GET", "/")
    assert a.status == 200, a.status
    assert b'<span id="user">nobody</span>' in a.body
    assert b'href="/c/open"' in a.body and b"closed" not in a.body
    ws = wss(port, "open", ctx)
    expect_ws(ws, lambda d, t: b"READY" in d, "READY")
    ws.close()
    assert "authenticated as nobody (certificate)" in h.output()


def test_web_a_network_reaches_needs_tls(build, tmp_path, pki):
    """Refused at start, and on reload; auth needs tls even on
    loopback; with tls, or insecure = yes, it starts."""
    conf = tmp_path / "t.conf"
    base = "[ttyhubd]\nbroker-unix = none\n"
    for web, why in (("0.0.0.0:%d", b"can be reached from a network"),
                     ("*:%d", b"can be reached from a network"),
                     ("127.0.0.1:%d,auth", b"has auth without tls")):
        conf.write_text(base + "web = %s\n" % (web % free_port()))
        p = subprocess.run([build, "-F", "-c", str(conf)],
                           capture_output=True, timeout=20)
        assert p.returncode == 2, p
        assert why in p.stderr and b"insecure = yes" in p.stderr, p.stderr
    for text in (base + tls_section(pki) + "web = 0.0.0.0:%d,tls,auth\n",
                 base + "insecure = yes\nweb = 0.0.0.0:%d\n"):
        conf.write_text(text % free_port())
        p = subprocess.run([build, "-c", str(conf), "-t"],
                           capture_output=True, timeout=20)
        assert p.returncode == 0, p.stderr


def test_a_reload_to_web_without_tls_is_refused(hub, tmp_path, pki,
                                               pam_user):
    """SIGHUP with web = 0.0.0.0:PORT and no tls: the running
    configuration stays, and so does its listener."""
    h, port = web_auth_hub(hub, tmp_path, pki, pam_user, cat_console("sh"))
    h.rewrite("[ttyhubd]\nbroker-unix = %s\nweb = 0.0.0.0:%d\n\n%s" % (
        h.sock, free_port(), cat_console("sh")))
    h.wait_output("keeping the running configuration")
    assert "can be reached from a network" in h.output()
    assert https(port, tls_context(pki), "GET", "/login").status == 200
