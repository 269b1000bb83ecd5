/*
 * A fake QEMU edu device for host tests, built on tests/fakes/fake_io.h
 * (BAR0 registers with write hooks), fake_pci.h (config space) and
 * fake_mem.h (the memory it DMAs to). It behaves as hw/misc/edu.c: ident
 * 0x010000ed, the liveness register inverts, register writes are ignored
 * while RUN is set, a command write without RUN is ignored, and no DMA
 * reaches memory unless Bus Master Enable is set. The transfer runs at
 * once when RUN is written (QEMU runs it 100 ms later) and RUN clears,
 * unless the device is "stuck". Bus addresses go through fake_edu_iommu
 * when it is set (a test's IOMMU), else straight to physical memory.
 */
#ifndef TESTS_UNIT_PCI_FAKE_EDU_H
#define TESTS_UNIT_PCI_FAKE_EDU_H
#include <string.h>
#include "tests/fakes/fake_io.h"
#include "tests/fakes/fake_pci.h"
#include "kernel/hw/mem.h"
#include "pci/edu.h"
#include "pci/pci_hw.h"

#define FAKE_EDU_MAX            4
#define FAKE_EDU_BAR_SIZE       0x100000

struct fake_edu {
	u32 sbdf;
	u64 bar;
	struct io_region *r;
	struct fake_fn *f;
	u8 buf[EDU_BUF_SIZE];
	bool stuck;             /* RUN never clears */
	bool dead_liveness;     /* the liveness register keeps what it holds */
	unsigned transfers;     /* transfers started */
	unsigned dropped;       /* accesses the IOMMU (or a clear BME) stopped */
};

/*
 * The test's IOMMU, when set: translates [bus, bus+len) for sbdf into *hpa
 * or returns false (the access is dropped, as QEMU drops a faulting one).
 */
static bool (*fake_edu_iommu)(u32 sbdf, u64 bus, u32 len, bool write, u64 *hpa);
static struct fake_edu fake_edus[FAKE_EDU_MAX];
static unsigned fake_edu_nr;

static void fake_edu_reset(void)
{
	memset(fake_edus, 0, sizeof(fake_edus));
	fake_edu_nr = 0;
	fake_edu_iommu = NULL;
}

/* One memory access of the engine: through the IOMMU, into fake memory. */
static void fake_edu_access(struct fake_edu *e, u64 bus, u8 *data, u32 len, bool write)
{
	u64 hpa = bus;
	u16 cmd = fake_pci_r16(e->f, PCI_COMMAND);

	if (!(cmd & PCI_COMMAND_MASTER) || (fake_edu_iommu && !fake_edu_iommu(e->sbdf, bus, len, write, &hpa))) {
		e->dropped++;
		return;
	}
	u8 *p = phys_to_virt(hpa, len);
	if (!p) {
		e->dropped++;
		return;
	}
	if (write)
		memcpy(p, data, len);
	else
		memcpy(data, p, len);
}

static void fake_edu_dma_reg(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	(void)ctx;
	if (width != 8 || (fake_io_get64(r, EDU_DMA_CMD) & EDU_DMA_CMD_RUN))
		return;
	fake_io_set64(r, off, val);
}

static void fake_edu_cmd(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_edu *e = ctx;
	(void)off;
	if (width != 8 || !(val & EDU_DMA_CMD_RUN) || (fake_io_get64(r, EDU_DMA_CMD) & EDU_DMA_CMD_RUN))
		return;
	fake_io_set64(r, EDU_DMA_CMD, val);
	e->transfers++;
	u64 src = fake_io_get64(r, EDU_DMA_SRC), dst = fake_io_get64(r, EDU_DMA_DST);
	u64 cnt = fake_io_get64(r, EDU_DMA_COUNT);
	if (val & EDU_DMA_CMD_TO_BUS) {
		if (src >= EDU_BUF_ADDR && cnt <= EDU_BUF_SIZE && src - EDU_BUF_ADDR <= EDU_BUF_SIZE - cnt)
			fake_edu_access(e, dst, e->buf + (src - EDU_BUF_ADDR), (u32)cnt, true);
	} else {
		if (dst >= EDU_BUF_ADDR && cnt <= EDU_BUF_SIZE && dst - EDU_BUF_ADDR <= EDU_BUF_SIZE - cnt)
			fake_edu_access(e, src, e->buf + (dst - EDU_BUF_ADDR), (u32)cnt, false);
	}
	if (!e->stuck)
		fake_io_set64(r, EDU_DMA_CMD, val & ~EDU_DMA_CMD_RUN);
}

static void fake_edu_liveness(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	const struct fake_edu *e = ctx;
	if (width == 4 && !e->dead_liveness)
		fake_io_set32(r, off, ~(u32)val);
}

static void fake_edu_read_only(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	(void)r; (void)off; (void)val; (void)width; (void)ctx;
}

/* An edu at sbdf with a 32-bit BAR0 at bar; config space writable for Command. */
static struct fake_edu *fake_edu_add(u32 sbdf, u64 bar)
{
	struct fake_edu *e = &fake_edus[fake_edu_nr++];

	memset(e, 0, sizeof(*e));
	e->sbdf = sbdf;
	e->bar = bar;
	e->f = fake_pci_add(sbdf, EDU_VENDOR_ID, EDU_DEVICE_ID, 0xff0000, 0);
	fake_pci_set_bar(e->f, 0, bar, FAKE_EDU_BAR_SIZE, 0);
	e->r = fake_io_add(bar, FAKE_EDU_BAR_SIZE);
	fake_io_set32(e->r, EDU_IDENT, 0x010000ed);
	fake_io_on_write(e->r, EDU_IDENT, fake_edu_read_only, NULL);
	fake_io_on_write(e->r, EDU_LIVENESS, fake_edu_liveness, e);
	fake_io_on_write(e->r, EDU_DMA_SRC, fake_edu_dma_reg, NULL);
	fake_io_on_write(e->r, EDU_DMA_DST, fake_edu_dma_reg, NULL);
	fake_io_on_write(e->r, EDU_DMA_COUNT, fake_edu_dma_reg, NULL);
	fake_io_on_write(e->r, EDU_DMA_CMD, fake_edu_cmd, e);
	return e;
}

#endif
