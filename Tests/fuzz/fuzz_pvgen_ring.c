// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the exitless ring of the generated host stub. A
 * hostile guest owns two rings' pages (every byte of both from the input)
 * and drives the ring's entry points in any order: the ring operations
 * (attach, kick, detach, and codes the ABI does not have) by port and by
 * hypercall, naming its ring, the other one, one that shares a page with it
 * or one outside memory; polls and the poller's set_polled; posts that move
 * prod by any amount; and a fresh header over a ring, as a reloaded guest
 * module writes it. The VMM may allow every port, fail the write-back of
 * one field, and have its device callbacks call the stub again.
 *
 * Input: FLAGS, then SCRIPT bytes of operations, then the bytes of a ring's
 * two pages (zero padded), placed at both rings. Each operation byte: low 3
 * bits the operation, the rest its argument.
 *
 * Invariants (abort, so libFuzzer keeps the input):
 *   - attach, detach and kick answer as the ABI says, from a model of the
 *     attachment kept here, and the stub's state agrees with the model;
 *   - guest memory is read and written only inside the pages of the ring a
 *     call may touch: the one an attach or detach names, the attached one
 *     for a kick, poll or set_polled, none at all for a refused call, an
 *     unknown operation, or any call while no ring is attached: so a
 *     detached ring is never touched again until it is attached anew
 *     (guard pages around guest memory catch a stray pointer too);
 *   - slots run in order, each index once: the k-th slot a call runs is
 *     (cons before + k) % PVGEN_RING_SLOTS, and the host's cons moves by
 *     exactly the slots run, never back, also when a write-back fails;
 *   - a broken ring runs nothing (poll, kick, set_polled or detach);
 *   - device accesses only hit allowed ports at allowed widths, never one
 *     reaching pvgen's own window (0x560-0x567), even with an allowlist of
 *     every port;
 *   - every entry point called from a device callback answers
 *     PVGEN_ERR_BUSY and touches nothing;
 *   - without write failures, the cons the guest sees is the host's own.
 */

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pvgen_host.h"
#include "fuzz_common.h"

#define MEM_PAGES	16
#define MEM_SIZE	(MEM_PAGES * PAGE)
#define RGPA		(4 * PAGE)
#define RGPA2		(8 * PAGE)
#define SCRIPT		32
#define ENOSYS_RET	(-1000L)
#define FIELD(f)	((__u64)offsetof(struct pvgen_ring, f))

enum op {
	OP_ATTACH, OP_KICK, OP_DETACH, OP_POLL, OP_POLLED, OP_POST, OP_RAW,
	OP_REINIT,
};

/* FLAGS byte */
#define F_ALLOW_ALL	0x01	/* the allowlist allows every port */
#define F_REENTER	0x02	/* device callbacks call the stub again */
#define F_WRITE_FAILS	0x04	/* one field's write-back fails: bits 4-5 */
#define FAIL_FIELD(fl)	(((fl) >> 4) & 3)	/* ret, cons, result, flags */

static __u8 *area;
static __u8 *mem;
static struct pvgen_host_port_range ports[PVGEN_HOST_PIIX_IDE_NR_PORTS];
static const struct pvgen_host_port_range all_ports[] = {
	{ 0, 0xffff, PVGEN_HOST_WIDTH_ALL },
};
static struct pvgen_host host;
static struct pvgen_host_ring ring_state;
static __u32 in_seed;
static __u8 flags;

/* What the call at hand may touch: the pages of one ring, or nothing. */
static bool may_touch;
static __u64 touch_gpa;

/* What it did. */
static unsigned int port_accesses;
static unsigned int slot_runs;
static bool slot_order_ok;
static __u32 cons_before;
static bool in_reentry;

/* The attachment as the ABI says it is. */
static bool model_attached;
static __u64 model_gpa;

static bool ring_in_memory(__u64 gpa)
{
	return gpa < MEM_SIZE && PVGEN_RING_SIZE <= MEM_SIZE - gpa;
}

static void check_range(__u64 gpa, __u32 len)
{
	INVARIANT(!in_reentry, "a refused re-entry touches no memory");
	INVARIANT(may_touch, "guest access [%#llx, +%u) by a call that may touch no ring",
		  (unsigned long long)gpa, len);
	INVARIANT(gpa >= touch_gpa && len <= PVGEN_RING_SIZE &&
		  gpa - touch_gpa <= PVGEN_RING_SIZE - len,
		  "guest access [%#llx, +%u) outside the ring at %#llx",
		  (unsigned long long)gpa, len, (unsigned long long)touch_gpa);
}

static int fake_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	__u32 slot;

	(void)opaque;
	check_range(gpa, len);
	/* The host reads count[slot] once for every slot it runs. */
	if (len == 4 && gpa >= touch_gpa + FIELD(count) &&
	    gpa < touch_gpa + FIELD(count) + 4 * PVGEN_RING_SLOTS) {
		slot = (gpa - touch_gpa - FIELD(count)) / 4;
		if (slot != (cons_before + slot_runs) % PVGEN_RING_SLOTS)
			slot_order_ok = false;
		slot_runs++;
	}
	memcpy(dst, mem + gpa, len);
	return 0;
}

/* Whether the write-back of this write fails (F_WRITE_FAILS). */
static bool write_fails(__u64 gpa, __u32 len)
{
	__u64 off = gpa - touch_gpa;

	if (!(flags & F_WRITE_FAILS) || len != 4)
		return false;
	switch (FAIL_FIELD(flags)) {
	case 0:
		return off >= FIELD(ret) && off < FIELD(ret) + 4 * PVGEN_RING_SLOTS;
	case 1:
		return off == FIELD(cons);
	case 2:
		return off >= PVGEN_RING_SLOTS_OFFSET && off % 16 == 12;
	default:
		return off == FIELD(flags);
	}
}

static int fake_write_guest(void *opaque, __u64 gpa, const void *src,
			    __u32 len)
{
	(void)opaque;
	check_range(gpa, len);
	if (write_fails(gpa, len))
		return -1;
	memcpy(mem + gpa, src, len);
	return 0;
}

static bool in_window(__u16 port, __u8 width)
{
	return (__u32)port + width > PVGEN_PORT_WINDOW_FIRST &&
	       port <= PVGEN_PORT_WINDOW_LAST;
}

static void check_port(__u16 port, __u8 width)
{
	size_t i;

	INVARIANT(!in_reentry, "a refused re-entry touches no port");
	INVARIANT(!in_window(port, width), "port %#x/%u reaches pvgen's window",
		  port, width);
	port_accesses++;
	if (flags & F_ALLOW_ALL)
		return;
	for (i = 0; i < PVGEN_HOST_PIIX_IDE_NR_PORTS; i++) {
		if (port >= ports[i].first && port <= ports[i].last) {
			INVARIANT(ports[i].widths & width, "width %u on %#x",
				  width, port);
			return;
		}
	}
	INVARIANT(0, "port %#x outside the allowlist", port);
}

/* From inside a device callback: every entry point, each must be busy. */
static void reenter(void)
{
	long ret[8];
	int n = 0, i;

	if (!(flags & F_REENTER))
		return;
	in_reentry = true;
	ret[n++] = pvgen_host_ring_poll(&host);
	ret[n++] = pvgen_host_ring_set_polled(&host, true);
	ret[n++] = pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 4,
						  (__u32)ring_state.gpa |
						  PVGEN_RING_OP_KICK);
	ret[n++] = pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
					       ring_state.gpa |
					       PVGEN_RING_OP_DETACH, 0, 0);
	ret[n++] = pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
					       RGPA2 | PVGEN_RING_OP_ATTACH, 0, 0);
	ret[n++] = pvgen_host_handle_doorbell_out(&host, PVGEN_DOORBELL_PORT,
						  4, (__u32)RGPA | 1);
	ret[n++] = pvgen_host_run_batch(&host, RGPA + PVGEN_RING_SLOTS_OFFSET, 1);
	in_reentry = false;
	for (i = 0; i < n; i++)
		INVARIANT(ret[i] == PVGEN_ERR_BUSY,
			  "re-entered call %d answered %ld", i, ret[i]);
}

static int fake_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	(void)opaque;
	check_port(port, width);
	reenter();
	in_seed = in_seed * 1103515245U + 12345U;
	*value = in_seed;
	return 0;
}

static int fake_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	(void)opaque;
	(void)value;
	check_port(port, width);
	reenter();
	return 0;
}

static struct pvgen_ring *ring_at(__u64 gpa)
{
	return (struct pvgen_ring *)(mem + gpa);
}

/* The ring an operation's argument names: bits 1-2. */
static __u64 named_gpa(unsigned int arg)
{
	static const __u64 gpas[] = {
		RGPA, RGPA2, RGPA + PAGE, MEM_SIZE - PAGE,
	};

	return gpas[(arg >> 1) & 3];
}

static long ring_op(unsigned int arg, __u64 gpa, __u32 op)
{
	long ret;

	if (arg & 1) {
		ret = pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT, 4,
						     (__u32)(gpa | op));
	} else {
		ret = pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
						  gpa | op, 0, 0);
		INVARIANT(ret != ENOSYS_RET, "the ring call is served");
	}
	return ret;
}

/* Whether the header at @gpa is this ABI's, as an attach checks it. */
static bool header_ok(__u64 gpa)
{
	return ring_at(gpa)->magic == PVGEN_RING_MAGIC &&
	       ring_at(gpa)->nr_slots == PVGEN_RING_SLOTS;
}

static bool flags_write_fails(void)
{
	return (flags & F_WRITE_FAILS) && FAIL_FIELD(flags) == 3;
}

static void do_attach(unsigned int arg)
{
	__u64 gpa = named_gpa(arg);
	long want, ret;

	if (model_attached && gpa != model_gpa)
		want = PVGEN_ERR_RANGE;
	else if (!ring_in_memory(gpa))
		want = PVGEN_ERR_RANGE;
	else if (!header_ok(gpa))
		want = PVGEN_ERR_VERSION;
	else if (flags_write_fails())
		want = PVGEN_ERR_RANGE;
	else
		want = 0;
	may_touch = want == 0 || want == PVGEN_ERR_VERSION ||
		    (want == PVGEN_ERR_RANGE && flags_write_fails() &&
		     ring_in_memory(gpa) && !(model_attached && gpa != model_gpa));
	touch_gpa = gpa;
	ret = ring_op(arg, gpa, PVGEN_RING_OP_ATTACH);
	INVARIANT(ret == want, "attach %#llx: %ld, the ABI says %ld",
		  (unsigned long long)gpa, ret, want);
	INVARIANT(port_accesses == 0, "an attach runs nothing");
	if (!ret) {
		model_attached = true;
		model_gpa = gpa;
		INVARIANT(ring_state.cons == ring_at(gpa)->cons,
			  "attached from the header's cons");
		INVARIANT(!ring_state.broken, "a fresh attachment is not broken");
	} else if (want == PVGEN_ERR_RANGE && may_touch) {
		/* The flag write failed: a ring re-attached is let go. */
		model_attached = false;
	}
}

static void do_kick(unsigned int arg)
{
	__u64 gpa = named_gpa(arg);
	bool ours = model_attached && gpa == model_gpa;
	long ret;

	may_touch = ours;
	touch_gpa = model_gpa;
	ret = ring_op(arg, gpa, PVGEN_RING_OP_KICK);
	if (!ours)
		INVARIANT(ret == PVGEN_ERR_DETACHED,
			  "a kick of a ring not attached: %ld", ret);
	else
		INVARIANT(ret <= 0, "a kick answers 0 or an error: %ld", ret);
}

static void do_detach(unsigned int arg)
{
	__u64 gpa = named_gpa(arg);
	bool ours = model_attached && gpa == model_gpa;
	long ret;

	may_touch = ring_in_memory(gpa);
	touch_gpa = gpa;
	ret = ring_op(arg, gpa, PVGEN_RING_OP_DETACH);
	if (!ring_in_memory(gpa)) {
		INVARIANT(ret == PVGEN_ERR_RANGE, "detach outside memory: %ld",
			  ret);
		return;
	}
	INVARIANT(ret == (flags_write_fails() ? PVGEN_ERR_RANGE : 0),
		  "detach %#llx: %ld", (unsigned long long)gpa, ret);
	if (!flags_write_fails())
		INVARIANT(ring_at(gpa)->flags == PVGEN_RING_DETACHED,
			  "a detached ring says so: %#x", ring_at(gpa)->flags);
	if (ours)
		model_attached = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, i;

	if (size < 1 + SCRIPT)
		return -1;
	flags = data[0];
	memset(mem, 0, MEM_SIZE);
	n = size - 1 - SCRIPT;
	if (n > PVGEN_RING_SIZE)
		n = PVGEN_RING_SIZE;
	memcpy(mem + RGPA, data + 1 + SCRIPT, n);
	memcpy(mem + RGPA2, data + 1 + SCRIPT, n);
	memset(&ring_state, 0, sizeof(ring_state));
	model_attached = false;
	model_gpa = 0;
	in_seed = 0x5eed;
	host.ports = flags & F_ALLOW_ALL ? all_ports : ports;
	host.nr_ports = flags & F_ALLOW_ALL ? 1 : PVGEN_HOST_PIIX_IDE_NR_PORTS;

	for (i = 0; i < SCRIPT; i++) {
		unsigned int arg = data[1 + i] >> 3;
		enum op op = (enum op)(data[1 + i] & 7);
		bool broken = ring_state.attached && ring_state.broken;
		__u64 gpa;
		long ret;

		cons_before = ring_state.cons;
		port_accesses = 0;
		slot_runs = 0;
		slot_order_ok = true;
		may_touch = model_attached;
		touch_gpa = model_gpa;

		switch (op) {
		case OP_ATTACH:
			do_attach(arg);
			break;
		case OP_KICK:
			do_kick(arg);
			break;
		case OP_DETACH:
			do_detach(arg);
			break;
		case OP_POLL:
			ret = pvgen_host_ring_poll(&host);
			if (ret >= 0)
				INVARIANT(ret <= PVGEN_RING_SLOTS &&
					  (__u32)ret == slot_runs,
					  "poll ran %ld, %u slots read", ret,
					  slot_runs);
			break;
		case OP_POLLED:
			ret = pvgen_host_ring_set_polled(&host, arg & 1);
			INVARIANT(ret <= 0, "set_polled: %ld", ret);
			break;
		case OP_POST:
			gpa = arg & 1 ? RGPA2 : RGPA;
			ring_at(gpa)->prod += arg >> 1;
			break;
		case OP_RAW:
			/* Any code but the three the ABI has. */
			may_touch = false;
			ret = ring_op(arg, named_gpa(arg),
				      3 + (arg * 131U) % (PVGEN_RING_OP_MASK - 2));
			INVARIANT(ret == PVGEN_ERR_OP, "unknown op: %ld", ret);
			break;
		case OP_REINIT:
			/* A reloaded guest module's fresh header. */
			gpa = arg & 1 ? RGPA2 : RGPA;
			memset(mem + gpa, 0, sizeof(struct pvgen_ring));
			ring_at(gpa)->magic = PVGEN_RING_MAGIC;
			ring_at(gpa)->nr_slots = PVGEN_RING_SLOTS;
			ring_at(gpa)->flags = PVGEN_RING_BROKEN;
			ring_at(gpa)->prod = (arg >> 1) * 0x11111111U;
			ring_at(gpa)->cons = ring_at(gpa)->prod;
			break;
		}
		INVARIANT(ring_state.attached == model_attached &&
			  (!model_attached || ring_state.gpa == model_gpa),
			  "the stub holds %d at %#llx, the ABI %d at %#llx",
			  ring_state.attached,
			  (unsigned long long)ring_state.gpa, model_attached,
			  (unsigned long long)model_gpa);
		INVARIANT(slot_order_ok, "a slot ran out of order");
		if (op != OP_ATTACH)
			INVARIANT((__u32)(ring_state.cons - cons_before) ==
				  slot_runs,
				  "cons moved %u for %u slots run",
				  ring_state.cons - cons_before, slot_runs);
		if (broken)
			INVARIANT(port_accesses == 0 && slot_runs == 0,
				  "a broken ring runs nothing");
		if (model_attached && ring_state.cons != cons_before &&
		    !(flags & F_WRITE_FAILS))
			INVARIANT(ring_at(model_gpa)->cons == ring_state.cons,
				  "the guest sees cons %u, the host has %u",
				  ring_at(model_gpa)->cons, ring_state.cons);
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* guard | guest memory | guard */
	area = mmap(NULL, (MEM_PAGES + 2) * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		abort();
	if (mprotect(area, PAGE, PROT_NONE) ||
	    mprotect(area + (MEM_PAGES + 1) * PAGE, PAGE, PROT_NONE))
		abort();
	mem = area + PAGE;
	if (pvgen_host_piix_ide_ports(ports, PVGEN_HOST_PIIX_IDE_NR_PORTS,
				      BMDMA) != PVGEN_HOST_PIIX_IDE_NR_PORTS)
		abort();
	host = (struct pvgen_host){
		.read_guest = fake_read_guest,
		.write_guest = fake_write_guest,
		.pio_in = fake_pio_in,
		.pio_out = fake_pio_out,
		.mem_size = MEM_SIZE,
		.ports = ports,
		.nr_ports = PVGEN_HOST_PIIX_IDE_NR_PORTS,
		.ring = &ring_state,
	};
	if (pvgen_host_validate(&host))
		abort();
	return 0;
}
