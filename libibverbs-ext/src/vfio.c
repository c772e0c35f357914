// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Open a PCI function bound to vfio-pci and export BAR ranges as dma-bufs.
 *
 * Two ways in: the device cdev (/dev/vfio/devices/vfioN bound to an
 * iommufd) and the legacy group (/dev/vfio/N or /dev/vfio/noiommu-N in a
 * container). A device without an IOMMU ("noiommu") has no cdev before
 * Linux 7.x grows one, so IBVX_VFIO_ANY falls back to the group path.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "ibvx_priv.h"
#include "vfio_compat.h"

struct ibvx_vfio {
	char pci_addr[24];
	enum ibvx_vfio_path path;
	int device_fd;
	int group_fd;
	int container_fd;
	int iommufd;
	uint64_t config_offset;
};

/* Tests point this at a fake tree; applications never need to. */
static const char *sysfs_root(void)
{
	const char *root = getenv("IBVX_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/*
 * DDDD:BB:DD.F, the domain of four to eight hex digits: Linux gives
 * wider domains to PCI segments behind VMD and Hyper-V's virtual PCI.
 */
static bool valid_pci_addr(const char *addr)
{
	unsigned int bus, dev, fn;
	int n = 0, dom_len;

	if (!addr || strlen(addr) > 20)
		return false;
	dom_len = strspn(addr, "0123456789abcdefABCDEF");
	if (dom_len < 4 || dom_len > 8 || addr[dom_len] != ':')
		return false;
	return sscanf(addr + dom_len, ":%2x:%2x.%1x%n", &bus, &dev, &fn,
		      &n) == 3 && addr[dom_len + n] == 0 &&
	       strlen(addr + dom_len) == 8 && dev < 32 && fn < 8;
}

/* Basename of the symlink @dir/@link, or "" if there is none. */
static void link_name(const char *dir, const char *link, char *out,
		      size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
}

/*
 * Whether @driver, bound to the function at @devdir, is a VFIO PCI
 * driver: vfio-pci itself or one of its variant drivers, which share
 * vfio-pci-core and export BARs the same way (nvgrace_gpu_vfio_pci for
 * Grace-Hopper GPUs, mlx5_vfio_pci, virtio_vfio_pci, ...). A VFIO device
 * has a vfio-dev directory when the kernel has device cdevs; without
 * them, variant drivers are known by their names.
 */
static bool is_vfio_pci_driver(const char *devdir, const char *driver)
{
	char path[PATH_MAX];
	size_t n = strlen(driver);

	if (!strcmp(driver, "vfio-pci"))
		return true;
	snprintf(path, sizeof(path), "%s/vfio-dev", devdir);
	if (!access(path, F_OK))
		return true;
	return n > 9 && (!strcmp(driver + n - 9, "_vfio_pci") ||
			 !strcmp(driver + n - 9, "-vfio-pci"));
}

static int check_bound_to_vfio(const char *pci_addr, char *devdir,
			       size_t len)
{
	char driver[64];

	snprintf(devdir, len, "%s/bus/pci/devices/%s", sysfs_root(), pci_addr);
	if (access(devdir, F_OK))
		return ibvx_fail(ENODEV, "no PCI function %s (%s does not exist)",
				 pci_addr, devdir);
	link_name(devdir, "driver", driver, sizeof(driver));
	if (!driver[0])
		return ibvx_fail(EBUSY,
				 "%s is not bound to any driver; bind it to vfio-pci: echo vfio-pci > %s/driver_override; echo %s > %s/bus/pci/drivers_probe",
				 pci_addr, devdir, pci_addr, sysfs_root());
	if (!is_vfio_pci_driver(devdir, driver))
		return ibvx_fail(EBUSY,
				 "%s is bound to %s, which is not a VFIO driver; unbind it and bind vfio-pci or its variant driver for this device (driver_override)",
				 pci_addr, driver);
	return 0;
}

static int errno_fail(int err, const char *what, const char *pci_addr)
{
	if (err == EACCES || err == EPERM)
		return ibvx_fail(EACCES, "%s for %s: permission denied (needs access to /dev/vfio and, for no-IOMMU devices, CAP_SYS_RAWIO)",
				 what, pci_addr);
	return ibvx_fail(err, "%s for %s: %s", what, pci_addr, strerror(err));
}

static int open_cdev(struct ibvx_vfio *v, const char *devdir)
{
	char dir[PATH_MAX], name[NAME_MAX + 1] = "", node[PATH_MAX + 32];
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/vfio-dev", devdir);
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "vfio", 4))
				snprintf(name, sizeof(name), "%s", de->d_name);
		closedir(d);
	}
	if (!name[0])
		return ibvx_fail(ENOENT,
				 "%s has no VFIO device cdev (kernel without CONFIG_VFIO_DEVICE_CDEV, or a no-IOMMU device, which only the group path serves)",
				 v->pci_addr);

	snprintf(node, sizeof(node), "/dev/vfio/devices/%s", name);
	v->device_fd = open(node, O_RDWR | O_CLOEXEC);
	if (v->device_fd < 0)
		return errno_fail(errno, "opening the VFIO cdev", v->pci_addr);
	v->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (v->iommufd < 0)
		return errno_fail(errno, "opening /dev/iommu", v->pci_addr);
	bind.iommufd = v->iommufd;
	if (ioctl(v->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return errno_fail(errno, "binding the VFIO cdev to iommufd", v->pci_addr);
	if (ioctl(v->iommufd, IOMMU_IOAS_ALLOC, &ioas))
		return errno_fail(errno, "allocating an iommufd IOAS", v->pci_addr);
	attach.pt_id = ioas.out_ioas_id;
	if (ioctl(v->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return errno_fail(errno, "attaching the device to its IOAS", v->pci_addr);
	v->path = IBVX_VFIO_CDEV;
	return 0;
}

static int open_group(struct ibvx_vfio *v, const char *devdir)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char group[64], node[PATH_MAX];
	int iommu_type;

	link_name(devdir, "iommu_group", group, sizeof(group));
	if (!group[0])
		return ibvx_fail(ENOENT, "%s has no IOMMU group", v->pci_addr);

	snprintf(node, sizeof(node), "/dev/vfio/%s", group);
	iommu_type = VFIO_TYPE1v2_IOMMU;
	v->group_fd = open(node, O_RDWR | O_CLOEXEC);
	if (v->group_fd < 0 && errno == ENOENT) {
		snprintf(node, sizeof(node), "/dev/vfio/noiommu-%s", group);
		iommu_type = VFIO_NOIOMMU_IOMMU;
		v->group_fd = open(node, O_RDWR | O_CLOEXEC);
	}
	if (v->group_fd < 0)
		return errno_fail(errno, "opening the VFIO group", v->pci_addr);
	if (ioctl(v->group_fd, VFIO_GROUP_GET_STATUS, &status))
		return errno_fail(errno, "VFIO_GROUP_GET_STATUS", v->pci_addr);
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return ibvx_fail(EBUSY,
				 "the IOMMU group of %s is not viable: bind every device of the group to vfio-pci",
				 v->pci_addr);

	v->container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container_fd < 0)
		return errno_fail(errno, "opening /dev/vfio/vfio", v->pci_addr);
	if (ioctl(v->group_fd, VFIO_GROUP_SET_CONTAINER, &v->container_fd))
		return errno_fail(errno, "VFIO_GROUP_SET_CONTAINER", v->pci_addr);
	if (ioctl(v->container_fd, VFIO_SET_IOMMU, iommu_type))
		return errno_fail(errno, "VFIO_SET_IOMMU", v->pci_addr);
	v->device_fd = ioctl(v->group_fd, VFIO_GROUP_GET_DEVICE_FD, v->pci_addr);
	if (v->device_fd < 0)
		return errno_fail(errno, "VFIO_GROUP_GET_DEVICE_FD", v->pci_addr);
	v->path = IBVX_VFIO_GROUP;
	return 0;
}

static int region_info(struct ibvx_vfio *v, unsigned int index,
		       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_REGION_INFO, info))
		return errno_fail(errno, "VFIO_DEVICE_GET_REGION_INFO", v->pci_addr);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ibvx_vfio_close(struct ibvx_vfio *vfio)
{
	if (!vfio)
		return;
	close_fd(&vfio->device_fd);
	close_fd(&vfio->group_fd);
	close_fd(&vfio->container_fd);
	close_fd(&vfio->iommufd);
	free(vfio);
}

int ibvx_vfio_open(const char *pci_addr, enum ibvx_vfio_path path,
		   struct ibvx_vfio **vfio)
{
	struct vfio_region_info cfg;
	char devdir[PATH_MAX];
	struct ibvx_vfio *v;
	int err;

	if (!vfio)
		return ibvx_fail(EINVAL, "ibvx_vfio_open: vfio is NULL");
	*vfio = NULL;
	if (!valid_pci_addr(pci_addr))
		return ibvx_fail(EINVAL,
				 "'%s' is not a PCI address of the form 0000:00:04.0",
				 pci_addr ? pci_addr : "(null)");
	if (path != IBVX_VFIO_ANY && path != IBVX_VFIO_CDEV &&
	    path != IBVX_VFIO_GROUP)
		return ibvx_fail(EINVAL, "unknown VFIO path %d", path);
	err = check_bound_to_vfio(pci_addr, devdir, sizeof(devdir));
	if (err)
		return err;

	v = calloc(1, sizeof(*v));
	if (!v)
		return ibvx_fail(ENOMEM, "out of memory");
	snprintf(v->pci_addr, sizeof(v->pci_addr), "%s", pci_addr);
	v->device_fd = v->group_fd = v->container_fd = v->iommufd = -1;

	if (path == IBVX_VFIO_CDEV) {
		err = open_cdev(v, devdir);
	} else if (path == IBVX_VFIO_GROUP) {
		err = open_group(v, devdir);
	} else {
		err = open_cdev(v, devdir);
		if (err == ENOENT) {
			close_fd(&v->device_fd);
			close_fd(&v->iommufd);
			err = open_group(v, devdir);
		}
	}
	if (!err)
		err = region_info(v, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (!err) {
		v->config_offset = cfg.offset;
		err = ibvx_vfio_set_memory_enabled(v, true);
	}
	if (err) {
		ibvx_vfio_close(v);
		return err;
	}
	*vfio = v;
	return 0;
}

enum ibvx_vfio_path ibvx_vfio_path(const struct ibvx_vfio *vfio)
{
	return vfio ? vfio->path : IBVX_VFIO_ANY;
}

int ibvx_vfio_bar_size(struct ibvx_vfio *vfio, unsigned int bar,
		       uint64_t *size)
{
	struct vfio_region_info info;
	int err;

	if (!vfio || !size)
		return ibvx_fail(EINVAL, "ibvx_vfio_bar_size: NULL argument");
	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return ibvx_fail(EINVAL, "BAR %u does not exist (0 to 5)", bar);
	err = region_info(vfio, VFIO_PCI_BAR0_REGION_INDEX + bar, &info);
	if (err)
		return err;
	if (!info.size || !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return ibvx_fail(ENXIO,
				 "BAR %u of %s is not a memory BAR (size %llu, flags 0x%x)",
				 bar, vfio->pci_addr, (unsigned long long)info.size,
				 info.flags);
	*size = info.size;
	return 0;
}

int ibvx_vfio_bar_export(struct ibvx_vfio *vfio, unsigned int bar,
			 const struct ibvx_range *ranges, unsigned int nr_ranges,
			 int *dmabuf_fd)
{
	uint64_t page = sysconf(_SC_PAGESIZE), bar_size, end;
	struct vfio_device_feature_dma_buf *get;
	struct vfio_device_feature *feature;
	struct vfio_device_feature probe = {
		.argsz = sizeof(probe),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};
	size_t argsz;
	unsigned int i;
	int err, fd;

	if (!vfio || !dmabuf_fd || !ranges)
		return ibvx_fail(EINVAL, "ibvx_vfio_bar_export: NULL argument");
	*dmabuf_fd = -1;
	if (!nr_ranges || nr_ranges > 1024)
		return ibvx_fail(EINVAL, "between 1 and 1024 ranges, not %u",
				 nr_ranges);
	err = ibvx_vfio_bar_size(vfio, bar, &bar_size);
	if (err)
		return err;
	for (i = 0; i < nr_ranges; i++) {
		if (!ranges[i].length || ranges[i].offset % page ||
		    ranges[i].length % page)
			return ibvx_fail(EINVAL,
					 "range %u (offset 0x%llx, length 0x%llx) is empty or not page aligned",
					 i, (unsigned long long)ranges[i].offset,
					 (unsigned long long)ranges[i].length);
		if (__builtin_add_overflow(ranges[i].offset, ranges[i].length,
					   &end) || end > bar_size)
			return ibvx_fail(EINVAL,
					 "range %u (offset 0x%llx, length 0x%llx) ends past BAR %u (0x%llx bytes)",
					 i, (unsigned long long)ranges[i].offset,
					 (unsigned long long)ranges[i].length, bar,
					 (unsigned long long)bar_size);
	}
	if (ioctl(vfio->device_fd, VFIO_DEVICE_FEATURE, &probe))
		return ibvx_fail(EOPNOTSUPP,
				 "the kernel cannot export VFIO dma-bufs for %s (VFIO_DEVICE_FEATURE_DMA_BUF: %s); it needs Linux 6.19 or later with CONFIG_VFIO_PCI_DMABUF",
				 vfio->pci_addr, strerror(errno));

	argsz = sizeof(*feature) + sizeof(*get) +
		nr_ranges * sizeof(struct vfio_region_dma_range);
	feature = calloc(1, argsz);
	if (!feature)
		return ibvx_fail(ENOMEM, "out of memory");
	feature->argsz = argsz;
	feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	get = (void *)feature->data;
	get->region_index = VFIO_PCI_BAR0_REGION_INDEX + bar;
	get->open_flags = O_RDWR | O_CLOEXEC;
	get->nr_ranges = nr_ranges;
	for (i = 0; i < nr_ranges; i++) {
		get->dma_ranges[i].offset = ranges[i].offset;
		get->dma_ranges[i].length = ranges[i].length;
	}
	fd = ioctl(vfio->device_fd, VFIO_DEVICE_FEATURE, feature);
	err = errno;
	free(feature);
	if (fd < 0)
		return errno_fail(err, "exporting a BAR dma-buf", vfio->pci_addr);
	*dmabuf_fd = fd;
	return 0;
}

int ibvx_vfio_bar_mmap(struct ibvx_vfio *vfio, unsigned int bar, void **addr,
		       uint64_t *size)
{
	struct vfio_region_info info;
	void *p;
	int err;

	if (!vfio || !addr || !size)
		return ibvx_fail(EINVAL, "ibvx_vfio_bar_mmap: NULL argument");
	err = ibvx_vfio_bar_size(vfio, bar, size);
	if (err)
		return err;
	err = region_info(vfio, VFIO_PCI_BAR0_REGION_INDEX + bar, &info);
	if (err)
		return err;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vfio->device_fd, info.offset);
	if (p == MAP_FAILED)
		return errno_fail(errno, "mapping the BAR", vfio->pci_addr);
	*addr = p;
	return 0;
}

int ibvx_vfio_bar_munmap(void *addr, uint64_t size)
{
	if (munmap(addr, size))
		return ibvx_fail(errno, "munmap of a BAR: %s", strerror(errno));
	return 0;
}

int ibvx_vfio_set_memory_enabled(struct ibvx_vfio *vfio, bool enabled)
{
	uint16_t cmd;
	off_t off;

	if (!vfio)
		return ibvx_fail(EINVAL, "ibvx_vfio_set_memory_enabled: vfio is NULL");
	off = vfio->config_offset + PCI_COMMAND;
	/* Configuration space is little endian, whatever the CPU. */
	if (pread(vfio->device_fd, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno_fail(errno, "reading PCI_COMMAND", vfio->pci_addr);
	cmd = le16toh(cmd);
	if (enabled)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	cmd = htole16(cmd);
	if (pwrite(vfio->device_fd, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno_fail(errno, "writing PCI_COMMAND", vfio->pci_addr);
	return 0;
}

int ibvx_vfio_reset(struct ibvx_vfio *vfio)
{
	if (!vfio)
		return ibvx_fail(EINVAL, "ibvx_vfio_reset: vfio is NULL");
	if (ioctl(vfio->device_fd, VFIO_DEVICE_RESET))
		return errno_fail(errno, "VFIO_DEVICE_RESET", vfio->pci_addr);
	return 0;
}
