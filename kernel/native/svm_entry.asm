; svm_hw_run(vmcb_pa, host_save_pa, regs): see kernel/hw/svm.h.
; struct guest_regs (vm/cpu/virt.h): rax rbx rcx rdx rsi rdi rbp r8..r15, 8 bytes each.
; Spec: AMD APM Vol. 2 sections 15.5 (VMRUN), 15.5.2 (VMSAVE/VMLOAD), 15.17 (GIF).
; VMRUN, VMLOAD and VMSAVE take the physical address in RAX.

bits 64
section .text

%include "kernel/native/guest_regs.inc"

global svm_hw_run
svm_hw_run:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	pushfq                          ; the caller's IF, restored on the way out
	push rsi                        ; [rsp + 16]: host save area
	push rdx                        ; [rsp + 8]: regs
	push rdi                        ; [rsp]: vmcb
	clgi
	; GIF=0 holds interrupts off until VMRUN. With V_INTR_MASKING the host's
	; IF at VMRUN decides whether a physical interrupt ends the guest (APM
	; 15.21.1): set, so one that came while the caller had IF clear (its
	; last timer check) makes the guest exit at once instead of being lost.
	sti
	mov rax, rsi
	vmsave
	mov rax, rdi
	vmload
	mov rax, rdx
	GUEST_REGS_LOAD rax
	mov rax, [rsp]
	vmrun
	; #VMEXIT: RSP and RAX are the host's again (RAX = vmcb), the rest is the guest's.
	mov rax, [rsp + 8]
	GUEST_REGS_SAVE rax
	mov rax, [rsp]
	vmsave
	mov rax, [rsp + 16]
	vmload
	cli                             ; a pending interrupt waits for the caller's IF
	stgi
	add rsp, 24
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
