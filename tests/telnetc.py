"""A small Telnet client for tests that need exact bytes: it answers
negotiation as told, un-doubles IAC, and records every command received.
Its waits (expect, expect_re, wait_closed) are every client's, from
ttyhubtest.Reader."""
import socket
import ssl

from ttyhubtest import Reader, tls_wrap

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
BINARY, ECHO, SGA, TTYPE, NAWS, NEW_ENVIRON = 0, 1, 3, 24, 31, 39


class Telnet(Reader):
    def __init__(self, port=None, agree=(), env=None, ttype=None, naws=None,
                 host="127.0.0.1", timeout=5, path=None, tls=None):
        if path is not None:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(path)
        else:
            self.sock = tls_wrap(socket.create_connection((host, port),
                                                          timeout), tls)
        self.agree = set(agree)     # options we WILL / accept DO for
        self.env = env or []        # [(type, name, value)] for NEW-ENVIRON
        self.ttype = ttype
        self.naws = naws
        self.data = bytearray()     # payload received
        self.commands = []          # (cmd, opt) received
        self.subneg = []            # (opt, bytes) received
        self._state = 0
        self._sb = bytearray()
        self.closed = False
        self.options_on = set()

    def send_raw(self, b):
        self.sock.sendall(b)

    def send(self, b):
        self.sock.sendall(bytes(b).replace(b"\xff", b"\xff\xff"))

    def _reply(self, b):
        """Automatic answers to negotiation.  The server may already have
        closed (that is what some tests provoke), so a reply that cannot
        be delivered marks the connection closed instead of raising."""
        try:
            self.sock.sendall(b)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True

    def _answer(self, cmd, opt):
        if cmd not in (DO, WILL):
            return
        yes = opt in self.agree
        if cmd == DO:
            self._reply(bytes([IAC, WILL if yes else WONT, opt]))
        else:
            self._reply(bytes([IAC, DO if yes else DONT, opt]))
        if cmd == DO and yes:
            self.options_on.add(("us", opt))
            if opt == NAWS and self.naws:
                self._reply(self.naws_bytes(*self.naws))

    @staticmethod
    def naws_bytes(cols, rows):
        body = bytes([cols >> 8, cols & 255, rows >> 8, rows & 255])
        return (bytes([IAC, SB, NAWS]) + body.replace(b"\xff", b"\xff\xff") +
                bytes([IAC, SE]))

    def send_naws(self, cols, rows):
        self.send_raw(self.naws_bytes(cols, rows))

    def _subneg(self, opt, body):
        self.subneg.append((opt, bytes(body)))
        if opt == TTYPE and body[:1] == b"\x01" and self.ttype:
            self._reply(bytes([IAC, SB, TTYPE, 0]) + self.ttype.encode() +
                        bytes([IAC, SE]))
        if opt == NEW_ENVIRON and body[:1] == b"\x01":
            out = bytearray([IAC, SB, NEW_ENVIRON, 0])
            for typ, name, value in self.env:
                out += bytes([typ]) + name + b"\x01" + value
            out += bytes([IAC, SE])
            self._reply(bytes(out))

    def feed(self, chunk):
        for b in chunk:
            st = self._state
            if st == 0:
                if b == IAC:
                    self._state = 1
                else:
                    self.data.append(b)
            elif st == 1:
                if b == IAC:
                    self.data.append(b)
                    self._state = 0
                elif b in (DO, DONT, WILL, WONT):
                    self._cmd = b
                    self._state = 2
                elif b == SB:
                    self._sb = bytearray()
                    self._state = 3
                else:
                    self.commands.append((b, None))
                    self._state = 0
            elif st == 2:
                self.commands.append((self._cmd, b))
                self._answer(self._cmd, b)
                self._state = 0
            elif st == 3:
                if b == IAC:
                    self._state = 4
                else:
                    self._sb.append(b)
            elif st == 4:
                if b == SE:
                    self._subneg(self._sb[0], self._sb[1:])
                    self._state = 0
                else:
                    self._sb.append(b)
                    self._state = 3

    def pump(self, timeout=0.05):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return True
        except (ConnectionError, ssl.SSLError):
            self.closed = True
            return False
        if not chunk:
            self.closed = True
            return False
        self.feed(chunk)
        return True

    def close(self):
        self.sock.close()
