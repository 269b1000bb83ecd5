/*
 * The test guests' library: what a freestanding guest in a Sluice
 * partition (elf64 entry mode, vm/part/guest_image.h) needs to print, judge and
 * end, and to reach its devices' config space. No libc; every call is
 * polled and single-CPU. See tests/guests/README.md.
 */
#ifndef GUESTS_LIB_GUEST_H
#define GUESTS_LIB_GUEST_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include "vm/part/guest_abi.h"
#include "kernel/types.h"        /* MiB, ARRAY_SIZE: the hypervisor's own */
#include "kernel/hw/pci_cfg.h"   /* PCI_SBDF, BDF_FMT, BDF_ARGS */
#include "tests/guests/lib/uart.h"

#define GUEST_PAGE      4096ULL

/* The start information Sluice passed in RDI, and the guest's own name ("hello"). */
extern const struct sluice_start_info *guest_si;
extern const char guest_name[];

/* Each guest's body; its return value is the exit code. */
int guest_main(const struct sluice_start_info *si);

/* ---- hypercalls (vm/part/guest_abi.h) ---- */
/* The CPUID vendor string (leaf 0), e.g. "GenuineIntel"; it picks the hypercall instruction. */
const char *guest_cpu_vendor(void);
long sluice_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
long hc_console(const char *s, size_t n);
/* 0 when the HPA bytes behind gpa equal those behind expect_gpa, 1 when not, < 0 on error. */
long hc_dma_verify(uint64_t gpa, uint64_t expect_gpa, uint64_t len);
/* Prints "<name>: passed: TEXT" or "<name>: FAILED: TEXT" and reports it to Sluice. Returns pass. */
bool verdict(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the partition: the exit hypercall, then the debug-exit port; never returns. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* ---- PCI config space: ECAM window from the start info (default) or ports 0xCF8/0xCFC ---- */
#define PCI_BDF(b, d, f)        PCI_SBDF(0, b, d, f)
uint32_t pci_ecam_read(uint32_t bdf, uint32_t off, int width);
void pci_ecam_write(uint32_t bdf, uint32_t off, int width, uint32_t val);
uint32_t pci_port_read(uint32_t bdf, uint32_t off, int width);
void pci_port_write(uint32_t bdf, uint32_t off, int width, uint32_t val);
uint32_t pci_read(uint32_t bdf, uint32_t off, int width);
void pci_write(uint32_t bdf, uint32_t off, int width, uint32_t val);
/* The partition's functions (start info), then a scan of the ECAM window's buses, for vendor:device; 0 and *bdf, or -1. */
int pci_find(uint16_t vendor, uint16_t device, uint32_t *bdf);

/* ---- memory ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* Whether [gpa, gpa + len) touches a memory region of the start info. */
bool guest_owns(uint64_t gpa, uint64_t len);
/*
 * The first 2 MiB-aligned GPA past every memory region of the start info
 * (and not in the virtual ECAM window), identity-mapped as a 2 MiB page in
 * the guest's own page tables; new tables are taken from *free_gpa (page
 * aligned, advanced). Touching it must get the partition stopped.
 */
uint64_t guest_map_outside(uint64_t *free_gpa);

/* The TSC and MSRs as the guest reads and writes them (Intel SDM Vol. 2: RDTSC, RDMSR, WRMSR). */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#endif
