/*
 * The smp guest's AP trampoline: copied by its BSP to SMP_TRAMP_BASE (a
 * SIPI vector's page, below 1 MiB) and entered there in real mode at
 * CS = SMP_TRAMP_BASE >> 4, IP 0, as a SIPI leaves an AP (Intel SDM vol 3
 * 9.4). It loads the BSP's GDT and page tables and goes straight to long
 * mode (PAE, EFER.LME, then PE and PG together; the far jump to the
 * 64-bit code selector leaves compatibility mode), then jumps to the C
 * entry on the stack the BSP left in the parameter block at its end.
 */
#define SMP_TRAMP_BASE  0x8000
#define OFF(sym)        ((sym) - smp_tramp_start)
#define ABS(sym)        (SMP_TRAMP_BASE + OFF(sym))

	.section .rodata
	.globl smp_tramp_start, smp_tramp_end, smp_tramp_gdtr, smp_tramp_cr3, smp_tramp_rsp, smp_tramp_entry
	.code16
smp_tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	OFF(smp_tramp_gdtr)
	movl	%cr4, %eax
	orl	$0x20, %eax                     /* CR4.PAE */
	movl	%eax, %cr4
	movl	OFF(smp_tramp_cr3), %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx               /* EFER */
	rdmsr
	orl	$0x100, %eax                    /* LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax               /* PG | PE */
	movl	%eax, %cr0
	/* ljmpl $0x08, $ABS(1f): 32-bit offset from 16-bit code. */
	.byte	0x66, 0xea
	.long	ABS(1f)
	.word	0x08
	.code64
1:	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	ABS(smp_tramp_rsp), %rsp
	movq	ABS(smp_tramp_entry), %rax
	jmp	*%rax

	.balign 8
smp_tramp_gdtr:                         /* limit, base: the BSP's GDT (SGDT) */
	.word	0
	.quad	0
	.balign 8
smp_tramp_cr3:
	.quad	0
smp_tramp_rsp:
	.quad	0
smp_tramp_entry:
	.quad	0
smp_tramp_end:

	.section .note.GNU-stack, "", @progbits
