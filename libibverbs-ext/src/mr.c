// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dma-buf MRs: probe, register, and track their state.
 *
 * The state of a dma-buf MR is only known to the device. dmr reports it
 * through its direct verbs (dmrdv.h, in the dmr provider); any other
 * device does not, and its MRs are "untracked". libibverbs-ext does not
 * link libdmr, so that applications using this library run on every
 * device: it asks the library libibverbs loaded for the MR's context
 * whether it has dmrdv.h's calls, whatever that library's file is named.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dmrdv.h"	/* providers/dmr: the declarations only */

#include "ibvx_priv.h"

/* The dmrdv.h calls this file uses, resolved in the loaded provider. */
struct dmrdv_calls {
	void *handle;
	__typeof__(&dmrdv_is_supported) is_supported;
	__typeof__(&dmrdv_query_mr) query_mr;
	__typeof__(&dmrdv_mr_add_event_fd) add_event_fd;
	__typeof__(&dmrdv_mr_wait_state) wait_state;
};

struct ibvx_mr {
	struct ibv_mr *mr;
	struct dmrdv_calls dv;		/* dv.handle NULL: untracked */
	pthread_mutex_t lock;		/* @event_fd's creation */
	int event_fd;			/* -1 until ibvx_mr_event_fd() */
};

/* ibvx_mr_state() and ibvx_mr_wait_state() rely on one numbering. */
_Static_assert((int)IBVX_MR_VALID == DMRDV_MR_STATE_VALID &&
	       (int)IBVX_MR_INVALIDATED == DMRDV_MR_STATE_INVALIDATED &&
	       (int)IBVX_MR_REVOKED == DMRDV_MR_STATE_REVOKED,
	       "ibvx_mr_state follows dmrdv_mr_state");

/*
 * The provider of @ctx: the library that holds its fast-path calls,
 * which libibverbs took from the provider it loaded for the device (a
 * provider built into libibverbs or the program resolves in the global
 * scope instead). NULL if it cannot be found.
 */
static void *provider_handle(struct ibv_context *ctx)
{
	Dl_info info;
	void *handle;

	if (!dladdr((void *)(uintptr_t)ctx->ops.post_send, &info) ||
	    !info.dli_fname)
		return NULL;
	handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
	return handle ? handle : dlopen(NULL, RTLD_NOW);
}

/* Resolve dmrdv.h in the provider of @ctx; false if not a dmr device. */
static bool dmrdv_open(struct ibv_context *ctx, struct dmrdv_calls *dv)
{
	memset(dv, 0, sizeof(*dv));
	dv->handle = provider_handle(ctx);
	if (!dv->handle)
		return false;
	dv->is_supported = dlsym(dv->handle, "dmrdv_is_supported");
	dv->query_mr = dlsym(dv->handle, "dmrdv_query_mr");
	dv->add_event_fd = dlsym(dv->handle, "dmrdv_mr_add_event_fd");
	dv->wait_state = dlsym(dv->handle, "dmrdv_mr_wait_state");
	if (dv->is_supported && dv->query_mr && dv->add_event_fd &&
	    dv->wait_state && dv->is_supported(ctx->device))
		return true;
	dlclose(dv->handle);
	dv->handle = NULL;
	return false;
}

/*
 * Whether @fd is a dma-buf; @what receives what it is (its /proc/self/fd
 * link: dma-bufs read "/dmabuf:NAME", others "/memfd:x", "socket:[n]"...).
 */
static bool fd_is_dmabuf(int fd, char *what, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, what, len - 1);
	if (n < 0) {
		snprintf(what, len, "not an open fd");
		return false;
	}
	what[n] = 0;
	return !strncmp(what, "/dmabuf:", 8);
}

static bool unsupported_errno(int err)
{
	return err == EOPNOTSUPP || err == EPROTONOSUPPORT || err == ENOSYS;
}

int ibvx_dmabuf_mr_probe(struct ibv_pd *pd)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ibv_mr *mr;
	int err;

	if (!pd)
		return ibvx_fail(EINVAL, "ibvx_dmabuf_mr_probe: no PD");
	mr = ibv_reg_dmabuf_mr(pd, 0, page, 0, -1, IBV_ACCESS_LOCAL_WRITE);
	if (mr) {
		/* No device should accept fd -1; it did, so it has the verb. */
		ibv_dereg_mr(mr);
		return 0;
	}
	err = errno;
	if (err == EBADF)
		return 0;
	if (unsupported_errno(err))
		return ibvx_fail(EOPNOTSUPP,
				 "%s does not support dma-buf MRs (ibv_reg_dmabuf_mr: %s)",
				 ibv_get_device_name(pd->context->device),
				 strerror(err));
	return ibvx_fail(err,
			 "probing dma-buf MRs on %s: ibv_reg_dmabuf_mr(fd -1) failed with %s instead of EBADF",
			 ibv_get_device_name(pd->context->device),
			 strerror(err));
}

int ibvx_reg_dmabuf_mr_ex(struct ibv_pd *pd,
			  const struct ibvx_dmabuf_mr_init_attr *attr,
			  struct ibvx_mr **mr)
{
	const char *dev;
	struct ibvx_mr *m;
	int err;

	if (!pd || !attr || !mr)
		return ibvx_fail(EINVAL, "ibvx_reg_dmabuf_mr: %s is NULL",
				 !pd ? "pd" : !attr ? "attr" : "mr");
	if (attr->comp_mask)
		return ibvx_fail(EOPNOTSUPP,
				 "ibvx_reg_dmabuf_mr_ex: comp_mask %#llx has bits this library does not know",
				 (unsigned long long)attr->comp_mask);
	if (!attr->length)
		return ibvx_fail(EINVAL, "ibvx_reg_dmabuf_mr: length is 0");
	if (attr->length > SIZE_MAX)
		return ibvx_fail(EINVAL, "ibvx_reg_dmabuf_mr: length %llu is beyond size_t",
				 (unsigned long long)attr->length);
	if (attr->fd < 0)
		return ibvx_fail(EBADF, "ibvx_reg_dmabuf_mr: fd %d is not a dma-buf",
				 attr->fd);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ibvx_fail(ENOMEM, "ibvx_reg_dmabuf_mr: out of memory");
	m->event_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	dev = ibv_get_device_name(pd->context->device);
	m->mr = ibv_reg_dmabuf_mr(pd, attr->offset, attr->length, attr->iova,
				  attr->fd, attr->access);
	if (!m->mr) {
		char what[256];

		err = errno;
		free(m);
		if (!fd_is_dmabuf(attr->fd, what, sizeof(what)))
			return ibvx_fail(err,
					 "ibv_reg_dmabuf_mr on %s: fd %d is not a dma-buf (%s): %s",
					 dev, attr->fd, what, strerror(err));
		return ibvx_fail(err,
				 "ibv_reg_dmabuf_mr on %s (offset %#llx, length %llu, fd %d): %s; %s",
				 dev, (unsigned long long)attr->offset,
				 (unsigned long long)attr->length, attr->fd,
				 strerror(err), ibvx_strerror(err));
	}
	dmrdv_open(pd->context, &m->dv);
	*mr = m;
	return 0;
}

int ibvx_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
		       uint64_t iova, int dmabuf_fd, int access,
		       struct ibvx_mr **mr)
{
	struct ibvx_dmabuf_mr_init_attr attr = {
		.fd = dmabuf_fd,
		.access = access,
		.offset = offset,
		.length = length,
		.iova = iova,
	};

	return ibvx_reg_dmabuf_mr_ex(pd, &attr, mr);
}

int ibvx_dereg_mr(struct ibvx_mr *mr)
{
	int err;

	if (!mr)
		return 0;
	err = ibv_dereg_mr(mr->mr);
	if (err)
		return ibvx_fail(err, "ibv_dereg_mr: %s", strerror(err));
	/* The kernel forgot the eventfd with the MR. */
	if (mr->event_fd >= 0)
		close(mr->event_fd);
	if (mr->dv.handle)
		dlclose(mr->dv.handle);
	pthread_mutex_destroy(&mr->lock);
	free(mr);
	return 0;
}

struct ibv_mr *ibvx_mr_ibv(struct ibvx_mr *mr)
{
	return mr->mr;
}

enum ibvx_mr_state ibvx_mr_state(struct ibvx_mr *mr)
{
	struct dmrdv_mr_attr attr;

	int err;

	if (!mr->dv.handle)
		return IBVX_MR_UNTRACKED;
	err = mr->dv.query_mr(mr->mr, &attr, sizeof(attr));
	if (err) {
		ibvx_fail(err, "dmrdv_query_mr: %s", strerror(err));
		return IBVX_MR_UNKNOWN;
	}
	return (enum ibvx_mr_state)attr.state;
}

static int untracked(struct ibvx_mr *mr, const char *call)
{
	return ibvx_fail(EOPNOTSUPP,
			 "%s: %s does not report the state of its MRs (only dmr does)",
			 call, ibv_get_device_name(mr->mr->context->device));
}

int ibvx_mr_event_fd(struct ibvx_mr *mr, int *fd)
{
	int efd, err;

	if (!mr->dv.handle)
		return untracked(mr, "ibvx_mr_event_fd");
	/* One eventfd per MR, however many threads ask at once. */
	pthread_mutex_lock(&mr->lock);
	if (mr->event_fd < 0) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0) {
			err = ibvx_fail(errno, "eventfd: %s", strerror(errno));
			goto out;
		}
		err = mr->dv.add_event_fd(mr->mr, efd);
		if (err) {
			close(efd);
			err = ibvx_fail(err, "dmrdv_mr_add_event_fd: %s",
					strerror(err));
			goto out;
		}
		mr->event_fd = efd;
	}
	*fd = mr->event_fd;
	err = 0;
out:
	pthread_mutex_unlock(&mr->lock);
	return err;
}

void ibvx_mr_ack_event(struct ibvx_mr *mr)
{
	uint64_t count;
	ssize_t n;

	if (mr->event_fd < 0)
		return;
	/* Non-blocking: EAGAIN (nothing pending) is as good as a read. */
	n = read(mr->event_fd, &count, sizeof(count));
	(void)n;
}

int ibvx_mr_wait(struct ibvx_mr *mr, const struct ibvx_mr_wait_attr *attr,
		 enum ibvx_mr_state *state)
{
	const uint32_t waitable = 1u << IBVX_MR_VALID |
				  1u << IBVX_MR_INVALIDATED |
				  1u << IBVX_MR_REVOKED;
	struct dmrdv_mr_wait_attr wait;
	struct dmrdv_mr_attr last;
	int err;

	if (!mr || !attr)
		return ibvx_fail(EINVAL, "ibvx_mr_wait: %s is NULL",
				 mr ? "attr" : "mr");
	if (attr->comp_mask)
		return ibvx_fail(EOPNOTSUPP,
				 "ibvx_mr_wait: comp_mask %#llx has bits this library does not know",
				 (unsigned long long)attr->comp_mask);
	if (!attr->states || attr->states & ~waitable)
		return ibvx_fail(EINVAL, "ibvx_mr_wait: states %#x cannot be waited for (valid, invalidated, revoked: %#x)",
				 attr->states, waitable);
	if (!mr->dv.handle)
		return untracked(mr, "ibvx_mr_wait");
	wait = (struct dmrdv_mr_wait_attr){
		.states = attr->states,
		.timeout_ms = attr->timeout_ms,
	};
	err = mr->dv.wait_state(mr->mr, &wait, &last, sizeof(last));
	if (err == ETIMEDOUT)
		return ibvx_fail(err, "the MR stayed %s for %d ms",
				 ibvx_mr_state_str((enum ibvx_mr_state)last.state),
				 attr->timeout_ms);
	if (err)
		return ibvx_fail(err, "dmrdv_mr_wait_state: %s", strerror(err));
	if (state)
		*state = (enum ibvx_mr_state)last.state;
	return 0;
}

int ibvx_mr_wait_state(struct ibvx_mr *mr, enum ibvx_mr_state state,
		       int timeout_ms)
{
	struct ibvx_mr_wait_attr attr = { .timeout_ms = timeout_ms };

	if ((unsigned int)state > IBVX_MR_REVOKED)
		return ibvx_fail(EINVAL, "ibvx_mr_wait_state: state %d cannot be waited for",
				 state);
	attr.states = 1u << state;
	return ibvx_mr_wait(mr, &attr, NULL);
}

const char *ibvx_mr_state_str(enum ibvx_mr_state state)
{
	switch (state) {
	case IBVX_MR_VALID:
		return "valid";
	case IBVX_MR_INVALIDATED:
		return "invalidated";
	case IBVX_MR_REVOKED:
		return "revoked";
	case IBVX_MR_UNTRACKED:
		return "untracked";
	case IBVX_MR_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}
