/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets of the host stub share: the invariant check that
 * aborts (so libFuzzer keeps the input), and the PIIX controller's BAR4 the
 * allowlist is built for.
 */

#ifndef _FUZZ_COMMON_H
#define _FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define PAGE		4096ULL
#define BMDMA		0xc000

#define INVARIANT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "INVARIANT %s failed: ", #cond); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

#endif /* _FUZZ_COMMON_H */
