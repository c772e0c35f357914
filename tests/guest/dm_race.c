// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Memory that a process maps, or that a dma-buf exports, freed while
 * another thread is mapping it, round after round:
 *
 *   mmap    a 32 MiB device memory is mapped again (mmap of its offset on
 *           the uverbs file) while ibv_free_dm() frees it;
 *   cq      the same with the ring of a CQ of 2^19 entries and
 *           ibv_destroy_cq();
 *   export  a DM with two dma-buf exports, the first imported as an MR,
 *           the second registered as an MR over and over while
 *           ibv_free_dm() revokes and frees them.
 *
 *   dm_race MODE DEV [ROUNDS]
 *
 * The memory must stay until the last mmap that started before the free
 * is done with it, and an export must never be mapped past its DM: a use
 * after free shows as an oops or a KASAN report in the kernel log. Each
 * round also checks that the racing thread ends with a refusal, not a
 * success past the free. Prints one line per check and "PASSED" or
 * "FAILED: N checks".
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/dmrdv.h>

#include "rc_pair.h"

#define DM_SIZE (32UL << 20)

/* The uverbs mappings of this process, as "offset size" of each. */
struct mapping {
	unsigned long long offset, size;
};

static int uverbs_maps(struct mapping *m, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long start, end, off;
	char line[512];
	int n = 0;

	if (!f)
		die("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) && n < max) {
		if (!strstr(line, "/dev/infiniband/uverbs"))
			continue;
		if (sscanf(line, "%llx-%llx %*s %llx", &start, &end, &off) != 3)
			continue;
		m[n++] = (struct mapping){ off, end - start };
	}
	fclose(f);
	return n;
}

/* The largest mapping that appeared since @before was taken. */
static struct mapping new_mapping(const struct mapping *before, int nb)
{
	struct mapping now[256], best = { 0, 0 };
	int n = uverbs_maps(now, 256), i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nb; j++)
			if (before[j].offset == now[i].offset)
				break;
		if (j == nb && now[i].size > best.size)
			best = now[i];
	}
	if (!best.size)
		die("no new uverbs mapping");
	return best;
}

struct mapper {
	int fd;
	unsigned long long offset, size;
	int maps;		/* successful mmaps */
	int last_err;		/* errno of the last refused one, 0: none */
};

/*
 * mmap the offset again and again until refused (the entry is gone), or
 * for 60 s at most (then last_err stays 0 and the check fails).
 */
static void *map_loop(void *arg)
{
	time_t end = time(NULL) + 60;
	struct mapper *m = arg;
	void *p;

	while (time(NULL) < end) {
		p = mmap(NULL, m->size, PROT_READ, MAP_SHARED, m->fd, m->offset);
		if (p == MAP_FAILED) {
			m->last_err = errno;
			break;
		}
		m->maps++;
		munmap(p, m->size);
	}
	return NULL;
}

static void short_wait(unsigned int round)
{
	struct timespec ts = { 0, (round % 8) * 250000L };

	nanosleep(&ts, NULL);
}

static void race_mmap(struct ibv_context *ctx, int rounds, int cq_mode)
{
	struct mapping before[256];
	struct mapper m;
	pthread_t t;
	int r, refused = 0;

	for (r = 0; r < rounds; r++) {
		struct ibv_alloc_dm_attr attr = { .length = DM_SIZE };
		struct ibv_dm *dm = NULL;
		struct ibv_cq *cq = NULL;
		int nb = uverbs_maps(before, 256);
		struct mapping found;

		memset(&m, 0, sizeof(m));
		m.fd = ctx->cmd_fd;
		if (cq_mode) {
			cq = ibv_create_cq(ctx, 1 << 19, NULL, NULL, 0);
			if (!cq)
				die("ibv_create_cq: %s", strerror(errno));
		} else {
			dm = ibv_alloc_dm(ctx, &attr);
			if (!dm)
				die("ibv_alloc_dm: %s", strerror(errno));
		}
		/* The ring, or the device memory: what the call mapped. */
		found = new_mapping(before, nb);
		m.offset = found.offset;
		m.size = found.size;
		if (pthread_create(&t, NULL, map_loop, &m))
			die("pthread_create");
		short_wait(r);
		if (cq_mode ? ibv_destroy_cq(cq) : ibv_free_dm(dm))
			die("free: %s", strerror(errno));
		/* The mapper goes on until the freed offset is refused. */
		pthread_join(t, NULL);
		refused += m.last_err == EINVAL;
	}
	CHECK(refused == rounds, "%s: %d of %d rounds ended with the offset refused (EINVAL)",
	      cq_mode ? "CQ ring" : "device memory", refused, rounds);
}

struct registrar {
	struct ibv_pd *pd;
	int fd;
	int regs;
	int last_err;
};

/* Register the export until refused (it is revoked), for 60 s at most. */
static void *reg_loop(void *arg)
{
	time_t end = time(NULL) + 60;
	struct registrar *g = arg;
	struct ibv_mr *mr;

	while (time(NULL) < end) {
		mr = ibv_reg_dmabuf_mr(g->pd, 0, DM_SIZE, 0, g->fd,
				       IBV_ACCESS_LOCAL_WRITE);
		if (!mr) {
			g->last_err = errno;
			break;
		}
		g->regs++;
		ibv_dereg_mr(mr);
	}
	return NULL;
}

static void race_export(struct ibv_context *ctx, int rounds)
{
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	int r, refused = 0, revoked = 0;

	if (!pd)
		die("ibv_alloc_pd: %s", strerror(errno));
	for (r = 0; r < rounds; r++) {
		struct ibv_alloc_dm_attr attr = { .length = DM_SIZE };
		struct dmrdv_mr_attr state;
		struct registrar g = { .pd = pd };
		struct ibv_mr *held;
		struct ibv_dm *dm;
		int fd1, fd2;
		pthread_t t;

		dm = ibv_alloc_dm(ctx, &attr);
		fd1 = dm ? ibv_dm_export_dmabuf_fd(dm) : -1;
		fd2 = fd1 >= 0 ? ibv_dm_export_dmabuf_fd(dm) : -1;
		if (fd2 < 0)
			die("DM and exports: %s", strerror(errno));
		held = ibv_reg_dmabuf_mr(pd, 0, DM_SIZE, 0, fd1,
					 IBV_ACCESS_LOCAL_WRITE);
		if (!held)
			die("ibv_reg_dmabuf_mr: %s", strerror(errno));
		g.fd = fd2;
		if (pthread_create(&t, NULL, reg_loop, &g))
			die("pthread_create");
		short_wait(r);
		if (ibv_free_dm(dm))
			die("ibv_free_dm: %s", strerror(errno));
		pthread_join(t, NULL);
		refused += g.last_err != 0;
		/* Unmapped: the next access asks the exporter, who refuses. */
		revoked += !dmrdv_query_mr(held, &state, sizeof(state)) &&
			   state.state != DMRDV_MR_STATE_VALID;
		ibv_dereg_mr(held);
		close(fd1);
		close(fd2);
	}
	CHECK(refused == rounds, "export: %d of %d rounds ended with registration refused",
	      refused, rounds);
	CHECK(revoked == rounds, "export: the imported MR was unmapped in %d of %d rounds",
	      revoked, rounds);
	ibv_dealloc_pd(pd);
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	int rounds;

	if (argc < 3)
		die("usage: %s mmap|cq|export DEV [ROUNDS]", argv[0]);
	rounds = argc > 3 ? atoi(argv[3]) : 16;
	ctx = rc_open_device(argv[2]);
	if (!strcmp(argv[1], "mmap"))
		race_mmap(ctx, rounds, 0);
	else if (!strcmp(argv[1], "cq"))
		race_mmap(ctx, rounds, 1);
	else if (!strcmp(argv[1], "export"))
		race_export(ctx, rounds);
	else
		die("unknown mode %s", argv[1]);
	ibv_close_device(ctx);
	return check_report();
}
