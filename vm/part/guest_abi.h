/*
 * What a Sluice guest partition sees of Sluice: the hypercalls, the start
 * information of the elf64 entry mode and the emulated ports. Shared by the
 * hypervisor (vm/) and the guests (tests/guests/); it needs only
 * <stdint.h>, so a guest built with its own toolchain can include it.
 *
 * Hypercalls: VMMCALL (AMD) or VMCALL (Intel) with the call number in
 * RAX/EAX and up to three arguments in RDI, RSI, RDX (EDI, ESI, EDX for a
 * 32-bit guest); the result comes back in RAX/EAX: >= 0 on success, a
 * negative SLUICE_HC_E* on failure. Guest addresses are GPAs: elf64 guests
 * run identity-mapped, multiboot guests without paging.
 */
#ifndef VM_GUEST_ABI_H
#define VM_GUEST_ABI_H
#include <stdint.h>

/* Hypercall numbers (RAX). */
#define SLUICE_HC_CONSOLE       1       /* (gpa, len): write len (<= 256) bytes to the partition's console */
#define SLUICE_HC_START_INFO    2       /* (): returns the GPA of the start information page */
#define SLUICE_HC_VERDICT       3       /* (pass, gpa of NUL-ended text <= 128 bytes): one test verdict */
#define SLUICE_HC_EXIT          4       /* (code): the partition ends; code 0 = success */
#define SLUICE_HC_DMA_VERIFY    5       /* (gpa, expected gpa, len <= 4096): Sluice compares the HPA
					 * memory behind gpa with the bytes at expected, logs both HPAs;
					 * returns 0 (equal) or 1 (different) */

#define SLUICE_HC_IO_LOOP       6       /* (0): an I/O loop starts; (1, n): it ended after n I/Os.
					 * Sluice counts the VM exits in between (the data path's
					 * target is 0) and prints them per I/O in the summary. */
#define SLUICE_HC_DMA_FAULTS    7       /* (): the IOMMU faults counted against the partition so far */
#define SLUICE_HC_RESTART       9       /* (): restart me: devices stopped, memory unmapped from the IOMMU
					 * (device-TLBs invalidated), zeroed, mapped again, the image
					 * reloaded, VFs reset; start info restarts counts it */
#define SLUICE_HC_PF_BENCH      10      /* (ios): make bench only ([sluice] pf-bench): Sluice's own driver
					 * does ios I/Os on the PF of my VF now, between my rounds;
					 * 0 or -SLUICE_HC_E* */
#define SLUICE_HC_REMAP         8       /* (gpa): move the memory region starting at gpa to new host
					 * memory (contents copied, IOMMU and nested tables switched,
					 * device-TLBs invalidated); returns 0 or -SLUICE_HC_E* */
#define SLUICE_HC_ATTACK_TARGETS 11     /* (gpa of a page of mine): [sluice] attack-test only. Sluice
					 * writes a struct sluice_attack_list there (its own structures
					 * and other partitions' memory, as IOVAs to aim my device at) and
					 * snapshots each target; returns the number of targets */
#define SLUICE_HC_ATTACK_CHECK  12      /* (gpa of n struct sluice_attack_result or 0, n): attack-test
					 * only. Sluice compares each target with its snapshot, logs one
					 * check line per target and the attack matrix (my results);
					 * returns the bytes changed in all targets */
#define SLUICE_HC_IPI           13      /* (APIC ID, ICR low word): a paravirtual ICR write, filtered as the
					 * local APIC's (partition_ipi: the partition's own CPUs only);
					 * returns 0, or -SLUICE_HC_EINVAL (dropped, counted) */
#define SLUICE_HC_LAPIC         15      /* (0): a timed interval starts; (1, ticks the guest counted): it
					 * ends, Sluice logs ticks, injections, EOIs and VM exits per tick
					 * and returns the exits; (2): the TSC rate in kHz */
#define SLUICE_HC_CONSOLE_MAX   256     /* bytes per console hypercall */
#define SLUICE_HC_VERDICT_MAX   128     /* verdict text, NUL included */

/* Hypercall errors (RAX, negated). */
#define SLUICE_HC_EINVAL        1       /* bad number or argument */
#define SLUICE_HC_EFAULT        2       /* a buffer is not the partition's memory */
#define SLUICE_HC_EIO           3       /* Sluice could not do it (the log says why) */
#define SLUICE_HC_EPERM         4       /* made from user mode (CPL > 0): only the guest's kernel may call */

/* Emulated ports. */
#define SLUICE_PORT_COM1        0x3f8   /* 16550: writes to THR reach Sluice's console */
#define SLUICE_PORT_DEBUG_EXIT  0xf4    /* as QEMU's isa-debug-exit: a write ends the partition with that code */
#define SLUICE_PORT_MARK        0xe8    /* entry = linux: a byte N (1-255) opens measured interval N, 0 closes
					 * it; Sluice logs its VM exits by reason and its length (vm/part/mark.c) */
#define SLUICE_PORT_PCI_ADDR    0xcf8   /* PCI configuration mechanism #1 */
#define SLUICE_PORT_PCI_DATA    0xcfc

/* The start information page (elf64 entry: RDI holds its GPA). */
#define SLUICE_START_MAGIC      0x534c5349u     /* "SLSI" */
#define SLUICE_START_VERSION    3       /* 2: args, 3: cpus */
#define SLUICE_START_MAX_CPUS   8
#define SLUICE_START_ARGS_LEN   160     /* [partition] args, NUL-ended (the config's value limit) */
#define SLUICE_START_MAX_MEM    16
#define SLUICE_START_MAX_DEV    16
#define SLUICE_MEM_READ         (1u << 0)
#define SLUICE_MEM_WRITE        (1u << 1)

struct sluice_start_mem {
	uint64_t gpa, size;
	uint32_t access;                /* SLUICE_MEM_READ | SLUICE_MEM_WRITE */
	uint32_t reserved;
};

struct sluice_start_dev {
	uint32_t sbdf;                  /* segment << 16 | bus << 8 | dev << 3 | fn, as on the host */
	uint32_t reserved;
};

struct sluice_start_info {
	uint32_t magic, version;
	char name[32];                  /* the partition's name, NUL-ended */
	uint32_t cpu;                   /* physical CPU index this vCPU runs on */
	uint32_t nr_mem, nr_dev;
	uint32_t restarts;               /* times Sluice restarted the partition (SLUICE_HC_RESTART) */
	uint64_t ecam_gpa;              /* virtual ECAM window (segment 0, buses ecam_bus_start..end) */
	uint32_t ecam_bus_start, ecam_bus_end;
	uint16_t console_port, exit_port;
	uint32_t reserved1;
	uint64_t free_gpa;              /* first guest-physical byte past the image, page tables and this page */
	struct sluice_start_mem mem[SLUICE_START_MAX_MEM];
	struct sluice_start_dev dev[SLUICE_START_MAX_DEV];
	char args[SLUICE_START_ARGS_LEN];       /* [partition] args = STRING, "" when not given */
	/*
	 * Its CPUs' APIC IDs (cpus[0] the BSP): the destinations of its IPIs,
	 * the APs it starts with INIT-SIPI-SIPI. The partition's own numbering,
	 * 0 to nr_cpus - 1, not the physical CPUs' (cpu above).
	 */
	uint32_t nr_cpus;
	uint32_t cpus[SLUICE_START_MAX_CPUS];
};

/*
 * Attack tests ([sluice] attack-test = on, SLUICE_HC_ATTACK_TARGETS): the
 * foreign targets a hostile guest aims its own device's DMA at. iova is
 * the bus address to use (the HPA itself, which the caller does not own,
 * or a GPA just past its own memory); hpa and size are what Sluice
 * snapshots and compares.
 */
#define SLUICE_ATTACK_MAX       16
#define SLUICE_ATTACK_NAME_LEN  24
#define SLUICE_ATTACK_MEMORY    0       /* RAM, compared through Sluice's direct map */
#define SLUICE_ATTACK_MMIO      1       /* device registers, read through their BAR mapping */

struct sluice_attack_target {
	char name[SLUICE_ATTACK_NAME_LEN];      /* "witness-memory", "sluice-text", ... */
	uint64_t iova, hpa, size;
	uint32_t kind;                  /* SLUICE_ATTACK_MEMORY or SLUICE_ATTACK_MMIO */
	uint32_t reserved;
};

struct sluice_attack_list {
	uint32_t nr, reserved;
	struct sluice_attack_target t[SLUICE_ATTACK_MAX];
};

/* One attack's result, as the attacker saw it, for Sluice's matrix (SLUICE_HC_ATTACK_CHECK). */
#define SLUICE_ATTACK_NO_TARGET 0xffffffffu     /* an attack on no snapshotted target (the MSI window) */
#define SLUICE_ATTACK_WHAT_LEN  40
#define SLUICE_ATTACK_MAX_RESULTS 64    /* results per SLUICE_HC_ATTACK_CHECK */
#define SLUICE_ATTACK_SURVIVED  0       /* it got through, and Sluice and the attacker run on */
#define SLUICE_ATTACK_BLOCKED   1       /* blocked: a fault was counted against the attacker */
#define SLUICE_ATTACK_UNCOUNTED 2       /* meant to be blocked, but no fault was counted against the
					 * attacker (e.g. a fault recorded with no source ID: the log says) */
struct sluice_attack_result {
	uint32_t target;                /* index into the list, or SLUICE_ATTACK_NO_TARGET */
	uint32_t result;                /* SLUICE_ATTACK_SURVIVED, _BLOCKED or _UNCOUNTED */
	uint32_t faults;                /* IOMMU faults counted against the attacker by this attack */
	uint32_t reserved;
	char what[SLUICE_ATTACK_WHAT_LEN];      /* the access: "dma-read", "dma-write", "msi fixed 0x30 cpu0" */
};

#endif
