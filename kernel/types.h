/* Basic types and bit helpers shared by the freestanding image and host builds. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n)                  (1U << (n))
#define BIT_ULL(n)              (1ULL << (n))
#define GENMASK_ULL(h, l)       ((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define FIELD_GET(mask, v)      (((u64)(v) & (mask)) >> __builtin_ctzll(mask))
#define FIELD_PREP(mask, v)     (((u64)(v) << __builtin_ctzll(mask)) & (mask))

#define ARRAY_SIZE(a)           (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)          (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a)        ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a)        (((x) & ((u64)(a) - 1)) == 0)
#define MIN(a, b)               ((a) < (b) ? (a) : (b))
#define MAX(a, b)               ((a) > (b) ? (a) : (b))

#define PAGE_SIZE               4096ULL
#define PAGE_SHIFT              12
#define KiB                     1024ULL
#define MiB                     (1024ULL * KiB)
#define GiB                     (1024ULL * MiB)

#define __packed                __attribute__((packed))
#define __unused                __attribute__((unused))
#define __noreturn              __attribute__((noreturn))
#define __printf(a, b)          __attribute__((format(printf, a, b)))

/* Little-endian loads from byte buffers: ACPI tables are not aligned. */
static inline u16 get_le16(const void *p)
{
	const u8 *b = p;
	return (u16)(b[0] | b[1] << 8);
}
static inline u32 get_le32(const void *p)
{
	const u8 *b = p;
	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}
static inline u64 get_le64(const void *p)
{
	return (u64)get_le32(p) | (u64)get_le32((const u8 *)p + 4) << 32;
}
/* And the stores, for structures laid into guest memory. */
static inline void put_le32(void *p, u32 v)
{
	u8 *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (u8)(v >> (8 * i));
}
static inline void put_le64(void *p, u64 v)
{
	put_le32(p, (u32)v);
	put_le32((u8 *)p + 4, (u32)(v >> 32));
}

#endif
