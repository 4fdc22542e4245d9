"""The UML rig on its own, without a vhost-user device: the guest boots
from its hostfs root, busybox works, virtio_console.ko loads (and finds no
device), the snippet runs and reports, poweroff ends UML, and nothing of
UML's session is left behind."""
import os

import pytest

import umlrig
from ttyhubtest import helper


def test_boot_insmod_snippet_poweroff(uml):
    g = uml(script='say "uname:$(uname -r)"\nsay "sum:$((6 * 7))"\n'
                   'say "mods:$(cut -d" " -f1 /proc/modules)"\n'
                   '[ -e /dev/hvc0 ] && say "hvc0?" || say "no hvc0"\n')
    assert g.wait_exit(30) == 0
    got = g.reports()
    assert "insmod virtio_console ok" in got, g.console_output()
    assert "uname:" + g.kernel.version in got
    assert "sum:42" in got
    assert "mods:virtio_console" in got
    assert "no hvc0" in got
    assert "snippet exit 0" in got
    assert got[-1] == "poweroff"
    assert g.boot_time < 20
    assert not g.leftovers
    # the guest's root is its own directory, not the host's /
    assert os.path.isfile(os.path.join(g.root, "tth", "init"))


def test_stop_kills_a_guest_that_does_not_power_off(uml):
    g = uml(script='say "waiting"\nsleep 300\n')
    g.wait_for(umlrig.MARK + "waiting", 30)
    assert g.running()
    g.stop(timeout=5)
    assert not g.running()
    assert umlrig._session_members(g.pid) == []


def test_the_snippet_is_bounded(uml):
    g = uml(script="sleep 300\n", script_timeout=2)
    assert g.wait_exit(30) == 0
    assert "snippet exit 137" in g.reports()


def test_a_boot_whose_init_cannot_fork_is_made_again(uml):
    # threads-max below the kernel's own thread count gives every boot the
    # EAGAIN that a boot gets now and then on its own (umlrig.BOOT_TRIES).
    g = uml(script='say "ran"\n', start=False,
            cmdline=["sysctl.kernel.threads-max=20"])
    with pytest.raises(umlrig.GuestError, match="before saying"):
        g.start()
    assert len(g.failed_boots) == umlrig.BOOT_TRIES - 1
    assert all(umlrig.INIT_CANNOT_FORK in c for c in g.failed_boots)
    with open(g.log_path, errors="replace") as f:
        log = f.read()
    assert log.count(umlrig.INIT_CANNOT_FORK) == umlrig.BOOT_TRIES
    assert "ran" not in g.reports()


def _host_vector_level():
    """What vecregs picks on this CPU: the guest runs on it natively."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                break
        else:
            flags = []
    if "avx512f" in flags:
        return "avx512"
    return "avx" if "avx" in flags else "sse"


def test_vector_registers_survive_thread_switches(uml):
    # Both threads of one guest process run in one host process: only
    # UML's save and restore of the FPU state at each switch (through
    # umlfpu.so where the host has AMX) keeps their registers apart.
    g = uml(script='out=$(/tth/vecregs 3000)\nsay "vecregs $? $out"\n',
            files={"/tth/vecregs": helper("vecregs")})
    assert g.wait_exit(60) == 0
    want = "vecregs 0 %s ok" % _host_vector_level()
    assert want in g.reports(), g.console_output()
