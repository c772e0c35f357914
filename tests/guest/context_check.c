// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * UVERBS_METHOD_GET_CONTEXT calls that fail, as the kernel sees them
 * without the provider in between: a second context on a uverbs file
 * that has one (EINVAL, from the core), and a first one whose driver
 * data dmr refuses (EOPNOTSUPP: dmr's context takes none). After the
 * refusal the same file gets its context, and a PD on it. Each round
 * runs in a child process that exits: the core used to keep a reference
 * on the caller's task on this path, and the test (ContextErrorsTest)
 * runs this program in a cgroup of its own, which the kernel frees only
 * once every task of the program has been freed.
 *
 *   context_check DEV ROUNDS
 *
 * Prints one line per check of the first round, then "PASSED" or
 * "FAILED: N checks".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

/* verbs.h (through rc_pair.h) first: rdma-core defines RDMA_UAPI_PTR its way. */
#include "rc_pair.h"
#include <rdma/dmr-abi.h>

static int failures;
static int verbose;

static void check(int ok, const char *what, int err)
{
	if (!ok)
		failures++;
	if (verbose || !ok)
		printf("%s: %s (%s)\n", ok ? "ok" : "FAIL", what,
		       err ? strerror(err) : "success");
}

/* GET_CONTEXT on uverbs file @fd, with @uhw_len bytes of driver data. */
static int get_context(int fd, const void *uhw, uint16_t uhw_len)
{
	struct {
		struct ib_uverbs_ioctl_hdr hdr;
		struct ib_uverbs_attr attr;
	} c;

	memset(&c, 0, sizeof(c));
	c.hdr.length = sizeof(c.hdr);
	c.hdr.object_id = UVERBS_OBJECT_DEVICE;
	c.hdr.method_id = UVERBS_METHOD_GET_CONTEXT;
	c.hdr.driver_id = DMR_DRIVER_ID;
	if (uhw_len) {
		c.hdr.length = sizeof(c);
		c.hdr.num_attrs = 1;
		c.attr.attr_id = UVERBS_ATTR_UHW_IN;
		c.attr.len = uhw_len;
		c.attr.data = (uintptr_t)uhw;
	}
	return ioctl(fd, RDMA_VERBS_IOCTL, &c) ? errno : 0;
}

/* ALLOC_PD through write() on @fd: 0 or the errno. */
static int alloc_pd(int fd)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_alloc_pd cmd;
	} w;

	memset(&w, 0, sizeof(w));
	w.hdr.command = IB_USER_VERBS_CMD_ALLOC_PD;
	w.hdr.in_words = sizeof(w) / 4;
	w.hdr.out_words = sizeof(resp) / 4;
	w.cmd.response = (uintptr_t)&resp;
	return write(fd, &w, sizeof(w)) == sizeof(w) ? 0 : errno;
}

/* One round on device @name, whose uverbs file is @path. */
static void round_of_checks(const char *name, const char *path)
{
	static const uint64_t uhw[2] = { 1, 0 };
	struct ibv_context *ctx;
	int fd, err;

	/* A file with a context: the core refuses a second one. */
	ctx = rc_open_device(name);
	err = get_context(ctx->cmd_fd, NULL, 0);
	check(err == EINVAL, "a second GET_CONTEXT is refused", err);
	err = get_context(ctx->cmd_fd, uhw, sizeof(uhw));
	check(err == EINVAL, "a second GET_CONTEXT with driver data is refused", err);
	ibv_close_device(ctx);

	/* A new file: dmr refuses driver data, and the file stays usable. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		check(0, path, errno);
		return;
	}
	err = get_context(fd, uhw, sizeof(uhw));
	check(err == EOPNOTSUPP, "driver data in GET_CONTEXT is refused", err);
	err = alloc_pd(fd);
	check(err != 0, "no PD without a context", err);
	err = get_context(fd, NULL, 0);
	check(err == 0, "GET_CONTEXT after the refusal", err);
	err = alloc_pd(fd);
	check(err == 0, "a PD on that context", err);
	close(fd);
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	char path[sizeof(ctx->device->dev_name) + 16];
	int i, rounds, status;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEV ROUNDS\n", argv[0]);
		return 2;
	}
	rounds = atoi(argv[2]);
	/* The device's uverbs file, for the rounds to open by hand. */
	ctx = rc_open_device(argv[1]);
	snprintf(path, sizeof(path), "/dev/infiniband/%s", ctx->device->dev_name);
	ibv_close_device(ctx);
	for (i = 0; i < rounds; i++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (!pid) {
			verbose = !i;
			round_of_checks(argv[1], path);
			fflush(stdout);
			_exit(failures ? 1 : 0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failures++;
	}
	if (failures)
		printf("FAILED: %d checks\n", failures);
	else
		printf("PASSED\n");
	return failures ? 1 : 0;
}
