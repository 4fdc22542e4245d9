/*
 * dynlib: a library loaded into a table of its functions.  See dynlib.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"

int
dynlib_open(const char *soname, const char *what, const char *package,
    const struct dynlib_sym *syms, size_t n, void *table, size_t size,
    char *err, size_t errlen)
{
	void	*h, *p, *fill;
	size_t	 i;

	if (n * sizeof p != size) {
		/* The callers' _Static_asserts rule this out. */
		snprintf(err, errlen, "%s: %zu functions for a table of %zu "
		    "bytes", soname, n, size);
		return -1;
	}
	if ((fill = calloc(1, size)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", soname);
		return -1;
	}
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s (%s needs the Debian package %s)",
		    dlerror(), what, package);
		free(fill);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((p = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "%s has no %s (%s needs the "
			    "Debian package %s)", soname, syms[i].name, what,
			    package);
			(void)dlclose(h);
			free(fill);
			return -1;
		}
		memcpy((char *)fill + syms[i].off, &p, sizeof p);
	}
	memcpy(table, fill, size);
	free(fill);
	return 0;
}
