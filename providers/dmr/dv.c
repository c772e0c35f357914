// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* dmrdv: dmr's direct verbs (dmrdv.h) and dma-buf MR registration. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/cmd_ioctl.h>

#include "dmr.h"
#include "dmrdv.h"

bool dmrdv_is_supported(struct ibv_device *device)
{
	return dmr_is_dmr_device(device);
}

struct ibv_mr *dmr_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
				 size_t length, uint64_t iova, int fd,
				 int access)
{
	struct verbs_mr *vmr;
	int err;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	err = ibv_cmd_reg_dmabuf_mr(pd, offset, length, iova, fd, access, vmr,
				    NULL);
	if (err) {
		free(vmr);
		errno = err;
		return NULL;
	}
	return &vmr->ibv_mr;
}

int dmrdv_query_mr(struct ibv_mr *mr, struct dmrdv_mr_attr *attr,
		   uint32_t inlen)
{
	struct dmr_mr_query_resp resp = {};
	int err;

	DECLARE_COMMAND_BUFFER(cmd, UVERBS_OBJECT_MR, DMR_IB_METHOD_MR_QUERY,
			       2);

	if (!dmr_is_dmr_device(mr->context->device))
		return EOPNOTSUPP;
	if (inlen < offsetof(struct dmrdv_mr_attr, revokes) +
		    sizeof(attr->revokes))
		return EINVAL;
	fill_attr_in_obj(cmd, DMR_IB_ATTR_QUERY_MR_HANDLE, mr->handle);
	fill_attr_out_ptr(cmd, DMR_IB_ATTR_QUERY_MR_RESP, &resp);
	err = execute_ioctl(mr->context, cmd);
	if (err)
		return err;
	memset(attr, 0, inlen);
	attr->backend = resp.backend;
	attr->state = resp.state;
	attr->invalidations = resp.invalidations;
	attr->remaps = resp.remaps;
	attr->revokes = resp.revokes;
	return 0;
}

static int dmr_mr_eventfd(struct ibv_mr *mr, int event_fd, uint32_t op)
{
	int32_t fd = event_fd;

	DECLARE_COMMAND_BUFFER(cmd, UVERBS_OBJECT_MR, DMR_IB_METHOD_MR_EVENTFD,
			       3);

	if (!dmr_is_dmr_device(mr->context->device))
		return EOPNOTSUPP;
	fill_attr_in_obj(cmd, DMR_IB_ATTR_MR_EVENTFD_HANDLE, mr->handle);
	fill_attr_in_ptr(cmd, DMR_IB_ATTR_MR_EVENTFD_FD, &fd);
	fill_attr_const_in(cmd, DMR_IB_ATTR_MR_EVENTFD_OP, op);
	return execute_ioctl(mr->context, cmd);
}

int dmrdv_mr_add_event_fd(struct ibv_mr *mr, int event_fd)
{
	return dmr_mr_eventfd(mr, event_fd, DMR_MR_EVENTFD_ADD);
}

int dmrdv_mr_remove_event_fd(struct ibv_mr *mr, int event_fd)
{
	return dmr_mr_eventfd(mr, event_fd, DMR_MR_EVENTFD_REMOVE);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int dmrdv_mr_wait_state(struct ibv_mr *mr,
			const struct dmrdv_mr_wait_attr *wait,
			struct dmrdv_mr_attr *attr, uint32_t inlen)
{
	int64_t deadline, left;
	struct dmrdv_mr_attr last;
	struct pollfd pfd;
	uint64_t count;
	int err, efd;

	if (!wait)
		return EINVAL;
	if (wait->comp_mask)
		return EOPNOTSUPP;
	if (attr && inlen < offsetof(struct dmrdv_mr_attr, revokes) +
			    sizeof(attr->revokes))
		return EINVAL;
	deadline = now_ms() + wait->timeout_ms;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return errno;
	/* Armed before the first query, so no change can slip between. */
	err = dmrdv_mr_add_event_fd(mr, efd);
	if (err)
		goto out;
	for (;;) {
		err = dmrdv_query_mr(mr, &last, sizeof(last));
		if (err || (wait->states & (1U << last.state)))
			break;
		left = wait->timeout_ms < 0 ? -1 : deadline - now_ms();
		if (wait->timeout_ms >= 0 && left <= 0) {
			err = ETIMEDOUT;
			break;
		}
		pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
		if (poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left) < 0 &&
		    errno != EINTR) {
			err = errno;
			break;
		}
		if (read(efd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
			err = errno;
			break;
		}
	}
	dmrdv_mr_remove_event_fd(mr, efd);
	if (attr && (!err || err == ETIMEDOUT)) {
		memset(attr, 0, inlen);
		memcpy(attr, &last, sizeof(last) < inlen ? sizeof(last) : inlen);
	}
out:
	close(efd);
	return err;
}
