/* Portable helpers built into both the image and host tests. */
#include "kernel/lib.h"
#include "kernel/err.h"

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
