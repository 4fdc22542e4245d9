/*
 * test-config: table tests for the configuration file parser
 * (src/daemon/config.c).
 *
 * Good files are parsed and their values checked, defaults included; bad
 * files must fail with exactly the expected "FILE:LINE: reason" and no
 * config.  Then the digests (what a SIGHUP compares), config_load on real
 * files, and the edges of config_size, config_duration_ms and
 * config_listen.  Every test case counts once; the program ends with a
 * line "N passed, N failed" and exits 1 if anything failed.  Run under
 * ASan, every failing parse also shows it frees what it built.
 *
 * The tests assume the user and group "root" (0) exist and that the
 * names "ttyhub-no-such-user" and "ttyhub-no-such-group" do not.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/daemon/config.h"
#include "../../src/daemon/config-kind.h"
#include "../../src/daemon/config-table.h"

#define FILENAME	"t.conf"

static int		 npass, nfail;
static const char	*current;	/* the test case running */
static int		 current_failed;

static void __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list	ap;

	printf("FAIL %s: ", current);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	current_failed = 1;
}

static void
begin(const char *name)
{
	current = name;
	current_failed = 0;
}

static void
end(void)
{
	if (current_failed) {
		nfail++;
	} else {
		npass++;
	}
}

#define EXPECT(c) do {							\
	if (!(c)) {							\
		fail("line %d: %s", __LINE__, #c);			\
	}								\
} while (0)

#define EXPECT_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp(a_, b_) != 0) { \
		fail("line %d: %s is \"%s\", not \"%s\"", __LINE__, #a,	\
		    a_ != NULL ? a_ : "(null)", b_ != NULL ? b_ : "(null)"); \
	}								\
} while (0)

#define EXPECT_NUM(a, b) do {						\
	unsigned long long a_ = (unsigned long long)(a);		\
	unsigned long long b_ = (unsigned long long)(b);		\
	if (a_ != b_) {							\
		fail("line %d: %s is %llu, not %llu", __LINE__, #a, a_, b_); \
	}								\
} while (0)

/* Parse text that must be good; NULL (after a FAIL) if it is not. */
static struct config *
parse_good(const char *text)
{
	struct config	*c;
	char		 err[1024];

	if (config_parse(FILENAME, text, &c, err, sizeof err) == -1) {
		fail("unexpected error: %s", err);
		return NULL;
	}
	if (c == NULL) {
		fail("no config returned");
	}
	return c;
}

/* Good files. */

static void
good_serial_defaults(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];

	EXPECT_NUM(c->nconsoles, 1);
	EXPECT_STR(k->name, "board1");
	EXPECT_STR(k->file, FILENAME);
	EXPECT_NUM(k->line, 1);
	EXPECT_NUM(k->type, CFG_BACKEND_SERIAL);
	EXPECT_STR(k->device, "/dev/ttyUSB0");
	EXPECT_NUM(k->baud, 115200);
	EXPECT_NUM(k->data_bits, 8);
	EXPECT_NUM(k->parity, CFG_PARITY_NONE);
	EXPECT_NUM(k->stop_bits, 1);
	EXPECT_NUM(k->flow, CFG_FLOW_NONE);
	EXPECT_NUM(k->telnet, 0);
	EXPECT(k->argv[0] == NULL);
	EXPECT_STR(k->dir, "/");
	EXPECT_NUM(k->restart, 1);
	EXPECT_NUM(k->restart_ms, 1000);
	EXPECT_NUM(k->cols, 80);
	EXPECT_NUM(k->rows, 24);
	EXPECT(k->link == NULL && k->path == NULL && k->host == NULL);
	EXPECT_NUM(k->nlisten, 0);
	EXPECT_NUM(k->unix_mode, 0600);
	EXPECT_NUM(k->unix_owner, (uid_t)-1);
	EXPECT_NUM(k->unix_group, (gid_t)-1);
	EXPECT_NUM(k->rw.set, 0);
	EXPECT_NUM(k->ro.set, 0);
	EXPECT_NUM(k->writers_one, 0);
	EXPECT_NUM(k->replay, 64 * 1024);
	EXPECT_NUM(k->backlog, 1024 * 1024);
	EXPECT_NUM(k->slow_disconnect, 0);
	EXPECT_NUM(k->notices, 1);
	EXPECT(k->log == NULL);
	EXPECT_NUM(k->log_timestamps, 0);
	/* No [ttyhubd]: its defaults. */
	EXPECT_NUM(c->nbroker, 0);
	EXPECT(c->broker_unix == NULL);
	EXPECT_NUM(c->broker_unix_off, 0);
	EXPECT_NUM(c->broker_unix_mode, 0600);
	EXPECT_NUM(c->max_clients, 1024);
	EXPECT_NUM(c->nlogins, 0);
	EXPECT_STR(c->file, FILENAME);
	EXPECT(config_console(c, "board1") == k);
	EXPECT(config_console(c, "board2") == NULL);
}

static void
good_serial_full(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];

	EXPECT_NUM(k->baud, 9600);
	EXPECT_NUM(k->data_bits, 7);
	EXPECT_NUM(k->parity, CFG_PARITY_EVEN);
	EXPECT_NUM(k->stop_bits, 2);
	EXPECT_NUM(k->flow, CFG_FLOW_RTSCTS);
	EXPECT_NUM(k->writers_one, 1);
	EXPECT_NUM(k->replay, 0);
	EXPECT_NUM(k->backlog, 4096);
	EXPECT_NUM(k->slow_disconnect, 1);
	EXPECT_NUM(k->notices, 0);
	EXPECT_STR(k->log, "/var/log/ttyhub/board1.log");
	EXPECT_NUM(k->log_timestamps, 1);
	EXPECT_NUM(c->consoles[1].parity, CFG_PARITY_ODD);
	EXPECT_NUM(c->consoles[1].flow, CFG_FLOW_XONXOFF);
	EXPECT_NUM(c->consoles[1].baud, 4000000);
	EXPECT_NUM(c->consoles[1].data_bits, 5);
	EXPECT_NUM(c->consoles[1].backlog, (size_t)1024 * 1024 * 1024);
	EXPECT_NUM(c->consoles[1].replay, 64 * 1024 * 1024);
	EXPECT_NUM(c->consoles[2].parity, CFG_PARITY_MARK);
	EXPECT_NUM(c->consoles[2].baud, 50);
	EXPECT_NUM(c->consoles[3].parity, CFG_PARITY_SPACE);
}

static void
good_unix_listeners(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];
	const struct cfg_listen		*l = k->listen;

	EXPECT_NUM(k->type, CFG_BACKEND_UNIX);
	EXPECT_STR(k->path, "/run/vm1.sock");
	EXPECT_NUM(k->telnet, 1);
	EXPECT_NUM(k->nlisten, 7);

	EXPECT_NUM(l[0].kind, CFG_LISTEN_TELNET);
	EXPECT_STR(l[0].host, "127.0.0.1");
	EXPECT_NUM(l[0].port, 7001);
	EXPECT_NUM(l[0].telnet, 1);
	EXPECT(l[0].path == NULL);
	EXPECT_NUM(l[0].ro, 0);
	EXPECT_NUM(l[0].noreplay, 0);

	EXPECT_STR(l[1].host, "::1");
	EXPECT_NUM(l[1].port, 7002);
	EXPECT_NUM(l[1].ro, 1);

	EXPECT(l[2].host == NULL);
	EXPECT_NUM(l[2].port, 7003);
	EXPECT_NUM(l[2].noreplay, 1);
	EXPECT_NUM(l[2].ro, 1);

	EXPECT_STR(l[3].host, "10.0.0.1");
	EXPECT_NUM(l[3].port, 7004);

	EXPECT_NUM(l[4].kind, CFG_LISTEN_RAW);
	EXPECT_NUM(l[4].telnet, 0);
	EXPECT_STR(l[4].host, "127.0.0.1");
	EXPECT_NUM(l[4].port, 7005);

	/* unix-mode/owner/group came after these, and still apply. */
	EXPECT_NUM(l[5].kind, CFG_LISTEN_UNIX);
	EXPECT_STR(l[5].path, "/run/ttyhub/vm1.sock");
	EXPECT_NUM(l[5].telnet, 1);
	EXPECT_NUM(l[5].mode, 0660);
	EXPECT_NUM(l[5].owner, 0);
	EXPECT_NUM(l[5].group, 0);
	EXPECT(l[5].host == NULL);

	EXPECT_STR(l[6].path, "/run/ttyhub/vm1-raw.sock");
	EXPECT_NUM(l[6].telnet, 0);
	EXPECT_NUM(l[6].ro, 1);
	EXPECT_NUM(l[6].noreplay, 1);
	EXPECT_NUM(l[6].mode, 0660);

	EXPECT_NUM(k->unix_mode, 0660);
	EXPECT_NUM(k->unix_owner, 0);
	EXPECT_NUM(k->unix_group, 0);

	/* The TCP listeners keep no unix settings. */
	EXPECT_NUM(l[0].mode, 0);
	EXPECT_NUM(l[0].owner, (uid_t)-1);
	EXPECT_NUM(l[0].group, (gid_t)-1);
}

static void
good_tcp(const struct config *c)
{
	EXPECT_NUM(c->nconsoles, 4);
	EXPECT_NUM(c->consoles[0].type, CFG_BACKEND_TCP);
	EXPECT_STR(c->consoles[0].host, "ts1.lab.example");
	EXPECT_NUM(c->consoles[0].port, 7001);
	EXPECT_NUM(c->consoles[0].telnet, 1);
	EXPECT_STR(c->consoles[1].host, "192.0.2.10");
	EXPECT_NUM(c->consoles[1].port, 2001);
	EXPECT_NUM(c->consoles[1].telnet, 0);
	EXPECT_STR(c->consoles[2].host, "2001:db8::1");
	EXPECT_NUM(c->consoles[2].port, 65535);
	EXPECT_STR(c->consoles[3].host, "localhost");
	EXPECT_NUM(c->consoles[3].port, 1);
	/* telnet = off, and a Telnet listener in the same section */
	EXPECT_NUM(c->consoles[3].telnet, 0);
	EXPECT_NUM(c->consoles[3].nlisten, 1);
	EXPECT_NUM(c->consoles[3].listen[0].port, 7100);
}

static void
good_exec(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];
	static const char *const	 want[] = {
		"/bin/sh", "-c", "echo \"hi there\"", "a\"b", "back slash",
		"", "$HOME", "x\\y", "it's", "a'b\"c", "tab\there", ";", "#",
		NULL
	};
	size_t				 i;

	EXPECT_NUM(k->type, CFG_BACKEND_EXEC);
	for (i = 0; want[i] != NULL; i++) {
		EXPECT_STR(k->argv[i], want[i]);
	}
	EXPECT(k->argv[i] == NULL);
	EXPECT_STR(k->dir, "/srv/app");
	EXPECT_NUM(k->restart, 0);
	EXPECT_NUM(k->restart_ms, 250);
	EXPECT_NUM(k->cols, 132);
	EXPECT_NUM(k->rows, 43);
	EXPECT_NUM(k->uid, (uid_t)-1);
	EXPECT_NUM(k->gid, (gid_t)-1);
	EXPECT_NUM(k->ngroups, 0);
	EXPECT(k->groups == NULL && k->home == NULL);

	k = &c->consoles[1];
	EXPECT_STR(k->argv[0], "/usr/bin/top");
	EXPECT(k->argv[1] == NULL);
	EXPECT_NUM(k->restart, 1);
	EXPECT_NUM(k->restart_ms, 3600 * 1000);
	EXPECT_NUM(c->consoles[2].restart_ms, 0);
	EXPECT_NUM(c->consoles[3].restart_ms, 60 * 1000);
	EXPECT_NUM(c->consoles[3].cols, 4096);
	EXPECT_NUM(c->consoles[3].rows, 1);
}

/* user = and group =, resolved when the file is read (we run as root). */
static void
good_exec_user(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];
	size_t				 i;
	int				 zero = 0;

	EXPECT_NUM(k->uid, 0);
	EXPECT_NUM(k->gid, 0);
	EXPECT_STR(k->home, "/root");
	for (i = 0; i < k->ngroups; i++) {
		zero |= k->groups[i] == 0;
	}
	EXPECT(k->ngroups >= 1 && zero);
	k = &c->consoles[1];
	EXPECT_NUM(k->uid, 0);
	EXPECT_NUM(k->gid, 4242);
	EXPECT_STR(k->home, "/root");
	k = &c->consoles[2];
	EXPECT_NUM(k->uid, 4242424);
	EXPECT_NUM(k->gid, 4242);
	EXPECT_NUM(k->ngroups, 1);
	EXPECT_NUM(k->groups[0], 4242);
	EXPECT(k->home == NULL);
	k = &c->consoles[3];
	EXPECT_NUM(k->uid, (uid_t)-1);
	EXPECT_NUM(k->gid, 0);
	EXPECT_NUM(k->ngroups, 1);
	EXPECT_NUM(k->groups[0], 0);
	EXPECT(k->home == NULL);
	EXPECT(c->consoles[0].digest != c->consoles[1].digest);
}

static void
good_exec_max_words(const struct config *c)
{
	size_t	i;

	for (i = 0; i < CFG_ARGV_MAX; i++) {
		EXPECT(c->consoles[0].argv[i] != NULL);
	}
	EXPECT(c->consoles[0].argv[CFG_ARGV_MAX] == NULL);
}

static void
good_pty(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];

	EXPECT_NUM(k->type, CFG_BACKEND_PTY);
	EXPECT_STR(k->link, "/run/ttyhub/qemu-vm2");
	EXPECT_NUM(k->cols, 100);
	EXPECT_NUM(k->rows, 30);
}

static void
good_acl(const struct config *c)
{
	const struct cfg_console	*k = &c->consoles[0];

	EXPECT_NUM(k->rw.set, 1);
	EXPECT_NUM(k->rw.nuids, 2);
	EXPECT_NUM(k->rw.uids[0], 0);
	EXPECT_NUM(k->rw.uids[1], 1000);
	EXPECT_NUM(k->rw.ngids, 2);
	EXPECT_NUM(k->rw.gids[0], 0);
	EXPECT_NUM(k->rw.gids[1], 4242);
	EXPECT_NUM(k->ro.set, 1);
	EXPECT_NUM(k->ro.nuids, 0);
	EXPECT_NUM(k->ro.ngids, 1);
	EXPECT_NUM(k->ro.gids[0], 0);
}

static void
good_login(const struct config *c)
{
	const struct cfg_login	*l = &c->logins[0];

	EXPECT_NUM(c->nlogins, 2);
	EXPECT_NUM(c->nconsoles, 0);
	EXPECT_STR(l->name, "shell");
	EXPECT_NUM(l->line, 1);
	EXPECT_NUM(l->nlisten, 2);
	EXPECT_NUM(l->listen[0].kind, CFG_LISTEN_TELNET);
	EXPECT_STR(l->listen[0].host, "127.0.0.1");
	EXPECT_NUM(l->listen[0].port, 2323);
	EXPECT(l->listen[1].host == NULL);
	EXPECT_NUM(l->listen[1].port, 23);
	EXPECT_STR(l->program, "/bin/sh");
	EXPECT_STR(l->issue, "/dev/null");
	EXPECT_STR(l->accept_env[0], "LANG");
	EXPECT_STR(l->accept_env[1], "LC_ALL");
	EXPECT_STR(l->accept_env[2], "_X9");
	EXPECT(l->accept_env[3] == NULL);
	EXPECT_NUM(l->close_on_exit, 1);

	l = &c->logins[1];
	EXPECT_STR(l->name, "login");
	EXPECT_STR(l->program, "/bin/login");
	EXPECT_STR(l->issue, "/etc/issue.net");
	EXPECT(l->accept_env[0] == NULL);
	EXPECT_NUM(l->close_on_exit, 0);
	EXPECT_STR(l->listen[0].host, "::");
	EXPECT_NUM(l->listen[0].port, 2324);
}

static void
good_daemon(const struct config *c)
{
	EXPECT_NUM(c->nbroker, 3);
	EXPECT_STR(c->broker[0].host, "127.0.0.1");
	EXPECT_NUM(c->broker[0].port, 7000);
	EXPECT_NUM(c->broker[0].telnet, 1);
	EXPECT_NUM(c->broker[0].kind, CFG_LISTEN_TELNET);
	EXPECT_STR(c->broker[1].host, "::1");
	EXPECT_NUM(c->broker[1].ro, 1);
	EXPECT(c->broker[2].host == NULL);
	EXPECT_NUM(c->broker[2].port, 7010);
	EXPECT_STR(c->broker_unix, "/run/ttyhub/broker.sock");
	EXPECT_NUM(c->broker_unix_off, 0);
	EXPECT_NUM(c->broker_unix_mode, 0660);
	EXPECT_NUM(c->broker_unix_group, 0);
	EXPECT_NUM(c->max_clients, 65536);
}

static void
good_daemon_off(const struct config *c)
{
	EXPECT(c->nbroker == 0);
	EXPECT(c->broker_unix == NULL);
	EXPECT_NUM(c->broker_unix_off, 1);
	EXPECT(c->broker_unix_group == (gid_t)-1);
	EXPECT_NUM(c->max_clients, 1);
	EXPECT_NUM(c->nbroker, 0);
}

static void
good_syntax(const struct config *c)
{
	EXPECT_NUM(c->nconsoles, 3);
	EXPECT_STR(c->consoles[0].name, "a.b_c-9");
	EXPECT_NUM(c->consoles[0].line, 5);
	EXPECT_STR(c->consoles[0].device, "/dev/ttyS0");
	EXPECT_NUM(c->consoles[0].baud, 57600);
	/* Comments only start lines: these are values. */
	EXPECT_STR(c->consoles[0].log, "/var/log/a;b #c");
	EXPECT_STR(c->consoles[1].name, "x");
	EXPECT_NUM(c->consoles[1].type, CFG_BACKEND_PTY);
	EXPECT_STR(c->consoles[2].name,
	    "N123456789012345678901234567890123456789012345678901234567890123");
	EXPECT_NUM(c->consoles[2].line, 15);
	EXPECT_NUM(c->max_clients, 7);
}

static void
good_empty(const struct config *c)
{
	EXPECT_NUM(c->nconsoles, 0);
	EXPECT_NUM(c->nlogins, 0);
	EXPECT(c->consoles == NULL && c->logins == NULL);
	EXPECT_NUM(c->max_clients, 1024);
}

static void
good_many(const struct config *c)
{
	EXPECT_NUM(c->nconsoles, 100);
	EXPECT_STR(c->consoles[99].name, "c99");
	EXPECT_NUM(c->consoles[99].listen[0].port, 10099);
	EXPECT(config_console(c, "c57") == &c->consoles[57]);
}

static void
good_bool(const struct config *c)
{
	EXPECT_NUM(c->consoles[0].log_timestamps, 1);
	EXPECT_NUM(c->consoles[0].notices, 1);
	EXPECT_NUM(c->consoles[0].restart, 1);
	EXPECT_NUM(c->consoles[1].log_timestamps, 0);
	EXPECT_NUM(c->consoles[1].notices, 0);
	EXPECT_NUM(c->consoles[1].restart, 0);
	EXPECT_NUM(c->consoles[2].log_timestamps, 1);
	EXPECT_NUM(c->consoles[2].notices, 0);
	EXPECT_NUM(c->consoles[3].telnet, 1);
	EXPECT_NUM(c->consoles[4].telnet, 0);
}

static void
good_max_listeners(const struct config *c)
{
	EXPECT_NUM(c->consoles[0].nlisten, CFG_LISTEN_MAX);
	EXPECT_NUM(c->consoles[0].listen[CFG_LISTEN_MAX - 1].kind,
	    CFG_LISTEN_UNIX);
}

static void
good_network_defaults(const struct config *c)
{
	const struct cfg_network	*n = &c->networks[0];

	EXPECT_NUM(c->nnetworks, 1);
	EXPECT(config_network(c, "lan") == n);
	EXPECT(config_network(c, "wan") == NULL);
	EXPECT_NUM(n->line, 1);
	EXPECT_NUM(n->nstream, 1);
	EXPECT_NUM(n->stream[0].kind, CFG_LISTEN_UNIX);
	EXPECT_STR(n->stream[0].path, "/run/lan.sock");
	EXPECT_NUM(n->stream[0].mode, 0600);
	EXPECT_NUM(n->stream[0].telnet, 0);
	EXPECT_NUM(n->ndgram, 0);
	EXPECT_NUM(n->hub, 0);
	EXPECT_NUM(n->mtu, 1500);
	EXPECT_NUM(n->ageing_ms, 300000);
	EXPECT_NUM(n->dgram_ageing_ms, 3600000);
	EXPECT_NUM(n->max_ports, 64);
	EXPECT_NUM(n->max_macs, 4096);
	EXPECT_NUM(n->queue, 512 * 1024);
	EXPECT_NUM(n->queue_frames, 1024);
	EXPECT(n->pcap == NULL);
	EXPECT_NUM(n->pcap_size, 1024 * 1024 * 1024);
	EXPECT_NUM(n->unix_owner, (uid_t)-1);
	EXPECT_NUM(n->unix_group, (gid_t)-1);
}

/* Ports given on several lines, of both kinds and both families. */
static void
good_network_ports(const struct config *c)
{
	const struct cfg_network	*n = &c->networks[0];

	EXPECT_NUM(n->nstream, 3);
	EXPECT_NUM(n->stream[0].kind, CFG_LISTEN_RAW);
	EXPECT_STR(n->stream[0].host, "127.0.0.1");
	EXPECT_NUM(n->stream[0].port, 7100);
	EXPECT_NUM(n->stream[0].telnet, 0);
	EXPECT_NUM(n->stream[1].kind, CFG_LISTEN_UNIX);
	EXPECT_STR(n->stream[1].path, "/run/a.sock");
	EXPECT_NUM(n->stream[1].mode, 0660);
	EXPECT_NUM(n->stream[1].group, 0);
	EXPECT_STR(n->stream[2].host, "::1");
	EXPECT_NUM(n->ndgram, 2);
	EXPECT_NUM(n->dgram[0].kind, CFG_LISTEN_UNIX);
	EXPECT_STR(n->dgram[0].path, "/run/a.dgram");
	EXPECT_NUM(n->dgram[0].mode, 0660);
	EXPECT_NUM(n->dgram[1].kind, CFG_LISTEN_RAW);
	EXPECT_NUM(n->dgram[1].port, 7100);	/* UDP: not the TCP one */
	EXPECT_NUM(n->hub, 1);
	EXPECT_NUM(n->mtu, 9000);
	EXPECT_NUM(n->ageing_ms, 0);
	EXPECT_NUM(n->dgram_ageing_ms, 600000);
	EXPECT_NUM(n->queue, 64 * 1024);
	EXPECT_STR(n->pcap, "/var/log/lan.pcap");
	EXPECT_NUM(n->pcap_size, 10 * 1024 * 1024);
	EXPECT_NUM(c->nconsoles, 1);
}

/* vm1 (port 0), agent (port 2), and vm1.1, vm1.3 made for the rest. */
static void
good_vhost_ports(const struct config *c)
{
	const struct cfg_console	*d, *a, *p1, *p3;

	EXPECT_NUM(c->nconsoles, 4);
	d = config_console(c, "vm1");
	a = config_console(c, "agent");
	p1 = config_console(c, "vm1.1");
	p3 = config_console(c, "vm1.3");
	if (d == NULL || a == NULL || p1 == NULL || p3 == NULL) {
		fail("consoles vm1, agent, vm1.1 and vm1.3 expected");
		return;
	}
	EXPECT_NUM(d->type, CFG_BACKEND_VHOST);
	EXPECT_NUM(d->ports, 4);
	EXPECT_NUM(d->resize_legacy, 1);
	EXPECT(d->port_name == NULL && !d->generated);
	EXPECT_NUM(a->type, CFG_BACKEND_VPORT);
	EXPECT_STR(a->vport_of, "vm1");
	EXPECT_NUM(a->vport, 2);
	EXPECT_STR(a->port_name, "org.qemu.guest_agent.0");
	EXPECT_NUM(a->console_port, 1);
	EXPECT(!a->generated);
	/* Every port has the device's socket, ports and RESIZE order. */
	EXPECT_STR(a->path, "/run/vm1.vhost");
	EXPECT_NUM(a->ports, 4);
	EXPECT_NUM(a->resize_legacy, 1);
	/* A section's own settings stay its own. */
	EXPECT_NUM(a->writers_one, 0);
	EXPECT_NUM(a->cols, 80);
	EXPECT_NUM(p1->type, CFG_BACKEND_VPORT);
	EXPECT_STR(p1->vport_of, "vm1");
	EXPECT_NUM(p1->vport, 1);
	EXPECT_NUM(p3->vport, 3);
	EXPECT(p1->generated && p3->generated);
	EXPECT(p1->port_name == NULL && p1->console_port == 0);
	EXPECT_STR(p1->path, "/run/vm1.vhost");
	EXPECT_NUM(p1->resize_legacy, 1);
	/* Made ports: who may attach as on the device, no listener or log. */
	EXPECT_NUM(p1->rw.nuids, 1);
	EXPECT_NUM(p1->rw.uids[0], 4242);
	EXPECT_NUM(p1->writers_one, 1);
	EXPECT_NUM(p1->cols, 100);
	EXPECT_NUM(p1->rows, 30);
	EXPECT_NUM(p1->nlisten, 0);
	EXPECT(p1->log == NULL);
	EXPECT(p1->digest != p3->digest && p1->digest != a->digest);
}

struct good {
	const char	*name;
	const char	*text;
	void		(*check)(const struct config *);
};

static const struct good goods[] = {
	{ "serial defaults",
	  "[console board1]\n"
	  "type = serial\n"
	  "device = /dev/ttyUSB0\n",
	  good_serial_defaults },
	{ "serial every key",
	  "[console board1]\n"
	  "log-timestamps = yes\n"
	  "baud = 9600\n"
	  "data-bits = 7\n"
	  "parity = even\n"
	  "stop-bits = 2\n"
	  "flow = rtscts\n"
	  "writers = one\n"
	  "replay = 0\n"
	  "backlog = 4k\n"
	  "slow = disconnect\n"
	  "notices = no\n"
	  "log = /var/log/ttyhub/board1.log\n"
	  "device = /dev/ttyUSB0\n"
	  "type = serial\n"
	  "[console board2]\n"
	  "type = serial\n"
	  "device = /dev/ttyUSB1\n"
	  "parity = odd\n"
	  "flow = xonxoff\n"
	  "baud = 4000000\n"
	  "data-bits = 5\n"
	  "backlog = 1g\n"
	  "replay = 64m\n"
	  "[console board3]\n"
	  "type = serial\n"
	  "device = /dev/ttyUSB2\n"
	  "parity = mark\n"
	  "baud = 50\n"
	  "[console board4]\n"
	  "type = serial\n"
	  "device = /dev/ttyUSB3\n"
	  "parity = space\n",
	  good_serial_full },
	{ "unix backend, every kind of listener",
	  "[console vm1]\n"
	  "telnet = 7001 [::1]:7002,ro *:7003,noreplay,ro 10.0.0.1:7004\n"
	  "raw = 7005\n"
	  "unix = /run/ttyhub/vm1.sock /run/ttyhub/vm1-raw.sock,raw,ro,"
	  "noreplay\n"
	  "type = unix\n"
	  "path = /run/vm1.sock\n"
	  "telnet = yes\n"
	  "unix-mode = 0660\n"
	  "unix-owner = root\n"
	  "unix-group = 0\n"
	  "insecure = yes\n",
	  good_unix_listeners },
	{ "tcp backends",
	  "[console ts1-port1]\n"
	  "type = tcp\n"
	  "address = ts1.lab.example:7001\n"
	  "telnet = on\n"
	  "[console v4]\n"
	  "type = tcp\n"
	  "address = 192.0.2.10:2001\n"
	  "[console v6]\n"
	  "type = tcp\n"
	  "address = [2001:db8:0::1]:65535\n"
	  "[console local]\n"
	  "type = tcp\n"
	  "address = localhost:1\n"
	  "telnet = off\n"
	  "telnet = 7100\n",
	  good_tcp },
	{ "exec with quoting",
	  "[console app]\n"
	  "type = exec\n"
	  "command = /bin/sh -c 'echo \"hi there\"' \"a\\\"b\" back\\ slash"
	  " '' $HOME \"x\\y\" it\\'s 'a'\\''b'\"\\\"c\" \"tab\there\" ; #\n"
	  "directory = /srv/app\n"
	  "restart = no\n"
	  "restart-delay = 250ms\n"
	  "size = 132x43\n"
	  "[console top]\n"
	  "type = exec\n"
	  "command =   /usr/bin/top\t\n"
	  "restart-delay = 3600s\n"
	  "[console zero]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "restart-delay = 0\n"
	  "[console minute]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "restart-delay = 1m\n"
	  "size = 4096x1\n",
	  good_exec },
	{ "exec as a user",
	  "[console byname]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "user = root\n"
	  "[console regroup]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "user = 0\n"
	  "group = 4242\n"
	  "[console nopasswd]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "group = 4242\n"
	  "user = 4242424\n"
	  "[console grouponly]\n"
	  "type = exec\n"
	  "command = /bin/true\n"
	  "group = root\n",
	  good_exec_user },
	{ "pty",
	  "[console vm2]\n"
	  "type = pty\n"
	  "link = /run/ttyhub/qemu-vm2\n"
	  "size = 100x30\n",
	  good_pty },
	{ "rw and ro lists",
	  "[console vm1]\n"
	  "type = unix\n"
	  "path = /run/vm1.sock\n"
	  "rw = root @root 1000 @4242\n"
	  "ro = @0\n",
	  good_acl },
	{ "login services",
	  "[login shell]\n"
	  "listen = 2323 *:23\n"
	  "program = /bin/sh\n"
	  "issue = /dev/null\n"
	  "accept-env = LANG LC_ALL _X9\n"
	  "close-on-exit = yes\n"
	  "insecure = yes\n"
	  "[login login]\n"
	  "listen = [::]:2324\n"
	  "insecure = yes\n",
	  good_login },
	{ "[ttyhubd]",
	  "[ttyhubd]\n"
	  "broker = 7000 [::1]:7000,ro *:7010\n"
	  "broker-unix = /run/ttyhub/broker.sock\n"
	  "broker-unix-mode = 660\n"
	  "broker-unix-group = 0\n"
	  "max-clients = 65536\n"
	  "insecure = yes\n",
	  good_daemon },
	{ "[ttyhubd] without a broker socket",
	  "[ttyhubd]\n"
	  "broker = none\n"
	  "broker-unix = none\n"
	  "max-clients = 1\n",
	  good_daemon_off },
	{ "comments, blanks, CR LF, BOM, spacing",
	  "\xef\xbb\xbf# a comment\r\n"
	  "; another\r\n"
	  "   # indented comment\n"
	  "\n"
	  "  [ console   a.b_c-9 ]  \r\n"
	  "\ttype\t=\tserial\t\n"
	  "device=/dev/ttyS0\n"
	  "  baud   =   57600\n"
	  "log = /var/log/a;b #c\n"
	  "[console x]\n"
	  "type = pty\n"
	  "link = /run/x\n"
	  "[ttyhubd]\n"
	  "max-clients=7\n"
	  "[console N123456789012345678901234567890123456789012345678901234"
	  "567890123]\n"
	  "type = pty\n"
	  "link = /run/y\n",
	  good_syntax },
	{ "an empty file", "", good_empty },
	{ "only comments", "# nothing\n;\n\n", good_empty },
	{ "booleans",
	  "[console a]\ntype = exec\ncommand = /bin/a\n"
	  "log-timestamps = true\nnotices = on\nrestart = 1\n"
	  "[console b]\ntype = exec\ncommand = /bin/b\n"
	  "log-timestamps = false\nnotices = off\nrestart = 0\n"
	  "[console c]\ntype = exec\ncommand = /bin/c\n"
	  "log-timestamps = yes\nnotices = no\n"
	  "[console d]\ntype = unix\npath = /run/d\ntelnet = true\n"
	  "[console e]\ntype = tcp\naddress = e:1\ntelnet = no\n",
	  good_bool },
	{ "sixteen listeners in one section",
	  "[console a]\ntype = pty\nlink = /run/a\n"
	  "telnet = 1 2 3 4 5 6\nraw = 7 8 9 10 11 12\n"
	  "unix = /run/u1 /run/u2 /run/u3 /run/u4\n",
	  good_max_listeners },
	{ "a vhost-user device of four ports",
	  "[console vm1]\n"
	  "type = vhost-user\n"
	  "path = /run/vm1.vhost\n"
	  "ports = 4\n"
	  "size = 100x30\n"
	  "rw = 4242\n"
	  "writers = one\n"
	  "raw = 7001\n"
	  "log = /var/log/vm1.log\n"
	  "resize-order = legacy\n"
	  "[console agent]\n"
	  "type = vhost-port\n"
	  "port = vm1:2\n"
	  "port-name = org.qemu.guest_agent.0\n"
	  "console-port = yes\n",
	  good_vhost_ports },
	{ "no newline at the end",
	  "[console board1]\ntype = serial\ndevice = /dev/ttyUSB0",
	  good_serial_defaults },
	{ "network defaults",
	  "[network lan]\n"
	  "stream = /run/lan.sock\n",
	  good_network_defaults },
	{ "network ports on several lines",
	  "[network lan]\n"
	  "stream = 7100 /run/a.sock\n"
	  "dgram = /run/a.dgram\n"
	  "mode = hub\n"
	  "stream = [::1]:7100\n"
	  "dgram = 7100\n"
	  "mtu = 9000\n"
	  "ageing = 0\n"
	  "dgram-ageing = 10m\n"
	  "queue = 64k\n"
	  "pcap = /var/log/lan.pcap\n"
	  "pcap-size = 10m\n"
	  "unix-mode = 0660\n"
	  "unix-group = 0\n"
	  "[console lan]\n"
	  "type = pty\n"
	  "link = /run/lan\n",
	  good_network_ports },
};

static void
run_goods(void)
{
	struct config	*c;
	size_t		 i;

	for (i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		begin(goods[i].name);
		if ((c = parse_good(goods[i].text)) != NULL) {
			goods[i].check(c);
			config_free(c);
		}
		end();
	}
}

/* Generated good files. */

static char *
repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t	 len = strlen(prefix) + strlen(unit) * n + strlen(suffix) + 1;
	char	*s, *p;
	size_t	 i;

	if ((s = malloc(len)) == NULL) {
		perror("malloc");
		exit(1);
	}
	p = s;
	memcpy(p, prefix, strlen(prefix));
	p += strlen(prefix);
	for (i = 0; i < n; i++) {
		memcpy(p, unit, strlen(unit));
		p += strlen(unit);
	}
	memcpy(p, suffix, strlen(suffix) + 1);
	return s;
}

static void
run_generated_goods(void)
{
	struct config	*c;
	char		*text, *p, line[128];
	size_t		 i, cap = 100 * 128;

	begin("64 words of a command");
	text = repeat("[console a]\ntype = exec\ncommand = /bin/echo", " w",
	    CFG_ARGV_MAX - 1, "\n");
	if ((c = parse_good(text)) != NULL) {
		good_exec_max_words(c);
		config_free(c);
	}
	free(text);
	end();

	begin("a line of exactly CFG_LINE_MAX bytes");
	text = repeat("[console a]\ntype = exec\ncommand = /bin/echo ", "x",
	    CFG_LINE_MAX - strlen("command = /bin/echo "), "\n");
	if ((c = parse_good(text)) != NULL) {
		EXPECT_NUM(strlen(c->consoles[0].argv[1]),
		    CFG_LINE_MAX - strlen("command = /bin/echo "));
		config_free(c);
	}
	free(text);
	end();

	begin("a hundred consoles");
	if ((text = malloc(cap)) == NULL) {
		perror("malloc");
		exit(1);
	}
	p = text;
	*p = '\0';
	for (i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "[console c%zu]\ntype = pty\n"
		    "link = /run/c%zu\ntelnet = %zu\n", i, i, 10000 + i);
		memcpy(p, line, strlen(line) + 1);
		p += strlen(line);
	}
	if ((c = parse_good(text)) != NULL) {
		good_many(c);
		config_free(c);
	}
	free(text);
	end();

	begin("64 accept-env names");
	text = repeat("[login a]\nlisten = 23\naccept-env =", " A_B",
	    CFG_ACL_MAX, "\n");
	if ((c = parse_good(text)) != NULL) {
		EXPECT_STR(c->logins[0].accept_env[CFG_ACL_MAX - 1], "A_B");
		EXPECT(c->logins[0].accept_env[CFG_ACL_MAX] == NULL);
		config_free(c);
	}
	free(text);
	end();

	begin("64 users and 64 groups");
	text = repeat("[console a]\ntype = pty\nlink = /run/a\nrw =", " 7 @8",
	    CFG_ACL_MAX, "\n");
	if ((c = parse_good(text)) != NULL) {
		EXPECT_NUM(c->consoles[0].rw.nuids, CFG_ACL_MAX);
		EXPECT_NUM(c->consoles[0].rw.ngids, CFG_ACL_MAX);
		config_free(c);
	}
	free(text);
	end();
}

/* Bad files: the exact message, with its line. */

struct bad {
	const char	*text;
	const char	*err;
};

#define SER	"[console a]\ntype = serial\ndevice = /dev/ttyS0\n"
#define EXE	"[console a]\ntype = exec\ncommand = /bin/sh\n"
#define PTY	"[console a]\ntype = pty\nlink = /run/a\n"
#define CA	"t.conf:4: console \"a\": "	/* a key after SER, EXE, PTY */

#define NET	"[network n]\nstream = /run/n.sock\n"
#define NN	"t.conf:3: network \"n\": "	/* a key after NET */

static const struct bad bads[] = {
	/* Networks. */
	{ "[network n]\nmode = hub\n",
	  "t.conf:1: network \"n\": no ports: give stream = ADDRESS or "
	  "dgram = ADDRESS (or both) for guests to join" },
	{ NET "unix-mode = 0660\n[network m]\ndgram = 7000\nunix-mode = 0660\n",
	  "t.conf:6: network \"m\": unix-mode, unix-owner and unix-group "
	  "need a unix socket (stream = PATH or dgram = PATH)" },
	{ NET "mtu = 9000\nqueue = 8k\n",
	  "t.conf:4: network \"n\": queue must hold one largest frame: at "
	  "least 9022 bytes for mtu = 9000" },
	{ NET "pcap-size = 1m\n",
	  NN "pcap-size is of no use without pcap = PATH" },
	{ NET "stream = 7000,ro\n",
	  NN "stream \"7000,ro\": a network's addresses take no options "
	  "(addresses are separated by blanks)" },
	{ NET "stream = /run/n.sock\n",
	  NN "stream \"/run/n.sock\": already used at line 2 (network "
	  "\"n\")" },
	{ NET "dgram = /run/n.sock\n",
	  NN "dgram \"/run/n.sock\": already used at line 2 (network "
	  "\"n\")" },
	{ NET "dgram = 7000\ndgram = 127.0.0.1:7000\n",
	  "t.conf:4: network \"n\": dgram \"127.0.0.1:7000\": "
	  "127.0.0.1:7000 is already used at line 3 (network \"n\")" },
	{ NET "stream = *:7000\n[console c]\ntype = pty\nlink = /run/c\n"
	  "telnet = 7000\n",
	  "t.conf:7: console \"c\": telnet \"7000\": 127.0.0.1:7000 "
	  "overlaps *:7000 at line 3 (network \"n\")" },
	{ NET "mode = bridge\n",
	  NN "mode \"bridge\": must be switch or hub" },
	{ NET "mtu = 67\n",
	  NN "mtu \"67\": must be a number from 68 to 65518" },
	{ NET "max-ports = 1\n",
	  NN "max-ports \"1\": must be a number from 2 to 4096" },
	{ NET "ageing = 25h\n",
	  NN "ageing \"25h\": must be a duration from 0 to 24h (0: never)" },
	{ NET "type = pty\n",
	  NN "unknown key \"type\"" },
	{ NET "mode = hub\nmode = switch\n",
	  "t.conf:4: network \"n\": duplicate key \"mode\" (first at "
	  "line 3)" },
	{ NET "[network n]\nstream = /run/m.sock\n",
	  "t.conf:3: duplicate network \"n\" (first defined at line 1)" },
	{ "[network]\n",
	  "t.conf:1: [network] needs a name: [network NAME]" },

	/* The lines themselves. */
	{ "[console a]\ntype = exec\x01\n",
	  "t.conf:2: control character 0x01 (only tabs and printable text "
	  "are allowed)" },
	{ "[console a]\ntype = exec\x7f\n",
	  "t.conf:2: control character 0x7f (only tabs and printable text "
	  "are allowed)" },
	{ "[console a]\ntype = ex\rec\n",
	  "t.conf:2: control character 0x0d (only tabs and printable text "
	  "are allowed)" },
	{ "[console a]\ntype exec\n",
	  "t.conf:2: syntax error (expected [section] or key = value)" },
	{ "[console a]\ntype: exec\n",
	  "t.conf:2: syntax error (expected [section] or key = value)" },
	{ "# hello\n[console a\ntype = exec\n",
	  "t.conf:2: syntax error (expected [section] or key = value)" },
	{ "[console a]\n= exec\n",
	  "t.conf:2: syntax error (expected [section] or key = value)" },
	{ "\n\ntype = exec\n",
	  "t.conf:3: key \"type\" before any section (start with [ttyhubd], "
	  "[console NAME], [login NAME] or [network NAME])" },

	/* Section headers. */
	{ "[consoles a]\n",
	  "t.conf:1: unknown section [consoles a] (expected [ttyhubd], "
	  "[console NAME], [login NAME] or [network NAME])" },
	{ "[]\n",
	  "t.conf:1: unknown section [] (expected [ttyhubd], "
	  "[console NAME], [login NAME] or [network NAME])" },
	{ "[console]\n",
	  "t.conf:1: [console] needs a name: [console NAME]" },
	{ "[login   ]\n",
	  "t.conf:1: [login] needs a name: [login NAME]" },
	{ "[console -a]\n",
	  "t.conf:1: console name \"-a\": use 1 to 64 letters, digits, '.', "
	  "'_' or '-', not starting with '.' or '-'" },
	{ "[console .a]\n",
	  "t.conf:1: console name \".a\": use 1 to 64 letters, digits, '.', "
	  "'_' or '-', not starting with '.' or '-'" },
	{ "[login a b]\n",
	  "t.conf:1: login name \"a b\": use 1 to 64 letters, digits, '.', "
	  "'_' or '-', not starting with '.' or '-'" },
	{ "[console a/b]\n",
	  "t.conf:1: console name \"a/b\": use 1 to 64 letters, digits, '.', "
	  "'_' or '-', not starting with '.' or '-'" },
	{ "[ttyhubd x]\n",
	  "t.conf:1: [ttyhubd] takes no name" },
	{ "[ttyhubd]\n[console a]\ntype = pty\nlink = /x\n[ttyhubd]\n",
	  "t.conf:5: duplicate [ttyhubd] (first at line 1)" },
	{ "[console vm1]\ntype = pty\nlink = /x\n\n[console vm1]\n",
	  "t.conf:5: duplicate console \"vm1\" (first defined at line 1)" },
	{ "[login a]\nlisten = 23\n[login a]\n",
	  "t.conf:3: duplicate login \"a\" (first defined at line 1)" },
	{ "[console a] # comment\n",
	  "t.conf:1: text after the section header's ] (comments go on "
	  "lines of their own)" },
	{ "[console a]\ntype = serial\n[console b] x\n",
	  "t.conf:1: console \"a\": missing key \"device\" (needed for type = "
	  "serial)" },

	/* Keys. */
	{ SER "type = exec\n",
	  CA "duplicate key \"type\" (first at line 2)" },
	{ SER "baudrate = 9600\n",
	  CA "unknown key \"baudrate\" (did you mean \"baud\"?)" },
	{ SER "data_bits = 8\n",
	  CA "unknown key \"data_bits\" (did you mean \"data-bits\"?)" },
	{ SER "colour = red\n",
	  CA "unknown key \"colour\"" },
	{ SER "logs = /var/log/a\n",
	  CA "unknown key \"logs\" (did you mean \"log\"?)" },
	{ SER "lg = /var/log/a\n",
	  CA "unknown key \"lg\" (did you mean \"log\"?)" },
	{ SER "xy = 1\n",
	  CA "unknown key \"xy\"" },
	{ SER "log-timestamp = yes\n",
	  CA "unknown key \"log-timestamp\" (did you mean "
	  "\"log-timestamps\"?)" },
	{ SER "timestamps = yes\n",
	  CA "unknown key \"timestamps\"" },
	{ SER "Type = serial\n",
	  CA "unknown key \"Type\" (did you mean \"type\"?)" },
	{ "[login a]\nlisten = 23\nprogramm = /bin/sh\n",
	  "t.conf:3: login \"a\": unknown key \"programm\" (did you mean "
	  "\"program\"?)" },
	{ "[ttyhubd]\nbaud = 9600\n",
	  "t.conf:2: [ttyhubd]: unknown key \"baud\"" },
	{ "[login a]\nlisten = 23\ntype = exec\n",
	  "t.conf:3: login \"a\": unknown key \"type\"" },

	/* Console types and what each needs. */
	{ "[console a]\nbaud = 9600\n",
	  "t.conf:1: console \"a\": missing key \"type\" (serial, unix, tcp, "
	  "exec, pty, vhost-user or vhost-port)" },
	{ "[console a]\ntype = vhost\n",
	  "t.conf:2: console \"a\": type \"vhost\": must be serial, unix, tcp, "
	  "exec, pty, vhost-user or vhost-port" },
	{ "[console a]\ntype = vhost-user\nsize = 100x30\n",
	  "t.conf:1: console \"a\": missing key \"path\" (needed for type = "
	  "vhost-user)" },
	/* vhost-user devices of several ports. */
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 17\n",
	  "t.conf:4: console \"a\": ports \"17\": must be a number from 1 "
	  "to 16" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 0\n",
	  "t.conf:4: console \"a\": ports \"0\": must be a number from 1 "
	  "to 16" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\n"
	  "resize-order = rows\n",
	  "t.conf:4: console \"a\": resize-order \"rows\": must be spec or "
	  "legacy" },
	{ "[console b]\ntype = vhost-port\n",
	  "t.conf:1: console \"b\": missing key \"port\" (needed for type = "
	  "vhost-port)" },
	{ "[console b]\ntype = vhost-port\nport = a\n",
	  "t.conf:3: console \"b\": port \"a\": write the vhost-user "
	  "console and the port's number, as in vm1:1" },
	{ "[console b]\ntype = vhost-port\nport = a:0\n",
	  "t.conf:3: console \"b\": port \"a:0\": the port is a number "
	  "from 1 to 15 (port 0 is the vhost-user console itself)" },
	{ "[console b]\ntype = vhost-port\nport = -a:1\n",
	  "t.conf:3: console \"b\": port \"-a:1\": \"-a\" is not a "
	  "console's name" },
	{ "[console b]\ntype = vhost-port\nport = a:1\npath = /run/b\n",
	  "t.conf:4: console \"b\": key \"path\" is only for type = unix or "
	  "vhost-user" },
	{ "[console b]\ntype = vhost-port\nport = a:1\nports = 2\n",
	  "t.conf:4: console \"b\": key \"ports\" is only for type = "
	  "vhost-user" },
	{ "[console b]\ntype = vhost-port\nport = a:1\n",
	  "t.conf:1: console \"b\": port = a:1: there is no vhost-user "
	  "console \"a\"" },
	{ "[console a]\ntype = exec\ncommand = /bin/cat\n"
	  "[console b]\ntype = vhost-port\nport = a:1\n",
	  "t.conf:4: console \"b\": port = a:1: there is no vhost-user "
	  "console \"a\"" },
	{ "[console b]\ntype = vhost-port\nport = a:2\n"
	  "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 2\n",
	  "t.conf:1: console \"b\": port = a:2: console \"a\" has 2 ports "
	  "(ports = in its section, line 4)" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\n"
	  "[console b]\ntype = vhost-port\nport = a:1\n",
	  "t.conf:4: console \"b\": port = a:1: console \"a\" has 1 port "
	  "(ports = in its section, line 1)" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 3\n"
	  "[console b]\ntype = vhost-port\nport = a:1\n"
	  "[console c]\ntype = vhost-port\nport = a:1\n",
	  "t.conf:8: console \"c\": port a:1 is console \"b\"'s already "
	  "(line 5)" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 3\n"
	  "[console b]\ntype = vhost-port\nport = a:1\nport-name = a\n",
	  "t.conf:5: console \"b\": the guest would see two ports of a named "
	  "\"a\" (the other is console \"a\"): give one another port-name" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 3\n"
	  "[console b]\ntype = vhost-port\nport = a:1\nport-name = a.2\n",
	  "t.conf:5: console \"b\": the guest would see two ports of a named "
	  "\"a.2\" (the other is console \"a.2\"): give one another "
	  "port-name" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nports = 2\n"
	  "[console a.1]\ntype = pty\nlink = /run/a1\n",
	  "t.conf:1: console \"a\": port 1 would be console \"a.1\", a name "
	  "already used: give the port a section (type = vhost-port, port = "
	  "a:1)" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\n"
	  "port-name = x/y\n",
	  "t.conf:4: console \"a\": port-name \"x/y\": use 1 to 64 letters, "
	  "digits, '.', '_' or '-', not starting with '.' or '-'" },
	{ "[console b]\ntype = vhost-port\nport = a:1\nconsole-port = maybe\n",
	  "t.conf:4: console \"b\": console-port \"maybe\": must be yes or no" },
	{ "[console a]\ntype = vhost-user\npath = /run/a.vhost\nlink = /x\n",
	  "t.conf:4: console \"a\": key \"link\" is only for type = pty" },
	{ "[console a]\ntype = serial\n[console b]\n",
	  "t.conf:1: console \"a\": missing key \"device\" (needed for type = "
	  "serial)" },
	{ "[console a]\ntype = unix\n",
	  "t.conf:1: console \"a\": missing key \"path\" (needed for type = "
	  "unix)" },
	{ "[console a]\n\ntype = tcp\n",
	  "t.conf:1: console \"a\": missing key \"address\" (needed for type = "
	  "tcp)" },
	{ "[console a]\ntype = exec\n",
	  "t.conf:1: console \"a\": missing key \"command\" (needed for type = "
	  "exec)" },
	{ "[console a]\ntype = pty\nsize = 80x25\n",
	  "t.conf:1: console \"a\": missing key \"link\" (needed for type = "
	  "pty)" },
	{ "[console a]\nbaud = 9600\ntype = exec\ncommand = /bin/sh\n",
	  "t.conf:2: console \"a\": key \"baud\" is only for type = serial" },
	{ SER "size = 80x24\n",
	  CA "key \"size\" is only for type = exec, pty, vhost-user or "
	  "vhost-port" },
	{ "[console a]\nlink = /x\ncommand = /bin/sh\ntype = exec\n",
	  "t.conf:2: console \"a\": key \"link\" is only for type = pty" },
	{ SER "telnet = yes\n",
	  CA "key \"telnet\" is only for type = unix or tcp (as yes or no; "
	  "telnet = ADDRESS adds a Telnet listener)" },
	{ PTY "restart = no\n",
	  CA "key \"restart\" is only for type = exec" },
	{ EXE "address = a:1\n",
	  CA "key \"address\" is only for type = tcp" },
	{ "[console a]\ntype = unix\npath = /x\ntelnet = 1\n",
	  CA "telnet \"1\": write yes or no for a Telnet backend, or "
	  "HOST:PORT for a listener" },

	/* Serial values. */
	{ SER "baud = 0\n",
	  CA "baud \"0\": must be a number from 50 to 4000000" },
	{ SER "baud = 4000001\n",
	  CA "baud \"4000001\": must be a number from 50 to 4000000" },
	{ SER "baud = 12345\n",
	  CA "baud \"12345\": not a speed termios has (the nearest are 9600 "
	  "and 19200)" },
	{ SER "baud = 9600 \t8N1\n",
	  CA "baud \"9600 \t8N1\": must be a number from 50 to 4000000" },
	{ SER "baud = -9600\n",
	  CA "baud \"-9600\": must be a number from 50 to 4000000" },
	{ SER "baud =\n",
	  CA "baud \"\": must be a number from 50 to 4000000" },
	{ SER "data-bits = 9\n",
	  CA "data-bits \"9\": must be 5, 6, 7 or 8" },
	{ SER "parity = n\n",
	  CA "parity \"n\": must be none, even, odd, mark or space" },
	{ SER "stop-bits = 1.5\n",
	  CA "stop-bits \"1.5\": must be 1 or 2" },
	{ SER "flow = hardware\n",
	  CA "flow \"hardware\": must be none, rtscts or xonxoff" },
	{ "[console a]\ntype = serial\ndevice = ttyS0\n",
	  "t.conf:3: console \"a\": device \"ttyS0\": must be an absolute "
	  "path" },

	/* unix, tcp backends. */
	{ "[console a]\ntype = unix\npath = vm1.sock\n",
	  "t.conf:3: console \"a\": path \"vm1.sock\": must be an absolute "
	  "path" },
	{ "[console a]\ntype = unix\npath = /run/"
	  "12345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890.sock\n",
	  "t.conf:3: console \"a\": path \"/run/123456789012345678901234567890"
	  "1234567890123456789012345...\": a socket path must be at most 107 "
	  "bytes" },
	{ "[console a]\ntype = tcp\naddress = ts1\n",
	  "t.conf:3: console \"a\": address \"ts1\": must be HOST:PORT" },
	{ "[console a]\ntype = tcp\naddress = ts1:0\n",
	  "t.conf:3: console \"a\": address \"ts1:0\": the port must be a "
	  "number from 1 to 65535" },
	{ "[console a]\ntype = tcp\naddress = ts1:65536\n",
	  "t.conf:3: console \"a\": address \"ts1:65536\": the port must be a "
	  "number from 1 to 65535" },
	{ "[console a]\ntype = tcp\naddress = ts_1:23\n",
	  "t.conf:3: console \"a\": address \"ts_1:23\": the host must be a "
	  "name, an IPv4 address or an IPv6 address between [ and ]" },
	{ "[console a]\ntype = tcp\naddress = ::1:23\n",
	  "t.conf:3: console \"a\": address \"::1:23\": an IPv6 address goes "
	  "between [ and ], as in [::1]:7001" },
	{ "[console a]\ntype = tcp\naddress = [::1:23\n",
	  "t.conf:3: console \"a\": address \"[::1:23\": missing ] after the "
	  "IPv6 address" },
	{ "[console a]\ntype = tcp\naddress = [zz]:23\n",
	  "t.conf:3: console \"a\": address \"[zz]:23\": not an IPv6 address "
	  "between [ and ]" },
	{ "[console a]\ntype = tcp\naddress = *:23\n",
	  "t.conf:3: console \"a\": address \"*:23\": the host must be a "
	  "name, an IPv4 address or an IPv6 address between [ and ]" },

	/* exec. */
	{ "[console a]\ntype = exec\ncommand = sh -c x\n",
	  "t.conf:3: console \"a\": command \"sh -c x\": the program must be "
	  "an absolute path (there is no shell and no PATH search)" },
	{ "[console a]\ntype = exec\ncommand = /bin/echo 'abc\n",
	  "t.conf:3: console \"a\": command \"/bin/echo 'abc\": missing "
	  "closing '" },
	{ "[console a]\ntype = exec\ncommand = /bin/echo \"abc\\\"\n",
	  "t.conf:3: console \"a\": command \"/bin/echo \"abc\\\"\": missing "
	  "closing \"" },
	{ "[console a]\ntype = exec\ncommand = /bin/echo abc\\\n",
	  "t.conf:3: console \"a\": command \"/bin/echo abc\\\": ends with a "
	  "backslash" },
	{ "[console a]\ntype = exec\ncommand =\n",
	  "t.conf:3: console \"a\": command \"\": give a program and its "
	  "arguments" },
	{ "[console a]\ntype = exec\ncommand = /bin/sh\ndirectory = srv\n",
	  "t.conf:4: console \"a\": directory \"srv\": must be an absolute "
	  "path" },
	{ EXE "user = ttyhub-no-such-user\n",
	  CA "user \"ttyhub-no-such-user\": no such user" },
	{ EXE "group = ttyhub-no-such-group\n",
	  CA "group \"ttyhub-no-such-group\": no such group" },
	{ EXE "user = 4242424\n",
	  CA "user 4242424 has no entry in the password database: give its "
	  "group with group =" },
	{ PTY "user = root\n",
	  CA "key \"user\" is only for type = exec" },
	{ EXE "restart-delay = 3601s\n",
	  CA "restart-delay \"3601s\": must be a duration from 0 to 3600s "
	  "(e.g. 500ms, 2s, 1m)" },
	{ EXE "restart-delay = 1x\n",
	  CA "restart-delay \"1x\": must be a duration from 0 to 3600s "
	  "(e.g. 500ms, 2s, 1m)" },
	{ EXE "restart = maybe\n",
	  CA "restart \"maybe\": must be yes or no" },
	{ EXE "restart = Yes\n",
	  CA "restart \"Yes\": must be yes or no" },
	{ EXE "size = 0x24\n",
	  CA "size \"0x24\": must be COLUMNSxROWS, each from 1 to 4096 "
	  "(e.g. 80x24)" },
	{ EXE "size = 80x\n",
	  CA "size \"80x\": must be COLUMNSxROWS, each from 1 to 4096 "
	  "(e.g. 80x24)" },
	{ EXE "size = 4097x24\n",
	  CA "size \"4097x24\": must be COLUMNSxROWS, each from 1 to 4096 "
	  "(e.g. 80x24)" },
	{ EXE "size = 80*24\n",
	  CA "size \"80*24\": must be COLUMNSxROWS, each from 1 to 4096 "
	  "(e.g. 80x24)" },

	/* pty. */
	{ "[console a]\ntype = pty\nlink = qemu-vm2\n",
	  "t.conf:3: console \"a\": link \"qemu-vm2\": must be an absolute "
	  "path" },

	/* Listeners. */
	{ PTY "telnet = 70000\n",
	  CA "telnet \"70000\": the port must be a number from 1 to 65535" },
	{ PTY "telnet = 7001 0\n",
	  CA "telnet \"0\": the port must be a number from 1 to 65535" },
	{ PTY "telnet = 0\n",
	  CA "telnet \"0\": write yes or no for a Telnet backend, or "
	  "HOST:PORT for a listener" },
	{ PTY "telnet = localhost:7001\n",
	  CA "telnet \"localhost:7001\": the host must be a numeric address "
	  "(127.0.0.1, [::1]) or * for every address" },
	{ PTY "raw = ::1:7001\n",
	  CA "raw \"::1:7001\": an IPv6 address goes between [ and ], as in "
	  "[::1]:7001" },
	{ PTY "raw = [::1]\n",
	  CA "raw \"[::1]\": a port must follow the address, as in "
	  "[::1]:7001" },
	{ PTY "telnet = 7001,rw\n",
	  CA "telnet \"7001,rw\": unknown option \"rw\" (ro, noreplay, tls, "
	  "auth)" },
	{ PTY "telnet = 7001, 7002\n",
	  CA "telnet \"7001,\": nothing after a comma: addresses are "
	  "separated by blanks, and a comma starts an option (ro, noreplay, "
	  "tls, auth)" },
	{ PTY "telnet = 7001,7002\n",
	  CA "telnet \"7001,7002\": \"7002\" is not an option: addresses "
	  "are separated by blanks, and a comma starts an option (ro, "
	  "noreplay, tls, auth)" },
	{ PTY "unix = /run/a.sock,/run/b.sock\n",
	  CA "unix \"/run/a.sock,/run/b.sock\": \"/run/b.sock\" is not an "
	  "option: addresses are separated by blanks, and a comma starts an "
	  "option (ro, noreplay, raw)" },
	{ PTY "unix = /run/a.sock,rw\n",
	  CA "unix \"/run/a.sock,rw\": unknown option \"rw\" (ro, noreplay, "
	  "raw)" },
	{ PTY "telnet = 7001,raw\n",
	  CA "telnet \"7001,raw\": option \"raw\" is only for unix listeners "
	  "(raw = ADDRESS listens for raw TCP)" },
	{ PTY "raw = 7001,ro,ro\n",
	  CA "raw \"7001,ro,ro\": option \"ro\" given twice" },
	{ PTY "unix = run/a.sock\n",
	  CA "unix \"run/a.sock\": must be an absolute path" },
	{ PTY "unix =\n",
	  CA "unix \"\": give one or more addresses" },
	{ PTY "telnet = 1 2 3 4 5 6 7 8 9\nraw = 10 11 12 13 14 15 16 17\n",
	  "t.conf:5: console \"a\": raw \"17\": more than 16 listeners in one "
	  "section" },
	{ PTY "unix-mode = 0800\n",
	  CA "unix-mode \"0800\": must be an octal mode from 0 to 0777 "
	  "(e.g. 0660)" },
	{ PTY "unix-mode = 1777\n",
	  CA "unix-mode \"1777\": must be an octal mode from 0 to 0777 "
	  "(e.g. 0660)" },
	{ PTY "unix = /run/a.sock\nunix-owner = ttyhub-no-such-user\n",
	  "t.conf:5: console \"a\": unix-owner \"ttyhub-no-such-user\": no "
	  "such user" },
	{ PTY "unix = /run/a.sock\nunix-group = ttyhub-no-such-group\n",
	  "t.conf:5: console \"a\": unix-group \"ttyhub-no-such-group\": no "
	  "such group" },
	{ PTY "telnet = 7001\nunix-mode = 0660\n",
	  "t.conf:5: console \"a\": unix-mode, unix-owner and unix-group need "
	  "a unix listener (unix = PATH)" },
	{ PTY "unix-group = root\n",
	  CA "unix-mode, unix-owner and unix-group need a unix listener "
	  "(unix = PATH)" },

	/* Access lists. */
	{ PTY "rw = root ttyhub-no-such-user\n",
	  CA "rw \"ttyhub-no-such-user\": no such user (groups are written "
	  "@group)" },
	{ PTY "ro = @ttyhub-no-such-group\n",
	  CA "ro \"@ttyhub-no-such-group\": no such group" },
	{ PTY "ro = @\n",
	  CA "ro \"@\": give a group after @" },
	{ PTY "rw =\n",
	  CA "rw \"\": give users and @groups" },
	{ PTY "rw = 4294967295\n",
	  CA "rw \"4294967295\": no such user (groups are written @group)" },

	/* Sharing, logs. */
	{ PTY "writers = many\n",
	  CA "writers \"many\": must be all or one" },
	{ PTY "replay = 65m\n",
	  CA "replay \"65m\": must be a size from 0 to 64m (e.g. 0, 64k, "
	  "1m)" },
	{ PTY "replay = 64kb\n",
	  CA "replay \"64kb\": must be a size from 0 to 64m (e.g. 0, 64k, "
	  "1m)" },
	{ PTY "backlog = 4095\n",
	  CA "backlog \"4095\": must be a size from 4k to 1g (e.g. 256k, 1m)" },
	{ PTY "backlog = 2g\n",
	  CA "backlog \"2g\": must be a size from 4k to 1g (e.g. 256k, 1m)" },
	{ PTY "slow = block\n",
	  CA "slow \"block\": must be drop or disconnect" },
	{ PTY "notices = sometimes\n",
	  CA "notices \"sometimes\": must be yes or no" },
	{ PTY "log = vm1.log\n",
	  CA "log \"vm1.log\": must be an absolute path" },
	{ PTY "log-timestamps = iso\n",
	  CA "log-timestamps \"iso\": must be yes or no" },

	/* Login services. */
	{ "[login a]\nprogram = /bin/sh\n",
	  "t.conf:1: login \"a\": missing key \"listen\" (the addresses to "
	  "serve logins on)" },
	{ "[login a]\nlisten = 23,ro\n",
	  "t.conf:2: login \"a\": listen \"23,ro\": option \"ro\" is only for "
	  "console and broker listeners" },
	{ "[login a]\nlisten = 23\nprogram = sh\n",
	  "t.conf:3: login \"a\": program \"sh\": must be an absolute path" },
	/* TLS, logins, and listeners a network reaches. */
	{ "[login a]\nlisten = 23,auth\n",
	  "t.conf:2: login \"a\": listen \"23,auth\": option \"auth\" is only "
	  "for console and broker listeners (a login program asks for its own "
	  "password)" },
	{ PTY "unix = /run/a.sock,tls\n",
	  CA "unix \"/run/a.sock,tls\": option \"tls\" is only for TCP "
	  "listeners (a unix socket's peers are known by the kernel)" },
	{ PTY "telnet = *:7001\n",
	  CA "*:7001 can be reached from a network: clients would cross it in "
	  "clear text; add ,tls (with tls-cert and tls-key in [ttyhubd]), or "
	  "say insecure = yes in this section" },
	{ PTY "raw = 10.0.0.1:7001,auth\n",
	  CA "10.0.0.1:7001 can be reached from a network: clients would cross "
	  "it in clear text; add ,tls (with tls-cert and tls-key in "
	  "[ttyhubd]), or say insecure = yes in this section" },
	{ "[login a]\nlisten = [::]:23\n",
	  "t.conf:2: login \"a\": [::]:23 can be reached from a network: "
	  "clients would cross it in clear text; add ,tls (with tls-cert and "
	  "tls-key in [ttyhubd]), or say insecure = yes in this section" },
	{ "[ttyhubd]\nbroker = 0.0.0.0:7000\n",
	  "t.conf:2: [ttyhubd]: 0.0.0.0:7000 can be reached from a network: "
	  "clients would cross it in clear text; add ,tls (with tls-cert and "
	  "tls-key in [ttyhubd]), or say insecure = yes in this section" },
	{ "[ttyhubd]\nweb = 0.0.0.0:8080\n",
	  "t.conf:2: [ttyhubd]: 0.0.0.0:8080 can be reached from a network: "
	  "clients would cross it in clear text; add ,tls (with tls-cert and "
	  "tls-key in [ttyhubd]), or say insecure = yes in this section" },
	{ "[ttyhubd]\nweb = 127.0.0.1:8080,auth\n",
	  "t.conf:2: [ttyhubd]: 127.0.0.1:8080 has auth without tls: "
	  "passwords and session cookies would cross it in clear text; add "
	  ",tls, or say insecure = yes in this section" },
	{ "[ttyhubd]\nweb = 8080,tls,auth\n",
	  "t.conf:2: a listener with tls needs tls-cert and tls-key in the "
	  "[ttyhubd] section" },
	{ PTY "telnet = 7001,tls\n",
	  "t.conf:4: a listener with tls needs tls-cert and tls-key in the "
	  "[ttyhubd] section" },
	{ "[ttyhubd]\ntls-cert = /etc/c.pem\n",
	  "t.conf:2: [ttyhubd]: tls-cert and tls-key go together: the "
	  "certificate and its private key" },
	{ "[ttyhubd]\ntls-ca = /etc/ca.pem\n",
	  "t.conf:2: [ttyhubd]: tls-ca needs tls-cert and tls-key: client "
	  "certificates are asked for by TLS listeners" },
	{ "[ttyhubd]\npam-service = ../etc/shadow\n",
	  "t.conf:2: [ttyhubd]: pam-service \"../etc/shadow\": must be 1 to 64 "
	  "letters, digits, ., _ or -, not starting with . or -" },
	{ "[login a]\nlisten = 23\nissue = issue.net\n",
	  "t.conf:3: login \"a\": issue \"issue.net\": must be an absolute "
	  "path" },
	{ "[login a]\nlisten = 23\naccept-env = LANG lc_all\n",
	  "t.conf:3: login \"a\": accept-env \"lc_all\": a name is upper-case "
	  "letters, digits and _, at most 64, not starting with a digit" },
	{ "[login a]\nlisten = 23\naccept-env = 9X\n",
	  "t.conf:3: login \"a\": accept-env \"9X\": a name is upper-case "
	  "letters, digits and _, at most 64, not starting with a digit" },
	{ "[login a]\nlisten = 23\nclose-on-exit = sure\n",
	  "t.conf:3: login \"a\": close-on-exit \"sure\": must be yes or no" },

	/* [ttyhubd]. */
	{ "[ttyhubd]\nbroker = 7000,raw\n",
	  "t.conf:2: [ttyhubd]: broker \"7000,raw\": option \"raw\" is only "
	  "for unix listeners (raw = ADDRESS listens for raw TCP)" },
	{ "[ttyhubd]\nbroker-unix = broker.sock\n",
	  "t.conf:2: [ttyhubd]: broker-unix \"broker.sock\": must be an "
	  "absolute path" },
	{ "[ttyhubd]\nbroker-unix-mode = 0660\nbroker-unix = none\n",
	  "t.conf:2: [ttyhubd]: broker-unix-mode is of no use with "
	  "broker-unix = none" },
	{ "[ttyhubd]\nbroker-unix-group = root\nbroker-unix = none\n",
	  "t.conf:2: [ttyhubd]: broker-unix-group is of no use with "
	  "broker-unix = none" },
	{ "[ttyhubd]\nbroker-unix-group = ttyhub-no-such-group\n",
	  "t.conf:2: [ttyhubd]: broker-unix-group "
	  "\"ttyhub-no-such-group\": no such group" },
	{ "[ttyhubd]\nmax-clients = 0\n",
	  "t.conf:2: [ttyhubd]: max-clients \"0\": must be a number from 1 to "
	  "65536" },
	{ "[ttyhubd]\nmax-clients = 65537\n",
	  "t.conf:2: [ttyhubd]: max-clients \"65537\": must be a number from 1 "
	  "to 65536" },

	/* Conflicts across the file. */
	{ "[console a]\ntype = pty\nlink = /run/a\ntelnet = 7001\n"
	  "[console b]\ntype = pty\nlink = /run/b\nraw = 7001\n",
	  "t.conf:8: console \"b\": raw \"7001\": 127.0.0.1:7001 is already "
	  "used at line 4 (console \"a\")" },
	{ PTY "telnet = *:7001\ninsecure = yes\n[login x]\n"
	  "listen = 192.0.2.1:7001\n",
	  "t.conf:7: login \"x\": listen \"192.0.2.1:7001\": 192.0.2.1:7001 "
	  "overlaps *:7001 at line 4 (console \"a\")" },
	{ PTY "telnet = [::1]:7001 [0:0::1]:7001\n",
	  CA "telnet \"[0:0::1]:7001\": [::1]:7001 is already used at line 4 "
	  "(console \"a\")" },
	{ "[ttyhubd]\nbroker = 23\n[login a]\nlisten = 127.0.0.1:23\n",
	  "t.conf:4: login \"a\": listen \"127.0.0.1:23\": 127.0.0.1:23 is "
	  "already used at line 2 ([ttyhubd])" },
	{ "[ttyhubd]\nbroker-unix = /run/x.sock\n" PTY
	  "unix = /run/x.sock\n",
	  "t.conf:6: console \"a\": unix \"/run/x.sock\": already used at "
	  "line 2 ([ttyhubd])" },
	{ "[console a]\ntype = unix\npath = /run/vm1.sock\n"
	  "[console b]\ntype = unix\npath = /run/vm1.sock\n",
	  "t.conf:6: console \"b\": path \"/run/vm1.sock\": already used at "
	  "line 3 (console \"a\")" },
	{ "[console a]\ntype = unix\npath = /run/vm1.sock\n"
	  "[console b]\ntype = pty\nlink = /run/b\nunix = /run/vm1.sock\n",
	  "t.conf:7: console \"b\": unix \"/run/vm1.sock\": already used at "
	  "line 3 (console \"a\")" },
	{ PTY "log = /var/log/x\n[console b]\ntype = pty\nlink = /run/b\n"
	  "log = /var/log/x\n",
	  "t.conf:8: console \"b\": log \"/var/log/x\": already used at line "
	  "4 (console \"a\")" },
	{ SER "[console b]\ntype = serial\ndevice = /dev/ttyS0\n",
	  "t.conf:6: console \"b\": device \"/dev/ttyS0\": already used at "
	  "line 3 (console \"a\")" },
	{ "[console a]\ntype = tcp\naddress = ts1:7001\n"
	  "[console b]\ntype = tcp\naddress = TS1:7001\n",
	  "t.conf:6: console \"b\": address \"TS1:7001\": TS1:7001 is already "
	  "used at line 3 (console \"a\")" },
};

static void
run_bads(void)
{
	struct config	*c;
	char		 err[1024], name[64];
	size_t		 i;

	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		snprintf(name, sizeof name, "bad file %zu", i + 1);
		begin(name);
		c = (struct config *)&c;	/* must be set to NULL */
		if (config_parse(FILENAME, bads[i].text, &c, err,
		    sizeof err) == 0) {
			fail("accepted; expected %s", bads[i].err);
			config_free(c);
		} else {
			EXPECT(c == NULL);
			EXPECT_STR(err, bads[i].err);
		}
		end();
	}
}

/* Generated bad files. */

static void
expect_bad(const char *name, const char *text, const char *want)
{
	struct config	*c;
	char		 err[1024];

	begin(name);
	if (config_parse(FILENAME, text, &c, err, sizeof err) == 0) {
		fail("accepted; expected %s", want);
		config_free(c);
	} else {
		EXPECT(c == NULL);
		EXPECT_STR(err, want);
	}
	end();
}

#define X59	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/*
 * One section more than CFG_CONSOLES_MAX of each kind: refused at its
 * header, after the arrays have grown through every doubling.
 */
static void
run_too_many_sections(void)
{
	static const char *const kinds[][2] = {	/* a key, a number */
		{ "console", "type = pty\nlink = /run/t/" },
		{ "login", "listen = 127.0.0.1:" },
		{ "network", "stream = /run/t/" },
	};
	char	*text, *p, want[128], what[64];
	size_t	 k, len;
	int	 i, lines;

	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		len = (size_t)(CFG_CONSOLES_MAX + 1) * 96;
		if ((text = p = malloc(len)) == NULL) {
			perror("malloc");
			exit(1);
		}
		for (i = 0; i <= CFG_CONSOLES_MAX; i++) {
			p += sprintf(p, "[%s s%d]\n%s%d\n", kinds[k][0], i,
			    kinds[k][1], 10000 + i);
		}
		snprintf(what, sizeof what, "%d %ss and one more",
		    CFG_CONSOLES_MAX, kinds[k][0]);
		lines = 2 + (strchr(kinds[k][1], '\n') != NULL);
		snprintf(want, sizeof want, "t.conf:%d: more than %d %ss",
		    lines * CFG_CONSOLES_MAX + 1, CFG_CONSOLES_MAX, kinds[k][0]);
		expect_bad(what, text, want);
		free(text);
	}
}

static void
run_generated_bads(void)
{
	struct config	*c;
	char		*text, err[1024], small[16];

	text = repeat("[console a]\ntype = exec\ncommand = /bin/echo ", "x",
	    CFG_LINE_MAX + 1 - strlen("command = /bin/echo "), "\n");
	expect_bad("a line of CFG_LINE_MAX + 1 bytes", text,
	    "t.conf:3: line too long (more than 4096 bytes)");
	free(text);

	text = repeat("# long comment ", "x", CFG_LINE_MAX * 4, "\n");
	expect_bad("a long comment", text,
	    "t.conf:1: line too long (more than 4096 bytes)");
	free(text);

	text = repeat("[console a]\ntype = exec\ncommand = /bin/echo", " w",
	    CFG_ARGV_MAX, "\n");
	begin("65 words of a command");
	if (config_parse(FILENAME, text, &c, err, sizeof err) == 0) {
		fail("accepted");
		config_free(c);
	} else {
		EXPECT(strstr(err, "t.conf:3: console \"a\": command "
		    "\"/bin/echo w w w") == err);
		EXPECT(strstr(err, "...\": more than 64 words") != NULL);
	}
	end();
	free(text);

	text = repeat("[login a]\nlisten = 23\naccept-env =", " A",
	    CFG_ACL_MAX + 1, "\n");
	expect_bad("65 accept-env names", text,
	    "t.conf:3: login \"a\": accept-env \"A\": more than 64 names");
	free(text);

	text = repeat("[console a]\ntype = pty\nlink = /run/a\nrw =", " 7",
	    CFG_ACL_MAX + 1, "\n");
	expect_bad("65 users", text,
	    "t.conf:4: console \"a\": rw \"7\": more than 64 users");
	free(text);

	text = repeat("[console a]\ntype = pty\nlink = /run/a\nro =", " @7",
	    CFG_ACL_MAX + 1, "\n");
	expect_bad("65 groups", text,
	    "t.conf:4: console \"a\": ro \"@7\": more than 64 groups");
	free(text);

	text = repeat("[login a]\nlisten = 23\naccept-env = ", "A", 65, "\n");
	expect_bad("an accept-env name of 65 bytes", text,
	    "t.conf:3: login \"a\": accept-env \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\": a name is upper-case "
	    "letters, digits and _, at most 64, not starting with a digit");
	free(text);

	text = repeat("[console N", "x", CFG_NAME_MAX, "]\n");
	expect_bad("a name of 65 bytes", text,
	    "t.conf:1: console name \"N" X59 "...\": use 1 to 64 letters, "
	    "digits, '.', '_' or '-', not starting with '.' or '-'");
	free(text);

	run_too_many_sections();

	/* A NUL ends config_parse's text; config_load sees it. */
	expect_bad("text after a NUL is not read",
	    "[console a]\ntype = pty\n\0link = /x\n",
	    "t.conf:1: console \"a\": missing key \"link\" (needed for type = "
	    "pty)");

	/* Messages are cut to the caller's buffer, and always ended. */
	begin("a short error buffer");
	memset(small, 'z', sizeof small);
	if (config_parse(FILENAME, "[console a]\nbaud = x\n", &c, small,
	    sizeof small) == 0) {
		fail("accepted");
		config_free(c);
	} else {
		EXPECT_STR(small, "t.conf:2: conso");
	}
	if (config_parse(FILENAME, "[console a]\n", &c, NULL, 0) == 0) {
		fail("accepted");
		config_free(c);
	}
	end();
}

/* Digests: what SIGHUP compares. */

static uint64_t
digest_of(const char *text, const char *name)
{
	struct config			*c;
	const struct cfg_console	*k;
	char				 err[1024];
	uint64_t			 d;

	if (config_parse(FILENAME, text, &c, err, sizeof err) == -1) {
		fail("%s", err);
		return 0;
	}
	if ((k = config_console(c, name)) == NULL) {
		fail("no console %s", name);
		config_free(c);
		return 0;
	}
	d = k->digest;
	config_free(c);
	return d;
}

static uint64_t
login_digest_of(const char *text)
{
	struct config	*c;
	char		 err[1024];
	uint64_t	 d;

	if (config_parse(FILENAME, text, &c, err, sizeof err) == -1) {
		fail("%s", err);
		return 0;
	}
	d = c->logins[0].digest;
	config_free(c);
	return d;
}

static uint64_t
network_digest_of(const char *text)
{
	struct config	*c;
	char		 err[1024];
	uint64_t	 d;

	if (config_parse(FILENAME, text, &c, err, sizeof err) == -1) {
		fail("%s", err);
		return 0;
	}
	d = c->networks[0].digest;
	config_free(c);
	return d;
}

#define VM1 "type = unix\npath = /run/vm1.sock\ntelnet = 7001\n"

static void
run_digests(void)
{
	uint64_t	base, other;

	begin("digest: the same text twice");
	base = digest_of("[console vm1]\n" VM1, "vm1");
	EXPECT(base != 0);
	EXPECT(digest_of("[console vm1]\n" VM1, "vm1") == base);
	end();

	begin("digest: order, spacing, comments, line numbers");
	EXPECT(digest_of("# moved down\n\n[console vm1]\n"
	    "telnet=7001\n; c\npath   =   /run/vm1.sock\ntype = unix\n",
	    "vm1") == base);
	end();

	begin("digest: other sections do not count");
	EXPECT(digest_of("[console vm0]\ntype = pty\nlink = /run/p\n"
	    "[console vm1]\n" VM1 "[login x]\nlisten = 23\n", "vm1") == base);
	end();

	begin("digest: the same value spelled another way");
	other = digest_of("[console vm1]\n" VM1 "replay = 64k\nbacklog = 1m\n"
	    "notices = yes\nwriters = all\n", "vm1");
	EXPECT(other == base);
	EXPECT(digest_of("[console vm1]\n" VM1 "replay = 65536\n", "vm1") ==
	    base);
	EXPECT(digest_of("[console vm1]\ntype = unix\npath = /run/vm1.sock\n"
	    "telnet = 127.0.0.1:7001\n", "vm1") == base);
	end();

	begin("digest: every change of value counts");
	EXPECT(digest_of("[console vm1]\ntype = unix\npath = /run/vm2.sock\n"
	    "telnet = 7001\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\ntype = unix\npath = /run/vm1.sock\n"
	    "telnet = 7002\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\ntype = unix\npath = /run/vm1.sock\n"
	    "telnet = 7001,ro\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\ntype = unix\npath = /run/vm1.sock\n"
	    "raw = 7001\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "telnet = yes\n", "vm1") !=
	    base);
	EXPECT(digest_of("[console vm1]\n" VM1 "replay = 32k\n", "vm1") !=
	    base);
	EXPECT(digest_of("[console vm1]\n" VM1 "rw = 0\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "ro = 0\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "ro = @0\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "rw = @0\n", "vm1") !=
	    digest_of("[console vm1]\n" VM1 "ro = @0\n", "vm1"));
	EXPECT(digest_of("[console vm1]\n" VM1 "log = /x\n", "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "log-timestamps = 1\n",
	    "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "slow = disconnect\n",
	    "vm1") != base);
	EXPECT(digest_of("[console vm1]\n" VM1 "unix = /run/u\n", "vm1") !=
	    digest_of("[console vm1]\n" VM1 "unix = /run/u\n"
	    "unix-mode = 0660\n", "vm1"));
	EXPECT(digest_of("[console e]\ntype = exec\ncommand = /bin/a b\n",
	    "e") != digest_of("[console e]\ntype = exec\n"
	    "command = /bin/a 'b '\n", "e"));
	EXPECT(digest_of("[console e]\ntype = exec\ncommand = /bin/a b c\n",
	    "e") != digest_of("[console e]\ntype = exec\n"
	    "command = /bin/a 'b c'\n", "e"));
	EXPECT(digest_of("[console e]\ntype = exec\ncommand = /bin/a\n",
	    "e") != digest_of("[console e]\ntype = exec\n"
	    "command = /bin/a\nrestart-delay = 2s\n", "e"));
	EXPECT(digest_of("[console s]\ntype = serial\ndevice = /dev/x\n",
	    "s") != digest_of("[console s]\ntype = serial\n"
	    "device = /dev/x\nbaud = 9600\n", "s"));
	end();

	begin("digest: the same words, respelled");
	EXPECT(digest_of("[console e]\ntype = exec\ncommand = /bin/a 'b c'\n",
	    "e") == digest_of("[console e]\ntype = exec\n"
	    "command = /bin/a b\\ c\n", "e"));
	EXPECT(digest_of("[console e]\ntype = exec\ncommand = /bin/a\n",
	    "e") == digest_of("[console e]\ntype = exec\n"
	    "command = /bin/a\nrestart-delay = 1000ms\nrestart = on\n", "e"));
	end();

	begin("digest: login sections");
	base = login_digest_of("[login a]\nlisten = 23\n");
	EXPECT(login_digest_of("[login a]\nlisten = 127.0.0.1:23\n"
	    "program = /bin/login\n") == base);
	EXPECT(login_digest_of("[login a]\nlisten = 24\n") != base);
	EXPECT(login_digest_of("[login a]\nlisten = 23\n"
	    "accept-env = LANG\n") != base);
	EXPECT(login_digest_of("[login a]\nlisten = 23\n"
	    "close-on-exit = yes\n") != base);
	EXPECT(login_digest_of("[login a]\nlisten = 23\n"
	    "program = /bin/sh\n") != base);
	end();

	begin("digest: network sections");
	base = network_digest_of("[network a]\nstream = 7000 /run/a\n");
	EXPECT(network_digest_of("[network a]\nstream = 127.0.0.1:7000\n"
	    "mtu = 1500\nstream = /run/a\nqueue = 524288\n") == base);
	EXPECT(network_digest_of("[network a]\nstream = /run/a 7000\n") !=
	    base);
	EXPECT(network_digest_of("[network a]\nstream = 7000\n"
	    "dgram = /run/a\n") != base);
	EXPECT(network_digest_of("[network a]\nstream = 7000 /run/a\n"
	    "unix-mode = 0660\n") != base);
	EXPECT(network_digest_of("[network a]\nstream = 7000 /run/a\n"
	    "pcap = /tmp/a.pcap\n") != base);
	end();
}

/* config_load: real files. */

static void
run_load(void)
{
	struct config	*c;
	char		 dir[] = "/tmp/test-config.XXXXXX";
	char		 path[256], err[1024];
	char		 want[512];
	FILE		*f;
	char		*big;
	size_t		 n;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof path, "%s/ttyhub.conf", dir);

	begin("config_load: a good file");
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs("[console vm1]\ntype = unix\npath = /run/vm1.sock\n", f);
	fclose(f);
	if (config_load(path, &c, err, sizeof err) == -1) {
		fail("%s", err);
	} else {
		EXPECT_STR(c->file, path);
		EXPECT_STR(c->consoles[0].file, path);
		EXPECT_STR(c->consoles[0].path, "/run/vm1.sock");
		config_free(c);
	}
	end();

	begin("config_load: messages name the file");
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs("[console vm1]\ntype = unix\nbaudrate = 1\n", f);
	fclose(f);
	snprintf(want, sizeof want, "%s:3: console \"vm1\": unknown key "
	    "\"baudrate\" (did you mean \"baud\"?)", path);
	EXPECT(config_load(path, &c, err, sizeof err) == -1);
	EXPECT(c == NULL);
	EXPECT_STR(err, want);
	end();

	begin("config_load: a NUL byte");
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite("[console vm1]\ntype = unix\npath = /run/\0vm1\n", 1, 43, f);
	fclose(f);
	snprintf(want, sizeof want, "%s:3: control character 0x00 (only "
	    "tabs and printable text are allowed)", path);
	EXPECT(config_load(path, &c, err, sizeof err) == -1);
	EXPECT_STR(err, want);
	end();

	begin("config_load: an empty file");
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fclose(f);
	if (config_load(path, &c, err, sizeof err) == -1) {
		fail("%s", err);
	} else {
		EXPECT_NUM(c->nconsoles, 0);
		config_free(c);
	}
	end();

	begin("config_load: larger than 16 MiB");
	n = 16 * 1024 * 1024 + 1;
	if ((big = malloc(n)) == NULL) {
		perror("malloc");
		exit(1);
	}
	memset(big, '\n', n);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(big, 1, n, f);
	fclose(f);
	snprintf(want, sizeof want, "%s: larger than 16 MiB", path);
	EXPECT(config_load(path, &c, err, sizeof err) == -1);
	EXPECT_STR(err, want);
	/* Exactly 16 MiB of blank lines is fine. */
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(big, 1, n - 1, f);
	fclose(f);
	if (config_load(path, &c, err, sizeof err) == -1) {
		fail("%s", err);
	} else {
		config_free(c);
	}
	free(big);
	end();

	begin("config_load: a missing file");
	unlink(path);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	EXPECT(config_load(path, &c, err, sizeof err) == -1);
	EXPECT(c == NULL);
	EXPECT_STR(err, want);
	end();

	begin("config_load: a directory");
	snprintf(want, sizeof want, "%s: Is a directory", dir);
	EXPECT(config_load(dir, &c, err, sizeof err) == -1);
	EXPECT_STR(err, want);
	end();

	rmdir(dir);
}

/* The helpers shared with the command line. */

static void
run_size(void)
{
	static const struct {
		const char	*s;
		int		 ok;
		size_t		 v;
	} t[] = {
		{ "0", 1, 0 },
		{ "123", 1, 123 },
		{ "64k", 1, 65536 },
		{ "64K", 1, 65536 },
		{ "1m", 1, 1048576 },
		{ "1M", 1, 1048576 },
		{ "1g", 1, 1073741824 },
		{ "3G", 1, (size_t)3 << 30 },
		{ "007", 1, 7 },
		{ "18446744073709551615", 1, SIZE_MAX },
		{ "16777215t", 0, 0 },
		{ "18446744073709551616", 0, 0 },
		{ "17179869184g", 0, 0 },	/* 2^64 */
		{ "17179869183g", 1, (size_t)17179869183 << 30 },
		{ "", 0, 0 },
		{ "k", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "1kk", 0, 0 },
		{ "1kb", 0, 0 },
		{ "1.5m", 0, 0 },
		{ "0x10", 0, 0 },
		{ "123456789012345678901234567890", 0, 0 },
	};
	char	name[64];
	size_t	i, v;
	int	r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(name, sizeof name, "config_size \"%s\"", t[i].s);
		begin(name);
		v = 12345;
		r = config_size(t[i].s, &v);
		EXPECT_NUM(r, t[i].ok ? 0 : -1);
		EXPECT_NUM(v, t[i].ok ? t[i].v : 12345);
		end();
	}
}

static void
run_duration(void)
{
	static const struct {
		const char	*s;
		int		 ok;
		unsigned	 v;
	} t[] = {
		{ "0", 1, 0 },
		{ "2", 1, 2000 },
		{ "2s", 1, 2000 },
		{ "250ms", 1, 250 },
		{ "0ms", 1, 0 },
		{ "1m", 1, 60000 },
		{ "1h", 1, 3600000 },
		{ "4294967295ms", 1, 4294967295U },
		{ "4294967s", 1, 4294967000U },
		{ "4294968s", 0, 0 },
		{ "4294967296ms", 0, 0 },
		{ "71582m", 1, 71582U * 60000 },
		{ "71583m", 0, 0 },
		{ "1194h", 0, 0 },
		{ "", 0, 0 },
		{ "s", 0, 0 },
		{ "ms", 0, 0 },
		{ "m", 0, 0 },
		{ "1x", 0, 0 },
		{ "1sec", 0, 0 },
		{ "1 s", 0, 0 },
		{ "-1s", 0, 0 },
		{ "1.5s", 0, 0 },
		{ "1mss", 0, 0 },
		{ "1S", 0, 0 },
	};
	char		name[64];
	size_t		i;
	unsigned	v;
	int		r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(name, sizeof name, "config_duration_ms \"%s\"",
		    t[i].s);
		begin(name);
		v = 12345;
		r = config_duration_ms(t[i].s, &v);
		EXPECT_NUM(r, t[i].ok ? 0 : -1);
		EXPECT_NUM(v, t[i].ok ? t[i].v : 12345);
		end();
	}
}

static void
run_listen(void)
{
	static const struct {
		const char		*s;
		enum cfg_listen_kind	 kind;
		const char		*err;	/* NULL: good */
		const char		*host;
		unsigned		 port;
		const char		*path;
		int			 telnet, ro, noreplay;
	} t[] = {
		{ "23", CFG_LISTEN_TELNET, NULL, "127.0.0.1", 23, NULL,
		  1, 0, 0 },
		{ "1", CFG_LISTEN_TELNET, NULL, "127.0.0.1", 1, NULL, 1, 0, 0 },
		{ "65535", CFG_LISTEN_RAW, NULL, "127.0.0.1", 65535, NULL,
		  0, 0, 0 },
		{ "*:23", CFG_LISTEN_TELNET, NULL, NULL, 23, NULL, 1, 0, 0 },
		{ "0.0.0.0:23", CFG_LISTEN_TELNET, NULL, "0.0.0.0", 23, NULL,
		  1, 0, 0 },
		{ "[::]:23", CFG_LISTEN_TELNET, NULL, "::", 23, NULL, 1, 0, 0 },
		{ "[::ffff:127.0.0.1]:23", CFG_LISTEN_TELNET, NULL,
		  "::ffff:127.0.0.1", 23, NULL, 1, 0, 0 },
		{ "[FE80:0::1]:23,noreplay", CFG_LISTEN_RAW, NULL, "fe80::1",
		  23, NULL, 0, 0, 1 },
		{ "10.1.2.3:7001,ro,noreplay", CFG_LISTEN_TELNET, NULL,
		  "10.1.2.3", 7001, NULL, 1, 1, 1 },
		{ "/run/a.sock", CFG_LISTEN_UNIX, NULL, NULL, 0, "/run/a.sock",
		  1, 0, 0 },
		{ "/run/a.sock,raw,ro", CFG_LISTEN_UNIX, NULL, NULL, 0,
		  "/run/a.sock", 0, 1, 0 },
		{ "/", CFG_LISTEN_UNIX, NULL, NULL, 0, "/", 1, 0, 0 },
		{ "0", CFG_LISTEN_TELNET, "the port must be a number from 1 "
		  "to 65535", NULL, 0, NULL, 0, 0, 0 },
		{ "65536", CFG_LISTEN_TELNET, "the port must be a number from "
		  "1 to 65535", NULL, 0, NULL, 0, 0, 0 },
		{ "", CFG_LISTEN_TELNET, "the port must be a number from 1 to "
		  "65535", NULL, 0, NULL, 0, 0, 0 },
		{ "127.0.0.1:", CFG_LISTEN_TELNET, "the port must be a number "
		  "from 1 to 65535", NULL, 0, NULL, 0, 0, 0 },
		{ "127.0.0.1", CFG_LISTEN_TELNET, "the port must be a number "
		  "from 1 to 65535", NULL, 0, NULL, 0, 0, 0 },
		{ ":23", CFG_LISTEN_TELNET, "the host must be a numeric "
		  "address (127.0.0.1, [::1]) or * for every address", NULL,
		  0, NULL, 0, 0, 0 },
		{ "256.0.0.1:23", CFG_LISTEN_TELNET, "the host must be a "
		  "numeric address (127.0.0.1, [::1]) or * for every address",
		  NULL, 0, NULL, 0, 0, 0 },
		{ "[fe80::1%eth0]:23", CFG_LISTEN_TELNET, "not an IPv6 address "
		  "between [ and ]", NULL, 0, NULL, 0, 0, 0 },
		{ "[127.0.0.1]:23", CFG_LISTEN_TELNET, "not an IPv6 address "
		  "between [ and ]", NULL, 0, NULL, 0, 0, 0 },
		{ "[::1]x23", CFG_LISTEN_TELNET, "a port must follow the "
		  "address, as in [::1]:7001", NULL, 0, NULL, 0, 0, 0 },
		{ "23,ro,", CFG_LISTEN_TELNET, "nothing after a comma: "
		  "addresses are separated by blanks, and a comma starts an "
		  "option (ro, noreplay, tls, auth)", NULL, 0, NULL, 0, 0, 0 },
		{ "23,noreplay,noreplay", CFG_LISTEN_RAW, "option \"noreplay\" "
		  "given twice", NULL, 0, NULL, 0, 0, 0 },
		{ "/a,raw,raw", CFG_LISTEN_UNIX, "option \"raw\" given twice",
		  NULL, 0, NULL, 0, 0, 0 },
		{ "a.sock", CFG_LISTEN_UNIX, "must be an absolute path", NULL,
		  0, NULL, 0, 0, 0 },
		{ "", CFG_LISTEN_UNIX, "must be an absolute path", NULL, 0,
		  NULL, 0, 0, 0 },
		{ "23 ", CFG_LISTEN_TELNET, "the port must be a number from 1 "
		  "to 65535", NULL, 0, NULL, 0, 0, 0 },
	};
	struct cfg_listen	l;
	char			name[64], err[256];
	size_t			i;
	int			r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(name, sizeof name, "config_listen \"%s\"", t[i].s);
		begin(name);
		err[0] = '\0';
		r = config_listen(t[i].s, t[i].kind, &l, err, sizeof err);
		if (t[i].err != NULL) {
			EXPECT_NUM(r, -1);
			EXPECT_STR(err, t[i].err);
		} else if (r == -1) {
			fail("unexpected error: %s", err);
		} else {
			EXPECT_NUM(l.kind, t[i].kind);
			EXPECT_STR(l.host, t[i].host);
			EXPECT_NUM(l.port, t[i].port);
			EXPECT_STR(l.path, t[i].path);
			EXPECT_NUM(l.telnet, t[i].telnet);
			EXPECT_NUM(l.ro, t[i].ro);
			EXPECT_NUM(l.noreplay, t[i].noreplay);
			EXPECT_NUM(l.mode, t[i].kind == CFG_LISTEN_UNIX ?
			    0600 : 0);
			EXPECT_NUM(l.owner, (uid_t)-1);
			EXPECT_NUM(l.group, (gid_t)-1);
			config_listen_clear(&l);
			EXPECT(l.host == NULL && l.path == NULL);
		}
		end();
	}

	begin("config_listen: a 107-byte socket path, and 108");
	{
		char	path[120];

		memset(path, 'p', sizeof path);
		path[0] = '/';
		path[107] = '\0';
		EXPECT(config_listen(path, CFG_LISTEN_UNIX, &l, err,
		    sizeof err) == 0);
		config_listen_clear(&l);
		path[107] = 'p';
		path[108] = '\0';
		EXPECT(config_listen(path, CFG_LISTEN_UNIX, &l, err,
		    sizeof err) == -1);
		EXPECT_STR(err, "a socket path must be at most 107 bytes");
	}
	end();
}

/* The table of keys (config-table.c), key by key. */

#define KEY_TEXT_MAX	4096

/* A struct any section fits in. */
union key_section {
	struct config		daemon;
	struct cfg_console	console;
	struct cfg_login	login;
	struct cfg_network	network;
};

static const char *
key_sect_name(enum cfg_sect sect)
{
	switch (sect) {
	case CFG_SECT_DAEMON:
		return "ttyhubd";
	case CFG_SECT_CONSOLE:
		return "console";
	case CFG_SECT_LOGIN:
		return "login";
	case CFG_SECT_NETWORK:
		return "network";
	default:
		return "?";
	}
}

/* Hash k's field alone. */
static uint64_t
key_digest(const struct cfg_key *k, const void *base)
{
	uint64_t	h = CFG_FNV_BASIS;

	k->kind->digest(&h, k, base);
	return h;
}

/*
 * A section built by the table alone: its defaults, then (value not
 * NULL) k's value, read as the file would read it but claiming nothing.
 */
static int
key_fresh(const struct cfg_key *k, const char *value, union key_section *u)
{
	struct cfg_ctx	x;
	char		why[CFG_MSG_MAX];

	memset(u, 0, sizeof *u);
	if (cfg_table_defaults(k->sect, u, why, sizeof why) == -1) {
		fail("defaults: %s", why);
		return -1;
	}
	if (value == NULL) {
		return 0;
	}
	memset(&x, 0, sizeof x);
	if (cfg_table_read(&x, k, u, value) == -1) {
		fail("%s = %s: %s", k->name, value, x.why);
		return -1;
	}
	return 0;
}

/* The console type k is tried with: the first it applies to. */
static int
key_type(const struct cfg_key *k)
{
	int	t;

	if (strcmp(k->name, "type") == 0) {
		for (t = 0; cfg_table_types[t] != NULL; t++) {
			if (strcmp(cfg_table_types[t], k->example) == 0) {
				return t;
			}
		}
		return -1;
	}
	for (t = 0; cfg_table_types[t] != NULL; t++) {
		if (k->types & CFG_T(t)) {
			return t;
		}
	}
	return -1;
}

static int
key_required(const struct cfg_key *k, int type)
{
	if (k->sect == CFG_SECT_CONSOLE) {
		return type >= 0 && (k->required & CFG_T(type)) != 0;
	}
	return k->required != 0;
}

static void __attribute__((format(printf, 3, 4)))
key_append(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strlen(buf);

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/*
 * The smallest good section to try k in: its header, for a console the
 * type k applies to (for "type" itself, its sample), the keys needed
 * there with their samples, and (with) k with its sample.  The unix
 * listeners' settings need a unix listener; a network needs a port (a
 * unix one, for its unix settings), and a capture for its size.
 */
static void
key_text(const struct cfg_key *k, int with, char *buf, size_t len)
{
	const struct cfg_key	*r;
	int			 type = key_type(k);
	size_t			 i;

	buf[0] = '\0';
	if (k->sect == CFG_SECT_CONSOLE && type == CFG_BACKEND_VPORT) {
		/* The device its sample names, with room for its port. */
		key_append(buf, len, "[console vm1]\ntype = vhost-user\n"
		    "path = /run/ttyhub/t-vm1.vhost\nports = 2\n");
	}
	if (k->sect == CFG_SECT_CONSOLE) {
		key_append(buf, len, "[console t]\ntype = %s\n",
		    type >= 0 ? cfg_table_types[type] : "?");
	} else {
		key_append(buf, len, "[%s%s]\n", key_sect_name(k->sect),
		    k->sect == CFG_SECT_LOGIN || k->sect == CFG_SECT_NETWORK ?
		    " t" : "");
	}
	if (k->sect == CFG_SECT_NETWORK) {
		key_append(buf, len, "%s = /run/ttyhub/t-net.sock\n",
		    strcmp(k->name, "dgram") == 0 ? "stream" : "dgram");
		if (strcmp(k->name, "pcap-size") == 0) {
			key_append(buf, len, "pcap = /run/ttyhub/t.pcap\n");
		}
	}
	for (i = 0; i < cfg_nkeys; i++) {
		r = &cfg_keys[i];
		if (r != k && r->sect == k->sect &&
		    strcmp(r->name, "type") != 0 && key_required(r, type)) {
			key_append(buf, len, "%s = %s\n", r->name, r->example);
		}
	}
	if (strncmp(k->name, "unix-", 5) == 0 &&
	    k->sect == CFG_SECT_CONSOLE) {
		key_append(buf, len, "unix = /run/ttyhub/t-unix.sock\n");
	}
	/* A certificate goes with its key, and client CAs with both. */
	if (strncmp(k->name, "tls-", 4) == 0 &&
	    (with || strcmp(k->name, "tls-ca") == 0)) {
		if (strcmp(k->name, "tls-cert") != 0) {
			key_append(buf, len, "tls-cert = /etc/ttyhub/c.pem\n");
		}
		if (strcmp(k->name, "tls-key") != 0) {
			key_append(buf, len, "tls-key = /etc/ttyhub/k.pem\n");
		}
	}
	if (with && strcmp(k->name, "type") != 0) {
		key_append(buf, len, "%s = %s\n", k->name, k->example);
	}
}

/* The struct that holds a parsed file's section of sect. */
static void *
key_base(struct config *c, enum cfg_sect sect)
{
	switch (sect) {
	case CFG_SECT_CONSOLE:
		/* "t", after a vhost-port's device if it has one. */
		return c->nconsoles == 1 ? &c->consoles[0] :
		    (struct cfg_console *)config_console(c, "t");
	case CFG_SECT_LOGIN:
		return c->nlogins == 1 ? &c->logins[0] : NULL;
	case CFG_SECT_NETWORK:
		return c->nnetworks == 1 ? &c->networks[0] : NULL;
	default:
		return c;
	}
}

/*
 * What SIGHUP compares: a console's, login's or network's digest;
 * [ttyhubd] has none.
 */
static uint64_t
key_reload_digest(enum cfg_sect sect, void *base)
{
	switch (sect) {
	case CFG_SECT_CONSOLE:
		return ((struct cfg_console *)base)->digest;
	case CFG_SECT_LOGIN:
		return ((struct cfg_login *)base)->digest;
	case CFG_SECT_NETWORK:
		return ((struct cfg_network *)base)->digest;
	default:
		return cfg_table_digest(sect, base);
	}
}

/* What the entry itself must say. */
static void
key_entry(const struct cfg_key *k)
{
	const struct cfg_key	*o;

	EXPECT(k->kind != NULL && k->kind->parse != NULL &&
	    k->kind->digest != NULL);
	EXPECT(k->help != NULL && k->help[0] != '\0');
	EXPECT(k->sect == CFG_SECT_CONSOLE ? k->scope != CFG_SCOPE_SECTION :
	    k->scope == CFG_SCOPE_SECTION);
	EXPECT(k->sect != CFG_SECT_CONSOLE || (k->types & ~CFG_T_ALL) == 0);
	EXPECT(k->sect != CFG_SECT_CONSOLE || (k->required & ~k->types) == 0);
	/* What a section needs, or claims, has no default. */
	EXPECT(k->required == 0 || k->def == NULL);
	EXPECT((k->flags & CFG_K_CLAIM) == 0 || k->def == NULL);
	EXPECT(k->kind != &cfg_kind_enum || k->names != NULL);
	/* A second entry of one name is told apart from the first. */
	for (o = cfg_keys; o < k; o++) {
		if (o->sect == k->sect && strcmp(o->name, k->name) == 0) {
			EXPECT(o->match != NULL && !o->match(k->example));
		}
	}
	if (k->match != NULL) {
		EXPECT(k->match(k->example));
	}
}

static void
run_key(const struct cfg_key *k)
{
	union key_section	 def, sample;
	struct config		*with = NULL, *without = NULL;
	char			 name[128], text[KEY_TEXT_MAX];
	void			*base, *base0;
	int			 type = key_type(k);

	snprintf(name, sizeof name, "table: [%s] %s = %s",
	    key_sect_name(k->sect), k->name,
	    k->example != NULL ? k->example : "(no sample)");
	begin(name);
	if (k->example == NULL) {
		fail("the entry has no sample value (.example)");
		end();
		return;
	}
	key_entry(k);
	if (k->sect == CFG_SECT_CONSOLE && type < 0) {
		fail("no console type to try it with");
		end();
		return;
	}

	/* Its default and its sample, by the table alone. */
	if (key_fresh(k, NULL, &def) == -1) {
		end();
		return;
	}
	if (key_fresh(k, k->example, &sample) == 0) {
		/* The sample is not the default, and both count. */
		EXPECT(key_digest(k, &def) != key_digest(k, &sample));
		EXPECT(cfg_table_digest(k->sect, &def) !=
		    cfg_table_digest(k->sect, &sample));
	}

	/* In a file: the sample's value, and the section's digest. */
	key_text(k, 1, text, sizeof text);
	if ((with = parse_good(text)) != NULL &&
	    (base = key_base(with, k->sect)) != NULL) {
		EXPECT(key_digest(k, base) == key_digest(k, &sample));
		EXPECT(key_reload_digest(k->sect, base) ==
		    cfg_table_digest(k->sect, base));
		/* Without it: the default, and another digest. */
		key_text(k, 0, text, sizeof text);
		if (!key_required(k, type) &&
		    (without = parse_good(text)) != NULL &&
		    (base0 = key_base(without, k->sect)) != NULL) {
			EXPECT(key_digest(k, base0) == key_digest(k, &def));
			EXPECT(key_reload_digest(k->sect, base0) !=
			    key_reload_digest(k->sect, base));
		}
	}
	config_free(with);
	config_free(without);
	cfg_table_free(k->sect, &def);
	cfg_table_free(k->sect, &sample);
	end();
}

static void
run_table(void)
{
	size_t	i;

	for (i = 0; i < cfg_nkeys; i++) {
		run_key(&cfg_keys[i]);
	}
}

/* "SECTION KEY DEFAULT" for every key ("-": none), for the manual's test. */
static void
list_keys(void)
{
	size_t	i;

	for (i = 0; i < cfg_nkeys; i++) {
		printf("%s %s %s\n", key_sect_name(cfg_keys[i].sect),
		    cfg_keys[i].name,
		    cfg_keys[i].def != NULL ? cfg_keys[i].def : "-");
	}
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--keys") == 0) {
		list_keys();
		return 0;
	}
	run_goods();
	run_generated_goods();
	run_bads();
	run_generated_bads();
	run_digests();
	run_load();
	run_size();
	run_duration();
	run_listen();
	run_table();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
