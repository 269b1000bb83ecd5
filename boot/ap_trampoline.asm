; Application processor start-up. A start-up IPI puts the AP in real mode at
; CS:IP = (page << 8):0, where kernel/native/smp_hw.c copied ap_tramp_start.
; The code goes straight to long mode (SDM Vol. 3A section 10.8.5: PAE, CR3,
; EFER.LME, then CR0.PG with CR0.PE; the far jump loads a 64-bit CS), on the
; boot GDT (boot/mb2_entry.asm, below 4 GiB like all of Sluice) and the page
; table the copy was patched with, then calls smp_ap_main(ap_boot_cpu) on
; ap_boot_stack. The boot CPU starts one AP at a time, so one pair of
; variables serves them all.

extern boot_gdt, smp_ap_main

section .rodata
bits 16
align 16
global ap_tramp_start, ap_tramp_end, ap_tramp_cr3
ap_tramp_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	o32 lgdt [tramp_gdtr - ap_tramp_start]
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, [ap_tramp_cr3 - ap_tramp_start]
	mov cr3, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	wrmsr
	mov eax, 0x80010001             ; PG, WP, PE (as the boot CPU)
	mov cr0, eax
	jmp dword 0x08:ap_start64
align 8
tramp_gdtr:
	dw 3 * 8 - 1                    ; boot_gdt: null, code 0x08, data 0x10
	dd boot_gdt
ap_tramp_cr3:
	dd 0                            ; patched: the boot CPU's CR3
ap_tramp_end:

section .data
align 8
global ap_boot_cpu, ap_boot_stack
ap_boot_cpu:    dq 0
ap_boot_stack:  dq 0

section .text
bits 64
ap_start64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, [ap_boot_stack]
	mov rdi, [ap_boot_cpu]
	xor ebp, ebp
	call smp_ap_main
.halt:
	cli
	hlt
	jmp .halt

section .note.GNU-stack noalloc noexec nowrite progbits
