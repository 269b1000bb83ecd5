/*
 * The guests' edu driver (QEMU docs/specs/edu.rst, as pci/edu.h reads it
 * for Sluice): find the partition's edu in its config space, turn on memory
 * space and bus mastering, run one DMA and poll for its end. QEMU starts a
 * transfer 100 ms after RUN (a timer), so one DMA takes about 100 ms.
 */
#ifndef GUESTS_LIB_EDU_H
#define GUESTS_LIB_EDU_H
#include "tests/guests/lib/guest.h"

#define EDU_VENDOR_ID           0x1234
#define EDU_DEVICE_ID           0x11e8
/* BAR0 registers, 64-bit from 0x80 on. */
#define EDU_DMA_SRC             0x80
#define EDU_DMA_DST             0x88
#define EDU_DMA_COUNT           0x90
#define EDU_DMA_CMD             0x98
#define  EDU_DMA_CMD_RUN        0x1     /* start; the device clears it when done */
#define  EDU_DMA_CMD_TO_BUS     0x2     /* 1: buffer -> bus address (a DMA write) */
#define EDU_BUF_ADDR            0x40000 /* the device's 4 KiB buffer, in its own addresses */
#define EDU_BUF_SIZE            0x1000

#define EDU_POLL_MAX    50000000u       /* polls of the command register per DMA */

/* Finds the edu, enables it; 0 and its BAR0 in *bar0 (and bdf), or -1 after a FAILED verdict. */
int guest_edu_open(uint32_t *bdf, volatile uint8_t **bar0);
/* One DMA of len bytes (cmd: 0 or EDU_DMA_CMD_TO_BUS); false if RUN never cleared. */
bool guest_edu_run(volatile uint8_t *bar0, uint64_t src, uint64_t dst, uint64_t len, uint64_t cmd);
/* The first 2 MiB-aligned GPA past all of the partition's memory. */
uint64_t guest_edu_outside(const struct sluice_start_info *si);

#endif
