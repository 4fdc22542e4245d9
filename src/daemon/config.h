/*
 * config: the configuration file, read with inih into plain structs.
 *
 * Parsing knows nothing of the event loop or sockets: config_load turns
 * a file into a struct config or into one message "FILE:LINE: reason",
 * and never leaves anything half-built.  The daemon compares the new
 * config with the running one section by section (cfg_console.digest),
 * so a SIGHUP restarts only what changed.  Each key is an entry of
 * config-table.c's table; doc/ttyhub.conf.5 is the user's side.
 */
#ifndef TTYHUB_CONFIG_H
#define TTYHUB_CONFIG_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX	64	/* console and login names */
#define CFG_LINE_MAX	4096	/* longest line accepted */
#define CFG_LISTEN_MAX	16	/* addresses per key */
#define CFG_ACL_MAX	64	/* users and groups per key */
#define CFG_ARGV_MAX	64	/* words of an exec command */
#define CFG_CONSOLES_MAX 4096

enum cfg_listen_kind {
	CFG_LISTEN_TELNET,	/* Telnet on TCP */
	CFG_LISTEN_RAW,		/* raw bytes on TCP */
	CFG_LISTEN_UNIX,	/* unix stream socket; Telnet unless raw */
	CFG_LISTEN_WEB,		/* HTTP and WebSocket on TCP (web.c) */
};

/*
 * One address to listen on.  TCP: "PORT" (127.0.0.1), "HOST:PORT",
 * "[V6]:PORT", "*:PORT" (every address: host is NULL).  Unix: a path.
 * Options follow after commas: "ro" (clients are read-only), "noreplay"
 * (no replay on attach), "raw" (unix only: no Telnet), "tls" (TCP only:
 * TLS with [ttyhubd]'s tls-cert), "auth" (TCP only: clients log in).
 */
struct cfg_listen {
	enum cfg_listen_kind	 kind;
	char			*host;		/* TCP; NULL for every address */
	unsigned		 port;		/* TCP */
	char			*path;		/* unix */
	mode_t			 mode;		/* unix; default 0600 */
	uid_t			 owner;		/* unix; (uid_t)-1: unchanged */
	gid_t			 group;		/* unix; (gid_t)-1: unchanged */
	int			 telnet;	/* speaks Telnet */
	int			 ro;
	int			 noreplay;
	int			 tls;
	int			 auth;
};

/* Users and groups, resolved to ids when the file is read. */
struct cfg_acl {
	uid_t			 uids[CFG_ACL_MAX];
	size_t			 nuids;
	gid_t			 gids[CFG_ACL_MAX];
	size_t			 ngids;
	int			 set;		/* the key was given */
};

enum cfg_backend_kind {
	CFG_BACKEND_SERIAL,
	CFG_BACKEND_UNIX,
	CFG_BACKEND_TCP,
	CFG_BACKEND_EXEC,
	CFG_BACKEND_PTY,
	CFG_BACKEND_VHOST,	/* vhost-user: we are the virtio device */
	CFG_BACKEND_VPORT,	/* vhost-port: another port of such a device */
};

#define CFG_PORTS_MAX	16	/* ports of a vhost-user device */

enum cfg_parity { CFG_PARITY_NONE, CFG_PARITY_EVEN, CFG_PARITY_ODD,
	CFG_PARITY_MARK, CFG_PARITY_SPACE };
enum cfg_flow { CFG_FLOW_NONE, CFG_FLOW_RTSCTS, CFG_FLOW_XONXOFF };

struct cfg_console {
	char			 name[CFG_NAME_MAX + 1];
	char			*file;		/* where it was defined */
	unsigned		 line;		/* its section header */
	uint64_t		 digest;	/* hash of every key and value */

	enum cfg_backend_kind	 type;		/* type = */

	/* serial */
	char			*device;	/* device = */
	unsigned		 baud;		/* baud = 115200 */
	unsigned		 data_bits;	/* data-bits = 8 (5..8) */
	enum cfg_parity		 parity;	/* parity = none */
	unsigned		 stop_bits;	/* stop-bits = 1 (1, 2) */
	enum cfg_flow		 flow;		/* flow = none */

	/* unix, tcp */
	char			*path;		/* path = (unix; vhost-user: ours) */
	char			*host;		/* address = HOST:PORT (tcp) */
	unsigned		 port;
	int			 telnet;	/* telnet = no: peer speaks Telnet */

	/* exec */
	char			*argv[CFG_ARGV_MAX + 1];  /* command =, NULL-ended */
	char			*dir;		/* directory = (default /) */
	unsigned		 restart_ms;	/* restart-delay = 1s */
	int			 restart;	/* restart = yes | no (once only) */
	unsigned		 cols, rows;	/* size = 80x24 (exec, pty, vhost-user) */
	uid_t			 uid;		/* user = (-1: the daemon's own) */
	gid_t			 gid;		/* group =, else the user's (-1) */
	gid_t			*groups;	/* the user's groups, for setgroups */
	size_t			 ngroups;
	char			*home;		/* the user's home (NULL: /) */

	/* pty */
	char			*link;		/* link = path of the symlink */

	/*
	 * vhost-user: the device and its port 0; vhost-port: port vport of
	 * the vhost-user console vport_of, whose path, ports and
	 * resize_legacy config.c copies here once the file is read.
	 */
	unsigned		 ports;		/* ports = 1 */
	int			 resize_legacy;	/* resize-order = spec | legacy */
	char			*vport_of;	/* port = DEVICE:N */
	unsigned		 vport;
	char			*port_name;	/* port-name = (NULL: name) */
	int			 console_port;	/* console-port = no */
	int			 generated;	/* made for a port no section names */

	/* clients */
	struct cfg_listen	 listen[CFG_LISTEN_MAX];	/* telnet, raw, unix = */
	size_t			 nlisten;
	mode_t			 unix_mode;	/* unix-mode = 0600 */
	uid_t			 unix_owner;	/* unix-owner = */
	gid_t			 unix_group;	/* unix-group = */
	struct cfg_acl		 rw;		/* rw = alice @wheel 1000 */
	struct cfg_acl		 ro;		/* ro = @users */
	int			 writers_one;	/* writers = all | one */
	size_t			 replay;	/* replay = 64k (0: off) */
	size_t			 backlog;	/* backlog = 1m per client */
	int			 slow_disconnect; /* slow = drop | disconnect */
	int			 notices;	/* notices = yes */
	int			 insecure;	/* insecure = no */

	/* log */
	char			*log;		/* log = PATH */
	int			 log_timestamps; /* log-timestamps = no */
};

/* [login NAME]: a telnetd-style service in the same daemon. */
struct cfg_login {
	char			 name[CFG_NAME_MAX + 1];
	unsigned		 line;
	uint64_t		 digest;
	struct cfg_listen	 listen[CFG_LISTEN_MAX];	/* listen = */
	size_t			 nlisten;
	char			*program;	/* program = /bin/login */
	char			*issue;		/* issue = /etc/issue.net */
	char			*accept_env[CFG_ACL_MAX + 1]; /* accept-env = */
	int			 close_on_exit;	/* close-on-exit = no */
	int			 insecure;	/* insecure = no */
};

/*
 * [network NAME]: a switch between guests' network devices.  Its ports
 * are QEMU's socket netdevs: every connection to a stream address, and
 * every sender to a dgram address.
 */
struct cfg_network {
	char			 name[CFG_NAME_MAX + 1];
	unsigned		 line;
	uint64_t		 digest;
	struct cfg_listen	 stream[CFG_LISTEN_MAX];	/* stream = */
	size_t			 nstream;
	struct cfg_listen	 dgram[CFG_LISTEN_MAX];	/* dgram = */
	size_t			 ndgram;
	int			 hub;		/* mode = switch | hub */
	unsigned		 mtu;		/* mtu = 1500 */
	unsigned		 ageing_ms;	/* ageing = 300s (addresses) */
	unsigned		 dgram_ageing_ms; /* dgram-ageing = 1h (senders) */
	unsigned		 max_ports;	/* max-ports = 64 */
	unsigned		 max_macs;	/* max-macs = 4096 */
	size_t			 queue;		/* queue = 512k per port */
	unsigned		 queue_frames;	/* queue-frames = 1024 */
	char			*pcap;		/* pcap = PATH */
	size_t			 pcap_size;	/* pcap-size = 1g */
	mode_t			 unix_mode;	/* unix-mode = 0600 */
	uid_t			 unix_owner;	/* unix-owner = */
	gid_t			 unix_group;	/* unix-group = */
};

struct config {
	char			*file;
	/* [ttyhubd] */
	struct cfg_listen	 broker[CFG_LISTEN_MAX];	/* broker = (Telnet) */
	size_t			 nbroker;
	char			*broker_unix;	/* broker-unix = (NULL: default) */
	int			 broker_unix_off; /* broker-unix = none */
	mode_t			 broker_unix_mode; /* broker-unix-mode = 0600 */
	gid_t			 broker_unix_group; /* broker-unix-group; -1 */
	unsigned		 max_clients;	/* max-clients = 1024 */
	unsigned		 max_per_source; /* max-clients-per-source = 32 */
	struct cfg_listen	 web[CFG_LISTEN_MAX];	/* web = (the web console) */
	size_t			 nweb;
	char			*web_hosts[CFG_ACL_MAX + 1];	/* web-host = */
	int			 insecure;	/* insecure = no */
	char			*tls_cert;	/* tls-cert = PATH (PEM chain) */
	char			*tls_key;	/* tls-key = PATH */
	char			*tls_ca;	/* tls-ca = PATH: client certs */
	char			*pam_service;	/* pam-service = ttyhub */
	int			 publish;	/* publish = yes: DNS-SD */

	struct cfg_console	*consoles;	/* in file order */
	size_t			 nconsoles;
	struct cfg_login	*logins;
	size_t			 nlogins;
	struct cfg_network	*networks;
	size_t			 nnetworks;
};

/*
 * Read and check a file.  On success returns 0 and a config the caller
 * frees.  On failure returns -1 and puts one line into err:
 * "FILE:LINE: what is wrong" (or "FILE: reason" if it cannot be read).
 */
int		 config_load(const char *file, struct config **out,
		    char *err, size_t errlen);

/* The same from text in memory; name is used in messages (tests, fuzzing). */
int		 config_parse(const char *name, const char *text,
		    struct config **out, char *err, size_t errlen);

void		 config_free(struct config *c);

const struct cfg_console *config_console(const struct config *c,
		    const char *name);
const struct cfg_network *config_network(const struct config *c,
		    const char *name);

/* A console type as the file spells it: "serial", "vhost-user", ... */
const char	*config_type_name(enum cfg_backend_kind type);

/* Parse helpers, shared with the command line (config-value.c). */
int		 config_size(const char *s, size_t *out);	/* 64k, 1m, 123 */
int		 config_duration_ms(const char *s, unsigned *out); /* 1s, 250ms, 2 */
int		 config_listen(const char *s, enum cfg_listen_kind kind,
		    struct cfg_listen *out, char *err, size_t errlen);
/*
 * Do a and b ask for the same listener, address and options alike?  A
 * reload keeps a listener only then (struct cfg_listen has every option,
 * so a new option there must be compared here too).
 */
int		 config_listen_same(const struct cfg_listen *a,
		    const struct cfg_listen *b);
/*
 * Is l a TCP listener that only this machine can reach (127.0.0.0/8,
 * ::1)?  One on every address, or any other, can be reached from a
 * network, and needs tls or insecure = yes.
 */
int		 config_listen_loopback(const struct cfg_listen *l);
/* Free what config_listen allocated in l (not l itself). */
void		 config_listen_clear(struct cfg_listen *l);

#endif
