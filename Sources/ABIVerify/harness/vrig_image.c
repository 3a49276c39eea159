// SPDX-License-Identifier: GPL-2.0
/*
 * Loads a kernel module (ELF64 relocatable, x86-64) into flat guest memory
 * below 2 GiB, so that the kernel code model's sign-extended 32-bit
 * relocations resolve, and gives every symbol the module imports from the
 * kernel a small stand-in: functions a stub (real x86 code, so the same image
 * runs under Unicorn and in a KVM vCPU), data a zeroed 4 KiB slot.
 */

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrig.h"

/*
 * Stub bodies, position independent. Copied into the stub area; none refers
 * to the rig's own addresses.
 */
__asm__(
	".pushsection .rodata.vrig_stubs, \"a\"\n"
	".globl vrig_s_ret, vrig_s_ret0, vrig_s_ret1, vrig_s_retptr\n"
	".globl vrig_s_memmove, vrig_s_memset, vrig_s_warn, vrig_s_done\n"
	".globl vrig_s_ring, vrig_s_action\n"
	".globl vrig_s_end\n"
	"vrig_s_ret:\n"
	"	ret\n"
	"vrig_s_ret0:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	"vrig_s_ret1:\n"
	"	movl $1, %eax\n"
	"	ret\n"
	"vrig_s_retptr:\n"
	"	movl $0x1f0000, %eax\n"
	"	ret\n"
	/* __get_free_pages: the ring's two pages (VRIG_RING). */
	"vrig_s_ring:\n"
	"	movl $0x520000, %eax\n"
	"	ret\n"
	/*
	 * devm_add_action(dev, action, data): keep action and data at
	 * VRIG_ACTION, so that the rig can run the action as the kernel would
	 * when the driver goes.
	 */
	"vrig_s_action:\n"
	"	movq %rsi, 0x1fe000\n"
	"	movq %rdx, 0x1fe008\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	/* memmove, also serving memcpy: copies backwards when dst > src. */
	"vrig_s_memmove:\n"
	"	movq %rdi, %rax\n"
	"	movq %rdx, %rcx\n"
	"	cmpq %rsi, %rdi\n"
	"	jbe 1f\n"
	"	leaq -1(%rsi,%rcx), %rsi\n"
	"	leaq -1(%rdi,%rcx), %rdi\n"
	"	std\n"
	"	rep movsb\n"
	"	cld\n"
	"	ret\n"
	"1:	rep movsb\n"
	"	ret\n"
	"vrig_s_memset:\n"
	"	movq %rdi, %r9\n"
	"	movl %esi, %eax\n"
	"	movq %rdx, %rcx\n"
	"	rep stosb\n"
	"	movq %r9, %rax\n"
	"	ret\n"
	/*
	 * __warn_printk: report on the warn port, then return past the ud2
	 * that WARN() puts right after the call, as the kernel's #UD handler
	 * would after printing the warning.
	 */
	"vrig_s_warn:\n"
	"	pushq %rax\n"
	"	pushq %rdx\n"
	"	movw $0x511, %dx\n"
	"	movl $1, %eax\n"
	"	outl %eax, (%dx)\n"
	"	popq %rdx\n"
	"	movq 8(%rsp), %rax\n"
	"	cmpw $0x0b0f, (%rax)\n"
	"	jne 2f\n"
	"	addq $2, 8(%rsp)\n"
	"2:	popq %rax\n"
	"	ret\n"
	/* Where every call returns to: tell the VMM, then spin. */
	"vrig_s_done:\n"
	"	movw $0x510, %dx\n"
	"	outl %eax, (%dx)\n"
	"3:	jmp 3b\n"
	"vrig_s_end:\n"
	".popsection\n");

extern const uint8_t vrig_s_ret[], vrig_s_ret0[], vrig_s_ret1[],
	vrig_s_retptr[], vrig_s_ring[], vrig_s_action[], vrig_s_memmove[],
	vrig_s_memset[], vrig_s_warn[], vrig_s_done[], vrig_s_end[];

struct stub_kind {
	const char *name;
	const uint8_t *start, *end;
};

/* Kernel functions the generated module calls whose answer matters. */
static const struct {
	const char *symbol;
	int kind;	/* index into kinds[] below */
} special[] = {
	{ "__x86_return_thunk", 0 },
	{ "__fentry__", 0 },
	{ "kvm_para_available", 2 },		/* a KVM guest */
	{ "__devm_request_region", 3 },	/* the region is free */
	{ "__request_region", 3 },
	{ "devm_kmalloc", 3 },
	{ "memmove", 4 },
	{ "memcpy", 4 },
	{ "__memcpy", 4 },
	{ "memset", 5 },
	{ "__memset", 5 },
	{ "__warn_printk", 6 },
	{ "__get_free_pages", 7 },		/* the ring's pages */
	{ "devm_add_action", 8 },		/* kept: the rig runs it */
};

static void add_error(struct vrig_image *img, const char *fmt, ...)
{
	size_t used = strlen(img->errors);
	va_list ap;

	if (used + 2 >= sizeof(img->errors))
		return;
	if (used)
		img->errors[used++] = ';', img->errors[used] = 0;
	va_start(ap, fmt);
	vsnprintf(img->errors + used, sizeof(img->errors) - used, fmt, ap);
	va_end(ap);
}

uint64_t vrig_get(const uint8_t *mem, uint64_t addr, int size)
{
	uint64_t v = 0;

	if (addr >= VRIG_MEM_SIZE || size > 8 || addr + size > VRIG_MEM_SIZE)
		return 0;
	memcpy(&v, mem + addr, size);
	return v;
}

void vrig_put(uint8_t *mem, uint64_t addr, int size, uint64_t value)
{
	if (addr >= VRIG_MEM_SIZE || size > 8 || addr + size > VRIG_MEM_SIZE)
		return;
	memcpy(mem + addr, &value, size);
}

const struct vrig_sym *vrig_find(const struct vrig_image *img,
				 const char *name)
{
	int i;

	for (i = 0; i < img->nsyms; i++) {
		if (img->syms[i].defined && !strcmp(img->syms[i].name, name))
			return &img->syms[i];
	}
	return NULL;
}

const char *vrig_stub_name(const struct vrig_image *img, uint64_t addr)
{
	int i;

	for (i = 0; i < img->nsyms; i++) {
		if (!img->syms[i].defined && img->syms[i].function_stub &&
		    img->syms[i].addr == addr)
			return img->syms[i].name;
	}
	return NULL;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(size ? size : 1);
	if (buf && fread(buf, 1, size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = size;
	return buf;
}

int vrig_load(struct vrig_image *img, const struct vrig_plan *plan)
{
	static const struct stub_kind kinds[] = {
		{ "ret", vrig_s_ret, vrig_s_ret0 },
		{ "ret0", vrig_s_ret0, vrig_s_ret1 },
		{ "ret1", vrig_s_ret1, vrig_s_retptr },
		{ "retptr", vrig_s_retptr, vrig_s_ring },
		{ "memmove", vrig_s_memmove, vrig_s_memset },
		{ "memset", vrig_s_memset, vrig_s_warn },
		{ "warn", vrig_s_warn, vrig_s_done },
		{ "ring", vrig_s_ring, vrig_s_action },
		{ "action", vrig_s_action, vrig_s_memmove },
	};
	uint64_t *sec_addr = NULL, next = VRIG_MODULE_BASE;
	uint64_t next_stub = VRIG_STUB_BASE, next_data = VRIG_DATA_BASE;
	const Elf64_Sym *symtab = NULL;
	const char *strtab = NULL, *shstr;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint64_t *sym_addr = NULL;
	bool *plt = NULL;
	size_t len, nsym = 0;
	uint8_t *elf;
	unsigned int i, j;
	int ret = -1;

	img->mem = calloc(1, VRIG_MEM_SIZE);
	if (!img->mem)
		return -1;
	elf = read_file(plan->ko, &len);
	if (!elf) {
		add_error(img, "cannot read %s: %s", plan->ko, strerror(errno));
		return -1;
	}
	eh = (const Elf64_Ehdr *)elf;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_REL ||
	    eh->e_machine != EM_X86_64) {
		add_error(img, "%s is not an x86-64 ELF relocatable", plan->ko);
		goto out;
	}
	sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
	shstr = (const char *)elf + sh[eh->e_shstrndx].sh_offset;
	sec_addr = calloc(eh->e_shnum, sizeof(*sec_addr));

	/* Lay out every allocated section. */
	for (i = 0; i < eh->e_shnum; i++) {
		uint64_t align = sh[i].sh_addralign ? sh[i].sh_addralign : 1;

		if (sh[i].sh_type == SHT_SYMTAB) {
			symtab = (const Elf64_Sym *)(elf + sh[i].sh_offset);
			nsym = sh[i].sh_size / sizeof(Elf64_Sym);
			strtab = (const char *)elf + sh[sh[i].sh_link].sh_offset;
		}
		if (!(sh[i].sh_flags & SHF_ALLOC) || !sh[i].sh_size)
			continue;
		next = (next + align - 1) & ~(align - 1);
		if (next + sh[i].sh_size > VRIG_MODULE_END) {
			add_error(img, "module too large for the rig");
			goto out;
		}
		sec_addr[i] = next;
		if (sh[i].sh_type != SHT_NOBITS)
			memcpy(img->mem + next, elf + sh[i].sh_offset,
			       sh[i].sh_size);
		next += sh[i].sh_size;
	}
	if (!symtab) {
		add_error(img, "%s has no symbol table", plan->ko);
		goto out;
	}

	/* Which undefined symbols are called (PLT32): those get code. */
	plt = calloc(nsym, sizeof(*plt));
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Rela *r;

		if (sh[i].sh_type != SHT_RELA ||
		    !(sh[sh[i].sh_info].sh_flags & SHF_ALLOC))
			continue;
		r = (const Elf64_Rela *)(elf + sh[i].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*r); j++) {
			if (ELF64_R_TYPE(r[j].r_info) == R_X86_64_PLT32)
				plt[ELF64_R_SYM(r[j].r_info)] = true;
		}
	}

	sym_addr = calloc(nsym, sizeof(*sym_addr));
	for (i = 1; i < nsym; i++) {
		const Elf64_Sym *s = &symtab[i];
		const char *name = strtab + s->st_name;
		struct vrig_sym *out = NULL;

		if (s->st_shndx == SHN_UNDEF) {
			if (!*name)
				continue;
			if (img->nsyms >= VRIG_MAX_SYMS)
				goto full;
			out = &img->syms[img->nsyms++];
			out->name = strdup(name);
			out->defined = false;
			out->function_stub = plt[i];
			if (plt[i]) {
				int kind = 1;	/* ret0 */
				const struct stub_kind *k;

				for (j = 0; j < sizeof(special) / sizeof(special[0]); j++) {
					if (!strcmp(special[j].symbol, name))
						kind = special[j].kind;
				}
				if (!strncmp(name, "__x86_indirect_thunk_", 21)) {
					/* jmp *%reg */
					static const char *regs[] = {
						"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
					uint8_t *p = img->mem + next_stub;
					int r;

					for (r = 0; r < 16; r++) {
						if (strcmp(name + 21, regs[r]))
							continue;
						if (r >= 8)
							*p++ = 0x41;
						*p++ = 0xff;
						*p++ = 0xe0 | (r & 7);
					}
				} else {
					k = &kinds[kind];
					memcpy(img->mem + next_stub, k->start,
					       k->end - k->start);
				}
				out->addr = next_stub;
				next_stub += VRIG_STUB_SLOT;
				if (next_stub > VRIG_STUB_END)
					goto full;
			} else {
				out->addr = next_data;
				next_data += VRIG_DATA_SLOT;
				if (next_data > VRIG_DATA_END)
					goto full;
			}
			sym_addr[i] = out->addr;
			continue;
		}
		if (s->st_shndx == SHN_ABS)
			sym_addr[i] = s->st_value;
		else if (s->st_shndx < eh->e_shnum)
			sym_addr[i] = sec_addr[s->st_shndx] + s->st_value;
		if (*name && ELF64_ST_TYPE(s->st_info) != STT_SECTION &&
		    ELF64_ST_TYPE(s->st_info) != STT_FILE &&
		    s->st_shndx < eh->e_shnum && sec_addr[s->st_shndx]) {
			if (img->nsyms >= VRIG_MAX_SYMS)
				goto full;
			out = &img->syms[img->nsyms++];
			out->name = strdup(name);
			out->addr = sym_addr[i];
			out->defined = true;
		}
	}

	/* Relocate every allocated section. */
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Rela *r;
		unsigned int target = sh[i].sh_info;

		if (sh[i].sh_type != SHT_RELA || !sec_addr[target])
			continue;
		r = (const Elf64_Rela *)(elf + sh[i].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*r); j++) {
			uint64_t p = sec_addr[target] + r[j].r_offset;
			uint64_t s = sym_addr[ELF64_R_SYM(r[j].r_info)];
			int64_t v = (int64_t)(s + r[j].r_addend);

			switch (ELF64_R_TYPE(r[j].r_info)) {
			case R_X86_64_64:
				vrig_put(img->mem, p, 8, v);
				break;
			case R_X86_64_PC64:
				vrig_put(img->mem, p, 8, v - p);
				break;
			case R_X86_64_PC32:
			case R_X86_64_PLT32:
				vrig_put(img->mem, p, 4, (uint32_t)(v - p));
				break;
			case R_X86_64_32:
			case R_X86_64_32S:
				vrig_put(img->mem, p, 4, (uint32_t)v);
				break;
			default:
				add_error(img, "relocation type %u in %s not handled",
					  (unsigned int)ELF64_R_TYPE(r[j].r_info),
					  shstr + sh[i].sh_name);
				goto out;
			}
		}
	}

	memcpy(img->mem + VRIG_DONE, vrig_s_done, vrig_s_end - vrig_s_done);
	ret = 0;
	goto out;
full:
	add_error(img, "the module has more symbols than the rig holds");
out:
	free(plt);
	free(sym_addr);
	free(sec_addr);
	free(elf);
	return ret;
}
