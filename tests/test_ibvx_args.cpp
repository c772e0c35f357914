// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
// libibverbs-ext: argument handling and error reporting, host-side. The
// real VFIO, udmabuf and dma-heap paths run in the guest (pyverbs-tests).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>

namespace {

// A fake sysfs tree with one PCI function, bound to @driver ("" = none).
class FakeSysfs {
public:
	explicit FakeSysfs(const std::string &driver,
			   const std::string &addr = "0000:00:04.0")
	{
		char tmpl[] = "/tmp/ibvx-sysfs-XXXXXX";

		root_ = mkdtemp(tmpl);
		dev_ = root_ + "/bus/pci/devices/" + addr;
		run("mkdir -p " + dev_ + " " + root_ + "/bus/pci/drivers/" +
		    (driver.empty() ? "none" : driver));
		if (!driver.empty()) {
			EXPECT_EQ(symlink(("../../drivers/" + driver).c_str(),
					  (dev_ + "/driver").c_str()), 0);
		}
		setenv("IBVX_SYSFS_ROOT", root_.c_str(), 1);
	}
	~FakeSysfs()
	{
		unsetenv("IBVX_SYSFS_ROOT");
		run("rm -rf " + root_);
	}

	// The directory VFIO makes for a device it drives (with cdevs).
	void add_vfio_dev()
	{
		run("mkdir -p " + dev_ + "/vfio-dev/vfio0");
	}

private:
	static void run(const std::string &cmd)
	{
		ASSERT_EQ(system(cmd.c_str()), 0) << cmd;
	}
	std::string root_, dev_;
};

bool mentions(const char *haystack, const char *needle)
{
	return std::string(haystack).find(needle) != std::string::npos;
}

} // namespace

TEST(IbvxVfio, RejectsMalformedPciAddresses)
{
	struct ibvx_vfio *v = reinterpret_cast<struct ibvx_vfio *>(1);

	for (const char *bad : {"", "00:04.0", "0000:00:04", "0000:00:04.8",
				"0000:00:20.0", "0000:00:04.0x", "zzzz:00:04.0",
				"000:00:04.0", "123456789:00:04.0",
				"0000:000:04.0", "0000:00:004.0"}) {
		EXPECT_EQ(ibvx_vfio_open(bad, IBVX_VFIO_ANY, &v), EINVAL) << bad;
		EXPECT_EQ(v, nullptr);
		EXPECT_TRUE(mentions(ibvx_last_error(), "is not a PCI address"));
	}
	EXPECT_EQ(ibvx_vfio_open(nullptr, IBVX_VFIO_ANY, &v), EINVAL);
	EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", IBVX_VFIO_ANY, nullptr), EINVAL);
	EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", (enum ibvx_vfio_path)7, &v),
		  EINVAL);
}

TEST(IbvxVfio, MissingDeviceIsENODEV)
{
	FakeSysfs sysfs("vfio-pci");
	struct ibvx_vfio *v = nullptr;

	EXPECT_EQ(ibvx_vfio_open("0000:00:05.0", IBVX_VFIO_ANY, &v), ENODEV);
	EXPECT_TRUE(mentions(ibvx_last_error(), "no PCI function 0000:00:05.0"));
}

TEST(IbvxVfio, UnboundDeviceIsEBUSYWithBindingAdvice)
{
	FakeSysfs sysfs("");
	struct ibvx_vfio *v = nullptr;

	EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", IBVX_VFIO_ANY, &v), EBUSY);
	EXPECT_TRUE(mentions(ibvx_last_error(), "not bound to any driver"));
	EXPECT_TRUE(mentions(ibvx_last_error(), "driver_override"));
}

TEST(IbvxVfio, DeviceOfAnotherDriverIsEBUSY)
{
	FakeSysfs sysfs("ivshmem");
	struct ibvx_vfio *v = nullptr;

	EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", IBVX_VFIO_GROUP, &v), EBUSY);
	EXPECT_TRUE(mentions(ibvx_last_error(),
			     "bound to ivshmem, which is not a VFIO driver"));
}

// vfio-pci's variant drivers share vfio-pci-core and export BARs alike:
// the driver check lets them through to VFIO itself (which, in a fake
// tree, finds no IOMMU group: that error proves the check was passed).
TEST(IbvxVfio, VariantDriversAreVfioDrivers)
{
	for (const char *driver : {"nvgrace_gpu_vfio_pci", "mlx5_vfio_pci",
				   "pds-vfio-pci"}) {
		FakeSysfs sysfs(driver);
		struct ibvx_vfio *v = nullptr;

		EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", IBVX_VFIO_GROUP, &v),
			  ENOENT) << driver;
		EXPECT_TRUE(mentions(ibvx_last_error(), "has no IOMMU group"))
			<< driver << ": " << ibvx_last_error();
	}
	// Any name, if VFIO made its device directory.
	FakeSysfs sysfs("hisi_acc_vfio");
	struct ibvx_vfio *v = nullptr;

	sysfs.add_vfio_dev();
	EXPECT_EQ(ibvx_vfio_open("0000:00:04.0", IBVX_VFIO_GROUP, &v), ENOENT);
	EXPECT_TRUE(mentions(ibvx_last_error(), "has no IOMMU group"));
}

// Domains wider than four hex digits (VMD, Hyper-V) are addresses too.
TEST(IbvxVfio, WidePciDomains)
{
	FakeSysfs sysfs("vfio-pci", "10000:00:04.0");
	struct ibvx_vfio *v = nullptr;

	EXPECT_EQ(ibvx_vfio_open("10000:00:04.0", IBVX_VFIO_GROUP, &v), ENOENT);
	EXPECT_TRUE(mentions(ibvx_last_error(), "has no IOMMU group"));
	EXPECT_EQ(ibvx_vfio_open("1000a:00:05.0", IBVX_VFIO_ANY, &v), ENODEV);
}

TEST(IbvxVfio, NullHandlesAreEINVAL)
{
	struct ibvx_range r = {0, 4096};
	uint64_t size;
	void *addr;
	int fd = 42;

	EXPECT_EQ(ibvx_vfio_bar_size(nullptr, 2, &size), EINVAL);
	EXPECT_EQ(ibvx_vfio_bar_export(nullptr, 2, &r, 1, &fd), EINVAL);
	EXPECT_EQ(ibvx_vfio_bar_mmap(nullptr, 2, &addr, &size), EINVAL);
	EXPECT_EQ(ibvx_vfio_set_memory_enabled(nullptr, true), EINVAL);
	EXPECT_EQ(ibvx_vfio_reset(nullptr), EINVAL);
	EXPECT_EQ(ibvx_vfio_path(nullptr), IBVX_VFIO_ANY);
	ibvx_vfio_close(nullptr);
}

TEST(IbvxAlloc, SizesMustBeWholePages)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = 42;

	EXPECT_EQ(ibvx_udmabuf_alloc(0, &fd, nullptr), EINVAL);
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(ibvx_udmabuf_alloc(page + 1, &fd, nullptr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "multiple of the page size"));
	EXPECT_EQ(ibvx_dma_heap_alloc("system", page / 2, &fd), EINVAL);
	EXPECT_EQ(ibvx_udmabuf_alloc(page, nullptr, nullptr), EINVAL);
}

TEST(IbvxAlloc, HeapNamesAreNamesNotPaths)
{
	int fd;

	EXPECT_EQ(ibvx_dma_heap_alloc("../../etc/passwd", 4096, &fd), EINVAL);
	EXPECT_EQ(ibvx_dma_heap_alloc("", 4096, &fd), EINVAL);
	EXPECT_EQ(ibvx_dma_heap_alloc(nullptr, 4096, &fd), EINVAL);
	EXPECT_EQ(ibvx_dma_heap_alloc("system", 4096, nullptr), EINVAL);
}

TEST(IbvxAlloc, MissingHeapIsEOPNOTSUPP)
{
	int fd;

	EXPECT_EQ(ibvx_dma_heap_alloc("no-such-heap-dmr", 4096, &fd),
		  EOPNOTSUPP);
	EXPECT_TRUE(mentions(ibvx_last_error(), "/dev/dma_heap/no-such-heap-dmr"));
}

TEST(IbvxMr, ArgumentsAreCheckedBeforeTheDevice)
{
	// Never dereferenced: every call below fails on its other arguments.
	struct ibv_pd *pd = reinterpret_cast<struct ibv_pd *>(8);
	struct ibvx_mr *mr = nullptr;

	EXPECT_EQ(ibvx_dmabuf_mr_probe(nullptr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "no PD"));
	EXPECT_EQ(ibvx_reg_dmabuf_mr(nullptr, 0, 4096, 0, 3, 0, &mr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "pd is NULL"));
	EXPECT_EQ(ibvx_reg_dmabuf_mr(pd, 0, 4096, 0, 3, 0, nullptr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "mr is NULL"));
	EXPECT_EQ(ibvx_reg_dmabuf_mr(pd, 0, 0, 0, 3, 0, &mr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "length is 0"));
	EXPECT_EQ(ibvx_reg_dmabuf_mr(pd, 0, 4096, 0, -1, 0, &mr), EBADF);
	EXPECT_TRUE(mentions(ibvx_last_error(), "fd -1 is not a dma-buf"));
	EXPECT_EQ(mr, nullptr);
	EXPECT_EQ(ibvx_dereg_mr(nullptr), 0);
}

TEST(IbvxMr, ExtensibleCallsCheckTheirAttributes)
{
	// Never dereferenced: every call below fails on its attributes.
	struct ibv_pd *pd = reinterpret_cast<struct ibv_pd *>(8);
	struct ibvx_mr *fake = reinterpret_cast<struct ibvx_mr *>(8);
	struct ibvx_dmabuf_mr_init_attr attr = {};
	struct ibvx_mr_wait_attr wait = {};
	struct ibvx_mr *mr = nullptr;

	attr.fd = 3;
	attr.length = 4096;
	EXPECT_EQ(ibvx_reg_dmabuf_mr_ex(pd, nullptr, &mr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "attr is NULL"));
	attr.comp_mask = 1;
	EXPECT_EQ(ibvx_reg_dmabuf_mr_ex(pd, &attr, &mr), EOPNOTSUPP);
	EXPECT_TRUE(mentions(ibvx_last_error(), "comp_mask 0x1"));
	attr.comp_mask = 0;
	attr.length = 0;
	EXPECT_EQ(ibvx_reg_dmabuf_mr_ex(pd, &attr, &mr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "length is 0"));
	EXPECT_EQ(mr, nullptr);

	EXPECT_EQ(ibvx_mr_wait(fake, nullptr, nullptr), EINVAL);
	wait.comp_mask = 1ull << 63;
	wait.states = 1u << IBVX_MR_VALID;
	EXPECT_EQ(ibvx_mr_wait(fake, &wait, nullptr), EOPNOTSUPP);
	wait.comp_mask = 0;
	wait.states = 0;
	EXPECT_EQ(ibvx_mr_wait(fake, &wait, nullptr), EINVAL);
	wait.states = 1u << IBVX_MR_UNTRACKED;
	EXPECT_EQ(ibvx_mr_wait(fake, &wait, nullptr), EINVAL);
	EXPECT_TRUE(mentions(ibvx_last_error(), "cannot be waited for"));
	EXPECT_EQ(ibvx_mr_wait_state(fake, IBVX_MR_UNKNOWN, 0), EINVAL);
}

TEST(IbvxMr, StateNames)
{
	EXPECT_STREQ(ibvx_mr_state_str(IBVX_MR_VALID), "valid");
	EXPECT_STREQ(ibvx_mr_state_str(IBVX_MR_INVALIDATED), "invalidated");
	EXPECT_STREQ(ibvx_mr_state_str(IBVX_MR_REVOKED), "revoked");
	EXPECT_STREQ(ibvx_mr_state_str(IBVX_MR_UNTRACKED), "untracked");
	EXPECT_STREQ(ibvx_mr_state_str((enum ibvx_mr_state)99), "unknown");
}

// Every errno libibverbs-ext documents gets its own advice; the rest the
// fallback that points at ibvx_last_error().
TEST(IbvxStrerror, DocumentedErrnosGetAdvice)
{
	const std::string fallback = ibvx_strerror(-12345);

	EXPECT_TRUE(mentions(fallback.c_str(), "ibvx_last_error"));
	for (int err : {EINVAL, EBADF, EOPNOTSUPP, EPROTONOSUPPORT, ENOSYS,
			ENODEV, ENOENT, EBUSY, EACCES, EPERM, ENXIO, EFAULT,
			ENOMEM, ENOSPC, ETIMEDOUT}) {
		EXPECT_NE(ibvx_strerror(err), fallback) << err;
		EXPECT_GT(strlen(ibvx_strerror(err)), 10u) << err;
	}
	EXPECT_TRUE(mentions(ibvx_strerror(EOPNOTSUPP), "rdma link add"));
	EXPECT_TRUE(mentions(ibvx_strerror(EBUSY), "vfio-pci"));
	EXPECT_TRUE(mentions(ibvx_strerror(ENOMEM), "ulimit -l"));
	EXPECT_TRUE(mentions(ibvx_strerror(EFAULT), "revoked"));
	EXPECT_STREQ(ibvx_strerror(0), "success");
}
