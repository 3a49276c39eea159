/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM exit rig: what the test VMM (kvm_rig.c) and the freestanding guest
 * program (guest.c) agree on. The guest is identity mapped, so every address
 * below is both a guest-physical and a guest-virtual address.
 *
 * The ABI of the batch itself (entry layout, ops, doorbell) is not here: both
 * sides take it from the generated pvgen_abi.h.
 */

#ifndef _RIG_H
#define _RIG_H

#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Guest memory: 4 MiB, identity mapped by two 2 MiB pages. */
#define RIG_MEM_SIZE		0x400000ULL
#define RIG_PML4_GPA		0x1000
#define RIG_PDPT_GPA		0x2000
#define RIG_PD_GPA		0x3000
#define RIG_MAILBOX_GPA		0x8000		/* struct rig_mailbox */
#define RIG_IMAGE_GPA		0x10000		/* guest.bin, entry first */
#define RIG_IMAGE_MAX		0x40000
#define RIG_STACK_TOP		0x80000
#define RIG_QUEUE_GPA		0x100000	/* the doorbell queue page */
#define RIG_RING_GPA		0x110000	/* struct rig_ring, one page */
#define RIG_RING_SLOTS_GPA	0x111000	/* the slots' entries */

/*
 * The rig's own ports, outside the device's allowlist and clear of the
 * doorbell (0x560-0x563).
 */
#define RIG_CTL_PORT		0x510	/* 32-bit OUT: the guest is ready */
#define RIG_RING_KICK_PORT	0x568	/* 32-bit OUT: wake the ring poller */

/* How the guest runs a case. */
enum rig_mode {
	RIG_MODE_DIRECT,	/* access by access, each an IN or OUT */
	RIG_MODE_COALESCED,	/* the same, with KVM coalesced PIO on */
	RIG_MODE_DOORBELL,	/* batch by batch, one doorbell OUT each */
	RIG_MODE_RING,		/* batch by batch, posted to the polled ring */
	RIG_MODE_FILL,		/* only fill the queue: the memory writes alone */
	RIG_NR_MODES,
};

/* What the guest reports in rig_mailbox.error. */
enum rig_guest_error {
	RIG_GUEST_OK,
	RIG_GUEST_BAD_CASE,	/* case index or mode out of range */
	RIG_GUEST_HOST_ERROR,	/* a batch came back with an error */
	RIG_GUEST_TOO_MANY_READS,
	RIG_GUEST_RING_ERROR,	/* the ring poller reported an error */
};

#define RIG_MAX_READS	128

/**
 * struct rig_mailbox - one run, set by the VMM before it resumes the guest
 * @case_index: index into rig_cases[]
 * @mode: enum rig_mode
 * @reps: times to run the case
 * @error: enum rig_guest_error, set by the guest
 * @nr_reads: values in @reads (of the first repetition)
 * @submissions: doorbell OUTs or ring posts, all repetitions
 * @resumes: batches resubmitted after the host stopped at a busy IN_WAIT
 * @polls: status reads the guest made itself after such a stop
 * @kicks: ring kicks (the guest exited because nobody polled)
 * @cuts: batches cut short at an IN_EXPECT whose read missed its expected
 *	  bits (the rest of that batch is not run, as the driver would not)
 * @reads: every value the guest read, in order: IN, the final value of an
 *	   IN_WAIT, the read half of an RMW
 */
struct rig_mailbox {
	__u32 case_index;
	__u32 mode;
	__u32 reps;
	__u32 error;
	__u32 nr_reads;
	__u32 submissions;
	__u32 resumes;
	__u32 polls;
	__u32 kicks;
	__u32 cuts;
	__u32 reads[RIG_MAX_READS];
};

/**
 * struct rig_access - one planned port access, as a queue entry would carry it
 * @op: PVGEN_OP_*
 * @width: 1, 2 or 4
 * @port: I/O port
 * @value: the value written (OUT), or-ed in (RMW) or expected (IN_EXPECT)
 * @mask: stop mask (IN_WAIT), keep mask (RMW) or compared bits (IN_EXPECT)
 */
struct rig_access {
	__u8 op;
	__u8 width;
	__u16 port;
	__u32 value;
	__u32 mask;
};

/**
 * struct rig_case - one run of catalog sequences with concrete arguments
 * @name: short identifier
 * @summary: what libata does here
 * @accesses: the planned accesses, in order
 * @nr_accesses: number of @accesses
 * @batches: entries per planned submission, in order; they add up to
 *	     @nr_accesses
 * @nr_batches: number of planned submissions
 * @bench: part of the benchmark's selection
 */
struct rig_case {
	const char *name;
	const char *summary;
	const struct rig_access *accesses;
	unsigned int nr_accesses;
	const __u8 *batches;
	unsigned int nr_batches;
	int bench;
};

/**
 * struct rig_zone - a port range for KVM coalesced PIO
 * @port: first port
 * @size: number of ports
 */
struct rig_zone {
	__u16 port;
	__u16 size;
};

/*
 * The exitless ring (a prototype of a transport pvgen does not generate yet).
 * One header page at RIG_RING_GPA, and RIG_RING_SLOTS slots of
 * PVGEN_MAX_ENTRIES entries each at RIG_RING_SLOTS_GPA, 1 KiB apart, so that
 * no slot crosses a page (the host stub refuses such a queue).
 *
 * The guest fills slot (prod % RIG_RING_SLOTS), sets its count, then
 * publishes prod + 1. The host poller runs slots up to prod through
 * pvgen_host_run_batch(), stores each one's return value in its desc, and
 * publishes cons. The producer and consumer indexes are free running and on
 * their own cache lines. When the poller stops polling, it sets
 * RIG_RING_NEED_KICK in @flags (then re-checks prod); a guest that sees the
 * flag after publishing, or that waits too long, kicks: a 32-bit OUT of the
 * ring's gpa to RIG_RING_KICK_PORT, one exit, after which the VMM runs the
 * slots itself and wakes the poller.
 */
#define RIG_RING_MAGIC		0x70767267	/* "pvrg" */
#define RIG_RING_SLOTS		4
#define RIG_RING_SLOT_BYTES	1024
#define RIG_RING_NEED_KICK	0x1
#define RIG_RING_BROKEN		0x2	/* the host saw a bad index */
#define RIG_RING_KICK_SPINS	(1U << 22)

/**
 * struct rig_ring_desc - one slot's header
 * @count: entries in the slot, written by the guest before it publishes
 * @ret: pvgen_host_run_batch()'s return value, written by the host
 */
struct rig_ring_desc {
	__u32 count;
	__s32 ret;
};

struct rig_ring {
	__u32 magic;
	__u32 nr_slots;
	__u32 flags;
	__u32 pad0[13];
	__u32 prod;		/* guest: slots published */
	__u32 pad1[15];
	__u32 cons;		/* host: slots completed */
	__u32 pad2[15];
	struct rig_ring_desc desc[RIG_RING_SLOTS];
};

_Static_assert(sizeof(struct rig_ring) <= 4096, "rig_ring fits its page");
_Static_assert(RIG_RING_SLOTS * RIG_RING_SLOT_BYTES <= 4096,
	       "the slots fit one page");

#endif /* _RIG_H */
