// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A doorbell with more work behind it than a system call may take: one
 * ibv_post_send() of a list of SENDs of 2 GiB each (32 gather entries
 * over one 64 MiB buffer, into receive WQEs of 32 scatter entries over
 * another), hundreds of GiB in all. The test that runs it kills the
 * process, or deletes the device, while the work runs; either must end
 * within a bound that does not depend on how much work was posted: the
 * doorbell runs a budget and leaves the rest to a worker, and a message
 * in progress stops between two brackets of its copy.
 *
 *   doorbell_bound DEV [MESSAGES]
 *
 * Prints "posting" just before the doorbell, "posted" after it returns,
 * and "done" if every message completed (which no test waits for).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rc_pair.h"

#define BUF (64UL << 20)
#define SGES 32

static struct ibv_qp *create_qp(struct ibv_pd *pd, struct ibv_cq *cq,
				unsigned int depth)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.qp_type = IBV_QPT_RC,
		.cap = {
			.max_send_wr = depth,
			.max_recv_wr = depth,
			.max_send_sge = SGES,
			.max_recv_sge = SGES,
		},
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	if (!qp)
		die("ibv_create_qp: %s", strerror(errno));
	return qp;
}

static struct ibv_mr *reg(struct ibv_pd *pd)
{
	void *buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct ibv_mr *mr;

	if (buf == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	mr = ibv_reg_mr(pd, buf, BUF, IBV_ACCESS_LOCAL_WRITE);
	if (!mr)
		die("ibv_reg_mr: %s", strerror(errno));
	return mr;
}

int main(int argc, char **argv)
{
	unsigned int i, j, n = argc > 2 ? atoi(argv[2]) : 256;
	struct ibv_send_wr *swr, *bad;
	struct ibv_recv_wr *rwr, *rbad;
	struct ibv_sge sge[SGES], rsge[SGES];
	struct ibv_qp *req, *resp;
	struct ibv_context *ctx;
	struct ibv_mr *src, *dst;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	struct ibv_wc wc;
	int gid, done = 0;

	if (argc < 2 || !n)
		die("usage: %s DEV [MESSAGES]", argv[0]);
	ctx = rc_open_device(argv[1]);
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 2 * n + 1, NULL, NULL, 0);
	if (!pd || !cq)
		die("PD or CQ: %s", strerror(errno));
	req = create_qp(pd, cq, n);
	resp = create_qp(pd, cq, n);
	gid = rc_find_gid(ctx);
	rc_connect(req, gid, resp->qp_num, 7);
	rc_connect(resp, gid, req->qp_num, 7);
	src = reg(pd);
	dst = reg(pd);
	for (j = 0; j < SGES; j++) {
		sge[j] = (struct ibv_sge){ (uintptr_t)src->addr, BUF, src->lkey };
		rsge[j] = (struct ibv_sge){ (uintptr_t)dst->addr, BUF, dst->lkey };
	}
	swr = calloc(n, sizeof(*swr));
	rwr = calloc(n, sizeof(*rwr));
	if (!swr || !rwr)
		die("out of memory");
	for (i = 0; i < n; i++) {
		rwr[i] = (struct ibv_recv_wr){
			.wr_id = i, .sg_list = rsge, .num_sge = SGES,
			.next = i + 1 < n ? &rwr[i + 1] : NULL,
		};
		swr[i] = (struct ibv_send_wr){
			.wr_id = i, .sg_list = sge, .num_sge = SGES,
			.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
			.next = i + 1 < n ? &swr[i + 1] : NULL,
		};
	}
	if (ibv_post_recv(resp, rwr, &rbad))
		die("ibv_post_recv: %s", strerror(errno));
	printf("posting %u messages of %lu bytes\n", n, SGES * BUF);
	fflush(stdout);
	if (ibv_post_send(req, swr, &bad))
		die("ibv_post_send: %s", strerror(errno));
	printf("posted\n");
	fflush(stdout);
	while (done < 2 * (int)n) {
		int got = ibv_poll_cq(cq, 1, &wc);

		if (got < 0)
			die("ibv_poll_cq failed");
		if (!got) {
			usleep(1000);
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS)
			die("completion %llu: %s", (unsigned long long)wc.wr_id,
			    ibv_wc_status_str(wc.status));
		done++;
	}
	printf("done\n");
	return 0;
}
