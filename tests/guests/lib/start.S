/*
 * Entry of an elf64 guest (vm/part/guest_image.h): long mode, identity-mapped,
 * interrupts off, RDI = start info GPA, RSP undefined. Sets the stack from
 * .bss (the loader zeroed it) and calls guest_start(si); never returns.
 */
	.section .text.start, "ax"
	.globl _start
	.code64
_start:
	lea	stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	guest_start
1:	hlt
	jmp	1b

	.section .bss
	.balign 16
stack:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
