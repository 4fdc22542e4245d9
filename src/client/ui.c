/*
 * ui: what every command of the client shares with the user: the one
 * event loop, error lines, writing to the terminal or a pipe, and the
 * TTYHUB_MODE words the options ask for.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"

static struct event_base	*ui_evbase;

void
ui_error(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", PROGNAME, msg);
	fflush(stderr);
}

int
ui_write(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Someone made it non-blocking: wait for room. */
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		return -1;
	}
	return 0;
}

/*
 * One loop for the process.  poll, not epoll: standard input may be a
 * regular file or /dev/null, which epoll refuses and poll reports as
 * always readable, and there are only ever a handful of descriptors.
 */
struct event_base *
ui_base(void)
{
	struct event_config	*cfg;

	if (ui_evbase != NULL) {
		return ui_evbase;
	}
	if ((cfg = event_config_new()) != NULL) {
		(void)event_config_avoid_method(cfg, "epoll");
		ui_evbase = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (ui_evbase == NULL) {
		ui_evbase = event_base_new();
	}
	if (ui_evbase == NULL) {
		ui_error("cannot make an event loop");
		exit(EXIT_ERR);
	}
	return ui_evbase;
}

const char *
ui_mode(const struct opts *o, const char *extra, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", o->ro ? "ro," : "",
	    o->force ? "force," : "", o->noreplay ? "noreplay," : "",
	    extra != NULL ? extra : "");
	return buf;
}
