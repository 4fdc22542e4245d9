/*
 * proc: the children we fork, and reaping them in the event loop.
 *
 * SIGCHLD reaches us through libevent's signal event (a self-pipe written
 * by its handler); proc_reap() then collects every exited child with
 * waitpid(WNOHANG) and tells whoever registered it.  A child whose owner
 * has gone (proc_forget) is still reaped and its status logged.
 */
#ifndef TTYHUB_PROC_H
#define TTYHUB_PROC_H

#include <sys/types.h>

typedef void	(*proc_exit_cb)(void *arg, pid_t pid, int status);

int	proc_add(pid_t pid, const char *what, proc_exit_cb cb, void *arg);
void	proc_forget(pid_t pid);
void	proc_reap(void);
size_t	proc_count(void);

/* Describe a wait status ("exit status 0", "killed by signal 9"). */
const char *proc_status_str(int status, char *buf, size_t len);

#endif
