/*
 * A minimal, read-only QEMU fw_cfg for one partition: the traditional
 * port interface only (no DMA, no file directory), so that test kernels
 * built for QEMU (kvm-unit-tests) learn their CPU count, memory size and
 * command line the way they do under QEMU. Portable, host-tested.
 *
 * Spec: "QEMU Firmware Configuration (fw_cfg) Device" (QEMU 10.0,
 * docs/specs/fw_cfg.rst in QEMU's source); the item keys past 0x01 are
 * those of QEMU's include/standard-headers/linux/qemu_fw_cfg.h.
 */
#ifndef VM_DEV_FWCFG_H
#define VM_DEV_FWCFG_H
#include "kernel/types.h"

/* "Register Locations", x86: the selector and the data register (the DMA register at 0x514 is not offered). */
#define FWCFG_PORT_SEL          0x510   /* Selector Register, 16 bit, WO, little-endian */
#define FWCFG_PORT_DATA         0x511   /* Data Register, 8 bit, RO here (writes ignored, as QEMU >= 2.4) */

/* "Selector (Control) Register": bit 15 picks the architecture's items, bit 14 asked for writing. */
#define FWCFG_SEL_ARCH_LOCAL    BIT_ULL(15)
#define FWCFG_SEL_WRITE         BIT_ULL(14)
#define FWCFG_SEL_KEY           GENMASK_ULL(13, 0)

/* "Firmware Configuration Items" and qemu_fw_cfg.h: the generic items Sluice answers. */
#define FWCFG_SIGNATURE         0x00    /* 4 bytes "QEMU" */
#define FWCFG_ID                0x01    /* u32 feature bitmap */
#define  FWCFG_ID_TRADITIONAL   BIT_ULL(0)      /* the port interface: always set */
#define  FWCFG_ID_DMA           BIT_ULL(1)      /* the DMA interface: never set here */
#define FWCFG_RAM_SIZE          0x03    /* u64, bytes */
#define FWCFG_NB_CPUS           0x05    /* u16, CPUs present at boot */
#define FWCFG_MAX_CPUS          0x0f    /* u16, CPUs possible */
#define FWCFG_CMDLINE_SIZE      0x14    /* u32, the command line's bytes with its NUL */
#define FWCFG_CMDLINE_DATA      0x15    /* the command line, NUL-ended */

struct fwcfg {
	bool on;                        /* false: fw-cfg = off, no port is claimed */
	u16 selector;                   /* as last written (0 after init: the signature) */
	u32 offset;                     /* into the selected item, advanced by each data read */
	u64 ram_size;
	u16 cpus;
	const char *cmdline;            /* the partition's command line, "" for none; lives as long as f */
	/* Counters, for the partition's summary. */
	u64 selects, reads, writes_dropped, bad_accesses;
};

/*
 * Sets f up for a partition with ram_size bytes of memory, cpus vCPUs and
 * the command line cmdline (not copied; NULL reads as ""). on false leaves
 * every port unclaimed (fw-cfg = off).
 */
void fwcfg_init(struct fwcfg *f, bool on, u64 ram_size, u16 cpus, const char *cmdline);
/* A reset of the partition (a restart): the signature selected, its offset 0; the counters go on. */
void fwcfg_reset(struct fwcfg *f);
/* Whether port is one of f's two (never when f is off). */
bool fwcfg_claims(const struct fwcfg *f, u16 port);
/*
 * One guest IN of size bytes (1, 2 or 4) at a port f claims: a byte read
 * of either port reads the selected item's next byte (0 past its end, and
 * for a key with no item), as QEMU's combined port region does; a wider
 * read is refused as QEMU refuses it and reads all-ones, counted.
 */
u32 fwcfg_in(struct fwcfg *f, u16 port, u32 size);
/*
 * One guest OUT: a 16-bit write to the selector port selects an item and
 * rewinds its offset; a byte write (data) is dropped and counted, as is
 * any other width or port.
 */
void fwcfg_out(struct fwcfg *f, u16 port, u32 size, u32 val);

#endif
