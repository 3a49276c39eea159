// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the exitless ring of the generated host stub. A
 * hostile guest owns the ring's two pages (header and slots, every byte from
 * the input) and drives the ring's entry points in any order: kicks by port
 * and by hypercall (with the right gpa or another), polls, the poller's
 * set_polled, and posts that move prod by any amount.
 *
 * Input: SCRIPT bytes of operations, then the bytes of the two pages (zero
 * padded). Each operation byte: low 3 bits the operation, the rest its
 * argument.
 *
 * Invariants (abort, so libFuzzer keeps the input):
 *   - guest memory is read and written only inside the ring's two pages
 *     (guard pages around guest memory catch a stray pointer too);
 *   - device accesses only hit allowlisted ports at allowed widths;
 *   - a poll returns an error, or the number of slots it ran: exactly the
 *     move of the host's own cons, never more than PVGEN_RING_SLOTS;
 *   - while the ring is broken, a poll returns an error and touches no port;
 *   - the cons the guest sees is the host's own copy after every call.
 */

#define _GNU_SOURCE
#include <stdbool.h>
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
#define SCRIPT		16
#define ENOSYS_RET	(-1000L)

enum op { OP_KICK_PORT, OP_KICK_CALL, OP_POLL, OP_POLLED, OP_UNPOLLED, OP_POST, OP_NR };

static __u8 *area;
static __u8 *mem;
static struct pvgen_host_port_range ports[PVGEN_HOST_PIIX_IDE_NR_PORTS];
static struct pvgen_host host;
static struct pvgen_host_ring ring_state;
static unsigned int port_accesses;
static __u32 in_seed;
/* The ring the call at hand may touch: the attached one, or the one kicked. */
static __u64 ring_gpa;

static void check_range(__u64 gpa, __u32 len)
{
	INVARIANT(gpa >= ring_gpa && len <= PVGEN_RING_SIZE &&
		  gpa - ring_gpa <= PVGEN_RING_SIZE - len,
		  "guest access [%#llx, +%u) outside the ring at %#llx",
		  (unsigned long long)gpa, len, (unsigned long long)ring_gpa);
}

static int fake_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	(void)opaque;
	check_range(gpa, len);
	memcpy(dst, mem + gpa, len);
	return 0;
}

static int fake_write_guest(void *opaque, __u64 gpa, const void *src,
			    __u32 len)
{
	(void)opaque;
	check_range(gpa, len);
	memcpy(mem + gpa, src, len);
	return 0;
}

static void check_port(__u16 port, __u8 width)
{
	size_t i;

	for (i = 0; i < PVGEN_HOST_PIIX_IDE_NR_PORTS; i++) {
		if (port >= ports[i].first && port <= ports[i].last) {
			INVARIANT(ports[i].widths & width, "width %u on %#x",
				  width, port);
			port_accesses++;
			return;
		}
	}
	INVARIANT(0, "port %#x outside the allowlist", port);
}

static int fake_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	(void)opaque;
	check_port(port, width);
	in_seed = in_seed * 1103515245U + 12345U;
	*value = in_seed;
	return 0;
}

static int fake_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	(void)opaque;
	(void)value;
	check_port(port, width);
	return 0;
}

static struct pvgen_ring *ring(void)
{
	return (struct pvgen_ring *)(mem + RGPA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, i;

	if (size < SCRIPT)
		return -1;
	memset(mem, 0, MEM_SIZE);
	n = size - SCRIPT;
	memcpy(mem + RGPA, data + SCRIPT,
	       n < PVGEN_RING_SIZE ? n : PVGEN_RING_SIZE);
	memset(&ring_state, 0, sizeof(ring_state));
	in_seed = 0x5eed;

	for (i = 0; i < SCRIPT; i++) {
		unsigned int arg = data[i] >> 3;
		__u32 cons = ring_state.cons;
		bool broken = ring_state.broken && ring_state.attached;
		unsigned int before = port_accesses;
		__u64 gpa = arg & 1 ? RGPA + PAGE * (arg >> 1) : RGPA;
		long ret;

		enum op op = (enum op)((data[i] & 7) % OP_NR);

		/*
		 * Every ring call names its ring and an operation (attach,
		 * kick, detach, or an unknown one); it may touch only the ring
		 * it names. A poll touches the attached ring.
		 */
		__u32 ring_op = (arg >> 1) % 4;
		bool was_attached = ring_state.attached && ring_state.gpa == gpa;

		if (op == OP_KICK_PORT || op == OP_KICK_CALL)
			ring_gpa = gpa;
		else
			ring_gpa = ring_state.gpa;

		switch (op) {
		case OP_KICK_PORT:
			ret = pvgen_host_handle_doorbell_out(&host, PVGEN_RING_PORT,
							     4, (__u32)gpa | ring_op);
			INVARIANT(ret <= 0, "a ring call answers 0 or an error: %ld",
				  ret);
			break;
		case OP_KICK_CALL:
			ret = pvgen_host_handle_hypercall(&host, PVGEN_HC_RING,
							  gpa | ring_op, 0, 0);
			INVARIANT(ret <= 0 && ret != ENOSYS_RET,
				  "the ring call answers 0 or an error: %ld", ret);
			break;
		case OP_POLL:
			ret = pvgen_host_ring_poll(&host);
			if (broken)
				INVARIANT(ret < 0 && port_accesses == before,
					  "a broken ring runs nothing: %ld", ret);
			if (ret >= 0)
				INVARIANT(ret <= PVGEN_RING_SLOTS &&
					  (__u32)(ring_state.cons - cons) == ret,
					  "poll ran %ld, cons moved %u", ret,
					  ring_state.cons - cons);
			break;
		case OP_POLLED:
		case OP_UNPOLLED:
			ret = pvgen_host_ring_set_polled(&host,
							 op == OP_POLLED);
			INVARIANT(ret == 0, "set_polled: %ld", ret);
			break;
		default:
			ring()->prod += arg;
			break;
		}
		if ((op == OP_KICK_PORT || op == OP_KICK_CALL) &&
		    ring_op == PVGEN_RING_OP_DETACH && ret == 0) {
			INVARIANT(!(ring_state.attached && ring_state.gpa == gpa),
				  "a detached ring is still attached");
			INVARIANT(!was_attached || ring_state.cons - cons <= PVGEN_RING_SLOTS,
				  "a detach ran more than the ring holds");
		}
		if (ring_state.attached && ring_state.gpa == RGPA &&
		    ring_state.cons != cons)
			INVARIANT(ring()->cons == ring_state.cons,
				  "the guest sees cons %u, the host has %u",
				  ring()->cons, ring_state.cons);
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
