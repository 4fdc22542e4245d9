#!/usr/bin/python3
"""Write the seed corpora of fuzz-http (tests/fuzz/http-seeds/) and fuzz-ws
(tests/fuzz/ws-seeds/): what browsers and WebSocket libraries send, and
the shapes RFC 9112 and RFC 6455 tell a server to refuse.  The input
formats are in the header comments of tests/fuzz/fuzz-http.c and
fuzz-ws.c; the seeds are checked in, and this script writes them again:

    mkweb.py [DIR]        (default: the directory this script is in)
"""
import os
import struct
import sys

KEY = b"\x37\xfa\x21\x3d"

CHROME = (
    b"GET /ws/vm1 HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8080\r\n"
    b"Connection: Upgrade\r\n"
    b"Pragma: no-cache\r\n"
    b"Cache-Control: no-cache\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    b"(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    b"Upgrade: websocket\r\n"
    b"Origin: http://127.0.0.1:8080\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Accept-Language: en-US,en;q=0.9\r\n"
    b"Cookie: ttyhub=8f14e45fceea167a5a36dedd4bea2543\r\n"
    b"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"Sec-WebSocket-Protocol: ttyhub\r\n"
    b"\r\n")

FIREFOX = (
    b"GET /ws/board1 HTTP/1.1\r\n"
    b"Host: localhost:8080\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 "
    b"Firefox/115.0\r\n"
    b"Accept: */*\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Origin: http://localhost:8080\r\n"
    b"Sec-WebSocket-Protocol: ttyhub\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Connection: keep-alive, Upgrade\r\n"
    b"Sec-Fetch-Dest: websocket\r\n"
    b"Sec-Fetch-Mode: websocket\r\n"
    b"Sec-Fetch-Site: same-origin\r\n"
    b"Pragma: no-cache\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Upgrade: websocket\r\n"
    b"\r\n")

PAGE = (
    b"GET /c/vm1?mode=ro HTTP/1.1\r\n"
    b"Host: console.example.org\r\n"
    b"Connection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"User-Agent: Mozilla/5.0\r\n"
    b"Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
    b"Sec-Fetch-Site: none\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Cookie: a=1; ttyhub=0123; b=2\r\n"
    b"\r\n")

LOGIN = (
    b"POST /login HTTP/1.1\r\n"
    b"Host: console.example.org\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 36\r\n"
    b"Origin: https://console.example.org\r\n"
    b"\r\n"
    b"user=alice&password=p%40ss+w%C3%B6rd")

HTTP_SEEDS = {
    "chrome-upgrade": CHROME,
    "firefox-upgrade": FIREFOX,
    "page-get": PAGE,
    "login-post": LOGIN,
    "pipelined": PAGE + LOGIN + b"GET /next HTTP/1.1\r\nHost: a\r\n"
                 b"Connection: close\r\n\r\n",
    "rfc6455-handshake": (
        b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Origin: http://example.com\r\n"
        b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"),
    "curl": b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            b"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    "http10-keepalive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                        b"GET /again HTTP/1.0\r\n\r\n",
    "absolute-form": b"GET http://[::1]:8080/c/vm1?x HTTP/1.1\r\n"
                     b"Host: other\r\n\r\n",
    "leading-crlf": b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bare-lf": b"GET / HTTP/1.1\nHost: a\n\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
    "space-before-colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "smuggle-cl-te": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "smuggle-cl-cl": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                     b"Content-Length: 5\r\n\r\nabcde",
    "two-hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "body-at-cap": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4096"
                   b"\r\n\r\n" + b"x" * 4096,
    "body-over-cap": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4097"
                     b"\r\n\r\n",
    "many-fields": b"GET / HTTP/1.1\r\nHost: a\r\n" +
                   b"".join(b"X-F%d: %d\r\n" % (i, i) for i in range(70)) +
                   b"\r\n",
    "long-line": b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    "http2": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "version-8": CHROME.replace(b"Version: 13", b"Version: 8"),
    "evil-origin": CHROME.replace(b"Origin: http://127.0.0.1:8080",
                                  b"Origin: http://evil.example"),
    "null-origin": CHROME.replace(b"Origin: http://127.0.0.1:8080",
                                  b"Origin: null"),
}


def frame(op, payload, fin=True, mask=KEY, rsv=0):
    """A client frame, masked with mask unless it is None."""
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    if n < 126:
        head = bytes([b0, n])
    elif n < 65536:
        head = bytes([b0, 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    head = bytes([head[0], head[1] | 0x80]) + head[2:] + mask
    return head + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def close(code, reason=b""):
    return frame(CLOSE, struct.pack(">H", code) + reason)


# Byte 0: set-up (fuzz-ws.c), byte 1: split.
WS_SEEDS = {
    "rfc-hello": (0, frame(TEXT, b"Hello")),
    "rfc-fragments": (0, frame(TEXT, b"Hel", fin=False) +
                      frame(CONT, b"lo")),
    "rfc-pong": (0, frame(PONG, b"Hello")),
    "session": (8, frame(TEXT, b"size 80 24") + frame(BINARY, b"ls -l\r") +
                frame(TEXT, b"ping 1") + frame(TEXT, b"who") +
                frame(TEXT, b"replay 4096") + frame(TEXT, b"break") +
                frame(TEXT, b"rw") + frame(TEXT, b"force") +
                frame(TEXT, b"ro") + close(1000, b"bye")),
    "typing": (0, b"".join(frame(BINARY, bytes([c])) for c in b"echo hi\r")),
    "paste-fragments": (0, frame(BINARY, b"a" * 300, fin=False) +
                        frame(PING, b"keepalive") +
                        frame(CONT, b"b" * 20000, fin=False) +
                        frame(CONT, b"c")),
    "binary-cap-100": (1, frame(BINARY, b"x" * 60, fin=False) +
                       frame(CONT, b"y" * 41)),
    "text-at-cap": (0, frame(TEXT, b"t" * 4096)),
    "text-over-cap": (0, frame(TEXT, b"t" * 4097)),
    "utf8-split": (0, frame(TEXT, b"caf\xc3", fin=False) +
                   frame(PING, b"") + frame(CONT, b"\xa9")),
    "utf8-bad": (0, frame(TEXT, b"ok\xed\xa0\x80")),
    "utf8-cut": (0, frame(TEXT, b"ok\xe2\x82")),
    "unmasked": (0, frame(TEXT, b"Hello", mask=None)),
    "rsv1": (0, frame(TEXT, b"x", rsv=4)),
    "opcode-3": (0, frame(3, b"")),
    "ping-126": (0, frame(PING, b"p" * 126)),
    "ping-fragmented": (0, frame(PING, b"p", fin=False)),
    "continuation-first": (0, frame(CONT, b"x")),
    "message-in-message": (0, frame(TEXT, b"a", fin=False) +
                           frame(BINARY, b"b")),
    "close-empty": (0, frame(CLOSE, b"")),
    "close-one-byte": (0, frame(CLOSE, b"\x03")),
    "close-1005": (0, close(1005)),
    "close-4000": (0, close(4000, b"caf\xc3\xa9")),
    "close-bad-reason": (0, close(1000, b"\xff")),
    "server-closes": (4, frame(TEXT, b"who") + frame(BINARY, b"late") +
                      frame(PING, b"late") + close(1001)),
    "length-2-63": (0, b"\x82\xff\x80" + b"\x00" * 7 + KEY),
    "length-non-minimal": (0, b"\x81\xfe\x00\x02" + KEY + b"\x5f\x93"),
    "control-words": (8, b"".join(frame(TEXT, w) for w in (
        b"size 4096 4096", b"size 0 1", b"size 80", b"replay",
        b"replay 999999999999", b"ping", b"ping " + b"x" * 1024,
        b"state vm1 writer up", b"who-line rw\tyou\t127.0.0.1 4000",
        b"who-end 1", b"replay-end", b"notice hello", b"error busy x",
        b"pong 1", b"unknown words"))),
}


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.abspath(__file__))
    for sub, seeds in (("http-seeds", HTTP_SEEDS), ("ws-seeds", WS_SEEDS)):
        d = os.path.join(here, sub)
        os.makedirs(d, exist_ok=True)
        for name, value in sorted(seeds.items()):
            if sub == "http-seeds":
                data = b"\x07" + value
            else:
                cfg, data = value
                data = bytes([cfg, 7]) + data
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
