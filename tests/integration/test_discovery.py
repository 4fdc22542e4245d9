"""Consoles across machines (issue 18): ttyhubd publishes its broker with
DNS-SD through avahi-daemon, and ttyhub on another host lists every
daemon's consoles (-l --all) and attaches to a console by its name alone
on whichever host has it.  The hosts are network namespaces on one
bridge, each with its own system bus and avahi-daemon
(tests/hostsrig.py); avahi-browse, Avahi's own client, checks what we
publish as a peer would see it.  Then the same daemon and client where
there is no avahi-daemon, or no system bus at all."""
import os
import re
import signal
import socket

import pytest

import hostsrig
from hostsrig import wait_browse
from ttyhubtest import ROOT, SAN_MARKERS, openssl, wait_for

pytestmark = pytest.mark.skipif(hostsrig.missing() is not None,
                                reason=hostsrig.missing() or "")


@pytest.fixture
def link(tmp_path):
    lk = hostsrig.Link(tmp_path)
    yield lk
    for path, out in lk.close().items():
        for marker in SAN_MARKERS:
            assert marker not in out, (path, out)


def cat_console(name):
    return "[console %s]\ntype = exec\ncommand = /bin/cat\n\n" % name


# The link between the test's hosts is trusted: plain brokers on it are
# what insecure = yes is for (test_tls_brokers_are_published_as_such is
# the other way).
PLAIN = "insecure = yes\n"


def daemon(host, build, consoles, ttyhubd="broker = *:7000\n"):
    """ttyhubd -F -c on host, its broker on every address and a unix
    socket in the host's directory; ready when that socket answers."""
    sock = os.path.join(host.dir, "broker.sock")
    conf = os.path.join(host.dir, "ttyhub.conf")
    with open(conf, "w") as f:
        f.write("[ttyhubd]\nbroker-unix = %s\n%s%s\n" % (sock, PLAIN,
                                                          ttyhubd) +
                "".join(cat_console(c) for c in consoles))
    d = host.start("ttyhubd", [build, "-F", "-c", conf])

    def answers():
        # Not the socket's file: it is there from bind, before listen.
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(sock)
            return True
        except OSError:
            return not d.alive()
    wait_for(answers, 30, "the daemon on " + host.name)
    assert d.alive(), d.output()
    d.conf = conf
    d.sock = sock
    return d


def reload(d, consoles, ttyhubd="broker = *:7000\n", n=1):
    with open(d.conf, "w") as f:
        f.write("[ttyhubd]\nbroker-unix = %s\n%s%s\n" % (d.sock, PLAIN,
                                                          ttyhubd) +
                "".join(cat_console(c) for c in consoles))
    os.kill(d.pid, signal.SIGHUP)
    d.wait_output("SIGHUP: " + d.conf, count=n)


def ttyhub(host, build, *args, input=b"", env=None):
    client = os.path.join(os.path.dirname(build), "ttyhub")
    p = host.run([client] + list(args), input=input, env=env)
    for marker in SAN_MARKERS:
        assert marker.encode() not in p.stderr, p.stderr.decode()
    return p


def names_of(found, host):
    """The console names host's service lists in its TXT record."""
    for h, addr, port, txt in found:
        if h == host + ".local":
            names = []
            for k in sorted(k for k in txt if re.fullmatch(r"c\d+", k)):
                names += txt[k].split(",")
            return names
    return None


def test_list_all_and_attach_by_name_across_hosts(link, build):
    """Two hosts publish; on a third, avahi-browse sees both services
    with the names in their TXT records, ttyhub -l --all lists every
    console with its host, and ttyhub vm17 reaches the one host that
    has vm17."""
    a, b, c = link.host("hosta"), link.host("hostb"), link.host("hostc")
    da = daemon(a, build, ["vm1", "vm2"])
    db = daemon(b, build, ["vm17"])
    da.wait_output('DNS-SD: published the broker (* port 7000) as '
                   '"ttyhub on hosta" (2 consoles)')
    db.wait_output('as "ttyhub on hostb" (1 console)')

    found = wait_browse(c, lambda f: len(f) == 2, "both services")
    by_host = {h: (addr, port, txt) for h, addr, port, txt in found}
    assert by_host["hosta.local"][:2] == (a.addr, 7000)
    assert by_host["hostb.local"][:2] == (b.addr, 7000)
    txt = by_host["hosta.local"][2]
    assert txt["txtvers"] == "1" and txt["n"] == "2" and txt["proto"] == "4"
    assert re.fullmatch(r"[0-9a-f]{16}", txt["serial"]), txt
    assert names_of(found, "hosta") == ["vm1", "vm2"]
    assert names_of(found, "hostb") == ["vm17"]

    p = ttyhub(c, build, "-l", "--all")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert lines[0].split() == ["HOST", "NAME", "TYPE", "STATE", "CLIENTS",
                                "IN", "OUT", "LOG"], lines
    rows = sorted(tuple(line.split()[:3]) for line in lines[1:])
    assert rows == [("hosta", "vm1", "exec"), ("hosta", "vm2", "exec"),
                    ("hostb", "vm17", "exec")], lines

    p = ttyhub(c, build, "vm17", input=b"over-the-link\n")
    assert p.returncode == 0, p.stderr
    assert b"over-the-link" in p.stdout, p.stdout
    db.wait_output("console vm17: ::ffff:%s " % c.addr)
    assert "console vm17" not in da.output()


def test_a_name_on_two_hosts_is_named_and_chosen_with_at(link, build):
    a, b, c = link.host("hosta"), link.host("hostb"), link.host("hostc")
    da = daemon(a, build, ["shared", "vm1"])
    db = daemon(b, build, ["shared"])
    wait_browse(c, lambda f: len(f) == 2, "both services")

    p = ttyhub(c, build, "shared", input=b"x\n")
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: shared is on 2 hosts: hosta, hostb; "
                        b"choose one with shared@HOST\n") or \
        p.stderr == (b"ttyhub: shared is on 2 hosts: hostb, hosta; "
                     b"choose one with shared@HOST\n"), p.stderr

    p = ttyhub(c, build, "shared@hostb", input=b"chosen-b\n")
    assert p.returncode == 0, p.stderr
    assert b"chosen-b" in p.stdout
    db.wait_output("console shared: ::ffff:%s " % c.addr)
    assert "console shared: ::ffff:%s" % c.addr not in da.output()
    p = ttyhub(c, build, "shared@hosta.local", input=b"chosen-a\n")
    assert p.returncode == 0 and b"chosen-a" in p.stdout, p.stderr
    p = ttyhub(c, build, "shared@ttyhub on hostb", input=b"by-service\n")
    assert p.returncode == 0 and b"by-service" in p.stdout, p.stderr
    p = ttyhub(c, build, "shared@%s" % a.addr, input=b"by-address\n")
    assert p.returncode == 0 and b"by-address" in p.stdout, p.stderr
    p = ttyhub(c, build, "shared@bad\tname", input=b"")
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: bad\tname: not a host name, service name "
                        b"or address (ttyhub --help shows the usage)\n"), \
        p.stderr

    p = ttyhub(c, build, "shared@hostz", input=b"")
    assert p.returncode == 1
    assert p.stderr == (b'ttyhub: no ttyhubd called "hostz" found on the '
                        b'network (ttyhub -l --all lists those there '
                        b'are)\n'), p.stderr
    dc = daemon(c, build, ["vm3"], ttyhubd="publish = no\n")
    p = ttyhub(c, build, "nowhere", input=b"",
               env={"TTYHUB_SOCKET": dc.sock})
    assert p.returncode == 1
    assert p.stderr == (b'ttyhub: no console named "nowhere" here or on '
                        b'the network (2 ttyhubds found; ttyhub -l --all '
                        b'lists their consoles)\n'), p.stderr


def test_a_console_here_comes_before_the_network(link, build):
    b, c = link.host("hostb"), link.host("hostc")
    daemon(b, build, ["vm17"])
    dc = daemon(c, build, ["vm17"], ttyhubd="publish = no\n")
    wait_browse(c, lambda f: len(f) == 1, "hostb's service")
    p = ttyhub(c, build, "vm17", input=b"stay-here\n",
               env={"TTYHUB_SOCKET": dc.sock})
    assert p.returncode == 0, p.stderr
    dc.wait_output("console vm17: ")
    assert "DNS-SD" not in dc.output()


def test_a_reload_updates_the_record(link, build):
    """SIGHUP with another set of consoles: the TXT record follows (names
    and serial), without the service going away."""
    a, c = link.host("hosta"), link.host("hostc")
    da = daemon(a, build, ["vm1"])
    found = wait_browse(c, lambda f: names_of(f, "hosta") == ["vm1"],
                        "vm1 in the record")
    serial = found[0][3]["serial"]
    reload(da, ["vm1", "vm5", "board-7"])
    da.wait_output('DNS-SD: "ttyhub on hosta" now lists 3 consoles')
    found = wait_browse(c, lambda f: names_of(f, "hosta") ==
                        ["vm1,vm5,board-7".split(",")][0],
                        "the new names in the record")
    assert found[0][3]["serial"] != serial and found[0][3]["n"] == "3"
    p = ttyhub(c, build, "board-7", input=b"new-one\n")
    assert p.returncode == 0 and b"new-one" in p.stdout, p.stderr

    # The same set again: nothing to update.
    reload(da, ["vm1", "vm5", "board-7"], n=2)
    assert da.output().count("now lists") == 1

    # publish = no withdraws it.
    reload(da, ["vm1"], ttyhubd="broker = *:7000\npublish = no\n", n=3)
    da.wait_output("DNS-SD: the broker is no longer published")
    wait_browse(c, lambda f: f == [], "the service gone")


def test_more_consoles_than_the_record_holds(link, build):
    """200 consoles do not fit in a TXT record: it names the first ones
    and counts them all, and a console past them is found by asking the
    broker for its list."""
    a, c = link.host("hosta"), link.host("hostc")
    names = ["console-with-a-long-name-%03d" % i for i in range(200)]
    daemon(a, build, names)
    found = wait_browse(c, lambda f: len(f) == 1, "the service")
    listed = names_of(found, "hosta")
    assert found[0][3]["n"] == "200"
    assert 10 < len(listed) < 200 and listed == names[:len(listed)]
    p = ttyhub(c, build, names[-1], input=b"found-by-asking\n")
    assert p.returncode == 0, p.stderr
    assert b"found-by-asking" in p.stdout
    p = ttyhub(c, build, "-l", "--all")
    assert p.returncode == 0
    assert len(p.stdout.decode().splitlines()) == 201


def test_avahi_daemon_later_and_again(link, build):
    """The daemon starts before avahi-daemon: it says once that it could
    not publish, and publishes when avahi-daemon starts; when
    avahi-daemon stops and comes back, the same again."""
    a = link.host("hosta", avahi=False)
    c = link.host("hostc")
    da = daemon(a, build, ["vm1"])
    da.wait_output("DNS-SD: could not publish the broker (* port 7000): "
                   "avahi-daemon is not running; it is published when "
                   "avahi-daemon runs")
    reload(da, ["vm1"])
    assert da.output().count("could not publish") == 1

    a.start_avahi()
    da.wait_output('DNS-SD: published the broker (* port 7000) as '
                   '"ttyhub on hosta"')
    wait_browse(c, lambda f: names_of(f, "hosta") == ["vm1"], "the service")

    a.stop_avahi()
    da.wait_output("could not publish the broker (* port 7000): "
                   "avahi-daemon stopped", count=1)
    a.start_avahi()
    da.wait_output('"ttyhub on hosta"', count=2)
    wait_browse(c, lambda f: names_of(f, "hosta") == ["vm1"],
                "the service again")
    assert da.output().count("could not publish") == 2


def test_no_system_bus_at_all(link, build):
    """Without a system bus the daemon runs, says once why it could not
    publish, and tries again on its own (here: until the bus and
    avahi-daemon come)."""
    a = link.host("hosta", bus=False, avahi=False)
    c = link.host("hostc")
    da = daemon(a, build, ["vm1"])
    da.wait_output("DNS-SD: could not publish the broker (* port 7000): no "
                   "system bus to reach avahi-daemon through (Daemon not "
                   "running)")
    p = ttyhub(a, build, "-l", "--all")
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: cannot look on the network: avahi-daemon "
                        b"is not running\n")
    p = ttyhub(a, build, "vm9", env={"TTYHUB_SOCKET": da.sock})
    assert p.returncode == 1
    assert p.stderr == (b'ttyhub: no console named "vm9" (ttyhub -l lists '
                        b'them; not looked for on the network: avahi-daemon '
                        b'is not running)\n'), p.stderr
    p = ttyhub(a, build, "vm1", input=b"still-here\n",
               env={"TTYHUB_SOCKET": da.sock})
    assert p.returncode == 0 and b"still-here" in p.stdout, p.stderr
    reload(da, ["vm1"])
    assert da.output().count("could not publish") == 1

    a.start_bus()
    a.start_avahi()
    da.wait_output('as "ttyhub on hosta"', timeout=60)
    wait_browse(c, lambda f: names_of(f, "hosta") == ["vm1"], "the service")


def test_nothing_on_the_network(link, build):
    c = link.host("hostc")
    p = ttyhub(c, build, "-l", "--all", "--timeout", "0.5")
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: no ttyhubd found on the network within "
                        b"500 ms\n"), p.stderr
    assert p.stdout == b""
    p = ttyhub(c, build, "vm1", "--timeout", "0.5")
    assert p.returncode == 1
    assert re.fullmatch(rb"ttyhub: cannot connect to ttyhubd at \S+/ttyhub"
                        rb"\.sock: No such file or directory, and no "
                        rb'console named "vm1" on the network \(0 ttyhubds '
                        rb"found\)\n", p.stderr), p.stderr


def test_loopback_and_unix_brokers_are_not_published(link, build):
    a, c = link.host("hosta"), link.host("hostc")
    da = daemon(a, build, ["vm1"], ttyhubd="broker = 127.0.0.1:7000\n")
    db = daemon(c, build, ["vm2"], ttyhubd="broker = %s:7000\n" % c.addr)
    db.wait_output('DNS-SD: published the broker (%s port 7000)' % c.addr)
    found = wait_browse(a, lambda f: len(f) == 1, "hostc's service")
    assert found[0][1] == c.addr
    assert "DNS-SD" not in da.output()


def test_built_without_avahi(tmp_path):
    """make AVAHI=no (what a machine without libavahi-client-dev builds):
    -V says so, a daemon asked to publish says once that it cannot, and
    the client says why it cannot look."""
    build = os.path.join(ROOT, "build-noavahi", "ttyhubd")
    if not os.access(build, os.X_OK):
        pytest.fail("%s is missing: run make check (it builds it)" % build)
    lk = hostsrig.Link(tmp_path)
    try:
        a = lk.host("hosta")
        p = a.run([build, "-V"])
        assert p.stdout == b"ttyhubd 0.1.0 (DNS-SD: not built in)\n"
        d = daemon(a, build, ["vm1"])
        d.wait_output("DNS-SD: could not publish the broker (* port 7000): "
                      "this ttyhubd was built without Avahi (publish = no "
                      "in [ttyhubd] says nothing)")
        reload(d, ["vm1", "vm2"])
        assert d.output().count("DNS-SD") == 1
        p = ttyhub(a, build, "-l", "--all")
        assert p.returncode == 1
        assert p.stderr == (b"ttyhub: cannot look on the network: this "
                            b"ttyhub was built without DNS-SD (Avahi)\n")
        p = ttyhub(a, build, "vm1", input=b"no-avahi-here\n",
                   env={"TTYHUB_SOCKET": d.sock})
        assert p.returncode == 0 and b"no-avahi-here" in p.stdout
    finally:
        outs = lk.close()
    for path, out in outs.items():
        for marker in SAN_MARKERS:
            assert marker not in out, (path, out)


def test_records_of_others(link, build):
    """avahi-publish on a fourth host plays a service that is not ttyhubd:
    one that claims vm17 with no broker behind it, and one whose name,
    host and record hold control bytes.  ttyhub names the claim beside
    the real vm17, lists what answers and says what did not, and prints
    nothing of theirs raw."""
    b, c, d = link.host("hostb"), link.host("hostc"), link.host("hostd")
    daemon(b, build, ["vm17"])
    d.start("fake1", ["avahi-publish", "-s", "fake", "_ttyhub._tcp", "7000",
                      "txtvers=1", "n=1", "c0=vm17"])
    d.start("fake2", ["avahi-publish", "-s", "evil\x1b[31m", "_ttyhub._tcp",
                      "7001", "txtvers=1", "n=2", "c0=\x1b]0;pwned\x07,ok",
                      "v=\x1b[2J"])
    wait_browse(c, lambda f: len(f) == 3, "three services")

    p = ttyhub(c, build, "vm17", input=b"")
    assert p.returncode == 1
    assert p.stderr in (b"ttyhub: vm17 is on 2 hosts: hostb, hostd; choose "
                        b"one with vm17@HOST\n",
                        b"ttyhub: vm17 is on 2 hosts: hostd, hostb; choose "
                        b"one with vm17@HOST\n"), p.stderr
    p = ttyhub(c, build, "vm17@hostb", input=b"the-real-one\n")
    assert p.returncode == 0 and b"the-real-one" in p.stdout, p.stderr

    p = ttyhub(c, build, "-l", "--all")
    assert p.returncode == 1
    rows = [line.split()[:2] for line in p.stdout.decode().splitlines()]
    assert rows == [["HOST", "NAME"], ["hostb", "vm17"]], p.stdout
    err = p.stderr.decode()
    assert "ttyhub: hostd (%s:7000): cannot connect: Connection refused\n" \
        % d.addr in err, err
    assert "ttyhub: hostd (%s:7001): cannot connect: Connection refused\n" \
        % d.addr in err, err
    assert "\x1b" not in err and "\x07" not in err
    for name in ("ok", "pwned"):
        p = ttyhub(c, build, name, "--timeout", "1", input=b"")
        assert b"\x1b" not in p.stderr and b"\x07" not in p.stderr
    # "ok" is a valid name beside a bad one: the record names it, so
    # ttyhub goes there, and nobody answers.
    p = ttyhub(c, build, "ok", input=b"")
    assert p.returncode == 1
    assert p.stderr == (b"ttyhub: cannot connect to ttyhubd at %s:7001: "
                        b"Connection refused (is it running? -s names its "
                        b"socket)\n" % d.addr.encode()), p.stderr


def host_cert(pki, host):
    """A certificate for host as DNS-SD names it (HOST.local), from pki's
    CA; returns the [ttyhubd] keys that use it."""
    d = os.path.join(pki, "hosts")
    os.makedirs(d, exist_ok=True)
    ext = os.path.join(d, host + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s.local\n" % host)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    openssl("req", *ec, "-keyout", host + ".key", "-out", host + ".csr",
            "-subj", "/CN=%s.local" % host, cwd=d)
    openssl("x509", "-req", "-in", host + ".csr", "-CA",
            os.path.join(pki, "ca.pem"), "-CAkey",
            os.path.join(pki, "ca.key"), "-CAcreateserial", "-days", "30",
            "-out", host + ".pem", "-extfile", ext, cwd=d)
    return ("tls-cert = %s/%s.pem\ntls-key = %s/%s.key\ntls-ca = %s/ca.pem\n"
            % (d, host, d, host, pki))


def test_tls_brokers_are_published_as_such(link, build, pki):
    """A broker on TLS that asks for a login is published as
    _ttyhub-tls._tcp; ttyhub on another host speaks TLS to it, checks its
    certificate against the name the record announced (HOST.local, not
    the address it resolved to), logs in with a client certificate, and
    lists and attaches there as it does to a plain broker beside it.
    Without the CA, the TLS host is refused and the plain one still
    answers."""
    a, b, c = link.host("hosta"), link.host("hostb"), link.host("hostc")
    da = daemon(a, build, ["vm5"], ttyhubd="broker = *:7443,tls,auth\n" +
                host_cert(pki, "hosta"))
    daemon(b, build, ["vm6"])
    da.wait_output('DNS-SD: published the broker (* port 7443 over TLS) as '
                   '"ttyhub on hosta" (1 console)')
    found = wait_browse(c, lambda f: len(f) == 1, "the TLS service",
                        type="_ttyhub-tls._tcp")
    assert found[0][:3] == ("hosta.local", a.addr, 7443)
    assert names_of(found, "hosta") == ["vm5"]
    # The plain type has only hostb.
    found = wait_browse(c, lambda f: len(f) == 1, "hostb alone")
    assert found[0][0] == "hostb.local"

    creds = ["--tls-ca", os.path.join(pki, "ca.pem"),
             "--tls-cert", os.path.join(pki, "nobody.pem"),
             "--tls-key", os.path.join(pki, "nobody.key")]
    p = ttyhub(c, build, "-l", "--all", *creds)
    assert p.returncode == 0, p.stderr
    rows = sorted(tuple(line.split()[:2])
                  for line in p.stdout.decode().splitlines()[1:])
    assert rows == [("hosta", "vm5"), ("hostb", "vm6")], p.stdout

    p = ttyhub(c, build, "vm5", *creds, input=b"through-tls\n")
    assert p.returncode == 0, p.stderr
    assert b"through-tls" in p.stdout, p.stdout
    da.wait_output("console vm5: nobody (")

    # No CA: the system's store does not know the test CA.
    p = ttyhub(c, build, "-l", "--all")
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "hosta (%s:7443): " % a.addr in err and "TLS" in err, err
    assert "certificate" in err, err
    assert [line.split()[:2] for line in
            p.stdout.decode().splitlines()[1:]] == [["hostb", "vm6"]]
