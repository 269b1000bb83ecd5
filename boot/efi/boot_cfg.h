/*
 * \sluice\boot.cfg, the ESP manifest tools/mkimage writes for the UEFI
 * loader. Plain C with no UEFI types, so the parser also builds on the host.
 *
 *   kernel \sluice\sluice.elf
 *   cmdline exit=qemu log=debug          (rest of the line; may be empty)
 *   module sluice.conf \sluice\sluice.conf
 *
 * '#' starts a comment line; blank lines are skipped; CRLF is accepted.
 */
#ifndef BOOT_EFI_BOOT_CFG_H
#define BOOT_EFI_BOOT_CFG_H

#include "kernel/types.h"
#include "kernel/boot_info.h"

#define BOOT_CFG_PATH           "\\sluice\\boot.cfg"
#define BOOT_CFG_PATH_LEN       256     /* longest path, with its NUL */
#define BOOT_CFG_ERR_LEN        128

struct boot_cfg_module {
	char name[BOOT_NAME_LEN];       /* what the kernel sees */
	char path[BOOT_CFG_PATH_LEN];   /* on the ESP, '\' separated */
};

struct boot_cfg {
	char kernel_path[BOOT_CFG_PATH_LEN];
	char cmdline[BOOT_CMDLINE_LEN]; /* its first BOOT_CMDLINE_LEN - 1 characters */
	/*
	 * The whole cmdline line (blanks at both ends dropped), inside the
	 * parsed text: valid only while that text is. A longer one than
	 * cmdline holds is handed on whole; the kernel refuses it.
	 */
	const char *cmdline_text;
	u32 cmdline_len;
	u32 nr_modules;
	struct boot_cfg_module modules[BOOT_MODULES_MAX];
};

/*
 * Parses len bytes of text into *cfg (zeroed first). Returns 0, or -HV_EINVAL
 * with one line of explanation ("line 3: unknown keyword \"modul\"") in err.
 * Rejects: unknown keywords, a missing or repeated kernel line, a repeated
 * cmdline, too many modules, repeated module names, over-long paths and
 * names, NUL bytes, wrong token counts. Paths have '/' turned into '\'.
 * A cmdline of any length is kept (see cmdline_text): judging its length
 * is the kernel's, which then still reads its exit=.
 */
int boot_cfg_parse(const char *text, size_t len, struct boot_cfg *cfg,
		   char *err, size_t err_size);

#endif
