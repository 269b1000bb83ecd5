/*
 * DMA domains: what each [partition "NAME"] section of sluice.conf gives
 * the IOMMU. A domain is a set of memory regions (GPA = the bus address its
 * devices use -> HPA, with device access rights) and the PCI functions that
 * DMA through them. Guests (cpus, image) come later; until then every
 * partition is a DMA domain only. Checked whole (vm/config/partition_check.c)
 * before any memory is claimed or any IOMMU entry written (vm/config/domain.c).
 */
#ifndef VM_DOMAIN_H
#define VM_DOMAIN_H
#include "kernel/types.h"
#include "kernel/memmap.h"
#include "iommu/iommu.h"
#include "vm/config/config.h"
#include "kernel/hw/pci_cfg.h"

#define DOMAIN_MAX              8
#define DOMAIN_MAX_REGIONS      16
#define DOMAIN_MAX_DEVICES      16
#define DOMAIN_NAME_LEN         CONFIG_NAME_LEN
#define DOMAIN_MAX_CPUS         8
#define DOMAIN_IMAGE_LEN        32
/* [sluice] dma-fault-limit when the config gives none (docs/config.md says why). */
#define DOMAIN_DMA_FAULT_LIMIT  100
#define DOMAIN_DMA_FAULT_LIMIT_MAX 1000000
/* Device-visible addresses: 48 bits, the widest a 4-level second-stage table maps. */
#define DOMAIN_GPA_LIMIT        BIT_ULL(48)
/*
 * The interrupt address range 0xFEEx_xxxx (VT-d §3.14 "Handling Requests
 * to Interrupt Address Range"; Intel SDM Vol. 3 §11.11.1 "Message Address
 * Register Format"): a DMA write there is an interrupt request, never
 * translated to memory, so no partition memory may sit there.
 */
#define DOMAIN_INTR_GPA         0xfee00000ULL
#define DOMAIN_INTR_SIZE        0x100000ULL

enum domain_demo { DOMAIN_DEMO_NONE = 0, DOMAIN_DEMO_DMA };

struct domain_region {
	u64 gpa, hpa, size;
	u32 prot;               /* IOMMU_READ | IOMMU_WRITE */
	bool hpa_fixed;         /* hpa= given; otherwise chosen by domain_set_claim() */
	bool rmrr;              /* an RMRR's identity map: firmware's memory, never claimed */
	bool claimed;           /* hpa taken from the page allocator */
	u32 line;               /* in sluice.conf */
};

#define DOMAIN_SBDF_PENDING  0xffffffffu     /* a VF not enabled yet: the host's vf_setup fills sbdf in */

struct domain_device {
	u32 sbdf;
	u32 line;
	bool rmrr_identity;     /* "rmrr=identity": assignable despite RMRRs, mapped 1:1 */
	bool ats;               /* "ats=on": trusted with ATS (vm/config/ats_policy.h decides the rest) */
	bool ats_on;            /* ATS was enabled for it (vm/config/domain.c) */
	/* "PF/vfN": a virtual function of pf_sbdf, 1-based as the SR-IOV spec counts. */
	u16 vfn;
	u32 pf_sbdf;
	u32 named_rid;          /* a VF the config named by its routing ID (BB:DD.F), else 0 */
};

enum guest_entry { GUEST_ENTRY_ELF64 = 0, GUEST_ENTRY_MULTIBOOT };
enum fault_policy { FAULT_PARK = 0, FAULT_STOP };

struct dma_domain {
	char name[DOMAIN_NAME_LEN];
	u32 line;
	bool guest;             /* cpus and image given: a guest partition (vm/part/partition.c runs it) */
	/* Guest partitions only. */
	u32 nr_cpus;
	u32 cpus[DOMAIN_MAX_CPUS];      /* physical CPU indexes (MADT order), the first runs the guest */
	char image[DOMAIN_IMAGE_LEN];   /* boot module name */
	u32 image_line;
	enum guest_entry entry;         /* entry = elf64 (default) or multiboot */
	enum fault_policy on_fault;     /* on-fault = park (default) or stop */
	u32 nsid;               /* namespace = N: the NVMe namespace of its NVMe VF (0: none) */
	u32 nsid_line;
	char args[CONFIG_VALUE_LEN];    /* args = STRING: copied into the start info ("" when not given) */
	/* Containment (vm/part/limits.c): 0 means none. */
	u64 time_limit_ms;              /* time-limit = DURATION: stopped once it passes */
	bool time_limit_expected;       /* time-limit = DURATION expected: that stop is not a failure */
	u32 dma_fault_limit;            /* dma-fault-limit = N, or the [sluice] default */
	bool failed;            /* programming failed; its devices are detached again */
	u32 nr_regions, nr_devices;
	u32 nr_ats;             /* devices with ATS enabled (vm/config/domain.c device_ats) */
	struct domain_region regions[DOMAIN_MAX_REGIONS];
	struct domain_device devices[DOMAIN_MAX_DEVICES];
	struct iommu_domain *iommu;     /* set by domain_set_program() with iommu = on */
	const struct iommu_ops *iommu_ops;      /* the driver that holds iommu */
};

struct domain_set {
	const char *file;       /* the config's name, for "sluice.conf:LINE: ..." */
	bool iommu;             /* [sluice] iommu = on (the default) */
	enum domain_demo demo;  /* [sluice] demo = dma: vm/demo/dma_demo.c runs after set-up */
	const struct dmar_info *dmar;   /* the host's (for ATSR/SATC), set by domain_set_setup */
	u32 devtlb_timeout_ms;          /* [sluice] devtlb-timeout-ms; 0: the IOMMU driver's default (1000) */
	u32 dma_fault_limit;            /* [sluice] dma-fault-limit: every partition's default (0: none) */
	/*
	 * [sluice] pf-bench = PF namespace=N ios=N (make bench): before the
	 * partitions start, Sluice's own driver does ios 4 KiB I/Os (half
	 * writes, half reads) on namespace N attached to the PF's controller.
	 * line 0: none.
	 */
	struct {
		u32 line, pf_sbdf, nsid, ios;
	} bench;
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
		char witness[DOMAIN_NAME_LEN];
		u64 witness_gpa;
	} attack;
	u32 nr;
	struct dma_domain d[DOMAIN_MAX];
};

struct dmar_info;               /* iommu/dmar.h */
struct iommu_ops;               /* iommu/iommu.h */
struct config;                  /* vm/config/config.h */

/* What the partitions are checked against besides the PCI tree and the page allocator. */
struct domain_host {
	const struct memmap *memmap;    /* to say which firmware range an HPA hits; may be NULL */
	const struct dmar_info *dmar;   /* for the RMRRs; NULL when there is no DMAR */
	/* The CPUs guests may get: MADT entries 0..nr_cpus-1, bit i of cpus_online set when CPU i runs. */
	u32 nr_cpus, boot_cpu;
	u64 cpus_online;
	/* The GPA range every guest sees its virtual ECAM at (no region may overlap it). */
	u64 ecam_gpa, ecam_size;
	/*
	 * Whether partition d's image (d->image, d->entry) exists and fits its
	 * memory: 0, or an error with the reason written to why. NULL: no
	 * guest can be started (every partition with an image is refused).
	 */
	int (*image_check)(void *ctx, const struct dma_domain *d, char *why, size_t len);
	void *image_ctx;
	/*
	 * Enables and provisions the VFs the partitions name (after the check
	 * and the memory claim, before any domain is programmed) and fills in
	 * their sbdf. Problems are config errors on the VFs' lines. NULL: a
	 * config with VFs is refused.
	 */
	int (*vf_setup)(struct config *c, struct domain_set *s, const struct iommu_ops *ops);
};

/*
 * vm/config/partition_check.c: turns the parsed config into *s and checks all of
 * it, each line against the ones before: keys and values, region alignment
 * and overlaps (GPAs within a domain, HPAs anywhere), fixed HPAs against
 * the memory map and the page allocator (Sluice's own memory, firmware
 * ranges), no memory in the interrupt address range, devices (present in
 * the PCI tree, not a bridge or another platform function, assigned once,
 * isolation group not split across domains, no RMRR unless the line says
 * rmrr=identity; then each RMRR becomes an identity region). Every problem
 * is one ERR line "sluice.conf:LINE: ..." counted in c->nr_errors. Changes
 * nothing outside *s. Returns 0 or -HV_EINVAL.
 */
int partition_check(struct config *c, const struct domain_host *h, struct domain_set *s);

/*
 * Takes every region's HPA from the page allocator (fixed ones exactly,
 * the others wherever they fit, 2 MiB aligned when the size allows), zeroes
 * it and logs the region; RMRR identity regions stay firmware's. On failure gives back what it took and returns
 * -HV_ENOMEM or -HV_EBUSY after one ERR line naming the config line.
 */
int domain_set_claim(struct domain_set *s);
/* Gives every claimed HPA back to the page allocator. */
void domain_set_release(struct domain_set *s);
/*
 * With iommu = on: for each domain, domain_create, map every region, attach
 * every device through ops; then ops->enable(). A domain whose programming
 * fails is logged, has its devices detached and is marked failed; the
 * others go on. With iommu = off nothing is written: one WARN says DMA is
 * not isolated. ops may be NULL only with iommu = off or no domains.
 * Returns 0, or the first error (after logging it).
 */
int domain_set_program(struct domain_set *s, const struct iommu_ops *ops);
/*
 * The whole path from a parsed config: partition_check, domain_set_claim,
 * domain_set_program. A config with errors stops before anything is
 * claimed or programmed (one summary line says so); s is left empty and,
 * with iommu = on, translation still goes on, so every device's DMA is
 * blocked. Returns 0 or the error.
 */
int domain_set_setup(struct config *c, const struct domain_host *h, const struct iommu_ops *ops,
		     struct domain_set *s);

/* The region of d holding all of [gpa, gpa+len), or NULL: the software translation. */
const struct domain_region *domain_region_at(const struct dma_domain *d, u64 gpa, u64 len);
/* The domain a device is assigned to, or NULL. */
struct dma_domain *domain_of_device(struct domain_set *s, u32 sbdf);
/* The domain (and its region, when r is not NULL) whose memory holds HPA hpa, or NULL. */
struct dma_domain *domain_of_hpa(struct domain_set *s, u64 hpa, const struct domain_region **r);
/* "r", "w", "rw" or "none". */
const char *domain_access_name(u32 prot);

#endif
