/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Index arithmetic of dmr's shared rings, used by the kernel driver, the
 * rdma-core provider and the host-side unit tests alike.
 *
 * A ring has a power-of-two number of slots and two free-running 32-bit
 * indices: the producer's and the consumer's. The number of used slots is
 * their difference modulo 2^32, which stays correct when the indices wrap.
 * An index pair whose difference exceeds the size is corrupt: the kernel
 * checks every index it reads from user-writable memory with
 * dmr_ring_valid() before using it.
 */
#ifndef DMR_RING_H
#define DMR_RING_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stdbool.h>
#endif

/* Smallest and largest ring sizes the driver accepts. */
#define DMR_RING_MIN_SLOTS 1U
#define DMR_RING_MAX_SLOTS 1048576U /* 2^20 */

static inline bool dmr_ring_size_valid(__u32 slots)
{
	return slots >= DMR_RING_MIN_SLOTS && slots <= DMR_RING_MAX_SLOTS &&
	       (slots & (slots - 1)) == 0;
}

/* Number of slots needed to hold @entries: the next power of two. */
static inline __u32 dmr_ring_slots_for(__u32 entries)
{
	__u32 slots = DMR_RING_MIN_SLOTS;

	if (entries > DMR_RING_MAX_SLOTS)
		return 0;
	while (slots < entries)
		slots <<= 1;
	return slots;
}

static inline __u32 dmr_ring_used(__u32 producer, __u32 consumer)
{
	return producer - consumer;
}

static inline bool dmr_ring_valid(__u32 producer, __u32 consumer, __u32 slots)
{
	return dmr_ring_used(producer, consumer) <= slots;
}

static inline __u32 dmr_ring_free(__u32 producer, __u32 consumer, __u32 slots)
{
	return slots - dmr_ring_used(producer, consumer);
}

static inline bool dmr_ring_empty(__u32 producer, __u32 consumer)
{
	return producer == consumer;
}

static inline bool dmr_ring_full(__u32 producer, __u32 consumer, __u32 slots)
{
	return dmr_ring_used(producer, consumer) >= slots;
}

static inline __u32 dmr_ring_slot(__u32 index, __u32 slots)
{
	return index & (slots - 1);
}

#endif /* DMR_RING_H */
