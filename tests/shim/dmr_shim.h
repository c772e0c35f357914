/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The C shim: dmr's shared logic is written as static inline C for the
 * kernel and the provider; these wrappers compile it as C and give the
 * C++ tests plain functions to call.
 */
#ifndef DMR_SHIM_H
#define DMR_SHIM_H

#include <stdbool.h>
#include <stddef.h>
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

bool shim_range_within(uint64_t start, uint64_t length, uint64_t addr,
		       uint64_t len);
bool shim_add_len(uint64_t *total, uint32_t len, uint64_t max);
uint32_t shim_send_wqe_stride(uint32_t max_sge, uint32_t max_inline);
uint32_t shim_recv_wqe_stride(uint32_t max_sge);
uint32_t shim_rnr_timer_usec(uint8_t timer);
uint64_t shim_ack_timeout_usec(uint8_t timeout);
uint32_t shim_wr_to_wc_opcode(uint32_t opcode);

/* A send WQE with room for 32 SGEs, built field by field by the tests. */
struct shim_wqe {
	uint64_t wr_id;
	uint32_t opcode;
	uint32_t send_flags;
	uint32_t num_sge;
	uint32_t inline_len;
	uint32_t sge_len[32];
	bool ud;			/* a UD QP's WQE */
};
int shim_send_wqe_check(const struct shim_wqe *w, uint32_t max_sge,
			uint32_t max_inline);

/* Layout of the uapi structures, as the C compiler lays them out. */
size_t shim_sizeof(const char *type);
size_t shim_offsetof(const char *type, const char *member);

#ifdef __cplusplus
}
#endif

#endif /* DMR_SHIM_H */
