/*
 * The config file (sluice.conf), INI-style as git and systemd users know it:
 * `[type]` or `[type "name"]` headers, `key = value` lines, `#` comments
 * (whole-line or trailing), a key repeated for a list. This layer only
 * splits the text into sections and entries and reports syntax errors; what
 * the keys mean is vm/config/partition_check.c's business. No allocation: the
 * result lives in one caller-owned struct config.
 */
#ifndef VM_CONFIG_H
#define VM_CONFIG_H
#include "kernel/types.h"

#define CONFIG_FILE_LEN         32
#define CONFIG_TYPE_LEN         24      /* section type and key, with the NUL */
#define CONFIG_NAME_LEN         32      /* section name, with the NUL */
#define CONFIG_VALUE_LEN        160
#define CONFIG_LINE_MAX         256     /* longest line, comment included */
#define CONFIG_MAX_SECTIONS     32
#define CONFIG_MAX_ENTRIES      256

struct config_section {
	u32 line;
	char type[CONFIG_TYPE_LEN];     /* "sluice", "partition" */
	char name[CONFIG_NAME_LEN];     /* the quoted name; "" when there is none */
	bool named;
};

struct config_entry {
	u32 line;
	u16 section;                    /* index into config.sections */
	char key[CONFIG_TYPE_LEN];
	char value[CONFIG_VALUE_LEN];   /* trimmed, comment removed */
};

struct config {
	char file[CONFIG_FILE_LEN];     /* for error lines: "sluice.conf:12: ..." */
	u32 nr_sections, nr_entries;
	u32 nr_errors;                  /* syntax errors, then meaning errors */
	struct config_section sections[CONFIG_MAX_SECTIONS];
	struct config_entry entries[CONFIG_MAX_ENTRIES];
};

/*
 * Splits len bytes of text into c (zeroed first). Every syntax error is
 * logged as one ERR line "FILE:LINE: problem" and counted in c->nr_errors;
 * parsing goes on with the next line (entries under a broken header are
 * dropped, so one mistake gives one line). A section type and name may
 * appear only once. Returns 0, or -HV_EINVAL when there were errors.
 */
int config_parse(struct config *c, const char *file, const char *text, size_t len);
/* Logs "FILE:LINE: problem" as an ERR line and counts it in c->nr_errors. */
void config_error(struct config *c, u32 line, const char *fmt, ...) __printf(3, 4);
/* The section with this type and name ("" for an unnamed one), or NULL. */
const struct config_section *config_section_find(const struct config *c, const char *type,
						 const char *name);
/* A key a section may give once: true the first time (*line set); a repeat is an error. */
bool config_once(struct config *c, const struct config_entry *e, u32 *line);
/* The word (no blank in it) at *p after any blanks, its length in *n; *p moves to the next word or the end. */
const char *config_word(const char **p, size_t *n);
/* Drops blanks from both ends of [*s, *s + *n). */
void config_trim(const char **s, size_t *n);

#endif
