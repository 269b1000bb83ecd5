# vm/cpu/insn.c: instruction lengths and MMIO MOV operands.
UNIT_TESTS += test_insn
test_insn_SRCS := tests/unit/vm/test_insn.c vm/cpu/insn.c kernel/lib.c
