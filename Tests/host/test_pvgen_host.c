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
 * (x86-TSO orders every load as an acquire and every store as a release).
 * The host's callbacks and the test's guest threads both go through that
 * model, so ThreadSanitizer (make tsan) sees the ring's protocol as it is
 * and reports any access the protocol leaves unordered.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Guest memory as x86 reads and writes it: see the top of the file. */
static void mem_load(void *dst, __u64 gpa, __u32 len)
{
	__u8 *d = dst;
	__u32 w;

	while (len) {
		if (!(gpa & 3) && len >= 4) {
			w = __atomic_load_n((__u32 *)&mem[gpa], __ATOMIC_ACQUIRE);
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
			__atomic_store_n((__u32 *)&mem[gpa], w, __ATOMIC_RELEASE);
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
	return __atomic_load_n((__u32 *)&mem[gpa], __ATOMIC_ACQUIRE);
}

static void mem_put32(__u64 gpa, __u32 value)
{
	__atomic_store_n((__u32 *)&mem[gpa], value, __ATOMIC_RELEASE);
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

static struct pvgen_host_ring ring_state;

static struct pvgen_ring *ring_at(void)
{
	return (struct pvgen_ring *)&mem[RGPA];
}

static struct pvgen_io_entry *slot_at(__u32 slot, __u32 i)
{
	return entry_at(RGPA + PVGEN_RING_SLOTS_OFFSET,
			slot * PVGEN_MAX_ENTRIES + i);
}

/* A zeroed ring with its magic, and a host that has a ring state. */
static void ring_reset(void)
{
	vm_reset();
	memset(&ring_state, 0, sizeof(ring_state));
	host.ring = &ring_state;
	memset(&mem[RGPA], 0, PVGEN_RING_SIZE);
	ring_at()->magic = PVGEN_RING_MAGIC;
	ring_at()->nr_slots = PVGEN_RING_SLOTS;
	ring_at()->flags = PVGEN_RING_BROKEN;
}

/* Post one batch as the guest module does: fill the slot, count, prod. */
static void ring_post(__u32 n, const struct pvgen_io_entry *e)
{
	struct pvgen_ring *r = ring_at();
	__u32 slot = r->prod % PVGEN_RING_SLOTS;

	memcpy(slot_at(slot, 0), e, n * sizeof(*e));
	r->count[slot] = n;
	r->prod++;
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
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 ENOSYS_RET);
	host.ring = &ring_state;
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					     PVGEN_ABI_VERSION, 0, 0),
		 PVGEN_FEATURE_BATCH | PVGEN_FEATURE_RING);
	CHECK_EQ(pvgen_host_handle_doorbell_in(&host, PVGEN_RING_PORT, 4,
					       &value), 0);
	CHECK_EQ(value, PVGEN_RING_MAGIC);
	/* The first kick attaches: BROKEN goes, NEED_KICK says nobody polls. */
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 4,
						RGPA), 0);
	CHECK(ring_state.attached);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_NEED_KICK);
	CHECK_EQ(pvgen_host_ring_set_polled(&host, true), 0);
	CHECK_EQ(ring_at()->flags, 0);
	/* A second ring is refused, the first stays. */
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
					     RGPA + 0x2000, 0, 0),
		 PVGEN_ERR_RANGE);
	CHECK_EQ(ring_state.gpa, RGPA);
}

static void test_ring_attach_refusals(void)
{
	ring_reset();
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA + 16,
					     0, 0), PVGEN_ERR_ALIGN);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
					     MEM_SIZE - 0x1000, 0, 0),
		 PVGEN_ERR_RANGE);
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
					     ~0ULL & ~0xfffULL, 0, 0),
		 PVGEN_ERR_RANGE);
	ring_at()->nr_slots = 8;
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 PVGEN_ERR_VERSION);
	CHECK(!ring_state.attached);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);
	/* The ring's kick is a 32-bit OUT like the doorbell. */
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 2,
						RGPA), PVGEN_ERR_WIDTH);
}

/* Posted slots run in order, each once; ret and cons come back. */
static void test_ring_poll_runs_posted_slots(void)
{
	struct pvgen_io_entry e[2];
	__u32 i;

	ring_reset();
	vm.in_value[0x1f7] = 0x50;
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 0);
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
	/* A kick runs what is posted too. */
	ring_post(1, e);
	CHECK_EQ(pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 4,
						RGPA), 0);
	CHECK_EQ(ring_at()->cons, 9);
	CHECK_EQ(vm.ntrace, 17);
}

/* A bad batch in a slot gets its error in ret; the ring goes on. */
static void test_ring_bad_slot_is_refused_alone(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x80, 0x25, 0);
	ring_post(1, &e);
	ring_at()->count[0] = PVGEN_MAX_ENTRIES + 1;
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->ret[0], PVGEN_ERR_COUNT);
	ring_post(1, &e);
	CHECK_EQ(pvgen_host_ring_poll(&host), 1);
	CHECK_EQ(ring_at()->ret[1], PVGEN_ERR_PORT);
	CHECK_EQ(vm.ntrace, 0);
}

/* prod more than a ring ahead: broken, nothing runs, and it stays so. */
static void test_ring_hostile_prod(void)
{
	struct pvgen_io_entry e;

	ring_reset();
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 0);
	pvgen_entry_init(&e, PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0);
	ring_post(1, &e);
	ring_at()->prod = PVGEN_RING_SLOTS + 1;
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK(ring_state.broken);
	CHECK_EQ(ring_at()->flags, PVGEN_RING_BROKEN);
	CHECK_EQ(vm.ntrace, 0);
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	/* prod behind cons wraps to a huge distance: broken as well. */
	ring_reset();
	CHECK_EQ(pvgen_host_handle_hypercall(&host, PVGEN_HC_RING, RGPA, 0, 0),
		 0);
	ring_at()->prod = (__u32)-1;
	CHECK_EQ(pvgen_host_ring_poll(&host), PVGEN_ERR_RANGE);
	CHECK_EQ(vm.ntrace, 0);
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
	T(test_ring_poll_runs_posted_slots),
	T(test_ring_bad_slot_is_refused_alone),
	T(test_ring_hostile_prod),
	T(test_in_expect_met),
	T(test_in_expect_missed_stops),
	T(test_in_expect_missed_later),
	T(test_err_unknown_op),
	T(test_err_bad_width),
	T(test_err_width_not_allowed),
	T(test_err_port_not_allowed),
	T(test_err_doorbell_port_despite_allowlist),
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
	T(test_validate_config),
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
