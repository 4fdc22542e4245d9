/*
 * log: stderr or syslog, one line a message, prefixed with our name.
 * Called only from the event loop, never from a signal handler.
 *
 * What a peer can repeat at will is rate-limited per source (log_rate):
 * a backend that never reads made one warning per reply it could not
 * queue, 18,154 of them for one flood of Telnet negotiation.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_SYSLOG_PATH	"/dev/log"	/* glibc's _PATH_LOG */

static const char	*log_name = "ttyhubd";
static int		 log_syslog;
static int		 log_stderr_on = 1;
static int		 log_debug_on;

void
log_open(const char *name, int use_syslog)
{
	log_name = name;
	log_syslog = use_syslog;
	log_stderr_on = !use_syslog;
	if (use_syslog) {
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

void
log_stderr(int on)
{
	log_stderr_on = on || !log_syslog;
}

/*
 * syslog(3) drops messages without a word when nothing listens on
 * /dev/log, so look the way it does: a datagram socket, then a stream.
 */
int
log_syslog_check(char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	int			fd, type, e = 0;
	const int		types[] = { SOCK_DGRAM, SOCK_STREAM };
	size_t			i;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, LOG_SYSLOG_PATH, sizeof LOG_SYSLOG_PATH);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		type = types[i];
		if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(fd);
			return 0;
		}
		e = errno;
		close(fd);
		if (e != EPROTOTYPE) {
			break;
		}
	}
	snprintf(err, errlen, "%s: %s", LOG_SYSLOG_PATH, strerror(e));
	return -1;
}

void
log_debug_enable(int on)
{
	log_debug_on = on;
}

static void __attribute__((format(printf, 2, 0)))
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char	line[1024];

	vsnprintf(line, sizeof line, fmt, ap);
	if (log_syslog) {
		syslog(prio, "%s", line);
	}
	if (log_stderr_on) {
		fprintf(stderr, "%s: %s\n", log_name, line);
	}
}

#define LOG_FN(fn, prio, cond)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list	ap;					\
							\
	if (!(cond)) {					\
		return;					\
	}						\
	va_start(ap, fmt);				\
	log_vmsg(prio, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_debug, LOG_DEBUG, log_debug_on)
LOG_FN(log_info, LOG_INFO, 1)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_err, LOG_ERR, 1)

static void __attribute__((format(printf, 2, 3)))
log_msg(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void
log_rate_flush(struct log_rate *r)
{
	if (r->held == 1) {
		log_msg(r->prio, "%s", r->last);
	} else if (r->held > 1) {
		log_msg(r->prio, "%s (%llu more like this suppressed)", r->last,
		    r->held - 1);
	}
	r->held = 0;
}

static void __attribute__((format(printf, 3, 0)))
log_rate_vmsg(struct log_rate *r, int prio, const char *fmt, va_list ap)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((long long)ts.tv_sec - r->start >= LOG_RATE_S) {
		log_rate_flush(r);
		r->start = (long long)ts.tv_sec;
		r->lines = 0;
	}
	if (r->lines < LOG_RATE_BURST) {
		r->lines++;
		log_vmsg(prio, fmt, ap);
		return;
	}
	r->held++;
	r->prio = prio;
	(void)vsnprintf(r->last, sizeof r->last, fmt, ap);
}

#define LOG_RATE_FN(fn, prio)				\
void							\
fn(struct log_rate *r, const char *fmt, ...)		\
{							\
	va_list	ap;					\
							\
	va_start(ap, fmt);				\
	log_rate_vmsg(r, prio, fmt, ap);		\
	va_end(ap);					\
}

LOG_RATE_FN(log_rate_info, LOG_INFO)
LOG_RATE_FN(log_rate_warn, LOG_WARNING)

char *
log_safe(char *out, size_t outsz, const void *in, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = in;
	size_t			 i, o = 0;

	if (outsz == 0) {
		return out;
	}
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			if (o + 1 >= outsz) {
				break;
			}
			out[o++] = (char)p[i];
		} else {
			if (o + 4 >= outsz) {
				break;
			}
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}
