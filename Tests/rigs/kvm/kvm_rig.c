// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_rig: a small test VMM in the manner of the kernel's KVM selftests. It
 * creates a VM with 4 MiB of memory, loads the freestanding guest program
 * (guest.c, linked in as a flat binary) in long mode, and runs the cases of
 * cases.h in one vCPU. Every port access the guest makes, trapped one by one
 * (KVM_EXIT_IO), coalesced by KVM, or replayed from a batch by the generated
 * host stub (pvgen_host.c), reaches the one register-file model in
 * ata_device.c, which records the device-visible trace.
 *
 *   kvm_rig info                  what this KVM offers
 *   kvm_rig check [NAME...]       every case in direct, coalesced, doorbell
 *                                 and ring mode: JSON lines with the trace,
 *                                 the values the guest read and the exits
 *   kvm_rig bench [--runs N] [--target-ms MS] [--all] [NAME...]
 *                                 ns and exits per sequence in every mode, as
 *                                 tab-separated lines (the median of N runs)
 *   kvm_rig ring-stress [N]       N numbered batches (default 1000000)
 *                                 through the ring and its polling thread,
 *                                 each counted at the device: one JSON line
 *                                 with the lost, duplicated and reordered
 *                                 batches (all must be 0) and the rate
 *
 * Exit status: 0, 1 when a run failed, 2 for a usage or KVM error, 77 when
 * /dev/kvm is absent.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "pvgen_host.h"
#include "rig.h"
#include "ata_device.h"
#include "rig_cases.h"

#define RIG_TRACE_MAX		4096
#define RIG_POLL_IDLE_NS	2000000ULL	/* the poller sleeps after 2 ms idle */

/* The guest program, linked in by guest_blob.S. */
extern const unsigned char rig_guest_blob[];
extern const unsigned char rig_guest_blob_end[];

static const char *const mode_names[RIG_NR_MODES] = {
	[RIG_MODE_DIRECT]	= "direct",
	[RIG_MODE_COALESCED]	= "coalesced",
	[RIG_MODE_DOORBELL]	= "doorbell",
	[RIG_MODE_RING]		= "ring",
	[RIG_MODE_FILL]		= "fill",
	[RIG_MODE_RING_STRESS]	= "ring_stress",
};

/**
 * struct run_stats - what one run cost
 * @ns: wall time from KVM_RUN to the guest's ready signal
 * @exits: returns of KVM_RUN to the VMM (the final ready signal not counted)
 * @device_exits: of those, trapped accesses to the device
 * @doorbell_exits: of those, doorbell accesses
 * @kick_exits: of those, ring kicks
 * @attach_exits: ring attaches (the guest's setup, not counted in @exits)
 * @detach_exits: ring detaches (likewise)
 * @ring_op_errors: ring calls the host stub answered with an error
 * @coalesced: writes KVM queued in the coalesced ring instead of exiting
 * @batches: batches the host stub ran (doorbell or ring)
 * @stops: of those, batches it stopped early at a busy IN_WAIT
 * @vcpu_exits: the delta of the vCPU's "exits" statistic, or -1 when KVM
 *		has no statistics file. KVM counts there the exits it sees
 *		itself; which ones depends on the backend (see README.md).
 */
struct run_stats {
	__u64 ns;
	__u64 exits;
	__u64 device_exits;
	__u64 doorbell_exits;
	__u64 kick_exits;
	__u64 attach_exits;
	__u64 detach_exits;
	__u64 ring_op_errors;
	__u64 coalesced;
	__u64 batches;
	__u64 stops;
	__s64 vcpu_exits;
};

struct rig {
	int kvm;
	int vm;
	int vcpu;
	struct kvm_run *run;
	size_t run_size;
	__u8 *mem;
	int coalesced_pio;
	struct kvm_coalesced_mmio_ring *cring;
	__u32 cring_max;
	int stats_fd;
	long stat_exits;	/* file offset of the statistic, or -1 */

	struct ata_dev dev;
	struct ata_access trace[RIG_TRACE_MAX];
	struct pvgen_host host;
	struct pvgen_host_port_range ports[PVGEN_HOST_PIIX_IDE_NR_PORTS];

	/* The exitless ring's host side. */
	pthread_t poller;
	bool poller_started;
	int vcpu_cpu;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool poll_awake;
	bool poll_stop;
	int poll_cpu;
	bool ring_busy;		/* who runs the ring (or the device) now */
	struct pvgen_host_ring ring_state;
	__u64 ring_batches;
	__u64 ring_stops;
	__u64 poll_sleeps;	/* times the poller asked for kicks and slept */

	/* The ring stress: per batch, times the device saw it (under the lock). */
	__u8 *stress_runs;
	__u32 stress_n;
	__u32 stress_expect;
	__u64 stress_disorder;	/* batches that came out of order */
	__u64 stress_strays;	/* writes with no batch's number */
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kvm_rig: ");
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Host stub callbacks: guest memory and the device model. */

static int cb_read_guest(void *opaque, __u64 gpa, void *dst, __u32 len)
{
	struct rig *r = opaque;

	if (gpa > RIG_MEM_SIZE || len > RIG_MEM_SIZE - gpa)
		return -1;
	memcpy(dst, r->mem + gpa, len);
	return 0;
}

static int cb_write_guest(void *opaque, __u64 gpa, const void *src, __u32 len)
{
	struct rig *r = opaque;

	if (gpa > RIG_MEM_SIZE || len > RIG_MEM_SIZE - gpa)
		return -1;
	memcpy(r->mem + gpa, src, len);
	return 0;
}

static int cb_pio_in(void *opaque, __u16 port, __u8 width, __u32 *value)
{
	struct rig *r = opaque;

	return ata_dev_in(&r->dev, port, width, value);
}

/*
 * During the ring stress, batch i's OUT of i to RIG_STRESS_PORT is counted
 * here: whoever runs the ring (the poller or a kick) holds the rig lock.
 */
static void stress_count(struct rig *r, __u32 value)
{
	if (value >= r->stress_n) {
		r->stress_strays++;
		return;
	}
	if (value != r->stress_expect)
		r->stress_disorder++;
	r->stress_expect = value + 1;
	if (r->stress_runs[value] < 0xff)
		r->stress_runs[value]++;
}

static int cb_pio_out(void *opaque, __u16 port, __u8 width, __u32 value)
{
	struct rig *r = opaque;

	if (r->stress_runs && port == RIG_STRESS_PORT && width == 4) {
		stress_count(r, value);
		return 0;
	}
	return ata_dev_out(&r->dev, port, width, value);
}

static void rig_lock(struct rig *r)
{
	while (__atomic_test_and_set(&r->ring_busy, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static bool rig_trylock(struct rig *r)
{
	return !__atomic_test_and_set(&r->ring_busy, __ATOMIC_ACQUIRE);
}

static void rig_unlock(struct rig *r)
{
	__atomic_clear(&r->ring_busy, __ATOMIC_RELEASE);
}

static struct pvgen_ring *ring_of(struct rig *r)
{
	return (struct pvgen_ring *)(r->mem + RIG_RING_GPA);
}

/*
 * Count the batches the host stub ran since its cons was @from, and the
 * early stops among them, from the slots' return values.
 */
static void ring_count(struct rig *r, __u32 from)
{
	struct pvgen_ring *ring = ring_of(r);
	__u32 slot;

	for (; from != r->ring_state.cons; from++) {
		slot = from % PVGEN_RING_SLOTS;
		r->ring_batches++;
		if (ring->ret[slot] >= 0 &&
		    (__u32)ring->ret[slot] < ring->count[slot])
			r->ring_stops++;
	}
}

/*
 * Run every slot the guest published through the generated host stub's
 * pvgen_host_ring_poll(), which checks the guest's index against its own
 * copy; the caller holds the rig lock.
 */
static long ring_consume(struct rig *r)
{
	__u32 from = r->ring_state.cons;
	long n = pvgen_host_ring_poll(&r->host);

	ring_count(r, from);
	return n;
}

/*
 * The poller: spins on the ring while it is awake; after RIG_POLL_IDLE_NS
 * without work it asks for a kick (pvgen_host_ring_set_polled(false): the
 * flag, a full fence and one more poll, which pairs with the guest's
 * publish-fence-check) and sleeps until a kick or a run wakes it. A ring
 * that is not attached (before the guest's attach, after its detach) is
 * never touched: its polls return 0 at once.
 */
static void *poller_main(void *arg)
{
	struct rig *r = arg;

	pin_to(r->poll_cpu);
	pthread_mutex_lock(&r->lock);
	while (!r->poll_stop) {
		__u64 idle_since;
		unsigned int spins = 0;

		if (!r->poll_awake) {
			pthread_cond_wait(&r->wake, &r->lock);
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		idle_since = now_ns();
		while (!__atomic_load_n(&r->poll_stop, __ATOMIC_RELAXED)) {
			long n = 0;

			if (rig_trylock(r)) {
				n = ring_consume(r);
				rig_unlock(r);
			}
			if (n) {
				spins = 0;
				idle_since = now_ns();
				continue;
			}
			if (++spins % 256 == 0 &&
			    now_ns() - idle_since > RIG_POLL_IDLE_NS) {
				/* Ask for kicks; the stub looks once more. */
				__u32 from;

				rig_lock(r);
				from = r->ring_state.cons;
				pvgen_host_ring_set_polled(&r->host, false);
				ring_count(r, from);
				n = r->ring_state.cons != from;
				if (n)
					pvgen_host_ring_set_polled(&r->host,
								   true);
				rig_unlock(r);
				if (n)
					continue;
				break;
			}
			cpu_relax();
		}
		pthread_mutex_lock(&r->lock);
		/*
		 * A wake-up since the decision to sleep said the ring is polled
		 * again and wants the poller awake: poll on.
		 */
		if (!r->ring_state.polled) {
			r->poll_awake = false;
			r->poll_sleeps++;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void poller_wake(struct rig *r)
{
	pthread_mutex_lock(&r->lock);
	rig_lock(r);
	pvgen_host_ring_set_polled(&r->host, true);
	rig_unlock(r);
	r->poll_awake = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/*
 * The vCPU thread runs on the first CPU the process may use, the poller on
 * the last one; with a single CPU they share it (and the ring is slow).
 */
static void pick_cpus(struct rig *r)
{
	cpu_set_t set;
	int cpu;

	r->vcpu_cpu = -1;
	r->poll_cpu = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (r->vcpu_cpu < 0)
			r->vcpu_cpu = cpu;
		else
			r->poll_cpu = cpu;
	}
}

static void poller_start(struct rig *r)
{
	if (r->poller_started)
		return;
	if (pthread_create(&r->poller, NULL, poller_main, r))
		die("pthread_create");
	r->poller_started = true;
}

static void poller_stop(struct rig *r)
{
	if (!r->poller_started)
		return;
	pthread_mutex_lock(&r->lock);
	r->poll_stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->poller, NULL);
	r->poller_started = false;
}

/* Statistics: KVM's binary statistics file of the vCPU. */

static void stats_open(struct rig *r)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *desc;
	size_t desc_size;
	__u32 i;

	r->stat_exits = -1;
	r->stats_fd = -1;
	if (ioctl(r->kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		return;
	r->stats_fd = ioctl(r->vcpu, KVM_GET_STATS_FD, NULL);
	if (r->stats_fd < 0 || pread(r->stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return;
	desc_size = sizeof(*desc) + h.name_size;
	desc = malloc(desc_size);
	if (!desc)
		die("malloc");
	for (i = 0; i < h.num_desc; i++) {
		if (pread(r->stats_fd, desc, desc_size,
			  h.desc_offset + i * desc_size) != (ssize_t)desc_size)
			break;
		desc->name[h.name_size - 1] = 0;
		if (!strcmp(desc->name, "exits"))
			r->stat_exits = h.data_offset + desc->offset;
	}
	free(desc);
}

static __s64 stat_read(struct rig *r, long offset)
{
	__u64 value;

	if (offset < 0 ||
	    pread(r->stats_fd, &value, sizeof(value), offset) != sizeof(value))
		return -1;
	return value;
}

/* The VM: memory, page tables, the vCPU in long mode. */

static void setup_cpuid(struct rig *r)
{
	struct kvm_cpuid2 *cpuid;
	int n = 128;

	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = n;
	if (ioctl(r->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(r->vcpu, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2");
	free(cpuid);
}

/*
 * Long mode, flat segments, entered at CPL 3 with IOPL 3: the guest program
 * needs no privilege but port I/O, which IOPL 3 grants, and user-mode code
 * runs natively under every KVM backend, also under PVM (the pagetable-based
 * KVM on machines without VMX/SVM, where CPL 0 guest code is emulated
 * instruction by instruction and memory writes would cost microseconds). A
 * port access still traps to KVM exactly as it does from CPL 0.
 */
static void setup_long_mode(struct rig *r)
{
	__u64 *pml4 = (__u64 *)(r->mem + RIG_PML4_GPA);
	__u64 *pdpt = (__u64 *)(r->mem + RIG_PDPT_GPA);
	__u64 *pd = (__u64 *)(r->mem + RIG_PD_GPA);
	struct kvm_segment seg;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	/*
	 * Identity map the 4 MiB with two present, writable, user-accessible
	 * 2 MiB pages.
	 */
	pml4[0] = RIG_PDPT_GPA | 0x7;
	pdpt[0] = RIG_PD_GPA | 0x7;
	pd[0] = 0x000000 | 0x87;
	pd[1] = 0x200000 | 0x87;

	if (ioctl(r->vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cr3 = RIG_PML4_GPA;
	sregs.cr4 = 1 << 5;			/* PAE */
	sregs.cr0 = 0x80050033;			/* PG AM WP NE ET MP PE */
	sregs.efer = (1 << 8) | (1 << 10);	/* LME LMA */

	memset(&seg, 0, sizeof(seg));
	seg.limit = 0xffffffff;
	seg.present = 1;
	seg.s = 1;
	seg.g = 1;
	seg.dpl = 3;
	seg.selector = 3 << 3 | 3;		/* no GDT is ever loaded */
	seg.type = 11;				/* code: execute, read, accessed */
	seg.l = 1;
	sregs.cs = seg;
	seg.selector = 4 << 3 | 3;
	seg.type = 3;				/* data: read, write, accessed */
	seg.l = 0;
	seg.db = 1;
	sregs.ds = seg;
	sregs.es = seg;
	sregs.fs = seg;
	sregs.gs = seg;
	sregs.ss = seg;
	if (ioctl(r->vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = RIG_IMAGE_GPA;
	regs.rsp = RIG_STACK_TOP - 8;	/* as if guest_entry had been called */
	regs.rflags = 0x3002;			/* IOPL 3 */
	if (ioctl(r->vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static void setup_host_stub(struct rig *r)
{
	int n;

	n = pvgen_host_piix_ide_ports(r->ports, ARRAY_SIZE(r->ports), RIG_BAR4);
	if (n < 0)
		die("pvgen_host_piix_ide_ports");
	r->host.read_guest = cb_read_guest;
	r->host.write_guest = cb_write_guest;
	r->host.pio_in = cb_pio_in;
	r->host.pio_out = cb_pio_out;
	r->host.opaque = r;
	r->host.mem_size = RIG_MEM_SIZE;
	r->host.ports = r->ports;
	r->host.nr_ports = n;
	r->host.ring = &r->ring_state;
	errno = 0;
	if (pvgen_host_validate(&r->host))
		die("pvgen_host_validate refused the rig's configuration");
}

static void rig_open(struct rig *r)
{
	size_t image = rig_guest_blob_end - rig_guest_blob;
	struct kvm_userspace_memory_region region;
	int offset;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (image > RIG_IMAGE_MAX)
		die("guest image of %zu bytes is too large", image);
	r->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (r->kvm < 0) {
		if (errno == ENOENT) {
			fprintf(stderr, "kvm_rig: /dev/kvm is absent\n");
			exit(77);
		}
		die("open /dev/kvm");
	}
	if (ioctl(r->kvm, KVM_GET_API_VERSION, NULL) != KVM_API_VERSION)
		die("KVM API version is not %d", KVM_API_VERSION);
	r->vm = ioctl(r->kvm, KVM_CREATE_VM, 0);
	if (r->vm < 0)
		die("KVM_CREATE_VM");

	r->mem = mmap(NULL, RIG_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(r->mem + RIG_IMAGE_GPA, rig_guest_blob, image);
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = RIG_MEM_SIZE,
		.userspace_addr = (__u64)(unsigned long)r->mem,
	};
	if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
	if (r->vcpu < 0)
		die("KVM_CREATE_VCPU");
	r->run_size = ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	r->run = mmap(NULL, r->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->vcpu, 0);
	if (r->run == MAP_FAILED)
		die("mmap kvm_run");

	r->coalesced_pio = ioctl(r->kvm, KVM_CHECK_EXTENSION,
				 KVM_CAP_COALESCED_PIO) > 0;
	offset = ioctl(r->kvm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (offset > 0) {
		long page = sysconf(_SC_PAGESIZE);

		r->cring = (void *)((char *)r->run + offset * page);
		r->cring_max = (page - sizeof(*r->cring)) /
			       sizeof(r->cring->coalesced_mmio[0]);
	}
	if (!r->cring)
		r->coalesced_pio = 0;

	setup_cpuid(r);
	setup_long_mode(r);
	stats_open(r);
	ata_dev_init(&r->dev, RIG_BAR4, r->trace, RIG_TRACE_MAX);
	setup_host_stub(r);
}

static void rig_close(struct rig *r)
{
	poller_stop(r);
	if (r->stats_fd >= 0)
		close(r->stats_fd);
	munmap(r->run, r->run_size);
	close(r->vcpu);
	close(r->vm);
	munmap(r->mem, RIG_MEM_SIZE);
	close(r->kvm);
}

/* Exits. */

static void drain_coalesced(struct rig *r, struct run_stats *st)
{
	struct kvm_coalesced_mmio_ring *ring = r->cring;

	if (!ring)
		return;
	while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *m = &ring->coalesced_mmio[ring->first];
		__u32 value = 0;

		memcpy(&value, m->data, m->len <= 4 ? m->len : 4);
		if (!m->pio || ata_dev_out(&r->dev, m->phys_addr, m->len, value))
			die("coalesced write to 0x%llx the device refused",
			    (unsigned long long)m->phys_addr);
		st->coalesced++;
		__atomic_store_n(&ring->first, (ring->first + 1) % r->cring_max,
				 __ATOMIC_RELEASE);
	}
}

/*
 * One KVM_EXIT_IO. Returns false for a ring attach or detach: the guest's
 * setup of a ring run, which is not one of the case's exits.
 */
static bool handle_io(struct rig *r, struct run_stats *st)
{
	struct kvm_run *run = r->run;
	__u8 *data = (__u8 *)run + run->io.data_offset;
	__u16 port = run->io.port;
	__u8 width = run->io.size;
	__u32 value = 0;
	int ret = 0;

	if (run->io.count != 1)
		die("string I/O at port 0x%x", port);
	if (run->io.direction == KVM_EXIT_IO_OUT)
		memcpy(&value, data, width);

	if (port == PVGEN_DOORBELL_PORT) {
		st->doorbell_exits++;
		rig_lock(r);
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			ret = pvgen_host_handle_doorbell_out(&r->host, port,
							     width, value);
			st->batches++;
			if (ret >= 0 &&
			    (__u32)ret < (value & PVGEN_DOORBELL_COUNT_MASK))
				st->stops++;
		} else {
			pvgen_host_handle_doorbell_in(&r->host, port, width,
						      &value);
		}
		rig_unlock(r);
	} else if (port == PVGEN_RING_PORT) {
		__u32 op = value & PVGEN_RING_OP_MASK;

		if (op == PVGEN_RING_OP_ATTACH)
			st->attach_exits++;
		else if (op == PVGEN_RING_OP_DETACH)
			st->detach_exits++;
		else
			st->kick_exits++;
		rig_lock(r);
		/*
		 * The stub's kick and detach run what was posted before they
		 * return; count what they ran (an attach restarts the count
		 * from the header's cons).
		 */
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			__u32 from = r->ring_state.cons;

			if (pvgen_host_handle_doorbell_out(&r->host, port,
							   width, value))
				st->ring_op_errors++;
			if (op != PVGEN_RING_OP_ATTACH)
				ring_count(r, from);
		}
		rig_unlock(r);
		if (op == PVGEN_RING_OP_KICK)
			poller_wake(r);
		value = ~0U;
		if (op != PVGEN_RING_OP_KICK) {
			memcpy(data, &value, width);
			return false;
		}
	} else if (ata_dev_claims(&r->dev, port)) {
		st->device_exits++;
		rig_lock(r);
		if (run->io.direction == KVM_EXIT_IO_OUT)
			ret = ata_dev_out(&r->dev, port, width, value);
		else
			ret = ata_dev_in(&r->dev, port, width, &value);
		rig_unlock(r);
		if (ret)
			die("the device refused a %u-byte access to 0x%x",
			    width, port);
	} else {
		die("access to unknown port 0x%x", port);
	}
	if (run->io.direction == KVM_EXIT_IO_IN)
		memcpy(data, &value, width);
	return true;
}

static void dump_exit(struct rig *r)
{
	struct kvm_regs regs;

	errno = 0;
	ioctl(r->vcpu, KVM_GET_REGS, &regs);
	die("unexpected exit %u at rip 0x%llx (internal error suberror %u)",
	    r->run->exit_reason, (unsigned long long)regs.rip,
	    r->run->exit_reason == KVM_EXIT_INTERNAL_ERROR ?
	    r->run->internal.suberror : 0);
}

/* Run the vCPU until the guest signals on RIG_CTL_PORT. */
static void run_until_ready(struct rig *r, struct run_stats *st)
{
	for (;;) {
		if (ioctl(r->vcpu, KVM_RUN, NULL) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		drain_coalesced(r, st);
		if (r->run->exit_reason != KVM_EXIT_IO)
			dump_exit(r);
		if (r->run->io.port == RIG_CTL_PORT)
			return;
		if (handle_io(r, st))
			st->exits++;
	}
}

static struct rig_mailbox *mailbox(struct rig *r)
{
	return (struct rig_mailbox *)(r->mem + RIG_MAILBOX_GPA);
}

static void coalesced_zones(struct rig *r, unsigned long request)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rig_coalesced_zones); i++) {
		struct kvm_coalesced_mmio_zone zone = {
			.addr = rig_coalesced_zones[i].port,
			.size = rig_coalesced_zones[i].size,
			.pio = 1,
		};

		if (ioctl(r->vm, request, &zone) < 0)
			die("coalesced PIO zone 0x%x", zone.addr);
	}
}

static bool ring_mode(unsigned int mode)
{
	return mode == RIG_MODE_RING || mode == RIG_MODE_RING_STRESS;
}

/*
 * One run: @reps repetitions of case @index in @mode on a freshly reset
 * device. Returns the guest's error code.
 */
static __u32 run_case(struct rig *r, unsigned int index, unsigned int mode,
		      __u32 reps, bool trace, struct run_stats *st)
{
	struct rig_mailbox *mb = mailbox(r);
	__s64 exits0;
	__u64 t0;

	memset(st, 0, sizeof(*st));
	memset(mb, 0, sizeof(*mb));
	mb->case_index = index;
	mb->mode = mode;
	mb->reps = reps;
	r->dev.trace = trace ? r->trace : NULL;
	ata_dev_reset(&r->dev);

	if (mode == RIG_MODE_COALESCED)
		coalesced_zones(r, KVM_REGISTER_COALESCED_MMIO);
	if (ring_mode(mode)) {
		/*
		 * The guest sets the ring up and attaches it, as the module does;
		 * the poller is awake from the start, so the attach finds the
		 * ring polled.
		 */
		poller_start(r);
		rig_lock(r);
		r->ring_batches = 0;
		r->ring_stops = 0;
		r->poll_sleeps = 0;
		rig_unlock(r);
		poller_wake(r);
	}

	exits0 = stat_read(r, r->stat_exits);
	t0 = now_ns();
	run_until_ready(r, st);
	st->ns = now_ns() - t0;
	/* The ready signal is an exit too, but not the case's. */
	if (exits0 >= 0)
		st->vcpu_exits = stat_read(r, r->stat_exits) - exits0 - 1;
	else
		st->vcpu_exits = -1;

	if (mode == RIG_MODE_COALESCED)
		coalesced_zones(r, KVM_UNREGISTER_COALESCED_MMIO);
	if (ring_mode(mode)) {
		rig_lock(r);
		st->batches += r->ring_batches;
		st->stops += r->ring_stops;
		/* The guest detached: the host holds no ring any more. */
		if (r->ring_state.attached || r->ring_state.broken)
			mb->error = mb->error ? mb->error : RIG_GUEST_DETACH_ERROR;
		rig_unlock(r);
	}
	return mb->error;
}

static const struct rig_case *find_case(const char *name, unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rig_cases); i++) {
		if (!strcmp(rig_cases[i].name, name)) {
			*index = i;
			return &rig_cases[i];
		}
	}
	fprintf(stderr, "kvm_rig: no case named %s\n", name);
	exit(2);
}

static void print_check(struct rig *r, const struct rig_case *c,
			unsigned int mode, __u32 error,
			const struct run_stats *st)
{
	struct rig_mailbox *mb = mailbox(r);
	size_t i;

	printf("{\"case\":\"%s\",\"mode\":\"%s\",\"error\":%u,", c->name,
	       mode_names[mode], error);
	printf("\"planned_accesses\":%u,\"planned_submissions\":%u,",
	       c->nr_accesses, c->nr_batches);
	printf("\"exits\":%llu,\"device_exits\":%llu,\"doorbell_exits\":%llu,",
	       (unsigned long long)st->exits,
	       (unsigned long long)st->device_exits,
	       (unsigned long long)st->doorbell_exits);
	printf("\"attach_exits\":%llu,\"detach_exits\":%llu,\"ring_op_errors\":%llu,",
	       (unsigned long long)st->attach_exits,
	       (unsigned long long)st->detach_exits,
	       (unsigned long long)st->ring_op_errors);
	printf("\"kick_exits\":%llu,\"coalesced\":%llu,\"batches\":%llu,",
	       (unsigned long long)st->kick_exits,
	       (unsigned long long)st->coalesced,
	       (unsigned long long)st->batches);
	printf("\"stops\":%llu,\"vcpu_exits\":%lld,",
	       (unsigned long long)st->stops, (long long)st->vcpu_exits);
	printf("\"submissions\":%u,\"resumes\":%u,\"polls\":%u,\"kicks\":%u,",
	       mb->submissions, mb->resumes, mb->polls, mb->kicks);
	printf("\"cuts\":%u,", mb->cuts);
	printf("\"trace_lost\":%zu,\"trace\":[", r->dev.trace_lost);
	for (i = 0; i < r->dev.trace_len; i++) {
		const struct ata_access *a = &r->dev.trace[i];

		printf("%s\"%s %x/%u %x\"", i ? "," : "", a->out ? "out" : "in",
		       a->port, a->width, a->value);
	}
	printf("],\"reads\":[");
	for (i = 0; i < mb->nr_reads; i++)
		printf("%s%u", i ? "," : "", mb->reads[i]);
	printf("],\"commands\":[");
	for (i = 0; i < r->dev.nr_commands && i < ATA_DEV_MAX_COMMANDS; i++) {
		const struct ata_command *cmd = &r->dev.commands[i];

		printf("%s{\"channel\":%u,\"drive\":%u,\"command\":%u,\"device\":%u,\"lba\":%llu,\"count\":%u}",
		       i ? "," : "", cmd->channel, cmd->drive, cmd->command,
		       cmd->device, (unsigned long long)cmd->lba, cmd->count);
	}
	printf("]}\n");
}

static int cmd_check(struct rig *r, int argc, char **argv)
{
	static const unsigned int modes[] = {
		RIG_MODE_DIRECT, RIG_MODE_COALESCED, RIG_MODE_DOORBELL,
		RIG_MODE_RING,
	};
	unsigned int i, m, index;
	int failed = 0;

	for (i = 0; i < ARRAY_SIZE(rig_cases); i++) {
		const struct rig_case *c = &rig_cases[i];
		int selected = argc == 0;
		int k;

		for (k = 0; k < argc; k++)
			selected |= find_case(argv[k], &index) == c;
		if (!selected)
			continue;
		for (m = 0; m < ARRAY_SIZE(modes); m++) {
			struct run_stats st;
			__u32 error;

			if (modes[m] == RIG_MODE_COALESCED && !r->coalesced_pio) {
				printf("{\"case\":\"%s\",\"mode\":\"coalesced\",\"skipped\":\"KVM_CAP_COALESCED_PIO is not offered\"}\n",
				       c->name);
				continue;
			}
			error = run_case(r, i, modes[m], 1, true, &st);
			failed |= error != 0;
			print_check(r, c, modes[m], error, &st);
		}
	}
	fflush(stdout);
	return failed;
}

static int compare_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a;
	__u64 y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

#define BENCH_MAX_RUNS	101

/*
 * Median ns per sequence over @runs runs of a repetition count picked so
 * that one run takes about @target_ns. Exits are per sequence, averaged
 * over all runs.
 */
static int bench_one(struct rig *r, unsigned int index, unsigned int mode,
		     unsigned int runs, __u64 target_ns)
{
	const struct rig_case *c = &rig_cases[index];
	__u64 per_seq[BENCH_MAX_RUNS];
	struct run_stats st, sum;
	__u64 reps;
	unsigned int i;

	/* Warm up, and measure the order of magnitude. */
	if (run_case(r, index, mode, 16, false, &st))
		return 1;
	reps = st.ns ? target_ns * 16 / st.ns : 100000;
	if (reps < 16)
		reps = 16;
	if (reps > 200000)
		reps = 200000;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < runs; i++) {
		if (run_case(r, index, mode, reps, false, &st))
			return 1;
		per_seq[i] = st.ns / reps;
		sum.exits += st.exits;
		sum.coalesced += st.coalesced;
		sum.vcpu_exits += st.vcpu_exits;
	}
	qsort(per_seq, runs, sizeof(per_seq[0]), compare_u64);
	printf("%s\t%s\t%u\t%u\t%llu\t%u\t%.3f\t%.3f\t%.3f\t%llu\t%llu\t%llu\n",
	       c->name, mode_names[mode], c->nr_accesses, c->nr_batches,
	       (unsigned long long)reps, runs,
	       (double)sum.exits / runs / reps,
	       st.vcpu_exits < 0 ? -1.0 : (double)sum.vcpu_exits / runs / reps,
	       (double)sum.coalesced / runs / reps,
	       (unsigned long long)per_seq[runs / 2],
	       (unsigned long long)per_seq[0],
	       (unsigned long long)per_seq[runs - 1]);
	fflush(stdout);
	return 0;
}

static int cmd_bench(struct rig *r, int argc, char **argv)
{
	static const unsigned int modes[] = {
		RIG_MODE_DIRECT, RIG_MODE_COALESCED, RIG_MODE_DOORBELL,
		RIG_MODE_RING, RIG_MODE_FILL,
	};
	unsigned int runs = 21, i, m, index;
	__u64 target_ns = 20000000;
	bool all = false;
	int k, failed = 0, names = 0;

	for (k = 0; k < argc; k++) {
		if (!strcmp(argv[k], "--runs") && k + 1 < argc) {
			runs = atoi(argv[++k]);
		} else if (!strcmp(argv[k], "--target-ms") && k + 1 < argc) {
			target_ns = strtoull(argv[++k], NULL, 10) * 1000000;
		} else if (!strcmp(argv[k], "--all")) {
			all = true;
		} else if (argv[k][0] != '-') {
			find_case(argv[k], &index);
			names++;
		} else {
			fprintf(stderr, "kvm_rig: bench: unknown option %s\n",
				argv[k]);
			return 2;
		}
	}
	if (runs < 1 || runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "kvm_rig: --runs must be 1 to %d\n",
			BENCH_MAX_RUNS);
		return 2;
	}
	printf("case\tmode\taccesses\tsubmissions\treps\truns\texits\tvcpu_exits\tcoalesced\tns_median\tns_min\tns_max\n");
	for (i = 0; i < ARRAY_SIZE(rig_cases); i++) {
		const struct rig_case *c = &rig_cases[i];
		bool selected = names ? false : all || c->bench;

		for (k = 0; k < argc; k++) {
			if (argv[k][0] != '-' && !strcmp(argv[k], c->name))
				selected = true;
		}
		if (!selected)
			continue;
		for (m = 0; m < ARRAY_SIZE(modes); m++) {
			if (modes[m] == RIG_MODE_COALESCED && !r->coalesced_pio)
				continue;
			failed |= bench_one(r, i, modes[m], runs, target_ns);
		}
	}
	return failed;
}

/*
 * The ring stress: @n numbered batches through the ring with the real
 * polling thread; every batch must reach the device exactly once, in order.
 */
static int cmd_ring_stress(struct rig *r, int argc, char **argv)
{
	struct rig_mailbox *mb = mailbox(r);
	__u64 lost = 0, duplicated = 0;
	struct run_stats st;
	__u32 n = 1000000, i;
	__u32 error;
	bool ok;

	if (argc > 1 || (argc == 1 && (n = strtoul(argv[0], NULL, 0)) == 0)) {
		fprintf(stderr, "kvm_rig: ring-stress [N], N > 0\n");
		return 2;
	}
	r->stress_runs = calloc(n, 1);
	if (!r->stress_runs)
		die("calloc");
	r->stress_n = n;
	r->stress_expect = 0;
	r->stress_disorder = 0;
	r->stress_strays = 0;
	error = run_case(r, 0, RIG_MODE_RING_STRESS, n, false, &st);
	rig_lock(r);
	for (i = 0; i < n; i++) {
		lost += r->stress_runs[i] == 0;
		duplicated += r->stress_runs[i] > 1;
	}
	rig_unlock(r);
	ok = !error && !lost && !duplicated && !r->stress_disorder &&
	     !r->stress_strays && r->stress_expect == n && !st.ring_op_errors;
	printf("{\"mode\":\"ring_stress\",\"error\":%u,\"batches\":%u,\"submissions\":%u,",
	       error, n, mb->submissions);
	printf("\"host_batches\":%llu,\"lost\":%llu,\"duplicated\":%llu,\"out_of_order\":%llu,\"strays\":%llu,",
	       (unsigned long long)st.batches, (unsigned long long)lost,
	       (unsigned long long)duplicated,
	       (unsigned long long)r->stress_disorder,
	       (unsigned long long)r->stress_strays);
	printf("\"kicks\":%u,\"kick_exits\":%llu,\"attach_exits\":%llu,\"detach_exits\":%llu,",
	       mb->kicks, (unsigned long long)st.kick_exits,
	       (unsigned long long)st.attach_exits,
	       (unsigned long long)st.detach_exits);
	printf("\"ring_op_errors\":%llu,\"poller_sleeps\":%llu,\"detached\":%s,",
	       (unsigned long long)st.ring_op_errors,
	       (unsigned long long)r->poll_sleeps,
	       ring_of(r)->flags == PVGEN_RING_DETACHED ? "true" : "false");
	printf("\"ns\":%llu,\"batches_per_s\":%.0f}\n",
	       (unsigned long long)st.ns, st.ns ? n * 1e9 / st.ns : 0.0);
	fflush(stdout);
	free(r->stress_runs);
	r->stress_runs = NULL;
	return ok ? 0 : 1;
}

static int cmd_info(struct rig *r)
{
	printf("guest image: %zu bytes\n",
	       (size_t)(rig_guest_blob_end - rig_guest_blob));
	printf("cases: %zu\n", ARRAY_SIZE(rig_cases));
	printf("coalesced PIO: %s (ring of %u)\n",
	       r->coalesced_pio ? "yes" : "no", r->cring_max);
	printf("vCPU exits statistic: %s\n",
	       r->stat_exits >= 0 ? "yes" : "no");
	printf("host stub ABI: %s\n", pvgen_host_abi_fingerprint);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kvm_rig info\n"
		"       kvm_rig check [CASE...]\n"
		"       kvm_rig bench [--runs N] [--target-ms MS] [--all] [CASE...]\n"
		"       kvm_rig ring-stress [N]\n");
}

int main(int argc, char **argv)
{
	struct run_stats boot;
	struct rig *r;
	int ret;

	if (argc < 2) {
		usage();
		return 2;
	}
	r = malloc(sizeof(*r));
	if (!r)
		die("malloc");
	rig_open(r);
	pick_cpus(r);
	pin_to(r->vcpu_cpu);
	/* Boot: the guest runs up to its first ready signal. */
	memset(&boot, 0, sizeof(boot));
	run_until_ready(r, &boot);

	if (!strcmp(argv[1], "info")) {
		ret = cmd_info(r);
	} else if (!strcmp(argv[1], "check")) {
		ret = cmd_check(r, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "bench")) {
		ret = cmd_bench(r, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "ring-stress")) {
		ret = cmd_ring_stress(r, argc - 2, argv + 2);
	} else {
		usage();
		ret = 2;
	}
	rig_close(r);
	free(r);
	return ret;
}
