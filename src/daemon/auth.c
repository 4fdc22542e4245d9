/*
 * auth: user and password checks, in child processes.  See auth.h.
 *
 * A child per check rather than one long-lived helper: a check that
 * hangs costs its own process only (killed after AUTH_TIMEOUT_MS), one
 * slow check never queues the others, and PAM's state, modules and
 * memory go with the child.  The fork copies the daemon as it is; the
 * child resets its signals, closes every descriptor but 0-2, asks PAM
 * (auth-pam.c) and exits 0 or 1, and the answer is its exit status,
 * read by proc.c's reaping.  Nothing of the check is ever written back.
 *
 * Failures are slowed per source address: the answer to a failed check
 * is held AUTH_FAIL_MS, doubled for each failure from that address in
 * the last AUTH_FORGET_S seconds, up to AUTH_FAIL_MAX_MS.  The table of
 * addresses is fixed (AUTH_SOURCES); when full, the entry failed least
 * recently is reused.
 */
#include <sys/types.h>
#include <sys/syscall.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "server.h"
#include "../telnet/tn.h"

#define AUTH_FAIL_MS		2000
#define AUTH_FAIL_MAX_MS	30000
#define AUTH_FORGET_S		600
#define AUTH_SOURCES		256
#define AUTH_RUNNING_MAX	32	/* checks at once, in all */
#define AUTH_SOURCE_RUNNING	4	/* at once from one address */

/* One address's record of failures. */
struct auth_source {
	uint8_t			 addr[16];
	int			 used;
	unsigned		 fails;		/* in a row, recently */
	long long		 last;		/* monotonic s of the last */
	unsigned		 running;
	struct log_rate		 lr;		/* its failed logins */
};

struct auth {
	struct server		*srv;
	auth_cb			 cb;
	void			*arg;
	char			 user[TN_USER_MAX + 1];
	char			 peer[128];
	struct auth_source	*src;
	pid_t			 pid;		/* -1 once reaped */
	int			 ok;
	struct event		*timer;		/* deadline, then the answer */
	int			 answered;	/* the child is done */
};

static struct auth_source	auth_sources[AUTH_SOURCES];
static unsigned			auth_running;
static struct log_rate		auth_lr;	/* limits, out of memory */

static long long
auth_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* addr's record, made (or an old one reused) if it has none. */
static struct auth_source *
auth_source(const uint8_t addr[16])
{
	struct auth_source	*s, *free_one = NULL, *oldest = NULL;
	long long		 now = auth_now();
	size_t			 i;

	for (i = 0; i < AUTH_SOURCES; i++) {
		s = &auth_sources[i];
		if (s->used && memcmp(s->addr, addr, 16) == 0) {
			if (now - s->last > AUTH_FORGET_S) {
				s->fails = 0;
			}
			return s;
		}
		if (!s->used && free_one == NULL) {
			free_one = s;
		} else if (s->used && s->running == 0 && (oldest == NULL ||
		    s->last < oldest->last)) {
			oldest = s;
		}
	}
	if ((s = free_one != NULL ? free_one : oldest) == NULL) {
		return NULL;	/* every entry has checks running */
	}
	log_rate_flush(&s->lr);
	memset(s, 0, sizeof *s);
	memcpy(s->addr, addr, 16);
	s->used = 1;
	s->last = now;
	return s;
}

/* How long a failure from s is held: doubled for each one before it. */
static unsigned
auth_fail_ms(const struct auth_source *s)
{
	unsigned	ms = AUTH_FAIL_MS, i;

	for (i = 1; i < s->fails && ms < AUTH_FAIL_MAX_MS; i++) {
		ms *= 2;
	}
	return ms < AUTH_FAIL_MAX_MS ? ms : AUTH_FAIL_MAX_MS;
}

static void
auth_free(struct auth *a)
{
	if (a->timer != NULL) {
		event_free(a->timer);
	}
	if (a->src != NULL && a->src->running > 0) {
		a->src->running--;
	}
	if (a->pid > 0) {
		auth_running--;
	}
	free(a);
}

/* The answer, now (after the hold, for a failure). */
static void
auth_answer(struct auth *a)
{
	auth_cb	 cb = a->cb;
	void	*arg = a->arg;
	char	 user[sizeof a->user];
	int	 ok = a->ok;

	snprintf(user, sizeof user, "%s", a->user);
	if (a->pid > 0) {
		auth_running--;
		a->pid = 0;
	}
	auth_free(a);
	cb(arg, ok, user);
}

/* The check is over: hold a failure, hand a success on at once. */
static void
auth_done(struct auth *a, int ok)
{
	struct auth_source	*s = a->src;
	struct timeval		 tv;
	unsigned		 ms;

	a->answered = 1;
	a->ok = ok;
	if (a->pid > 0) {
		auth_running--;
		a->pid = 0;
	}
	if (ok) {
		if (s != NULL) {
			s->fails = 0;
		}
		log_debug("%s: login as %s accepted", a->peer, a->user);
		auth_answer(a);
		return;
	}
	ms = AUTH_FAIL_MS;
	if (s != NULL) {
		s->fails++;
		s->last = auth_now();
		ms = auth_fail_ms(s);
		log_rate_warn(&s->lr, "%s: login as %s failed (%u in a row "
		    "from there; answered in %u ms)", a->peer, a->user,
		    s->fails, ms);
	} else {
		log_rate_warn(&auth_lr, "%s: login as %s failed", a->peer,
		    a->user);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->timer, &tv);
}

static void
auth_child_exit(void *arg, pid_t pid, int status)
{
	struct auth	*a = arg;

	(void)pid;
	a->pid = -1;	/* reaped: nothing to kill */
	auth_running--;
	auth_done(a, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
auth_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct auth	*a = arg;

	(void)fd;
	(void)what;
	if (a->answered) {
		auth_answer(a);
		return;
	}
	/* The check took too long: end it; its exit is not waited for. */
	log_warn("%s: login as %s: PAM took over %u s: failed", a->peer,
	    a->user, AUTH_TIMEOUT_MS / 1000);
	if (a->pid > 0) {
		proc_forget(a->pid);
		(void)kill(a->pid, SIGKILL);
	}
	auth_done(a, 0);
}

/* In the child: nothing of the daemon's but 0-2, default signals. */
static void
auth_child(const char *service, const char *user, const char *password,
    const char *rhost, const sigset_t *empty)
{
	struct sigaction	sa;
	long			fd, max;
	int			sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		(void)sigaction(sig, &sa, NULL);	/* EINVAL for some */
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0) == -1)
#endif
	{
		max = sysconf(_SC_OPEN_MAX);
		for (fd = 3; fd < (max < 0 || max > 65536 ? 65536 : max);
		    fd++) {
			(void)close((int)fd);
		}
	}
	if (sigprocmask(SIG_SETMASK, empty, NULL) == -1) {
		_exit(2);
	}
	_exit(auth_pam_check(service, user, password, rhost) == 0 ? 0 : 1);
}

struct auth *
auth_start(struct server *srv, const char *user, char *password,
    const uint8_t addr[16], const char *peer, auth_cb cb, void *arg)
{
	struct auth	*a;
	struct timeval	 tv = { AUTH_TIMEOUT_MS / 1000, 0 };
	sigset_t	 all, old, empty;
	const char	*service;
	char		 rhost[INET6_ADDRSTRLEN];
	pid_t		 pid;

	if ((a = calloc(1, sizeof *a)) == NULL ||
	    (a->timer = evtimer_new(srv->base, auth_on_timer, a)) == NULL) {
		free(a);
		explicit_bzero(password, strlen(password));
		return NULL;
	}
	a->srv = srv;
	a->cb = cb;
	a->arg = arg;
	(void)log_safe(a->user, sizeof a->user, user, strlen(user));
	snprintf(a->peer, sizeof a->peer, "%s", peer);
	a->src = auth_source(addr);
	if (memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		inet_ntop(AF_INET, addr + 12, rhost, sizeof rhost);
	} else {
		inet_ntop(AF_INET6, addr, rhost, sizeof rhost);
	}
	service = srv->cfg != NULL && srv->cfg->pam_service != NULL ?
	    srv->cfg->pam_service : "ttyhub";

	/* Past a cap: a failure, held like any other. */
	if (auth_running >= AUTH_RUNNING_MAX || a->src == NULL ||
	    a->src->running >= AUTH_SOURCE_RUNNING ||
	    !tn_user_valid(user, strlen(user))) {
		if (auth_running >= AUTH_RUNNING_MAX || a->src == NULL ||
		    a->src->running >= AUTH_SOURCE_RUNNING) {
			log_rate_warn(&auth_lr, "%s: login as %s: too many "
			    "checks running", a->peer, a->user);
		}
		explicit_bzero(password, strlen(password));
		if (a->src != NULL) {
			a->src->running++;
		}
		auth_done(a, 0);
		return a;
	}
	a->src->running++;
	sigfillset(&all);
	sigemptyset(&empty);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		auth_child(service, user, password, rhost, &empty);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	explicit_bzero(password, strlen(password));
	if (pid == -1 || proc_add(pid, "login check", auth_child_exit,
	    a) == -1) {
		log_rate_warn(&auth_lr, "%s: login as %s: cannot check: %s",
		    a->peer, a->user, strerror(errno));
		if (pid > 0) {
			(void)kill(pid, SIGKILL);
		}
		auth_done(a, 0);
		return a;
	}
	a->pid = pid;
	auth_running++;
	evtimer_add(a->timer, &tv);
	return a;
}

void
auth_cancel(struct auth *a)
{
	if (a == NULL) {
		return;
	}
	if (a->pid > 0) {
		proc_forget(a->pid);
		(void)kill(a->pid, SIGKILL);
	}
	auth_free(a);
}
