/*
 * Spec: System V ABI, generic ELF ("gABI", 2013 draft), chapters "ELF
 * Header" and "Program Header"; EM_X86_64 from the x86-64 psABI 1.0.
 * Just what the loader needs to place an ET_EXEC kernel's PT_LOAD segments.
 */
#ifndef BOOT_EFI_ELF64_H
#define BOOT_EFI_ELF64_H

#include "kernel/types.h"

/* "ELF Identification": e_ident[] */
#define ELF_EI_NIDENT           16
#define ELF_EI_CLASS            4
#define  ELF_CLASS64            2
#define ELF_EI_DATA             5
#define  ELF_DATA2LSB           1
#define ELF_EI_VERSION          6
#define  ELF_EV_CURRENT         1

#define ELF_ET_EXEC             2       /* e_type: executable file */
#define ELF_EM_X86_64           62      /* e_machine */
#define ELF_PT_LOAD             1       /* p_type */

struct elf64_ehdr {
	u8  e_ident[ELF_EI_NIDENT];     /* 0x7f 'E' 'L' 'F', class, data, ... */
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;                    /* program header table, file offset */
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;                /* may exceed sizeof(struct elf64_phdr) */
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF Header");

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;                   /* file offset of the first byte */
	u64 p_vaddr;
	u64 p_paddr;                    /* where the loader puts it */
	u64 p_filesz;                   /* bytes in the file ... */
	u64 p_memsz;                    /* ... and in memory; the rest is zero */
	u64 p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Program Header");

#endif
