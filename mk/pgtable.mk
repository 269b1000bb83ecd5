# The one page-table builder (NPT, EPT, VT-d second stage, guest tables).
CORE_SRCS += kernel/pgtable.c kernel/page_zero.c
