// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The provider's posting paths, raced and misused the way a provider
 * maintainer checks a new provider:
 *
 *   unposted    ibv_post_send() on a QP in RTR in a loop while another
 *               thread moves the QP to the error state: a WR the call
 *               refused must never complete (as a flush or otherwise),
 *               and the send queue must work after RESET;
 *   recv_flush  receives posted in a loop while the QP moves to the
 *               error state: every receive the call accepted completes
 *               with a flush error, none stays;
 *   lock_sleeps two threads post on one QP, one of them 1 MiB writes:
 *               the other, inside ibv_post_send, is seen asleep in
 *               futex (waiting for the QP's lock) and spends little of
 *               that time in user space (it does not spin on the lock);
 *   misc        a destroyed QP's completions leave its CQ; inline WRs
 *               respect the SGE limit; ibv_qp_to_qp_ex() refuses a QP
 *               without send ops; a failed ibv_alloc_pd() sets errno.
 *
 *   provider_check TEST DEV
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rc_pair.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static int gid;

static struct ibv_qp *new_qp(struct ibv_cq *cq, uint32_t depth)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = depth, .max_recv_wr = depth,
			 .max_send_sge = 2, .max_recv_sge = 2,
			 .max_inline_data = 64 },
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	if (!qp)
		die("ibv_create_qp: %s", strerror(errno));
	return qp;
}

static struct ibv_cq *new_cq(int n)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, n, NULL, NULL, 0);

	if (!cq)
		die("ibv_create_cq: %s", strerror(errno));
	return cq;
}

static void to_state(struct ibv_qp *qp, enum ibv_qp_state state)
{
	struct ibv_qp_attr a = { .qp_state = state };

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE))
		die("modify to %d: %s", state, strerror(errno));
}

/* Take @qp to RTR only: connected, not yet allowed to send. */
static void to_rtr(struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	union ibv_gid g;

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("INIT: %s", strerror(errno));
	ibv_query_gid(ctx, 1, gid, &g);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.dgid = g;
	a.ah_attr.grh.sgid_index = gid;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("RTR: %s", strerror(errno));
}

/* Completions of @cq within @ms, counting those of @qpn. */
static int drain(struct ibv_cq *cq, uint32_t qpn, int ms, int *others)
{
	struct timespec ts = { 0, 1000000 };
	struct ibv_wc wc;
	int n = 0, quiet = 0;

	*others = 0;
	while (quiet < ms) {
		int got = ibv_poll_cq(cq, 1, &wc);

		if (got < 0)
			die("ibv_poll_cq failed");
		if (!got) {
			nanosleep(&ts, NULL);
			quiet++;
			continue;
		}
		quiet = 0;
		if (wc.qp_num == qpn)
			n++;
		else
			(*others)++;
	}
	return n;
}

struct poster {
	struct ibv_qp *qp;
	atomic_int stop;
	int accepted, refused, other_err;
	int recv;			/* post receives instead of sends */
};

static void *post_loop(void *arg)
{
	struct poster *p = arg;
	struct ibv_send_wr swr = { .opcode = IBV_WR_SEND,
				   .send_flags = IBV_SEND_SIGNALED }, *sbad;
	struct ibv_recv_wr rwr = {}, *rbad;
	int err;

	while (!atomic_load(&p->stop)) {
		err = p->recv ? ibv_post_recv(p->qp, &rwr, &rbad) :
				ibv_post_send(p->qp, &swr, &sbad);
		if (!err)
			p->accepted++;
		else if (err == EINVAL)
			p->refused++;
		else if (err == ENOMEM)
			usleep(100);	/* full: the flushes will empty it */
		else
			p->other_err++;
	}
	return NULL;
}

static void test_unposted(int rounds)
{
	int r, bad_rounds = 0, stuck = 0, refused = 0, others;

	for (r = 0; r < rounds; r++) {
		struct ibv_cq *cq = new_cq(8192);
		struct ibv_qp *qp = new_qp(cq, 256), *peer = new_qp(cq, 16);
		struct poster p = { .qp = qp };
		pthread_t t;
		int flushed;

		to_rtr(qp, peer->qp_num);
		pthread_create(&t, NULL, post_loop, &p);
		usleep(2000 + (r % 5) * 500);
		to_state(qp, IBV_QPS_ERR);
		usleep(2000);
		atomic_store(&p.stop, 1);
		pthread_join(t, NULL);
		flushed = drain(cq, qp->qp_num, 200, &others);
		refused += p.refused;
		if (flushed != p.accepted) {
			bad_rounds++;
			printf("round %d: %d completions for %d accepted WRs\n",
			       r, flushed, p.accepted);
		}
		/* The ring must still work after RESET and RTS. */
		to_state(qp, IBV_QPS_RESET);
		rc_connect(qp, gid, peer->qp_num, 0);
		{
			struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_WRITE,
						  .send_flags = IBV_SEND_SIGNALED },
				*bad;
			int i, ok = 0;

			for (i = 0; i < 300; i++)
				ok += !ibv_post_send(qp, &wr, &bad);
			stuck += ok < 256;
		}
		ibv_destroy_qp(qp);
		ibv_destroy_qp(peer);
		ibv_destroy_cq(cq);
	}
	CHECK(refused > 0, "posts in RTR were refused (%d)", refused);
	CHECK(!bad_rounds, "%d of %d rounds completed a WR that was never accepted",
	      bad_rounds, rounds);
	CHECK(!stuck, "%d of %d rounds left a send queue that refuses posts",
	      stuck, rounds);
}

static void test_recv_flush(int rounds)
{
	int r, bad_rounds = 0, others;

	for (r = 0; r < rounds; r++) {
		struct ibv_cq *cq = new_cq(16384);
		struct ibv_qp *qp = new_qp(cq, 1024), *peer = new_qp(cq, 16);
		struct poster p = { .qp = qp, .recv = 1 };
		pthread_t t;
		int flushed;

		rc_connect(qp, gid, peer->qp_num, 0);
		pthread_create(&t, NULL, post_loop, &p);
		usleep(1000 + (r % 7) * 300);
		to_state(qp, IBV_QPS_ERR);
		usleep(3000);
		atomic_store(&p.stop, 1);
		pthread_join(t, NULL);
		flushed = drain(cq, qp->qp_num, 300, &others);
		if (flushed != p.accepted) {
			bad_rounds++;
			printf("round %d: %d flushes for %d accepted receives\n",
			       r, flushed, p.accepted);
		}
		ibv_destroy_qp(qp);
		ibv_destroy_qp(peer);
		ibv_destroy_cq(cq);
	}
	CHECK(!bad_rounds, "%d of %d rounds left an accepted receive unflushed",
	      bad_rounds, rounds);
}

struct writer {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_mr *mr, *dst;
	uint32_t len;
	atomic_int *stop;
	atomic_int in_post;		/* inside ibv_post_send() */
	atomic_int tid;
	double wall_in_post, user_in_post;	/* seconds */
};

static double clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The user-space CPU time of the calling thread. */
static double user_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	struct ibv_sge sge = { (uintptr_t)w->mr->addr, w->len, w->mr->lkey };
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { (uintptr_t)w->dst->addr, w->dst->rkey },
	}, *bad;
	struct ibv_wc wc;
	double t, u;

	atomic_store(&w->tid, gettid());
	while (!atomic_load(w->stop)) {
		t = clock_s();
		u = user_s();
		atomic_store(&w->in_post, 1);
		if (ibv_post_send(w->qp, &wr, &bad))
			die("post: %s", strerror(errno));
		atomic_store(&w->in_post, 0);
		w->user_in_post += user_s() - u;
		w->wall_in_post += clock_s() - t;
		while (!ibv_poll_cq(w->cq, 1, &wc))
			;
	}
	return NULL;
}

/*
 * What thread @tid is doing: the number of the system call it is in, or
 * -1 if it runs in user space (/proc/PID/task/TID/syscall says "running").
 */
static long thread_syscall(int tid)
{
	char path[64], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strncmp(buf, "running", 7) ? strtol(buf, NULL, 10) : -1;
}

static void test_lock_sleeps(void)
{
	struct ibv_cq *cq[2] = { new_cq(16), new_cq(16) };
	struct ibv_qp_init_attr init = {
		.send_cq = cq[0], .recv_cq = cq[0], .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8, .max_recv_wr = 8,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init), *peer = new_qp(cq[1], 8);
	size_t big = 1 << 20;
	struct ibv_mr *src = ibv_reg_mr(pd, calloc(1, big), big,
					IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *dst = ibv_reg_mr(pd, calloc(1, big), big,
					IBV_ACCESS_LOCAL_WRITE |
					IBV_ACCESS_REMOTE_WRITE);
	atomic_int stop = 0;
	struct writer w[2] = {
		{ .qp = qp, .cq = cq[0], .mr = src, .dst = dst, .len = big,
		  .stop = &stop },
		{ .qp = qp, .cq = cq[0], .mr = src, .dst = dst, .len = 8,
		  .stop = &stop },
	};
	int samples = 0, futex = 0, tries, k;
	pthread_t t[2];
	long nr;

	if (!qp || !src || !dst)
		die("lock_sleeps set-up: %s", strerror(errno));
	/* Two threads poll one CQ: each takes whatever completes. */
	rc_connect(qp, gid, peer->qp_num, 7);
	rc_connect(peer, gid, qp->qp_num, 7);
	for (k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, write_loop, &w[k]);
	/*
	 * Look at the small writer whenever it is inside ibv_post_send():
	 * waiting for a lock that sleeps, it is in futex(). A spinning
	 * waiter would never be; it would burn user time instead, which
	 * the writer counts itself (its doorbell, which may run the large
	 * writer's WQEs too, is system time).
	 */
	while (!atomic_load(&w[1].tid))
		usleep(1000);
	/* Enough samples, or 20000 looks (a bound, not a measurement). */
	for (tries = 0; tries < 20000 && samples < 2000 &&
	     (futex < 50 || samples < 200); tries++) {
		usleep(500);
		if (!atomic_load(&w[1].in_post))
			continue;
		nr = thread_syscall(atomic_load(&w[1].tid));
		if (!atomic_load(&w[1].in_post))
			continue;
		samples++;
		futex += nr == SYS_futex;
	}
	atomic_store(&stop, 1);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	printf("small writer inside ibv_post_send: %d samples, %d in futex; %.3f s, %.3f s of it in user space\n",
	       samples, futex, w[1].wall_in_post, w[1].user_in_post);
	CHECK(futex >= 10,
	      "the small writer waited for the QP's lock asleep, in futex (%d of %d samples)",
	      futex, samples);
	CHECK(w[1].user_in_post < 0.25 * w[1].wall_in_post,
	      "it did not spin: %.0f%% of its time in ibv_post_send in user space",
	      100 * w[1].user_in_post / w[1].wall_in_post);
	ibv_destroy_qp(qp);
	ibv_destroy_qp(peer);
	ibv_dereg_mr(src);
	ibv_dereg_mr(dst);
	ibv_destroy_cq(cq[0]);
	ibv_destroy_cq(cq[1]);
}

static void test_misc(void)
{
	struct ibv_cq *cq = new_cq(64);
	struct ibv_qp *a = new_qp(cq, 16), *b = new_qp(cq, 16);
	struct ibv_qp_init_attr_ex ex = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD, .pd = pd,
	};
	struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_WRITE,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;
	struct ibv_sge sge[3];
	struct ibv_pd **pds;
	char buf[8] = "inline";
	struct ibv_qp *q;
	int i, n, others, err;

	/* Completions of a destroyed QP: gone; the other QP's: kept. */
	rc_connect(a, gid, b->qp_num, 7);
	rc_connect(b, gid, a->qp_num, 7);
	for (i = 0; i < 4; i++)
		if (ibv_post_send(a, &wr, &bad) || ibv_post_send(b, &wr, &bad))
			die("post: %s", strerror(errno));
	usleep(100000);
	i = a->qp_num;
	ibv_destroy_qp(a);
	n = drain(cq, i, 100, &others);
	CHECK(n == 0 && others == 4,
	      "after destroy: %d completions of the destroyed QP, %d of the other",
	      n, others);

	/* An inline WR with more entries than the QP has. */
	for (i = 0; i < 3; i++)
		sge[i] = (struct ibv_sge){ (uintptr_t)buf, 2, 0 };
	wr.sg_list = sge;
	wr.num_sge = 3;
	wr.send_flags |= IBV_SEND_INLINE;
	err = ibv_post_send(b, &wr, &bad);
	CHECK(err == EINVAL, "inline WR of 3 entries on a 2-entry QP: %s",
	      strerror(err));

	/* ibv_qp_to_qp_ex(): only for a QP created with send ops. */
	q = ibv_create_qp_ex(ctx, &ex);
	CHECK(q && !ibv_qp_to_qp_ex(q),
	      "ibv_qp_to_qp_ex() of a QP without send ops: NULL");
	if (q)
		ibv_destroy_qp(q);
	ex.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	ex.send_ops_flags = IBV_QP_EX_WITH_RDMA_WRITE;
	q = ibv_create_qp_ex(ctx, &ex);
	CHECK(q && ibv_qp_to_qp_ex(q) && ibv_qp_to_qp_ex(q)->wr_rdma_write,
	      "ibv_qp_to_qp_ex() of a QP with send ops: its functions");
	if (q)
		ibv_destroy_qp(q);

	/* PDs up to the device's limit: the one past it says why. */
	pds = calloc(70000, sizeof(*pds));
	for (n = 0; n < 70000; n++) {
		errno = 0;
		pds[n] = ibv_alloc_pd(ctx);
		if (!pds[n])
			break;
	}
	err = errno;
	CHECK(n < 70000 && err == ENOMEM, "PD %d refused with errno %d (%s)",
	      n, err, strerror(err));
	while (n--)
		ibv_dealloc_pd(pds[n]);
	free(pds);
	ibv_destroy_qp(b);
	ibv_destroy_cq(cq);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: %s unposted|recv_flush|lock_sleeps|misc DEV", argv[0]);
	ctx = rc_open_device(argv[2]);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd: %s", strerror(errno));
	gid = rc_find_gid(ctx);
	if (!strcmp(argv[1], "unposted"))
		test_unposted(16);
	else if (!strcmp(argv[1], "recv_flush"))
		test_recv_flush(16);
	else if (!strcmp(argv[1], "lock_sleeps"))
		test_lock_sleeps();
	else if (!strcmp(argv[1], "misc"))
		test_misc();
	else
		die("unknown test %s", argv[1]);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return check_report();
}
