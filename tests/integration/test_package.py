"""The Debian package (issue 18): make deb runs dpkg-buildpackage -us -uc
-b on a copy of the tree and lintian, which must find no error; the
.deb is then unpacked by dpkg into a root of its own (dpkg --root, with
its maintainer scripts told so by DPKG_ROOT) and checked: the programs
run, the manual pages read, the units, the PAM service and the example
are there, and every file the package has is where the manual pages'
FILES sections say, and the other way round.  About 20 s on a quiet
machine (2 CPUs), most of it the build; TTYHUB_FULL is not needed."""
import os
import re
import shutil
import subprocess

import pytest

from ttyhubtest import ROOT

VERSION = "0.1.0"
PAGES = ("doc/ttyhub.1", "doc/ttyhubd.8", "doc/ttyhub.conf.5")

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-buildpackage") is None or shutil.which("lintian") is
    None or shutil.which("dh") is None,
    reason="dpkg-dev, debhelper or lintian is not installed (make "
    "test-deps installs them)")


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    out = tmp_path_factory.mktemp("deb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(["make", "-s", "-C", ROOT, "deb",
                        "DEB_DIR=%s" % (out / "build")],
                       capture_output=True, timeout=900, env=env)
    assert p.returncode == 0, (p.stdout[-4000:] + p.stderr[-4000:]).decode()
    deb = out / "build" / ("ttyhub_%s_amd64.deb" % VERSION)
    assert deb.exists(), os.listdir(out / "build")
    root = out / "root"
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
        (root / d).mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("")
    p = subprocess.run(["dpkg", "--root=%s" % root, "--log=/dev/null",
                        "--force-script-chrootless", "--unpack", str(deb)],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return deb, root


def packaged(root):
    """The package's files as dpkg lists them, without directories."""
    p = subprocess.run(["dpkg", "--root=%s" % root, "-L", "ttyhub"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return {f for f in p.stdout.splitlines()
            if f != "/." and not os.path.isdir(str(root) + f)}


def files_sections():
    """Every absolute path a manual page's FILES section names (.It Pa)."""
    paths = set()
    for page in PAGES:
        sect = None
        with open(os.path.join(ROOT, page)) as f:
            for line in f:
                if line.startswith(".Sh "):
                    sect = line[4:].strip()
                elif sect == "FILES":
                    m = re.match(r"\.It Pa (/\S+)$", line.strip())
                    if m:
                        paths.add(m.group(1))
    return paths


def test_lintian_clean_and_dpkg_takes_it(deb):
    path, root = deb
    p = subprocess.run(["lintian", "--fail-on", "error", str(path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not re.search(r"^E: ", p.stdout, re.M), p.stdout
    p = subprocess.run(["dpkg", "--root=%s" % root, "-s", "ttyhub"],
                       capture_output=True, text=True, timeout=60)
    assert "Status: install ok unpacked\n" in p.stdout, p.stdout
    assert "Version: %s\n" % VERSION in p.stdout
    p = subprocess.run(["dpkg-deb", "-f", str(path), "Depends"],
                       capture_output=True, text=True, timeout=60)
    assert "libavahi-client3" in p.stdout and "libevent" in p.stdout, \
        p.stdout
    # ttyhub loads these two itself (dlopen): dpkg-shlibdeps cannot tell.
    assert re.search(r"(^|, )libssl3($|[ ,])", p.stdout), p.stdout
    # ttyhub links these from their archives: their versions are named.
    p = subprocess.run(["dpkg-deb", "-f", str(path), "Static-Built-Using"],
                       capture_output=True, text=True, timeout=60)
    for src in ("libevent", "libtelnet"):
        assert re.search(r"(^|, )%s \(= [^)]+\)" % src, p.stdout), p.stdout


def test_files_are_where_the_manual_says(deb):
    _, root = deb
    files = packaged(root)
    named = files_sections()
    # The package's side: what it installs is named (the programs and
    # the manual pages name themselves; Debian's doc files are its own).
    own = {"/usr/bin/ttyhub", "/usr/sbin/ttyhubd",
           "/usr/share/doc/ttyhub/copyright",
           "/usr/share/doc/ttyhub/changelog.gz",
           "/usr/share/man/man1/ttyhub.1.gz",
           "/usr/share/man/man5/ttyhub.conf.5.gz",
           "/usr/share/man/man8/ttyhubd.8.gz"}
    assert files - own <= named, files - own - named
    assert own <= files, own - files
    # The manual's side: a path of ours it names under /usr, /lib or
    # /etc/pam.d is in the package; the configuration's directory is too.
    for path in named:
        if path.startswith(("/usr/", "/lib/", "/etc/pam.d/")):
            assert path in files, path
    assert "/etc/ttyhub/ttyhub.conf" in named
    assert os.path.isdir(str(root) + "/etc/ttyhub")
    assert not os.path.exists(str(root) + "/etc/ttyhub/ttyhub.conf")


def test_what_is_installed_works(deb, tmp_path):
    _, root = deb
    p = subprocess.run([str(root) + "/usr/sbin/ttyhubd", "-V"],
                       capture_output=True, timeout=10)
    assert p.stdout == b"ttyhubd %s (DNS-SD: Avahi)\n" % VERSION.encode()
    p = subprocess.run([str(root) + "/usr/bin/ttyhub", "-V"],
                       capture_output=True, timeout=10)
    assert p.stdout.startswith(b"ttyhub %s (protocol 4" % VERSION.encode())
    example = str(root) + "/usr/share/doc/ttyhub/examples/ttyhub.conf"
    p = subprocess.run([str(root) + "/usr/sbin/ttyhubd", "-c", example, "-t"],
                       capture_output=True, timeout=10)
    assert p.returncode == 0 and b": good (" in p.stdout, p.stderr

    for page, line in (("man1/ttyhub.1.gz", "ttyhub - attach to a console"),
                       ("man8/ttyhubd.8.gz", "ttyhubd - serve login"),
                       ("man5/ttyhub.conf.5.gz", "ttyhub.conf - consoles")):
        p = subprocess.run(["man", "-P", "cat", "-l",
                            str(root) + "/usr/share/man/" + page],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, MANWIDTH="80",
                                    LC_ALL="C.UTF-8"))
        text = re.sub(r".\x08", "", p.stdout.decode()).replace("\u2010", "-")
        assert p.returncode == 0 and line in text.replace("\u2014", "-"), \
            text[:400]

    pam = (root / "etc/pam.d/ttyhub.dpkg-new").read_text()
    assert "@include common-auth\n" in pam
    assert "@include common-account\n" in pam
    conffiles = subprocess.run(["dpkg-query", "--admindir=%s/var/lib/dpkg"
                                % root, "-W", "-f", "${Conffiles}",
                                "ttyhub"], capture_output=True, text=True,
                               timeout=60).stdout
    assert "/etc/pam.d/ttyhub " in conffiles, conffiles

    # The units as installed, with ExecStart pointed at the unpacked
    # program (systemd-analyze checks it exists).
    units = root / "lib/systemd/system"
    service = (units / "ttyhubd.service").read_text()
    assert "ExecStart=/usr/sbin/ttyhubd -F -c /etc/ttyhub/ttyhub.conf\n" in \
        service
    assert "ConditionPathExists=/etc/ttyhub/ttyhub.conf\n" in service
    if shutil.which("systemd-analyze") is not None:
        (tmp_path / "ttyhubd.service").write_text(service.replace(
            "/usr/sbin/ttyhubd", str(root) + "/usr/sbin/ttyhubd"))
        shutil.copy(units / "ttyhubd.socket", tmp_path)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            "ttyhubd.service", "ttyhubd.socket"],
                           capture_output=True, timeout=120,
                           cwd=str(tmp_path))
        assert p.returncode == 0 and p.stderr == b"", p.stderr


def test_the_changelog_is_the_package_version():
    with open(os.path.join(ROOT, "debian/changelog")) as f:
        assert f.readline().startswith("ttyhub (%s) " % VERSION)
    with open(os.path.join(ROOT, "Makefile")) as f:
        assert re.search(r"^VERSION\s*:= %s$" % re.escape(VERSION), f.read(),
                         re.M)
