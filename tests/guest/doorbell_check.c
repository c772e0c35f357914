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
 *   doorbell_check [DEV]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

/* verbs.h (through rc_pair.h) first: rdma-core defines RDMA_UAPI_PTR its way. */
#include "rc_pair.h"
#include "dmr-abi.h"

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

	CHECK(!to_state(p.qp[0], IBV_QPS_RESET), "QP to RESET");
	err = doorbell(p.ctx, p.qp[0]->qp_num);
	CHECK(err == EINVAL, "the doorbell in RESET is refused (%s)",
	      strerror(err));
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
