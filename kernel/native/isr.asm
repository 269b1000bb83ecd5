; Entry stubs for all 256 vectors: a uniform struct trap_frame
; (kernel/fatal.h) on the stack, then exception_dispatch(frame).
; Spec: Intel SDM Vol. 3A section 6.12 "Exception and Interrupt Handling",
; 6.14.1 (64-bit mode: the CPU always pushes SS, RSP, RFLAGS, CS, RIP, then
; the error code of an exception that has one), 6.13 (which ones do).
;
; Vectors whose exceptions push an error code (8, 10-14, 17, 21, 29, 30) can
; also arrive as interrupts (a local APIC dispatches 16-255), which push
; none. The stub tells them apart from the frame: with no error code the
; word at [rsp + 8] is the interrupted CS, which in Sluice is always
; KERNEL_CS; with one it is RIP, a kernel address that never equals it.
; It then pushes the vector with FRAME_ERR set when the CPU pushed a code.

bits 64
section .text
extern exception_dispatch

%define KERNEL_CS       0x08            ; kernel/native/idt.c GDT_CODE
%define FRAME_ERR       0x100           ; kernel/native/idt.h TRAP_FRAME_ERR

%macro STUB 1
isr_%1:
%if (%1 = 8) || (%1 >= 10 && %1 <= 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
	cmp qword [rsp + 8], KERNEL_CS
	je .no_error_code
	push %1 | FRAME_ERR             ; the CPU pushed an error code: an exception
	jmp isr_common
.no_error_code:
	push 0
	push %1
	jmp isr_common
%else
	push 0
	push %1
	jmp isr_common
%endif
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	mov rbx, rsp
	and rsp, -16
	call exception_dispatch
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq

section .rodata
global isr_table
align 8
isr_table:
%assign v 0
%rep 256
	dq isr_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
