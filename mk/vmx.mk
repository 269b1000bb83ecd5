# The Intel VMX back end: capability MSRs to controls, exit decoding, the ops (VMXON, VMCS, EPT, run).
CORE_SRCS += vm/cpu/vmx_caps.c vm/cpu/vmx_exit.c
