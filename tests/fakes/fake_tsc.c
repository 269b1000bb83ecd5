/* tsc_khz() of kernel/tsc.h, as a test sets it. */
#include "kernel/tsc.h"
#include "tests/fakes/fake_tsc.h"

u64 fake_tsc_khz = 3000000;

u64 tsc_khz(void)
{
	return fake_tsc_khz;
}
