/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vrig: the execution rig of `pvgen verify`. It loads a built guest module
 * (.ko, an ELF relocatable) into a small flat guest memory, runs functions of
 * that compiled module in an instruction-level emulator (Unicorn: the vmcall
 * path) or in a real KVM vCPU at CPL 3 (the PIO doorbell path), and hands
 * every trapped vmcall or doorbell access to the compiled host stub library
 * (libpvgen_host.a, linked in through the generated shim vrig_shim.c). It
 * prints what it saw as one JSON document; pvgen verify compares.
 *
 * The rig decides nothing about agreement itself: it reports register values,
 * ports, queue bytes and the accesses each side performed.
 */

#ifndef VRIG_H
#define VRIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Guest memory: identity mapped, every address a gpa too. */
#define VRIG_MEM_SIZE		0x800000ULL
#define VRIG_STUB_BASE		0x100000ULL	/* 32-byte function stubs */
#define VRIG_STUB_SLOT		32
#define VRIG_STUB_END		0x110000ULL
#define VRIG_DATA_BASE		0x110000ULL	/* 4 KiB per undefined data symbol */
#define VRIG_DATA_SLOT		0x1000
#define VRIG_DATA_END		0x1f0000ULL
#define VRIG_PTR_SCRATCH	0x1f0000ULL	/* what pointer-returning stubs return */
#define VRIG_ACTION		0x1fe000ULL	/* devm_add_action's action and data */
#define VRIG_MODULE_BASE	0x200000ULL
#define VRIG_MODULE_END		0x400000ULL
#define VRIG_PP			0x400000ULL	/* struct <prefix>_port */
#define VRIG_AP			0x410000ULL	/* struct ata_port */
#define VRIG_ARG_BASE		0x450000ULL	/* pointer arguments, 64 KiB each */
#define VRIG_ARG_SLOT		0x10000ULL
#define VRIG_NR_ARG_SLOTS	4
#define VRIG_PDEV		0x490000ULL	/* the probe's pci_dev and id */
#define VRIG_PCI_ID		0x4a0000ULL
#define VRIG_QUEUE		0x500000ULL	/* the queue page (gpa == va) */
#define VRIG_RING		0x520000ULL	/* __get_free_pages(): the ring's pages */
#define VRIG_STACK_TOP		0x6ff000ULL
#define VRIG_DONE		0x700000ULL	/* return address of every call */
#define VRIG_PAGE_TABLES	0x7f0000ULL	/* KVM only */

/* Rig ports: a function returned; the guest warned (WARN_ONCE). */
#define VRIG_DONE_PORT		0x510
#define VRIG_WARN_PORT		0x511

#define VRIG_MAX_EVENTS		16384
#define VRIG_MAX_TRACE		8192
#define VRIG_MAX_SYMS		4096
#define VRIG_MAX_FUNCS		64
#define VRIG_MAX_ARGS		6

/* One port access, by the guest itself or by the host stub's callbacks. */
struct vrig_access {
	char dir;		/* 'i' or 'o' */
	uint8_t width;
	uint16_t port;
	uint32_t value;
};

struct vrig_trace {
	struct vrig_access a[VRIG_MAX_TRACE];
	unsigned int n;
	bool overflow;
};

/* The device every port but the doorbell reaches: reads 0x50, keeps nothing. */
uint32_t vrig_device_in(struct vrig_trace *t, uint16_t port, uint8_t width);
void vrig_device_out(struct vrig_trace *t, uint16_t port, uint8_t width,
		     uint32_t value);

/* What the generated shim (vrig_shim.c) offers: the host stub, wrapped. */
struct vrig_host_cb {
	int (*read_guest)(void *opaque, uint64_t gpa, void *dst, uint32_t len);
	int (*write_guest)(void *opaque, uint64_t gpa, const void *src,
			   uint32_t len);
	int (*pio_in)(void *opaque, uint16_t port, uint8_t width,
		      uint32_t *value);
	int (*pio_out)(void *opaque, uint16_t port, uint8_t width,
		       uint32_t value);
	void *opaque;
	uint64_t mem_size;
};

int vrig_shim_setup(const struct vrig_host_cb *cb);
long vrig_shim_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
long vrig_shim_run_batch(uint64_t gpa, uint32_t count);
int vrig_shim_doorbell_out(uint16_t port, uint8_t width, uint32_t value);
int vrig_shim_doorbell_in(uint16_t port, uint8_t width, uint32_t *value);
const char *vrig_shim_fingerprint(void);
const char *vrig_shim_fingerprint_symbol(void);
/* The doorbell port the host header names: where a VMM built against it
 * routes guest accesses. */
uint16_t vrig_shim_header_doorbell_port(void);
/* The ring's side: a second host with a ring state, the same callbacks. */
uint16_t vrig_shim_header_ring_port(void);
void vrig_shim_ring_reset(void);
int vrig_shim_ring_attached(uint64_t *gpa);
long vrig_shim_ring_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
			      uint64_t a2);
int vrig_shim_ring_doorbell_out(uint16_t port, uint8_t width, uint32_t value);
int vrig_shim_ring_doorbell_in(uint16_t port, uint8_t width, uint32_t *value);

/* The host side as the rig sees it during one guest run or scan. */
struct vrig_host {
	uint8_t *mem;		/* guest memory, VRIG_MEM_SIZE bytes */
	struct vrig_trace trace;	/* what the stub's callbacks did */
	unsigned int reads, writes;	/* read_guest / write_guest calls */
	uint64_t last_read_gpa;
	uint32_t last_read_len;
	uint32_t device_value;	/* what device reads return */
};

void vrig_host_use(struct vrig_host *h);

/* The loaded module and the plan. */
struct vrig_sym {
	char *name;
	uint64_t addr;
	bool defined;
	bool function_stub;
};

struct vrig_func {
	char name[128];
	uint64_t addr;
	int nargs;
	char kind[VRIG_MAX_ARGS][16];	/* ap, int, ptr, chan:<offset> */
	long chan_offset[VRIG_MAX_ARGS];
};

struct vrig_field {
	long offset;
	int size;
};

struct vrig_plan {
	char ko[4096];
	/* struct <prefix>_port, from the module's DWARF */
	long pp_size;
	struct vrig_field pp_ap, pp_transport, pp_queue, pp_gpa, pp_count,
		pp_hold, pp_cut, pp_ring;
	struct { char name[64]; struct vrig_field f; uint64_t value; } blocks[16];
	int nblocks;
	long ap_size, ap_private_data;
	long guest_entry_size;	/* the module's DWARF size of the entry */
	int transport_auto, transport_vmcall, transport_doorbell,
		transport_direct, transport_ring;
	char sym_init[128], sym_submit[128], sym_param[128], sym_active[128];
	char sym_decode[128];		/* runs one entry with port I/O */
	struct vrig_field g_op, g_width, g_port, g_value, g_mask, g_result;
	struct vrig_func funcs[VRIG_MAX_FUNCS];
	int nfuncs;
	/* The model's entry layout, used only to write the host scans' queues. */
	long model_entry_size;
	struct vrig_field m_op, m_width, m_port, m_value, m_mask, m_result;
	int model_out, model_in, model_result_pending, model_err_count;
	uint64_t model_nrs[8];
	int nmodel_nrs;
	bool use_kvm;
	int fill_index, fill_calls;
	/* The model's ring header, for the host's ring scan. */
	struct vrig_field mr_magic, mr_slots, mr_flags, mr_prod, mr_cons,
		mr_count, mr_ret;
	uint32_t model_ring_magic, model_ring_slots, model_ring_slots_offset;
	uint32_t model_ring_size, model_ring_slot_bytes, model_ring_op_mask;
	int ring_func;		/* index of the function the ring runs post */
};

struct vrig_image {
	uint8_t *mem;		/* pristine guest memory, VRIG_MEM_SIZE */
	struct vrig_sym syms[VRIG_MAX_SYMS];
	int nsyms;
	char errors[4096];
};

int vrig_load(struct vrig_image *img, const struct vrig_plan *plan);
const struct vrig_sym *vrig_find(const struct vrig_image *img,
				 const char *name);
const char *vrig_stub_name(const struct vrig_image *img, uint64_t addr);

/* One run of one guest function (or a sequence of calls). */
enum vrig_event_type {
	VRIG_EV_VMCALL,		/* a trapped vmcall, handed to the host stub */
	VRIG_EV_DOORBELL,	/* an access to the host's doorbell port */
	VRIG_EV_IO,		/* a port access that reached the device */
	VRIG_EV_WARN,		/* the module warned (host error replay) */
	VRIG_EV_MARK,		/* the next call of the run starts */
};

struct vrig_event {
	enum vrig_event_type type;
	uint64_t rip;
	uint64_t rax, rbx, rcx, rdx, rsi;	/* at a vmcall */
	char dir;
	uint8_t width;
	uint16_t port;
	uint32_t value;
	uint64_t pp_gpa, pp_count;	/* the guest's own view at the exit */
	int queue;			/* index into vrig_run.queues, or -1 */
	uint32_t queue_len;
	long host_ret;
	uint64_t host_read_gpa;		/* what the stub read of guest memory */
	uint32_t host_read_len, host_reads;
	unsigned int host_first, host_n;	/* slice of the run's host trace */
	int cut_before;			/* mark: 1 + the cut flag call - 1 left, or 0 */
	bool ring_head;			/* ring_magic..ring_flags are set */
	uint32_t ring_magic, ring_slots, ring_flags;	/* the named ring's header, after */
	char note[256];
};

#define VRIG_MAX_QUEUES	64

struct vrig_run {
	const char *engine;
	struct vrig_event ev[VRIG_MAX_EVENTS];
	unsigned int nev;
	uint8_t queues[VRIG_MAX_QUEUES][4096];
	unsigned int nqueues;
	bool events_overflow;
	char calls[2048];		/* stubs called (Unicorn only) */
	bool faulted;
	char fault[256];
	uint64_t ret;
};

/* An engine runs guest calls on a copy of the image. */
struct vrig_call {
	uint64_t fn;
	uint64_t args[VRIG_MAX_ARGS];
	int nargs;
};

struct vrig_ctx {
	const struct vrig_plan *plan;
	const struct vrig_image *img;
	uint8_t *mem;			/* this run's guest memory */
	struct vrig_run *run;
	struct vrig_host *host;		/* its trace: every stub callback */
	uint16_t doorbell_port;		/* where the VMM routes the doorbell */
	bool ring;			/* the host with a ring state serves it */
	uint16_t ring_port;		/* where the VMM routes the ring port */
};

/* Record helpers shared by the engines. */
struct vrig_event *vrig_event(struct vrig_ctx *c, enum vrig_event_type type);
void vrig_snapshot(struct vrig_ctx *c, struct vrig_event *e);
long vrig_vmcall(struct vrig_ctx *c, uint64_t rip, uint64_t rax, uint64_t rbx,
		 uint64_t rcx, uint64_t rdx, uint64_t rsi);
uint32_t vrig_port_in(struct vrig_ctx *c, uint16_t port, uint8_t width);
void vrig_port_out(struct vrig_ctx *c, uint16_t port, uint8_t width,
		   uint32_t value);
void vrig_fault(struct vrig_ctx *c, const char *fmt, ...);

/* Engines: run the calls in order; false when the engine is unavailable. */
bool vrig_unicorn_run(struct vrig_ctx *c, const struct vrig_call *calls,
		      int ncalls, bool (*between)(struct vrig_ctx *, int));
int vrig_kvm_available(char *why, size_t len);
bool vrig_kvm_run(struct vrig_ctx *c, const struct vrig_call *calls,
		  int ncalls, bool (*between)(struct vrig_ctx *, int));

uint64_t vrig_get(const uint8_t *mem, uint64_t addr, int size);
void vrig_put(uint8_t *mem, uint64_t addr, int size, uint64_t value);

#endif /* VRIG_H */
