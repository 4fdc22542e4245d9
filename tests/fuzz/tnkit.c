/*
 * tnkit: the checks of tn's negotiated state.  See tnkit.h.
 */
#include <string.h>

#include "../../src/telnet/tn.h"
#include "fuzzkit.h"
#include "tnkit.h"

void
tnkit_check_state(struct tn *tn, const char *const *accept, int settled_calls)
{
	const struct tn_env	*e, *f;
	const char		*s;
	size_t			 i, j, n;

	if ((s = tn_term(tn)) != NULL) {
		CHECK(tn_term_valid(s, strlen(s)), "bad TERM kept");
		for (i = 0; s[i] != '\0'; i++) {
			CHECK(s[i] < 'A' || s[i] > 'Z', "TERM not lower case");
		}
	}
	if ((s = tn_user(tn)) != NULL) {
		CHECK(tn_user_valid(s, strlen(s)), "bad USER kept");
		CHECK(s[0] != '-', "USER starts with -");
	}
	n = tn_env_count(tn);
	CHECK(n <= TN_ENV_MAX, "%zu variables kept", n);
	CHECK(tn_env_at(tn, n) == NULL, "tn_env_at past the end");
	for (i = 0; i < n; i++) {
		e = tn_env_at(tn, i);
		CHECK(e != NULL, "tn_env_at(%zu) is NULL", i);
		CHECK(strnlen(e->name, sizeof e->name) <= TN_ENV_NAME_MAX &&
		    strnlen(e->value, sizeof e->value) <= TN_ENV_VALUE_MAX,
		    "variable %zu not terminated within its cap", i);
		CHECK(fuzzkit_listed(accept, e->name),
		    "variable %s not accepted", e->name);
		CHECK(strcmp(e->name, "TERM") != 0 &&
		    strcmp(e->name, "USER") != 0, "TERM or USER in env");
		CHECK(fuzzkit_printable(e->value), "unprintable value for %s",
		    e->name);
		CHECK(e->value[0] != '\0', "empty value kept for %s",
		    e->name);
		for (j = 0; j < i; j++) {
			f = tn_env_at(tn, j);
			CHECK(strcmp(e->name, f->name) != 0, "%s twice",
			    e->name);
		}
	}
	CHECK(tn_settled(tn) == (settled_calls > 0),
	    "tn_settled %d after %d settled calls", tn_settled(tn),
	    settled_calls);
}
