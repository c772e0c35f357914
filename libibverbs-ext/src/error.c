// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* The per-thread description of the last failure. */
#include <stdarg.h>
#include <stdio.h>

#include "ibvx_priv.h"

static __thread char last_error[512];

const char *ibvx_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

int ibvx_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}
