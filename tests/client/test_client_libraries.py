"""The libraries ttyhub loads only when a run needs them (issue 14):
avahi-client when it looks on the network, OpenSSL when it talks TLS.
A plain list or attach maps neither, nor libevent or libtelnet, which
the client has linked in from their archives (Makefile, CLIENT_STATIC);
the run that needs one loads it;
and on a machine where one is not installed, that run says which Debian
package has it while every other run works as before.

"Not installed" is made real, not pretended: the client runs in a mount
namespace of its own (unshare -m; we run as root) in which an overlay on
the library's directory whites out the library, so the dynamic loader
finds no such file, as on a machine without the package."""
import os
import re
import select
import shutil
import subprocess
import time

import pytest

from clienttest import client_env, run
from ttyhubtest import exec_console, free_port, tls_section

LIBS = ("libavahi", "libdbus", "libsystemd", "libssl", "libcrypto",
        "libevent", "libtelnet")


def plain_hub(hub, tmp_path, extra=""):
    """A daemon with console sh (cat on a pty) on a unix broker."""
    return hub("[ttyhubd]\nbroker-unix = %s\n%s\n" %
               (tmp_path / "broker.sock", extra) +
               exec_console(tmp_path, command="/bin/cat"))


def loaded(stderr):
    """The shared objects LD_DEBUG=files says the run loaded."""
    return set(re.findall(rb"file=(\S+) \[", stderr))


def lib_path(soname):
    """Where the dynamic loader finds soname on this machine, or None."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                         timeout=10).stdout
    m = re.search(r"^\s*%s \([^)]*x86-64[^)]*\) => (\S+)$" %
                  re.escape(soname), out, re.M)
    return m.group(1) if m else None


def hiding_missing(soname):
    if os.geteuid() != 0:
        return "not root: a mount namespace needs it"
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            return "the kernel has no overlayfs"
    if lib_path(soname) is None:
        return "%s is not installed here" % soname
    return None


def without(tmp_path, soname):
    """An argv prefix: what follows runs where soname is not installed.
    The overlay's upper layer holds whiteouts (character devices 0:0) for
    the name the loader looks up and for the file it links to."""
    path = lib_path(soname)
    real = os.path.realpath(path)
    top = tmp_path / ("hide-" + soname)
    up, work = top / "up", top / "work"
    os.makedirs(up)
    os.makedirs(work)
    for name in {os.path.basename(path), os.path.basename(real)}:
        os.mknod(up / name, 0o600 | 0o020000, os.makedev(0, 0))
    script = ("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,"
              "workdir=%s %s && exec \"$@\"" %
              (os.path.dirname(real), up, work, os.path.dirname(real)))
    return ["unshare", "-m", "sh", "-c", script, "sh"]


def test_a_plain_list_and_attach_load_neither(hub, ttyhub, tmp_path):
    """ttyhub -l and an attach map no avahi-client, D-Bus or OpenSSL, and
    no libevent or libtelnet: the attached client is read in /proc
    while it runs.  libc is there, so the loader's report was read."""
    h = plain_hub(hub, tmp_path)
    p = run(ttyhub, tmp_path, "-s", h.sock, "-l",
            env=client_env(tmp_path, LD_DEBUG="files"))
    assert p.returncode == 0, p.stderr
    assert re.search(rb"^sh\s+exec\s+up", p.stdout, re.M), p.stdout
    libs = loaded(p.stderr)
    assert b"libc.so.6" in libs, p.stderr
    assert not [f for f in libs if f.startswith(tuple(
        x.encode() for x in LIBS))], libs

    c = subprocess.Popen([ttyhub, "-s", h.sock, "--no-replay", "sh"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=client_env(tmp_path))
    try:
        c.stdin.write(b"attached-here\n")
        c.stdin.flush()
        got = b""
        deadline = time.monotonic() + 20
        while b"attached-here" not in got:
            assert time.monotonic() < deadline and c.poll() is None, got
            r, _, _ = select.select([c.stdout], [], [], 0.1)
            if r:
                got += os.read(c.stdout.fileno(), 65536)
        with open("/proc/%d/maps" % c.pid) as f:
            maps = f.read()
        assert "/libc.so.6" in maps
        for lib in LIBS:
            assert lib not in maps, maps
        c.stdin.close()
        assert c.wait(timeout=20) == 0, c.stderr.read()
    finally:
        if c.poll() is None:
            c.kill()
            c.wait()


def test_tls_and_browsing_load_theirs(hub, ttyhub, tmp_path, pki):
    """The runs that need a library load it: TLS loads libssl (and not
    Avahi), browsing loads avahi-client (kept from any real system bus:
    the test looks at no network)."""
    port = free_port()
    plain_hub(hub, tmp_path, tls_section(pki) +
              "broker = 127.0.0.1:%d,tls\n" % port)
    p = run(ttyhub, tmp_path, "-s", "tls://localhost:%d" % port, "--tls-ca",
            os.path.join(pki, "ca.pem"), "-l",
            env=client_env(tmp_path, LD_DEBUG="files"))
    assert p.returncode == 0, p.stderr
    assert re.search(rb"^sh\s+exec\s+up", p.stdout, re.M), p.stdout
    libs = loaded(p.stderr)
    assert b"libssl.so.3" in libs, p.stderr
    assert not [f for f in libs if f.startswith(b"libavahi")], libs

    nobus = "unix:path=%s" % (tmp_path / "no-bus")
    p = run(ttyhub, tmp_path, "-l", "--all", "--timeout", "0.5",
            env=client_env(tmp_path, LD_DEBUG="files",
                           DBUS_SYSTEM_BUS_ADDRESS=nobus))
    assert p.returncode == 1
    assert b"ttyhub: cannot look on the network: avahi-daemon is not " \
        b"running\n" in p.stderr, p.stderr
    libs = loaded(p.stderr)
    assert b"libavahi-client.so.3" in libs, p.stderr
    assert not [f for f in libs if f.startswith(b"libssl")], libs


@pytest.mark.skipif(hiding_missing("libavahi-client.so.3") is not None,
                    reason=hiding_missing("libavahi-client.so.3") or "")
def test_without_avahi_client_browsing_names_the_package(hub, ttyhub,
                                                         tmp_path):
    h = plain_hub(hub, tmp_path)
    hide = without(tmp_path, "libavahi-client.so.3")
    p = subprocess.run(hide + [ttyhub, "-l", "--all"], capture_output=True,
                       timeout=20, env=client_env(tmp_path))
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: cannot look on the network: libavahi-"
                        b"client.so.3: cannot open shared object file: No "
                        b"such file or directory (DNS-SD needs the Debian "
                        b"package libavahi-client3)\n"), p.stderr
    # A name the local daemon does not have is looked for on the network.
    p = subprocess.run(hide + [ttyhub, "vm9"], capture_output=True,
                       timeout=20, env=client_env(tmp_path,
                                                  TTYHUB_SOCKET=h.sock))
    assert p.returncode == 1
    assert p.stderr == (b'ttyhub: no console named "vm9" (ttyhub -l lists '
                        b"them; not looked for on the network: libavahi-"
                        b"client.so.3: cannot open shared object file: No "
                        b"such file or directory (DNS-SD needs the Debian "
                        b"package libavahi-client3))\n"), p.stderr
    # Everything else is as it was.
    p = subprocess.run(hide + [ttyhub, "-s", h.sock, "--no-replay", "sh"],
                       input=b"no-avahi-here\n", capture_output=True,
                       timeout=20, env=client_env(tmp_path))
    assert p.returncode == 0 and b"no-avahi-here" in p.stdout, p.stderr


@pytest.mark.skipif(hiding_missing("libssl.so.3") is not None,
                    reason=hiding_missing("libssl.so.3") or "")
def test_without_libssl_tls_names_the_package(hub, ttyhub, tmp_path, pki):
    port = free_port()
    h = plain_hub(hub, tmp_path, tls_section(pki) +
                  "broker = 127.0.0.1:%d,tls\n" % port)
    hide = without(tmp_path, "libssl.so.3")
    p = subprocess.run(hide + [ttyhub, "-s", "tls://localhost:%d" % port,
                               "--tls-ca", os.path.join(pki, "ca.pem"),
                               "-l"], capture_output=True, timeout=20,
                       env=client_env(tmp_path))
    assert p.returncode == 1
    assert p.stderr.startswith(b"ttyhub: cannot connect to ttyhubd at "
                               b"tls://localhost:%d: libssl.so.3: cannot "
                               b"open shared object file: No such file or "
                               b"directory (TLS needs the Debian package "
                               b"libssl3)" % port), p.stderr
    p = subprocess.run(hide + [ttyhub, "-s", h.sock, "--no-replay", "sh"],
                       input=b"no-ssl-here\n", capture_output=True,
                       timeout=20, env=client_env(tmp_path))
    assert p.returncode == 0 and b"no-ssl-here" in p.stdout, p.stderr
