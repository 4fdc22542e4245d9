/*
 * conlog: a console's log file.
 *
 * The backend's output byte for byte, optionally with a timestamp at the
 * start of each line, and event lines of our own.  Each opening writes a
 * header line with a random marker, and every event line carries that
 * marker, so a guest that prints a fake event line cannot pass it off as
 * ours.  A line of ours always starts a line, with a newline of its own
 * (marked "+") when the file's last line is open, whoever left it open:
 * the output, an earlier run, or a write that a full disk cut short.
 * Writes never stop forwarding: when the disk fails, the bytes and event
 * lines are counted, the failure is reported at most once a minute, and
 * the gap is recorded when writing works again.
 */
#ifndef TTYHUB_CONLOG_H
#define TTYHUB_CONLOG_H

#include <stddef.h>

struct conlog;

/*
 * Open (create, append) path.  Returns NULL with a message in err.  The
 * header waits for the first output or event, so a log opened by a
 * daemon that then fails to start is left as it was.
 */
struct conlog	*conlog_open(const char *path, const char *console,
		    int timestamps, char *err, size_t errlen);
void		 conlog_close(struct conlog *l);

/*
 * Close and open again (rotation), and write the new header at once.
 * Keeps the old file on failure.
 */
void		 conlog_reopen(struct conlog *l);

void		 conlog_output(struct conlog *l, const void *buf, size_t len);
void		 conlog_event(struct conlog *l, const char *text);

#endif
