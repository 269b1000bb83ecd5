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

int str_to_u64(const char *s, size_t n, bool suffixes, u64 *out)
{
	u64 v = 0, base = 10, mul = 1;
	size_t i = 0;

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
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return -HV_EINVAL;
	for (; i < n; i++) {
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
	}
	if (mul != 1 && v > ~0ULL / mul)
		return -HV_ERANGE;
	*out = v * mul;
	return 0;
}
