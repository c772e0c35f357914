// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc_pair.h"

/* The IPv6 link-local RoCE v2 GID: it works between any two devices. */
int rc_find_gid(struct ibv_context *ctx)
{
	union ibv_gid gid;
	int i;

	for (i = 0; i < 32; i++) {
		if (ibv_query_gid(ctx, 1, i, &gid))
			continue;
		if (gid.raw[0] == 0xfe && (gid.raw[1] & 0xc0) == 0x80)
			return i;
	}
	die("no link-local GID");
}

void rc_connect(struct ibv_qp *qp, int gid_index, uint32_t dest_qpn,
		uint8_t retry_cnt)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
	};
	union ibv_gid gid;

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("INIT failed");
	ibv_query_gid(qp->context, 1, gid_index, &gid);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest_qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.dgid = gid;
	a.ah_attr.grh.sgid_index = gid_index;
	a.ah_attr.grh.hop_limit = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("RTR failed");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = retry_cnt;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		die("RTS failed");
}

static void to_rts(struct rc_pair *p, int i)
{
	rc_connect(p->qp[i], p->gid_index, p->qp[!i]->qp_num, 7);
}

struct ibv_context *rc_open_device(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		die("cannot open %s", name);
	return ctx;
}

void rc_pair_open(struct rc_pair *p, const char *dev)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	int i;

	memset(p, 0, sizeof(*p));
	p->ctx = rc_open_device(dev);
	p->pd = ibv_alloc_pd(p->ctx);
	for (i = 0; i < 2; i++) {
		p->cq[i] = ibv_create_cq(p->ctx, 256, NULL, NULL, 0);
		init.send_cq = init.recv_cq = p->cq[i];
		p->qp[i] = p->cq[i] ? ibv_create_qp(p->pd, &init) : NULL;
		if (!p->qp[i])
			die("cannot create QP %d", i);
	}
	p->gid_index = rc_find_gid(p->ctx);
	rc_pair_reconnect(p);
}

void rc_pair_reconnect(struct rc_pair *p)
{
	struct ibv_qp_attr reset = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		if (ibv_modify_qp(p->qp[i], &reset, IBV_QP_STATE))
			die("RESET failed");
		while (ibv_poll_cq(p->cq[i], 1, &wc) > 0)
			;
	}
	to_rts(p, 0);
	to_rts(p, 1);
}

void rc_pair_close(struct rc_pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		ibv_destroy_qp(p->qp[i]);
		ibv_destroy_cq(p->cq[i]);
	}
	ibv_dealloc_pd(p->pd);
	ibv_close_device(p->ctx);
}

enum ibv_wc_status rc_pair_rdma(struct rc_pair *p, enum ibv_wr_opcode op,
				struct ibv_mr *local, uint64_t local_off,
				uint32_t len, uint64_t remote_addr,
				uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local->addr + local_off,
		.length = len,
		.lkey = local->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = remote_addr, .rkey = rkey },
	}, *bad;
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(p->qp[0], &wr, &bad))
		return IBV_WC_GENERAL_ERR;
	while ((n = ibv_poll_cq(p->cq[0], 1, &wc)) == 0)
		;
	if (n < 0)
		die("poll failed");
	return wc.status;
}

enum ibv_wc_status rc_pair_write(struct rc_pair *p, struct ibv_mr *src,
				 uint64_t src_off, uint32_t len,
				 uint64_t remote_addr, uint32_t rkey)
{
	return rc_pair_rdma(p, IBV_WR_RDMA_WRITE, src, src_off, len,
			    remote_addr, rkey);
}

int check_failures;

int check_report(void)
{
	if (check_failures) {
		printf("FAILED: %d checks\n", check_failures);
		return 1;
	}
	printf("PASSED\n");
	return 0;
}
