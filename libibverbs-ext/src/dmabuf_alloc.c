// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Host-memory dma-bufs: udmabuf over a memfd, and dma-heaps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "ibvx_priv.h"

static int check_size(size_t size)
{
	size_t page = sysconf(_SC_PAGESIZE);

	if (!size || size % page)
		return ibvx_fail(EINVAL,
				 "size %zu is not a non-zero multiple of the page size (%zu)",
				 size, page);
	return 0;
}

int ibvx_udmabuf_alloc(size_t size, int *dmabuf_fd, int *memfd)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int err, mfd, dev, fd;

	if (!dmabuf_fd)
		return ibvx_fail(EINVAL, "ibvx_udmabuf_alloc: dmabuf_fd is NULL");
	*dmabuf_fd = -1;
	if (memfd)
		*memfd = -1;
	err = check_size(size);
	if (err)
		return err;

	mfd = memfd_create("ibvx-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0)
		return ibvx_fail(errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(mfd, size) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		err = ibvx_fail(errno, "preparing the memfd: %s", strerror(errno));
		goto out_memfd;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		err = ibvx_fail(errno == ENOENT ? EOPNOTSUPP : errno,
				"/dev/udmabuf: %s (kernel without CONFIG_UDMABUF?)",
				strerror(errno));
		goto out_memfd;
	}
	create.memfd = mfd;
	create.size = size;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	err = errno;
	close(dev);
	if (fd < 0) {
		err = ibvx_fail(err, "UDMABUF_CREATE of %zu bytes: %s", size,
				strerror(err));
		goto out_memfd;
	}
	*dmabuf_fd = fd;
	if (memfd) {
		*memfd = mfd;
		return 0;
	}
	err = 0;
out_memfd:
	close(mfd);
	return err;
}

int ibvx_dma_heap_alloc(const char *heap, size_t size, int *dmabuf_fd)
{
	struct dma_heap_allocation_data data = {
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[PATH_MAX];
	int err, dev;

	if (!dmabuf_fd || !heap || !*heap || strchr(heap, '/'))
		return ibvx_fail(EINVAL, "ibvx_dma_heap_alloc: bad heap name or NULL fd");
	*dmabuf_fd = -1;
	err = check_size(size);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	dev = open(path, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return ibvx_fail(errno == ENOENT ? EOPNOTSUPP : errno,
				 "%s: %s (no such dma-heap?)", path, strerror(errno));
	data.len = size;
	if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &data)) {
		err = errno;
		close(dev);
		return ibvx_fail(err, "allocating %zu bytes from %s: %s", size,
				 path, strerror(err));
	}
	close(dev);
	*dmabuf_fd = data.fd;
	return 0;
}
