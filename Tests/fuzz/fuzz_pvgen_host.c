// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over the entry points of the generated pvgen host stub:
 * pvgen_host_handle_hypercall(), pvgen_host_handle_doorbell_out(),
 * pvgen_host_handle_doorbell_in() and pvgen_host_run_batch().
 *
 * The input is a hostile guest plus a misbehaving VMM: it picks the entry
 * point, the hypercall number and arguments (or the doorbell port, width and
 * value), the bytes of the queue, what the device returns on IN, which port
 * access and which guest write fail, and a second vCPU that rewrites the
 * queue while the host runs it. Flags give the host a ring state (then the
 * ring's hypercall and port are served: ring_gpa | PVGEN_RING_OP_*, the
 * queue bytes placed at the ring's header), an allowlist that allows every
 * port (so only the stub's own window check keeps pvgen's ports out), and
 * device callbacks that call the stub's entry points again.
 *
 * Guest memory is four pages inside an mmap()ed area whose neighbouring
 * pages are PROT_NONE, so a stray dereference faults; the stub is only meant
 * to reach guest memory through the callbacks, and they check every access.
 *
 * Besides the sanitizers, each run checks these invariants and aborts (a
 * finding) on the first one that fails:
 *
 *   I1  guest memory is read at most once, exactly [gpa, gpa + count * 16),
 *       and only for a batch whose count, alignment and range are valid;
 *   I2  guest writes stay inside [gpa, gpa + count * 16), are 4 bytes at an
 *       entry's value or result field, come after the read, touch only
 *       entries that ran, and stop after the first failed write;
 *   I3  no port callback outside the allowlist (PIIX, or all ports) or with
 *       a width the port does not have, and never one whose bytes reach
 *       pvgen's own window PVGEN_PORT_WINDOW_FIRST..LAST;
 *   I4  no port access before the queue was copied, and none at all unless
 *       the whole copy is valid (so validation ran over the whole queue
 *       first): the port trace equals the one a reference model computes
 *       from the copy, access for access;
 *   I5  the return value is in the defined set for the entry point and
 *       equals the reference model's;
 *   I6  guest memory outside the queue is unchanged; inside it, only the
 *       value and result fields of the entries that ran changed, to what
 *       the reference model says;
 *   I7  doorbell IN: the magic only for a 32-bit IN of the doorbell port
 *       (or the ring's magic at the ring port, with a ring state), all ones
 *       of the width otherwise; no memory or port access;
 *   I8  a ring call (to a host whose ring is not attached yet) answers as
 *       the ABI says for its operation: attach reads the header and attaches
 *       a header with this ABI's magic and slot count (NEED_KICK written),
 *       detach writes PVGEN_RING_DETACHED, kick answers PVGEN_ERR_DETACHED,
 *       an unknown op PVGEN_ERR_OP, pages outside memory PVGEN_ERR_RANGE; it
 *       reads and writes only the named ring's two pages, and no port;
 *   I9  every entry point called from inside a device callback answers
 *       PVGEN_ERR_BUSY and touches nothing.
 *
 * The reference model below is written from the ABI as pvgen_abi.h and
 * docs/host-stub.md describe it, not from the stub's code.
 */

#define _DEFAULT_SOURCE	/* MAP_ANONYMOUS */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvgen_abi.h"
#include "pvgen_host.h"
#include "fuzz_common.h"

#define MEM_PAGES	4
#define MEM_SIZE	(MEM_PAGES * PAGE)
#define ENTRY		16U
#define NEVER		0xff
#define MAX_PIO		(2 * PVGEN_MAX_ENTRIES)
#define MAX_WRITES	(2 * PVGEN_MAX_ENTRIES)
#define ENOSYS_RET	(-1000L)

enum entry_point {
	EP_HYPERCALL,
	EP_DOORBELL_OUT,
	EP_DOORBELL_IN,
	EP_RUN_BATCH,
	EP_NR
};

/* flags byte */
#define F_READ_FAILS	0x01	/* the VMM cannot map the queue */
#define F_RACE		0x02	/* a second vCPU rewrites the queue */
#define F_IN_FORGETS	0x04	/* pio_in stores nothing */
#define F_RING		0x08	/* the host has a ring state */
#define F_ALLOW_ALL	0x10	/* the allowlist allows every port and width */
#define F_REENTER	0x20	/* device callbacks call the stub again */

struct pio_rec {
	char	dir;
	__u16	port;
	__u8	width;
	__u32	value;
};

/* The fake VMM's state for one run. */
struct fake {
	__u8		*mem;		/* MEM_SIZE bytes of guest memory */
	__u8		*expect;	/* what guest memory should hold */
	/* The batch being served: set before the call. */
	bool		batch;
	__u64		gpa;
	__u32		count;
	/* Memory accesses. */
	int		reads;
	__u8		copy[PVGEN_MAX_ENTRIES * ENTRY];
	int		writes;
	int		write_fail_at;
	bool		write_failed;
	/* Port accesses. */
	struct pio_rec	trace[MAX_PIO];
	int		ntrace;
	int		pio_fail_at;
	bool		read_fails;
	__u32		in_seed;
	bool		in_forgets;
	/* The racing vCPU. */
	const __u8	*race;
	size_t		race_len;
	size_t		race_pos;
	/* A ring call: the ring it names. */
	bool		ring_call;
	__u64		ring_gpa;
	bool		allow_all;
	bool		reenter;
	bool		in_reentry;
};

static struct fake f;
static struct pvgen_host_port_range ports[PVGEN_HOST_PIIX_IDE_NR_PORTS];
static const struct pvgen_host_port_range all_ports[] = {
	{ 0, 0xffff, PVGEN_HOST_WIDTH_ALL },
};
static struct pvgen_host host;
static struct pvgen_host_ring ring_state;
static __u8 *area;

static __u64 get_u64(const __u8 *p)
{
	__u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static __u32 get_u32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 |
	       (__u32)p[3] << 24;
}

static __u32 width_mask(__u8 width)
{
	return width == 4 ? 0xffffffffU : (1U << (width * 8)) - 1;
}

/* Whether an access of @width bytes at @port reaches pvgen's own ports. */
static bool in_window(__u16 port, __u8 width)
{
	return (__u32)port + width > PVGEN_PORT_WINDOW_FIRST &&
	       port <= PVGEN_PORT_WINDOW_LAST;
}

/* The widths the allowlist gives @port, from the table itself. */
static __u8 allowed_widths(__u16 port)
{
	size_t i;

	if (f.allow_all)
		return PVGEN_HOST_WIDTH_ALL;
	for (i = 0; i < PVGEN_HOST_PIIX_IDE_NR_PORTS; i++)
		if (port >= ports[i].first && port <= ports[i].last)
			return ports[i].widths;
	return 0;
}

/* What the device returns for the n-th access: any 32 bits. */
static __u32 device_value(__u16 port, int n)
{
	__u32 x = f.in_seed ^ (__u32)port * 0x9e3779b1U ^ (__u32)n * 0x85ebca6bU;

	x ^= x >> 15;
	x *= 0x2c1b3c6dU;
	x ^= x >> 12;
	return x;
}

/* ---- the fake VMM's callbacks ---- */

/* A ring call reaches only the two pages of the ring it names. */
static bool ring_access(__u64 gpa, __u32 len)
{
	if (!f.ring_call)
		return false;
	INVARIANT(!f.in_reentry, "a refused re-entry reads nothing");
	INVARIANT(gpa >= f.ring_gpa && len <= PVGEN_RING_SIZE &&
		  gpa - f.ring_gpa <= PVGEN_RING_SIZE - len,
		  "ring access [%#llx, +%u) inside the ring at %#llx",
		  (unsigned long long)gpa, len,
		  (unsigned long long)f.ring_gpa);
	INVARIANT(gpa + len <= MEM_SIZE, "ring access inside guest memory");
	return true;
}

static int fake_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	INVARIANT(opaque == &f, "opaque passed through");
	INVARIANT(!f.in_reentry, "a refused re-entry reads nothing");
	if (ring_access(gpa, len)) {
		f.reads++;
		memcpy(dst, f.mem + gpa, len);
		return 0;
	}
	INVARIANT(f.batch, "no guest read outside a batch");
	INVARIANT(f.reads == 0, "the queue is read once (read %d)", f.reads);
	INVARIANT(f.ntrace == 0 && f.writes == 0,
		  "the copy comes before any port access or write");
	INVARIANT(gpa == f.gpa && len == f.count * ENTRY,
		  "read of [%#llx, +%u) is the queue [%#llx, +%u)",
		  (unsigned long long)gpa, len, (unsigned long long)f.gpa,
		  f.count * ENTRY);
	INVARIANT(gpa < MEM_SIZE && len <= MEM_SIZE - gpa,
		  "read %#llx+%u inside guest memory", (unsigned long long)gpa,
		  len);
	f.reads++;
	if (f.read_fails)
		return -1;
	memcpy(dst, f.mem + gpa, len);
	memcpy(f.copy, f.mem + gpa, len);
	return 0;
}

static int fake_write_guest(void *opaque, __u64 gpa, const void *src,
			    __u32 len)
{
	__u64 off;
	int n = f.writes++;

	INVARIANT(opaque == &f, "opaque passed through");
	INVARIANT(!f.in_reentry, "a refused re-entry writes nothing");
	if (ring_access(gpa, len)) {
		memcpy(f.mem + gpa, src, len);
		return 0;
	}
	INVARIANT(f.batch && f.reads == 1, "a write comes after the one read");
	INVARIANT(!f.write_failed, "no write after a failed write");
	INVARIANT(gpa >= f.gpa && gpa - f.gpa < (__u64)f.count * ENTRY,
		  "write at %#llx inside the queue", (unsigned long long)gpa);
	off = (gpa - f.gpa) % ENTRY;
	INVARIANT(len == 4 && (off == 4 || off == 12),
		  "write of %u bytes at entry offset %llu is value or result",
		  len, (unsigned long long)off);
	INVARIANT(gpa + len <= MEM_SIZE, "write inside guest memory");
	if (n == f.write_fail_at) {
		f.write_failed = true;
		return -1;
	}
	memcpy(f.mem + gpa, src, len);
	return 0;
}

static void check_port(__u16 port, __u8 width)
{
	__u8 widths = allowed_widths(port);

	INVARIANT(!f.ring_call, "a ring call to an unattached ring runs nothing");
	INVARIANT(f.batch && f.reads == 1,
		  "port access only after the queue was copied");
	INVARIANT(f.writes == 0, "port accesses all come before write-back");
	INVARIANT(!in_window(port, width),
		  "never pvgen's own ports: %#x/%u", port, width);
	INVARIANT(widths, "port %#x is in the allowlist", port);
	INVARIANT(widths & width, "width %u allowed on port %#x", width, port);
	INVARIANT(f.ntrace < MAX_PIO, "at most %d port accesses", MAX_PIO);
}

/* The second vCPU: rewrites one queue entry after every port access. */
static void race(void)
{
	__u64 at;

	if (!f.race_len || !f.count)
		return;
	at = f.gpa + (__u64)(f.ntrace % f.count) * ENTRY;
	if (at + ENTRY > MEM_SIZE)
		return;
	for (int i = 0; i < (int)ENTRY; i++) {
		f.mem[at + i] = f.race[f.race_pos++ % f.race_len];
		f.expect[at + i] = f.mem[at + i];
	}
}

/*
 * What a VMM whose device reaches its pvgen device again would do: every
 * entry point, from inside the callback. Each must answer PVGEN_ERR_BUSY
 * without a single callback (the fake's invariants would catch one).
 */
static void reenter(void)
{
	long ret[7];
	int n = 0, i;

	if (!f.reenter || f.in_reentry)
		return;
	f.in_reentry = true;
	ret[n++] = pvgen_host_run_batch(&host, f.gpa, f.count);
	ret[n++] = pvgen_host_handle_hypercall(&host, PVGEN_HC_BATCH, f.gpa,
					       f.count, 0);
	ret[n++] = pvgen_host_handle_hypercall(&host, PVGEN_HC_PROBE,
					       PVGEN_ABI_VERSION, 0, 0);
	ret[n++] = pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						  4, (__u32)f.gpa | f.count);
	ret[n++] = pvgen_host_ring_poll(&host);
	if (host.ring) {
		ret[n++] = pvgen_host_ring_set_polled(&host, false);
		ret[n++] = pvgen_host_handle_doorbell_out(&host,
							  PVGEN_RING_PORT, 4,
							  PVGEN_RING_OP_ATTACH);
	}
	f.in_reentry = false;
	for (i = 0; i < n; i++)
		INVARIANT(ret[i] == PVGEN_ERR_BUSY,
			  "re-entered call %d answered %ld", i, ret[i]);
}

static int record(char dir, __u16 port, __u8 width, __u32 value)
{
	int n = f.ntrace++;

	f.trace[n] = (struct pio_rec){ dir, port, width, value };
	return n == f.pio_fail_at ? -5 : 0;
}

static int fake_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	int n = f.ntrace;
	int ret;

	INVARIANT(opaque == &f, "opaque passed through");
	check_port(port, width);
	INVARIANT(*value == 0, "the stub zeroes the IN value first");
	INVARIANT(!f.in_reentry, "a refused re-entry touches no port");
	ret = record('i', port, width, 0);
	reenter();
	race();
	if (ret)
		return ret;
	if (!f.in_forgets)
		*value = device_value(port, n);
	f.trace[n].value = *value;
	return 0;
}

static int fake_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	int ret;

	INVARIANT(opaque == &f, "opaque passed through");
	check_port(port, width);
	INVARIANT(!(value & ~width_mask(width)),
		  "OUT value %#x fits width %u", value, width);
	INVARIANT(!f.in_reentry, "a refused re-entry touches no port");
	ret = record('o', port, width, value);
	reenter();
	race();
	return ret;
}

/* ---- the reference model ---- */

struct model {
	long		ret;		/* what the entry point returns */
	bool		runs;		/* the copy was taken and is valid */
	__u32		ran;		/* entries attempted */
	struct pio_rec	trace[MAX_PIO];
	int		ntrace;
	__s32		result[PVGEN_MAX_ENTRIES];
	__u32		value[PVGEN_MAX_ENTRIES];
	bool		did_read[PVGEN_MAX_ENTRIES];
};

static struct model m;

/* (gpa, count) checks, before memory is touched: count, align, range. */
static long model_queue(__u64 gpa, __u64 count)
{
	__u64 len;

	if (count == 0 || count > PVGEN_MAX_ENTRIES)
		return PVGEN_ERR_COUNT;
	if (gpa % PVGEN_ENTRY_ALIGN)
		return PVGEN_ERR_ALIGN;
	len = count * ENTRY;
	if (gpa + len < gpa || gpa + len > MEM_SIZE)
		return PVGEN_ERR_RANGE;
	if (gpa / PAGE != (gpa + len - 1) / PAGE)
		return PVGEN_ERR_RANGE;
	return 0;
}

/* One entry: op, width in {1, 2, 4}, reserved bits, port, port width. */
static long model_entry(const __u8 *b)
{
	__u8 op = b[0], width = b[1];
	__u16 port = (__u16)(b[2] | b[3] << 8);
	__u32 value = get_u32(b + 4), mask = get_u32(b + 8);
	__u32 wmask;

	if (op < PVGEN_OP_OUT || op > PVGEN_OP_IN_EXPECT)
		return PVGEN_ERR_OP;
	if (width != 1 && width != 2 && width != 4)
		return PVGEN_ERR_WIDTH;
	wmask = width_mask(width);
	if (op == PVGEN_OP_OUT && (mask || (value & ~wmask)))
		return PVGEN_ERR_RESERVED;
	if (op == PVGEN_OP_IN && mask)
		return PVGEN_ERR_RESERVED;
	if (op == PVGEN_OP_IN_WAIT && (mask & ~wmask))
		return PVGEN_ERR_RESERVED;
	if (op == PVGEN_OP_RMW && ((mask | value) & ~wmask))
		return PVGEN_ERR_RESERVED;
	if (op == PVGEN_OP_IN_EXPECT && ((mask & ~wmask) || (value & ~mask)))
		return PVGEN_ERR_RESERVED;
	if (in_window(port, width) || !allowed_widths(port))
		return PVGEN_ERR_PORT;
	if (!(allowed_widths(port) & width))
		return PVGEN_ERR_WIDTH;
	return 0;
}

static bool model_pio(char dir, __u16 port, __u8 width, __u32 *value)
{
	int n = m.ntrace++;
	bool ok = n != f.pio_fail_at;

	/* The trace holds what the device saw or returned, unmasked. */
	if (dir == 'i')
		*value = ok && !f.in_forgets ? device_value(port, n) : 0;
	m.trace[n] = (struct pio_rec){ dir, port, width, *value };
	return ok;
}

/* Runs the copy the stub took (f.copy) as the ABI says. */
static void model_run(const __u8 *copy, __u32 count)
{
	__u32 i, done = 0;
	long err;

	for (i = 0; i < count; i++) {
		err = model_entry(copy + i * ENTRY);
		if (err) {
			m.ret = err;
			return;
		}
	}
	m.runs = true;
	for (i = 0; i < count; i++) {
		const __u8 *b = copy + i * ENTRY;
		__u8 op = b[0], width = b[1];
		__u16 port = (__u16)(b[2] | b[3] << 8);
		__u32 value = get_u32(b + 4), mask = get_u32(b + 8), in = 0;
		bool ok;

		m.ran = i + 1;
		m.value[i] = value;
		if (op == PVGEN_OP_OUT) {
			ok = model_pio('o', port, width, &value);
		} else {
			ok = model_pio('i', port, width, &in);
			if (ok) {
				in &= width_mask(width);
				m.value[i] = in;
				m.did_read[i] = true;
			}
			if (ok && op == PVGEN_OP_RMW) {
				__u32 out = (in & mask) | value;

				ok = model_pio('o', port, width, &out);
			}
		}
		m.result[i] = ok ? PVGEN_RESULT_OK : PVGEN_ERR_IO;
		if (!ok)
			break;
		done++;
		if (op == PVGEN_OP_IN_WAIT && (m.value[i] & mask))
			break;
		if (op == PVGEN_OP_IN_EXPECT && (m.value[i] & mask) != value)
			break;
	}
	m.ret = done;
}

/* What a batch call returns and does, given the copy the stub took. */
static void model_batch(__u64 gpa, __u64 count)
{
	m.ret = model_queue(gpa, count);
	if (m.ret)
		return;
	if (f.read_fails) {
		m.ret = PVGEN_ERR_RANGE;	/* the VMM's read failed */
		return;
	}
	model_run(f.copy, (__u32)count);
}

/* Whether the ring's two pages at @gpa lie in guest memory. */
static bool ring_in_memory(__u64 gpa)
{
	return gpa < MEM_SIZE && PVGEN_RING_SIZE <= MEM_SIZE - gpa;
}

/*
 * What a ring call of (gpa | op) answers on a host whose ring is not
 * attached, and what it writes (into f.expect): the ABI's ring operations.
 */
static long model_ring(__u64 value)
{
	__u64 gpa = value & ~(__u64)PVGEN_RING_OP_MASK;
	__u32 flags;

	switch (value & PVGEN_RING_OP_MASK) {
	case PVGEN_RING_OP_KICK:
		return PVGEN_ERR_DETACHED;
	case PVGEN_RING_OP_ATTACH:
		if (!ring_in_memory(gpa))
			return PVGEN_ERR_RANGE;
		if (get_u32(f.mem + gpa) != PVGEN_RING_MAGIC ||
		    get_u32(f.mem + gpa + 4) != PVGEN_RING_SLOTS)
			return PVGEN_ERR_VERSION;
		flags = PVGEN_RING_NEED_KICK;
		break;
	case PVGEN_RING_OP_DETACH:
		if (!ring_in_memory(gpa))
			return PVGEN_ERR_RANGE;
		flags = PVGEN_RING_DETACHED;
		break;
	default:
		return PVGEN_ERR_OP;
	}
	memcpy(f.expect + gpa + offsetof(struct pvgen_ring, flags), &flags, 4);
	return 0;
}

/* A ring call through @ep: what it answered, what it read, its state after. */
static void check_ring_call(__u64 value, long ret)
{
	__u64 gpa = value & ~(__u64)PVGEN_RING_OP_MASK;
	__u32 op = value & PVGEN_RING_OP_MASK;
	long want = model_ring(value);

	INVARIANT(ret == want, "ring call %#llx answered %ld, the ABI says %ld",
		  (unsigned long long)value, ret, want);
	INVARIANT(f.ntrace == 0, "a ring call to an unattached ring runs nothing");
	INVARIANT(ring_state.attached == (op == PVGEN_RING_OP_ATTACH && !ret),
		  "attached after op %u: %d", op, ring_state.attached);
	if (ring_state.attached)
		INVARIANT(ring_state.gpa == gpa && !ring_state.broken &&
			  ring_state.cons == get_u32(f.mem + gpa +
						     offsetof(struct pvgen_ring, cons)),
			  "attached at %#llx from the header's cons",
			  (unsigned long long)gpa);
	if (op == PVGEN_RING_OP_KICK || (op != PVGEN_RING_OP_ATTACH &&
					 op != PVGEN_RING_OP_DETACH) ||
	    !ring_in_memory(gpa))
		INVARIANT(f.reads == 0, "a refused ring call reads nothing");
}

/* ---- checking one run ---- */

/* Applies the write-back the model expects to f.expect, as the ABI says. */
static void expect_write_back(void)
{
	int writes = 0;
	__u32 i;

	for (i = 0; i < m.ran; i++) {
		__u8 *e = f.expect + f.gpa + (__u64)i * ENTRY;

		if (m.did_read[i]) {
			if (writes++ == f.write_fail_at)
				return;
			memcpy(e + 4, &m.value[i], 4);
		}
		if (writes++ == f.write_fail_at)
			return;
		memcpy(e + 12, &m.result[i], 4);
	}
}

static void check_batch(long ret)
{
	int i;

	INVARIANT(ret == m.ret, "returned %ld, the ABI says %ld", ret, m.ret);
	INVARIANT(ret == PVGEN_ERR_COUNT || ret == PVGEN_ERR_ALIGN ||
		  ret == PVGEN_ERR_RANGE || ret == PVGEN_ERR_OP ||
		  ret == PVGEN_ERR_WIDTH || ret == PVGEN_ERR_PORT ||
		  ret == PVGEN_ERR_RESERVED ||
		  (ret >= 0 && ret <= (long)f.count),
		  "batch return %ld in the defined set", ret);
	if (!m.runs) {
		INVARIANT(f.ntrace == 0, "a refused batch touches no port");
		INVARIANT(f.writes == 0, "a refused batch writes nothing");
	}
	INVARIANT(f.ntrace == m.ntrace, "%d port accesses, want %d",
		  f.ntrace, m.ntrace);
	for (i = 0; i < f.ntrace; i++)
		INVARIANT(f.trace[i].dir == m.trace[i].dir &&
			  f.trace[i].port == m.trace[i].port &&
			  f.trace[i].width == m.trace[i].width &&
			  f.trace[i].value == m.trace[i].value,
			  "access %d is %c %#x/%u=%#x, want %c %#x/%u=%#x", i,
			  f.trace[i].dir, f.trace[i].port, f.trace[i].width,
			  f.trace[i].value, m.trace[i].dir, m.trace[i].port,
			  m.trace[i].width, m.trace[i].value);
	if (m.runs)
		expect_write_back();
}

static void reset(const __u8 *queue, size_t qlen, __u64 place)
{
	__u64 i;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	f.mem = area + PAGE;
	f.expect = area + (MEM_PAGES + 2) * PAGE;
	for (i = 0; i < MEM_SIZE; i++)
		f.mem[i] = (__u8)(i * 7 + 0x5a);
	if (place < MEM_SIZE) {
		if (qlen > MEM_SIZE - place)
			qlen = MEM_SIZE - place;
		memcpy(f.mem + place, queue, qlen);
	}
	memcpy(f.expect, f.mem, MEM_SIZE);
}

/*
 * Input layout (little-endian), 40 bytes of header then the queue:
 *   0  entry point (mod EP_NR)      1  flags (F_*)
 *   2  index of the port access that fails (0xff: none)
 *   3  index of the guest write that fails (0xff: none)
 *   4  nr (hypercall) / port (doorbell, low 16 bits)
 *  12  a0 (hypercall) / gpa (run_batch) / value (doorbell OUT, low 32)
 *  20  a1 (hypercall) / count (run_batch, low 32) / width (doorbell, low 8)
 *  28  a2 (hypercall)
 *  36  seed of the values the device returns on IN
 *  40  queue bytes, placed at the queue's gpa; with F_RACE, what follows
 *      the queue is what the second vCPU writes over it
 */
#define HEADER	40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u64 nr, a0, a1, a2, place = ~0ULL, count = 0;
	const __u8 *queue = data + HEADER;
	size_t qlen, i;
	enum entry_point ep;
	long ret;
	__u32 v;

	if (size < HEADER)
		return -1;	/* not an input: keep it out of the corpus */
	ep = (enum entry_point)(data[0] % EP_NR);
	nr = get_u64(data + 4);
	a0 = get_u64(data + 12);
	a1 = get_u64(data + 20);
	a2 = get_u64(data + 28);
	qlen = size - HEADER;

	if (ep == EP_HYPERCALL && nr == PVGEN_HC_BATCH) {
		place = a0;
		count = a1;
	} else if (ep == EP_DOORBELL_OUT) {
		place = (__u32)a0 & ~PVGEN_DOORBELL_COUNT_MASK;
		count = (__u32)a0 & PVGEN_DOORBELL_COUNT_MASK;
	} else if (ep == EP_RUN_BATCH) {
		place = a0;
		count = (__u32)a1;
	}
	if (data[1] & F_RING) {
		/* The queue bytes become the named ring's header. */
		if (ep == EP_HYPERCALL && nr == PVGEN_HC_RING)
			place = a0 & ~(__u64)PVGEN_RING_OP_MASK;
		else if (ep == EP_DOORBELL_OUT && (__u16)nr == PVGEN_RING_PORT)
			place = (__u32)a0 & ~PVGEN_RING_OP_MASK;
	}
	reset(queue, qlen, place);
	memset(&ring_state, 0, sizeof(ring_state));
	host.ring = data[1] & F_RING ? &ring_state : NULL;
	f.allow_all = data[1] & F_ALLOW_ALL;
	host.ports = f.allow_all ? all_ports : ports;
	host.nr_ports = f.allow_all ? 1 : PVGEN_HOST_PIIX_IDE_NR_PORTS;
	f.reenter = data[1] & F_REENTER;
	f.pio_fail_at = data[2] == NEVER ? -1 : data[2];
	f.write_fail_at = data[3] == NEVER ? -1 : data[3];
	f.in_forgets = data[1] & F_IN_FORGETS;
	f.in_seed = get_u32(data + 36);
	if (data[1] & F_RACE) {
		size_t qbytes = count <= PVGEN_MAX_ENTRIES ? count * ENTRY : 0;

		if (qlen > qbytes) {
			f.race = queue + qbytes;
			f.race_len = qlen - qbytes;
		}
	}
	f.read_fails = data[1] & F_READ_FAILS;

	switch (ep) {
	case EP_HYPERCALL:
		if (nr == PVGEN_HC_BATCH && !model_queue(a0, a1)) {
			f.batch = true;
			f.gpa = a0;
			f.count = (__u32)a1;
		}
		if (nr == PVGEN_HC_RING && host.ring) {
			f.ring_call = true;
			f.ring_gpa = a0 & ~(__u64)PVGEN_RING_OP_MASK;
		}
		ret = pvgen_host_handle_hypercall(&host, nr, a0, a1, a2);
		if (nr == PVGEN_HC_PROBE) {
			INVARIANT(ret == (a0 != PVGEN_ABI_VERSION ?
					  PVGEN_ERR_VERSION : host.ring ?
					  (long)(PVGEN_FEATURE_BATCH |
						 PVGEN_FEATURE_RING) :
					  (long)PVGEN_FEATURE_BATCH),
				  "probe(%#llx) returned %ld",
				  (unsigned long long)a0, ret);
		} else if (nr == PVGEN_HC_RING && host.ring) {
			check_ring_call(a0, ret);
		} else if (nr == PVGEN_HC_BATCH) {
			model_batch(a0, a1);
			check_batch(ret);
		} else {
			INVARIANT(ret == ENOSYS_RET,
				  "unknown nr %#llx returned %ld",
				  (unsigned long long)nr, ret);
		}
		break;
	case EP_DOORBELL_OUT:
		if ((__u16)nr == PVGEN_DOORBELL_PORT && (__u8)a1 == 4 &&
		    !model_queue(place, count)) {
			f.batch = true;
			f.gpa = place;
			f.count = (__u32)count;
		}
		if ((__u16)nr == PVGEN_RING_PORT && host.ring) {
			f.ring_call = true;
			f.ring_gpa = (__u32)a0 & ~PVGEN_RING_OP_MASK;
		}
		ret = pvgen_host_handle_doorbell_out(&host, (__u16)nr, (__u8)a1,
						     (__u32)a0);
		if (f.ring_call && (__u8)a1 != 4) {
			INVARIANT(ret == PVGEN_ERR_WIDTH && f.reads == 0 &&
				  f.writes == 0, "ring OUT width %u: %ld",
				  (__u8)a1, ret);
		} else if (f.ring_call) {
			check_ring_call((__u32)a0, ret);
		} else if ((__u16)nr != PVGEN_DOORBELL_PORT) {
			INVARIANT(ret == PVGEN_ERR_PORT, "OUT to %#x: %ld",
				  (__u16)nr, ret);
		} else if ((__u8)a1 != 4) {
			INVARIANT(ret == PVGEN_ERR_WIDTH, "OUT width %u: %ld",
				  (__u8)a1, ret);
		} else {
			model_batch(place, count);
			check_batch(ret);
		}
		break;
	case EP_DOORBELL_IN:
		v = (__u32)a2;
		ret = pvgen_host_handle_doorbell_in(&host, (__u16)nr, (__u8)a1,
						    &v);
		if ((__u16)nr == PVGEN_DOORBELL_PORT && (__u8)a1 == 4)
			INVARIANT(ret == 0 && v == PVGEN_DOORBELL_MAGIC,
				  "doorbell IN: %ld, %#x", ret, v);
		else if ((__u16)nr == PVGEN_RING_PORT && host.ring &&
			 (__u8)a1 == 4)
			INVARIANT(ret == 0 && v == PVGEN_RING_MAGIC,
				  "ring port IN: %ld, %#x", ret, v);
		else
			INVARIANT((ret == PVGEN_ERR_PORT ||
				   ret == PVGEN_ERR_WIDTH) &&
				  v == ((__u8)a1 == 1 ? 0xff :
					(__u8)a1 == 2 ? 0xffff : 0xffffffffU),
				  "IN %#x/%u: %ld, %#x", (__u16)nr, (__u8)a1,
				  ret, v);
		break;
	default:
		if (!model_queue(a0, (__u32)a1)) {
			f.batch = true;
			f.gpa = a0;
			f.count = (__u32)a1;
		}
		ret = pvgen_host_run_batch(&host, a0, (__u32)a1);
		model_batch(a0, (__u32)a1);
		check_batch(ret);
		break;
	}
	if (!f.batch && !f.ring_call) {
		INVARIANT(f.reads == 0 && f.writes == 0 && f.ntrace == 0,
			  "a refused call touches nothing");
	}
	for (i = 0; i < MEM_SIZE; i++)
		INVARIANT(f.mem[i] == f.expect[i],
			  "guest byte %#zx is %#x, want %#x (queue %#llx+%u)",
			  i, f.mem[i], f.expect[i],
			  (unsigned long long)f.gpa, f.count * ENTRY);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len = (2 * MEM_PAGES + 3) * PAGE;

	(void)argc;
	(void)argv;
	/*
	 * guard | guest memory | guard | expected memory | guard: a stray
	 * pointer into or past guest memory faults in the guards.
	 */
	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		abort();
	if (mprotect(area, PAGE, PROT_NONE) ||
	    mprotect(area + (MEM_PAGES + 1) * PAGE, PAGE, PROT_NONE) ||
	    mprotect(area + (2 * MEM_PAGES + 2) * PAGE, PAGE, PROT_NONE))
		abort();
	if (pvgen_host_piix_ide_ports(ports, PVGEN_HOST_PIIX_IDE_NR_PORTS,
				      BMDMA) != PVGEN_HOST_PIIX_IDE_NR_PORTS)
		abort();
	host = (struct pvgen_host){
		.read_guest = fake_read_guest,
		.write_guest = fake_write_guest,
		.pio_in = fake_pio_in,
		.pio_out = fake_pio_out,
		.opaque = &f,
		.mem_size = MEM_SIZE,
		.ports = ports,
		.nr_ports = PVGEN_HOST_PIIX_IDE_NR_PORTS,
	};
	if (pvgen_host_validate(&host))
		abort();
	return 0;
}
