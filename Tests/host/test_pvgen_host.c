// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for the generated pvgen host stub library (host/lib of a tree that
 * pvgen generated; see the Makefile).  A fake VMM provides guest memory that
 * logs every access, and a fake port device that records an ordered trace.
 * The guest side is the generated encoder, pvgen_entry_init() from the
 * shared ABI header, the one the guest module's pvgen_append() calls,
 * writing straight into that memory.
 *
 * Every test checks, besides its own result, that guest memory outside the
 * queue is byte-for-byte unchanged and that no read or write reached
 * outside the queue; refused calls also check that no port was touched and
 * nothing at all was written.
 *
 * Guest memory is reached as x86 reaches it: an aligned 32-bit field with
 * one acquire load or release store, any other byte with a byte access
 * (x86-TSO orders every load as an acquire and every store as a release),
 * so that a second thread racing on it is no undefined behaviour.
 *
 * The ring's two-thread tests go further for ThreadSanitizer (make tsan):
 * there only the ring's prod, cons and flags are atomic (acquire loads,
 * release stores, on both sides), and the slots, counts and ret are plain
 * memory. The ring's protocol is what orders every plain access, so TSan
 * reports any slot or ret access that the host (or the test's guest) makes
 * outside the order prod and cons give it.
 */
#define _GNU_SOURCE	/* usleep(), clock_gettime() */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvgen_abi.h"
#include "pvgen_host.h"

#define MEM_SIZE	0x10000ULL
/* Page aligned, so the doorbell can name it too. */
#define QGPA		0x3000ULL
#define BMDMA		0xc000
#define ENOSYS_RET	(-1000L)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ATA bits the sequences use. */
#define ATA_BUSY	0x80
#define ATA_DRDY	0x40
#define ATA_DRQ		0x08
#define ATA_DSC		0x10
#define ATA_LBA		0x40
#define ATA_CMD_READ_DMA_EXT	0x25

struct mem_access {
	bool	write;
	__u64	gpa;
	__u32	len;
};

struct pio_rec {
	char	dir;	/* 'i' or 'o' */
	__u16	port;
	__u8	width;
	__u32	value;
};

#define MAX_LOG	512

struct fake_vm {
	struct mem_access	mlog[MAX_LOG];
	int			nmlog;
	struct pio_rec		trace[MAX_LOG];
	int			ntrace;
	/* What IN returns, per port; fail_at: trace index to fail, or -1. */
	__u32			in_value[0x10000];
	int			fail_at;
	bool			read_fails;
	bool			write_fails;
	int			write_fail_at;	/* index of the failing write, or -1 */
	__u64			write_fail_gpa;	/* a write there fails, or ~0 */
	int			nwrites;
	/* What the one read of the queue copied, as the host saw it. */
	__u8			copy[PVGEN_MAX_ENTRIES * 16];
	bool			in_forgets;	/* IN stores nothing */
	__u32			in_high_bits;	/* ORed into IN */
	/* Called after each OUT, as another vCPU racing the host. */
	void			(*after_out)(struct fake_vm *vm);
};

static alignas(4096) __u8 mem[MEM_SIZE];
static __u8 snap[MEM_SIZE];
static struct fake_vm vm;
static struct pvgen_host_port_range ports[PVGEN_HOST_PIIX_IDE_NR_PORTS];
static struct pvgen_host host;

static const char *cur_test;
static bool cur_failed;
static int n_passed, n_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: %s: CHECK(%s)\n",	\
				__FILE__, __LINE__, cur_test, #cond);	\
			cur_failed = true;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			fprintf(stderr,					\
				"  %s:%d: %s: %s == %lld, want %s == %lld\n", \
				__FILE__, __LINE__, cur_test, #a, _a, #b, _b); \
			cur_failed = true;				\
		}							\
	} while (0)

/* ---- the fake VMM ---- */

static void log_mem(bool write, __u64 gpa, __u32 len)
{
	if (vm.nmlog < MAX_LOG)
		vm.mlog[vm.nmlog] = (struct mem_access){ write, gpa, len };
	vm.nmlog++;
}

/* The aligned 32-bit word of guest memory at @gpa. */
static __u32 *word_at(__u64 gpa)
{
	return (__u32 *)(void *)&mem[gpa];
}

/* Guest memory as x86 reads and writes it: see the top of the file. */
static void mem_load(void *dst, __u64 gpa, __u32 len)
{
	__u8 *d = dst;
	__u32 w;

	while (len) {
		if (!(gpa & 3) && len >= 4) {
			w = __atomic_load_n(word_at(gpa), __ATOMIC_ACQUIRE);
			memcpy(d, &w, 4);
			d += 4;
			gpa += 4;
			len -= 4;
		} else {
			*d++ = __atomic_load_n(&mem[gpa++], __ATOMIC_ACQUIRE);
			len--;
		}
	}
}

static void mem_store(__u64 gpa, const void *src, __u32 len)
{
	const __u8 *s = src;
	__u32 w;

	while (len) {
		if (!(gpa & 3) && len >= 4) {
			memcpy(&w, s, 4);
			__atomic_store_n(word_at(gpa), w, __ATOMIC_RELEASE);
			s += 4;
			gpa += 4;
			len -= 4;
		} else {
			__atomic_store_n(&mem[gpa++], *s++, __ATOMIC_RELEASE);
			len--;
		}
	}
}

/* One aligned 32-bit field of guest memory, as a guest thread reads it. */
static __u32 mem_get32(__u64 gpa)
{
	return __atomic_load_n(word_at(gpa), __ATOMIC_ACQUIRE);
}

static void mem_put32(__u64 gpa, __u32 value)
{
	__atomic_store_n(word_at(gpa), value, __ATOMIC_RELEASE);
}

static int fake_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	(void)opaque;
	log_mem(false, gpa, len);
	if (vm.read_fails || gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -1;
	mem_load(dst, gpa, len);
	if (len <= sizeof(vm.copy))
		memcpy(vm.copy, dst, len);
	return 0;
}

static int fake_write_guest(void *opaque, __u64 gpa, const void *src,
			    __u32 len)
{
	int n = vm.nwrites++;

	(void)opaque;
	log_mem(true, gpa, len);
	if (vm.write_fails || n == vm.write_fail_at ||
	    gpa == vm.write_fail_gpa || gpa >= MEM_SIZE ||
	    len > MEM_SIZE - gpa)
		return -1;
	mem_store(gpa, src, len);
	return 0;
}

static int record(char dir, __u16 port, __u8 width, __u32 value)
{
	int i = vm.ntrace++;

	if (i < MAX_LOG)
		vm.trace[i] = (struct pio_rec){ dir, port, width, value };
	return i == vm.fail_at ? -5 : 0;
}

static int fake_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	(void)opaque;
	if (record('i', port, width, vm.in_value[port]))
		return -5;
	if (vm.in_forgets)
		return 0;
	*value = vm.in_value[port] | vm.in_high_bits;
	return 0;
}

static int fake_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	int ret;

	(void)opaque;
	ret = record('o', port, width, value);
	if (vm.after_out)
		vm.after_out(&vm);
	return ret;
}

/* Fresh VM: memory filled with an address-dependent pattern, no logs. */
static void vm_reset(void)
{
	__u64 i;

	memset(&vm, 0, sizeof(vm));
	vm.fail_at = -1;
	vm.write_fail_at = -1;
	vm.write_fail_gpa = ~0ULL;
	for (i = 0; i < MEM_SIZE; i++)
		mem[i] = (__u8)(i * 7 + 0x5a);
	memcpy(snap, mem, sizeof(mem));

	host = (struct pvgen_host){
		.read_guest = fake_read_guest,
		.write_guest = fake_write_guest,
		.pio_in = fake_pio_in,
		.pio_out = fake_pio_out,
		.opaque = &vm,
		.mem_size = MEM_SIZE,
		.ports = ports,
		.nr_ports = PVGEN_HOST_PIIX_IDE_NR_PORTS,
	};
}

/* Snapshot memory after the guest filled its queue. */
static void guest_done(void)
{
	memcpy(snap, mem, sizeof(mem));
}

static struct pvgen_io_entry *entry_at(__u64 gpa, __u32 i)
{
	return (struct pvgen_io_entry *)&mem[gpa + i * 16];
}

/* Nothing outside [gpa, gpa + len) changed or was accessed. */
static void check_confined(__u64 gpa, __u64 len)
{
	__u64 i, bad = 0;
	int k;

	for (i = 0; i < MEM_SIZE; i++)
		if ((i < gpa || i >= gpa + len) && mem[i] != snap[i])
			bad++;
	CHECK_EQ(bad, 0);
	/* Guard bytes right against the queue, spelled out. */
	if (gpa >= 16 && gpa + len + 16 <= MEM_SIZE) {
		CHECK(!memcmp(&mem[gpa - 16], &snap[gpa - 16], 16));
		CHECK(!memcmp(&mem[gpa + len], &snap[gpa + len], 16));
	}
	CHECK(vm.nmlog <= MAX_LOG);
	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++) {
		CHECK(vm.mlog[k].gpa >= gpa);
		CHECK(vm.mlog[k].gpa + vm.mlog[k].len <= gpa + len);
		CHECK(vm.mlog[k].len <= len);
	}
}

/* A refused call: no port, no write, memory exactly as the guest left it. */
static void check_refused(int reads)
{
	int k, nreads = 0;

	CHECK_EQ(vm.ntrace, 0);
	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++) {
		CHECK(!vm.mlog[k].write);
		nreads++;
	}
	CHECK_EQ(nreads, reads);
	CHECK(!memcmp(mem, snap, sizeof(mem)));
}

/* Writes the host made: only value (+4) and result (+12), 4 bytes each. */
static void check_field_writes(__u64 gpa)
{
	int k;
	__u64 off;

	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++) {
		if (!vm.mlog[k].write)
			continue;
		off = (vm.mlog[k].gpa - gpa) % 16;
		CHECK(off == 4 || off == 12);
		CHECK_EQ(vm.mlog[k].len, 4);
	}
}

/* Entries from index n on were not reached: no write went there. */
static void check_no_writes_from(__u64 gpa, __u32 n)
{
	int k;

	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++)
		if (vm.mlog[k].write)
			CHECK(vm.mlog[k].gpa < gpa + n * 16);
}

/* The queue was read exactly once, whole. */
static void check_one_copy(__u64 gpa, __u32 count)
{
	int k, nreads = 0;

	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++) {
		if (vm.mlog[k].write)
			continue;
		nreads++;
		CHECK_EQ(vm.mlog[k].gpa, gpa);
		CHECK_EQ(vm.mlog[k].len, count * 16);
	}
	CHECK_EQ(nreads, 1);
}

/* The first n port accesses are want[0..n). */
static void check_trace_prefix(const struct pio_rec *want, int n)
{
	int i;

	CHECK(vm.ntrace >= n);
	for (i = 0; i < n && i < vm.ntrace; i++) {
		CHECK_EQ(vm.trace[i].dir, want[i].dir);
		CHECK_EQ(vm.trace[i].port, want[i].port);
		CHECK_EQ(vm.trace[i].width, want[i].width);
		CHECK_EQ(vm.trace[i].value, want[i].value);
	}
}

/* Exactly want[0..n), in order. */
static void check_trace(const struct pio_rec *want, int n)
{
	CHECK_EQ(vm.ntrace, n);
	check_trace_prefix(want, n);
}

/* ---- the guest side ---- */

/*
 * A queue the guest fills.  The bytes of each entry come from the generated
 * pvgen_entry_init(); this layer only counts, as the guest module's
 * struct pvgen_port does.
 */
struct guest_queue {
	struct pvgen_io_entry	*entries;
	__u32			count;
};

static void guest_queue_init(struct guest_queue *q, __u64 gpa)
{
	q->entries = entry_at(gpa, 0);
	q->count = 0;
}

static int guest_add(struct guest_queue *q, __u8 op, __u16 port, __u8 width,
		     __u32 value, __u32 mask)
{
	if (q->count >= PVGEN_MAX_ENTRIES)
		return PVGEN_ERR_COUNT;
	pvgen_entry_init(&q->entries[q->count], op, width, port, value, mask);
	return (int)q->count++;
}

static int guest_out(struct guest_queue *q, __u16 port, __u8 width,
		     __u32 value)
{
	return guest_add(q, PVGEN_OP_OUT, port, width, value, 0);
}

static int guest_outb(struct guest_queue *q, __u16 port, __u8 value)
{
	return guest_out(q, port, 1, value);
}

static int guest_in(struct guest_queue *q, __u16 port, __u8 width)
{
	return guest_add(q, PVGEN_OP_IN, port, width, 0, 0);
}

static int guest_in_wait(struct guest_queue *q, __u16 port, __u8 width,
			 __u32 stop_mask)
{
	return guest_add(q, PVGEN_OP_IN_WAIT, port, width, 0, stop_mask);
}

static int guest_rmw(struct guest_queue *q, __u16 port, __u8 width,
		     __u32 keep_mask, __u32 set_bits)
{
	return guest_add(q, PVGEN_OP_RMW, port, width, set_bits, keep_mask);
}

/*
 * Entries the host completed, read from the results as the guest module
 * reads a doorbell batch: the leading run of PVGEN_RESULT_OK.
 */
static __u32 guest_completed(const struct guest_queue *q)
{
	__u32 i;

	for (i = 0; i < q->count; i++)
		if (q->entries[i].result != PVGEN_RESULT_OK)
			break;
	return i;
}

/* The doorbell OUT value, as the guest module builds it: gpa | count. */
static __u32 doorbell_value(__u64 gpa, __u32 count)
{
	CHECK_EQ(gpa & PVGEN_DOORBELL_COUNT_MASK, 0);
	CHECK(gpa < PVGEN_DOORBELL_ADDR_LIMIT);
	CHECK(count <= PVGEN_DOORBELL_COUNT_MASK);
	return (__u32)gpa | count;
}

#define LBA48_LBA	0x0123456789abULL
#define LBA48_NSECT	0x0102
#define LBA48_COUNT	13
#define LBA48_WAIT	11	/* index of the IN_WAIT */

/*
 * What libata's ata_sff_tf_load() + ata_sff_exec_command() do for an LBA48
 * command: HOB registers, then the taskfile, device, wait for !BSY !DRQ,
 * command.
 */
static __u32 encode_lba48(__u64 gpa, __u64 lba, __u16 nsect, __u8 cmd)
{
	struct guest_queue q;
	int ret = 0;

	guest_queue_init(&q, gpa);
	ret |= guest_outb(&q, 0x1f1, 0);		/* hob feature */
	ret |= guest_outb(&q, 0x1f2, nsect >> 8);
	ret |= guest_outb(&q, 0x1f3, (__u8)(lba >> 24));
	ret |= guest_outb(&q, 0x1f4, (__u8)(lba >> 32));
	ret |= guest_outb(&q, 0x1f5, (__u8)(lba >> 40));
	ret |= guest_outb(&q, 0x1f1, 0);			/* feature */
	ret |= guest_outb(&q, 0x1f2, (__u8)nsect);
	ret |= guest_outb(&q, 0x1f3, (__u8)lba);
	ret |= guest_outb(&q, 0x1f4, (__u8)(lba >> 8));
	ret |= guest_outb(&q, 0x1f5, (__u8)(lba >> 16));
	ret |= guest_outb(&q, 0x1f6, ATA_LBA);
	ret |= guest_in_wait(&q, 0x1f7, 1, ATA_BUSY | ATA_DRQ);
	ret |= guest_outb(&q, 0x1f7, cmd);
	CHECK(ret >= 0);
	CHECK_EQ(q.count, LBA48_COUNT);
	return q.count;
}

/* The same sequence, written out by hand: what the device must see. */
static const struct pio_rec lba48_trace[LBA48_COUNT] = {
	{ 'o', 0x1f1, 1, 0x00 },
	{ 'o', 0x1f2, 1, 0x01 },
	{ 'o', 0x1f3, 1, 0x45 },
	{ 'o', 0x1f4, 1, 0x23 },
	{ 'o', 0x1f5, 1, 0x01 },
	{ 'o', 0x1f1, 1, 0x00 },
	{ 'o', 0x1f2, 1, 0x02 },
	{ 'o', 0x1f3, 1, 0xab },
	{ 'o', 0x1f4, 1, 0x89 },
	{ 'o', 0x1f5, 1, 0x67 },
	{ 'o', 0x1f6, 1, 0x40 },
	{ 'i', 0x1f7, 1, ATA_DRDY | ATA_DSC },
	{ 'o', 0x1f7, 1, ATA_CMD_READ_DMA_EXT },
};

/* A well-formed LBA48 queue at QGPA, status reads DRDY | DSC. */
static __u32 setup_lba48(void)
{
	__u32 n;

	vm_reset();
	vm.in_value[0x1f7] = ATA_DRDY | ATA_DSC;
	n = encode_lba48(QGPA, LBA48_LBA, LBA48_NSECT, ATA_CMD_READ_DMA_EXT);
	guest_done();
	return n;
}

static void check_lba48_done(long ret)
{
	__u32 i;

	CHECK_EQ(ret, LBA48_COUNT);
	check_trace(lba48_trace, LBA48_COUNT);
	for (i = 0; i < LBA48_COUNT; i++)
		CHECK_EQ(entry_at(QGPA, i)->result, PVGEN_RESULT_OK);
	CHECK_EQ(entry_at(QGPA, LBA48_WAIT)->value, ATA_DRDY | ATA_DSC);
	/* OUT values, ops, ports and masks are as the guest wrote them. */
	for (i = 0; i < LBA48_COUNT; i++) {
		if (i == LBA48_WAIT)
			continue;
		CHECK(!memcmp(entry_at(QGPA, i), &snap[QGPA + i * 16], 12));
	}
	check_one_copy(QGPA, LBA48_COUNT);
	check_field_writes(QGPA);
	check_confined(QGPA, LBA48_COUNT * 16);
}

/* All entries still PENDING, byte for byte as the guest left them. */
static void check_all_pending(__u64 gpa, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		CHECK_EQ(entry_at(gpa, i)->result, PVGEN_RESULT_PENDING);
}

/* ---- tests ---- */

static void test_abi_bytes(void)
{
	struct guest_queue q;
	const __u8 want[16] = {
		PVGEN_OP_RMW, 2, 0xf7, 0x01,	/* op, width, port LE */
		0x34, 0x12, 0, 0,		/* value LE */
		0xf0, 0xff, 0, 0,		/* mask LE */
		1, 0, 0, 0,			/* result PENDING LE */
	};

	/* Byte positions the guest module and the host must agree on. */
	guest_queue_init(&q, QGPA);
	CHECK_EQ(guest_rmw(&q, 0x1f7, 2, 0xfff0, 0x1234), 0);
	CHECK(!memcmp(&mem[QGPA], want, 16));
	CHECK_EQ(sizeof(struct pvgen_io_entry), 16);
	CHECK_EQ(PVGEN_HC_PROBE, 0x70760001);
	CHECK_EQ(PVGEN_HC_BATCH, 0x70760002);
	CHECK_EQ(PVGEN_DOORBELL_PORT, 0x560);
	CHECK_EQ(PVGEN_DOORBELL_MAGIC, 0x70760001);
}

static void test_entry_init(void)
{
	struct pvgen_io_entry e;
	const __u8 want[16] = {
		PVGEN_OP_IN_WAIT, 1, 0x77, 0x01,	/* op, width, port */
		0, 0, 0, 0,			/* value */
		0x88, 0, 0, 0,			/* mask LE */
		1, 0, 0, 0,			/* result PENDING */
	};

	/* Every byte is written: no stale guest data reaches the host. */
	memset(&e, 0xa5, sizeof(e));
	pvgen_entry_init(&e, PVGEN_OP_IN_WAIT, 1, 0x177, 0, ATA_BUSY | ATA_DRQ);
	CHECK(!memcmp(&e, want, sizeof(want)));
	CHECK_EQ(e.result, PVGEN_RESULT_PENDING);

	/* The doorbell packs the count below the page-aligned gpa. */
	CHECK_EQ(PVGEN_DOORBELL_COUNT_MASK + 1, PVGEN_QUEUE_ALIGN);
	CHECK(PVGEN_MAX_ENTRIES <= PVGEN_DOORBELL_COUNT_MASK);
	CHECK_EQ(doorbell_value(0x3000, 13), 0x300d);
	CHECK_EQ(PVGEN_ENTRY_ALIGN, sizeof(struct pvgen_io_entry));
}

static void test_fingerprint(void)
{
	/* The library carries the fingerprint it was generated for. */
	CHECK_EQ(strlen(pvgen_host_abi_fingerprint), 64);
	CHECK(!strcmp(pvgen_host_abi_fingerprint, PVGEN_ABI_FINGERPRINT));
	CHECK(!strcmp(PVGEN_HOST_ABI_FINGERPRINT, PVGEN_ABI_FINGERPRINT));
}

static void test_allowlist(void)
{
	/* The piix_ide model, per channel: cmd, ctl and bmdma registers. */
	const struct pvgen_host_port_range want[] = {
		{ 0x1f0, 0x1f0, PVGEN_HOST_WIDTH_2 },
		{ 0x1f1, 0x1f7, PVGEN_HOST_WIDTH_1 },
		{ 0x3f6, 0x3f6, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 0, BMDMA + 0, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 2, BMDMA + 2, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 4, BMDMA + 4, PVGEN_HOST_WIDTH_4 },
		{ 0x170, 0x170, PVGEN_HOST_WIDTH_2 },
		{ 0x171, 0x177, PVGEN_HOST_WIDTH_1 },
		{ 0x376, 0x376, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 8, BMDMA + 8, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 10, BMDMA + 10, PVGEN_HOST_WIDTH_1 },
		{ BMDMA + 12, BMDMA + 12, PVGEN_HOST_WIDTH_4 },
	};
	size_t i;

	CHECK_EQ(ARRAY_SIZE(want), PVGEN_HOST_PIIX_IDE_NR_PORTS);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(ports[i].first, want[i].first);
		CHECK_EQ(ports[i].last, want[i].last);
		CHECK_EQ(ports[i].widths, want[i].widths);
	}

	/* The model's data register is 16 bits wide: a 16-bit IN runs. */
	vm.in_value[0x170] = 0xbeef;
	pvgen_entry_init(entry_at(QGPA, 0), PVGEN_OP_IN, 2, 0x170, 0, 0);
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, 1), 1);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0xbeef);
	check_one_copy(QGPA, 1);
	check_confined(QGPA, 16);
}

static void test_lba48_hypercall(void)
{
	__u32 n = setup_lba48();

	check_lba48_done(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH,
						     QGPA, n, 0xdead));
}

static void test_lba48_doorbell(void)
{
	struct guest_queue q = { entry_at(QGPA, 0), LBA48_COUNT };
	__u32 n = setup_lba48();
	int ret;

	ret = pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT, 4,
					     doorbell_value(QGPA, n));
	check_lba48_done(ret);
	CHECK_EQ(guest_completed(&q), LBA48_COUNT);
}

static void test_lba48_run_batch_twice(void)
{
	__u32 n = setup_lba48();

	/* Resubmitting a finished queue replays it: the host is stateless. */
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	guest_done();
	vm.ntrace = 0;
	vm.nmlog = 0;
	check_lba48_done(pvgen_host_run_batch(&host, QGPA, n));
}

static void test_probe(void)
{
	vm_reset();
	guest_done();
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 7, 7),
		 PVGEN_FEATURE_BATCH);
	check_refused(0);
}

static void test_doorbell_in(void)
{
	__u32 v = 0;

	vm_reset();
	guest_done();
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_DOORBELL_PORT, 4,
					       &v), 0);
	CHECK_EQ(v, PVGEN_DOORBELL_MAGIC);
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_DOORBELL_PORT, 1,
					       &v), PVGEN_ERR_WIDTH);
	CHECK_EQ(v, 0xff);
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_DOORBELL_PORT, 2,
					       &v), PVGEN_ERR_WIDTH);
	CHECK_EQ(v, 0xffff);
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, 0x561, 4, &v),
		 PVGEN_ERR_PORT);
	CHECK_EQ(v, 0xffffffffU);
	check_refused(0);
}

static void test_in_wait_stops(void)
{
	struct guest_queue q = { entry_at(QGPA, 0), LBA48_COUNT };
	__u32 n = setup_lba48();
	__u32 i;

	vm.in_value[0x1f7] = ATA_BUSY;
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA, n,
					     0), LBA48_WAIT + 1);
	/* The command was not written; the status read was. */
	CHECK_EQ(vm.ntrace, LBA48_WAIT + 1);
	check_trace_prefix(lba48_trace, LBA48_WAIT);
	CHECK_EQ(vm.trace[LBA48_WAIT].dir, 'i');
	CHECK_EQ(vm.trace[LBA48_WAIT].value, ATA_BUSY);
	for (i = 0; i <= LBA48_WAIT; i++)
		CHECK_EQ(entry_at(QGPA, i)->result, PVGEN_RESULT_OK);
	CHECK_EQ(entry_at(QGPA, LBA48_WAIT)->value, ATA_BUSY);
	/* The command entry is untouched, byte for byte. */
	CHECK(!memcmp(entry_at(QGPA, LBA48_WAIT + 1),
		      &snap[QGPA + (LBA48_WAIT + 1) * 16], 16));
	CHECK_EQ(guest_completed(&q), LBA48_WAIT + 1);
	check_field_writes(QGPA);
	check_no_writes_from(QGPA, LBA48_WAIT + 1);
	check_confined(QGPA, n * 16);
}

/*
 * The interrupt path of a DMA command: the engine's status read expecting
 * INTR, the stop, altstatus expecting not BUSY, status, the INTR clear.
 */
static int queue_dma_intr(struct guest_queue *q)
{
	int ret = 0;

	guest_queue_init(q, QGPA);
	ret |= guest_add(q, PVGEN_OP_IN_EXPECT, BMDMA + 2, 1, 0x04, 0x04);
	ret |= guest_rmw(q, BMDMA + 0, 1, 0xfe, 0);
	ret |= guest_add(q, PVGEN_OP_IN_EXPECT, 0x3f6, 1, 0, ATA_BUSY);
	ret |= guest_in(q, 0x1f7, 1);
	ret |= guest_rmw(q, BMDMA + 2, 1, 0xff, 0);
	guest_done();
	return ret;
}

static void test_in_expect_met(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_value[BMDMA + 2] = 0x24;
	vm.in_value[BMDMA + 0] = 0x09;
	vm.in_value[0x3f6] = 0x50;
	vm.in_value[0x1f7] = 0x50;
	CHECK(queue_dma_intr(&q) >= 0);
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, q.count), 5);
	CHECK_EQ(vm.ntrace, 7);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0x24);
	CHECK_EQ(entry_at(QGPA, 2)->value, 0x50);
	CHECK_EQ(entry_at(QGPA, 3)->value, 0x50);
	CHECK_EQ(guest_completed(&q), 5);
	check_field_writes(QGPA);
	check_confined(QGPA, q.count * 16);
}

/* INTR clear: not this channel's interrupt; nothing after the read runs. */
static void test_in_expect_missed_stops(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_value[BMDMA + 2] = 0x21;
	CHECK(queue_dma_intr(&q) >= 0);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA,
					     q.count, 0), 1);
	CHECK_EQ(vm.ntrace, 1);
	CHECK_EQ(vm.trace[0].port, BMDMA + 2);
	CHECK_EQ(entry_at(QGPA, 0)->result, PVGEN_RESULT_OK);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0x21);
	CHECK(!memcmp(entry_at(QGPA, 1), &snap[QGPA + 16], 16));
	CHECK_EQ(guest_completed(&q), 1);
	check_no_writes_from(QGPA, 1);
	check_confined(QGPA, q.count * 16);
}

/* BUSY at altstatus: the stop ran, the status read and clear did not. */
static void test_in_expect_missed_later(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_value[BMDMA + 2] = 0x24;
	vm.in_value[BMDMA + 0] = 0x09;
	vm.in_value[0x3f6] = ATA_BUSY;
	CHECK(queue_dma_intr(&q) >= 0);
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT, 4,
						doorbell_value(QGPA, q.count)),
		 3);
	CHECK_EQ(vm.ntrace, 4);
	CHECK_EQ(entry_at(QGPA, 2)->value, ATA_BUSY);
	CHECK_EQ(entry_at(QGPA, 3)->result, PVGEN_RESULT_PENDING);
	CHECK_EQ(guest_completed(&q), 3);
	check_no_writes_from(QGPA, 3);
}

/* ---- the exitless ring ---- */

#define RGPA		0x8000ULL	/* the ring's header page; slots at +4096 */
#define RGPA2		(RGPA + PVGEN_RING_SIZE)	/* another ring's pages */
#define RING_FIELD(f)	((__u64)offsetof(struct pvgen_ring, f))
#define SLOT_GPA(gpa, slot) \
	((gpa) + PVGEN_RING_SLOTS_OFFSET + (__u64)(slot) * PVGEN_MAX_ENTRIES * 16)

static struct pvgen_host_ring ring_state;

static struct pvgen_ring *ring_at_gpa(__u64 gpa)
{
	return (struct pvgen_ring *)&mem[gpa];
}

static struct pvgen_ring *ring_at(void)
{
	return ring_at_gpa(RGPA);
}

static struct pvgen_io_entry *slot_at(__u32 slot, __u32 i)
{
	return entry_at(SLOT_GPA(RGPA, slot), i);
}

/* A fresh header at @gpa, as the guest module writes it before attaching. */
static void ring_init(__u64 gpa)
{
	memset(&mem[gpa], 0, PVGEN_RING_SIZE);
	ring_at_gpa(gpa)->magic = PVGEN_RING_MAGIC;
	ring_at_gpa(gpa)->nr_slots = PVGEN_RING_SLOTS;
	ring_at_gpa(gpa)->flags = PVGEN_RING_BROKEN;
}

/* A fresh ring at RGPA, and a host that has a ring state. */
static void ring_reset(void)
{
	vm_reset();
	memset(&ring_state, 0, sizeof(ring_state));
	host.ring = &ring_state;
	ring_init(RGPA);
	guest_done();
}

/* A ring call by hypercall: (gpa | op) in rbx. */
static long ring_call(__u64 gpa, __u32 op)
{
	return pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, gpa | op, 0, 0);
}

/* The same through the ring port: a 32-bit OUT of (gpa | op). */
static int ring_out(__u64 gpa, __u32 op)
{
	return pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 4,
					      (__u32)(gpa | op));
}

/* Post one batch as the guest module does: fill the slot, count, prod. */
static void ring_post_at(__u64 gpa, __u32 n, const struct pvgen_io_entry *e)
{
	struct pvgen_ring *r = ring_at_gpa(gpa);
	__u32 slot = r->prod % PVGEN_RING_SLOTS;

	memcpy(entry_at(SLOT_GPA(gpa, slot), 0), e, n * sizeof(*e));
	r->count[slot] = n;
	r->prod++;
}

static void ring_post(__u32 n, const struct pvgen_io_entry *e)
{
	ring_post_at(RGPA, n, e);
}

/* Forget what the logs hold: the checks after it see what follows. */
static void logs_clear(void)
{
	vm.nmlog = 0;
	vm.ntrace = 0;
	vm.nwrites = 0;
}

/* Since logs_clear(): no guest memory and no port was touched. */
static void check_untouched(void)
{
	CHECK_EQ(vm.nmlog, 0);
	CHECK_EQ(vm.ntrace, 0);
}

/* Since logs_clear(): exactly one access, a 4-byte write of @gpa's flags. */
static void check_only_flags_written(__u64 gpa)
{
	CHECK_EQ(vm.nmlog, 1);
	CHECK(vm.mlog[0].write);
	CHECK_EQ(vm.mlog[0].gpa, gpa + RING_FIELD(flags));
	CHECK_EQ(vm.mlog[0].len, 4);
	CHECK_EQ(vm.ntrace, 0);
}

static void test_ring_attach_by_port_and_call(void)
{
	__u32 value = 0;

	ring_reset();
	/* Without a ring state the port is not there and the probe offers none. */
	host.ring = NULL;
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_RING_PORT, 4,
					       &value), PVGEN_ERR_PORT);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 0, 0),
		 PVGEN_FEATURE_BATCH);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), ENOSYS_RET);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_ATTACH), PVGEN_ERR_PORT);
	check_refused(0);
	host.ring = &ring_state;
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 0, 0),
		 PVGEN_FEATURE_BATCH | PVGEN_FEATURE_RING);
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_RING_PORT, 4,
					       &value), 0);
	CHECK_EQ(value, PVGEN_RING_MAGIC);
	/* The attach: BROKEN goes, NEED_KICK says nobody polls. */
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_ATTACH), 0);
	CHECK(ring_state.attached);
	CHECK_EQ(ring_state.gpa, RGPA);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);
	CHECK_EQ(pvgen_host_ring_set_polled(&host, true), 0);
	CHECK_EQ(ring_at()->flags, 0);
	check_confined(RGPA, PVGEN_RING_SIZE);
	/* A second ring is refused untouched; the first stays. */
	ring_init(RGPA2);
	guest_done();
	logs_clear();
	CHECK_EQ(ring_call(RGPA2, PVGEN_RING_OP_ATTACH), PVGEN_ERR_RANGE);
	check_refused(0);
	CHECK_EQ(ring_state.gpa, RGPA);
	CHECK(ring_state.attached);
	/* Once the first is detached, the hypercall attaches the second. */
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), 0);
	CHECK_EQ(ring_call(RGPA2, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(ring_state.gpa, RGPA2);
	/* The poller's word is kept across attachments. */
	CHECK_EQ(ring_at_gpa(RGPA2)->flags, 0);
}

static void test_ring_attach_refusals(void)
{
	ring_reset();
	/* Both pages inside guest memory, checked before any access. */
	CHECK_EQ(ring_call(MEM_SIZE - 0x1000, PVGEN_RING_OP_ATTACH),
		 PVGEN_ERR_RANGE);
	CHECK_EQ(ring_call(MEM_SIZE, PVGEN_RING_OP_ATTACH), PVGEN_ERR_RANGE);
	CHECK_EQ(ring_call(~0ULL & ~0xfffULL, PVGEN_RING_OP_ATTACH),
		 PVGEN_ERR_RANGE);
	/* The port carries 32 bits: the last two pages below 4 GiB. */
	CHECK_EQ(ring_out(0xffffe000ULL, PVGEN_RING_OP_ATTACH),
		 PVGEN_ERR_RANGE);
	check_refused(0);
	/* The header's magic and slot count are this ABI's. */
	ring_at()->nr_slots = 8;
	guest_done();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), PVGEN_ERR_VERSION);
	ring_at()->nr_slots = PVGEN_RING_SLOTS;
	ring_at()->magic ^= 1;
	guest_done();
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_ATTACH), PVGEN_ERR_VERSION);
	CHECK(!ring_state.attached);
	check_refused(4);		/* magic and slots, then cons, twice */
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);
	/* A header the VMM cannot read, or whose flags it cannot write. */
	ring_at()->magic = PVGEN_RING_MAGIC;
	vm.read_fails = true;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), PVGEN_ERR_RANGE);
	vm.read_fails = false;
	vm.write_fails = true;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), PVGEN_ERR_RANGE);
	CHECK(!ring_state.attached);
	vm.write_fails = false;
	/* The ring's port takes a 32-bit OUT, like the doorbell. */
	logs_clear();
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 2,
						RGPA | PVGEN_RING_OP_ATTACH),
		 PVGEN_ERR_WIDTH);
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 1,
						PVGEN_RING_OP_ATTACH),
		 PVGEN_ERR_WIDTH);
	check_untouched();
	CHECK(!ring_state.attached);
}

/* ABI 3: a kick never attaches; only the attached ring's kick runs it. */
static void test_ring_kick_needs_attach(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	guest_done();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	check_refused(0);
	CHECK(!ring_state.attached);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);

	/* Attached, a kick naming another gpa is refused untouched. */
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	guest_done();
	logs_clear();
	CHECK_EQ(ring_call(RGPA2, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(ring_out(0, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	check_refused(0);
	/* The attach took prod and cons from the header: the kick runs the batch posted before it. */
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_KICK), 0);
	CHECK_EQ(vm.ntrace, 1);
	CHECK_EQ(ring_at()->cons, 1);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/* An operation code the ABI does not have touches nothing. */
static void test_ring_unknown_op(void)
{
	static const __u32 ops[] = { 3, 4, 7, 0x10, 0x800, PVGEN_RING_OP_MASK };
	size_t i;

	ring_reset();
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		CHECK_EQ(ring_call(RGPA, ops[i]), PVGEN_ERR_OP);
		CHECK_EQ(ring_out(RGPA, ops[i]), PVGEN_ERR_OP);
	}
	check_refused(0);
	CHECK(!ring_state.attached);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	guest_done();
	logs_clear();
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		CHECK_EQ(ring_call(RGPA, ops[i]), PVGEN_ERR_OP);
	check_refused(0);
	CHECK(ring_state.attached);
}

/* Posted slots run in order, each once; ret and cons come back. */
static void test_ring_poll_runs_posted_slots(void)
{
	struct pvgen_io_entry e[2];
	__u32 i;

	ring_reset();
	vm.in_value[0x1f7] = 0x50;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	pvgen_entry_init(&e[0], PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	pvgen_entry_init(&e[1], PVGEN_OP_IN, 1, 0x1f7, 0, 0);
	/* Six batches: the indexes pass the slot count and wrap the slots. */
	for (i = 0; i < 6; i++) {
		ring_post(2, e);
		CHECK_EQ(pvgen_host_ring_poll(&host), 1);
		CHECK_EQ(ring_at()->cons, i + 1);
		CHECK_EQ(ring_at()->ret[i % PVGEN_RING_SLOTS], 2);
		CHECK_EQ(slot_at(i % PVGEN_RING_SLOTS, 1)->value, 0x50);
		CHECK_EQ(slot_at(i % PVGEN_RING_SLOTS, 1)->result,
			 PVGEN_RESULT_OK);
	}
	CHECK_EQ(vm.ntrace, 12);
	/* Two posted at once run in one poll; nothing runs twice. */
	ring_post(2, e);
	ring_post(2, e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 2);
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	CHECK_EQ(vm.ntrace, 16);
	/* A kick runs what is posted too, before it returns. */
	ring_post(1, e);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), 0);
	CHECK_EQ(ring_at()->cons, 9);
	CHECK_EQ(vm.ntrace, 17);
	ring_post(1, e);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_KICK), 0);
	CHECK_EQ(ring_at()->cons, 10);
	CHECK_EQ(vm.ntrace, 18);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/* A bad batch in a slot gets its error in ret; the ring goes on. */
static void test_ring_bad_slot_is_refused_alone(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x80, 0x25, 0);
	ring_post(1, &e);
	ring_at()->count[0] = PVGEN_MAX_ENTRIES + 1;
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->ret[0], PVGEN_ERR_COUNT);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->ret[1], PVGEN_ERR_PORT);
	CHECK_EQ(vm.ntrace, 0);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/* prod more than a ring ahead: broken, nothing runs, and it stays so. */
static void test_ring_hostile_prod(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	ring_at()->prod = PVGEN_RING_SLOTS + 1;
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK(ring_state.broken);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);
	CHECK_EQ(vm.ntrace, 0);
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_RANGE);
	CHECK_EQ(vm.ntrace, 0);
	/* prod behind cons wraps to a huge distance: broken as well. */
	ring_reset();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	ring_at()->prod = (__u32)-1;
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK_EQ(vm.ntrace, 0);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/*
 * Detach runs what is posted, writes DETACHED last, and from then on nothing
 * of the host touches the ring's pages: not a poll, not a kick, not the
 * poller's set_polled, whatever the guest posts after it.
 */
static void test_ring_detach_runs_posted_then_lets_go(void)
{
	struct pvgen_io_entry e[2];
	const struct mem_access *last;

	ring_reset();
	vm.in_value[0x1f7] = 0x50;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e[0], PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	pvgen_entry_init(&e[1], PVGEN_OP_IN, 1, 0x1f7, 0, 0);
	ring_post(2, e);
	ring_post(1, e);
	logs_clear();
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_DETACH), 0);
	/* Both posted batches ran, in order, before the answer. */
	CHECK_EQ(vm.ntrace, 3);
	CHECK_EQ(vm.trace[0].port, 0x1f6);
	CHECK_EQ(vm.trace[1].port, 0x1f7);
	CHECK_EQ(vm.trace[2].port, 0x1f6);
	CHECK_EQ(ring_at()->cons, 2);
	CHECK_EQ(ring_at()->ret[0], 2);
	CHECK_EQ(ring_at()->ret[1], 1);
	CHECK_EQ(slot_at(0, 1)->value, 0x50);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_DETACHED);
	CHECK(!ring_state.attached);
	/* The flag is the detach's last access to guest memory. */
	CHECK(vm.nmlog >= 1 && vm.nmlog <= MAX_LOG);
	last = &vm.mlog[vm.nmlog - 1];
	CHECK(last->write);
	CHECK_EQ(last->gpa, RGPA + RING_FIELD(flags));
	check_confined(RGPA, PVGEN_RING_SIZE);

	ring_post(2, e);
	guest_done();
	logs_clear();
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(pvgen_host_ring_set_polled(&host, true), 0);
	CHECK_EQ(pvgen_host_ring_set_polled(&host, false), 0);
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 0, 0),
		 PVGEN_FEATURE_BATCH | PVGEN_FEATURE_RING);
	check_untouched();
	CHECK(!memcmp(mem, snap, sizeof(mem)));
	/* A second detach answers alike and rewrites only the flag. */
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), 0);
	check_only_flags_written(RGPA);
}

/* A broken ring's detach runs nothing: cons says what ran before it broke. */
static void test_ring_detach_broken_runs_nothing(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	ring_post(1, &e);
	ring_at()->prod += PVGEN_RING_SLOTS;
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK(ring_state.broken);
	logs_clear();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), 0);
	check_only_flags_written(RGPA);
	CHECK_EQ(ring_at()->cons, 1);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_DETACHED);
	CHECK(!ring_state.attached);
	CHECK(!ring_state.broken);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/*
 * A detach of a ring the host does not hold (none attached, or another one)
 * answers 0 and writes DETACHED there, once the pages are known to be guest
 * memory; the attached ring stays as it was.
 */
static void test_ring_detach_not_held(void)
{
	ring_reset();
	ring_init(RGPA2);
	guest_done();
	CHECK_EQ(ring_call(RGPA2, PVGEN_RING_OP_DETACH), 0);
	check_only_flags_written(RGPA2);
	CHECK_EQ(ring_at_gpa(RGPA2)->flags, PVGEN_RING_DETACHED);
	CHECK(!ring_state.attached);

	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	ring_at_gpa(RGPA2)->flags = PVGEN_RING_BROKEN;
	guest_done();
	logs_clear();
	CHECK_EQ(ring_out(RGPA2, PVGEN_RING_OP_DETACH), 0);
	check_only_flags_written(RGPA2);
	CHECK(ring_state.attached);
	CHECK_EQ(ring_state.gpa, RGPA);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);

	/* Pages outside guest memory: refused before any access. */
	logs_clear();
	CHECK_EQ(ring_call(MEM_SIZE - 0x1000, PVGEN_RING_OP_DETACH),
		 PVGEN_ERR_RANGE);
	CHECK_EQ(ring_call(~0ULL & ~0xfffULL, PVGEN_RING_OP_DETACH),
		 PVGEN_ERR_RANGE);
	check_untouched();
	CHECK(ring_state.attached);

	/* A flag the VMM cannot write: the host has let the ring go all the same. */
	vm.write_fails = true;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), PVGEN_ERR_RANGE);
	CHECK(!ring_state.attached);
	vm.write_fails = false;
	logs_clear();
	CHECK_EQ(pvgen_host_ring_poll(&host), 0);
	check_untouched();
}

/* After a detach, another gpa attaches and the old ring is never touched. */
static void test_ring_new_gpa_after_detach(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	ring_init(RGPA2);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	ring_post(1, &e);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), 0);
	CHECK_EQ(vm.ntrace, 1);
	CHECK_EQ(ring_out(RGPA2, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(ring_state.gpa, RGPA2);
	CHECK_EQ(ring_state.cons, 0);
	CHECK_EQ(ring_at_gpa(RGPA2)->flags, PVGEN_RING_NEED_KICK);
	/* The old ring's guest posts on: nothing of it runs. */
	ring_post(1, &e);
	guest_done();
	logs_clear();
	ring_post_at(RGPA2, 1, &e);
	ring_post_at(RGPA2, 1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 2);
	CHECK_EQ(ring_at_gpa(RGPA2)->cons, 2);
	CHECK_EQ(vm.ntrace, 2);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), PVGEN_ERR_DETACHED);
	CHECK_EQ(vm.ntrace, 2);
	check_confined(RGPA2, PVGEN_RING_SIZE);
}

/*
 * The reproduced bug: after rmmod/insmod the guest module gets the same page
 * back with a fresh header (prod and cons 0) while the host still holds the
 * old attachment, 3 batches on. Re-attaching the attached gpa starts over
 * from the header's indices; before ABI 3 the host saw a gap and broke it.
 */
static void test_ring_reattach_same_gpa(void)
{
	struct pvgen_io_entry e;
	__u32 i;

	ring_reset();
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	for (i = 0; i < 3; i++)
		ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 3);
	CHECK_EQ(ring_state.cons, 3);

	ring_init(RGPA);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(ring_state.cons, 0);
	CHECK(!ring_state.broken);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->cons, 1);
	CHECK_EQ(ring_at()->ret[0], 1);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);

	/* A header that says 7 batches ran: the host goes on from 7. */
	ring_init(RGPA);
	ring_at()->prod = 7;
	ring_at()->cons = 7;
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(ring_state.cons, 7);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->cons, 8);
	CHECK_EQ(ring_at()->ret[7 % PVGEN_RING_SLOTS], 1);

	/* The clean way, detach then attach, gives the same. */
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_DETACH), 0);
	ring_init(RGPA);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	ring_post(1, &e);
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), 0);
	CHECK_EQ(ring_at()->cons, 1);
	CHECK_EQ(vm.ntrace, 6);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

/*
 * The host's cons moves before anything is written back: a write of the
 * entries, ret or cons that fails never makes the next poll run the slot
 * again.
 */
static void test_ring_cons_before_write_back(void)
{
	static const struct {
		const char	*what;
		__u64		gpa;
		long		poll;
	} fails[] = {
		{ "result", SLOT_GPA(RGPA, 0) + 12, 1 },
		{ "ret", RGPA + RING_FIELD(ret), PVGEN_ERR_RANGE },
		{ "cons", RGPA + RING_FIELD(cons), PVGEN_ERR_RANGE },
	};
	struct pvgen_io_entry e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fails); i++) {
		ring_reset();
		CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
		pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
		ring_post(1, &e);
		vm.write_fail_gpa = fails[i].gpa;
		CHECK_EQ(pvgen_host_ring_poll(&host), fails[i].poll);
		CHECK_EQ(vm.ntrace, 1);
		CHECK_EQ(ring_state.cons, 1);
		vm.write_fail_gpa = ~0ULL;
		CHECK_EQ(pvgen_host_ring_poll(&host), 0);
		CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), 0);
		CHECK_EQ(vm.ntrace, 1);
		/* The next batch runs once, and cons catches up. */
		pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe1, 0);
		ring_post(1, &e);
		CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), 0);
		CHECK_EQ(vm.ntrace, 2);
		CHECK_EQ(vm.trace[1].value, 0xe1);
		CHECK_EQ(ring_at()->cons, 2);
		CHECK_EQ(ring_at()->ret[1], 1);
		check_confined(RGPA, PVGEN_RING_SIZE);
		if (cur_failed) {
			fprintf(stderr, "  with the %s write failing\n",
				fails[i].what);
			return;
		}
	}
}

/*
 * set_polled(false) writes NEED_KICK, then (after a full fence) polls once
 * more itself: what the guest posted while it still saw a poller runs.
 */
static void test_ring_set_polled_false_polls(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	/* Not attached: the word is kept, the ring untouched. */
	CHECK_EQ(pvgen_host_ring_set_polled(&host, true), 0);
	check_refused(0);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(ring_at()->flags, 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	ring_post(1, &e);
	logs_clear();
	CHECK_EQ(pvgen_host_ring_set_polled(&host, false), 0);
	CHECK_EQ(vm.ntrace, 2);
	CHECK_EQ(ring_at()->cons, 2);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);
	/* The flag is written before prod is read. */
	CHECK(vm.nmlog >= 2);
	CHECK(vm.mlog[0].write);
	CHECK_EQ(vm.mlog[0].gpa, RGPA + RING_FIELD(flags));
	CHECK(!vm.mlog[1].write);
	CHECK_EQ(vm.mlog[1].gpa, RGPA + RING_FIELD(prod));
	/* Polled again: no last poll, only the flag. */
	ring_post(1, &e);
	logs_clear();
	CHECK_EQ(pvgen_host_ring_set_polled(&host, true), 0);
	check_only_flags_written(RGPA);
	/* A broken ring says so, and the last poll's error comes back. */
	ring_at()->prod += PVGEN_RING_SLOTS + 1;
	CHECK_EQ(pvgen_host_ring_set_polled(&host, false), PVGEN_ERR_RANGE);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);
	CHECK_EQ(vm.ntrace, 0);
	/* Without a ring state there is nothing to set. */
	host.ring = NULL;
	CHECK_EQ(pvgen_host_ring_set_polled(&host, false), PVGEN_ERR_RANGE);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

static void test_rmw_bmdma(void)
{
	struct guest_queue q;
	int ret = 0;
	const struct pio_rec want[] = {
		{ 'i', BMDMA + 2, 1, 0x64 },
		{ 'o', BMDMA + 2, 1, 0x64 },	/* write-1-to-clear IRQ */
		{ 'i', BMDMA + 0, 1, 0x09 },
		{ 'o', BMDMA + 0, 1, 0x08 },	/* clear START */
		{ 'o', BMDMA + 4, 4, 0x12345000 },
		{ 'i', BMDMA + 10, 1, 0x20 },
	};

	vm_reset();
	vm.in_value[BMDMA + 2] = 0x64;
	vm.in_value[BMDMA + 0] = 0x09;
	vm.in_value[BMDMA + 10] = 0x20;
	/* ata_bmdma_irq_clear(), ata_bmdma_stop(), ata_bmdma_setup(). */
	guest_queue_init(&q, QGPA);
	ret |= guest_rmw(&q, BMDMA + 2, 1, 0xff, 0);
	ret |= guest_rmw(&q, BMDMA + 0, 1, 0xfe, 0);
	ret |= guest_out(&q, BMDMA + 4, 4, 0x12345000);
	ret |= guest_in(&q, BMDMA + 10, 1);
	CHECK(ret >= 0);
	guest_done();

	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, q.count), 4);
	check_trace(want, 6);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0x64);
	CHECK_EQ(entry_at(QGPA, 1)->value, 0x09);
	CHECK_EQ(entry_at(QGPA, 2)->value, 0x12345000);
	CHECK_EQ(entry_at(QGPA, 3)->value, 0x20);
	CHECK_EQ(guest_completed(&q), 4);
	check_field_writes(QGPA);
	check_confined(QGPA, q.count * 16);
}

static void test_in_masks_device_high_bits(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_value[0x1f7] = 0x50;
	vm.in_high_bits = 0xdead0000;
	guest_queue_init(&q, QGPA);
	guest_in(&q, 0x1f7, 1);
	guest_rmw(&q, 0x1f7, 1, 0xff, 0x01);
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, 2), 2);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0x50);
	CHECK_EQ(entry_at(QGPA, 1)->value, 0x50);
	CHECK_EQ(vm.trace[2].value, 0x51);
	check_confined(QGPA, 32);
}

static void test_in_callback_stores_nothing(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_forgets = true;
	guest_queue_init(&q, QGPA);
	guest_in(&q, 0x1f7, 1);
	entry_at(QGPA, 0)->value = 0x77;	/* ignored for IN */
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, 1), 1);
	CHECK_EQ(entry_at(QGPA, 0)->value, 0);
	check_confined(QGPA, 16);
}

static void race_rewrite(struct fake_vm *v)
{
	struct pvgen_io_entry *e = entry_at(QGPA, LBA48_COUNT - 1);

	(void)v;
	/* Another vCPU turns the command write into an OUT to port 0x80. */
	e->op = PVGEN_OP_OUT;
	e->port = 0x80;
	e->value = 0x99;
	e->width = 3;
	entry_at(QGPA, 6)->value = 0xee;
}

static void test_queue_rewritten_during_run(void)
{
	__u32 n = setup_lba48();
	struct pvgen_io_entry e;

	vm.after_out = race_rewrite;
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	/* The validated copy ran, not what the guest wrote later. */
	check_trace(lba48_trace, LBA48_COUNT);
	check_one_copy(QGPA, n);
	/* Write-back touched only value/result: the rewrite survives. */
	memcpy(&e, entry_at(QGPA, LBA48_COUNT - 1), sizeof(e));
	CHECK_EQ(e.port, 0x80);
	CHECK_EQ(e.width, 3);
	CHECK_EQ(e.result, PVGEN_RESULT_OK);
	check_field_writes(QGPA);
	check_confined(QGPA, n * 16);
}

/* A whole-call refusal for a queue of n entries at gpa. */
static void check_err(long ret, long want, int reads)
{
	CHECK_EQ(ret, want);
	check_refused(reads);
}

static void test_err_count_zero(void)
{
	__u32 n = setup_lba48();

	(void)n;
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA, 0,
					      0), PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 4, QGPA), PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_run_batch(&host, QGPA, 0), PVGEN_ERR_COUNT, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

static void test_err_count_over_max(void)
{
	__u32 n = setup_lba48();

	(void)n;
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA,
					      PVGEN_MAX_ENTRIES + 1, 0),
		  PVGEN_ERR_COUNT, 0);
	/* 2^32 + 13 must not be truncated to a valid 13. */
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA,
					      (1ULL << 32) + LBA48_COUNT, 0),
		  PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 4, QGPA | 0xfff),
		  PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 4, QGPA | 65),
		  PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_run_batch(&host, QGPA, 0xffffffffU),
		  PVGEN_ERR_COUNT, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

static void test_err_gpa_outside_memory(void)
{
	setup_lba48();
	check_err(pvgen_host_run_batch(&host, MEM_SIZE, 1), PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_run_batch(&host, MEM_SIZE - 16, 2),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_run_batch(&host, 1ULL << 40, 1),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH,
					      0xfffff000, 13, 0),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 4, 0xfffff000 | 13),
		  PVGEN_ERR_RANGE, 0);
	/* The last 16 bytes of memory are a valid one-entry queue. */
	vm.in_value[0x1f7] = 0x50;
	memset(&mem[MEM_SIZE - 16], 0, 16);
	entry_at(MEM_SIZE - 16, 0)->op = PVGEN_OP_IN;
	entry_at(MEM_SIZE - 16, 0)->width = 1;
	entry_at(MEM_SIZE - 16, 0)->port = 0x1f7;
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, MEM_SIZE - 16, 1), 1);
	CHECK_EQ(entry_at(MEM_SIZE - 16, 0)->value, 0x50);
	check_confined(MEM_SIZE - 16, 16);
}

static void test_err_gpa_wraps(void)
{
	setup_lba48();
	/* gpa + len wraps to 0x10: a naive end <= mem_size check passes. */
	check_err(pvgen_host_run_batch(&host, 0xfffffffffffffff0ULL, 2),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH,
					      0xfffffffffffffff0ULL, 2, 0),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_run_batch(&host, 0xfffffffffffffc00ULL, 64),
		  PVGEN_ERR_RANGE, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

static void test_err_crosses_page(void)
{
	__u64 gpa = QGPA + 0x1000 - 16 * 6;

	vm_reset();
	vm.in_value[0x1f7] = ATA_DRDY | ATA_DSC;
	encode_lba48(gpa, LBA48_LBA, LBA48_NSECT, ATA_CMD_READ_DMA_EXT);
	guest_done();
	check_err(pvgen_host_run_batch(&host, gpa, LBA48_COUNT),
		  PVGEN_ERR_RANGE, 0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, gpa,
					      LBA48_COUNT, 0),
		  PVGEN_ERR_RANGE, 0);
	check_all_pending(gpa, LBA48_COUNT);
}

/* Every count, at the last position in a page that fits and one past it. */
static void test_page_end_sweep(void)
{
	__u32 n, i;
	__u64 gpa;

	for (n = 1; n <= PVGEN_MAX_ENTRIES; n++) {
		vm_reset();
		gpa = QGPA + 0x1000 - n * 16;
		for (i = 0; i < n; i++) {
			memset(entry_at(gpa, i), 0, 16);
			entry_at(gpa, i)->op = PVGEN_OP_OUT;
			entry_at(gpa, i)->width = 1;
			entry_at(gpa, i)->port = 0x1f2;
			entry_at(gpa, i)->value = i & 0xff;
			entry_at(gpa, i)->result = PVGEN_RESULT_PENDING;
		}
		guest_done();
		CHECK_EQ(pvgen_host_run_batch(&host, gpa, n), n);
		CHECK_EQ(vm.ntrace, n);
		check_confined(gpa, n * 16);

		/* One entry later the last one crosses (a single one fits). */
		vm_reset();
		guest_done();
		if (n > 1)
			check_err(pvgen_host_run_batch(&host, gpa + 16, n),
				  PVGEN_ERR_RANGE, 0);
		if (cur_failed) {
			fprintf(stderr, "  at count %u\n", n);
			return;
		}
	}
}

static void test_err_misaligned(void)
{
	setup_lba48();
	check_err(pvgen_host_run_batch(&host, QGPA + 8, 2), PVGEN_ERR_ALIGN,
		  0);
	check_err(pvgen_host_run_batch(&host, QGPA + 1, 2), PVGEN_ERR_ALIGN,
		  0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH,
					      QGPA + 4, 2, 0),
		  PVGEN_ERR_ALIGN, 0);
	/* Alignment is checked before range: unaligned and outside. */
	check_err(pvgen_host_run_batch(&host, 0xfffffffffffffff8ULL, 2),
		  PVGEN_ERR_ALIGN, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

/*
 * The LBA48 queue with its LAST entry replaced: the error must be found
 * before entry 0 runs, after exactly one copy of the queue.
 */
static void check_bad_last(struct pvgen_io_entry bad, long want)
{
	setup_lba48();
	bad.result = PVGEN_RESULT_PENDING;
	memcpy(entry_at(QGPA, LBA48_COUNT - 1), &bad, sizeof(bad));
	guest_done();
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA,
					      LBA48_COUNT, 0), want, 1);
	check_all_pending(QGPA, LBA48_COUNT);
	check_one_copy(QGPA, LBA48_COUNT);
	check_confined(QGPA, LBA48_COUNT * 16);

	/* Same through the doorbell. */
	vm.nmlog = 0;
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 4, QGPA | LBA48_COUNT),
		  want, 1);
}

#define E(op_, w_, port_, val_, mask_) \
	((struct pvgen_io_entry){ .op = (op_), .width = (w_), \
	  .port = (port_), .value = (val_), .mask = (mask_) })

static void test_err_unknown_op(void)
{
	check_bad_last(E(0, 1, 0x1f7, 0x25, 0), PVGEN_ERR_OP);
	check_bad_last(E(6, 1, 0x1f7, 0x25, 0), PVGEN_ERR_OP);
	check_bad_last(E(0xff, 1, 0x1f7, 0x25, 0), PVGEN_ERR_OP);
}

static void test_err_bad_width(void)
{
	check_bad_last(E(PVGEN_OP_OUT, 0, 0x1f7, 0x25, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_OUT, 3, 0x1f7, 0x25, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_IN, 8, 0x1f0, 0, 0), PVGEN_ERR_WIDTH);
}

static void test_err_width_not_allowed(void)
{
	check_bad_last(E(PVGEN_OP_OUT, 2, 0x1f7, 0x25, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_IN, 1, 0x1f0, 0, 0), PVGEN_ERR_WIDTH);
	/* 16 bits in the model, so not 32 either. */
	check_bad_last(E(PVGEN_OP_IN, 4, 0x1f0, 0, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_OUT, 2, 0x177, 0x25, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_OUT, 4, 0x3f6, 0, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_OUT, 1, BMDMA + 4, 0, 0), PVGEN_ERR_WIDTH);
	check_bad_last(E(PVGEN_OP_RMW, 4, BMDMA + 2, 0, 0xff),
		       PVGEN_ERR_WIDTH);
}

static void test_err_port_not_allowed(void)
{
	check_bad_last(E(PVGEN_OP_OUT, 1, 0x80, 0x25, 0), PVGEN_ERR_PORT);
	check_bad_last(E(PVGEN_OP_OUT, 1, 0x1f8, 0x25, 0), PVGEN_ERR_PORT);
	check_bad_last(E(PVGEN_OP_OUT, 1, 0x3f7, 0, 0), PVGEN_ERR_PORT);
	check_bad_last(E(PVGEN_OP_OUT, 1, BMDMA + 3, 0, 0), PVGEN_ERR_PORT);
	check_bad_last(E(PVGEN_OP_OUT, 1, BMDMA + 1, 0, 0), PVGEN_ERR_PORT);
	check_bad_last(E(PVGEN_OP_OUT, 1, BMDMA + 16, 0, 0), PVGEN_ERR_PORT);
	/* The doorbell itself: a batch must not ring a nested batch. */
	check_bad_last(E(PVGEN_OP_OUT, 4, PVGEN_DOORBELL_PORT, 0x3001, 0),
		       PVGEN_ERR_PORT);
}

static void test_err_doorbell_port_despite_allowlist(void)
{
	/* A VMM that skipped pvgen_host_validate() and allows everything. */
	static const struct pvgen_host_port_range all[] = {
		{ 0, 0xffff, PVGEN_HOST_WIDTH_ALL },
	};

	setup_lba48();
	host.ports = all;
	host.nr_ports = ARRAY_SIZE(all);
	CHECK_EQ(pvgen_host_validate(&host), -EINVAL);
	entry_at(QGPA, 0)->port = PVGEN_DOORBELL_PORT;
	entry_at(QGPA, 0)->width = 4;
	guest_done();
	check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT),
		  PVGEN_ERR_PORT, 1);
}

/*
 * pvgen's own ports (0x560-0x567: doorbell and ring) are refused in every
 * entry whose bytes reach them, whatever the allowlist says: an access there
 * from inside a batch would start a nested batch or ring call.
 */
static void test_err_port_window_despite_allowlist(void)
{
	static const struct pvgen_host_port_range all[] = {
		{ 0, 0xffff, PVGEN_HOST_WIDTH_ALL },
	};
	static const struct { __u16 port; __u8 width; } refused[] = {
		{ 0x560, 1 }, { 0x560, 4 }, { 0x561, 2 }, { 0x564, 4 },
		{ 0x564, 1 }, { 0x566, 2 }, { 0x567, 1 }, { 0x567, 4 },
		{ 0x55e, 4 }, { 0x55d, 4 }, { 0x55f, 2 },
	};
	static const struct { __u16 port; __u8 width; } allowed[] = {
		{ 0x55c, 4 }, { 0x55e, 2 }, { 0x55f, 1 }, { 0x568, 1 },
		{ 0x568, 4 },
	};
	struct pvgen_io_entry e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		setup_lba48();
		host.ports = all;
		host.nr_ports = ARRAY_SIZE(all);
		pvgen_entry_init(entry_at(QGPA, LBA48_COUNT - 1), PVGEN_OP_OUT,
				 refused[i].width, refused[i].port, 0, 0);
		guest_done();
		check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT),
			  PVGEN_ERR_PORT, 1);
		check_all_pending(QGPA, LBA48_COUNT);
		if (cur_failed) {
			fprintf(stderr, "  at port %#x, width %u\n",
				refused[i].port, refused[i].width);
			return;
		}
	}
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		vm_reset();
		host.ports = all;
		host.nr_ports = ARRAY_SIZE(all);
		pvgen_entry_init(entry_at(QGPA, 0), PVGEN_OP_OUT,
				 allowed[i].width, allowed[i].port, 0, 0);
		guest_done();
		CHECK_EQ(pvgen_host_run_batch(&host, QGPA, 1), 1);
		CHECK_EQ(vm.ntrace, 1);
		CHECK_EQ(vm.trace[0].port, allowed[i].port);
	}

	/*
	 * The recursion this stops: a ring slot that writes the ring port
	 * would kick the ring from inside its own poll.
	 */
	ring_reset();
	host.ports = all;
	host.nr_ports = ARRAY_SIZE(all);
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 4, PVGEN_RING_PORT,
			 (__u32)RGPA | PVGEN_RING_OP_KICK, 0);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->ret[0], PVGEN_ERR_PORT);
	CHECK_EQ(vm.ntrace, 0);
}

static void test_err_reserved(void)
{
	check_bad_last(E(PVGEN_OP_OUT, 1, 0x1f7, 0x25, 1), PVGEN_ERR_RESERVED);
	check_bad_last(E(PVGEN_OP_IN, 1, 0x1f7, 0, 0x80), PVGEN_ERR_RESERVED);
	check_bad_last(E(PVGEN_OP_OUT, 1, 0x1f7, 0x125, 0),
		       PVGEN_ERR_RESERVED);
	check_bad_last(E(PVGEN_OP_IN_WAIT, 1, 0x1f7, 0, 0x188),
		       PVGEN_ERR_RESERVED);
	check_bad_last(E(PVGEN_OP_RMW, 2, 0x1f0, 0x10000, 0),
		       PVGEN_ERR_RESERVED);
	/* Expected bits outside the compared mask could never match. */
	check_bad_last(E(PVGEN_OP_IN_EXPECT, 1, 0x1f7, 0x81, 0x80),
		       PVGEN_ERR_RESERVED);
	check_bad_last(E(PVGEN_OP_IN_EXPECT, 1, 0x1f7, 0, 0x180),
		       PVGEN_ERR_RESERVED);
}

static void test_err_version(void)
{
	vm_reset();
	guest_done();
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE, 0, 0, 0),
		  PVGEN_ERR_VERSION, 0);
	/* Version 1 had no IN_EXPECT: a guest speaking it is refused. */
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					      PVGEN_ABI_VERSION - 1, 0, 0),
		  PVGEN_ERR_VERSION, 0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					      PVGEN_ABI_VERSION + 1, 0, 0),
		  PVGEN_ERR_VERSION, 0);
	check_err(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					      (1ULL << 32) | PVGEN_ABI_VERSION,
					      0, 0), PVGEN_ERR_VERSION, 0);
}

static void test_err_unknown_nr(void)
{
	setup_lba48();
	check_err(pvgen_host_handle_hypercall(&host, 0, QGPA, 13, 0),
		  ENOSYS_RET, 0);
	/* KVM_HC_MAP_GPA_RANGE: not ours. */
	check_err(pvgen_host_handle_hypercall(&host, 12, QGPA, 13, 0),
		  ENOSYS_RET, 0);
	check_err(pvgen_host_handle_hypercall(&host, 0x70760003, QGPA, 13, 0),
		  ENOSYS_RET, 0);
	check_err(pvgen_host_handle_hypercall(&host, 0x70760000, QGPA, 13, 0),
		  ENOSYS_RET, 0);
	/* Not truncated to the 32-bit PVGEN_HC_BATCH. */
	check_err(pvgen_host_handle_hypercall(&host,
					      (1ULL << 32) | PVGEN_HC_BATCH,
					      QGPA, 13, 0), ENOSYS_RET, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

static void test_err_io_partial(void)
{
	struct guest_queue q = { entry_at(QGPA, 0), LBA48_COUNT };
	__u32 n = setup_lba48();
	__u32 i;

	vm.fail_at = 5;		/* the sixth access: the feature write */
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, QGPA, n,
					     0), 5);
	check_trace(lba48_trace, 6);	/* five done, the failing attempt */
	for (i = 0; i < 5; i++)
		CHECK_EQ(entry_at(QGPA, i)->result, PVGEN_RESULT_OK);
	CHECK_EQ(entry_at(QGPA, 5)->result, PVGEN_ERR_IO);
	for (i = 6; i < n; i++)
		CHECK(!memcmp(entry_at(QGPA, i), &snap[QGPA + i * 16], 16));
	CHECK_EQ(guest_completed(&q), 5);
	check_field_writes(QGPA);
	check_no_writes_from(QGPA, 6);
	check_confined(QGPA, n * 16);
}

static void test_err_io_on_in(void)
{
	__u32 n = setup_lba48();

	vm.fail_at = LBA48_WAIT;
	entry_at(QGPA, LBA48_WAIT)->value = 0x33;
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_WAIT);
	check_trace_prefix(lba48_trace, LBA48_WAIT + 1);
	CHECK_EQ(vm.ntrace, LBA48_WAIT + 1);
	CHECK_EQ(entry_at(QGPA, LBA48_WAIT)->result, PVGEN_ERR_IO);
	/* The read failed: value is not written back. */
	CHECK_EQ(entry_at(QGPA, LBA48_WAIT)->value, 0x33);
	CHECK_EQ(entry_at(QGPA, n - 1)->result, PVGEN_RESULT_PENDING);
	check_no_writes_from(QGPA, LBA48_WAIT + 1);
	check_confined(QGPA, n * 16);
}

static void test_err_io_rmw_write(void)
{
	struct guest_queue q;

	vm_reset();
	vm.in_value[BMDMA + 2] = 0x64;
	vm.fail_at = 1;			/* the RMW's write */
	guest_queue_init(&q, QGPA);
	guest_rmw(&q, BMDMA + 2, 1, 0xff, 0);
	guest_outb(&q, BMDMA, 1);
	guest_done();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, 2), 0);
	CHECK_EQ(vm.ntrace, 2);
	CHECK_EQ(entry_at(QGPA, 0)->result, PVGEN_ERR_IO);
	/* The read happened (and had its side effect): the guest gets it. */
	CHECK_EQ(entry_at(QGPA, 0)->value, 0x64);
	CHECK_EQ(entry_at(QGPA, 1)->result, PVGEN_RESULT_PENDING);
	check_no_writes_from(QGPA, 1);
	check_confined(QGPA, 32);
}

static void test_err_read_guest_fails(void)
{
	setup_lba48();
	vm.read_fails = true;		/* a hole the VMM knows about */
	check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT),
		  PVGEN_ERR_RANGE, 1);
	check_all_pending(QGPA, LBA48_COUNT);
}

static void test_write_guest_fails(void)
{
	__u32 n = setup_lba48();

	vm.write_fails = true;
	/* The devices saw the batch, so the count is still the truth. */
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	check_trace(lba48_trace, LBA48_COUNT);
	check_confined(QGPA, n * 16);
}

static void test_err_doorbell_access(void)
{
	setup_lba48();
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 2, QGPA | 13),
		  PVGEN_ERR_WIDTH, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						 1, 13), PVGEN_ERR_WIDTH, 0);
	check_err(pvgen_host_handle_doorbell_out(&host, 0x564, 4, QGPA | 13),
		  PVGEN_ERR_PORT, 0);
	check_all_pending(QGPA, LBA48_COUNT);
}

/*
 * docs/host-stub.md, "What stops a batch": a queue with several bad entries is
 * refused with the error of the FIRST bad entry in queue order, and within
 * one entry the checks run op, width, reserved bits, port, port width.
 * Whole-call checks run count, alignment, range.
 */
static void test_err_first_bad_entry_wins(void)
{
	setup_lba48();
	/* Entry 9: port outside the allowlist; entry 4: unknown op. */
	entry_at(QGPA, 9)->port = 0x80;
	entry_at(QGPA, 4)->op = 9;
	guest_done();
	check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT), PVGEN_ERR_OP,
		  1);
	check_all_pending(QGPA, LBA48_COUNT);

	/* One entry, three problems: the width is reported first. */
	setup_lba48();
	entry_at(QGPA, 2)->width = 3;
	entry_at(QGPA, 2)->mask = 1;
	entry_at(QGPA, 2)->port = 0x80;
	guest_done();
	check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT),
		  PVGEN_ERR_WIDTH, 1);

	/* Reserved bits before the port. */
	setup_lba48();
	entry_at(QGPA, 2)->mask = 1;
	entry_at(QGPA, 2)->port = 0x80;
	guest_done();
	check_err(pvgen_host_run_batch(&host, QGPA, LBA48_COUNT),
		  PVGEN_ERR_RESERVED, 1);

	/* Count before alignment before range. */
	setup_lba48();
	check_err(pvgen_host_run_batch(&host, 0xfffffffffffffff8ULL, 0),
		  PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_run_batch(&host, 0xfffffffffffffff8ULL,
				       PVGEN_MAX_ENTRIES + 1),
		  PVGEN_ERR_COUNT, 0);
	check_err(pvgen_host_run_batch(&host, MEM_SIZE + 8, 1),
		  PVGEN_ERR_ALIGN, 0);
}

/*
 * docs/host-stub.md, "When writing results back fails": write-back stops at
 * the first guest write that fails, the writes before it stay, and the return
 * value still counts every entry that ran.
 */
static void test_write_back_stops_at_failure(void)
{
	__u32 n = setup_lba48();
	int k, writes = 0;

	/*
	 * Writes go value (reads only) then result, entry by entry: entries
	 * 0..10 write one result each, entry 11 (IN_WAIT) value then result.
	 * Fail the 12th write, entry 11's value.
	 */
	vm.write_fail_at = 11;
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	check_trace(lba48_trace, LBA48_COUNT);
	for (k = 0; k < vm.nmlog && k < MAX_LOG; k++)
		writes += vm.mlog[k].write;
	CHECK_EQ(writes, 12);		/* no write after the failed one */
	for (k = 0; k < LBA48_WAIT; k++)
		CHECK_EQ(entry_at(QGPA, k)->result, PVGEN_RESULT_OK);
	CHECK(!memcmp(entry_at(QGPA, LBA48_WAIT), &snap[QGPA + LBA48_WAIT * 16],
		      16));
	CHECK_EQ(entry_at(QGPA, n - 1)->result, PVGEN_RESULT_PENDING);
	check_field_writes(QGPA);
	check_confined(QGPA, n * 16);
}

/*
 * docs/host-stub.md, "What the doorbell guest learns": a refused doorbell
 * batch leaves every entry PENDING, so the guest reads "nothing ran"; a
 * failed one shows OK up to the failing entry, ERR_IO there, PENDING after.
 */
static void test_doorbell_outcome_in_results(void)
{
	struct guest_queue q = { entry_at(QGPA, 0), LBA48_COUNT };
	__u32 n = setup_lba48();
	int ret;

	entry_at(QGPA, 7)->width = 2;	/* 0x1f3 is an 8-bit register */
	guest_done();
	ret = pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT, 4,
					     doorbell_value(QGPA, n));
	CHECK_EQ(ret, PVGEN_ERR_WIDTH);
	CHECK_EQ(guest_completed(&q), 0);
	check_all_pending(QGPA, n);
	check_refused(1);

	n = setup_lba48();
	vm.fail_at = 3;
	ret = pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT, 4,
					     doorbell_value(QGPA, n));
	CHECK_EQ(ret, 3);
	CHECK_EQ(guest_completed(&q), 3);
	CHECK_EQ(entry_at(QGPA, 3)->result, PVGEN_ERR_IO);
	CHECK_EQ(entry_at(QGPA, 4)->result, PVGEN_RESULT_PENDING);
	check_confined(QGPA, n * 16);
}

/* ---- a second vCPU, as a real thread ---- */

static atomic_int racer_stop;
static atomic_uint racer_writes;

/*
 * Rewrites the queue at QGPA for as long as the host works on it: entry by
 * entry, byte by byte, between a valid OUT to the sector count register and
 * an OUT to port 0x80 with an unknown op, so the host may copy any mix.
 */
static void *racer(void *arg)
{
	static const __u8 good[16] = { PVGEN_OP_OUT, 1, 0xf2, 0x01, 0x07, 0, 0,
				       0, 0, 0, 0, 0, 1, 0, 0, 0 };
	static const __u8 bad[16] = { 9, 1, 0x80, 0x00, 0x99, 0, 0, 0, 0, 0, 0,
				      0, 1, 0, 0, 0 };
	unsigned int i = 0;

	(void)arg;
	while (!racer_stop) {
		const __u8 *src = (i / 16 / 7) & 1 ? bad : good;

		/* Relaxed atomic stores: plain bytes of guest memory. */
		__atomic_store_n(&mem[QGPA + i % (16 * 8)], src[i % 16],
				 __ATOMIC_RELAXED);
		i++;
		racer_writes = i;
	}
	return NULL;
}

/* After each port access: wait until the racer rewrote the queue again. */
static void wait_for_racer(struct fake_vm *v)
{
	unsigned int start = racer_writes;
	long spins;

	(void)v;
	for (spins = 0; spins < 100000 && racer_writes - start < 256; spins++)
		sched_yield();
}

/*
 * The copy is the truth: whatever mix of old and new bytes the one read
 * copied, the host either refuses it with no port access, or runs exactly
 * the copied entries, and never touches a port outside the allowlist.
 */
static void test_queue_rewritten_by_second_thread(void)
{
	pthread_t thread;
	int round, i, refused = 0, ran = 0;
	long ret;

	vm_reset();
	for (i = 0; i < 8; i++)
		pvgen_entry_init(entry_at(QGPA, i), PVGEN_OP_OUT, 1, 0x1f2, 7, 0);
	racer_stop = 0;
	vm.after_out = wait_for_racer;
	if (pthread_create(&thread, NULL, racer, NULL)) {
		CHECK(!"pthread_create");
		return;
	}
	/* At least 2000 rounds, and on until both outcomes were seen. */
	for (round = 0; !cur_failed && round < 200000 &&
	     (round < 2000 || !ran || !refused); round++) {
		vm.ntrace = 0;
		vm.nmlog = 0;
		ret = pvgen_host_run_batch(&host, QGPA, 8);
		if (ret < 0) {
			refused++;
			CHECK(ret == PVGEN_ERR_OP || ret == PVGEN_ERR_PORT ||
			      ret == PVGEN_ERR_WIDTH ||
			      ret == PVGEN_ERR_RESERVED);
			CHECK_EQ(vm.ntrace, 0);
			continue;
		}
		ran++;
		CHECK_EQ(ret, 8);
		CHECK_EQ(vm.ntrace, 8);
		for (i = 0; i < vm.ntrace && i < 8; i++) {
			struct pvgen_io_entry e;

			memcpy(&e, &vm.copy[i * 16], sizeof(e));
			CHECK_EQ(e.op, PVGEN_OP_OUT);
			CHECK_EQ(vm.trace[i].dir, 'o');
			CHECK_EQ(vm.trace[i].port, e.port);
			CHECK_EQ(vm.trace[i].width, e.width);
			CHECK_EQ(vm.trace[i].value, e.value);
			CHECK_EQ(vm.trace[i].port, 0x1f2);
		}
	}
	racer_stop = 1;
	pthread_join(thread, NULL);
	/*
	 * Both outcomes show the test really raced. On a loaded machine the
	 * racer may not get a core in time; the safety checks above held for
	 * every round either way, so that is reported, not failed.
	 */
	CHECK_EQ(ran + refused, round);
	if (cur_failed || !ran || !refused)
		fprintf(stderr, "  after %d rounds: %d ran, %d refused%s\n",
			round, ran, refused,
			ran && refused ? "" : " (the racer did not interleave)");
}

/* ---- re-entry from a device callback ---- */

#define QGPA2		0x5000ULL	/* another vCPU's queue page */
#define NR_REENTRY	8

static long reentry_ret[NR_REENTRY];
static int reentries;

/*
 * A device callback that reaches every entry point of the stub again, as a
 * VMM whose port dispatcher routes a replayed access back to its own pvgen
 * device would (on the first OUT only).
 */
static void reenter(struct fake_vm *v)
{
	(void)v;
	if (reentries++)
		return;
	reentry_ret[0] = pvgen_host_run_batch(&host, QGPA, 1);
	reentry_ret[1] = pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH,
						     QGPA, 1, 0);
	reentry_ret[2] = pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
						     PVGEN_ABI_VERSION, 0, 0);
	reentry_ret[3] = pvgen_host_handle_doorbell_out(&host,
							PVGEN_DOORBELL_PORT, 4,
							doorbell_value(QGPA, 1));
	reentry_ret[4] = ring_out(RGPA, PVGEN_RING_OP_KICK);
	reentry_ret[5] = ring_call(RGPA, PVGEN_RING_OP_DETACH);
	reentry_ret[6] = pvgen_host_ring_poll(&host);
	reentry_ret[7] = pvgen_host_ring_set_polled(&host, false);
}

static void check_reentries_busy(void)
{
	int i;

	CHECK(reentries > 0);
	for (i = 0; i < NR_REENTRY; i++) {
		CHECK_EQ(reentry_ret[i], PVGEN_ERR_BUSY);
		if (cur_failed) {
			fprintf(stderr, "  re-entry %d\n", i);
			return;
		}
	}
}

/*
 * Every entry point called from inside a callback answers PVGEN_ERR_BUSY and
 * touches nothing; the outer batch completes as if nothing had happened, and
 * the guard is released when it returns.
 */
static void test_busy_guard_in_batch(void)
{
	__u32 n = setup_lba48();

	memset(&ring_state, 0, sizeof(ring_state));
	host.ring = &ring_state;
	reentries = 0;
	vm.after_out = reenter;
	check_lba48_done(pvgen_host_handle_doorbell_out(&host,
							PVGEN_DOORBELL_PORT, 4,
							doorbell_value(QGPA, n)));
	check_reentries_busy();
	vm.after_out = NULL;
	logs_clear();
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 0, 0),
		 PVGEN_FEATURE_BATCH | PVGEN_FEATURE_RING);
}

/* The same from a ring slot: its poll runs each slot once, no nested poll. */
static void test_busy_guard_in_ring(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(ring_call(RGPA, PVGEN_RING_OP_ATTACH), 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	ring_post(1, &e);
	reentries = 0;
	vm.after_out = reenter;
	CHECK_EQ(pvgen_host_ring_poll(&host), 2);
	check_reentries_busy();
	CHECK_EQ(vm.ntrace, 2);
	CHECK_EQ(ring_at()->cons, 2);
	CHECK(ring_state.attached);
	/* And from a kick. */
	ring_post(1, &e);
	reentries = 0;
	CHECK_EQ(ring_out(RGPA, PVGEN_RING_OP_KICK), 0);
	check_reentries_busy();
	CHECK_EQ(vm.ntrace, 3);
	CHECK_EQ(ring_at()->cons, 3);
	CHECK(ring_state.attached);
	check_confined(RGPA, PVGEN_RING_SIZE);
}

static void *other_vcpu(void *arg)
{
	*(long *)arg = pvgen_host_run_batch(&host, QGPA2, 1);
	return NULL;
}

static long other_ret;

/* From inside a callback, another thread (another vCPU) calls the stub. */
static void call_from_other_thread(struct fake_vm *v)
{
	pthread_t thread;

	(void)v;
	if (reentries++)
		return;
	other_ret = 0;
	if (pthread_create(&thread, NULL, other_vcpu, &other_ret)) {
		other_ret = -1000000;
		return;
	}
	pthread_join(thread, NULL);
}

/* The guard is per thread: a vCPU is never refused for another's call. */
static void test_busy_guard_is_per_thread(void)
{
	__u32 n = setup_lba48();

	pvgen_entry_init(entry_at(QGPA2, 0), PVGEN_OP_OUT, 1, 0x172, 5, 0);
	guest_done();
	reentries = 0;
	vm.after_out = call_from_other_thread;
	CHECK_EQ(pvgen_host_run_batch(&host, QGPA, n), LBA48_COUNT);
	CHECK_EQ(other_ret, 1);
	CHECK_EQ(entry_at(QGPA2, 0)->result, PVGEN_RESULT_OK);
	/* The other vCPU's OUT comes right after the first one of ours. */
	CHECK_EQ(vm.ntrace, LBA48_COUNT + 1);
	CHECK_EQ(vm.trace[1].port, 0x172);
}

/* ---- the ring with a guest thread and a polling thread ---- */

#define MT_BATCHES	200000
#define MT_PORT		(BMDMA + 4)	/* 32 bits: each batch writes its number */
#define MT_IDLE_POLLS	64		/* empty polls before the poller sleeps */
#define MT_STALL_NS	20000000000ULL	/* no progress for 20 s: a lost slot */

/*
 * The VMM of the two-thread tests. Its callbacks log nothing and reach only
 * the ring: prod, cons and flags with acquire loads and release stores, the
 * rest as plain memory (see the top of the file). The device is one 32-bit
 * register that checks each batch's number against the next it expects.
 */
struct mt {
	pthread_mutex_t		lock;	/* around every call that touches the ring */
	sem_t			wake;	/* a kick wakes the sleeping poller */
	atomic_bool		stop;
	bool			kicked;	/* the poller sleeps when idle */
	__u32			expect;	/* under the lock: the next batch's number */
	__u8			runs[MT_BATCHES];	/* under the lock */
	atomic_uint		errors;
	_Atomic(const char *)	error;
	atomic_uint		kicks;
	atomic_uint		sleeps;
	struct pvgen_host_ring	ring;
	struct pvgen_host	host;
};

static struct mt mt;

static void mt_fail(const char *what)
{
	const char *none = NULL;

	atomic_fetch_add(&mt.errors, 1);
	atomic_compare_exchange_strong(&mt.error, &none, what);
}

/*
 * Plain memory, one byte at a time through a volatile pointer: TSan checks
 * each access (its memcpy() interceptor, as Swift's clang ships it, reports
 * no race), and the compiler cannot turn the loop back into memcpy().
 */
static void plain_copy(void *dst, const void *src, __u32 len)
{
	volatile __u8 *d = dst;
	const volatile __u8 *s = src;

	while (len--)
		*d++ = *s++;
}

/* The ring's indices and flags: the fields both sides reach atomically. */
static bool mt_index(__u64 gpa, __u32 len)
{
	return len == 4 && (gpa == RGPA + RING_FIELD(prod) ||
			    gpa == RGPA + RING_FIELD(cons) ||
			    gpa == RGPA + RING_FIELD(flags));
}

/* Whether [gpa, gpa + len) lies in the ring, the only memory the host may reach. */
static bool mt_in_ring(__u64 gpa, __u32 len, const char *what)
{
	if (gpa >= RGPA && gpa < RGPA + PVGEN_RING_SIZE &&
	    len <= RGPA + PVGEN_RING_SIZE - gpa)
		return true;
	mt_fail(what);
	return false;
}

static int mt_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	__u32 w;

	(void)opaque;
	if (!mt_in_ring(gpa, len, "a guest read outside the ring"))
		return -1;
	if (mt_index(gpa, len)) {
		w = mem_get32(gpa);
		memcpy(dst, &w, 4);
	} else {
		plain_copy(dst, &mem[gpa], len);
	}
	return 0;
}

static int mt_write_guest(void *opaque, __u64 gpa, const void *src, __u32 len)
{
	__u32 w;

	(void)opaque;
	if (!mt_in_ring(gpa, len, "a guest write outside the ring"))
		return -1;
	if (mt_index(gpa, len)) {
		memcpy(&w, src, 4);
		mem_put32(gpa, w);
	} else {
		plain_copy(&mem[gpa], src, len);
	}
	return 0;
}

static int mt_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	(void)opaque;
	(void)port;
	(void)width;
	*value = 0;
	mt_fail("a port read no batch made");
	return -1;
}

static int mt_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	(void)opaque;
	if (port != MT_PORT || width != 4 || value >= MT_BATCHES) {
		mt_fail("a port write no batch made");
		return -1;
	}
	if (value != mt.expect)
		mt_fail("a batch ran out of order, or twice");
	mt.expect = value + 1;
	if (mt.runs[value] < 0xff)
		mt.runs[value]++;
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * The VMM's polling thread, as docs/host-stub.md describes it: polls under
 * the lock; in kicked mode, after MT_IDLE_POLLS empty polls it asks for kicks
 * (pvgen_host_ring_set_polled(false), which polls once more itself) and
 * sleeps until a kick wakes it.
 */
static void *mt_poller(void *arg)
{
	unsigned int idle = 0;
	long n;

	(void)arg;
	while (!atomic_load(&mt.stop)) {
		pthread_mutex_lock(&mt.lock);
		n = pvgen_host_ring_poll(&mt.host);
		pthread_mutex_unlock(&mt.lock);
		if (n < 0)
			mt_fail("a poll failed");
		if (n) {
			idle = 0;
			continue;
		}
		if (!mt.kicked || ++idle < MT_IDLE_POLLS) {
			sched_yield();
			continue;
		}
		pthread_mutex_lock(&mt.lock);
		if (pvgen_host_ring_set_polled(&mt.host, false))
			mt_fail("set_polled(false) failed");
		pthread_mutex_unlock(&mt.lock);
		atomic_fetch_add(&mt.sleeps, 1);
		sem_wait(&mt.wake);
		pthread_mutex_lock(&mt.lock);
		if (pvgen_host_ring_set_polled(&mt.host, true))
			mt_fail("set_polled(true) failed");
		pthread_mutex_unlock(&mt.lock);
		idle = 0;
	}
	return NULL;
}

/*
 * The guest posts batch @b as the guest module does: the slot's entry and its
 * count (plain stores), then prod (a release store); in kicked mode a full
 * fence, then the flags, and a kick (a vCPU exit to the ring port, served
 * under the VMM's lock) when the host asks for one.
 */
static void mt_post(__u32 b)
{
	__u32 slot = b % PVGEN_RING_SLOTS;
	struct pvgen_io_entry *e = slot_at(slot, 0);
	int ret;

	pvgen_entry_init(e, PVGEN_OP_OUT, 4, MT_PORT, b, 0);
	ring_at()->count[slot] = 1;
	mem_put32(RGPA + RING_FIELD(prod), b + 1);
	if (!mt.kicked)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (!(mem_get32(RGPA + RING_FIELD(flags)) & PVGEN_RING_NEED_KICK))
		return;
	pthread_mutex_lock(&mt.lock);
	ret = pvgen_host_handle_doorbell_out(&mt.host, PVGEN_RING_PORT, 4,
					     (__u32)RGPA | PVGEN_RING_OP_KICK);
	pthread_mutex_unlock(&mt.lock);
	if (ret)
		mt_fail("a kick failed");
	atomic_fetch_add(&mt.kicks, 1);
	sem_post(&mt.wake);
}

/*
 * The guest thread: keeps up to PVGEN_RING_SLOTS batches in flight, and
 * checks each completed slot's ret and result before it reuses the slot. In
 * kicked mode it pauses now and then, so that the poller goes to sleep.
 */
static void mt_guest(void)
{
	__u32 prod = 0, done = 0, cons, slot;
	__u64 progress = mono_ns();

	while (done < MT_BATCHES && !atomic_load(&mt.errors)) {
		if (prod < MT_BATCHES && prod - done < PVGEN_RING_SLOTS) {
			mt_post(prod++);
			if (mt.kicked && prod % 4096 == 0) {
				while (done != prod &&
				       mem_get32(RGPA + RING_FIELD(cons)) != prod &&
				       mono_ns() - progress < MT_STALL_NS)
					sched_yield();
				usleep(300);
			}
			continue;
		}
		cons = mem_get32(RGPA + RING_FIELD(cons));
		if (cons == done) {
			if (mono_ns() - progress > MT_STALL_NS) {
				mt_fail("a posted batch was never run");
				break;
			}
			sched_yield();
			continue;
		}
		if (cons - done > prod - done) {
			mt_fail("cons passed prod");
			break;
		}
		for (; done != cons; done++) {
			slot = done % PVGEN_RING_SLOTS;
			if (ring_at()->ret[slot] != 1 ||
			    slot_at(slot, 0)->result != PVGEN_RESULT_OK)
				mt_fail("a slot came back without its entry run");
		}
		progress = mono_ns();
	}
}

/*
 * Runs MT_BATCHES batches through the ring with a real poller thread, then
 * detaches; checks that every batch ran exactly once and in order.
 */
static void run_two_threads(bool kicked)
{
	pthread_t poller;
	__u64 t0, ns;
	size_t i, bad = 0;
	int ret;

	ring_reset();
	memset(&mt.runs, 0, sizeof(mt.runs));
	memset(&mt.ring, 0, sizeof(mt.ring));
	mt.host = (struct pvgen_host){
		.read_guest = mt_read_guest,
		.write_guest = mt_write_guest,
		.pio_in = mt_pio_in,
		.pio_out = mt_pio_out,
		.mem_size = MEM_SIZE,
		.ports = ports,
		.nr_ports = PVGEN_HOST_PIIX_IDE_NR_PORTS,
		.ring = &mt.ring,
	};
	mt.kicked = kicked;
	mt.expect = 0;
	atomic_store(&mt.stop, false);
	atomic_store(&mt.errors, 0);
	atomic_store(&mt.error, NULL);
	atomic_store(&mt.kicks, 0);
	atomic_store(&mt.sleeps, 0);
	pthread_mutex_init(&mt.lock, NULL);
	sem_init(&mt.wake, 0, 0);
	CHECK_EQ(pvgen_host_handle_doorbell_out(&mt.host, PVGEN_RING_PORT, 4,
						(__u32)RGPA |
						PVGEN_RING_OP_ATTACH), 0);
	CHECK_EQ(pvgen_host_ring_set_polled(&mt.host, true), 0);
	if (pthread_create(&poller, NULL, mt_poller, NULL)) {
		CHECK(!"pthread_create");
		return;
	}
	t0 = mono_ns();
	mt_guest();
	ns = mono_ns() - t0;
	atomic_store(&mt.stop, true);
	sem_post(&mt.wake);
	pthread_join(poller, NULL);

	/* The guest lets the ring go; afterwards the host never touches it. */
	ret = pvgen_host_handle_doorbell_out(&mt.host, PVGEN_RING_PORT, 4,
					     (__u32)RGPA |
					     PVGEN_RING_OP_DETACH);
	CHECK_EQ(ret, 0);
	CHECK_EQ(mem_get32(RGPA + RING_FIELD(flags)), PVGEN_RING_DETACHED);
	if (atomic_load(&mt.errors))
		fprintf(stderr, "  %u errors, the first: %s\n",
			atomic_load(&mt.errors), atomic_load(&mt.error));
	CHECK_EQ(atomic_load(&mt.errors), 0);
	CHECK_EQ(mt.expect, MT_BATCHES);
	CHECK_EQ(mem_get32(RGPA + RING_FIELD(cons)), MT_BATCHES);
	for (i = 0; i < MT_BATCHES; i++)
		bad += mt.runs[i] != 1;
	CHECK_EQ(bad, 0);
	if (kicked)
		CHECK(atomic_load(&mt.sleeps) > 0 && atomic_load(&mt.kicks) > 0);
	printf("  %d batches in %.2f s (%.0f/s), poller slept %u times, %u kicks\n",
	       MT_BATCHES, ns / 1e9, MT_BATCHES / (ns / 1e9),
	       atomic_load(&mt.sleeps), atomic_load(&mt.kicks));
	sem_destroy(&mt.wake);
	pthread_mutex_destroy(&mt.lock);
}

/* A poller that never sleeps: the guest never kicks, up to 4 in flight. */
static void test_ring_two_threads_polled(void)
{
	run_two_threads(false);
}

/*
 * A poller that sleeps when idle: set_polled(false)'s flag, fence and last
 * poll against the guest's prod, fence and flags read. A lost wake-up would
 * strand a batch (no progress for 20 s fails the test).
 */
static void test_ring_two_threads_kicked(void)
{
	run_two_threads(true);
}

static void test_validate_config(void)
{
	struct pvgen_host_port_range p[PVGEN_HOST_PIIX_IDE_NR_PORTS + 1];
	struct pvgen_host h;

	vm_reset();
	CHECK_EQ(pvgen_host_validate(&host), 0);
	CHECK_EQ(pvgen_host_piix_ide_ports(p, 11, BMDMA), -EINVAL);
	CHECK_EQ(pvgen_host_piix_ide_ports(p, 12, BMDMA + 1), -EINVAL);
	CHECK_EQ(pvgen_host_piix_ide_ports(p, 12, 0), -EINVAL);
	CHECK_EQ(pvgen_host_piix_ide_ports(p, 13, 0xfff0), 12);
	CHECK_EQ(p[11].first, 0xfffc);

	h = host;
	h.ports = p;
	CHECK_EQ(pvgen_host_validate(&h), 0);
	/* BAR4 placed over the primary taskfile: overlapping ranges. */
	pvgen_host_piix_ide_ports(p, 12, 0x1f0);
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	/* BAR4 over the doorbell. */
	pvgen_host_piix_ide_ports(p, 12, 0x560);
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	pvgen_host_piix_ide_ports(p, 12, BMDMA);
	p[0].widths = 0x8;
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	p[0].widths = 0;
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	pvgen_host_piix_ide_ports(p, 12, BMDMA);
	p[1].first = 0x1f8;
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	h = host;
	h.pio_out = NULL;
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
	h = host;
	h.mem_size = 0;
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
}

/*
 * pvgen_host_validate() refuses a range whose accesses reach pvgen's window:
 * an access of the range's widest width at its last port must end below
 * 0x560, and the range must start above 0x567.
 */
static void test_validate_port_window(void)
{
	static const struct {
		struct pvgen_host_port_range range;
		int want;
	} cases[] = {
		{ { 0x55d, 0x55d, PVGEN_HOST_WIDTH_4 }, -EINVAL },
		{ { 0x55c, 0x55c, PVGEN_HOST_WIDTH_4 }, 0 },
		{ { 0x55f, 0x55f, PVGEN_HOST_WIDTH_1 }, 0 },
		{ { 0x55f, 0x55f, PVGEN_HOST_WIDTH_2 }, -EINVAL },
		{ { 0x55e, 0x55e, PVGEN_HOST_WIDTH_1 | PVGEN_HOST_WIDTH_2 }, 0 },
		{ { 0x55e, 0x55e, PVGEN_HOST_WIDTH_ALL }, -EINVAL },
		{ { 0x560, 0x560, PVGEN_HOST_WIDTH_1 }, -EINVAL },
		{ { 0x564, 0x564, PVGEN_HOST_WIDTH_4 }, -EINVAL },
		{ { 0x567, 0x567, PVGEN_HOST_WIDTH_1 }, -EINVAL },
		{ { 0x567, 0x600, PVGEN_HOST_WIDTH_1 }, -EINVAL },
		{ { 0x500, 0x600, PVGEN_HOST_WIDTH_1 }, -EINVAL },
		{ { 0x568, 0xffff, PVGEN_HOST_WIDTH_ALL }, 0 },
		{ { 0, 0x55c, PVGEN_HOST_WIDTH_ALL }, 0 },
		{ { 0, 0x55d, PVGEN_HOST_WIDTH_ALL }, -EINVAL },
	};
	struct pvgen_host_port_range p[PVGEN_HOST_PIIX_IDE_NR_PORTS];
	struct pvgen_host h;
	size_t i;

	vm_reset();
	h = host;
	h.nr_ports = 1;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		h.ports = &cases[i].range;
		CHECK_EQ(pvgen_host_validate(&h), cases[i].want);
		if (cur_failed) {
			fprintf(stderr, "  range %#x-%#x widths %#x\n",
				cases[i].range.first, cases[i].range.last,
				cases[i].range.widths);
			return;
		}
	}
	/* BAR4 right below the window: its last register ends at 0x55f. */
	h = host;
	h.ports = p;
	CHECK_EQ(pvgen_host_piix_ide_ports(p, ARRAY_SIZE(p), 0x550), 12);
	CHECK_EQ(pvgen_host_validate(&h), 0);
	CHECK_EQ(pvgen_host_piix_ide_ports(p, ARRAY_SIZE(p), 0x560), 12);
	CHECK_EQ(pvgen_host_validate(&h), -EINVAL);
}

struct test {
	const char	*name;
	void		(*fn)(void);
};

#define T(f) { #f, f }

static const struct test tests[] = {
	T(test_abi_bytes),
	T(test_entry_init),
	T(test_fingerprint),
	T(test_allowlist),
	T(test_lba48_hypercall),
	T(test_lba48_doorbell),
	T(test_lba48_run_batch_twice),
	T(test_probe),
	T(test_doorbell_in),
	T(test_in_wait_stops),
	T(test_rmw_bmdma),
	T(test_in_masks_device_high_bits),
	T(test_in_callback_stores_nothing),
	T(test_queue_rewritten_during_run),
	T(test_err_count_zero),
	T(test_err_count_over_max),
	T(test_err_gpa_outside_memory),
	T(test_err_gpa_wraps),
	T(test_err_crosses_page),
	T(test_page_end_sweep),
	T(test_err_misaligned),
	T(test_ring_attach_by_port_and_call),
	T(test_ring_attach_refusals),
	T(test_ring_kick_needs_attach),
	T(test_ring_unknown_op),
	T(test_ring_poll_runs_posted_slots),
	T(test_ring_bad_slot_is_refused_alone),
	T(test_ring_hostile_prod),
	T(test_ring_detach_runs_posted_then_lets_go),
	T(test_ring_detach_broken_runs_nothing),
	T(test_ring_detach_not_held),
	T(test_ring_new_gpa_after_detach),
	T(test_ring_reattach_same_gpa),
	T(test_ring_cons_before_write_back),
	T(test_ring_set_polled_false_polls),
	T(test_in_expect_met),
	T(test_in_expect_missed_stops),
	T(test_in_expect_missed_later),
	T(test_err_unknown_op),
	T(test_err_bad_width),
	T(test_err_width_not_allowed),
	T(test_err_port_not_allowed),
	T(test_err_doorbell_port_despite_allowlist),
	T(test_err_port_window_despite_allowlist),
	T(test_err_reserved),
	T(test_err_version),
	T(test_err_unknown_nr),
	T(test_err_io_partial),
	T(test_err_io_on_in),
	T(test_err_io_rmw_write),
	T(test_err_read_guest_fails),
	T(test_write_guest_fails),
	T(test_err_doorbell_access),
	T(test_err_first_bad_entry_wins),
	T(test_write_back_stops_at_failure),
	T(test_doorbell_outcome_in_results),
	T(test_queue_rewritten_by_second_thread),
	T(test_busy_guard_in_batch),
	T(test_busy_guard_in_ring),
	T(test_busy_guard_is_per_thread),
	T(test_ring_two_threads_polled),
	T(test_ring_two_threads_kicked),
	T(test_validate_config),
	T(test_validate_port_window),
};

int main(void)
{
	size_t i;

	/* Failure details go to stderr: keep them next to their test line. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pvgen_host_piix_ide_ports(ports, PVGEN_HOST_PIIX_IDE_NR_PORTS,
				      BMDMA) != PVGEN_HOST_PIIX_IDE_NR_PORTS) {
		fprintf(stderr, "cannot build the PIIX IDE allowlist\n");
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		cur_test = tests[i].name;
		cur_failed = false;
		vm_reset();
		tests[i].fn();
		printf("%s - %s\n", cur_failed ? "FAIL" : "ok", cur_test);
		if (cur_failed)
			n_failed++;
		else
			n_passed++;
	}
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}
