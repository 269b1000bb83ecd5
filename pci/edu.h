/*
 * QEMU's `edu` teaching device (1234:11e8): a DMA engine Sluice drives
 * itself to show where device writes land, with and without the IOMMU.
 * Spec: QEMU docs/specs/edu.rst and hw/misc/edu.c (the model is the spec).
 * The engine copies between a 4 KiB buffer inside the device (device
 * addresses 0x40000-0x40fff) and a bus address, which goes through the
 * IOMMU when there is one. Not driven: the factorial unit and interrupts.
 */
#ifndef PCI_EDU_H
#define PCI_EDU_H
#include "kernel/types.h"
#include "kernel/hw/io.h"
#include "pci/pci.h"

#define EDU_VENDOR_ID           0x1234
#define EDU_DEVICE_ID           0x11e8

/* BAR0 registers (1 MiB of MMIO). Below 0x80 only 32-bit accesses work. */
#define EDU_IDENT               0x00    /* 32 bit, RO: 0xRRrr00ed, version RR.rr */
#define  EDU_IDENT_MAGIC        GENMASK_ULL(7, 0)
#define  EDU_IDENT_MAGIC_VAL    0xed
#define EDU_LIVENESS            0x04    /* 32 bit, RW: reads back the inverse of what was written */
#define EDU_DMA_SRC             0x80    /* 64 bit, RW: source address */
#define EDU_DMA_DST             0x88    /* 64 bit, RW: destination address */
#define EDU_DMA_COUNT           0x90    /* 64 bit, RW: bytes */
#define EDU_DMA_CMD             0x98    /* 64 bit, RW; writes ignored while RUN is set */
#define  EDU_DMA_CMD_RUN        BIT_ULL(0)      /* start; the device clears it when done */
#define  EDU_DMA_CMD_TO_BUS     BIT_ULL(1)      /* 1: buffer -> bus address (a DMA write) */
#define  EDU_DMA_CMD_IRQ        BIT_ULL(2)      /* raise DMA interrupt when done */
#define EDU_BUF_ADDR            0x40000 /* the buffer, in the device's own addresses */
#define EDU_BUF_SIZE            0x1000

/* The device's DMA timer fires 100 ms after RUN; allow for a loaded host. */
#define EDU_DMA_TIMEOUT_US      2000000

struct edu {
	u32 sbdf;
	u32 version;            /* ident >> 16: 0x0100 is 1.0 */
	struct io_region *regs;
};

/* True for an edu function. */
bool edu_match(const struct pci_dev *d);
/*
 * Maps BAR0, checks the ident magic and the liveness register, and turns
 * on memory decoding and bus mastering in the Command register.
 * Returns 0, -HV_ENODEV (not an edu, no BAR0, no answer) or -HV_ENOMEM
 * (BAR0 cannot be mapped).
 */
int edu_open(struct edu *e, const struct pci_dev *d);
/*
 * DMA read: the device reads len bytes at bus address bus_src into its
 * buffer at offset buf_off. Returns 0 when the engine reports done,
 * -HV_EINVAL (outside the buffer, len 0), -HV_EBUSY (a transfer is
 * running) or -HV_ETIMEDOUT. A blocked (faulting) transfer still completes
 * from the device's point of view: the IOMMU reports it, not the device.
 */
int edu_dma_read(struct edu *e, u64 bus_src, u32 buf_off, u32 len);
/* DMA write: len bytes of the buffer at buf_off to bus address bus_dst. As above. */
int edu_dma_write(struct edu *e, u32 buf_off, u64 bus_dst, u32 len);

#endif
