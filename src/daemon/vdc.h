/*
 * vdc: vhost-device-console's command line, which ttyhubd takes as its
 * compatible mode: --socket-path, --socket-count, --tcp-port and
 * --backend=network|nested become the guests' consoles (vm0, vm1, ...)
 * and, nested, a ttyhub client on our terminal.  cmdline.c hands the
 * options over; ttyhubd.c asks for the configuration and the client.
 */
#ifndef TTYHUB_VDC_H
#define TTYHUB_VDC_H

struct config;
struct server;

#define VDC_GUESTS_MAX	256	/* --socket-count */

/* getopt_long's codes for our options; cmdline.c's own are below 5. */
enum vdc_opt {
	VDC_OPT_SOCKET_PATH = 's',
	VDC_OPT_SOCKET_COUNT = 5,
	VDC_OPT_TCP_PORT,
	VDC_OPT_BACKEND
};

struct vdc {
	const char	*socket_path;	/* --socket-path; NULL: not this mode */
	char		*socket_abs;	/* it, made absolute (ours) */
	unsigned	 socket_count;	/* --socket-count */
	unsigned	 tcp_port;	/* --tcp-port */
	int		 nested;	/* --backend=nested; -1: not given */
	const char	*only;		/* one of the three, if given */
	char		 broker[256];	/* the broker's socket, or "" */
};

/* vhost-device-console's defaults. */
void	vdc_init(struct vdc *v);

/* Option c with its value; 0 if c is not ours.  Exits when it is wrong. */
int	vdc_option(struct vdc *v, int c, const char *arg);

/*
 * What goes with the options, given whether -c and whether -i or -w
 * were given; exits with the first problem.  Settles the backend.
 */
void	vdc_check(struct vdc *v, int cfg_file, int inetd_or_wait);

/* The guests' consoles, as a configuration file would give them. */
struct config	*vdc_config(struct vdc *v);

/* --backend=nested: the ttyhub client on our terminal.  0 or -1. */
int	vdc_nested(struct server *srv, const struct vdc *v);

void	vdc_free(struct vdc *v);

#endif
