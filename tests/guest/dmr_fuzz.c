// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A seeded random-sequence tester of dmr's user interface. It keeps pools
 * of objects on two contexts of each device it is given and, for a
 * bounded time, runs random verbs on random objects with valid, boundary
 * and hostile arguments: sizes of 0, 1, the limits and one past them,
 * huge and negative values; keys, CQs, SRQs and AHs of another PD or of
 * the other context; destruction in the wrong order (a PD with MRs, a CQ
 * with QPs); random QP transitions; work requests with random opcodes,
 * flags, keys and ranges; dma-buf registrations with bad fds, offsets and
 * lengths; device memory; closing a context with everything still alive.
 * A part of the operations bypasses libibverbs and the provider: hand-made
 * ioctl, write and mmap calls on the uverbs file (dmr_fuzz_raw.c), with
 * checks that one context never reaches another's objects.
 *
 *   dmr_fuzz [--scribble] [--no-exports] SEED SECONDS DEV...
 *
 * Every call may fail; none may crash the process or the kernel, hang,
 * or leak. With --scribble the process also writes random bytes into the
 * queues it shares with the kernel (every writable mapping of its uverbs
 * device: ring headers with their indices, WQE and CQE slots), as a
 * hostile process would; it may then crash itself, but the kernel must
 * only ever see bad work requests, and say so with error completions.
 * With --no-exports it exports no device memory as a dma-buf: a dma-buf
 * holds the module that exported it, and the unload test unloads dmr
 * under the running tester.
 * The caller checks the kernel log and the device's resource counts
 * afterwards; the same SEED replays the same sequence of calls
 * (timing aside). Prints one line per 10000 operations and a summary.
 * Exit status: 0 done, 2 set-up failed, 3 a violation (a call that had to
 * fail succeeded; the line before says which).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/dmrdv.h>
#include <infiniband/ibverbs_ext.h>
#include <infiniband/verbs.h>

#include "dmr_fuzz.h"

struct ibv_context *ctx[NCTX];
static struct ibv_device *ctx_dev[NCTX];
int nctx;
struct obj pool[NKINDS][POOL];
int dmabuf_fd = -1, memfd = -1, other_fd = -1;
static char *buf;
static uint64_t rng;
unsigned long ops, ok_calls, scribbles;
int scribble, no_exports;

uint64_t rnd(void)
{
	/* xorshift64*: small, fast, reproducible from the seed. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

unsigned int pick(unsigned int n)
{
	return n ? rnd() % n : 0;
}

/* A size or count: usually sane, sometimes a boundary, sometimes hostile. */
uint64_t value(uint64_t limit)
{
	switch (pick(10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return limit;
	case 3: return limit + 1;
	case 4: return UINT32_MAX;
	case 5: return (uint64_t)-1;
	case 6: return (uint64_t)INT32_MAX + 1;
	default: return 1 + pick(limit ? limit : 1);
	}
}

struct obj *any(enum kind k)
{
	struct obj *o = &pool[k][pick(POOL)];

	return o->p ? o : NULL;
}

static struct obj *slot(enum kind k)
{
	struct obj *o = &pool[k][pick(POOL)];

	return o->p ? NULL : o;
}

void count(int err)
{
	if (!err)
		ok_calls++;
}

static void op_pd(void)
{
	struct obj *o;
	int c = pick(nctx);

	if (pick(2) && (o = slot(PD))) {
		o->p = ibv_alloc_pd(ctx[c]);
		o->ctx = c;
		count(!o->p);
	} else if ((o = any(PD))) {
		/* EBUSY while MRs, QPs, SRQs or AHs use it. */
		if (!ibv_dealloc_pd(o->p)) {
			o->p = NULL;
			ok_calls++;
		}
	}
}

static void op_cq(void)
{
	struct obj *o;
	int c = pick(nctx);

	if (pick(2) && (o = slot(CQ))) {
		/* Mostly small: a CQ of 2^20 entries is 64 MiB of ring. */
		o->p = ibv_create_cq(ctx[c], pick(4) ? (int)(1 + pick(4096)) :
				     (int)value(1 << 20), NULL, NULL, 0);
		o->ctx = c;
		count(!o->p);
	} else if ((o = any(CQ))) {
		switch (pick(4)) {
		case 0: {
			struct ibv_wc wc[64];

			count(ibv_poll_cq(o->p, 1 + pick(64), wc) < 0);
			break;
		}
		case 1:
			count(ibv_req_notify_cq(o->p, pick(2)));
			break;
		default:
			/* EBUSY while QPs or SRQs use it. */
			if (!ibv_destroy_cq(o->p)) {
				o->p = NULL;
				ok_calls++;
			}
		}
	}
}

static void op_srq(void)
{
	struct obj *o, *pd;
	struct ibv_srq_init_attr init = {};
	struct ibv_srq_attr attr = {};

	if (pick(2) && (o = slot(SRQ)) && (pd = any(PD))) {
		init.attr.max_wr = pick(4) ? 1 + pick(256) : value(16384);
		init.attr.max_sge = value(32);
		init.attr.srq_limit = value(64);
		o->p = ibv_create_srq(pd->p, &init);
		o->ctx = pd->ctx;
		count(!o->p);
	} else if ((o = any(SRQ))) {
		if (pick(2)) {
			attr.srq_limit = value(16384);
			attr.max_wr = value(16384);
			count(ibv_modify_srq(o->p, &attr,
					     pick(4) ? IBV_SRQ_LIMIT : IBV_SRQ_MAX_WR));
		} else if (!ibv_destroy_srq(o->p)) {
			o->p = NULL;
			ok_calls++;
		}
	}
}

static void op_create_qp(void)
{
	struct ibv_qp_init_attr init = {};
	struct obj *o = slot(QP), *pd = any(PD), *scq = any(CQ), *rcq = any(CQ);
	struct obj *srq = pick(4) ? NULL : any(SRQ);
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_RC, IBV_QPT_UD, IBV_QPT_UC, IBV_QPT_XRC_SEND,
		IBV_QPT_RAW_PACKET, 0, 255,
	};

	if (!o || !pd || !scq || !rcq)
		return;
	init.qp_type = types[pick(sizeof(types) / sizeof(types[0]))];
	init.send_cq = scq->p;
	init.recv_cq = rcq->p;
	init.srq = srq ? srq->p : NULL;
	init.cap.max_send_wr = pick(4) ? 1 + pick(256) : value(16384);
	init.cap.max_recv_wr = pick(4) ? 1 + pick(256) : value(16384);
	init.cap.max_send_sge = value(32);
	init.cap.max_recv_sge = value(32);
	init.cap.max_inline_data = value(512);
	init.sq_sig_all = pick(2);
	o->p = ibv_create_qp(pd->p, &init);
	o->ctx = pd->ctx;
	count(!o->p);
	/*
	 * CQs or an SRQ of another context: the kernel resolves their
	 * handles in the QP's context, to other objects or to none. Such a
	 * QP is destroyed at once: the provider would later follow its
	 * pointers to objects that the other context may free.
	 */
	if (o->p && (scq->ctx != pd->ctx || rcq->ctx != pd->ctx ||
		     (srq && srq->ctx != pd->ctx))) {
		ibv_destroy_qp(o->p);
		o->p = NULL;
	}
}

static void op_modify_qp(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {};
	struct obj *peer = any(QP);
	int mask = IBV_QP_STATE;

	a.qp_state = pick(8);	/* IBV_QPS_RESET .. IBV_QPS_UNKNOWN, and 7 */
	switch (a.qp_state) {
	case IBV_QPS_INIT:
		a.port_num = pick(4) ? 1 : pick(3);
		a.pkey_index = pick(4) ? 0 : value(4);
		a.qkey = rnd();
		a.qp_access_flags = rnd() & 0x1f;
		mask |= IBV_QP_PORT | IBV_QP_PKEY_INDEX |
			(qp->qp_type == IBV_QPT_UD ? IBV_QP_QKEY :
						     IBV_QP_ACCESS_FLAGS);
		break;
	case IBV_QPS_RTR:
		if (qp->qp_type != IBV_QPT_RC)
			break;
		a.path_mtu = pick(7);
		a.dest_qp_num = peer ? ((struct ibv_qp *)peer->p)->qp_num :
				       (uint32_t)rnd();
		a.rq_psn = rnd();
		a.max_dest_rd_atomic = value(128);
		a.min_rnr_timer = pick(32);
		a.ah_attr.is_global = pick(8) != 0;
		a.ah_attr.port_num = 1;
		a.ah_attr.grh.sgid_index = pick(4) ? pick(4) : value(64);
		a.ah_attr.grh.hop_limit = 1;
		if (peer && !pick(4))
			ibv_query_gid(((struct ibv_qp *)peer->p)->context, 1,
				      pick(4), &a.ah_attr.grh.dgid);
		else
			ibv_query_gid(qp->context, 1, pick(4),
				      &a.ah_attr.grh.dgid);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			IBV_QP_MIN_RNR_TIMER;
		break;
	case IBV_QPS_RTS:
		a.timeout = pick(32);
		a.retry_cnt = pick(8);
		a.rnr_retry = pick(8);
		a.sq_psn = rnd();
		a.max_rd_atomic = value(128);
		mask |= IBV_QP_SQ_PSN;
		if (qp->qp_type == IBV_QPT_RC)
			mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
		break;
	default:
		break;	/* RESET, SQD, SQE, ERR and out of range: state only */
	}
	if (!pick(8))
		mask = rnd() & 0x3fffff;	/* any attribute mask at all */
	count(ibv_modify_qp(qp, &a, mask));
}

/* A key: of a random MR (any PD, any context) or made up. */
static uint32_t key(int remote)
{
	struct obj *mr = any(MR);

	if (mr && pick(4))
		return remote ? ((struct ibv_mr *)mr->p)->rkey :
				((struct ibv_mr *)mr->p)->lkey;
	return rnd();
}

static void sge(struct ibv_sge *s)
{
	s->addr = pick(4) ? (uintptr_t)buf + pick(BUF_SIZE) : rnd();
	s->length = pick(4) ? pick(BUF_SIZE / 4) : value(1U << 31);
	s->lkey = key(0);
}

static void op_post(struct ibv_qp *qp)
{
	struct ibv_sge sg[40];
	struct ibv_send_wr swr = {}, *bad;
	struct ibv_recv_wr rwr = {}, *rbad;
	struct obj *ah = any(AH);
	int i, n = pick(4) ? pick(4) : value(40) % 40;
	uint64_t aligned;

	for (i = 0; i < n; i++)
		sge(&sg[i]);
	if (pick(3)) {
		swr.wr_id = rnd();
		swr.opcode = pick(8) ? pick(11) : rnd();
		swr.send_flags = pick(4) ? IBV_SEND_SIGNALED : rnd() & 0x3f;
		/*
		 * The provider copies inline data from the SGEs in the
		 * process: made-up addresses would only crash the tester.
		 */
		if (swr.send_flags & IBV_SEND_INLINE)
			for (i = 0; i < n; i++) {
				sg[i].addr = (uintptr_t)buf + pick(BUF_SIZE / 2);
				sg[i].length %= BUF_SIZE / 2;
			}
		swr.sg_list = sg;
		swr.num_sge = n;
		swr.imm_data = rnd();
		aligned = ((uintptr_t)buf + pick(BUF_SIZE)) & ~7ULL;
		swr.wr.rdma.remote_addr = pick(2) ? aligned : rnd();
		swr.wr.rdma.rkey = key(1);
		if (swr.opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
		    swr.opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
			swr.wr.atomic.remote_addr = pick(4) ? aligned : rnd();
			swr.wr.atomic.rkey = key(1);
			swr.wr.atomic.compare_add = rnd();
			swr.wr.atomic.swap = rnd();
		}
		if (qp->qp_type == IBV_QPT_UD) {
			if (!ah)
				return;
			swr.wr.ud.ah = ah->p;
			swr.wr.ud.remote_qpn = pick(2) ? pick(64) : rnd();
			swr.wr.ud.remote_qkey = rnd();
		}
		count(ibv_post_send(qp, &swr, &bad));
	} else {
		rwr.wr_id = rnd();
		rwr.sg_list = sg;
		rwr.num_sge = n;
		if (qp->srq)
			count(ibv_post_srq_recv(qp->srq, &rwr, &rbad));
		else
			count(ibv_post_recv(qp, &rwr, &rbad));
	}
}

static void op_qp(void)
{
	struct obj *o;
	struct ibv_qp_attr attr;
	struct ibv_qp_init_attr init;

	if (!pick(4)) {
		op_create_qp();
		return;
	}
	o = any(QP);
	if (!o)
		return;
	switch (pick(8)) {
	case 0:
		if (!ibv_destroy_qp(o->p)) {
			o->p = NULL;
			ok_calls++;
		}
		break;
	case 1:
		count(ibv_query_qp(o->p, &attr, rnd() & 0x3fffff, &init));
		break;
	case 2:
	case 3:
		op_modify_qp(o->p);
		break;
	default:
		op_post(o->p);
	}
}

static void op_mr(void)
{
	struct obj *o, *pd;
	void *addr;
	uint64_t len, off;
	int access = pick(4) ? IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC :
			       (int)rnd();

	if (pick(3) && (o = slot(MR)) && (pd = any(PD))) {
		o->ctx = pd->ctx;
		switch (pick(4)) {
		case 0: {
			/* A dma-buf: ours, -1 (the probe), not a dma-buf. */
			int fd = pick(4) ? dmabuf_fd : pick(2) ? -1 : other_fd;

			off = pick(2) ? pick(16) * 4096 : value(BUF_SIZE);
			len = pick(2) ? pick(BUF_SIZE / 4096) * 4096 :
					value(BUF_SIZE);
			o->p = ibv_reg_dmabuf_mr(pd->p, off, len, rnd(), fd,
						 access);
			break;
		}
		case 1:
			/* Made-up addresses: NULL, unmapped, the kernel's. */
			addr = (void *)(uintptr_t)(pick(2) ? 0 : pick(2) ?
				0xffff888000000000ULL : 0x1000);
			o->p = ibv_reg_mr(pd->p, addr, value(BUF_SIZE), access);
			break;
		default:
			off = pick(BUF_SIZE);
			len = pick(4) ? pick(BUF_SIZE - off) + 1 :
					value(BUF_SIZE);
			o->p = ibv_reg_mr(pd->p, buf + off, len, access);
		}
		count(!o->p);
	} else if ((o = any(MR))) {
		if (pick(3)) {
			if (!ibv_dereg_mr(o->p)) {
				o->p = NULL;
				ok_calls++;
			}
		} else if ((pd = any(PD))) {
			int flags = rnd() & 7;

			/*
			 * libibverbs moves an MR to the context of the PD it
			 * changes to, though the kernel looked the PD's handle
			 * up in the MR's own context: with a PD of another
			 * context the process would lose track of the MR.
			 */
			if (pd->ctx != o->ctx)
				flags &= ~IBV_REREG_MR_CHANGE_PD;
			off = pick(BUF_SIZE);
			count(ibv_rereg_mr(o->p, flags, pd->p, buf + off,
					   value(BUF_SIZE - off), access));
		}
	}
}

static void op_ah(void)
{
	struct obj *o, *pd;
	struct ibv_ah_attr a = {};

	if (pick(2) && (o = slot(AH)) && (pd = any(PD))) {
		a.is_global = pick(8) != 0;
		a.port_num = pick(4) ? 1 : pick(256);
		a.grh.sgid_index = pick(4) ? pick(4) : value(255);
		a.grh.hop_limit = pick(256);
		ibv_query_gid(ctx[pick(nctx)], 1, pick(4), &a.grh.dgid);
		if (!pick(4))
			for (unsigned int i = 0; i < 16; i++)
				a.grh.dgid.raw[i] = rnd();
		o->p = ibv_create_ah(pd->p, &a);
		o->ctx = pd->ctx;
		count(!o->p);
	} else if ((o = any(AH)) && !ibv_destroy_ah(o->p)) {
		o->p = NULL;
		ok_calls++;
	}
}

static void op_dm(void)
{
	struct ibv_alloc_dm_attr attr = {};
	struct obj *o, *pd, *mr;
	char tmp[4096];
	int fd, c = pick(nctx);

	if (pick(2) && (o = slot(DM))) {
		attr.length = pick(2) ? 4096 * (1 + pick(16)) : value(64 << 20);
		attr.log_align_req = pick(4) ? 0 : pick(64);
		o->p = ibv_alloc_dm(ctx[c], &attr);
		o->ctx = c;
		count(!o->p);
		return;
	}
	o = any(DM);
	if (!o)
		return;
	switch (pick(5)) {
	case 0:
		count(ibv_memcpy_to_dm(o->p, value(1 << 16), tmp,
				       pick(sizeof(tmp))));
		break;
	case 1:
		count(ibv_memcpy_from_dm(tmp, o->p, value(1 << 16),
					 pick(sizeof(tmp))));
		break;
	case 2:
		if ((pd = any(PD)) && (mr = slot(MR))) {
			mr->p = ibv_reg_dm_mr(pd->p, o->p, value(1 << 16),
					      value(1 << 16),
					      IBV_ACCESS_ZERO_BASED |
					      (pick(2) ? IBV_ACCESS_LOCAL_WRITE : 0));
			mr->ctx = pd->ctx;
			count(!mr->p);
			/* A DM of another context: see op_create_qp(). */
			if (mr->p && pd->ctx != o->ctx) {
				ibv_dereg_mr(mr->p);
				mr->p = NULL;
			}
		}
		break;
	case 3:
		if (!no_exports && !dmrdv_export_dm(o->p, &fd)) {
			ok_calls++;
			close(fd);
		}
		break;
	default:
		/* EBUSY while an MR uses it. */
		if (!ibv_free_dm(o->p)) {
			o->p = NULL;
			ok_calls++;
		}
	}
}

static void op_query(void)
{
	struct ibv_device_attr_ex dev;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int c = pick(nctx);

	switch (pick(3)) {
	case 0:
		count(ibv_query_device_ex(ctx[c], NULL, &dev));
		break;
	case 1:
		count(ibv_query_port(ctx[c], pick(4) ? 1 : pick(256), &port));
		break;
	default:
		count(ibv_query_gid(ctx[c], pick(4) ? 1 : pick(256),
				    value(64), &gid));
	}
}

/*
 * Write random bytes into a random writable mapping of a uverbs device:
 * the rings dmr shares with the process. Half the time into the first
 * 256 bytes, where the producer and consumer indices live.
 */
static void op_scribble(void)
{
	unsigned long start[64], end[64], lo, hi;
	char line[512], perms[8];
	unsigned int n = 0, i, len;
	FILE *maps = fopen("/proc/self/maps", "r");
	char *p;

	if (!maps)
		return;
	while (n < 64 && fgets(line, sizeof(line), maps))
		if (strstr(line, "/dev/infiniband/uverbs") &&
		    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		    perms[1] == 'w') {
			start[n] = lo;
			end[n++] = hi;
		}
	fclose(maps);
	if (!n)
		return;
	i = pick(n);
	p = (char *)start[i] + (pick(2) ? pick(256) : pick(end[i] - start[i]));
	len = 1 + pick(64);
	if (p + len > (char *)end[i])
		len = (char *)end[i] - p;
	while (len--)
		*p++ = rnd();
	scribbles++;
}

/*
 * Destroy the objects of context @c (-1: of all contexts) in dependency
 * order. What still fails (an object of another context in the way) is
 * forgotten: it goes when its context is closed.
 */
static void destroy_objects(int c)
{
	static const enum kind order[] = { QP, AH, MR, SRQ, DM, CQ, PD };
	unsigned int k;
	int i;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < POOL; i++) {
			struct obj *o = &pool[order[k]][i];

			if (!o->p || (c >= 0 && o->ctx != c))
				continue;
			switch (order[k]) {
			case QP: ibv_destroy_qp(o->p); break;
			case AH: ibv_destroy_ah(o->p); break;
			case MR: ibv_dereg_mr(o->p); break;
			case SRQ: ibv_destroy_srq(o->p); break;
			case DM: ibv_free_dm(o->p); break;
			case CQ: ibv_destroy_cq(o->p); break;
			case PD: ibv_dealloc_pd(o->p); break;
			default: break;
			}
			o->p = NULL;
		}
}

/*
 * Close a context and open it again. Its objects are destroyed first: a
 * process's rings are mappings of its uverbs file, which keep the file -
 * and every object of the context - alive until the process exits (the
 * tests kill processes with everything alive instead).
 */
static void op_reopen(void)
{
	int c = pick(nctx);

	destroy_objects(c);
	ibv_close_device(ctx[c]);
	ctx[c] = ibv_open_device(ctx_dev[c]);
	if (!ctx[c]) {
		fprintf(stderr, "cannot reopen context %d: %m\n", c);
		exit(2);
	}
}

static void destroy_all(void)
{
	int c;

	destroy_objects(-1);
	for (c = 0; c < nctx; c++)
		ibv_close_device(ctx[c]);
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	unsigned long long seed;
	double seconds;
	struct timespec start, now;
	int i, j, n;

	for (; argc > 1 && !strncmp(argv[1], "--", 2); argv++, argc--) {
		if (!strcmp(argv[1], "--scribble")) {
			scribble = 1;
		} else if (!strcmp(argv[1], "--no-exports")) {
			no_exports = 1;
		} else {
			argc = 0;
			break;
		}
	}
	if (argc < 4) {
		fprintf(stderr, "usage: %s [--scribble] [--no-exports] SEED SECONDS DEV...\n",
			argv[0]);
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	seconds = atof(argv[2]);
	rng = seed ? seed : 1;
	list = ibv_get_device_list(&n);
	for (i = 3; i < argc && nctx < NCTX; i++)
		for (j = 0; j < n; j++)
			if (!strcmp(ibv_get_device_name(list[j]), argv[i])) {
				ctx_dev[nctx] = ctx_dev[nctx + 1] = list[j];
				ctx[nctx] = ibv_open_device(list[j]);
				ctx[nctx + 1] = ibv_open_device(list[j]);
				if (!ctx[nctx] || !ctx[nctx + 1]) {
					fprintf(stderr, "cannot open %s\n", argv[i]);
					return 2;
				}
				nctx += 2;
			}
	if (!nctx) {
		fprintf(stderr, "no device\n");
		return 2;
	}
	raw_init(ctx_dev[0]);
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || ibvx_udmabuf_alloc(BUF_SIZE, &dmabuf_fd, &memfd))
		return 2;
	other_fd = memfd;	/* an fd that is not a dma-buf */
	printf("dmr_fuzz: seed %llu, %.0f s, %d contexts%s\n", seed, seconds,
	       nctx, scribble ? ", scribbling" : "");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		switch (pick(24)) {
		case 0: case 1: op_pd(); break;
		case 2: case 3: op_cq(); break;
		case 4: op_srq(); break;
		case 5: case 6: case 7: case 8: case 9: case 10: op_qp(); break;
		case 11: case 12: case 13: op_mr(); break;
		case 14: op_ah(); break;
		case 15: op_dm(); break;
		case 16: case 17: op_query(); break;
		case 18:
			if (scribble && pick(2))
				op_scribble();
			else if (!pick(50))
				op_reopen();
			break;
		case 19: case 20: case 21: op_raw(); break;
		default: {
			/* Let queued work (RNR and transport retries) run. */
			struct obj *cq = any(CQ);
			struct ibv_wc wc[16];

			if (cq)
				ibv_poll_cq(cq->p, 16, wc);
		}
		}
		if (++ops % 10000 == 0) {
			printf("dmr_fuzz: %lu operations, %lu succeeded\n", ops,
			       ok_calls);
			fflush(stdout);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec +
		 (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);

	destroy_all();
	raw_fini();
	ibv_free_device_list(list);
	raw_report();
	printf("dmr_fuzz: done: seed %llu, %lu operations, %lu succeeded, %lu scribbles\n",
	       seed, ops, ok_calls, scribbles);
	return 0;
}
