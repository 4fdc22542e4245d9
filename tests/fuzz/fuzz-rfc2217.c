/*
 * fuzz-rfc2217: libFuzzer harness for COM-PORT-OPTION (RFC 2217): the
 * path from a serial console client's bytes through tn (with
 * tn_enable_comport) to rfc2217_parse, rfc2217_update and the replies,
 * as client.c and the serial backend use them.
 *
 * fuzz-sources: src/telnet/tn.c src/telnet/tnscan.c src/telnet/rfc2217.c
 * fuzz-pkgs: libtelnet
 * fuzz-seeds: tests/golden/telnet:in tests/fuzz/telnet-seeds:in
 * fuzz-max-len: 8192
 *
 * Input: byte 0 chooses the set-up, the rest is what the peer sends.
 *   bit 0     call tn_start first
 *   bit 1     the client is read-only: changes become queries (client.c)
 *   bits 2-7  how the second run splits the input into reads (1 to N
 *             bytes, N from the same table as fuzz-telnet)
 *
 * The input runs through tn twice, in one read and split into reads; the
 * COM-PORT payloads tn hands on, and the replies made to them, must be
 * the same both times.  Then the input after byte 0 is also read as a
 * list of payloads, each a length byte and that many bytes, and fed to
 * rfc2217 directly, so the parser sees shapes Telnet framing rarely
 * makes.  For every payload, on top of the sanitizers:
 *   - rfc2217_parse refuses exactly the empty payload and commands past
 *     PURGE-DATA; what it accepts is in range for its action (a SET of
 *     a data size is 5..8, and so on), and rfc2217_changes only for SETs;
 *   - rfc2217_update keeps every setting in its domain, moves nothing for
 *     a query, an invalid value or a read-only client;
 *   - a reply is 0 bytes or one well-formed message (IAC SB 44, the
 *     request's command + 100, a value with IACs doubled, IAC SE) of at
 *     most RFC2217_MSG_MAX bytes, and a reply about a setting carries the
 *     value now in effect;
 *   - tn calls comport only while tn_comport() says the option is on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/rfc2217.h"
#include "../../src/telnet/tn.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-rfc2217";

struct run {
	struct tn		*tn;
	int			 ro;
	struct rfc2217_state	 st;
	struct fuzzkit_buf	 tr;	/* payloads and replies, in order */
};

static void
state_init(struct rfc2217_state *st)
{
	memset(st, 0, sizeof *st);
	st->baud = 115200;
	st->datasize = 8;
	st->parity = RFC2217_PARITY_NONE;
	st->stopsize = RFC2217_STOP_1;
	st->flow = RFC2217_CTL_FLOW_NONE;
	st->flow_in = RFC2217_CTL_FLOW_IN_NONE;
	st->brk = RFC2217_CTL_BREAK_OFF;
	st->dtr = RFC2217_CTL_DTR_ON;
	st->rts = RFC2217_CTL_RTS_ON;
	st->modem = RFC2217_MODEM_CTS;
	st->line_mask = RFC2217_LINE_MASK_DEFAULT;
	st->modem_mask = RFC2217_MODEM_MASK_DEFAULT;
	st->signature = "ttyhub fuzz \xff\xff";
}

static void
state_valid(const struct rfc2217_state *st)
{
	CHECK(st->baud != 0, "baud 0 in effect");
	CHECK(st->datasize >= 5 && st->datasize <= 8, "data size %u",
	    st->datasize);
	CHECK(st->parity >= RFC2217_PARITY_NONE &&
	    st->parity <= RFC2217_PARITY_SPACE, "parity %u", st->parity);
	CHECK(st->stopsize >= RFC2217_STOP_1 &&
	    st->stopsize <= RFC2217_STOP_1_5, "stop size %u", st->stopsize);
	CHECK(st->flow >= RFC2217_CTL_FLOW_NONE &&
	    st->flow <= RFC2217_CTL_FLOW_HW, "flow %u", st->flow);
	CHECK(st->flow_in >= RFC2217_CTL_FLOW_IN_NONE &&
	    st->flow_in <= RFC2217_CTL_FLOW_IN_HW, "inbound flow %u",
	    st->flow_in);
	CHECK(st->brk == RFC2217_CTL_BREAK_ON ||
	    st->brk == RFC2217_CTL_BREAK_OFF, "BREAK %u", st->brk);
	CHECK(st->dtr == RFC2217_CTL_DTR_ON || st->dtr == RFC2217_CTL_DTR_OFF,
	    "DTR %u", st->dtr);
	CHECK(st->rts == RFC2217_CTL_RTS_ON || st->rts == RFC2217_CTL_RTS_OFF,
	    "RTS %u", st->rts);
}

static void
req_valid(const uint8_t *p, size_t len, int r, const struct rfc2217_req *req)
{
	CHECK((r == -1) == (len == 0 || p[0] > RFC2217_PURGE_DATA),
	    "parse returned %d for command %d", r, len ? p[0] : -1);
	if (r == -1) {
		return;
	}
	CHECK(req->cmd == p[0], "command %d for %d", (int)req->cmd, p[0]);
	CHECK(req->action == RFC2217_SET || req->action == RFC2217_QUERY ||
	    req->action == RFC2217_INVALID, "action %d", (int)req->action);
	CHECK(!rfc2217_changes(req) || req->action == RFC2217_SET,
	    "a change that is not a SET");
	CHECK(req->textlen <= RFC2217_SIG_MAX, "signature of %zu",
	    req->textlen);
	CHECK(req->textlen == 0 || (req->text == p + 1 &&
	    req->textlen <= len - 1), "signature outside the payload");
	if (req->action != RFC2217_SET) {
		return;
	}
	switch (req->cmd) {
	case RFC2217_SET_BAUDRATE:
		CHECK(req->value != 0, "SET of baud 0");
		break;
	case RFC2217_SET_DATASIZE:
		CHECK(req->value >= 5 && req->value <= 8, "data size %u",
		    (unsigned)req->value);
		break;
	case RFC2217_SET_PARITY:
		CHECK(req->value >= 1 && req->value <= 5, "parity %u",
		    (unsigned)req->value);
		break;
	case RFC2217_SET_STOPSIZE:
		CHECK(req->value >= 1 && req->value <= 3, "stop size %u",
		    (unsigned)req->value);
		break;
	case RFC2217_SET_CONTROL:
		CHECK(req->value <= RFC2217_CTL_FLOW_DSR, "control %u",
		    (unsigned)req->value);
		break;
	case RFC2217_PURGE_DATA:
		CHECK(req->value >= 1 && req->value <= 3, "purge %u",
		    (unsigned)req->value);
		break;
	default:
		break;
	}
}

/* Check a reply's framing; returns its value, IACs undoubled, in val. */
static size_t
reply_valid(const struct rfc2217_req *req, const uint8_t *p, size_t n,
    uint8_t *val)
{
	size_t	i, vlen = 0;

	CHECK(n <= RFC2217_MSG_MAX, "reply of %zu bytes", n);
	if (n == 0) {
		return 0;
	}
	CHECK(n >= 6 && p[0] == 0xff && p[1] == 0xfa &&
	    p[2] == RFC2217_OPTION && p[n - 2] == 0xff && p[n - 1] == 0xf0,
	    "reply not framed");
	CHECK(p[3] == req->cmd + RFC2217_SERVER, "reply command %u to %u",
	    p[3], (unsigned)req->cmd);
	for (i = 4; i < n - 2; i++) {
		if (p[i] == 0xff) {
			CHECK(p[i + 1] == 0xff, "lone IAC in a reply");
			i++;
		}
		val[vlen++] = p[i];
	}
	return vlen;
}

/* What client.c and the backend do with one payload. */
static void
payload(struct run *r, const uint8_t *p, size_t len)
{
	struct rfc2217_req	req;
	struct rfc2217_state	was = r->st;
	uint8_t			out[RFC2217_MSG_MAX], val[RFC2217_MSG_MAX];
	size_t			n, vlen;
	int			ret, moved;

	ret = rfc2217_parse(p, len, &req);
	req_valid(p, len, ret, &req);
	if (ret == -1) {
		return;
	}
	if (req.cmd == RFC2217_SET_LINESTATE_MASK &&
	    req.action == RFC2217_SET) {
		r->st.line_mask = (uint8_t)req.value;
	} else if (req.cmd == RFC2217_SET_MODEMSTATE_MASK &&
	    req.action == RFC2217_SET) {
		r->st.modem_mask = (uint8_t)req.value;
	}
	if (r->ro && rfc2217_changes(&req)) {
		req.action = RFC2217_QUERY;
	}
	moved = rfc2217_update(&r->st, &req);
	state_valid(&r->st);
	if (req.action != RFC2217_SET) {
		CHECK(!moved && was.baud == r->st.baud &&
		    was.datasize == r->st.datasize &&
		    was.parity == r->st.parity &&
		    was.stopsize == r->st.stopsize &&
		    was.flow == r->st.flow && was.flow_in == r->st.flow_in &&
		    was.brk == r->st.brk && was.dtr == r->st.dtr &&
		    was.rts == r->st.rts, "a query or invalid value moved "
		    "the line");
	}
	n = rfc2217_reply(&req, &r->st, out, sizeof out);
	vlen = reply_valid(&req, out, n, val);
	switch (req.cmd) {
	case RFC2217_SET_BAUDRATE:
		CHECK(vlen == 4 && ((uint32_t)val[0] << 24 |
		    (uint32_t)val[1] << 16 | (uint32_t)val[2] << 8 | val[3]) ==
		    r->st.baud, "baud reply is not the baud in effect");
		break;
	case RFC2217_SET_DATASIZE:
		CHECK(vlen == 1 && val[0] == r->st.datasize,
		    "data size reply");
		break;
	case RFC2217_SET_PARITY:
		CHECK(vlen == 1 && val[0] == r->st.parity, "parity reply");
		break;
	case RFC2217_SET_STOPSIZE:
		CHECK(vlen == 1 && val[0] == r->st.stopsize,
		    "stop size reply");
		break;
	case RFC2217_SET_CONTROL:
		CHECK((req.action == RFC2217_INVALID) == (n == 0),
		    "control reply %zu for action %d", n, (int)req.action);
		break;
	case RFC2217_FLOWCONTROL_SUSPEND:
	case RFC2217_FLOWCONTROL_RESUME:
		CHECK(n == 0, "a reply to SUSPEND or RESUME");
		break;
	default:
		break;
	}
	fuzzkit_buf_add(&r->tr, "P", 1);
	fuzzkit_buf_add(&r->tr, p, len);
	fuzzkit_buf_add(&r->tr, "R", 1);
	fuzzkit_buf_add(&r->tr, out, n);
}

static void
ev_comport(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	CHECK(tn_comport(r->tn), "comport() while the option is off");
	payload(r, buf, len);
}

static void
ev_data(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
}

static void
ev_send(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
}

static void
ev_winsize(void *arg, unsigned cols, unsigned rows)
{
	(void)arg;
	(void)cols;
	(void)rows;
}

static void
ev_command(void *arg, enum tn_cmd cmd)
{
	(void)arg;
	(void)cmd;
}

static void
ev_settled(void *arg)
{
	(void)arg;
}

static void
ev_fail(void *arg, const char *why)
{
	(void)arg;
	(void)why;
}

static const struct tn_ops fuzz_ops = {
	.data = ev_data,
	.send = ev_send,
	.winsize = ev_winsize,
	.command = ev_command,
	.settled = ev_settled,
	.fail = ev_fail,
	.comport = ev_comport,
};

static struct fuzzkit_buf
run_tn(const uint8_t *data, size_t size, int start, int ro, unsigned split)
{
	struct run		 r;
	struct fuzzkit_reads	 rd;
	size_t			 off, n;

	memset(&r, 0, sizeof r);
	r.ro = ro;
	state_init(&r.st);
	r.tn = tn_new(&fuzz_ops, &r, NULL);
	CHECK(r.tn != NULL, "tn_new failed");
	CHECK(tn_enable_comport(r.tn) == 0, "tn_enable_comport failed");
	if (start) {
		tn_start(r.tn);
	}
	fuzzkit_reads_init(&rd, split, 0);
	for (off = 0; off < size; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		tn_recv(r.tn, data + off, n);
	}
	tn_free(r.tn);
	return r.tr;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzkit_buf	whole, split;
	struct run		r;
	unsigned		cfg;
	size_t			off, n;

	if (size == 0) {
		return 0;
	}
	cfg = data[0];
	data++;
	size--;

	whole = run_tn(data, size, cfg & 1, (cfg >> 1) & 1, 0);
	split = run_tn(data, size, cfg & 1, (cfg >> 1) & 1, 1 + (cfg >> 2));
	CHECK(fuzzkit_buf_same(&whole, &split),
	    "payloads or replies differ when the input is split");
	free(whole.p);
	free(split.p);

	/* The same bytes as length-prefixed payloads, straight in. */
	memset(&r, 0, sizeof r);
	r.ro = (cfg >> 1) & 1;
	state_init(&r.st);
	for (off = 0; off < size; off += n) {
		n = data[off++];
		if (n > size - off) {
			n = size - off;
		}
		payload(&r, data + off, n);
	}
	free(r.tr.p);
	return 0;
}
