#!/bin/sh
# Run the QEMU end-to-end tests (hooked as `make e2e`). Extra arguments go to pytest,
# e.g. tests/e2e/run.sh -k busybox
set -eu
cd "$(dirname "$0")/../.."
# the rig asks apt which kernel package to fetch: that needs package lists
if ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-'; then
    if [ "$(id -u)" = 0 ]; then
        echo "e2e: no apt package lists yet; running apt-get update" >&2
        apt-get update -qq
    fi
fi
# Debian's interpreter (python3-pytest, python3-pexpect), not another python3 on PATH
exec /usr/bin/python3 -m pytest tests/e2e -v -rsx "$@"
