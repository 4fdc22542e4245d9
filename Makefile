# ttyhub: build, test, run.  Plain make; libraries from Debian via pkg-config.
#
#   make            build/ttyhubd
#   make run        install what is missing, start a shell server on 127.0.0.1:2323
#   make check      install test dependencies, run every test (unit, integration
#                   under a normal and an ASan+UBSan build, guests)
#   make unit       the C unit tests (tests/unit/test-*.c), in both builds
#   make static     build/ttyhubd-static, for initramfs guests
#   make bench      the benchmark suite (bench/RESULTS.md)
#   make install    the programs, man pages and an example configuration
#                   under $(DESTDIR)$(PREFIX) (default /usr/local);
#                   make uninstall removes them

CC        ?= cc
PKGS      := libevent_core libtelnet inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -levent_core -ltelnet -linih)
# Networks' captures (src/daemon/netcap.c): libpcap's dump writer.
PCAP_LIBS  = $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

# DNS-SD through Avahi's client library when libavahi-client-dev is
# installed (AVAHI=no leaves it out even then: give that build its own
# B=, objects do not know which way they were made).  ttyhubd -V and
# ttyhub -V say which.
AVAHI     ?= $(shell pkg-config --exists avahi-client 2>/dev/null && echo yes || echo no)
ifeq ($(AVAHI),yes)
AV_CFLAGS := -DTTYHUB_AVAHI=1 $(shell pkg-config --cflags avahi-client)
AV_LIBS   := $(shell pkg-config --libs avahi-client)
AV_SRC    := src/dnssd/evpoll.c
AV_CL_SRC := src/client/browse-lib.c
else
AV_CFLAGS := -DTTYHUB_AVAHI=0
AV_LIBS   :=
AV_SRC    :=
AV_CL_SRC :=
endif

VERSION   := 0.1.0
WARN      := -Wall -Wextra -Werror -Wundef -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wformat=2
HARDEN    := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DTTYHUB_VERSION='"$(VERSION)"' $(WARN) \
             $(CFLAGS) $(HARDEN) $(PKG_CFLAGS) -MMD -MP
LDHARDEN  := -pie -Wl,-z,relro,-z,now
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all

B         := build
BA        := build-asan

TN_SRC    := src/telnet/tn.c src/telnet/tnscan.c src/telnet/tnc.c \
             src/telnet/rfc2217.c src/telnet/tnline.c \
             src/ring/ring.c src/vhost/vhost.c src/vhost/vq.c src/vhost/vcons.c \
             src/net/frame.c src/net/fq.c src/net/fdb.c src/net/sw.c
D_SRC     := src/daemon/ttyhubd.c src/daemon/cmdline.c src/daemon/vdc.c \
             src/daemon/usage.c src/daemon/hub.c \
             src/daemon/session.c src/daemon/login.c src/daemon/pty.c \
             src/daemon/proc.c \
             src/daemon/broker.c src/daemon/listing.c \
             src/daemon/client.c src/daemon/client-out.c \
             src/daemon/client-ctl.c src/daemon/client-comport.c \
             src/daemon/conn.c src/daemon/listener.c src/daemon/rundir.c \
             src/daemon/gate.c src/daemon/auth.c \
             src/daemon/console.c src/daemon/console-member.c \
             src/daemon/conlog.c \
             src/daemon/network.c src/daemon/network-dgram.c \
             src/daemon/network-port.c src/daemon/netcap.c \
             src/daemon/backend.c src/daemon/backend-socket.c \
             src/daemon/backend-serial.c src/daemon/backend-exec.c \
             src/daemon/backend-pty.c src/daemon/backend-vhost.c \
             src/daemon/config.c src/daemon/config-section.c \
             src/daemon/config-parser.c src/daemon/config-table.c \
             src/daemon/config-kind.c src/daemon/config-value.c \
             src/daemon/log.c src/daemon/publish.c src/daemon/systemd.c \
             src/dnssd/txt.c
# The web console's protocol layer (src/web/: HTTP requests and
# responses, WebSocket framing and handshake, the control messages) and
# the daemon's side of it (web*.c).  SHA-1 for the handshake comes from
# libcrypto.  The static build leaves the web console out
# (ARCHITECTURE.md, Dependencies).
WEB_SRC   := src/web/http.c src/web/httpres.c src/web/utf8.c src/web/ws.c \
             src/web/wsopen.c src/web/webmsg.c
WEB_LIBS   = $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
WEBD_SRC  := src/daemon/web.c src/daemon/web-out.c src/daemon/web-asset.c \
             src/daemon/web-login.c src/daemon/web-session.c
# TLS (OpenSSL's libssl) and password checks (PAM): their variants
# without either for the static build (ARCHITECTURE.md, Dependencies).
SEC_SRC   := src/daemon/tls.c src/daemon/auth-pam.c
SECS_SRC  := src/daemon/tls-none.c src/daemon/auth-none.c
SEC_LIBS   = $(shell pkg-config --libs libssl libcrypto pam 2>/dev/null || \
             echo -lssl -lcrypto -lpam)
D_OBJ     := $(D_SRC:%.c=$(B)/%.o) $(TN_SRC:%.c=$(B)/%.o) \
             $(SEC_SRC:%.c=$(B)/%.o) $(AV_SRC:%.c=$(B)/%.o) \
             $(WEBD_SRC:%.c=$(B)/%.o) $(WEB_SRC:%.c=$(B)/%.o)
DA_OBJ    := $(D_SRC:%.c=$(BA)/%.o) $(TN_SRC:%.c=$(BA)/%.o) \
             $(SEC_SRC:%.c=$(BA)/%.o) $(AV_SRC:%.c=$(BA)/%.o) \
             $(WEBD_SRC:%.c=$(BA)/%.o) $(WEB_SRC:%.c=$(BA)/%.o)
DS_OBJ    := $(D_SRC:%.c=$(B)/static/%.o) $(TN_SRC:%.c=$(B)/static/%.o) \
             $(SECS_SRC:%.c=$(B)/static/%.o)

# The web console's files, built into the daemon by web-asset.c
# (.incbin): the page's own in web/, and xterm.js with its fit addon,
# installed from web/package-lock.json by npm ci (the registry is needed
# once; what is built in is what the lock file pins, nothing is fetched
# at run time).
WEB_NPM   := web/node_modules/.package-lock.json
WEB_FILES := web/console.html web/ttyhub.js web/ttyhub.css $(WEB_NPM)

PYTEST    := /usr/bin/python3 -m pytest

.PHONY: all static asan unit helpers check test e2e run deps test-deps bench clean
.PHONY: install uninstall deb

all: $(B)/ttyhubd

$(B)/ttyhubd: $(D_OBJ)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(PCAP_LIBS) $(SEC_LIBS) $(AV_LIBS)

$(WEB_NPM): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

$(B)/src/daemon/web-asset.o $(BA)/src/daemon/web-asset.o: $(WEB_FILES)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AV_CFLAGS) -c -o $@ $<

# The ASan+UBSan build the integration suite also runs against.
asan: $(BA)/ttyhubd

# ASan finds the function its crypt(3) interceptor calls when the program
# starts; PAM's pam_unix loads libcrypt only later, so the interceptor
# would call a null pointer in a password check: link libcrypt here.
$(BA)/ttyhubd: $(DA_OBJ)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(PCAP_LIBS) $(SEC_LIBS) $(AV_LIBS) \
	    -Wl,--no-as-needed -lcrypt -Wl,--as-needed

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AV_CFLAGS) -O1 $(SAN) -c -o $@ $<

# Statically linked, for a BusyBox initramfs (no shared libraries there,
# and no avahi-daemon: built without DNS-SD).
static: $(B)/ttyhubd-static

$(B)/ttyhubd-static: $(DS_OBJ)
	$(CC) -static -s $(LDFLAGS) -o $@ $^ -levent_core -ltelnet -linih -lz
	@size=$$(stat -c %s $@); echo "$@: $$size bytes"

$(B)/static/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DTTYHUB_AVAHI=0 -DTTYHUB_WEB=0 -Os -fno-PIE -c -o $@ $<

# libpcap.a needs libdbus and libsystemd: the static build has no
# network captures (netcap.c says so when a network asks for one).
$(B)/static/src/daemon/netcap.o: ALL_CFLAGS += -DTTYHUB_NO_PCAP

deps:
	@sh tools/deps.sh build

test-deps:
	@sh tools/deps.sh test

# Everything, ending with pytest's summary line.
check: test-deps
	$(MAKE) all asan static helpers
	$(MAKE) CC=clang B=build-clang all
	$(MAKE) AVAHI=no B=build-noavahi all
	$(MAKE) analyze fuzz-ci
	$(PYTEST) -q tests

test: check

e2e: test-deps
	$(MAKE) static
	$(PYTEST) -v tests/e2e

run: deps
	$(MAKE) all
	@echo
	@echo "ttyhubd: serving /bin/sh on 127.0.0.1 port 2323 (Ctrl-C here stops it)."
	@echo "         connect with:  telnet 127.0.0.1 2323"
	@echo
	$(B)/ttyhubd -F -b 127.0.0.1:2323 -l /bin/sh -f /dev/null

# Fuzzing (doc/FUZZING.md): every tests/fuzz/fuzz-*.c harness, for
# FUZZ_SECONDS each (fuzz) or briefly, failing on any finding (fuzz-ci).
FUZZ_SECONDS	?= 600
FUZZ_CI_SECONDS	?= 20

.PHONY: fuzz fuzz-ci analyze

fuzz: test-deps
	sh tools/fuzz.sh run $(FUZZ_SECONDS)

fuzz-ci: test-deps
	sh tools/fuzz.sh ci $(FUZZ_CI_SECONDS)

# gcc -fanalyzer over src/, and no sprintf/strcpy/strcat in it.
analyze:
	sh tools/analyze.sh

bench: test-deps all
	/usr/bin/python3 bench/run.py

clean:
	rm -rf $(B) $(BA) build-clang build-noavahi

# Installing.  ttyhubd goes to sbin, as its manual's section (8) says;
# SBINDIR=$(PREFIX)/bin puts it where users' PATH finds it too.  The
# example configuration is documentation, not /etc: ttyhubd reads only
# the file -c names, and an install must not put consoles in effect or
# overwrite a file someone has edited.
#
# The systemd units (dist/systemd/) go to SYSTEMDUNITDIR, by default
# $(PREFIX)/lib/systemd/system, which systemd reads for /usr and
# /usr/local alike; ttyhubd.service runs $(SBINDIR)/ttyhubd -F -c
# $(SYSCONFDIR)/ttyhub/ttyhub.conf, and does not start while that file
# is missing.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/ttyhub
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL   ?= install
# PAM reads /etc/pam.d (and its vendor directory), never PREFIX: the
# service file goes there, and only when there is none, so that one
# someone edited stays (uninstall leaves it too).
PAMDIR    ?= /etc/pam.d

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 755 $(B)/ttyhub $(DESTDIR)$(BINDIR)/ttyhub
	$(INSTALL) -m 755 $(B)/ttyhubd $(DESTDIR)$(SBINDIR)/ttyhubd
	$(INSTALL) -m 644 doc/ttyhub.1 $(DESTDIR)$(MANDIR)/man1/ttyhub.1
	$(INSTALL) -m 644 doc/ttyhub.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/ttyhub.conf.5
	$(INSTALL) -m 644 doc/ttyhubd.8 $(DESTDIR)$(MANDIR)/man8/ttyhubd.8
	$(INSTALL) -m 644 doc/examples/ttyhub.conf \
	    $(DESTDIR)$(DOCDIR)/examples/ttyhub.conf
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    dist/systemd/ttyhubd.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/ttyhubd.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/ttyhubd.service
	$(INSTALL) -m 644 dist/systemd/ttyhubd.socket \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/ttyhubd.socket
	$(INSTALL) -d $(DESTDIR)$(PAMDIR)
	test -e $(DESTDIR)$(PAMDIR)/ttyhub || \
	    $(INSTALL) -m 644 doc/examples/pam.d-ttyhub $(DESTDIR)$(PAMDIR)/ttyhub

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ttyhub $(DESTDIR)$(SBINDIR)/ttyhubd \
	    $(DESTDIR)$(MANDIR)/man1/ttyhub.1 \
	    $(DESTDIR)$(MANDIR)/man5/ttyhub.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/ttyhubd.8 \
	    $(DESTDIR)$(DOCDIR)/examples/ttyhub.conf \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/ttyhubd.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/ttyhubd.socket
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# The Debian package (debian/), built by dpkg-buildpackage -us -uc -b in
# a copy of the tree (the files git knows or would: none of build/), so
# that what it writes beside the source stays in $(B)/deb/; lintian must
# find no error in it.
DEB_DIR   := $(B)/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/ttyhub-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/ttyhub-$(VERSION)
	cd $(DEB_DIR)/ttyhub-$(VERSION) && env -u MAKEFLAGS -u MFLAGS \
	    -u MAKELEVEL DEB_BUILD_OPTIONS=parallel=2 \
	    dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(DEB_DIR)/ttyhub_$(VERSION)_*.deb

# Console benchmarks: a ttyhubd serial console and ser2net 4.3 (telnet
# mode), each in front of a pty driven by the same C device program
# (bench/console.py; writes the Consoles section of bench/RESULTS.md).
# BENCH_QUICK=1 for a one-minute smoke run.
.PHONY: bench-console
bench-console: all
	/usr/bin/python3 bench/console.py

# The web console: a serial console's output to 1 and 100 WebSocket
# clients beside as many Telnet clients, MB/s and memory per client
# (bench/web.py; writes the Web console section of bench/RESULTS.md).
.PHONY: bench-web
bench-web: all
	/usr/bin/python3 bench/web.py
# Console output to 1 and 100 Telnet clients, in the clear and over TLS,
# side by side (bench/tls.py; writes the TLS section of bench/RESULTS.md).
.PHONY: bench-tls
bench-tls: all
	/usr/bin/python3 bench/tls.py
# Virtio consoles: one UML guest with two consoles served by ttyhubd, the
# vhost-user one and UML's own line on a socket, side by side
# (bench/vhost.py; writes the Virtio consoles section of bench/RESULTS.md).
.PHONY: bench-vhost
bench-vhost: all helpers
	/usr/bin/python3 bench/vhost.py

# Guest network queues without sockets: a copy per port (src/net/fq.c)
# against one shared copy with references, and the switch itself
# (bench/netq.py; writes the Network queues section of bench/RESULTS.md).
.PHONY: bench-netq
bench-netq:
	/usr/bin/python3 bench/netq.py

# Guest networks: ttyhubd's [network] against vde_switch, between
# synthetic guests (bench/net.py; writes the Guest networks section of
# bench/RESULTS.md).  vde-switch and libvdeplug-dev, which only this
# needs, come from tools/deps.sh bench.
.PHONY: bench-net
bench-net: all
	sh tools/deps.sh bench
	/usr/bin/python3 bench/net.py

# The client, ttyhub(1): src/client/ over libevent and libtelnet; it
# shares the protocol's constants (src/telnet/tn.h), the shadow of
# libtelnet's framing (src/telnet/tnscan.c) and where the broker's
# socket is by default (src/daemon/rundir.c) with the daemon.  TLS
# (src/daemon/tls.c, built again as lazy/ with TTYHUB_TLS_LAZY=1) and
# avahi-client are not linked: tls-lib.c and browse-lib.c load them
# when a run first needs them (ARCHITECTURE.md, Dependencies).
CL_SRC    := src/client/ttyhub.c src/client/attach.c src/client/cmd.c \
             src/client/netview.c src/client/conn.c src/client/peer.c src/client/escape.c \
             src/client/clean.c src/client/tty.c src/client/ui.c \
             src/client/hosts.c src/client/browse.c \
             src/telnet/tnscan.c \
             src/telnet/tnc.c src/telnet/tn.c \
             src/daemon/rundir.c src/daemon/tls-lib.c src/daemon/dynlib.c \
             src/dnssd/txt.c \
             $(AV_SRC) $(AV_CL_SRC)
CL_OBJ    := $(CL_SRC:%.c=$(B)/%.o) $(B)/lazy/src/daemon/tls.o
CLA_OBJ   := $(CL_SRC:%.c=$(BA)/%.o) $(BA)/lazy/src/daemon/tls.o
# ttyhub is started once per attach, by people and by scripts opening
# hundreds of sessions, so its start counts: it links libevent_core and
# libtelnet from their static archives, which saves the loader two
# libraries, about 0.07 ms of every start (bench/README.md, "Reading the
# results").  zlib stays shared: libtelnet.a needs it for MCCP, which the
# client never takes, and Debian wants no copy of zlib in a binary.
# CLIENT_STATIC=no links all shared; debian/rules names the static ones
# in Static-Built-Using, so that an update of either rebuilds ttyhub.
CLIENT_STATIC ?= yes
ifeq ($(CLIENT_STATIC),yes)
CL_LIBS    = -Wl,-Bstatic -levent_core -ltelnet -Wl,-Bdynamic -lz
else
CL_LIBS    = $(shell pkg-config --libs libevent_core libtelnet 2>/dev/null || echo -levent_core -ltelnet)
endif

all: $(B)/ttyhub
asan: $(BA)/ttyhub

$(B)/ttyhub: $(CL_OBJ)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(CL_LIBS)

$(BA)/ttyhub: $(CLA_OBJ)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CL_LIBS)

$(B)/lazy/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DTTYHUB_TLS_LAZY=1 -c -o $@ $<

$(BA)/lazy/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DTTYHUB_TLS_LAZY=1 -O1 $(SAN) -c -o $@ $<

# The guest network layer (src/net/: the stream framing, frame queues,
# forwarding database and switch), under the daemon's [network]
# sections (network.c), and alone in test-net, fuzz-net and bench/netq.py.
NET_SRC   := src/net/frame.c src/net/fq.c src/net/fdb.c src/net/sw.c

# --- Test programs ----------------------------------------------------------

# objs(BUILD, SOURCES): the objects of SOURCES in BUILD.
objs       = $(patsubst %.c,$(1)/%.o,$(2))

# The rules below name their sources in variables of the program's name
# ($$(UNIT_SRC_$$*)), expanded again once the rule is chosen; the objects
# they bring in are kept, as every object is.
.SECONDEXPANSION:
.SECONDARY:

# C unit tests: tests/unit/test-NAME.c linked with the sources in
# UNIT_SRC_NAME and the libraries in UNIT_LIBS_NAME, as $(B)/test-NAME and,
# under ASan+UBSan, $(BA)/test-NAME.  helpers and asan build them all;
# tests/unit/test_units.py runs each for each build (make unit: all of
# them, make unit-NAME: one).  A new one is its .c file and a UNIT_SRC line.
UNITS     := $(patsubst tests/unit/test-%.c,%,$(wildcard tests/unit/test-*.c))
ifneq ($(AVAHI),yes)
UNITS     := $(filter-out evpoll,$(UNITS))
endif

# The Telnet policy layer against golden transcripts (tests/golden/).
UNIT_SRC_tn       = src/telnet/tn.c src/telnet/tnscan.c
UNIT_LIBS_tn      = $(PKG_LIBS)
# RFC 2217's tables.
UNIT_SRC_rfc2217  = src/telnet/rfc2217.c
# The configuration file parser.
UNIT_SRC_config   = src/daemon/config.c src/daemon/config-section.c \
                    src/daemon/config-parser.c src/daemon/config-table.c \
                    src/daemon/config-kind.c src/daemon/config-value.c
UNIT_LIBS_config  = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
# The console ring against a model.
UNIT_SRC_ring     = src/ring/ring.c
# The vhost-user layer on plain memory: rings, config space, messages.
UNIT_SRC_vq       = src/vhost/vq.c src/vhost/vhost.c src/vhost/vcons.c
# The client's pure parts: escapes, cleaning, its Telnet policy.
UNIT_SRC_client   = src/client/escape.c src/client/clean.c \
                    src/client/peer.c src/telnet/tnscan.c src/telnet/tnc.c \
                    src/telnet/tn.c
UNIT_LIBS_client  = $(CL_LIBS)
# The web console's protocol layer on plain bytes.
UNIT_SRC_web      = $(WEB_SRC)
UNIT_LIBS_web     = $(WEB_LIBS)
# The web console's session table, without a daemon.
UNIT_SRC_websession = src/daemon/web-session.c src/daemon/log.c
# The guest network layer on plain memory.
UNIT_SRC_net      = $(NET_SRC)
# The login prompt's line reading.
UNIT_SRC_tnline   = src/telnet/tnline.c
# The DNS-SD TXT record, built and read.
UNIT_SRC_txt      = src/dnssd/txt.c
# Avahi's main-loop API over libevent (needs Avahi's headers).
UNIT_SRC_evpoll   = src/dnssd/evpoll.c
UNIT_LIBS_evpoll  = $(shell pkg-config --libs libevent_core 2>/dev/null || echo -levent_core)

helpers: $(UNITS:%=$(B)/test-%)
asan: $(UNITS:%=$(BA)/test-%)

$(B)/test-%: $(B)/tests/unit/test-%.o $$(call objs,$(B),$$(UNIT_SRC_$$*))
	$(CC) $(LDHARDEN) -o $@ $^ $(UNIT_LIBS_$*)

$(BA)/test-%: $(BA)/tests/unit/test-%.o $$(call objs,$(BA),$$(UNIT_SRC_$$*))
	$(CC) $(SAN) -o $@ $^ $(UNIT_LIBS_$*)

unit: $(UNITS:%=$(B)/test-%) $(UNITS:%=$(BA)/test-%)
	$(PYTEST) -q tests/unit/test_units.py

unit-%: $(B)/test-% $(BA)/test-%
	TTYHUB_UNITS=$* $(PYTEST) -q tests/unit/test_units.py

# Programs the tests run (tests/helpers/), all in $(B)/tests/.  Made of
# their own file alone: dumpenv and rawcat, login programs; umlfpu.so, an
# LD_PRELOAD shim that tests/uml/umlrig.py gives User-Mode Linux 6.1 (its
# FPU state writes on hosts with AMX); vecregs, a static x86-64 program
# for a UML guest.
HELPERS   := $(B)/tests/dumpenv $(B)/tests/rawcat
helpers: $(HELPERS) $(B)/tests/umlfpu.so $(B)/tests/vecregs

$(HELPERS): $(B)/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

$(B)/tests/%.so: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared \
	    -o $@ $<

$(B)/tests/vecregs: tests/helpers/vecregs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -pthread \
	    -o $@ $<

# Made as the unit tests are, of their file and the sources in
# HELPER_SRC_NAME: webpeer, a WebSocket server on an accepted socket made
# of src/web/ alone, for real clients in tests/unit/test_web_peers.py
# (both builds); vhost-rng, a vhost-user entropy device on the unchanged
# protocol layer, for QEMU's vhost-user-rng-pci in
# tests/e2e/test_vhost_qemu.py.
LINKED    := webpeer vhost-rng
HELPER_SRC_webpeer    = $(WEB_SRC)
HELPER_LIBS_webpeer   = $(WEB_LIBS)
HELPER_SRC_vhost-rng  = src/vhost/vq.c src/vhost/vhost.c
helpers: $(LINKED:%=$(B)/tests/%)
asan: $(BA)/tests/webpeer

$(LINKED:%=$(B)/tests/%): $(B)/tests/%: $(B)/tests/helpers/%.o \
    $$(call objs,$(B),$$(HELPER_SRC_$$*))
	$(CC) $(LDHARDEN) -o $@ $^ $(HELPER_LIBS_$*)

$(LINKED:%=$(BA)/tests/%): $(BA)/tests/%: $(BA)/tests/helpers/%.o \
    $$(call objs,$(BA),$$(HELPER_SRC_$$*))
	$(CC) $(SAN) -o $@ $^ $(HELPER_LIBS_$*)

# Every object follows the headers it includes, in every build: whatever
# has been built (a layer's objects too, whichever program links them).
-include $(wildcard $(B)/*/*/*.d $(BA)/*/*/*.d $(B)/static/*/*/*.d \
    $(B)/lazy/*/*/*.d $(BA)/lazy/*/*/*.d)
