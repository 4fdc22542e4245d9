/*
 * tty: the user's terminal, put into raw mode and always put back.
 *
 * One terminal per process, so the saved settings are a static: that is
 * what lets tty_restore run from an atexit handler and from the handler
 * of a fatal signal, where nothing else can be reached.
 */
#ifndef TTYHUB_TTY_H
#define TTYHUB_TTY_H

/*
 * Save fd's settings and make it raw (no echo, no line editing, no
 * signals from keys, no output processing).  Returns 0, or -1 with errno
 * (ENOTTY when fd is not a terminal).  Installs the restoring handlers
 * the first time.
 */
int	tty_raw(int fd);

/*
 * Put the saved settings back (waiting for output to drain), if raw mode
 * is on.  Idempotent and async-signal-safe.
 */
void	tty_restore(void);

/* Is raw mode on now? */
int	tty_is_raw(void);

/* The window size of fd; -1 when it has none (not a terminal, or 0x0). */
int	tty_size(int fd, unsigned *cols, unsigned *rows);

#endif
