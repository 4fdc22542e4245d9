"""What a user meets in the first hour with ttyhubd: the messages for
common mistakes in the file and on the command line, and what the
broker's prompt shows.  Each test here is a report that was made."""
import subprocess
import time

from telnetc import Telnet


def check(build, tmp_path, text):
    conf = tmp_path / "t.conf"
    conf.write_text(text)
    return subprocess.run([build, "-c", str(conf), "-t"],
                          capture_output=True, text=True, timeout=10)


def test_a_listener_list_with_commas_says_how_to_separate(build, tmp_path):
    """"telnet = 7001, 7002" once said: unknown option "" """
    for value, word in (("7001, 7002", "nothing after a comma"),
                        ("7001,7002", '"7002" is not an option')):
        p = check(build, tmp_path, "[console a]\ntype = unix\npath = /x\n"
                  "telnet = %s\n" % value)
        assert p.returncode == 2, p.stderr
        assert ("%s: addresses are separated by blanks, and a comma starts "
                "an option (ro, noreplay, tls, auth)\n" % word) in \
            p.stderr, p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr


def test_the_prompts_list_fits_80_columns(hub, tmp_path):
    """The broker's list at the prompt once ran past 80 columns with any
    log path.  Now a long name goes whole on a line of its own, a long
    log path keeps its end, byte counts are short; TTYHUB_COMMAND=list,
    read by programs, still has every field whole."""
    long_name = "a-console-with-a-name-longer-than-its-column"
    log = tmp_path / "logs" / "a" / "path" / "longer" / "than" / "20.log"
    log.parent.mkdir(parents=True)
    h = hub("[console sh]\ntype = exec\ncommand = /usr/bin/seq 20000\n"
            "restart = no\nlog = %s\n"
            "[console %s]\ntype = unix\npath = %s\n"
            "[console v]\ntype = vhost-user\npath = %s\n"
            % (log, long_name, tmp_path / "none.sock", tmp_path / "v.sock"))
    total = len(b"".join(b"%d\r\n" % i for i in range(1, 20001)))
    deadline = time.monotonic() + 10
    while not (log.exists() and b"20000\r\n" in log.read_bytes()):
        assert time.monotonic() < deadline, "seq never finished"
        time.sleep(0.05)
    # Its last line read is not the program gone: the list says "down"
    # once the daemon has seen it exit.
    h.wait_output("console sh: backend down")
    b = Telnet(path=h.sock)
    b.expect(b"ttyhub> ")
    b.data.clear()
    b.send(b"list\r")
    out = b.expect(b"\r\nttyhub> ").decode()
    lines = out.split("\r\n")[1:-1]         # the echo; the prompt
    assert all(len(ln) <= 80 for ln in lines), lines
    assert lines[0].split() == ["NAME", "TYPE", "STATE", "CLIENTS", "IN",
                                "OUT", "LOG"], lines
    # 20000 lines of seq through the pty: in KiB, as ls -h shows it.
    assert lines[1].split()[:5] == ["sh", "exec", "down", "0", "0"], lines
    assert lines[1].split()[5] == "%dK" % round(total / 1024), lines
    assert lines[1].endswith("  ..." + str(log)[-17:]), lines
    assert lines[2] == long_name, lines
    assert lines[3].split() == ["unix", "down", "0", "0", "0", "-"], lines
    assert lines[4].split() == ["v", "vhost-user", "connecting", "0", "0",
                                "0", "-"], lines
    b.close()
    t = Telnet(path=h.sock, agree={39},
               env=[(3, b"TTYHUB_COMMAND", b"list")])
    t.wait_closed()
    rows = bytes(t.data).decode().split("\r\n")
    assert rows[0].split("\t") == ["sh", "exec", "down", "0", "0",
                                   str(total), str(log)], rows
    assert rows[1].split("\t")[0] == long_name, rows


def test_login_server_flags_with_c_alone_are_refused(build, tmp_path):
    """`ttyhubd -c FILE -K` once took -K and did nothing with it: -c
    starts no login listener without -p, -b or -l.  Now it says so; with
    one of those, -K is the login listener's, as without -c."""
    conf = tmp_path / "t.conf"
    conf.write_text("[console a]\ntype = unix\npath = /x\n")
    for flag, key in ((["-K"], "close-on-exit"), (["-f", "/dev/null"],
                      "issue"), (["--accept-env", "LANG"], "accept-env")):
        p = subprocess.run([build, "-c", str(conf), "-t"] + flag,
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2, p
        assert p.stderr == ("ttyhubd: %s is for the login server, which -c "
                            "starts only with -p, -b or -l (a [login] "
                            "section has %s) (ttyhubd --help lists the "
                            "options)\n" % (flag[0], key)), p.stderr
        p = subprocess.run([build, "-c", str(conf), "-t", "-p", "2323"] +
                           flag, capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr


def test_help_shows_the_two_modes(build):
    p = subprocess.run([build, "--help"], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0
    usage = p.stdout.split("\n\n")[0].splitlines()
    assert usage[0].startswith("usage: ttyhubd [-FKSd] [-p PORT]"), usage
    assert usage[2].startswith("       ttyhubd -c FILE [-t]"), usage
    assert "-p PORT | -b ADDR[:PORT] | -l PROG, with -K -f --accept-env" \
        in usage[3], usage
    assert "The login server (-K -f -i -w --accept-env: only with it):" \
        in p.stdout
    assert all(len(ln) <= 80 for ln in p.stdout.splitlines())
