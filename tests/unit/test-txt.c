/*
 * test-txt: the _ttyhub._tcp TXT record (src/dnssd/txt.c): what the
 * daemon builds reads back the same, a set of names too large for one
 * record is cut in order and read as partial, and what RFC 6763 says a
 * reader does with odd records (case, repeats, booleans, empty strings,
 * strings running past the end) it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dnssd/txt.h"
#include "tcheck.h"

/* A record from strings given as C strings. */
static size_t
rec(uint8_t *buf, size_t cap, const char *const *s, size_t n)
{
	size_t	at = 0, i, len;

	for (i = 0; i < n; i++) {
		len = strlen(s[i]);
		if (at + 1 + len > cap || len > 255) {
			abort();
		}
		buf[at++] = (uint8_t)len;
		memcpy(buf + at, s[i], len);
		at += len;
	}
	return at;
}

#define REC(buf, ...) rec(buf, sizeof buf, (const char *const []){ \
	__VA_ARGS__ }, sizeof((const char *const []){ __VA_ARGS__ }) / \
	sizeof(const char *))

/* Every string of a record: its length byte within the record. */
static int
strings_ok(const uint8_t *buf, size_t len, size_t *max)
{
	size_t	at = 0;

	*max = 0;
	while (at < len) {
		if (at + 1 + buf[at] > len) {
			return 0;
		}
		if (buf[at] > *max) {
			*max = buf[at];
		}
		at += 1 + (size_t)buf[at];
	}
	return 1;
}

static void
test_round_trip(void)
{
	const char	*names[] = { "vm1", "board-7", "a.b_c" };
	struct txt_pub	 p = { names, 3, 0, "0.1.0", 3, 0 };
	struct txt_info	 t;
	uint8_t		 buf[TXT_RDATA_MAX];
	size_t		 len, max;

	p.serial = txt_serial(names, 3);
	len = txt_build(buf, sizeof buf, &p);
	tcheck(len > 0 && strings_ok(buf, len, &max), "built: %zu bytes", len);
	tcheck(txt_parse(buf, len, &t) == 0, "read back");
	tcheck(t.txtvers == 1 && t.proto == 3, "txtvers %u proto %u",
	    t.txtvers, t.proto);
	tcheck(strcmp(t.version, "0.1.0") == 0, "version %s", t.version);
	tcheck(t.has_serial && t.serial == p.serial, "serial");
	tcheck(t.has_count && t.count == 3 && t.nnames == 3, "n %u, %zu names",
	    t.count, t.nnames);
	tcheck(txt_complete(&t), "complete");
	tcheck(txt_has_name(&t, "vm1") && txt_has_name(&t, "board-7") &&
	    txt_has_name(&t, "a.b_c") && !txt_has_name(&t, "vm") &&
	    !txt_has_name(&t, "vm1,board-7"), "the names, and only them");
	tcheck(!t.ro, "not read-only");
	p.ro = 1;
	len = txt_build(buf, sizeof buf, &p);
	tcheck(txt_parse(buf, len, &t) == 0 && t.ro, "ro=1");
}

static void
test_no_consoles(void)
{
	struct txt_pub	 p = { NULL, 0, 0, "0.1.0", 3, 0 };
	struct txt_info	 t;
	uint8_t		 buf[TXT_RDATA_MAX];
	size_t		 len;

	p.serial = txt_serial(NULL, 0);
	len = txt_build(buf, sizeof buf, &p);
	tcheck(txt_parse(buf, len, &t) == 0 && t.count == 0 &&
	    t.nnames == 0 && txt_complete(&t) &&
	    txt_name_next(&t, NULL) == NULL, "no consoles: complete, empty");
}

static void
test_serial(void)
{
	const char	*a[] = { "vm1", "vm2" }, *b[] = { "vm1", "vm3" };
	const char	*c[] = { "vm1" }, *d[] = { "vm1vm2" };

	tcheck(txt_serial(a, 2) == txt_serial(a, 2), "same set, same serial");
	tcheck(txt_serial(a, 2) != txt_serial(b, 2), "a name changed");
	tcheck(txt_serial(a, 2) != txt_serial(c, 1), "a name removed");
	tcheck(txt_serial(a, 2) != txt_serial(d, 1), "names do not run "
	    "together");
}

/* More names than a record holds: the first ones, in order. */
static void
test_too_many(void)
{
	static char	 store[600][16];
	const char	*names[600], *n;
	struct txt_pub	 p = { names, 600, 1, "0.1.0", 3, 0 };
	struct txt_info	 t;
	uint8_t		 buf[TXT_RDATA_MAX + 100];
	size_t		 i, len, max = 0;
	int		 inorder = 1, ok;

	for (i = 0; i < 600; i++) {
		snprintf(store[i], sizeof store[i], "console-%03zu", i);
		names[i] = store[i];
	}
	len = txt_build(buf, sizeof buf, &p);
	tcheck(len <= TXT_RDATA_MAX && len > TXT_RDATA_MAX - 20,
	    "600 names: %zu bytes, the record's cap filled", len);
	ok = strings_ok(buf, len, &max);
	tcheck(ok && max <= 255, "every string within 255 bytes (longest %zu)",
	    max);
	tcheck(txt_parse(buf, len, &t) == 0 && t.count == 600 &&
	    t.nnames > 50 && t.nnames < 600 && !t.bad, "%zu of 600 listed",
	    t.nnames);
	tcheck(!txt_complete(&t), "partial: the client asks the broker");
	for (i = 0, n = txt_name_next(&t, NULL); n != NULL;
	    n = txt_name_next(&t, n), i++) {
		inorder &= strcmp(n, names[i]) == 0;
	}
	tcheck(inorder && i == t.nnames, "the first %zu, in order", i);

	/* A cap smaller than the fixed strings: nothing. */
	tcheck(txt_build(buf, 20, &p) == 0, "no room: 0");
}

/* Invalid names are never published. */
static void
test_build_skips_bad(void)
{
	const char	*names[] = { "ok", "bad name", ".dot", "x,y", "fine" };
	struct txt_pub	 p = { names, 5, 0, "0.1.0", 3, 0 };
	struct txt_info	 t;
	uint8_t		 buf[TXT_RDATA_MAX];
	size_t		 len;

	len = txt_build(buf, sizeof buf, &p);
	tcheck(txt_parse(buf, len, &t) == 0 && t.nnames == 2 &&
	    txt_has_name(&t, "ok") && txt_has_name(&t, "fine") && !t.bad,
	    "invalid names left out of the record");
}

static void
test_reader_rules(void)
{
	struct txt_info	t;
	uint8_t		buf[2048];
	size_t		len;

	len = REC(buf, "TXTVERS=1", "N=2", "n=5", "C0=vm1", "c0=vm9",
	    "c1=vm2");
	tcheck(txt_parse(buf, len, &t) == 0 && t.count == 2 &&
	    t.nnames == 2 && txt_has_name(&t, "vm1") &&
	    !txt_has_name(&t, "vm9") && txt_complete(&t),
	    "keys without case; the first of a key counts");

	len = REC(buf, "txtvers=1", "", "=junk", "ro", "n=1", "c0=a");
	tcheck(txt_parse(buf, len, &t) == 0 && t.ro && txt_complete(&t),
	    "empty strings and =value skipped; a boolean attribute");

	len = REC(buf, "txtvers=1", "n=3", "c0=vm1,bad name,vm2");
	tcheck(txt_parse(buf, len, &t) == 0 && t.nnames == 2 && t.bad &&
	    !txt_complete(&t), "a bad name is left out and the list partial");

	len = REC(buf, "txtvers=1", "n=1", "c0=vm1,");
	tcheck(txt_parse(buf, len, &t) == 0 && t.bad && !txt_complete(&t),
	    "a trailing comma loses a name");

	len = REC(buf, "txtvers=1", "n=1", "c00=vm1", "c16=vm2", "cx=vm3");
	tcheck(txt_parse(buf, len, &t) == 0 && t.nnames == 0,
	    "c00, c16 and cx are no name keys");

	len = REC(buf, "txtvers=1", "v=1.\x01\x7f" "2", "serial=xyz",
	    "n=-1", "proto=99999999999");
	tcheck(txt_parse(buf, len, &t) == 0 &&
	    strcmp(t.version, "1.??2") == 0 && !t.has_serial &&
	    !t.has_count && t.proto == 0, "bad values are not kept (v=%s)",
	    t.version);

	len = REC(buf, "txtvers=1", "v=0123456789012345678901234567890123456789");
	tcheck(txt_parse(buf, len, &t) == 0 &&
	    strlen(t.version) == TXT_VERSION_MAX, "v= capped");

	len = REC(buf, "n=1", "c0=vm1");
	tcheck(txt_parse(buf, len, &t) == -1 && t.nnames == 0,
	    "no txtvers: not ours");
	len = REC(buf, "txtvers=2", "n=1", "c0=vm1");
	tcheck(txt_parse(buf, len, &t) == -1, "txtvers=2: not ours");

	len = REC(buf, "txtvers=1", "n=1", "c0=vm1");
	buf[len - 7] = 200;	/* the last string claims more than is left */
	tcheck(txt_parse(buf, len, &t) == -1, "a string past the end");
	tcheck(txt_parse(buf, 0, &t) == -1, "an empty record");
}

/* A record larger than TXT_RDATA_MAX is read up to it. */
static void
test_oversized(void)
{
	uint8_t		buf[TXT_RDATA_MAX * 2];
	struct txt_info	t;
	size_t		len;

	len = REC(buf, "txtvers=1", "n=2", "c0=vm1");
	memset(buf + len, 0, sizeof buf - len);	/* empty strings */
	buf[TXT_RDATA_MAX - 2] = 10;	/* one across the cap */
	memcpy(buf + TXT_RDATA_MAX - 1, "c1=vm2xxxx", 10);
	tcheck(txt_parse(buf, TXT_RDATA_MAX + 9, &t) == 0 && t.bad &&
	    t.nnames == 1 && !txt_complete(&t),
	    "read up to the cap, then partial");
}

int
main(void)
{
	test_round_trip();
	test_no_consoles();
	test_serial();
	test_too_many();
	test_build_skips_bad();
	test_reader_rules();
	test_oversized();
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail != 0;
}
