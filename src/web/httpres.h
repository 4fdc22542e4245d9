/*
 * httpres: the head of an HTTP/1.1 response, built in a fixed buffer.
 * Only bytes that are safe in a head go in: a field name must be a token
 * and a value printable ASCII (and SP, HTAB), so nothing taken from a
 * request (a path, a name) can end a line or start a field of its own.
 * A field that breaks the rule, or a head that does not fit, spoils the
 * response: httpres_end then fails and nothing of it should be sent.
 */
#ifndef TTYHUB_HTTPRES_H
#define TTYHUB_HTTPRES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTPRES_MAX	2048	/* a head, or a whole error response */

struct httpres {
	char	buf[HTTPRES_MAX];
	size_t	len;
	int	bad;		/* a field was refused, or did not fit */
};

/* "HTTP/1.1 STATUS REASON". */
void		 httpres_start(struct httpres *r, int status);
/* "name: value". */
void		 httpres_field(struct httpres *r, const char *name,
		    const char *value);
void		 httpres_field_num(struct httpres *r, const char *name,
		    uint64_t value);
/* "Date: " and t in the IMF-fixdate form (RFC 9110, 5.6.7). */
void		 httpres_date(struct httpres *r, time_t t);
/* The empty line.  Returns 0, or -1 if the response is spoilt. */
int		 httpres_end(struct httpres *r);

/* The reason phrase for a status ("Not Found"), or "Unknown". */
const char	*httpres_reason(int status);

/*
 * A whole error response (head and a short plain-text body): status and
 * its reason, Content-Type, Content-Length, nosniff, no-store, and
 * Connection: close unless keep_alive.  405 says Allow: GET, HEAD; 426
 * asks for WebSocket version 13.  Returns 0, or -1 if it did not fit.
 */
int		 httpres_error(struct httpres *r, int status, int keep_alive);

#endif
