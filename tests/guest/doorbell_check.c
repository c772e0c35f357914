// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The send doorbell as the kernel sees it, without the provider in
 * between: DMR_IB_METHOD_QP_DOORBELL runs the requester from RTS on and
 * refuses a QP before it (EINVAL); it names the QP by number, and only
 * the numbers of the calling context's own QPs are accepted: another
 * context's QP and no QP at all get the same EINVAL (so do kernel QPs,
 * such as the GSI QPs, when their table entries fall in the sweep). The
 * POST_SEND command, the doorbell of ABI version 1, is refused for a
 * process's QP with or without work requests (EINVAL); sends through the
 * provider work before and after.
 *
 * DMR_IB_METHOD_QP_DOORBELL_MAILBOX rings the QP whose number is in the
 * context's mailbox, under the same rules, and empties it; an empty
 * mailbox gets ENOENT. The provider rings through the mailbox when it is
 * empty and with the QP number when it is not: it maps the mailbox, sends
 * complete with a number left in the mailbox, which stays, and two
 * threads that send on two QPs of one context at once, racing for the
 * mailbox, lose no send, while a third sees their QP numbers pass
 * through it.
 *
 *   doorbell_check [DEV]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <time.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

/* verbs.h (through rc_pair.h) first: rdma-core defines RDMA_UAPI_PTR its way. */
#include "rc_pair.h"
#include <rdma/dmr-abi.h>

/*
 * DMR_IB_METHOD_QP_DOORBELL of QP number @qpn on @ctx, the number passed
 * in @len bytes: 0 or the errno.
 */
static int doorbell_len(struct ibv_context *ctx, uint64_t qpn, uint16_t len)
{
	struct {
		struct ib_uverbs_ioctl_hdr hdr;
		struct ib_uverbs_attr attr;
	} c;

	memset(&c, 0, sizeof(c));
	c.hdr.length = sizeof(c);
	c.hdr.object_id = UVERBS_OBJECT_QP;
	c.hdr.method_id = DMR_IB_METHOD_QP_DOORBELL;
	c.hdr.num_attrs = 1;
	c.hdr.driver_id = DMR_DRIVER_ID;
	c.attr.attr_id = DMR_IB_ATTR_QP_DOORBELL_QPN;
	c.attr.flags = UVERBS_ATTR_F_MANDATORY;
	c.attr.len = len;
	c.attr.data = qpn;
	return ioctl(ctx->cmd_fd, RDMA_VERBS_IOCTL, &c) ? errno : 0;
}

static int doorbell(struct ibv_context *ctx, uint32_t qpn)
{
	return doorbell_len(ctx, qpn, sizeof(qpn));
}

/* Ring QP number @n on @p's context: only @p's own QPs may answer 0. */
static unsigned int ring_one(struct rc_pair *p, uint32_t n)
{
	int want = n == p->qp[0]->qp_num || n == p->qp[1]->qp_num ? 0 : EINVAL;
	int err = doorbell(p->ctx, n);

	if (err == want)
		return 0;
	printf("  QP number %u: %s\n", n, strerror(err));
	return 1;
}

/*
 * Ring the numbers below 64 and those from 64 below the lowest QP number
 * of @p and @other to 64 past the highest, on @p's context; both pairs'
 * QPs are in RTS. Returns how many did not answer as ring_one() wants.
 */
static unsigned int sweep(struct rc_pair *p, struct rc_pair *other)
{
	uint32_t n, lo = UINT32_MAX, hi = 0, bad = 0;
	int i;

	for (i = 0; i < 2; i++) {
		lo = MIN(lo, MIN(p->qp[i]->qp_num, other->qp[i]->qp_num));
		hi = MAX(hi, MAX(p->qp[i]->qp_num, other->qp[i]->qp_num));
	}
	for (n = 0; n < 64; n++)
		bad += ring_one(p, n);
	for (n = MAX(lo, 128) - 64; n <= hi + 64; n++)
		bad += ring_one(p, n);
	return bad;
}

/* The POST_SEND write command on @qp, with one SEND WR or none. */
static int post_send_cmd(struct ibv_qp *qp, int nwr)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_post_send cmd;
		struct ib_uverbs_send_wr wr;
	} w;
	struct ib_uverbs_post_send_resp resp;
	size_t len = sizeof(w.hdr) + sizeof(w.cmd) + nwr * sizeof(w.wr);

	memset(&w, 0, sizeof(w));
	w.hdr.command = IB_USER_VERBS_CMD_POST_SEND;
	w.hdr.in_words = len / 4;
	w.hdr.out_words = sizeof(resp) / 4;
	w.cmd.response = (uintptr_t)&resp;
	w.cmd.qp_handle = qp->handle;
	w.cmd.wr_count = nwr;
	w.cmd.wqe_size = sizeof(w.wr);
	w.wr.opcode = IB_UVERBS_WR_SEND;
	w.wr.send_flags = IBV_SEND_SIGNALED;
	return write(qp->context->cmd_fd, &w, len) < 0 ? errno : 0;
}

/*
 * The doorbell mailbox of @ctx, mapped a second time: the kernel makes it
 * first, so it is the context's mapping at offset 0.
 */
static struct dmr_doorbell_mailbox *mailbox_map(struct ibv_context *ctx)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_SHARED, ctx->cmd_fd, 0);

	if (p == MAP_FAILED)
		die("mmap of the doorbell mailbox: %s", strerror(errno));
	return p;
}

/* DMR_IB_METHOD_QP_DOORBELL_MAILBOX on @ctx: 0 or the errno. */
static int ring_mailbox(struct ibv_context *ctx)
{
	struct ib_uverbs_ioctl_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.length = sizeof(hdr);
	hdr.object_id = UVERBS_OBJECT_QP;
	hdr.method_id = DMR_IB_METHOD_QP_DOORBELL_MAILBOX;
	hdr.driver_id = DMR_DRIVER_ID;
	return ioctl(ctx->cmd_fd, RDMA_VERBS_IOCTL, &hdr) ? errno : 0;
}

/* Put @qpn in @mb and ring it on @ctx: 0 or the errno. */
static int ring_via_mailbox(struct ibv_context *ctx,
			    struct dmr_doorbell_mailbox *mb, uint32_t qpn)
{
	__atomic_store_n(&mb->qpn, qpn, __ATOMIC_RELEASE);
	return ring_mailbox(ctx);
}

static uint32_t mailbox_qpn(struct dmr_doorbell_mailbox *mb)
{
	return __atomic_load_n(&mb->qpn, __ATOMIC_ACQUIRE);
}

enum { RACE_SENDS = 20000, RACE_SECONDS = 60 };

struct racer {
	struct rc_pair *p;
	struct ibv_mr *mr;
	int side;		/* the QP and CQ this thread uses */
	unsigned int done;	/* sends that completed successfully */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Send RACE_SENDS 8-byte writes on one QP of the pair, one at a time,
 * for RACE_SECONDS at most: a lost doorbell leaves a send without its
 * completion, and the thread stops there.
 */
static void *race(void *arg)
{
	struct racer *r = arg;
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->mr->addr + 8 * r->side,
		.length = 8,
		.lkey = r->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	double deadline = now() + RACE_SECONDS;
	unsigned int i, spins;
	struct ibv_wc wc;
	int n;

	wr.wr.rdma.remote_addr = (uintptr_t)r->mr->addr + 64 + 8 * r->side;
	wr.wr.rdma.rkey = r->mr->rkey;
	for (i = 0; i < RACE_SENDS; i++) {
		if (ibv_post_send(r->p->qp[r->side], &wr, &bad))
			break;
		for (spins = 0; !(n = ibv_poll_cq(r->p->cq[r->side], 1, &wc));
		     spins++)
			if (!(spins % 1024) && now() > deadline)
				return NULL;
		if (n < 0 || wc.status != IBV_WC_SUCCESS)
			break;
		r->done++;
	}
	return NULL;
}

struct watcher {
	struct dmr_doorbell_mailbox *mb;
	uint32_t qpn[2];
	volatile bool stop;
	unsigned long seen;	/* reads that found a racer's QP number */
};

/* Read the mailbox until told to stop, counting the racers' numbers. */
static void *watch(void *arg)
{
	struct watcher *w = arg;
	uint32_t qpn;

	while (!w->stop) {
		qpn = mailbox_qpn(w->mb);
		w->seen += qpn == w->qpn[0] || qpn == w->qpn[1];
	}
	return NULL;
}

/*
 * Two threads, each sending on its own QP of @p, so that both ring at
 * once and race for the context's mailbox @mb, and a third that watches
 * the mailbox. True if every send completed; *@seen is how often the
 * watcher found a sender's QP number in the mailbox (a provider that did
 * not ring through it would leave it empty).
 */
static bool race_two_threads(struct rc_pair *p, struct ibv_mr *mr,
			     struct dmr_doorbell_mailbox *mb,
			     unsigned long *seen)
{
	struct racer r[2] = {
		{ .p = p, .mr = mr, .side = 0 },
		{ .p = p, .mr = mr, .side = 1 },
	};
	struct watcher w = {
		.mb = mb,
		.qpn = { p->qp[0]->qp_num, p->qp[1]->qp_num },
	};
	pthread_t t[2], tw;
	int i;

	if (pthread_create(&tw, NULL, watch, &w))
		die("pthread_create");
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, race, &r[i]))
			die("pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	w.stop = true;
	pthread_join(tw, NULL);
	*seen = w.seen;
	printf("  sends completed: %u and %u of %u; the mailbox held a sender's QP number at %lu reads\n",
	       r[0].done, r[1].done, RACE_SENDS, w.seen);
	return r[0].done == RACE_SENDS && r[1].done == RACE_SENDS;
}

/*
 * Whether this process maps its uverbs file at offset 0, one page: the
 * provider's mapping of the context's mailbox.
 */
static bool provider_maps_mailbox(void)
{
	unsigned long start, end, offset;
	char line[512], path[256];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		die("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &start, &end,
			   &offset, path) < 3)
			continue;
		found |= !offset && strstr(path, "/dev/infiniband/uverbs") &&
			 end - start == (unsigned long)sysconf(_SC_PAGESIZE);
	}
	fclose(f);
	return found;
}

static int to_state(struct ibv_qp *qp, enum ibv_qp_state state)
{
	struct ibv_qp_attr attr = { .qp_state = state };

	return ibv_modify_qp(qp, &attr, IBV_QP_STATE);
}

int main(int argc, char **argv)
{
	static char buf[4096], buf_other[4096];
	struct ibv_mr *mr_other;
	const char *dev = argc > 1 ? argv[1] : "dmr0";
	struct rc_pair p, other;
	struct dmr_doorbell_mailbox *mb;
	unsigned long seen;
	struct ibv_mr *mr;
	int err;

	rc_pair_open(&p, dev);
	rc_pair_open(&other, dev);
	mr = ibv_reg_mr(p.pd, buf, sizeof(buf),
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	mr_other = ibv_reg_mr(other.pd, buf_other, sizeof(buf_other),
			      IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!mr || !mr_other)
		die("ibv_reg_mr: %s", strerror(errno));
	CHECK(rc_pair_write(&p, mr, 0, 8, (uintptr_t)buf + 64, mr->rkey) ==
	      IBV_WC_SUCCESS, "a send through the provider completes");
	CHECK(!doorbell(p.ctx, p.qp[0]->qp_num),
	      "the doorbell of a QP in RTS with an empty ring succeeds");
	err = post_send_cmd(p.qp[0], 0);
	CHECK(err == EINVAL, "POST_SEND without WRs is refused (%s)",
	      strerror(err));
	err = post_send_cmd(p.qp[0], 1);
	CHECK(err == EINVAL, "POST_SEND with a WR is refused (%s)",
	      strerror(err));

	err = doorbell(other.ctx, p.qp[0]->qp_num);
	CHECK(err == EINVAL,
	      "another context's QP in RTS is refused (%s)", strerror(err));
	err = doorbell(p.ctx, other.qp[0]->qp_num);
	CHECK(err == EINVAL, "and the other way round (%s)", strerror(err));
	CHECK(!doorbell(other.ctx, other.qp[0]->qp_num),
	      "the other context rings its own QP");
	CHECK(!sweep(&p, &other),
	      "of the QP numbers around all four, only the context's own two ring");
	err = doorbell(p.ctx, UINT32_MAX);
	CHECK(err == EINVAL, "QP number 0xffffffff is refused (%s)",
	      strerror(err));
	err = doorbell_len(p.ctx, p.qp[0]->qp_num | 1ULL << 32, 8);
	CHECK(err == EINVAL, "a 64-bit QP number is refused (%s)",
	      strerror(err));
	err = doorbell_len(p.ctx, p.qp[0]->qp_num, 2);
	CHECK(err == EINVAL, "a 16-bit QP number is refused (%s)",
	      strerror(err));
	CHECK(!doorbell_len(p.ctx, p.qp[0]->qp_num, 4),
	      "the doorbell still rings after the refusals");

	CHECK(provider_maps_mailbox(),
	      "the provider maps its context's doorbell mailbox");
	mb = mailbox_map(p.ctx);
	CHECK(!mailbox_qpn(mb), "the provider's sends left the mailbox empty");
	err = ring_mailbox(p.ctx);
	CHECK(err == ENOENT, "an empty mailbox is refused (%s)", strerror(err));
	CHECK(!ring_via_mailbox(p.ctx, mb, p.qp[1]->qp_num) && !mailbox_qpn(mb),
	      "the mailbox rings the context's own QP, and is emptied");
	err = ring_via_mailbox(p.ctx, mb, other.qp[0]->qp_num);
	CHECK(err == EINVAL && !mailbox_qpn(mb),
	      "another context's QP in the mailbox is refused (%s), and the mailbox emptied",
	      strerror(err));
	err = ring_via_mailbox(other.ctx, mailbox_map(other.ctx),
			       p.qp[0]->qp_num);
	CHECK(err == EINVAL, "and the other way round (%s)", strerror(err));
	err = ring_via_mailbox(p.ctx, mb, UINT32_MAX);
	CHECK(err == EINVAL, "QP number 0xffffffff in the mailbox is refused (%s)",
	      strerror(err));
	__atomic_store_n(&mb->qpn, other.qp[1]->qp_num, __ATOMIC_RELEASE);
	CHECK(rc_pair_write(&p, mr, 0, 8, (uintptr_t)buf + 64, mr->rkey) ==
	      IBV_WC_SUCCESS &&
	      mailbox_qpn(mb) == other.qp[1]->qp_num,
	      "with the mailbox full, a send through the provider completes and leaves it alone");
	CHECK(ring_mailbox(p.ctx) == EINVAL && !mailbox_qpn(mb),
	      "the number left there is refused when rung");
	CHECK(race_two_threads(&p, mr, mb, &seen),
	      "two threads sending on two QPs of one context lose no send");
	CHECK(seen, "their sends went through the mailbox");
	CHECK(!mailbox_qpn(mb), "and left it empty");

	CHECK(!to_state(p.qp[0], IBV_QPS_RESET), "QP to RESET");
	err = doorbell(p.ctx, p.qp[0]->qp_num);
	CHECK(err == EINVAL, "the doorbell in RESET is refused (%s)",
	      strerror(err));
	err = ring_via_mailbox(p.ctx, mb, p.qp[0]->qp_num);
	CHECK(err == EINVAL, "and so is the mailbox's (%s)", strerror(err));
	rc_pair_reconnect(&p);
	CHECK(!to_state(p.qp[0], IBV_QPS_ERR), "QP to ERR");
	CHECK(!doorbell(p.ctx, p.qp[0]->qp_num),
	      "the doorbell in ERR succeeds (it flushes)");
	rc_pair_reconnect(&p);
	CHECK(rc_pair_write(&p, mr, 0, 8, (uintptr_t)buf + 64, mr->rkey) ==
	      IBV_WC_SUCCESS, "a send through the provider completes again");

	CHECK(rc_pair_write(&other, mr_other, 0, 8,
			    (uintptr_t)buf_other + 64, mr_other->rkey) ==
	      IBV_WC_SUCCESS, "a send of the other context completes");

	ibv_dereg_mr(mr_other);
	ibv_dereg_mr(mr);
	rc_pair_close(&other);
	rc_pair_close(&p);
	return check_report();
}
