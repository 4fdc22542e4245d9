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
	char			**env = NULL, *path;
	size_t			 i, n = 0;

	while (cfg->accept_env[n] != NULL) {
		n++;
	}
	if ((svc = calloc(1, sizeof *svc)) == NULL ||
	    (path = strdup(cfg->program)) == NULL) {
		free(svc);
		return NULL;
	}
	if (n > 0) {
		if ((env = calloc(n + 1, sizeof *env)) == NULL) {
			free(path);
			free(svc);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if ((env[i] = strdup(cfg->accept_env[i])) == NULL) {
				while (i-- > 0) {
					free(env[i]);
				}
				free(env);
				free(path);
				free(svc);
				return NULL;
			}
		}
	}
	snprintf(svc->name, sizeof svc->name, "login %s", cfg->name);
	login_set_program(svc, path);
	svc->close_on_exit = cfg->close_on_exit;
	svc->accept_env = (const char *const *)env;
	svc->owned = 1;
	svc->refs = 1;
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
	char	**env;
	size_t	  i;

	if (--svc->refs > 0) {
		return;
	}
	free(svc->issue);
	svc->issue = NULL;
	if (!svc->owned) {
		return;		/* the command line's: static */
	}
	env = (char **)svc->accept_env;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		free(env[i]);
	}
	free(env);
	free((char *)svc->path);
	free(svc);
}
