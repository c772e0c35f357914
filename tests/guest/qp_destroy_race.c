// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Responder QPs destroyed while their requesters in another context RDMA
 * WRITE to them, round after round: two connections, one with 1 MiB
 * writes, which keep the requester inside the responder for the time of
 * a large copy, one with 64-byte writes, which find their responder
 * again and again. A requester finds its responder in the QP table
 * without taking a reference (dmr_qp_find()); dmr_destroy_qp() must wait
 * for every requester that found the QP before it left the table, or
 * the requester runs on in freed memory. Each round must end with both
 * requesters' retry-exceeded completions (their retry count is 0; to a
 * requester a responder destroyed under its message did not answer),
 * not a hang; a use after free shows in the kernel log (KASAN, in the
 * debug kernel). The destroys come at a random point after both
 * requesters completed a write, however slow the kernel: a destroy
 * before the first write would race nothing. (Each responder has its
 * own requester: dmr's responder refuses requests from any QP but the
 * one it is connected to.)
 *
 *   qp_destroy_race [DEV] [ROUNDS]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "rc_pair.h"

struct writer {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_mr *src;
	uint64_t remote_addr;
	uint32_t rkey;
	uint32_t len;
	unsigned long written;		/* successful completions (atomic) */
	int status;			/* of the last completion, -1: post failed */
};

/* Signaled RDMA WRITEs of w->len bytes, one at a time, until one fails. */
static void *write_until_error(void *arg)
{
	struct writer *w = arg;
	struct ibv_sge sge = {
		.addr = (uintptr_t)w->src->addr,
		.length = w->len,
		.lkey = w->src->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = w->remote_addr, .rkey = w->rkey },
	}, *bad;
	struct ibv_wc wc;
	int n;

	for (;;) {
		if (ibv_post_send(w->qp, &wr, &bad)) {
			__atomic_store_n(&w->status, -1, __ATOMIC_RELEASE);
			return NULL;
		}
		while ((n = ibv_poll_cq(w->cq, 1, &wc)) == 0)
			;
		if (n < 0 || wc.status != IBV_WC_SUCCESS) {
			__atomic_store_n(&w->status, n < 0 ? -1 : (int)wc.status,
					 __ATOMIC_RELEASE);
			return NULL;
		}
		__atomic_fetch_add(&w->written, 1, __ATOMIC_RELEASE);
	}
}

/* Until both writers completed a write, or one failed; false: one failed. */
static bool both_writing(struct writer *w)
{
	int k;

	for (;;) {
		for (k = 0; k < 2; k++)
			if (__atomic_load_n(&w[k].status, __ATOMIC_ACQUIRE))
				return false;
		if (__atomic_load_n(&w[0].written, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&w[1].written, __ATOMIC_ACQUIRE))
			return true;
		usleep(100);
	}
}

static struct ibv_qp *rc_qp(struct ibv_pd *pd, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	if (!qp)
		die("ibv_create_qp: %s", strerror(errno));
	return qp;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "dmr0";
	unsigned int rounds = argc > 2 ? atoi(argv[2]) : 300;
	static const uint32_t lens[2] = { 1 << 20, 64 };
	static char src[1 << 20], dst[1 << 20];
	unsigned int i, raced = 0, bad_end = 0;
	struct ibv_context *ctx[2];
	struct ibv_cq *cq[3];
	struct ibv_pd *pd[2];
	struct ibv_mr *mr[2];
	int gid[2], k;

	for (k = 0; k < 2; k++) {
		ctx[k] = rc_open_device(dev);
		pd[k] = ibv_alloc_pd(ctx[k]);
		if (!pd[k])
			die("ibv_alloc_pd: %s", strerror(errno));
		gid[k] = rc_find_gid(ctx[k]);
	}
	/* One CQ for each requester, one for the responder. */
	for (k = 0; k < 3; k++) {
		cq[k] = ibv_create_cq(ctx[k == 2], 16, NULL, NULL, 0);
		if (!cq[k])
			die("ibv_create_cq: %s", strerror(errno));
	}
	mr[0] = ibv_reg_mr(pd[0], src, sizeof(src), IBV_ACCESS_LOCAL_WRITE);
	mr[1] = ibv_reg_mr(pd[1], dst, sizeof(dst),
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!mr[0] || !mr[1])
		die("ibv_reg_mr: %s", strerror(errno));
	srand(getpid());

	for (i = 0; i < rounds; i++) {
		struct ibv_qp *resp[2];
		struct writer w[2];
		struct ibv_wc wc;
		pthread_t t[2];

		for (k = 0; k < 2; k++) {
			resp[k] = rc_qp(pd[1], cq[2]);
			w[k] = (struct writer){
				.qp = rc_qp(pd[0], cq[k]), .cq = cq[k],
				.src = mr[0], .remote_addr = (uintptr_t)dst,
				.rkey = mr[1]->rkey, .len = lens[k],
			};
			rc_connect(w[k].qp, gid[0], resp[k]->qp_num, 0);
			rc_connect(resp[k], gid[1], w[k].qp->qp_num, 7);
		}
		for (k = 0; k < 2; k++)
			if (pthread_create(&t[k], NULL, write_until_error, &w[k]))
				die("pthread_create");
		raced += both_writing(w);
		usleep(rand() % 2000);
		for (k = 0; k < 2; k++)
			if (ibv_destroy_qp(resp[k]))
				die("ibv_destroy_qp: %s", strerror(errno));
		for (k = 0; k < 2; k++) {
			pthread_join(t[k], NULL);
			if (w[k].status != IBV_WC_RETRY_EXC_ERR) {
				printf("  round %u, writer %d: status %d\n", i, k,
				       w[k].status);
				bad_end++;
			}
			if (ibv_destroy_qp(w[k].qp))
				die("ibv_destroy_qp: %s", strerror(errno));
			while (ibv_poll_cq(cq[k], 1, &wc) > 0)
				;
		}
	}
	CHECK(!bad_end,
	      "each of %u rounds ended with both requesters' retry-exceeded completions",
	      rounds);
	CHECK(raced == rounds,
	      "both had written before the responders were destroyed in %u of %u rounds",
	      raced, rounds);

	for (k = 0; k < 2; k++)
		ibv_dereg_mr(mr[k]);
	for (k = 0; k < 3; k++)
		ibv_destroy_cq(cq[k]);
	for (k = 0; k < 2; k++) {
		ibv_dealloc_pd(pd[k]);
		ibv_close_device(ctx[k]);
	}
	return check_report();
}
