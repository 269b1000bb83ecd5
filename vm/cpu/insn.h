/*
 * The little x86 decoding Sluice needs because QEMU's SVM has no next-RIP
 * save and no decode assists: the length of the instructions that exit
 * (CPUID, RDMSR, WRMSR, INVD, HLT, VMMCALL/VMCALL, IN/OUT, and any MOV that
 * faults on MMIO), and the operands of the MOV forms MMIO emulation needs.
 * Portable; the caller fetches up to 15 bytes at the guest's RIP.
 */
#ifndef VM_INSN_H
#define VM_INSN_H
#include "kernel/types.h"

#define INSN_MAX_LEN            15

enum insn_kind {
	INSN_OTHER = 0,         /* decoded length only (or not at all) */
	INSN_MMIO_LOAD,         /* reg <- [mem]: MOV 8A/8B/A0/A1, MOVZX 0F B6/B7 */
	INSN_MMIO_STORE_REG,    /* [mem] <- reg: MOV 88/89/A2/A3 */
	INSN_MMIO_STORE_IMM,    /* [mem] <- imm: MOV C6/C7 */
};

struct insn {
	u8 len;                 /* total length, prefixes included */
	enum insn_kind kind;
	u8 size;                /* memory operand size in bytes: 1, 2, 4, 8 */
	u8 reg;                 /* register number 0-15 (ModRM.reg + REX.R), for loads and register stores */
	bool high8;             /* byte register AH/CH/DH/BH (no REX, reg 4-7) */
	bool zero_extend;       /* MOVZX, or a 32-bit load (clears the upper half) */
	u8 reg_size;            /* register operand size: MOVZX's destination (2, 4, 8), else = size */
	u64 imm;                /* for STORE_IMM (sign-extended to size) */
};

/*
 * Decodes the instruction in bytes[0..avail) for a CPU in 64-bit mode
 * (long64) or 32-bit protected mode (!long64, default operand size 32).
 * Knows legacy prefixes (66, 67, F2, F3, segment, LOCK), REX, ModRM, SIB
 * and displacements. Returns 0, -HV_ENOTSUP (an opcode it does not know:
 * the guest is parked) or -HV_EINVAL (truncated: avail too short, or longer
 * than 15 bytes).
 */
int insn_decode(const u8 *bytes, size_t avail, bool long64, struct insn *out);

#endif
