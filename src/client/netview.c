/*
 * netview: the daemon's TTYHUB_COMMAND=net answer as tables for people,
 * for ttyhub -l (after the consoles) and ttyhub net NAME (every second
 * on a terminal, with the rates since the last look).  A line is a
 * network's ("network" first) or one of its ports' ("port" first); a
 * line of a kind we do not know, or with fields missing, is skipped, so
 * a later daemon may add both.  Every field is cleaned before it is
 * shown (clean.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clean.h"
#include "client.h"

#define NV_FIELDS	16
#define NV_FIELD_MAX	512
#define NV_ROWS_MAX	4096	/* ports shown, in all */

/* Fields of a port line. */
enum {
	NV_P_NET = 1, NV_P_ID, NV_P_KIND, NV_P_VIA, NV_P_PEER, NV_P_FIN,
	NV_P_BIN, NV_P_FOUT, NV_P_BOUT, NV_P_DROPS, NV_P_QUEUED, NV_P_AGE,
	NV_P_MACS, NV_P_N
};
/* Fields of a network line. */
enum {
	NV_N_NAME = 1, NV_N_MODE, NV_N_PORTS, NV_N_MACS, NV_N_FRAMES,
	NV_N_BYTES, NV_N_DROPS, NV_N_BAD, NV_N_PCAP, NV_N_CAPTURED,
	NV_N_MISSED, NV_N_N
};

/* What a port had at the last look, for rates. */
struct netview_seen {
	char			 key[NV_FIELD_MAX];	/* network, port, peer */
	unsigned long long	 fin, fout;
};

struct netview {
	int			 live;
	int			 below;		/* a table is above ours */
	struct timespec		 at;		/* of the last look */
	struct netview_seen	*seen;
	size_t			 nseen;
};

struct netview *
netview_new(int live, int below)
{
	struct netview	*nv;

	if ((nv = calloc(1, sizeof *nv)) != NULL) {
		nv->live = live;
		nv->below = below;
	}
	return nv;
}

void
netview_free(struct netview *nv)
{
	if (nv != NULL) {
		free(nv->seen);
		free(nv);
	}
}

/* n bytes as ls -h shows them: 999, 1.0K, 734K, 1.2M. */
static void
netview_bytes(unsigned long long n, char *buf, size_t len)
{
	static const char	 units[] = "KMGTPE";
	double			 v = (double)n;
	size_t			 u = 0;

	if (n < 1000) {
		snprintf(buf, len, "%llu", n);
		return;
	}
	v /= 1024;
	while (v >= 999.5 && u + 1 < sizeof units - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static unsigned long long
netview_num(const char *s)
{
	return strtoull(s, NULL, 10);
}

/* One line split at TABs into cleaned fields; returns how many. */
static size_t
netview_fields(const uint8_t *line, size_t len, char f[][NV_FIELD_MAX])
{
	const uint8_t	*tab;
	size_t		 n = 0, flen;

	while (n < NV_FIELDS) {
		tab = memchr(line, '\t', len);
		flen = tab == NULL ? len : (size_t)(tab - line);
		(void)clean_text(f[n++], NV_FIELD_MAX, line, flen, 0);
		if (tab == NULL) {
			break;
		}
		line += flen + 1;
		len -= flen + 1;
	}
	return n;
}

/* The port's rate since the last look: -1 if it was not seen then. */
static double
netview_rate(struct netview *nv, const char *key, unsigned long long now,
    int out, double secs)
{
	size_t	i;

	for (i = 0; i < nv->nseen; i++) {
		if (strcmp(nv->seen[i].key, key) == 0) {
			if (secs <= 0) {
				return -1;
			}
			return (double)(now - (out ? nv->seen[i].fout :
			    nv->seen[i].fin)) / secs;
		}
	}
	return -1;
}

struct netview_row {
	char			 cell[9][NV_FIELD_MAX];
	char			 key[NV_FIELD_MAX];
	unsigned long long	 fin, fout;
};

#define NV_NCOLS	9

static void
netview_out(const char *s)
{
	(void)ui_write(STDOUT_FILENO, s, strlen(s));
}

/* The port rows gathered for one network: the table, widths first. */
static void
netview_table(struct netview *nv, struct netview_row *rows, size_t n)
{
	static const char *const head[NV_NCOLS] = { "PORT", "KIND", "PEER",
	    "MACS", "IN", "OUT", "BYTES-IN", "BYTES-OUT", "DROPS" };
	static const char *const live_head[NV_NCOLS] = { "PORT", "KIND",
	    "PEER", "MACS", "IN", "OUT", "IN/S", "OUT/S", "DROPS" };
	const char *const	*h = nv->live ? live_head : head;
	size_t			 w[NV_NCOLS], i, j;
	char			 line[NV_NCOLS * NV_FIELD_MAX + 64];
	size_t			 len;
	int			 k;

	for (j = 0; j < NV_NCOLS; j++) {
		w[j] = strlen(h[j]);
		for (i = 0; i < n; i++) {
			if (strlen(rows[i].cell[j]) > w[j]) {
				w[j] = strlen(rows[i].cell[j]);
			}
		}
	}
	for (i = 0; i <= n; i++) {
		len = 0;
		for (j = 0; j < NV_NCOLS; j++) {
			/* Numbers to the right, words to the left. */
			k = snprintf(line + len, sizeof line - len,
			    j == 0 || j >= 4 ? "%s%*s" : "%s%-*s",
			    j == 0 ? "  " : "  ", (int)w[j],
			    i == 0 ? h[j] : rows[i - 1].cell[j]);
			len += k > 0 ? (size_t)k : 0;
			if (len >= sizeof line) {
				len = sizeof line - 1;
			}
		}
		while (len > 0 && line[len - 1] == ' ') {
			len--;
		}
		line[len] = '\0';
		netview_out(line);
		netview_out("\n");
	}
}

/* What the rows hold now, for the next look's rates. */
static void
netview_remember(struct netview *nv, const struct netview_row *rows,
    size_t n)
{
	struct netview_seen	*s;
	size_t			 i;

	if ((s = calloc(n > 0 ? n : 1, sizeof *s)) == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		memcpy(s[i].key, rows[i].key, sizeof s[i].key);
		s[i].fin = rows[i].fin;
		s[i].fout = rows[i].fout;
	}
	free(nv->seen);
	nv->seen = s;
	nv->nseen = n;
}

/*
 * The answer: for each network its line, then its ports as a table.
 * Returns how many networks there were.
 */
size_t
netview_print(struct netview *nv, const uint8_t *data, size_t len)
{
	static char		 f[NV_FIELDS][NV_FIELD_MAX];
	struct netview_row	*rows, *r;
	struct timespec		 now;
	const uint8_t		*p = data, *nl;
	size_t			 left = len, n, llen, nrows = 0, nnets = 0;
	size_t			 all = 0;
	double			 secs, rate;
	char			 in[16], out[16], buf[10 * NV_FIELD_MAX];
	int			 c;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - nv->at.tv_sec) +
	    (double)(now.tv_nsec - nv->at.tv_nsec) / 1e9;
	if (nv->at.tv_sec == 0) {
		secs = 0;
	}
	if ((rows = calloc(NV_ROWS_MAX, sizeof *rows)) == NULL) {
		ui_error("out of memory");
		return 0;
	}
	if (nv->live) {
		netview_out("\033[H\033[2J");
	}
	for (;;) {
		nl = left > 0 ? memchr(p, '\n', left) : NULL;
		llen = nl == NULL ? left : (size_t)(nl - p);
		n = llen > 0 && p[llen - 1] == '\r' ? llen - 1 : llen;
		c = n > 0 ? (int)netview_fields(p, n, f) : 0;
		/* A network's line ends the table of the one before. */
		if ((left == 0 || (c >= NV_N_N && strcmp(f[0], "network") ==
		    0)) && nnets > 0) {
			netview_table(nv, rows + all - nrows, nrows);
			nrows = 0;
		}
		if (left == 0) {
			break;
		}
		if (c >= NV_N_N && strcmp(f[0], "network") == 0) {
			netview_bytes(netview_num(f[NV_N_BYTES]), in,
			    sizeof in);
			snprintf(buf, sizeof buf, "%snetwork %s: %s, %s port%s, "
			    "%s address%s learned; %s frames (%s) in, %s "
			    "dropped%s%s\n", nnets > 0 || nv->below ? "\n" : "",
			    f[NV_N_NAME], f[NV_N_MODE], f[NV_N_PORTS],
			    strcmp(f[NV_N_PORTS], "1") == 0 ? "" : "s",
			    f[NV_N_MACS], strcmp(f[NV_N_MACS], "1") == 0 ?
			    "" : "es", f[NV_N_FRAMES], in, f[NV_N_DROPS],
			    strcmp(f[NV_N_PCAP], "-") == 0 ? "" :
			    "; capture ", strcmp(f[NV_N_PCAP], "-") == 0 ?
			    "" : f[NV_N_PCAP]);
			netview_out(buf);
			nnets++;
		} else if (c >= NV_P_N && strcmp(f[0], "port") == 0 &&
		    nnets > 0 && all < NV_ROWS_MAX) {
			r = &rows[all++];
			nrows++;
			snprintf(r->cell[0], sizeof r->cell[0], "%s",
			    f[NV_P_ID]);
			snprintf(r->cell[1], sizeof r->cell[1], "%s",
			    f[NV_P_KIND]);
			snprintf(r->cell[2], sizeof r->cell[2], "%s",
			    f[NV_P_PEER]);
			snprintf(r->cell[3], sizeof r->cell[3], "%s",
			    f[NV_P_MACS]);
			snprintf(r->cell[4], sizeof r->cell[4], "%s",
			    f[NV_P_FIN]);
			snprintf(r->cell[5], sizeof r->cell[5], "%s",
			    f[NV_P_FOUT]);
			r->fin = netview_num(f[NV_P_FIN]);
			r->fout = netview_num(f[NV_P_FOUT]);
			snprintf(r->key, sizeof r->key, "%.200s %.16s %.200s",
			    f[NV_P_NET], f[NV_P_ID], f[NV_P_PEER]);
			if (nv->live) {
				rate = netview_rate(nv, r->key, r->fin, 0,
				    secs);
				snprintf(r->cell[6], sizeof r->cell[6],
				    rate < 0 ? "-" : "%.0f", rate);
				rate = netview_rate(nv, r->key, r->fout, 1,
				    secs);
				snprintf(r->cell[7], sizeof r->cell[7],
				    rate < 0 ? "-" : "%.0f", rate);
			} else {
				netview_bytes(netview_num(f[NV_P_BIN]), in,
				    sizeof in);
				netview_bytes(netview_num(f[NV_P_BOUT]), out,
				    sizeof out);
				snprintf(r->cell[6], sizeof r->cell[6], "%s",
				    in);
				snprintf(r->cell[7], sizeof r->cell[7], "%s",
				    out);
			}
			snprintf(r->cell[8], sizeof r->cell[8], "%s",
			    f[NV_P_DROPS]);
		}
		if (nl == NULL) {
			p += llen;
			left = 0;
		} else {
			p += llen + 1;
			left -= llen + 1;
		}
	}
	netview_remember(nv, rows, all);
	nv->at = now;
	free(rows);
	return nnets;
}
