# ttyhub: build, test, run.  Plain make; libraries from Debian via pkg-config.
#
#   make            build/ttyhubd
#   make run        install what is missing, start a shell server on 127.0.0.1:2323
#   make check      install test dependencies, run every test (unit, integration
#                   under a normal and an ASan+UBSan build, guests)
#   make static     build/ttyhubd-static, for initramfs guests
#   make bench      the benchmark suite (bench/RESULTS.md)

CC        ?= cc
PKGS      := libevent_core libtelnet
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -levent_core -ltelnet)

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

TN_SRC    := src/telnet/tn.c
D_SRC     := src/daemon/ttyhubd.c src/daemon/session.c src/daemon/listener.c \
             src/daemon/pty.c src/daemon/proc.c src/daemon/log.c
D_OBJ     := $(D_SRC:%.c=$(B)/%.o) $(TN_SRC:%.c=$(B)/%.o)
DA_OBJ    := $(D_SRC:%.c=$(BA)/%.o) $(TN_SRC:%.c=$(BA)/%.o)
DS_OBJ    := $(D_SRC:%.c=$(B)/static/%.o) $(TN_SRC:%.c=$(B)/static/%.o)
UNIT      := $(B)/test-tn

PYTEST    := /usr/bin/python3 -m pytest

.PHONY: all static asan unit helpers check test e2e run deps test-deps bench clean

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
	$(CC) -static -s $(LDFLAGS) -o $@ $^ -levent_core -ltelnet -lz
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

# Unit tests: the Telnet policy layer against golden transcripts.
unit: $(UNIT)
	$(UNIT) tests/golden/telnet

$(B)/test-tn: $(B)/tests/unit/test-tn.o $(B)/src/telnet/tn.o
	$(CC) $(LDHARDEN) -o $@ $^ $(PKG_LIBS)

$(BA)/test-tn: $(BA)/tests/unit/test-tn.o $(BA)/src/telnet/tn.o
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

deps:
	@sh tools/deps.sh build

test-deps:
	@sh tools/deps.sh test

# Everything, ending with pytest's summary line.
check: test-deps
	$(MAKE) all asan static helpers $(UNIT) $(BA)/test-tn
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

bench: test-deps all
	/usr/bin/python3 bench/run.py

clean:
	rm -rf $(B) $(BA)

-include $(D_OBJ:.o=.d) $(DA_OBJ:.o=.d) $(DS_OBJ:.o=.d)
