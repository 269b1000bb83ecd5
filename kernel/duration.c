/* Durations for time limits: parsing and printing (kernel/duration.h). */
#include "kernel/duration.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"

static const struct {
	const char *name;
	u64 ms;
} units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 },
};

int duration_parse(const char *s, size_t n, u64 *ms)
{
	size_t digits = 0;
	u64 v = 0;

	while (digits < n && s[digits] >= '0' && s[digits] <= '9') {
		/* Stop growing once past every bound: the range check below refuses it. */
		if (v <= DURATION_MAX_MS)
			v = v * 10 + (u64)(s[digits] - '0');
		digits++;
	}
	if (!digits || digits == n)
		return -HV_EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t ul = strlen(units[i].name);
		if (n - digits != ul || strncmp(s + digits, units[i].name, ul))
			continue;
		if (!v || v > DURATION_MAX_MS / units[i].ms)
			return -HV_ERANGE;
		*ms = v * units[i].ms;
		return 0;
	}
	return -HV_EINVAL;
}

const char *duration_format(u64 ms, char *buf, size_t size)
{
	size_t i = ARRAY_SIZE(units) - 1;
	while (i > 0 && ms % units[i].ms)
		i--;
	fmt_snprintf(buf, size, "%llu%s", (unsigned long long)(ms / units[i].ms), units[i].name);
	return buf;
}
