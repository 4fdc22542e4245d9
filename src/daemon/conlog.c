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
	int		 at_line_start;
	char		 marker[17];
	unsigned long long gap;		/* bytes not written */
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
 * Write it all; on failure report (rate-limited) and, for output, count
 * what did not go as a gap.  Returns 0 if all went.
 */
static int
conlog_put(struct conlog *l, const void *buf, size_t len, int output)
{
	const char	*p = buf;
	ssize_t		 w;
	time_t		 now;

	while (len > 0) {
		w = write(l->fd, p, len);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			if (output) {
				l->gap += len;
			}
			l->gap_errno = w == -1 ? errno : ENOSPC;
			now = time(NULL);
			if (l->reported == 0 ||
			    now - l->reported >= CONLOG_REPORT_S) {
				l->reported = now;
				log_warn("console %s: log %s: %s; forwarding "
				    "goes on, %llu bytes not logged so far",
				    l->console, l->path,
				    strerror(l->gap_errno), l->gap);
			}
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
conlog_line(struct conlog *l, const char *text)
{
	char	stamp[40], line[700];
	int	n;

	conlog_stamp(stamp, sizeof stamp, 1);
	/*
	 * An event starts a line of its own.  When output left the line
	 * open, the newline before it is ours, and the "+" after the
	 * bracket says so: output is recovered byte for byte by removing
	 * "\n[ttyhub MARKER TIME]+ ...\n" and "[ttyhub MARKER TIME] ...\n".
	 */
	n = snprintf(line, sizeof line, "%s[ttyhub %s %s]%s %s\n",
	    l->at_line_start ? "" : "\n", l->marker, stamp,
	    l->at_line_start ? "" : "+", text);
	if (n > 0 && conlog_put(l, line, (size_t)n < sizeof line ?
	    (size_t)n : sizeof line - 1, 0) == 0) {
		l->at_line_start = 1;
		return 0;
	}
	return -1;
}

/* Before output or an event: write down a gap that has healed. */
static int
conlog_heal(struct conlog *l)
{
	char			text[160];
	unsigned long long	gap = l->gap;

	if (gap == 0) {
		return 0;
	}
	snprintf(text, sizeof text, "log gap: %llu bytes of output not "
	    "logged (%s)", gap, strerror(l->gap_errno));
	if (conlog_line(l, text) == -1) {
		return -1;		/* still failing: the gap stays */
	}
	l->gap = 0;
	log_info("console %s: log %s: writing again after a gap of %llu "
	    "bytes", l->console, l->path, gap);
	l->reported = 0;
	return 0;
}

static int
conlog_openfd(struct conlog *l, char *err, size_t errlen)
{
	char	hdr[200], stamp[40], last;
	int	fd, n, i;
	off_t	end;

	fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0640);
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
	conlog_stamp(stamp, sizeof stamp, 0);
	/* Where the file ends decides whether our line needs a newline. */
	l->at_line_start = 1;
	if ((end = lseek(fd, 0, SEEK_END)) > 0 &&
	    pread(fd, &last, 1, end - 1) == 1 && last != '\n') {
		l->at_line_start = 0;
	}
	n = snprintf(hdr, sizeof hdr, "%s[ttyhub %s %s]%s log of console %s "
	    "opened; event lines carry this marker\n",
	    l->at_line_start ? "" : "\n", l->marker, stamp,
	    l->at_line_start ? "" : "+", l->console);
	if (n > 0 && conlog_put(l, hdr, (size_t)n, 0) == 0) {
		l->at_line_start = 1;
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
	if (l->gap > 0) {
		(void)conlog_heal(l);
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
	}
}

void
conlog_output(struct conlog *l, const void *buf, size_t len)
{
	const char	*p = buf, *nl, *end = p + len;
	char		 stamp[48];
	size_t		 n;

	if (len == 0) {
		return;
	}
	if (l->gap > 0 && conlog_heal(l) == -1) {
		l->gap += len;
		return;
	}
	if (!l->timestamps) {
		if (conlog_put(l, buf, len, 1) == 0) {
			l->at_line_start = ((const char *)buf)[len - 1] == '\n';
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
			if (conlog_put(l, stamp, n, 0) == -1) {
				l->gap += (size_t)(end - p);
				return;
			}
			l->at_line_start = 0;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (conlog_put(l, p, n, 1) == -1) {
			l->gap += (size_t)(end - p) - n;
			return;
		}
		l->at_line_start = nl != NULL;
		p += n;
	}
}

void
conlog_event(struct conlog *l, const char *text)
{
	char	safe[600];

	if (l->gap > 0 && conlog_heal(l) == -1) {
		return;
	}
	(void)conlog_line(l, log_safe(safe, sizeof safe, text, strlen(text)));
}
