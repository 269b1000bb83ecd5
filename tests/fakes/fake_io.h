/*
 * Host version of the MMIO door (kernel/hw/io.h): register files keyed by
 * base address. A write stores the value unless a hook is set for that
 * offset, in which case the hook decides (so a fake can behave like the
 * device: "GSTS follows GCMD"). Every write is also logged in order.
 *
 * On top of it, fake_vtd_*: a VT-d remapping unit that behaves like QEMU's
 * (docs/platform.md): GSTS follows GCMD for TE, SRTP, QIE, IRE, SIRTP (and
 * WBF); CCMD.ICC and IOTLB.IVT clear at once; descriptors are processed
 * synchronously when IQT is written, wait status written to fake memory;
 * FRCD slots hold injected faults with PPF/PFO/FRI as the hardware keeps
 * them. "Dead" knobs make a status bit or the queue never answer.
 */
#ifndef TESTS_FAKES_FAKE_IO_H
#define TESTS_FAKES_FAKE_IO_H
#include "kernel/types.h"
#include "kernel/hw/io.h"

#define FAKE_IO_LOG_MAX         8192

typedef void (*fake_io_hook)(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx);

typedef void (*fake_io_read_hook)(struct io_region *r, u32 off, unsigned width, void *ctx);

struct fake_io_write { u64 base; u32 off; u64 val; u8 width; };

extern struct fake_io_write fake_io_log[FAKE_IO_LOG_MAX];
extern unsigned fake_io_nr;
extern unsigned fake_io_map_calls;

/* Adds a zeroed register file of size bytes at pa; io_map(pa, <= size) finds it. */
struct io_region *fake_io_add(u64 pa, u64 size);
/* Calls hook instead of storing, for writes to exactly off (any width); replaces an earlier hook there. */
void fake_io_on_write(struct io_region *r, u32 off, fake_io_hook hook, void *ctx);
/* Calls hook before every door read of r (any offset), so a device can update what is read (a running counter). */
void fake_io_on_read(struct io_region *r, fake_io_read_hook hook, void *ctx);
/* Device-side access: no hooks, no log. */
u32 fake_io_get32(const struct io_region *r, u32 off);
u64 fake_io_get64(const struct io_region *r, u32 off);
void fake_io_set32(struct io_region *r, u32 off, u32 val);
void fake_io_set64(struct io_region *r, u32 off, u64 val);
/* Drops every region and the write log. */
void fake_io_reset(void);
/* Writes logged to off of the region at base. */
unsigned fake_io_writes_to(u64 base, u32 off);

/* ---- a fake VT-d unit ---------------------------------------------------- */

#define FAKE_VTD_EVENTS_MAX     256

/* What the unit did, in order; tests compare sequences. */
enum fake_vtd_kind {
	FV_GCMD = 1,            /* a: value written to GCMD */
	FV_CC,                  /* context-cache inv: a = granularity, did, sid */
	FV_IOTLB,               /* IOTLB inv: a = granularity, did, addr, am */
	FV_WAIT,                /* wait descriptor: a = flags (bit 4 IF, 5 SW) */
	FV_OTHER_DESC,          /* a descriptor of another type: a = type */
	FV_DEVTLB,              /* device-TLB inv: sid, addr (base), am (log2 pages; 52: all), a = pfsid | mip << 16 */
	FV_IEC,                 /* interrupt entry cache inv: a = granularity (0 global, 1 index), addr = index, am = mask */
};

struct fake_vtd_event {
	enum fake_vtd_kind kind;
	bool queued;            /* through the invalidation queue, not registers */
	u64 a;
	u16 did, sid;
	u64 addr;
	u8 am;
	/* The context entry of sid as the unit sees it at a device-selective
	 * context-cache invalidation (root table from the last SRTP). */
	u64 ce_lo, ce_hi;
};

struct fake_vtd {
	struct io_region *r;
	u64 pa;
	/* Knobs. */
	u32 dead_gsts;          /* GSTS bits that never change */
	bool dead_qi;           /* IQT writes are ignored: no descriptor is processed */
	bool dead_inv_regs;     /* CCMD.ICC and IOTLB.IVT never clear */
	bool dead_pmen;         /* PMEN.PRS never clears */
	/* Observed. */
	bool sw_if_seen;        /* a wait with SW and IF both set: QEMU would abort */
	u64 root_pa;            /* latched by SRTP */
	u64 irta;               /* IRTA_REG latched by SIRTP */
	u64 iq_pa;
	u32 iq_entries;
	unsigned nr_events;
	struct fake_vtd_event ev[FAKE_VTD_EVENTS_MAX];
	/*
	 * A device's ATS side: called for each device-TLB invalidation as the
	 * unit forwards it (2^order pages from base; order 52: everything).
	 */
	void (*on_devtlb)(struct fake_vtd *v, u16 sid, u64 base, unsigned order, void *ctx);
	void *devtlb_ctx;
	/* A device that never answers: its device-TLB invalidation times out (FSTS.ITE, queue stopped there). */
	bool devtlb_hang;
	u16 devtlb_hang_sid;
	bool record_itesid;     /* the hang is recorded in IQERCD's ITESID (VT-d 3.0 on) */
	bool ite_stopped;       /* the hang above stopped the queue; clearing ITE restarts it */
	/* Called on every GCMD write before the unit reacts (cmocka order checks). */
	void (*on_gcmd)(struct fake_vtd *v, u32 val);
};

/* QEMU 10's intel-iommu: CAP (caching-mode=off / on) and ECAP. */
#define FAKE_VTD_QEMU_CAP       0x00d2008c222f0606ULL
#define FAKE_VTD_QEMU_CAP_CM    0x00d2008c222f0686ULL
#define FAKE_VTD_QEMU_ECAP      0x0000000000f00f4eULL

/* A unit at pa with these CAP/ECAP; VER 1.0, everything else reset. */
struct fake_vtd *fake_vtd_add(u64 pa, u64 cap, u64 ecap);
/*
 * Records a primary fault in the next FRCD slot as the hardware would: F,
 * T (write = 0), reason, source ID, page address; PPF and FRI follow, and
 * PFO is set instead when the slot is still full. Returns the slot or -1.
 */
int fake_vtd_fault(struct fake_vtd *v, u16 sid, u64 addr, u8 reason, bool write);
/* Count of events of one kind. */
unsigned fake_vtd_count(const struct fake_vtd *v, enum fake_vtd_kind kind);
/* The n-th event of one kind, or NULL. */
const struct fake_vtd_event *fake_vtd_nth(const struct fake_vtd *v, enum fake_vtd_kind kind, unsigned n);
void fake_vtd_clear_events(struct fake_vtd *v);

#endif
