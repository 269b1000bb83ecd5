/*
 * Partitions as the config describes them: what each [partition "NAME"]
 * section of sluice.conf gives. A partition is a set of memory regions
 * (GPA = the address its guest and its devices use -> HPA, with device
 * access rights), the PCI functions that DMA through them and, for a guest
 * partition, its CPUs and image. struct sluice_cfg is the whole file: the
 * [sluice] settings and every partition. Checked whole
 * (vm/config/partition_check.c) before any memory is claimed or any IOMMU
 * entry written (vm/config/partition_cfg.c); each partition's devices then
 * get one DMA domain of the IOMMU's (iommu/iommu.h).
 */
#ifndef VM_PARTITION_CFG_H
#define VM_PARTITION_CFG_H
#include "kernel/types.h"
#include "kernel/memmap.h"
#include "iommu/iommu.h"
#include "vm/config/config.h"
#include "kernel/hw/pci_cfg.h"

#define PART_MAX              8
#define PART_MAX_REGIONS      16
#define PART_MAX_DEVICES      16
#define PART_NAME_LEN         CONFIG_NAME_LEN
#define PART_MAX_CPUS         8
#define PART_IMAGE_LEN        32
/* module = lines a partition may give (vm/part/guest_image.h GUEST_MAX_MODULES). */
#define PART_MAX_MODULES      4
/* [sluice] dma-fault-limit when the config gives none (docs/config.md says why). */
#define PART_DMA_FAULT_LIMIT  100
#define PART_DMA_FAULT_LIMIT_MAX 1000000
/* Device-visible addresses: 48 bits, the widest a 4-level second-stage table maps. */
#define PART_GPA_LIMIT        BIT_ULL(48)
/*
 * The interrupt address range 0xFEEx_xxxx (VT-d §3.14 "Handling Requests
 * to Interrupt Address Range"; Intel SDM Vol. 3 §11.11.1 "Message Address
 * Register Format"): a DMA write there is an interrupt request, never
 * translated to memory, so no partition memory may sit there.
 */
#define PART_INTR_GPA         0xfee00000ULL
#define PART_INTR_SIZE        0x100000ULL

struct part_region {
	u64 gpa, hpa, size;
	u32 prot;               /* IOMMU_READ | IOMMU_WRITE */
	bool hpa_fixed;         /* hpa= given; otherwise chosen by sluice_cfg_claim() */
	bool rmrr;              /* an RMRR's identity map: firmware's memory, never claimed */
	bool claimed;           /* hpa taken from the page allocator */
	u32 line;               /* in sluice.conf */
};

#define PART_SBDF_PENDING  0xffffffffu     /* a VF not enabled yet: the host's vf_setup fills sbdf in */

struct part_device {
	u32 sbdf;
	u32 line;
	bool rmrr_identity;     /* "rmrr=identity": assignable despite RMRRs, mapped 1:1 */
	bool ats;               /* "ats=on": trusted with ATS (vm/config/ats_policy.h decides the rest) */
	bool ats_on;            /* ATS was enabled for it (vm/config/partition_cfg.c) */
	/* "PF/vfN": a virtual function of pf_sbdf, 1-based as the SR-IOV spec counts. */
	u16 vfn;
	u32 pf_sbdf;
	u32 named_rid;          /* a VF the config named by its routing ID (BB:DD.F), else 0 */
};

enum guest_entry { GUEST_ENTRY_ELF64 = 0, GUEST_ENTRY_MULTIBOOT, GUEST_ENTRY_LINUX };
enum fault_policy { FAULT_PARK = 0, FAULT_STOP };
/*
 * How a guest partition's run is meant to end (expect = ...): its own clean
 * exit, code 0, unless the config names another end. Any other end is a
 * failed check (vm/part/expect.h judges it).
 */
enum part_expect {
	PART_EXPECT_EXIT = 0,           /* expect = exit N (N = 0 when the key is absent) */
	PART_EXPECT_PARKED,             /* expect = parked: contained for any reason, its CPU lost included */
	PART_EXPECT_HALTED,             /* expect = halted: HLT with interrupts off, for good */
	PART_EXPECT_TIME_LIMIT,         /* expect = time-limit: stopped by its own time-limit */
};

/* module = NAME [ARGS]: a boot module handed to a Multiboot guest. */
struct part_module {
	char name[PART_IMAGE_LEN];      /* the boot module */
	char string[CONFIG_VALUE_LEN];  /* its string in the Multiboot information: the whole value, "NAME [ARGS]" */
	u32 line;
};

struct partition_cfg {
	char name[PART_NAME_LEN];
	u32 line;
	bool guest;             /* cpus and image given: a guest partition (vm/part/partition.c builds it, run.c runs it) */
	/* Guest partitions only. */
	u32 nr_cpus;
	u32 cpus[PART_MAX_CPUS];      /* physical CPU indexes (MADT order), the first runs the guest */
	char image[PART_IMAGE_LEN];   /* boot module name */
	u32 image_line;
	enum guest_entry entry;         /* entry = elf64 (default), multiboot or linux */
	enum fault_policy on_fault;     /* on-fault = park (default) or stop */
	u32 nsid;               /* namespace = N: the NVMe namespace of its NVMe VF (0: none) */
	u32 nsid_line;
	char args[CONFIG_VALUE_LEN];    /* args = STRING: copied into the start info ("" when not given) */
	bool fw_cfg;                    /* fw-cfg = on (the default) or off: its QEMU fw_cfg ports (vm/dev/fwcfg.h) */
	bool legacy_pic;                /* legacy-pic = on|off (default: on for multiboot): PIC, PIT, real-mode vectors (vm/part/legacy.c) */
	u32 legacy_pic_line;            /* its line, 0 when defaulted */
	/* paravirt = pv-eoi | off (default off): KVM's hypervisor leaves and paravirtual EOI (vm/dev/vlapic.h) */
	bool pv_eoi;
	char cmdline[CONFIG_VALUE_LEN]; /* cmdline = STRING: the Multiboot or Linux command line and fw_cfg's ("" when not given) */
	u32 cmdline_line;
	struct part_module initrd;      /* initrd = NAME: the boot module a Linux kernel gets (name "": none) */
	u32 nr_modules;                 /* module = lines, in order (Multiboot guests only) */
	struct part_module modules[PART_MAX_MODULES];
	/* Containment (vm/part/limits.c): 0 means none. */
	u64 time_limit_ms;              /* time-limit = DURATION: stopped once it passes */
	enum part_expect expect;        /* expect = ...: how its run is meant to end */
	u32 expect_code;                /* with PART_EXPECT_EXIT: the exit code (0 when not given) */
	u32 dma_fault_limit;            /* dma-fault-limit = N, or the [sluice] default */
	bool failed;            /* programming failed; its devices are detached again */
	u32 nr_regions, nr_devices;
	u32 nr_ats;             /* devices with ATS enabled (vm/config/partition_cfg.c device_ats) */
	struct part_region regions[PART_MAX_REGIONS];
	struct part_device devices[PART_MAX_DEVICES];
	struct iommu_domain *iommu;     /* set by sluice_cfg_program() with iommu = on */
	const struct iommu_ops *iommu_ops;      /* the driver that holds iommu */
};

struct sluice_cfg {
	const char *file;       /* the config's name, for "sluice.conf:LINE: ..." */
	bool iommu;             /* [sluice] iommu = on (the default) */
	const struct dmar_info *dmar;   /* the host's (for ATSR/SATC), set by sluice_cfg_setup */
	u32 devtlb_timeout_ms;          /* [sluice] devtlb-timeout-ms; 0: the IOMMU driver's default (1000) */
	u32 dma_fault_limit;            /* [sluice] dma-fault-limit: every partition's default (0: none) */
	/*
	 * [sluice] unsafe-interrupts = on: guests may own MSI-capable devices
	 * although Sluice cannot remap their interrupts (logged as a WARN).
	 */
	bool unsafe_interrupts;
	u32 unsafe_interrupts_line;
	/*
	 * [sluice] attack-test = on (tests only, vm/part/attack.h): the two attack
	 * hypercalls exist, and a guest is told where Sluice's own structures
	 * are. attack-witness = NAME gpa=A names the partition whose memory
	 * (its region at A, which its guest never writes), tables and device
	 * the attacks aim at.
	 */
	struct {
		u32 line, witness_line;
		bool on;
		char witness[PART_NAME_LEN];
		u64 witness_gpa;
	} attack;
	u32 nr;
	struct partition_cfg d[PART_MAX];
};

struct dmar_info;               /* iommu/dmar.h */
struct iommu_ops;               /* iommu/iommu.h */
struct config;                  /* vm/config/config.h */
struct config_entry;

/*
 * [sluice] keys a module above the checker owns and keeps in its own state
 * (vm/main.c wires each in: the DMA demo, the PF benchmark): parse is offered each [sluice] entry the checker
 * does not know and says whether the key is its own (a key nobody owns
 * stays an error); check runs once after every section, against the
 * partitions. names lists the keys for the unknown-key error.
 */
struct sluice_keys {
	const char *names;
	bool (*parse)(struct config *c, const struct config_entry *e);
	void (*check)(struct config *c, const struct sluice_cfg *s);
};

/* What the partitions are checked against besides the PCI tree and the page allocator. */
struct partition_host {
	const struct memmap *memmap;    /* to say which firmware range an HPA hits; may be NULL */
	const struct dmar_info *dmar;   /* for the RMRRs; NULL when there is no DMAR */
	/* The CPUs guests may get: MADT entries 0..nr_cpus-1, bit i of cpus_online set when CPU i runs. */
	u32 nr_cpus, boot_cpu;
	u64 cpus_online;
	/* The GPA range every guest sees its virtual ECAM at (no region may overlap it). */
	u64 ecam_gpa, ecam_size;
	/*
	 * Whether partition d's image (d->image, d->entry) and modules
	 * (d->modules) exist and fit its memory: 0, or an error with the
	 * reason written to why, about config line *line (set to d->image_line
	 * by the caller; a module's line for a problem of that module, why
	 * then naming the key). NULL: no guest can be started (every partition
	 * with an image is refused).
	 */
	int (*image_check)(void *ctx, const struct partition_cfg *d, u32 *line, char *why, size_t len);
	void *image_ctx;
	/*
	 * Enables and provisions the VFs the partitions name (after the check
	 * and the memory claim, before any DMA domain is programmed) and fills in
	 * their sbdf. Problems are config errors on the VFs' lines. NULL: a
	 * config with VFs is refused.
	 */
	int (*vf_setup)(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops);
	const struct sluice_keys *const *keys;  /* the modules' keys, NULL-terminated (NULL: none) */
};

/*
 * vm/config/partition_check.c: turns the parsed config into *s and checks all of
 * it, each line against the ones before: keys and values, region alignment
 * and overlaps (GPAs within a partition, HPAs anywhere), fixed HPAs against
 * the memory map and the page allocator (Sluice's own memory, firmware
 * ranges), no memory in the interrupt address range, devices (present in
 * the PCI tree, not a bridge or another platform function, assigned once,
 * isolation group not split across partitions, no RMRR unless the line says
 * rmrr=identity; then each RMRR becomes an identity region; with iommu = on
 * a usable remapping unit that covers it). Every problem
 * is one ERR line "sluice.conf:LINE: ..." counted in c->nr_errors. Changes
 * nothing outside *s. Returns 0 or -HV_EINVAL.
 */
int partition_check(struct config *c, const struct partition_host *h, struct sluice_cfg *s);

/*
 * Takes every region's HPA from the page allocator (fixed ones exactly,
 * the others wherever they fit, aligned as part_region_align says), zeroes
 * it and logs the region; RMRR identity regions stay firmware's. On failure gives back what it took and returns
 * -HV_ENOMEM or -HV_EBUSY after one ERR line naming the config line.
 */
int sluice_cfg_claim(struct sluice_cfg *s);
/*
 * The alignment to place a region of size bytes at gpa with, at most max:
 * the largest leaf both tables could then use for it (1 GiB, 2 MiB), else
 * a page. sluice_cfg_claim tries it, then each smaller one.
 */
u64 part_region_align(u64 gpa, u64 size, u64 max);
/* Gives every claimed HPA back to the page allocator. */
void sluice_cfg_release(struct sluice_cfg *s);
/*
 * With iommu = on: for each partition, a DMA domain (ops->domain_create),
 * every region mapped, every device attached; then ops->enable(). A partition whose programming
 * fails is logged, has its devices detached and is marked failed; the
 * others go on. With iommu = off nothing is written: one WARN says DMA is
 * not isolated. ops may be NULL only with iommu = off or no partitions.
 * Returns 0, or the first error (after logging it).
 */
int sluice_cfg_program(struct sluice_cfg *s, const struct iommu_ops *ops);
/*
 * Set by vm/main.c for the lab switch lab=dma-map-identity (docs/labs/):
 * sluice_cfg_program() maps each region's GPA to the same address in the
 * IOMMU instead of to its HPA, one WARN per region, so the DMA domain and
 * the nested page table disagree on purpose.
 */
extern bool partition_cfg_lab_identity;
/*
 * The whole path from a parsed config: partition_check, sluice_cfg_claim,
 * sluice_cfg_program. A config with errors stops before anything is
 * claimed or programmed (one summary line says so); s is left empty and,
 * with iommu = on, translation still goes on, so every device's DMA is
 * blocked. Returns 0 or the error.
 */
int sluice_cfg_setup(struct config *c, const struct partition_host *h, const struct iommu_ops *ops,
		     struct sluice_cfg *s);

/* The region of d holding all of [gpa, gpa+len), or NULL: the software translation. */
const struct part_region *part_region_at(const struct partition_cfg *d, u64 gpa, u64 len);
/* Sluice's pointer to [gpa, gpa+len) of d's memory (one region, writable if write), or NULL. */
void *part_guest_ptr(const struct partition_cfg *d, u64 gpa, u64 len, bool write);
/* The partition a device is assigned to, or NULL. */
struct partition_cfg *partition_of_device(struct sluice_cfg *s, u32 sbdf);
/* The partition (and its region, when r is not NULL) whose memory holds HPA hpa, or NULL. */
struct partition_cfg *partition_of_hpa(struct sluice_cfg *s, u64 hpa, const struct part_region **r);
/* "r", "w", "rw" or "none". */
const char *part_access_name(u32 prot);

#endif
