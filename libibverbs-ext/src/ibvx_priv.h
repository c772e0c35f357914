/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
#ifndef IBVX_PRIV_H
#define IBVX_PRIV_H

#include <infiniband/ibverbs_ext.h>

/* Record a description of a failure for ibvx_last_error(); returns @err. */
int ibvx_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* IBVX_PRIV_H */
