/*
 * client: a connection to a console or to the broker.  See client.h.
 *
 * Output order on the wire: the owed half of a doubled IAC, then our own
 * queued text (negotiation replies, notices), then console output from
 * the client's ring position.  Our text is only ever put between whole
 * pairs, so the Telnet stream stays well formed whatever the socket takes.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "client.h"
#include "config.h"
#include "console.h"
#include "log.h"
#include "server.h"
#include "../telnet/rfc2217.h"
#include "../telnet/tn.h"

#define CLIENT_WRITE_MAX	(64 * 1024)	/* ring bytes per write */
#define CLIENT_READ_MAX		(16 * 1024)
#define CLIENT_NEGOTIATE_MS	1000	/* broker: wait for NEW-ENVIRON */
#define CLIENT_PROMPT_MAX_MS	(60 * 1000)	/* idle at the prompt */
#define CLIENT_PENDING_MAX	64	/* at the broker, not attached yet */
#define CLIENT_KEEPIDLE		20	/* s: dead peers go within a minute */
#define CLIENT_KEEPINTVL	10
#define CLIENT_KEEPCNT		3
#define CLIENT_USER_TIMEOUT_MS	60000
#define CLIENT_LINGER_MS	2000	/* wait for a closing peer's FIN */
#define CLIENT_WHO_MAX		128	/* lines in a who answer */

#define ARM_RD	0x1
#define ARM_WR	0x2

static const char *const client_broker_env[] = {
	"TTYHUB_CONSOLE", "TTYHUB_MODE", "TTYHUB_COMMAND", NULL
};

static uint8_t	client_rbuf[CLIENT_READ_MAX];
static uint8_t	client_ebuf[2 * CLIENT_WRITE_MAX];

/*
 * What client_ebuf holds: the escaped form of n ring bytes of con from
 * pos.  Clients that keep up ask for the same bytes one after another, so
 * one escape serves them all.  A ring byte never changes under its
 * position (positions only grow), so the key stays true until con goes.
 */
static struct {
	const struct console	*con;
	uint64_t		 pos;
	size_t			 n, len;
} client_esc;

static void	client_prompt(struct client *);
static void	client_prompt_start(struct client *);
static void	client_line(struct client *);
static void	client_list_more(struct client *);

static void
client_arm(struct client *c, struct event *ev, unsigned bit, int on)
{
	if (on && !(c->armed & bit)) {
		event_add(ev, NULL);
		c->armed |= bit;
	} else if (!on && (c->armed & bit)) {
		event_del(ev);
		c->armed &= ~bit;
	}
}

/* The one place read and write interest is decided. */
void
client_events(struct client *c)
{
	int	rd = 1;

	if (c->state == CLIENT_CLOSING) {
		rd = c->half_closed;	/* only to see its FIN */
	} else if (c->state == CLIENT_ATTACHED && !c->ro &&
	    !console_input_room(c->con)) {
		rd = 0;		/* a writer waits while the backend is full */
	} else if (evbuffer_get_length(c->ctl) >= CLIENT_CTL_MAX) {
		rd = 0;		/* it asks and does not read our answers */
	}
	client_arm(c, c->rd, ARM_RD, rd);
	client_arm(c, c->wr, ARM_WR, c->blocked);
}

/* Our own bytes, already in wire form.  Capped: past it we stop reading. */
static void
client_queue(struct client *c, const void *buf, size_t len)
{
	if (evbuffer_get_length(c->ctl) + len > CLIENT_CTL_MAX) {
		if (c->failed == NULL) {
			c->failed = "client does not read";
		}
		return;
	}
	evbuffer_add(c->ctl, buf, len);
}

/* Does c speak TTYHUB-CONTROL (the ttyhub client)? */
static int
client_has_ctl(const struct client *c)
{
	return c->tn != NULL && tn_ctl(c->tn);
}

/*
 * Is c the ttyhub client on a console's own listener, not yet past
 * naming what it wants?  True from the very byte its WILL arrived, so
 * nothing it sends after that (its window size above all) acts yet.
 */
static int
client_naming(const struct client *c)
{
	return c->direct && !c->named && c->state == CLIENT_ATTACHED &&
	    client_has_ctl(c);
}

void
client_notice(struct client *c, const char *text)
{
	char	safe[512], line[560];
	int	n;

	if (c->state == CLIENT_CLOSING) {
		return;
	}
	(void)log_safe(safe, sizeof safe, text, strlen(text));
	if (client_has_ctl(c)) {
		/* Out of band: a console cannot forge these. */
		tn_send_ctl(c->tn, TN_CTL_NOTICE, safe, strlen(safe));
	} else {
		n = snprintf(line, sizeof line, "\r\n[ttyhub: %s]\r\n", safe);
		if (n > 0) {
			client_queue(c, line, (size_t)n < sizeof line ?
			    (size_t)n : sizeof line - 1);
		}
	}
	/*
	 * Sent from the write event, never from here: a notice is often
	 * given from inside another client's callback, where closing this
	 * client on a write error would pull it out from under a loop.
	 */
	c->blocked = 1;
	client_events(c);
}

static void client_say(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
client_say(struct client *c, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0) {
		client_queue(c, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
	}
}

/* TTYHUB-CONTROL: a message of ours, formatted. */
static void client_ctl_send(struct client *c, enum tn_ctl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
client_ctl_send(struct client *c, enum tn_ctl_code code, const char *fmt, ...)
{
	char	buf[TN_CTL_TEXT_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	tn_send_ctl(c->tn, code, buf, strlen(buf));
}

/*
 * A request refused, or an attach that failed: an ERROR for a client that
 * speaks TTYHUB-CONTROL (code is one word a program can act on), else the
 * text as a line.
 */
static void client_error(struct client *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
client_error(struct client *c, const char *code, const char *fmt, ...)
{
	char	text[512], safe[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	(void)log_safe(safe, sizeof safe, text, strlen(text));
	if (client_has_ctl(c)) {
		client_ctl_send(c, TN_CTL_ERROR, "%s %s", code, safe);
	} else {
		client_say(c, "\r\nttyhub: %s\r\n", safe);
	}
}

/* 0 read-only, 1 read-write, 2 the writer (writers = one). */
static int
client_role(const struct client *c)
{
	if (c->ro) {
		return 0;
	}
	return c->con->cfg->writers_one ? 2 : 1;
}

static const char *
client_role_str(int role)
{
	return role == 2 ? "writer" : role == 1 ? "rw" : "ro";
}

/*
 * Tell a TTYHUB-CONTROL client its role and the backend's state when
 * either changed.  Role changes are made in console.c too (a writer
 * forced out, the next one promoted), always with a notice, which kicks
 * the client, so looking here, on every kick, sees them all.
 */
static void
client_ctl_update(struct client *c)
{
	int	role;

	if (c->state != CLIENT_ATTACHED || !client_has_ctl(c) ||
	    client_naming(c)) {
		return;
	}
	role = client_role(c);
	if (role == c->told_role && (int)c->con->state == c->told_state) {
		return;
	}
	c->told_role = role;
	c->told_state = (int)c->con->state;
	client_ctl_send(c, TN_CTL_STATE, "%s %s %s", c->con->name,
	    client_role_str(role), console_state_str(c->con));
}

/*
 * How many of the n source bytes at src the first w escaped bytes carried;
 * *half is set if the last one was an IAC whose second half did not go.
 */
static size_t
client_consumed(const uint8_t *src, size_t n, size_t w, int *half)
{
	size_t	i;

	*half = 0;
	for (i = 0; i < n && w > 0; i++) {
		if (src[i] != 0xff) {
			w--;
		} else if (w >= 2) {
			w -= 2;
		} else {
			*half = 1;
			return i + 1;
		}
	}
	return i;
}

/* Cut the iovecs to at most max bytes. */
static void
client_clip(struct iovec *iov, int *cnt, uint64_t max)
{
	if (iov[0].iov_len >= max) {
		iov[0].iov_len = (size_t)max;
		*cnt = 1;
	} else if (*cnt == 2 && iov[0].iov_len + iov[1].iov_len > max) {
		iov[1].iov_len = (size_t)(max - iov[0].iov_len);
	}
}

void
client_forget_console(const struct console *con)
{
	if (client_esc.con == con) {
		client_esc.con = NULL;
	}
}

/*
 * Write ring output from c->pos.  Returns -1 on a dead socket, 1 when it
 * stopped to queue a message of ours that must go before more output.
 */
static int
client_write_ring(struct client *c)
{
	struct console	*con = c->con;
	struct iovec	 iov[2];
	size_t		 n, len, took;
	ssize_t		 w;
	int		 cnt, half;

	if (c->flow_suspended) {
		return 0;	/* RFC 2217: until FLOWCONTROL-RESUME */
	}
	while (!c->blocked) {
		if (c->replay_owed && c->pos >= c->replay_end) {
			/* The replay ends here: the marker goes next. */
			c->replay_owed = 0;
			tn_send_ctl(c->tn, TN_CTL_REPLAY_END, NULL, 0);
			return 1;
		}
		if ((cnt = ring_peek(&con->ring, c->pos, iov)) == 0) {
			break;
		}
		if (c->replay_owed) {
			client_clip(iov, &cnt, c->replay_end - c->pos);
		}
		if (!c->telnet) {
			w = writev(c->fd, iov, cnt);
		} else {
			n = iov[0].iov_len < CLIENT_WRITE_MAX ?
			    iov[0].iov_len : CLIENT_WRITE_MAX;
			if (client_esc.con != con || client_esc.pos != c->pos ||
			    client_esc.n != n) {
				client_esc.con = con;
				client_esc.pos = c->pos;
				client_esc.n = n;
				client_esc.len = tn_escape(client_ebuf,
				    iov[0].iov_base, n);
			}
			len = client_esc.len;
			w = write(c->fd, client_ebuf, len);
			if ((size_t)w == len) {
				/* All of it: no need to count pairs. */
				c->half = 0;
				c->pos += n;
				continue;
			}
			if (w > 0) {
				took = client_consumed(iov[0].iov_base, n,
				    (size_t)w, &half);
				c->half = half;
				c->pos += took;
				if ((size_t)w < len) {
					c->blocked = 1;
				}
				continue;
			}
		}
		if (w == -1) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->blocked = 1;
				break;
			}
			return -1;
		}
		c->pos += (size_t)w;
		if ((size_t)w < iov[0].iov_len +
		    (cnt == 2 ? iov[1].iov_len : 0)) {
			c->blocked = 1;
		}
	}
	return 0;
}

/* Tell the client what it lost since the last drop notice, if anything. */
static void
client_say_drops(struct client *c)
{
	char	msg[96];

	if (c->unsaid == 0 || c->con == NULL) {
		return;
	}
	snprintf(msg, sizeof msg, "%llu bytes dropped",
	    (unsigned long long)c->unsaid);
	client_notice(c, msg);
	console_log_event(c->con, "%s: %llu bytes dropped (slow client)",
	    c->peer, (unsigned long long)c->unsaid);
	c->unsaid = 0;
}

int
client_kick(struct client *c)
{
	static const uint8_t	iac = 0xff;
	struct console		*con = c->con;
	uint64_t		 lost;
	ssize_t			 w;
	int			 n;

	if (c->failed != NULL) {
		log_info("%s: closed: %s", c->peer, c->failed);
		client_close(c, NULL);
		return -1;
	}
	if (c->state == CLIENT_ATTACHED && !client_naming(c) &&
	    (lost = ring_clamp(&con->ring, &c->pos)) > 0) {
		if (con->cfg->slow_disconnect) {
			log_info("console %s: %s: %llu bytes behind: "
			    "disconnected (slow = disconnect)", con->name,
			    c->peer, (unsigned long long)lost);
			client_close(c, "you fell too far behind: disconnected");
			return -1;
		}
		/*
		 * Skip ahead to live output, the backend's latest read (still
		 * in the ring: a read is at most half of it), and say how much
		 * went.  Skipping to the head would drop that read too.
		 */
		if (con->live > c->pos) {
			lost += con->live - c->pos;
			c->pos = con->live;
		}
		c->dropped += lost;
		c->unsaid += lost;
	}
	/*
	 * One drop notice at a time: while the last is still queued, later
	 * drops add to the next one, so a client that never reads cannot
	 * fill its notice queue with them and be closed for it.
	 */
	if (evbuffer_get_length(c->ctl) == 0) {
		client_say_drops(c);
	}
	client_ctl_update(c);
	if (c->blocked) {
		return 0;
	}
again:
	if (c->half) {
		w = write(c->fd, &iac, 1);
		if (w == 1) {
			c->half = 0;
		} else if (w == -1 && errno != EAGAIN && errno != EINTR) {
			goto dead;
		} else {
			c->blocked = 1;
			goto out;
		}
	}
	if (c->listing) {
		client_list_more(c);
	}
	while (evbuffer_get_length(c->ctl) > 0) {
		n = evbuffer_write(c->ctl, c->fd);
		if (n == -1) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->blocked = 1;
				goto out;
			}
			goto dead;
		}
		if (n == 0) {
			break;
		}
		if (c->listing && evbuffer_get_length(c->ctl) == 0) {
			client_list_more(c);
		}
	}
	if (c->unsaid > 0) {
		/* Skipped while the last notice waited: say so before more. */
		client_say_drops(c);
		goto again;
	}
	if (c->state == CLIENT_CLOSING) {
		/*
		 * Our last words are out.  Half-close and wait briefly for the
		 * peer's FIN: closing with its input unread would reset the
		 * connection and could destroy what we just sent.
		 */
		if (!c->half_closed) {
			struct timeval	tv = { CLIENT_LINGER_MS / 1000,
			    (CLIENT_LINGER_MS % 1000) * 1000 };

			(void)shutdown(c->fd, SHUT_WR);
			c->half_closed = 1;
			evtimer_add(c->timer, &tv);
		}
		goto out;
	}
	if (c->state == CLIENT_ATTACHED && !client_naming(c)) {
		switch (client_write_ring(c)) {
		case -1:
			goto dead;
		case 1:
			goto again;
		}
	}
out:
	client_events(c);
	return 0;
dead:
	c->state = CLIENT_CLOSING;
	client_close(c, NULL);
	return -1;
}

static void
client_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)what;
	c->blocked = 0;
	(void)client_kick(c);
}

/* Attach decisions. */

/*
 * The peer's supplementary groups, as the kernel recorded them at
 * connect, into *out (freed by the caller unless it is room).  Users may
 * have many more than fit in room; ERANGE tells how much more is needed.
 * Returns the count, 0 when they cannot be had.
 */
static size_t
client_peer_groups(int fd, gid_t *room, size_t nroom, gid_t **out)
{
	socklen_t	 len = (socklen_t)(nroom * sizeof *room);
	gid_t		*big;

	*out = room;
#ifdef SO_PEERGROUPS
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, room, &len) == 0) {
		return len / sizeof *room;
	}
	if (errno != ERANGE || len == 0 || (big = malloc(len)) == NULL) {
		return 0;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, big, &len) == -1) {
		free(big);
		return 0;
	}
	*out = big;
	return len / sizeof *big;
#else
	(void)fd;
	(void)len;
	(void)big;
	return 0;
#endif
}

static int
client_in_acl(const struct client *c, const struct cfg_acl *acl)
{
	gid_t	 room[64], *groups;
	size_t	 i, j, ng;
	int	 in = 0;

	for (i = 0; i < acl->nuids; i++) {
		if (acl->uids[i] == c->uid) {
			return 1;
		}
	}
	for (i = 0; i < acl->ngids; i++) {
		if (acl->gids[i] == c->gid) {
			return 1;
		}
	}
	if (acl->ngids == 0) {
		return 0;
	}
	ng = client_peer_groups(c->fd, room, sizeof room / sizeof room[0],
	    &groups);
	for (i = 0; i < acl->ngids && !in; i++) {
		for (j = 0; j < ng && !in; j++) {
			in = acl->gids[i] == groups[j];
		}
	}
	if (groups != room) {
		free(groups);
	}
	return in;
}

/*
 * May c attach to con, and may it write?  Unix peers are checked against
 * rw and ro when either is set; root and our own user always may.
 * Returns -1 (refused), 0 (read-only) or 1 (read-write).
 */
static int
client_access(const struct client *c, const struct console *con)
{
	const struct cfg_console	*cfg = con->cfg;

	if (!c->has_cred || (!cfg->rw.set && !cfg->ro.set)) {
		return c->may_write ? 1 : 0;
	}
	if (c->uid == 0 || c->uid == geteuid()) {
		return c->may_write ? 1 : 0;
	}
	if (client_in_acl(c, &cfg->rw)) {
		return c->may_write ? 1 : 0;
	}
	if (client_in_acl(c, &cfg->ro)) {
		return 0;
	}
	return -1;
}

/* Attach to con with options from the broker ("ro", "force", "noreplay"). */
static int
client_attach(struct client *c, struct console *con, int want_ro, int force,
    int noreplay)
{
	int	access = client_access(c, con);

	if (access < 0) {
		log_info("console %s: %s: refused by rw/ro lists (uid %ld)",
		    con->name, c->peer, (long)c->uid);
		client_error(c, "denied", "not allowed on console \"%s\"",
		    con->name);
		return -1;
	}
	if (access == 0) {
		want_ro = 1;
		c->may_write = 0;	/* nor later, by asking or forcing */
	}
	if (c->con == NULL) {
		TAILQ_REMOVE(&c->srv->pending_clients, c, entry);
	}
	c->state = CLIENT_ATTACHED;
	c->ro = want_ro;
	console_attach(con, c, !(noreplay || c->noreplay));
	if (force && !want_ro) {
		console_take_write(con, c);
	}
	if (client_has_ctl(c)) {
		/* Where the replay (possibly empty) ends: REPLAY-END. */
		c->replay_owed = 1;
		c->replay_end = con->ring.head;
	}
	return 0;
}

/* tn callbacks. */

static void
client_tn_data(void *arg, const uint8_t *buf, size_t len)
{
	struct client	*c = arg;
	size_t		 i;

	switch (c->state) {
	case CLIENT_ATTACHED:
		if (client_naming(c)) {
			return;		/* it sends nothing before STATE */
		}
		if (c->ro) {
			if (!c->told_ro) {
				c->told_ro = 1;
				client_notice(c, "read-only: your input is "
				    "ignored");
				/* So that a script can tell (its status). */
				if (client_has_ctl(c)) {
					client_error(c, "ignored", "%s: input "
					    "ignored", c->con->name);
				}
			}
			return;
		}
		(void)console_input(c->con, c, buf, len);
		break;
	case CLIENT_NEGOTIATING:
		/* Typed before negotiation ended: start the prompt now. */
		client_prompt_start(c);
		/* FALLTHROUGH */
	case CLIENT_PROMPT:
		for (i = 0; i < len && c->state == CLIENT_PROMPT; i++) {
			uint8_t	b = buf[i];

			if (b == '\r' || b == '\n') {
				if (b == '\n' && c->last_cr) {
					c->last_cr = 0;
					continue;
				}
				c->last_cr = b == '\r';
				client_line(c);
				continue;
			}
			c->last_cr = 0;
			if (b == 0x7f || b == 0x08) {
				if (c->linelen > 0) {
					c->linelen--;
					client_queue(c, "\b \b", 3);
				}
			} else if (b == 0x03 || b == 0x04) {
				client_say(c, "\r\n");
				c->failed = "quit at the prompt";
				return;
			} else if (b == 0x15) {
				while (c->linelen > 0) {
					c->linelen--;
					client_queue(c, "\b \b", 3);
				}
			} else if (b >= 0x20 && b < 0x7f &&
			    c->linelen < sizeof c->line - 1) {
				c->line[c->linelen++] = (char)b;
				client_queue(c, &b, 1);
			}
		}
		break;
	case CLIENT_CLOSING:
		break;
	}
}

static void
client_tn_send(void *arg, const uint8_t *buf, size_t len)
{
	client_queue(arg, buf, len);
}

static void
client_tn_winsize(void *arg, unsigned cols, unsigned rows)
{
	struct client	*c = arg;

	c->cols = cols;
	c->rows = rows;
	if (c->state == CLIENT_ATTACHED && !c->ro && !client_naming(c)) {
		console_winsize(c->con, c, cols, rows);
	}
}

static void
client_tn_command(void *arg, enum tn_cmd cmd)
{
	struct client	*c = arg;
	uint8_t		 b;

	if (cmd == TN_CMD_AYT) {
		client_notice(c, "yes");
		return;
	}
	if (c->state != CLIENT_ATTACHED || client_naming(c)) {
		return;
	}
	if (c->ro) {
		if (cmd == TN_CMD_BRK) {
			client_notice(c, "read-only: BREAK refused");
			if (client_has_ctl(c)) {
				client_error(c, "readonly", "BREAK refused");
			}
		}
		return;
	}
	switch (cmd) {
	case TN_CMD_BRK:
		/* console_break has told c why, in a notice. */
		if (console_break(c->con, c) == -1 && client_has_ctl(c)) {
			client_error(c, "break", "BREAK not sent");
		}
		return;
	case TN_CMD_IP:
		b = 0x03;
		break;
	case TN_CMD_EC:
		b = 0x7f;
		break;
	case TN_CMD_EL:
		b = 0x15;
		break;
	default:
		return;		/* AO: a console's output is shared */
	}
	(void)console_input(c->con, c, &b, 1);
}

/* Is word one of the comma- or space-separated words of mode? */
static int
client_mode_has(const char *mode, const char *word)
{
	size_t	n, wl = strlen(word);

	while (*mode != '\0') {
		mode += strspn(mode, ", ");
		n = strcspn(mode, ", ");
		if (n == wl && strncmp(mode, word, n) == 0) {
			return 1;
		}
		mode += n;
	}
	return 0;
}

/* TTYHUB_COMMAND=who: one line per client, and the end of the answer. */
static void
client_who_lines(struct client *c, struct console *con, int ctl)
{
	struct client	*o;
	unsigned	 n = 0, all = con->nclients;

	if (!ctl && c->con == con) {
		all--;		/* a command on a console's own socket */
	}
	TAILQ_FOREACH(o, &con->clients, entry) {
		if (!ctl && o == c) {
			continue;
		}
		if (n++ == CLIENT_WHO_MAX) {
			break;
		}
		if (ctl) {
			client_ctl_send(c, TN_CTL_WHO_LINE, "%s\t%s\t%s",
			    client_role_str(client_role(o)), o == c ? "you" : "-",
			    o->peer);
		} else {
			client_say(c, "%s\t-\t%s\r\n",
			    client_role_str(client_role(o)), o->peer);
		}
	}
	if (ctl) {
		client_ctl_send(c, TN_CTL_WHO_END, "%u", all);
	} else if (all > CLIENT_WHO_MAX) {
		client_say(c, "more\t-\t%u more clients\r\n",
		    all - CLIENT_WHO_MAX);
	}
}

/*
 * The prompt's list is a table for a person at an 80-column terminal.
 * A name wider than its column goes whole on a line of its own, with the
 * rest of its row below it (as df(1) does), because a name is typed
 * back; byte counts are shown as ls -h does; a log path that does not
 * fit keeps its end, after "...".  TTYHUB_COMMAND=list keeps every field
 * whole: programs read that one.
 */
#define CLIENT_LIST_HEAD	"%-16s %-10s %-10s %7s %5s %5s  %s\r\n"
#define CLIENT_LIST_LOG		20	/* columns left for LOG */

/* n bytes in at most 4 characters: 9999, 9.8K, 734K, 1.0M, ... */
static void
client_list_bytes(uint64_t n, char *buf, size_t len)
{
	static const char	units[] = "KMGTPE";
	uint64_t		v = n, tenths;
	size_t			u = 0;

	if (n < 10000) {
		snprintf(buf, len, "%llu", (unsigned long long)n);
		return;
	}
	for (;;) {
		/* Tenths of the next unit, rounded, and never overflowing. */
		tenths = v / 1024 * 10 + (v % 1024 * 10 + 512) / 1024;
		v /= 1024;
		if (tenths < 100) {
			snprintf(buf, len, "%llu.%llu%c",
			    (unsigned long long)(tenths / 10),
			    (unsigned long long)(tenths % 10), units[u]);
			return;
		}
		if ((tenths + 5) / 10 < 1000 || u + 1 == sizeof units - 1) {
			snprintf(buf, len, "%llu%c",
			    (unsigned long long)((tenths + 5) / 10), units[u]);
			return;
		}
		u++;
	}
}

static void
client_list_row(struct client *c, const struct console *con,
    const char *name, unsigned nclients, const char *log)
{
	char		in[24], out[24];
	size_t		n = strlen(log);
	const char	*cut = "";

	if (strlen(name) > 16) {
		client_say(c, "%s\r\n", name);
		name = "";
	}
	if (n > CLIENT_LIST_LOG) {
		log += n - (CLIENT_LIST_LOG - 3);
		cut = "...";
	}
	client_list_bytes(con->bytes_in, in, sizeof in);
	client_list_bytes(con->bytes_out, out, sizeof out);
	client_say(c, "%-16s %-10s %-10s %7u %5s %5s  %s%s\r\n", name,
	    console_type_str(con), console_state_str(con), nclients, in, out,
	    cut, log);
}

/*
 * TTYHUB_COMMAND=list and the prompt's list: one line per console, written
 * as the socket takes them (there may be thousands), from list_at on.  A
 * reload in between may shift the list by a line; the answer is a
 * snapshot for people and scripts, not a transaction.
 */
static void
client_list_more(struct client *c)
{
	struct console	*con;
	char		 name[CFG_NAME_MAX * 4 + 1], log[1024];
	size_t		 i = 0;
	unsigned	 nclients;
	const char	*path;

	TAILQ_FOREACH(con, &c->srv->consoles, entry) {
		if (c->direct && con != c->con) {
			continue;	/* its socket is one console's */
		}
		if (i++ < c->list_at) {
			continue;
		}
		if (evbuffer_get_length(c->ctl) >= CLIENT_CTL_MAX / 2) {
			return;
		}
		c->list_at++;
		path = con->cfg->log != NULL ? con->cfg->log : "-";
		(void)log_safe(name, sizeof name, con->name, strlen(con->name));
		(void)log_safe(log, sizeof log, path, strlen(path));
		/* Asked on a console's own socket: not counting the asker. */
		nclients = con->nclients - (con == c->con ? 1 : 0);
		if (c->listing == CLIENT_LIST_TABLE) {
			client_list_row(c, con, name, nclients, log);
		} else {
			client_say(c, "%s\t%s\t%s\t%u\t%llu\t%llu\t%s\r\n",
			    name, console_type_str(con),
			    console_state_str(con), nclients,
			    (unsigned long long)con->bytes_in,
			    (unsigned long long)con->bytes_out, log);
		}
	}
	if (c->listing == CLIENT_LIST_TABLE && c->state == CLIENT_PROMPT) {
		client_prompt(c);
	}
	c->listing = CLIENT_LIST_NONE;
}

/* Start a list; client_kick, after the input that asked, writes it. */
static void
client_list_start(struct client *c, enum client_listing how)
{
	c->listing = how;
	c->list_at = 0;
}

/* TTYHUB_COMMAND: answer and close. */
static void
client_command(struct client *c, const char *cmd, const char *name)
{
	struct console	*con;

	c->state = CLIENT_CLOSING;
	if (strcmp(cmd, "list") == 0) {
		client_list_start(c, CLIENT_LIST_TSV);
		return;
	}
	if (strcmp(cmd, "who") != 0) {
		client_error(c, "badcommand", "unknown command \"%s\"", cmd);
		return;
	}
	if (c->direct) {
		/* A console's own socket: that console, whatever the name. */
		if (name != NULL && strcmp(name, c->con->name) != 0) {
			client_error(c, "otherconsole", "this socket is "
			    "console \"%s\"'s, not \"%s\"'s", c->con->name,
			    name);
		} else {
			client_who_lines(c, c->con, 0);
		}
	} else if (name == NULL) {
		client_error(c, "badcommand", "who: TTYHUB_CONSOLE names no "
		    "console");
	} else if ((con = console_find(c->srv, name)) == NULL) {
		client_error(c, "noconsole", "no console named \"%s\"", name);
	} else {
		client_who_lines(c, con, 0);
	}
}

/* What the peer said in NEW-ENVIRON (NULL: nothing; mode: ""). */
static void
client_env(const struct client *c, const char **name, const char **mode,
    const char **cmd)
{
	const struct tn_env	*e;
	size_t			 i;

	*name = *cmd = NULL;
	*mode = "";
	for (i = 0; (e = tn_env_at(c->tn, i)) != NULL; i++) {
		if (strcmp(e->name, "TTYHUB_CONSOLE") == 0) {
			*name = e->value;
		} else if (strcmp(e->name, "TTYHUB_MODE") == 0) {
			*mode = e->value;
		} else if (strcmp(e->name, "TTYHUB_COMMAND") == 0) {
			*cmd = e->value;
		}
	}
}

/*
 * The ttyhub client on a console's own listener has named what it wants,
 * or had CLIENT_NEGOTIATE_MS to.  It was attached at accept, as anyone
 * there is (so its arrival was announced, whatever its mode says), and
 * has been held since it offered TTYHUB-CONTROL; what it was sent before
 * that, it drops.  Now it gets what the broker would give it for this
 * console: a command is answered for this console alone, another
 * console's name is refused, and an attach gets STATE, its mode, its
 * replay from the start and REPLAY-END.
 */
static void
client_named(struct client *c)
{
	struct console	*con = c->con;
	const char	*name, *mode, *cmd;

	c->named = 1;
	evtimer_del(c->timer);
	client_env(c, &name, &mode, &cmd);
	if (cmd != NULL) {
		client_command(c, cmd, name);
		return;
	}
	if (name != NULL && strcmp(name, con->name) != 0) {
		client_error(c, "otherconsole", "this socket is console "
		    "\"%s\"'s, not \"%s\"'s", con->name, name);
		c->state = CLIENT_CLOSING;
		return;
	}
	if (client_mode_has(mode, "ro")) {
		c->ro = 1;
		c->chose_ro = 1;	/* first: it is not next in line */
		if (con->writer == c) {
			console_pass_write(con);
		}
	} else if (client_mode_has(mode, "force")) {
		console_take_write(con, c);
	}
	c->pos = client_mode_has(mode, "noreplay") || c->noreplay ||
	    con->cfg->replay == 0 ? con->ring.head :
	    ring_back(&con->ring, con->cfg->replay);
	c->replay_owed = 1;
	c->replay_end = con->ring.head;
	if (!c->ro) {
		console_winsize(con, c, c->cols, c->rows);
	}
}

/* Broker: the peer named its console in NEW-ENVIRON, or it did not. */
static void
client_tn_settled(void *arg)
{
	struct client		*c = arg;
	struct console		*con;
	const char		*name, *mode, *cmd;

	if (client_naming(c)) {
		client_named(c);
		return;
	}
	if (c->state != CLIENT_NEGOTIATING) {
		return;
	}
	evtimer_del(c->timer);
	client_env(c, &name, &mode, &cmd);
	if (cmd != NULL) {
		client_command(c, cmd, name);
		return;
	}
	if (name == NULL) {
		client_prompt_start(c);
		return;
	}
	if ((con = console_find(c->srv, name)) == NULL) {
		if (client_has_ctl(c)) {
			client_error(c, "noconsole", "no console named \"%s\"",
			    name);
		} else {
			client_say(c, "ttyhub: no console named \"%s\"\r\n",
			    name);
		}
		c->state = CLIENT_CLOSING;
		return;
	}
	c->quiet = client_mode_has(mode, "quiet");
	if (client_attach(c, con, client_mode_has(mode, "ro"),
	    client_mode_has(mode, "force"),
	    client_mode_has(mode, "noreplay")) == -1) {
		c->state = CLIENT_CLOSING;
	}
}

/* TTYHUB-CONTROL requests (doc/PROTOCOL.md). */

/* A notice to c alone, formatted. */
static void client_tell(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
client_tell(struct client *c, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	client_notice(c, text);
}

/* ~r: give up writing; with writers = one the next in line writes. */
static void
client_ctl_ro(struct client *c)
{
	struct console	*con = c->con;

	c->chose_ro = 1;
	if (c->ro) {
		client_tell(c, "%s: you are read-only already", con->name);
		return;
	}
	c->ro = 1;
	c->told_ro = 0;
	console_log_event(con, "%s became read-only", c->peer);
	client_tell(c, "%s: you are read-only now", con->name);
	if (con->writer == c) {
		console_pass_write(con);
	}
}

/* ~w (ask) and ~f (force): write. */
static void
client_ctl_rw(struct client *c, int force)
{
	struct console	*con = c->con;

	if (!c->may_write) {
		client_error(c, "denied", "%s: you may not write here (a "
		    "read-only listener, or the console's ro list)", con->name);
		return;
	}
	c->chose_ro = 0;	/* it wants to: next in line when it is free */
	if (!c->ro) {
		client_tell(c, "%s: you are writing already", con->name);
		return;
	}
	if (con->cfg->writers_one && con->writer != NULL && !force) {
		client_error(c, "busy", "%s: %s is writing", con->name,
		    con->writer->peer);
		return;
	}
	if (con->cfg->writers_one && con->writer != NULL) {
		console_take_write(con, c);
	} else {
		c->ro = 0;
		if (con->cfg->writers_one) {
			con->writer = c;
		}
		console_log_event(con, "%s writes", c->peer);
		console_winsize(con, c, c->cols, c->rows);
	}
	c->told_ro = 0;
	client_tell(c, "%s: %s", con->name, con->cfg->writers_one ?
	    "you are the writer now" : "you may write now");
}

/* ~u */
static void
client_ctl_who(struct client *c)
{
	client_who_lines(c, c->con, 1);
}

/* ~l: the recent output again, from the ring, then live output. */
static void
client_ctl_replay(struct client *c, const uint8_t *text, size_t len)
{
	struct console	*con = c->con;
	uint64_t	 want = con->cfg->replay, pos;
	size_t		 i;

	if (len > 0) {
		want = 0;
		for (i = 0; i < len && i < 12; i++) {
			if (text[i] < '0' || text[i] > '9') {
				client_error(c, "badcommand", "replay: not a "
				    "byte count");
				return;
			}
			want = want * 10 + (text[i] - '0');
		}
	} else if (want == 0) {
		client_error(c, "noreplay", "%s: replay is off for this "
		    "console", con->name);
		return;
	}
	if (want > con->ring.cap) {
		want = con->ring.cap;
	}
	pos = ring_back(&con->ring, (size_t)want);
	if (pos < c->pos) {
		c->pos = pos;
	}
	c->replay_owed = 1;
	c->replay_end = con->ring.head;
}

static void
client_tn_ctl(void *arg, int code, const uint8_t *text, size_t len)
{
	struct client	*c = arg;

	if (c->state == CLIENT_CLOSING) {
		return;
	}
	if (code == TN_CTL_PING) {
		tn_send_ctl(c->tn, TN_CTL_PONG, (const char *)text, len);
		return;
	}
	if (code < TN_CTL_RO || code > TN_CTL_REPLAY) {
		return;		/* unknown: ignored, so either side may add */
	}
	if (c->state != CLIENT_ATTACHED || client_naming(c)) {
		client_error(c, "notattached", "not attached to a console");
		return;
	}
	switch (code) {
	case TN_CTL_RO:
		client_ctl_ro(c);
		break;
	case TN_CTL_RW:
	case TN_CTL_FORCE:
		client_ctl_rw(c, code == TN_CTL_FORCE);
		break;
	case TN_CTL_WHO:
		client_ctl_who(c);
		break;
	case TN_CTL_REPLAY:
		client_ctl_replay(c, text, len);
		break;
	}
}

static void
client_tn_fail(void *arg, const char *why)
{
	struct client	*c = arg;

	if (c->failed == NULL) {
		c->failed = why;
	}
}

/*
 * RFC 2217 from a client of a serial console.  Readers may ask, never
 * change: a reader's change is answered with the value in effect, which
 * is how RFC 2217 says no, and the reader is told why once.
 * FLOWCONTROL-SUSPEND holds console output only: our own replies and
 * notices are small and bounded, and a client that never resumes falls
 * behind in the ring like any slow one.
 */
static void
client_tn_comport(void *arg, const uint8_t *buf, size_t len)
{
	struct client		*c = arg;
	struct rfc2217_req	 req;
	struct rfc2217_state	 st;
	uint8_t			 out[RFC2217_MSG_MAX];
	char			 text[RFC2217_SIG_MAX * 4 + 1], msg[160];
	size_t			 n;

	if (c->state != CLIENT_ATTACHED || rfc2217_parse(buf, len, &req) == -1) {
		return;
	}
	if (!c->comport) {
		c->comport = 1;
		c->line_mask = RFC2217_LINE_MASK_DEFAULT;
		c->modem_mask = RFC2217_MODEM_MASK_DEFAULT;
		console_comport_watch(c->con);
	}
	switch (req.cmd) {
	case RFC2217_SIGNATURE:
		if (req.action == RFC2217_SET) {
			(void)log_safe(text, sizeof text, req.text,
			    req.textlen);
			log_rate_info(&c->lr_comport, "console %s: %s: RFC "
			    "2217 client \"%s\"", c->con->name, c->peer, text);
		}
		break;
	case RFC2217_FLOWCONTROL_SUSPEND:
		c->flow_suspended = 1;
		return;
	case RFC2217_FLOWCONTROL_RESUME:
		c->flow_suspended = 0;
		return;		/* client_on_read kicks it next */
	case RFC2217_SET_LINESTATE_MASK:
		if (req.action == RFC2217_SET) {
			c->line_mask = (uint8_t)req.value;
		}
		break;
	case RFC2217_SET_MODEMSTATE_MASK:
		if (req.action == RFC2217_SET) {
			c->modem_mask = (uint8_t)req.value;
			console_comport_watch(c->con);
		}
		break;
	default:
		break;
	}
	if (c->ro && rfc2217_changes(&req) && req.cmd != RFC2217_PURGE_DATA) {
		req.action = RFC2217_QUERY;
		if (!c->told_comport_ro) {
			c->told_comport_ro = 1;
			snprintf(msg, sizeof msg, "%s: read-only: COM-PORT "
			    "change refused", c->con->name);
			client_notice(c, msg);
		}
		log_rate_info(&c->lr_comport, "console %s: %s: read-only: %s "
		    "refused", c->con->name, c->peer,
		    rfc2217_cmd_name(req.cmd));
	}
	if (console_comport(c->con, c, &req, &st) == -1) {
		return;
	}
	st.line_mask = c->line_mask;
	st.modem_mask = c->modem_mask;
	st.signature = "ttyhub " TTYHUB_VERSION;
	if ((n = rfc2217_reply(&req, &st, out, sizeof out)) > 0) {
		client_queue(c, out, n);
	}
}

void
client_modem_changed(struct client *c, uint8_t state)
{
	uint8_t	out[RFC2217_MSG_MAX], lines = 0;
	size_t	n;

	if (c->state != CLIENT_ATTACHED) {
		return;
	}
	/* A line that changed is reported if its state or delta bit is asked for. */
	if (state & RFC2217_MODEM_DELTA_CTS) {
		lines |= RFC2217_MODEM_CTS | RFC2217_MODEM_DELTA_CTS;
	}
	if (state & RFC2217_MODEM_DELTA_DSR) {
		lines |= RFC2217_MODEM_DSR | RFC2217_MODEM_DELTA_DSR;
	}
	if (state & RFC2217_MODEM_TERI) {
		lines |= RFC2217_MODEM_RI | RFC2217_MODEM_TERI;
	}
	if (state & RFC2217_MODEM_DELTA_CD) {
		lines |= RFC2217_MODEM_CD | RFC2217_MODEM_DELTA_CD;
	}
	if ((lines & c->modem_mask) == 0) {
		return;
	}
	n = rfc2217_notify_modem(state, c->modem_mask, out, sizeof out);
	client_queue(c, out, n);
	/* Sent from the write event, as notices are (client_notice). */
	c->blocked = 1;
	client_events(c);
}

static const struct tn_ops client_tn_ops = {
	.data = client_tn_data,
	.send = client_tn_send,
	.winsize = client_tn_winsize,
	.command = client_tn_command,
	.settled = client_tn_settled,
	.fail = client_tn_fail,
	.comport = client_tn_comport,
	.ctl = client_tn_ctl,
};

/* The broker's prompt. */

static void
client_prompt(struct client *c)
{
	client_say(c, "ttyhub> ");
}

static void
client_prompt_start(struct client *c)
{
	struct timeval	tv = { CLIENT_PROMPT_MAX_MS / 1000, 0 };

	if (c->state != CLIENT_NEGOTIATING) {
		return;
	}
	c->state = CLIENT_PROMPT;
	evtimer_add(c->timer, &tv);
	client_say(c, "ttyhub %s: name a console, or type \"help\".\r\n",
	    TTYHUB_VERSION);
	client_prompt(c);
}

static void
client_who(struct client *c, const char *name)
{
	struct console	*con = console_find(c->srv, name);
	struct client	*o;

	if (con == NULL) {
		client_say(c, "no console named \"%s\" (\"list\" lists them)"
		    "\r\n", name);
		return;
	}
	TAILQ_FOREACH(o, &con->clients, entry) {
		client_say(c, "%s %s%s\r\n", o->peer, o->ro ? "ro" : "rw",
		    con->writer == o ? " writer" : "");
	}
}

static void
client_line(struct client *c)
{
	char		*w[6], *save = NULL, *p;
	struct console	*con;
	size_t		 n = 0, i;
	int		 ro = 0, force = 0, noreplay = 0, quiet = 0;

	c->line[c->linelen] = '\0';
	c->linelen = 0;
	client_say(c, "\r\n");
	for (p = strtok_r(c->line, " \t", &save); p != NULL && n < 6;
	    p = strtok_r(NULL, " \t", &save)) {
		w[n++] = p;
	}
	if (n == 0) {
		client_prompt(c);
		return;
	}
	if (strcmp(w[0], "help") == 0 || strcmp(w[0], "?") == 0) {
		client_say(c,
		    "  NAME                       attach to console NAME\r\n"
		    "  attach NAME [ro] [force] [noreplay] [quiet]\r\n"
		    "  list                       list the consoles\r\n"
		    "  who NAME                   who is attached to NAME\r\n"
		    "  quit                       leave\r\n");
	} else if (strcmp(w[0], "list") == 0 || strcmp(w[0], "ls") == 0) {
		client_say(c, CLIENT_LIST_HEAD, "NAME", "TYPE", "STATE",
		    "CLIENTS", "IN", "OUT", "LOG");
		client_list_start(c, CLIENT_LIST_TABLE);
		return;		/* the prompt follows the list */
	} else if (strcmp(w[0], "who") == 0 && n == 2) {
		client_who(c, w[1]);
	} else if (strcmp(w[0], "quit") == 0 || strcmp(w[0], "exit") == 0) {
		c->state = CLIENT_CLOSING;
		return;
	} else {
		i = strcmp(w[0], "attach") == 0 ? 1 : 0;
		if (i >= n) {
			client_say(c, "attach what? (\"list\" lists the "
			    "consoles)\r\n");
			client_prompt(c);
			return;
		}
		if ((con = console_find(c->srv, w[i])) == NULL) {
			client_say(c, "no console named \"%s\" (\"list\" lists "
			    "them)\r\n", w[i]);
			client_prompt(c);
			return;
		}
		for (i++; i < n; i++) {
			if (strcmp(w[i], "ro") == 0) {
				ro = 1;
			} else if (strcmp(w[i], "force") == 0) {
				force = 1;
			} else if (strcmp(w[i], "noreplay") == 0) {
				noreplay = 1;
			} else if (strcmp(w[i], "quiet") == 0) {
				quiet = 1;
			} else {
				client_say(c, "unknown option \"%s\" (ro, "
				    "force, noreplay, quiet)\r\n", w[i]);
				client_prompt(c);
				return;
			}
		}
		evtimer_del(c->timer);
		c->quiet = quiet;
		if (client_attach(c, con, ro, force, noreplay) == -1) {
			c->state = CLIENT_CLOSING;
		}
		return;
	}
	client_prompt(c);
}

static void
client_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)what;
	if (client_naming(c)) {
		client_named(c);	/* it did not say: as it is */
	} else if (c->state == CLIENT_NEGOTIATING) {
		client_prompt_start(c);
	} else if (c->state == CLIENT_PROMPT) {
		client_say(c, "\r\nttyhub: idle at the prompt: bye\r\n");
		c->state = CLIENT_CLOSING;
	} else if (c->state == CLIENT_CLOSING) {
		client_close(c, NULL);	/* never took our last words */
		return;
	}
	(void)client_kick(c);
}

static void
client_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;
	size_t		 room = sizeof client_rbuf, queued;

	(void)fd;
	(void)what;
	if (c->state == CLIENT_ATTACHED && !c->ro) {
		/*
		 * A writer reads no more than the backend's queue can take,
		 * so nothing it sends is dropped; Telnet decoding only
		 * shrinks what was read.
		 */
		queued = evbuffer_get_length(c->con->to_be);
		room = queued < CONSOLE_IN_MAX ? CONSOLE_IN_MAX - queued : 0;
		if (room == 0) {
			client_events(c);
			return;
		}
		if (room > sizeof client_rbuf) {
			room = sizeof client_rbuf;
		}
	}
	n = read(c->fd, client_rbuf, room);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR &&
	    errno != EWOULDBLOCK)) {
		client_close(c, NULL);
		return;
	}
	if (n < 0 || c->state == CLIENT_CLOSING) {
		return;		/* after our last words, input is moot */
	}
	if (c->telnet) {
		tn_recv(c->tn, client_rbuf, (size_t)n);
	} else {
		client_tn_data(c, client_rbuf, (size_t)n);
	}
	if (client_naming(c) && tn_settled(c->tn)) {
		client_named(c);	/* it named itself before it offered */
	} else if (client_naming(c) && !evtimer_pending(c->timer, NULL)) {
		struct timeval	tv = { 0, CLIENT_NEGOTIATE_MS * 1000 };

		evtimer_add(c->timer, &tv);
	}
	(void)client_kick(c);
}

/* Who is at the other end: its address, or the kernel's word on it. */
static void
client_peer_name(struct client *c, const struct sockaddr *sa, socklen_t len)
{
	char		host[INET6_ADDRSTRLEN] = "?";
	struct ucred	cred;
	socklen_t	clen = sizeof cred;
	struct passwd	*pw;
	char		user[40];

	if (sa != NULL && len > 0 && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		c->tcp = 1;
		c->addr[10] = c->addr[11] = 0xff;
		memcpy(c->addr + 12, &sin->sin_addr, 4);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(c->peer, sizeof c->peer, "%s %u", host,
		    ntohs(sin->sin_port));
		return;
	}
	if (sa != NULL && len > 0 && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		c->tcp = 1;
		memcpy(c->addr, &sin6->sin6_addr, 16);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(c->peer, sizeof c->peer, "%s %u", host,
		    ntohs(sin6->sin6_port));
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		c->has_cred = 1;
		c->uid = cred.uid;
		c->gid = cred.gid;
		/*
		 * getpwuid may read files: acceptable once per unix client,
		 * and it names who did what in notices and the log.
		 */
		pw = getpwuid(cred.uid);
		(void)log_safe(user, sizeof user, pw != NULL ? pw->pw_name :
		    "?", pw != NULL ? strlen(pw->pw_name) : 1);
		snprintf(c->peer, sizeof c->peer, "%s (uid %ld, pid %ld)",
		    user, (long)cred.uid, (long)cred.pid);
		return;
	}
	snprintf(c->peer, sizeof c->peer, "unix peer");
}

/* Root and the daemon's own user: never counted against a source. */
static int
client_trusted(const struct client *c)
{
	return c->has_cred && (c->uid == 0 || c->uid == geteuid());
}

static int
client_same_source(const struct client *a, const struct client *b)
{
	if (a->tcp || b->tcp) {
		return a->tcp && b->tcp && memcmp(a->addr, b->addr, 16) == 0;
	}
	return a->has_cred && b->has_cred && a->uid == b->uid;
}

/* How many clients, attached or not, come from where c comes from. */
static unsigned
client_count_source(const struct server *srv, const struct client *c)
{
	const struct console	*con;
	const struct client	*o;
	unsigned		 n = 0;

	TAILQ_FOREACH(o, &srv->pending_clients, entry) {
		n += o != c && client_same_source(o, c);
	}
	TAILQ_FOREACH(con, &srv->consoles, entry) {
		TAILQ_FOREACH(o, &con->clients, entry) {
			n += o != c && client_same_source(o, c);
		}
	}
	return n;
}

/*
 * The budget (ttyhubd(8), LIMITS): max-clients in all; TCP peers, known
 * only by an address, at most seven eighths of it, so that unix-socket
 * peers (local users the kernel vouches for) always find room; and one
 * source, an address or a local user other than root and ours, at most
 * max-clients-per-source.  NULL, or why c may not come in.
 */
static const char *
client_budget(const struct server *srv, const struct client *c)
{
	if (srv->nclients >= srv->max_clients) {
		return "too many clients (max-clients)";
	}
	if (c->tcp && srv->ntcp >= srv->max_clients - srv->max_clients / 8) {
		return "too many network clients (max-clients keeps an eighth "
		    "for unix-socket clients)";
	}
	if (!client_trusted(c) &&
	    client_count_source(srv, c) >= srv->max_per_source) {
		return c->tcp ? "too many connections from this address "
		    "(max-clients-per-source)" : "too many connections from "
		    "this user (max-clients-per-source)";
	}
	return NULL;
}

/*
 * Waiting at the broker costs a client nothing, so a flood of idle
 * connections there must not push out real users: past
 * CLIENT_PENDING_MAX, the oldest waiting one (not root's or ours) goes.
 */
static void
client_pending_trim(struct server *srv)
{
	struct client	*o, *oldest = NULL;
	unsigned	 n = 0;

	TAILQ_FOREACH(o, &srv->pending_clients, entry) {
		if (o->state != CLIENT_NEGOTIATING &&
		    o->state != CLIENT_PROMPT) {
			continue;
		}
		n++;
		if (oldest == NULL && !client_trusted(o)) {
			oldest = o;
		}
	}
	if (n >= CLIENT_PENDING_MAX && oldest != NULL) {
		log_rate_info(&srv->lr_clients, "%s: dropped: %u connections "
		    "waiting at the broker", oldest->peer, n);
		client_close(oldest, "dropped: too many connections waiting "
		    "at the broker");
	}
}

/* Say no in one line, if the socket takes it now, and close. */
static void
client_refuse(int fd, const char *why)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof line, "ttyhub: refused: %s; try again "
	    "later\r\n", why);
	if (n > 0 && (size_t)n < sizeof line) {
		(void)send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	close(fd);
}

struct client *
client_new(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct cfg_listen *how, struct console *con,
    uint64_t via)
{
	struct client	*c;
	const char	*why;
	int		 one = 1, v;
	unsigned	 ut = CLIENT_USER_TIMEOUT_MS;
	struct timeval	 tv = { 0, CLIENT_NEGOTIATE_MS * 1000 };

	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	client_peer_name(c, peer, peerlen);
	if ((why = client_budget(srv, c)) != NULL) {
		log_rate_warn(&srv->lr_clients, "refusing %s: %s", c->peer,
		    why);
		client_refuse(fd, why);
		free(c);
		return NULL;
	}
	if (con == NULL) {
		client_pending_trim(srv);
	}
	c->srv = srv;
	c->via = via;
	c->telnet = how->telnet;
	c->may_write = !how->ro;
	c->noreplay = how->noreplay;
	c->state = con == NULL ? CLIENT_NEGOTIATING : CLIENT_ATTACHED;
	c->told_role = -1;
	if (c->tcp) {
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		v = CLIENT_KEEPIDLE;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
		v = CLIENT_KEEPINTVL;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
		v = CLIENT_KEEPCNT;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut,
		    sizeof ut);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	c->ctl = evbuffer_new();
	c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, client_on_read,
	    c);
	c->wr = event_new(srv->base, fd, EV_WRITE | EV_PERSIST,
	    client_on_write, c);
	c->timer = evtimer_new(srv->base, client_on_timer, c);
	c->direct = con != NULL;
	if (c->telnet) {
		/*
		 * A console's own listener asks for the broker's variables
		 * too: they are read only from a client that offers
		 * TTYHUB-CONTROL, and only to check the name it gives.
		 */
		c->tn = tn_new(&client_tn_ops, c, client_broker_env);
		/* RFC 2217 for clients that come straight to a serial line. */
		if (c->tn != NULL && con != NULL && console_has_comport(con) &&
		    tn_enable_comport(c->tn) == -1) {
			log_warn("%s: out of memory: no COM-PORT-OPTION",
			    c->peer);
		}
		/* The ttyhub client's control option. */
		if (c->tn != NULL && tn_enable_ctl(c->tn) == -1) {
			log_warn("%s: out of memory: no TTYHUB-CONTROL",
			    c->peer);
		}
	}
	if (c->ctl == NULL || c->rd == NULL || c->wr == NULL ||
	    c->timer == NULL || (c->telnet && c->tn == NULL)) {
		log_warn("%s: out of memory", c->peer);
		c->state = CLIENT_CLOSING;
		TAILQ_INSERT_TAIL(&srv->pending_clients, c, entry);
		srv->nclients++;
		srv->ntcp += c->tcp;
		client_close(c, NULL);
		return NULL;
	}
	srv->nclients++;
	srv->ntcp += c->tcp;
	if (c->tn != NULL) {
		tn_start(c->tn);
	}
	if (con == NULL) {
		TAILQ_INSERT_TAIL(&srv->pending_clients, c, entry);
		evtimer_add(c->timer, &tv);
		if (!c->telnet) {
			client_prompt_start(c);
		}
	} else {
		c->state = CLIENT_NEGOTIATING;	/* not in a list yet */
		TAILQ_INSERT_TAIL(&srv->pending_clients, c, entry);
		if (client_attach(c, con, 0, 0, 0) == -1) {
			c->state = CLIENT_CLOSING;
		}
	}
	if (client_kick(c) == -1) {
		return NULL;
	}
	return c;
}

void
client_close(struct client *c, const char *why)
{
	struct server	*srv = c->srv;

	if (why != NULL && c->state != CLIENT_CLOSING) {
		client_notice(c, why);
		/* One try to say it; a client that cannot take it now goes. */
		(void)evbuffer_write(c->ctl, c->fd);
	}
	if (c->con != NULL) {
		console_detach(c->con, c);
	} else {
		TAILQ_REMOVE(&srv->pending_clients, c, entry);
	}
	srv->nclients--;
	srv->ntcp -= c->tcp;
	log_rate_flush(&c->lr_comport);
	if (c->rd != NULL) {
		event_free(c->rd);
	}
	if (c->wr != NULL) {
		event_free(c->wr);
	}
	if (c->timer != NULL) {
		event_free(c->timer);
	}
	if (c->tn != NULL) {
		tn_free(c->tn);
	}
	if (c->ctl != NULL) {
		evbuffer_free(c->ctl);
	}
	close(c->fd);
	free(c);
}

void
client_close_all(struct server *srv)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&srv->pending_clients)) != NULL) {
		client_close(c, NULL);
	}
}

void
client_close_via(struct server *srv, uint64_t via, const char *why)
{
	struct console	*con;
	struct client	*c, *next;

	TAILQ_FOREACH_SAFE(c, &srv->pending_clients, entry, next) {
		if (c->via == via) {
			client_close(c, why);
		}
	}
	TAILQ_FOREACH(con, &srv->consoles, entry) {
		TAILQ_FOREACH_SAFE(c, &con->clients, entry, next) {
			if (c->via == via) {
				client_close(c, why);
			}
		}
	}
}
