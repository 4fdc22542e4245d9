/*
 * tlsview: Telnet clients of one console, in the clear or over TLS, for
 * bench/tls.py.  Like conview (and with the same receiver, tnrecv.c):
 * every option refused, only payload bytes equal to HEX counted.
 *
 *   tlsview PORT K HEX SECS [CAFILE]
 *       K connections to 127.0.0.1:PORT, with CAFILE over TLS (the
 *       server's certificate verified against it); every handshake is
 *       over before the first byte is counted.  They read for SETTLE
 *       (0.3 s: negotiation, replay, notices) and discard it, then
 *       "READY" is printed and they count for SECS seconds.  Prints
 *       "readers=K secs= total_mbps= per_min= per_med= per_max= other="
 *       (MB = 10^6 bytes of payload).
 *
 * Sockets stay blocking: poll says which to read, and a TLS record
 * already read in part is finished by SSL_read itself.  Every wait has a
 * deadline.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"
#include "tnrecv.h"

#define RBUF		(256 * 1024)
#define SETTLE_S	0.3

struct view {
	int		 fd;
	SSL		*ssl;
	struct tnrecv	 rx;
	uint8_t		 want;
	int		 counting;
	int		 eof;
	unsigned long long got, other;
};

/* One read; bytes, or 0 at the end. */
static ssize_t
view_read(struct view *v, uint8_t *buf, size_t len)
{
	const uint8_t	*p = buf, *end, *span;
	ssize_t		 n;
	size_t		 k, i, c;

	n = v->ssl != NULL ? SSL_read(v->ssl, buf, (int)len) :
	    recv(v->fd, buf, len, 0);
	if (n <= 0) {
		v->eof = 1;
		return 0;
	}
	end = buf + n;
	while ((k = tnrecv_next(&v->rx, &p, end, &span)) > 0) {
		for (i = c = 0; v->counting && i < k; i++) {
			c += span[i] == v->want;
		}
		v->got += c;
		v->other += v->counting ? k - c : 0;
	}
	/* Refusals: a few bytes, now, the way the data came. */
	if (v->rx.nreply > 0) {
		if (v->ssl != NULL) {
			(void)SSL_write(v->ssl, v->rx.reply, (int)v->rx.nreply);
			v->rx.nreply = 0;
		} else {
			(void)tnrecv_flush(&v->rx, v->fd);
		}
	}
	return n;
}

/* Read whatever is there for every view until t_end. */
static void
views_run(struct view *v, unsigned k, struct pollfd *p, uint8_t *buf,
    double t_end)
{
	unsigned	i;
	int		ms;

	while (bench_now() < t_end) {
		for (i = 0; i < k; i++) {
			/* Decrypted already: the socket will not say so. */
			while (!v[i].eof && v[i].ssl != NULL &&
			    SSL_pending(v[i].ssl) > 0) {
				(void)view_read(&v[i], buf, RBUF);
			}
			p[i].fd = v[i].eof ? -1 : v[i].fd;
			p[i].events = POLLIN;
		}
		ms = (int)((t_end - bench_now()) * 1000) + 1;
		if (poll(p, k, ms > 50 ? 50 : ms) <= 0) {
			continue;
		}
		for (i = 0; i < k; i++) {
			if (p[i].revents != 0 && !v[i].eof) {
				(void)view_read(&v[i], buf, RBUF);
			}
		}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct view	*v;
	struct pollfd	*p;
	SSL_CTX		*ctx = NULL;
	uint8_t		*buf;
	double		 secs, *rate, start;
	unsigned	 k, i;
	unsigned long long total = 0, other = 0;
	uint16_t	 port;

	if (argc < 5) {
		fprintf(stderr, "usage: tlsview PORT K HEX SECS [CAFILE]\n");
		return 2;
	}
	port = (uint16_t)atoi(argv[1]);
	k = (unsigned)atoi(argv[2]);
	secs = atof(argv[4]);
	v = calloc(k, sizeof *v);
	p = calloc(k, sizeof *p);
	rate = calloc(k, sizeof *rate);
	buf = malloc(RBUF);
	if (k == 0 || v == NULL || p == NULL || rate == NULL || buf == NULL) {
		bench_die("setup");
	}
	if (argc > 5) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    SSL_CTX_load_verify_locations(ctx, argv[5], NULL) != 1) {
			bench_die("tls context");
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	for (i = 0; i < k; i++) {
		v[i].want = (uint8_t)strtoul(argv[3], NULL, 16);
		if ((v[i].fd = bench_connect(port, 0)) < 0) {
			bench_die("connect");
		}
		if (ctx == NULL) {
			continue;
		}
		if ((v[i].ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(v[i].ssl, v[i].fd) != 1 ||
		    SSL_connect(v[i].ssl) != 1) {
			bench_die("handshake");
		}
	}
	start = bench_now();
	views_run(v, k, p, buf, start + SETTLE_S);
	for (i = 0; i < k; i++) {
		v[i].counting = 1;
	}
	printf("READY readers=%u\n", k);
	fflush(stdout);
	start = bench_now();
	views_run(v, k, p, buf, start + secs);
	for (i = 0; i < k; i++) {
		total += v[i].got;
		other += v[i].other;
		rate[i] = (double)v[i].got / secs / 1e6;
	}
	qsort(rate, k, sizeof *rate, cmp_double);
	printf("readers=%u secs=%.3f total_mbps=%.3f per_min=%.3f "
	    "per_med=%.3f per_max=%.3f other=%llu\n", k, secs,
	    (double)total / secs / 1e6, rate[0], rate[k / 2], rate[k - 1],
	    other);
	for (i = 0; i < k; i++) {
		if (v[i].ssl != NULL) {
			SSL_free(v[i].ssl);
		}
		close(v[i].fd);
	}
	SSL_CTX_free(ctx);
	return 0;
}
