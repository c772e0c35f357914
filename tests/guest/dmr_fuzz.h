/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * What the parts of dmr_fuzz share: the seeded random source, the pools of
 * objects made through libibverbs, and the counters of the summary line.
 */
#ifndef DMR_FUZZ_H
#define DMR_FUZZ_H

#include <stdint.h>

#include <infiniband/verbs.h>

#define NCTX 4		/* two contexts on each of up to two devices */
#define POOL 16
#define BUF_SIZE (1 << 20)

enum kind { PD, CQ, QP, SRQ, MR, AH, DM, NKINDS };

struct obj {
	void *p;
	int ctx;
};

extern struct ibv_context *ctx[NCTX];
extern int nctx;
extern struct obj pool[NKINDS][POOL];
extern int dmabuf_fd, memfd, other_fd;
extern unsigned long ops, ok_calls, scribbles;
extern int scribble, no_exports;

uint64_t rnd(void);
unsigned int pick(unsigned int n);
uint64_t value(uint64_t limit);
struct obj *any(enum kind k);
void count(int err);

/* dmr_fuzz_raw.c: the kernel interface without libibverbs in between. */
void raw_init(struct ibv_device *dev);
void op_raw(void);
void raw_fini(void);
void raw_report(void);

#endif
