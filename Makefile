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
             src/telnet/rfc2217.c \
             src/ring/ring.c src/vhost/vhost.c src/vhost/vq.c src/vhost/vcons.c
D_SRC     := src/daemon/ttyhubd.c src/daemon/hub.c \
             src/daemon/session.c src/daemon/login.c src/daemon/pty.c \
             src/daemon/proc.c \
             src/daemon/broker.c src/daemon/listing.c \
             src/daemon/client.c src/daemon/client-out.c \
             src/daemon/client-ctl.c src/daemon/client-comport.c \
             src/daemon/conn.c src/daemon/listener.c src/daemon/rundir.c \
             src/daemon/console.c src/daemon/console-member.c \
             src/daemon/conlog.c \
             src/daemon/backend.c src/daemon/backend-socket.c \
             src/daemon/backend-serial.c src/daemon/backend-exec.c \
             src/daemon/backend-pty.c src/daemon/backend-vhost.c \
             src/daemon/config.c src/daemon/config-table.c \
             src/daemon/config-kind.c src/daemon/config-value.c \
             src/daemon/log.c
D_OBJ     := $(D_SRC:%.c=$(B)/%.o) $(TN_SRC:%.c=$(B)/%.o)
DA_OBJ    := $(D_SRC:%.c=$(BA)/%.o) $(TN_SRC:%.c=$(BA)/%.o)
DS_OBJ    := $(D_SRC:%.c=$(B)/static/%.o) $(TN_SRC:%.c=$(B)/static/%.o)

PYTEST    := /usr/bin/python3 -m pytest

.PHONY: all static asan unit helpers check test e2e run deps test-deps bench clean
.PHONY: install uninstall

all: $(B)/ttyhubd

$(B)/ttyhubd: $(D_OBJ)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The ASan+UBSan build the integration suite also runs against.
asan: $(BA)/ttyhubd

$(BA)/ttyhubd: $(DA_OBJ)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

# Statically linked, for a BusyBox initramfs (no shared libraries there).
static: $(B)/ttyhubd-static

$(B)/ttyhubd-static: $(DS_OBJ)
	$(CC) -static -s $(LDFLAGS) -o $@ $^ -levent_core -ltelnet -linih -lz
	@size=$$(stat -c %s $@); echo "$@: $$size bytes"

$(B)/static/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Os -fno-PIE -c -o $@ $<

deps:
	@sh tools/deps.sh build

test-deps:
	@sh tools/deps.sh test

# Everything, ending with pytest's summary line.
check: test-deps
	$(MAKE) all asan static helpers
	$(MAKE) CC=clang B=build-clang all
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
	rm -rf $(B) $(BA) build-clang

# Installing.  ttyhubd goes to sbin, as its manual's section (8) says;
# SBINDIR=$(PREFIX)/bin puts it where users' PATH finds it too.  The
# example configuration is documentation, not /etc: ttyhubd reads only
# the file -c names, and an install must not put consoles in effect or
# overwrite a file someone has edited.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/ttyhub
INSTALL   ?= install

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 755 $(B)/ttyhub $(DESTDIR)$(BINDIR)/ttyhub
	$(INSTALL) -m 755 $(B)/ttyhubd $(DESTDIR)$(SBINDIR)/ttyhubd
	$(INSTALL) -m 644 doc/ttyhub.1 $(DESTDIR)$(MANDIR)/man1/ttyhub.1
	$(INSTALL) -m 644 doc/ttyhub.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/ttyhub.conf.5
	$(INSTALL) -m 644 doc/ttyhubd.8 $(DESTDIR)$(MANDIR)/man8/ttyhubd.8
	$(INSTALL) -m 644 doc/examples/ttyhub.conf \
	    $(DESTDIR)$(DOCDIR)/examples/ttyhub.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ttyhub $(DESTDIR)$(SBINDIR)/ttyhubd \
	    $(DESTDIR)$(MANDIR)/man1/ttyhub.1 \
	    $(DESTDIR)$(MANDIR)/man5/ttyhub.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/ttyhubd.8 \
	    $(DESTDIR)$(DOCDIR)/examples/ttyhub.conf
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# Console benchmarks: a ttyhubd serial console and ser2net 4.3 (telnet
# mode), each in front of a pty driven by the same C device program
# (bench/console.py; writes the Consoles section of bench/RESULTS.md).
# BENCH_QUICK=1 for a one-minute smoke run.
.PHONY: bench-console
bench-console: all
	/usr/bin/python3 bench/console.py

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

# The client, ttyhub(1): src/client/ over libevent and libtelnet; it
# shares the protocol's constants (src/telnet/tn.h), the shadow of
# libtelnet's framing (src/telnet/tnscan.c) and where the broker's
# socket is by default (src/daemon/rundir.c) with the daemon.
CL_SRC    := src/client/ttyhub.c src/client/attach.c src/client/cmd.c \
             src/client/conn.c src/client/peer.c src/client/escape.c \
             src/client/clean.c src/client/tty.c src/client/ui.c \
             src/telnet/tnscan.c \
             src/telnet/tnc.c src/telnet/tn.c \
             src/daemon/rundir.c
CL_OBJ    := $(CL_SRC:%.c=$(B)/%.o)
CLA_OBJ   := $(CL_SRC:%.c=$(BA)/%.o)
CL_LIBS    = $(shell pkg-config --libs libevent_core libtelnet 2>/dev/null || echo -levent_core -ltelnet)

all: $(B)/ttyhub
asan: $(BA)/ttyhub

$(B)/ttyhub: $(CL_OBJ)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(CL_LIBS)

$(BA)/ttyhub: $(CLA_OBJ)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CL_LIBS)

# The web console's protocol layer (src/web/: HTTP requests and
# responses, WebSocket framing and handshake, the control messages), so
# far linked only by tests (test-web, webpeer, fuzz-http, fuzz-ws).
# SHA-1 for the handshake comes from libcrypto.  The static build leaves
# the web console out (ARCHITECTURE.md, Dependencies).
WEB_SRC   := src/web/http.c src/web/httpres.c src/web/utf8.c src/web/ws.c \
             src/web/wsopen.c src/web/webmsg.c
WEB_LIBS   = $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)

# The guest network layer (src/net/: the stream framing, frame queues,
# forwarding database and switch), so far linked only by tests (test-net,
# fuzz-net) and bench/netq.py.
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

# The Telnet policy layer against golden transcripts (tests/golden/).
UNIT_SRC_tn       = src/telnet/tn.c src/telnet/tnscan.c
UNIT_LIBS_tn      = $(PKG_LIBS)
# RFC 2217's tables.
UNIT_SRC_rfc2217  = src/telnet/rfc2217.c
# The configuration file parser.
UNIT_SRC_config   = src/daemon/config.c src/daemon/config-table.c \
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
# The guest network layer on plain memory.
UNIT_SRC_net      = $(NET_SRC)

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
-include $(wildcard $(B)/*/*/*.d $(BA)/*/*/*.d $(B)/static/*/*/*.d)
