/*
 * test-websession: the web console's session table (web-session.c)
 * without a daemon: a cookie is 64 lowercase hex digits naming one
 * user on one listener, nothing else names it (another listener, upper
 * case, a digit changed, cut or lengthened), a logout ends it once, and
 * a full table ends one session for a new one, never grows.  The clock
 * is not faked: the expiry times are not tested here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/daemon/log.h"
#include "../../src/daemon/web.h"

static unsigned	failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL line %d: ", __LINE__);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static char	cookies[WEB_SESSIONS_MAX + 1][WEB_COOKIE_LEN + 1];

static const char *
user_of(const char *cookie, size_t len, uint64_t via)
{
	uint64_t	serial;
	unsigned	left;

	return web_session_user(cookie, len, via, &serial, &left);
}

static void
test_one(void)
{
	char		 c[WEB_COOKIE_LEN + 1], bad[WEB_COOKIE_LEN + 2];
	const char	*u;
	uint64_t	 serial = 0;
	unsigned	 left = 0;
	size_t		 i;

	CHECK(web_session_new("alice", 7, c, sizeof c) == 0, "new");
	CHECK(strlen(c) == WEB_COOKIE_LEN, "length %zu", strlen(c));
	CHECK(strspn(c, "0123456789abcdef") == WEB_COOKIE_LEN, "hex: %s", c);
	u = web_session_user(c, WEB_COOKIE_LEN, 7, &serial, &left);
	CHECK(u != NULL && strcmp(u, "alice") == 0, "alice: %s",
	    u != NULL ? u : "(none)");
	CHECK(serial != 0, "a serial");
	CHECK(left > 0 && left <= WEB_SESSION_LIFE_S, "left %u", left);
	CHECK(user_of(c, WEB_COOKIE_LEN, 8) == NULL, "another listener");
	CHECK(user_of(c, WEB_COOKIE_LEN - 1, 7) == NULL, "cut");
	CHECK(user_of(NULL, 0, 7) == NULL, "no cookie");

	memcpy(bad, c, sizeof c);
	bad[WEB_COOKIE_LEN] = '0';
	bad[WEB_COOKIE_LEN + 1] = '\0';
	CHECK(user_of(bad, WEB_COOKIE_LEN + 1, 7) == NULL, "lengthened");
	for (i = 0; i < WEB_COOKIE_LEN; i += 9) {
		memcpy(bad, c, sizeof c);
		bad[i] = bad[i] == '0' ? '1' : '0';
		CHECK(user_of(bad, WEB_COOKIE_LEN, 7) == NULL, "digit %zu", i);
		memcpy(bad, c, sizeof c);
		bad[i] = bad[i] >= 'a' ? (char)(bad[i] - 'a' + 'A') : 'g';
		CHECK(user_of(bad, WEB_COOKIE_LEN, 7) == NULL, "case %zu", i);
	}
	CHECK(web_session_new("a-user-name-of-thirty-three-bytes", 7, bad,
	    sizeof bad) == -1, "a user name too long");
	CHECK(web_session_new("bob", 7, bad, WEB_COOKIE_LEN) == -1,
	    "no room for the cookie");

	CHECK(web_session_drop(c, WEB_COOKIE_LEN) == serial, "drop");
	CHECK(user_of(c, WEB_COOKIE_LEN, 7) == NULL, "dropped");
	CHECK(web_session_drop(c, WEB_COOKIE_LEN) == 0, "dropped twice");
}

/* More logins than the table holds: one ends for each, no more. */
static void
test_full(void)
{
	unsigned	i, j, live = 0, same = 0;
	char		name[16];

	for (i = 0; i <= WEB_SESSIONS_MAX; i++) {
		snprintf(name, sizeof name, "u%u", i);
		CHECK(web_session_new(name, 1, cookies[i],
		    sizeof cookies[i]) == 0, "new %u", i);
	}
	for (i = 0; i <= WEB_SESSIONS_MAX; i++) {
		live += user_of(cookies[i], WEB_COOKIE_LEN, 1) != NULL;
	}
	CHECK(live == WEB_SESSIONS_MAX, "%u live of %u", live,
	    WEB_SESSIONS_MAX + 1);
	CHECK(user_of(cookies[WEB_SESSIONS_MAX], WEB_COOKIE_LEN, 1) != NULL,
	    "the newest lives");
	for (i = 0; i <= WEB_SESSIONS_MAX; i += 7) {
		for (j = i + 1; j <= WEB_SESSIONS_MAX; j++) {
			same += strcmp(cookies[i], cookies[j]) == 0;
		}
	}
	CHECK(same == 0, "%u tokens alike", same);
	for (i = 0; i <= WEB_SESSIONS_MAX; i++) {
		(void)web_session_drop(cookies[i], WEB_COOKIE_LEN);
	}
}

int
main(void)
{
	log_stderr(0);
	test_one();
	test_full();
	printf("test-websession: %u checks, %u failed\n", checks, failures);
	return failures != 0;
}
