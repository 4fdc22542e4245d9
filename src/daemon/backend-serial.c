/*
 * backend-serial: a console on a tty device (a UART, a USB serial
 * adapter, a FreeBSD nmdm).  Opens it held exclusively, sets the line
 * from the config, sends BREAK without blocking the loop, carries out RFC
 * 2217 requests, and watches the modem lines while a client wants to
 * hear of them.
 *
 * The line settings in force live here, not in the config: what a client
 * changed through RFC 2217 is applied again at every open, so a USB
 * adapter pulled out and plugged back comes up as the clients last set
 * it.  Replies report what the device reports after the change (tcgetattr,
 * TIOCMGET), never what was asked for: a pty, for one, keeps CS8 and no
 * parity whatever it is told.
 */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "../telnet/rfc2217.h"

#define BACKEND_SERIAL_POLL_MS	200	/* modem lines, while watched */

struct backend_serial {
	struct rfc2217_state	 st;		/* in effect; or for the next open */
	int			 soft_lines;	/* no modem lines: DTR, RTS kept here */
	int			 watching;	/* a client wants modem changes */
	struct event		*brk_end;	/* ends a timed BREAK */
	struct event		*poll;		/* modem lines */
};

/* The speeds termios names, for cfsetspeed and back. */
static const struct {
	unsigned	baud;
	speed_t		speed;
} backend_serial_speeds[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 },
	{ 150, B150 }, { 200, B200 }, { 300, B300 }, { 600, B600 },
	{ 1200, B1200 }, { 1800, B1800 }, { 2400, B2400 }, { 4800, B4800 },
	{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
#ifdef B57600
	{ 57600, B57600 },
#endif
#ifdef B115200
	{ 115200, B115200 },
#endif
#ifdef B230400
	{ 230400, B230400 },
#endif
#ifdef B460800
	{ 460800, B460800 },
#endif
#ifdef B500000
	{ 500000, B500000 },
#endif
#ifdef B576000
	{ 576000, B576000 },
#endif
#ifdef B921600
	{ 921600, B921600 },
#endif
#ifdef B1000000
	{ 1000000, B1000000 },
#endif
#ifdef B1152000
	{ 1152000, B1152000 },
#endif
#ifdef B1500000
	{ 1500000, B1500000 },
#endif
#ifdef B2000000
	{ 2000000, B2000000 },
#endif
#ifdef B2500000
	{ 2500000, B2500000 },
#endif
#ifdef B3000000
	{ 3000000, B3000000 },
#endif
#ifdef B3500000
	{ 3500000, B3500000 },
#endif
#ifdef B4000000
	{ 4000000, B4000000 },
#endif
};
/* RFC 2217 parity values, for messages. */
static const char *const backend_serial_parity[] = {
	"?", "none", "odd", "even", "mark", "space"
};

#define BACKEND_SERIAL_NSPEEDS \
	(sizeof backend_serial_speeds / sizeof backend_serial_speeds[0])

static int
backend_serial_speed(unsigned baud, speed_t *speed)
{
	size_t	i;

	for (i = 0; i < BACKEND_SERIAL_NSPEEDS; i++) {
		if (backend_serial_speeds[i].baud == baud) {
			*speed = backend_serial_speeds[i].speed;
			return 0;
		}
	}
	return -1;
}

static unsigned
backend_serial_baud(speed_t speed)
{
	size_t	i;

	for (i = 0; i < BACKEND_SERIAL_NSPEEDS; i++) {
		if (backend_serial_speeds[i].speed == speed) {
			return backend_serial_speeds[i].baud;
		}
	}
	return 0;
}

/* The config's line, in RFC 2217 terms: where every console starts. */
static void
backend_serial_initial(const struct cfg_console *cfg, struct rfc2217_state *st)
{
	memset(st, 0, sizeof *st);
	st->baud = cfg->baud;
	st->datasize = (uint8_t)cfg->data_bits;
	switch (cfg->parity) {
	case CFG_PARITY_NONE:
		st->parity = RFC2217_PARITY_NONE;
		break;
	case CFG_PARITY_EVEN:
		st->parity = RFC2217_PARITY_EVEN;
		break;
	case CFG_PARITY_ODD:
		st->parity = RFC2217_PARITY_ODD;
		break;
	case CFG_PARITY_MARK:
		st->parity = RFC2217_PARITY_MARK;
		break;
	case CFG_PARITY_SPACE:
		st->parity = RFC2217_PARITY_SPACE;
		break;
	}
	st->stopsize = cfg->stop_bits == 2 ? RFC2217_STOP_2 : RFC2217_STOP_1;
	switch (cfg->flow) {
	case CFG_FLOW_NONE:
		st->flow = RFC2217_CTL_FLOW_NONE;
		st->flow_in = RFC2217_CTL_FLOW_IN_NONE;
		break;
	case CFG_FLOW_RTSCTS:
		st->flow = RFC2217_CTL_FLOW_HW;
		st->flow_in = RFC2217_CTL_FLOW_IN_HW;
		break;
	case CFG_FLOW_XONXOFF:
		st->flow = RFC2217_CTL_FLOW_XONXOFF;
		st->flow_in = RFC2217_CTL_FLOW_IN_XONXOFF;
		break;
	}
	/* open(2) raises DTR and RTS on a tty; say so until we know. */
	st->brk = RFC2217_CTL_BREAK_OFF;
	st->dtr = RFC2217_CTL_DTR_ON;
	st->rts = RFC2217_CTL_RTS_ON;
}

/*
 * Variant state is made on first use: open, or an RFC 2217 request while
 * the device has never been opened.
 */
static struct backend_serial *
backend_serial_priv(struct backend *b)
{
	struct backend_serial	*s = b->priv;

	if (s != NULL) {
		return s;
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		return NULL;
	}
	backend_serial_initial(b->cfg, &s->st);
	b->priv = s;
	return s;
}

/*
 * Could the line be set this way here?  The parts termios cannot express
 * (a speed without a Bxxx, 1.5 stop bits, mark or space parity where
 * there is no CMSPAR) are taken from cur instead, so the reply says what
 * stayed in effect.
 */
static void
backend_serial_fit(struct rfc2217_state *want, const struct rfc2217_state *cur)
{
	speed_t	speed;

	if (backend_serial_speed(want->baud, &speed) == -1) {
		want->baud = cur->baud;
	}
	if (want->stopsize == RFC2217_STOP_1_5) {
		want->stopsize = cur->stopsize;
	}
#ifndef CMSPAR
	if (want->parity == RFC2217_PARITY_MARK ||
	    want->parity == RFC2217_PARITY_SPACE) {
		want->parity = cur->parity;
	}
#endif
}

/* Set the termios line from st: raw, 8-bit clean, reads of any size. */
static int
backend_serial_termios(int fd, const struct rfc2217_state *st)
{
	struct termios	t;
	speed_t		speed;

	if (tcgetattr(fd, &t) == -1) {
		return -1;
	}
	if (backend_serial_speed(st->baud, &speed) == -1) {
		errno = EINVAL;
		return -1;
	}
	cfmakeraw(&t);
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
#ifdef CMSPAR
	t.c_cflag &= ~(tcflag_t)CMSPAR;
#endif
	/* CLOCAL: a line without carrier is still a console. */
	t.c_cflag |= CLOCAL | CREAD;
	switch (st->datasize) {
	case 5:
		t.c_cflag |= CS5;
		break;
	case 6:
		t.c_cflag |= CS6;
		break;
	case 7:
		t.c_cflag |= CS7;
		break;
	default:
		t.c_cflag |= CS8;
		break;
	}
	switch (st->parity) {
	case RFC2217_PARITY_ODD:
		t.c_cflag |= PARENB | PARODD;
		break;
	case RFC2217_PARITY_EVEN:
		t.c_cflag |= PARENB;
		break;
#ifdef CMSPAR
	case RFC2217_PARITY_MARK:
		t.c_cflag |= PARENB | CMSPAR | PARODD;
		break;
	case RFC2217_PARITY_SPACE:
		t.c_cflag |= PARENB | CMSPAR;
		break;
#endif
	default:
		break;
	}
	if (st->stopsize == RFC2217_STOP_2) {
		t.c_cflag |= CSTOPB;
	}
	/*
	 * termios has one switch for RTS/CTS both ways, and one for each
	 * direction of XON/XOFF: IXON obeys the device's XOFF (outbound),
	 * IXOFF sends ours (inbound).
	 */
	if (st->flow == RFC2217_CTL_FLOW_HW ||
	    st->flow_in == RFC2217_CTL_FLOW_IN_HW) {
		t.c_cflag |= CRTSCTS;
	}
	if (st->flow == RFC2217_CTL_FLOW_XONXOFF) {
		t.c_iflag |= IXON;
	}
	if (st->flow_in == RFC2217_CTL_FLOW_IN_XONXOFF) {
		t.c_iflag |= IXOFF;
	}
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (cfsetspeed(&t, speed) == -1) {
		return -1;
	}
	return tcsetattr(fd, TCSANOW, &t);
}

/*
 * tcsetattr failed with EINVAL: glibc says so when the kernel took the
 * call but changed CSIZE or PARENB, as a pty does (it keeps CS8 without
 * parity).  If the speed went in, the device took what it can do: 0, and
 * the caller reads back the rest.  Else -1 with errno as it was.
 */
static int
backend_serial_refused(int fd, const struct rfc2217_state *want)
{
	struct termios	t;
	speed_t		speed;
	int		e = errno;

	if (e == EINVAL && tcgetattr(fd, &t) == 0 &&
	    backend_serial_speed(want->baud, &speed) == 0 &&
	    cfgetospeed(&t) == speed) {
		return 0;
	}
	errno = e;
	return -1;
}

/* What the device says its line is now. */
static void
backend_serial_read(int fd, struct rfc2217_state *st)
{
	struct termios	t;
	unsigned	baud;

	if (tcgetattr(fd, &t) == -1) {
		return;
	}
	if ((baud = backend_serial_baud(cfgetospeed(&t))) != 0) {
		st->baud = baud;
	}
	switch (t.c_cflag & CSIZE) {
	case CS5:
		st->datasize = 5;
		break;
	case CS6:
		st->datasize = 6;
		break;
	case CS7:
		st->datasize = 7;
		break;
	default:
		st->datasize = 8;
		break;
	}
	if (!(t.c_cflag & PARENB)) {
		st->parity = RFC2217_PARITY_NONE;
#ifdef CMSPAR
	} else if (t.c_cflag & CMSPAR) {
		st->parity = (t.c_cflag & PARODD) ? RFC2217_PARITY_MARK :
		    RFC2217_PARITY_SPACE;
#endif
	} else {
		st->parity = (t.c_cflag & PARODD) ? RFC2217_PARITY_ODD :
		    RFC2217_PARITY_EVEN;
	}
	st->stopsize = (t.c_cflag & CSTOPB) ? RFC2217_STOP_2 : RFC2217_STOP_1;
	if (t.c_cflag & CRTSCTS) {
		st->flow = RFC2217_CTL_FLOW_HW;
		st->flow_in = RFC2217_CTL_FLOW_IN_HW;
	} else {
		st->flow = (t.c_iflag & IXON) ? RFC2217_CTL_FLOW_XONXOFF :
		    RFC2217_CTL_FLOW_NONE;
		st->flow_in = (t.c_iflag & IXOFF) ?
		    RFC2217_CTL_FLOW_IN_XONXOFF : RFC2217_CTL_FLOW_IN_NONE;
	}
}

/* TIOCMGET bits in NOTIFY-MODEMSTATE form (state only, no deltas). */
static uint8_t
backend_serial_modem_bits(int bits)
{
	uint8_t	m = 0;

	if (bits & TIOCM_CD) {
		m |= RFC2217_MODEM_CD;
	}
	if (bits & TIOCM_RI) {
		m |= RFC2217_MODEM_RI;
	}
	if (bits & TIOCM_DSR) {
		m |= RFC2217_MODEM_DSR;
	}
	if (bits & TIOCM_CTS) {
		m |= RFC2217_MODEM_CTS;
	}
	return m;
}

/*
 * Set DTR and RTS as st says, then read back what the lines are.  A
 * device without modem lines (a pty) answers ENOTTY or EINVAL: it has no
 * line to contradict the client, so what was asked for is kept and
 * reported, as clients that check the answer (pyserial) need.
 */
static int
backend_serial_lines(int fd, struct backend_serial *s,
    const struct rfc2217_state *want)
{
	int	on = 0, off = 0, bits;

	if (want->dtr == RFC2217_CTL_DTR_ON) {
		on |= TIOCM_DTR;
	} else {
		off |= TIOCM_DTR;
	}
	if (want->rts == RFC2217_CTL_RTS_ON) {
		on |= TIOCM_RTS;
	} else {
		off |= TIOCM_RTS;
	}
	/* With RTS/CTS the driver owns RTS: leave it be. */
	if (want->flow == RFC2217_CTL_FLOW_HW) {
		on &= ~TIOCM_RTS;
		off &= ~TIOCM_RTS;
	}
	if ((on != 0 && ioctl(fd, TIOCMBIS, &on) == -1) ||
	    (off != 0 && ioctl(fd, TIOCMBIC, &off) == -1) ||
	    ioctl(fd, TIOCMGET, &bits) == -1) {
		if (errno != ENOTTY && errno != EINVAL) {
			return -1;
		}
		s->soft_lines = 1;
		s->st.dtr = want->dtr;
		s->st.rts = want->rts;
		return 0;
	}
	s->soft_lines = 0;
	s->st.dtr = (bits & TIOCM_DTR) ? RFC2217_CTL_DTR_ON :
	    RFC2217_CTL_DTR_OFF;
	s->st.rts = (bits & TIOCM_RTS) ? RFC2217_CTL_RTS_ON :
	    RFC2217_CTL_RTS_OFF;
	s->st.modem = backend_serial_modem_bits(bits);
	return 0;
}

static void
backend_serial_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct backend		*b = arg;
	struct backend_serial	*s = b->priv;
	uint8_t			 now, old, note;
	int			 bits;

	(void)fd;
	(void)what;
	if (b->fd == -1) {
		return;
	}
	if (ioctl(b->fd, TIOCMGET, &bits) == -1) {
		/* No modem lines here: nothing will ever change. */
		evtimer_del(s->poll);
		return;
	}
	now = backend_serial_modem_bits(bits);
	old = s->st.modem;
	if (now == old) {
		return;
	}
	s->st.modem = now;
	note = now;
	if ((now ^ old) & RFC2217_MODEM_CTS) {
		note |= RFC2217_MODEM_DELTA_CTS;
	}
	if ((now ^ old) & RFC2217_MODEM_DSR) {
		note |= RFC2217_MODEM_DELTA_DSR;
	}
	if ((now ^ old) & RFC2217_MODEM_CD) {
		note |= RFC2217_MODEM_DELTA_CD;
	}
	if ((old & RFC2217_MODEM_RI) && !(now & RFC2217_MODEM_RI)) {
		note |= RFC2217_MODEM_TERI;
	}
	backend_modem_changed(b, note);
}

/*
 * Polled, because Linux has no readiness event for modem lines (TIOCMIWAIT
 * blocks), and only while watched, so an idle console costs no wakeups.
 */
static void
backend_serial_poll_arm(struct backend *b)
{
	struct backend_serial	*s = b->priv;
	struct timeval		 tv = { 0, BACKEND_SERIAL_POLL_MS * 1000 };

	if (s == NULL) {
		return;
	}
	if (s->watching && b->fd != -1 && !s->soft_lines) {
		if (s->poll == NULL) {
			s->poll = event_new(b->base, -1, EV_PERSIST,
			    backend_serial_poll_cb, b);
		}
		if (s->poll != NULL && !evtimer_pending(s->poll, NULL)) {
			evtimer_add(s->poll, &tv);
		}
	} else if (s->poll != NULL) {
		evtimer_del(s->poll);
	}
}

static void
backend_serial_watch_modem(struct backend *b, int on)
{
	struct backend_serial	*s = backend_serial_priv(b);

	if (s == NULL) {
		return;
	}
	s->watching = on;
	backend_serial_poll_arm(b);
}

static enum backend_open
backend_serial_open(struct backend *b, char *why, size_t whylen)
{
	const char		*dev = b->cfg->device;
	struct backend_serial	*s;
	struct rfc2217_state	 want;
	int			 fd;

	if ((s = backend_serial_priv(b)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return BACKEND_OPEN_FAIL;
	}
	fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, whylen, "cannot open %s: %s", dev,
		    strerror(errno));
		return BACKEND_OPEN_FAIL;
	}
	if (!isatty(fd)) {
		snprintf(why, whylen, "%s is not a terminal", dev);
		close(fd);
		return BACKEND_OPEN_FAIL;
	}
	/*
	 * Held two ways.  flock is what a second ttyhubd checks, and the
	 * tools that lock the same way (picocom, for one), and it binds
	 * root too.  TIOCEXCL makes every further open(2) fail with EBUSY,
	 * which stops the tools that check nothing (cat, stty, a stray
	 * getty), but not root (CAP_SYS_ADMIN).  Two readers of one UART
	 * each get some of the bytes, so sharing is never right.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(why, whylen, "%s is in use by another program (%s)",
		    dev, errno == EWOULDBLOCK ? "locked" : strerror(errno));
		close(fd);
		return BACKEND_OPEN_FAIL;
	}
	if (ioctl(fd, TIOCEXCL) == -1) {
		snprintf(why, whylen, "cannot hold %s exclusively: %s", dev,
		    strerror(errno));
		close(fd);
		return BACKEND_OPEN_FAIL;
	}
	want = s->st;
	want.brk = RFC2217_CTL_BREAK_OFF;	/* a BREAK ends with its open */
	if (backend_serial_termios(fd, &want) == -1 &&
	    backend_serial_refused(fd, &want) == -1) {
		snprintf(why, whylen, "cannot set the line of %s: %s", dev,
		    strerror(errno));
		(void)ioctl(fd, TIOCNXCL);
		close(fd);
		return BACKEND_OPEN_FAIL;
	}
	backend_serial_read(fd, &s->st);
	s->st.brk = RFC2217_CTL_BREAK_OFF;
	if (s->st.datasize != want.datasize || s->st.parity != want.parity) {
		log_warn("console %s: %s keeps %u data bits, parity %s "
		    "(%u, %s asked for; a pty has no framing)", b->cfg->name,
		    dev, s->st.datasize, backend_serial_parity[s->st.parity],
		    want.datasize, backend_serial_parity[want.parity]);
	}
	if (backend_serial_lines(fd, s, &want) == -1) {
		log_warn("console %s: %s: cannot set DTR and RTS: %s",
		    b->cfg->name, dev, strerror(errno));
	}
	b->fd = fd;
	backend_serial_poll_arm(b);
	return BACKEND_OPEN_UP;
}

static void
backend_serial_close(struct backend *b)
{
	struct backend_serial	*s = b->priv;

	if (s != NULL) {
		if (s->brk_end != NULL) {
			evtimer_del(s->brk_end);
		}
		if (s->poll != NULL) {
			evtimer_del(s->poll);
		}
	}
	if (b->fd == -1) {
		return;
	}
	if (s != NULL && s->st.brk == RFC2217_CTL_BREAK_ON) {
		(void)ioctl(b->fd, TIOCCBRK);
		s->st.brk = RFC2217_CTL_BREAK_OFF;
	}
	/*
	 * The exclusive flag belongs to the tty, not to our descriptor: a
	 * pty slave whose master stays open keeps it after we close, and
	 * our own next open would then fail with EBUSY.  The flock goes
	 * with the descriptor.
	 */
	(void)ioctl(b->fd, TIOCNXCL);
	close(b->fd);
	b->fd = -1;
}

static void
backend_serial_free(struct backend *b)
{
	struct backend_serial	*s = b->priv;

	if (s == NULL) {
		return;
	}
	if (s->brk_end != NULL) {
		event_free(s->brk_end);
	}
	if (s->poll != NULL) {
		event_free(s->poll);
	}
	free(s);
	b->priv = NULL;
}

static unsigned
backend_serial_retry_ms(struct backend *b, unsigned failures)
{
	(void)b;
	return backend_backoff_ms(failures);
}

static void
backend_serial_brk_end(evutil_socket_t fd, short what, void *arg)
{
	struct backend		*b = arg;
	struct backend_serial	*s = b->priv;

	(void)fd;
	(void)what;
	if (b->fd != -1 && ioctl(b->fd, TIOCCBRK) == -1) {
		log_warn("console %s: cannot end BREAK: %s", b->cfg->name,
		    strerror(errno));
	}
	s->st.brk = RFC2217_CTL_BREAK_OFF;
}

/*
 * A BREAK of ms milliseconds.  tcsendbreak would hold the loop (and every
 * other console) for a quarter of a second or more, so the line is put in
 * BREAK now and a timer takes it out.  A BREAK asked for while one is on
 * makes it last ms from now.
 */
static int
backend_serial_brk(struct backend *b, unsigned ms)
{
	struct backend_serial	*s = backend_serial_priv(b);
	struct timeval		 tv = { ms / 1000, (ms % 1000) * 1000 };

	if (s == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (b->fd == -1) {
		errno = ENXIO;
		return -1;
	}
	if (s->brk_end == NULL &&
	    (s->brk_end = evtimer_new(b->base,
	    backend_serial_brk_end, b)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (ioctl(b->fd, TIOCSBRK) == -1) {
		return -1;
	}
	s->st.brk = RFC2217_CTL_BREAK_ON;
	evtimer_add(s->brk_end, &tv);
	log_info("console %s: BREAK sent to %s (%u ms)", b->cfg->name,
	    b->cfg->device, ms);
	return 0;
}

/* Apply a changed st to the open device and read back what holds. */
static int
backend_serial_set(struct backend *b, struct backend_serial *s,
    struct rfc2217_state *want)
{
	int	r = 0, e = 0;

	backend_serial_fit(want, &s->st);
	if (want->baud != s->st.baud || want->datasize != s->st.datasize ||
	    want->parity != s->st.parity || want->stopsize != s->st.stopsize ||
	    want->flow != s->st.flow || want->flow_in != s->st.flow_in) {
		if (backend_serial_termios(b->fd, want) == -1) {
			r = -1;
			e = errno;
		}
		backend_serial_read(b->fd, &s->st);
	}
	if (want->brk != s->st.brk) {
		/* The client holds BREAK itself: no timer ends it. */
		if (s->brk_end != NULL) {
			evtimer_del(s->brk_end);
		}
		if (ioctl(b->fd, want->brk == RFC2217_CTL_BREAK_ON ? TIOCSBRK :
		    TIOCCBRK) == -1) {
			r = -1;
			e = errno;
		} else {
			s->st.brk = want->brk;
		}
	}
	if ((want->dtr != s->st.dtr || want->rts != s->st.rts) &&
	    backend_serial_lines(b->fd, s, want) == -1) {
		r = -1;
		e = errno;
	}
	errno = e;
	return r;
}

static int
backend_serial_comport(struct backend *b, const struct rfc2217_req *req,
    struct rfc2217_state *st)
{
	struct backend_serial	*s = backend_serial_priv(b);
	struct rfc2217_state	 want;
	int			 r = 0, q;

	if (s == NULL) {
		backend_serial_initial(b->cfg, st);
		errno = ENOMEM;
		return -1;
	}
	if (req->cmd == RFC2217_PURGE_DATA && req->action == RFC2217_SET) {
		q = req->value == RFC2217_PURGE_RX ? TCIFLUSH :
		    req->value == RFC2217_PURGE_TX ? TCOFLUSH : TCIOFLUSH;
		if (b->fd != -1 && tcflush(b->fd, q) == -1) {
			r = -1;
		}
	} else {
		want = s->st;
		if (rfc2217_update(&want, req)) {
			if (b->fd != -1) {
				r = backend_serial_set(b, s, &want);
			} else {
				/* Kept for the next open; BREAK is not. */
				backend_serial_fit(&want, &s->st);
				want.brk = RFC2217_CTL_BREAK_OFF;
				s->st = want;
			}
		}
	}
	*st = s->st;
	return r;
}

const struct backend_ops backend_serial_ops = {
	.name = "serial",
	.open = backend_serial_open,
	.close = backend_serial_close,
	.retry_ms = backend_serial_retry_ms,
	.brk = backend_serial_brk,
	.free = backend_serial_free,
	.comport = backend_serial_comport,
	.watch_modem = backend_serial_watch_modem,
};
