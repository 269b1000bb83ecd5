/*
 * Host tests for vm/dev/vpci.c over tests/fakes/fake_pci: what a guest reads and
 * writes through its virtual configuration space, one rule per test (other
 * functions, the header, BAR and ROM sizing, Command, the rewritten
 * capability lists, dropped writes, mechanism #1 and the ECAM window).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/dev/vpci.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "pci/pci_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_pci.h"
#include "tests/fakes/fake_io.h"

#define DEV_A           PCI_SBDF(0, 0, 3, 0)    /* many BARs and capabilities */
#define DEV_B           PCI_SBDF(0, 0, 4, 0)    /* only hidden legacy capabilities */
#define OTHER           PCI_SBDF(0, 0, 5, 0)    /* present, another partition's */
#define BRIDGE          PCI_SBDF(0, 0, 1, 0)
#define ECAM            0xb0000000ULL

#define CAP_AF          0x13    /* Advanced Features: unknown to vpci, so hidden */
#define ECAP_AER        0x0001
#define ECAP_DSN        0x0003
#define ECAP_ACS        0x000d
#define ECAP_ATS        0x000f
#define ECAP_SRIOV      0x0010

static struct vpci v;
static struct fake_fn *a, *b, *other;
static u16 cap_pm, cap_msi, cap_exp, cap_msix, cap_vndr, cap_af;
static u16 ecap_sriov, ecap_aer, ecap_ats, ecap_dsn, ecap_acs;
static u8 a_saved[4096];

static int setup(void **state)
{
	(void)state;
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	fake_pci_reset();

	a = fake_pci_add(DEV_A, 0x1234, 0x11e8, 0x00ff00, 0);
	fake_pci_w16(a, PCI_COMMAND, 0x0400 | PCI_COMMAND_MEM | PCI_COMMAND_IO);       /* INTx disabled */
	fake_pci_set_bar(a, 0, 0xfea00000, 1 * MiB, 0);
	fake_pci_set_bar(a, 1, 0xc000, 0x100, FAKE_BAR_IO);
	fake_pci_set_bar(a, 2, 0x800000000ULL, 8 * GiB, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	fake_pci_set_bar(a, 4, 0x400100000ULL, 64 * KiB, FAKE_BAR_MEM64);
	fake_pci_w32(a, 0x30, 0xfeb00000);                      /* 64 KiB expansion ROM, disabled */
	fake_pci_set_wmask(a, 0x30, 4, 0xffff0001);
	fake_pci_w8(a, 0x3c, 11);                               /* interrupt line */
	fake_pci_set_wmask(a, 0x3c, 1, 0xff);
	fake_pci_set_wmask(a, 0x0c, 1, 0xff);                   /* cache line size */
	cap_pm = fake_pci_add_cap(a, PCI_CAP_ID_PM, 8);
	cap_msi = fake_pci_add_cap(a, PCI_CAP_ID_MSI, 0x18);
	fake_pci_set_wmask(a, cap_msi + 2, 2, 0x0071);          /* MSI enable, multiple message enable */
	cap_exp = fake_pci_add_pcie(a, 0);
	fake_pci_set_wmask(a, cap_exp + 8, 2, 0xffff);          /* Device Control */
	cap_msix = fake_pci_add_cap(a, PCI_CAP_ID_MSIX, 12);
	cap_vndr = fake_pci_add_cap(a, 0x09, 8);
	cap_af = fake_pci_add_cap(a, CAP_AF, 8);
	ecap_sriov = fake_pci_add_ecap(a, ECAP_SRIOV, 1, 0x40);
	fake_pci_set_wmask(a, ecap_sriov + 8, 2, 0x001f);       /* SR-IOV Control: VF Enable, ... */
	ecap_aer = fake_pci_add_ecap(a, ECAP_AER, 2, 0x48);
	ecap_ats = fake_pci_add_ecap(a, ECAP_ATS, 1, 8);
	ecap_dsn = fake_pci_add_ecap(a, ECAP_DSN, 1, 12);
	ecap_acs = fake_pci_add_ecap(a, ECAP_ACS, 1, 8);

	b = fake_pci_add(DEV_B, 0x8086, 0x10d3, 0x020000, 0);
	fake_pci_add_cap(b, PCI_CAP_ID_MSI, 0x18);
	fake_pci_add_cap(b, PCI_CAP_ID_MSIX, 12);
	fake_pci_add_ecap(b, ECAP_AER, 2, 0x48);
	fake_pci_add_ecap(b, ECAP_SRIOV, 1, 0x40);

	other = fake_pci_add(OTHER, 0x1af4, 0x1000, 0x020000, 0);
	fake_pci_set_bar(other, 0, 0xfe000000, 4 * KiB, 0);
	fake_pci_add(BRIDGE, 0x8086, 0x29c1, 0x060400, 1);

	memcpy(a_saved, a->cfg, sizeof(a_saved));
	const u32 devs[] = { DEV_A, DEV_B };
	assert_int_equal(vpci_init(&v, devs, 2, ECAM, 0x3f), 0);
	return 0;
}

static u32 rd(u32 sbdf, u32 off, u32 w) { return vpci_read(&v, sbdf, off, w); }
static void wr(u32 sbdf, u32 off, u32 w, u32 val) { vpci_write(&v, sbdf, off, w, val); }

static void init_sizes_bars_and_restores_everything(void **state)
{
	(void)state;
	assert_memory_equal(a->cfg, a_saved, sizeof(a_saved));
	assert_int_equal(v.nr, 2);
	const struct vpci_dev *d = &v.dev[0];
	assert_int_equal(d->bar_size[0], 1 * MiB);
	assert_int_equal(d->bar_size[1], 0x100);
	assert_int_equal(d->bar_size[2], 8 * GiB);
	assert_int_equal(d->bar_size[3], 0);
	assert_int_equal(d->bar_size[4], 64 * KiB);
	assert_int_equal(d->bar_upper, (1u << 3) | (1u << 5));
	assert_int_equal(d->rom_size, 64 * KiB);
	assert_true(fake_log_has("INFO vpci: 00:03.0: capabilities hidden from the guest: MSI@0x48 MSI-X@0x9c 0x13@0xb0 SR-IOV@0x100 ATS@0x188 ACS@0x19c"));
	assert_true(fake_log_has("INFO vpci: 00:04.0: capabilities hidden from the guest: MSI@0x40 MSI-X@0x58 SR-IOV@0x148"));
}

static void init_refuses_what_it_cannot_show(void **state)
{
	(void)state;
	struct vpci w;
	const u32 absent = PCI_SBDF(0, 0, 9, 0), seg1 = PCI_SBDF(1, 0, 3, 0), bridge = BRIDGE;
	const u32 dup[] = { DEV_A, DEV_B, DEV_A };
	u32 many[VPCI_MAX_DEVS + 1] = { 0 };

	assert_int_equal(vpci_init(&w, &absent, 1, ECAM, 0xff), -HV_ENODEV);
	assert_true(fake_log_has("ERR  vpci: 00:09.0: cannot be given to a partition's config space"));
	assert_int_equal(w.nr, 0);
	assert_int_equal(vpci_init(&w, &bridge, 1, ECAM, 0xff), -HV_ENOTSUP);
	assert_int_equal(vpci_init(&w, &seg1, 1, ECAM, 0xff), -HV_ENOTSUP);
	assert_int_equal(vpci_init(&w, dup, 3, ECAM, 0xff), -HV_EEXIST);
	assert_int_equal(vpci_init(&w, many, VPCI_MAX_DEVS + 1, ECAM, 0xff), -HV_ERANGE);
	assert_int_equal(vpci_init(&w, dup, 1, ECAM, 0x100), -HV_ERANGE);
	assert_int_equal(vpci_init(&w, NULL, 0, ECAM, 0), 0);
}

static void other_functions_read_all_ones_and_ignore_writes(void **state)
{
	(void)state;
	unsigned writes = other->writes;
	assert_int_equal(rd(OTHER, 0, 4), 0xffffffff);
	assert_int_equal(rd(OTHER, 0, 2), 0xffff);
	assert_int_equal(rd(OTHER, 0x10, 1), 0xff);
	assert_int_equal(rd(PCI_SBDF(0, 0, 20, 0), 0, 4), 0xffffffff);
	wr(OTHER, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	wr(OTHER, 0x10, 4, 0xffffffff);
	assert_int_equal(other->writes, writes);
	assert_int_equal(fake_pci_r16(other, PCI_COMMAND), 0);
	assert_int_equal(v.denied_writes, 2);
}

/* vpci_place: the guest finds DEV_A at 00:01.0 (ports and ECAM), its own address reads all-ones. */
static void placed_functions_answer_at_their_guest_address(void **state)
{
	(void)state;
	const u32 g = PCI_SBDF(0, 0, 1, 0);
	u32 val = 0;
	assert_int_equal(vpci_place(&v, DEV_A, g), 0);
	assert_true(vpci_ecam_read(&v, ECAM + (1u << 15), 4, &val));
	assert_int_equal(val, 0x11e81234);
	assert_true(vpci_ecam_read(&v, ECAM + (3u << 15), 4, &val));
	assert_int_equal(val, 0xffffffff);
	assert_true(vpci_port_out(&v, 0xcf8, 4, 0x80000800));   /* bus 0, device 1, function 0, register 0 */
	assert_true(vpci_port_in(&v, 0xcfc, 4, &val));
	assert_int_equal(val, 0x11e81234);
	/* Writes reach the function at its real address: the command register's memory enable. */
	assert_true(vpci_ecam_write(&v, ECAM + (1u << 15) + PCI_COMMAND, 2, PCI_COMMAND_MEM));
	assert_int_equal(rd(DEV_A, PCI_COMMAND, 2) & PCI_COMMAND_MEM, PCI_COMMAND_MEM);
	/* One function per guest address; only functions of the view move. */
	assert_int_equal(vpci_place(&v, DEV_B, g), -HV_EEXIST);
	assert_int_equal(vpci_place(&v, OTHER, PCI_SBDF(0, 0, 2, 0)), -HV_ENOENT);
	assert_int_equal(vpci_place(&v, DEV_A, DEV_A), 0);
	assert_true(vpci_ecam_read(&v, ECAM + (3u << 15), 4, &val));
	assert_int_equal(val, 0x11e81234);
}

static void header_reads_pass_through(void **state)
{
	(void)state;
	assert_int_equal(rd(DEV_A, 0, 4), 0x11e81234);
	assert_int_equal(rd(DEV_A, 2, 2), 0x11e8);
	assert_int_equal(rd(DEV_A, 0x0b, 1), 0x00);
	assert_int_equal(rd(DEV_A, 0x0a, 2), 0x00ff);
	assert_int_equal(rd(DEV_A, 0x3c, 1), 11);
	assert_int_equal(rd(DEV_A, 0x10, 4), 0xfea00000);
	assert_int_equal(rd(DEV_A, 0x14, 4), 0xc001);
	assert_int_equal(rd(DEV_A, 0x18, 4), 0x0000000c);
	assert_int_equal(rd(DEV_A, 0x1c, 4), 0x8);
	assert_int_equal(rd(DEV_A, 0x30, 4), 0xfeb00000);
	assert_int_equal(rd(DEV_A, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
}

static void bad_accesses_read_all_ones(void **state)
{
	(void)state;
	assert_int_equal(rd(DEV_A, 1, 2), 0xffff);              /* misaligned */
	assert_int_equal(rd(DEV_A, 2, 4), 0xffffffff);
	assert_int_equal(rd(DEV_A, 0, 3), 0xffffffff);          /* no such width */
	assert_int_equal(rd(DEV_A, 4096, 1), 0xff);
	unsigned writes = a->writes;
	wr(DEV_A, PCI_COMMAND + 1, 2, 0);
	wr(DEV_A, PCI_COMMAND, 8, 0);
	assert_int_equal(a->writes, writes);
	assert_int_equal(v.denied_writes, 2);
}

/* A guest sizing each BAR as Linux does: all-ones, read, write the old value back. */
static void bar_sizing_is_emulated(void **state)
{
	(void)state;
	static const struct { u32 off, addr, mask; } c[] = {
		{ 0x10, 0xfea00000, 0xfff00000 },       /* 1 MiB, 32-bit memory */
		{ 0x14, 0x0000c001, 0xffffff01 },       /* 256 bytes of I/O */
		{ 0x18, 0x0000000c, 0x0000000c },       /* 8 GiB, 64-bit prefetchable: no low address bits */
		{ 0x1c, 0x00000008, 0xfffffffe },
		{ 0x20, 0x00100004, 0xffff0004 },       /* 64 KiB, 64-bit */
		{ 0x24, 0x00000004, 0xffffffff },
	};
	unsigned writes = a->writes;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		assert_int_equal(rd(DEV_A, c[i].off, 4), c[i].addr);
		wr(DEV_A, c[i].off, 4, 0xffffffff);
		assert_int_equal(rd(DEV_A, c[i].off, 4), c[i].mask);
		assert_int_equal(rd(DEV_A, c[i].off, 4), c[i].mask);       /* stays until the next write */
		wr(DEV_A, c[i].off, 4, c[i].addr);
		assert_int_equal(rd(DEV_A, c[i].off, 4), c[i].addr);
	}
	assert_int_equal(v.denied_writes, 0);
	assert_int_equal(a->writes, writes);                    /* the device never saw any of it */
	assert_memory_equal(a->cfg, a_saved, sizeof(a_saved));
	/* A sizing read in bytes gives the mask's bytes. */
	wr(DEV_A, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(DEV_A, 0x12, 2), 0xfff0);
	/* Unimplemented BARs of DEV_B stay 0 when sized. */
	wr(DEV_B, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(DEV_B, 0x10, 4), 0);
}

static void bar_moves_are_denied(void **state)
{
	(void)state;
	unsigned writes = a->writes;
	wr(DEV_A, 0x10, 4, 0xfe000000);                         /* another address */
	assert_int_equal(rd(DEV_A, 0x10, 4), 0xfea00000);
	assert_int_equal(v.denied_writes, 1);
	wr(DEV_A, 0x10, 4, 0xffffffff);
	wr(DEV_A, 0x13, 1, 0xfe);                               /* a byte write ends sizing; same value: not denied */
	assert_int_equal(rd(DEV_A, 0x10, 4), 0xfea00000);
	assert_int_equal(v.denied_writes, 1);
	wr(DEV_A, 0x13, 1, 0x12);
	assert_int_equal(v.denied_writes, 2);
	wr(DEV_A, 0x10, 2, 0xffff);                             /* a half write of ones is not sizing */
	assert_int_equal(rd(DEV_A, 0x10, 4), 0xfea00000);
	assert_int_equal(v.denied_writes, 3);
	assert_int_equal(a->writes, writes);
}

static void rom_bar_sizing_is_emulated(void **state)
{
	(void)state;
	wr(DEV_A, 0x30, 4, 0xfffff800);                         /* address bits only */
	assert_int_equal(rd(DEV_A, 0x30, 4), 0xffff0000);
	wr(DEV_A, 0x30, 4, 0xfeb00000);
	assert_int_equal(rd(DEV_A, 0x30, 4), 0xfeb00000);
	wr(DEV_A, 0x30, 4, 0xfffffffe);                         /* Linux: ~PCI_ROM_ADDRESS_ENABLE */
	assert_int_equal(rd(DEV_A, 0x30, 4), 0xffff0000);
	wr(DEV_A, 0x30, 4, 0xfeb00001);                         /* enabling the ROM is not allowed */
	assert_int_equal(rd(DEV_A, 0x30, 4), 0xfeb00000);
	assert_int_equal(v.denied_writes, 1);
	assert_int_equal(fake_pci_r32(a, 0x30), 0xfeb00000);
	wr(DEV_B, 0x30, 4, 0xfffff800);                         /* no ROM */
	assert_int_equal(rd(DEV_B, 0x30, 4), 0);
}

static void command_passes_only_io_mem_and_bus_master(void **state)
{
	(void)state;
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER | 0x0400);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_int_equal(v.denied_writes, 0);
	/* Clearing INTx Disable or setting SERR# is not passed, the enables are. */
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_IO | 0x0100);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_IO);
	assert_int_equal(v.denied_writes, 1);
	assert_int_equal(rd(DEV_A, PCI_COMMAND, 2), 0x0400 | PCI_COMMAND_IO);
	/* A byte write to the low byte works; to the high byte it is dropped. */
	wr(DEV_A, PCI_COMMAND, 1, PCI_COMMAND_MASTER | 0x40);   /* parity error response: dropped */
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_MASTER);
	assert_int_equal(v.denied_writes, 2);
	unsigned writes = a->writes;
	wr(DEV_A, PCI_COMMAND + 1, 1, 0x00);
	assert_int_equal(a->writes, writes);
	assert_int_equal(v.denied_writes, 3);
	/* A dword write carries Status: its W1C bits are never written. */
	fake_pci_w16(a, PCI_STATUS, fake_pci_r16(a, PCI_STATUS) | 0x8000);     /* Detected Parity Error */
	fake_pci_set_wmask(a, PCI_STATUS, 2, 0);
	wr(DEV_A, PCI_COMMAND, 4, 0x80000000u | PCI_COMMAND_MEM | 0x0400);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_MEM);
	assert_int_equal(fake_pci_r16(a, PCI_STATUS) & 0x8000, 0x8000);
	assert_int_equal(v.denied_writes, 4);
	wr(DEV_A, PCI_COMMAND, 4, PCI_COMMAND_MEM | 0x0400);    /* nothing outside bits 0-2 changes */
	assert_int_equal(v.denied_writes, 4);
}

/* After a device's DMA fault limit the guest can no longer turn its bus mastering back on. */
static void a_revoked_bus_master_stays_off(void **state)
{
	(void)state;
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND) & 0x7, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	vpci_revoke_master(&v, DEV_A);
	fake_pci_w16(a, PCI_COMMAND, PCI_COMMAND_MEM);         /* Sluice turned it off */
	u64 denied = v.denied_writes;
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND) & 0x7, PCI_COMMAND_MEM);
	assert_int_equal(v.denied_writes, denied + 1);
	/* The other enables still work. */
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEM);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND) & 0x7, PCI_COMMAND_IO | PCI_COMMAND_MEM);
	assert_int_equal(v.denied_writes, denied + 1);
}

/* The boot CPU revokes bus mastering while the guest's own Command write is in flight. */
static bool revoke_armed;

static void revoke_on_master_write(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	(void)f;
	(void)width;
	if (revoke_armed && off == PCI_COMMAND && (val & PCI_COMMAND_MASTER)) {
		revoke_armed = false;
		vpci_revoke_master(&v, DEV_A);
	}
}

static void a_revoke_racing_the_guests_write_still_wins(void **state)
{
	(void)state;
	fake_pci_w16(a, PCI_COMMAND, PCI_COMMAND_MEM);
	a->hook = revoke_on_master_write;
	revoke_armed = true;
	wr(DEV_A, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	a->hook = NULL;
	assert_false(revoke_armed);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND) & 0x7, PCI_COMMAND_MEM);
}

static void everything_else_is_dropped_and_counted(void **state)
{
	(void)state;
	static const struct { u32 off, w, val; } c[] = {
		{ 0x3c, 1, 5 },                 /* interrupt line */
		{ 0x0c, 1, 0x10 },              /* cache line size */
		{ 0x0f, 1, 0x40 },              /* BIST */
		{ 0x2c, 4, 0 },                 /* subsystem IDs */
	};
	unsigned writes = a->writes;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		wr(DEV_A, c[i].off, c[i].w, c[i].val);
	wr(DEV_A, cap_msi + 2, 2, 0x0001);                      /* MSI Enable */
	wr(DEV_A, cap_exp + 8, 2, 0x00f0);                      /* PCIe Device Control */
	wr(DEV_A, ecap_sriov + 8, 2, 0x0001);                   /* VF Enable */
	wr(DEV_A, 0x800, 4, 0x12345678);
	assert_int_equal(a->writes, writes);
	assert_int_equal(v.denied_writes, ARRAY_SIZE(c) + 4);
	assert_memory_equal(a->cfg, a_saved, sizeof(a_saved));
	assert_int_equal(rd(DEV_A, 0x3c, 1), 11);
}

/* Follows the legacy list as a guest does; returns the IDs seen. */
static size_t walk_caps(u32 sbdf, u8 *ids, u16 *offs, size_t max)
{
	size_t n = 0;
	if (!(rd(sbdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (u32 p = rd(sbdf, PCI_CAP_PTR, 1); p && n < max; p = rd(sbdf, p + 1, 1) & 0xfc) {
		offs[n] = (u16)p;
		ids[n++] = (u8)rd(sbdf, p, 1);
	}
	return n;
}

static void legacy_list_skips_hidden_capabilities(void **state)
{
	(void)state;
	u8 ids[16];
	u16 offs[16];
	assert_int_equal(walk_caps(DEV_A, ids, offs, 16), 3);
	assert_int_equal(ids[0], PCI_CAP_ID_PM);
	assert_int_equal(offs[0], cap_pm);
	assert_int_equal(ids[1], PCI_CAP_ID_EXP);
	assert_int_equal(offs[1], cap_exp);
	assert_int_equal(ids[2], 0x09);
	assert_int_equal(offs[2], cap_vndr);
	/* The rest of a shown header is the device's. */
	assert_int_equal(rd(DEV_A, cap_exp + 2, 2), fake_pci_r16(a, cap_exp + 2));
	assert_int_equal(rd(DEV_A, cap_exp, 4) & 0xffff00ff, fake_pci_r32(a, cap_exp) & 0xffff00ff);
	/* Hidden headers read as 0 even at their own offsets. */
	assert_int_equal(rd(DEV_A, cap_msi, 4), 0);
	assert_int_equal(rd(DEV_A, cap_msix, 1), 0);
	assert_int_equal(rd(DEV_A, cap_af, 2), 0);
	/* The device itself is unchanged. */
	assert_int_equal(fake_pci_r8(a, PCI_CAP_PTR), cap_pm);
	assert_int_equal(fake_pci_r8(a, cap_pm + 1), cap_msi);
}

static void no_shown_capability_clears_the_list_bit(void **state)
{
	(void)state;
	u8 ids[4];
	u16 offs[4];
	assert_int_equal(rd(DEV_B, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(rd(DEV_B, PCI_COMMAND, 4) & (PCI_STATUS_CAP_LIST << 16), 0);
	assert_int_equal(rd(DEV_B, PCI_CAP_PTR, 1), 0);
	assert_int_equal(walk_caps(DEV_B, ids, offs, 4), 0);
	assert_true(fake_pci_r16(b, PCI_STATUS) & PCI_STATUS_CAP_LIST);
}

static void extended_list_skips_hidden_capabilities(void **state)
{
	(void)state;
	/* 100h holds SR-IOV on the device: the guest sees ID 0 pointing on to AER. */
	u32 h = rd(DEV_A, 0x100, 4);
	assert_int_equal(h & 0xffff, 0);
	assert_int_equal(h >> 20, ecap_aer);
	h = rd(DEV_A, ecap_aer, 4);
	assert_int_equal(h & 0xfffff, 0x20000 | ECAP_AER);
	assert_int_equal(h >> 20, ecap_dsn);
	h = rd(DEV_A, ecap_dsn, 4);
	assert_int_equal(h & 0xfffff, 0x10000 | ECAP_DSN);
	assert_int_equal(h >> 20, 0);
	assert_int_equal(rd(DEV_A, ecap_ats, 4), 0);
	assert_int_equal(rd(DEV_A, ecap_acs, 2), 0);
	assert_int_equal(rd(DEV_A, ecap_aer + 2, 2) >> 4, ecap_dsn);    /* a half read of the rewritten header */
	/* DEV_B: AER first and shown, SR-IOV after it hidden. */
	h = rd(DEV_B, 0x100, 4);
	assert_int_equal(h, 0x20000 | ECAP_AER);
	assert_int_equal(rd(DEV_B, 0x100 + 0x48, 4), 0);
}

static void broken_lists_are_cut(void **state)
{
	(void)state;
	fake_pci_reset();
	struct fake_fn *f = fake_pci_add(DEV_A, 0x1234, 0x5678, 0, 0);
	u16 pm = fake_pci_add_cap(f, PCI_CAP_ID_PM, 8);
	u16 exp = fake_pci_add_pcie(f, 0);
	fake_pci_w8(f, exp + 1, (u8)pm);                        /* a loop back to PM */
	u16 aer = fake_pci_add_ecap(f, ECAP_AER, 2, 0x48);
	fake_pci_w32(f, aer, fake_pci_r32(f, aer) | 0x040u << 20);     /* next pointer below 100h */
	fake_log_capture();
	const u32 dev = DEV_A;
	assert_int_equal(vpci_init(&v, &dev, 1, ECAM, 0), 0);
	assert_true(fake_log_has("00:03.0: capability list broken at 0x"));
	assert_true(fake_log_has("00:03.0: extended capability list broken or too long at 0x040"));
	u8 ids[8];
	u16 offs[8];
	assert_int_equal(walk_caps(DEV_A, ids, offs, 8), 2);
	assert_int_equal(rd(DEV_A, 0x100, 4) >> 20, 0);
}

static void port_mechanism_1(void **state)
{
	(void)state;
	u32 val;
	const u32 addr = 0x80000000u | 3u << 11;                /* enable, bus 0, device 3, function 0 */

	assert_true(vpci_port_out(&v, 0xcf8, 4, addr));
	assert_true(vpci_port_in(&v, 0xcf8, 4, &val));
	assert_int_equal(val, addr);
	assert_true(vpci_port_in(&v, 0xcfc, 4, &val));
	assert_int_equal(val, 0x11e81234);
	assert_true(vpci_port_in(&v, 0xcfe, 2, &val));
	assert_int_equal(val, 0x11e8);
	assert_true(vpci_port_in(&v, 0xcfd, 1, &val));
	assert_int_equal(val, 0x12);
	assert_true(vpci_port_in(&v, 0xcfd, 4, &val));          /* past CONFIG_DATA's end */
	assert_int_equal(val, 0xffffffff);
	vpci_port_out(&v, 0xcf8, 4, addr | 0x10);               /* BAR0 */
	assert_true(vpci_port_out(&v, 0xcfc, 4, 0xffffffff));
	vpci_port_in(&v, 0xcfc, 4, &val);
	assert_int_equal(val, 0xfff00000);
	vpci_port_out(&v, 0xcf8, 4, addr | 0x04);
	vpci_port_out(&v, 0xcfc, 1, PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_MASTER);
	/* Function 5 is someone else's; 00:03.1 does not exist. */
	vpci_port_out(&v, 0xcf8, 4, 0x80000000u | 5u << 11);
	vpci_port_in(&v, 0xcfc, 4, &val);
	assert_int_equal(val, 0xffffffff);
	vpci_port_out(&v, 0xcf8, 4, addr | 1u << 8);
	vpci_port_in(&v, 0xcfc, 2, &val);
	assert_int_equal(val, 0xffff);
	/* Without the enable bit nothing is reached. */
	vpci_port_out(&v, 0xcf8, 4, addr & ~0x80000000u);
	vpci_port_in(&v, 0xcfc, 4, &val);
	assert_int_equal(val, 0xffffffff);
	u64 denied = v.denied_writes;
	vpci_port_out(&v, 0xcfc, 2, 0);
	assert_int_equal(v.denied_writes, denied + 1);
	/* Not ports of the mechanism: 0xCF8 narrower than 32 bits, 0xCF9 (reset control), others. */
	assert_false(vpci_port_in(&v, 0xcf8, 1, &val));
	assert_false(vpci_port_out(&v, 0xcf8, 2, 0));
	assert_false(vpci_port_out(&v, 0xcf9, 1, 6));
	assert_false(vpci_port_in(&v, 0xcfb, 1, &val));
	assert_false(vpci_port_in(&v, 0xd00, 4, &val));
	assert_false(vpci_port_in(&v, 0xcfc, 3, &val));
	vpci_port_in(&v, 0xcf8, 4, &val);
	assert_int_equal(val, addr & ~0x80000000u);
}

static void ecam_window(void **state)
{
	(void)state;
	u32 val;
	const u64 a_base = ECAM + (3u << 15);

	assert_true(vpci_ecam_read(&v, a_base, 4, &val));
	assert_int_equal(val, 0x11e81234);
	assert_true(vpci_ecam_read(&v, a_base + 0x100, 4, &val));
	assert_int_equal(val >> 20, ecap_aer);
	assert_true(vpci_ecam_read(&v, a_base + 0x11, 1, &val));
	assert_int_equal(val, 0x00);
	assert_true(vpci_ecam_read(&v, ECAM + (4u << 15) + 2, 2, &val));
	assert_int_equal(val, 0x10d3);
	assert_true(vpci_ecam_read(&v, ECAM + (1u << 20) + (3u << 15), 4, &val));       /* bus 1 */
	assert_int_equal(val, 0xffffffff);
	assert_true(vpci_ecam_read(&v, ECAM + (5u << 15), 4, &val));
	assert_int_equal(val, 0xffffffff);
	assert_true(vpci_ecam_read(&v, ECAM + (0x3fULL << 20) + 0xffc, 4, &val));       /* last dword */
	assert_false(vpci_ecam_read(&v, ECAM + (0x40ULL << 20), 4, &val));
	assert_false(vpci_ecam_read(&v, ECAM - 4, 4, &val));
	assert_true(vpci_ecam_write(&v, a_base + 0x10, 4, 0xffffffff));
	vpci_ecam_read(&v, a_base + 0x10, 4, &val);
	assert_int_equal(val, 0xfff00000);
	assert_true(vpci_ecam_write(&v, a_base + 0x04, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER | 0x0400));
	assert_int_equal(fake_pci_r16(a, PCI_COMMAND), 0x0400 | PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_false(vpci_ecam_write(&v, ECAM + (0x40ULL << 20), 4, 0));
	assert_int_equal(v.denied_writes, 0);
}

/* A VF reads all-ones IDs and zero BARs itself; the guest sees the PF's vendor, the VF Device ID and its BARs. */
static void vf_shows_its_pfs_identity_and_bars(void **state)
{
	(void)state;
	const u32 vf = PCI_SBDF(0, 0, 6, 1);
	struct fake_fn *f = fake_pci_add(vf, 0xffff, 0xffff, 0x010802, 0);
	u16 msix = fake_pci_add_cap(f, PCI_CAP_ID_MSIX, 12);
	struct vpci_vf_bar bars[VPCI_NR_BARS] = { [0] = { .addr = 0x4000104000ULL, .size = 0x4000, .mem64 = true } };

	assert_int_equal(vpci_init(&v, NULL, 0, ECAM, 0xff), 0);
	assert_int_equal(vpci_add_vf(&v, vf, 0x1b36, 0x0010, bars), 0);
	assert_int_equal(rd(vf, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(rd(vf, PCI_VENDOR_ID + 2, 2), 0x0010);
	assert_int_equal(rd(vf, PCI_VENDOR_ID, 4), 0x00101b36);
	assert_int_equal(rd(vf, PCI_BAR0, 4), 0x00104004);     /* 64-bit memory BAR */
	assert_int_equal(rd(vf, PCI_BAR0 + 4, 4), 0x40);
	assert_int_equal(rd(vf, PCI_BAR0 + 8, 4), 0);
	/* Sizing works, and the address comes back. */
	wr(vf, PCI_BAR0, 4, 0xffffffff);
	wr(vf, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(rd(vf, PCI_BAR0, 4), 0xffffc004);
	assert_int_equal(rd(vf, PCI_BAR0 + 4, 4), 0xffffffff);
	wr(vf, PCI_BAR0, 4, 0x12345000);
	wr(vf, PCI_BAR0 + 4, 4, 0);
	assert_int_equal(rd(vf, PCI_BAR0, 4), 0x00104004);
	/* MSI-X stays hidden, as for any function. */
	assert_int_equal(rd(vf, PCI_CAP_PTR, 1), 0);
	(void)msix;
	assert_int_equal(vpci_add_vf(&v, vf, 0x1b36, 0x0010, bars), -HV_EEXIST);
}

/* ---- MSI (vm/dev/vpci_msi.c) ---- */

#define MSI_CTRL(c)     ((c) + 2)
#define MSI_ALO(c)      ((c) + 4)
#define MSI_AHI(c)      ((c) + 8)
#define MSI_DAT(c)      ((c) + 12)
#define MSI_MSK(c)      ((c) + 16)
#define MSI_PND(c)      ((c) + 20)

static struct io_region *msix_page;
static struct { unsigned enables, disables; u32 sbdf; u8 gvec; int fail; bool dev_en_at_disable; } irq;

static int fake_enable(void *ctx, u32 sbdf, u8 gvec, u64 *addr, u32 *data, u32 *cookie)
{
	(void)ctx;
	if (irq.fail)
		return irq.fail;
	irq.enables++;
	irq.sbdf = sbdf;
	irq.gvec = gvec;
	*addr = 0xfee00030 + 0x20 * (irq.enables - 1);  /* handle 1, 2, ... in remappable format */
	*data = 0;
	*cookie = irq.enables;
	return 0;
}

static void fake_disable(void *ctx, u32 sbdf, u32 cookie)
{
	(void)ctx; (void)sbdf; (void)cookie;
	irq.disables++;
	irq.dev_en_at_disable = fake_pci_r16(a, MSI_CTRL(cap_msi)) & 1;
}

static const struct vpci_irq_ops fake_irq_ops = { fake_enable, fake_disable };

/* Device A's MSI: 64-bit, per-vector masking, 2 messages capable; the guest's vpci with interrupt ops. */
static int setup_msi(void **state)
{
	setup(state);
	memset(&irq, 0, sizeof(irq));
	fake_pci_w16(a, MSI_CTRL(cap_msi), 0x0180 | 0x2);
	fake_pci_set_wmask(a, MSI_ALO(cap_msi), 4, 0xfffffffc);
	fake_pci_set_wmask(a, MSI_AHI(cap_msi), 4, 0xffffffff);
	fake_pci_set_wmask(a, MSI_DAT(cap_msi), 2, 0xffff);
	fake_pci_set_wmask(a, MSI_MSK(cap_msi), 4, 0x3);
	/* MSI-X: 4 entries at BAR0 + 0x2000, PBA at BAR0 + 0x2800 (the same page). */
	fake_pci_w16(a, cap_msix + 2, 3);
	fake_pci_set_wmask(a, cap_msix + 2, 2, 0xc000);
	fake_pci_w32(a, cap_msix + 4, 0x2000);
	fake_pci_w32(a, cap_msix + 8, 0x2800);
	fake_io_reset();
	msix_page = fake_io_add(0xfea02000, 4096);
	memset(&v, 0, sizeof(v));
	fake_log_capture();
	v.irq = &fake_irq_ops;
	const u32 devs[] = { DEV_A, DEV_B };
	assert_int_equal(vpci_init(&v, devs, 2, ECAM, 0x3f), 0);
	assert_true(v.irq == &fake_irq_ops);
	v.dev[0].msix.real = msix_page;
	memcpy(a_saved, a->cfg, sizeof(a_saved));
	return 0;
}

/* Shown in the list; the guest's writes land in the shadow only, and MMC reads 0 (one vector). */
static void msi_is_shown_and_writes_stay_in_the_shadow(void **state)
{
	(void)state;
	assert_false(fake_log_has("00:03.0: capabilities hidden from the guest: MSI@"));
	assert_int_equal(rd(DEV_A, cap_pm + 1, 1), cap_msi);
	assert_int_equal(rd(DEV_A, cap_msi, 1), PCI_CAP_ID_MSI);
	assert_int_equal(rd(DEV_A, cap_msi + 1, 1), cap_exp);
	assert_int_equal(rd(DEV_A, MSI_CTRL(cap_msi), 2), 0x0180);
	wr(DEV_A, MSI_ALO(cap_msi), 4, 0xfee01000);
	wr(DEV_A, MSI_AHI(cap_msi), 4, 0);
	wr(DEV_A, MSI_DAT(cap_msi), 2, 0x0041);
	wr(DEV_A, MSI_CTRL(cap_msi), 2, 0x0070);                /* MME = 8 messages: not kept */
	assert_int_equal(rd(DEV_A, MSI_ALO(cap_msi), 4), 0xfee01000);
	assert_int_equal(rd(DEV_A, MSI_DAT(cap_msi), 2), 0x0041);
	assert_int_equal(rd(DEV_A, MSI_CTRL(cap_msi), 2), 0x0180);
	assert_memory_equal(a->cfg, a_saved, sizeof(a_saved));
	assert_int_equal(irq.enables, 0);
	/* MSI-X is shown too (vpci has interrupt ops). */
	assert_true(fake_log_has("INFO vpci: 00:03.0: capabilities hidden from the guest: 0x13@0xb0 SR-IOV@0x100 ATS@0x188 ACS@0x19c\n"));
}

/*
 * Enable with a fixed message: the partition gives an entry, the device
 * gets the remappable-format message (never the guest's), mask bits of
 * the vectors not enabled set, MME 0, then Enable. Disable clears the
 * device's Enable before the entry goes; a new vector is a new entry.
 */
static void msi_enable_programs_the_remappable_message(void **state)
{
	(void)state;
	wr(DEV_A, MSI_ALO(cap_msi), 4, 0xfee01000);
	wr(DEV_A, MSI_DAT(cap_msi), 4, 0x0041);
	wr(DEV_A, MSI_CTRL(cap_msi), 2, 0x0001);
	assert_int_equal(irq.enables, 1);
	assert_int_equal(irq.sbdf, DEV_A);
	assert_int_equal(irq.gvec, 0x41);
	assert_int_equal(fake_pci_r32(a, MSI_ALO(cap_msi)), 0xfee00030);
	assert_int_equal(fake_pci_r32(a, MSI_AHI(cap_msi)), 0);
	assert_int_equal(fake_pci_r16(a, MSI_DAT(cap_msi)), 0);
	assert_int_equal(fake_pci_r32(a, MSI_MSK(cap_msi)) & 3, 2);
	assert_int_equal(fake_pci_r16(a, MSI_CTRL(cap_msi)) & 0x71, 1);
	assert_int_equal(rd(DEV_A, MSI_CTRL(cap_msi), 2), 0x0181);
	assert_int_equal(rd(DEV_A, MSI_ALO(cap_msi), 4), 0xfee01000);  /* the guest reads its own message */

	/* A new vector while enabled: off, then on with a new entry. */
	wr(DEV_A, MSI_DAT(cap_msi), 2, 0x0042);
	assert_int_equal(irq.disables, 1);
	assert_false(irq.dev_en_at_disable);
	assert_int_equal(irq.enables, 2);
	assert_int_equal(irq.gvec, 0x42);
	assert_int_equal(fake_pci_r32(a, MSI_ALO(cap_msi)), 0xfee00050);
	wr(DEV_A, MSI_CTRL(cap_msi), 2, 0x0000);
	assert_int_equal(irq.disables, 2);
	assert_false(irq.dev_en_at_disable);
	assert_int_equal(fake_pci_r16(a, MSI_CTRL(cap_msi)) & 1, 0);
	/* Turning off what is off does nothing. */
	wr(DEV_A, MSI_CTRL(cap_msi), 2, 0x0000);
	assert_int_equal(irq.disables, 2);
	/* vpci_msi_off (the partition stops) turns a live one off. */
	wr(DEV_A, MSI_CTRL(cap_msi), 2, 0x0001);
	vpci_msi_off(&v);
	assert_int_equal(irq.disables, 3);
	assert_int_equal(fake_pci_r16(a, MSI_CTRL(cap_msi)) & 1, 0);
}

/* Messages Sluice cannot honour leave the device off, one WARN each; so does an enable the partition refuses. */
static void msi_refuses_what_it_cannot_remap(void **state)
{
	(void)state;
	static const struct { u32 addr; u16 data; const char *why; } bad[] = {
		{ 0xfed00000, 0x0041, "address outside 0xFEEx_xxxx" },
		{ 0xfee00000, 0x0441, "not a fixed, edge-triggered interrupt" },     /* NMI */
		{ 0xfee00000, 0x8041, "not a fixed, edge-triggered interrupt" },     /* level */
		{ 0xfee00000, 0x0005, "vector 0-15 (reserved)" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		wr(DEV_A, MSI_CTRL(cap_msi), 2, 0);
		wr(DEV_A, MSI_ALO(cap_msi), 4, bad[i].addr);
		wr(DEV_A, MSI_DAT(cap_msi), 2, bad[i].data);
		wr(DEV_A, MSI_CTRL(cap_msi), 2, 1);
		assert_true(fake_log_has(bad[i].why));
		assert_int_equal(fake_pci_r16(a, MSI_CTRL(cap_msi)) & 1, 0);
	}
	assert_true(fake_log_has("WARN vpci: 00:03.0: guest MSI enable refused (address 0xfed00000 data 0x0041: address outside 0xFEEx_xxxx); it stays off"));
	wr(DEV_A, MSI_AHI(cap_msi), 4, 1);
	wr(DEV_A, MSI_DAT(cap_msi), 2, 0x41);
	assert_int_equal(irq.enables, 0);
	assert_int_equal(v.dev[0].msi.refused, 6);
	irq.fail = -HV_ENOMEM;
	wr(DEV_A, MSI_AHI(cap_msi), 4, 0);
	assert_true(fake_log_has("WARN vpci: 00:03.0: guest MSI vector 0x41: no interrupt remapping entry ("));
	assert_int_equal(fake_pci_r16(a, MSI_CTRL(cap_msi)) & 1, 0);
	assert_memory_equal(a->cfg + MSI_ALO(cap_msi), a_saved + MSI_ALO(cap_msi), 12);
}

/* Byte and word writes merge into the shadow; mask bit 0 reaches the device, pending is the device's. */
static void msi_partial_writes_mask_and_pending(void **state)
{
	(void)state;
	wr(DEV_A, MSI_ALO(cap_msi) + 2, 2, 0xfee0);
	wr(DEV_A, MSI_ALO(cap_msi) + 1, 1, 0x10);
	assert_int_equal(rd(DEV_A, MSI_ALO(cap_msi), 4), 0xfee01000);
	wr(DEV_A, MSI_DAT(cap_msi), 1, 0x60);
	assert_int_equal(rd(DEV_A, MSI_DAT(cap_msi), 4), 0x0060);
	wr(DEV_A, MSI_MSK(cap_msi), 4, 1);
	assert_int_equal(rd(DEV_A, MSI_MSK(cap_msi), 4), 1);
	assert_memory_equal(a->cfg, a_saved, sizeof(a_saved));         /* nothing live yet */
	wr(DEV_A, MSI_CTRL(cap_msi), 1, 1);                             /* byte write of Message Control's low byte */
	assert_int_equal(irq.enables, 1);
	assert_int_equal(irq.gvec, 0x60);
	assert_int_equal(fake_pci_r32(a, MSI_MSK(cap_msi)) & 3, 3);     /* masked as the guest asked */
	wr(DEV_A, MSI_MSK(cap_msi), 1, 0);
	assert_int_equal(fake_pci_r32(a, MSI_MSK(cap_msi)) & 3, 2);
	assert_int_equal(irq.enables, 1);                               /* masking is no re-programming */
	fake_pci_w32(a, MSI_PND(cap_msi), 3);
	assert_int_equal(rd(DEV_A, MSI_PND(cap_msi), 4), 1);            /* only its one vector */
	u64 denied = v.denied_writes;
	wr(DEV_A, MSI_PND(cap_msi), 4, 0);
	assert_int_equal(v.denied_writes, denied + 1);
}

/* ---- MSI-X (vm/dev/vpci_msix.c) ---- */

#define TBL             0xfea02000ULL
#define MSIX_CTL(c)     ((c) + 2)

static u64 mr(u64 gpa, u32 size)
{
	u64 val = 0;
	assert_true(vpci_msix_mmio_read(&v, gpa, size, &val));
	return val;
}

static void mw(u64 gpa, u32 size, u64 val)
{
	assert_true(vpci_msix_mmio_write(&v, gpa, size, val));
}

/* Entry i as the guest writes it: address, data, then unmasked. */
static void msix_entry(u32 i, u32 addr, u32 data, bool masked)
{
	mw(TBL + 16 * i, 4, addr);
	mw(TBL + 16 * i + 4, 4, 0);
	mw(TBL + 16 * i + 8, 4, data);
	mw(TBL + 16 * i + 12, 4, masked);
}

/* The capability: table size as the shadow has it, Enable and Function Mask shadowed; the table's page trapped. */
static void msix_capability_and_trapped_page(void **state)
{
	(void)state;
	const struct vpci_msix *x = &v.dev[0].msix;
	assert_int_equal(x->cap, cap_msix);
	assert_int_equal(x->nr, 4);
	assert_int_equal(x->table_gpa, TBL);
	assert_int_equal(x->page_gpa, TBL);
	assert_int_equal(x->page_size, 4096);
	assert_int_equal(rd(DEV_A, MSIX_CTL(cap_msix), 2), 3);
	assert_int_equal(rd(DEV_A, cap_msix + 4, 4), 0x2000);
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0xc000);
	assert_int_equal(rd(DEV_A, MSIX_CTL(cap_msix), 2), 0xc003);
	assert_int_equal(fake_pci_r16(a, MSIX_CTL(cap_msix)), 0x8003);         /* Enable, never Function Mask */
	/* Every device entry masked before Enable; every guest entry masked after reset. */
	for (u32 i = 0; i < 4; i++) {
		assert_int_equal(fake_io_get32(msix_page, 16 * i + 12), 1);
		assert_int_equal(mr(TBL + 16 * i + 12, 4), 1);
	}
	uint64_t val;
	assert_false(vpci_msix_mmio_read(&v, TBL + 4096, 4, &val));
	assert_false(vpci_msix_mmio_read(&v, TBL - 4, 4, &val));
	assert_int_equal(irq.enables, 0);
}

/*
 * An entry with a message Sluice honours gets its entry and host vector
 * while MSI-X is on; the device's entry holds the remappable message and
 * stays masked while the guest (entry or function) masks it.
 */
static void msix_masking_follows_the_guest(void **state)
{
	(void)state;
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0x8000);
	msix_entry(1, 0xfee00000, 0x51, true);
	assert_int_equal(irq.enables, 1);
	assert_int_equal(irq.gvec, 0x51);
	assert_int_equal(fake_io_get32(msix_page, 16 + 0), 0xfee00030);
	assert_int_equal(fake_io_get32(msix_page, 16 + 8), 0);
	assert_int_equal(fake_io_get32(msix_page, 16 + 12), 1);                 /* the guest masks it */
	assert_int_equal(mr(TBL + 16, 4), 0xfee00000);                          /* the guest reads its own */
	mw(TBL + 16 + 12, 4, 0);
	assert_int_equal(fake_io_get32(msix_page, 16 + 12), 0);
	/* Function Mask masks the device's entry, without a new IRTE. */
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0xc000);
	assert_int_equal(fake_io_get32(msix_page, 16 + 12), 1);
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0x8000);
	assert_int_equal(fake_io_get32(msix_page, 16 + 12), 0);
	assert_int_equal(irq.enables, 1);
	assert_int_equal(irq.disables, 0);
	/* A new vector: the old entry goes (device masked first), a new one comes. */
	mw(TBL + 16 + 8, 4, 0x52);
	assert_int_equal(irq.disables, 1);
	assert_int_equal(irq.enables, 2);
	assert_int_equal(fake_io_get32(msix_page, 16 + 0), 0xfee00050);
	/* MSI-X off: the device's Enable clear, the entry freed. */
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0);
	assert_int_equal(irq.disables, 2);
	assert_int_equal(fake_pci_r16(a, MSIX_CTL(cap_msix)) & 0x8000, 0);
	assert_int_equal(fake_io_get32(msix_page, 16 + 12), 1);
	/* vpci_msix_off on a live one. */
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0x8000);
	assert_int_equal(irq.enables, 3);
	vpci_msix_off(&v);
	assert_int_equal(irq.disables, 3);
}

/* Pending bits are the device's (the PBA shares the page); byte and qword accesses; refusals. */
static void msix_pending_partial_writes_and_refusals(void **state)
{
	(void)state;
	wr(DEV_A, MSIX_CTL(cap_msix), 2, 0x8000);
	fake_io_set32(msix_page, 0x800, 0x2);
	assert_int_equal(mr(TBL + 0x800, 4), 2);
	assert_int_equal(mr(TBL + 0x800, 1), 2);
	/* A qword write of address low and high, then data by bytes. */
	mw(TBL + 32, 8, 0x00000000fee00000ULL);
	mw(TBL + 32 + 8, 1, 0x60);
	assert_int_equal(irq.enables, 1);                                       /* complete once data has a vector */
	assert_int_equal(irq.gvec, 0x60);
	mw(TBL + 32 + 9, 1, 0x00);
	assert_int_equal(mr(TBL + 32, 8), 0x00000000fee00000ULL);
	assert_int_equal(mr(TBL + 32 + 8, 2), 0x60);
	/* Reserved Vector Control bits do not stick. */
	mw(TBL + 32 + 12, 4, 0xfffffffe);
	assert_int_equal(mr(TBL + 32 + 12, 4), 0);
	assert_int_equal(fake_io_get32(msix_page, 32 + 12), 0);
	/* An NMI message unmasked: refused, said once, stays masked in the device. */
	msix_entry(3, 0xfee00000, 0x0441, false);
	assert_true(fake_log_has("WARN vpci: 00:03.0: guest MSI-X entry 3 unmasked with address 0xfee00000 data 0x00000441 (not a fixed, edge-triggered interrupt); it stays masked"));
	assert_int_equal(fake_io_get32(msix_page, 48 + 12), 1);
	assert_int_equal(irq.enables, 1);
	/* The partition refuses an entry: masked, said. */
	irq.fail = -HV_ENOMEM;
	msix_entry(0, 0xfee00000, 0x61, false);
	assert_true(fake_log_has("WARN vpci: 00:03.0: guest MSI-X entry 0 vector 0x61: no interrupt remapping entry ("));
	assert_int_equal(fake_io_get32(msix_page, 12), 1);
	/* Narrow writes to other registers of the page are dropped and counted. */
	u64 denied = v.denied_writes;
	mw(TBL + 0x900, 2, 0xffff);
	assert_int_equal(v.denied_writes, denied + 1);
	mw(TBL + 0x900, 4, 0x1234);
	assert_int_equal(fake_io_get32(msix_page, 0x900), 0x1234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(init_sizes_bars_and_restores_everything, setup),
		cmocka_unit_test_setup(init_refuses_what_it_cannot_show, setup),
		cmocka_unit_test_setup(other_functions_read_all_ones_and_ignore_writes, setup),
		cmocka_unit_test_setup(header_reads_pass_through, setup),
		cmocka_unit_test_setup(placed_functions_answer_at_their_guest_address, setup),
		cmocka_unit_test_setup(bad_accesses_read_all_ones, setup),
		cmocka_unit_test_setup(bar_sizing_is_emulated, setup),
		cmocka_unit_test_setup(bar_moves_are_denied, setup),
		cmocka_unit_test_setup(rom_bar_sizing_is_emulated, setup),
		cmocka_unit_test_setup(command_passes_only_io_mem_and_bus_master, setup),
		cmocka_unit_test_setup(a_revoked_bus_master_stays_off, setup),
		cmocka_unit_test_setup(a_revoke_racing_the_guests_write_still_wins, setup),
		cmocka_unit_test_setup(everything_else_is_dropped_and_counted, setup),
		cmocka_unit_test_setup(legacy_list_skips_hidden_capabilities, setup),
		cmocka_unit_test_setup(no_shown_capability_clears_the_list_bit, setup),
		cmocka_unit_test_setup(extended_list_skips_hidden_capabilities, setup),
		cmocka_unit_test_setup(broken_lists_are_cut, setup),
		cmocka_unit_test_setup(port_mechanism_1, setup),
		cmocka_unit_test_setup(ecam_window, setup),
		cmocka_unit_test_setup(vf_shows_its_pfs_identity_and_bars, setup),
		cmocka_unit_test_setup(msi_is_shown_and_writes_stay_in_the_shadow, setup_msi),
		cmocka_unit_test_setup(msi_enable_programs_the_remappable_message, setup_msi),
		cmocka_unit_test_setup(msi_refuses_what_it_cannot_remap, setup_msi),
		cmocka_unit_test_setup(msi_partial_writes_mask_and_pending, setup_msi),
		cmocka_unit_test_setup(msix_capability_and_trapped_page, setup_msi),
		cmocka_unit_test_setup(msix_masking_follows_the_guest, setup_msi),
		cmocka_unit_test_setup(msix_pending_partial_writes_and_refusals, setup_msi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
