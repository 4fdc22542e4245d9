/*
 * netcap: a network's capture file, every frame that crosses it in the
 * pcap format tcpdump(8) and wireshark read, written by libpcap's dump
 * writer.  The file is opened as a console log is (O_APPEND,
 * O_NOFOLLOW) and appended to when it already holds a capture of the
 * same kind; it stops growing at its size bound, counting what it
 * leaves out, until it is reopened (SIGUSR2, SIGHUP: rotation).
 */
#ifndef TTYHUB_NETCAP_H
#define TTYHUB_NETCAP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct netcap;

/*
 * Open path for frames of at most snaplen bytes, for the network named
 * net (in messages).  The file is made or checked now; its header and
 * frames go when the first frame comes, so a daemon that fails to start
 * leaves it as it was.  Returns NULL with a message in err.
 */
struct netcap	*netcap_open(struct event_base *base, const char *path,
		    size_t max, size_t snaplen, const char *net, char *err,
		    size_t errlen);
void		 netcap_close(struct netcap *c);

/* Close and open again, after rotation; keeps the old file on failure. */
void		 netcap_reopen(struct netcap *c);

/* A frame that crossed the network, now. */
void		 netcap_frame(struct netcap *c, const uint8_t *frame,
		    size_t len);

/* Frames written, and frames left out (size bound, a failing disk). */
uint64_t	 netcap_frames(const struct netcap *c);
uint64_t	 netcap_missed(const struct netcap *c);

#endif
