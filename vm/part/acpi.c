/*
 * A partition's ACPI: its firmware tables laid into its own memory
 * (vm/part/acpi_tables.h: its vCPUs, its virtual ECAM, its functions'
 * memory BARs as host bridge windows) with code at the reset vector (a
 * kernel that jumps back to its BIOS to reboot resets through port
 * 0xcf9), and the power ports those tables name, acted on at its I/O
 * exits once it has them (p->acpi): S5 and the resets end it as exited,
 * anything else written there is a logged, counted no-op.
 * docs/architecture.md "What a Linux partition finds".
 */
#include "vm/part/partition.h"
#include "vm/part/acpi_tables.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "pci/pci.h"

/* Power-port writes that asked for nothing, logged per partition (all counted). */
#define ACPI_LOG_IGNORED        4

/*
 * The memory BARs of p's functions (GPA = HPA), sorted, those that touch
 * or overlap merged, into w. Returns how many, or -HV_ERANGE when more
 * than max.
 */
static int bar_windows(const struct partition *p, struct acpi_window *w, u32 max)
{
	struct acpi_window all[PART_MAX_DEVICES * PCI_NR_BARS];
	u32 n = 0, out = 0;

	for (u32 i = 0; i < p->cfg->nr_devices; i++) {
		const struct pci_dev *pd = pci_find(p->cfg->devices[i].sbdf);
		for (u32 b = 0; pd && b < PCI_NR_BARS; b++) {
			const struct pci_bar *bar = &pd->bars[b];
			if ((bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64) || !bar->size)
				continue;
			u32 j = n++;
			for (; j > 0 && all[j - 1].base > bar->addr; j--)
				all[j] = all[j - 1];
			all[j] = (struct acpi_window){ bar->addr, bar->size };
		}
	}
	for (u32 i = 0; i < n; i++) {
		if (out && all[i].base <= w[out - 1].base + w[out - 1].size) {
			u64 end = MAX(w[out - 1].base + w[out - 1].size, all[i].base + all[i].size);
			w[out - 1].size = end - w[out - 1].base;
			continue;
		}
		if (out == max)
			return -HV_ERANGE;
		w[out++] = all[i];
	}
	return (int)out;
}

/*
 * An I/O BAR of p's functions is passed through (vm/part/partition.c
 * io_policy): one that holds a power port would take the guest's accesses
 * to it without an exit. Returns 0, or -HV_EBUSY (logged).
 */
static int power_ports_free(const struct partition *p)
{
	static const u16 ports[] = { ACPI_GUEST_SLEEP_CONTROL_PORT, ACPI_GUEST_SLEEP_STATUS_PORT, ACPI_GUEST_RESET_PORT,
				     ACPI_GUEST_KBC_PORT };

	for (u32 i = 0; i < p->cfg->nr_devices; i++) {
		const struct pci_dev *pd = pci_find(p->cfg->devices[i].sbdf);
		for (u32 b = 0; pd && b < PCI_NR_BARS; b++) {
			const struct pci_bar *bar = &pd->bars[b];
			for (u32 k = 0; bar->type == PCI_BAR_IO && k < ARRAY_SIZE(ports); k++) {
				if (ports[k] < bar->addr || ports[k] >= bar->addr + bar->size)
					continue;
				log_write(LOG_ERR, p->cfg->name, "ACPI tables: device " BDF_FMT " BAR%u (ports 0x%04llx-0x%04llx) holds power port 0x%04x",
					  BDF_ARGS(pd->sbdf), b, (unsigned long long)bar->addr,
					  (unsigned long long)(bar->addr + bar->size - 1), ports[k]);
				return -HV_EBUSY;
			}
		}
	}
	return 0;
}

int partition_acpi_load(struct partition *p, u64 gpa, u32 len, u64 *rsdp_gpa)
{
	const struct partition_cfg *d = p->cfg;
	u32 ids[PART_MAX_CPUS];
	struct acpi_window w[ACPI_GUEST_MAX_WINDOWS];
	u32 used;

	int ret = power_ports_free(p);
	if (ret)
		return ret;
	for (u32 i = 0; i < d->nr_cpus; i++)
		ids[i] = i;             /* a vCPU's APIC ID is its index (vm/part/lapic.c) */
	int nr_w = bar_windows(p, w, ARRAY_SIZE(w));
	if (nr_w < 0) {
		log_write(LOG_ERR, d->name, "ACPI tables: its functions' BARs need more than %u host bridge windows",
			  (u32)ARRAY_SIZE(w));
		return nr_w;
	}
	/* Its virtual ECAM is the partition set's (vm/part/partition.c builds the view of it later). */
	u64 ecam = p->set ? p->set->ecam_gpa : 0;
	const struct acpi_guest g = {
		.nr_cpus = d->nr_cpus, .apic_ids = ids,
		.ecam_gpa = ecam, .bus_start = 0, .bus_end = ecam ? (u8)p->set->ecam_bus_end : 0,
		.nr_windows = ecam ? (u32)nr_w : 0, .windows = w,
	};
	void *buf = part_guest_ptr(d, gpa, len, true);
	ret = buf ? acpi_guest_build(&g, buf, gpa, len, rsdp_gpa, &used) : -HV_ERANGE;
	if (ret) {
		log_write(LOG_ERR, d->name, "ACPI tables at GPA 0x%016llx (%u bytes) not laid: %s", (unsigned long long)gpa,
			  len, buf ? hv_strerror(ret) : "not its writable memory");
		return ret;
	}
	p->acpi = true;
	/* The reset vector, when the partition has writable memory there (a Linux partition does: its first MiB). */
	u8 *vec = part_guest_ptr(d, ACPI_GUEST_RESET_VECTOR_GPA, ACPI_GUEST_RESET_VECTOR_SIZE, true);
	if (vec)
		acpi_guest_reset_vector(vec);
	log_write(LOG_INFO, d->name, "ACPI tables at GPA 0x%016llx (%u bytes): %u CPUs, MCFG %s buses 0x%02x-0x%02x, %u host bridge windows; power off at port 0x%04x, reset at port 0x%04x, %s",
		  (unsigned long long)*rsdp_gpa, used, g.nr_cpus, g.ecam_gpa ? "and host bridge for" : "none,", g.bus_start,
		  g.bus_end, g.nr_windows, ACPI_GUEST_SLEEP_CONTROL_PORT, ACPI_GUEST_RESET_PORT,
		  vec ? "reset vector at 0xffff0" : "no reset vector (0xffff0 is not its writable memory)");
	return 0;
}

int partition_acpi_io(struct partition *p, u16 port, u32 size, bool in, u32 *val)
{
	enum acpi_power a = acpi_power_port(port, size, in, *val);

	switch (a) {
	case ACPI_POWER_NONE:
		return -1;
	case ACPI_POWER_QUIET:
		if (in)
			*val = 0;
		return 0;
	case ACPI_POWER_IGNORED: {
		if (in)
			*val = 0;
		u64 n = ++p->acpi_ignored;
		if (n <= ACPI_LOG_IGNORED)
			log_write(LOG_WARN, p->cfg->name, "ACPI: %s of %u bytes at port 0x%04x (value 0x%x): no power action, ignored%s",
				  in ? "read" : "write", size, port, in ? 0 : *val,
				  n == ACPI_LOG_IGNORED ? " (further ones counted, not logged)" : "");
		return 0;
	}
	default:
		return partition_end(p, PART_EXITED, 0, acpi_power_name(a));
	}
}
