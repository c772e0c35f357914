/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * A connected pair of RC QPs on one device, for the guest test programs:
 * a requester and a responder, each with its own CQ, in one PD.
 */
#ifndef DMR_TEST_RC_PAIR_H
#define DMR_TEST_RC_PAIR_H

#include <stdint.h>
#include <infiniband/verbs.h>

struct rc_pair {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq[2];
	struct ibv_qp *qp[2];		/* [0] requester, [1] responder */
	int gid_index;
};

/* Open @dev and create the pair, connected. Exits on failure. */
void rc_pair_open(struct rc_pair *p, const char *dev);
/* Bring both QPs back to RTS through RESET (after an error). */
void rc_pair_reconnect(struct rc_pair *p);
void rc_pair_close(struct rc_pair *p);

/* Post one signaled RDMA WRITE and wait for its completion status. */
enum ibv_wc_status rc_pair_write(struct rc_pair *p, struct ibv_mr *src,
				 uint64_t src_off, uint32_t len,
				 uint64_t remote_addr, uint32_t rkey);

#define die(...)                                                             \
	do {                                                                 \
		fprintf(stderr, __VA_ARGS__);                                \
		fprintf(stderr, "\n");                                       \
		exit(2);                                                     \
	} while (0)

#endif
