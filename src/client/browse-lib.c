/*
 * browse-lib: avahi-client, loaded when the client first browses.  See
 * browse-lib.h.
 *
 * The library is opened by its soname, the name the link editor would
 * have recorded, and never closed: Avahi's objects are freed before
 * browse_run returns, but the process may browse again.  The table is
 * filled whole or not at all.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if TTYHUB_AVAHI

#define BROWSE_LIB_FILL
#include "browse-lib.h"

struct browse_lib	browse_lib_fn;

#define BROWSE_LIB_SYM(f)	{ #f, offsetof(struct browse_lib, f) },
static const struct {
	const char	*name;
	size_t		 off;
} browse_lib_syms[] = {
	BROWSE_LIB_FUNCS(BROWSE_LIB_SYM)
};
#undef BROWSE_LIB_SYM

/* Each member a pointer, none left out of the list. */
_Static_assert(sizeof(struct browse_lib) == sizeof browse_lib_syms /
    sizeof browse_lib_syms[0] * sizeof(void *), "browse_lib: a member "
    "that is not in BROWSE_LIB_FUNCS");

int
browse_lib_open(char *err, size_t errlen)
{
	static int		 loaded;
	struct browse_lib	 fn;
	void			*h, *p;
	size_t			 i;

	if (loaded) {
		return 0;
	}
	if ((h = dlopen(BROWSE_LIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s (DNS-SD needs the Debian package "
		    "%s)", dlerror(), BROWSE_LIB_PACKAGE);
		return -1;
	}
	for (i = 0; i < sizeof browse_lib_syms / sizeof browse_lib_syms[0];
	    i++) {
		if ((p = dlsym(h, browse_lib_syms[i].name)) == NULL) {
			snprintf(err, errlen, "%s has no %s (DNS-SD needs "
			    "the Debian package %s)", BROWSE_LIB_SONAME,
			    browse_lib_syms[i].name, BROWSE_LIB_PACKAGE);
			(void)dlclose(h);
			return -1;
		}
		memcpy((char *)&fn + browse_lib_syms[i].off, &p, sizeof p);
	}
	browse_lib_fn = fn;
	loaded = 1;
	return 0;
}

#endif	/* TTYHUB_AVAHI */
