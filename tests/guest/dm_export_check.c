// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmr as an exporter: device memory of dmr0 exported as a dma-buf
 * (ibv_dm_export_dmabuf_fd(), and dmr 1.0's dmrdv_export_dm()),
 * imported by dmr1 as a dma-buf MR (a revocable importer), written by
 * RDMA and read back from the device memory; refused to a pinned
 * importer (the test-only module dmr_test_importer), as VFIO's dma-buf
 * is; revoked in bounded time when the device memory is freed and when
 * the device is deleted.
 *
 *   dm_export_check VFIO_PCI_ADDR
 *
 * Needs dmr0 and dmr1, and dmr_test_importer loaded. Prints one line per
 * check and "PASSED" or "FAILED: N checks".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/dmrdv.h>
#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define DM_SIZE (256 * 1024)
#define IMPORTER "/sys/kernel/debug/dmr_test_importer/attach"

/* Ask the test importer to attach to @fd; 0 or the exporter's errno. */
static int import(const char *mode, int fd)
{
	char buf[64];
	int len, dfd, err = 0;

	dfd = open(IMPORTER, O_WRONLY);
	if (dfd < 0)
		die("cannot open %s (is dmr_test_importer loaded?)", IMPORTER);
	len = snprintf(buf, sizeof(buf), "%s %d", mode, fd);
	if (write(dfd, buf, len) != len)
		err = errno;
	close(dfd);
	return err;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct ibv_dm *alloc_dm(struct ibv_context *ctx)
{
	struct ibv_alloc_dm_attr attr = { .length = DM_SIZE };
	struct ibv_dm *dm = ibv_alloc_dm(ctx, &attr);

	if (!dm)
		die("ibv_alloc_dm: %s", strerror(errno));
	return dm;
}

int main(int argc, char **argv)
{
	struct ibvx_range range = { 0, 65536 };
	char *host = calloc(1, DM_SIZE), *back = calloc(1, DM_SIZE);
	struct rc_pair owner, user;
	struct dmrdv_mr_attr attr;
	struct ibv_mr *src, *imported, *dmmr;
	struct ibvx_vfio *vfio;
	struct ibv_dm *dm;
	int fd, vfd, i, err;
	double t;

	if (argc < 2)
		die("usage: %s VFIO_PCI_ADDR", argv[0]);
	rc_pair_open(&owner, "dmr0");	/* owns the device memory */
	rc_pair_open(&user, "dmr1");	/* imports it */

	dm = alloc_dm(owner.ctx);
	for (i = 0; i < DM_SIZE; i++)
		host[i] = (char)(i * 13 + 1);
	CHECK(!ibv_memcpy_to_dm(dm, 0, host, DM_SIZE) &&
	      !ibv_memcpy_from_dm(back, dm, 0, DM_SIZE) &&
	      !memcmp(host, back, DM_SIZE),
	      "device memory round trip through ibv_memcpy_to/from_dm");
	CHECK(ibv_memcpy_to_dm(dm, DM_SIZE - 8, host, 16) == EINVAL,
	      "a copy past the end is EINVAL");

	/* The device memory as an MR of its own device. */
	dmmr = ibv_reg_dm_mr(owner.pd, dm, 0, DM_SIZE,
			     IBV_ACCESS_ZERO_BASED | IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_WRITE);
	src = ibv_reg_mr(owner.pd, host, DM_SIZE, IBV_ACCESS_LOCAL_WRITE);
	if (!dmmr || !src)
		die("ibv_reg_dm_mr: %s", strerror(errno));
	memset(host, 0x5a, 4096);
	CHECK(rc_pair_write(&owner, src, 0, 4096, 8192, dmmr->rkey) ==
	      IBV_WC_SUCCESS && !ibv_memcpy_from_dm(back, dm, 8192, 4096) &&
	      !memcmp(back, host, 4096),
	      "an RDMA write into a device memory MR lands");
	ibv_dereg_mr(dmmr);

	/*
	 * Export with rdma-core's generic call; another dmr device imports
	 * it, revocably.
	 */
	fd = ibv_dm_export_dmabuf_fd(dm);
	CHECK(fd >= 0, "ibv_dm_export_dmabuf_fd gives a dma-buf fd (%s)",
	      fd < 0 ? strerror(errno) : "ok");
	CHECK(import("pinned", fd) == EOPNOTSUPP,
	      "a pinned importer is refused (EOPNOTSUPP)");
	CHECK(import("revocable", fd) == 0, "a revocable importer is accepted");
	imported = ibv_reg_dmabuf_mr(user.pd, 0, DM_SIZE, 0, fd,
				     IBV_ACCESS_LOCAL_WRITE |
				     IBV_ACCESS_REMOTE_WRITE |
				     IBV_ACCESS_REMOTE_READ);
	CHECK(imported != NULL, "dmr1 registers it as a dma-buf MR");
	if (!imported)
		goto out;
	ibv_dereg_mr(src);
	src = ibv_reg_mr(user.pd, host, DM_SIZE, IBV_ACCESS_LOCAL_WRITE);
	memset(host, 0xa5, 65536);
	CHECK(rc_pair_write(&user, src, 0, 65536, 4096, imported->rkey) ==
	      IBV_WC_SUCCESS && !ibv_memcpy_from_dm(back, dm, 4096, 65536) &&
	      !memcmp(back, host, 65536),
	      "dmr1 writes through the import into dmr0's device memory");
	for (i = 0; i < 4096; i++)
		host[i] = (char)(i * 5 + 2);
	ibv_memcpy_to_dm(dm, 100000, host, 4096);
	memset(host, 0, 4096);
	CHECK(rc_pair_rdma(&user, IBV_WR_RDMA_READ, src, 0, 4096, 100000,
			   imported->rkey) == IBV_WC_SUCCESS &&
	      !ibv_memcpy_from_dm(back, dm, 100000, 4096) &&
	      !memcmp(back, host, 4096),
	      "and reads dmr0's device memory through it");

	/* Freeing the device memory revokes the importer, in bounded time. */
	t = now_ms();
	err = ibv_free_dm(dm);
	t = now_ms() - t;
	CHECK(!err, "ibv_free_dm with an importer returns (%.1f ms)", t);
	err = dmrdv_query_mr(imported, &attr, sizeof(attr));
	CHECK(!err && attr.state == DMRDV_MR_STATE_INVALIDATED &&
	      attr.invalidations == 1,
	      "the importer's MR was invalidated (state %u)", attr.state);
	CHECK(rc_pair_write(&user, src, 0, 64, 0, imported->rkey) ==
	      IBV_WC_REM_ACCESS_ERR,
	      "a write into the freed device memory fails");
	rc_pair_reconnect(&user);
	dmrdv_query_mr(imported, &attr, sizeof(attr));
	CHECK(attr.state == DMRDV_MR_STATE_REVOKED, "and the MR is revoked");
	CHECK(import("revocable", fd) == ENODEV,
	      "the revoked dma-buf refuses new importers (ENODEV)");
	ibv_dereg_mr(imported);
	close(fd);

	/* Deleting the device revokes too (dmr 1.0's call this time). */
	dm = alloc_dm(owner.ctx);
	err = dmrdv_export_dm(dm, &fd);
	CHECK(!err && import("pinned", fd) == EOPNOTSUPP,
	      "dmrdv_export_dm's dma-buf refuses the pinned importer too");
	imported = err ? NULL : ibv_reg_dmabuf_mr(user.pd, 0, DM_SIZE, 0, fd,
						  IBV_ACCESS_LOCAL_WRITE);
	CHECK(imported != NULL, "a second export imported");
	t = now_ms();
	err = system("rdma link delete dmr0");
	t = now_ms() - t;
	CHECK(!err, "rdma link delete dmr0 with an exported DM returns (%.1f ms)",
	      t);
	if (imported) {
		dmrdv_query_mr(imported, &attr, sizeof(attr));
		CHECK(attr.state != DMRDV_MR_STATE_VALID,
		      "the importer's MR is no longer valid");
		ibv_dereg_mr(imported);
	}
	close(fd);

	/* VFIO's dma-buf refuses the pinned importer too. */
	if (ibvx_vfio_open(argv[1], IBVX_VFIO_ANY, &vfio) ||
	    ibvx_vfio_bar_export(vfio, 2, &range, 1, &vfd))
		die("VFIO: %s", ibvx_last_error());
	CHECK(import("pinned", vfd) == EOPNOTSUPP,
	      "VFIO's dma-buf refuses the pinned importer (EOPNOTSUPP)");
	CHECK(import("revocable", vfd) == 0,
	      "and accepts the revocable one");
	close(vfd);
	ibvx_vfio_close(vfio);
out:
	ibv_dereg_mr(src);
	rc_pair_close(&user);
	return check_report();
}
