"""The web console without a browser: ttyhubd's web = listeners, read by
plain HTTP requests on a socket and by Python's websocket-client doing
what the page does (doc/PROTOCOL.md, "Web console").  The pages in a real
browser are test_web_browser.py's."""
import os
import re
import socket
import threading
import time

import pytest

from ttyhubtest import ROOT, exec_console, free_port, wait_for

websocket = pytest.importorskip("websocket")

XTERM_JS = os.path.join(ROOT, "web", "node_modules", "@xterm", "xterm", "lib",
                        "xterm.js")


class Web:
    """One WebSocket client of a console, as the page is one: console
    bytes in data, control messages in texts, and in events both in the
    order they came (("text", message) or ("data", bytes so far)).  A
    thread reads frames whole as they come (a timeout inside a frame
    would lose websocket-client its place); reading can be held
    (hold), as a browser that stops reading."""

    def __init__(self, port, name, query="", origin=None):
        url = "ws://127.0.0.1:%d/ws/%s%s" % (port, name, query)
        self.ws = websocket.create_connection(
            url, subprotocols=["ttyhub"], timeout=10,
            origin=origin or "http://127.0.0.1:%d" % port)
        self.ws.settimeout(None)
        self.data = bytearray()
        self.texts = []
        self.events = []
        self.close_code = None
        self.reading = threading.Event()
        self.reading.set()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.close_code is None:
            self.reading.wait()
            try:
                op, payload = self.ws.recv_data(control_frame=True)
            except (OSError, websocket.WebSocketException):
                self.close_code = self.close_code or -1
                return
            if op == websocket.ABNF.OPCODE_TEXT:
                self.texts.append(payload.decode())
                self.events.append(("text", payload.decode()))
            elif op == websocket.ABNF.OPCODE_BINARY:
                self.data += payload
                self.events.append(("data", len(self.data)))
            elif op == websocket.ABNF.OPCODE_CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big")

    def hold(self, on):
        """Stop reading (after the frame being read), or go on."""
        if on:
            self.reading.clear()
        else:
            self.reading.set()

    def pump(self, timeout=0.05):
        time.sleep(timeout)

    def expect(self, needle, timeout=20):
        """Wait for console bytes holding needle; return the offset after."""
        wait_for(lambda: needle in self.data, timeout,
                 lambda: "%r in %r" % (needle, bytes(self.data[-400:])),
                 pump=[self])
        return self.data.index(needle) + len(needle)

    def expect_text(self, pattern, timeout=20):
        """Wait for a control message matching pattern; return it."""
        def find():
            return next((t for t in self.texts if re.fullmatch(pattern, t)),
                        None)
        return wait_for(find, timeout,
                        lambda: "%r in %r" % (pattern, self.texts),
                        pump=[self])

    def type(self, data):
        self.ws.send_binary(data)

    def say(self, words):
        self.ws.send(words)

    def wait_closed(self, timeout=20):
        wait_for(lambda: self.close_code is not None, timeout,
                 "the WebSocket to close", pump=[self])
        return self.close_code

    def close(self):
        self.hold(False)
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.ws.close()


def http(port, request, until_closed=True, timeout=10):
    """Send raw request bytes; return everything answered until the
    server closes (or, until_closed False, until it stops for a while)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        deadline = time.monotonic() + timeout
        s.settimeout(0.5 if not until_closed else timeout)
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                if not until_closed:
                    break
                continue
            if not b:
                break
            out += b
        return out


def get(port, path, headers=b"", method=b"GET"):
    """One request with Connection: close: (status, head, body)."""
    raw = http(port, method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1:" +
               str(port).encode() + b"\r\nConnection: close\r\n" + headers +
               b"\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head.decode(), body


def web_hub(hub, tmp_path, consoles, *listeners, extra=""):
    """A hub with web = listeners (each "PORT" or "PORT,ro", on
    127.0.0.1), extra lines for [ttyhubd] and the consoles' sections,
    once it listens on them all."""
    sock = tmp_path / ("broker-%d.sock" % len(list(tmp_path.glob("*.sock"))))
    addrs = " ".join("127.0.0.1:%s" % a for a in listeners)
    h = hub("[ttyhubd]\nbroker-unix = %s\nweb = %s\n%s\n" % (sock, addrs,
                                                              extra) +
            consoles, sock=str(sock))
    last = str(listeners[-1]).split(",")[0]
    wait_for(lambda: "web: listening on 127.0.0.1 port %s" % last
             in h.output(), what="the web listeners")
    return h


@pytest.fixture
def web(hub, tmp_path):
    """A hub with console sh (a shell) and two web listeners: rw and ro.
    Returns (hub, port, ro_port)."""
    port, ro_port = free_port(), free_port()
    h = web_hub(hub, tmp_path, exec_console(tmp_path), port,
                "%d,ro" % ro_port)
    return h, port, ro_port


def test_pages(web):
    """The list links the console, its page and the built-in files are
    served, with the headers that keep them to themselves; anything else
    is a 404, and a console's page needs the console."""
    _, port, _ = web
    status, head, body = get(port, b"/")
    assert status == 200 and "text/html" in head
    assert b'<a href="/c/sh">sh</a>' in body
    assert "Content-Security-Policy: default-src 'self'" in head
    assert "X-Frame-Options: DENY" in head
    assert "X-Content-Type-Options: nosniff" in head

    status, head, body = get(port, b"/c/sh")
    assert status == 200 and b"/static/ttyhub.js" in body
    assert get(port, b"/c/nosuch")[0] == 404
    assert get(port, b"/nosuch")[0] == 404

    status, head, body = get(port, b"/static/xterm.js")
    assert status == 200 and "text/javascript" in head
    with open(XTERM_JS, "rb") as f:
        assert body == f.read()
    status, head, body = get(port, b"/static/xterm.js", method=b"HEAD")
    assert status == 200 and body == b""
    assert "Content-Length: %d" % os.path.getsize(XTERM_JS) in head
    assert get(port, b"/static/xterm-LICENSE.txt")[0] == 200
    assert get(port, b"/", method=b"POST")[0] == 405


def test_requests_in_a_row(web):
    """Requests sent together are answered in order on one connection,
    the second only after the first's 488 KB body."""
    _, port, _ = web
    req = b"GET /static/xterm.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    raw = http(port, req + b"GET /c/sh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n")
    first = raw.index(b"\r\n\r\n") + 4 + os.path.getsize(XTERM_JS)
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw[first:].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"/static/ttyhub.js" in raw[first:]


def test_host_and_origin(web, hub, tmp_path):
    """DNS rebinding and other sites' pages: a Host that is not an
    address, localhost or a web-host is refused before anything is
    looked at, and a WebSocket from another origin is refused; a request
    that is no WebSocket handshake, or offers no ttyhub protocol, is too."""
    _, port, _ = web
    assert get(port, b"/", b"")[0] == 200
    assert get(port, b"/", b"")[0] == 200
    raw = http(port, b"GET / HTTP/1.1\r\nHost: localhost:%d\r\n"
               b"Connection: close\r\n\r\n" % port)
    assert raw.startswith(b"HTTP/1.1 200")
    raw = http(port, b"GET / HTTP/1.1\r\nHost: rebind.example:%d\r\n"
               b"Connection: close\r\n\r\n" % port)
    assert raw.startswith(b"HTTP/1.1 403")
    raw = http(port, b"GET / HTTP/1.1\r\nHost: [::1]:%d\r\n"
               b"Connection: close\r\n\r\n" % port)
    assert raw.startswith(b"HTTP/1.1 200")

    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        Web(port, "sh", origin="http://evil.example")
    assert e.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        Web(port, "nosuch")
    assert e.value.status_code == 404
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    raw = http(port, b"GET /ws/sh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key +
               b"\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400")

    # A name the file allows.
    port2 = free_port()
    web_hub(hub, tmp_path, exec_console(tmp_path, name="two"), port2,
            extra="web-host = console.example\n")
    raw = http(port2, b"GET / HTTP/1.1\r\nHost: Console.Example:%d\r\n"
               b"Connection: close\r\n\r\n" % port2)
    assert raw.startswith(b"HTTP/1.1 200") and b"/c/two" in raw


def test_console_session(web):
    """What the page sees: its state before any console byte, the replay
    and replay-end, its typing run by the shell, the window size it sends
    (stty), who, ping, and a BREAK."""
    _, port, _ = web
    a = Web(port, "sh")
    a.expect_text(r"state sh rw up")
    assert a.events[0] == ("text", "state sh rw up")
    a.expect_text(r"replay-end")
    a.type(b"echo one$((6*7))\r")
    a.expect(b"one42")
    a.say("size 101 37")
    a.type(b"stty size\r")
    a.expect(b"37 101")
    a.say("who")
    a.expect_text(r"who-line rw\tyou\t127\.0\.0\.1 \d+ \(web\)")
    a.expect_text(r"who-end 1")
    a.say("ping abc")
    a.expect_text(r"pong abc")
    a.say("size 5000 24")
    a.expect_text(r"error badcommand .*")

    # A second browser gets the replay, then replay-end, then live output.
    b = Web(port, "sh")
    b.expect(b"one42")
    seam = b.expect_text(r"replay-end")
    a.expect_text(r"notice sh: 127\.0\.0\.1 \d+ \(web\) attached \(rw\)")
    a.type(b"echo two$((6*7))\r")
    at = b.expect(b"two42")
    marker = b.events.index(("text", seam))
    assert all(e[1] < at - 5 for e in b.events[:marker] if e[0] == "data")
    b.close()
    a.expect_text(r"notice sh: 127\.0\.0\.1 \d+ \(web\) detached")
    a.close()


def test_read_only(web):
    """A ro listener's browser sees the console but cannot type, ask to
    write, or send a BREAK; each refusal is told, and nothing it typed
    reaches the shell."""
    _, port, ro_port = web
    rw = Web(port, "sh")
    rw.expect_text(r"replay-end")
    ro = Web(ro_port, "sh")
    ro.expect_text(r"state sh ro up")
    ro.type(b"echo typed$((6*7))\r")
    ro.expect_text(r"notice read-only: your input is ignored")
    ro.expect_text(r"error ignored .*")
    ro.say("rw")
    ro.expect_text(r"error denied .*")
    ro.say("break")
    ro.expect_text(r"error readonly .*")
    rw.type(b"echo rw$((6*7))\r")
    ro.expect(b"rw42")
    rw.expect(b"rw42")
    assert b"typed42" not in rw.data and b"typed42" not in ro.data


def test_writers_one(web, hub, tmp_path):
    """writers = one: the second browser reads until it forces its way
    in; the first is told and becomes read-only."""
    port = free_port()
    web_hub(hub, tmp_path, exec_console(tmp_path, name="one",
                                        extra="writers = one\n"), port)
    a = Web(port, "one")
    a.expect_text(r"state one writer up")
    b = Web(port, "one")
    b.expect_text(r"state one ro up")
    b.say("rw")
    b.expect_text(r"error busy one: 127\.0\.0\.1 \d+ \(web\) is writing")
    b.say("force")
    b.expect_text(r"state one writer up")
    a.expect_text(r"notice one: .* took over writing; you are read-only")
    a.expect_text(r"state one ro up")


def test_notices_and_removal(web, tmp_path):
    """Others' comings and goings are notices, never console bytes; a
    console removed from the file closes its browsers with 1001, after a
    notice that says why."""
    h, port, _ = web
    a = Web(port, "sh")
    a.expect_text(r"replay-end")
    a.type(b"echo ready$((6*7))\r")
    a.expect(b"ready42")
    h.rewrite(h.conf.read_text().split("[console")[0])
    a.expect_text(r"notice sh: console removed from the configuration")
    assert a.wait_closed() == 1001
    assert b"[ttyhub" not in a.data


def test_slow_browser_skipped(hub, tmp_path):
    """A browser that stops reading is skipped past what it missed, told
    how much with a notice, and its frames stay whole: it reads on to
    the end of the output."""
    port = free_port()
    web_hub(hub, tmp_path, exec_console(tmp_path, name="flood",
                                        extra="backlog = 64k\nreplay = 0\n"),
            port)
    fast = Web(port, "flood")
    fast.expect_text(r"replay-end")
    slow = Web(port, "flood")
    slow.expect_text(r"replay-end")
    slow.hold(True)
    fast.type(b"head -c 30000000 /dev/zero | tr '\\0' x; echo; "
              b"echo done$((6*7))\r")
    # fast reads everything as it comes; slow reads nothing meanwhile.
    fast.expect(b"done42\r\n", timeout=120)
    slow.hold(False)
    slow.expect(b"done42\r\n", timeout=60)
    # Skips while a notice waits add up into the next; all are told
    # before the output that follows them.
    dropped = sum(int(t.split()[1]) for t in slow.texts
                  if re.fullmatch(r"notice \d+ bytes dropped", t))
    assert dropped > 10000000
    assert len(slow.data) + dropped >= 30000000
    assert slow.close_code is None
    assert len(slow.data) < 20000000


def test_window_size_of_the_writer_only(web, hub, tmp_path):
    """With writers = one only the writer's size reaches the pty; a
    reader's is kept until it writes."""
    port = free_port()
    web_hub(hub, tmp_path, exec_console(tmp_path, name="w",
                                        extra="writers = one\n"), port)
    a = Web(port, "w")
    a.expect_text(r"state w writer up")
    a.say("size 90 30")
    b = Web(port, "w")
    b.expect_text(r"state w ro up")
    b.say("size 120 40")
    a.type(b"stty size\r")
    a.expect(b"30 90")
    b.say("force")
    b.expect_text(r"state w writer up")
    b.type(b"stty size\r")
    b.expect(b"40 120")
