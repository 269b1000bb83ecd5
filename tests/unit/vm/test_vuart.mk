# vm/dev/vuart.c: the virtual 16550's registers and its line-buffered output.
UNIT_TESTS += test_vuart
test_vuart_SRCS := tests/unit/vm/test_vuart.c vm/dev/vuart.c
