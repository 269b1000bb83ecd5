/*
 * Polled output on COM1 (a 16550 at 0x3f8) with printf, and the
 * port and CPUID instructions: shared by the elf64 guests and the
 * Multiboot kernel, which knows nothing else of Sluice.
 */
#ifndef GUESTS_LIB_UART_H
#define GUESTS_LIB_UART_H
#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

void con_putc(char c);
void con_write(const char *s, size_t n);
/* printf to COM1, formatted by kernel/fmt.c (fmt_vsnprintf: the hypervisor's own conversions). */
int gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
