// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction-level engine: Unicorn (Debian's libunicorn-dev) runs the
 * module's code in 64-bit mode. A vmcall is an invalid instruction to Unicorn:
 * the UC_HOOK_INSN_INVALID hook sees 0f 01 c1, hands rax (number) and rbx,
 * rcx, rdx (arguments 1-3, KVM's kvm_emulate_hypercall() order) to the host
 * stub, writes its answer to rax and steps over the instruction, which is what
 * KVM with the generated patch and a VMM do. IN and OUT go to the VMM's
 * routing (vrig_port_in/out).
 */

#include <string.h>
#include <unicorn/unicorn.h>
#include "vrig.h"

struct uc_state {
	struct vrig_ctx *c;
	bool resumed;		/* the hook handled a vmcall: start again */
};

static uint64_t reg(uc_engine *uc, int r)
{
	uint64_t v = 0;

	uc_reg_read(uc, r, &v);
	return v;
}

static bool on_invalid(uc_engine *uc, void *data)
{
	struct uc_state *st = data;
	uint64_t rip = reg(uc, UC_X86_REG_RIP);
	uint8_t insn[3] = { 0 };
	long ret;

	uc_mem_read(uc, rip, insn, sizeof(insn));
	if (insn[0] == 0x0f && insn[1] == 0x01 &&
	    (insn[2] == 0xc1 || insn[2] == 0xd9)) {
		ret = vrig_vmcall(st->c, rip, reg(uc, UC_X86_REG_RAX),
				  reg(uc, UC_X86_REG_RBX), reg(uc, UC_X86_REG_RCX),
				  reg(uc, UC_X86_REG_RDX), reg(uc, UC_X86_REG_RSI));
		uc_reg_write(uc, UC_X86_REG_RAX, &ret);
		rip += 3;
		uc_reg_write(uc, UC_X86_REG_RIP, &rip);
		st->resumed = true;
		return true;
	}
	vrig_fault(st->c, "invalid instruction %02x %02x %02x at 0x%llx", insn[0],
		   insn[1], insn[2], (unsigned long long)rip);
	return false;
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *data)
{
	struct uc_state *st = data;

	(void)uc;
	return vrig_port_in(st->c, port, size);
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value,
		   void *data)
{
	struct uc_state *st = data;

	(void)uc;
	vrig_port_out(st->c, port, size, value);
}

/* Calls into the stub area: which kernel functions the module used. */
static void on_stub(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	struct uc_state *st = data;
	const char *name = vrig_stub_name(st->c->img, addr);
	char *calls = st->c->run->calls;
	size_t used = strlen(calls);

	(void)uc;
	(void)size;
	if (!name || !strcmp(name, "__fentry__") ||
	    !strcmp(name, "__x86_return_thunk"))
		return;
	/* Each name once. */
	{
		char key[140];

		snprintf(key, sizeof(key), ",%s,", name);
		if (used && strstr(calls, key))
			return;
	}
	if (used + strlen(name) + 3 < sizeof(st->c->run->calls))
		snprintf(calls + used, sizeof(st->c->run->calls) - used, "%s%s,",
			 used ? "" : ",", name);
}

bool vrig_unicorn_run(struct vrig_ctx *c, const struct vrig_call *calls,
		      int ncalls, bool (*between)(struct vrig_ctx *, int))
{
	static const int argregs[VRIG_MAX_ARGS] = {
		UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
		UC_X86_REG_RCX, UC_X86_REG_R8, UC_X86_REG_R9,
	};
	struct uc_state st = { .c = c };
	uc_hook h_invalid, h_in, h_out, h_stub;
	uc_engine *uc;
	uc_err err;
	int i, a;

	c->run->engine = "unicorn";
	err = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	if (err) {
		vrig_fault(c, "uc_open: %s", uc_strerror(err));
		return false;
	}
	err = uc_mem_map_ptr(uc, 0, VRIG_MEM_SIZE, UC_PROT_ALL, c->mem);
	if (!err)
		err = uc_hook_add(uc, &h_invalid, UC_HOOK_INSN_INVALID,
				  (void *)on_invalid, &st, 1, 0);
	if (!err)
		err = uc_hook_add(uc, &h_in, UC_HOOK_INSN, (void *)on_in, &st, 1,
				  0, UC_X86_INS_IN);
	if (!err)
		err = uc_hook_add(uc, &h_out, UC_HOOK_INSN, (void *)on_out, &st,
				  1, 0, UC_X86_INS_OUT);
	if (!err)
		err = uc_hook_add(uc, &h_stub, UC_HOOK_CODE, (void *)on_stub, &st,
				  VRIG_STUB_BASE, VRIG_STUB_END - 1);
	if (err) {
		vrig_fault(c, "unicorn set-up: %s", uc_strerror(err));
		uc_close(uc);
		return false;
	}

	for (i = 0; i < ncalls && !c->run->faulted; i++) {
		uint64_t rsp = VRIG_STACK_TOP - 8, rip = calls[i].fn;
		uint64_t zero = 0, done = VRIG_DONE;
		int rounds = 0;

		if (i && between && !between(c, i))
			break;
		vrig_put(c->mem, rsp, 8, done);
		uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
		uc_reg_write(uc, UC_X86_REG_GS_BASE, &zero);
		for (a = 0; a < calls[i].nargs; a++)
			uc_reg_write(uc, argregs[a], &calls[i].args[a]);
		for (;;) {
			st.resumed = false;
			/* 2 s of emulated time is far more than any path needs. */
			err = uc_emu_start(uc, rip, VRIG_DONE, 2000000, 0);
			rip = reg(uc, UC_X86_REG_RIP);
			if (st.resumed && rip != VRIG_DONE && ++rounds < 100000)
				continue;
			break;
		}
		if (c->run->faulted)
			break;
		if (rip != VRIG_DONE) {
			vrig_fault(c, "stopped at 0x%llx: %s", (unsigned long long)rip,
				   err ? uc_strerror(err) : "time limit");
			break;
		}
		c->run->ret = reg(uc, UC_X86_REG_RAX);
	}
	uc_close(uc);
	return true;
}
