/* SPDX-License-Identifier: GPL-2.0 */
/*
 * entry.S - the multiboot entry of the nested-guest probe (l1.c), VMRUN, and the L2 guest's
 * code: each L2 snippet issues one instruction and halts (HLT is intercepted).
 */

	.section .multiboot, "a"
	.align 4
	.long 0x1badb002		/* multiboot 1 magic */
	.long 0				/* flags: nothing asked of the loader */
	.long -0x1badb002		/* checksum */

	.text
	.code32
	.globl _start
_start:
	mov $stack_top, %esp
	call l1_main
1:	cli
	hlt
	jmp 1b

/*
 * void vmrun_l2(uint32_t vmcb): run L2 until its #VMEXIT. VMRUN saves and restores rAX,
 * rSP, rIP and the segment and control state only; the general registers come back as
 * L2 left them, hence pushal/popal.
 */
	.globl vmrun_l2
vmrun_l2:
	pushal
	mov 36(%esp), %eax
	vmrun
	popal
	ret

	.globl l2_vmmcall, l2_vmcall, l2_cpuid, l2_sig
l2_vmmcall:
	vmmcall
	hlt
l2_vmcall:
	vmcall
	hlt
l2_cpuid:
	mov $0x40000000, %eax
	xor %ecx, %ecx
	cpuid
	mov %ebx, l2_sig
	mov %ecx, l2_sig + 4
	mov %edx, l2_sig + 8
	hlt

	.section .note.GNU-stack, "", @progbits

	.bss
	.align 16
l2_sig:
	.space 12
	.align 16
	.space 16384
stack_top:
