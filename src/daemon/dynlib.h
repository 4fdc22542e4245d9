/*
 * dynlib: a shared library the client loads the first time a run needs
 * it, into a table of its functions (tls-lib.h, browse-lib.h say which
 * and why).  Opened by its soname, the name the link editor would have
 * recorded, and never closed: what the library made outlives the call
 * that loads it, and its exit handlers are in it.
 */
#ifndef TTYHUB_DYNLIB_H
#define TTYHUB_DYNLIB_H

#include <stddef.h>

/* One function of a table: its name, and its member's offset. */
struct dynlib_sym {
	const char	*name;
	size_t		 off;
};

/*
 * Open soname and fill table (size bytes, one pointer per sym) from
 * syms: 0, or -1 with why in err, naming what needs the library and the
 * Debian package that has it.  The table is filled whole or not at all.
 */
int	dynlib_open(const char *soname, const char *what,
	    const char *package, const struct dynlib_sym *syms, size_t n,
	    void *table, size_t size, char *err, size_t errlen);

#endif
