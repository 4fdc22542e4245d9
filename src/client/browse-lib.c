/*
 * browse-lib: avahi-client, loaded when the client first browses.  See
 * browse-lib.h.  src/daemon/dynlib.c opens it and fills the table; the
 * functions of avahi-common come with it.
 */
#include <stddef.h>

#if TTYHUB_AVAHI

#include "../daemon/dynlib.h"

#define BROWSE_LIB_FILL
#include "browse-lib.h"

struct browse_lib	browse_lib_fn;

#define BROWSE_LIB_SYM(f)	{ #f, offsetof(struct browse_lib, f) },
static const struct dynlib_sym browse_lib_syms[] = {
	BROWSE_LIB_FUNCS(BROWSE_LIB_SYM)
};
#undef BROWSE_LIB_SYM

#define BROWSE_LIB_NSYMS \
	(sizeof browse_lib_syms / sizeof browse_lib_syms[0])

/* Each member a pointer, none left out of the list. */
_Static_assert(sizeof(struct browse_lib) == BROWSE_LIB_NSYMS *
    sizeof(void *), "browse_lib: a member that is not in BROWSE_LIB_FUNCS");

int
browse_lib_open(char *err, size_t errlen)
{
	static int	loaded;

	if (!loaded && dynlib_open(BROWSE_LIB_SONAME, "DNS-SD",
	    BROWSE_LIB_PACKAGE, browse_lib_syms, BROWSE_LIB_NSYMS,
	    &browse_lib_fn, sizeof browse_lib_fn, err, errlen) == 0) {
		loaded = 1;
	}
	return loaded ? 0 : -1;
}

#endif	/* TTYHUB_AVAHI */
