// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of a fuzz target into a folder: one small file per
 * case. For fuzz_pvgen_host.c (host, the default): a valid LBA48 batch
 * through each entry point, the probe, every refusal and failure the host
 * stub defines, the ring operations on a host with a ring state, pvgen's
 * port window under an allow-all allowlist, and re-entering callbacks. For
 * fuzz_pvgen_ring.c (ring): scripts that attach, post, poll, kick, detach,
 * re-attach the same ring with a fresh header, attach another after a
 * detach, break a ring and detach it, with failing write-backs and
 * re-entering callbacks. Queue entries are encoded with the generated
 * pvgen_entry_init(), the guest's own encoder.
 *
 *   make_corpus DIR [host|ring]
 */
#include <stdbool.h>
#include <stddef.h>
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
#define F_RING		0x08
#define F_ALLOW_ALL	0x10
#define F_REENTER	0x20

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

static void emit_bytes(const char *name, const unsigned char *b, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	written++;
}

static void emit(const char *name, const struct seed *s)
{
	emit_bytes(name, s->b, s->len);
}

/* The LBA48 batch through the hypercall with its last entry replaced. */
static void bad_last_flags(const char *name, unsigned char flags, __u8 op,
			   __u8 width, __u16 port, __u32 value, __u32 mask)
{
	struct seed s;
	struct pvgen_io_entry *e;

	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[1] = flags;
	lba48(&s);
	e = (void *)(s.b + HEADER + 12 * 16);
	e->op = op;
	e->width = width;
	e->port = port;
	e->value = value;
	e->mask = mask;
	emit(name, &s);
}

static void bad_last(const char *name, __u8 op, __u8 width, __u16 port,
		     __u32 value, __u32 mask)
{
	bad_last_flags(name, 0, op, width, port, value, mask);
}

/*
 * A ring call on a host with a ring state, through @ep (the hypercall or the
 * ring port), of (QGPA | @op); with @header, the queue bytes (placed at the
 * ring) are a header with this ABI's magic and slot count.
 */
static void ring_seed(const char *name, int ep, __u32 op, bool header)
{
	struct seed s;
	__u32 head[2] = { PVGEN_RING_MAGIC, PVGEN_RING_SLOTS };

	if (ep == EP_HYPERCALL)
		seed_init(&s, ep, PVGEN_HC_RING, QGPA | op, 0);
	else
		seed_init(&s, ep, PVGEN_RING_PORT, QGPA | op, 4);
	s.b[1] = F_RING;
	if (header) {
		memcpy(s.b + HEADER, head, sizeof(head));
		s.len = HEADER + sizeof(head);
	}
	emit(name, &s);
}

static void host_seeds(void)
{
	struct seed s;

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

	/* The ring operations, on a host whose ring is not attached yet. */
	ring_seed("ring-attach", EP_HYPERCALL, PVGEN_RING_OP_ATTACH, true);
	ring_seed("ring-attach-port", EP_DOORBELL_OUT, PVGEN_RING_OP_ATTACH,
		  true);
	ring_seed("ring-attach-bad-magic", EP_HYPERCALL, PVGEN_RING_OP_ATTACH,
		  false);
	ring_seed("ring-detach", EP_HYPERCALL, PVGEN_RING_OP_DETACH, false);
	ring_seed("ring-detach-port", EP_DOORBELL_OUT, PVGEN_RING_OP_DETACH,
		  false);
	ring_seed("ring-kick-detached", EP_HYPERCALL, PVGEN_RING_OP_KICK, true);
	ring_seed("ring-op-unknown", EP_DOORBELL_OUT, 3, true);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_RING,
		  0x3000 | PVGEN_RING_OP_DETACH, 0);
	s.b[1] = F_RING;
	emit("ring-detach-outside", &s);
	seed_init(&s, EP_DOORBELL_IN, PVGEN_RING_PORT, 0, 4);
	s.b[1] = F_RING;
	emit("ring-port-in", &s);
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_PROBE, PVGEN_ABI_VERSION, 0);
	s.b[1] = F_RING;
	emit("ring-probe", &s);

	/* pvgen's own ports, with an allowlist of every port. */
	bad_last_flags("window-ring-port", F_ALLOW_ALL, PVGEN_OP_OUT, 4,
		       PVGEN_RING_PORT, QGPA, 0);
	bad_last_flags("window-doorbell", F_ALLOW_ALL, PVGEN_OP_IN, 1,
		       PVGEN_PORT_WINDOW_LAST, 0, 0);
	bad_last_flags("window-overlap", F_ALLOW_ALL, PVGEN_OP_OUT, 4,
		       PVGEN_PORT_WINDOW_FIRST - 2, 0, 0);
	bad_last_flags("window-below", F_ALLOW_ALL, PVGEN_OP_OUT, 4,
		       PVGEN_PORT_WINDOW_FIRST - 4, 0x25, 0);

	/* Callbacks that call the stub again. */
	seed_init(&s, EP_HYPERCALL, PVGEN_HC_BATCH, QGPA, 13);
	s.b[1] = F_REENTER;
	lba48(&s);
	emit("reenter-hypercall", &s);
	seed_init(&s, EP_DOORBELL_OUT, PVGEN_DOORBELL_PORT, QGPA | 5, 4);
	s.b[1] = F_REENTER | F_RING;
	bmdma(&s);
	emit("reenter-doorbell-ring", &s);
}

/* ---- fuzz_pvgen_ring.c: FLAGS, a script, a ring's two pages ---- */

#define R_SCRIPT	32
#define R_ALLOW_ALL	0x01
#define R_REENTER	0x02
#define R_WRITE_FAILS	0x04	/* field in bits 4-5: ret, cons, result, flags */

/* Operation bytes: op | arg << 3; arg bit 0 port (1) or call, bits 1-2 the ring. */
#define ATTACH(ring, port)	(0 | ((ring) << 1 | (port)) << 3)
#define KICK(ring, port)	(1 | ((ring) << 1 | (port)) << 3)
#define DETACH(ring, port)	(2 | ((ring) << 1 | (port)) << 3)
#define POLL			3
#define POLLED(on)		(4 | (on) << 3)
#define POST(ring, n)		(5 | ((n) << 1 | (ring)) << 3)
#define RAW(arg)		(6 | (arg) << 3)
#define REINIT(ring, index)	(7 | ((index) << 1 | (ring)) << 3)

/*
 * A ring seed: @flags, the script (padded with polls), and pages whose header
 * has this ABI's magic and slot count, with a two-entry batch in slot 0 and a
 * count of 2 in every slot (or, with @window, a batch that writes pvgen's
 * ring port and doorbell).
 */
static void ring_script(const char *name, unsigned char flags,
			const unsigned char *ops, size_t nops, bool window)
{
	static unsigned char b[1 + R_SCRIPT + 4096 + 2 * 16];
	unsigned char *page = b + 1 + R_SCRIPT;
	struct pvgen_io_entry e[2];
	__u32 head[2] = { PVGEN_RING_MAGIC, PVGEN_RING_SLOTS };
	__u32 count = 2;
	int slot;

	memset(b, 0, sizeof(b));
	b[0] = flags;
	memset(b + 1, POLL, R_SCRIPT);
	memcpy(b + 1, ops, nops < R_SCRIPT ? nops : R_SCRIPT);
	memcpy(page, head, sizeof(head));
	for (slot = 0; slot < PVGEN_RING_SLOTS; slot++)
		memcpy(page + offsetof(struct pvgen_ring, count) + slot * 4,
		       &count, 4);
	if (window) {
		pvgen_entry_init(&e[0], PVGEN_OP_OUT, 4, PVGEN_RING_PORT,
				 0x4000 | PVGEN_RING_OP_KICK, 0);
		pvgen_entry_init(&e[1], PVGEN_OP_OUT, 1, PVGEN_DOORBELL_PORT,
				 0, 0);
	} else {
		pvgen_entry_init(&e[0], PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
		pvgen_entry_init(&e[1], PVGEN_OP_IN, 1, 0x1f7, 0, 0);
	}
	memcpy(page + PVGEN_RING_SLOTS_OFFSET, e, sizeof(e));
	emit_bytes(name, b, sizeof(b));
}

#define SCRIPT_SEED(name, flags, window, ...)				\
	do {								\
		static const unsigned char ops[] = { __VA_ARGS__ };	\
		ring_script(name, flags, ops, sizeof(ops), window);	\
	} while (0)

/* Rings: 0 the guest's, 1 another, 2 one sharing its slot page, 3 outside. */
static void ring_seeds(void)
{
	SCRIPT_SEED("ring-attach-post-poll-detach", 0, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POST(0, 1), POST(0, 1),
		    KICK(0, 0), DETACH(0, 1), POLL, KICK(0, 1), POST(0, 1),
		    POLL);
	SCRIPT_SEED("ring-detach-runs-posted", 0, false,
		    ATTACH(0, 1), POST(0, 1), POST(0, 1), DETACH(0, 0), POLL,
		    POLLED(1), POLLED(0));
	/* The rmmod/insmod bug: the same page back, prod 0, no detach. */
	SCRIPT_SEED("ring-reattach-fresh-header", 0, false,
		    ATTACH(0, 0), POST(0, 1), POST(0, 1), POST(0, 1), POLL,
		    REINIT(0, 0), ATTACH(0, 1), POST(0, 1), POLL, DETACH(0, 0),
		    REINIT(0, 3), ATTACH(0, 0), POST(0, 1), KICK(0, 0));
	SCRIPT_SEED("ring-new-gpa-after-detach", 0, false,
		    ATTACH(0, 0), POST(0, 1), POLL, ATTACH(1, 0), DETACH(0, 0),
		    ATTACH(1, 1), POST(1, 1), POST(0, 1), POLL, KICK(0, 0),
		    DETACH(1, 0), ATTACH(2, 0), ATTACH(3, 1), DETACH(3, 0));
	SCRIPT_SEED("ring-broken-detach", 0, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POST(0, 15), POLL, KICK(0, 1),
		    POLLED(0), DETACH(0, 1), POLL, ATTACH(0, 0), POLL);
	SCRIPT_SEED("ring-kicked", 0, false,
		    POLLED(0), ATTACH(0, 0), POST(0, 1), KICK(0, 0), POLLED(1),
		    POST(0, 1), POLLED(0), POST(0, 1), KICK(0, 1), KICK(1, 0));
	SCRIPT_SEED("ring-unknown-op", 0, false,
		    RAW(0), ATTACH(0, 0), RAW(1), RAW(31), POST(0, 1), RAW(2),
		    POLL);
	SCRIPT_SEED("ring-write-fails-ret", R_WRITE_FAILS | 0 << 4, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POLL, POST(0, 1), KICK(0, 0));
	SCRIPT_SEED("ring-write-fails-cons", R_WRITE_FAILS | 1 << 4, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POLL, POST(0, 1), KICK(0, 0));
	SCRIPT_SEED("ring-write-fails-result", R_WRITE_FAILS | 2 << 4, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POST(0, 1), POLL);
	SCRIPT_SEED("ring-write-fails-flags", R_WRITE_FAILS | 3 << 4, false,
		    ATTACH(0, 0), POST(0, 1), DETACH(0, 0), POLL, ATTACH(0, 1));
	SCRIPT_SEED("ring-reenter", R_REENTER, false,
		    ATTACH(0, 0), POST(0, 1), POLL, POST(0, 1), KICK(0, 1),
		    POST(0, 1), DETACH(0, 0));
	SCRIPT_SEED("ring-window-allow-all", R_ALLOW_ALL, true,
		    ATTACH(0, 0), POST(0, 1), POLL, POST(0, 1), KICK(0, 0));
}

int main(int argc, char **argv)
{
	const char *target = argc > 2 ? argv[2] : "host";

	if (argc < 2 || argc > 3 ||
	    (strcmp(target, "host") && strcmp(target, "ring"))) {
		fprintf(stderr, "usage: %s DIR [host|ring]\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (!strcmp(target, "host"))
		host_seeds();
	else
		ring_seeds();
	printf("%d seeds in %s\n", written, dir);
	return 0;
}
