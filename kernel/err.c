/* Error code names for log lines. */
#include "kernel/err.h"

static const char *const names[HV_E_COUNT] = {
	[HV_OK] = "success",
	[HV_EINVAL] = "invalid input",
	[HV_ENOMEM] = "out of memory",
	[HV_ENOENT] = "not found",
	[HV_EEXIST] = "already exists",
	[HV_ETIMEDOUT] = "timed out",
	[HV_ENODEV] = "no such device",
	[HV_ENOTSUP] = "not supported",
	[HV_EBUSY] = "busy",
	[HV_ERANGE] = "out of range",
	[HV_ECHKSUM] = "bad checksum",
	[HV_EIO] = "I/O error",
	[HV_EPERM] = "not permitted",
	[HV_ENOSPC] = "no space left",
};

/* Returns the text for err (either sign); never NULL. */
const char *hv_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= HV_E_COUNT || !names[err])
		return "unknown error";
	return names[err];
}
