/*
 * Small builders for fake PCIe topologies over tests/fakes/fake_pci.h:
 * ports with bus numbers, endpoints, ACS and ARI capabilities, and a way
 * to pick one whole line out of the captured log.
 */
#ifndef TESTS_UNIT_PCI_PCI_TOPO_H
#define TESTS_UNIT_PCI_PCI_TOPO_H
#include <string.h>
#include "tests/fakes/fake_pci.h"
#include "tests/fakes/fake_log.h"
#include "kernel/log.h"
#include "pci/pci.h"

#define S(b, d, f)              PCI_SBDF(0, b, d, f)
#define CLASS_BRIDGE_PCI        0x060400
#define CLASS_HOST              0x060000
#define CLASS_ETH               0x020000
#define CLASS_NVME              0x010802

/* Fresh fake config space, empty function table, segment 0 buses 0-255, log captured at info. */
static inline void topo_reset(void)
{
	fake_pci_reset();
	pci_reset();
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	pci_add_host_bridge(0, 0x00, 0xff);
}

/* A PCIe port (type 1 header) of the given §7.5.3.2 type with firmware's bus numbers. */
static inline struct fake_fn *topo_port(u32 sbdf, u8 type, u8 sec, u8 sub)
{
	struct fake_fn *f = fake_pci_add(sbdf, 0x1b36, 0x000c, CLASS_BRIDGE_PCI, 1);
	fake_pci_set_bus(f, PCI_BUS(sbdf), sec, sub);
	fake_pci_add_pcie(f, type);
	return f;
}

/* A PCIe endpoint (type 0); hdr may carry the multi-function bit 0x80. */
static inline struct fake_fn *topo_ep(u32 sbdf, u16 vendor, u16 device, u8 hdr)
{
	struct fake_fn *f = fake_pci_add(sbdf, vendor, device, CLASS_ETH, hdr);
	fake_pci_add_pcie(f, 0);
	return f;
}

/* ACS capability with the given capability bits; Control writable for those bits. */
static inline u16 topo_acs(struct fake_fn *f, u16 cap_bits, u16 ctrl)
{
	u16 off = fake_pci_add_ecap(f, 0x000d, 1, 8);
	fake_pci_w16(f, off + 4, cap_bits);
	fake_pci_w16(f, off + 6, ctrl);
	fake_pci_set_wmask(f, off + 6, 2, 0x7f);
	return off;
}

/* ARI capability whose Next Function Number is next. */
static inline u16 topo_ari(struct fake_fn *f, u8 next)
{
	u16 off = fake_pci_add_ecap(f, 0x000e, 1, 8);
	fake_pci_w16(f, off + 4, (u16)(next << 8));
	return off;
}

/* Port supports ARI Forwarding (Device Capabilities 2) and may enable it. */
static inline void topo_ari_fwd_capable(struct fake_fn *port, u16 pcie)
{
	fake_pci_w32(port, pcie + 0x24, 1u << 5);
	fake_pci_set_wmask(port, pcie + 0x28, 2, 1u << 5);
}

/* The whole captured log line containing needle (without newline), or "" when none. */
static inline const char *topo_line(const char *needle)
{
	static char line[512];
	const char *text = fake_log_text(), *p = strstr(text, needle);

	line[0] = '\0';
	if (!p)
		return line;
	while (p > text && p[-1] != '\n')
		p--;
	size_t n = strcspn(p, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return line;
}

#endif
