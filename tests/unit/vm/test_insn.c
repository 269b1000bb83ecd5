/*
 * Host tests for vm/cpu/insn.c: lengths of the exiting instructions and the
 * operands of the MMIO MOV forms, in 64-bit and 32-bit mode, through every
 * ModRM/SIB/displacement shape, plus truncation and unknown opcodes. The
 * bytes were checked with GNU as/objdump (the assembly is beside each one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/cpu/insn.h"
#include "kernel/err.h"

struct len_case {
	const char *asm_text;
	u8 bytes[INSN_MAX_LEN + 1];
	u8 len;
};

static struct insn dec(const u8 *b, size_t n, bool long64)
{
	struct insn in;
	int ret = insn_decode(b, n, long64, &in);
	if (ret)
		fail_msg("insn_decode returned %d", ret);
	return in;
}

#define DEC64(...) ({ static const u8 b_[] = { __VA_ARGS__ }; dec(b_, sizeof(b_), true); })
#define DEC32(...) ({ static const u8 b_[] = { __VA_ARGS__ }; dec(b_, sizeof(b_), false); })

static void check_lengths(const struct len_case *c, size_t n, bool long64)
{
	for (size_t i = 0; i < n; i++) {
		struct insn in;
		/* Give it 15 bytes: the decoder must stop at the instruction's end. */
		u8 buf[INSN_MAX_LEN];
		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, c[i].bytes, c[i].len);
		int ret = insn_decode(buf, sizeof(buf), long64, &in);
		if (ret || in.len != c[i].len)
			fail_msg("%s: ret %d len %u, want len %u", c[i].asm_text, ret, in.len, c[i].len);
	}
}

static void exiting_instructions_have_their_lengths(void **state)
{
	(void)state;
	static const struct len_case c[] = {
		{ "cpuid", { 0x0f, 0xa2 }, 2 },
		{ "rdmsr", { 0x0f, 0x32 }, 2 },
		{ "wrmsr", { 0x0f, 0x30 }, 2 },
		{ "hlt", { 0xf4 }, 1 },
		{ "vmmcall", { 0x0f, 0x01, 0xd9 }, 3 },
		{ "vmcall", { 0x0f, 0x01, 0xc1 }, 3 },
		{ "in $0x60,%al", { 0xe4, 0x60 }, 2 },
		{ "in $0x60,%eax", { 0xe5, 0x60 }, 2 },
		{ "out %al,$0x80", { 0xe6, 0x80 }, 2 },
		{ "out %eax,$0x80", { 0xe7, 0x80 }, 2 },
		{ "in (%dx),%al", { 0xec }, 1 },
		{ "in (%dx),%ax", { 0x66, 0xed }, 2 },
		{ "out %al,(%dx)", { 0xee }, 1 },
		{ "out %eax,(%dx)", { 0xef }, 1 },
		{ "insb", { 0x6c }, 1 },
		{ "rep insw", { 0x66, 0xf3, 0x6d }, 3 },
		{ "rep outsb", { 0xf3, 0x6e }, 2 },
		{ "rep outsl", { 0xf3, 0x6f }, 2 },
		{ "rex.w cpuid (REX ignored for length)", { 0x48, 0x0f, 0xa2 }, 3 },
	};
	check_lengths(c, ARRAY_SIZE(c), true);
	check_lengths(c, ARRAY_SIZE(c) - 1, false);
}

static void modrm_forms_64(void **state)
{
	(void)state;
	static const struct len_case c[] = {
		{ "mov (%rax),%eax", { 0x8b, 0x00 }, 2 },
		{ "mov 0x10(%rip),%eax", { 0x8b, 0x05, 0x10, 0, 0, 0 }, 6 },
		{ "mov 0x10(%eip),%eax", { 0x67, 0x8b, 0x05, 0x10, 0, 0, 0 }, 7 },
		{ "mov (%rsp),%eax", { 0x8b, 0x04, 0x24 }, 3 },
		{ "mov 0x8(%rsp,%rcx,4),%edx", { 0x8b, 0x54, 0x8c, 0x08 }, 4 },
		{ "mov 0x12345678(,%rcx,8),%ebx", { 0x8b, 0x1c, 0xcd, 0x78, 0x56, 0x34, 0x12 }, 7 },
		{ "mov 0x44(%r13),%eax", { 0x41, 0x8b, 0x45, 0x44 }, 4 },
		{ "mov 0x0(%r13),%eax", { 0x41, 0x8b, 0x45, 0x00 }, 4 },
		{ "mov 0x100(%rbp),%eax", { 0x8b, 0x85, 0x00, 0x01, 0, 0 }, 6 },
		{ "mov (%r12),%eax", { 0x41, 0x8b, 0x04, 0x24 }, 4 },
		{ "mov %r12,0x12345678(%r13)", { 0x4d, 0x89, 0xa5, 0x78, 0x56, 0x34, 0x12 }, 7 },
		{ "mov %fs:(%rax),%eax", { 0x64, 0x8b, 0x00 }, 3 },
		{ "mov (%eax,%ebx,1),%r8w", { 0x67, 0x66, 0x44, 0x8b, 0x04, 0x18 }, 6 },
		{ "mov 0xb0000000,%eax (SIB, no base, no index)", { 0x8b, 0x04, 0x25, 0, 0, 0, 0xb0 }, 7 },
		{ "mov 0x10(%rax,%rbx,1),%eax disp32 in SIB", { 0x8b, 0x84, 0x18, 0x10, 0, 0, 0 }, 7 },
		{ "mov %eax,%ebx", { 0x89, 0xc3 }, 2 },
		{ "movabs 0xb0000000,%eax", { 0xa1, 0, 0, 0, 0xb0, 0, 0, 0, 0 }, 9 },
		{ "addr32 mov 0x12345678,%eax", { 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12 }, 6 },
		{ "movzbq (%rax),%r10", { 0x4c, 0x0f, 0xb6, 0x10 }, 4 },
		{ "movl $0x12345678,0x10(%rax)", { 0xc7, 0x40, 0x10, 0x78, 0x56, 0x34, 0x12 }, 7 },
		{ "movq $-2,(%rax)", { 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 7 },
		{ "movw $0x1234,(%rax)", { 0x66, 0xc7, 0x00, 0x34, 0x12 }, 5 },
		{ "movb $0x7f,(%rax)", { 0xc6, 0x00, 0x7f }, 3 },
		{ "movl $1,0x12345678(%rip)", { 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 1, 0, 0, 0 }, 10 },
	};
	check_lengths(c, ARRAY_SIZE(c), true);
}

static void modrm_forms_32_and_16(void **state)
{
	(void)state;
	static const struct len_case c[] = {
		{ "mov (%eax),%eax", { 0x8b, 0x00 }, 2 },
		{ "mov %eax,0x12345678(%ebx,%esi,2)", { 0x89, 0x84, 0x73, 0x78, 0x56, 0x34, 0x12 }, 7 },
		{ "mov 0x1234,%eax (ModRM disp32, not RIP)", { 0x8b, 0x05, 0x34, 0x12, 0, 0 }, 6 },
		{ "mov 0x1234,%eax (moffs)", { 0xa1, 0x34, 0x12, 0, 0 }, 5 },
		{ "addr16 mov 0x1234,%eax (moffs16)", { 0x67, 0xa1, 0x34, 0x12 }, 4 },
		{ "addr16 mov (%bx,%si),%eax", { 0x67, 0x8b, 0x00 }, 3 },
		{ "addr16 mov 0x12(%bp,%di),%eax", { 0x67, 0x8b, 0x43, 0x12 }, 4 },
		{ "addr16 mov 0x1234(%bx),%eax", { 0x67, 0x8b, 0x87, 0x34, 0x12 }, 5 },
		{ "addr16 mov 0x1234,%eax (mod 00 r/m 110)", { 0x67, 0x8b, 0x06, 0x34, 0x12 }, 5 },
		{ "addr16 mov (%si),%eax: r/m 100 is not a SIB", { 0x67, 0x8b, 0x04 }, 3 },
		{ "addr16 mov (%di),%eax: r/m 101 is not disp32", { 0x67, 0x8b, 0x05 }, 3 },
		{ "movl $0x12345678,(%ecx)", { 0xc7, 0x01, 0x78, 0x56, 0x34, 0x12 }, 6 },
		{ "movw $0x1234,0x2(%ecx)", { 0x66, 0xc7, 0x41, 0x02, 0x34, 0x12 }, 6 },
		{ "movzbl (%eax),%eax", { 0x0f, 0xb6, 0x00 }, 3 },
		{ "movzwl 0x10(%ebp),%edx", { 0x0f, 0xb7, 0x55, 0x10 }, 4 },
	};
	check_lengths(c, ARRAY_SIZE(c), false);
}

static void mov_loads_give_size_and_register(void **state)
{
	(void)state;
	struct insn in = DEC64(0x8b, 0x00);             /* mov (%rax),%eax */
	assert_int_equal(in.kind, INSN_MMIO_LOAD);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.reg, 0);
	assert_true(in.zero_extend);
	assert_int_equal(in.reg_size, 4);

	in = DEC64(0x48, 0x8b, 0x00);                   /* mov (%rax),%rax */
	assert_int_equal(in.size, 8);
	assert_false(in.zero_extend);

	in = DEC64(0x44, 0x8b, 0x08);                   /* mov (%rax),%r9d */
	assert_int_equal(in.reg, 9);
	assert_int_equal(in.size, 4);

	in = DEC64(0x66, 0x8b, 0x02);                   /* mov (%rdx),%ax */
	assert_int_equal(in.size, 2);
	assert_false(in.zero_extend);

	in = DEC64(0x66, 0x48, 0x8b, 0x02);             /* REX.W wins over 66: mov (%rdx),%rax */
	assert_int_equal(in.size, 8);

	in = DEC64(0x48, 0x66, 0x8b, 0x02);             /* REX before 66 is ignored: mov (%rdx),%ax */
	assert_int_equal(in.size, 2);

	in = DEC64(0x8b, 0x1c, 0xcd, 0x78, 0x56, 0x34, 0x12);  /* mov 0x12345678(,%rcx,8),%ebx */
	assert_int_equal(in.reg, 3);

	in = DEC32(0x66, 0x8b, 0x02);                   /* 32-bit: mov (%edx),%ax */
	assert_int_equal(in.size, 2);
}

static void byte_registers_high8_only_without_rex(void **state)
{
	(void)state;
	struct insn in = DEC64(0x8a, 0x23);             /* mov (%rbx),%ah */
	assert_int_equal(in.kind, INSN_MMIO_LOAD);
	assert_int_equal(in.size, 1);
	assert_int_equal(in.reg, 4);
	assert_true(in.high8);
	assert_false(in.zero_extend);

	in = DEC64(0x88, 0x39);                         /* mov %bh,(%rcx) */
	assert_int_equal(in.kind, INSN_MMIO_STORE_REG);
	assert_int_equal(in.reg, 7);
	assert_true(in.high8);

	in = DEC64(0x40, 0x8a, 0x33);                   /* mov (%rbx),%sil */
	assert_int_equal(in.reg, 6);
	assert_false(in.high8);

	in = DEC64(0x44, 0x8a, 0x78, 0x10);             /* mov 0x10(%rax),%r15b */
	assert_int_equal(in.reg, 15);
	assert_false(in.high8);

	in = DEC32(0x8a, 0x23);                         /* 32-bit: mov (%ebx),%ah */
	assert_int_equal(in.reg, 4);
	assert_true(in.high8);

	in = DEC64(0x8b, 0x20);                         /* mov (%rax),%esp: not a byte register */
	assert_false(in.high8);
}

static void stores_of_registers_and_immediates(void **state)
{
	(void)state;
	struct insn in = DEC64(0x4d, 0x89, 0xa5, 0x78, 0x56, 0x34, 0x12);      /* mov %r12,0x12345678(%r13) */
	assert_int_equal(in.kind, INSN_MMIO_STORE_REG);
	assert_int_equal(in.size, 8);
	assert_int_equal(in.reg, 12);

	in = DEC64(0xc7, 0x40, 0x10, 0x78, 0x56, 0x34, 0x12);  /* movl $0x12345678,0x10(%rax) */
	assert_int_equal(in.kind, INSN_MMIO_STORE_IMM);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.imm, 0x12345678);

	in = DEC64(0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff);  /* movq $-2,(%rax): imm32 sign-extended */
	assert_int_equal(in.size, 8);
	assert_int_equal(in.imm, 0xfffffffffffffffeULL);

	in = DEC64(0x48, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12);  /* movq $0x12345678,(%rax) */
	assert_int_equal(in.imm, 0x12345678);

	in = DEC64(0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff);        /* movl $-2,(%rax): no extension past 32 bits */
	assert_int_equal(in.imm, 0xfffffffe);

	in = DEC64(0x66, 0xc7, 0x00, 0x34, 0x12);              /* movw $0x1234,(%rax) */
	assert_int_equal(in.size, 2);
	assert_int_equal(in.imm, 0x1234);
	assert_int_equal(in.len, 5);

	in = DEC64(0xc6, 0x00, 0x7f);                          /* movb $0x7f,(%rax) */
	assert_int_equal(in.size, 1);
	assert_int_equal(in.imm, 0x7f);

	in = DEC32(0x66, 0xc7, 0x41, 0x02, 0x34, 0x12);        /* 32-bit: movw $0x1234,0x2(%ecx) */
	assert_int_equal(in.kind, INSN_MMIO_STORE_IMM);
	assert_int_equal(in.imm, 0x1234);

	in = DEC64(0xc7, 0xc0, 0x01, 0, 0, 0);                 /* mov $1,%eax: a register, not MMIO */
	assert_int_equal(in.kind, INSN_OTHER);
	assert_int_equal(in.len, 6);
}

static void movzx_and_moffs(void **state)
{
	(void)state;
	struct insn in = DEC64(0x0f, 0xb6, 0x00);       /* movzbl (%rax),%eax */
	assert_int_equal(in.kind, INSN_MMIO_LOAD);
	assert_int_equal(in.size, 1);
	assert_int_equal(in.reg_size, 4);
	assert_true(in.zero_extend);
	assert_false(in.high8);

	in = DEC64(0x0f, 0xb7, 0x00);                   /* movzwl (%rax),%eax */
	assert_int_equal(in.size, 2);

	in = DEC64(0x4c, 0x0f, 0xb6, 0x10);             /* movzbq (%rax),%r10 */
	assert_int_equal(in.reg, 10);
	assert_int_equal(in.reg_size, 8);
	assert_true(in.zero_extend);

	in = DEC64(0x66, 0x0f, 0xb6, 0x00);             /* movzbw (%rax),%ax: only 16 bits written */
	assert_int_equal(in.reg_size, 2);
	assert_false(in.zero_extend);

	in = DEC64(0x0f, 0xb6, 0x20);                   /* movzbl (%rax),%esp: reg 4 is not AH here */
	assert_int_equal(in.reg, 4);
	assert_false(in.high8);

	in = DEC64(0xa1, 0, 0, 0, 0xb0, 0, 0, 0, 0);    /* movabs 0xb0000000,%eax */
	assert_int_equal(in.kind, INSN_MMIO_LOAD);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.reg, 0);

	in = DEC64(0xa2, 0, 0, 0, 0xb0, 0, 0, 0, 0);    /* movabs %al,0xb0000000 */
	assert_int_equal(in.kind, INSN_MMIO_STORE_REG);
	assert_int_equal(in.size, 1);
	assert_false(in.high8);

	in = DEC32(0x66, 0xa3, 0x34, 0x12, 0, 0);       /* 32-bit: mov %ax,0x1234 */
	assert_int_equal(in.kind, INSN_MMIO_STORE_REG);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.len, 6);
}

static void register_moves_are_not_mmio(void **state)
{
	(void)state;
	struct insn in = DEC64(0x89, 0xc3);             /* mov %eax,%ebx */
	assert_int_equal(in.kind, INSN_OTHER);
	assert_int_equal(in.len, 2);
	in = DEC64(0x0f, 0xb6, 0xc0);                   /* movzbl %al,%eax */
	assert_int_equal(in.kind, INSN_OTHER);
	in = DEC64(0xf4);
	assert_int_equal(in.kind, INSN_OTHER);
}

static void rex_is_inc_dec_in_32_bit_mode(void **state)
{
	(void)state;
	struct insn in;
	static const u8 inc[] = { 0x40 };               /* 32-bit: inc %eax */
	static const u8 rexw_mov[] = { 0x48, 0x8b, 0x00 };
	assert_int_equal(insn_decode(inc, sizeof(inc), false, &in), -HV_ENOTSUP);
	assert_int_equal(insn_decode(rexw_mov, sizeof(rexw_mov), false, &in), -HV_ENOTSUP);
	assert_int_equal(insn_decode(rexw_mov, sizeof(rexw_mov), true, &in), 0);
	assert_int_equal(in.size, 8);
}

static void unknown_opcodes_are_not_supported(void **state)
{
	(void)state;
	static const u8 c[][3] = {
		{ 0x90 },                       /* nop */
		{ 0xf0, 0x83, 0x00 },           /* lock addl $1,(%rax) */
		{ 0x0f, 0x01, 0xd8 },           /* vmrun */
		{ 0x0f, 0x31 },                 /* rdtsc */
		{ 0xc7, 0xf8, 0x00 },           /* xbegin: C7 /7 */
		{ 0xc6, 0x08, 0x00 },           /* C6 /1: undefined */
		{ 0x0f, 0x0b },                 /* ud2 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		u8 buf[INSN_MAX_LEN] = { 0 };
		struct insn in;
		memcpy(buf, c[i], sizeof(c[i]));
		if (insn_decode(buf, sizeof(buf), true, &in) != -HV_ENOTSUP)
			fail_msg("case %zu decoded", i);
	}
}

static void truncated_instructions_are_invalid(void **state)
{
	(void)state;
	static const u8 full[] = { 0x48, 0xc7, 0x80, 0x00, 0x01, 0, 0, 0xfe, 0xff, 0xff, 0xff };      /* movq $-2,0x100(%rax) */
	struct insn in;
	for (size_t n = 0; n < sizeof(full); n++)
		if (insn_decode(full, n, true, &in) != -HV_EINVAL)
			fail_msg("%zu of %zu bytes decoded", n, sizeof(full));
	assert_int_equal(insn_decode(full, sizeof(full), true, &in), 0);
	assert_int_equal(in.len, sizeof(full));

	static const u8 sib[] = { 0x8b, 0x04 };         /* SIB byte missing */
	static const u8 grp7[] = { 0x0f, 0x01 };
	static const u8 port[] = { 0xe4 };
	assert_int_equal(insn_decode(sib, sizeof(sib), true, &in), -HV_EINVAL);
	assert_int_equal(insn_decode(grp7, sizeof(grp7), true, &in), -HV_EINVAL);
	assert_int_equal(insn_decode(port, sizeof(port), true, &in), -HV_EINVAL);
}

static void longer_than_15_bytes_is_invalid(void **state)
{
	(void)state;
	/* 11 segment prefixes + movl $1,0x12345678(%rip) would be 21 bytes. */
	u8 b[32];
	struct insn in;
	memset(b, 0x3e, 11);
	memcpy(b + 11, (const u8[]){ 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 1, 0, 0, 0 }, 10);
	assert_int_equal(insn_decode(b, 21, true, &in), -HV_EINVAL);
	/* Exactly 15 (5 prefixes + 10) is fine. */
	assert_int_equal(insn_decode(b + 6, 15, true, &in), 0);
	assert_int_equal(in.len, 15);
	/* Prefixes alone, endlessly. */
	memset(b, 0x66, sizeof(b));
	assert_int_equal(insn_decode(b, sizeof(b), true, &in), -HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exiting_instructions_have_their_lengths),
		cmocka_unit_test(modrm_forms_64),
		cmocka_unit_test(modrm_forms_32_and_16),
		cmocka_unit_test(mov_loads_give_size_and_register),
		cmocka_unit_test(byte_registers_high8_only_without_rex),
		cmocka_unit_test(stores_of_registers_and_immediates),
		cmocka_unit_test(movzx_and_moffs),
		cmocka_unit_test(register_moves_are_not_mmio),
		cmocka_unit_test(rex_is_inc_dec_in_32_bit_mode),
		cmocka_unit_test(unknown_opcodes_are_not_supported),
		cmocka_unit_test(truncated_instructions_are_invalid),
		cmocka_unit_test(longer_than_15_bytes_is_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
