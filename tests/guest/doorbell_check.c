// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The send doorbell as the kernel sees it, without the provider in
 * between: DMR_IB_METHOD_QP_DOORBELL runs the requester from RTS on and
 * refuses a QP before it (EINVAL); the POST_SEND command, the doorbell of
 * ABI version 1, is refused for a process's QP with or without work
 * requests (EINVAL); sends through the provider work before and after.
 *
 *   doorbell_check [DEV]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

#include "dmr-abi.h"
#include "rc_pair.h"

/* DMR_IB_METHOD_QP_DOORBELL on @handle of @ctx: 0 or the errno. */
static int doorbell(struct ibv_context *ctx, uint32_t handle)
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
	c.hdr.driver_id = RDMA_DRIVER_UNKNOWN;
	c.attr.attr_id = DMR_IB_ATTR_QP_DOORBELL_HANDLE;
	c.attr.flags = UVERBS_ATTR_F_MANDATORY;
	c.attr.data = handle;
	return ioctl(ctx->cmd_fd, RDMA_VERBS_IOCTL, &c) ? errno : 0;
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
	static char buf[4096];
	struct rc_pair p;
	struct ibv_mr *mr;
	int err;

	rc_pair_open(&p, argc > 1 ? argv[1] : "dmr0");
	mr = ibv_reg_mr(p.pd, buf, sizeof(buf),
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!mr)
		die("ibv_reg_mr: %s", strerror(errno));
	CHECK(rc_pair_write(&p, mr, 0, 8, (uintptr_t)buf + 64, mr->rkey) ==
	      IBV_WC_SUCCESS, "a send through the provider completes");
	CHECK(!doorbell(p.ctx, p.qp[0]->handle),
	      "the doorbell of a QP in RTS with an empty ring succeeds");
	err = post_send_cmd(p.qp[0], 0);
	CHECK(err == EINVAL, "POST_SEND without WRs is refused (%s)",
	      strerror(err));
	err = post_send_cmd(p.qp[0], 1);
	CHECK(err == EINVAL, "POST_SEND with a WR is refused (%s)",
	      strerror(err));
	err = doorbell(p.ctx, p.pd->handle);
	CHECK(err == ENOENT || err == EINVAL,
	      "the doorbell of a PD's handle is refused (%s)", strerror(err));

	CHECK(!to_state(p.qp[0], IBV_QPS_RESET), "QP to RESET");
	err = doorbell(p.ctx, p.qp[0]->handle);
	CHECK(err == EINVAL, "the doorbell in RESET is refused (%s)",
	      strerror(err));
	rc_pair_reconnect(&p);
	CHECK(!to_state(p.qp[0], IBV_QPS_ERR), "QP to ERR");
	CHECK(!doorbell(p.ctx, p.qp[0]->handle),
	      "the doorbell in ERR succeeds (it flushes)");
	rc_pair_reconnect(&p);
	CHECK(rc_pair_write(&p, mr, 0, 8, (uintptr_t)buf + 64, mr->rkey) ==
	      IBV_WC_SUCCESS, "a send through the provider completes again");

	ibv_dereg_mr(mr);
	rc_pair_close(&p);
	return check_report();
}
