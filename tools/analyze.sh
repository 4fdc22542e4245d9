#!/bin/sh
# Static checks over src/ (make analyze; part of make check):
#   1. gcc -fanalyzer on every .c file under src/, with the build's flags;
#      any finding fails.  A finding that is a false positive is dealt with
#      where it occurs (a check the analyzer can follow, or a comment and a
#      pragma saying why), never by a list here.
#   2. No sprintf, vsprintf, strcpy, strcat or gets anywhere under src/:
#      bounded forms only (snprintf, memcpy with a checked length).
set -eu
cd "$(dirname "$0")/.."

CC=${ANALYZE_CC:-gcc}
PKGS="libevent_core libtelnet"
pkgflags=$(pkg-config --cflags $PKGS inih 2>/dev/null ||
    pkg-config --cflags $PKGS 2>/dev/null || true)
# The DNS-SD code is analysed as it is built: with Avahi when it is there.
if pkg-config --exists avahi-client 2>/dev/null; then
	pkgflags="$pkgflags -DTTYHUB_AVAHI=1 $(pkg-config --cflags avahi-client)"
else
	pkgflags="$pkgflags -DTTYHUB_AVAHI=0"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# One file: its diagnostics go to TMP/N.log, a failure to TMP/N.fail.
export CC pkgflags TMP
find src -name '*.c' | sort | awk '{ print NR, $0 }' |
xargs -n 2 -P "$(nproc 2>/dev/null || echo 2)" sh -c '
	# shellcheck disable=SC2086
	$CC -std=c11 -D_GNU_SOURCE -DTTYHUB_VERSION="\"analyze\"" \
	    -Wall -Wextra -Werror -O1 -fanalyzer $pkgflags \
	    -c -o /dev/null "$1" >"$TMP/$0.log" 2>&1 || touch "$TMP/$0.fail"'
n=$(find src -name '*.c' | wc -l)
cat "$TMP"/*.log 2>/dev/null || true
status=0
if ls "$TMP"/*.fail >/dev/null 2>&1; then
	echo "analyze: gcc -fanalyzer found problems (above)" >&2
	status=1
else
	echo "analyze: gcc -fanalyzer: $n files under src/, no findings"
fi

# Calls only: a word boundary before the name and "(" after it.
if grep -rnE '(^|[^A-Za-z0-9_])(v?sprintf|strcpy|strcat|gets)[[:space:]]*\(' \
    --include='*.c' --include='*.h' src; then
	echo "analyze: unbounded string functions in src/ (above): use" \
	    "snprintf or memcpy with a checked length" >&2
	status=1
else
	echo "analyze: no sprintf, vsprintf, strcpy, strcat or gets in src/"
fi
exit "$status"
