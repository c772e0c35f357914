/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The C shim: dmr's shared logic is written as static inline C for the
 * kernel and the provider; these wrappers compile it as C and give the
 * C++ tests plain functions to call.
 */
#ifndef DMR_SHIM_H
#define DMR_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

bool shim_ring_size_valid(uint32_t slots);
uint32_t shim_ring_slots_for(uint32_t entries);
uint32_t shim_ring_used(uint32_t producer, uint32_t consumer);
bool shim_ring_valid(uint32_t producer, uint32_t consumer, uint32_t slots);
uint32_t shim_ring_free(uint32_t producer, uint32_t consumer, uint32_t slots);
bool shim_ring_empty(uint32_t producer, uint32_t consumer);
bool shim_ring_full(uint32_t producer, uint32_t consumer, uint32_t slots);
uint32_t shim_ring_slot(uint32_t index, uint32_t slots);

#ifdef __cplusplus
}
#endif

#endif /* DMR_SHIM_H */
