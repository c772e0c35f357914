// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Shared receive queues: a receive ring that many QPs consume. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "dmr.h"

struct ibv_srq *dmr_create_srq(struct ibv_pd *pd,
			       struct ibv_srq_init_attr *attr)
{
	struct udmr_create_srq_resp resp = {};
	struct ibv_create_srq cmd = {};
	struct dmr_srq *srq;
	int err;

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	err = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd, sizeof(cmd),
				 &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_free;
	srq->max_sge = attr->attr.max_sge;
	err = dmr_uring_map(&srq->ring, pd->context->cmd_fd, &resp.ring,
			    dmr_recv_wqe_stride(srq->max_sge));
	if (err) {
		ibv_cmd_destroy_srq(&srq->vsrq.srq);
		goto err_free;
	}
	pthread_spin_init(&srq->lock, PTHREAD_PROCESS_PRIVATE);
	return &srq->vsrq.srq;

err_free:
	free(srq);
	errno = err;
	return NULL;
}

int dmr_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int mask)
{
	struct ibv_modify_srq cmd = {};

	return ibv_cmd_modify_srq(ibsrq, attr, mask, &cmd, sizeof(cmd));
}

int dmr_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd = {};

	return ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
}

int dmr_destroy_srq(struct ibv_srq *ibsrq)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);
	int err;

	err = ibv_cmd_destroy_srq(ibsrq);
	if (err)
		return err;
	dmr_uring_unmap(&srq->ring);
	pthread_spin_destroy(&srq->lock);
	free(srq);
	return 0;
}

int dmr_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		      struct ibv_recv_wr **bad_wr)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);
	int err;

	pthread_spin_lock(&srq->lock);
	err = dmr_post_recv_ring(&srq->ring, srq->max_sge, wr, bad_wr);
	pthread_spin_unlock(&srq->lock);
	return err;
}
