"""What a user meets in the first hour with the ttyhub client: usage
messages, exit statuses a script can rely on, and output that leaves the
shell's prompt where it belongs.  Each test here is a report that was
made."""
from clienttest import run


def test_send_without_text_says_so(ttyhub, tmp_path):
    """`ttyhub send sh` once said "which console?" though it named one."""
    for args in (["send", "sh"], ["send", "-n", "sh"]):
        p = run(ttyhub, tmp_path, "-s", str(tmp_path / "none.sock"), *args)
        assert p.returncode == 1
        assert p.stderr == (b"ttyhub: send: no text after the console's "
                            b"name (ttyhub --help shows the usage)\n"), \
            p.stderr
    p = run(ttyhub, tmp_path, "send")
    assert p.returncode == 1 and b"send: which console?" in p.stderr
