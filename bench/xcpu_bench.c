// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The round trip of one cache line between CPU 0 and CPU 1 of the guest:
 * two threads, pinned one to each, take turns writing a counter that the
 * other spins on. A small message between two processes is a few such
 * trips, so the latency benchmark measures this next to every dmr run.
 * Under emulation it is not constant: the emulator's threads run on host
 * CPUs that the host moves around, and for seconds at a time a round
 * trip costs several times more.
 *
 *   xcpu_bench [ROUND_TRIPS]
 *
 * Prints "xcpu NANOSECONDS_PER_ROUND_TRIP".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* Each on a cache line of its own (128 bytes: adjacent-line prefetch). */
static volatile unsigned long ping __attribute__((aligned(128)));
static volatile unsigned long pong __attribute__((aligned(128)));

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		fprintf(stderr, "xcpu_bench: cannot run on CPU %d\n", cpu);
		exit(1);
	}
}

static void *echo(void *arg)
{
	unsigned long n = *(unsigned long *)arg, i;

	pin(1);
	for (i = 1; i <= n; i++) {
		while (ping != i)
			;
		pong = i;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000, i;
	pthread_t t;
	double t0;

	if (!n)
		n = 1;
	pin(0);
	if (pthread_create(&t, NULL, echo, &n))
		return 1;
	t0 = now_us();
	for (i = 1; i <= n; i++) {
		ping = i;
		while (pong != i)
			;
	}
	printf("xcpu %.0f\n", (now_us() - t0) * 1e3 / n);
	pthread_join(t, NULL);
	return 0;
}
