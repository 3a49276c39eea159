// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine: the module's code in a real vCPU, in the manner of the
 * kernel's KVM selftests and of Tests/rigs/kvm. Long mode, flat segments,
 * identity-mapped memory, CPL 3 with IOPL 3: port I/O traps exactly as from
 * CPL 0, and user-mode code runs natively on every KVM backend (also on PVM,
 * where CPL 0 is emulated). Every IN and OUT exits (KVM_EXIT_IO) to the VMM's
 * routing (vrig_port_in/out): the host doorbell port to the host stub, the
 * rest to the device. A vmcall would hang under nested KVM on some hosts, so
 * a watchdog interrupts KVM_RUN after a few seconds.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "vrig.h"

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

int vrig_kvm_available(char *why, size_t len)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm;

	if (kvm < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, len, "KVM_CREATE_VM: %s", strerror(errno));
		close(kvm);
		return 0;
	}
	close(vm);
	close(kvm);
	return 1;
}

static void setup_long_mode(uint8_t *mem, struct kvm_sregs *sregs)
{
	uint64_t pml4 = VRIG_PAGE_TABLES, pdpt = pml4 + 0x1000, pd = pml4 + 0x2000;
	struct kvm_segment seg;
	uint64_t i;

	/* Identity map the 8 MiB: user-accessible, writable 2 MiB pages. */
	vrig_put(mem, pml4, 8, pdpt | 0x7);
	vrig_put(mem, pdpt, 8, pd | 0x7);
	for (i = 0; i < VRIG_MEM_SIZE / 0x200000; i++)
		vrig_put(mem, pd + 8 * i, 8, (i * 0x200000) | 0x87);

	sregs->cr3 = pml4;
	sregs->cr4 = 1 << 5;			/* PAE */
	sregs->cr0 = 0x80050033;		/* PG AM WP NE ET MP PE */
	sregs->efer = (1 << 8) | (1 << 10);	/* LME LMA */
	memset(&seg, 0, sizeof(seg));
	seg.limit = 0xffffffff;
	seg.present = 1;
	seg.s = 1;
	seg.g = 1;
	seg.dpl = 3;
	seg.selector = 3 << 3 | 3;		/* no GDT is ever loaded */
	seg.type = 11;				/* code: execute, read, accessed */
	seg.l = 1;
	sregs->cs = seg;
	seg.selector = 4 << 3 | 3;
	seg.type = 3;				/* data: read, write, accessed */
	seg.l = 0;
	seg.db = 1;
	sregs->ds = seg;
	sregs->es = seg;
	sregs->fs = seg;
	sregs->ss = seg;
	seg.base = 0;				/* %gs:0x28, the stack canary */
	sregs->gs = seg;
}

bool vrig_kvm_run(struct vrig_ctx *c, const struct vrig_call *calls,
		  int ncalls, bool (*between)(struct vrig_ctx *, int))
{
	struct kvm_userspace_memory_region region;
	struct sigaction sa, old;
	struct kvm_sregs sregs;
	struct kvm_run *run = MAP_FAILED;
	int kvm, vm = -1, vcpu = -1, i;
	long run_size = 0;
	bool ok = false;

	c->run->engine = "kvm";
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		vrig_fault(c, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		goto fail;
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = VRIG_MEM_SIZE,
		.userspace_addr = (uint64_t)(unsigned long)c->mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto fail;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		goto fail;
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		goto fail;
	{
		struct kvm_cpuid2 *cpuid;
		int n = 128;

		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		cpuid->nent = n;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			ioctl(vcpu, KVM_SET_CPUID2, cpuid);
		free(cpuid);
	}
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	setup_long_mode(c->mem, &sregs);
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto fail;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGALRM, &sa, &old);
	ok = true;

	for (i = 0; i < ncalls && !c->run->faulted; i++) {
		struct kvm_regs regs;
		static const int nregs = VRIG_MAX_ARGS;
		__u64 *argp[VRIG_MAX_ARGS] = {
			&regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8,
			&regs.r9,
		};
		bool done = false;
		int a;

		if (i && between && !between(c, i))
			break;
		memset(&regs, 0, sizeof(regs));
		regs.rip = calls[i].fn;
		regs.rsp = VRIG_STACK_TOP - 8;
		regs.rflags = 0x3002;		/* IOPL 3 */
		vrig_put(c->mem, regs.rsp, 8, VRIG_DONE);
		for (a = 0; a < calls[i].nargs && a < nregs; a++)
			*argp[a] = calls[i].args[a];
		if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
			vrig_fault(c, "KVM_SET_REGS: %s", strerror(errno));
			break;
		}
		timed_out = 0;
		alarm(5);
		while (!done && !c->run->faulted) {
			uint8_t *data;
			uint32_t value = 0;

			if (ioctl(vcpu, KVM_RUN, NULL) < 0) {
				if (errno == EINTR && timed_out) {
					ioctl(vcpu, KVM_GET_REGS, &regs);
					vrig_fault(c, "KVM_RUN did not come back within 5 s (rip 0x%llx); a vmcall hangs under this nested KVM",
						   (unsigned long long)regs.rip);
					break;
				}
				if (errno == EINTR || errno == EAGAIN)
					continue;
				vrig_fault(c, "KVM_RUN: %s", strerror(errno));
				break;
			}
			if (run->exit_reason != KVM_EXIT_IO) {
				ioctl(vcpu, KVM_GET_REGS, &regs);
				vrig_fault(c, "KVM exit %u at rip 0x%llx (a fault: no IDT in the rig)",
					   run->exit_reason,
					   (unsigned long long)regs.rip);
				break;
			}
			data = (uint8_t *)run + run->io.data_offset;
			if (run->io.port == VRIG_DONE_PORT) {
				ioctl(vcpu, KVM_GET_REGS, &regs);
				c->run->ret = regs.rax;
				done = true;
				break;
			}
			if (run->io.count != 1) {
				vrig_fault(c, "string I/O at port 0x%x", run->io.port);
				break;
			}
			if (run->io.direction == KVM_EXIT_IO_OUT) {
				memcpy(&value, data, run->io.size);
				vrig_port_out(c, run->io.port, run->io.size, value);
			} else {
				value = vrig_port_in(c, run->io.port, run->io.size);
				memcpy(data, &value, run->io.size);
			}
		}
		alarm(0);
	}
	sigaction(SIGALRM, &old, NULL);
	goto out;
fail:
	vrig_fault(c, "KVM set-up: %s", strerror(errno));
out:
	if (run != MAP_FAILED)
		munmap(run, run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return ok;
}
