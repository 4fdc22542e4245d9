"""The broker's prompt over TCP as people meet it: inetutils telnet and
busybox telnet under pexpect, against consoles whose backend is a
FakeGuest.  inetutils answers the broker's NEW-ENVIRON SEND by listing
every name asked for, valueless; busybox refuses NEW-ENVIRON.  Both must
get the prompt.  Every test runs against the normal and the ASan+UBSan
build."""
import os
import re
import socket

import pexpect
import pytest

from ttyhubtest import FakeGuest, free_port

CLIENTS = {"inetutils": "telnet", "busybox": "busybox telnet"}
PROMPT = "ttyhub> "


@pytest.fixture
def guests(tmp_path):
    gs = [FakeGuest(str(tmp_path / ("vm%d.serial" % i))) for i in (1, 2)]
    yield gs
    for g in gs:
        g.stop()


@pytest.fixture(params=sorted(CLIENTS))
def client(request):
    return CLIENTS[request.param]


def start(hub, guests, tmp_path):
    """A hub with a TCP broker and consoles vm1 and vm2; returns it, the
    broker's port and vm1's raw port."""
    bport, rport = free_port(), free_port()
    h = hub("""[ttyhubd]
broker = 127.0.0.1:%d
broker-unix = %s

[console vm1]
type = unix
path = %s
raw = 127.0.0.1:%d

[console vm2]
type = unix
path = %s
""" % (bport, tmp_path / "broker.sock", guests[0].path, rport,
       guests[1].path), sock=str(tmp_path / "broker.sock"))
    for g in guests:
        g.wait_connected()
    return h, bport, rport


def prompt(cmd, port):
    c = pexpect.spawn("%s 127.0.0.1 %d" % (cmd, port), dimensions=(24, 100),
                      timeout=10,
                      env={"TERM": "xterm", "PATH": os.environ["PATH"]})
    c.expect("name a console, or type \"help\"")
    c.expect_exact(PROMPT)
    return c


def command(c, line):
    """Type a line at the prompt; return what came back up to the next
    prompt."""
    c.send(line + "\r")
    c.expect_exact(line)
    c.expect_exact(PROMPT)
    return c.before


def test_list_at_the_prompt(hub, guests, tmp_path, client):
    h, bport, _ = start(hub, guests, tmp_path)
    c = prompt(client, bport)
    out = command(c, "list")
    assert re.search(rb"\r\nNAME +TYPE +STATE", out), out
    assert re.search(rb"\r\nvm1 +unix +up +0 ", out), out
    assert re.search(rb"\r\nvm2 +unix +up +0 ", out), out
    c.send("quit\r")
    c.expect(pexpect.EOF)
    assert "unknown command" not in h.output()


def test_who_at_the_prompt(hub, guests, tmp_path, client):
    h, bport, rport = start(hub, guests, tmp_path)
    with socket.create_connection(("127.0.0.1", rport), 5) as raw:
        me = raw.getsockname()[1]
        c = prompt(client, bport)
        # The raw client counts once the broker lists it.
        for _ in range(100):
            out = command(c, "who vm1")
            if b"127.0.0.1 %d" % me in out:
                break
        assert re.search(rb"\r\n127\.0\.0\.1 %d rw\r\n" % me, out), out
        out = command(c, "who vm2")
        assert b"127.0.0.1" not in out, out
        out = command(c, "who vm3")
        assert b'no console named "vm3"' in out, out
    c.send("quit\r")
    c.expect(pexpect.EOF)


@pytest.mark.parametrize("line", ["vm1", "attach vm1"])
def test_attach_by_name_shows_output_and_takes_input(hub, guests, tmp_path,
                                                     client, line):
    h, bport, _ = start(hub, guests, tmp_path)
    guests[0].send(b"before-attach\r\n")
    c = prompt(client, bport)
    c.send(line + "\r")
    c.expect_exact("before-attach\r\n")      # the replay
    guests[0].send(b"console says hello\r\n")
    c.expect_exact("console says hello\r\n")
    c.send("typed into vm1\r")
    # The console gets the typed line alone (a Telnet end of line is CR),
    # not the line that named it.
    assert guests[0].wait_received(b"typed into vm1\r") == \
        b"typed into vm1\r"
    assert guests[1].received == b""
    c.terminate(force=True)
