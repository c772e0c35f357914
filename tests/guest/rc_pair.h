/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * A connected pair of RC QPs on one device, for the guest test programs:
 * a requester and a responder, each with its own CQ, in one PD.
 */
#ifndef DMR_TEST_RC_PAIR_H
#define DMR_TEST_RC_PAIR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <infiniband/verbs.h>

struct rc_pair {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq[2];
	struct ibv_qp *qp[2];		/* [0] requester, [1] responder */
	int gid_index;
};

/* Open the device named @name. Exits on failure. */
struct ibv_context *rc_open_device(const char *name);
/* Open @dev and create the pair, connected. Exits on failure. */
void rc_pair_open(struct rc_pair *p, const char *dev);
/* The index of @ctx's IPv6 link-local RoCE v2 GID (any two devices). */
int rc_find_gid(struct ibv_context *ctx);
/*
 * Take RC @qp from RESET to RTS, connected to @dest_qpn on the device of
 * GID @gid_index of its own context; transport retries: @retry_cnt.
 */
void rc_connect(struct ibv_qp *qp, int gid_index, uint32_t dest_qpn,
		uint8_t retry_cnt);
/* Bring both QPs back to RTS through RESET (after an error). */
void rc_pair_reconnect(struct rc_pair *p);
void rc_pair_close(struct rc_pair *p);

/* Post one signaled RDMA @op (WRITE or READ) and wait for its status. */
enum ibv_wc_status rc_pair_rdma(struct rc_pair *p, enum ibv_wr_opcode op,
				struct ibv_mr *local, uint64_t local_off,
				uint32_t len, uint64_t remote_addr,
				uint32_t rkey);

/* Post one signaled RDMA WRITE and wait for its completion status. */
enum ibv_wc_status rc_pair_write(struct rc_pair *p, struct ibv_mr *src,
				 uint64_t src_off, uint32_t len,
				 uint64_t remote_addr, uint32_t rkey);

/*
 * One line per check, "ok: ..." or "FAIL: ...". @cond is evaluated once:
 * it often calls the function under test. check_report() ends a program.
 */
extern int check_failures;
#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		int ok_ = !!(cond);                                          \
		printf("%s: ", ok_ ? "ok" : "FAIL");                         \
		printf(__VA_ARGS__);                                         \
		printf("\n");                                                \
		check_failures += !ok_;                                      \
	} while (0)
/* Prints PASSED or "FAILED: N checks"; the exit status of the program. */
int check_report(void);

#define die(...)                                                             \
	do {                                                                 \
		fprintf(stderr, __VA_ARGS__);                                \
		fprintf(stderr, "\n");                                       \
		exit(2);                                                     \
	} while (0)

#endif
