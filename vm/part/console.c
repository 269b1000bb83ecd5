/* A partition's console: the lines its guest writes to its virtual COM1 go to Sluice's log under its name. */
#include "vm/part/partition.h"
#include "vm/part/guest_abi.h"
#include "kernel/log.h"

static void console_line(void *ctx, const char *line, bool partial)
{
	struct partition *p = ctx;
	log_write(LOG_INFO, p->cfg->name, "%s%s", line, partial ? " [cut]" : "");
}

void partition_console_init(struct partition *p)
{
	vuart_init(&p->uart, SLUICE_PORT_COM1, console_line, p);
}
