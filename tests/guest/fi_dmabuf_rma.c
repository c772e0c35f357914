// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libfabric's FI_MR_DMABUF on dmr: a dma-buf registered with
 * fi_mr_regattr(FI_MR_DMABUF) - which the verbs provider turns into
 * ibv_reg_dmabuf_mr() - is the target of fi_write and the source of
 * fi_read, between two RDM endpoints of one domain.
 *
 *   fi_dmabuf_rma LOCAL_IP PROVIDER udmabuf
 *   fi_dmabuf_rma LOCAL_IP PROVIDER vfio PCI_ADDR
 *
 * The dma-buf is a udmabuf, or the first 64 KiB of BAR 2 of a vfio-pci
 * function; the checks read it through its own CPU mapping (the memfd, or
 * the mmap'ed BAR), never through libfabric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/ibverbs_ext.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "rc_pair.h"

#define LEN (64 * 1024)
#define BAR 2

#define FI_CHECK(call)                                                       \
	do {                                                                 \
		long ret_ = (call);                                          \
		if (ret_)                                                    \
			die("%s: %s", #call, fi_strerror((int)-ret_));       \
	} while (0)

static struct fid_cq *cq;

/* Wait for one completion; reading the CQ progresses both endpoints. */
static int wait_completion(void)
{
	struct fi_cq_err_entry err = {};
	struct fi_cq_entry entry;
	ssize_t n;

	while ((n = fi_cq_read(cq, &entry, 1)) == -FI_EAGAIN)
		;
	if (n == 1)
		return 0;
	if (n == -FI_EAVAIL) {
		fi_cq_readerr(cq, &err, 0);
		printf("completion error: %s\n", fi_strerror(err.err));
		return err.err;
	}
	die("fi_cq_read: %s", fi_strerror((int)-n));
}

/* A dma-buf of LEN bytes and a CPU view of it. */
struct target {
	int dmabuf_fd;
	volatile unsigned char *cpu;
	struct ibvx_vfio *vfio;
	void *bar;
	uint64_t bar_size;
};

static void target_open(struct target *t, int argc, char **argv)
{
	struct ibvx_range range = { 0, LEN };
	int memfd;

	memset(t, 0, sizeof(*t));
	if (!strcmp(argv[3], "udmabuf")) {
		if (ibvx_udmabuf_alloc(LEN, &t->dmabuf_fd, &memfd))
			die("udmabuf: %s", ibvx_last_error());
		t->cpu = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			      memfd, 0);
		close(memfd);
		if (t->cpu == MAP_FAILED)
			die("mmap of the memfd failed");
		return;
	}
	if (strcmp(argv[3], "vfio") || argc < 5)
		die("unknown dma-buf source %s", argv[3]);
	if (ibvx_vfio_open(argv[4], IBVX_VFIO_ANY, &t->vfio) ||
	    ibvx_vfio_bar_export(t->vfio, BAR, &range, 1, &t->dmabuf_fd) ||
	    ibvx_vfio_bar_mmap(t->vfio, BAR, &t->bar, &t->bar_size))
		die("VFIO: %s", ibvx_last_error());
	t->cpu = t->bar;
}

static void target_close(struct target *t)
{
	close(t->dmabuf_fd);
	if (t->vfio) {
		ibvx_vfio_bar_munmap(t->bar, t->bar_size);
		ibvx_vfio_close(t->vfio);
	} else {
		munmap((void *)t->cpu, LEN);
	}
}

int main(int argc, char **argv)
{
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_CONTEXT };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	struct fi_info *hints, *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_mr *tmr, *smr, *dmr;
	struct fid_ep *ep[2];
	struct fid_av *av;
	struct target t;
	char name[256];
	size_t namelen = sizeof(name);
	fi_addr_t peer;
	unsigned char *src, *dst;
	uint64_t raddr;
	int i, ok;

	if (argc < 4)
		die("usage: %s LOCAL_IP PROVIDER udmabuf|vfio PCI_ADDR", argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	hints = fi_allocinfo();
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_RMA;
	/* The data is placed when the completion arrives. */
	hints->tx_attr->op_flags = FI_DELIVERY_COMPLETE;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR |
				      FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	hints->fabric_attr->prov_name = strdup(argv[2]);
	/* FI_MR_DMABUF and struct fi_mr_dmabuf's base_addr: API 1.20. */
	FI_CHECK(fi_getinfo(FI_VERSION(1, 20), argv[1], NULL, FI_SOURCE, hints,
			    &info));
	printf("provider %s, domain %s\n", info->fabric_attr->prov_name,
	       info->domain_attr->name);
	FI_CHECK(fi_fabric(info->fabric_attr, &fabric, NULL));
	FI_CHECK(fi_domain(fabric, info, &domain, NULL));
	FI_CHECK(fi_cq_open(domain, &cq_attr, &cq, NULL));
	FI_CHECK(fi_av_open(domain, &av_attr, &av, NULL));
	for (i = 0; i < 2; i++) {
		FI_CHECK(fi_endpoint(domain, info, &ep[i], NULL));
		FI_CHECK(fi_ep_bind(ep[i], &cq->fid, FI_TRANSMIT | FI_RECV));
		FI_CHECK(fi_ep_bind(ep[i], &av->fid, 0));
		FI_CHECK(fi_enable(ep[i]));
	}
	FI_CHECK(fi_getname(&ep[1]->fid, name, &namelen));
	if (fi_av_insert(av, name, 1, &peer, 0, NULL) != 1)
		die("fi_av_insert failed");

	target_open(&t, argc, argv);
	{
		struct fi_mr_dmabuf db = {
			.fd = t.dmabuf_fd,
			.offset = 0,
			.len = LEN,
			.base_addr = (void *)t.cpu,
		};
		struct fi_mr_attr attr = {
			.dmabuf = &db,
			.iov_count = 1,
			.access = FI_REMOTE_READ | FI_REMOTE_WRITE | FI_READ |
				  FI_WRITE,
			.requested_key = 1,
			.iface = FI_HMEM_SYSTEM,
		};

		FI_CHECK(fi_mr_regattr(domain, &attr, FI_MR_DMABUF, &tmr));
	}
	CHECK(1, "fi_mr_regattr(FI_MR_DMABUF) of a %s dma-buf", argv[3]);
	/* FI_MR_VIRT_ADDR: the MR is addressed at base_addr + offset. */
	raddr = info->domain_attr->mr_mode & FI_MR_VIRT_ADDR ?
		(uintptr_t)t.cpu : 0;

	src = aligned_alloc(4096, LEN);
	dst = aligned_alloc(4096, LEN);
	if (!src || !dst)
		die("out of memory");
	FI_CHECK(fi_mr_reg(domain, src, LEN, FI_READ | FI_WRITE, 0, 2, 0, &smr,
			   NULL));
	FI_CHECK(fi_mr_reg(domain, dst, LEN, FI_READ | FI_WRITE, 0, 3, 0, &dmr,
			   NULL));

	for (i = 0; i < LEN; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	while (fi_write(ep[0], src, LEN, fi_mr_desc(smr), peer, raddr,
			fi_mr_key(tmr), NULL) == -FI_EAGAIN)
		fi_cq_read(cq, NULL, 0);
	ok = !wait_completion();
	for (i = 0; ok && i < LEN; i++)
		ok = t.cpu[i] == src[i];
	CHECK(ok, "fi_write of %d KiB lands in the dma-buf", LEN / 1024);

	for (i = 0; i < LEN; i++)
		t.cpu[i] = (unsigned char)(0xa5 ^ i);
	while (fi_read(ep[0], dst, LEN, fi_mr_desc(dmr), peer, raddr,
		       fi_mr_key(tmr), NULL) == -FI_EAGAIN)
		fi_cq_read(cq, NULL, 0);
	ok = !wait_completion();
	for (i = 0; ok && i < LEN; i++)
		ok = dst[i] == (unsigned char)(0xa5 ^ i);
	CHECK(ok, "fi_read of %d KiB returns what the CPU wrote", LEN / 1024);

	fi_close(&tmr->fid);
	fi_close(&smr->fid);
	fi_close(&dmr->fid);
	target_close(&t);
	fi_close(&ep[0]->fid);
	fi_close(&ep[1]->fid);
	fi_close(&av->fid);
	fi_close(&cq->fid);
	fi_close(&domain->fid);
	fi_close(&fabric->fid);
	fi_freeinfo(info);
	fi_freeinfo(hints);
	free(src);
	free(dst);
	return check_report();
}
