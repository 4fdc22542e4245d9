/*
 * test-tn: golden transcripts for the Telnet policy layer (src/telnet/tn.c).
 *
 * Each tests/golden/telnet/NAME.in is a script of peer input; the events tn
 * produces are written as a transcript and compared with NAME.out.  Every
 * script is run three ways: a read per input line, the whole input one
 * byte at a time, and the whole input split in two at every offset.  All
 * must give the same transcript, which is how "any sequence split across
 * reads at any byte works" is checked.
 *
 * Script lines:
 *   # comment
 *   @start              call tn_start (our opening negotiation)
 *   @accept NAME        allow NAME through NEW-ENVIRON
 *   @comport            take COM-PORT-OPTION (tn_enable_comport), as for a
 *                       client of a serial console
 *   < ITEM ...          one read from the peer; an ITEM is a hex byte (ff),
 *                       a "quoted string" with C escapes, or either followed
 *                       by *N for N copies
 *
 * UPDATE=1 writes the .out files instead of comparing (review them!).
 * The program also runs a few table tests of its own, and compares the
 * bulk path for plain data with libtelnet byte by byte (tn_bytewise) on
 * random streams cut into random reads; it ends with a line "N passed,
 * N failed".
 */
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tn.h"

#define SCRIPT_MAX	(1024 * 1024)
#define MAX_READS	256
#define MAX_ACCEPT	8

struct script {
	int	 start;
	int	 comport;
	char	*accept[MAX_ACCEPT + 1];
	size_t	 naccept;
	uint8_t	*input;
	size_t	 len;
	size_t	 read_end[MAX_READS];	/* end offset of each read */
	size_t	 nreads;
};

/* A growing transcript; consecutive DATA and SEND events are merged. */
struct transcript {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 last;	/* 'D' or 'S' while a merged line is open, else 0 */
};

static int	npass, nfail;

static void
tr_grow(struct transcript *t, size_t more)
{
	if (t->len + more + 1 > t->cap) {
		while (t->len + more + 1 > t->cap) {
			t->cap = t->cap ? t->cap * 2 : 4096;
		}
		if ((t->buf = realloc(t->buf, t->cap)) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
}

static void __attribute__((format(printf, 2, 3)))
tr_printf(struct transcript *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	tr_grow(t, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void
tr_close_line(struct transcript *t)
{
	if (t->last == 'D') {
		tr_printf(t, "\"\n");
	} else if (t->last == 'S') {
		tr_printf(t, "\n");
	}
	t->last = 0;
}

static void
tr_line(struct transcript *t, const char *s)
{
	tr_close_line(t);
	tr_printf(t, "%s\n", s);
}

static void
ev_data(void *arg, const uint8_t *buf, size_t len)
{
	struct transcript	*t = arg;
	size_t			 i;

	if (t->last != 'D') {
		tr_close_line(t);
		tr_printf(t, "DATA \"");
		t->last = 'D';
	}
	for (i = 0; i < len; i++) {
		if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '"' &&
		    buf[i] != '\\') {
			tr_printf(t, "%c", buf[i]);
		} else {
			tr_printf(t, "\\x%02x", buf[i]);
		}
	}
}

static void
ev_send(void *arg, const uint8_t *buf, size_t len)
{
	struct transcript	*t = arg;
	size_t			 i;

	if (t->last != 'S') {
		tr_close_line(t);
		tr_printf(t, "SEND");
		t->last = 'S';
	}
	for (i = 0; i < len; i++) {
		tr_printf(t, " %02x", buf[i]);
	}
}

static void
ev_winsize(void *arg, unsigned cols, unsigned rows)
{
	char	line[64];

	snprintf(line, sizeof line, "WINSIZE %u %u", cols, rows);
	tr_line(arg, line);
}

static void
ev_command(void *arg, enum tn_cmd cmd)
{
	static const char *const names[] = {
		[TN_CMD_IP] = "IP", [TN_CMD_BRK] = "BRK", [TN_CMD_AO] = "AO",
		[TN_CMD_AYT] = "AYT", [TN_CMD_EC] = "EC", [TN_CMD_EL] = "EL",
	};
	char	line[32];

	snprintf(line, sizeof line, "CMD %s", names[cmd]);
	tr_line(arg, line);
}

static void
ev_settled(void *arg)
{
	tr_line(arg, "SETTLED");
}

static void
ev_fail(void *arg, const char *why)
{
	char	line[256];

	snprintf(line, sizeof line, "FAIL %s", why);
	tr_line(arg, line);
}

static void
ev_comport(void *arg, const uint8_t *buf, size_t len)
{
	struct transcript	*t = arg;
	size_t			 i;

	tr_close_line(t);
	tr_printf(t, "COMPORT");
	for (i = 0; i < len; i++) {
		tr_printf(t, " %02x", buf[i]);
	}
	tr_printf(t, "\n");
}

static const struct tn_ops test_ops = {
	.data = ev_data,
	.send = ev_send,
	.winsize = ev_winsize,
	.command = ev_command,
	.settled = ev_settled,
	.fail = ev_fail,
	.comport = ev_comport,
};

static void
tr_state(struct transcript *t, const struct tn *tn)
{
	const struct tn_env	*e;
	size_t			 i;

	tr_close_line(t);
	tr_printf(t, "END term=%s user=%s", tn_term(tn) ? tn_term(tn) : "-",
	    tn_user(tn) ? tn_user(tn) : "-");
	for (i = 0; (e = tn_env_at(tn, i)) != NULL; i++) {
		tr_printf(t, " %s=%s", e->name, e->value);
	}
	if (tn_comport(tn)) {
		tr_printf(t, " comport");
	}
	tr_printf(t, "\n");
}

/*
 * Run the script, cutting the input at the offsets in cuts (ncuts of
 * them, ascending), bytewise or with the bulk path; returns the
 * transcript.
 */
static char *
run_as(const struct script *sc, const size_t *cuts, size_t ncuts,
    int bytewise)
{
	struct transcript	 t = { 0 };
	struct tn		*tn;
	size_t			 i, from = 0;

	tn = tn_new(&test_ops, &t, (const char *const *)sc->accept);
	if (tn == NULL) {
		fprintf(stderr, "tn_new failed\n");
		exit(1);
	}
	if (sc->comport && tn_enable_comport(tn) == -1) {
		fprintf(stderr, "tn_enable_comport failed\n");
		exit(1);
	}
	if (bytewise) {
		tn_bytewise(tn);
	}
	if (sc->start) {
		tn_start(tn);
	}
	for (i = 0; i <= ncuts; i++) {
		size_t	to = i < ncuts ? cuts[i] : sc->len;

		if (to > from) {
			tn_recv(tn, sc->input + from, to - from);
		}
		from = to;
	}
	tr_state(&t, tn);
	tn_free(tn);
	tr_grow(&t, 0);
	t.buf[t.len] = '\0';
	return t.buf;
}

static char *
run(const struct script *sc, const size_t *cuts, size_t ncuts)
{
	return run_as(sc, cuts, ncuts, 0);
}

static int
parse_item(struct script *sc, char **pp, const char *path, int lineno)
{
	char		*p = *pp, *end;
	uint8_t		 item[4096];
	size_t		 n = 0, i;
	unsigned long	 times = 1, v;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				goto bad;
			}
			if (n == sizeof item) {
				goto bad;
			}
			if (*p != '\\') {
				item[n++] = (uint8_t)*p;
				continue;
			}
			p++;
			switch (*p) {
			case 'r': item[n++] = '\r'; break;
			case 'n': item[n++] = '\n'; break;
			case 't': item[n++] = '\t'; break;
			case '0': item[n++] = '\0'; break;
			case '\\': item[n++] = '\\'; break;
			case '"': item[n++] = '"'; break;
			case 'x':
				v = strtoul(p + 1, &end, 16);
				if (end != p + 3) {
					goto bad;
				}
				item[n++] = (uint8_t)v;
				p = end - 1;
				break;
			default:
				goto bad;
			}
		}
		p++;
	} else {
		v = strtoul(p, &end, 16);
		if (end != p + 2 || v > 0xff) {
			goto bad;
		}
		item[n++] = (uint8_t)v;
		p = end;
	}
	if (*p == '*') {
		times = strtoul(p + 1, &end, 10);
		if (end == p + 1 || times == 0) {
			goto bad;
		}
		p = end;
	}
	for (; times > 0; times--) {
		for (i = 0; i < n; i++) {
			if (sc->len == SCRIPT_MAX) {
				goto bad;
			}
			sc->input[sc->len++] = item[i];
		}
	}
	*pp = p;
	return 0;
bad:
	fprintf(stderr, "%s:%d: bad input item near \"%.20s\"\n", path, lineno,
	    *pp);
	return -1;
}

static int
load(struct script *sc, const char *path)
{
	FILE	*f;
	char	 line[8192], *p;
	int	 lineno = 0;

	memset(sc, 0, sizeof *sc);
	if ((sc->input = malloc(SCRIPT_MAX)) == NULL ||
	    (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		p = line;
		if (*p == '#' || *p == '\0') {
			continue;
		}
		if (strcmp(p, "@start") == 0) {
			sc->start = 1;
		} else if (strcmp(p, "@comport") == 0) {
			sc->comport = 1;
		} else if (strncmp(p, "@accept ", 8) == 0 &&
		    sc->naccept < MAX_ACCEPT) {
			sc->accept[sc->naccept++] = strdup(p + 8);
		} else if (*p == '<') {
			for (p++;;) {
				while (isspace((unsigned char)*p)) {
					p++;
				}
				if (*p == '\0') {
					break;
				}
				if (parse_item(sc, &p, path, lineno) == -1) {
					fclose(f);
					return -1;
				}
			}
			if (sc->nreads == MAX_READS) {
				fprintf(stderr, "%s:%d: too many reads\n", path,
				    lineno);
				fclose(f);
				return -1;
			}
			sc->read_end[sc->nreads++] = sc->len;
		} else {
			fprintf(stderr, "%s:%d: unknown line\n", path, lineno);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL) {
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
result(const char *name, int ok, const char *why)
{
	if (ok) {
		npass++;
		printf("ok - %s\n", name);
	} else {
		nfail++;
		printf("FAIL - %s: %s\n", name, why);
	}
}

static void
golden(const char *dir, const char *base)
{
	struct script	 sc;
	char		 in[1024], out[1024], what[1200];
	char		*want, *got, *alt;
	size_t		*cuts, i, k;
	int		 ok = 1;
	FILE		*f;

	snprintf(in, sizeof in, "%s/%s.in", dir, base);
	snprintf(out, sizeof out, "%s/%s.out", dir, base);
	if (load(&sc, in) == -1) {
		result(base, 0, "cannot load script");
		return;
	}
	got = run(&sc, sc.read_end, sc.nreads > 0 ? sc.nreads - 1 : 0);
	if (getenv("UPDATE") != NULL) {
		if ((f = fopen(out, "w")) != NULL) {
			fputs(got, f);
			fclose(f);
		}
	}
	want = slurp(out);
	if (want == NULL) {
		result(base, 0, "no .out file (run with UPDATE=1 and review)");
		free(got);
		return;
	}
	if (strcmp(want, got) != 0) {
		printf("--- want %s\n%s--- got\n%s", out, want, got);
		result(base, 0, "transcript differs (reads as written)");
		ok = 0;
	}
	/* Byte by byte. */
	if (ok && sc.len > 1 && sc.len <= 65536) {
		cuts = malloc(sc.len * sizeof *cuts);
		for (i = 0; i < sc.len - 1; i++) {
			cuts[i] = i + 1;
		}
		alt = run(&sc, cuts, sc.len - 1);
		if (strcmp(want, alt) != 0) {
			printf("--- want\n%s--- got (byte by byte)\n%s", want,
			    alt);
			result(base, 0, "transcript differs byte by byte");
			ok = 0;
		}
		free(alt);
		free(cuts);
	}
	/* Every two-way split (bounded: long inputs are sampled). */
	for (k = 1; ok && k < sc.len; k += sc.len > 4096 ? 997 : 1) {
		alt = run(&sc, &k, 1);
		if (strcmp(want, alt) != 0) {
			printf("--- want\n%s--- got (split at %zu)\n%s", want,
			    k, alt);
			snprintf(what, sizeof what, "differs when split at %zu",
			    k);
			result(base, 0, what);
			ok = 0;
		}
		free(alt);
	}
	if (ok) {
		result(base, 1, NULL);
	}
	free(want);
	free(got);
	for (i = 0; i < sc.naccept; i++) {
		free(sc.accept[i]);
	}
	free(sc.input);
}

/* Every IAC command as the very first bytes must be harmless (V4). */
static void
table_first_bytes(void)
{
	struct transcript	 t = { 0 };
	struct tn		*tn;
	uint8_t			 b[2];
	int			 x;

	for (x = 0; x < 256; x++) {
		tn = tn_new(&test_ops, &t, NULL);
		b[0] = 0xff;
		b[1] = (uint8_t)x;
		tn_recv(tn, b, 2);
		tn_free(tn);
	}
	free(t.buf);
	result("every IAC command as the first two bytes", 1, NULL);
}

static void
table_validators(void)
{
	static const struct { const char *s; int term, user; } cases[] = {
		{ "xterm", 1, 1 },
		{ "xterm-256color", 1, 1 },
		{ "-f", 1, 0 },	/* TERM only reaches envp */
		{ "-froot", 1, 0 },
		{ "root", 1, 1 },
		{ "a b", 0, 0 },
		{ "x;id", 0, 0 },
		{ "screen.xterm+x", 1, 0 },
		{ "", 0, 0 },
		{ "abcdefghijabcdefghijabcdefghijabcdefghij", 1, 0 },	/* 40 */
		{ "abcdefghijabcdefghijabcdefghijabcdefghijk", 0, 0 },	/* 41 */
		{ "abcdefghijabcdefghijabcdefghijab", 1, 1 },		/* 32 */
		{ "../etc", 0, 0 },
		{ "._x", 1, 1 },
	};
	size_t	i;
	int	ok = 1;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t	len = strlen(cases[i].s);

		if (tn_term_valid(cases[i].s, len) != cases[i].term ||
		    tn_user_valid(cases[i].s, len) != cases[i].user) {
			printf("# validator wrong for \"%s\"\n", cases[i].s);
			ok = 0;
		}
	}
	result("TERM and user name validators", ok, "see above");
}

static void
table_escape(void)
{
	uint8_t	src[512], dst[1024], want[1024];
	size_t	i, n, w = 0;

	for (i = 0; i < sizeof src; i++) {
		src[i] = (uint8_t)(i * 7 + (i % 3 == 0 ? 0xff : 0));
		if (i % 5 == 0) {
			src[i] = 0xff;
		}
	}
	for (i = 0; i < sizeof src; i++) {
		want[w++] = src[i];
		if (src[i] == 0xff) {
			want[w++] = 0xff;
		}
	}
	n = tn_escape(dst, src, sizeof src);
	result("tn_escape doubles every IAC and nothing else",
	    n == w && memcmp(dst, want, w) == 0, "output differs");
	memset(src, 0xff, sizeof src);
	n = tn_escape(dst, src, sizeof src);
	result("tn_escape of all-IAC input", n == 2 * sizeof src,
	    "wrong length");
}

/* A small deterministic generator: the same streams on every run. */
static uint32_t	rng_state = 2463534242u;

static uint32_t
rng(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n == 0 ? 0 : rng_state % n;
}

static void
put(struct script *sc, size_t cap, const uint8_t *b, size_t n)
{
	if (sc->len + n <= cap) {
		memcpy(sc->input + sc->len, b, n);
		sc->len += n;
	}
}

/*
 * One random piece of a peer's stream: text with CR LF, CR NUL and bare
 * CRs, binary bytes, doubled IACs alone and in runs, commands,
 * negotiations (BINARY among them, which changes how CR is read), and
 * subnegotiations, with IACs inside, ended well or (rarely) badly.
 */
static void
gen_piece(struct script *sc, size_t cap)
{
	static const uint8_t	text[] = "ab\r\n\r\0\r\rxyz \x7f\x01";
	static const uint8_t	opts[] = { 0, 1, 3, 24, 31, 39, 44, 172, 200 };
	uint8_t			b[64];
	size_t			n, i;

	switch (rng(12)) {
	case 0:
	case 1:
	case 2:
		n = 1 + rng(40);
		for (i = 0; i < n; i++) {
			b[i] = text[rng(sizeof text - 1)];
		}
		put(sc, cap, b, n);
		break;
	case 3:
		n = 1 + rng(40);
		for (i = 0; i < n; i++) {
			b[i] = (uint8_t)rng(255);	/* never 0xff */
		}
		put(sc, cap, b, n);
		break;
	case 4:
	case 5:
		n = 1 + rng(30);
		memset(b, 0xff, 2 * n);
		put(sc, cap, b, 2 * n);
		break;
	case 6:
		b[0] = 0xff;
		b[1] = (uint8_t)(241 + rng(9));	/* NOP .. GA */
		put(sc, cap, b, 2);
		break;
	case 7:
	case 8:
		b[0] = 0xff;
		b[1] = (uint8_t)(251 + rng(4));	/* WILL .. DONT */
		b[2] = opts[rng(sizeof opts)];
		put(sc, cap, b, 3);
		break;
	case 9:
		/* NAWS, with an 0xff side doubled */
		n = 0;
		b[n++] = 0xff;
		b[n++] = 250;
		b[n++] = 31;
		for (i = 0; i < 4; i++) {
			b[n] = (uint8_t)(rng(3) == 0 ? 0xff : rng(200));
			if (b[n++] == 0xff) {
				b[n++] = 0xff;
			}
		}
		b[n++] = 0xff;
		b[n++] = 240;
		put(sc, cap, b, n);
		break;
	case 10:
		/* TTYPE IS or NEW-ENVIRON IS USER */
		if (rng(2)) {
			static const uint8_t tt[] = { 0xff, 250, 24, 0,
			    'X', 'T', 'E', 'R', 'M', 0xff, 240 };
			put(sc, cap, tt, sizeof tt);
		} else {
			static const uint8_t ev[] = { 0xff, 250, 39, 0, 0,
			    'U', 'S', 'E', 'R', 1, 'b', 'o', 'b', 0xff, 240 };
			put(sc, cap, ev, sizeof ev);
		}
		break;
	default:
		/* Rarely: a subnegotiation ended by IAC and a command, or
		 * an IAC with whatever follows. */
		if (rng(8) == 0) {
			static const uint8_t bad[] = { 0xff, 250, 31, 1, 0xff,
			    244 };
			put(sc, cap, bad, sizeof bad);
		} else {
			b[0] = 0xff;
			b[1] = (uint8_t)rng(256);
			put(sc, cap, b, 2);
		}
		break;
	}
}

static void
table_bulk_vs_bytewise(void)
{
	struct script	 sc;
	size_t		 cuts[MAX_READS], ncuts, cap = 4096, k;
	char		*a, *b;
	int		 iter, bad = 0;

	memset(&sc, 0, sizeof sc);
	if ((sc.input = malloc(cap)) == NULL) {
		perror("malloc");
		exit(1);
	}
	for (iter = 0; iter < 3000 && !bad; iter++) {
		sc.len = 0;
		sc.start = (int)rng(2);
		sc.comport = rng(4) == 0;
		for (k = 1 + rng(40); k > 0; k--) {
			gen_piece(&sc, cap);
		}
		/*
		 * Reads of random lengths; every third stream a byte at a
		 * time for a while, which splits every IAC pair.
		 */
		ncuts = 0;
		for (k = 1 + rng(8); k < sc.len && ncuts < MAX_READS;
		    k += iter % 3 == 0 && k < 64 ? 1 : 1 + rng(24)) {
			cuts[ncuts++] = k;
		}
		a = run_as(&sc, cuts, ncuts, 0);
		b = run_as(&sc, cuts, ncuts, 1);
		if (strcmp(a, b) != 0) {
			printf("# stream %d differs:\n# bulk:\n%s# bytewise:\n%s",
			    iter, a, b);
			bad = 1;
		}
		free(a);
		free(b);
	}
	free(sc.input);
	result("bulk path and libtelnet byte by byte give the same events",
	    !bad, "see above");
}

int
main(int argc, char **argv)
{
	const char	*dir = argc > 1 ? argv[1] : "tests/golden/telnet";
	struct dirent	**names;
	int		 n, i;
	char		 base[256];
	size_t		 len;

	table_first_bytes();
	table_validators();
	table_escape();
	table_bulk_vs_bytewise();
	if ((n = scandir(dir, &names, NULL, alphasort)) == -1) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		len = strlen(names[i]->d_name);
		if (len > 3 && len < sizeof base &&
		    strcmp(names[i]->d_name + len - 3, ".in") == 0) {
			memcpy(base, names[i]->d_name, len - 3);
			base[len - 3] = '\0';
			golden(dir, base);
		}
		free(names[i]);
	}
	free(names);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
