"""Real WebSocket clients against the web console's protocol layer
(src/web/), before the daemon serves it: tests/helpers/webpeer is that
layer alone on an accepted loopback socket, and Python's websocket-client
(Debian's python3-websocket) and Node's built-in WebSocket (undici, the
browser API) talk to it.  They check our handshake answer (the accept
value, the subprotocol) and our frames, we check theirs: masking,
fragments, pings, close codes, lengths over 16 and 64 bits."""
import json
import os
import shutil
import socket
import subprocess
import threading

import pytest

from ttyhubtest import BUILDS, ROOT, SAN_MARKERS

websocket = pytest.importorskip("websocket")

PATTERN = bytes((i * 7 + 3) & 0xFF for i in range(70000))


class Peer:
    """One connection to webpeer: listen on loopback, hand the accepted
    socket to webpeer as its stdin and stdout."""

    def __init__(self, build, origins=()):
        binary = os.path.join(ROOT, build, "tests", "webpeer")
        assert os.access(binary, os.X_OK), "%s missing: make helpers asan" % binary
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(20)
        self.port = self.lsock.getsockname()[1]
        self.url = "ws://127.0.0.1:%d/ws/vm1" % self.port
        self.origin = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.thread = threading.Thread(target=self._accept,
                                       args=(binary, origins))
        self.thread.start()

    def _accept(self, binary, origins):
        conn, _ = self.lsock.accept()
        self.proc = subprocess.Popen([binary] + list(origins), stdin=conn,
                                     stdout=conn, stderr=subprocess.PIPE)
        conn.close()

    def transcript(self):
        """webpeer's lines, once it has ended (it ends with the
        WebSocket); no sanitizer report among them."""
        self.thread.join(20)
        assert self.proc is not None, "nobody connected"
        _, err = self.proc.communicate(timeout=20)
        self.lsock.close()
        err = err.decode(errors="replace")
        for marker in SAN_MARKERS:
            assert marker not in err, err
        return err.splitlines()


@pytest.fixture(params=BUILDS)
def build(request):
    return request.param


def test_websocket_client_conversation(build):
    peer = Peer(build)
    ws = websocket.create_connection(peer.url, subprotocols=["ttyhub"],
                                     origin=peer.origin, timeout=10)
    # The library checked Sec-WebSocket-Accept; the protocol is ours.
    assert ws.getsubprotocol() == "ttyhub"
    assert ws.getstatus() == 101

    ws.send("size 80 24")
    assert ws.recv() == "size 80 24"
    ws.send("ping caf\u00e9")
    assert ws.recv() == "ping caf\u00e9"

    # Every byte value, fragmented, with a ping between the fragments.
    ABNF = websocket.ABNF
    ws.send_frame(ABNF.create_frame(bytes(range(128)), ABNF.OPCODE_BINARY,
                                    fin=0))
    ws.ping("p1")
    ws.send_frame(ABNF.create_frame(bytes(range(128, 256)),
                                    ABNF.OPCODE_CONT, fin=1))
    opcode, frame = ws.recv_data_frame(True)
    assert (opcode, frame.data) == (ABNF.OPCODE_PONG, b"p1")
    ws.send("echo")
    assert ws.recv() == bytes(range(256))

    # Our lengths: 16 bits, 64 bits.
    ws.send("big 300")
    assert ws.recv() == PATTERN[:300]
    ws.send("big 70000")
    assert ws.recv() == PATTERN

    # Our ping: the library answers it while it reads the next message.
    ws.send("ping")
    ws.send("after the ping")
    assert ws.recv() == "after the ping"

    ws.close(status=1000, reason=b"bye")
    lines = peer.transcript()
    assert "open /ws/vm1" in lines
    assert "text 2 size 80 24" in lines       # WEBMSG_SIZE
    assert "pong hb" in lines
    assert lines[-1] == "closed 1000 bye", lines
    assert sum(int(x.split()[1]) for x in lines
               if x.startswith("binary ")) == 256


def test_websocket_client_server_closes(build):
    peer = Peer(build)
    ws = websocket.create_connection(peer.url, subprotocols=["ttyhub"],
                                     timeout=10)
    ws.send("close")
    opcode, frame = ws.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert frame.data == b"\x03\xe8done"
    # websocket-client answered with its own close (1000).
    lines = peer.transcript()
    assert lines[-1].startswith("closed 1000"), lines


@pytest.mark.parametrize("case", ["evil-origin", "no-protocol", "allowed"])
def test_websocket_client_refused(build, case):
    origins = ["https://console.example.org"] if case == "allowed" else []
    peer = Peer(build, origins)
    kw = {"subprotocols": ["ttyhub"], "timeout": 10}
    if case == "evil-origin":
        kw["origin"] = "http://evil.example"
    elif case == "no-protocol":
        del kw["subprotocols"]
    else:
        kw["origin"] = "https://console.example.org"
    if case == "allowed":
        ws = websocket.create_connection(peer.url, **kw)
        ws.close()
        assert peer.transcript()[0] == "open /ws/vm1"
        return
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(peer.url, **kw)
    want = {"evil-origin": 403, "no-protocol": 400}[case]
    assert e.value.status_code == want
    assert peer.transcript()[0].startswith("refused %d " % want)


NODE_CLIENT = r"""
const url = process.argv[2];
const ws = new WebSocket(url, ['ttyhub']);
ws.binaryType = 'arraybuffer';
const got = [];
ws.onopen = () => {
  ws.send('size 132 43');
  ws.send(new Uint8Array([0, 1, 2, 255, 13, 10]));
  ws.send('echo');
  ws.send('big 70000');
};
ws.onmessage = (ev) => {
  if (typeof ev.data === 'string') {
    got.push({text: ev.data});
  } else {
    const b = new Uint8Array(ev.data);
    let sum = 0;
    for (const x of b) sum = (sum * 31 + x) % 1000000007;
    got.push({binary: b.length, sum: sum, head: Array.from(b.slice(0, 6))});
  }
  if (got.length === 3) ws.close(1000, 'node done');
};
ws.onclose = (ev) => {
  console.log(JSON.stringify({protocol: ws.protocol, got: got,
                              code: ev.code, reason: ev.reason}));
};
ws.onerror = (ev) => { console.log(JSON.stringify({error: String(ev.message)})); };
"""


def node_sum(data):
    s = 0
    for x in data:
        s = (s * 31 + x) % 1000000007
    return s


def test_node_websocket(build, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "client.js"
    script.write_text(NODE_CLIENT)
    peer = Peer(build)
    p = subprocess.run([node, "--experimental-websocket", str(script),
                        peer.url], capture_output=True, text=True, timeout=30)
    lines = peer.transcript()
    out = [x for x in p.stdout.splitlines() if x.startswith("{")]
    assert out, p.stdout + p.stderr
    r = json.loads(out[-1])
    assert r.get("protocol") == "ttyhub", r
    assert r["got"][0] == {"text": "size 132 43"}
    assert r["got"][1] == {"binary": 6, "sum": node_sum(b"\0\1\2\xff\r\n"),
                           "head": [0, 1, 2, 255, 13, 10]}
    assert r["got"][2]["binary"] == 70000
    assert r["got"][2]["sum"] == node_sum(PATTERN)
    # Our close echo reached Node: its close event has the code it sent.
    assert r["code"] == 1000, r
    assert lines[-1] == "closed 1000 node done", lines
