/*
 * systemd: notifications and passed sockets.  See systemd.h.
 *
 * Both protocols are a few lines each (sd_notify(3), sd_listen_fds(3)),
 * written here rather than linked from libsystemd: one datagram per
 * notification, and a walk over fds 3 to 3 + $LISTEN_FDS - 1 at start
 * (ARCHITECTURE.md, Dependencies).
 *
 * A passed socket is given to the listener that asks for its address,
 * whichever part of the configuration that is (the broker, a console's
 * own listener, a [login] service, the command line's -b/-p), and only
 * by its address: the names in $LISTEN_FDNAMES are the unit's to choose
 * (ttyhubd.socket calls them all "ttyhub") and are shown, not matched.
 * A listener closed by a reload gives its socket back rather than
 * closing it, because the service manager still holds the address and
 * the listener that replaces it could not bind it again.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "systemd.h"

#define SYSTEMD_FDS_START	3	/* SD_LISTEN_FDS_START */
#define SYSTEMD_FDS_MAX		64
#define SYSTEMD_NAME_MAX	64

struct systemd_fd {
	int	fd;
	int	taken;
	int	said;
	char	name[SYSTEMD_NAME_MAX];
};

static struct sockaddr_un	systemd_addr;
static socklen_t		systemd_addrlen;	/* 0: no socket */
static struct systemd_fd	systemd_fds[SYSTEMD_FDS_MAX];
static size_t			systemd_nfds;

/* A decimal number with nothing around it; -1 if it is not one. */
static long
systemd_number(const char *s)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9') {
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : v;
}

/* $NOTIFY_SOCKET: a path, or @ and an abstract name. */
static void
systemd_init_notify(const char *s)
{
	size_t	len;

	if (s == NULL || (s[0] != '/' && s[0] != '@') ||
	    (len = strlen(s)) >= sizeof systemd_addr.sun_path) {
		return;
	}
	memset(&systemd_addr, 0, sizeof systemd_addr);
	systemd_addr.sun_family = AF_UNIX;
	memcpy(systemd_addr.sun_path, s, len);
	if (s[0] == '@') {
		systemd_addr.sun_path[0] = '\0';
	}
	systemd_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (s[0] == '/'));
}

/* A name from $LISTEN_FDNAMES, for messages: printable, or '?'. */
static void
systemd_name(char *dst, const char *src, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
	}
	dst[len] = '\0';
}

void
systemd_init(void)
{
	const char	*names = getenv("LISTEN_FDNAMES"), *colon;
	long		 pid = systemd_number(getenv("LISTEN_PID"));
	long		 n = systemd_number(getenv("LISTEN_FDS"));
	size_t		 i, len;

	systemd_init_notify(getenv("NOTIFY_SOCKET"));
	if (pid == (long)getpid() && n > 0) {
		if (n > SYSTEMD_FDS_MAX) {
			n = SYSTEMD_FDS_MAX;	/* the rest stay closed to us */
		}
		for (i = 0; i < (size_t)n; i++) {
			systemd_fds[i].fd = SYSTEMD_FDS_START + (int)i;
			(void)fcntl(systemd_fds[i].fd, F_SETFD, FD_CLOEXEC);
			if (names == NULL) {
				continue;
			}
			colon = strchr(names, ':');
			len = colon != NULL ? (size_t)(colon - names) :
			    strlen(names);
			if (len >= SYSTEMD_NAME_MAX) {
				len = SYSTEMD_NAME_MAX - 1;
			}
			systemd_name(systemd_fds[i].name, names, len);
			names = colon != NULL ? colon + 1 : NULL;
		}
		systemd_nfds = (size_t)n;
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	(void)unsetenv("NOTIFY_SOCKET");
}

size_t
systemd_passed(void)
{
	return systemd_nfds;
}

/* Does fd listen on a stream socket where how says? */
static int
systemd_match(int fd, const struct cfg_listen *how)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	struct in_addr		 a4;
	struct in6_addr		 a6;
	socklen_t		 len = sizeof(int);
	int			 v = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM) {
		return 0;
	}
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 ||
	    v != 1) {
		return 0;
	}
	memset(&ss, 0, sizeof ss);
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		return 0;
	}
	if (how->kind == CFG_LISTEN_UNIX) {
		return ss.ss_family == AF_UNIX && len > offsetof(struct
		    sockaddr_un, sun_path) && sun->sun_path[0] != '\0' &&
		    strncmp(sun->sun_path, how->path,
		    sizeof sun->sun_path) == 0;
	}
	if (ss.ss_family == AF_INET) {
		if (ntohs(sin->sin_port) != how->port) {
			return 0;
		}
		if (how->host == NULL) {
			return sin->sin_addr.s_addr == htonl(INADDR_ANY);
		}
		return inet_pton(AF_INET, how->host, &a4) == 1 &&
		    a4.s_addr == sin->sin_addr.s_addr;
	}
	if (ss.ss_family == AF_INET6) {
		if (ntohs(sin6->sin6_port) != how->port) {
			return 0;
		}
		if (how->host == NULL) {
			return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		}
		if (inet_pton(AF_INET6, how->host, &a6) == 1) {
			return IN6_ARE_ADDR_EQUAL(&a6, &sin6->sin6_addr);
		}
		/* 127.0.0.1 as ::ffff:127.0.0.1 */
		return inet_pton(AF_INET, how->host, &a4) == 1 &&
		    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    memcmp(&sin6->sin6_addr.s6_addr[12], &a4, 4) == 0;
	}
	return 0;
}

int
systemd_take(const struct cfg_listen *how, const char **name)
{
	size_t	i;

	for (i = 0; i < systemd_nfds; i++) {
		if (!systemd_fds[i].taken &&
		    systemd_match(systemd_fds[i].fd, how)) {
			systemd_fds[i].taken = 1;
			*name = systemd_fds[i].name;
			return systemd_fds[i].fd;
		}
	}
	return -1;
}

void
systemd_give_back(int fd)
{
	size_t	i;

	for (i = 0; i < systemd_nfds; i++) {
		if (systemd_fds[i].fd == fd) {
			systemd_fds[i].taken = 0;
			return;
		}
	}
	close(fd);	/* not one of ours after all */
}

/* "127.0.0.1 port 7000", a path, or what else fd is, for messages. */
static void
systemd_describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 slen = sizeof ss;
	char			 a[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == -1) {
		snprintf(buf, len, "fd %d (%s)", fd, strerror(errno));
	} else if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a) != NULL) {
		snprintf(buf, len, "%s port %u", a, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof a) != NULL) {
		snprintf(buf, len, "%s port %u", a, ntohs(sin6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(buf, len, "%.*s", (int)(slen > offsetof(struct
		    sockaddr_un, sun_path) ? slen - offsetof(struct sockaddr_un,
		    sun_path) : 0), ((struct sockaddr_un *)&ss)->sun_path);
	} else {
		snprintf(buf, len, "fd %d", fd);
	}
}

void
systemd_unused(void)
{
	char	what[200];
	size_t	i;

	for (i = 0; i < systemd_nfds; i++) {
		if (systemd_fds[i].taken || systemd_fds[i].said) {
			continue;
		}
		systemd_fds[i].said = 1;
		systemd_describe(systemd_fds[i].fd, what, sizeof what);
		log_warn("systemd passed a socket on %s%s%s%s that no listener "
		    "of the configuration asks for: not used", what,
		    systemd_fds[i].name[0] != '\0' ? " (" : "",
		    systemd_fds[i].name,
		    systemd_fds[i].name[0] != '\0' ? ")" : "");
	}
}

void
systemd_notify(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	fd, n;

	if (systemd_addrlen == 0) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg) {
		return;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		return;
	}
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&systemd_addr, systemd_addrlen) == -1) {
		log_debug("NOTIFY_SOCKET: %s", strerror(errno));
	}
	close(fd);
}

void
systemd_reloading(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	systemd_notify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
}
