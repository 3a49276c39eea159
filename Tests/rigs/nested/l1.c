// SPDX-License-Identifier: GPL-2.0
/*
 * l1.c - a bare-metal L1 hypervisor for QEMU's TCG (multiboot, 32-bit protected mode, no
 * paging) that checks who serves a KVM-convention hypercall: L1's own VMCALL/VMMCALL must
 * reach the device that registered the TCG hypercall handler (pvgen-batch,hypercall=on),
 * an L2 guest's never (SVM guest mode: VMMCALL goes to L1 when L1 intercepts it, else it is
 * #UD, and VMCALL is #UD, as on hardware), and L2's CPUID 0x40000000 must not say KVM.
 *
 * L1 also hands the device one batch that makes the PIIX IDE raise IRQ14 inside the
 * hypercall (IDENTIFY): under icount QEMU aborts ("Raised interrupt while not in I/O
 * function") unless the hypercall was translated as I/O (gen_io_start()).
 *
 * It prints one line per result on COM1 ("NESTED: ..."), then "NESTED: done", and halts;
 * run-nested.sh reads them and judges.
 */
#include <stdint.h>

#if !defined(PVGEN_ABI_VERSION) || !defined(PVGEN_HC_PROBE) || !defined(PVGEN_HC_BATCH) || \
	!defined(PVGEN_OP_OUT) || !defined(PVGEN_RESULT_PENDING)
#error "build with the Makefile: it takes the ABI's values from pvgen_abi.h"
#endif
#define PROBE_NR ((uint32_t)PVGEN_HC_PROBE)
#define BATCH_NR ((uint32_t)PVGEN_HC_BATCH) /* rbx = queue, rcx = count */
#define ABI_VERSION ((uint32_t)PVGEN_ABI_VERSION)
#define OP_OUT ((uint32_t)PVGEN_OP_OUT)
#define RESULT_PENDING ((uint32_t)PVGEN_RESULT_PENDING)

#define MSR_EFER 0xc0000080u
#define EFER_SVME (1u << 12)
#define MSR_VM_HSAVE_PA 0xc0010117u

/* #VMEXIT codes, and the intercept bit of code c >= 0x60 is c - 0x60. */
#define EXIT_EXCP_UD 0x46u
#define EXIT_HLT 0x78u
#define EXIT_SHUTDOWN 0x7fu
#define EXIT_VMRUN 0x80u
#define EXIT_VMMCALL 0x81u
#define INTERCEPT(code) (1ull << ((code) - 0x60))

/* QEMU's target/i386/svm.h layout (the architectural one). */
struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));

struct vmcb {
	/* control area */
	uint16_t intercept_cr_read, intercept_cr_write;
	uint16_t intercept_dr_read, intercept_dr_write;
	uint32_t intercept_exceptions;
	uint64_t intercept;
	uint8_t reserved_1[44];
	uint64_t iopm_base_pa, msrpm_base_pa, tsc_offset;
	uint32_t asid;
	uint8_t tlb_ctl, reserved_2[3];
	uint32_t int_ctl, int_vector, int_state;
	uint8_t reserved_3[4];
	uint64_t exit_code, exit_info_1, exit_info_2;
	uint32_t exit_int_info, exit_int_info_err;
	uint64_t nested_ctl;
	uint8_t reserved_4[16];
	uint32_t event_inj, event_inj_err;
	uint64_t nested_cr3, lbr_ctl;
	uint8_t reserved_5[832];
	/* save area, at 0x400 */
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint8_t reserved_6[43];
	uint8_t cpl;
	uint8_t reserved_7[4];
	uint64_t efer;
	uint8_t reserved_8[112];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
	uint8_t reserved_9[88];
	uint64_t rsp;
	uint8_t reserved_10[24];
	uint64_t rax;
} __attribute__((packed));

_Static_assert(__builtin_offsetof(struct vmcb, exit_code) == 0x70, "vmcb control layout");
_Static_assert(__builtin_offsetof(struct vmcb, es) == 0x400, "vmcb save area");
_Static_assert(__builtin_offsetof(struct vmcb, efer) == 0x4d0, "vmcb efer");
_Static_assert(__builtin_offsetof(struct vmcb, rip) == 0x578, "vmcb rip");
_Static_assert(__builtin_offsetof(struct vmcb, rax) == 0x5f8, "vmcb rax");

/* pvgen_abi.h's struct pvgen_entry */
struct entry {
	uint8_t op, width;
	uint16_t port;
	uint32_t value, mask, result;
} __attribute__((packed));

static struct vmcb vmcb __attribute__((aligned(4096)));
static struct entry queue[3] __attribute__((aligned(64)));
static uint8_t hsave[4096] __attribute__((aligned(4096)));
static uint8_t l2_stack[4096] __attribute__((aligned(16)));

void vmrun_l2(uint32_t vmcb_pa);
extern char l2_vmmcall[], l2_vmcall[], l2_cpuid[];
extern uint32_t l2_sig[3];
void l1_main(void);

static inline void outb(uint16_t port, uint8_t value)
{
	asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static void put(const char *s)
{
	while (*s)
		outb(0x3f8, (uint8_t)*s++);
}

static void hex(uint64_t v)
{
	char buf[19] = "0x";
	int i, n = 2, started = 0;

	for (i = 60; i >= 0; i -= 4) {
		unsigned int nibble = (unsigned int)(v >> i) & 0xf;

		if (nibble || started || i == 0) {
			buf[n++] = "0123456789abcdef"[nibble];
			started = 1;
		}
	}
	buf[n] = 0;
	put(buf);
}

/* Prints the 12 signature bytes of a hypervisor CPUID leaf, '.' for non-printables. */
static void signature(const uint32_t regs[3])
{
	char buf[13];
	int i;

	for (i = 0; i < 12; i++) {
		char c = (char)(regs[i / 4] >> (8 * (i % 4)));

		buf[i] = c >= 0x20 && c < 0x7f ? c : '.';
	}
	buf[12] = 0;
	put(buf);
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* L1's own hypercall, KVM convention: nr in eax, a0 and a1 in ebx and ecx; the answer in eax. */
static uint32_t l1_hypercall(int vmmcall, uint32_t nr, uint32_t a0, uint32_t a1)
{
	uint32_t ret;

	if (vmmcall)
		asm volatile("vmmcall" : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1), "d"(0), "S"(0) : "memory");
	else
		asm volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1), "d"(0), "S"(0) : "memory");
	return ret;
}

static void out_entry(struct entry *e, uint16_t port, uint8_t value)
{
	e->op = OP_OUT;
	e->width = 1;
	e->port = port;
	e->value = value;
	e->mask = 0;
	e->result = RESULT_PENDING;
}

/*
 * One batch whose last entry makes the device raise an interrupt while the hypercall runs:
 * interrupts on (device control nIEN 0), select the master, IDENTIFY DEVICE, with IRQ14
 * unmasked at the PICs (interrupts stay off in the CPU: nothing is delivered).
 */
static void l1_batch_raising_irq14(void)
{
	unsigned int i;
	uint32_t ret;

	outb(0x21, inb(0x21) & ~0x04); /* master: cascade */
	outb(0xa1, inb(0xa1) & ~0x40); /* slave: IRQ14 */
	out_entry(&queue[0], 0x3f6, 0x00);
	out_entry(&queue[1], 0x1f6, 0xa0);
	out_entry(&queue[2], 0x1f7, 0xec);
	ret = l1_hypercall(0, BATCH_NR, (uint32_t)queue, 3);
	put("NESTED: l1 batch raising IRQ14: rax=");
	hex(ret);
	put(" results=");
	for (i = 0; i < 3; i++) {
		hex(queue[i].result);
		put(i < 2 ? "," : "");
	}
	put(" status=");
	hex(inb(0x1f7));
	put("\n");
}

static void flat(struct vmcb_seg *seg, uint16_t selector, uint16_t attrib)
{
	seg->selector = selector;
	seg->attrib = attrib;
	seg->limit = 0xffffffff;
	seg->base = 0;
}

/*
 * Runs @code as L2 (flat 32-bit protected mode, CPL 0, no paging, rax = PROBE_NR) with
 * VMRUN, HLT and SHUTDOWN intercepted plus @intercept and @exceptions, and prints the exit
 * code and L2's rax at the #VMEXIT.
 */
static void run_l2(const char *what, char *code, uint64_t intercept, uint32_t exceptions)
{
	uint8_t *p = (uint8_t *)&vmcb;
	unsigned int i;

	for (i = 0; i < sizeof(vmcb); i++)
		p[i] = 0;
	vmcb.intercept = INTERCEPT(EXIT_VMRUN) | INTERCEPT(EXIT_HLT) | INTERCEPT(EXIT_SHUTDOWN) | intercept;
	vmcb.intercept_exceptions = exceptions;
	vmcb.asid = 1;
	flat(&vmcb.cs, 0x08, 0xc9b); /* 32-bit code, present, DPL 0 */
	flat(&vmcb.ds, 0x10, 0xc93); /* 32-bit data */
	flat(&vmcb.es, 0x10, 0xc93);
	flat(&vmcb.ss, 0x10, 0xc93);
	vmcb.gdtr.limit = 0;
	vmcb.idtr.limit = 0; /* an exception L1 does not intercept shuts L2 down */
	vmcb.cr0 = 0x11; /* PE, ET */
	vmcb.efer = EFER_SVME;
	vmcb.rflags = 0x2;
	vmcb.rip = (uint32_t)code;
	vmcb.rsp = (uint32_t)(l2_stack + sizeof(l2_stack));
	vmcb.rax = PROBE_NR;

	vmrun_l2((uint32_t)&vmcb);

	put("NESTED: l2 ");
	put(what);
	put(": exit=");
	hex(vmcb.exit_code);
	put(" rax=");
	hex((uint32_t)vmcb.rax);
	put("\n");
}

void l1_main(void)
{
	uint32_t a, b, c, d, sig[3];

	put("\nNESTED: start\n");
	cpuid(0x40000000, &a, &sig[0], &sig[1], &sig[2]);
	put("NESTED: l1 cpuid 0x40000000: ");
	signature(sig);
	put("\n");
	put("NESTED: l1 vmmcall: rax=");
	hex(l1_hypercall(1, PROBE_NR, ABI_VERSION, 0));
	put("\nNESTED: l1 vmcall: rax=");
	hex(l1_hypercall(0, PROBE_NR, ABI_VERSION, 0));
	put("\n");
	l1_batch_raising_irq14();

	cpuid(0x80000001, &a, &b, &c, &d);
	if (!(c & (1u << 2))) {
		put("NESTED: no SVM in CPUID 0x80000001\nNESTED: done\n");
		return;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (uint32_t)hsave);

	run_l2("vmmcall, L1 intercepts vmmcall", l2_vmmcall, INTERCEPT(EXIT_VMMCALL), 0);
	run_l2("vmmcall, L1 intercepts #UD", l2_vmmcall, 0, 1u << 6);
	run_l2("vmcall, L1 intercepts #UD", l2_vmcall, 0, 1u << 6);
	run_l2("vmmcall, L1 intercepts neither", l2_vmmcall, 0, 0);
	run_l2("cpuid 0x40000000, not intercepted", l2_cpuid, 0, 0);
	put("NESTED: l2 cpuid 0x40000000: ");
	signature(l2_sig);
	put("\nNESTED: done\n");
}
