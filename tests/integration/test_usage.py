"""What a user meets in the first hour with ttyhubd: the messages for
common mistakes in the file and on the command line, and what the
broker's prompt shows.  Each test here is a report that was made."""
import subprocess


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
                "an option (ro, noreplay)\n" % word) in p.stderr, p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr
