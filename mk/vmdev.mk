# Exit emulation pieces: instruction decoder, guest page walk, virtual UART, virtual PCI config space.
CORE_SRCS += vm/insn.c
CORE_SRCS += vm/gwalk.c
CORE_SRCS += vm/vuart.c
CORE_SRCS += vm/vpci.c
