// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include "dmr_shim.h"
#include "dmr_ring.h"

bool shim_ring_size_valid(uint32_t slots)
{
	return dmr_ring_size_valid(slots);
}

uint32_t shim_ring_slots_for(uint32_t entries)
{
	return dmr_ring_slots_for(entries);
}

uint32_t shim_ring_used(uint32_t producer, uint32_t consumer)
{
	return dmr_ring_used(producer, consumer);
}

bool shim_ring_valid(uint32_t producer, uint32_t consumer, uint32_t slots)
{
	return dmr_ring_valid(producer, consumer, slots);
}

uint32_t shim_ring_free(uint32_t producer, uint32_t consumer, uint32_t slots)
{
	return dmr_ring_free(producer, consumer, slots);
}

bool shim_ring_empty(uint32_t producer, uint32_t consumer)
{
	return dmr_ring_empty(producer, consumer);
}

bool shim_ring_full(uint32_t producer, uint32_t consumer, uint32_t slots)
{
	return dmr_ring_full(producer, consumer, slots);
}

uint32_t shim_ring_slot(uint32_t index, uint32_t slots)
{
	return dmr_ring_slot(index, slots);
}
