/* Portable helpers built into both the image and host tests. */
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"

size_t str_copy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* The digits of [s, s+n) in base (10 or 16), '_' allowed between hex digits; at least one digit. */
static int digits(const char *s, size_t n, u64 base, u64 *out)
{
	u64 v = 0;
	size_t nr = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		u64 d;
		if (c == '_' && base == 16)
			continue;       /* 0x1000_0000, as the design notes write it */
		if (c >= '0' && c <= '9') d = (u64)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f') d = (u64)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F') d = (u64)(c - 'A' + 10);
		else return -HV_EINVAL;
		if (v > (~0ULL - d) / base)
			return -HV_ERANGE;
		v = v * base + d;
		nr++;
	}
	/* "0x_" has no digit: it is not a number (it used to read as 0). */
	if (!nr)
		return -HV_EINVAL;
	*out = v;
	return 0;
}

int str_to_u64(const char *s, size_t n, bool suffixes, u64 *out)
{
	u64 v, mul = 1;
	int ret;

	if (n == 0)
		return -HV_EINVAL;
	if (suffixes) {
		char c = s[n - 1];
		if (c == 'K' || c == 'k') mul = KiB;
		else if (c == 'M' || c == 'm') mul = MiB;
		else if (c == 'G' || c == 'g') mul = GiB;
		if (mul != 1)
			n--;
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		ret = digits(s + 2, n - 2, 16, &v);
	else
		ret = digits(s, n, 10, &v);
	if (ret)
		return ret;
	if (mul != 1 && v > ~0ULL / mul)
		return -HV_ERANGE;
	*out = v * mul;
	return 0;
}

int str_to_dec(const char *s, size_t n, u64 *out)
{
	return digits(s, n, 10, out);
}

bool str_eq_nocase(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

/* n hex digits (1..max_digits) at s, at most limit. */
static bool hex_n(const char *s, size_t n, size_t max_digits, u32 limit, u32 *out)
{
	u32 v = 0;

	if (!n || n > max_digits)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		u32 d = ch >= '0' && ch <= '9' ? (u32)(ch - '0') :
			ch >= 'a' && ch <= 'f' ? (u32)(ch - 'a' + 10) :
			ch >= 'A' && ch <= 'F' ? (u32)(ch - 'A' + 10) : 16;
		if (d > 15)
			return false;
		v = v * 16 + d;
	}
	*out = v;
	return v <= limit;
}

bool pci_sbdf_parse(const char *s, size_t n, u32 *sbdf)
{
	size_t colon[2], nc = 0, dot = 0;
	u32 seg = 0, bus, dev, fn;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':') {
			if (nc == 2)
				return false;
			colon[nc++] = i;
		} else if (s[i] == '.') {
			if (dot)
				return false;
			dot = i;
		}
	}
	if (!nc || !dot || dot < colon[nc - 1])
		return false;
	size_t b = 0;
	if (nc == 2) {
		if (!hex_n(s, colon[0], 4, 0xffff, &seg))
			return false;
		b = colon[0] + 1;
	}
	size_t c = colon[nc - 1];
	if (!hex_n(s + b, c - b, 2, 0xff, &bus) || !hex_n(s + c + 1, dot - c - 1, 2, 0x1f, &dev) ||
	    !hex_n(s + dot + 1, n - dot - 1, 1, 7, &fn))
		return false;
	*sbdf = PCI_SBDF(seg, bus, dev, fn);
	return true;
}
