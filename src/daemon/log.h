/*
 * log: the daemon's messages, to stderr or syslog.
 *
 * Everything the daemon says about a peer goes through here, and any text
 * that came from the network is first made printable with log_safe(), so a
 * log or an operator's terminal never receives a peer's control bytes.
 */
#ifndef TTYHUB_LOG_H
#define TTYHUB_LOG_H

#include <stddef.h>

/*
 * A message a peer can cause again and again (a backend that never reads,
 * a client's requests, connections past a limit) goes through a log_rate
 * of its own, one per source and kind of message: at most LOG_RATE_BURST
 * lines each LOG_RATE_S seconds are written, the rest are counted.  The
 * count goes out, with the last message left out, in front of the next
 * one let through, or from log_rate_flush when the source goes.  A zeroed
 * struct is ready for use.
 */
#define LOG_RATE_BURST	10
#define LOG_RATE_S	60

struct log_rate {
	long long		 start;		/* this period, monotonic s */
	unsigned		 lines;		/* written in it */
	unsigned long long	 held;		/* left out, not yet told */
	int			 prio;		/* of the last one left out */
	char			 last[200];	/* the last one left out */
};

void	log_open(const char *name, int use_syslog);
void	log_debug_enable(int on);

/*
 * With syslog, also write each message to stderr while on: a daemon
 * says where it listens on its terminal before it leaves it.
 */
void	log_stderr(int on);

/*
 * Whether syslog(3) can deliver: 0, or -1 with the reason in err (it
 * drops messages silently when /dev/log is not there).
 */
int	log_syslog_check(char *err, size_t errlen);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void	log_rate_info(struct log_rate *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_rate_warn(struct log_rate *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Write what r is holding back: its source goes, or the daemon does. */
void	log_rate_flush(struct log_rate *r);

/*
 * Render len bytes of untrusted text into out (size outsz, always
 * NUL-terminated) with anything outside printable ASCII shown as \xNN.
 * Returns out.
 */
char	*log_safe(char *out, size_t outsz, const void *in, size_t len);

#endif
