; Exception entry stubs for vectors 0-31: a uniform struct trap_frame
; (kernel/fatal.h) on the stack, then exception_dispatch(frame).
; Spec: Intel SDM Vol. 3A section 6.12 "Exception and Interrupt Handling".

bits 64
section .text
extern exception_dispatch

%macro STUB 1
isr_%1:
%if (%1 = 8) || (%1 >= 10 && %1 <= 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
	; the CPU pushed an error code
%else
	push 0
%endif
	push %1
	jmp isr_common
%endmacro

%assign v 0
%rep 32
STUB v
%assign v v + 1
%endrep

; External interrupts Sluice handles (kernel/native/idt.h): no error code.
global isr_irq_fault, isr_irq_spurious, isr_irq_wake
isr_irq_fault:
	push 0
	push 0x40
	jmp isr_common
isr_irq_spurious:
	push 0
	push 0xff
	jmp isr_common
isr_irq_wake:                   ; SMP_WAKE_VECTOR (kernel/smp.h)
	push 0
	push 0xf0
	jmp isr_common

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
%rep 32
	dq isr_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
