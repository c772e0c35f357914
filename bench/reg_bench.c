// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Memory registration cost: ibv_reg_dmabuf_mr() of udmabuf, system
 * dma-heap and VFIO BAR dma-bufs against ibv_reg_mr() of anonymous memory
 * of the same sizes, and the matching deregistration.
 *
 *   reg_bench DEV [PCI_ADDR]
 *
 * Sizes run from 4 KiB to 1 GiB (the BAR only up to its size). The
 * anonymous memory is touched before it is registered, as an application
 * registers a buffer it has been using; the dma-bufs are allocated before
 * the clock starts. One line per source and size, the median of the
 * repetitions:
 *
 *   reg SOURCE BYTES REG_US DEREG_US REPS
 *
 * A source that cannot be used here is reported as "skip SOURCE BYTES why".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>
#include <infiniband/verbs.h>

#include "bench.h"

#define BAR 2
#define ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		IBV_ACCESS_REMOTE_READ)

static const size_t sizes[] = {
	4096, 65536, 1 << 20, 16 << 20, 256 << 20, 1UL << 30,
};

/* Fewer repetitions where one registration takes long. */
static int reps_for(size_t size)
{
	return size >= (256 << 20) ? 3 : size >= (16 << 20) ? 7 : 31;
}

/*
 * Register @size bytes of @buf (anonymous memory) or of @fd (a dma-buf)
 * @reps times; print the medians. Returns 0, or an errno value.
 */
static int measure(struct ibv_pd *pd, const char *source, void *buf, int fd,
		   size_t size)
{
	int i, reps = reps_for(size);
	double reg[31], dereg[31], t;
	struct ibv_mr *mr;

	for (i = 0; i < reps; i++) {
		t = now_us();
		if (buf)
			mr = ibv_reg_mr(pd, buf, size, ACCESS);
		else
			mr = ibv_reg_dmabuf_mr(pd, 0, size, 0, fd, ACCESS);
		reg[i] = now_us() - t;
		if (!mr)
			return errno;
		t = now_us();
		if (ibv_dereg_mr(mr))
			return errno;
		dereg[i] = now_us() - t;
	}
	printf("reg %s %zu %.1f %.1f %d\n", source, size, median(reg, reps),
	       median(dereg, reps), reps);
	fflush(stdout);
	return 0;
}

static void report(const char *source, size_t size, int err)
{
	if (err)
		printf("skip %s %zu %s\n", source, size, strerror(err));
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	struct ibvx_vfio *vfio = NULL;
	uint64_t bar_size = 0;
	struct ibv_pd *pd;
	unsigned int i;
	int n, fd, memfd, err;
	void *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEV [PCI_ADDR]\n", argv[0]);
		return 2;
	}
	list = ibv_get_device_list(&n);
	while (list && n--)
		if (!strcmp(ibv_get_device_name(list[n]), argv[1]))
			ctx = ibv_open_device(list[n]);
	if (!ctx || !(pd = ibv_alloc_pd(ctx))) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	if (argc > 2 && (ibvx_vfio_open(argv[2], IBVX_VFIO_ANY, &vfio) ||
			 ibvx_vfio_bar_size(vfio, BAR, &bar_size))) {
		fprintf(stderr, "VFIO: %s\n", ibvx_last_error());
		return 2;
	}

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];

		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			report("anon", size, errno);
		} else {
			memset(buf, 1, size);
			report("anon", size, measure(pd, "anon", buf, -1, size));
			munmap(buf, size);
		}

		err = ibvx_udmabuf_alloc(size, &fd, &memfd);
		if (!err) {
			err = measure(pd, "udmabuf", NULL, fd, size);
			close(fd);
			close(memfd);
		}
		report("udmabuf", size, err);

		err = ibvx_dma_heap_alloc("system", size, &fd);
		if (!err) {
			err = measure(pd, "heap", NULL, fd, size);
			close(fd);
		}
		report("heap", size, err);

		if (!vfio || size > bar_size)
			continue;
		struct ibvx_range range = { 0, size };

		err = ibvx_vfio_bar_export(vfio, BAR, &range, 1, &fd);
		if (!err) {
			err = measure(pd, "vfio", NULL, fd, size);
			close(fd);
		}
		report("vfio", size, err);
	}
	if (vfio)
		ibvx_vfio_close(vfio);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	return 0;
}
