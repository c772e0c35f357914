// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Join a memory cgroup, then allocate, COUNT times or until one fails,
 * CQs of 2^20 entries (64 MiB of ring each) or device memory of 64 MiB on
 * DEV. One line each: "ok CHARGED_BYTES" (what the cgroup's usage grew
 * by) or "error ERRNO", which ends the run. A small program, so that the
 * cgroup's limit meets dmr's allocations and not the tester's own memory
 * (a Python process at its limit gets killed by the OOM killer).
 *
 *   memcg_alloc CGROUP DEV cq|dm COUNT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

static long long usage(const char *cg)
{
	char path[512];
	long long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	struct ibv_alloc_dm_attr dm_attr = { .length = 64 << 20 };
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	char path[512];
	long long before;
	int i, n, count;
	void *obj;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: %s CGROUP DEV cq|dm COUNT\n", argv[0]);
		return 2;
	}
	count = atoi(argv[4]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		perror(path);
		return 2;
	}
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[2]))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		fprintf(stderr, "cannot open %s\n", argv[2]);
		return 2;
	}
	for (i = 0; i < count; i++) {
		before = usage(argv[1]);
		if (!strcmp(argv[3], "cq"))
			obj = ibv_create_cq(ctx, 1 << 20, NULL, NULL, 0);
		else
			obj = ibv_alloc_dm(ctx, &dm_attr);
		if (!obj) {
			printf("error %d\n", errno);
			break;
		}
		printf("ok %lld\n", usage(argv[1]) - before);
		fflush(stdout);
	}
	/* Everything goes with the process. */
	return 0;
}
