// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Revocation under load: a writer thread RDMA-writes into an MR over a
 * VFIO BAR dma-buf without pause while the main thread revokes the BAR
 * (clears PCI_COMMAND_MEMORY) and restores it, again and again.
 *
 * Checked: while revoked, the BAR's backing file (read on the host, via
 * the guest's uncached share) does not change although the writer keeps
 * posting; every write completes, with success or IBV_WC_REM_ACCESS_ERR;
 * writes succeed again after each restore; the MR's state and counters
 * (dmrdv) follow. Printed: the time each revoke took until VFIO's wait
 * for dmr's unmap returned, worst and mean.
 *
 *   dmabuf_revoke_stress PCI_ADDR BAR_FILE [CYCLES] [DEV]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/dmrdv.h>
#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define BAR 2
#define REGION (256 * 1024)	/* the part of the BAR the writer targets */
#define WRITE_LEN 4096

static struct rc_pair pair;
static struct ibv_mr *src, *dst;
static atomic_bool stop;
static atomic_ulong n_ok, n_err, n_other, n_late;
/* When the current revoke returned, in ns; 0 while the BAR is enabled. */
static _Atomic long long revoked_at;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *writer(void *arg)
{
	unsigned long seq = 0;
	enum ibv_wc_status st;
	long long posted, since;
	uint64_t off;

	while (!atomic_load(&stop)) {
		off = (seq * WRITE_LEN) % REGION;
		/* Each write carries its sequence number. */
		memcpy((char *)src->addr + off, &seq, sizeof(seq));
		posted = now_ns();
		st = rc_pair_write(&pair, src, off, WRITE_LEN, off, dst->rkey);
		if (st == IBV_WC_SUCCESS) {
			atomic_fetch_add(&n_ok, 1);
			/* Posted after a revoke had returned, yet it worked? */
			since = atomic_load(&revoked_at);
			if (since && posted > since) {
				fprintf(stderr, "write %lu succeeded while revoked\n",
					seq);
				atomic_fetch_add(&n_late, 1);
			}
		} else if (st == IBV_WC_REM_ACCESS_ERR) {
			atomic_fetch_add(&n_err, 1);
			rc_pair_reconnect(&pair);
		} else {
			fprintf(stderr, "write %lu: unexpected status %s\n", seq,
				ibv_wc_status_str(st));
			atomic_fetch_add(&n_other, 1);
			rc_pair_reconnect(&pair);
		}
		seq++;
	}
	return NULL;
}

static void snapshot(int fd, char *buf)
{
	if (pread(fd, buf, REGION, 0) != REGION)
		die("cannot read the BAR's backing file");
}

int main(int argc, char **argv)
{
	int cycles = argc > 3 ? atoi(argv[3]) : 200;
	const char *dev = argc > 4 ? argv[4] : "dmr0";
	char *before = malloc(REGION), *after = malloc(REGION);
	struct ibvx_range range = { 0, REGION };
	unsigned long ok_before, violations = 0;
	double t, worst = 0, total = 0;
	struct dmrdv_mr_attr attr;
	struct ibvx_vfio *vfio;
	pthread_t thread;
	int i, fd, file, err, waited;

	if (argc < 3)
		die("usage: %s PCI_ADDR BAR_FILE [CYCLES] [DEV]", argv[0]);
	err = ibvx_vfio_open(argv[1], IBVX_VFIO_ANY, &vfio);
	if (!err)
		err = ibvx_vfio_bar_export(vfio, BAR, &range, 1, &fd);
	if (err)
		die("VFIO: %s", ibvx_last_error());
	file = open(argv[2], O_RDONLY);
	if (file < 0)
		die("cannot open %s", argv[2]);

	rc_pair_open(&pair, dev);
	src = ibv_reg_mr(pair.pd, calloc(1, REGION), REGION,
			 IBV_ACCESS_LOCAL_WRITE);
	dst = ibv_reg_dmabuf_mr(pair.pd, 0, REGION, 0, fd,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!src || !dst)
		die("cannot register the MRs: %s", strerror(errno));

	pthread_create(&thread, NULL, writer, NULL);
	for (i = 0; i < cycles; i++) {
		/* Let writes land: the MR is mapped again before each revoke. */
		ok_before = atomic_load(&n_ok);
		usleep(1000 + rand() % 4000);
		for (waited = 0; atomic_load(&n_ok) == ok_before && waited < 10000;
		     waited++)
			usleep(1000);
		if (atomic_load(&n_ok) == ok_before)
			die("cycle %d: no write succeeded after the restore", i);
		t = now_us();
		err = ibvx_vfio_set_memory_enabled(vfio, false);
		t = now_us() - t;
		if (err)
			die("revoke: %s", ibvx_last_error());
		atomic_store(&revoked_at, now_ns());
		total += t;
		if (t > worst)
			worst = t;

		/* Revoked: the writer keeps posting; nothing may land. */
		snapshot(file, before);
		if (dmrdv_query_mr(dst, &attr, sizeof(attr)) ||
		    attr.state == DMRDV_MR_STATE_VALID)
			die("cycle %d: MR still valid after the revoke", i);
		usleep(2000 + rand() % 3000);
		snapshot(file, after);
		if (memcmp(before, after, REGION)) {
			fprintf(stderr, "cycle %d: the BAR changed while revoked\n", i);
			violations++;
		}
		atomic_store(&revoked_at, 0);
		if (ibvx_vfio_set_memory_enabled(vfio, true))
			die("restore: %s", ibvx_last_error());
	}
	/* After the last restore, writes must succeed again. */
	ok_before = atomic_load(&n_ok);
	for (i = 0; i < 2000 && atomic_load(&n_ok) == ok_before; i++)
		usleep(1000);
	atomic_store(&stop, true);
	pthread_join(thread, NULL);

	if (dmrdv_query_mr(dst, &attr, sizeof(attr)))
		die("dmrdv_query_mr failed");
	printf("cycles %d writes ok %lu failed %lu other %lu\n", cycles,
	       atomic_load(&n_ok), atomic_load(&n_err), atomic_load(&n_other));
	printf("revoke until VFIO's wait returned: worst %.0f us, mean %.0f us\n",
	       worst, total / cycles);
	printf("MR: state %u invalidations %llu remaps %llu revokes %llu\n",
	       attr.state, (unsigned long long)attr.invalidations,
	       (unsigned long long)attr.remaps,
	       (unsigned long long)attr.revokes);

	ibv_dereg_mr(dst);
	ibv_dereg_mr(src);
	rc_pair_close(&pair);
	close(fd);
	ibvx_vfio_close(vfio);
	close(file);
	violations += atomic_load(&n_late);
	if (violations || atomic_load(&n_other) ||
	    atomic_load(&n_ok) == ok_before ||
	    attr.invalidations != (unsigned long long)cycles ||
	    attr.remaps != (unsigned long long)cycles) {
		printf("FAILED: %lu violations\n", violations);
		return 1;
	}
	printf("PASSED\n");
	return 0;
}
