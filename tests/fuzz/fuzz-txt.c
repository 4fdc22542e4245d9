/*
 * fuzz-txt: libFuzzer harness for the TXT record of _ttyhub._tcp as the
 * client reads it (src/dnssd/txt.c): any host on the link can publish
 * one, so nothing in it may crash the client, make it keep a name
 * config.c would refuse, or claim a list is complete when it is not.
 *
 * fuzz-sources: src/dnssd/txt.c
 * fuzz-seeds: tests/fuzz/txt-seeds
 * fuzz-max-len: 4096
 *
 * Input: the record's bytes, DNS wire format.  On top of the sanitizers:
 *   - a record read gives txtvers 1, and every name read is valid, NUL-
 *     ended inside names[], and counted in nnames;
 *   - v= is printable ASCII within TXT_VERSION_MAX;
 *   - complete means n= is given and equals the names read, none bad;
 *   - the names read, published again by txt_build, read back the same
 *     (the first ones, in order, if they do not all fit), and the record
 *     built stays within TXT_RDATA_MAX, its strings within it;
 *   - a record read from the input's first half holds to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dnssd/txt.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-txt";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_info(const struct txt_info *t)
{
	const char	*n;
	size_t		 count = 0, i;

	CHECK(t->txtvers == 1, "txtvers %u", t->txtvers);
	CHECK(t->names_len <= sizeof t->names, "names_len %zu", t->names_len);
	for (n = txt_name_next(t, NULL); n != NULL; n = txt_name_next(t, n)) {
		CHECK(n >= t->names && n < t->names + t->names_len,
		    "name outside names[]");
		CHECK(memchr(n, '\0', (size_t)(t->names + t->names_len - n)) !=
		    NULL, "name not NUL-ended inside names[]");
		CHECK(txt_name_valid(n, strlen(n)), "invalid name kept: %s", n);
		CHECK(txt_has_name(t, n), "a name read is not found");
		count++;
	}
	CHECK(count == t->nnames, "%zu names walked, nnames %zu", count,
	    t->nnames);
	for (i = 0; t->version[i] != '\0'; i++) {
		CHECK(t->version[i] >= 0x21 && t->version[i] <= 0x7e,
		    "v= byte %02x", (unsigned char)t->version[i]);
	}
	CHECK(i <= TXT_VERSION_MAX, "v= of %zu bytes", i);
	if (txt_complete(t)) {
		CHECK(t->has_count && t->count == t->nnames && !t->bad,
		    "complete without n= matching");
	}
}

/* Publish what was read and read it back. */
static void
check_round_trip(const struct txt_info *t)
{
	const char	*names[TXT_RDATA_MAX], *n;
	struct txt_pub	 p;
	struct txt_info	*back;
	uint8_t		 buf[TXT_RDATA_MAX];
	size_t		 k = 0, len, at, i;

	for (n = txt_name_next(t, NULL); n != NULL; n = txt_name_next(t, n)) {
		names[k++] = n;
	}
	memset(&p, 0, sizeof p);
	p.names = names;
	p.nnames = k;
	p.serial = t->serial;
	p.version = t->version;
	p.proto = t->proto;
	p.ro = t->ro;
	len = txt_build(buf, sizeof buf, &p);
	CHECK(len > 0 && len <= TXT_RDATA_MAX, "built %zu bytes", len);
	for (at = 0; at < len; at += 1 + (size_t)buf[at]) {
		CHECK(at + 1 + buf[at] <= len, "built string past the end");
	}
	if ((back = malloc(sizeof *back)) == NULL) {
		abort();
	}
	CHECK(txt_parse(buf, len, back) == 0, "our record not read back");
	CHECK(back->has_count && back->count == k, "n= %u for %zu names",
	    back->count, k);
	CHECK(back->nnames <= k && !back->bad, "%zu of %zu names back",
	    back->nnames, k);
	CHECK(back->serial == t->serial && back->ro == t->ro,
	    "serial or ro changed");
	for (n = txt_name_next(back, NULL), i = 0; n != NULL;
	    n = txt_name_next(back, n), i++) {
		CHECK(i < k && strcmp(n, names[i]) == 0, "name %zu differs", i);
	}
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct txt_info	t, cut;

	if (txt_parse(data, size, &t) == -1) {
		CHECK(t.nnames == 0 && t.txtvers == 0, "refused but kept");
		return 0;
	}
	check_info(&t);
	check_round_trip(&t);
	if (size > 1 && txt_parse(data, size / 2, &cut) == 0) {
		check_info(&cut);
		check_round_trip(&cut);
	}
	return 0;
}
