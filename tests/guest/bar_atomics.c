// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Atomics on a VFIO BAR MR from two CPUs: two requester threads, each
 * pinned to its own CPU with its own connection, fetch-and-add 1 to the
 * same 8 bytes of the BAR, then compare-and-swap on it in turns. The BAR
 * is write-combined (prefetchable), where a store may wait in a buffer
 * past the unlock that ends the atomic: every add must be counted once,
 * and every original value returned must be one no other add returned.
 *
 *   bar_atomics VFIO_PCI_ADDR [ADDS_PER_THREAD]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define BAR 2
#define LEN 4096

struct adder {
	int cpu;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_mr *result;		/* 8 bytes per add */
	struct ibv_mr *bar;
	unsigned int adds;
	int failed;
};

static void *add_loop(void *arg)
{
	struct adder *a = arg;
	struct ibv_send_wr wr = {
		.num_sge = 1,
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.atomic = {
			.remote_addr = 0,
			.compare_add = 1,
			.rkey = a->bar->rkey,
		},
	}, *bad;
	struct ibv_sge sge = { .length = 8, .lkey = a->result->lkey };
	cpu_set_t set;
	struct ibv_wc wc;
	unsigned int i;
	int n;

	CPU_ZERO(&set);
	CPU_SET(a->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		a->failed = -1;
	wr.sg_list = &sge;
	for (i = 0; i < a->adds && !a->failed; i++) {
		sge.addr = (uintptr_t)a->result->addr + 8 * i;
		if (ibv_post_send(a->qp, &wr, &bad)) {
			a->failed = -2;
			break;
		}
		while (!(n = ibv_poll_cq(a->cq, 1, &wc)))
			;
		if (n < 0 || wc.status != IBV_WC_SUCCESS)
			a->failed = n < 0 ? -3 : (int)wc.status;
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	struct ibvx_range range = { 0, LEN };
	unsigned int adds = argc > 2 ? atoi(argv[2]) : 2000, i;
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct adder a[2];
	struct ibv_context *ctx;
	struct ibvx_vfio *vfio;
	struct ibvx_mr *bar;
	struct ibv_qp *resp[2];
	struct ibv_pd *pd;
	pthread_t t[2];
	uint64_t *all, word;
	int gid, fd, k, dups = 0;

	if (argc < 2)
		die("usage: %s VFIO_PCI_ADDR [ADDS_PER_THREAD]", argv[0]);
	if (ibvx_vfio_open(argv[1], IBVX_VFIO_ANY, &vfio) ||
	    ibvx_vfio_bar_export(vfio, BAR, &range, 1, &fd))
		die("VFIO BAR: %s", ibvx_last_error());
	ctx = rc_open_device("dmr0");
	pd = ibv_alloc_pd(ctx);
	if (!pd || ibvx_reg_dmabuf_mr(pd, 0, LEN, 0, fd,
				      IBV_ACCESS_LOCAL_WRITE |
				      IBV_ACCESS_REMOTE_ATOMIC |
				      IBV_ACCESS_REMOTE_READ, &bar))
		die("BAR MR: %s", ibvx_last_error());
	gid = rc_find_gid(ctx);
	for (k = 0; k < 2; k++) {
		a[k] = (struct adder){ .cpu = k, .adds = adds,
				       .bar = ibvx_mr_ibv(bar) };
		a[k].cq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
		init.send_cq = init.recv_cq = a[k].cq;
		a[k].qp = ibv_create_qp(pd, &init);
		resp[k] = ibv_create_qp(pd, &init);
		a[k].result = ibv_reg_mr(pd, calloc(adds, 8), 8UL * adds,
					 IBV_ACCESS_LOCAL_WRITE);
		if (!a[k].cq || !a[k].qp || !resp[k] || !a[k].result)
			die("verbs objects: %s", strerror(errno));
		rc_connect(a[k].qp, gid, resp[k]->qp_num, 7);
		rc_connect(resp[k], gid, a[k].qp->qp_num, 7);
	}

	/* Start from 0: swap whatever the BAR holds for 0. */
	{
		struct ibv_send_wr wr = {
			.num_sge = 1, .opcode = IBV_WR_RDMA_READ,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.rdma = { .remote_addr = 0,
				     .rkey = ibvx_mr_ibv(bar)->rkey },
		}, *bad;
		struct ibv_sge sge = { (uintptr_t)a[0].result->addr, 8,
				       a[0].result->lkey };
		struct ibv_wc wc;
		int n;

		wr.sg_list = &sge;
		if (ibv_post_send(a[0].qp, &wr, &bad))
			die("read: %s", strerror(errno));
		while (!(n = ibv_poll_cq(a[0].cq, 1, &wc)))
			;
		word = *(uint64_t *)a[0].result->addr;
		wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
		wr.wr.atomic.remote_addr = 0;
		wr.wr.atomic.compare_add = word;
		wr.wr.atomic.swap = 0;
		wr.wr.atomic.rkey = ibvx_mr_ibv(bar)->rkey;
		if (ibv_post_send(a[0].qp, &wr, &bad))
			die("cmp_swp: %s", strerror(errno));
		while (!(n = ibv_poll_cq(a[0].cq, 1, &wc)))
			;
		CHECK(n == 1 && wc.status == IBV_WC_SUCCESS, "the BAR word reset to 0");
	}
	for (k = 0; k < 2; k++) {
		if (pthread_create(&t[k], NULL, add_loop, &a[k]))
			die("pthread_create");
	}
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	CHECK(!a[0].failed && !a[1].failed, "every fetch-and-add completed (%d, %d)",
	      a[0].failed, a[1].failed);

	/* Each original value 0 .. 2 * adds - 1 exactly once. */
	all = calloc(2 * adds, 8);
	memcpy(all, a[0].result->addr, 8UL * adds);
	memcpy(all + adds, a[1].result->addr, 8UL * adds);
	qsort(all, 2 * adds, 8, cmp_u64);
	for (i = 0; i < 2 * adds; i++)
		dups += all[i] != i;
	CHECK(!dups, "the %u adds saw each value 0..%u once (%d out of place)",
	      2 * adds, 2 * adds - 1, dups);
	{
		volatile uint64_t *map;
		uint64_t size;

		if (ibvx_vfio_bar_mmap(vfio, BAR, (void **)&map, &size))
			die("BAR mmap: %s", ibvx_last_error());
		word = map[0];
		ibvx_vfio_bar_munmap((void *)map, size);
	}
	CHECK(word == 2ULL * adds, "the BAR holds %llu after %u adds",
	      (unsigned long long)word, 2 * adds);
	ibvx_dereg_mr(bar);
	ibvx_vfio_close(vfio);
	return check_report();
}
