/*
 * backend: what a console is a terminal of.  One small ops struct per
 * variant (backend-serial.c, backend-socket.c, backend-exec.c,
 * backend-pty.c, backend-vhost.c); the console does all reading and
 * writing on the fd the variant opens, so a variant only knows how to
 * open, close and signal its kind of endpoint, and, with telnet = yes,
 * how to decode and encode its wire.  A variant whose bytes are not
 * behind an fd (vhost-user) moves them itself (ops->input).  A variant
 * speaks to its console only through struct backend_host.
 *
 * Life: down --open--> (connecting) --> up --EOF or error--> down, then
 * open again after the variant's retry delay.  While down, the console
 * keeps its clients and tells them.
 */
#ifndef TTYHUB_BACKEND_H
#define TTYHUB_BACKEND_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct backend;
struct cfg_console;
struct event_base;
struct server;
struct rfc2217_req;
struct rfc2217_state;

enum backend_open {
	BACKEND_OPEN_FAIL = -1,	/* not now: retry after retry_ms */
	BACKEND_OPEN_UP = 0,	/* fd is ready for I/O */
	BACKEND_OPEN_PENDING,	/* fd is connecting: wait for writable */
};

struct backend_ops {
	const char	*name;

	/*
	 * Open the endpoint.  Sets b->fd (non-blocking, close-on-exec).
	 * On failure says why in why (a short phrase, shown to clients).
	 */
	enum backend_open (*open)(struct backend *b, char *why, size_t whylen);

	/* The endpoint went down or the console is closing: release it. */
	void		(*close)(struct backend *b);

	/* Milliseconds before the next open after `failures` in a row. */
	unsigned	(*retry_ms)(struct backend *b, unsigned failures);

	/* Send a BREAK.  NULL: this kind has none. 0 or -1 with errno. */
	int		(*brk)(struct backend *b, unsigned ms);

	/* A writer's window size.  NULL: ignored. */
	void		(*winsize)(struct backend *b, unsigned cols, unsigned rows);

	/* Free variant state (after close). */
	void		(*free)(struct backend *b);

	/*
	 * RFC 2217 (COM-PORT-OPTION) from a client: apply req when it
	 * changes a line setting or purges the device's queues, then fill
	 * st with what is in effect.  Works while down: settings are kept
	 * and applied at the next open.  NULL: this kind has no line (its
	 * clients are not offered COM-PORT).  0, or -1 with errno; st is
	 * filled either way.
	 */
	int		(*comport)(struct backend *b,
			    const struct rfc2217_req *req,
			    struct rfc2217_state *st);

	/*
	 * Watch the modem lines (CTS, DSR, RI, CD) while on, reporting
	 * changes through console_modem_changed.  NULL: none to watch.
	 */
	void		(*watch_modem)(struct backend *b, int on);

	/*
	 * Why the endpoint went down, when the variant knows better than
	 * the read or write error the console saw (exec: how the program
	 * ended).  Asked before close.  NULL, or returning NULL: the error.
	 */
	const char	*(*reason)(struct backend *b);

	/*
	 * The endpoint wraps the terminal's bytes in a protocol (telnet =
	 * yes).  decode turns len bytes just read at buf into terminal
	 * output in place (never longer) and returns its length; when the
	 * peer broke the protocol it sets *broken, and the output is what
	 * came before the fault.  encode puts writers' bytes on the wire
	 * through console_backend_send.  NULL: bytes pass as they are.
	 */
	size_t		(*decode)(struct backend *b, uint8_t *buf, size_t len,
			    int *broken);
	void		(*encode)(struct backend *b, const uint8_t *buf,
			    size_t len);

	/*
	 * The variant moves the terminal's bytes itself, because they are
	 * not behind an fd (vhost-user: they are in the guest's memory).
	 * The console then makes no events on b->fd: open returns PENDING
	 * until the variant calls console_backend_up; output comes in by
	 * console_backend_output and _flush; input is there to take with
	 * console_backend_take whenever this is called, and later.
	 */
	void		(*input)(struct backend *b);

	/*
	 * Writers' input waits while the endpoint is down, for the next
	 * one, within the console's queue (CONSOLE_IN_MAX: writers are not
	 * read beyond it), rather than being dropped: vhost-user, whose
	 * guest comes back on its next boot.
	 */
	int		 hold_input;
};

/*
 * What a variant may ask of the console it serves.  console.c fills it;
 * variants go through the backend_* calls below, never to the console
 * itself, so that the arrows run one way: console -> backend -> variant.
 */
struct backend_host {
	int	(*gone)(struct backend *b, const char *why);
	void	(*up)(struct backend *b);
	void	(*output)(struct backend *b, const uint8_t *buf, size_t len);
	void	(*flush)(struct backend *b);
	size_t	(*pending)(struct backend *b);
	size_t	(*take)(struct backend *b, void *dst, size_t len);
	void	(*send)(struct backend *b, const void *buf, size_t len);
	void	(*retry_soon)(struct backend *b);
	void	(*modem_changed)(struct backend *b, uint8_t state);
	void	(*event)(struct backend *b, const char *text);
	void	(*notice)(struct backend *b, const char *text);
};

struct backend {
	const struct backend_ops	*ops;
	const struct backend_host	*host;
	void				*host_arg;	/* the console */
	const struct cfg_console	*cfg;	/* owned by the console */
	struct server			*srv;
	struct event_base		*base;
	int				 fd;	/* -1 while down */
	pid_t				 pid;	/* exec: the program, or -1 */
	void				*priv;	/* variant state */
};

/* Variants. */
extern const struct backend_ops	backend_serial_ops;
extern const struct backend_ops	backend_socket_ops;	/* unix and tcp */
extern const struct backend_ops	backend_exec_ops;
extern const struct backend_ops	backend_pty_ops;
extern const struct backend_ops	backend_vhost_ops;

/*
 * Capped exponential back-off with jitter, for variants that reconnect:
 * 100 ms doubling up to 30 s, each delay drawn from [d/2, d].
 */
unsigned	backend_backoff_ms(unsigned failures);

/* From retry_ms: do not open again (exec with restart = no). */
#define BACKEND_NO_RETRY	0xffffffffu

/*
 * The console learns of events it cannot see itself (exec: the program
 * exited): it takes the endpoint down (ops->close) and returns 1, or 0
 * when it was down already and nothing was done.
 */
int		backend_gone(struct backend *b, const char *why);

/* For variants with their own I/O (ops->input). */
void		backend_up(struct backend *b);
/*
 * Output into the ring and the log; the clients hear of it at
 * backend_flush, once for everything that came in one go.
 */
void		backend_output(struct backend *b, const uint8_t *buf,
		    size_t len);
void		backend_flush(struct backend *b);
/* Writers' input waiting for the endpoint, and taking it. */
size_t		backend_pending(struct backend *b);
size_t		backend_take(struct backend *b, void *dst, size_t len);

/*
 * Bytes in wire form for the endpoint (protocol replies, encoded input),
 * queued after what is queued already.
 */
void		backend_send(struct backend *b, const void *buf, size_t len);

/* The endpoint looks like it is back (a socket appeared): retry soon. */
void		backend_retry_soon(struct backend *b);

/*
 * The modem lines changed: state is in RFC 2217 NOTIFY-MODEMSTATE form,
 * delta bits included.
 */
void		backend_modem_changed(struct backend *b, uint8_t state);

/* An event line in the console's log. */
void		backend_event(struct backend *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Something the console's clients are told (unless notices = no), and
 * an event line in its log: the guest opened or closed a port.
 */
void		backend_notice(struct backend *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
