// SPDX-License-Identifier: GPL-2.0
/*
 * The freestanding 64-bit guest program of the KVM exit rig. The VMM enters
 * guest_entry() in long mode with a stack; the program then serves runs
 * forever: it announces itself on RIG_CTL_PORT (the VMM regains control
 * there, fills in the mailbox and resumes it), runs the case the mailbox
 * names in the mode it names, and announces itself again.
 *
 * Each case is a table of planned accesses (cases.h, written from the batch
 * plan by KVMExitTests.swift). Unbatched, every access is an IN or OUT, the
 * way pvgen_exec_direct() in the generated guest module performs it; batched,
 * each planned submission is queued with the generated pvgen_entry_init() and
 * handed over in one doorbell OUT (or one ring post), and an early stop at a
 * busy IN_WAIT is handled the way the module's pvgen_submit() does it, and
 * a missed IN_EXPECT cuts the rest of its batch, in both ways. On the ring,
 * a run sets up the header, attaches it, posts its batches and detaches it,
 * as the module does between probe and remove.
 */

#include <stdbool.h>

#include "pvgen_abi.h"
#include "rig.h"
#include "rig_cases.h"

/* ata_wait_idle()'s bound, as in the generated module. */
#define RIG_WAIT_TRIES	1000

struct run {
	struct rig_mailbox *mb;
	unsigned int mode;
	int record;	/* store the values read: first repetition only */
};

#define barrier()	__asm__ __volatile__("" : : : "memory")
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

static inline void outb(__u8 value, __u16 port)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outw(__u16 value, __u16 port)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(__u32 value, __u16 port)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline __u8 inb(__u16 port)
{
	__u8 value;

	__asm__ __volatile__("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline __u16 inw(__u16 port)
{
	__u16 value;

	__asm__ __volatile__("inw %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline __u32 inl(__u16 port)
{
	__u32 value;

	__asm__ __volatile__("inl %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

/* gcc may call these for structure copies even when freestanding. */
void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

void *memset(void *s, int c, unsigned long n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = c;
	return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static __u32 pio_in(__u8 width, __u16 port)
{
	switch (width) {
	case 1:
		return inb(port);
	case 2:
		return inw(port);
	default:
		return inl(port);
	}
}

static void pio_out(__u8 width, __u16 port, __u32 value)
{
	switch (width) {
	case 1:
		outb(value, port);
		break;
	case 2:
		outw(value, port);
		break;
	default:
		outl(value, port);
		break;
	}
}

static void record_read(struct run *r, __u32 value)
{
	struct rig_mailbox *mb = r->mb;

	if (!r->record)
		return;
	if (mb->nr_reads == RIG_MAX_READS) {
		mb->error = RIG_GUEST_TOO_MANY_READS;
		return;
	}
	mb->reads[mb->nr_reads++] = value;
}

static __u32 ones(__u8 width)
{
	return width >= 4 ? ~0U : (1U << (8 * width)) - 1;
}

/*
 * One access with plain port I/O: pvgen_exec_direct(), minus udelay().
 * Returns false when an IN_EXPECT missed: the rest of its batch is cut.
 */
static bool exec_direct(struct run *r, const struct rig_access *a)
{
	unsigned int tries = RIG_WAIT_TRIES - 1;
	__u32 value;

	switch (a->op) {
	case PVGEN_OP_OUT:
		pio_out(a->width, a->port, a->value);
		break;
	case PVGEN_OP_IN:
		record_read(r, pio_in(a->width, a->port));
		break;
	case PVGEN_OP_IN_WAIT:
		value = pio_in(a->width, a->port);
		while (value != ones(a->width) && (value & a->mask) && tries--)
			value = pio_in(a->width, a->port);
		record_read(r, value);
		break;
	case PVGEN_OP_RMW:
		value = pio_in(a->width, a->port);
		pio_out(a->width, a->port, (value & a->mask) | a->value);
		record_read(r, value);
		break;
	case PVGEN_OP_IN_EXPECT:
		value = pio_in(a->width, a->port);
		record_read(r, value);
		return (value & a->mask) == a->value;
	}
	return true;
}

#define RING	((struct pvgen_ring *)RIG_RING_GPA)

/* A ring call: one 32-bit OUT of the ring's gpa | @op. */
static void ring_op(__u32 op)
{
	outl(RIG_RING_GPA | op, PVGEN_RING_PORT);
}

static void ring_kick(struct run *r)
{
	r->mb->kicks++;
	ring_op(PVGEN_RING_OP_KICK);
}

/*
 * A fresh header, as the module writes it before its attach: zeroes, the
 * magic and slot count, BROKEN until the host answers. The host takes the
 * ring on from the indices here, so a run starts at 0 whatever came before.
 */
static bool ring_attach(void)
{
	memset(RING, 0, sizeof(*RING));
	RING->magic = PVGEN_RING_MAGIC;
	RING->nr_slots = PVGEN_RING_SLOTS;
	RING->flags = PVGEN_RING_BROKEN;
	barrier();
	ring_op(PVGEN_RING_OP_ATTACH);
	return !(READ_ONCE(RING->flags) & PVGEN_RING_BROKEN);
}

/*
 * The detach: answered (during the OUT exit) once the host ran what was
 * posted and will not touch the ring again. Every batch was waited for, so
 * cons must equal prod.
 */
static bool ring_detach(void)
{
	ring_op(PVGEN_RING_OP_DETACH);
	return READ_ONCE(RING->flags) == PVGEN_RING_DETACHED &&
	       READ_ONCE(RING->cons) == READ_ONCE(RING->prod);
}

static struct pvgen_io_entry *ring_slot(__u32 index)
{
	unsigned long gpa = RIG_RING_SLOTS_GPA +
			    (index % PVGEN_RING_SLOTS) * RIG_RING_SLOT_BYTES;

	return (struct pvgen_io_entry *)gpa;
}

/*
 * Publish the slot the entries were written to and wait for the poller to
 * complete it, without an exit while a poller runs, as the guest module's
 * pvgen_ring_call() does (there the slot is a copy of the queue). A poller
 * that has stopped (PVGEN_RING_NEED_KICK, read after publishing: the
 * store-load fence pairs with the host's) or that does not answer in time
 * gets a kick.
 */
static long ring_post(struct run *r, __u32 count)
{
	struct pvgen_ring *ring = RING;
	__u32 prod = ring->prod;
	unsigned int spins = 0;

	ring->count[prod % PVGEN_RING_SLOTS] = count;
	barrier();
	WRITE_ONCE(ring->prod, prod + 1);
	__asm__ __volatile__("mfence" : : : "memory");
	if (READ_ONCE(ring->flags) & PVGEN_RING_NEED_KICK)
		ring_kick(r);
	while (READ_ONCE(ring->cons) != prod + 1) {
		if (READ_ONCE(ring->flags) & PVGEN_RING_BROKEN)
			return PVGEN_ERR_IO;
		if (++spins == RIG_RING_KICK_SPINS) {
			ring_kick(r);
			spins = 0;
		}
		cpu_relax();
	}
	barrier();
	return READ_ONCE(ring->ret[prod % PVGEN_RING_SLOTS]);
}

/* Where the next batch is queued. */
static struct pvgen_io_entry *queue_of(struct run *r)
{
	if (r->mode == RIG_MODE_RING)
		return ring_slot(RING->prod);
	return (struct pvgen_io_entry *)RIG_QUEUE_GPA;
}

/* Hand @count queued entries over: the entries completed, or an error. */
static long submit(struct run *r, struct pvgen_io_entry *q, __u32 count)
{
	__u32 i;

	r->mb->submissions++;
	if (r->mode == RIG_MODE_RING)
		return ring_post(r, count);
	barrier();
	outl(RIG_QUEUE_GPA | count, PVGEN_DOORBELL_PORT);
	barrier();
	for (i = 0; i < count; i++) {
		if (READ_ONCE(q[i].result) != PVGEN_RESULT_OK)
			break;
	}
	return i;
}

/*
 * One more read of a polled port: an IN instruction, or on the ring a batch
 * of one IN entry, so that the guest still never exits.
 */
static __u32 poll_read(struct run *r, __u8 width, __u16 port)
{
	struct pvgen_io_entry *q;

	r->mb->polls++;
	if (r->mode != RIG_MODE_RING)
		return pio_in(width, port);
	q = queue_of(r);
	pvgen_entry_init(q, PVGEN_OP_IN, width, port, 0, 0);
	if (submit(r, q, 1) != 1)
		r->mb->error = RIG_GUEST_RING_ERROR;
	return READ_ONCE(q->value);
}

/* The module's pvgen_wait_more(): poll on until the mask bits clear. */
static __u32 wait_more(struct run *r, const struct rig_access *a, __u32 value)
{
	unsigned int tries = RIG_WAIT_TRIES - 1;

	while (value != ones(a->width) && (value & a->mask) && tries--)
		value = poll_read(r, a->width, a->port);
	return value;
}

/*
 * One planned submission: queue it with pvgen_entry_init() and hand it over;
 * after an early stop at a busy IN_WAIT, poll that port and resubmit the
 * rest, as pvgen_submit() does. A host error is the rig's failure (the
 * module would replay with port I/O; here it would hide a bug).
 */
static void exec_batch(struct run *r, const struct rig_access *a, __u32 n)
{
	while (n) {
		struct pvgen_io_entry *q = queue_of(r);
		long done;
		__u32 i;

		for (i = 0; i < n; i++)
			pvgen_entry_init(&q[i], a[i].op, a[i].width, a[i].port,
					 a[i].value, a[i].mask);
		done = submit(r, q, n);
		if (done <= 0 || done > n) {
			r->mb->error = r->mode == RIG_MODE_RING ?
				       RIG_GUEST_RING_ERROR :
				       RIG_GUEST_HOST_ERROR;
			return;
		}
		for (i = 0; i < done; i++) {
			__u32 value = READ_ONCE(q[i].value);

			if (q[i].op == PVGEN_OP_OUT)
				continue;
			if (i == done - 1 && q[i].op == PVGEN_OP_IN_WAIT &&
			    (value & q[i].mask))
				value = wait_more(r, &a[i], value);
			record_read(r, value);
		}
		if (done < n && q[done - 1].op == PVGEN_OP_IN_EXPECT &&
		    (q[done - 1].value & q[done - 1].mask) != a[done - 1].value) {
			r->mb->cuts++;
			return;
		}
		if (done < n && !(q[done - 1].op == PVGEN_OP_IN_WAIT &&
				  (q[done - 1].value & q[done - 1].mask))) {
			r->mb->error = RIG_GUEST_HOST_ERROR;
			return;
		}
		if (done < n)
			r->mb->resumes++;
		a += done;
		n -= done;
	}
}

/* The memory writes alone: the queue filled as for a submission, no more. */
static void fill_batch(const struct rig_access *a, __u32 n)
{
	struct pvgen_io_entry *q = (struct pvgen_io_entry *)RIG_QUEUE_GPA;
	__u32 i;

	for (i = 0; i < n; i++)
		pvgen_entry_init(&q[i], a[i].op, a[i].width, a[i].port,
				 a[i].value, a[i].mask);
	barrier();
}

static void run_case(struct run *r, const struct rig_case *c)
{
	const struct rig_access *a = c->accesses;
	unsigned int i, k;

	switch (r->mode) {
	case RIG_MODE_DIRECT:
	case RIG_MODE_COALESCED:
		for (i = 0; i < c->nr_batches; i++) {
			for (k = 0; k < c->batches[i]; k++) {
				if (!exec_direct(r, &a[k])) {
					r->mb->cuts++;
					break;
				}
			}
			a += c->batches[i];
		}
		break;
	case RIG_MODE_DOORBELL:
	case RIG_MODE_RING:
		for (i = 0; i < c->nr_batches; i++) {
			exec_batch(r, a, c->batches[i]);
			a += c->batches[i];
		}
		break;
	case RIG_MODE_FILL:
		for (i = 0; i < c->nr_batches; i++) {
			fill_batch(a, c->batches[i]);
			a += c->batches[i];
		}
		break;
	}
}

/*
 * The ring stress: @n numbered one-entry batches, up to PVGEN_RING_SLOTS in
 * flight (more than the module keeps: every slot index and the wrap of the
 * free-running indexes are exercised), each slot's ret checked before the
 * slot is used again; a kick when the host asks for one or is slow, and a
 * pause now and then that lets the poller fall asleep.
 */
static void ring_stress(struct run *r, __u32 n)
{
	struct pvgen_ring *ring = RING;
	__u32 start = ring->prod, prod = start, done = start, cons, i;
	__u32 pause_at = start + RIG_STRESS_PAUSE_EVERY;
	unsigned int spins = 0;

	while (done != start + n) {
		if (prod == pause_at && done == prod) {
			for (i = 0; i < RIG_STRESS_PAUSE_SPINS; i++)
				cpu_relax();
			pause_at += RIG_STRESS_PAUSE_EVERY;
		}
		if (prod != start + n && prod != pause_at &&
		    prod - done < PVGEN_RING_SLOTS) {
			pvgen_entry_init(ring_slot(prod), PVGEN_OP_OUT, 4,
					 RIG_STRESS_PORT, prod - start, 0);
			ring->count[prod % PVGEN_RING_SLOTS] = 1;
			barrier();
			WRITE_ONCE(ring->prod, ++prod);
			__asm__ __volatile__("mfence" : : : "memory");
			if (READ_ONCE(ring->flags) & PVGEN_RING_NEED_KICK)
				ring_kick(r);
			r->mb->submissions++;
			continue;
		}
		cons = READ_ONCE(ring->cons);
		if (cons == done) {
			if (READ_ONCE(ring->flags) & PVGEN_RING_BROKEN) {
				r->mb->error = RIG_GUEST_RING_ERROR;
				return;
			}
			if (++spins == RIG_RING_KICK_SPINS) {
				ring_kick(r);
				spins = 0;
			}
			cpu_relax();
			continue;
		}
		barrier();
		for (; done != cons; done++) {
			if (READ_ONCE(ring->ret[done % PVGEN_RING_SLOTS]) != 1) {
				r->mb->error = RIG_GUEST_RING_ERROR;
				return;
			}
		}
		spins = 0;
	}
}

static void serve(struct rig_mailbox *mb)
{
	struct run r = { .mb = mb, .mode = mb->mode, .record = 1 };
	bool ring = mb->mode == RIG_MODE_RING || mb->mode == RIG_MODE_RING_STRESS;
	__u32 rep;

	if (mb->case_index >= ARRAY_SIZE(rig_cases) ||
	    mb->mode >= RIG_NR_MODES) {
		mb->error = RIG_GUEST_BAD_CASE;
		return;
	}
	if (ring && !ring_attach()) {
		mb->error = RIG_GUEST_ATTACH_ERROR;
		return;
	}
	if (mb->mode == RIG_MODE_RING_STRESS) {
		ring_stress(&r, mb->reps);
	} else {
		for (rep = 0; rep < mb->reps && mb->error == RIG_GUEST_OK; rep++) {
			run_case(&r, &rig_cases[mb->case_index]);
			r.record = 0;
		}
	}
	/* Also after an error: the ring's pages go back to the guest. */
	if (ring && !ring_detach() && mb->error == RIG_GUEST_OK)
		mb->error = RIG_GUEST_DETACH_ERROR;
}

void guest_entry(void);

__attribute__((section(".text.entry"), noreturn)) void guest_entry(void)
{
	struct rig_mailbox *mb = (struct rig_mailbox *)RIG_MAILBOX_GPA;

	for (;;) {
		outl(0, RIG_CTL_PORT);
		serve(mb);
	}
}
