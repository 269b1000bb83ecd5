; vmx_hw_run(regs, launched): see kernel/hw/vmx.h.
; struct guest_regs (vm/cpu/virt.h): rax rbx rcx rdx rsi rdi rbp r8..r15, 8 bytes each.
; Spec: Intel SDM Vol. 3C 31.3 (VMLAUNCH/VMRESUME, VMWRITE), 28.5 "Loading Host
; State" (RSP and RIP from the host-state area; RFLAGS cleared but for bit 1).

bits 64
section .text

%include "kernel/native/guest_regs.inc"

%define VMCS_HOST_RSP   0x6c14
%define VMCS_HOST_RIP   0x6c16

global vmx_hw_run
vmx_hw_run:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	pushfq                          ; the host's IF, back after the exit
	cli                             ; nothing may run between HOST_RSP and the entry
	push rdi                        ; [rsp]: regs; HOST_RSP points here
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail
	lea rdx, [rel .exit]
	mov rax, VMCS_HOST_RIP
	vmwrite rax, rdx
	jbe .fail
	test sil, sil                   ; ZF: VMLAUNCH (a bool: 8 bits); the movs below keep the flags
	mov rax, rdi
	GUEST_REGS_LOAD rax
	mov rax, [rax + R_RAX]
	jnz .resume
	vmlaunch
	jmp .fail                       ; only when VMLAUNCH failed (CF or ZF says how)
.resume:
	vmresume
.fail:
	mov eax, 2                      ; VMX_FAIL_VALID (ZF); mov keeps the flags
	jnc .out
	mov eax, 1                      ; VMX_FAIL_INVALID (CF)
	jmp .out
.exit:
	; VM exit: RSP is HOST_RSP ([rsp] = regs), the general registers are the guest's.
	push rax
	mov rax, [rsp + 8]
	GUEST_REGS_SAVE rax
	pop qword [rax + R_RAX]
	xor eax, eax                    ; VMX_OK
.out:
	add rsp, 8
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
