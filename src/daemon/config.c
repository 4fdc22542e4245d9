/*
 * config: the configuration file (doc/ttyhub.conf.5), read with inih.
 *
 * inih splits each line into a key and a value; everything else is ours.
 * Our reader hands inih one line at a time, so it knows the line number,
 * refuses long lines and control characters, and reads section headers
 * itself: inih cuts section names at 49 bytes and says nothing about a
 * section without keys.  Keys are looked up in config-table.c's table,
 * which reads their values.  Keys may come in any order, so a section is
 * checked as a whole when the next one starts or the file ends, by the
 * rules in config-section.c.
 *
 * The first problem ends the parse with one message "FILE:LINE: reason"
 * (config-parser.c, with the claims: what a file may use once); whatever
 * was built so far is freed.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "config-kind.h"
#include "config-parser.h"
#include "config-section.h"
#include "config-table.h"
#include "config-value.h"

#define CFG_FILE_MAX	(16 * 1024 * 1024)	/* config_load reads no more */

/*
 * A section header, "[ttyhubd]", "[console NAME]", "[login NAME]" or
 * "[network NAME]", from s (after leading blanks) to close (its ']').
 */
static int
cfg_header(struct cfg_parser *p, const char *s, const char *close)
{
	char		 in[CFG_LINE_MAX + 1], text[CFG_LINE_MAX + 1];
	char		 q[CFG_QUOTE_MAX + 4];
	char		*kind, *name, *e;
	const char	*after;
	size_t		 n;

	/* The section before is complete: its problems come first. */
	if (cfg_section_end(p) == -1) {
		return -1;
	}
	for (after = close + 1; cfg_value_space(*after); after++) {
		/* nothing */
	}
	if (*after != '\0') {
		return cfg_fail_line(p, p->line, "text after the section "
		    "header's ] (comments go on lines of their own)");
	}
	n = (size_t)(close - s - 1);
	memcpy(in, s + 1, n);
	in[n] = '\0';
	memcpy(text, in, n + 1);	/* for a message: in is cut up below */
	for (kind = in; cfg_value_space(*kind); kind++) {
		/* nothing */
	}
	for (e = kind; *e != '\0' && !cfg_value_space(*e); e++) {
		/* nothing */
	}
	name = e;
	while (cfg_value_space(*name)) {
		name++;
	}
	*e = '\0';
	for (e = name + strlen(name); e > name && cfg_value_space(e[-1]); e--) {
		/* nothing */
	}
	*e = '\0';

	if (strcmp(kind, "ttyhubd") == 0) {
		if (*name != '\0') {
			return cfg_fail_line(p, p->line, "[ttyhubd] takes no "
			    "name");
		}
		if (p->daemon_line != 0) {
			return cfg_fail_line(p, p->line, "duplicate [ttyhubd] "
			    "(first at line %u)", p->daemon_line);
		}
		p->daemon_line = p->line;
		p->sect = CFG_SECT_DAEMON;
		p->sect_line = p->line;
		return 0;
	}
	if (strcmp(kind, "console") != 0 && strcmp(kind, "login") != 0 &&
	    strcmp(kind, "network") != 0) {
		return cfg_fail_line(p, p->line, "unknown section [%s] "
		    "(expected [ttyhubd], [console NAME], [login NAME] or "
		    "[network NAME])", cfg_quote(text, q, sizeof q));
	}
	if (*name == '\0') {
		return cfg_fail_line(p, p->line, "[%s] needs a name: [%s NAME]",
		    kind, kind);
	}
	if (!cfg_value_name(name)) {
		return cfg_fail_line(p, p->line, "%s name \"%s\": use 1 to %d "
		    "letters, digits, '.', '_' or '-', not starting with '.' "
		    "or '-'", kind, cfg_quote(name, q, sizeof q),
		    CFG_NAME_MAX);
	}
	p->sect_line = p->line;
	if (strcmp(kind, "console") == 0) {
		return cfg_new_console(p, name);
	}
	if (strcmp(kind, "network") == 0) {
		return cfg_new_network(p, name);
	}
	return cfg_new_login(p, name);
}

/*
 * inih's reader: the next line into str (num bytes).  Lines are checked
 * here, and section headers read, before inih sees them; returning NULL
 * ends the parse, at the end of the text or after a failure.
 */
static char *
cfg_reader(char *str, int num, void *arg)
{
	struct cfg_parser	*p = arg;
	const char		*line, *nl, *s, *close, *eq, *colon;
	size_t			 len, i;
	unsigned char		 c;

	if (p->failed || p->pos >= p->len) {
		return NULL;
	}
	line = p->text + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->line++;

	if (len > 0 && line[len - 1] == '\r') {
		len--;
	}
	if (p->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;	/* a UTF-8 byte order mark */
		len -= 3;
	}
	if (len > CFG_LINE_MAX) {
		cfg_fail_line(p, p->line, "line too long (more than %d bytes)",
		    CFG_LINE_MAX);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			cfg_fail_line(p, p->line, "control character 0x%02x "
			    "(only tabs and printable text are allowed)", c);
			return NULL;
		}
	}
	if (num < 0 || len + 2 > (size_t)num) {
		cfg_fail_line(p, p->line, "line too long for inih");
		return NULL;
	}
	/*
	 * Without its leading blanks, so that no inih, whatever its build
	 * options, takes an indented line as the continuation of a value.
	 */
	while (len > 0 && cfg_value_space(*line)) {
		line++;
		len--;
	}
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';

	s = str;
	if (*s == '[' && (close = strchr(s, ']')) != NULL) {
		str[len] = '\0';
		if (cfg_header(p, s, close) == -1) {
			return NULL;
		}
		str[len] = '\n';
	} else if (*s != '\n' && *s != ';' && *s != '#') {
		/* inih also takes "key: value"; we want one form only. */
		eq = strchr(s, '=');
		colon = strchr(s, ':');
		if (colon != NULL && (eq == NULL || colon < eq)) {
			cfg_fail_line(p, p->line, "syntax error (expected "
			    "[section] or key = value)");
			return NULL;
		}
	}
	return str;
}

/* Keys. */

/*
 * One key's value, read by the table into the section's struct; what is
 * wrong with it becomes "KEY "WORD": reason" or a message of its own.
 */
static int
cfg_set(struct cfg_parser *p, const struct cfg_key *k, const char *value)
{
	struct cfg_ctx	 x;
	void		*base;
	char		 q[CFG_QUOTE_MAX + 4];

	switch (p->sect) {
	case CFG_SECT_CONSOLE:
		base = p->con;
		break;
	case CFG_SECT_LOGIN:
		base = p->login;
		break;
	case CFG_SECT_NETWORK:
		base = p->net;
		break;
	default:
		base = p->cfg;
		break;
	}
	x.keyline = p->keyline;
	x.claim = cfg_claim;
	x.arg = p;
	if (cfg_table_read(&x, k, base, value) == 0) {
		return 0;
	}
	if (x.quote) {
		return cfg_fail(p, p->line, "%s \"%s\": %s", k->name,
		    cfg_quote(x.word, q, sizeof q), x.why);
	}
	return cfg_fail(p, p->line, "%s", x.why);
}

static int
cfg_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cfg_parser	*p = arg;
	const struct cfg_key	*k;
	const char		*hint;
	char			 q[CFG_QUOTE_MAX + 4];
	size_t			 i;

	(void)section;		/* cut at 49 bytes: cfg_header keeps ours */
	if (p->failed) {
		return 0;
	}
	if (*name == '\0') {
		cfg_fail_line(p, p->line, "syntax error (expected [section] "
		    "or key = value)");
		return 0;
	}
	if (p->sect == CFG_SECT_NONE) {
		cfg_fail_line(p, p->line, "key \"%s\" before any section "
		    "(start with [ttyhubd], [console NAME], [login NAME] or "
		    "[network NAME])",
		    cfg_quote(name, q, sizeof q));
		return 0;
	}
	k = cfg_table_find(p->sect, name, value, &i);
	if (k == NULL) {
		hint = cfg_table_suggest(p->sect, name);
		cfg_fail(p, p->line, "unknown key \"%s\"%s%s%s",
		    cfg_quote(name, q, sizeof q),
		    hint != NULL ? " (did you mean \"" : "",
		    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		return 0;
	}
	if (p->keyline[i] != 0 && !(k->flags & CFG_K_REPEAT)) {
		cfg_fail(p, p->line, "duplicate key \"%s\" (first at line %u)",
		    name, p->keyline[i]);
		return 0;
	}
	if (p->keyline[i] == 0) {
		p->keyline[i] = p->line;
	}
	return cfg_set(p, k, value) == 0;
}

static int
cfg_parse_text(const char *name, const char *text, size_t len,
    struct config **out, char *err, size_t errlen)
{
	struct cfg_parser	 p;
	char			 why[CFG_MSG_MAX];
	int			 r;

	*out = NULL;
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	memset(&p, 0, sizeof p);
	p.name = name;
	p.text = text;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	if ((p.cfg = calloc(1, sizeof *p.cfg)) == NULL ||
	    (p.cfg->file = strdup(name)) == NULL) {
		free(p.cfg);
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: out of memory", name);
		}
		return -1;
	}
	if (cfg_table_defaults(CFG_SECT_DAEMON, p.cfg, why, sizeof why) ==
	    -1) {
		config_free(p.cfg);
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: %s", name, why);
		}
		return -1;
	}

	/*
	 * Values are exact: no continuation lines, no comments after a
	 * value.  Our reader checks the length, so inih's buffer only has to
	 * hold the longest line we accept.  These are globals of the library
	 * (Debian builds it with INI_RUNTIME_OPTIONS); the daemon has one
	 * thread.
	 */
	ini_allow_multiline = false;
	ini_start_comment_prefixes = (char *)";#";
	ini_allow_inline_comments = false;
	ini_allow_bom = false;
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
	ini_use_stack = true;
	ini_max_line = CFG_LINE_MAX + 3;

	r = ini_parse_stream(cfg_reader, &p, cfg_handler, &p);
	if (!p.failed && r > 0) {
		cfg_fail_line(&p, (unsigned)r, "syntax error (expected "
		    "[section] or key = value)");
	} else if (!p.failed && r < 0) {
		cfg_fail_line(&p, p.line, "out of memory");
	}
	if (!p.failed && cfg_section_end(&p) == 0) {
		(void)cfg_vhost_ports(&p);
	}
	if (!p.failed && p.tls_line != 0 && p.cfg->tls_cert == NULL) {
		cfg_fail_line(&p, p.tls_line, "a listener with tls needs "
		    "tls-cert and tls-key in the [ttyhubd] section");
	}
	free(p.claims);
	if (p.failed) {
		config_free(p.cfg);
		return -1;
	}
	*out = p.cfg;
	return 0;
}

int
config_parse(const char *name, const char *text, struct config **out,
    char *err, size_t errlen)
{
	return cfg_parse_text(name, text, strlen(text), out, err, errlen);
}

int
config_load(const char *file, struct config **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, *n;
	size_t		 len = 0, cap = 0;
	ssize_t		 got;
	int		 fd, r, saved;

	*out = NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		saved = errno;
		if (saved == 0 || S_ISDIR(st.st_mode)) {
			saved = EISDIR;
		}
		close(fd);
		snprintf(err, errlen, "%s: %s", file, strerror(saved));
		return -1;
	}
	/* One byte more than the cap tells a file of exactly the cap. */
	for (;;) {
		if (len == cap) {
			if (cap == CFG_FILE_MAX + 1) {
				break;
			}
			cap = cap != 0 ? cap * 2 : 64 * 1024;
			if (cap > CFG_FILE_MAX + 1) {
				cap = CFG_FILE_MAX + 1;
			}
			if ((n = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				close(fd);
				snprintf(err, errlen, "%s: out of memory",
				    file);
				return -1;
			}
			buf = n;
		}
		got = read(fd, buf + len, cap - len);
		if (got == -1 && errno == EINTR) {
			continue;
		}
		if (got == -1) {
			saved = errno;
			free(buf);
			close(fd);
			snprintf(err, errlen, "%s: %s", file, strerror(saved));
			return -1;
		}
		if (got == 0) {
			break;
		}
		len += (size_t)got;
	}
	if (len > CFG_FILE_MAX) {
		free(buf);
		close(fd);
		snprintf(err, errlen, "%s: larger than %d MiB", file,
		    CFG_FILE_MAX / (1024 * 1024));
		return -1;
	}
	close(fd);
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	buf[len] = '\0';	/* the reader refuses a NUL inside, by line */
	r = cfg_parse_text(file, buf, len, out, err, errlen);
	free(buf);
	return r;
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL) {
		return;
	}
	free(c->file);
	cfg_table_free(CFG_SECT_DAEMON, c);
	for (i = 0; i < c->nconsoles; i++) {
		free(c->consoles[i].file);
		cfg_table_free(CFG_SECT_CONSOLE, &c->consoles[i]);
	}
	free(c->consoles);
	for (i = 0; i < c->nlogins; i++) {
		cfg_table_free(CFG_SECT_LOGIN, &c->logins[i]);
	}
	free(c->logins);
	for (i = 0; i < c->nnetworks; i++) {
		cfg_table_free(CFG_SECT_NETWORK, &c->networks[i]);
	}
	free(c->networks);
	free(c);
}

const struct cfg_console *
config_console(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nconsoles; i++) {
		if (strcmp(c->consoles[i].name, name) == 0) {
			return &c->consoles[i];
		}
	}
	return NULL;
}

const struct cfg_network *
config_network(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nnetworks; i++) {
		if (strcmp(c->networks[i].name, name) == 0) {
			return &c->networks[i];
		}
	}
	return NULL;
}
