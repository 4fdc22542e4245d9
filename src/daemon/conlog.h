/*
 * conlog: a console's log file.
 *
 * The backend's output byte for byte, optionally with a timestamp at the
 * start of each line, and event lines of our own.  Each opening writes a
 * header line with a random marker, and every event line carries that
 * marker, so a guest that prints a fake event line cannot pass it off as
 * ours.  Writes never stop forwarding: when the disk fails, the bytes are
 * counted, the failure is reported at most once a minute, and the gap is
 * recorded when writing works again.
 */
#ifndef TTYHUB_CONLOG_H
#define TTYHUB_CONLOG_H

#include <stddef.h>

struct conlog;

/* Open (create, append) path.  Returns NULL with a message in err. */
struct conlog	*conlog_open(const char *path, const char *console,
		    int timestamps, char *err, size_t errlen);
void		 conlog_close(struct conlog *l);

/* Close and open again (rotation).  Keeps the old file on failure. */
void		 conlog_reopen(struct conlog *l);

void		 conlog_output(struct conlog *l, const void *buf, size_t len);
void		 conlog_event(struct conlog *l, const char *text);

#endif
