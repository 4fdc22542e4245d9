/*
 * httpres: see httpres.h.  Everything goes through httpres_add, which
 * checks the room; the checks of what may go in are in httpres_field.
 */
#include <stdio.h>
#include <string.h>

#include "httpres.h"

static const struct {
	int		 status;
	const char	*reason;
} httpres_reasons[] = {
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 426, "Upgrade Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
httpres_reason(int status)
{
	size_t	i;

	for (i = 0; i < sizeof(httpres_reasons) / sizeof(httpres_reasons[0]);
	    i++) {
		if (httpres_reasons[i].status == status) {
			return httpres_reasons[i].reason;
		}
	}
	return "Unknown";
}

static void
httpres_add(struct httpres *r, const char *s, size_t n)
{
	if (r->bad || n > sizeof(r->buf) - r->len) {
		r->bad = 1;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void
httpres_adds(struct httpres *r, const char *s)
{
	httpres_add(r, s, strlen(s));
}

void
httpres_start(struct httpres *r, int status)
{
	char	line[64];
	int	n;

	r->len = 0;
	r->bad = 0;
	if (status < 100 || status > 999) {
		r->bad = 1;
		return;
	}
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
	    httpres_reason(status));
	httpres_add(r, line, (size_t)n);
}

void
httpres_field(struct httpres *r, const char *name, const char *value)
{
	const char	*p;

	if (name[0] == '\0') {
		r->bad = 1;
		return;
	}
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *p) != NULL)) {
			r->bad = 1;
			return;
		}
	}
	for (p = value; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || (uint8_t)*p >= 0x7f) {
			r->bad = 1;
			return;
		}
	}
	httpres_adds(r, name);
	httpres_add(r, ": ", 2);
	httpres_adds(r, value);
	httpres_add(r, "\r\n", 2);
}

void
httpres_field_num(struct httpres *r, const char *name, uint64_t value)
{
	char	num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	httpres_field(r, name, num);
}

void
httpres_date(struct httpres *r, time_t t)
{
	static const char	days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char	months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm		tm;
	char			date[40];

	/* By hand: strftime's names follow the locale. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		r->bad = 1;
		return;
	}
	snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	httpres_field(r, "Date", date);
}

int
httpres_end(struct httpres *r)
{
	httpres_add(r, "\r\n", 2);
	return r->bad ? -1 : 0;
}

int
httpres_error(struct httpres *r, int status, int keep_alive)
{
	char	body[64];
	int	n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    httpres_reason(status));
	httpres_start(r, status);
	httpres_field(r, "Content-Type", "text/plain; charset=utf-8");
	httpres_field_num(r, "Content-Length", (uint64_t)n);
	httpres_field(r, "X-Content-Type-Options", "nosniff");
	httpres_field(r, "Cache-Control", "no-store");
	if (status == 405) {
		httpres_field(r, "Allow", "GET, HEAD");
	}
	if (status == 426) {
		/* RFC 9110 15.5.22 and RFC 6455 4.4. */
		httpres_field(r, "Upgrade", "websocket");
		httpres_field(r, "Sec-WebSocket-Version", "13");
		httpres_field(r, "Connection", keep_alive ?
		    "Upgrade" : "Upgrade, close");
	} else {
		httpres_field(r, "Connection", keep_alive ?
		    "keep-alive" : "close");
	}
	if (httpres_end(r) != 0) {
		return -1;
	}
	httpres_add(r, body, (size_t)n);
	return r->bad ? -1 : 0;
}
