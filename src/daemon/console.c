/*
 * console: a named terminal shared by its clients.  See console.h.
 *
 * Output path: the backend is read straight into the ring (no copy for
 * plain backends), the new bytes go to the log, and every client that is
 * not waiting for its socket is written to at once from its position.  A
 * client that cannot keep up is dealt with when it is next looked at:
 * ring_clamp says how much it lost.  Input path: writers' bytes go into
 * one capped queue that is written to the backend as it takes them.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "conlog.h"
#include "console.h"
#include "log.h"
#include "server.h"
#include "../telnet/rfc2217.h"

#define CONSOLE_READ_MAX	(64 * 1024)	/* per read(2) */
#define CONSOLE_READS_MAX	16		/* reads per wakeup: fairness */
#define CONSOLE_BATCH_CLIENTS	4		/* batch reads from this many */
#define CONSOLE_BREAK_MS	250

#define ARM_BE_RD	0x1
#define ARM_BE_WR	0x2

static void	console_open(struct console *);
static void	console_down(struct console *, const char *);

/* The variant that serves a console type. */
static const struct backend_ops *
console_ops(enum cfg_backend_kind type)
{
	switch (type) {
	case CFG_BACKEND_SERIAL:
		return &backend_serial_ops;
	case CFG_BACKEND_UNIX:
	case CFG_BACKEND_TCP:
		return &backend_socket_ops;
	case CFG_BACKEND_EXEC:
		return &backend_exec_ops;
	case CFG_BACKEND_PTY:
		return &backend_pty_ops;
	case CFG_BACKEND_VHOST:
	case CFG_BACKEND_VPORT:
		return &backend_vhost_ops;
	}
	return NULL;
}

const char *
console_type_str(const struct console *con)
{
	return config_type_name(con->cfg->type);
}

const char *
console_state_str(const struct console *con)
{
	switch (con->state) {
	case CONSOLE_UP:
		return "up";
	case CONSOLE_CONNECTING:
		return "connecting";
	case CONSOLE_DOWN:
		break;
	}
	return "down";
}

static void
console_arm(struct console *con, struct event *ev, unsigned bit, int on)
{
	if (ev == NULL) {
		return;
	}
	if (on && !(con->armed & bit)) {
		event_add(ev, NULL);
		con->armed |= bit;
	} else if (!on && (con->armed & bit)) {
		event_del(ev);
		con->armed &= ~bit;
	}
}

/* The one place backend interest is decided. */
static void
console_events(struct console *con)
{
	int	up = con->state == CONSOLE_UP;

	console_arm(con, con->be_rd, ARM_BE_RD, up);
	console_arm(con, con->be_wr, ARM_BE_WR,
	    con->state == CONSOLE_CONNECTING ||
	    (up && evbuffer_get_length(con->to_be) > 0));
}

int
console_input_room(const struct console *con)
{
	return evbuffer_get_length(con->to_be) < CONSOLE_IN_MAX;
}

/* The input queue's room changed: let writers be read again, or not. */
static void
console_input_changed(struct console *con, int had_room)
{
	struct console_member	*m;

	if (had_room == console_input_room(con)) {
		return;
	}
	TAILQ_FOREACH(m, &con->members, entry) {
		if (!m->ro) {
			m->ops->events(m);
		}
	}
}

void
console_log_event(struct console *con, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (con->log != NULL) {
		conlog_event(con->log, text);
	}
	log_debug("console %s: %s", con->name, text);
}

void
console_notice(struct console *con, struct console_member *except,
    const char *fmt, ...)
{
	struct console_member	*m;
	char			 text[512];
	va_list			 ap;

	/*
	 * notices = no is for clients that take every byte as the
	 * terminal's (nc, a script): none of ours may land among them.
	 */
	if (!con->cfg->notices) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	TAILQ_FOREACH(m, &con->members, entry) {
		if (m != except) {
			m->ops->notice(m, text);
		}
	}
}

/* New output is in the ring: count it and log it. */
static void
console_output(struct console *con, const uint8_t *p, size_t len)
{
	con->bytes_out += len;
	if (con->log != NULL) {
		conlog_output(con->log, p, len);
	}
}

/*
 * Hand what is new in the ring to the members.  A member waiting for its
 * socket only checks whether it fell out of the ring, so `slow =
 * disconnect` acts at once.
 */
static void
console_fanout(struct console *con)
{
	struct console_member	*m, *next;

	TAILQ_FOREACH_SAFE(m, &con->members, entry, next) {
		m->ops->kick(m);
	}
}

/*
 * Read the backend and hand what came on.  A pty gives at most about 4 KiB
 * a read: a hundred clients each writing every 4 KiB costs far more than
 * writing 64 KiB, so with many clients reads are batched until the backend
 * has nothing more.  With few, each read goes on at once: the clients'
 * sockets then drain while the backend refills, which batching would
 * stall (bench/RESULTS.md, Consoles: 1 viewer 90 -> 60 MB/s batched, 100
 * viewers 450 -> 1,500 MB/s).  A batch stays within half the ring, so a
 * client that kept up never loses bytes to it.
 */
static void
console_be_read(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;
	uint8_t		*p;
	size_t		 len, got, batch = 0, most;
	ssize_t		 n;
	int		 i, eager = con->nmembers < CONSOLE_BATCH_CLIENTS;
	int		 broken = 0;

	(void)what;
	most = con->ring.cap / 2 < CONSOLE_READ_MAX ? con->ring.cap / 2 :
	    CONSOLE_READ_MAX;
	for (i = 0; i < CONSOLE_READS_MAX && batch < most; i++) {
		p = ring_space(&con->ring, most - batch, &len);
		if (batch == 0) {
			con->live = con->ring.head;
		}
		n = read(fd, p, len);
		if (n > 0) {
			got = (size_t)n;
			if (con->be->ops->decode != NULL) {
				got = con->be->ops->decode(con->be, p, got,
				    &broken);
			}
			ring_commit(&con->ring, got);
			/* The bytes are still in place until the next write. */
			if (got > 0) {
				console_output(con, p, got);
				batch += got;
			}
			if (broken) {
				/*
				 * What the peer said before the fault is
				 * shown and logged, as it would be had the
				 * fault come in a later read.
				 */
				console_fanout(con);
				console_down(con, "the peer broke the Telnet "
				    "protocol");
				return;
			}
			if (eager && batch > 0) {
				console_fanout(con);
				batch = 0;
			}
			if (con->state != CONSOLE_UP) {
				break;		/* replies failed: it went */
			}
			if (eager && (size_t)n < len) {
				break;	/* most likely empty: spare a read */
			}
			continue;
		}
		if (n == -1 && (errno == EINTR)) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		/* Everything readable has been read: now the hang-up. */
		console_fanout(con);
		console_down(con, n == 0 ? "end of file" : strerror(errno));
		return;
	}
	if (batch > 0) {
		console_fanout(con);
	}
}

/* The endpoint is there: say so once, then move bytes. */
static void
console_up(struct console *con)
{
	con->state = CONSOLE_UP;
	con->failures = 0;
	log_rate_info(&con->lr_up, "console %s: %s backend up", con->name,
	    console_type_str(con));
	if (con->told_down) {
		con->told_down = 0;
		console_notice(con, NULL, "%s: backend up", con->name);
	}
	console_log_event(con, "backend up");
	console_events(con);
	if (con->be->ops->input != NULL &&
	    evbuffer_get_length(con->to_be) > 0) {
		con->be->ops->input(con->be);
	}
}

static void
console_be_write(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;
	int		 had, err = 0, n;
	socklen_t	 len = sizeof err;

	(void)what;
	if (con->state == CONSOLE_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
			err = errno == ENOTSOCK ? 0 : errno;	/* a tty */
		}
		if (err != 0) {
			console_down(con, strerror(err));
			return;
		}
		console_up(con);
		return;
	}
	had = console_input_room(con);
	while (evbuffer_get_length(con->to_be) > 0) {
		n = evbuffer_write(con->to_be, fd);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (n <= 0) {
			console_down(con, n == 0 ? "end of file" :
			    strerror(errno));
			return;
		}
		con->bytes_in += (size_t)n;
	}
	console_input_changed(con, had);
	console_events(con);
}

static void
console_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	console_open(arg);
}

/*
 * The backend is down (it went, or would not open): tell the clients once
 * per outage, and open again after the variant's delay, if ever.
 */
static void
console_schedule(struct console *con, const char *why)
{
	unsigned	ms = con->be->ops->retry_ms(con->be, con->failures);
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	con->no_retry = ms == BACKEND_NO_RETRY;
	snprintf(con->down_why, sizeof con->down_why, "%s", why);
	if (con->nmembers > 0 && !con->told_down) {
		con->told_down = 1;
		console_notice(con, NULL, "%s: backend down (%s)%s", con->name,
		    why, con->no_retry ? "" : "; retrying");
	}
	if (con->closing) {
		return;
	}
	if (con->no_retry) {
		console_log_event(con, "backend stays down (no restart)");
		return;
	}
	evtimer_add(con->retry, &tv);
}

static void
console_events_new(struct console *con)
{
	struct event_base	*base = con->srv->base;

	con->be_rd = event_new(base, con->be->fd, EV_READ | EV_PERSIST,
	    console_be_read, con);
	con->be_wr = event_new(base, con->be->fd, EV_WRITE | EV_PERSIST,
	    console_be_write, con);
}

static void
console_events_free(struct console *con)
{
	console_arm(con, con->be_rd, ARM_BE_RD, 0);
	console_arm(con, con->be_wr, ARM_BE_WR, 0);
	if (con->be_rd != NULL) {
		event_free(con->be_rd);
	}
	if (con->be_wr != NULL) {
		event_free(con->be_wr);
	}
	con->be_rd = con->be_wr = NULL;
}

static void
console_open(struct console *con)
{
	char			why[sizeof con->down_why];
	enum backend_open	r;

	why[0] = '\0';
	r = con->be->ops->open(con->be, why, sizeof why);
	if (r == BACKEND_OPEN_FAIL) {
		con->failures++;
		if (strcmp(why, con->down_why) != 0 || con->failures == 1) {
			log_warn("console %s: %s; retrying", con->name, why);
		}
		console_schedule(con, why);
		return;
	}
	if (con->be->ops->input != NULL) {
		/* The variant moves the bytes; it says when it is up. */
		con->state = CONSOLE_CONNECTING;
		if (r == BACKEND_OPEN_UP) {
			console_up(con);
		}
		return;
	}
	console_events_new(con);
	if (con->be_rd == NULL || con->be_wr == NULL) {
		console_down(con, "out of memory");
		return;
	}
	if (r == BACKEND_OPEN_PENDING) {
		con->state = CONSOLE_CONNECTING;
		console_events(con);
		return;
	}
	con->state = CONSOLE_CONNECTING;
	console_be_write(con->be->fd, EV_WRITE, con);	/* becomes UP */
}

/*
 * The backend went away: release it, tell the clients once, try again
 * after the variant's delay.  Input queued for it is dropped: it was
 * meant for the endpoint that is gone; unless the variant holds it for
 * the next one (a guest's next boot).
 */
static void
console_down(struct console *con, const char *why)
{
	int		 was_up = con->state == CONSOLE_UP, had;
	const char	*reason;

	if (con->be->ops->reason != NULL &&
	    (reason = con->be->ops->reason(con->be)) != NULL) {
		why = reason;
	}
	console_events_free(con);
	con->be->ops->close(con->be);
	con->be->fd = -1;
	if (!con->be->ops->hold_input) {
		had = console_input_room(con);
		evbuffer_drain(con->to_be, evbuffer_get_length(con->to_be));
		console_input_changed(con, had);
	}
	con->state = CONSOLE_DOWN;
	if (!was_up) {
		con->failures++;
	}
	/* What it left unsaid goes with it. */
	log_rate_flush(&con->lr_deaf);
	if (was_up) {
		log_rate_info(&con->lr_down, "console %s: backend down: %s",
		    con->name, why);
		console_log_event(con, "backend down: %s", why);
	} else if (con->failures == 1) {
		log_warn("console %s: %s", con->name, why);
	}
	console_schedule(con, why);
}

/*
 * The backend's host (struct backend_host): what a variant may ask of
 * its console.
 */

static int
console_host_gone(struct backend *b, const char *why)
{
	struct console	*con = b->host_arg;

	if (con->state == CONSOLE_DOWN) {
		return 0;
	}
	console_down(con, why);
	return 1;
}

static void
console_host_send(struct backend *b, const void *buf, size_t len)
{
	struct console	*con = b->host_arg;

	/*
	 * Protocol replies are small and answer the peer's own requests;
	 * a peer that never reads them cannot make us keep more than this.
	 */
	if (evbuffer_get_length(con->to_be) + len > 4 * CONSOLE_IN_MAX) {
		log_rate_warn(&con->lr_deaf, "console %s: the backend does "
		    "not read; dropping %zu bytes for it", con->name, len);
		return;
	}
	evbuffer_add(con->to_be, buf, len);
	if (con->state == CONSOLE_UP) {
		console_events(con);
	}
}

/*
 * For variants that move the bytes themselves (ops->input): the endpoint
 * came up, output arrived, input is taken.
 */
static void
console_host_up(struct backend *b)
{
	struct console	*con = b->host_arg;

	if (con->state == CONSOLE_CONNECTING) {
		console_up(con);
	}
}

static void
console_host_flush(struct backend *b)
{
	struct console	*con = b->host_arg;

	if (con->batch > 0) {
		con->batch = 0;
		console_fanout(con);
	}
}

/*
 * Copy len bytes of output into the ring and the log.  The members are
 * told by console_host_flush, once for everything that came in one go,
 * as console_be_read batches its reads.
 */
static void
console_host_output(struct backend *b, const uint8_t *buf, size_t len)
{
	struct console	*con = b->host_arg;
	uint8_t		*p;
	size_t		 n, most;

	most = con->ring.cap / 2 < CONSOLE_READ_MAX ? con->ring.cap / 2 :
	    CONSOLE_READ_MAX;
	while (len > 0) {
		/* A batch stays within half the ring, as in console_be_read. */
		if (con->batch >= most) {
			console_host_flush(b);
		}
		if (con->batch == 0) {
			con->live = con->ring.head;
		}
		p = ring_space(&con->ring, len < most - con->batch ? len :
		    most - con->batch, &n);
		memcpy(p, buf, n);
		ring_commit(&con->ring, n);
		console_output(con, p, n);
		con->batch += n;
		buf += n;
		len -= n;
	}
}

static size_t
console_host_pending(struct backend *b)
{
	struct console	*con = b->host_arg;

	return evbuffer_get_length(con->to_be);
}

/* Move up to len bytes of writers' input to dst. */
static size_t
console_host_take(struct backend *b, void *dst, size_t len)
{
	struct console	*con = b->host_arg;
	int		 had = console_input_room(con);
	int		 n;

	n = evbuffer_remove(con->to_be, dst, len);
	if (n <= 0) {
		return 0;
	}
	con->bytes_in += (size_t)n;
	console_input_changed(con, had);
	return (size_t)n;
}

static void
console_host_retry_soon(struct backend *b)
{
	struct console	*con = b->host_arg;
	/*
	 * A moment's grace: a socket file appears at bind(), a little before
	 * its server calls listen().
	 */
	struct timeval	tv = { 0, 50 * 1000 };

	if (con->state == CONSOLE_DOWN && !con->closing) {
		log_info("console %s: its socket is back: connecting",
		    con->name);
		evtimer_add(con->retry, &tv);
	}
}

static void
console_host_modem(struct backend *b, uint8_t state)
{
	struct console		*con = b->host_arg;
	struct console_member	*m;

	console_log_event(con, "modem lines now 0x%02x", state);
	TAILQ_FOREACH(m, &con->members, entry) {
		if (m->comport) {
			m->ops->modem(m, state);
		}
	}
}

static void
console_host_event(struct backend *b, const char *text)
{
	console_log_event(b->host_arg, "%s", text);
}

static void
console_host_notice(struct backend *b, const char *text)
{
	struct console	*con = b->host_arg;

	console_log_event(con, "%s", text);
	console_notice(con, NULL, "%s: %s", con->name, text);
}

static const struct backend_host console_host = {
	.gone = console_host_gone,
	.up = console_host_up,
	.output = console_host_output,
	.flush = console_host_flush,
	.pending = console_host_pending,
	.take = console_host_take,
	.send = console_host_send,
	.retry_soon = console_host_retry_soon,
	.modem_changed = console_host_modem,
	.event = console_host_event,
	.notice = console_host_notice,
};

struct console *
console_find(struct server *srv, const char *name)
{
	struct console	*con;

	TAILQ_FOREACH(con, &srv->consoles, entry) {
		if (strcmp(con->name, name) == 0) {
			return con;
		}
	}
	return NULL;
}

struct console *
console_new(struct server *srv, const struct cfg_console *cfg, char *err,
    size_t errlen)
{
	static uint64_t	 last_id;
	struct console	*con;
	size_t		 cap;
	char		 lerr[300];

	if ((con = calloc(1, sizeof *con)) == NULL ||
	    (con->be = calloc(1, sizeof *con->be)) == NULL) {
		free(con);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	con->srv = srv;
	con->id = ++last_id;
	con->cfg = cfg;
	con->name = cfg->name;
	con->state = CONSOLE_DOWN;
	TAILQ_INIT(&con->members);
	con->be->ops = console_ops(cfg->type);
	con->be->host = &console_host;
	con->be->host_arg = con;
	con->be->cfg = cfg;
	con->be->srv = srv;
	con->be->base = srv->base;
	con->be->fd = -1;
	con->be->pid = -1;
	TAILQ_INSERT_TAIL(&srv->consoles, con, entry);

	/* The ring is both the replay and every member's backlog. */
	cap = cfg->replay > cfg->backlog ? cfg->replay : cfg->backlog;
	con->to_be = evbuffer_new();
	con->retry = evtimer_new(srv->base, console_retry, con);
	if (ring_init(&con->ring, cap) == -1 || con->to_be == NULL ||
	    con->retry == NULL || con->be->ops == NULL) {
		snprintf(err, errlen, "console %s: out of memory", cfg->name);
		console_free(con, NULL);
		return NULL;
	}
	if (cfg->log != NULL && (con->log = conlog_open(cfg->log, cfg->name,
	    cfg->log_timestamps, lerr, sizeof lerr)) == NULL) {
		snprintf(err, errlen, "console %s: %s", cfg->name, lerr);
		console_free(con, NULL);
		return NULL;
	}
	return con;
}

void
console_start(struct console *con)
{
	struct timeval	now = { 0, 0 };

	con->started = 1;
	console_log_event(con, "console started (%s backend)",
	    console_type_str(con));
	/*
	 * Opened from the loop, not here: consoles are made before the
	 * daemon forks into the background, and a program started now would
	 * be the exiting parent's child, whose end we would never hear of.
	 */
	evtimer_add(con->retry, &now);
}

void
console_adopt(struct console *con, const struct cfg_console *cfg)
{
	con->cfg = cfg;
	con->name = cfg->name;
	con->be->cfg = cfg;
}

void
console_free(struct console *con, const char *why)
{
	struct console_member	*m;
	char			 msg[200];

	con->closing = 1;
	if (why != NULL) {
		snprintf(msg, sizeof msg, "%s: %s", con->name, why);
	}
	while ((m = TAILQ_FIRST(&con->members)) != NULL) {
		m->ops->close(m, why != NULL ? msg : NULL);
	}
	console_events_free(con);
	if (con->be != NULL) {
		if (con->be->ops != NULL) {
			if (con->be->fd != -1 || con->be->pid > 0 ||
			    con->be->priv != NULL) {
				con->be->ops->close(con->be);
			}
			if (con->be->ops->free != NULL) {
				con->be->ops->free(con->be);
			}
		}
		free(con->be);
	}
	if (con->retry != NULL) {
		event_free(con->retry);
	}
	if (con->to_be != NULL) {
		evbuffer_free(con->to_be);
	}
	if (con->log != NULL) {
		if (con->started) {
			console_log_event(con, "console closed%s%s",
			    why != NULL ? ": " : "", why != NULL ? why : "");
		}
		conlog_close(con->log);
	}
	log_rate_flush(&con->lr_deaf);
	log_rate_flush(&con->lr_up);
	log_rate_flush(&con->lr_down);
	ring_free(&con->ring);
	TAILQ_REMOVE(&con->srv->consoles, con, entry);
	free(con);
}

size_t
console_input(struct console *con, struct console_member *m,
    const uint8_t *buf, size_t len)
{
	size_t	room;
	int	had;

	(void)m;
	if (con->state != CONSOLE_UP && !con->be->ops->hold_input) {
		return 0;	/* clients were told the backend is down */
	}
	/*
	 * Writers are read only while there is room, in reads no bigger
	 * than that room; Telnet decoding only shrinks them.  A byte or two
	 * from a command (IP) may go past it: allow that much slack.
	 */
	room = CONSOLE_IN_MAX + 64 - evbuffer_get_length(con->to_be);
	if (len > room) {
		len = room;
	}
	had = console_input_room(con);
	if (con->be->ops->encode != NULL) {
		con->be->ops->encode(con->be, buf, len);
	} else {
		evbuffer_add(con->to_be, buf, len);
	}
	if (con->state != CONSOLE_UP) {
		/* Held for the endpoint to come (hold_input). */
	} else if (con->be->ops->input != NULL) {
		con->be->ops->input(con->be);
	} else {
		console_be_write(con->be->fd, EV_WRITE, con);
	}
	if (con->state == CONSOLE_UP || con->be->ops->hold_input) {
		console_input_changed(con, had);
	}
	return len;
}

void
console_input_purge(struct console *con)
{
	int	had = console_input_room(con);

	evbuffer_drain(con->to_be, evbuffer_get_length(con->to_be));
	console_input_changed(con, had);
}

int
console_break(struct console *con, struct console_member *m)
{
	char	msg[160];

	if (con->be->ops->brk == NULL) {
		snprintf(msg, sizeof msg, "%s: BREAK not supported by the %s "
		    "backend", con->name, console_type_str(con));
		m->ops->notice(m, msg);
		return -1;
	}
	if (con->state != CONSOLE_UP) {
		snprintf(msg, sizeof msg, "%s: BREAK not sent: the backend is "
		    "down", con->name);
		m->ops->notice(m, msg);
		return -1;
	}
	if (con->be->ops->brk(con->be, CONSOLE_BREAK_MS) == -1) {
		if (errno == ENOTSUP) {
			snprintf(msg, sizeof msg, "%s: BREAK not supported by "
			    "the %s backend (it does not speak Telnet)",
			    con->name, console_type_str(con));
		} else {
			snprintf(msg, sizeof msg, "%s: BREAK failed: %s",
			    con->name, strerror(errno));
		}
		m->ops->notice(m, msg);
		return -1;
	}
	console_events(con);	/* a BREAK may have queued bytes */
	console_log_event(con, "BREAK from %s", m->peer);
	return 0;
}

void
console_winsize(struct console *con, struct console_member *m, unsigned cols,
    unsigned rows)
{
	if (cols == 0 || rows == 0 || con->be->ops->winsize == NULL) {
		return;
	}
	if (con->cfg->writers_one && con->writer != m) {
		return;
	}
	con->be->ops->winsize(con->be, cols, rows);
}

void
console_reopen_logs(struct server *srv)
{
	struct console	*con;

	TAILQ_FOREACH(con, &srv->consoles, entry) {
		if (con->log != NULL) {
			conlog_reopen(con->log);
		}
	}
}

void
console_comport_watch(struct console *con)
{
	struct console_member	*m;
	int			 on = 0;

	if (con->be->ops->watch_modem == NULL) {
		return;
	}
	TAILQ_FOREACH(m, &con->members, entry) {
		if (m->comport && m->modem_mask != 0) {
			on = 1;
			break;
		}
	}
	con->be->ops->watch_modem(con->be, on);
}
