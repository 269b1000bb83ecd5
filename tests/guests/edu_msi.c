/*
 * edu-msi: a guest that takes its edu's interrupts as MSIs. It finds the
 * MSI capability in its config space (PCI Local Bus 3.0 §6.8.1), programs
 * a compatibility-format message (Intel SDM Vol. 3A 11.11: fixed, edge,
 * vector EDU_MSI_VECTOR to its own APIC ID) and enables it, then runs
 * EDU_MSI_DMAS DMAs with "raise an interrupt when done" (QEMU
 * docs/specs/edu.rst: command 0x04, status bit 0x100), acknowledging each,
 * and turns MSI off. Its local APIC (x2APIC mode, software-enabled) and
 * an IDT gate on EDU_MSI_VECTOR count the interrupts Sluice raises. With args "hold N" it keeps MSI on for N * 10^9 TSC
 * ticks first (N seconds on a 1 GHz TSC), the victim of attack-msi, whose
 * entry another partition's device tries to use meanwhile. What the guest can check alone: its writes read back
 * from the (virtual) capability, and the device signalled each DMA's end.
 * Sluice's log says on which host vector each interrupt came and that the
 * guest vector was raised; the scenario reads it.
 */
#include "tests/guests/lib/edu.h"
#include "tests/guests/lib/irq.h"

const char guest_name[] = "edu-msi";

#define PCI_STATUS              0x06
#define  PCI_STATUS_CAP_LIST    0x10
#define PCI_CAP_PTR             0x34
#define PCI_CAP_ID_MSI          0x05
#define MSI_CTRL                2               /* Message Control */
#define  MSI_CTRL_EN            0x1
#define  MSI_CTRL_64            0x80
#define MSI_ADDR                4
#define MSI_ADDR_HI             8
#define MSI_DATA(c)             ((c) & MSI_CTRL_64 ? 12u : 8u)
#define EDU_MSI_VECTOR          0x41
#define EDU_MSI_DMAS            3
#define EDU_IRQ_STATUS          0x24
#define EDU_IRQ_ACK             0x64
#define EDU_IRQ_DMA             0x100
#define EDU_DMA_CMD_IRQ         0x4
#define IRQ_WAIT_POLLS          200000000u

static uint8_t staged[EDU_BUF_SIZE] __attribute__((aligned(4096)));
static volatile uint32_t irqs;

static void msi_irq(void)
{
	irqs++;
	guest_x2apic_eoi();
}

/* N from args "hold N", else 0. */
static uint64_t hold_seconds(const char *a)
{
	static const char w[] = "hold ";
	uint64_t n = 0;
	for (unsigned i = 0; i < sizeof(w) - 1; i++)
		if (a[i] != w[i])
			return 0;
	for (a += sizeof(w) - 1; *a >= '0' && *a <= '9'; a++)
		n = n * 10 + (uint64_t)(*a - '0');
	return n;
}

/* The MSI capability's offset, or 0. */
static uint32_t find_msi(uint32_t bdf)
{
	if (!(pci_read(bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (uint32_t p = pci_read(bdf, PCI_CAP_PTR, 1) & 0xfc, n = 0; p && n < 48; n++) {
		uint32_t hdr = pci_read(bdf, p, 2);
		if ((hdr & 0xff) == PCI_CAP_ID_MSI)
			return p;
		p = (hdr >> 8) & 0xfc;
	}
	return 0;
}

int guest_main(const struct sluice_start_info *si)
{
	volatile uint8_t *bar0;
	uint32_t bdf;

	if (guest_edu_open(&bdf, &bar0))
		return 1;
	uint32_t cap = find_msi(bdf);
	if (!verdict(cap != 0, "edu " BDF_FMT " shows an MSI capability", BDF_ARGS(bdf)))
		return 1;
	uint32_t ctrl = pci_read(bdf, cap + MSI_CTRL, 2);
	uint32_t addr = 0xfee00000u | si->cpus[0] << 12;        /* its own APIC ID as destination */
	pci_write(bdf, cap + MSI_ADDR, 4, addr);
	if (ctrl & MSI_CTRL_64)
		pci_write(bdf, cap + MSI_ADDR_HI, 4, 0);
	pci_write(bdf, cap + MSI_DATA(ctrl), 2, EDU_MSI_VECTOR);
	pci_write(bdf, cap + MSI_CTRL, 2, ctrl | MSI_CTRL_EN);
	uint32_t back = pci_read(bdf, cap + MSI_ADDR, 4), en = pci_read(bdf, cap + MSI_CTRL, 2) & MSI_CTRL_EN;
	verdict(back == addr && en, "MSI at 0x%02x: address 0x%08x, data 0x%04x, enabled (reads back 0x%08x, enable %u)",
		cap, addr, EDU_MSI_VECTOR, back, en);

	guest_irq_handler(EDU_MSI_VECTOR, msi_irq);
	guest_x2apic_on();
	__asm__ volatile("sti" ::: "memory");
	volatile uint32_t *r32 = (volatile uint32_t *)bar0;
	uint32_t signalled = 0, taken = 0;
	for (uint32_t i = 0; i < EDU_MSI_DMAS; i++) {
		memset(staged, (int)i, sizeof(staged));
		if (!guest_edu_run(bar0, (uint64_t)(uintptr_t)staged, EDU_BUF_ADDR, EDU_BUF_SIZE, EDU_DMA_CMD_IRQ))
			break;
		uint32_t st = 0;
		for (uint32_t k = 0; k < IRQ_WAIT_POLLS && !(st & EDU_IRQ_DMA); k++)
			st = r32[EDU_IRQ_STATUS / 4];
		if (!(st & EDU_IRQ_DMA))
			break;
		for (uint32_t k = 0; k < IRQ_WAIT_POLLS && irqs <= i; k++)
			__asm__ volatile("pause");
		taken += irqs == i + 1;
		r32[EDU_IRQ_ACK / 4] = EDU_IRQ_DMA;
		signalled++;
	}
	verdict(signalled == EDU_MSI_DMAS, "edu signalled the end of %u of %u DMAs (status 0x100), each acknowledged",
		signalled, EDU_MSI_DMAS);
	verdict(taken == EDU_MSI_DMAS && irqs == EDU_MSI_DMAS, "took %u interrupt(s) on vector 0x%02x, one after each of %u DMAs",
		irqs, EDU_MSI_VECTOR, taken);
	uint64_t hold = hold_seconds(si->args);
	if (hold) {
		gprintf("edu-msi: MSI stays on for %llu s\n", (unsigned long long)hold);
		for (uint64_t t0 = rdtsc(); rdtsc() - t0 < hold * 1000000000ULL;)
			;
	}
	pci_write(bdf, cap + MSI_CTRL, 2, ctrl & ~MSI_CTRL_EN);
	return 0;
}
