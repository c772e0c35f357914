// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmr_fuzz's raw part: the kernel interface without libibverbs or the
 * provider in between, as a hostile process would use it. Hand-built
 * RDMA_VERBS_IOCTL calls of dmr's methods (QP doorbell, MR query and
 * eventfd, DM allocation, export and free) with random, missing, oversized
 * and mistyped attributes, bad output pointers and bad headers; the
 * write() commands POST_SEND, POST_RECV and POST_SRQ_RECV with random
 * handles, counts and sizes (POST_SEND must always fail); mmap() of the
 * uverbs file at random offsets, lengths and protections, mremap(), and
 * touching mappings after the DM behind them was freed.
 *
 * Most of this runs on a context of its own, the raw context, which holds
 * nothing but the DMs this file allocates there. That makes the isolation
 * of contexts checkable: on the raw context no MR method and no doorbell
 * may ever succeed, a DM method only with a handle of a live DM of the raw
 * context, and mmap() only within a live DM's range or of the context's
 * doorbell mailbox. A success anywhere else is a violation: the tester
 * says so and exits with status 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

/* verbs.h (through dmr_fuzz.h) first: rdma-core defines RDMA_UAPI_PTR its way. */
#include "dmr_fuzz.h"
#include <rdma/dmr-abi.h>

#define NDMS 8
#define NMAPS 8
#define NEXPORTS 4
#define PAGE 4096ULL

struct raw_dm {
	uint32_t handle;
	uint64_t offset, size;
	int live;
};

struct raw_map {
	char *addr;
	size_t len;
	int prot;
};

struct raw_call {
	struct ib_uverbs_ioctl_hdr hdr;
	struct ib_uverbs_attr attrs[8];
};

/* What each kind of raw call did: how often, and how often it worked. */
enum raw_kind { R_MR, R_DM_ALLOC, R_DM_FREE, R_DM_EXPORT, R_OTHER,
		R_DOORBELL, R_MMAP, R_NKINDS };
static const char *const raw_kind_name[R_NKINDS] = {
	"mr-method", "dm-alloc", "dm-free", "dm-export", "other-method",
	"doorbell", "mmap" };
static unsigned long raw_calls[R_NKINDS], raw_ok[R_NKINDS];

static struct ibv_device *raw_dev;
static struct ibv_context *raw;
static struct raw_dm dms[NDMS];
static struct raw_map maps[NMAPS];
static int exports[NEXPORTS] = { -1, -1, -1, -1 };
static int event_fd = -1;
static char *ro_page;		/* a read-only page: an output nobody can write */

static void __attribute__((noreturn)) violation(const char *what, uint64_t arg)
{
	fprintf(stderr, "dmr_fuzz: VIOLATION after %lu operations: %s (%#llx)\n",
		ops, what, (unsigned long long)arg);
	exit(3);
}

/*
 * An output pointer: mostly @good, sometimes NULL, a kernel address or a
 * read-only page. The kernel writes (or zeroes) as many bytes as a call
 * says, up to 64 Ki words for a write() command: every @good must point
 * into out_buf, which is large enough for that.
 */
static uint8_t out_buf[(1 << 18) + 4096];

static uint64_t out_ptr(void *good)
{
	switch (pick(12)) {
	case 0: return 0;
	case 1: return 0xffff888000000000ULL;
	case 2: return (uintptr_t)ro_page;
	case 3: return (uint64_t)-8;
	default: return (uintptr_t)good;
	}
}

static int is_live_raw_dm(uint64_t handle)
{
	int i;

	for (i = 0; i < NDMS; i++)
		if (dms[i].live && dms[i].handle == handle)
			return 1;
	return 0;
}

/* The uverbs handle of a pool object of kind @k. */
static uint64_t obj_handle(enum kind k, const struct obj *o)
{
	switch (k) {
	case MR: return ((struct ibv_mr *)o->p)->handle;
	case DM: return ((struct ibv_dm *)o->p)->handle;
	case QP: return ((struct ibv_qp *)o->p)->handle;
	default: abort();
	}
}

/* A handle: of an object of any context, of a raw DM, or made up. */
static uint64_t some_handle(void)
{
	static const enum kind kinds[] = { MR, DM, QP };
	unsigned int n = pick(7);
	struct obj *o;

	if (n < 3 && (o = any(kinds[n])))
		return obj_handle(kinds[n], o);
	if (n == 3 || n == 4)
		return dms[pick(NDMS)].handle;
	if (n == 5)
		return pick(64);
	return value(UINT32_MAX);
}

static void add_attr(struct raw_call *c, uint16_t id, uint16_t len,
		     uint64_t data)
{
	struct ib_uverbs_attr *a = &c->attrs[c->hdr.num_attrs++];

	memset(a, 0, sizeof(*a));
	a->attr_id = id;
	a->len = len;
	a->data = data;
	if (!pick(4))
		a->flags = UVERBS_ATTR_F_MANDATORY;
}

/*
 * Issue @c on @fd after randomly leaving out, adding or damaging parts
 * of it. Returns 0 or the errno.
 */
static int raw_ioctl(int fd, struct raw_call *c, enum raw_kind kind)
{
	struct ib_uverbs_attr *a;
	int err;

	if (c->hdr.num_attrs && !pick(10)) {
		/* Leave one attribute out. */
		c->hdr.num_attrs--;
		c->attrs[pick(c->hdr.num_attrs + 1)] =
			c->attrs[c->hdr.num_attrs];
	}
	if (c->hdr.num_attrs < 8 && !pick(10)) {
		/* One more: a duplicate, a foreign id or garbage. */
		if (c->hdr.num_attrs && pick(2)) {
			c->attrs[c->hdr.num_attrs] =
				c->attrs[pick(c->hdr.num_attrs)];
			c->hdr.num_attrs++;
		} else {
			add_attr(c, pick(2) ? pick(8) : (1U << 12) + pick(8),
				 value(64), rnd());
		}
	}
	if (c->hdr.num_attrs && !pick(12)) {
		a = &c->attrs[pick(c->hdr.num_attrs)];
		switch (pick(4)) {
		case 0: a->len = value(1 << 16); break;
		case 1: a->flags = rnd(); break;
		case 2: a->attr_data.reserved = rnd(); break;
		default: a->data = rnd(); break;
		}
	}
	c->hdr.length = sizeof(c->hdr) + c->hdr.num_attrs * sizeof(c->attrs[0]);
	c->hdr.driver_id = DMR_DRIVER_ID;
	if (!pick(20)) {
		switch (pick(4)) {
		case 0: c->hdr.length = value(sizeof(*c)); break;
		case 1: c->hdr.reserved1 = rnd(); break;
		case 2: c->hdr.driver_id = pick(64); break;
		default: c->hdr.num_attrs = value(64); break;
		}
	}
	raw_calls[kind]++;
	err = ioctl(fd, RDMA_VERBS_IOCTL, c) ? errno : 0;
	raw_ok[kind] += !err;
	return err;
}

static void raw_mr_method(int fd, uint64_t handle, int on_raw)
{
	struct dmr_mr_query_resp *resp = (void *)out_buf;
	struct raw_call c = {};
	int eventfd_method = pick(2);

	c.hdr.object_id = UVERBS_OBJECT_MR;
	if (eventfd_method) {
		static const int64_t op[] = { DMR_MR_EVENTFD_ADD,
			DMR_MR_EVENTFD_REMOVE, 2, -1 };
		int fds[] = { event_fd, event_fd, other_fd, dmabuf_fd, -1, 9999 };

		c.hdr.method_id = DMR_IB_METHOD_MR_EVENTFD;
		add_attr(&c, DMR_IB_ATTR_MR_EVENTFD_HANDLE, 0, handle);
		add_attr(&c, DMR_IB_ATTR_MR_EVENTFD_FD, pick(8) ? 4 : pick(9),
			 (uint32_t)fds[pick(6)]);
		add_attr(&c, DMR_IB_ATTR_MR_EVENTFD_OP, 0,
			 pick(8) ? op[pick(2)] : op[pick(4)]);
	} else {
		c.hdr.method_id = DMR_IB_METHOD_MR_QUERY;
		add_attr(&c, DMR_IB_ATTR_QUERY_MR_HANDLE, 0, handle);
		add_attr(&c, DMR_IB_ATTR_QUERY_MR_RESP,
			 pick(8) ? sizeof(*resp) : value(sizeof(*resp)),
			 out_ptr(resp));
	}
	if (!raw_ioctl(fd, &c, R_MR) && on_raw)
		violation("an MR method succeeded on a context without MRs",
			  handle);
}

static void raw_dm_export(int fd, uint64_t handle, int on_raw)
{
	struct raw_call c = {};
	int32_t *out = (int32_t *)out_buf;
	int i;

	c.hdr.object_id = UVERBS_OBJECT_DM;
	c.hdr.method_id = DMR_IB_METHOD_DM_EXPORT_DMABUF;
	add_attr(&c, DMR_IB_ATTR_DM_EXPORT_HANDLE, 0, handle);
	add_attr(&c, DMR_IB_ATTR_DM_EXPORT_FD, pick(8) ? 4 : value(8),
		 out_ptr(out));
	*out = -1;
	if (raw_ioctl(fd, &c, R_DM_EXPORT))
		return;
	if (on_raw && !is_live_raw_dm(handle))
		violation("exported a DM that is not the raw context's", handle);
	if (*out < 0)
		return;		/* the fd went to a bad pointer: lost */
	/* Keep some dma-bufs open past the free of their DM. */
	i = pick(NEXPORTS);
	if (exports[i] >= 0)
		close(exports[i]);
	exports[i] = *out;
}

static void raw_dm_alloc(void)
{
	struct raw_dm *d = &dms[pick(NDMS)];
	uint64_t *offset = (uint64_t *)out_buf, *size = offset + 1, length;
	struct raw_call c = {};
	int err;

	if (d->live)
		return;
	length = pick(4) ? 1 + pick(1 << 20) : value(64 << 20);
	c.hdr.object_id = UVERBS_OBJECT_DM;
	c.hdr.method_id = UVERBS_METHOD_DM_ALLOC;
	add_attr(&c, UVERBS_ATTR_ALLOC_DM_HANDLE, 0, 0);
	add_attr(&c, UVERBS_ATTR_ALLOC_DM_LENGTH, 8, length);
	add_attr(&c, UVERBS_ATTR_ALLOC_DM_ALIGNMENT, 4,
		 pick(4) ? pick(13) : value(64));
	add_attr(&c, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_OFFSET, 8, out_ptr(offset));
	add_attr(&c, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_SIZE, 8, out_ptr(size));
	*offset = *size = UINT64_MAX;
	err = raw_ioctl(raw->cmd_fd, &c, R_DM_ALLOC);
	if (err)
		return;
	if (c.attrs[0].attr_id != UVERBS_ATTR_ALLOC_DM_HANDLE ||
	    *size == UINT64_MAX || *offset == UINT64_MAX) {
		/* Damaged, yet it worked: a DM we cannot name. Start over. */
		raw_fini();
		raw_init(raw_dev);
		return;
	}
	d->handle = c.attrs[0].data;
	d->offset = *offset;
	d->size = *size;
	d->live = 1;
}

static void raw_dm_free(void)
{
	struct raw_call c = {};
	uint64_t handle = some_handle();
	int i;

	c.hdr.object_id = UVERBS_OBJECT_DM;
	c.hdr.method_id = UVERBS_METHOD_DM_FREE;
	add_attr(&c, UVERBS_ATTR_FREE_DM_HANDLE, 0, handle);
	if (raw_ioctl(raw->cmd_fd, &c, R_DM_FREE))
		return;
	if (!is_live_raw_dm(handle))
		violation("freed a DM that is not the raw context's", handle);
	for (i = 0; i < NDMS; i++)
		if (dms[i].live && dms[i].handle == handle)
			dms[i].live = 0;
}

/* A method of another object, or a method id that does not exist. */
static void raw_random_method(int fd)
{
	struct raw_call c = {};
	unsigned int i, n = pick(5);

	c.hdr.object_id = pick(2) ? UVERBS_OBJECT_DM : pick(24);
	c.hdr.method_id = pick(2) ? (1U << 12) + pick(4) : pick(8);
	/* Creating objects on the raw context would break its invariant. */
	if (fd == raw->cmd_fd && !(c.hdr.method_id & (1U << 12)))
		return;
	for (i = 0; i < n; i++)
		add_attr(&c, pick(2) ? pick(6) : (1U << 12) + pick(4),
			 value(16), pick(2) ? some_handle() : rnd());
	raw_ioctl(fd, &c, R_OTHER);
}

/* A QP number: of a live QP of any context, or made up. */
static uint32_t some_qpn(void)
{
	struct obj *o = any(QP);

	if (o && pick(2))
		return ((struct ibv_qp *)o->p)->qp_num;
	switch (pick(3)) {
	case 0: return pick(64);
	case 1: return value(1U << 24);
	default: return rnd();
	}
}

/* Whether QP number @qpn is a live QP of the context of file @fd. */
static int fd_owns_qpn(int fd, uint32_t qpn)
{
	struct ibv_qp *qp;
	int i;

	for (i = 0; i < POOL; i++) {
		qp = pool[QP][i].p;
		if (qp && qp->qp_num == qpn &&
		    ctx[pool[QP][i].ctx]->cmd_fd == fd)
			return 1;
	}
	return 0;
}

/*
 * dmr's doorbell method on file @fd with a QP number. It may only work
 * for a QP of @fd's own context: the number it rang is read back from the
 * call, which raw_ioctl() may have damaged.
 */
static void raw_doorbell_method(int fd)
{
	struct raw_call c = {};
	uint32_t qpn;
	unsigned int i;

	c.hdr.object_id = UVERBS_OBJECT_QP;
	c.hdr.method_id = DMR_IB_METHOD_QP_DOORBELL;
	add_attr(&c, DMR_IB_ATTR_QP_DOORBELL_QPN, pick(8) ? 4 : value(16),
		 some_qpn());
	if (raw_ioctl(fd, &c, R_DOORBELL))
		return;
	for (i = 0; i < c.hdr.num_attrs; i++) {
		if (c.attrs[i].attr_id != DMR_IB_ATTR_QP_DOORBELL_QPN)
			continue;
		qpn = (uint32_t)c.attrs[i].data;
		if (c.attrs[i].len != 4 || !fd_owns_qpn(fd, qpn))
			violation("a doorbell worked on a QP number its context does not own",
				  qpn);
		return;
	}
	violation("a doorbell worked without a QP number", 0);
}

/*
 * The mailbox doorbell on file @fd: a QP number in the mailbox of @fd's
 * context (the mapping at offset 0: the kernel makes it first), then the
 * method without attributes. It may only work for a QP of that context,
 * and then it has emptied the mailbox.
 */
static void raw_mailbox_method(int fd)
{
	struct raw_call c = {};
	uint32_t *mailbox, qpn = pick(8) ? some_qpn() : 0;
	int err;

	mailbox = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mailbox == MAP_FAILED)
		violation("a context's doorbell mailbox did not map", fd);
	*mailbox = qpn;
	c.hdr.object_id = UVERBS_OBJECT_QP;
	c.hdr.method_id = DMR_IB_METHOD_QP_DOORBELL_MAILBOX;
	err = raw_ioctl(fd, &c, R_DOORBELL);
	if (!err && (!qpn || !fd_owns_qpn(fd, qpn)))
		violation("a mailbox doorbell worked on a QP number its context does not own",
			  qpn);
	if (!err && *mailbox)
		violation("a mailbox doorbell left its QP number in the mailbox",
			  *mailbox);
	munmap(mailbox, PAGE);
}

/*
 * The doorbells: dmr's QP doorbell methods (by number and by mailbox),
 * and POST_SEND and POST_RECV write() commands with random handles,
 * counts and sizes, and work requests of random bytes after them.
 * POST_SEND must fail for every QP: a process rings its send queue with
 * dmr's methods.
 */
static void raw_doorbell(int fd, uint64_t handle, int on_raw)
{
	static const uint32_t cmds[] = { IB_USER_VERBS_CMD_POST_SEND,
		IB_USER_VERBS_CMD_POST_RECV, IB_USER_VERBS_CMD_POST_SRQ_RECV };
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_post_send cmd;
		uint8_t wrs[512];
	} w;
	size_t len = sizeof(w.hdr) + sizeof(w.cmd);
	unsigned int i;
	ssize_t r;

	if (pick(2)) {
		if (pick(2))
			raw_doorbell_method(fd);
		else
			raw_mailbox_method(fd);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.hdr.command = cmds[pick(3)];
	w.cmd.response = out_ptr(out_buf);
	w.cmd.qp_handle = handle;
	if (pick(2)) {
		w.cmd.wr_count = value(8);
		w.cmd.sge_count = value(8);
		w.cmd.wqe_size = pick(2) ? sizeof(struct ib_uverbs_send_wr) :
					   value(256);
		for (i = 0; i < sizeof(w.wrs); i++)
			w.wrs[i] = rnd();
		len += pick(sizeof(w.wrs) + 1);
	} else {
		w.cmd.wqe_size = sizeof(struct ib_uverbs_send_wr);
	}
	w.hdr.in_words = pick(10) ? len / 4 : value(256);
	w.hdr.out_words = pick(10) ? sizeof(struct ib_uverbs_post_send_resp) / 4 :
				     value(16);
	raw_calls[R_DOORBELL]++;
	r = write(fd, &w, len);
	raw_ok[R_DOORBELL] += r >= 0;
	if (r >= 0 && on_raw)
		violation("a doorbell succeeded on a context without QPs",
			  w.cmd.qp_handle);
	if (r >= 0 && w.hdr.command == IB_USER_VERBS_CMD_POST_SEND)
		violation("a POST_SEND command succeeded", w.cmd.qp_handle);
}

/* Touch every page of a mapping as far as its protection allows. */
static void touch(const struct raw_map *m)
{
	volatile char *p;

	for (p = m->addr; p < m->addr + m->len; p += PAGE) {
		if (m->prot & PROT_WRITE)
			*p = rnd();
		else if (m->prot & PROT_READ)
			(void)*p;
	}
}

static void raw_mmap(void)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ,
		PROT_READ | PROT_WRITE | PROT_EXEC, PROT_NONE, PROT_WRITE };
	struct raw_dm *d = &dms[pick(NDMS)];
	struct raw_map *m = &maps[pick(NMAPS)];
	uint64_t offset, len;
	int prot = prots[pick(5)], i, inside = 0;
	void *addr;

	if (m->addr) {
		/* Touch an old mapping (its DM may be gone) and drop it. */
		if (pick(2))
			touch(m);
		if (!pick(4) && mremap(m->addr, m->len, m->len + PAGE, 0) !=
		    MAP_FAILED)
			violation("a uverbs mapping grew", m->len);
		munmap(m->addr, m->len);
		m->addr = NULL;
		return;
	}
	offset = pick(4) ? d->offset + PAGE * (pick(4) ? 0 : pick(3)) :
			   PAGE * value(4096);
	len = pick(4) ? d->size : PAGE * value(1 << 14);
	if (!len || len > (1ULL << 30))
		return;
	raw_calls[R_MMAP]++;
	addr = mmap(NULL, len, prot, pick(8) ? MAP_SHARED : MAP_PRIVATE,
		    raw->cmd_fd, offset);
	if (addr == MAP_FAILED)
		return;
	for (i = 0; i < NDMS; i++)
		inside |= dms[i].live && offset >= dms[i].offset &&
			  offset + len <= dms[i].offset + dms[i].size;
	/* Counted as a DM mapped: the test wants DMs to have been. */
	raw_ok[R_MMAP] += inside;
	/* The doorbell mailbox, at offset 0: every context has one. */
	if (!inside && (offset || len != PAGE))
		violation("mapped a range that is no DM or mailbox of the raw context",
			  offset);
	m->addr = addr;
	m->len = len;
	m->prot = prot;
	touch(m);
}

/*
 * Read-only mappings of another context's uverbs file at random offsets:
 * its rings, unless the offset is wrong. Only --scribble writes there.
 */
static void raw_mmap_other(void)
{
	int c = pick(nctx), prot = scribble && pick(2) ?
		PROT_READ | PROT_WRITE : PROT_READ;
	size_t len = PAGE * (1 + pick(64));
	struct raw_map m = { .len = len, .prot = prot };

	raw_calls[R_MMAP]++;
	m.addr = mmap(NULL, len, prot, MAP_SHARED, ctx[c]->cmd_fd,
		      PAGE * pick(256));
	if (m.addr == MAP_FAILED)
		return;
	raw_ok[R_MMAP]++;
	touch(&m);
	munmap(m.addr, len);
}

void raw_init(struct ibv_device *dev)
{
	raw_dev = dev;
	raw = ibv_open_device(dev);
	if (!raw) {
		fprintf(stderr, "cannot open the raw context: %m\n");
		exit(2);
	}
	if (event_fd < 0)
		event_fd = eventfd(0, EFD_CLOEXEC);
	if (!ro_page)
		ro_page = mmap(NULL, PAGE, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (event_fd < 0 || ro_page == MAP_FAILED) {
		fprintf(stderr, "raw_init: %m\n");
		exit(2);
	}
}

/*
 * Close the raw context. Its mappings keep the uverbs file open, so they
 * go first; the exported dma-bufs stay open across the close at times.
 */
void raw_fini(void)
{
	int i;

	for (i = 0; i < NMAPS; i++)
		if (maps[i].addr) {
			munmap(maps[i].addr, maps[i].len);
			maps[i].addr = NULL;
		}
	for (i = 0; i < NEXPORTS; i++)
		if (exports[i] >= 0 && pick(2)) {
			close(exports[i]);
			exports[i] = -1;
		}
	for (i = 0; i < NDMS; i++)
		dms[i].live = 0;
	ibv_close_device(raw);
	raw = NULL;
}

/*
 * A file descriptor and handle for a call on one of the pool's contexts:
 * half the time an object of kind @k with its own context's file, else
 * any context's file and any handle.
 */
static uint64_t pool_target(enum kind k, int *fd)
{
	struct obj *o = any(k);

	if (o && pick(2)) {
		*fd = ctx[o->ctx]->cmd_fd;
		return obj_handle(k, o);
	}
	*fd = ctx[pick(nctx)]->cmd_fd;
	return some_handle();
}

void op_raw(void)
{
	uint64_t handle;
	int fd;

	switch (pick(16)) {
	case 0: case 1: raw_mr_method(raw->cmd_fd, some_handle(), 1); break;
	case 2:
		handle = pool_target(MR, &fd);
		raw_mr_method(fd, handle, 0);
		break;
	case 3: case 4: raw_dm_alloc(); break;
	case 5: raw_dm_free(); break;
	case 6: case 7:
		if (!no_exports)
			raw_dm_export(raw->cmd_fd, some_handle(), 1);
		break;
	case 8:
		handle = pool_target(DM, &fd);
		if (!no_exports)
			raw_dm_export(fd, handle, 0);
		break;
	case 9:
		raw_random_method(pick(2) ? raw->cmd_fd :
				  ctx[pick(nctx)]->cmd_fd);
		break;
	case 10: raw_doorbell(raw->cmd_fd, some_handle(), 1); break;
	case 11:
		handle = pool_target(QP, &fd);
		raw_doorbell(fd, handle, 0);
		break;
	case 12: case 13: raw_mmap(); break;
	case 14: raw_mmap_other(); break;
	default:
		if (!pick(20)) {
			raw_fini();
			raw_init(raw_dev);
		}
		break;
	}
}

/* One line: "dmr_fuzz: raw KIND OK/CALLS ..." for the caller to check. */
void raw_report(void)
{
	int k;

	printf("dmr_fuzz: raw");
	for (k = 0; k < R_NKINDS; k++)
		printf(" %s %lu/%lu", raw_kind_name[k], raw_ok[k], raw_calls[k]);
	printf("\n");
}
