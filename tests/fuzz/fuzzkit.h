/*
 * fuzzkit: what the libFuzzer harnesses in tests/fuzz/ share: the CHECK
 * that aborts with the harness's name, a growing buffer, the transcript
 * two runs of one input are compared by, the chooser of read lengths for
 * the split run, and a reader of the Telnet we send that checks its form.
 *
 * tools/fuzz.sh compiles fuzzkit.c into every harness that includes this
 * header, with the sanitizers and without coverage, as it compiles the
 * harness itself: none of this is under test, so it must not steer the
 * fuzzer.  A harness defines fuzzkit_name.
 */
#ifndef FUZZKIT_H
#define FUZZKIT_H

#include <stddef.h>
#include <stdint.h>

/* Defined by each harness ("fuzz-telnet"): what its messages start with. */
extern const char	fuzzkit_name[];

/*
 * CHECK(c, fmt, ...): if c is false, print "NAME: check failed: c: ..."
 * and abort, which libFuzzer reports as a crash with the input.
 */
#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		fuzzkit_fail(#c, __VA_ARGS__);				\
	}								\
} while (0)

void	fuzzkit_fail(const char *, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));

/* A growing byte buffer; all zero is empty.  The owner frees p. */
struct fuzzkit_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

void	fuzzkit_buf_add(struct fuzzkit_buf *, const void *, size_t);
int	fuzzkit_buf_same(const struct fuzzkit_buf *,
	    const struct fuzzkit_buf *);
void	fuzzkit_buf_show(const char *, const struct fuzzkit_buf *);

/*
 * A transcript: records of a kind byte and its bytes, each after a
 * newline.  Consecutive 'D' (data) records merge, and so do 'S' (send)
 * ones, so that how a stream came in pieces does not show.
 */
struct fuzzkit_tr {
	struct fuzzkit_buf	b;
	int			last;	/* 'D' or 'S' while merging, or 0 */
};

void	fuzzkit_tr_rec(struct fuzzkit_tr *, int, const void *, size_t);

/*
 * Read lengths for the split run of an input: split 0 is one read of
 * everything; otherwise random lengths from 1 to N, N one of 1, 2, 3, 5,
 * 16, 64, 512, 4096 by split & 7 (at least least_most), drawn from a
 * xorshift32 seeded with split, so an input always splits the same way.
 */
struct fuzzkit_reads {
	uint32_t	x;
	size_t		most;	/* 0: one read */
};

void	fuzzkit_reads_init(struct fuzzkit_reads *, unsigned, size_t);
size_t	fuzzkit_reads_next(struct fuzzkit_reads *, size_t);

/*
 * A reader of the Telnet we send, a byte at a time, that checks its
 * framing: IAC only as IAC IAC, a negotiation, a subnegotiation ended by
 * IAC SE (IAC only doubled inside), or one of the commands in cmds.  What
 * the harness allows of the options is its own: fuzzkit_wire_byte says
 * what each byte completed.
 */
enum fuzzkit_wire_ev {
	FUZZKIT_WIRE_NONE,	/* data, or part of a command */
	FUZZKIT_WIRE_CMD,	/* IAC and one of cmds: cmd */
	FUZZKIT_WIRE_NEG,	/* IAC WILL/WONT/DO/DONT: cmd and opt */
	FUZZKIT_WIRE_SB_OPT,	/* IAC SB and its option: opt */
	FUZZKIT_WIRE_SB_BODY,	/* a body byte, IAC undoubled: sb_len so far */
	FUZZKIT_WIRE_SB_END,	/* IAC SE: opt, sb_len and sb_first */
};

struct fuzzkit_wire {
	const char	*cmds;		/* commands allowed alone, or NULL */
	int		 state;
	uint8_t		 cmd;
	uint8_t		 opt;
	uint8_t		 sb_first;	/* first body byte, if sb_len > 0 */
	size_t		 sb_len;
};

enum fuzzkit_wire_ev	fuzzkit_wire_byte(struct fuzzkit_wire *, uint8_t);
int			fuzzkit_wire_idle(const struct fuzzkit_wire *);

/* Printable ASCII (0x20 to 0x7e) only. */
int	fuzzkit_printable(const char *);
/* Is name in the NULL-ended list (which may be NULL)? */
int	fuzzkit_listed(const char *const *, const char *);

#endif
