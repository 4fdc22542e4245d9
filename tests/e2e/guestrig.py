"""guestrig: boot small QEMU guests (TCG) built from Debian packages, for ttyhub's e2e tests.

The guest is a Debian kernel plus an uncompressed initramfs holding busybox-static, a few
kernel modules (virtio, virtio_net, virtio_console, e1000, ...) and a generated /init.
Everything is cached under $TTYHUB_E2E_CACHE (default ~/.cache/ttyhub-e2e).

Typical use (see README.md in this directory for the full interface):

    rig = Rig()
    initrd = rig.initramfs(files={"/bin/ttyhubd": "build/ttyhubd-static"})
    with Guest(rig, initrd, virtconsole=True) as g:      # boots, waits for the ready marker
        r = g.run("uname -r")                             # runs on the ttyS0 shell
        print(r.status, r.output)
        port = g.fwd[23]                                  # host port forwarded to guest :23

Only loopback addresses are used on the host side. Every wait is bounded.
"""

import base64
import ctypes
import fcntl
import glob
import hashlib
import json
import lzma
import os
import re
import secrets
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ttyhubtest import free_port, module_bytes  # noqa: E402,F401

READY_MARKER = "TTYHUB-GUEST-READY"

# Modules loaded by /init. Dependencies found in each module's .modinfo are added and the
# whole set is loaded in dependency order.
DEFAULT_MODULES = (
    "virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
    "failover", "net_failover", "virtio_net", "virtio_console", "e1000",
)

# Kernel command line common to every boot. quiet keeps printk off the console that tests
# read; panic=-1 together with QEMU's -no-reboot turns a guest panic into a QEMU exit.
BASE_CMDLINE = ("console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init "
                "i8042.noaux i8042.nokbd i8042.nopnp tsc=reliable no_timer_check "
                "mitigations=off random.trust_cpu=on")

USER_MAC = "52:54:00:12:34:56"
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_INITRAMFS_FORMAT = 4          # bump when the generated layout changes
_KERNEL_FORMAT = 1             # bump when the kernel preparation changes
_KEEP_INITRAMFS = 24           # cached initramfs images kept (newest first)


class RigError(Exception):
    """Something in the rig itself (cache, download, QEMU start) went wrong."""


class GuestError(Exception):
    """A guest did not behave: did not boot, did not answer, died."""


def default_cache_dir():
    d = os.environ.get("TTYHUB_E2E_CACHE")
    if d:
        return os.path.abspath(d)
    return os.path.join(os.path.expanduser("~"), ".cache", "ttyhub-e2e")


def _listening_inodes(ports):
    """Socket inodes of 127.0.0.1 TCP listeners on these ports."""
    want = {"0100007F:%04X" % p for p in ports}
    inodes = set()
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] in want and fields[3] == "0A":     # LISTEN
                    inodes.add(fields[9])
    except OSError:
        pass
    return inodes


def _fd_inodes(pid):
    """Socket inodes among a process's open files."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        pass
    return inodes


def _run(argv, cwd=None, timeout=600):
    p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise RigError("%s failed (exit %d): %s" % (" ".join(argv), p.returncode,
                                                   p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


def _atomic_write(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# ELF helpers: .modinfo of a kernel module, notes of the kernel image

def _elf_sections(data):
    """Yield (name, offset, size, type) of every section of a 64-bit little-endian ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise RigError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def sh(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    strtab = sh(shstrndx)
    for i in range(shnum):
        name_off, typ, _fl, _addr, off, size = sh(i)[:6]
        start = strtab[4] + name_off
        name = data[start:data.index(b"\0", start)].decode()
        yield name, off, size, typ


def modinfo(data):
    """The .modinfo key=value pairs of a (decompressed) module, as a dict of lists."""
    info = {}
    for name, off, size, _typ in _elf_sections(data):
        if name == ".modinfo":
            for item in data[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode(errors="replace").split("=", 1)
                    info.setdefault(k, []).append(v)
    return info


def elf_has_pvh_note(data):
    """True if the ELF has XEN_ELFNOTE_PHYS32_ENTRY (18): QEMU can boot it via PVH."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _fl, off, _va, _pa, filesz = struct.unpack_from("<IIQQQQ", data,
                                                                phoff + i * phentsize)
        if p_type != 4:                      # PT_NOTE
            continue
        pos, end = off, off + filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


def _zstd_decompress(blob):
    p = subprocess.run(["zstd", "-dc", "-q"], input=blob, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    # zstd stops with an error at trailing garbage but has written the frame by then
    return p.stdout


def extract_vmlinux(bzimage):
    """Find the compressed payload inside a bzImage and return the decompressed ELF kernel.

    Same idea as the kernel's scripts/extract-vmlinux: look for each compression magic and
    try to decompress from there until the result is an ELF image.
    """
    tried = []
    for magic, kind in ((b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip"),
                        (b"\x28\xb5\x2f\xfd", "zstd")):
        pos = bzimage.find(magic)
        while pos >= 0 and len(tried) < 64:
            tried.append((kind, pos))
            try:
                if kind == "xz":
                    out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(bzimage[pos:])
                elif kind == "gzip":
                    out = zlib.decompressobj(wbits=31).decompress(bzimage[pos:])
                else:
                    out = _zstd_decompress(bzimage[pos:])
            except (lzma.LZMAError, zlib.error, OSError, EOFError, subprocess.SubprocessError):
                out = b""
            if out[:4] == b"\x7fELF":
                return out, kind
            pos = bzimage.find(magic, pos + 1)
    raise RigError("no decompressible ELF payload found in bzImage (tried %s)" % tried[:8])


# ---------------------------------------------------------------------------------------------
# cpio newc writer

class _Cpio:
    def __init__(self):
        self.parts = []
        self.ino = 1000
        self.seen = set()

    def _add(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        self.ino += 1
        nameb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data),
            0, 0, rdev[0], rdev[1], len(nameb), 0))
        rec = hdr.encode() + nameb
        rec += b"\0" * (-len(rec) % 4)
        rec += data + b"\0" * (-len(data) % 4)
        self.parts.append(rec)

    def dir(self, name, mode=0o755):
        d = name.strip("/")
        if d and d not in self.seen:
            self.parent(d)
            self.seen.add(d)
            self._add(d, stat.S_IFDIR | mode)

    def parent(self, name):
        head = os.path.dirname(name.strip("/"))
        if head:
            self.dir(head)

    def file(self, name, data, mode=0o644):
        self.parent(name)
        self._add(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self.parent(name)
        self._add(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self.parent(name)
        self._add(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def finish(self):
        self._add("TRAILER!!!", 0)
        out = b"".join(self.parts)
        return out + b"\0" * (-len(out) % 512)


# ---------------------------------------------------------------------------------------------
# The rig: cache, kernel, initramfs

class Kernel:
    def __init__(self, version, package, root):
        self.version = version            # e.g. 6.1.0-56-amd64
        self.package = package            # e.g. linux-image-6.1.0-56-amd64
        self.root = root                  # unpacked package
        self.bzimage = os.path.join(root, "boot", "vmlinuz-" + version)
        self.vmlinux = os.path.join(os.path.dirname(root), "vmlinux")
        self.moddir = os.path.join(root, "lib", "modules", version)
        meta = json.load(open(os.path.join(os.path.dirname(root), "meta.json")))
        self.pvh = meta["pvh"]            # False: vmlinux cannot be booted with -kernel
        self.compression = meta["compression"]
        self._index = None

    def boot_image(self, kind="auto"):
        """The file to give QEMU's -kernel: "vmlinux" (uncompressed, PVH) or "bzimage"."""
        if kind == "bzimage" or (kind == "auto" and not self.pvh):
            return self.bzimage
        if kind in ("vmlinux", "auto"):
            if not self.pvh:
                raise RigError("kernel %s has no PVH note; boot the bzImage" % self.version)
            return self.vmlinux
        raise ValueError("kernel kind must be auto, vmlinux or bzimage")

    def module_path(self, name):
        if self._index is None:
            self._index = {}
            for d, _sub, files in os.walk(os.path.join(self.moddir, "kernel")):
                for fn in files:
                    m = re.match(r"(.+)\.ko(\.xz|\.gz|\.zst)?$", fn)
                    if m:
                        self._index[m.group(1).replace("-", "_")] = os.path.join(d, fn)
        try:
            return self._index[name.replace("-", "_")]
        except KeyError:
            raise RigError("module %s not found under %s (built in? see modules.builtin)"
                           % (name, self.moddir)) from None

    def resolve_modules(self, names):
        """[(name, decompressed bytes)] for names plus dependencies, in load order."""
        builtin = set()
        bpath = os.path.join(self.moddir, "modules.builtin")
        if os.path.exists(bpath):
            for line in open(bpath):
                builtin.add(os.path.basename(line.strip()).split(".ko")[0].replace("-", "_"))
        order, blobs, visiting = [], {}, set()

        def visit(name, chain):
            name = name.replace("-", "_")
            if name in blobs or name in builtin:
                return
            if name in visiting:
                raise RigError("module dependency cycle: %s" % " -> ".join(chain + [name]))
            visiting.add(name)
            data = module_bytes(self.module_path(name))
            if data is None:
                raise RigError("cannot decompress %s (is zstd installed?)" %
                               self.module_path(name))
            for dep in ",".join(modinfo(data).get("depends", [""])).split(","):
                if dep:
                    visit(dep, chain + [name])
            visiting.discard(name)
            blobs[name] = data
            order.append(name)

        for n in names:
            visit(n, [])
        return [(n, blobs[n]) for n in order]


class Rig:
    """Owns the cache: the kernel package, its boot images and modules, built initramfs."""

    def __init__(self, cache_dir=None, log=None):
        self.cache = cache_dir or default_cache_dir()
        self.log = log or (lambda msg: None)
        os.makedirs(self.cache, exist_ok=True)
        self._kernel = None

    # -- locking so that two concurrent test runs do not build the same thing twice
    def _locked(self):
        class _L:
            def __enter__(s):
                s.f = open(os.path.join(self.cache, ".lock"), "w")
                deadline = time.monotonic() + 900
                while True:
                    try:
                        fcntl.flock(s.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return s
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise RigError("cache lock %s held for 15 min" % self.cache)
                        time.sleep(0.5)
            def __exit__(s, *a):
                fcntl.flock(s.f, fcntl.LOCK_UN)
                s.f.close()
        return _L()

    def kernel_package(self):
        """The versioned package linux-image-amd64 depends on (or $TTYHUB_E2E_KERNEL_PKG)."""
        pkg = os.environ.get("TTYHUB_E2E_KERNEL_PKG")
        if pkg:
            return pkg
        try:
            out = _run(["apt-cache", "depends", "linux-image-amd64"], timeout=60)
        except (RigError, OSError) as e:
            out = ""
            err = str(e)
        else:
            err = "no Depends line"
        m = re.search(r"Depends:\s*(linux-image-[0-9][^\s]*-amd64)", out)
        if m:
            return m.group(1)
        cached = sorted(glob.glob(os.path.join(self.cache, "kernel", "linux-image-*", ".done")))
        if cached:
            return os.path.basename(os.path.dirname(cached[-1]))
        raise RigError("cannot find the kernel package: `apt-cache depends linux-image-amd64` "
                       "gave nothing usable (%s). Run `apt-get update` first." % err)

    def kernel(self):
        if self._kernel:
            return self._kernel
        pkg = self.kernel_package()
        kdir = os.path.join(self.cache, "kernel", pkg)
        done = os.path.join(kdir, ".done")
        with self._locked():
            if not (os.path.exists(done) and open(done).read().strip() == str(_KERNEL_FORMAT)):
                self._prepare_kernel(pkg, kdir)
                _atomic_write(done, str(_KERNEL_FORMAT).encode())
        version = pkg[len("linux-image-"):]
        self._kernel = Kernel(version, pkg, os.path.join(kdir, "root"))
        return self._kernel

    def _prepare_kernel(self, pkg, kdir):
        debdir = os.path.join(self.cache, "debs")
        os.makedirs(debdir, exist_ok=True)
        debs = glob.glob(os.path.join(debdir, pkg + "_*.deb"))
        if not debs:
            self.log("downloading %s" % pkg)
            t = time.monotonic()
            # the sandbox user _apt cannot write into root's cache dir: download as root
            _run(["apt-get", "download", "-o", "APT::Sandbox::User=root", pkg],
                 cwd=debdir, timeout=900)
            debs = glob.glob(os.path.join(debdir, pkg + "_*.deb"))
            if not debs:
                raise RigError("apt-get download %s produced no .deb in %s" % (pkg, debdir))
            self.log("downloaded in %.1f s" % (time.monotonic() - t))
        deb = sorted(debs)[-1]
        t = time.monotonic()
        if os.path.exists(kdir):
            shutil.rmtree(kdir)
        os.makedirs(kdir)
        root = os.path.join(kdir, "root")
        _run(["dpkg-deb", "-x", deb, root], timeout=600)
        version = pkg[len("linux-image-"):]
        with open(os.path.join(root, "boot", "vmlinuz-" + version), "rb") as f:
            bz = f.read()
        elf, kind = extract_vmlinux(bz)
        pvh = elf_has_pvh_note(elf)
        _atomic_write(os.path.join(kdir, "vmlinux"), elf)
        _atomic_write(os.path.join(kdir, "meta.json"), json.dumps(
            {"package": pkg, "deb": os.path.basename(deb), "compression": kind,
             "pvh": pvh, "vmlinux_size": len(elf), "bzimage_size": len(bz)}).encode())
        self.log("unpacked %s, extracted %s vmlinux (%d MB, pvh=%s) in %.1f s"
                 % (os.path.basename(deb), kind, len(elf) >> 20, pvh, time.monotonic() - t))

    # -- initramfs
    def initramfs(self, files=None, symlinks=None, init_lines=(), scenario=None,
                  modules=DEFAULT_MODULES, busybox="/bin/busybox"):
        """Build (or reuse) an initramfs; returns its path.

        files:      {guest_path: host_path_or_bytes}; host files keep their exec bit.
        symlinks:   {guest_path: target}; replaces busybox applet links of the same name.
        init_lines: shell lines /init runs after networking, before the scenario.
        scenario:   shell script text, run by /init (as `sh /etc/tth/scenario`) before the
                    ready marker; it must return (background long-running daemons with &).
        modules:    module names; dependencies are added, load order is computed.
        """
        k = self.kernel()
        files = dict(files or {})
        symlinks = dict(symlinks or {})
        h = hashlib.sha256()
        h.update(b"fmt%d|%s|" % (_INITRAMFS_FORMAT, k.package.encode()))
        bb = open(busybox, "rb").read()
        h.update(hashlib.sha256(bb).digest())
        extra = {}
        for gp in sorted(files):
            src = files[gp]
            if isinstance(src, (bytes, bytearray)):
                data, mode = bytes(src), 0o755 if gp.startswith(("/bin/", "/sbin/")) else 0o644
            else:
                if not os.path.exists(src):
                    raise RigError("initramfs file %s: host file %s does not exist" % (gp, src))
                data = open(src, "rb").read()
                mode = 0o755 if os.stat(src).st_mode & 0o111 else 0o644
            extra[gp] = (data, mode)
            h.update(b"F%s|%o|" % (gp.encode(), mode) + hashlib.sha256(data).digest())
        for gp in sorted(symlinks):
            h.update(b"L%s|%s|" % (gp.encode(), symlinks[gp].encode()))
        mods = k.resolve_modules(modules)
        for name, data in mods:
            h.update(b"M%s|" % name.encode() + hashlib.sha256(data).digest())
        init = _init_script([n for n, _ in mods], list(init_lines), scenario is not None)
        h.update(init.encode())
        if scenario is not None:
            h.update(b"S" + scenario.encode())
        digest = h.hexdigest()[:20]
        outdir = os.path.join(self.cache, "initramfs")
        os.makedirs(outdir, exist_ok=True)
        out = os.path.join(outdir, digest + ".cpio")
        if os.path.exists(out):
            os.utime(out)
            return out
        t = time.monotonic()
        c = _Cpio()
        for d in ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin",
                  "etc/tth", "proc", "sys", "dev", "tmp", "run", "root", "var/log", "lib/modules"):
            c.dir(d)
        c.chardev("dev/console", 5, 1)
        c.chardev("dev/null", 1, 3, 0o666)
        c.chardev("dev/ttyS0", 4, 64)
        c.file("bin/busybox", bb, 0o755)
        applets = _run([busybox, "--list-full"]).split()
        for a in applets:
            if "/" + a not in symlinks and a != "bin/busybox" and "/" + a not in extra:
                c.symlink(a, "/bin/busybox")
        for name, data in mods:
            c.file("lib/modules/%s.ko" % name, data)
        c.file("init", init.encode(), 0o755)
        c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        c.file("etc/group", b"root:x:0:\ntty:x:5:\n")
        c.file("etc/shells", b"/bin/sh\n")
        c.file("etc/hosts", b"127.0.0.1 localhost\n")
        c.file("etc/profile", ("export PATH=%s\nexport HOME=/root\n"
                               "PS1='\\h:\\w\\$ '\n" % GUEST_PATH).encode())
        if scenario is not None:
            c.file("etc/tth/scenario", scenario.encode(), 0o755)
        for gp, (data, mode) in sorted(extra.items()):
            c.file(gp, data, mode)
        for gp, target in sorted(symlinks.items()):
            c.symlink(gp, target)
        _atomic_write(out, c.finish())
        self.log("built initramfs %s (%d KB) in %.2f s"
                 % (out, os.path.getsize(out) >> 10, time.monotonic() - t))
        self._prune(outdir)
        return out

    def _prune(self, outdir):
        imgs = sorted(glob.glob(os.path.join(outdir, "*.cpio")), key=os.path.getmtime,
                      reverse=True)
        for old in imgs[_KEEP_INITRAMFS:]:
            try:
                os.unlink(old)
            except OSError:
                pass


def _init_script(modules, init_lines, has_scenario):
    """The guest's /init: mounts, modules, network, scenario, marker, then busybox init."""
    lines = [
        "#!/bin/sh",
        "export PATH=%s HOME=/root TERM=vt100" % GUEST_PATH,
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        "mkdir -p /dev/pts /dev/shm",
        "mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts",
        "mount -t tmpfs -o mode=1777 tmpfs /tmp",
        "mount -t tmpfs tmpfs /run",
        "hostname guest",
        "for m in %s; do" % " ".join(modules),
        "  insmod /lib/modules/$m.ko || echo \"tth-init: insmod $m failed\"",
        "done",
        # parameters from the kernel command line: tth.<key>=<value>
        "for w in $(cat /proc/cmdline); do",
        "  case $w in tth.*=*) k=${w%%=*}; k=${k#tth.}; eval \"TTH_$k=\\${w#*=}\";; esac",
        "done",
        "ip link set lo up",
        # name the NICs by MAC: tth.nic<N>=<mac>,<addr/len> (N=0 is the user-net NIC)
        "n=0",
        "while [ $n -lt 8 ]; do",
        "  eval spec=\\$TTH_nic$n",
        "  if [ -n \"$spec\" ]; then",
        "    mac=${spec%%,*}; addr=${spec#*,}",
        "    for d in /sys/class/net/*; do",
        "      if [ \"$(cat $d/address)\" = \"$mac\" ]; then",
        "        ip link set ${d##*/} name tthnic$n; break",
        "      fi",
        "    done",
        "  fi",
        "  n=$((n+1))",
        "done",
        "for d in /sys/class/net/tthnic*; do",
        "  [ -e \"$d\" ] || continue",
        "  n=${d##*/tthnic}; ip link set tthnic$n name eth$n",
        "  eval spec=\\$TTH_nic$n; addr=${spec#*,}",
        "  [ \"$addr\" != none ] && ip addr add $addr dev eth$n",
        "  ip link set eth$n up",
        "done",
        "[ -n \"$TTH_nic0\" ] && ip route add default via 10.0.2.2 dev eth0",
        # wait (bounded, 10 s) for carrier: e1000 reports link ~2 s after it is brought up,
        # and a connection attempted before that waits for a TCP retransmission
        "for d in /sys/class/net/eth*; do",
        "  i=0; while [ $i -lt 100 ] && [ \"$(cat $d/carrier 2>/dev/null)\" != 1 ]; do",
        "    sleep 0.1; i=$((i+1)); done",
        "  [ $i -lt 100 ] || echo \"tth-init: ${d##*/}: no carrier after 10 s\"",
        "done",
    ]
    lines += init_lines
    if has_scenario:
        lines.append("sh /etc/tth/scenario || echo \"tth-init: scenario exited $?\"")
    lines += [
        # busybox init reaps orphans and respawns a shell per console, as its controlling tty
        "echo '::sysinit:/bin/true' > /etc/inittab",
        "for c in $(echo ${TTH_consoles:-ttyS0} | tr , ' '); do",
        "  [ -c /dev/$c ] && echo \"$c::respawn:-/bin/sh\" >> /etc/inittab",
        "done",
        "for c in $(echo ${TTH_consoles:-ttyS0} | tr , ' '); do",
        "  [ -c /dev/$c ] && echo %s > /dev/$c" % READY_MARKER,
        "done",
        "exec /sbin/init",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# A running guest

class Link:
    """A second NIC: joined to another guest's over a loopback TCP socket (-netdev socket),
    or to whatever a netdev of any kind reaches (a ttyhubd [network]).

    Exactly one of listen/connect is a 127.0.0.1 port (the listening guest must start
    first), or netdev is the -netdev text without its id ("stream,server=off,addr.type=unix,
    addr.path=/tmp/x.sock", "dgram,local.type=...", "socket,connect=127.0.0.1:7100").
    addr is the guest's address on the link ("192.0.2.1/24") or None for an unconfigured NIC;
    mac its MAC address (default 52:54:00:12:35:0N for the Nth link: the same in every guest,
    so guests that share a network need their own).
    """

    def __init__(self, listen=None, connect=None, addr=None, model="virtio-net-pci",
                 netdev=None, mac=None):
        if netdev is None and (listen is None) == (connect is None):
            raise ValueError("Link needs exactly one of listen=, connect= or netdev=")
        if netdev is not None and (listen is not None or connect is not None):
            raise ValueError("Link takes netdev= alone")
        self.listen, self.connect, self.addr, self.model = listen, connect, addr, model
        self.netdev, self.mac = netdev, mac


class Result:
    def __init__(self, output, status):
        self.output, self.status = output, status

    def __repr__(self):
        return "Result(status=%r, output=%r)" % (self.status, self.output)


def _nic_device(model, netdev, mac):
    # romfile= : no iPXE option ROM for SeaBIOS to load (we boot with -kernel)
    dev = "%s,netdev=%s,mac=%s,romfile=" % (model, netdev, mac)
    if model.split(",")[0] in ("e1000", "e1000-82544gc", "e1000-82545em"):
        # link up at once instead of after emulated autonegotiation (~2-5 s under TCG)
        dev += ",autonegotiation=off"
    return dev


def _set_pdeathsig():
    # QEMU dies with the test process even if the test process is SIGKILLed
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Console:
    """A client connection to one of the guest's console sockets (one client at a time)."""

    def __init__(self, path=None, tcp_port=None, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            s = None
            try:
                if path:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(path)
                else:
                    s = socket.create_connection(("127.0.0.1", tcp_port), timeout=2)
                break
            except OSError as e:
                if s is not None:
                    s.close()
                if time.monotonic() > deadline:
                    raise GuestError("cannot connect to console %s: %s" % (path or tcp_port, e))
                time.sleep(0.1)
        s.setblocking(False)
        self.sock = s
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def _fill(self, wait):
        r, _, _ = select.select([self.sock], [], [], wait)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return False
        if not chunk:
            raise GuestError("console closed by QEMU")
        self.buf += chunk
        return True

    def expect(self, pattern, timeout):
        """Consume and return (text_before, match) for regex bytes pattern; bounded."""
        rx = re.compile(pattern) if isinstance(pattern, bytes) else re.compile(pattern.encode())
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                before = self.buf[:m.start()]
                self.buf = self.buf[m.end():]
                return before, m
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError("timeout after %.1f s waiting for %r; got %r"
                                 % (timeout, rx.pattern, self.buf[-2000:]))
            self._fill(min(left, 0.5))

    def drain(self, quiet=0.2, limit=2.0):
        """Read until the guest has been quiet for `quiet` seconds (at most `limit`)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self._fill(quiet):
            pass
        out, self.buf = self.buf, b""
        return out

    def close(self):
        self.sock.close()


class Guest:
    """One QEMU guest. Boot with start() (or a with-block), talk with run(), stop with stop().

    forwards:      {guest_tcp_port: host_port or 0 (pick a free one)}, on 127.0.0.1 only;
                   the chosen host ports are in .fwd after start().
    nic_model:     model of the user-net NIC (eth0, 10.0.2.15/24, gw 10.0.2.2).
    links:         [Link(...)] extra NICs eth1.. for guest-to-guest links.
    virtconsole:   add virtio-serial + virtconsole (hvc0) on a second unix socket, with a shell.
    telnet_serial: add ttyS1 on QEMU's own telnet server (127.0.0.1:.telnet_port), with a shell.
    kernel:        "auto" (uncompressed vmlinux via PVH if possible), "vmlinux" or "bzimage".
    """

    def __init__(self, rig, initramfs=None, *, name="guest", forwards=None,
                 nic_model="virtio-net-pci", links=(), virtconsole=False, telnet_serial=False,
                 memory=256, kernel="auto", cmdline="", qemu_args=(), boot_timeout=60):
        self.rig = rig
        self.initramfs = initramfs or rig.initramfs()
        self.name = name
        self.forwards = dict({23: 0} if forwards is None else forwards)
        self.nic_model, self.links = nic_model, list(links)
        self.virtconsole, self.telnet_serial = virtconsole, telnet_serial
        self.memory, self.kernel_kind = memory, kernel
        self.extra_cmdline, self.qemu_args = cmdline, list(qemu_args)
        self.boot_timeout = boot_timeout
        self.proc = None
        self.pid = None
        self.dir = None
        self.fwd = {}
        self.telnet_port = None
        self.boot_seconds = None
        # True: a restart (stop, then start again) keeps the run dir, so the
        # console sockets keep their paths, as a restarted VM's do.
        self.reuse_dir = False

    # -- paths
    def sock(self, console="ttyS0"):
        return os.path.join(self.dir, {"ttyS0": "s0", "hvc0": "h0"}[console])

    def logpath(self, console="ttyS0"):
        return os.path.join(self.dir, console + ".log")

    def log(self, console="ttyS0"):
        try:
            with open(self.logpath(console), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def consoles(self):
        c = ["ttyS0"]
        if self.telnet_serial:
            c.append("ttyS1")
        if self.virtconsole:
            c.append("hvc0")
        return c

    def _argv(self):
        k = self.rig.kernel()
        nics = ["%s,%s" % (USER_MAC, "10.0.2.15/24")]
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu", "qemu64",
                "-smp", "1", "-m", str(self.memory), "-nographic", "-no-reboot", "-nodefaults",
                "-kernel", k.boot_image(self.kernel_kind), "-initrd", self.initramfs,
                "-chardev", "socket,id=ser0,path=%s,server=on,wait=off,logfile=%s"
                            % (self.sock("ttyS0"), self.logpath("ttyS0")),
                "-serial", "chardev:ser0"]
        if self.telnet_serial:
            argv += ["-chardev", "socket,id=ser1,host=127.0.0.1,port=%d,server=on,wait=off,"
                                 "telnet=on,logfile=%s" % (self.telnet_port, self.logpath("ttyS1")),
                     "-serial", "chardev:ser1"]
        if self.virtconsole:
            argv += ["-device", "virtio-serial-pci,id=vser0",
                     "-chardev", "socket,id=hvc0,path=%s,server=on,wait=off,logfile=%s"
                                 % (self.sock("hvc0"), self.logpath("hvc0")),
                     "-device", "virtconsole,chardev=hvc0,name=console.0,bus=vser0.0"]
        fw = "".join(",hostfwd=tcp:127.0.0.1:%d-:%d" % (hp, gp) for gp, hp in self.fwd.items())
        argv += ["-netdev", "user,id=un0,restrict=on" + fw,
                 "-device", _nic_device(self.nic_model, "un0", USER_MAC)]
        for i, l in enumerate(self.links, 1):
            mac = l.mac or "52:54:00:12:35:%02x" % i
            if l.netdev is not None:
                netdev = "%s,id=ln%d" % (l.netdev, i)
            else:
                netdev = "socket,id=ln%d,%s" % (i, "listen=127.0.0.1:%d" % l.listen
                                                if l.listen is not None
                                                else "connect=127.0.0.1:%d" % l.connect)
            argv += ["-netdev", netdev, "-device", _nic_device(l.model, "ln%d" % i, mac)]
            nics.append("%s,%s" % (mac, l.addr or "none"))
        cmdline = [BASE_CMDLINE, "tth.consoles=" + ",".join(self.consoles())]
        cmdline += ["tth.nic%d=%s" % (i, s) for i, s in enumerate(nics)]
        if self.extra_cmdline:
            cmdline.append(self.extra_cmdline)
        argv += ["-append", " ".join(cmdline)] + self.qemu_args
        return argv

    # -- lifecycle
    def start(self, wait=True):
        if self.proc:
            raise RigError("guest %s already started" % self.name)
        if self.dir is None or not self.reuse_dir:
            self.dir = tempfile.mkdtemp(prefix="tth-", dir="/tmp")   # short: sun_path < 108
        last = ""
        for attempt in range(3):
            self.fwd = {gp: (hp or free_port()) for gp, hp in self.forwards.items()}
            if self.telnet_serial:
                self.telnet_port = free_port()
            argv = self._argv()
            with open(os.path.join(self.dir, "argv"), "w") as f:
                f.write(" ".join(argv) + "\n")
            self.qemu_log = os.path.join(self.dir, "qemu.log")
            self.t0 = time.monotonic()
            with open(self.qemu_log, "wb") as qlog:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qlog,
                                             stderr=subprocess.STDOUT,
                                             preexec_fn=_set_pdeathsig, cwd=self.dir)
            self.pid = self.proc.pid
            # QEMU fails at once if a port it listens on was taken in the
            # meantime: wait until it is either gone or listens on them all
            # itself (and has made its console sockets).
            ports = list(self.fwd.values())
            ports += [l.listen for l in self.links if l.listen is not None]
            if self.telnet_serial:
                ports.append(self.telnet_port)
            socks = [self.sock(c) for c in self.consoles() if c != "ttyS1"]
            deadline = time.monotonic() + 60
            while self.proc.poll() is None and time.monotonic() < deadline:
                mine = _fd_inodes(self.pid)
                if (all(os.path.exists(p) for p in socks) and
                        all(_listening_inodes([p]) & mine for p in ports)):
                    break
                time.sleep(0.02)
            if self.proc.poll() is None:
                break
            last = open(self.qemu_log, errors="replace").read()
            self.proc = None
            if "forward" not in last and "Address already in use" not in last:
                break
        if self.proc is None:
            raise RigError("QEMU for %s did not start: %s" % (self.name, last.strip()[-2000:]))
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        """Wait for the ready marker on ttyS0 and for a shell answering there."""
        timeout = timeout or self.boot_timeout
        deadline = self.t0 + timeout
        while READY_MARKER not in self.log("ttyS0"):
            if self.proc.poll() is not None:
                raise GuestError("guest %s: QEMU exited (status %s) before ready.\n%s"
                                 % (self.name, self.proc.returncode, self.diagnostics()))
            if time.monotonic() > deadline:
                raise GuestError("guest %s not ready after %.1f s.\n%s"
                                 % (self.name, timeout, self.diagnostics()))
            time.sleep(0.05)
        self.boot_seconds = time.monotonic() - self.t0
        # the shell is spawned by busybox init right after the marker; make sure it answers
        self.run("true", timeout=max(5, deadline - time.monotonic()))
        return self

    def diagnostics(self, lines=40):
        out = []
        for c in self.consoles():
            tail = self.log(c).splitlines()[-lines:]
            out.append("--- %s (last %d lines) ---\n%s" % (c, len(tail), "\n".join(tail)))
        try:
            out.append("--- qemu ---\n" + open(self.qemu_log, errors="replace").read()[-2000:])
        except (OSError, AttributeError):
            pass
        return "\n".join(out)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM QEMU by pid, SIGKILL after timeout/2 s; returns QEMU's exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout / 2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout / 2)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        if self.dir and os.path.isdir(self.dir) and not os.environ.get("TTYHUB_E2E_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.cleanup()

    # -- talking to the guest
    def console(self, name="ttyS0", timeout=10):
        """Connect to a console; the caller must close() it (others wait until then)."""
        if name == "ttyS1":
            return Console(tcp_port=self.telnet_port, timeout=timeout)
        return Console(path=self.sock(name), timeout=timeout)

    def run(self, cmd, timeout=30, console="ttyS0", check=False, typed=False):
        """Run shell text `cmd` in the guest via a console's interactive shell.

        Returns Result(output, status); output has \\r\\n turned into \\n. The text is sent
        base64-encoded, so it may be several lines and contain any characters.
        typed=False: runs as a script (`sh FILE </dev/null`): variables and cd do not persist;
          background jobs (&) keep running but, as in any script, with SIGINT/SIGQUIT ignored.
        typed=True: `eval`ed by the console's interactive login shell itself, as if typed
          there: variables persist, & starts a job-control job (SIGINT at default), stdin is
          the console.
        """
        if not self.alive():
            raise GuestError("guest %s is not running.\n%s" % (self.name, self.diagnostics()))
        tok = secrets.token_hex(6)
        b64 = base64.b64encode(cmd.encode()).decode()
        f = "/tmp/.tth-%s" % tok
        lines = ["echo %s>>%s" % (b64[i:i + 512], f + ".b") for i in range(0, len(b64), 512)] \
            or [": >%s.b" % f]
        if typed:
            lines.append("echo T%sS; eval \"$(base64 -d %s.b)\"; echo T%s\"E$?\"; rm -f %s.b"
                         % (tok, f, tok, f))
        else:
            lines.append("base64 -d %s.b >%s; echo T%sS; sh %s </dev/null; echo T%s\"E$?\"; "
                         "rm -f %s %s.b" % (f, f, tok, f, tok, f, f))
        deadline = time.monotonic() + timeout
        con = self.console(console, timeout=max(1, deadline - time.monotonic()))
        try:
            for line in lines:
                con.send(line + "\r")
            # "TtokS" alone on a line: the echoed command line has more around it
            con.expect(rb"(?:^|\n)T%sS\r?\n" % tok.encode(), max(0.1, deadline - time.monotonic()))
            # to the line's end: a serial line brings the status a digit at a time
            out, m = con.expect(rb"T%sE(\d+)\r?\n" % tok.encode(),
                               max(0.1, deadline - time.monotonic()))
        except GuestError as e:
            raise GuestError("guest %s: run(%r) on %s: %s\n%s"
                             % (self.name, cmd[:200], console, e, self.diagnostics(10))) from None
        finally:
            con.close()
        r = Result(out.decode(errors="replace").replace("\r\n", "\n"), int(m.group(1)))
        if check and r.status != 0:
            raise GuestError("guest %s: %r exited %d: %s" % (self.name, cmd, r.status, r.output))
        return r

    def tcp_listener(self, port, timeout=10):
        """(pid, exe) of the guest process listening on TCP `port`, waiting up to timeout s;
        None if nothing listens by then."""
        script = (
            "i=0; while [ $i -lt %d ]; do\n"
            "  ino=$(awk '$2 ~ /:%04X$/ && $4 == \"0A\" {print $10; exit}' /proc/net/tcp6 /proc/net/tcp)\n"
            "  if [ -n \"$ino\" ]; then\n"
            "    for f in /proc/[0-9]*/fd/*; do\n"
            "      if [ \"$(readlink $f 2>/dev/null)\" = \"socket:[$ino]\" ]; then\n"
            "        p=${f#/proc/}; p=${p%%%%/*}; echo $p $(readlink /proc/$p/exe); exit 0\n"
            "      fi\n"
            "    done\n"
            "  fi\n"
            "  i=$((i+1)); sleep 0.1\n"
            "done; exit 1\n") % (max(1, int(timeout * 10)), port)
        r = self.run(script, timeout=timeout + 15)
        if r.status != 0:
            return None
        pid, exe = r.output.split()[-2:]
        return int(pid), exe


# ---------------------------------------------------------------------------------------------
# Host-side Telnet client: inetutils telnet on a pty, driven by pexpect

PROMPT = "TTH> "
_PS1 = "PS1='TT''H> '"           # the echoed command line never contains the prompt text
_CSI_6N = "\x1b[6n"               # busybox line editing asks for the cursor position


class TelnetClient:
    """/usr/bin/telnet 127.0.0.1 PORT on a pty of the given size (so NAWS is sent).

    shell=True waits for the banner, sets PS1 to PROMPT and waits for it; new_shell=False
    is for a console whose shell already runs (its prompt went by before we came).
    """

    def __init__(self, port, rows=24, cols=80, timeout=10, shell=True, logfile=None,
                 new_shell=True):
        import pexpect
        self.pexpect = pexpect
        self.timeout = timeout
        env = {"PATH": "/usr/bin:/bin", "TERM": "vt100", "LANG": "C", "HOME": "/"}
        self.child = pexpect.spawn("/usr/bin/telnet", ["127.0.0.1", str(port)],
                                   dimensions=(rows, cols), timeout=timeout, env=env,
                                   encoding="utf-8", codec_errors="replace")
        self.transcript = []
        if logfile:
            self.child.logfile_read = logfile
        self.child.expect("Escape character is")
        if shell:
            if new_shell:
                # A session's new shell: its own prompt first, as typed
                # before its line editor starts a line may be cut (busybox
                # flushes the input).  A serial line's shell is there.
                self.child.expect([r"[#$] "], timeout=timeout)
            self.send(_PS1 + "\r")
            self.expect_prompt()

    def send(self, text):
        self.child.send(text)

    def expect(self, pattern, timeout=None):
        """pexpect.expect with a bounded timeout; returns the index matched."""
        return self.child.expect(pattern, timeout=timeout or self.timeout)

    def expect_prompt(self, timeout=None):
        self.child.expect_exact(PROMPT, timeout=timeout or self.timeout)
        return self.child.before.replace(_CSI_6N, "")

    def sh(self, line, timeout=None):
        """Type one command line, wait for the next prompt; returns the output lines
        (the echoed command line removed)."""
        self.send(line + "\r")
        out = self.expect_prompt(timeout).replace("\r\n", "\n")
        lines = out.split("\n")
        if lines and line in lines[0]:
            lines = lines[1:]
        return "\n".join(lines).strip("\n")

    def setwinsize(self, rows, cols):
        self.child.setwinsize(rows, cols)     # telnet gets SIGWINCH and sends NAWS

    def close(self):
        if self.child.isalive():
            self.child.close(force=True)      # pexpect kills its own child by pid
