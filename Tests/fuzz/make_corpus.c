// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_pvgen_host.c into a folder: one small file
 * per case (a valid LBA48 batch through each entry point, the probe, and
 * every refusal and failure the host stub defines). Queue entries are
 * encoded with the generated pvgen_entry_init(), the guest's own encoder.
 *
 *   make_corpus DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvgen_abi.h"
#include "fuzz_common.h"

#define HEADER		40
#define QGPA		0x1000ULL
#define ATA_BUSY	0x80
#define ATA_DRQ		0x08
#define NEVER		0xff

enum { EP_HYPERCALL, EP_DOORBELL_OUT, EP_DOORBELL_IN, EP_RUN_BATCH };

#define F_READ_FAILS	0x01
#define F_RACE		0x02
#define F_IN_FORGETS	0x04

struct seed {
	unsigned char	b[HEADER + 2 * PVGEN_MAX_ENTRIES * 16];
	size_t		len;
	unsigned int	count;
};

static const char *dir;
static int written;

static void put64(unsigned char *p, unsigned long long v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void seed_init(struct seed *s, int ep, unsigned long long nr,
		      unsigned long long a0, unsigned long long a1)
{
	memset(s, 0, sizeof(*s));
	s->b[0] = (unsigned char)ep;
	s->b[2] = NEVER;
	s->b[3] = NEVER;
	put64(s->b + 4, nr);
	put64(s->b + 12, a0);
	put64(s->b + 20, a1);
	put64(s->b + 36, 0x50);	/* device seed */
	s->len = HEADER;
}

static struct pvgen_io_entry *next(struct seed *s)
{
	struct pvgen_io_entry *e = (void *)(s->b + HEADER + s->count * 16);

	s->count++;
	s->len = HEADER + s->count * 16;
	return e;
}

static void add(struct seed *s, __u8 op, __u8 width, __u16 port, __u32 value,
		__u32 mask)
{
	struct pvgen_io_entry e;

	/* Built in an aligned local, then copied into the byte buffer. */
	pvgen_entry_init(&e, op, width, port, value, mask);
	memcpy(next(s), &e, sizeof(e));
}

/* libata's LBA48 taskfile load plus its command: 13 entries. */
static void lba48(struct seed *s)
{
	static const __u8 hob[] = { 0x00, 0x01, 0x45, 0x23, 0x01 };
	static const __u8 tf[] = { 0x00, 0x02, 0xab, 0x89, 0x67 };
	int i;

	for (i = 0; i < 5; i++)
		add(s, PVGEN_OP_OUT, 1, 0x1f1 + i, hob[i], 0);
	for (i = 0; i < 5; i++)
		add(s, PVGEN_OP_OUT, 1, 0x1f1 + i, tf[i], 0);
	add(s, PVGEN_OP_OUT, 1, 0x1f6, 0x40, 0);
	add(s, PVGEN_OP_IN_WAIT, 1, 0x1f7, 0, ATA_BUSY | ATA_DRQ);
	add(s, PVGEN_OP_OUT, 1, 0x1f7, 0x25, 0);
}

/* BMDMA irq_clear, stop, setup and a status read. */
static void bmdma(struct seed *s)
{
	add(s, PVGEN_OP_RMW, 1, BMDMA + 2, 0, 0xff);
	add(s, PVGEN_OP_RMW, 1, BMDMA + 0, 0, 0xfe);
	add(s, PVGEN_OP_OUT, 4, BMDMA + 4, 0x12345000, 0);
	add(s, PVGEN_OP_IN, 1, BMDMA + 10, 0, 0);
	add(s, PVGEN_OP_IN, 2, 0x170, 0, 0);
}

/* The DMA interrupt path: two expectations, then status and the clear. */
static void dma_intr(struct seed *s)
{
	add(s, PVGEN_OP_IN_EXPECT, 1, BMDMA + 2, 0x04, 0x04);
	add(s, PVGEN_OP_RMW, 1, BMDMA + 0, 0, 0xfe);
	add(s, PVGEN_OP_IN_EXPECT, 1, 0x3f6, 0, ATA_BUSY);
	add(s, PVGEN_OP_IN, 1, 0x1f7, 0, 0);
	add(s, PVGEN_OP_RMW, 1, BMDMA + 2, 0, 0xff);
}

static void emit(const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
	written++;
}

/* The LBA48 batch through the hypercall with its last entry replaced. */
static void bad_last(const char *name, __u8 op, __u8 width, __u16 port,
		     __u32 value, __u32 mask)
{
	struct seed s;
	struct pvgen_io_entry *e;

	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	lba48(&s);
	e = (void *)(s.b + HEADER + 12 * 16);
	e->op = op;
	e->width = width;
	e->port = port;
	e->value = value;
	e->mask = mask;
	emit(name, &s);
}

int main(int argc, char **argv)
{
	struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* Valid batches. */
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	lba48(&s);
	emit("lba48-hypercall", &s);
	seed_init(&s, EP_DOORBELL_OUT, PVGEN_DOORBELL_PORT, QGPA | 13, 4);
	lba48(&s);
	emit("lba48-doorbell", &s);
	seed_init(&s, EP_RUN_BATCH, 0, QGPA + 0x1000 - 13 * 16, 13);
	lba48(&s);
	emit("lba48-page-end", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 5);
	bmdma(&s);
	emit("bmdma-rmw", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 5);
	dma_intr(&s);
	emit("dma-intr-expect", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	lba48(&s);
	put64(s.b + 36, ATA_BUSY);
	emit("in-wait-stops", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[1] = F_IN_FORGETS;
	lba48(&s);
	emit("in-forgets", &s);

	/* Probe, unknown numbers, doorbell IN. */
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_PROBE, PVGEN_ABI_VERSION, 0);
	emit("probe", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_PROBE, 2, 0);
	emit("err-version", &s);
	seed_init(&s, EP_HYPERCALL, 12, QGPA, 13);
	emit("enosys-map-gpa-range", &s);
	seed_init(&s, EP_HYPERCALL, (1ULL << 32) | PVGEN_HC_BATCH, QGPA, 13);
	lba48(&s);
	emit("enosys-high-bits", &s);
	seed_init(&s, EP_DOORBELL_IN, PVGEN_DOORBELL_PORT, 0, 4);
	emit("doorbell-in", &s);
	seed_init(&s, EP_DOORBELL_IN, PVGEN_DOORBELL_PORT, 0, 1);
	emit("doorbell-in-width", &s);
	seed_init(&s, EP_DOORBELL_IN, PVGEN_DOORBELL_PORT + 1, 0, 4);
	emit("doorbell-in-port", &s);

	/* Whole-call refusals. */
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 0);
	lba48(&s);
	emit("err-count-zero", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA,
		  PVGEN_MAX_ENTRIES + 1);
	lba48(&s);
	emit("err-count-over", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, (1ULL << 32) + 13);
	lba48(&s);
	emit("err-count-truncated", &s);
	seed_init(&s, EP_DOORBELL_OUT, PVGEN_DOORBELL_PORT, QGPA | 0xfff, 4);
	lba48(&s);
	emit("err-doorbell-count", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA + 8, 13);
	lba48(&s);
	emit("err-align", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, 0x4000, 1);
	emit("err-range-outside", &s);
	seed_init(&s, EP_RUN_BATCH, 0, 0xfffffffffffffff0ULL, 2);
	emit("err-range-wraps", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA + 0x1000 - 6 * 16, 13);
	lba48(&s);
	emit("err-range-crosses-page", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[1] = F_READ_FAILS;
	lba48(&s);
	emit("err-read-fails", &s);
	seed_init(&s, EP_DOORBELL_OUT, PVGEN_DOORBELL_PORT, QGPA | 13, 2);
	lba48(&s);
	emit("err-doorbell-width", &s);
	seed_init(&s, EP_DOORBELL_OUT, PVGEN_DOORBELL_PORT + 4, QGPA | 13, 4);
	lba48(&s);
	emit("err-doorbell-port", &s);

	/* One bad entry, found before anything runs. */
	bad_last("err-op", 0, 1, 0x1f7, 0x25, 0);
	bad_last("err-op-high", 6, 1, 0x1f7, 0x25, 0);
	bad_last("err-width", PVGEN_OP_OUT, 3, 0x1f7, 0x25, 0);
	bad_last("err-width-port", PVGEN_OP_IN, 4, 0x1f0, 0, 0);
	bad_last("err-port", PVGEN_OP_OUT, 1, 0x80, 0x25, 0);
	bad_last("err-port-doorbell", PVGEN_OP_OUT, 4, PVGEN_DOORBELL_PORT,
		 0x1001, 0);
	bad_last("err-reserved-mask", PVGEN_OP_OUT, 1, 0x1f7, 0x25, 1);
	bad_last("err-reserved-value", PVGEN_OP_OUT, 1, 0x1f7, 0x125, 0);
	bad_last("err-reserved-rmw", PVGEN_OP_RMW, 2, 0x1f0, 0x10000, 0);
	bad_last("err-reserved-expect", PVGEN_OP_IN_EXPECT, 1, 0x1f7, 0x81,
		 0x80);

	/* Failures while running, and a racing vCPU. */
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[2] = 5;
	lba48(&s);
	emit("err-io-out", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 5);
	s.b[2] = 1;
	bmdma(&s);
	emit("err-io-rmw-write", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 5);
	s.b[3] = 2;
	bmdma(&s);
	emit("write-back-fails", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[1] = F_RACE;
	lba48(&s);
	/* Past the 13 queued entries: what the other vCPU writes. */
	add(&s, PVGEN_OP_OUT, 3, 0x80, 0x99, 0);
	memset(s.b + s.len, 0xa5, 12 * 16);
	s.len += 12 * 16;
	emit("race-rewrites-queue", &s);

	printf("%d seeds in %s\n", written, dir);
	return 0;
}
