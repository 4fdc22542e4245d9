/*
 * log: stderr or syslog, one line a message, prefixed with our name.
 * Called only from the event loop, never from a signal handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static const char	*log_name = "ttyhubd";
static int		 log_syslog;
static int		 log_debug_on;

void
log_open(const char *name, int use_syslog)
{
	log_name = name;
	log_syslog = use_syslog;
	if (use_syslog) {
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
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
	} else {
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
