/* The one list of error codes for the whole tree: functions return 0 or -HV_E*. */
#ifndef KERNEL_ERR_H
#define KERNEL_ERR_H

enum hv_err {
	HV_OK = 0,
	HV_EINVAL = 1,          /* bad argument or malformed input */
	HV_ENOMEM = 2,          /* allocator or table full */
	HV_ENOENT = 3,          /* not found */
	HV_EEXIST = 4,          /* already present / in use */
	HV_ETIMEDOUT = 5,       /* a bounded hardware wait expired */
	HV_ENODEV = 6,          /* hardware absent */
	HV_ENOTSUP = 7,         /* hardware or input lacks a needed feature */
	HV_EBUSY = 8,           /* resource taken */
	HV_ERANGE = 9,          /* value out of range / past the end */
	HV_ECHKSUM = 10,        /* checksum mismatch */
	HV_EIO = 11,            /* device reported an error */
	HV_EPERM = 12,          /* not allowed */
	HV_ENOSPC = 13,         /* the caller's buffer is too small */
	HV_E_COUNT
};

const char *hv_strerror(int err);

#endif
