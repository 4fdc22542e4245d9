"""A synthetic vhost-user frontend ("fakeqemu") for ttyhubd's vhost-user
console backend.  Written from the protocol's own description
(qemu docs/interop/vhost-user.rst) and the virtio layouts
(linux/virtio_ring.h, linux/virtio_console.h), not from any backend.

It plays two parts at once:
- QEMU's generic vhost-user device: the realize-time messages, then the
  DRIVER_OK ones (features, memory table, rings, enable), GET_VRING_BASE
  stop and restart, config reads and writes, and the backend-request
  channel (SET_BACKEND_REQ_FD) on which config changes arrive.
- the Linux virtio_console driver: receiveq 0 holds posted input
  buffers the device fills, transmitq 1 carries guest output, config
  space holds cols/rows.  With ports=N (N > 1) and MULTIPORT acked, it
  is the multiport driver of drivers/char/virtio_console.c: control
  receiveq 2 and transmitq 3, port p on rings 2p+2 and 2p+3; it says
  DEVICE_READY, answers PORT_ADD by posting the port's receive buffers
  and saying PORT_READY, CONSOLE_PORT by PORT_OPEN 1, and keeps what
  the device said (ctl_log, port_state); open_port and close_port are a
  program in the guest opening and closing a port.  Input that arrives
  for a port the guest has not opened is kept aside in discarded, as
  Linux throws it away.

Guest RAM is laid out to make a confused backend fail: two memfd regions
whose guest-physical addresses differ from their user addresses (each
region's user range is the other's guest-physical range), a gap between
them, and one region with a non-zero mmap_offset and poison before it.
Rings are given by user address (SET_VRING_ADDR), buffers by
guest-physical address (descriptors), and chains cross regions.  A
backend that mixes the two lookups reads the wrong region and never sees
the rings, so it shows up here as a timeout.

Every wait is bounded.  Failures raise ProtocolError (the backend broke
the protocol), Timeout (it did not do something in time) or BackendGone
(it closed the connection)."""
import collections
import mmap
import os
import select
import socket
import struct
import threading
import time

# Front-end requests ("Front-end message types").
GET_FEATURES = 1
SET_FEATURES = 2
SET_OWNER = 3
RESET_OWNER = 4
SET_MEM_TABLE = 5
SET_LOG_BASE = 6
SET_LOG_FD = 7
SET_VRING_NUM = 8
SET_VRING_ADDR = 9
SET_VRING_BASE = 10
GET_VRING_BASE = 11
SET_VRING_KICK = 12
SET_VRING_CALL = 13
SET_VRING_ERR = 14
GET_PROTOCOL_FEATURES = 15
SET_PROTOCOL_FEATURES = 16
GET_QUEUE_NUM = 17
SET_VRING_ENABLE = 18
SET_BACKEND_REQ_FD = 21
GET_CONFIG = 24
SET_CONFIG = 25
RESET_DEVICE = 34
GET_MAX_MEM_SLOTS = 36
ADD_MEM_REG = 37
SET_STATUS = 39

REQUEST_NAMES = {
    GET_FEATURES: "GET_FEATURES", SET_FEATURES: "SET_FEATURES",
    SET_OWNER: "SET_OWNER", RESET_OWNER: "RESET_OWNER",
    SET_MEM_TABLE: "SET_MEM_TABLE", SET_LOG_BASE: "SET_LOG_BASE",
    SET_LOG_FD: "SET_LOG_FD", SET_VRING_NUM: "SET_VRING_NUM",
    SET_VRING_ADDR: "SET_VRING_ADDR", SET_VRING_BASE: "SET_VRING_BASE",
    GET_VRING_BASE: "GET_VRING_BASE", SET_VRING_KICK: "SET_VRING_KICK",
    SET_VRING_CALL: "SET_VRING_CALL", SET_VRING_ERR: "SET_VRING_ERR",
    GET_PROTOCOL_FEATURES: "GET_PROTOCOL_FEATURES",
    SET_PROTOCOL_FEATURES: "SET_PROTOCOL_FEATURES",
    GET_QUEUE_NUM: "GET_QUEUE_NUM", SET_VRING_ENABLE: "SET_VRING_ENABLE",
    SET_BACKEND_REQ_FD: "SET_BACKEND_REQ_FD", GET_CONFIG: "GET_CONFIG",
    SET_CONFIG: "SET_CONFIG", RESET_DEVICE: "RESET_DEVICE",
    GET_MAX_MEM_SLOTS: "GET_MAX_MEM_SLOTS", ADD_MEM_REG: "ADD_MEM_REG",
    SET_STATUS: "SET_STATUS",
}

# Back-end requests, on the SET_BACKEND_REQ_FD socket.
BACKEND_IOTLB_MSG = 1
BACKEND_CONFIG_CHANGE_MSG = 2
BACKEND_VRING_HOST_NOTIFIER_MSG = 3

# Header flags: version in bits 0-1, then REPLY and NEED_REPLY.
VERSION = 0x1
FLAG_REPLY = 0x4
FLAG_NEED_REPLY = 0x8

# Wire formats: host byte order, packed (the header is 12 bytes, so the
# payload's u64 fields are not 8-aligned in the message).
HDR = struct.Struct("=III")                 # request, flags, size
U64 = struct.Struct("=Q")
VRING_STATE = struct.Struct("=II")          # index, num
VRING_ADDR = struct.Struct("=IIQQQQ")       # index, flags, desc, used, avail, log
MEM_HDR = struct.Struct("=II")              # nregions, padding
MEM_REGION = struct.Struct("=QQQQ")         # gpa, size, uva, mmap_offset
CONFIG_HDR = struct.Struct("=III")          # offset, size, flags
MAX_REGIONS = 8
MAX_CONFIG = 256
MAX_FDS = 8
VRING_NOFD = 1 << 8                         # in KICK/CALL/ERR's u64
MAX_PAYLOAD = 4096                          # what we accept from a backend

# Virtio and vhost-user feature bits.
VIRTIO_CONSOLE_F_SIZE = 1 << 0
VIRTIO_CONSOLE_F_MULTIPORT = 1 << 1
VIRTIO_CONSOLE_F_EMERG_WRITE = 1 << 2
VIRTIO_F_RING_INDIRECT_DESC = 1 << 28
VIRTIO_F_RING_EVENT_IDX = 1 << 29
VHOST_USER_F_PROTOCOL_FEATURES = 1 << 30
VIRTIO_F_VERSION_1 = 1 << 32

# Protocol feature bits.
PROTOCOL_F_MQ = 1 << 0
PROTOCOL_F_LOG_SHMFD = 1 << 1
PROTOCOL_F_REPLY_ACK = 1 << 3
PROTOCOL_F_BACKEND_REQ = 1 << 5
PROTOCOL_F_CONFIG = 1 << 9
PROTOCOL_F_BACKEND_SEND_FD = 1 << 10
PROTOCOL_F_RESET_DEVICE = 1 << 13
PROTOCOL_F_CONFIGURE_MEM_SLOTS = 1 << 15
PROTOCOL_F_STATUS = 1 << 16
# What this frontend knows how to use; offered bits outside it are not
# set in SET_PROTOCOL_FEATURES.
PROTOCOL_SUPPORTED = (PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK |
                      PROTOCOL_F_BACKEND_REQ | PROTOCOL_F_CONFIG)

# What the "guest" acks by default: the Linux driver knows SIZE and
# MULTIPORT only (not EMERG_WRITE); VERSION_1 is needed by QEMU's
# non-transitional generic device.  Bit 30 is added by the frontend.
LINUX_DRIVER_FEATURES = (VIRTIO_F_VERSION_1 | VIRTIO_CONSOLE_F_SIZE |
                         VIRTIO_CONSOLE_F_MULTIPORT)

# Split virtqueue (little endian: VERSION_1).
DESC = struct.Struct("<QIHH")               # addr, len, flags, next
DESC_F_NEXT = 1
DESC_F_WRITE = 2
DESC_F_INDIRECT = 4
AVAIL_F_NO_INTERRUPT = 1
USED_F_NO_NOTIFY = 1
USED_ELEM = struct.Struct("<II")            # id, len
U16 = struct.Struct("<H")

# virtio-console, port 0 (the only one without MULTIPORT).
RX_Q = 0            # receiveq: device -> driver (client input)
TX_Q = 1            # transmitq: driver -> device (guest output)
CTL_RX_Q = 2        # control receiveq: device -> driver
CTL_TX_Q = 3        # control transmitq: driver -> device
CTL = struct.Struct("<IHH")                 # id, event, value
BAD_ID = 0xffffffff
DEVICE_READY, PORT_ADD, PORT_REMOVE, PORT_READY = 0, 1, 2, 3
CONSOLE_PORT, RESIZE, PORT_OPEN, PORT_NAME = 4, 5, 6, 7
CTL_NAMES = {DEVICE_READY: "DEVICE_READY", PORT_ADD: "PORT_ADD",
             PORT_REMOVE: "PORT_REMOVE", PORT_READY: "PORT_READY",
             CONSOLE_PORT: "CONSOLE_PORT", RESIZE: "RESIZE",
             PORT_OPEN: "PORT_OPEN", PORT_NAME: "PORT_NAME"}


def rx_ring(port):
    """Port's receiveq (device -> driver)."""
    return RX_Q if port == 0 else 2 * port + 2


def tx_ring(port):
    return rx_ring(port) + 1
CONSOLE_CONFIG = struct.Struct("<HHII")     # cols, rows, max_nr_ports, emerg_wr
CONFIG_SIZE = CONSOLE_CONFIG.size           # 12
ConsoleConfig = collections.namedtuple(
    "ConsoleConfig", "cols rows max_nr_ports emerg_wr")

POISON = 0xA5
PAGE = 4096


class ProtocolError(Exception):
    """The backend did something the protocol does not allow."""


class Timeout(ProtocolError):
    """The backend did not answer or act in time."""


class BackendGone(ProtocolError):
    """The backend closed the connection."""


def _eventfd():
    return os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)


def _close_fd(fd):
    if fd is not None and fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass


# --------------------------------------------------------------- memory


class Region:
    """One piece of guest RAM: a memfd, described to the backend by its
    guest-physical address, size, user address and the offset of the
    region's first byte in the file (mmap_offset).  Bytes before that
    offset hold poison, so a backend that ignores mmap_offset reads
    garbage.  file_size (for hostile tests) makes the file shorter than
    the region claims; we map only what exists."""

    def __init__(self, name, gpa, size, uva, mmap_offset=0, file_size=None):
        self.name = name
        self.gpa = gpa
        self.size = size
        self.uva = uva
        self.mmap_offset = mmap_offset
        total = mmap_offset + size
        self.file_size = total if file_size is None else file_size
        self.fd = os.memfd_create("vhostfront-" + name, os.MFD_CLOEXEC)
        self.map = None
        try:
            os.ftruncate(self.fd, self.file_size)
            if min(total, self.file_size) > 0:
                self.map = mmap.mmap(self.fd, min(total, self.file_size))
            n = min(mmap_offset, self.file_size)
            if n:
                self.map[:n] = bytes([POISON]) * n
        except BaseException:
            self.close()
            raise
        self.next = 0           # bump allocator, in region offsets

    def alloc(self, size, align=16):
        off = (self.next + align - 1) // align * align
        if off + size > self.size:
            raise MemoryError("region %s full" % self.name)
        self.next = off + size
        return off

    def gpa_of(self, off):
        return self.gpa + off

    def uva_of(self, off):
        return self.uva + off

    def write(self, off, data):
        assert 0 <= off and off + len(data) <= self.size, (off, len(data))
        start = self.mmap_offset + off
        self.map[start:start + len(data)] = data

    def read(self, off, n):
        assert 0 <= off and off + n <= self.size, (off, n)
        start = self.mmap_offset + off
        return bytes(self.map[start:start + n])

    def fill(self, off, n, byte=0):
        self.write(off, bytes([byte]) * n)

    def wire(self):
        return MEM_REGION.pack(self.gpa, self.size, self.uva, self.mmap_offset)

    def close(self):
        if self.map is not None:
            self.map.close()
            self.map = None
        if self.fd is not None:
            _close_fd(self.fd)
            self.fd = None


def default_regions():
    """Two 1 MiB regions with crossed addresses and a gap between them:
    low:  gpa 0x00100000, uva 0x40000000, mmap_offset 0
    high: gpa 0x40000000, uva 0x00100000, mmap_offset 0x5000
    Nothing lives at gpa 0x00200000..0x40000000 (hole_gpa)."""
    mib = 1 << 20
    return [Region("low", 0x0010_0000, mib, 0x4000_0000, 0),
            Region("high", 0x4000_0000, mib, 0x0010_0000, 0x5000)]


class GuestMemory:
    """The guest RAM as a list of regions, with the two lookups a backend
    must keep apart."""

    HOLE_GPA = 0x0030_0000

    def __init__(self, regions=None):
        self.regions = regions if regions is not None else default_regions()

    def find_gpa(self, addr, n=1):
        for r in self.regions:
            if r.gpa <= addr and addr + n <= r.gpa + r.size:
                return r, addr - r.gpa
        return None

    def find_uva(self, addr, n=1):
        for r in self.regions:
            if r.uva <= addr and addr + n <= r.uva + r.size:
                return r, addr - r.uva
        return None

    def read_gpa(self, addr, n):
        r, off = self.find_gpa(addr, n)
        return r.read(off, n)

    def write_gpa(self, addr, data):
        r, off = self.find_gpa(addr, len(data))
        r.write(off, data)

    def hole_gpa(self):
        """A guest-physical address inside no region."""
        assert self.find_gpa(self.HOLE_GPA) is None
        return self.HOLE_GPA

    def table(self, regions=None):
        """SET_MEM_TABLE payload and fds."""
        regions = self.regions if regions is None else regions
        payload = MEM_HDR.pack(len(regions), 0)
        payload += b"".join(r.wire() for r in regions)
        return payload, [r.fd for r in regions]

    def close(self):
        for r in self.regions:
            r.close()


# ------------------------------------------------------------ virtqueue


class Virtqueue:
    """The driver's side of one split virtqueue.  The ring lives in
    ring_region (addressed by user address in SET_VRING_ADDR); descriptor
    i's buffer lives in buf_regions[i % len] (addressed by guest-physical
    address), so chains cross regions."""

    def __init__(self, mem, index, num=64, bufsize=1024, ring_region=None,
                 buf_regions=None):
        assert num & (num - 1) == 0 and 0 < num <= 32768
        self.mem = mem
        self.index = index
        self.num = num
        self.bufsize = bufsize
        rr = ring_region or mem.regions[-1]
        self.ring_region = rr
        self.desc_off = rr.alloc(16 * num, PAGE)
        self.avail_off = rr.alloc(6 + 2 * num, 2)
        self.used_off = rr.alloc(6 + 8 * num, PAGE)
        bufs = buf_regions or mem.regions
        self.slots = [(bufs[i % len(bufs)],
                       bufs[i % len(bufs)].alloc(bufsize, 16))
                      for i in range(num)]
        self.kick = _eventfd()
        self.call = _eventfd()
        self.err = _eventfd()
        self.masked_call = _eventfd()   # QEMU's masked notifier, at realize
        self.calls = 0                  # call signals seen
        self.stopped_at = None
        self.reset()

    # addresses
    @property
    def desc_uva(self):
        return self.ring_region.uva_of(self.desc_off)

    @property
    def avail_uva(self):
        return self.ring_region.uva_of(self.avail_off)

    @property
    def used_uva(self):
        return self.ring_region.uva_of(self.used_off)

    def slot_gpa(self, i):
        r, off = self.slots[i]
        return r.gpa_of(off)

    def reset(self):
        """Zero the ring and forget every buffer (a driver re-probe)."""
        rr = self.ring_region
        rr.fill(self.desc_off, 16 * self.num)
        rr.fill(self.avail_off, 6 + 2 * self.num)
        rr.fill(self.used_off, 6 + 8 * self.num)
        self.free = list(range(self.num))
        self.avail_idx = 0
        self.last_used = 0
        self.chains = {}        # head -> [(desc, kind, length)]
        self.no_interrupt = False

    # raw access, also for hostile tests
    def set_desc(self, i, addr, length, flags=0, nxt=0):
        self.ring_region.write(self.desc_off + 16 * i,
                               DESC.pack(addr, length, flags, nxt))

    def get_desc(self, i):
        return DESC.unpack(self.ring_region.read(self.desc_off + 16 * i, 16))

    def put_avail(self, head):
        """Make head available without any bookkeeping."""
        slot = self.avail_off + 4 + 2 * (self.avail_idx % self.num)
        self.ring_region.write(slot, U16.pack(head & 0xffff))
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        self.set_avail_idx(self.avail_idx)

    def set_avail_idx(self, idx):
        self.ring_region.write(self.avail_off + 2, U16.pack(idx & 0xffff))

    def set_no_interrupt(self, on):
        self.no_interrupt = on
        self.ring_region.write(self.avail_off,
                               U16.pack(AVAIL_F_NO_INTERRUPT if on else 0))

    def used_idx(self):
        return U16.unpack(self.ring_region.read(self.used_off + 2, 2))[0]

    def used_flags(self):
        return U16.unpack(self.ring_region.read(self.used_off, 2))[0]

    def snapshot(self):
        """The whole ring (descriptors, avail, used) as bytes."""
        rr = self.ring_region
        return (rr.read(self.desc_off, 16 * self.num) +
                rr.read(self.avail_off, 6 + 2 * self.num) +
                rr.read(self.used_off, 6 + 8 * self.num))

    def buffers_snapshot(self):
        return b"".join(r.read(off, self.bufsize) for r, off in self.slots)

    # driver operations
    def add(self, pieces):
        """Build a chain from pieces, each ("r", bytes) for a device-
        readable buffer or ("w", n) for a device-writable one of n bytes.
        Returns the head, or None when too few descriptors are free."""
        if not pieces or len(pieces) > len(self.free):
            return None
        descs = [self.free.pop(0) for _ in pieces]
        chain = []
        for k, (kind, what) in enumerate(pieces):
            d = descs[k]
            r, off = self.slots[d]
            if kind == "r":
                length, flags = len(what), 0
                assert length <= self.bufsize
                r.write(off, what)
            else:
                length, flags = what, DESC_F_WRITE
                assert length <= self.bufsize
                r.fill(off, length, POISON)
            nxt = 0
            if k + 1 < len(descs):
                flags |= DESC_F_NEXT
                nxt = descs[k + 1]
            self.set_desc(d, r.gpa_of(off), length, flags, nxt)
            chain.append((d, kind, length))
        self.chains[descs[0]] = chain
        return descs[0]

    def publish(self, head):
        self.put_avail(head)

    def notify(self, force=False):
        """Kick, unless the device asked for no notifications."""
        if force or not self.used_flags() & USED_F_NO_NOTIFY:
            os.eventfd_write(self.kick, 1)
            return True
        return False

    def take_call(self):
        try:
            os.eventfd_read(self.call)
        except BlockingIOError:
            return False
        self.calls += 1
        return True

    def pending_used(self):
        return (self.used_idx() - self.last_used) & 0xffff

    def harvest(self):
        """Take every newly used buffer: [(head, len, written bytes)]."""
        idx = self.used_idx()
        n = (idx - self.last_used) & 0xffff
        if n > len(self.chains):
            raise ProtocolError(
                "vq %d: used idx moved from %d to %d with %d buffers out" %
                (self.index, self.last_used, idx, len(self.chains)))
        out = []
        for k in range(n):
            slot = self.used_off + 4 + 8 * ((self.last_used + k) % self.num)
            head, length = USED_ELEM.unpack(self.ring_region.read(slot, 8))
            chain = self.chains.pop(head, None)
            if chain is None:
                raise ProtocolError("vq %d: used id %d was not available" %
                                    (self.index, head))
            room = sum(ln for _, kind, ln in chain if kind == "w")
            if room and length > room:
                raise ProtocolError("vq %d: used len %d > buffer's %d" %
                                    (self.index, length, room))
            data = bytearray()
            left = length if room else 0
            for d, kind, ln in chain:
                if kind == "w" and left > 0:
                    r, off = self.slots[d]
                    take = min(ln, left)
                    data += r.read(off, take)
                    left -= take
                self.free.append(d)
            out.append((head, length, bytes(data)))
        self.last_used = idx
        return out

    def close(self):
        for name in ("kick", "call", "err", "masked_call"):
            _close_fd(getattr(self, name))
            setattr(self, name, None)


# ------------------------------------------------------------- frontend


class Frontend:
    """One vhost-user frontend connection to a console backend.

    Frontend(path) connects (retrying until connect_timeout while the
    socket is not there yet), plays QEMU's realize sequence (init) and
    its DRIVER_OK sequence (start), and posts rx_buffers input buffers.
    setup=False leaves a bare connection for hand-made messages;
    start=False stops after init (config space usable, no rings).

    need_reply sets NEED_REPLY on every message without a reply of its
    own (when REPLY_ACK was negotiated) and checks the status.  ack is
    the virtio features the guest acks (bit 30 is added as QEMU does).
    """

    def __init__(self, path, *, setup=True, start=True, need_reply=True,
                 ack=LINUX_DRIVER_FEATURES, protocol_mask=PROTOCOL_SUPPORTED,
                 num=64, bufsize=1024, rx_buffers=16, rx_bufsize=64,
                 auto_repost=True, read_backend=True, connect_timeout=10,
                 reply_timeout=5, mem=None, ports=1, auto_ctl=True):
        self.path = path
        self.nports = ports
        self.auto_ctl = auto_ctl        # answer PORT_ADD, CONSOLE_PORT
        self.multiport = False          # MULTIPORT acked
        self.ctl_log = []               # (id, event, value, extra) got
        self.port_state = {p: {"ready": False, "console": False,
                               "name": None, "host_open": None,
                               "size": None, "guest_open": False}
                           for p in range(ports)}
        self.port_rx = {p: bytearray() for p in range(ports)}
        self.discarded = {p: bytearray() for p in range(ports)}
        self.need_reply = need_reply
        self.ack = ack
        self.protocol_mask = protocol_mask
        self.rx_buffers = rx_buffers
        self.rx_bufsize = rx_bufsize
        self.auto_repost = auto_repost
        self.read_backend = read_backend
        self.reply_timeout = reply_timeout
        self.closed = False
        self.sock = None
        self.backend_sock = None
        self._thread = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self.features = None            # offered by the backend
        self.protocol_offered = None
        self.protocol = 0               # negotiated
        self.acked = None               # sent in SET_FEATURES
        self.queue_num = None
        self.last_config = None
        self.config_changes = 0
        self._changes_seen = 0
        self.backend_msgs = []          # (request, flags, payload, nfds)
        self.errors = []                # protocol faults seen in the thread
        self.backend_closed = False
        self.rx_data = self.port_rx[0]
        self._cut = 0
        self.mem = mem or GuestMemory()
        self.vqs = []
        try:
            nvq = 2 * (ports + 1) if ports > 1 else 2
            self.vqs = [Virtqueue(self.mem, i, num, bufsize)
                        for i in range(nvq)]
            self.sock = self._connect(path, connect_timeout)
            if setup:
                self.init()
                if start:
                    self.start()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------ plumbing

    @staticmethod
    def _connect(path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError) as e:
                s.close()
                if time.monotonic() > deadline:
                    raise Timeout("cannot connect to %s: %s" % (path, e))
                time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_msg(self, req, payload=b"", fds=(), flags=VERSION, size=None):
        """Send one message as given: size overrides the header's size
        field (for malformed messages); fds go as SCM_RIGHTS."""
        hdr = HDR.pack(req, flags, len(payload) if size is None else size)
        self.sock.settimeout(self.reply_timeout)
        try:
            if fds:
                data = hdr + payload
                sent = socket.send_fds(self.sock, [data], list(fds))
                if sent < len(data):
                    self.sock.sendall(data[sent:])
            else:
                self.sock.sendall(hdr + payload)
        except socket.timeout:
            raise Timeout("backend does not read its socket")
        except (BrokenPipeError, ConnectionResetError) as e:
            raise BackendGone("sending %s: %s" %
                              (REQUEST_NAMES.get(req, req), e))

    def _recv_exact(self, sock, n, deadline, what):
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no reply to %s" % what)
            sock.settimeout(left)
            try:
                chunk = sock.recv(n - len(buf))
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise BackendGone("backend closed the connection (%s)" %
                                  what)
            buf += chunk
        return bytes(buf)

    def recv_msg(self, timeout=None, what="a message"):
        """One message from the backend: (request, flags, payload)."""
        deadline = time.monotonic() + (timeout or self.reply_timeout)
        req, flags, size = HDR.unpack(
            self._recv_exact(self.sock, HDR.size, deadline, what))
        if size > MAX_PAYLOAD:
            raise ProtocolError("%s: reply size %d" % (what, size))
        return req, flags, self._recv_exact(self.sock, size, deadline, what)

    def request(self, req, payload=b"", fds=(), flags=VERSION):
        """Send and wait for the reply to this request; its payload."""
        name = REQUEST_NAMES.get(req, str(req))
        self.send_msg(req, payload, fds, flags)
        rreq, rflags, rpayload = self.recv_msg(what=name)
        if rreq != req:
            raise ProtocolError("%s answered by request %d" % (name, rreq))
        if rflags != VERSION | FLAG_REPLY:
            raise ProtocolError("%s reply flags 0x%x, not 0x5" %
                                (name, rflags))
        return rpayload

    def request_u64(self, req):
        p = self.request(req)
        if len(p) != 8:
            raise ProtocolError("%s reply of %d bytes" %
                                (REQUEST_NAMES[req], len(p)))
        return U64.unpack(p)[0]

    @property
    def acking(self):
        return bool(self.need_reply and self.protocol & PROTOCOL_F_REPLY_ACK)

    def set(self, req, payload=b"", fds=(), need_reply=None):
        """A message without a reply of its own; with NEED_REPLY, wait for
        the status and raise unless it is 0."""
        want = self.acking if need_reply is None else need_reply
        self.send_msg(req, payload, fds,
                      VERSION | (FLAG_NEED_REPLY if want else 0))
        if want:
            status = self.request_status(req)
            if status != 0:
                raise ProtocolError("%s: status %d" %
                                    (REQUEST_NAMES.get(req, req), status))

    def request_status(self, req):
        name = REQUEST_NAMES.get(req, str(req))
        rreq, rflags, p = self.recv_msg(what=name)
        if rreq != req or rflags != VERSION | FLAG_REPLY or len(p) != 8:
            raise ProtocolError("bad ack to %s: req %d flags 0x%x size %d" %
                                (name, rreq, rflags, len(p)))
        return U64.unpack(p)[0]

    def sync(self):
        """A round trip: every message sent before is processed."""
        self.request_u64(GET_FEATURES)

    # ---------------------------------------------------- QEMU's part

    def init(self):
        """What QEMU sends at realize (or on connect)."""
        self.features = self.request_u64(GET_FEATURES)
        if self.features & VHOST_USER_F_PROTOCOL_FEATURES:
            self.protocol_offered = self.request_u64(GET_PROTOCOL_FEATURES)
            proto = self.protocol_offered & self.protocol_mask
            # No NEED_REPLY here: REPLY_ACK is not agreed until it is set.
            self.set(SET_PROTOCOL_FEATURES, U64.pack(proto), need_reply=False)
            self.protocol = proto
        if self.protocol & PROTOCOL_F_MQ:
            self.queue_num = self.request_u64(GET_QUEUE_NUM)
            if self.queue_num < len(self.vqs):
                raise ProtocolError("GET_QUEUE_NUM = %d" % self.queue_num)
        if self.protocol & PROTOCOL_F_BACKEND_REQ:
            ours, theirs = socket.socketpair(socket.AF_UNIX,
                                             socket.SOCK_STREAM)
            try:
                self.set(SET_BACKEND_REQ_FD, b"", [theirs.fileno()])
            finally:
                theirs.close()
            self.backend_sock = ours
            if self.read_backend:
                self._thread = threading.Thread(target=self._backend_loop,
                                                daemon=True)
                self._thread.start()
        self.set(SET_OWNER)
        self.features = self.request_u64(GET_FEATURES)
        for vq in self.vqs:
            self.set(SET_VRING_CALL, U64.pack(vq.index), [vq.masked_call])
            self.set(SET_VRING_ERR, U64.pack(vq.index), [vq.err])
        if self.protocol & PROTOCOL_F_CONFIG:
            self.config()

    def start(self, base=0):
        """DRIVER_OK: features, memory, every ring, enable; then post
        input buffers as the driver does at probe."""
        acked = self.ack & self.features
        if self.features & VHOST_USER_F_PROTOCOL_FEATURES:
            acked |= VHOST_USER_F_PROTOCOL_FEATURES
        self.set(SET_FEATURES, U64.pack(acked))
        self.acked = acked
        self.set(SET_MEM_TABLE, *self.mem.table())
        for vq in self.vqs:
            self.start_ring(vq.index, base, enable=False, kick=False)
        if acked & VHOST_USER_F_PROTOCOL_FEATURES:
            for vq in self.vqs:
                self.enable_ring(vq.index, True)
        if not self.acking:
            self.sync()
        self.multiport = bool(acked & VIRTIO_CONSOLE_F_MULTIPORT) and \
            self.nports > 1
        if self.multiport:
            # Linux posts a port's buffers when the device adds it.
            self.post_rx(self.vqs[CTL_RX_Q].num, size=128, port=None)
            self.ctl_send(BAD_ID, DEVICE_READY, 1)
        elif self.rx_buffers:
            self.post_rx(self.rx_buffers)

    # ------------------------------------------- the control queue

    def ctl_send(self, port, event, value, raw=None, timeout=5):
        """The driver's control message (or raw bytes), waiting until the
        device gives the buffer back: Linux spins until it does."""
        vq = self.vqs[CTL_TX_Q]
        data = raw if raw is not None else CTL.pack(port, event, value)
        head = vq.add([("r", data)])
        if head is None:
            raise Timeout("no free control descriptor")
        vq.publish(head)
        vq.notify()
        deadline = time.monotonic() + timeout
        while head in vq.chains:
            if not self._wait_used(vq, deadline - time.monotonic()):
                raise Timeout("device held a control buffer for %.1f s" %
                              timeout)

    def pump_ctl(self, timeout=0):
        """Control messages from the device for up to timeout seconds,
        acted on as Linux does; how many came."""
        vq = self.vqs[CTL_RX_Q]
        got = self._wait_used(vq, timeout)
        for _, length, data in got:
            self._ctl_msg(data[:length])
        if got:
            self.post_rx(len(got), size=128, port=None)
        return len(got)

    def _ctl_msg(self, data):
        if len(data) < CTL.size:
            self.ctl_log.append((None, None, None, data))
            return
        pid, event, value = CTL.unpack_from(data)
        extra = data[CTL.size:]
        self.ctl_log.append((pid, event, value, extra))
        st = self.port_state.get(pid)
        if st is None:
            return              # Linux: "Invalid index" (or > max)
        if event == PORT_ADD:
            if not st["ready"] and self.auto_ctl:
                self.post_rx(self.rx_buffers, port=pid)
            if self.auto_ctl:
                st["ready"] = True
                self.ctl_send(pid, PORT_READY, 1)
        elif not st["ready"]:
            return              # Linux drops it: no such port yet
        elif event == CONSOLE_PORT and value and not st["console"]:
            st["console"] = True
            st["guest_open"] = True
            if self.auto_ctl:
                self.ctl_send(pid, PORT_OPEN, 1)
        elif event == PORT_NAME and st["name"] is None:
            st["name"] = extra.decode("utf-8", "replace")
        elif event == PORT_OPEN:
            st["host_open"] = bool(value)
        elif event == RESIZE and len(extra) >= 4:
            st["size"] = struct.unpack_from("<HH", extra)

    def wait_ctl(self, pred, timeout=10, what="control messages"):
        """Pump control messages until pred() holds."""
        deadline = time.monotonic() + timeout
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("%s: got %r" % (what, self.ctl_log))
            self.pump_ctl(min(left, 0.1))

    def handshake(self, timeout=10):
        """Until every port is ready, named if it is to be, and told open
        or sized as the device says: no message for 0.3 s after every
        port is ready."""
        self.wait_ctl(lambda: all(st["ready"] for st in
                                  self.port_state.values()), timeout,
                      "every port ready")
        while self.pump_ctl(0.3):
            pass

    def open_port(self, port):
        """A program in the guest opens the port (port_fops_open)."""
        self.port_state[port]["guest_open"] = True
        self.ctl_send(port, PORT_OPEN, 1)

    def close_port(self, port):
        self.port_state[port]["guest_open"] = False
        self.ctl_send(port, PORT_OPEN, 0)

    def start_ring(self, n, base=0, enable=True, kick=True, new_kick=False):
        """SET_VRING_NUM, BASE, ADDR, KICK, CALL for ring n (QEMU's
        vhost_virtqueue_start order), then ENABLE and a kick for
        buffers made available meanwhile."""
        vq = self.vqs[n]
        if new_kick:
            _close_fd(vq.kick)
            vq.kick = _eventfd()
        self.set(SET_VRING_NUM, VRING_STATE.pack(n, vq.num))
        self.set(SET_VRING_BASE, VRING_STATE.pack(n, base))
        self.set(SET_VRING_ADDR, VRING_ADDR.pack(
            n, 0, vq.desc_uva, vq.used_uva, vq.avail_uva, 0))
        self.set(SET_VRING_KICK, U64.pack(n), [vq.kick])
        self.set(SET_VRING_CALL, U64.pack(n), [vq.call])
        vq.stopped_at = None
        if enable and self.acked & VHOST_USER_F_PROTOCOL_FEATURES:
            self.enable_ring(n, True)
        if kick:
            if not self.acking:
                self.sync()
            vq.notify(force=True)

    def enable_ring(self, n, on):
        self.set(SET_VRING_ENABLE, VRING_STATE.pack(n, 1 if on else 0))

    def stop_ring(self, n):
        """GET_VRING_BASE: the ring stops; returns the next avail index
        the device would have read."""
        p = self.request(GET_VRING_BASE, VRING_STATE.pack(n, 0))
        if len(p) != VRING_STATE.size:
            raise ProtocolError("GET_VRING_BASE reply of %d bytes" % len(p))
        index, num = VRING_STATE.unpack(p)
        if index != n:
            raise ProtocolError("GET_VRING_BASE(%d) answered for ring %d" %
                                (n, index))
        self.vqs[n].stopped_at = num
        return num

    def restart_ring(self, n, base=None, new_kick=False):
        vq = self.vqs[n]
        self.start_ring(n, vq.stopped_at if base is None else base,
                        new_kick=new_kick)

    def set_call(self, n):
        """A new call eventfd for ring n, as QEMU does on mask/unmask;
        the old one is closed once the backend has it."""
        vq = self.vqs[n]
        new = _eventfd()
        self.set(SET_VRING_CALL, U64.pack(n), [new])
        if not self.acking:
            self.sync()
        old, vq.call = vq.call, new
        _close_fd(old)

    def reboot(self):
        """The guest resets the device and probes again: every ring
        stopped, rings zeroed, DRIVER_OK sequence again from index 0."""
        for vq in self.vqs:
            self.stop_ring(vq.index)
        for vq in self.vqs:
            vq.reset()
        for p, st in self.port_state.items():
            self.port_rx[p].clear()
            st.update(ready=False, console=False, name=None,
                      host_open=None, size=None, guest_open=False)
        self.start()

    # config space
    def config_raw(self, offset=0, size=CONFIG_SIZE, flags=0, data=None):
        """GET_CONFIG as given; the reply's payload, unchecked."""
        body = bytes(size) if data is None else data
        return self.request(GET_CONFIG,
                            CONFIG_HDR.pack(offset, size, flags) + body)

    def config(self):
        """GET_CONFIG(0, 12) as QEMU sends it when the guest reads."""
        p = self.config_raw(0, CONFIG_SIZE, 0)
        if len(p) != CONFIG_HDR.size + CONFIG_SIZE:
            raise ProtocolError("GET_CONFIG reply of %d bytes" % len(p))
        if CONFIG_HDR.unpack_from(p) != (0, CONFIG_SIZE, 0):
            raise ProtocolError("GET_CONFIG reply header %r" %
                                (CONFIG_HDR.unpack_from(p),))
        self.last_config = ConsoleConfig(
            *CONSOLE_CONFIG.unpack_from(p, CONFIG_HDR.size))
        return self.last_config

    def set_config(self, offset, data, flags=0):
        self.set(SET_CONFIG, CONFIG_HDR.pack(offset, len(data), flags) + data)

    def emerg_write(self, ch, style="qemu"):
        """One character through emerg_wr.  "qemu": the generic device
        reads config and writes all of it back, SET_CONFIG(0, 12);
        "uml": virtio_uml writes just the field, SET_CONFIG(8, 4)."""
        c = ch[0] if isinstance(ch, (bytes, bytearray)) else (
            ord(ch) if isinstance(ch, str) else int(ch))
        if style == "qemu":
            cfg = self.config()
            self.set_config(0, CONSOLE_CONFIG.pack(
                cfg.cols, cfg.rows, cfg.max_nr_ports, c))
        elif style == "uml":
            self.set_config(8, struct.pack("<I", c))
        else:
            raise ValueError(style)

    # backend channel
    def _backend_loop(self):
        buf = bytearray()
        sock = self.backend_sock
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([sock], [], [], 0.05)
            except (OSError, ValueError):
                break
            if not r:
                continue
            try:
                data, fds, _, _ = socket.recv_fds(sock, 65536, MAX_FDS)
            except OSError:
                data, fds = b"", []
            for fd in fds:
                _close_fd(fd)
            if not data:
                with self._cond:
                    self.backend_closed = True
                    self._cond.notify_all()
                return
            buf += data
            while len(buf) >= HDR.size:
                req, flags, size = HDR.unpack_from(buf)
                if size > MAX_PAYLOAD:
                    self._fault("backend request %d of size %d" % (req, size))
                    return
                if len(buf) < HDR.size + size:
                    break
                payload = bytes(buf[HDR.size:HDR.size + size])
                del buf[:HDR.size + size]
                self._backend_msg(req, flags, payload, len(fds))
                fds = []

    def _fault(self, what):
        with self._cond:
            self.errors.append(what)
            self._cond.notify_all()

    def _backend_msg(self, req, flags, payload, nfds):
        if flags & 0x3 != VERSION or flags & FLAG_REPLY:
            self._fault("backend request %d with flags 0x%x" % (req, flags))
        if req == BACKEND_CONFIG_CHANGE_MSG:
            if payload:
                self._fault("CONFIG_CHANGE_MSG with %d payload bytes" %
                            len(payload))
            if not self.protocol & PROTOCOL_F_CONFIG:
                self._fault("CONFIG_CHANGE_MSG without F_CONFIG")
        else:
            self._fault("unexpected backend request %d" % req)
        if flags & FLAG_NEED_REPLY:
            if not self.protocol & PROTOCOL_F_REPLY_ACK:
                self._fault("NEED_REPLY without REPLY_ACK")
            try:
                self.backend_sock.sendall(
                    HDR.pack(req, VERSION | FLAG_REPLY, 8) + U64.pack(0))
            except OSError:
                pass
        with self._cond:
            self.backend_msgs.append((req, flags, payload, nfds))
            if req == BACKEND_CONFIG_CHANGE_MSG:
                self.config_changes += 1
            self._cond.notify_all()

    def wait_config_change(self, timeout=5):
        """True when a CONFIG_CHANGE_MSG came since the last call."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.config_changes <= self._changes_seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            self._changes_seen = self.config_changes
            return True

    # ------------------------------------------------- the driver's part

    def _wait_used(self, vq, timeout):
        """Newly used buffers of vq, waiting up to timeout for the call
        eventfd (or polling, with NO_INTERRUPT).  [] on timeout; a used
        ring that moved without a call is a ProtocolError."""
        deadline = time.monotonic() + timeout
        while True:
            if vq.no_interrupt:
                if vq.pending_used():
                    return vq.harvest()
            elif vq.take_call():
                got = vq.harvest()
                if got:
                    return got
            left = deadline - time.monotonic()
            if left <= 0:
                if not vq.no_interrupt and vq.pending_used():
                    raise ProtocolError(
                        "vq %d: used ring moved but call was not signalled" %
                        vq.index)
                return []
            if vq.no_interrupt:
                time.sleep(min(left, 0.01))
            else:
                select.select([vq.call], [], [], left)

    def _pieces(self, data, split):
        """Cut data into up to split pieces of varied sizes."""
        if split <= 1 or len(data) < split:
            return [data]
        self._cut += 1
        cuts = [1 + self._cut % 7]
        step = max(1, (len(data) - cuts[0]) // (split - 1))
        for _ in range(split - 2):
            cuts.append(min(len(data) - 1, cuts[-1] + step + self._cut % 5))
        cuts = sorted(set(c for c in cuts if 0 < c < len(data)))
        out, prev = [], 0
        for c in cuts:
            out.append(data[prev:c])
            prev = c
        out.append(data[prev:])
        return out

    def write(self, data, chunk=512, split=3, wait=True, timeout=10,
              kick_each=False, port=0):
        """Guest output: data in chains of up to split descriptors, chunk
        bytes per chain.  With wait, returns once the device has given
        every buffer back (Linux's hvc spins until it does)."""
        vq = self.vqs[tx_ring(port)]
        assert chunk <= vq.bufsize
        deadline = time.monotonic() + timeout
        pos = 0
        while pos < len(data):
            piece = data[pos:pos + chunk]
            head = vq.add([("r", p) for p in self._pieces(piece, split)])
            if head is None:
                vq.notify()
                if not self._wait_used(vq, deadline - time.monotonic()):
                    raise Timeout("device holds %d tx buffers" %
                                  len(vq.chains))
                continue
            vq.publish(head)
            pos += len(piece)
            if kick_each:
                vq.notify()
        vq.notify()
        if wait:
            self.flush(deadline - time.monotonic(), port)

    def flush(self, timeout=10, port=0):
        """Wait until every tx buffer is back."""
        vq = self.vqs[tx_ring(port)]
        deadline = time.monotonic() + timeout
        while vq.chains:
            if not self._wait_used(vq, deadline - time.monotonic()):
                raise Timeout("device held %d tx buffers for %.1f s" %
                              (len(vq.chains), timeout))

    def post_rx(self, count=None, size=None, port=0):
        """Post count input buffers (alternately one descriptor and a
        chain of two) and kick; port None: the control receiveq.
        Returns how many were posted."""
        vq = self.vqs[CTL_RX_Q if port is None else rx_ring(port)]
        size = size or self.rx_bufsize
        count = self.rx_buffers if count is None else count
        posted = 0
        for _ in range(count):
            if size > 1 and (vq.avail_idx & 1):
                a = max(1, size // 3)
                pieces = [("w", a), ("w", size - a)]
            else:
                pieces = [("w", size)]
            head = vq.add(pieces)
            if head is None:
                break
            vq.publish(head)
            posted += 1
        if posted:
            vq.notify()
        return posted

    def poll_rx(self, timeout=0, port=0):
        """Collect filled input buffers for up to timeout seconds,
        reposting them; returns how many came back.  With MULTIPORT,
        input for a port the guest has not opened is discarded, as
        Linux does (kept in discarded for the tests)."""
        vq = self.vqs[rx_ring(port)]
        got = self._wait_used(vq, timeout)
        st = self.port_state[port]
        for _, _, data in got:
            if self.multiport and not st["guest_open"]:
                self.discarded[port] += data
            else:
                self.port_rx[port] += data
        if got and self.auto_repost:
            self.post_rx(len(got), port=port)
        return len(got)

    def read(self, n, timeout=15, port=0):
        """Up to n bytes of input the device put in port's rx buffers,
        waiting until n have come or timeout (pumping control messages
        meanwhile, with MULTIPORT)."""
        deadline = time.monotonic() + timeout
        buf = self.port_rx[port]
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if self.multiport:
                self.pump_ctl(0)
                self.poll_rx(min(left, 0.05), port)
            elif not self.poll_rx(left, port):
                break
        out = bytes(buf[:n])
        del buf[:n]
        return out

    # -------------------------------------------------------- teardown

    def close(self):
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for s in (self.sock, self.backend_sock):
            if s is not None:
                s.close()
        for vq in self.vqs:
            vq.close()
        self.mem.close()
