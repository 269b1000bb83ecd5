; svm_hw_run(vmcb_pa, host_save_pa, regs): see kernel/hw/svm.h.
; struct guest_regs (vm/cpu/virt.h): rax rbx rcx rdx rsi rdi rbp r8..r15, 8 bytes each.
; Spec: AMD APM Vol. 2 sections 15.5 (VMRUN), 15.5.2 (VMSAVE/VMLOAD), 15.17 (GIF).
; VMRUN, VMLOAD and VMSAVE take the physical address in RAX.

bits 64
section .text

%define R_RBX   8
%define R_RCX   16
%define R_RDX   24
%define R_RSI   32
%define R_RDI   40
%define R_RBP   48
%define R_R8    56
%define R_R9    64
%define R_R10   72
%define R_R11   80
%define R_R12   88
%define R_R13   96
%define R_R14   104
%define R_R15   112

global svm_hw_run
svm_hw_run:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rsi                        ; [rsp + 16]: host save area
	push rdx                        ; [rsp + 8]: regs
	push rdi                        ; [rsp]: vmcb
	clgi
	mov rax, rsi
	vmsave
	mov rax, rdi
	vmload
	mov rax, rdx
	mov rbx, [rax + R_RBX]
	mov rcx, [rax + R_RCX]
	mov rdx, [rax + R_RDX]
	mov rsi, [rax + R_RSI]
	mov rdi, [rax + R_RDI]
	mov rbp, [rax + R_RBP]
	mov r8,  [rax + R_R8]
	mov r9,  [rax + R_R9]
	mov r10, [rax + R_R10]
	mov r11, [rax + R_R11]
	mov r12, [rax + R_R12]
	mov r13, [rax + R_R13]
	mov r14, [rax + R_R14]
	mov r15, [rax + R_R15]
	mov rax, [rsp]
	vmrun
	; #VMEXIT: RSP and RAX are the host's again (RAX = vmcb), the rest is the guest's.
	mov rax, [rsp + 8]
	mov [rax + R_RBX], rbx
	mov [rax + R_RCX], rcx
	mov [rax + R_RDX], rdx
	mov [rax + R_RSI], rsi
	mov [rax + R_RDI], rdi
	mov [rax + R_RBP], rbp
	mov [rax + R_R8],  r8
	mov [rax + R_R9],  r9
	mov [rax + R_R10], r10
	mov [rax + R_R11], r11
	mov [rax + R_R12], r12
	mov [rax + R_R13], r13
	mov [rax + R_R14], r14
	mov [rax + R_R15], r15
	mov rax, [rsp]
	vmsave
	mov rax, [rsp + 16]
	vmload
	stgi
	add rsp, 24
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
