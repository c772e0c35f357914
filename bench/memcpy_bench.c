// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The guest's copy bandwidths, against which dmr's RDMA bandwidth is
 * compared in the same boot. Like perftest, each size copies one buffer
 * of that size again and again, for about a quarter of a second:
 *
 *   memcpy  userspace memcpy() into another buffer: the physical limit
 *           of a loopback copy;
 *   kcopy   pread() of a tmpfs file (memfd) into a buffer: one system
 *           call and one copy by the kernel's own memcpy per message,
 *           which is the work dmr does per RDMA WRITE (a doorbell and a
 *           kernel copy). Under emulation the kernel's copy loop may be
 *           much slower than glibc's vector memcpy: kcopy shows how much.
 *
 *   memcpy_bench SIZE...
 *
 * One line per size and kind: "memcpy|kcopy BYTES BYTES_PER_SECOND".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copies per second of @size bytes, by memcpy() or by pread(@fd). */
static double rate(char *dst, const char *src, size_t size, int fd)
{
	unsigned long long copies = 0;
	double start = now_s(), elapsed;
	int j;

	do {
		for (j = 0; j < 64; j++) {
			if (fd < 0)
				memcpy(dst, src, size);
			else if (pread(fd, dst, size, 0) != (ssize_t)size)
				return 0;
			/* Keep the compiler from dropping the copy. */
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		copies += 64;
		elapsed = now_s() - start;
	} while (elapsed < 0.25);
	return copies / elapsed;
}

int main(int argc, char **argv)
{
	size_t size;
	char *src, *dst;
	int i, fd;

	for (i = 1; i < argc; i++) {
		size = strtoull(argv[i], NULL, 0);
		src = malloc(size);
		dst = malloc(size);
		fd = memfd_create("kcopy", 0);
		if (!size || !src || !dst || fd < 0) {
			fprintf(stderr, "bad size %s\n", argv[i]);
			return 2;
		}
		memset(src, 1, size);
		memset(dst, 2, size);
		if (write(fd, src, size) != (ssize_t)size) {
			fprintf(stderr, "cannot fill the memfd\n");
			return 2;
		}
		printf("memcpy %zu %.0f\n", size, rate(dst, src, size, -1) * size);
		printf("kcopy %zu %.0f\n", size, rate(dst, src, size, fd) * size);
		fflush(stdout);
		close(fd);
		free(src);
		free(dst);
	}
	return 0;
}
