/*
 * browse-lib: avahi-client's functions for browse.c, loaded the first
 * time the client browses.  Linking ttyhub with avahi-client would have
 * every start map and relocate it, libdbus, libsystemd and what they
 * pull in (about 700 us of a start that is otherwise about 1 ms), for
 * the few runs that look on the network (ARCHITECTURE.md, Dependencies).
 *
 * The table's members are declared with the type of Avahi's own
 * prototypes, so a call that does not fit them does not compile.  A file
 * that includes this header, except browse-lib.c, calls Avahi through the
 * table: each name below is the table's member, not the function.
 */
#ifndef TTYHUB_BROWSE_LIB_H
#define TTYHUB_BROWSE_LIB_H

#include <stddef.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>

/* What it is called at run time, and which Debian package has it. */
#define BROWSE_LIB_SONAME	"libavahi-client.so.3"
#define BROWSE_LIB_PACKAGE	"libavahi-client3"

/* Every function browse.c calls (those of avahi-common come with it). */
#define BROWSE_LIB_FUNCS(F)						\
	F(avahi_address_snprint)					\
	F(avahi_client_errno)						\
	F(avahi_client_free)						\
	F(avahi_client_new)						\
	F(avahi_service_browser_get_client)				\
	F(avahi_service_browser_new)					\
	F(avahi_service_resolver_free)					\
	F(avahi_service_resolver_new)					\
	F(avahi_strerror)						\
	F(avahi_string_list_serialize)

#define BROWSE_LIB_MEMBER(f)	__typeof__(f) *f;
struct browse_lib {
	BROWSE_LIB_FUNCS(BROWSE_LIB_MEMBER)
};
#undef BROWSE_LIB_MEMBER

extern struct browse_lib browse_lib_fn;

/*
 * Load the library and fill browse_lib_fn, once: 0, or -1 with why in
 * err (the library missing names its package).
 */
int	browse_lib_open(char *err, size_t errlen);

#ifndef BROWSE_LIB_FILL
#define avahi_address_snprint	(browse_lib_fn.avahi_address_snprint)
#define avahi_client_errno	(browse_lib_fn.avahi_client_errno)
#define avahi_client_free	(browse_lib_fn.avahi_client_free)
#define avahi_client_new	(browse_lib_fn.avahi_client_new)
#define avahi_service_browser_get_client \
				(browse_lib_fn.avahi_service_browser_get_client)
#define avahi_service_browser_new (browse_lib_fn.avahi_service_browser_new)
#define avahi_service_resolver_free \
				(browse_lib_fn.avahi_service_resolver_free)
#define avahi_service_resolver_new \
				(browse_lib_fn.avahi_service_resolver_new)
#define avahi_strerror		(browse_lib_fn.avahi_strerror)
#define avahi_string_list_serialize \
				(browse_lib_fn.avahi_string_list_serialize)
#endif

#endif
