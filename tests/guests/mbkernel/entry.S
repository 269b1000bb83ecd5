/*
 * A plain Multiboot (version 0.6.96) kernel's entry, as any would have it:
 * the header (section 3.1.1) and a 32-bit start that sets a stack and
 * calls mb_main(EAX, EBX) (section 3.2: EAX = 0x2BADB002, EBX = info).
 */
	.set	MB_MAGIC, 0x1BADB002
	.set	MB_FLAGS, 0x3           /* bit 0: page-align modules, bit 1: memory information */

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.section .text
	.code32
	.globl	_start
_start:
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	mb_main
1:	cli
	hlt
	jmp	1b

	.section .bss
	.balign	16
stack:
	.skip	8192
stack_top:

	.section .note.GNU-stack, "", @progbits
