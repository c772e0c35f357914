// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmrdv.h as an application uses it: the state and counters of MRs, the
 * eventfd told of every state change, waiting for a state, and the
 * errors for MRs and devices that have no such state.
 *
 *   dmrdv_check PCI_ADDR [DEV]
 *
 * Prints one line per check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <infiniband/dmrdv.h>
#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define REGION 65536

/* Has @efd been signalled within @ms? Consumes the count. */
static int signalled(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return read(efd, &count, sizeof(count)) == sizeof(count);
}

struct waiter {
	struct ibv_mr *mr;
	int err;
	struct dmrdv_mr_attr attr;
};

static void *wait_not_valid(void *arg)
{
	struct waiter *w = arg;

	struct dmrdv_mr_wait_attr wait = {
		.states = 1U << DMRDV_MR_STATE_INVALIDATED |
			  1U << DMRDV_MR_STATE_REVOKED,
		.timeout_ms = 10000,
	};

	w->err = dmrdv_mr_wait_state(w->mr, &wait, &w->attr, sizeof(w->attr));
	return NULL;
}

static int wait_state(struct ibv_mr *mr, uint32_t states, int timeout_ms,
		      uint64_t comp_mask)
{
	struct dmrdv_mr_wait_attr wait = {
		.comp_mask = comp_mask,
		.states = states,
		.timeout_ms = timeout_ms,
	};

	return dmrdv_mr_wait_state(mr, &wait, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 2 ? argv[2] : "dmr0";
	struct ibvx_range range = { 0, REGION };
	struct dmrdv_mr_attr a;
	struct ibv_mr *user, *bar, *host;
	struct ibvx_vfio *vfio;
	struct rc_pair p;
	struct waiter w = {};
	pthread_t thread;
	int fd, ufd, efd, err;

	if (argc < 2)
		die("usage: %s PCI_ADDR [DEV]", argv[0]);
	if (ibvx_vfio_open(argv[1], IBVX_VFIO_ANY, &vfio) ||
	    ibvx_vfio_bar_export(vfio, 2, &range, 1, &fd) ||
	    ibvx_udmabuf_alloc(REGION, &ufd, NULL))
		die("setup: %s", ibvx_last_error());
	rc_pair_open(&p, dev);

	CHECK(dmrdv_is_supported(p.ctx->device), "%s is a dmr device", dev);

	user = ibv_reg_mr(p.pd, calloc(1, REGION), REGION,
			  IBV_ACCESS_LOCAL_WRITE);
	bar = ibv_reg_dmabuf_mr(p.pd, 0, REGION, 0, fd,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	host = ibv_reg_dmabuf_mr(p.pd, 4096, 8192, 0x1000, ufd,
				 IBV_ACCESS_LOCAL_WRITE);
	if (!user || !bar || !host)
		die("registration: %s", strerror(errno));

	err = dmrdv_query_mr(user, &a, sizeof(a));
	CHECK(!err && a.backend == DMRDV_MR_BACKEND_USER &&
	      a.state == DMRDV_MR_STATE_VALID,
	      "a user MR is a valid user MR (err %d backend %u state %u)", err,
	      a.backend, a.state);
	err = dmrdv_query_mr(host, &a, sizeof(a));
	CHECK(!err && a.backend == DMRDV_MR_BACKEND_DMABUF &&
	      a.state == DMRDV_MR_STATE_VALID && !a.invalidations &&
	      !a.remaps && !a.revokes,
	      "a udmabuf MR is a valid dma-buf MR with zero counters");
	CHECK(dmrdv_query_mr(bar, &a, 8) == EINVAL,
	      "a too short attribute struct is EINVAL");

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(dmrdv_mr_add_event_fd(user, efd) == EOPNOTSUPP,
	      "user MRs have no state changes to signal (EOPNOTSUPP)");
	CHECK(dmrdv_mr_add_event_fd(bar, 12345) == EBADF,
	      "a bad eventfd is EBADF");
	CHECK(dmrdv_mr_add_event_fd(bar, ufd) == EINVAL,
	      "a dma-buf fd is not an eventfd (EINVAL)");
	CHECK(dmrdv_mr_remove_event_fd(bar, efd) == ENOENT,
	      "removing an eventfd never added is ENOENT");
	CHECK(!dmrdv_mr_add_event_fd(bar, efd), "add an eventfd to the BAR MR");
	CHECK(dmrdv_mr_add_event_fd(bar, efd) == EEXIST,
	      "adding it twice is EEXIST");

	/* A waiter in another thread is woken by the revoke. */
	w.mr = bar;
	pthread_create(&thread, NULL, wait_not_valid, &w);
	usleep(200000);
	if (ibvx_vfio_set_memory_enabled(vfio, false))
		die("revoke: %s", ibvx_last_error());
	pthread_join(thread, NULL);
	CHECK(!w.err && w.attr.state == DMRDV_MR_STATE_INVALIDATED,
	      "dmrdv_mr_wait_state returns at the invalidation (err %d state %u)",
	      w.err, w.attr.state);
	CHECK(signalled(efd, 1000), "the eventfd signals the invalidation");
	err = dmrdv_query_mr(bar, &a, sizeof(a));
	CHECK(!err && a.state == DMRDV_MR_STATE_INVALIDATED &&
	      a.invalidations == 1 && !a.revokes,
	      "invalidated, not revoked before any access");

	/* An access tries to map again; VFIO refuses: revoked. */
	CHECK(rc_pair_write(&p, user, 0, 64, 0, bar->rkey) ==
	      IBV_WC_REM_ACCESS_ERR, "a write into the revoked BAR fails");
	rc_pair_reconnect(&p);
	err = dmrdv_query_mr(bar, &a, sizeof(a));
	CHECK(!err && a.state == DMRDV_MR_STATE_REVOKED && a.revokes == 1,
	      "revoked after the refused mapping (state %u revokes %llu)",
	      a.state, (unsigned long long)a.revokes);
	CHECK(signalled(efd, 1000), "the eventfd signals the revocation");
	CHECK(wait_state(bar, 1U << DMRDV_MR_STATE_REVOKED, 0, 0) == 0,
	      "waiting for the current state returns at once");
	CHECK(wait_state(bar, 1U << DMRDV_MR_STATE_REVOKED, 0, 1) == EOPNOTSUPP,
	      "a comp_mask bit the library does not know is EOPNOTSUPP");

	/* Restored: nothing happens until the next access maps it again. */
	if (ibvx_vfio_set_memory_enabled(vfio, true))
		die("restore: %s", ibvx_last_error());
	CHECK(wait_state(bar, 1U << DMRDV_MR_STATE_VALID, 200, 0) == ETIMEDOUT,
	      "still revoked after the restore, before an access");
	CHECK(rc_pair_write(&p, user, 0, 64, 0, bar->rkey) == IBV_WC_SUCCESS,
	      "a write after the restore succeeds");
	err = dmrdv_query_mr(bar, &a, sizeof(a));
	CHECK(!err && a.state == DMRDV_MR_STATE_VALID && a.remaps == 1 &&
	      a.invalidations == 1 && a.revokes == 1,
	      "valid again, mapped again once (remaps %llu)",
	      (unsigned long long)a.remaps);
	CHECK(signalled(efd, 1000), "the eventfd signals the new mapping");
	CHECK(!dmrdv_mr_remove_event_fd(bar, efd), "remove the eventfd");

	ibv_dereg_mr(host);
	ibv_dereg_mr(bar);
	ibv_dereg_mr(user);
	rc_pair_close(&p);
	close(efd);
	close(ufd);
	close(fd);
	ibvx_vfio_close(vfio);
	return check_report();
}
