// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
// Ring index arithmetic shared by the kernel driver and the provider.
#include <gtest/gtest.h>

#include "dmr_shim.h"

TEST(Ring, SizeMustBeAPowerOfTwoWithinBounds)
{
	EXPECT_FALSE(shim_ring_size_valid(0));
	EXPECT_TRUE(shim_ring_size_valid(1));
	EXPECT_TRUE(shim_ring_size_valid(2));
	EXPECT_FALSE(shim_ring_size_valid(3));
	EXPECT_TRUE(shim_ring_size_valid(1U << 20));
	EXPECT_FALSE(shim_ring_size_valid(1U << 21));
	EXPECT_FALSE(shim_ring_size_valid(0x80000000U));
}

TEST(Ring, SlotsForRoundsUpAndRejectsTooMany)
{
	EXPECT_EQ(shim_ring_slots_for(0), 1U);
	EXPECT_EQ(shim_ring_slots_for(1), 1U);
	EXPECT_EQ(shim_ring_slots_for(3), 4U);
	EXPECT_EQ(shim_ring_slots_for(1000), 1024U);
	EXPECT_EQ(shim_ring_slots_for(1U << 20), 1U << 20);
	EXPECT_EQ(shim_ring_slots_for((1U << 20) + 1), 0U);
	EXPECT_EQ(shim_ring_slots_for(0xffffffffU), 0U);
}

TEST(Ring, CountsSurviveIndexWrap)
{
	const uint32_t slots = 8;
	uint32_t consumer = 0xfffffffcU;
	uint32_t producer = consumer + 6; /* wrapped past zero */

	EXPECT_EQ(shim_ring_used(producer, consumer), 6U);
	EXPECT_EQ(shim_ring_free(producer, consumer, slots), 2U);
	EXPECT_TRUE(shim_ring_valid(producer, consumer, slots));
	EXPECT_FALSE(shim_ring_full(producer, consumer, slots));
	EXPECT_TRUE(shim_ring_full(producer + 2, consumer, slots));
	EXPECT_EQ(shim_ring_slot(producer, slots), 2U);
}

TEST(Ring, CorruptIndicesAreDetected)
{
	/* A consumer ahead of the producer, or more than a ring apart. */
	EXPECT_FALSE(shim_ring_valid(5, 6, 8));
	EXPECT_FALSE(shim_ring_valid(9, 0, 8));
	EXPECT_TRUE(shim_ring_valid(8, 0, 8));
	EXPECT_TRUE(shim_ring_empty(7, 7));
	EXPECT_FALSE(shim_ring_empty(8, 7));
}

TEST(Ring, SlotIsIndexModuloSize)
{
	for (uint32_t i = 0; i < 64; i++)
		EXPECT_EQ(shim_ring_slot(i, 16), i % 16);
}
