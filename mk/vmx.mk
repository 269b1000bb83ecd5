# The Intel VMX back end: capability MSRs to controls, exit decoding, the ops (VMXON, VMCS, EPT, run), and its doors.
CORE_SRCS += vm/cpu/vmx_caps.c vm/cpu/vmx_exit.c vm/cpu/vmx.c
NATIVE_SRCS += kernel/native/vmx.c
ASM_SRCS += kernel/native/vmx_entry.asm
