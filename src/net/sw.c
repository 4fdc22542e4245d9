/*
 * sw: the switch: ports, forwarding, counters.  See sw.h.
 *
 * Everything a frame needs is made when the switch and its ports are:
 * the fdb's entries, each port's queue.  sw_input only copies the frame
 * into the queues it goes to.  A port number is an index, reused after
 * removal; sw_port_del forgets the port's addresses at once (one walk of
 * the fdb, which removal is rare enough to pay for), so a frame can never
 * be forwarded by a stale entry to the next port given that number.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "sw.h"

#define SW_PORTS_LIMIT	65536

void
sw_conf_default(struct sw_conf *c)
{
	memset(c, 0, sizeof *c);
	c->ports = SW_PORTS_DEFAULT;
	c->macs = FDB_MAX_DEFAULT;
	c->age_ms = FDB_AGE_DEFAULT;
	c->frame_max = frame_max(FRAME_MTU_DEFAULT);
	c->qbytes = SW_QBYTES_DEFAULT;
	c->qframes = SW_QFRAMES_DEFAULT;
}

struct sw *
sw_new(const struct sw_conf *c)
{
	struct sw	*sw;

	if (c->ports == 0 || c->ports > SW_PORTS_LIMIT || c->qframes == 0 ||
	    c->frame_max < FRAME_ETH || c->frame_max > FRAME_MAX ||
	    c->qbytes < FRAME_HDR + c->frame_max) {
		return NULL;
	}
	if ((sw = calloc(1, sizeof *sw)) == NULL) {
		return NULL;
	}
	sw->conf = *c;
	sw->port = calloc(c->ports, sizeof *sw->port);
	sw->live = calloc(c->ports, sizeof *sw->live);
	sw->ready = calloc(c->ports, sizeof *sw->ready);
	if (sw->port == NULL || sw->live == NULL || sw->ready == NULL ||
	    fdb_init(&sw->fdb, c->macs, c->age_ms, c->seed) == -1) {
		free(sw->port);
		free(sw->live);
		free(sw->ready);
		free(sw);
		return NULL;
	}
	return sw;
}

void
sw_free(struct sw *sw)
{
	unsigned	i;

	if (sw == NULL) {
		return;
	}
	for (i = 0; i < sw->conf.ports; i++) {
		if (sw->port[i].used) {
			fq_free(&sw->port[i].q);
		}
	}
	fdb_free(&sw->fdb);
	free(sw->port);
	free(sw->live);
	free(sw->ready);
	free(sw);
}

static struct sw_port *
sw_port(const struct sw *sw, int port)
{
	if (port < 0 || (unsigned)port >= sw->conf.ports ||
	    !sw->port[port].used) {
		return NULL;
	}
	return &sw->port[port];
}

int
sw_port_add(struct sw *sw)
{
	struct sw_port	*p;
	unsigned	 i;

	for (i = 0; i < sw->conf.ports; i++) {
		if (!sw->port[i].used) {
			break;
		}
	}
	if (i == sw->conf.ports) {
		return -1;
	}
	p = &sw->port[i];
	memset(p, 0, sizeof *p);
	if (fq_init(&p->q, sw->conf.qbytes, sw->conf.qframes) == -1) {
		return -1;
	}
	p->used = 1;
	sw->live[sw->nlive++] = (int)i;
	return (int)i;
}

/* Take port off the ready list, keeping the others in order. */
static void
sw_unready(struct sw *sw, int port)
{
	unsigned	i, n = 0, ports = sw->conf.ports;
	int		q;

	for (i = 0; i < sw->nready; i++) {
		q = sw->ready[(sw->rhead + i) % ports];
		if (q != port) {
			sw->ready[(sw->rhead + n++) % ports] = q;
		}
	}
	sw->nready = n;
	sw->port[port].ready = 0;
}

void
sw_port_del(struct sw *sw, int port)
{
	struct sw_port	*p;
	unsigned	 i;

	if ((p = sw_port(sw, port)) == NULL) {
		return;
	}
	fdb_flush_port(&sw->fdb, port);
	if (p->ready) {
		sw_unready(sw, port);
	}
	for (i = 0; i < sw->nlive; i++) {
		if (sw->live[i] == port) {
			sw->live[i] = sw->live[--sw->nlive];
			break;
		}
	}
	fq_free(&p->q);
	memset(p, 0, sizeof *p);
}

/* Queue the frame for port p; 1 if it went in, 0 if the queue is full. */
static int
sw_deliver(struct sw *sw, int p, const uint8_t *frame, size_t len)
{
	struct sw_port	*d = &sw->port[p];
	int		 was_empty = d->q.frames == 0;

	if (fq_put(&d->q, frame, len) == -1) {
		d->st.qdrops++;
		return 0;
	}
	d->st.queued++;
	if (was_empty && !d->ready) {
		d->ready = 1;
		sw->ready[(sw->rhead + sw->nready++) % sw->conf.ports] = p;
	}
	return 1;
}

int
sw_input(struct sw *sw, int port, const uint8_t *frame, size_t len,
    uint64_t now)
{
	struct sw_port	*s;
	unsigned	 i;
	int		 dst, n;

	if ((s = sw_port(sw, port)) == NULL) {
		return -1;
	}
	if (frame_check(len, sw->conf.frame_max) != NULL) {
		s->st.bad++;
		return -1;
	}
	s->st.frames_in++;
	s->st.bytes_in += len;
	s->st.last_in = now;
	fdb_expire(&sw->fdb, now);
	if (fdb_learnable(frame + 6)) {
		fdb_learn(&sw->fdb, frame + 6, port, now);
	}
	if (!sw->conf.hub && !(frame[0] & 1)) {
		dst = fdb_lookup(&sw->fdb, frame, now);
		if (dst == port) {
			s->st.filtered++;
			return 0;
		}
		if (dst != -1) {
			return sw_deliver(sw, dst, frame, len);
		}
	}
	sw->flooded++;
	n = 0;
	for (i = 0; i < sw->nlive; i++) {
		if (sw->live[i] != port) {
			n += sw_deliver(sw, sw->live[i], frame, len);
		}
	}
	return n;
}

int
sw_ready(struct sw *sw)
{
	int	p;

	if (sw->nready == 0) {
		return -1;
	}
	p = sw->ready[sw->rhead];
	sw->rhead = (sw->rhead + 1) % sw->conf.ports;
	sw->nready--;
	sw->port[p].ready = 0;
	return p;
}

int
sw_peek(const struct sw *sw, int port, struct iovec iov[2])
{
	const struct sw_port	*p;

	if ((p = sw_port(sw, port)) == NULL) {
		return 0;
	}
	return fq_peek(&p->q, iov);
}

void
sw_sent(struct sw *sw, int port, size_t n)
{
	struct sw_port	*p;

	if ((p = sw_port(sw, port)) == NULL) {
		return;
	}
	p->st.frames_out += fq_consume(&p->q, n, &p->st.bytes_out);
}

int
sw_peek_frame(const struct sw *sw, int port, struct iovec iov[2])
{
	const struct sw_port	*p;

	if ((p = sw_port(sw, port)) == NULL) {
		return 0;
	}
	return fq_peek_frame(&p->q, iov);
}

void
sw_next(struct sw *sw, int port, int sent)
{
	struct sw_port	*p;
	size_t		 len;

	if ((p = sw_port(sw, port)) == NULL || (len = fq_next(&p->q)) == 0) {
		return;
	}
	if (sent) {
		p->st.frames_out++;
		p->st.bytes_out += len;
	} else {
		p->st.txerr++;
	}
}

void
sw_age(struct sw *sw, uint64_t now)
{
	fdb_expire(&sw->fdb, now);
}

void
sw_stats(const struct sw *sw, int port, struct sw_stats *st)
{
	const struct sw_port	*p;
	const struct fdb_ent	*e;
	int32_t			 cur = -1;

	memset(st, 0, sizeof *st);
	if ((p = sw_port(sw, port)) == NULL) {
		return;
	}
	*st = p->st;
	st->qframes = p->q.frames;
	st->qbytes = fq_bytes(&p->q);
	while ((e = fdb_walk(&sw->fdb, &cur)) != NULL) {
		if (e->port == port) {
			st->macs++;
		}
	}
}
