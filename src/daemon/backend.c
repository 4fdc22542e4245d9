/*
 * backend: what every variant shares.  See backend.h.
 *
 * The back-off of variants that reconnect, and the calls through which
 * a variant speaks to its console (struct backend_host, which console.c
 * fills).  Which variant serves a console type is console.c's to say.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"

unsigned
backend_backoff_ms(unsigned failures)
{
	unsigned	d = 100;

	while (failures > 1 && d < 30000) {
		d *= 2;
		failures--;
	}
	if (d > 30000) {
		d = 30000;
	}
	/* Jitter: many consoles of one host do not retry in step. */
	return d / 2 + arc4random_uniform(d / 2 + 1);
}

int
backend_gone(struct backend *b, const char *why)
{
	return b->host->gone(b, why);
}

void
backend_up(struct backend *b)
{
	b->host->up(b);
}

void
backend_output(struct backend *b, const uint8_t *buf, size_t len)
{
	b->host->output(b, buf, len);
}

void
backend_flush(struct backend *b)
{
	b->host->flush(b);
}

size_t
backend_pending(struct backend *b)
{
	return b->host->pending(b);
}

size_t
backend_take(struct backend *b, void *dst, size_t len)
{
	return b->host->take(b, dst, len);
}

void
backend_send(struct backend *b, const void *buf, size_t len)
{
	b->host->send(b, buf, len);
}

void
backend_retry_soon(struct backend *b)
{
	b->host->retry_soon(b);
}

void
backend_modem_changed(struct backend *b, uint8_t state)
{
	b->host->modem_changed(b, state);
}

void
backend_event(struct backend *b, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	b->host->event(b, text);
}

void
backend_notice(struct backend *b, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	b->host->notice(b, text);
}
