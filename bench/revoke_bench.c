// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Revocation latency: the time from the revoke trigger (clearing
 * PCI_COMMAND_MEMORY of a VFIO device) until VFIO's wait for its
 * importers returns, with N dma-buf MRs on the BAR and a writer thread
 * RDMA-writing into them round-robin the whole time.
 *
 *   revoke_bench DEV PCI_ADDR N_MRS [CYCLES] [WRITE_LEN]
 *
 * Writes are 4 KiB from anonymous memory by default. A WRITE_LEN above
 * 1 MiB writes whole messages of that size from device memory (one
 * contiguous buffer) into an MR of the same size on the BAR (another):
 * the case where a copy engine that did not cut its chunks at the
 * bracket would hold the invalidate for a whole message.
 *
 * Prints one line, times in microseconds:
 *
 *   revoke N_MRS MEDIAN_US MAX_US CYCLES WRITES_OK WRITES_FAILED WRITE_LEN
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>

#include "bench.h"
#include "rc_pair.h"

#define BAR 2

static size_t region = 1 << 20;	/* the part of the BAR each MR covers */
static size_t write_len = 4096;
static struct rc_pair pair;
static struct ibv_mr *src, **dst;
static int n_mrs;
static atomic_bool stop;
static atomic_ulong n_ok, n_err;

static void *writer(void *arg)
{
	enum ibv_wc_status st;
	unsigned long seq;
	uint64_t off;

	for (seq = 0; !atomic_load(&stop); seq++) {
		off = (seq * write_len) % region;
		st = rc_pair_write(&pair, src, off, write_len, off,
				   dst[seq % n_mrs]->rkey);
		if (st == IBV_WC_SUCCESS) {
			atomic_fetch_add(&n_ok, 1);
		} else {
			atomic_fetch_add(&n_err, 1);
			rc_pair_reconnect(&pair);
		}
	}
	return NULL;
}

/* Wait until the writer has had a write succeed again. */
static void wait_for_traffic(int cycle)
{
	unsigned long ok = atomic_load(&n_ok);
	int i;

	for (i = 0; i < 10000 && atomic_load(&n_ok) == ok; i++)
		usleep(1000);
	if (atomic_load(&n_ok) == ok)
		die("cycle %d: no write succeeded after the restore", cycle);
}

int main(int argc, char **argv)
{
	struct ibvx_range range = { 0, 0 };
	struct ibv_dm *dm = NULL;
	struct ibvx_vfio *vfio;
	pthread_t thread;
	double *lat, t;
	int i, cycles, fd;

	if (argc < 4)
		die("usage: %s DEV PCI_ADDR N_MRS [CYCLES] [WRITE_LEN]", argv[0]);
	n_mrs = atoi(argv[3]);
	cycles = argc > 4 ? atoi(argv[4]) : 20;
	if (argc > 5)
		write_len = strtoul(argv[5], NULL, 0);
	if (n_mrs < 1 || cycles < 1 || !write_len)
		die("N_MRS, CYCLES and WRITE_LEN must be positive");
	if (write_len > region)
		region = write_len;
	range.length = region;
	if (ibvx_vfio_open(argv[2], IBVX_VFIO_ANY, &vfio) ||
	    ibvx_vfio_bar_export(vfio, BAR, &range, 1, &fd))
		die("VFIO: %s", ibvx_last_error());

	rc_pair_open(&pair, argv[1]);
	if (write_len > (1 << 20)) {
		struct ibv_alloc_dm_attr attr = { .length = region };

		dm = ibv_alloc_dm(pair.ctx, &attr);
		src = dm ? ibv_reg_dm_mr(pair.pd, dm, 0, region,
					 IBV_ACCESS_LOCAL_WRITE |
					 IBV_ACCESS_ZERO_BASED) : NULL;
	} else {
		src = ibv_reg_mr(pair.pd, calloc(1, region), region,
				 IBV_ACCESS_LOCAL_WRITE);
	}
	dst = calloc(n_mrs, sizeof(*dst));
	lat = calloc(cycles, sizeof(*lat));
	if (!src || !dst || !lat)
		die("out of memory");
	for (i = 0; i < n_mrs; i++) {
		dst[i] = ibv_reg_dmabuf_mr(pair.pd, 0, region, 0, fd,
					   IBV_ACCESS_LOCAL_WRITE |
					   IBV_ACCESS_REMOTE_WRITE);
		if (!dst[i])
			die("MR %d: %m", i);
	}

	pthread_create(&thread, NULL, writer, NULL);
	for (i = 0; i < cycles; i++) {
		wait_for_traffic(i);
		t = now_us();
		if (ibvx_vfio_set_memory_enabled(vfio, false))
			die("revoke: %s", ibvx_last_error());
		lat[i] = now_us() - t;
		usleep(1000);
		if (ibvx_vfio_set_memory_enabled(vfio, true))
			die("restore: %s", ibvx_last_error());
	}
	wait_for_traffic(cycles);
	atomic_store(&stop, true);
	pthread_join(thread, NULL);

	t = median(lat, cycles);	/* sorts: the maximum is last */
	printf("revoke %d %.0f %.0f %d %lu %lu %zu\n", n_mrs, t, lat[cycles - 1],
	       cycles, atomic_load(&n_ok), atomic_load(&n_err), write_len);

	for (i = 0; i < n_mrs; i++)
		ibv_dereg_mr(dst[i]);
	ibv_dereg_mr(src);
	if (dm)
		ibv_free_dm(dm);
	rc_pair_close(&pair);
	close(fd);
	ibvx_vfio_close(vfio);
	return 0;
}
