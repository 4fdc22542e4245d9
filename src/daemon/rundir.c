/*
 * rundir: the broker's default socket and the directory it lives in.
 * See rundir.h.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rundir.h"

/* A /tmp directory we made, or that is as safe as one we would have. */
static int
rundir_check(const char *dir, int make, char *err, size_t errlen)
{
	struct stat	st;
	uid_t		uid = geteuid();

	if (make && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT && !make) {
			return 0;
		}
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is %s, not a directory: remove it",
		    dir, S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		return -1;
	}
	if (st.st_uid != uid) {
		snprintf(err, errlen, "%s belongs to uid %lu, not to this "
		    "user (uid %lu), so someone else made it: have it removed",
		    dir, (unsigned long)st.st_uid, (unsigned long)uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s can be written by other users "
		    "(mode %04o): chmod 700 it", dir,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
rundir_socket(char *buf, size_t len, int make, char *err, size_t errlen)
{
	const char	*xdg = getenv("XDG_RUNTIME_DIR");
	char		 dir[64];
	int		 n;

	if (geteuid() == 0) {
		if (make && mkdir(RUNDIR_ROOT, 0755) == -1 &&
		    errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s",
			    RUNDIR_ROOT, strerror(errno));
			return -1;
		}
		n = snprintf(buf, len, "%s", RUNDIR_ROOT_SOCKET);
	} else if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(buf, len, "%s/ttyhub.sock", xdg);
	} else {
		snprintf(dir, sizeof dir, "/tmp/ttyhub-%lu",
		    (unsigned long)geteuid());
		if (rundir_check(dir, make, err, errlen) == -1) {
			return -1;
		}
		n = snprintf(buf, len, "%s/ttyhub.sock", dir);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "the default socket path is too long "
		    "(XDG_RUNTIME_DIR=%s)", xdg != NULL ? xdg : "");
		return -1;
	}
	return 0;
}
