/*
 * hosts: consoles across machines.  `ttyhub -l --all` lists the
 * consoles of every ttyhubd that publishes its broker on the link;
 * `ttyhub NAME` with no console NAME here, and `ttyhub NAME@HOST`, find
 * the host that has it and attach there (doc/ttyhub.1, "Consoles on
 * other hosts").
 *
 * browse.c finds the brokers; each is then asked for its list as
 * `ttyhub -l` asks (TTYHUB_COMMAND=list), all at once on the one loop,
 * until every one has answered or the time is up.  A broker whose TXT
 * record names every console it has need not be asked where a console
 * is: the record says.  The time limit (--timeout, 2 s by default)
 * holds for the browse and again for the questions, connects included;
 * a broker that does not answer in time is named, not waited for.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "../telnet/tn.h"
#include "browse.h"
#include "clean.h"
#include "client.h"

#define HOSTS_ANSWER_MAX	(1024 * 1024)	/* one broker's list */
#define HOSTS_TIMEOUT_MS	2000

_Static_assert(PROTOCOL_VERSION == 4, "the TXT record's proto= is 4 "
    "(src/daemon/publish.c): change both");

/* One broker asked for its list. */
struct hosts_query {
	const struct browse_host *h;
	struct opts		 o;		/* the user's, to h->where */
	struct conn		 conn;
	struct event_base	*base;
	unsigned		*left;		/* queries still running */
	uint8_t			*data;
	size_t			 len;
	int			 done;
	char			 error[400];	/* clean */
};

static struct browse_host	hosts_found[BROWSE_HOSTS_MAX];
static struct hosts_query	hosts_q[BROWSE_HOSTS_MAX];

static unsigned
hosts_timeout(const struct opts *o)
{
	return o->timeout_ms > 0 ? o->timeout_ms : HOSTS_TIMEOUT_MS;
}

static uint64_t
hosts_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void	hosts_fail(struct hosts_query *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The query is over: with an error (the first one counts), or not. */
static void
hosts_fail(struct hosts_query *q, const char *fmt, ...)
{
	va_list	ap;

	if (q->done) {
		return;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(q->error, sizeof q->error, fmt, ap);
		va_end(ap);
	}
	q->done = 1;
	if (--*q->left == 0) {
		event_base_loopbreak(q->base);
	}
}

static void
hosts_data(void *arg, const uint8_t *buf, size_t len)
{
	struct hosts_query	*q = arg;
	uint8_t			*p;

	if (q->done) {
		return;
	}
	if (q->len + len > HOSTS_ANSWER_MAX) {
		hosts_fail(q, "its list is longer than %d KiB",
		    HOSTS_ANSWER_MAX / 1024);
		return;
	}
	if ((p = realloc(q->data, q->len + len)) == NULL) {
		hosts_fail(q, "out of memory");
		return;
	}
	q->data = p;
	memcpy(q->data + q->len, buf, len);
	q->len += len;
}

static void
hosts_ctl(void *arg, int code, const char *text)
{
	if (code == TN_CTL_ERROR) {
		hosts_fail(arg, "it said: %s", text);
	}
}

static void
hosts_ready(void *arg, int ctl)
{
	if (!ctl) {
		hosts_fail(arg, "it speaks protocol 1; this needs protocol 2 "
		    "(a newer ttyhubd)");
	}
}

static void
hosts_closed(void *arg, const char *why)
{
	if (why != NULL) {
		hosts_fail(arg, "connection lost: %s", why);
	} else {
		hosts_fail(arg, NULL);
	}
}

static void
hosts_refused(void *arg, const char *why)
{
	hosts_fail(arg, "%s", why);
}

static const struct conn_ops hosts_conn_ops = {
	.data = hosts_data,
	.ctl = hosts_ctl,
	.ready = hosts_ready,
	.closed = hosts_closed,
	.refused = hosts_refused,
};

static void
hosts_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/*
 * Ask the brokers in ask[] (n of them, indexes into hosts_found) for
 * their lists, within ms in all.  Each query's data or error is left in
 * hosts_q[].
 */
static void
hosts_ask(const struct opts *o, const size_t *ask, size_t n, unsigned ms)
{
	struct event_base	*base = ui_base();
	struct hosts_query	*q;
	struct peer_want	 want;
	struct event		*deadline;
	struct timeval		 tv;
	uint64_t		 end = hosts_now_ms() + ms, now;
	unsigned		 left = 0;
	char			 err[300];
	size_t			 i;

	memset(&want, 0, sizeof want);
	want.command = "list";
	for (i = 0; i < n; i++) {
		q = &hosts_q[ask[i]];
		memset(q, 0, sizeof *q);
		q->h = &hosts_found[ask[i]];
		q->o = *o;
		q->o.socket = q->h->url;
		q->o.tls_name = q->h->tls ? q->h->certname : NULL;
		q->base = base;
		q->left = &left;
		left++;
		conn_init(&q->conn, base, &hosts_conn_ops, q, &q->o, &want);
		now = hosts_now_ms();
		if (now >= end) {
			hosts_fail(q, "not asked: no time left");
			continue;
		}
		q->conn.connect_ms = (unsigned)(end - now);
		if (conn_open(&q->conn, err, sizeof err) == -1) {
			hosts_fail(q, "cannot connect: %s", err);
		}
	}
	now = hosts_now_ms();
	if (left > 0 && now < end &&
	    (deadline = evtimer_new(base, hosts_on_deadline, base)) != NULL) {
		tv.tv_sec = (time_t)((end - now) / 1000);
		tv.tv_usec = (suseconds_t)((end - now) % 1000) * 1000;
		(void)evtimer_add(deadline, &tv);
		(void)event_base_dispatch(base);
		event_free(deadline);
	}
	for (i = 0; i < n; i++) {
		q = &hosts_q[ask[i]];
		if (!q->done) {
			hosts_fail(q, "no answer within %u ms", ms);
		}
		conn_close(&q->conn);
	}
}

/* Does a list answer have a line for console name? */
static int
hosts_answer_has(const struct hosts_query *q, const char *name)
{
	const uint8_t	*p = q->data, *nl, *tab;
	size_t		 left = q->len, llen, n = strlen(name);

	while (left > 0) {
		nl = memchr(p, '\n', left);
		llen = nl == NULL ? left : (size_t)(nl - p);
		tab = memchr(p, '\t', llen);
		if (tab != NULL && (size_t)(tab - p) == n &&
		    memcmp(p, name, n) == 0) {
			return 1;
		}
		if (nl == NULL) {
			break;
		}
		p += llen + 1;
		left -= llen + 1;
	}
	return 0;
}

/* Browse; the number of brokers found, or -1 with err filled. */
static int
hosts_browse(const struct opts *o, char *err, size_t errlen)
{
	return browse_run(ui_base(), hosts_timeout(o), hosts_found,
	    BROWSE_HOSTS_MAX, err, errlen);
}

int
hosts_list(const struct opts *o)
{
	const char	*label[BROWSE_HOSTS_MAX];
	const uint8_t	*data[BROWSE_HOSTS_MAX];
	size_t		 len[BROWSE_HOSTS_MAX], ask[BROWSE_HOSTS_MAX];
	char		 err[300];
	size_t		 i, n, ok = 0;
	int		 found, status = EXIT_OK;

	if ((found = hosts_browse(o, err, sizeof err)) == -1) {
		ui_error("cannot look on the network: %s", err);
		return EXIT_ERR;
	}
	if (found == 0) {
		ui_error("no ttyhubd found on the network within %u ms",
		    hosts_timeout(o));
		return EXIT_ERR;
	}
	n = (size_t)found;
	for (i = 0; i < n; i++) {
		ask[i] = i;
	}
	hosts_ask(o, ask, n, hosts_timeout(o));
	for (i = 0; i < n; i++) {
		if (hosts_q[i].error[0] != '\0') {
			ui_error("%s (%s): %s", hosts_found[i].host,
			    hosts_found[i].where, hosts_q[i].error);
			status = EXIT_ERR;
			continue;
		}
		label[ok] = hosts_found[i].host;
		data[ok] = hosts_q[i].data;
		len[ok] = hosts_q[i].len;
		ok++;
	}
	if (ok > 0) {
		cmd_list_table(label, data, len, ok);
	}
	for (i = 0; i < n; i++) {
		free(hosts_q[i].data);
		hosts_q[i].data = NULL;
	}
	return status;
}

/* NAME@HOST: is h that host?  By host name, service name or address. */
static int
hosts_is(const struct browse_host *h, const char *host)
{
	size_t	n = strlen(host);

	if (n > 6 && strcmp(host + n - 6, ".local") == 0) {
		n -= 6;
	}
	return (strlen(h->host) == n && strncmp(h->host, host, n) == 0) ||
	    strcmp(h->service, host) == 0 ||
	    (strncmp(h->where, host, strlen(host)) == 0 &&
	    h->where[strlen(host)] == ':');
}

/* The hosts that have console name: indexes into hosts_found. */
static size_t
hosts_having(const struct opts *o, const char *name, size_t n, size_t *have,
    size_t *unknown, unsigned ms)
{
	size_t	ask[BROWSE_HOSTS_MAX], nask = 0, nhave = 0, i;

	*unknown = 0;
	for (i = 0; i < n; i++) {
		if (hosts_found[i].has_txt &&
		    txt_has_name(&hosts_found[i].txt, name)) {
			have[nhave++] = i;
		} else if (!hosts_found[i].has_txt ||
		    !txt_complete(&hosts_found[i].txt)) {
			ask[nask++] = i;	/* the record cannot say */
		}
	}
	if (nask > 0) {
		hosts_ask(o, ask, nask, ms);
	}
	for (i = 0; i < nask; i++) {
		if (hosts_q[ask[i]].error[0] != '\0') {
			(*unknown)++;
		} else if (hosts_answer_has(&hosts_q[ask[i]], name)) {
			have[nhave++] = ask[i];
		}
		free(hosts_q[ask[i]].data);
		hosts_q[ask[i]].data = NULL;
	}
	return nhave;
}

int
hosts_attach(struct opts *o)
{
	static char	 where[sizeof hosts_found[0].url];
	static char	 certname[sizeof hosts_found[0].certname];
	char		 err[300], list[600];
	size_t		 have[BROWSE_HOSTS_MAX], nhave = 0, unknown = 0, i, n;
	int		 found;

	found = hosts_browse(o, err, sizeof err);
	if (found == -1 && o->host != NULL) {
		ui_error("cannot look for %s on the network: %s", o->host, err);
		return EXIT_ERR;
	}
	if (found == -1) {
		if (o->local_why != NULL && o->local_why[0] != '\0') {
			ui_error("%s; not looked for on the network: %s",
			    o->local_why, err);
		} else {
			ui_error("no console named \"%s\" (%s -l lists them; "
			    "not looked for on the network: %s)", o->name,
			    PROGNAME, err);
		}
		return EXIT_ERR;
	}
	n = (size_t)found;
	if (o->host != NULL) {
		for (i = 0; i < n; i++) {
			if (hosts_is(&hosts_found[i], o->host)) {
				have[nhave++] = i;
			}
		}
	} else {
		nhave = hosts_having(o, o->name, n, have, &unknown,
		    hosts_timeout(o));
	}
	if (nhave == 0) {
		if (o->host != NULL) {
			(void)clean_text(list, sizeof list, o->host,
			    strlen(o->host), 0);
			ui_error("no ttyhubd called \"%s\" found on the network "
			    "(%s -l --all lists those there are)", list,
			    PROGNAME);
		} else if (o->local_why != NULL && o->local_why[0] != '\0') {
			ui_error("%s, and no console named \"%s\" on the "
			    "network (%d ttyhubd%s found%s)", o->local_why,
			    o->name, found, found == 1 ? "" : "s",
			    unknown > 0 ? ", some did not answer" : "");
		} else {
			ui_error("no console named \"%s\" here or on the network "
			    "(%d ttyhubd%s found%s; %s -l --all lists their "
			    "consoles)", o->name, found, found == 1 ? "" : "s",
			    unknown > 0 ? ", some did not answer" : "",
			    PROGNAME);
		}
		return EXIT_ERR;
	}
	if (nhave > 1) {
		list[0] = '\0';
		for (i = 0; i < nhave; i++) {
			snprintf(list + strlen(list), sizeof list - strlen(list),
			    "%s%s", i > 0 ? ", " : "", o->host != NULL ?
			    hosts_found[have[i]].service :
			    hosts_found[have[i]].host);
		}
		if (o->host != NULL) {
			ui_error("%s is several ttyhubds: %s; name one with "
			    "%s@\"SERVICE\"", o->host, list, o->name);
		} else {
			ui_error("%s is on %zu hosts: %s; choose one with %s@HOST",
			    o->name, nhave, list, o->name);
		}
		return EXIT_ERR;
	}
	memcpy(where, hosts_found[have[0]].url, sizeof where);
	memcpy(certname, hosts_found[have[0]].certname, sizeof certname);
	o->socket = where;
	o->tls_name = hosts_found[have[0]].tls ? certname : NULL;
	o->lookup = 0;
	return attach_main(o);
}
