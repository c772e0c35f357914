// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libibverbs-ext's dma-buf MR calls on real devices: the probe on dmr and
 * on rxe (which has no dma-buf MRs), registration errors and their
 * messages, state tracking of udmabuf and VFIO BAR MRs, the event fd and
 * waiting.
 *
 *   ibvx_mr_check PCI_ADDR DMR_DEV RXE_DEV
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define LEN (64 * 1024)
#define BAR 2
#define ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)

static bool says(const char *needle)
{
	return strstr(ibvx_last_error(), needle) != NULL;
}

static struct ibv_pd *open_pd(const char *name, struct ibv_context **ctx)
{
	*ctx = rc_open_device(name);
	return ibv_alloc_pd(*ctx);
}

static bool readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* rxe has no dma-buf MRs: the probe says so, registration explains. */
static void check_rxe(const char *rxe)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd = open_pd(rxe, &ctx);
	struct ibvx_mr *mr = NULL;
	int fd;

	CHECK(ibvx_dmabuf_mr_probe(pd) == EOPNOTSUPP && says(rxe) &&
	      says("does not support dma-buf MRs"),
	      "probe on %s: EOPNOTSUPP (%s)", rxe, ibvx_last_error());
	if (ibvx_udmabuf_alloc(LEN, &fd, NULL))
		die("udmabuf: %s", ibvx_last_error());
	CHECK(ibvx_reg_dmabuf_mr(pd, 0, LEN, 0, fd, ACCESS, &mr) == EOPNOTSUPP &&
	      !mr && says("rdma link add"),
	      "registration on %s: EOPNOTSUPP with advice (%s)", rxe,
	      ibvx_last_error());
	close(fd);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

/* A udmabuf MR on dmr: tracked, valid, and bad registrations explained. */
static void check_dmr_udmabuf(struct ibv_pd *pd)
{
	struct ibvx_mr *mr = NULL;
	int fd, memfd, efd, efd2;

	CHECK(ibvx_dmabuf_mr_probe(pd) == 0, "probe on dmr: supported");
	if (ibvx_udmabuf_alloc(LEN, &fd, &memfd))
		die("udmabuf: %s", ibvx_last_error());

	CHECK(ibvx_reg_dmabuf_mr(pd, 0, LEN, 0, memfd, ACCESS, &mr) == EINVAL &&
	      says("is not a dma-buf (/memfd:"), "a memfd is not a dma-buf: EINVAL (%s)",
	      ibvx_last_error());
	CHECK(ibvx_reg_dmabuf_mr(pd, 4096, LEN, 0, fd, ACCESS, &mr) == EINVAL &&
	      says("offset 0x1000"), "a range past the end: EINVAL (%s)",
	      ibvx_last_error());

	CHECK(ibvx_reg_dmabuf_mr(pd, 0, LEN, 0, fd, ACCESS, &mr) == 0,
	      "registration of a udmabuf");
	CHECK(ibvx_mr_ibv(mr)->length == LEN, "the verbs MR has the length");
	CHECK(ibvx_mr_state(mr) == IBVX_MR_VALID, "state: valid");
	CHECK(ibvx_mr_event_fd(mr, &efd) == 0 && efd >= 0 &&
	      ibvx_mr_event_fd(mr, &efd2) == 0 && efd2 == efd,
	      "one event fd per MR");
	CHECK(!readable_within(efd, 0), "no event without a state change");
	CHECK(ibvx_mr_wait_state(mr, IBVX_MR_VALID, 0) == 0,
	      "waiting for the current state returns at once");
	CHECK(ibvx_mr_wait_state(mr, IBVX_MR_REVOKED, 50) == ETIMEDOUT &&
	      says("stayed valid"), "waiting for revoked times out (%s)",
	      ibvx_last_error());
	CHECK(ibvx_mr_wait_state(mr, IBVX_MR_UNTRACKED, 0) == EINVAL,
	      "untracked cannot be waited for");
	CHECK(ibvx_dereg_mr(mr) == 0, "deregistration");
	close(fd);
	close(memfd);
}

/* A VFIO BAR MR: the revoke shows in the state and on the event fd. */
static void check_dmr_vfio(const char *pci, const char *dev)
{
	struct ibvx_range range = { 0, LEN };
	enum ibvx_mr_state state = IBVX_MR_UNKNOWN;
	struct ibvx_mr_wait_attr wait = {};
	struct ibvx_dmabuf_mr_init_attr attr = {
		.length = LEN,
		.access = ACCESS,
	};
	struct ibvx_vfio *vfio;
	struct ibvx_mr *mr;
	struct ibv_mr *src;
	struct rc_pair p;
	void *buf;
	int fd, efd;

	if (ibvx_vfio_open(pci, IBVX_VFIO_ANY, &vfio) ||
	    ibvx_vfio_bar_export(vfio, BAR, &range, 1, &fd))
		die("VFIO: %s", ibvx_last_error());
	rc_pair_open(&p, dev);
	buf = calloc(1, 4096);
	src = ibv_reg_mr(p.pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	attr.fd = fd;
	if (!src || ibvx_reg_dmabuf_mr_ex(p.pd, &attr, &mr) ||
	    ibvx_mr_event_fd(mr, &efd))
		die("registration: %s", ibvx_last_error());

	ibvx_vfio_set_memory_enabled(vfio, false);
	CHECK(readable_within(efd, 1000), "the revoke fires the event fd");
	ibvx_mr_ack_event(mr);
	CHECK(!readable_within(efd, 0), "ibvx_mr_ack_event consumes it");
	CHECK(ibvx_mr_state(mr) == IBVX_MR_INVALIDATED, "state: invalidated");
	CHECK(rc_pair_write(&p, src, 0, 4096, (uintptr_t)ibvx_mr_ibv(mr)->addr,
			    ibvx_mr_ibv(mr)->rkey) == IBV_WC_REM_ACCESS_ERR,
	      "a write into the revoked BAR fails");
	wait.states = 1u << IBVX_MR_VALID | 1u << IBVX_MR_REVOKED;
	wait.timeout_ms = 1000;
	CHECK(ibvx_mr_wait(mr, &wait, &state) == 0 && state == IBVX_MR_REVOKED,
	      "state: revoked (waited for valid or revoked: %s)",
	      ibvx_mr_state_str(state));

	ibvx_vfio_set_memory_enabled(vfio, true);
	rc_pair_reconnect(&p);
	CHECK(rc_pair_write(&p, src, 0, 4096, (uintptr_t)ibvx_mr_ibv(mr)->addr,
			    ibvx_mr_ibv(mr)->rkey) == IBV_WC_SUCCESS,
	      "after the restore the write succeeds");
	CHECK(ibvx_mr_wait_state(mr, IBVX_MR_VALID, 1000) == 0, "state: valid");

	ibvx_dereg_mr(mr);
	ibv_dereg_mr(src);
	free(buf);
	rc_pair_close(&p);
	close(fd);
	ibvx_vfio_close(vfio);
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd;

	if (argc != 4)
		die("usage: %s PCI_ADDR DMR_DEV RXE_DEV", argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_rxe(argv[3]);
	pd = open_pd(argv[2], &ctx);
	check_dmr_udmabuf(pd);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	check_dmr_vfio(argv[1], argv[2]);
	return check_report();
}
