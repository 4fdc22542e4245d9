/*
 * backend-pty: a console whose terminal is a pty we hold open for someone
 * else to use: `qemu -serial /dev/pts/N` or `-chardev tty,path=`, a
 * getty, minicom, a test.  The slave's name changes with every pty, so it
 * is published at a fixed path (link =) as a symlink.
 *
 * We keep the slave open ourselves, as well as the master.  The master
 * reads EIO whenever nobody has the slave open: before QEMU starts, and
 * every time it or a tool closes it.  With our copy held, the console
 * stays up across its users coming and going, as a serial line does
 * while nothing is plugged in, and the pty (and the link) do not change
 * under a user that opens it again.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "pty.h"

/* The variant's state, b->priv. */
struct ptyb {
	int		 slave;		/* our copy; -1 while down */
	char		 name[64];	/* /dev/pts/N */
	int		 linked;	/* cfg->link points to name */
	unsigned	 cols, rows;	/* a writer's size; 0: config's */
};

/*
 * Point link at target atomically: a symlink made under a temporary name
 * in the same directory, then renamed over link, so a user of link sees
 * the old pty or the new one, never no link.  Only a symlink is replaced
 * (a stale one from a daemon that died, or from our last pty).  The check
 * and the rename are two steps: link's directory must be one that only
 * trusted users can write, like any path in the configuration.
 */
static int
backend_pty_link(const char *link, const char *target, char *why,
    size_t whylen)
{
	struct stat	 st;
	char		 tmp[PATH_MAX];
	const char	*base = strrchr(link, '/');
	int		 n;

	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			snprintf(why, whylen, "link %s exists and is not a "
			    "symlink: not replacing it", link);
			return -1;
		}
	} else if (errno != ENOENT) {
		snprintf(why, whylen, "link %s: %s", link, strerror(errno));
		return -1;
	}
	base = base != NULL ? base + 1 : link;
	n = snprintf(tmp, sizeof tmp, "%.*s.%s.ttyhubd-%ld",
	    (int)(base - link), link, base, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(why, whylen, "link %s: path too long", link);
		return -1;
	}
	if (symlink(target, tmp) == -1 && (errno != EEXIST ||
	    lstat(tmp, &st) == -1 || !S_ISLNK(st.st_mode) ||
	    unlink(tmp) == -1 || symlink(target, tmp) == -1)) {
		/* A leftover of ours (same pid, a crash) is replaced above. */
		snprintf(why, whylen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (rename(tmp, link) == -1) {
		snprintf(why, whylen, "cannot create link %s: %s", link,
		    strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Remove link, but only while it still leads to our pty. */
static void
backend_pty_unlink(const char *link, const char *target)
{
	char	buf[PATH_MAX];
	ssize_t	n;

	n = readlink(link, buf, sizeof buf - 1);
	if (n < 0) {
		return;
	}
	buf[n] = '\0';
	if (strcmp(buf, target) == 0 && unlink(link) == -1) {
		log_warn("cannot remove %s: %s", link, strerror(errno));
	}
}

static enum backend_open
backend_pty_open(struct backend *b, char *why, size_t whylen)
{
	const struct cfg_console	*cfg = b->cfg;
	struct ptyb			*p = b->priv;
	struct winsize			 ws;
	struct termios			 t;
	int				 master, slave;

	if (p == NULL) {
		if ((p = calloc(1, sizeof *p)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return BACKEND_OPEN_FAIL;
		}
		p->slave = -1;
		b->priv = p;
	}
	memset(&ws, 0, sizeof ws);
	ws.ws_col = (unsigned short)(p->cols != 0 ? p->cols : cfg->cols);
	ws.ws_row = (unsigned short)(p->rows != 0 ? p->rows : cfg->rows);
	if (pty_open(&master, &slave, p->name, sizeof p->name, &ws) == -1) {
		snprintf(why, whylen, "cannot open a pty: %s", strerror(errno));
		return BACKEND_OPEN_FAIL;
	}
	/*
	 * Raw, so bytes pass unchanged both ways and client input is not
	 * echoed back as output.  Whoever opens the slave may set its own
	 * modes (QEMU does); they last until the next open of the console.
	 */
	if (tcgetattr(slave, &t) == -1) {
		snprintf(why, whylen, "%s: %s", p->name, strerror(errno));
		goto fail;
	}
	cfmakeraw(&t);
	if (tcsetattr(slave, TCSANOW, &t) == -1) {
		snprintf(why, whylen, "cannot set %s raw: %s", p->name,
		    strerror(errno));
		goto fail;
	}
	if (backend_pty_link(cfg->link, p->name, why, whylen) == -1) {
		goto fail;
	}
	p->linked = 1;
	p->slave = slave;
	b->fd = master;
	log_info("console %s: %s is %s", cfg->name, cfg->link, p->name);
	return BACKEND_OPEN_UP;

fail:
	close(slave);
	close(master);
	return BACKEND_OPEN_FAIL;
}

/* Called on every way down, and again by console_free: idempotent. */
static void
backend_pty_close(struct backend *b)
{
	struct ptyb	*p = b->priv;

	if (p != NULL) {
		if (p->linked) {
			backend_pty_unlink(b->cfg->link, p->name);
			p->linked = 0;
		}
		if (p->slave != -1) {
			close(p->slave);
			p->slave = -1;
		}
	}
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
}

static unsigned
backend_pty_retry_ms(struct backend *b, unsigned failures)
{
	(void)b;
	return backend_backoff_ms(failures);
}

/* See pty_break: what a terminal does with a BREAK, by its settings. */
static int
backend_pty_brk(struct backend *b, unsigned ms)
{
	(void)ms;
	return pty_break(b->fd);
}

/* Kept for the next pty if the console goes down and comes back. */
static void
backend_pty_winsize(struct backend *b, unsigned cols, unsigned rows)
{
	struct ptyb	*p = b->priv;

	if (p != NULL) {
		p->cols = cols;
		p->rows = rows;
	}
	if (b->fd != -1) {
		(void)pty_set_winsize(b->fd, cols, rows);
	}
}

static void
backend_pty_free(struct backend *b)
{
	backend_pty_close(b);
	free(b->priv);
	b->priv = NULL;
}

const struct backend_ops backend_pty_ops = {
	.name = "pty",
	.open = backend_pty_open,
	.close = backend_pty_close,
	.retry_ms = backend_pty_retry_ms,
	.brk = backend_pty_brk,
	.winsize = backend_pty_winsize,
	.free = backend_pty_free,
};
