/*
 * QEMU's edu device: just enough to make it DMA (pci/edu.h). The model
 * (hw/misc/edu.c) starts a transfer on a 100 ms timer after RUN is
 * written, masks bus addresses with its dma_mask property (28 bits unless
 * the command line says otherwise) and issues the access through the
 * device's bus-master address space, so the IOMMU translates it. A
 * transfer the IOMMU blocks still ends with RUN clear.
 */
#define LOG_SUBSYS "edu"
#include "pci/edu.h"
#include "pci/pci_hw.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/wait.h"
#include "kernel/hw/pci_cfg.h"


bool edu_match(const struct pci_dev *d)
{
	return d->vendor == EDU_VENDOR_ID && d->device == EDU_DEVICE_ID;
}

int edu_open(struct edu *e, const struct pci_dev *d)
{
	const struct pci_bar *bar = &d->bars[0];

	e->sbdf = d->sbdf;
	e->regs = NULL;
	if (!edu_match(d) || !bar->size || bar->type == PCI_BAR_IO || bar->type == PCI_BAR_NONE)
		return -HV_ENODEV;
	e->regs = io_map(bar->addr, bar->size, "edu");
	if (!e->regs)
		return -HV_ENOMEM;
	/*
	 * Decoding first: the ident read below goes through BAR0. A bridge
	 * forwards a device's requests upstream only with its own Bus Master
	 * Enable set, so every bridge on the way to the root gets it too.
	 */
	for (const struct pci_dev *p = d; p; p = p->parent) {
		u16 cmd = (u16)pci_cfg_read(p->sbdf, PCI_COMMAND, 2);
		pci_cfg_write(p->sbdf, PCI_COMMAND, 2, cmd | (u16)(PCI_COMMAND_MEM | PCI_COMMAND_MASTER));
	}
	u32 ident = io_read32(e->regs, EDU_IDENT);
	if (FIELD_GET(EDU_IDENT_MAGIC, ident) != EDU_IDENT_MAGIC_VAL)
		return -HV_ENODEV;
	/* The liveness register answers with the inverse: the registers are really there. */
	io_write32(e->regs, EDU_LIVENESS, 0x5a5aa5a5);
	if (io_read32(e->regs, EDU_LIVENESS) != ~0x5a5aa5a5u)
		return -HV_ENODEV;
	e->version = ident >> 16;
	log_dbg(BDF_FMT ": edu %u.%u, BAR0 0x%016llx, bus mastering on", BDF_ARGS(d->sbdf),
		e->version >> 8, e->version & 0xff, (unsigned long long)bar->addr);
	return 0;
}

static bool dma_done(void *arg)
{
	const struct edu *e = arg;
	return !(io_read64(e->regs, EDU_DMA_CMD) & EDU_DMA_CMD_RUN);
}

/* Programs one transfer and waits for RUN to clear. */
static int dma(struct edu *e, u64 src, u64 dst, u32 len, u32 buf_off, u64 cmd)
{
	if (!e->regs || !len || buf_off >= EDU_BUF_SIZE || len > EDU_BUF_SIZE - buf_off)
		return -HV_EINVAL;
	/* The device ignores register writes while a transfer runs. */
	if (!dma_done(e))
		return -HV_EBUSY;
	io_write64(e->regs, EDU_DMA_SRC, src);
	io_write64(e->regs, EDU_DMA_DST, dst);
	io_write64(e->regs, EDU_DMA_COUNT, len);
	io_write64(e->regs, EDU_DMA_CMD, cmd | EDU_DMA_CMD_RUN);
	return wait_until(dma_done, e, EDU_DMA_TIMEOUT_US);
}

int edu_dma_read(struct edu *e, u64 bus_src, u32 buf_off, u32 len)
{
	return dma(e, bus_src, EDU_BUF_ADDR + buf_off, len, buf_off, 0);
}

int edu_dma_write(struct edu *e, u32 buf_off, u64 bus_dst, u32 len)
{
	return dma(e, EDU_BUF_ADDR + buf_off, bus_dst, len, buf_off, EDU_DMA_CMD_TO_BUS);
}
