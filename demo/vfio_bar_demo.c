// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The dmr demo: a PCI BAR, exported by VFIO as a dma-buf, registered as an
 * RDMA memory region on dmr, written by RDMA, revoked, and restored.
 *
 *   vfio_bar_demo PCI_ADDR BAR_FILE [RDMA_DEV]
 *
 * PCI_ADDR is a function bound to vfio-pci whose BAR 2 is memory (the
 * guest's ivshmem device); BAR_FILE is the host file behind that BAR, which
 * the guest reads through its uncached 9p share: what it shows is what the
 * host sees. RDMA_DEV defaults to dmr0.
 *
 * Every claim the demo prints is checked; the exit status is 0 only if
 * all of them held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>

#include "rc_pair.h"

#define BAR 2
#define EXPORT_LEN (1 << 20)	/* the part of the BAR exported */
#define MSG_OFFSET 0x1000	/* where in it the messages land */
#define MSG_LEN 64

static int failures;

/* Print a checked claim: "  ok   ..." or "  FAIL ...". */
static void claim(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("   %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures += !ok;
}

static void step(const char *fmt, ...)
{
	va_list ap;

	printf("\n");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void ibvx_check(int err, const char *what)
{
	if (err)
		die("%s: %s\n  %s", what, ibvx_last_error(), ibvx_strerror(err));
}

/* The message bytes at MSG_OFFSET of the BAR, as the host file has them. */
static void host_read(const char *bar_file, char *out)
{
	int fd = open(bar_file, O_RDONLY);

	if (fd < 0 || pread(fd, out, MSG_LEN, MSG_OFFSET) != MSG_LEN)
		die("cannot read %s: %s", bar_file, strerror(errno));
	close(fd);
	out[MSG_LEN - 1] = 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* RDMA-write @text from @src into the BAR MR; the completion status. */
static enum ibv_wc_status rdma_write(struct rc_pair *pair, struct ibv_mr *src,
				     struct ibv_mr *bar_mr, const char *text)
{
	memset(src->addr, 0, MSG_LEN);
	snprintf(src->addr, MSG_LEN, "%s", text);
	return rc_pair_write(pair, src, 0, MSG_LEN,
			     (uintptr_t)bar_mr->addr + MSG_OFFSET, bar_mr->rkey);
}

/* Whether the MR's event fd is readable within @ms; consumes the event. */
static int event_within(struct ibvx_mr *mr, int event_fd, int ms)
{
	struct pollfd p = { .fd = event_fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	ibvx_mr_ack_event(mr);
	return n == 1;
}

int main(int argc, char **argv)
{
	const char *pci = argc > 1 ? argv[1] : NULL;
	const char *bar_file = argc > 2 ? argv[2] : NULL;
	const char *dev = argc > 3 ? argv[3] : "dmr0";
	struct ibvx_range range = { 0, EXPORT_LEN };
	char host[MSG_LEN], before[MSG_LEN], *buf;
	struct ibvx_vfio *vfio;
	struct ibvx_mr *mr;
	struct ibv_mr *src, *bar_mr;
	struct rc_pair pair;
	enum ibv_wc_status st;
	uint64_t bar_size;
	int dmabuf_fd, event_fd, err;
	double t0, revoke_us;

	if (!pci || !bar_file)
		die("usage: %s PCI_ADDR BAR_FILE [RDMA_DEV]", argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("dmr demo: a PCI BAR as an RDMA memory region - written, revoked, restored\n");

	step("1. Export the BAR through VFIO as a dma-buf");
	ibvx_check(ibvx_vfio_open(pci, IBVX_VFIO_ANY, &vfio), "open the device");
	ibvx_check(ibvx_vfio_bar_size(vfio, BAR, &bar_size), "BAR size");
	ibvx_check(ibvx_vfio_bar_export(vfio, BAR, &range, 1, &dmabuf_fd),
		   "export the BAR");
	printf("   %s (vfio-pci, %s path): BAR %d is %llu MiB; its first %d KiB are dma-buf fd %d\n",
	       pci, ibvx_vfio_path(vfio) == IBVX_VFIO_CDEV ? "cdev" : "group",
	       BAR, (unsigned long long)(bar_size >> 20), EXPORT_LEN >> 10,
	       dmabuf_fd);

	step("2. Register the dma-buf as a memory region on %s", dev);
	rc_pair_open(&pair, dev);
	err = ibvx_dmabuf_mr_probe(pair.pd);
	claim(!err, "%s supports dma-buf MRs (ibv_reg_dmabuf_mr with fd -1 gives EBADF)",
	      dev);
	ibvx_check(ibvx_reg_dmabuf_mr(pair.pd, 0, EXPORT_LEN, 0, dmabuf_fd,
				      IBV_ACCESS_LOCAL_WRITE |
				      IBV_ACCESS_REMOTE_WRITE |
				      IBV_ACCESS_REMOTE_READ, &mr),
		   "register the dma-buf");
	bar_mr = ibvx_mr_ibv(mr);
	ibvx_check(ibvx_mr_event_fd(mr, &event_fd), "MR event fd");
	printf("   MR rkey %#x over %d KiB of the BAR\n", bar_mr->rkey,
	       EXPORT_LEN >> 10);
	claim(ibvx_mr_state(mr) == IBVX_MR_VALID, "MR state: %s",
	      ibvx_mr_state_str(ibvx_mr_state(mr)));
	buf = calloc(1, MSG_LEN);
	src = buf ? ibv_reg_mr(pair.pd, buf, MSG_LEN, IBV_ACCESS_LOCAL_WRITE) :
		    NULL;
	if (!src)
		die("cannot register the source buffer");

	step("3. RDMA WRITE a message into the BAR, from another QP");
	st = rdma_write(&pair, src, bar_mr, "hello from dmr: written by RDMA");
	claim(st == IBV_WC_SUCCESS, "RDMA WRITE of %d bytes at BAR offset %#x: %s",
	      MSG_LEN, MSG_OFFSET, ibv_wc_status_str(st));
	host_read(bar_file, host);
	claim(!strcmp(host, "hello from dmr: written by RDMA"),
	      "the host's BAR file reads \"%s\"", host);

	step("4. Revoke: disable the device's memory decoding (PCI_COMMAND_MEMORY = 0)");
	t0 = now_us();
	ibvx_check(ibvx_vfio_set_memory_enabled(vfio, false), "disable memory");
	revoke_us = now_us() - t0;
	printf("   VFIO revoked the dma-buf; dmr unmapped it within %.0f us\n",
	       revoke_us);
	claim(event_within(mr, event_fd, 1000), "the MR's event fd fired; state: %s",
	      ibvx_mr_state_str(ibvx_mr_state(mr)));
	memcpy(before, host, sizeof(before));
	st = rdma_write(&pair, src, bar_mr, "this write must never land");
	claim(st == IBV_WC_REM_ACCESS_ERR,
	      "the next RDMA WRITE fails cleanly: %s", ibv_wc_status_str(st));
	claim(ibvx_mr_state(mr) == IBVX_MR_REVOKED, "MR state: %s",
	      ibvx_mr_state_str(ibvx_mr_state(mr)));
	host_read(bar_file, host);
	claim(!strcmp(host, before), "the host's BAR file still reads \"%s\"",
	      host);

	step("5. Restore: enable memory decoding again");
	ibvx_check(ibvx_vfio_set_memory_enabled(vfio, true), "enable memory");
	/* The failed write moved the QPs to the error state, as RC does. */
	rc_pair_reconnect(&pair);
	st = rdma_write(&pair, src, bar_mr, "hello again: the MR works after the restore");
	claim(st == IBV_WC_SUCCESS, "RDMA WRITE into the same MR: %s",
	      ibv_wc_status_str(st));
	claim(ibvx_mr_state(mr) == IBVX_MR_VALID, "MR state: %s",
	      ibvx_mr_state_str(ibvx_mr_state(mr)));
	host_read(bar_file, host);
	claim(!strcmp(host, "hello again: the MR works after the restore"),
	      "the host's BAR file reads \"%s\"", host);

	ibv_dereg_mr(src);
	free(buf);
	ibvx_check(ibvx_dereg_mr(mr), "deregister");
	rc_pair_close(&pair);
	close(dmabuf_fd);
	ibvx_vfio_close(vfio);

	if (failures) {
		printf("\ndemo FAILED: %d claim(s) did not hold\n", failures);
		return 1;
	}
	printf("\ndemo done: every claim held\n");
	return 0;
}
