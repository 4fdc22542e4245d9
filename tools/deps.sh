#!/bin/sh
# Install the Debian packages a build ("build"), the tests ("test") or the
# benchmarks ("bench") need, when they are missing.  As root it runs
# apt-get and says so; otherwise it prints the command to run and fails.
# The build also needs npm, for xterm.js (web/package-lock.json; make runs
# npm ci): Debian's nodejs and npm unless a node with its npm is installed
# already.  The browser tests run Debian's chromium.
set -eu

build_pkgs="gcc make pkg-config libevent-dev libtelnet-dev libinih-dev zlib1g-dev libpcap-dev
 libssl-dev libpam0g-dev libavahi-client-dev"
test_pkgs="$build_pkgs clang libclang-rt-14-dev python3 python3-pytest python3-pexpect
 python3-serial python3-websocket inetutils-telnet inetutils-telnetd busybox-static socat
 netcat-openbsd tmux openssl passwd libpam-modules iproute2
 qemu-system-x86 cpio xz-utils zstd procps valgrind user-mode-linux man-db tcpdump
 chromium dbus-daemon avahi-daemon avahi-utils systemd
 debhelper dpkg-dev lintian fakeroot"
if ! command -v npm >/dev/null 2>&1; then
	build_pkgs="$build_pkgs nodejs npm"
	test_pkgs="$test_pkgs nodejs npm"
fi

# bench/net.py compares guest networks with vde_switch, through the
# peers' libvdeplug: only it needs these two.
bench_pkgs="$test_pkgs vde-switch libvdeplug-dev"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
bench) want=$bench_pkgs ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "ttyhub: missing Debian packages:$missing" >&2
	echo "ttyhub: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "ttyhub: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "ttyhub: installed:$missing"
