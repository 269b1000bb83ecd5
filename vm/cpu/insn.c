/*
 * Instruction decoding for exits without next-RIP or decode assists: Intel
 * SDM vol 2 ch 2 "Instruction Format" (§2.1.1 legacy prefixes, §2.2.1 REX,
 * Table 2-1 16-bit and Tables 2-2/2-3 32-bit ModRM/SIB forms, §2.2.1.6
 * RIP-relative addressing) and the opcode map of vol 2 Appendix A. Only the
 * opcodes vm/cpu/insn.h lists, plus MOV A0-A3 (moffs), which compilers emit for
 * absolute addresses; no effective-address arithmetic (the GPA comes
 * from the exit), no VEX/EVEX, no 16-bit code segments.
 */
#include "vm/cpu/insn.h"
#include "kernel/err.h"
#include "kernel/lib.h"

/* §2.2.1.2 REX: 0100WRXB. */
#define REX_W           BIT_ULL(3)
#define REX_R           BIT_ULL(2)

#define MODRM_MOD(m)    ((m) >> 6)
#define MODRM_REG(m)    (((m) >> 3) & 7)
#define MODRM_RM(m)     ((m) & 7)
#define SIB_BASE(s)     ((s) & 7)

struct cursor {
	const u8 *b;
	size_t avail;
	size_t pos;
};

/* Takes n more bytes: false when the buffer or the 15-byte limit (§2.3.11) ends first. */
static bool take(struct cursor *c, size_t n)
{
	if (c->pos + n > c->avail || c->pos + n > INSN_MAX_LEN)
		return false;
	c->pos += n;
	return true;
}

static bool legacy_prefix(u8 b)
{
	switch (b) {
	case 0x66: case 0x67:                   /* operand, address size */
	case 0xf0: case 0xf2: case 0xf3:        /* LOCK, REPNE, REP */
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:       /* segments */
		return true;
	}
	return false;
}

/*
 * Steps over ModRM, SIB and displacement. addr16 selects Table 2-1 (mod 00
 * r/m 110 is disp16, no SIB); otherwise Tables 2-2/2-3, where r/m 100 means
 * a SIB byte, mod 00 r/m 101 is disp32 (RIP- or EIP-relative in 64-bit mode,
 * §2.2.1.6) and a SIB base of 101 under mod 00 is disp32 without a base.
 * REX.B does not change any of these choices (§2.2.1.3). Returns the ModRM byte
 * through *modrm; false when truncated.
 */
static bool modrm_skip(struct cursor *c, bool addr16, u8 *modrm)
{
	size_t disp = 0;

	if (!take(c, 1))
		return false;
	u8 m = c->b[c->pos - 1];
	*modrm = m;
	if (MODRM_MOD(m) == 3)
		return true;
	if (addr16) {
		if (MODRM_MOD(m) == 1)
			disp = 1;
		else if (MODRM_MOD(m) == 2 || MODRM_RM(m) == 6)
			disp = 2;
		return take(c, disp);
	}
	if (MODRM_RM(m) == 4) {
		if (!take(c, 1))
			return false;
		if (MODRM_MOD(m) == 0 && SIB_BASE(c->b[c->pos - 1]) == 5)
			disp = 4;
	}
	if (MODRM_MOD(m) == 0 && MODRM_RM(m) == 5)
		disp = 4;
	else if (MODRM_MOD(m) == 1)
		disp = 1;
	else if (MODRM_MOD(m) == 2)
		disp = 4;
	return take(c, disp);
}

static u64 le_bytes(const u8 *p, size_t n)
{
	u64 v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

int insn_decode(const u8 *bytes, size_t avail, bool long64, struct insn *out)
{
	struct cursor c = { .b = bytes, .avail = avail };
	bool opsize16 = false, addr_override = false;
	u8 rex = 0, op, modrm;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (!take(&c, 1))
			return -HV_EINVAL;
		op = bytes[c.pos - 1];
		if (legacy_prefix(op)) {
			opsize16 |= op == 0x66;
			addr_override |= op == 0x67;
			/* A REX that is not the last prefix is ignored (§2.2.1). */
			rex = 0;
			continue;
		}
		/* 40-4F are REX only in 64-bit mode; elsewhere INC/DEC (not emulated). */
		if (long64 && (op & 0xf0) == 0x40) {
			rex = op;
			continue;
		}
		break;
	}

	/*
	 * Vol 1 §3.6.1 Table 3-4: in 64-bit mode REX.W gives 64 bits over 66,
	 * and 67 gives 32-bit addressing; in 32-bit mode 67 gives 16-bit.
	 */
	u8 opsize = rex & REX_W ? 8 : opsize16 ? 2 : 4;
	bool addr16 = !long64 && addr_override;
	u8 reg_ext = rex & REX_R ? 8 : 0;

	switch (op) {
	case 0xf4:                      /* HLT */
	case 0xec: case 0xed:           /* IN AL/eAX, DX */
	case 0xee: case 0xef:           /* OUT DX, AL/eAX */
	case 0x6c: case 0x6d:           /* INS (REP in the prefixes) */
	case 0x6e: case 0x6f:           /* OUTS */
		break;
	case 0xe4: case 0xe5:           /* IN AL/eAX, imm8 */
	case 0xe6: case 0xe7:           /* OUT imm8, AL/eAX */
		if (!take(&c, 1))
			return -HV_EINVAL;
		break;
	case 0x88: case 0x89:           /* MOV r/m, r */
	case 0x8a: case 0x8b:           /* MOV r, r/m */
		if (!modrm_skip(&c, addr16, &modrm))
			return -HV_EINVAL;
		if (MODRM_MOD(modrm) == 3)
			break;          /* register to register: never an MMIO exit */
		out->kind = op & 2 ? INSN_MMIO_LOAD : INSN_MMIO_STORE_REG;
		out->size = op & 1 ? opsize : 1;
		out->reg = (u8)(MODRM_REG(modrm) + reg_ext);
		/* Without any REX, byte registers 4-7 are AH, CH, DH, BH (vol 2 §2.2.1.2, vol 1 Table 3-2). */
		out->high8 = out->size == 1 && !rex && out->reg >= 4;
		out->zero_extend = out->kind == INSN_MMIO_LOAD && out->size == 4;
		break;
	case 0xa0: case 0xa1:           /* MOV AL/eAX, moffs */
	case 0xa2: case 0xa3: {         /* MOV moffs, AL/eAX */
		/* The offset is as wide as the address size (Appendix A, "O" operands). */
		size_t moffs = long64 ? (addr_override ? 4 : 8) : (addr_override ? 2 : 4);
		if (!take(&c, moffs))
			return -HV_EINVAL;
		out->kind = op & 2 ? INSN_MMIO_STORE_REG : INSN_MMIO_LOAD;
		out->size = op & 1 ? opsize : 1;
		out->reg = 0;
		out->zero_extend = out->kind == INSN_MMIO_LOAD && out->size == 4;
		break;
	}
	case 0xc6: case 0xc7: {         /* MOV r/m, imm (group 11: only /0) */
		if (!modrm_skip(&c, addr16, &modrm))
			return -HV_EINVAL;
		if (MODRM_REG(modrm) != 0)
			return -HV_ENOTSUP;     /* C6 F8 XABORT, C7 F8 XBEGIN */
		u8 size = op == 0xc6 ? 1 : opsize;
		size_t imm_len = size == 8 ? 4 : size;  /* REX.W: imm32 sign-extended */
		if (!take(&c, imm_len))
			return -HV_EINVAL;
		u64 imm = le_bytes(bytes + c.pos - imm_len, imm_len);
		if (size == 8)
			imm = (u64)(s64)(s32)(u32)imm;
		if (MODRM_MOD(modrm) == 3)
			break;
		out->kind = INSN_MMIO_STORE_IMM;
		out->size = size;
		out->imm = imm;
		break;
	}
	case 0x0f:
		if (!take(&c, 1))
			return -HV_EINVAL;
		op = bytes[c.pos - 1];
		switch (op) {
		case 0xa2:              /* CPUID */
		case 0x30:              /* WRMSR */
		case 0x32:              /* RDMSR */
		case 0x08:              /* INVD */
			break;
		case 0x01:              /* group 7: only VMCALL (C1) and VMMCALL (D9) */
			if (!take(&c, 1))
				return -HV_EINVAL;
			if (bytes[c.pos - 1] != 0xc1 && bytes[c.pos - 1] != 0xd9)
				return -HV_ENOTSUP;
			break;
		case 0xb6: case 0xb7:   /* MOVZX r, r/m8 / r/m16 */
			if (!modrm_skip(&c, addr16, &modrm))
				return -HV_EINVAL;
			if (MODRM_MOD(modrm) == 3)
				break;
			out->kind = INSN_MMIO_LOAD;
			out->size = op == 0xb6 ? 1 : 2;
			out->reg = (u8)(MODRM_REG(modrm) + reg_ext);
			out->reg_size = opsize;
			out->zero_extend = opsize != 2;
			break;
		default:
			return -HV_ENOTSUP;
		}
		break;
	default:
		return -HV_ENOTSUP;
	}
	if (out->kind != INSN_OTHER && !out->reg_size)
		out->reg_size = out->size;
	out->len = (u8)c.pos;
	return 0;
}
