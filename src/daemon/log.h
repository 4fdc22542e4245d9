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

/*
 * Render len bytes of untrusted text into out (size outsz, always
 * NUL-terminated) with anything outside printable ASCII shown as \xNN.
 * Returns out.
 */
char	*log_safe(char *out, size_t outsz, const void *in, size_t len);

#endif
