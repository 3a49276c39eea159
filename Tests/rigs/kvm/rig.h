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
#define RIG_RING_GPA		0x110000	/* struct pvgen_ring, then its slots */
#define RIG_RING_SLOTS_GPA	(RIG_RING_GPA + PVGEN_RING_SLOTS_OFFSET)

/*
 * The rig's own ports, outside the device's allowlist and clear of pvgen's
 * window (0x560-0x567: the doorbell and the ring port).
 */
#define RIG_CTL_PORT		0x510	/* 32-bit OUT: the guest is ready */

/* How the guest runs a case. */
enum rig_mode {
	RIG_MODE_DIRECT,	/* access by access, each an IN or OUT */
	RIG_MODE_COALESCED,	/* the same, with KVM coalesced PIO on */
	RIG_MODE_DOORBELL,	/* batch by batch, one doorbell OUT each */
	RIG_MODE_RING,		/* batch by batch, posted to the polled ring */
	RIG_MODE_FILL,		/* only fill the queue: the memory writes alone */
	RIG_MODE_RING_STRESS,	/* reps numbered one-entry batches, 4 in flight */
	RIG_NR_MODES,
};

/* What the guest reports in rig_mailbox.error. */
enum rig_guest_error {
	RIG_GUEST_OK,
	RIG_GUEST_BAD_CASE,	/* case index or mode out of range */
	RIG_GUEST_HOST_ERROR,	/* a batch came back with an error */
	RIG_GUEST_TOO_MANY_READS,
	RIG_GUEST_RING_ERROR,	/* the ring poller reported an error */
	RIG_GUEST_ATTACH_ERROR,	/* the host did not attach the ring */
	RIG_GUEST_DETACH_ERROR,	/* the detach left the ring attached or unfinished */
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
 * The exitless ring is pvgen's generated transport: struct pvgen_ring at
 * RIG_RING_GPA, PVGEN_RING_SLOTS queues in the page after it (pvgen_abi.h
 * has the protocol). The guest sets the header up, attaches it, posts as the
 * guest module does and detaches it at the end of a run; the VMM's poller
 * runs the ring with pvgen_host_ring_poll() and says whether it polls with
 * pvgen_host_ring_set_polled(). Every ring call is a 32-bit OUT of the
 * ring's gpa | PVGEN_RING_OP_* to PVGEN_RING_PORT, served by
 * pvgen_host_handle_doorbell_out().
 */
#define RIG_RING_SLOT_BYTES	(PVGEN_MAX_ENTRIES * 16)
#define RIG_RING_KICK_SPINS	(1U << 22)

/*
 * The ring stress (RIG_MODE_RING_STRESS): batch i is one 32-bit OUT of i to
 * RIG_STRESS_PORT (channel 0's PRD address register, which the VMM then
 * counts instead of passing it to the device). Every RIG_STRESS_PAUSE_EVERY
 * batches the guest drains the ring and idles RIG_STRESS_PAUSE_SPINS pauses
 * (some milliseconds), so that the poller goes to sleep and the next batch
 * needs a kick.
 */
#define RIG_STRESS_PORT		(RIG_BAR4 + 4)
#define RIG_STRESS_PAUSE_EVERY	(1U << 16)
#define RIG_STRESS_PAUSE_SPINS	(1U << 19)

#endif /* _RIG_H */
