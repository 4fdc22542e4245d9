/*
 * proc: a small hash of live children by pid.
 */
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proc.h"

#define PROC_BUCKETS	256

struct proc {
	LIST_ENTRY(proc)	 entry;
	pid_t			 pid;
	char			 what[200];
	proc_exit_cb		 cb;
	void			*arg;
};

LIST_HEAD(proc_list, proc);
static struct proc_list	proc_table[PROC_BUCKETS];
static size_t		proc_n;

static struct proc_list *
proc_bucket(pid_t pid)
{
	return &proc_table[(unsigned)pid % PROC_BUCKETS];
}

static struct proc *
proc_find(pid_t pid)
{
	struct proc	*p;

	LIST_FOREACH(p, proc_bucket(pid), entry) {
		if (p->pid == pid) {
			return p;
		}
	}
	return NULL;
}

int
proc_add(pid_t pid, const char *what, proc_exit_cb cb, void *arg)
{
	struct proc	*p;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		return -1;
	}
	p->pid = pid;
	snprintf(p->what, sizeof p->what, "%s", what);
	p->cb = cb;
	p->arg = arg;
	LIST_INSERT_HEAD(proc_bucket(pid), p, entry);
	proc_n++;
	return 0;
}

void
proc_forget(pid_t pid)
{
	struct proc	*p;

	if ((p = proc_find(pid)) != NULL) {
		p->cb = NULL;
		p->arg = NULL;
	}
}

size_t
proc_count(void)
{
	return proc_n;
}

const char *
proc_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(buf, len, "killed by signal %d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	} else {
		snprintf(buf, len, "wait status %#x", (unsigned)status);
	}
	return buf;
}

void
proc_reap(void)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status;
	char		 how[64];

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0) {
			return;
		}
		if (pid == -1) {
			if (errno == EINTR) {
				continue;
			}
			return;	/* ECHILD: nothing left */
		}
		if ((p = proc_find(pid)) == NULL) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		LIST_REMOVE(p, entry);
		proc_n--;
		log_info("%s (pid %ld) ended: %s", p->what, (long)pid,
		    proc_status_str(status, how, sizeof how));
		if (p->cb != NULL) {
			p->cb(p->arg, pid, status);
		}
		free(p);
	}
}
