/*
 * Host tests for pci/edu.c against a fake edu (tests/unit/pci/fake_edu.h):
 * what opening the device checks and turns on, the register sequence and
 * direction bit of both transfer kinds, and the refusals (outside the
 * buffer, busy, a device that never finishes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "pci/edu.h"
#include "pci/pci_hw.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/hw/pci_cfg.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/unit/pci/fake_edu.h"

#define EDU_SBDF        PCI_SBDF(0, 0, 3, 0)
#define EDU_BAR         0xfe000000ULL
#define RAM             0x90000000ULL

static struct fake_edu *fe;
static struct pci_dev dev;
static struct edu e;
static u8 *ram;

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_pci_reset();
	fake_io_reset();
	fake_mem_reset();
	fake_edu_reset();
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	fe = fake_edu_add(EDU_SBDF, EDU_BAR);
	ram = fake_mem_add(RAM, 0x10000);
	memset(&dev, 0, sizeof(dev));
	dev.sbdf = EDU_SBDF;
	dev.vendor = EDU_VENDOR_ID;
	dev.device = EDU_DEVICE_ID;
	dev.bars[0] = (struct pci_bar){ .addr = EDU_BAR, .size = FAKE_EDU_BAR_SIZE, .type = PCI_BAR_MEM32 };
	memset(&e, 0, sizeof(e));
	return 0;
}

static void open_turns_on_memory_decoding_and_bus_mastering(void **state)
{
	(void)state;
	assert_int_equal(pci_cfg_read(EDU_SBDF, PCI_COMMAND, 2) & (PCI_COMMAND_MEM | PCI_COMMAND_MASTER), 0);
	assert_int_equal(edu_open(&e, &dev), 0);
	u32 cmd = pci_cfg_read(EDU_SBDF, PCI_COMMAND, 2);
	assert_true(cmd & PCI_COMMAND_MEM);
	assert_true(cmd & PCI_COMMAND_MASTER);
	assert_int_equal(e.version, 0x0100);
	assert_int_equal(e.sbdf, EDU_SBDF);
	/* The liveness register was exercised: one write to 0x04. */
	assert_int_equal(fake_io_writes_to(EDU_BAR, EDU_LIVENESS), 1);
}

/* Behind a root port: the port must forward the device's DMA upstream too. */
static void open_turns_on_bus_mastering_in_the_bridges_above(void **state)
{
	(void)state;
	struct fake_fn *port = fake_pci_add(PCI_SBDF(0, 0, 2, 0), 0x1b36, 0x000c, 0x060400, 1);
	struct pci_dev up = { .sbdf = port->sbdf, .kind = PCI_KIND_ROOT_PORT };
	dev.parent = &up;
	assert_int_equal(edu_open(&e, &dev), 0);
	assert_true(fake_pci_r16(port, PCI_COMMAND) & PCI_COMMAND_MASTER);
	assert_true(fake_pci_r16(port, PCI_COMMAND) & PCI_COMMAND_MEM);
	assert_true(pci_cfg_read(EDU_SBDF, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
}

static void open_refuses_what_is_not_a_working_edu(void **state)
{
	(void)state;
	struct pci_dev other = dev;
	other.device = 0x11e9;
	assert_int_equal(edu_open(&e, &other), -HV_ENODEV);
	other = dev;
	other.bars[0].size = 0;
	assert_int_equal(edu_open(&e, &other), -HV_ENODEV);
	other = dev;
	other.bars[0].type = PCI_BAR_IO;
	assert_int_equal(edu_open(&e, &other), -HV_ENODEV);
	/* BAR0 somewhere the MMIO door cannot map. */
	other = dev;
	other.bars[0].addr = 0xfd000000;
	assert_int_equal(edu_open(&e, &other), -HV_ENOMEM);
	/* Wrong magic in the ident register. */
	fake_io_set32(fe->r, EDU_IDENT, 0x01000000);
	assert_int_equal(edu_open(&e, &dev), -HV_ENODEV);
	/* Ident right, but the liveness register does not invert. */
	fake_io_set32(fe->r, EDU_IDENT, 0x010000ed);
	fe->dead_liveness = true;
	assert_int_equal(edu_open(&e, &dev), -HV_ENODEV);
	fe->dead_liveness = false;
	assert_int_equal(edu_open(&e, &dev), 0);
}

static void dma_read_programs_source_destination_count_then_run(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 0x80; i++)
		ram[0x1000 + i] = (u8)(0x40 + i);
	assert_int_equal(edu_open(&e, &dev), 0);
	fake_io_nr = 0;
	assert_int_equal(edu_dma_read(&e, RAM + 0x1000, 0x100, 0x80), 0);
	assert_int_equal(fake_io_nr, 4);
	assert_int_equal(fake_io_log[0].off, EDU_DMA_SRC);
	assert_int_equal(fake_io_log[0].val, RAM + 0x1000);
	assert_int_equal(fake_io_log[0].width, 8);
	assert_int_equal(fake_io_log[1].off, EDU_DMA_DST);
	assert_int_equal(fake_io_log[1].val, EDU_BUF_ADDR + 0x100);
	assert_int_equal(fake_io_log[2].off, EDU_DMA_COUNT);
	assert_int_equal(fake_io_log[2].val, 0x80);
	/* RUN last, and no direction bit: from the bus into the device. */
	assert_int_equal(fake_io_log[3].off, EDU_DMA_CMD);
	assert_int_equal(fake_io_log[3].val, EDU_DMA_CMD_RUN);
	assert_memory_equal(fe->buf + 0x100, ram + 0x1000, 0x80);
	assert_int_equal(fe->transfers, 1);
}

static void dma_write_sets_the_direction_bit_and_reaches_memory(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 0x80; i++)
		fe->buf[i] = (u8)(0xa0 ^ i);
	assert_int_equal(edu_open(&e, &dev), 0);
	fake_io_nr = 0;
	assert_int_equal(edu_dma_write(&e, 0, RAM + 0x2000, 0x80), 0);
	assert_int_equal(fake_io_log[0].val, EDU_BUF_ADDR);
	assert_int_equal(fake_io_log[1].val, RAM + 0x2000);
	assert_int_equal(fake_io_log[3].val, EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_BUS);
	assert_memory_equal(ram + 0x2000, fe->buf, 0x80);
	assert_int_equal(ram[0x2080], 0);
}

/* Without edu_open there is no bus mastering: the device's access goes nowhere. */
static void no_dma_reaches_memory_before_open(void **state)
{
	(void)state;
	memset(fe->buf, 0x77, 0x80);
	e.regs = io_map(EDU_BAR, FAKE_EDU_BAR_SIZE, "edu");
	assert_int_equal(edu_dma_write(&e, 0, RAM, 0x80), 0);
	assert_int_equal(ram[0], 0);
	assert_int_equal(fe->dropped, 1);
}

static void transfers_outside_the_buffer_are_refused_before_any_write(void **state)
{
	(void)state;
	assert_int_equal(edu_open(&e, &dev), 0);
	fake_io_nr = 0;
	assert_int_equal(edu_dma_write(&e, 0, RAM, 0), -HV_EINVAL);
	assert_int_equal(edu_dma_write(&e, 0xf81, RAM, 0x80), -HV_EINVAL);
	assert_int_equal(edu_dma_read(&e, RAM, EDU_BUF_SIZE, 1), -HV_EINVAL);
	assert_int_equal(edu_dma_read(&e, RAM, 0, EDU_BUF_SIZE + 1), -HV_EINVAL);
	assert_int_equal(fake_io_nr, 0);
	/* The last byte of the buffer is fine. */
	assert_int_equal(edu_dma_write(&e, 0xf80, RAM, 0x80), 0);
	struct edu closed = { 0 };
	assert_int_equal(edu_dma_write(&closed, 0, RAM, 0x80), -HV_EINVAL);
}

static void a_device_that_never_finishes_times_out_then_reads_busy(void **state)
{
	(void)state;
	assert_int_equal(edu_open(&e, &dev), 0);
	fe->stuck = true;
	fake_time_step_ns = 100000;
	assert_int_equal(edu_dma_write(&e, 0, RAM, 0x80), -HV_ETIMEDOUT);
	assert_true(fake_time_ns >= EDU_DMA_TIMEOUT_US * 1000ULL);
	/* RUN is still set: a new transfer is refused without touching the registers. */
	fake_io_nr = 0;
	assert_int_equal(edu_dma_read(&e, RAM, 0, 0x80), -HV_EBUSY);
	assert_int_equal(fake_io_nr, 0);
	assert_int_equal(fe->transfers, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(open_turns_on_memory_decoding_and_bus_mastering, setup),
		cmocka_unit_test_setup(open_turns_on_bus_mastering_in_the_bridges_above, setup),
		cmocka_unit_test_setup(open_refuses_what_is_not_a_working_edu, setup),
		cmocka_unit_test_setup(dma_read_programs_source_destination_count_then_run, setup),
		cmocka_unit_test_setup(dma_write_sets_the_direction_bit_and_reaches_memory, setup),
		cmocka_unit_test_setup(no_dma_reaches_memory_before_open, setup),
		cmocka_unit_test_setup(transfers_outside_the_buffer_are_refused_before_any_write, setup),
		cmocka_unit_test_setup(a_device_that_never_finishes_times_out_then_reads_busy, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
