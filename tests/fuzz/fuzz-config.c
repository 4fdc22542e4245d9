/*
 * fuzz-config: libFuzzer harness for the configuration file parser
 * (src/daemon/config.c over inih): whatever a file can hold.
 *
 * fuzz-sources: src/daemon/config.c
 *               src/daemon/config-section.c
 *               src/daemon/config-parser.c
 *               src/daemon/config-table.c
 *               src/daemon/config-kind.c
 *               src/daemon/config-value.c
 * fuzz-pkgs: inih
 * fuzz-max-len: 65536
 *
 * Built and run by tools/fuzz.sh (make fuzz, make fuzz-ci).  By hand:
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -o fuzz-config tests/fuzz/fuzz-config.c tests/fuzz/fuzzkit.c \
 *       src/daemon/config*.c -linih
 *   ./fuzz-config -max_len=65536 CORPUS_DIR
 *
 * There is no seed directory: a parser of keywords gets nowhere from
 * random bytes, so byte 0 picks one of the good files below (or none) and
 * byte 1 the line at which the rest of the input goes in.  The fuzzer
 * thus starts from every section and key there is and mutates, adds and
 * breaks lines from there.
 *
 * Each input is parsed twice, and on top of the sanitizers (leaks
 * included: a failed parse must free all it built) the harness checks:
 *   - a failure gives no config and one line "fuzz.conf:LINE: reason"
 *     (no control characters but tab) whose LINE is within the text; a
 *     short error buffer gets a cut, terminated copy of the message;
 *   - both parses agree: same result, same message, same digests;
 *   - a success holds only what the rules allow: names, required keys of
 *     each type, absolute paths, bounded lists, values in their ranges,
 *     listeners that config_listen would give, no socket or log path twice,
 *     networks with a port and queues that hold their largest frame;
 *   - vhost-user devices: each port of a device is exactly one console's,
 *     a vhost-port names a vhost-user console that has its port and
 *     carries its socket, ports and RESIZE order, a console made for a
 *     port is NAME.N without listeners or log, and no two ports of a
 *     device have one name in the guest;
 *   - the first line of the input, fed to config_size, config_duration_ms
 *     and config_listen, gives a valid result or a clean refusal.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/daemon/config.h"
#include "fuzzkit.h"

#define NAME	"fuzz.conf"

const char	fuzzkit_name[] = "fuzz-config";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Good files to start from: every section, type and key. */
static const char *const templates[] = {
	"[ttyhubd]\n"
	"broker = 7000 [::1]:7000,ro *:7010,noreplay\n"
	"web = 8080 [::1]:8081,ro\n"
	"web-host = console.example.org lab\n"
	"broker-unix = /run/ttyhub/broker.sock\n"
	"broker-unix-mode = 0660\n"
	"max-clients = 64\n"
	"[console board1]\n"
	"type = serial\n"
	"device = /dev/ttyUSB0\n"
	"baud = 9600\n"
	"data-bits = 7\n"
	"parity = even\n"
	"stop-bits = 2\n"
	"flow = rtscts\n"
	"telnet = 7001\n"
	"raw = 7002,ro\n"
	"writers = one\n"
	"replay = 128k\n"
	"backlog = 4m\n"
	"slow = disconnect\n"
	"notices = no\n"
	"log = /var/log/ttyhub/board1.log\n"
	"log-timestamps = yes\n",

	"[console vm1]\n"
	"type = unix\n"
	"path = /run/vm1.sock\n"
	"telnet = yes\n"
	"telnet = 127.0.0.1:7101 [::1]:7101\n"
	"unix = /run/ttyhub/vm1.sock /run/ttyhub/vm1-raw.sock,raw,noreplay\n"
	"unix-mode = 0660\n"
	"unix-owner = root\n"
	"unix-group = 0\n"
	"rw = root @root 1000\n"
	"ro = @0 4242\n",

	"[console ts1]\n"
	"type = tcp\n"
	"address = ts1.lab.example:7001\n"
	"telnet = on\n"
	"[console v6]\n"
	"type = tcp\n"
	"address = [2001:db8::1]:23\n",

	"[console app]\n"
	"type = exec\n"
	"command = /bin/sh -c 'echo \"hi\"; exec cat' a\\ b \"c\\\"d\"\n"
	"directory = /srv\n"
	"restart = no\n"
	"restart-delay = 250ms\n"
	"size = 132x43\n"
	"[console vm2]\n"
	"type = pty\n"
	"link = /run/ttyhub/vm2\n"
	"size = 80x24\n"
	"[console vm3]\n"
	"type = vhost-user\n"
	"path = /run/ttyhub/vm3.vhost\n"
	"size = 100x30\n",

	"[console vm4]\n"
	"type = vhost-user\n"
	"path = /run/ttyhub/vm4.vhost\n"
	"ports = 4\n"
	"resize-order = legacy\n"
	"port-name = org.vm4.console\n"
	"rw = 1000\n"
	"[console vm4-agent]\n"
	"type = vhost-port\n"
	"port = vm4:2\n"
	"port-name = org.qemu.guest_agent.0\n"
	"console-port = yes\n"
	"size = 120x40\n"
	"raw = 7402\n",

	"# logins\n"
	"[login shell]\n"
	"listen = 2323 *:2324\n"
	"program = /bin/sh\n"
	"issue = /dev/null\n"
	"accept-env = LANG LC_ALL\n"
	"close-on-exit = yes\n"
	"; more\n"
	"[login login]\n"
	"listen = [::]:23\n",

	"[network lan]\n"
	"stream = /run/ttyhub/lan.sock 7100\n"
	"dgram = /run/ttyhub/lan.dgram [::1]:7100\n"
	"stream = *:7101\n"
	"mode = hub\n"
	"mtu = 9000\n"
	"ageing = 30s\n"
	"dgram-ageing = 1h\n"
	"max-ports = 8\n"
	"max-macs = 256\n"
	"queue = 2m\n"
	"queue-frames = 64\n"
	"pcap = /var/log/ttyhub/lan.pcap\n"
	"pcap-size = 10m\n"
	"unix-mode = 0660\n"
	"unix-owner = root\n"
	"unix-group = 0\n"
	"[network wan]\n"
	"dgram = 7200\n",
};
#define NTEMPLATES	(sizeof templates / sizeof templates[0])

/* No control characters but tab: a message is one line. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s < 0x20 && *s != '\t') ||
		    (unsigned char)*s == 0x7f) {
			return 0;
		}
	}
	return 1;
}

static size_t
count_lines(const char *s)
{
	size_t	n = 1;

	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static int
name_valid(const char *s)
{
	size_t	n = strlen(s);

	return n >= 1 && n <= CFG_NAME_MAX && s[0] != '.' && s[0] != '-' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

static void
check_listen(const struct cfg_listen *l, int allow_unix)
{
	CHECK(l->kind == CFG_LISTEN_TELNET || l->kind == CFG_LISTEN_RAW ||
	    (allow_unix && l->kind == CFG_LISTEN_UNIX), "kind %d",
	    (int)l->kind);
	if (l->kind == CFG_LISTEN_UNIX) {
		CHECK(l->path != NULL && l->path[0] == '/', "unix path");
		CHECK(strlen(l->path) <= 107, "unix path length");
		CHECK(l->host == NULL && l->port == 0, "unix with a host");
		CHECK(l->mode <= 0777, "mode %o", (unsigned)l->mode);
	} else {
		CHECK(l->path == NULL, "TCP with a path");
		CHECK(l->port >= 1 && l->port <= 65535, "port %u", l->port);
		CHECK(l->host == NULL || printable(l->host), "host");
		CHECK(l->telnet == (l->kind == CFG_LISTEN_TELNET), "telnet");
		CHECK(l->owner == (uid_t)-1 && l->group == (gid_t)-1,
		    "TCP with an owner");
	}
	CHECK(l->ro == 0 || l->ro == 1, "ro");
	CHECK(l->noreplay == 0 || l->noreplay == 1, "noreplay");
}

static int
same_path(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* No unix listener path is used twice in the file. */
static void
check_unique(const struct config *c)
{
	const char	*paths[2048];
	size_t		 n = 0, i, j, k;

	for (i = 0; i < c->nconsoles && n < 2000; i++) {
		for (j = 0; j < c->consoles[i].nlisten; j++) {
			if (c->consoles[i].listen[j].path != NULL) {
				paths[n++] = c->consoles[i].listen[j].path;
			}
		}
		/* A vhost-port has its device's socket. */
		if (c->consoles[i].path != NULL &&
		    c->consoles[i].type != CFG_BACKEND_VPORT) {
			paths[n++] = c->consoles[i].path;
		}
		if (c->consoles[i].log != NULL) {
			paths[n++] = c->consoles[i].log;
		}
	}
	for (i = 0; i < c->nnetworks && n < 2000; i++) {
		for (j = 0; j < c->networks[i].nstream; j++) {
			if (c->networks[i].stream[j].path != NULL) {
				paths[n++] = c->networks[i].stream[j].path;
			}
		}
		for (j = 0; j < c->networks[i].ndgram; j++) {
			if (c->networks[i].dgram[j].path != NULL) {
				paths[n++] = c->networks[i].dgram[j].path;
			}
		}
		if (c->networks[i].pcap != NULL) {
			paths[n++] = c->networks[i].pcap;
		}
	}
	if (c->broker_unix != NULL) {
		paths[n++] = c->broker_unix;
	}
	for (i = 0; i < n; i++) {
		for (k = i + 1; k < n; k++) {
			CHECK(!same_path(paths[i], paths[k]), "path %s twice",
			    paths[i]);
		}
	}
}

static const char *
port_name(const struct cfg_console *c)
{
	return c->port_name != NULL ? c->port_name : c->name;
}

/* A port of a vhost-user device: it exists, and carries the device's. */
static void
check_vport(const struct config *cfg, const struct cfg_console *c)
{
	const struct cfg_console	*d;
	char				 name[CFG_NAME_MAX + 16];

	CHECK(c->vport_of != NULL, "vport_of");
	d = config_console(cfg, c->vport_of);
	CHECK(d != NULL && d->type == CFG_BACKEND_VHOST, "port of %s, which "
	    "is not a vhost-user console", c->vport_of);
	CHECK(c->vport >= 1 && c->vport < d->ports, "port %u of %u",
	    c->vport, d->ports);
	CHECK(c->path != NULL && strcmp(c->path, d->path) == 0 &&
	    c->ports == d->ports && c->resize_legacy == d->resize_legacy,
	    "the device's socket, ports and order not copied");
	if (c->generated) {
		snprintf(name, sizeof name, "%s.%u", d->name, c->vport);
		CHECK(strcmp(c->name, name) == 0 && c->nlisten == 0 &&
		    c->log == NULL && c->port_name == NULL,
		    "made port console %s", c->name);
	}
}

/* Each port of a device is one console's, and no two share a name. */
static void
check_device(const struct config *cfg, const struct cfg_console *d)
{
	const struct cfg_console	*by[CFG_PORTS_MAX] = { NULL };
	const struct cfg_console	*o;
	size_t				 i;
	unsigned			 p, q;

	by[0] = d;
	for (i = 0; i < cfg->nconsoles; i++) {
		o = &cfg->consoles[i];
		if (o->type != CFG_BACKEND_VPORT ||
		    strcmp(o->vport_of, d->name) != 0) {
			continue;
		}
		CHECK(o->vport < d->ports && by[o->vport] == NULL,
		    "port %u twice", o->vport);
		by[o->vport] = o;
	}
	for (p = 0; p < d->ports; p++) {
		CHECK(by[p] != NULL, "port %u of %s has no console", p,
		    d->name);
		for (q = 0; q < p; q++) {
			CHECK(strcmp(port_name(by[p]), port_name(by[q])) != 0,
			    "ports %u and %u both named %s", q, p,
			    port_name(by[p]));
		}
	}
}

static void
check_console(const struct config *cfg, const struct cfg_console *c)
{
	size_t	i;

	CHECK(name_valid(c->name), "console name");
	CHECK(config_console(cfg, c->name) == c, "lookup %s", c->name);
	CHECK(c->file != NULL && strcmp(c->file, NAME) == 0, "file");
	CHECK(c->line >= 1, "line");
	switch (c->type) {
	case CFG_BACKEND_SERIAL:
		CHECK(c->device != NULL && c->device[0] == '/', "device");
		break;
	case CFG_BACKEND_UNIX:
	case CFG_BACKEND_VHOST:
		CHECK(c->path != NULL && c->path[0] == '/', "path");
		break;
	case CFG_BACKEND_TCP:
		CHECK(c->host != NULL && c->host[0] != '\0', "host");
		CHECK(c->port >= 1 && c->port <= 65535, "port");
		break;
	case CFG_BACKEND_EXEC:
		CHECK(c->argv[0] != NULL && c->argv[0][0] == '/', "argv[0]");
		break;
	case CFG_BACKEND_PTY:
		CHECK(c->link != NULL && c->link[0] == '/', "link");
		break;
	case CFG_BACKEND_VPORT:
		check_vport(cfg, c);
		break;
	default:
		CHECK(0, "type %d", (int)c->type);
	}
	CHECK(c->type == CFG_BACKEND_SERIAL || c->device == NULL, "device");
	CHECK(c->type == CFG_BACKEND_UNIX || c->type == CFG_BACKEND_VHOST ||
	    c->type == CFG_BACKEND_VPORT || c->path == NULL, "path");
	CHECK(c->ports >= 1 && c->ports <= CFG_PORTS_MAX, "ports %u",
	    c->ports);
	CHECK(c->type == CFG_BACKEND_VPORT || (c->vport_of == NULL &&
	    c->vport == 0 && !c->generated && !c->console_port), "vport");
	CHECK(c->port_name == NULL || name_valid(c->port_name), "port-name");
	if (c->type == CFG_BACKEND_VHOST) {
		check_device(cfg, c);
	}
	CHECK(c->type == CFG_BACKEND_TCP || c->host == NULL, "host");
	CHECK(c->type == CFG_BACKEND_EXEC || c->argv[0] == NULL, "argv");
	CHECK(c->type == CFG_BACKEND_PTY || c->link == NULL, "link");
	CHECK(c->telnet == 0 || c->type == CFG_BACKEND_UNIX ||
	    c->type == CFG_BACKEND_TCP, "telnet on type %d", (int)c->type);
	for (i = 0; c->argv[i] != NULL; i++) {
		CHECK(i < CFG_ARGV_MAX, "argv not ended");
	}
	CHECK(c->baud >= 50 && c->baud <= 4000000, "baud %u", c->baud);
	CHECK(c->data_bits >= 5 && c->data_bits <= 8, "data bits");
	CHECK(c->stop_bits == 1 || c->stop_bits == 2, "stop bits");
	CHECK(c->parity <= CFG_PARITY_SPACE, "parity");
	CHECK(c->flow <= CFG_FLOW_XONXOFF, "flow");
	CHECK(c->dir != NULL && c->dir[0] == '/', "dir");
	CHECK(c->restart_ms <= 3600 * 1000, "restart delay");
	CHECK(c->cols >= 1 && c->cols <= 9999 && c->rows >= 1 &&
	    c->rows <= 9999, "size");
	CHECK(c->nlisten <= CFG_LISTEN_MAX, "nlisten");
	for (i = 0; i < c->nlisten; i++) {
		check_listen(&c->listen[i], 1);
		if (c->listen[i].kind == CFG_LISTEN_UNIX) {
			CHECK(c->listen[i].mode == c->unix_mode &&
			    c->listen[i].owner == c->unix_owner &&
			    c->listen[i].group == c->unix_group,
			    "unix settings not copied");
		}
	}
	CHECK(c->rw.nuids <= CFG_ACL_MAX && c->rw.ngids <= CFG_ACL_MAX &&
	    c->ro.nuids <= CFG_ACL_MAX && c->ro.ngids <= CFG_ACL_MAX, "acl");
	CHECK(!c->rw.set || c->rw.nuids + c->rw.ngids > 0, "empty rw");
	CHECK(c->replay <= 64 * 1024 * 1024, "replay");
	CHECK(c->backlog >= 4096 && c->backlog <= 1024 * 1024 * 1024,
	    "backlog");
	CHECK(c->log == NULL || c->log[0] == '/', "log");
}

static void
check_network(const struct config *cfg, const struct cfg_network *n)
{
	const struct cfg_listen	*l;
	size_t			 i;

	CHECK(name_valid(n->name), "network name");
	CHECK(config_network(cfg, n->name) == n, "lookup %s", n->name);
	CHECK(n->nstream + n->ndgram >= 1, "a network without ports");
	CHECK(n->nstream <= CFG_LISTEN_MAX && n->ndgram <= CFG_LISTEN_MAX,
	    "ports");
	for (i = 0; i < n->nstream + n->ndgram; i++) {
		l = i < n->nstream ? &n->stream[i] : &n->dgram[i - n->nstream];
		CHECK(l->kind == CFG_LISTEN_RAW || l->kind == CFG_LISTEN_UNIX,
		    "port kind %d", (int)l->kind);
		CHECK(!l->ro && !l->noreplay && !l->telnet, "port options");
		if (l->kind == CFG_LISTEN_UNIX) {
			CHECK(l->path != NULL && l->path[0] == '/' &&
			    strlen(l->path) <= 107, "port path");
			CHECK(l->mode == n->unix_mode &&
			    l->owner == n->unix_owner &&
			    l->group == n->unix_group,
			    "unix settings not copied");
		} else {
			CHECK(l->path == NULL && l->port >= 1 &&
			    l->port <= 65535, "port %u", l->port);
		}
	}
	CHECK(n->hub == 0 || n->hub == 1, "mode");
	CHECK(n->mtu >= 68 && n->mtu <= 65518, "mtu %u", n->mtu);
	CHECK(n->queue >= (size_t)n->mtu + 22 && n->queue <= 64 << 20,
	    "queue %zu for mtu %u", n->queue, n->mtu);
	CHECK(n->queue_frames >= 1, "queue-frames");
	CHECK(n->max_ports >= 2 && n->max_ports <= 4096, "max-ports");
	CHECK(n->max_macs >= 16, "max-macs");
	CHECK(n->ageing_ms <= 86400 * 1000 &&
	    n->dgram_ageing_ms <= 86400 * 1000, "ageing");
	CHECK(n->pcap == NULL || n->pcap[0] == '/', "pcap");
	CHECK(n->pcap_size >= 64 * 1024, "pcap-size");
}

static void
check_config(const struct config *c)
{
	size_t	i, j;

	CHECK(strcmp(c->file, NAME) == 0, "file");
	CHECK(c->nconsoles <= CFG_CONSOLES_MAX, "nconsoles");
	CHECK(c->nbroker <= CFG_LISTEN_MAX, "nbroker");
	for (i = 0; i < c->nbroker; i++) {
		check_listen(&c->broker[i], 0);
		CHECK(c->broker[i].kind == CFG_LISTEN_TELNET, "broker kind");
	}
	CHECK(!(c->broker_unix_off && c->broker_unix != NULL), "broker-unix");
	CHECK(c->broker_unix == NULL || c->broker_unix[0] == '/',
	    "broker-unix");
	CHECK(c->max_clients >= 1 && c->max_clients <= 65536, "max-clients");
	for (i = 0; i < c->nconsoles; i++) {
		check_console(c, &c->consoles[i]);
		for (j = 0; j < i; j++) {
			CHECK(strcmp(c->consoles[i].name,
			    c->consoles[j].name) != 0, "console twice");
		}
	}
	for (i = 0; i < c->nnetworks; i++) {
		check_network(c, &c->networks[i]);
		for (j = 0; j < i; j++) {
			CHECK(strcmp(c->networks[i].name,
			    c->networks[j].name) != 0, "network twice");
		}
	}
	for (i = 0; i < c->nlogins; i++) {
		CHECK(name_valid(c->logins[i].name), "login name");
		CHECK(c->logins[i].nlisten >= 1 &&
		    c->logins[i].nlisten <= CFG_LISTEN_MAX, "login nlisten");
		for (j = 0; j < c->logins[i].nlisten; j++) {
			check_listen(&c->logins[i].listen[j], 0);
			CHECK(!c->logins[i].listen[j].ro &&
			    !c->logins[i].listen[j].noreplay, "login options");
		}
		CHECK(c->logins[i].program[0] == '/', "program");
		CHECK(c->logins[i].issue[0] == '/', "issue");
		for (j = 0; c->logins[i].accept_env[j] != NULL; j++) {
			CHECK(j < CFG_ACL_MAX, "accept-env not ended");
		}
		for (j = 0; j < i; j++) {
			CHECK(strcmp(c->logins[i].name, c->logins[j].name) != 0,
			    "login twice");
		}
	}
	check_unique(c);
}

/* The helpers, on one line of the input. */
static void
check_helpers(const char *text)
{
	char			 line[512], err[256];
	struct cfg_listen	 l;
	size_t			 n, sz;
	unsigned		 ms;
	int			 kind;

	n = strcspn(text, "\n");
	if (n >= sizeof line) {
		n = sizeof line - 1;
	}
	memcpy(line, text, n);
	line[n] = '\0';
	if (config_size(line, &sz) == 0) {
		CHECK(line[0] >= '0' && line[0] <= '9', "size from \"%s\"",
		    line);
	}
	if (config_duration_ms(line, &ms) == 0) {
		CHECK(line[0] >= '0' && line[0] <= '9', "duration from "
		    "\"%s\"", line);
	}
	for (kind = CFG_LISTEN_TELNET; kind <= CFG_LISTEN_UNIX; kind++) {
		err[0] = '\0';
		if (config_listen(line, (enum cfg_listen_kind)kind, &l, err,
		    sizeof err) == 0) {
			check_listen(&l, 1);
			config_listen_clear(&l);
		} else {
			CHECK(err[0] != '\0', "config_listen without a reason");
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c1, *c2;
	const char	*tpl = "", *at;
	char		*text, err1[1024], err2[1024], small[24];
	size_t		 tlen, pos, nl, i, lines;
	unsigned long	 line;
	int		 r1, r2;

	if (size >= 1 && data[0] % (NTEMPLATES + 1) != 0) {
		tpl = templates[data[0] % (NTEMPLATES + 1) - 1];
	}
	tlen = strlen(tpl);
	/* Insert after line data[1] of the template (or at its end). */
	pos = 0;
	for (nl = size >= 2 ? data[1] : 0; nl > 0 && pos < tlen; nl--) {
		at = strchr(tpl + pos, '\n');
		pos = at != NULL ? (size_t)(at - tpl) + 1 : tlen;
	}
	data += size >= 2 ? 2 : size;
	size -= size >= 2 ? 2 : size;
	if ((text = malloc(tlen + size + 1)) == NULL) {
		return 0;
	}
	memcpy(text, tpl, pos);
	memcpy(text + pos, data, size);
	memcpy(text + pos + size, tpl + pos, tlen - pos);
	text[tlen + size] = '\0';
	lines = count_lines(text);

	r1 = config_parse(NAME, text, &c1, err1, sizeof err1);
	r2 = config_parse(NAME, text, &c2, err2, sizeof err2);
	CHECK(r1 == r2, "two parses disagree");
	if (r1 == -1) {
		CHECK(c1 == NULL && c2 == NULL, "config on failure");
		CHECK(strcmp(err1, err2) == 0, "messages differ");
		CHECK(printable(err1), "unprintable message");
		CHECK(strncmp(err1, NAME ":", strlen(NAME ":")) == 0,
		    "message without the file: %s", err1);
		line = strtoul(err1 + strlen(NAME ":"), NULL, 10);
		CHECK(line >= 1 && line <= lines, "line %lu of %zu: %s", line,
		    lines, err1);
		CHECK(config_parse(NAME, text, &c1, small, sizeof small) == -1,
		    "a short buffer changed the result");
		CHECK(strlen(small) == sizeof small - 1 ||
		    strcmp(small, err1) == 0, "short buffer");
		CHECK(strncmp(small, err1, strlen(small)) == 0,
		    "short buffer differs");
	} else {
		CHECK(c1 != NULL && c2 != NULL, "no config");
		check_config(c1);
		CHECK(c1->nconsoles == c2->nconsoles &&
		    c1->nlogins == c2->nlogins &&
		    c1->nnetworks == c2->nnetworks, "counts differ");
		for (i = 0; i < c1->nconsoles; i++) {
			CHECK(c1->consoles[i].digest == c2->consoles[i].digest,
			    "digests differ");
		}
		for (i = 0; i < c1->nlogins; i++) {
			CHECK(c1->logins[i].digest == c2->logins[i].digest,
			    "login digests differ");
		}
		for (i = 0; i < c1->nnetworks; i++) {
			CHECK(c1->networks[i].digest ==
			    c2->networks[i].digest, "network digests differ");
		}
		config_free(c1);
		config_free(c2);
	}
	check_helpers((const char *)text + pos);
	free(text);
	return 0;
}
