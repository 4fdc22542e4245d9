/*
 * tls-lib: libssl, loaded when the client first makes a TLS context.
 * See tls-lib.h.  Part of ttyhub only; ttyhubd links libssl.  dynlib.c
 * opens it and fills the table.
 */
#include <stddef.h>

#include "dynlib.h"

#define TLS_LIB_FILL
#include "tls-lib.h"

struct tls_lib	tls_lib_fn;

#define TLS_LIB_SYM(f)	{ #f, offsetof(struct tls_lib, f) },
static const struct dynlib_sym tls_lib_syms[] = {
	TLS_LIB_FUNCS(TLS_LIB_SYM)
};
#undef TLS_LIB_SYM

#define TLS_LIB_NSYMS	(sizeof tls_lib_syms / sizeof tls_lib_syms[0])

/* Each member a pointer, none left out of the list. */
_Static_assert(sizeof(struct tls_lib) == TLS_LIB_NSYMS * sizeof(void *),
    "tls_lib: a member that is not in TLS_LIB_FUNCS");

int
tls_lib_open(char *err, size_t errlen)
{
	static int	loaded;

	if (!loaded && dynlib_open(TLS_LIB_SONAME, "TLS", TLS_LIB_PACKAGE,
	    tls_lib_syms, TLS_LIB_NSYMS, &tls_lib_fn, sizeof tls_lib_fn, err,
	    errlen) == 0) {
		loaded = 1;
	}
	return loaded ? 0 : -1;
}
