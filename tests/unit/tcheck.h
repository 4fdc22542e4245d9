/*
 * tcheck: the one assertion of the table-driven unit tests (test-rfc2217,
 * test-vq): count it and print "ok - " or "FAIL - " with what was
 * checked, one line each, which their pytest runners read.  A header of
 * static definitions, so each test is still one .c file to link.
 */
#ifndef TCHECK_H
#define TCHECK_H

#include <stdarg.h>
#include <stdio.h>

static int	tcheck_pass, tcheck_fail;

static void __attribute__((format(printf, 2, 3)))
tcheck(int ok, const char *fmt, ...)
{
	va_list	ap;

	if (ok) {
		tcheck_pass++;
		printf("ok - ");
	} else {
		tcheck_fail++;
		printf("FAIL - ");
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#endif
