# ttyhub: build, test, run.  Plain make; libraries from Debian via pkg-config.
#
#   make            build/ttyhubd
#   make run        install what is missing, start a shell server on 127.0.0.1:2323
#   make check      install test dependencies, run every test (unit, integration
#                   under a normal and an ASan+UBSan build, guests)
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
UNIT      := $(B)/test-tn

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
asan: $(BA)/ttyhubd $(BA)/test-tn

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

# Programs the integration tests run as login programs.
HELPERS   := $(B)/tests/dumpenv $(B)/tests/rawcat
helpers: $(HELPERS)

$(B)/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

# An LD_PRELOAD shim that tests/uml/umlrig.py gives User-Mode Linux 6.1
# (tests/helpers/umlfpu.c: its FPU state writes on hosts with AMX).
helpers: $(B)/tests/umlfpu.so

# A static program for a UML guest: tests/helpers/vecregs.c (x86-64).
helpers: $(B)/tests/vecregs

$(B)/tests/vecregs: tests/helpers/vecregs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -pthread \
	    -o $@ $<

$(B)/tests/%.so: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared \
	    -o $@ $<

# Unit tests: the Telnet policy layer against golden transcripts.
unit: $(UNIT)
	$(UNIT) tests/golden/telnet

$(B)/test-tn: $(B)/tests/unit/test-tn.o $(B)/src/telnet/tn.o \
    $(B)/src/telnet/tnscan.o
	$(CC) $(LDHARDEN) -o $@ $^ $(PKG_LIBS)

$(BA)/test-tn: $(BA)/tests/unit/test-tn.o $(BA)/src/telnet/tn.o \
    $(BA)/src/telnet/tnscan.o
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

# RFC 2217 (src/telnet/rfc2217.c): table tests, run by
# tests/unit/test_rfc2217_unit.py for each build.  `check` builds them
# through `helpers` and `asan`.
.PHONY: unit-rfc2217
unit-rfc2217: $(B)/test-rfc2217
	$(B)/test-rfc2217

helpers: $(B)/test-rfc2217
asan: $(BA)/test-rfc2217

$(B)/test-rfc2217: $(B)/tests/unit/test-rfc2217.o $(B)/src/telnet/rfc2217.o
	$(CC) $(LDHARDEN) -o $@ $^

$(BA)/test-rfc2217: $(BA)/tests/unit/test-rfc2217.o $(BA)/src/telnet/rfc2217.o
	$(CC) $(SAN) -o $@ $^

# Unit tests: the configuration file parser (tests/unit/test-config.c),
# in both builds; it needs only src/daemon/config*.c and inih.  check
# builds them (after test-deps: its own rule's prerequisites come first)
# and tests/unit/test_config_unit.py runs them.
CFG_UNIT  := $(B)/test-config $(BA)/test-config
CFG_SRC   := src/daemon/config.c src/daemon/config-table.c \
             src/daemon/config-kind.c src/daemon/config-value.c
CFG_LIBS   = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)

.PHONY: unit-config

check: $(CFG_UNIT)

unit-config: $(CFG_UNIT)
	$(B)/test-config
	$(BA)/test-config

$(B)/test-config: $(B)/tests/unit/test-config.o $(CFG_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^ $(CFG_LIBS)

$(BA)/test-config: $(BA)/tests/unit/test-config.o $(CFG_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^ $(CFG_LIBS)

# Every test program's objects follow the headers they include, as the
# daemon's do (each rule below only adds its program).
-include $(wildcard $(B)/tests/*/*.d $(BA)/tests/*/*.d)

deps:
	@sh tools/deps.sh build

test-deps:
	@sh tools/deps.sh test

# Everything, ending with pytest's summary line.
check: test-deps
	$(MAKE) all asan static helpers $(UNIT) $(BA)/test-tn
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

-include $(D_OBJ:.o=.d) $(DA_OBJ:.o=.d) $(DS_OBJ:.o=.d)

# The console ring against a model (tests/unit/test-ring.c), run by
# tests/unit/test_ring_unit.py for each build.
helpers: $(B)/test-ring
asan: $(BA)/test-ring

$(B)/test-ring: $(B)/tests/unit/test-ring.o $(B)/src/ring/ring.o
	$(CC) $(LDHARDEN) -o $@ $^

$(BA)/test-ring: $(BA)/tests/unit/test-ring.o $(BA)/src/ring/ring.o
	$(CC) $(SAN) -o $@ $^

# Console benchmarks: a ttyhubd serial console and ser2net 4.3 (telnet
# mode), each in front of a pty driven by the same C device program
# (bench/console.py; writes the Consoles section of bench/RESULTS.md).
# BENCH_QUICK=1 for a one-minute smoke run.
.PHONY: bench-console
bench-console: all
	/usr/bin/python3 bench/console.py

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

-include $(CL_OBJ:.o=.d) $(CLA_OBJ:.o=.d)

# The client's pure parts (escape, clean, peer) against tables
# (tests/client/unit-client.c), run by tests/client/test_client_unit.py
# for each build; check builds them through helpers and asan.
CLU_SRC   := src/client/escape.c src/client/clean.c src/client/peer.c \
             src/telnet/tnscan.c src/telnet/tnc.c src/telnet/tn.c
helpers: $(B)/test-client
asan: $(BA)/test-client

$(B)/test-client: $(B)/tests/client/unit-client.o $(CLU_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^ $(CL_LIBS)

$(BA)/test-client: $(BA)/tests/client/unit-client.o $(CLU_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^ $(CL_LIBS)

# The vhost-user layer on plain memory (tests/unit/test-vq.c): rings,
# config space and messages, run by tests/unit/test_vq_unit.py for each
# build; check builds them through helpers and asan.
VQ_SRC    := src/vhost/vq.c src/vhost/vhost.c src/vhost/vcons.c
helpers: $(B)/test-vq
asan: $(BA)/test-vq

$(B)/test-vq: $(B)/tests/unit/test-vq.o $(VQ_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^

$(BA)/test-vq: $(BA)/tests/unit/test-vq.o $(VQ_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^

# A test-only vhost-user entropy device on the unchanged protocol layer
# (tests/helpers/vhost-rng.c), for QEMU's vhost-user-rng-pci in
# tests/e2e/test_vhost_qemu.py; built through helpers.
VRNG_SRC  := src/vhost/vq.c src/vhost/vhost.c
helpers: $(B)/vhost-rng

$(B)/vhost-rng: $(B)/tests/helpers/vhost-rng.o $(VRNG_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^

# The web console's protocol layer (src/web/: HTTP requests and
# responses, WebSocket framing and handshake, the control messages) on
# plain bytes (tests/unit/test-web.c), run by tests/unit/test_web_unit.py
# for each build; check builds them through helpers and asan.  SHA-1 for
# the handshake comes from libcrypto.  The static build leaves the web
# console out (ARCHITECTURE.md, Dependencies).
WEB_SRC   := src/web/http.c src/web/httpres.c src/web/utf8.c src/web/ws.c \
             src/web/wsopen.c src/web/webmsg.c
WEB_LIBS   = $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
helpers: $(B)/test-web
asan: $(BA)/test-web

.PHONY: unit-web
unit-web: $(B)/test-web $(BA)/test-web
	$(B)/test-web
	$(BA)/test-web

$(B)/test-web: $(B)/tests/unit/test-web.o $(WEB_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^ $(WEB_LIBS)

$(BA)/test-web: $(BA)/tests/unit/test-web.o $(WEB_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^ $(WEB_LIBS)

-include $(WEB_SRC:%.c=$(B)/%.d) $(WEB_SRC:%.c=$(BA)/%.d)

# A WebSocket server on an accepted socket, made of src/web/ alone, for
# real clients in tests/unit/test_web_peers.py (both builds).
helpers: $(B)/tests/webpeer
asan: $(BA)/tests/webpeer

$(B)/tests/webpeer: $(B)/tests/helpers/webpeer.o $(WEB_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^ $(WEB_LIBS)

$(BA)/tests/webpeer: $(BA)/tests/helpers/webpeer.o $(WEB_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^ $(WEB_LIBS)

# The guest network layer on plain memory (tests/unit/test-net.c): the
# stream framing, frame queues, forwarding database and switch, run by
# tests/unit/test_net_unit.py for each build; check builds them through
# helpers and asan.
NET_SRC   := src/net/frame.c src/net/fq.c src/net/fdb.c src/net/sw.c
helpers: $(B)/test-net
asan: $(BA)/test-net

$(B)/test-net: $(B)/tests/unit/test-net.o $(NET_SRC:%.c=$(B)/%.o)
	$(CC) $(LDHARDEN) -o $@ $^

$(BA)/test-net: $(BA)/tests/unit/test-net.o $(NET_SRC:%.c=$(BA)/%.o)
	$(CC) $(SAN) -o $@ $^

-include $(NET_SRC:%.c=$(B)/%.d) $(NET_SRC:%.c=$(BA)/%.d)
