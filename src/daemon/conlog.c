/*
 * conlog: a console's log file.  See conlog.h.
 *
 * Writes are plain write(2) on a regular file from the loop: the page
 * cache takes them without waiting in practice, and a log that must never
 * drop output cannot be skipped ahead like a slow client.  What a failing
 * disk refuses is counted and written down as a gap once it works again.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conlog.h"
#include "log.h"

#define CONLOG_REPORT_S	60	/* at most one failure report a minute */

struct conlog {
	char		*path;
	char		 console[80];
	int		 fd;
	int		 timestamps;
	int		 at_line_start;	/* the file ends with a newline */
	int		 header;	/* this opening's header is owed */
	char		 marker[17];
	unsigned long long gap;		/* output bytes not written */
	unsigned	 gap_events;	/* event lines not written */
	int		 gap_errno;
	time_t		 reported;	/* last failure report */
};

static void
conlog_stamp(char *buf, size_t len, int frac)
{
	struct timespec	ts;
	struct tm	tm;
	char		base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		snprintf(buf, len, "%s.%03dZ", base,
		    (int)(ts.tv_nsec / 1000000) % 1000);
	} else {
		snprintf(buf, len, "%sZ", base);
	}
}

/*
 * Write as much as the file takes; returns how much that was.  Whatever
 * went, however little, decides where the file's last line stands: a
 * write cut short by a full disk can leave it open.
 */
static size_t
conlog_write(struct conlog *l, const void *buf, size_t len)
{
	const char	*p = buf;
	size_t		 done = 0;
	ssize_t		 w;

	while (done < len) {
		w = write(l->fd, p + done, len - done);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			l->gap_errno = w == -1 ? errno : ENOSPC;
			break;
		}
		done += (size_t)w;
		l->at_line_start = p[done - 1] == '\n';
	}
	return done;
}

/* "N bytes of output and M event lines": what is missing. */
static void
conlog_gap_str(const struct conlog *l, char *buf, size_t len)
{
	if (l->gap_events == 0) {
		snprintf(buf, len, "%llu bytes of output", l->gap);
	} else {
		snprintf(buf, len, "%llu bytes of output and %u event line%s",
		    l->gap, l->gap_events, l->gap_events == 1 ? "" : "s");
	}
}

/* Something was not written: say so, at most once a minute. */
static void
conlog_failed(struct conlog *l)
{
	char	what[80];
	time_t	now = time(NULL);

	if (l->reported != 0 && now - l->reported < CONLOG_REPORT_S) {
		return;
	}
	l->reported = now;
	conlog_gap_str(l, what, sizeof what);
	log_warn("console %s: log %s: %s; forwarding goes on, %s not logged "
	    "so far", l->console, l->path, strerror(l->gap_errno), what);
}

/* Write one line of ours; 0 if all of it went. */
static int
conlog_line(struct conlog *l, const char *text, int frac)
{
	char	stamp[40], line[700];
	int	n;
	size_t	len;

	conlog_stamp(stamp, sizeof stamp, frac);
	/*
	 * Our line starts a line.  When the file's last line is open, the
	 * newline before it is ours, and the "+" after the bracket says so:
	 * output is recovered byte for byte by removing
	 * "\n[ttyhub MARKER TIME]+ ...\n" and "[ttyhub MARKER TIME] ...\n".
	 */
	n = snprintf(line, sizeof line, "%s[ttyhub %s %s]%s %s\n",
	    l->at_line_start ? "" : "\n", l->marker, stamp,
	    l->at_line_start ? "" : "+", text);
	if (n <= 0) {
		return -1;
	}
	len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	if ((size_t)n >= sizeof line) {
		line[len - 1] = '\n';	/* cut, but still a line */
	}
	return conlog_write(l, line, len) == len ? 0 : -1;
}

/*
 * Before output or an event: what is owed comes first, this opening's
 * header, then the record of a gap that has healed.  -1 while the file
 * still refuses them.
 */
static int
conlog_ready(struct conlog *l)
{
	char	text[200], what[80];

	if (l->header) {
		snprintf(text, sizeof text, "log of console %s opened; event "
		    "lines carry this marker", l->console);
		if (conlog_line(l, text, 0) == -1) {
			return -1;
		}
		l->header = 0;
	}
	if (l->gap == 0 && l->gap_events == 0) {
		return 0;
	}
	conlog_gap_str(l, what, sizeof what);
	snprintf(text, sizeof text, "log gap: %s not logged (%s)", what,
	    strerror(l->gap_errno));
	if (conlog_line(l, text, 1) == -1) {
		return -1;		/* still failing: the gap stays */
	}
	log_info("console %s: log %s: writing again after a gap of %s",
	    l->console, l->path, what);
	l->gap = 0;
	l->gap_events = 0;
	l->reported = 0;
	return 0;
}

static int
conlog_openfd(struct conlog *l, char *err, size_t errlen)
{
	const int	flags = O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY;
	char		last;
	int		fd, i;
	off_t		end;

	/* Read access only to see how the file ends (below). */
	fd = open(l->path, O_RDWR | flags, 0640);
	if (fd == -1 && errno == EACCES) {
		fd = open(l->path, O_WRONLY | flags, 0640);
	}
	if (fd == -1) {
		snprintf(err, errlen, "cannot open log %s: %s", l->path,
		    strerror(errno));
		return -1;
	}
	if (l->fd != -1) {
		close(l->fd);
	}
	l->fd = fd;
	for (i = 0; i < 16; i++) {
		l->marker[i] = "0123456789abcdef"[arc4random_uniform(16)];
	}
	l->marker[16] = '\0';
	l->header = 1;
	/*
	 * Whether our first line needs a newline of its own.  A file that
	 * cannot be read gets one: the "+" keeps the output exact either
	 * way.
	 */
	l->at_line_start = 1;
	if ((end = lseek(fd, 0, SEEK_END)) > 0 &&
	    (pread(fd, &last, 1, end - 1) != 1 || last != '\n')) {
		l->at_line_start = 0;
	}
	return 0;
}

struct conlog *
conlog_open(const char *path, const char *console, int timestamps,
    char *err, size_t errlen)
{
	struct conlog	*l;

	if ((l = calloc(1, sizeof *l)) == NULL ||
	    (l->path = strdup(path)) == NULL) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->timestamps = timestamps;
	l->at_line_start = 1;
	(void)log_safe(l->console, sizeof l->console, console, strlen(console));
	if (conlog_openfd(l, err, errlen) == -1) {
		free(l->path);
		free(l);
		return NULL;
	}
	return l;
}

void
conlog_close(struct conlog *l)
{
	if (l == NULL) {
		return;
	}
	if ((l->gap > 0 || l->gap_events > 0) && conlog_ready(l) == -1) {
		conlog_failed(l);
	}
	if (l->fd != -1) {
		close(l->fd);
	}
	free(l->path);
	free(l);
}

void
conlog_reopen(struct conlog *l)
{
	char	err[300];

	if (conlog_openfd(l, err, sizeof err) == -1) {
		log_warn("console %s: %s; keeping the old file", l->console,
		    err);
		return;
	}
	if (conlog_ready(l) == -1) {
		conlog_failed(l);
	}
}

void
conlog_output(struct conlog *l, const void *buf, size_t len)
{
	const char	*p = buf, *nl, *end = p + len;
	char		 stamp[48];
	size_t		 n, w;

	if (len == 0) {
		return;
	}
	if (conlog_ready(l) == -1) {
		l->gap += len;
		conlog_failed(l);
		return;
	}
	if (!l->timestamps) {
		if ((w = conlog_write(l, buf, len)) < len) {
			l->gap += len - w;
			conlog_failed(l);
		}
		return;
	}
	/* A stamp before each line's first byte. */
	while (p < end) {
		if (l->at_line_start) {
			conlog_stamp(stamp + 1, sizeof stamp - 3, 1);
			stamp[0] = '[';
			n = strlen(stamp);
			stamp[n++] = ']';
			stamp[n++] = ' ';
			if (conlog_write(l, stamp, n) < n) {
				l->gap += (size_t)(end - p);
				conlog_failed(l);
				return;
			}
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if ((w = conlog_write(l, p, n)) < n) {
			l->gap += (size_t)(end - p) - w;
			conlog_failed(l);
			return;
		}
		p += n;
	}
}

void
conlog_event(struct conlog *l, const char *text)
{
	char	safe[600];

	(void)log_safe(safe, sizeof safe, text, strlen(text));
	if (conlog_ready(l) == -1 || conlog_line(l, safe, 1) == -1) {
		l->gap_events++;
		conlog_failed(l);
	}
}
