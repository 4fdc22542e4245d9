/*
 * tls-lib: libssl, loaded when the client first makes a TLS context.
 * See tls-lib.h.  Part of ttyhub only; ttyhubd links libssl.
 *
 * The library is opened by its soname, the name the link editor would
 * have recorded, and never closed: contexts and connections outlive the
 * call that loads it, and OpenSSL's exit handlers are in it.  The table
 * is filled whole or not at all.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define TLS_LIB_FILL
#include "tls-lib.h"

struct tls_lib	tls_lib_fn;

#define TLS_LIB_SYM(f)	{ #f, offsetof(struct tls_lib, f) },
static const struct {
	const char	*name;
	size_t		 off;
} tls_lib_syms[] = {
	TLS_LIB_FUNCS(TLS_LIB_SYM)
};
#undef TLS_LIB_SYM

/* Each member a pointer, none left out of the list. */
_Static_assert(sizeof(struct tls_lib) == sizeof tls_lib_syms /
    sizeof tls_lib_syms[0] * sizeof(void *), "tls_lib: a member that is "
    "not in TLS_LIB_FUNCS");

int
tls_lib_open(char *err, size_t errlen)
{
	static int	 loaded;
	struct tls_lib	 fn;
	void		*h, *p;
	size_t		 i;

	if (loaded) {
		return 0;
	}
	if ((h = dlopen(TLS_LIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s (TLS needs the Debian package %s)",
		    dlerror(), TLS_LIB_PACKAGE);
		return -1;
	}
	for (i = 0; i < sizeof tls_lib_syms / sizeof tls_lib_syms[0]; i++) {
		if ((p = dlsym(h, tls_lib_syms[i].name)) == NULL) {
			snprintf(err, errlen, "%s has no %s (TLS needs the "
			    "Debian package %s)", TLS_LIB_SONAME,
			    tls_lib_syms[i].name, TLS_LIB_PACKAGE);
			(void)dlclose(h);
			return -1;
		}
		memcpy((char *)&fn + tls_lib_syms[i].off, &p, sizeof p);
	}
	tls_lib_fn = fn;
	loaded = 1;
	return 0;
}
