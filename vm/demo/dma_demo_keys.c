/*
 * The [sluice] key of the DMA demonstration (vm/demo/dma_demo.h), apart
 * from the demonstration itself so that tools/sluice-check takes the key
 * as Sluice does without linking the VT-d driver the demonstration uses.
 */
#include <string.h>
#include "vm/demo/dma_demo.h"
#include "vm/config/config.h"
#include "vm/config/partition_cfg.h"

/* demo = dma | none, as parsed (line 0: not given) and, after the check, as set. */
static struct { u32 line; bool dma; } parsed;
static bool asked;

static bool parse_demo(struct config *c, const struct config_entry *e)
{
	if (strcmp(e->key, "demo"))
		return false;
	if (config_once(c, e, &parsed.line)) {
		if (!strcmp(e->value, "dma") || !strcmp(e->value, "none"))
			parsed.dma = !strcmp(e->value, "dma");
		else
			config_error(c, e->line, "demo = %s: use dma or none", e->value);
	}
	return true;
}

static void check_demo(struct config *c, const struct sluice_cfg *s)
{
	(void)c; (void)s;
	asked = parsed.dma;
	memset(&parsed, 0, sizeof(parsed));
}

const struct sluice_keys dma_demo_keys = { .names = "demo", .parse = parse_demo, .check = check_demo };

bool dma_demo_asked(void)
{
	return asked;
}
