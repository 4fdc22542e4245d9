/*
 * login: login services.  See login.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "login.h"

#define LOGIN_ISSUE_MAX	4096
#define LOGIN_DEFAULT_TERM	"vt100"
#define LOGIN_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
login_set_program(struct login_svc *svc, const char *path)
{
	const char	*p = strrchr(path, '/');

	svc->path = path;
	/* A program named login gets login's arguments (-h, -- USER). */
	svc->login_default = strcmp(p != NULL ? p + 1 : path, "login") == 0;
}

void
login_load_issue(struct login_svc *svc, const char *path, int explicit)
{
	char	raw[LOGIN_ISSUE_MAX];
	char	*out;
	ssize_t	n;
	size_t	i, o = 0;
	int	fd;

	free(svc->issue);
	svc->issue = NULL;
	svc->issue_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (explicit) {
			log_warn("issue file %s: %s", path, strerror(errno));
		}
		return;
	}
	n = read(fd, raw, sizeof raw);
	close(fd);
	if (n <= 0 || (out = malloc(2 * (size_t)n)) == NULL) {
		return;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (raw[i] == '\n') {
			out[o++] = '\r';
		} else if ((unsigned char)raw[i] == 0xff) {
			out[o++] = (char)0xff;
		}
		out[o++] = raw[i];
	}
	svc->issue = out;
	svc->issue_len = o;
}

struct login_svc *
login_new(const struct cfg_login *cfg)
{
	struct login_svc	*svc;
	size_t			 i, n = 0, size, len;
	char			**env, *p;

	/* The names and their array in one block: one thing to free. */
	size = sizeof *env;
	for (n = 0; cfg->accept_env[n] != NULL; n++) {
		size += sizeof *env + strlen(cfg->accept_env[n]) + 1;
	}
	if ((svc = calloc(1, sizeof *svc)) == NULL) {
		return NULL;
	}
	if ((env = malloc(size)) == NULL ||
	    (svc->own_path = strdup(cfg->program)) == NULL) {
		free(env);
		free(svc);
		return NULL;
	}
	p = (char *)(env + n + 1);
	for (i = 0; i < n; i++) {
		len = strlen(cfg->accept_env[i]) + 1;
		memcpy(p, cfg->accept_env[i], len);
		env[i] = p;
		p += len;
	}
	env[n] = NULL;
	svc->own_env = env;
	svc->accept_env = (const char *const *)env;
	svc->owned = 1;
	svc->refs = 1;
	snprintf(svc->name, sizeof svc->name, "login %s", cfg->name);
	svc->close_on_exit = cfg->close_on_exit;
	login_set_program(svc, svc->own_path);
	login_load_issue(svc, cfg->issue, 0);
	return svc;
}

void
login_hold(struct login_svc *svc)
{
	svc->refs++;
}

void
login_release(struct login_svc *svc)
{
	if (--svc->refs > 0) {
		return;
	}
	free(svc->issue);
	svc->issue = NULL;
	if (!svc->owned) {
		return;		/* the command line's: static */
	}
	free(svc->own_env);		/* names and array: one block */
	free(svc->own_path);
	free(svc);
}

/* Add NAME=VALUE to x's environment; ne has room (see the sizes). */
static size_t
login_env_add(struct login_exec *x, size_t ne, const char *name,
    const char *value)
{
	snprintf(x->buf[ne], sizeof x->buf[ne], "%s=%s", name, value);
	x->envp[ne] = x->buf[ne];
	return ne + 1;
}

void
login_exec(const struct login_svc *svc, const struct tn *tn, char *host,
    struct login_exec *x)
{
	const struct tn_env	*e;
	size_t			 i, ne = 0;
	int			 na = 0;

	x->argv[na++] = (char *)svc->path;
	x->user = tn_user(tn);
	if (svc->login_default) {
		x->argv[na++] = (char *)"-h";
		x->argv[na++] = host;
		if (x->user != NULL) {
			/* A validated name, and after -- whatever it is. */
			x->argv[na++] = (char *)"--";
			x->argv[na++] = (char *)x->user;
		}
	}
	x->argv[na] = NULL;

	x->term = tn_term(tn) != NULL ? tn_term(tn) : LOGIN_DEFAULT_TERM;
	ne = login_env_add(x, ne, "TERM", x->term);
	ne = login_env_add(x, ne, "PATH", LOGIN_PATH);
	/* tn keeps at most TN_ENV_MAX: the array has room for them all. */
	for (i = 0; i < TN_ENV_MAX && (e = tn_env_at(tn, i)) != NULL; i++) {
		ne = login_env_add(x, ne, e->name, e->value);
	}
	x->envp[ne] = NULL;
}
