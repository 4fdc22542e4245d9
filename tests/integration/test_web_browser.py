"""The web console in a real browser: Debian's chromium, headless, driven
by playwright-core (tests/helpers/browser.js) through the pages ttyhubd
serves, xterm.js included.  A person's steps: type and see the shell
answer, resize the window and see stty follow, open a second browser
that gets the replay, and a read-only one whose typing goes nowhere.
One chromium serves every test of the module; each page is a context
of its own, as a browser of its own would be."""
import json
import os
import select
import shutil
import subprocess
import time

import pytest

from ttyhubtest import (ROOT, exec_console, free_port, tls_section,
                        wait_for)

DRIVER = os.path.join(ROOT, "tests", "helpers", "browser.js")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT = os.path.join(ROOT, "web", "node_modules", "playwright-core")


class Browser:
    """tests/helpers/browser.js: one JSON request and answer a line."""

    def __init__(self):
        self.proc = subprocess.Popen(["node", DRIVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.version = self._answer(60)["ready"]

    def _answer(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "the browser driver did not answer in %d s" % timeout
        line = self.proc.stdout.readline()
        assert line, "the browser driver ended"
        answer = json.loads(line)
        assert "error" not in answer, answer["error"]
        return answer

    def ask(self, timeout=30, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def quit(self):
        try:
            self.proc.stdin.write('{"op": "quit"}\n')
            self.proc.stdin.close()
            self.proc.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Page:
    """One page of the terminal, in a context of its own."""

    def __init__(self, browser, url, width=900, height=560, insecure=False):
        self.b = browser
        self.n = browser.ask(op="open", url=url, width=width,
                             height=height, insecure=insecure)["page"]

    def goto(self, url):
        self.b.ask(op="goto", page=self.n, url=url)

    def fill(self, selector, text):
        self.b.ask(op="fill", page=self.n, selector=selector, text=text)

    def submit(self, selector, timeout=30):
        self.b.ask(timeout, op="submit", page=self.n, selector=selector)

    def eval(self, js):
        return self.b.ask(op="eval", page=self.n, js=js)["value"]

    def screen(self):
        return self.b.ask(op="screen", page=self.n)["text"]

    def text_of(self, element):
        return self.eval("document.getElementById(%s).textContent" %
                         json.dumps(element))

    def wait_screen(self, needle, timeout=20):
        return wait_for(lambda: needle in self.screen(), timeout,
                        lambda: "%r on the screen: %r" %
                        (needle, self.screen()[-600:]))

    def wait_line(self, line, timeout=20):
        return wait_for(lambda: line in self.screen().split("\n"), timeout,
                        lambda: "a line %r on the screen: %r" %
                        (line, self.screen()[-600:]))

    def wait_text(self, element, needle, timeout=20):
        return wait_for(lambda: needle in self.text_of(element), timeout,
                        lambda: "%r in #%s: %r" %
                        (needle, element, self.text_of(element)))

    def type(self, text):
        self.b.ask(op="type", page=self.n, text=text)

    def click(self, selector):
        self.b.ask(op="click", page=self.n, selector=selector)

    def resize(self, width, height):
        self.b.ask(op="resize", page=self.n, width=width, height=height)

    def size(self):
        return tuple(self.eval("[ttyhub.term.rows, ttyhub.term.cols]"))

    def shot(self, path):
        self.b.ask(op="shot", page=self.n, path=str(path))

    def close(self):
        self.b.ask(op="close", page=self.n)


@pytest.fixture(scope="module")
def browser():
    for what, path in (("chromium", CHROMIUM), ("playwright-core",
                                                  PLAYWRIGHT)):
        if not os.path.exists(path):
            pytest.fail("%s is missing (%s): make check installs it" %
                        (what, path))
    if shutil.which("node") is None:
        pytest.fail("node is missing: make check installs it")
    b = Browser()
    yield b
    b.quit()


def test_browser(browser, hub, tmp_path, build):
    """Type, resize, a second browser with the replay, a read-only one;
    a screenshot of each page for people to look at (TTYHUB_SHOTS=DIR
    keeps them)."""
    port, ro_port = free_port(), free_port()
    h = hub("[ttyhubd]\nbroker-unix = %s\nweb = 127.0.0.1:%d "
            "127.0.0.1:%d,ro\n\n" % (tmp_path / "b.sock", port, ro_port) +
            exec_console(tmp_path, extra="size = 80x24\n"),
            sock=str(tmp_path / "b.sock"))
    wait_for(lambda: "port %d (read-only)" % ro_port in h.output(),
             what="the web listeners")
    url = "http://127.0.0.1:%d/c/sh" % port

    # The list links the console; the page opens, and the daemon says
    # what we are before the shell's first bytes.
    lst = Page(browser, "http://127.0.0.1:%d/" % port)
    assert lst.eval("document.querySelector('a[href=\"/c/sh\"]') !== null")
    lst.close()
    a = Page(browser, url)
    a.wait_text("role", "rw")
    a.wait_text("backend", "up")
    assert a.text_of("name") == "sh"

    # Typing reaches the shell; its answer comes back on the screen.
    a.type("echo page$((6*7))\n")
    a.wait_screen("page42")

    # The page's size is the pty's, and follows the window.
    rows, cols = a.size()
    a.type("stty size\n")
    a.wait_line("%d %d" % (rows, cols))
    a.resize(640, 400)
    wait_for(lambda: a.size() != (rows, cols), what="xterm.js to refit")
    rows2, cols2 = a.size()
    assert cols2 < cols and rows2 < rows
    a.type("stty size\n")
    a.wait_line("%d %d" % (rows2, cols2))

    # A second browser gets the replay, and both see what either types.
    b = Page(browser, url, width=760, height=480)
    b.wait_screen("page42")
    b.wait_text("role", "rw")
    a.wait_text("notice", "attached (rw)")
    b.type("echo second$((6*7))\n")
    b.wait_screen("second42")
    a.wait_screen("second42")
    b.click("#who")
    b.wait_text("who-list", "(you)")

    # A read-only browser sees the console, but its typing goes nowhere,
    # and it is told so.
    ro = Page(browser, "http://127.0.0.1:%d/c/sh" % ro_port)
    ro.wait_text("role", "ro")
    ro.wait_screen("second42")
    ro.type("echo readonly$((6*7))\n")
    ro.wait_text("notice", "read-only: your input is ignored")
    ro.click("#rw")
    ro.wait_text("notice", "you may not write here")
    a.type("echo after$((6*7))\n")
    for p in (a, b, ro):
        p.wait_screen("after42")
        assert "readonly42" not in p.screen()

    shots = os.environ.get("TTYHUB_SHOTS") or str(tmp_path)
    for name, p in (("rw", a), ("second", b), ("ro", ro)):
        path = os.path.join(shots, "web-%s-%s.png" % (os.path.basename(
            os.path.dirname(build)), name))
        p.shot(path)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    for p in (a, b, ro):
        p.close()


def test_browser_logs_in_over_https(browser, hub, tmp_path, build, pki,
                                    pam_user):
    """web = ADDR,tls,auth: the console's page sends the browser to the
    login form; a wrong password is told so, the right one leads to the
    list, whose link opens a terminal to type in.  The cookie is not
    script's to read.  A screenshot of the terminal, in the test's tmp
    directory (or TTYHUB_SHOTS), is printed for people to look at."""
    port = free_port()
    sock = str(tmp_path / "b.sock")
    h = hub("[ttyhubd]\nbroker-unix = %s\npam-service = %s\n%s"
            "web = 127.0.0.1:%d,tls,auth\n\n" % (
                sock, pam_user["service"], tls_section(pki, ca=False),
                port) +
            exec_console(tmp_path, extra="size = 80x24\nrw = %s\n" %
                         pam_user["user"]), sock=sock)
    wait_for(lambda: "web: listening on 127.0.0.1 port %d" % port in
             h.output(), what="the web listener")
    site = "https://127.0.0.1:%d" % port

    p = Page(browser, site + "/c/sh", insecure=True)
    assert p.eval("location.pathname") == "/login"
    p.fill("#user", pam_user["user"])
    p.fill("#password", "not the password")
    p.submit("#login")
    p.wait_text("error", "Login incorrect")
    shots = os.environ.get("TTYHUB_SHOTS") or str(tmp_path)
    kind = os.path.basename(os.path.dirname(build))
    p.shot(os.path.join(shots, "web-login-form-%s.png" % kind))
    p.fill("#user", pam_user["user"])
    p.fill("#password", pam_user["password"])
    p.submit("#login")
    assert p.eval("location.href") == site + "/"
    assert p.text_of("user") == pam_user["user"]
    assert p.eval("document.cookie") == ""          # HttpOnly
    p.submit('a[href="/c/sh"]')
    p.wait_text("role", "rw")
    p.wait_text("backend", "up")
    p.type("echo https$((6*7))\n")
    p.wait_screen("https42")

    path = os.path.join(shots, "web-login-%s.png" % kind)
    p.shot(path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    print("screenshot: %s" % path)
    # Logging out leads back to the form, and the page is gone.
    p.goto(site + "/")
    p.submit("#logout")
    assert p.eval("location.pathname") == "/login"
    p.goto(site + "/c/sh")
    assert p.eval("location.pathname") == "/login"
    p.close()
    assert pam_user["password"] not in h.output()
