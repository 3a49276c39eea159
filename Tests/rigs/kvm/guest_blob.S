/* SPDX-License-Identifier: GPL-2.0 */
/* The flat guest image, linked into kvm_rig (the assembler finds it on -I). */
	.section .rodata
	.balign 16
	.globl rig_guest_blob
	.globl rig_guest_blob_end
rig_guest_blob:
	.incbin "guest.bin"
rig_guest_blob_end:
	.section .note.GNU-stack, "", @progbits
