/*
 * The firmware tables one partition's guest finds (an unmodified Linux
 * reads its machine from them): RSDP, XSDT, a hardware-reduced FADT, a
 * DSDT holding \_S5, the PCI host bridge, its ECAM reserved and COM1,
 * the MADT of its own vCPUs and the MCFG of its virtual ECAM, laid into a
 * buffer the guest sees at a GPA (ACPI 6.5 chapter 5.2; kernel/acpi_hw.h).
 * Portable, no hardware access. Also the code at the reset vector, and
 * the power ports those tables name with the two legacy reset paths
 * Linux falls back to, as a pure decision the exit handler acts on
 * (vm/part/acpi.c). docs/architecture.md "What a Linux partition finds"
 * says why hardware-reduced and what is left out.
 */
#ifndef VM_PART_ACPI_TABLES_H
#define VM_PART_ACPI_TABLES_H
#include "kernel/types.h"

/* Who made the tables (every table's header): OEM ID, OEM table ID, creator ID. */
#define ACPI_GUEST_OEM_ID               "SLUICE"
#define ACPI_GUEST_OEM_TABLE_ID         "SLUICEPT"      /* "Sluice partition" */
#define ACPI_GUEST_OEM_REVISION         1
#define ACPI_GUEST_CREATOR_ID           "SLCE"
/* The layout's own version: raised when what the tables hold changes. */
#define ACPI_GUEST_CREATOR_REVISION     2       /* 2: the CMOS clock */

/*
 * The ports the FADT names (System I/O, 8 bits each). 0x0600-0x0601 are
 * nobody's in a partition (vm/dev: COM1 0x3f8, fw_cfg 0x510-0x511, PCI
 * 0xcf8/0xcfc-0xcff, PIC and PIT; the debug exit 0xf4). 0x0cf9 is the
 * reset control register of PC chipsets, which Linux also writes on its
 * own; 0x06 asks it for a CPU reset (bit 2) of a hard kind (bit 1).
 */
#define ACPI_GUEST_SLEEP_CONTROL_PORT   0x0600
#define ACPI_GUEST_SLEEP_STATUS_PORT    0x0601
#define ACPI_GUEST_RESET_PORT           0x0cf9
#define ACPI_GUEST_RESET_VALUE          0x06
#define  ACPI_GUEST_CF9_RST_CPU         BIT_ULL(2)      /* in the reset control register: reset now */
/* The 8042 keyboard controller's command port and its pulse-reset-line command. */
#define ACPI_GUEST_KBC_PORT             0x64
#define ACPI_GUEST_KBC_PULSE_RESET      0xfe
/* The partition's 16550 (vm/dev/vuart.h) the DSDT lists. */
#define ACPI_GUEST_COM1_PORT            0x3f8
/* The partition's CMOS clock (vm/dev/vrtc.h) the DSDT lists. */
#define ACPI_GUEST_RTC_PORT             0x70
/* The Local APIC address the MADT gives (vm/dev/vlapic.h's default base). */
#define ACPI_GUEST_LAPIC_ADDR           0xfee00000u
/* Host bridge memory windows the DSDT can list. */
#define ACPI_GUEST_MAX_WINDOWS          16

/* A memory range the partition's host bridge passes down: its functions' BARs (GPA = HPA). */
struct acpi_window {
	u64 base, size;
};

struct acpi_guest {
	u32 nr_cpus;
	const u32 *apic_ids;            /* the partition's own vCPUs' APIC IDs (vCPU index today), [0] the BSP */
	u64 ecam_gpa;                   /* the partition's virtual ECAM (bus 0 there); 0: no MCFG, no host bridge */
	u8 bus_start, bus_end;
	u32 nr_windows;                 /* memory windows of the host bridge's _CRS */
	const struct acpi_window *windows;
};

/*
 * Lays RSDP, XSDT, FADT, DSDT, MADT and (when ecam_gpa) MCFG into buf,
 * which the guest sees at gpa (16-byte aligned). Writes only within len.
 * Returns 0 with *rsdp_gpa (the RSDP, at gpa) and *used (bytes laid), or
 * -HV_ENOSPC (len too small) or -HV_EINVAL (no CPUs, a misaligned gpa or
 * ECAM, bus_start > bus_end, an empty or wrapping window, too many).
 */
int acpi_guest_build(const struct acpi_guest *g, void *buf, u64 gpa, u32 len, u64 *rsdp_gpa, u32 *used);

/*
 * The reset vector (f000:fff0, Intel SDM vol 3 9.1.4 "First Instruction
 * Executed"): a partition with these tables has firmware code there that
 * resets it, as a PC's BIOS does when a kernel jumps back to it. Linux
 * does on a HW-reduced ACPI machine without EFI: its default reboot tries
 * EFI, then this BIOS jump, before the reset register.
 */
#define ACPI_GUEST_RESET_VECTOR_GPA     0xffff0ULL
#define ACPI_GUEST_RESET_VECTOR_SIZE    16
/* The firmware's reset: a full reset (SYS_RST | RST_CPU | FULL_RST) through the reset control register. */
#define ACPI_GUEST_CF9_FULL_RESET       0x0e
/*
 * The reset vector's 16 bytes (real mode): OUT of ACPI_GUEST_CF9_FULL_RESET
 * to port 0xcf9, then CLI and HLT for ever.
 */
void acpi_guest_reset_vector(u8 code[ACPI_GUEST_RESET_VECTOR_SIZE]);

/* What a guest's port access means for its power (acpi_power_port). */
enum acpi_power {
	ACPI_POWER_NONE = 0,            /* not a power port: the caller goes on */
	ACPI_POWER_QUIET,               /* a power port, nothing to do (a read: 0; WAK_STS cleared) */
	ACPI_POWER_IGNORED,             /* a power port given what asks for nothing Sluice does: logged, counted */
	ACPI_POWER_OFF,                 /* SLP_EN with SLP_TYP 5 in the sleep control register */
	ACPI_POWER_RESET,               /* the FADT's reset value to its reset register */
	ACPI_POWER_RESET_CF9,           /* another write to 0xcf9 with RST_CPU */
	ACPI_POWER_RESET_KBC,           /* the 8042's pulse-reset command */
	ACPI_POWER_NR
};

/*
 * A guest IN (in) or OUT of val, size bytes, at port, of a partition that
 * was given these tables: what it means (pure). Reads of the sleep
 * status, sleep control and reset ports give 0 (the guest never "woke").
 * Power ports take byte accesses; a wider one there is IGNORED. The
 * 8042's port is only the pulse-reset: anything else there is NONE.
 */
enum acpi_power acpi_power_port(u16 port, u32 size, bool in, u32 val);
/* The end reason (ACPI_POWER_OFF and the resets) or what was ignored, for the log. */
const char *acpi_power_name(enum acpi_power a);

#endif
