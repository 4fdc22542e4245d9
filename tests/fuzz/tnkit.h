/*
 * tnkit: what the harnesses over tn.c (fuzz-telnet, the login policy;
 * fuzz-broker, the broker's) check alike: the state negotiation leaves
 * behind, whenever the daemon could look at it.  tn is the same code in
 * both uses, so its invariants are too; one copy keeps them from
 * drifting apart.  Compiled in, without coverage, by tools/fuzz.sh, as
 * fuzzkit.c is.
 */
#ifndef TNKIT_H
#define TNKIT_H

struct tn;

/*
 * TERM valid and lower case; USER a valid login name not starting with
 * -; the environment within its caps, only names in accept, never TERM
 * or USER, printable, each once; tn_settled exactly when settled was
 * called.
 */
void	tnkit_check_state(struct tn *tn, const char *const *accept,
	    int settled_calls);

#endif
