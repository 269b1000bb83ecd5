# Exit emulation pieces: instruction decoder, guest page walk, virtual UART, virtual PCI config space, guest local APIC, legacy PIC and PIT, fw_cfg.
CORE_SRCS += vm/cpu/insn.c
CORE_SRCS += vm/cpu/gwalk.c
CORE_SRCS += vm/dev/vuart.c
CORE_SRCS += vm/dev/vlapic.c
CORE_SRCS += vm/dev/vpic.c
CORE_SRCS += vm/dev/vpit.c
CORE_SRCS += vm/dev/vrtc.c
CORE_SRCS += vm/dev/vpci.c
CORE_SRCS += vm/dev/vpci_msi.c
CORE_SRCS += vm/dev/vpci_msix.c
CORE_SRCS += vm/dev/fwcfg.c
