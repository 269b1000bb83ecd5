; Sluice entry points.
;  - mb2_start32: Multiboot2 (GRUB, BIOS or EFI): 32-bit protected mode, paging
;    off. Checks for long mode, clears BSS, identity-maps the first 64 GiB with
;    2 MiB pages, enters long mode and calls kernel_mb2_entry(magic, info_pa).
;  - efi_start64: Sluice's own UEFI loader, already in long mode on the
;    firmware's page tables. Clears BSS, switches to the same tables, GDT and
;    stack, and calls kernel_efi_entry(boot_info).
; Spec: Multiboot2 Specification 2.0, section 3.1 (header), 3.3 (machine state);
; Intel SDM Vol. 3A section 10.8.5 (initializing IA-32e mode).

extern __bss_start, __bss_end

MB2_MAGIC       equ 0xE85250D6
MB2_ARCH_I386   equ 0
BOOT_MAP_GIB    equ 64              ; identity map size; mem.c has the same number
COM1            equ 0x3f8
EFI_HDR_MAGIC   equ 0x3436594e45454c53

section .mb2hdr progbits alloc noexec nowrite align=8
align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; end tag
	dw 0, 0
	dd 8
mb2_header_end:
align 8
global sluice_efi_header
sluice_efi_header:
	dq EFI_HDR_MAGIC
	dq efi_start64

section .data
align 8
global boot_mb2_magic, boot_mb2_info
boot_mb2_magic: dd 0
boot_mb2_info:  dd 0

align 16
global boot_gdt                 ; 3 entries: boot/ap_trampoline.asm loads it too
boot_gdt:
gdt:
	dq 0                        ; null
	dq 0x00209a0000000000       ; 0x08: 64-bit code, DPL0
	dq 0x0000920000000000       ; 0x10: data
gdt_end:
gdt_ptr:
	dw gdt_end - gdt - 1
	dq gdt

section .bss
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * BOOT_MAP_GIB
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:

section .text.entry progbits alloc exec nowrite align=16
bits 32
global mb2_start32
mb2_start32:
	cli
	cld
	; Registers are all we have until BSS is clear: park EAX/EBX in .data.
	mov [boot_mb2_magic], eax
	mov [boot_mb2_info], ebx

	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	shr ecx, 2
	xor eax, eax
	rep stosd
	mov esp, boot_stack_top

	; CPUID present? (EFLAGS.ID can be toggled)
	pushfd
	pop eax
	mov ecx, eax
	xor eax, 1 << 21
	push eax
	popfd
	pushfd
	pop eax
	push ecx
	popfd
	xor eax, ecx
	jz .no_long_mode
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29           ; LM
	jz .no_long_mode

	call build_tables32

	mov eax, cr4
	or eax, 1 << 5              ; PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, 0xc0000080         ; IA32_EFER
	rdmsr
	or eax, 1 << 8              ; LME
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
	mov cr0, eax
	lgdt [gdt_ptr]
	jmp 0x08:long_mode64

.no_long_mode:
	; SPEC: the CPU cannot run Sluice; say so on COM1 and stop.
	mov dx, COM1 + 3
	mov al, 0x80                ; DLAB
	out dx, al
	mov dx, COM1
	mov al, 1                   ; divisor 1: 115200
	out dx, al
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 3                   ; 8N1
	out dx, al
	mov esi, msg_no_lm
.putc:
	lodsb
	test al, al
	jz .halt32
	mov ah, al
	mov dx, COM1 + 5
.wait_thr:
	in al, dx
	test al, 0x20
	jz .wait_thr
	mov dx, COM1
	mov al, ah
	out dx, al
	jmp .putc
.halt32:
	cli
	hlt
	jmp .halt32

; Fills boot_pml4/pdpt/pd: identity map of BOOT_MAP_GIB GiB with 2 MiB pages.
build_tables32:
	mov eax, boot_pdpt
	or eax, 3                   ; P | RW
	mov [boot_pml4], eax
	mov edi, boot_pdpt
	mov eax, boot_pd
	or eax, 3
	mov ecx, BOOT_MAP_GIB
.pdpte:
	mov [edi], eax
	mov dword [edi + 4], 0
	add edi, 8
	add eax, 4096
	loop .pdpte
	; PDEs: entry i maps i * 2 MiB; the high dword carries bits 32+.
	mov edi, boot_pd
	xor eax, eax                ; low dword of the address
	xor edx, edx                ; high dword
	mov ecx, BOOT_MAP_GIB * 512
.pde:
	mov ebx, eax
	or ebx, 0x83                ; P | RW | PS
	mov [edi], ebx
	mov [edi + 4], edx
	add edi, 8
	add eax, 0x200000
	adc edx, 0
	loop .pde
	ret

bits 64
long_mode64:
	mov edi, [boot_mb2_magic]
	mov esi, [boot_mb2_info]
	extern kernel_mb2_entry
	mov rbx, kernel_mb2_entry
	; fall through

; Both paths end here on Sluice's GDT and page tables: flat data segments,
; the boot stack, then the C entry in RBX with RDI/RSI as its arguments.
enter_c64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp
	call rbx
halt64:
	cli
	hlt
	jmp halt64

; UEFI loader entry: RDI = struct boot_info * (loader memory).
global efi_start64
efi_start64:
	cli
	cld
	mov r12, rdi
	mov rdi, __bss_start
	mov rcx, __bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb
	; Same tables as the 32-bit path, written with 64-bit stores.
	lea rax, [boot_pdpt + 3]
	mov [boot_pml4], rax
	lea rdi, [boot_pdpt]
	lea rax, [boot_pd + 3]
	mov ecx, BOOT_MAP_GIB
.pdpte64:
	mov [rdi], rax
	add rdi, 8
	add rax, 4096
	loop .pdpte64
	lea rdi, [boot_pd]
	mov eax, 0x83
	mov ecx, BOOT_MAP_GIB * 512
.pde64:
	mov [rdi], rax
	add rdi, 8
	add rax, 0x200000
	loop .pde64
	; The firmware's tables and stack are in memory Sluice will reuse:
	; leave both before touching anything else.
	lea rax, [boot_pml4]
	mov cr3, rax
	mov rsp, boot_stack_top
	lgdt [gdt_ptr]
	mov rdi, r12
	extern kernel_efi_entry
	mov rbx, kernel_efi_entry
	push 0x08
	lea rax, [rel enter_c64]
	push rax
	retfq

section .rodata
msg_no_lm: db "sluice: FATAL: this CPU has no long mode (x86-64); Sluice cannot run", 13, 10
	db "sluice: result pass=0 fail=1", 13, 10, 0

section .note.GNU-stack noalloc noexec nowrite progbits
