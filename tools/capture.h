/*
 * A capture of a real machine (tools/capture-server; layout in
 * docs/config.md, "Checking a server before booting Sluice") loaded for
 * tools/sluice-check: the config spaces behind the PCI config door (the
 * fake of tests/fakes/fake_pci.c, filled from the capture), the ACPI tables
 * placed in host memory behind a made-up RSDP so kernel/acpi.c reads them as
 * at boot, the firmware memory map and the CPU count and address width.
 */
#ifndef TOOLS_CAPTURE_H
#define TOOLS_CAPTURE_H
#include "kernel/types.h"
#include "kernel/boot_info.h"

#define CAPTURE_FORMAT          1
#define CAPTURE_MAX_VFS         2048
#define CAPTURE_MAX_RAM         48      /* usable ranges given host memory (fake_mem holds 64) */

struct capture {
	const char *dir;
	u32 nr_fns;                     /* functions loaded (VFs not counted) */
	u32 nr_vfs;                     /* VF config spaces kept for SR-IOV */
	u32 nr_mmap;
	u32 nr_ram;                     /* usable ranges backed by host memory */
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	u32 nr_cpus;                    /* Linux's count (/proc/cpuinfo) */
	u32 phys_bits;                  /* CPUID 0x80000008 EAX[7:0] as Linux shows it; 0: unknown */
	u64 rsdp_pa;                    /* the made-up RSDP (fake memory) */
	u32 rsdp_len;
	bool have_dmar, have_mcfg, have_madt;
};

/*
 * Reads dir into *c and the fakes. vf_bars_unassigned: the PFs' VF BAR
 * registers read 0, as firmware that does not place VF BARs leaves them
 * (the capture holds the addresses Linux gave them). Returns 0, or -1
 * after one line on stderr naming the file and the problem (exit status 2
 * for the caller).
 */
int capture_load(const char *dir, struct capture *c, bool vf_bars_unassigned);

/*
 * A whole file (at most 1 MiB), NUL-terminated, malloc'd; NULL when it
 * cannot be read (with one line on stderr when must is set).
 */
u8 *capture_read_file(const char *path, size_t *len, bool must);

/* SR-IOV: how many VFs got a config space built from a sibling's or the PF's. */
u32 capture_vfs_synthesized(void);

#endif
