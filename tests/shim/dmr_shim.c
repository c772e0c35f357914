// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include <string.h>

#include "dmr_shim.h"
#include "dmr_ring.h"
#include "dmr_rules.h"

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

bool shim_range_within(uint64_t start, uint64_t length, uint64_t addr,
		       uint64_t len)
{
	return dmr_range_within(start, length, addr, len);
}

bool shim_add_len(uint64_t *total, uint32_t len, uint64_t max)
{
	__u64 t = *total;
	bool ok = dmr_add_len(&t, len, max);

	*total = t;
	return ok;
}

uint32_t shim_send_wqe_stride(uint32_t max_sge, uint32_t max_inline)
{
	return dmr_send_wqe_stride(max_sge, max_inline);
}

uint32_t shim_recv_wqe_stride(uint32_t max_sge)
{
	return dmr_recv_wqe_stride(max_sge);
}

uint32_t shim_rnr_timer_usec(uint8_t timer)
{
	return dmr_rnr_timer_usec(timer);
}

uint64_t shim_ack_timeout_usec(uint8_t timeout)
{
	return dmr_ack_timeout_usec(timeout);
}

uint32_t shim_wr_to_wc_opcode(uint32_t opcode)
{
	return dmr_wr_to_wc_opcode(opcode);
}

int shim_send_wqe_check(const struct shim_wqe *w, uint32_t max_sge,
			uint32_t max_inline)
{
	struct {
		struct dmr_send_wqe wqe;
		struct dmr_sge sge[32];
	} buf;
	uint32_t i;

	memset(&buf, 0, sizeof(buf));
	buf.wqe.wr_id = w->wr_id;
	buf.wqe.opcode = w->opcode;
	buf.wqe.send_flags = w->send_flags;
	buf.wqe.num_sge = w->num_sge;
	buf.wqe.inline_len = w->inline_len;
	for (i = 0; i < 32; i++)
		buf.sge[i].length = w->sge_len[i];
	return dmr_send_wqe_check(&buf.wqe, max_sge, max_inline, w->ud);
}

#define LAYOUT(t) { #t, sizeof(struct t) }
static const struct {
	const char *name;
	size_t size;
} sizes[] = {
	LAYOUT(dmr_ring_hdr),
	LAYOUT(dmr_sge),
	LAYOUT(dmr_av),
	LAYOUT(dmr_send_wqe),
	LAYOUT(dmr_recv_wqe),
	LAYOUT(dmr_cqe),
	LAYOUT(dmr_ring_info),
	LAYOUT(dmr_create_cq_resp),
	LAYOUT(dmr_create_qp_resp),
	LAYOUT(dmr_create_srq_resp),
	LAYOUT(dmr_doorbell_mailbox),
	LAYOUT(dmr_alloc_ucontext_resp),
	LAYOUT(dmr_mr_query_resp),
};

size_t shim_sizeof(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!strcmp(sizes[i].name, type))
			return sizes[i].size;
	return 0;
}

#define MEMBER(t, m) { #t, #m, offsetof(struct t, m) }
static const struct {
	const char *type;
	const char *member;
	size_t offset;
} members[] = {
	MEMBER(dmr_ring_hdr, producer),
	MEMBER(dmr_ring_hdr, consumer),
	MEMBER(dmr_ring_hdr, flags),
	MEMBER(dmr_send_wqe, wr_id),
	MEMBER(dmr_send_wqe, opcode),
	MEMBER(dmr_send_wqe, imm_data),
	MEMBER(dmr_send_wqe, wr),
	MEMBER(dmr_send_wqe, wr.ud.av),
	MEMBER(dmr_send_wqe, wr.ud.remote_qpn),
	MEMBER(dmr_send_wqe, wr.ud.remote_qkey),
	MEMBER(dmr_av, flow_label),
	MEMBER(dmr_av, sgid_index),
	MEMBER(dmr_cqe, wr_id),
	MEMBER(dmr_cqe, status),
	MEMBER(dmr_cqe, byte_len),
	MEMBER(dmr_cqe, wc_flags),
	MEMBER(dmr_cqe, network_hdr_type),
	MEMBER(dmr_ring_info, slots),
	MEMBER(dmr_create_qp_resp, rq),
	MEMBER(dmr_create_qp_resp, max_inline),
	MEMBER(dmr_create_cq_resp, ring),
	MEMBER(dmr_create_srq_resp, ring),
	MEMBER(dmr_doorbell_mailbox, qpn),
	MEMBER(dmr_alloc_ucontext_resp, flags),
	MEMBER(dmr_alloc_ucontext_resp, mailbox_mmap_offset),
	MEMBER(dmr_mr_query_resp, backend),
	MEMBER(dmr_mr_query_resp, state),
	MEMBER(dmr_mr_query_resp, invalidations),
	MEMBER(dmr_mr_query_resp, remaps),
	MEMBER(dmr_mr_query_resp, revokes),
};

size_t shim_offsetof(const char *type, const char *member)
{
	size_t i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (!strcmp(members[i].type, type) &&
		    !strcmp(members[i].member, member))
			return members[i].offset;
	return (size_t)-1;
}
