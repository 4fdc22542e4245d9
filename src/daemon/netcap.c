/*
 * netcap: a network's capture file.  See netcap.h.
 *
 * libpcap writes the records (pcap_dump_fopen on a pcap_open_dead
 * handle), but into a stdio stream of ours (fopencookie) over a file
 * descriptor we opened: so the file is opened as a console log is
 * (O_APPEND and O_NOFOLLOW, which libpcap's own fopen would not do),
 * every byte is counted against the size bound where it is written, and
 * a file that already holds a capture of this kind is appended to:
 * the stream drops the file header libpcap writes first.  Records are
 * buffered by stdio and flushed a tenth of a second after the first one,
 * so a busy network costs a write per batch, not per frame.
 *
 * The static build (make static) has no libpcap: a network there cannot
 * capture, and says so when it starts.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "netcap.h"

#ifndef TTYHUB_NO_PCAP
#include <pcap/pcap.h>

#define NETCAP_HDR	24	/* the file header */
#define NETCAP_REC	16	/* each record's header */
#define NETCAP_MAGIC	0xa1b2c3d4U	/* microseconds, our byte order */
#define NETCAP_FLUSH_MS	100

struct netcap {
	struct event_base	*base;
	char			*path;
	char			 net[80];
	size_t			 max;		/* the file's size bound */
	size_t			 snaplen;
	int			 fd;		/* -1: none (reopen failed) */
	uint64_t		 size;		/* of the file, as we wrote it */
	size_t			 skip;		/* header bytes still to drop */
	int			 append;	/* the file has its header */
	pcap_t			*pcap;
	pcap_dumper_t		*dump;		/* made at the first frame */
	struct event		*flush;
	int			 flush_on;
	uint64_t		 frames;
	uint64_t		 missed;
	int			 full;		/* said so, this opening */
	int			 failed;	/* said so, this opening */
	int			 werr;		/* the last write's errno */
};

/* The stream libpcap writes into: ours, over c->fd. */
static ssize_t
netcap_cookie_write(void *arg, const char *buf, size_t len)
{
	struct netcap	*c = arg;
	size_t		 done = 0, n;
	ssize_t		 w;

	if (c->skip > 0) {
		n = len < c->skip ? len : c->skip;
		c->skip -= n;
		done = n;
	}
	while (done < len) {
		w = write(c->fd, buf + done, len - done);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			c->werr = w == -1 ? errno : ENOSPC;
			return done > 0 ? (ssize_t)done : -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int
netcap_cookie_close(void *arg)
{
	struct netcap	*c = arg;

	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	return 0;
}

/*
 * Whether the file on fd, size bytes long, can take our records: empty,
 * or a capture of Ethernet frames in microseconds and our byte order
 * with a snapshot length no smaller than ours.
 */
static int
netcap_check(struct netcap *c, int fd, uint64_t size, char *err,
    size_t errlen)
{
	struct pcap_file_header	h;
	ssize_t			r;

	c->append = 0;
	if (size == 0) {
		return 0;
	}
	r = pread(fd, &h, sizeof h, 0);
	if (r != (ssize_t)sizeof h || h.magic != NETCAP_MAGIC ||
	    h.version_major != PCAP_VERSION_MAJOR ||
	    h.linktype != DLT_EN10MB) {
		snprintf(err, errlen, "capture %s: not a pcap capture of "
		    "Ethernet frames in microseconds; not appending to it "
		    "(move it away)", c->path);
		return -1;
	}
	if (h.snaplen < c->snaplen) {
		snprintf(err, errlen, "capture %s: its frames are cut at %u "
		    "bytes, this network's are up to %zu; not appending to "
		    "it (move it away)", c->path, h.snaplen, c->snaplen);
		return -1;
	}
	c->append = 1;
	return 0;
}

/* Open the file (anew); the dumper waits for the first frame. */
static int
netcap_openfd(struct netcap *c, char *err, size_t errlen)
{
	struct stat	st;
	int		fd;

	fd = open(c->path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd == -1) {
		snprintf(err, errlen, "capture %s: %s", c->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "capture %s: not a regular file",
		    c->path);
		close(fd);
		return -1;
	}
	if (netcap_check(c, fd, (uint64_t)st.st_size, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (c->dump != NULL) {
		pcap_dump_close(c->dump);	/* closes the old fd */
		c->dump = NULL;
	} else if (c->fd != -1) {
		close(c->fd);
	}
	c->fd = fd;
	c->size = (uint64_t)st.st_size;
	c->full = c->failed = 0;
	return 0;
}

/* The dumper, at the first frame of an opening: writes the header. */
static int
netcap_dumper(struct netcap *c)
{
	static const cookie_io_functions_t io = {
		.write = netcap_cookie_write,
		.close = netcap_cookie_close,
	};
	FILE	*f;

	if ((f = fopencookie(c, "w", io)) == NULL) {
		c->werr = errno;
		return -1;
	}
	c->skip = c->append ? NETCAP_HDR : 0;
	if ((c->dump = pcap_dump_fopen(c->pcap, f)) == NULL) {
		c->werr = ENOMEM;
		c->fd = -1;	/* fclose closed it */
		fclose(f);
		return -1;
	}
	if (!c->append) {
		c->size += NETCAP_HDR;
		c->append = 1;
	}
	return 0;
}

static void
netcap_flush_now(struct netcap *c)
{
	if (c->dump != NULL && pcap_dump_flush(c->dump) == -1 &&
	    !c->failed) {
		c->failed = 1;
		log_warn("network %s: capture %s: %s; frames are left out "
		    "until it is reopened", c->net, c->path,
		    strerror(c->werr != 0 ? c->werr : EIO));
	}
}

static void
netcap_on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct netcap	*c = arg;

	(void)fd;
	(void)what;
	c->flush_on = 0;
	netcap_flush_now(c);
}

struct netcap *
netcap_open(struct event_base *base, const char *path, size_t max,
    size_t snaplen, const char *net, char *err, size_t errlen)
{
	struct netcap	*c;

	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->fd = -1;
	c->max = max;
	c->snaplen = snaplen;
	snprintf(c->net, sizeof c->net, "%s", net);
	c->pcap = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	c->flush = evtimer_new(base, netcap_on_flush, c);
	if (c->pcap == NULL || c->flush == NULL) {
		snprintf(err, errlen, "out of memory");
		netcap_close(c);
		return NULL;
	}
	if (netcap_openfd(c, err, errlen) == -1) {
		netcap_close(c);
		return NULL;
	}
	return c;
}

void
netcap_close(struct netcap *c)
{
	if (c == NULL) {
		return;
	}
	if (c->dump != NULL) {
		netcap_flush_now(c);
		pcap_dump_close(c->dump);
	} else if (c->fd != -1) {
		close(c->fd);
	}
	if (c->missed > 0) {
		log_info("network %s: capture %s: %llu frames left out",
		    c->net, c->path, (unsigned long long)c->missed);
	}
	if (c->flush != NULL) {
		event_free(c->flush);
	}
	if (c->pcap != NULL) {
		pcap_close(c->pcap);
	}
	free(c->path);
	free(c);
}

void
netcap_reopen(struct netcap *c)
{
	char	err[600];

	netcap_flush_now(c);
	if (netcap_openfd(c, err, sizeof err) == -1) {
		log_warn("network %s: %s; keeping the old file", c->net, err);
	}
}

void
netcap_frame(struct netcap *c, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr	h;
	struct timeval		tv = { 0, NETCAP_FLUSH_MS * 1000 };
	size_t			caplen = len < c->snaplen ? len : c->snaplen;

	if (c->fd == -1 || c->failed ||
	    c->size + NETCAP_REC + caplen + (c->dump == NULL && !c->append ?
	    NETCAP_HDR : 0) > c->max) {
		c->missed++;
		if (c->fd != -1 && !c->failed && !c->full) {
			c->full = 1;
			log_warn("network %s: capture %s reached its size "
			    "(pcap-size = %zu): frames are left out until it "
			    "is reopened (SIGUSR2)", c->net, c->path, c->max);
		}
		return;
	}
	if (c->dump == NULL && netcap_dumper(c) == -1) {
		c->missed++;
		c->failed = 1;
		log_warn("network %s: capture %s: %s", c->net, c->path,
		    strerror(c->werr));
		return;
	}
	gettimeofday(&tv, NULL);
	h.ts = tv;
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)c->dump, &h, frame);
	c->size += NETCAP_REC + caplen;
	c->frames++;
	if (!c->flush_on) {
		tv.tv_sec = 0;
		tv.tv_usec = NETCAP_FLUSH_MS * 1000;
		evtimer_add(c->flush, &tv);
		c->flush_on = 1;
	}
}

uint64_t
netcap_frames(const struct netcap *c)
{
	return c->frames;
}

uint64_t
netcap_missed(const struct netcap *c)
{
	return c->missed;
}

#else	/* TTYHUB_NO_PCAP */

struct netcap *
netcap_open(struct event_base *base, const char *path, size_t max,
    size_t snaplen, const char *net, char *err, size_t errlen)
{
	(void)base;
	(void)max;
	(void)snaplen;
	(void)net;
	snprintf(err, errlen, "capture %s: this ttyhubd was built without "
	    "libpcap (the static build)", path);
	return NULL;
}

void
netcap_close(struct netcap *c)
{
	(void)c;
}

void
netcap_reopen(struct netcap *c)
{
	(void)c;
}

void
netcap_frame(struct netcap *c, const uint8_t *frame, size_t len)
{
	(void)c;
	(void)frame;
	(void)len;
}

uint64_t
netcap_frames(const struct netcap *c)
{
	(void)c;
	return 0;
}

uint64_t
netcap_missed(const struct netcap *c)
{
	(void)c;
	return 0;
}

#endif	/* TTYHUB_NO_PCAP */
