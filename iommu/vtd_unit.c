/*
 * One VT-d remapping unit: CAP/ECAP decoded and logged (§11.4.2-3), the
 * Global Command protocol (§11.4.4), protected memory off (§11.4.9), write
 * buffer flush, and bring-up to "root table set, invalidation ready,
 * interrupt remapping on (iommu/vtd_ir.c), translation off". Legacy mode
 * only (RTADDR.TTM = 00); fault events are routed and unmasked later by
 * vtd_domain.c.
 */
#include "iommu/vtd_unit.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "iommu/vtd_context.h"
#include "iommu/vtd_pagetable.h"
#include "iommu/vtd_ir.h"
#include "kernel/hw/io.h"
#include "kernel/hw/cpu.h"
#include "kernel/wait.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/err.h"

/*
 * GCMD bits whose state GSTS reports and that must be written back
 * unchanged. CFI is not among them: Sluice never sets it, so every write
 * leaves compatibility-format interrupts blocked (QEMU ignores CFI and
 * never sets GSTS.CFIS; Sluice never polls CFIS).
 */
#define GCMD_PERSISTENT (VTD_GCMD_TE | VTD_GCMD_EAFL | VTD_GCMD_QIE | VTD_GCMD_IRE)

void vtd_caps_decode(u64 cap, u64 ecap, struct vtd_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->nd_domains = 1u << (4 + 2 * FIELD_GET(VTD_CAP_ND, cap));
	c->sagaw = (u8)FIELD_GET(VTD_CAP_SAGAW, cap);
	c->mgaw = (u8)(FIELD_GET(VTD_CAP_MGAW, cap) + 1);
	c->sllps = (u8)FIELD_GET(VTD_CAP_SLLPS, cap);
	c->mamv = (u8)FIELD_GET(VTD_CAP_MAMV, cap);
	c->fro = (u32)FIELD_GET(VTD_CAP_FRO, cap) * 16;
	c->nfr = (u32)FIELD_GET(VTD_CAP_NFR, cap) + 1;
	c->iro = (u32)FIELD_GET(VTD_ECAP_IRO, ecap) * 16;
	c->mhmv = (u8)FIELD_GET(VTD_ECAP_MHMV, ecap);
	c->cm = cap & VTD_CAP_CM;
	c->rwbf = cap & VTD_CAP_RWBF;
	c->plmr = cap & VTD_CAP_PLMR;
	c->phmr = cap & VTD_CAP_PHMR;
	c->afl = cap & VTD_CAP_AFL;
	c->zlr = cap & VTD_CAP_ZLR;
	c->psi = cap & VTD_CAP_PSI;
	c->drd = cap & VTD_CAP_DRD;
	c->dwd = cap & VTD_CAP_DWD;
	c->c = ecap & VTD_ECAP_C;
	c->qi = ecap & VTD_ECAP_QI;
	c->dt = ecap & VTD_ECAP_DT;
	c->ir = ecap & VTD_ECAP_IR;
	c->eim = ecap & VTD_ECAP_EIM;
	c->pt = ecap & VTD_ECAP_PT;
	c->sc = ecap & VTD_ECAP_SC;
	c->smts = ecap & VTD_ECAP_SMTS;
	c->dit = ecap & VTD_ECAP_DIT;
}

const char *vtd_caps_refusal(const struct vtd_caps *c)
{
	unsigned levels;

	if (!(c->sagaw & (BIT_ULL(VTD_AW_39) | BIT_ULL(VTD_AW_48))))
		return "no 3-level (39-bit) or 4-level (48-bit) second-stage tables in SAGAW";
	if (vtd_pt_agaw(c->sagaw, c->mgaw, &levels))
		return "no second-stage table depth fits SAGAW and MGAW";
	if (!c->qi && c->iro == 0)
		return "neither an invalidation queue (ECAP.QI) nor IOTLB registers (ECAP.IRO)";
	if (c->fro < 0x100)
		return "fault recording registers overlap the register set (CAP.FRO)";
	return NULL;
}

/* Appends to buf at *len, keeping *len the length the whole would have. */
static void add(char *buf, size_t size, int *len, const char *fmt, ...) __printf(4, 5);
static void add(char *buf, size_t size, int *len, const char *fmt, ...)
{
	va_list ap;
	size_t at = (size_t)*len < size ? (size_t)*len : size;

	va_start(ap, fmt);
	*len += fmt_vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
}

int vtd_caps_format_cap(char *buf, size_t size, const struct vtd_caps *c)
{
	static const char *const aw[] = { "30", "39", "48", "57", "64" };
	int len = 0;
	const char *sep = "";

	if (size)
		buf[0] = '\0';
	add(buf, size, &len, "sagaw=");
	for (unsigned i = 0; i < ARRAY_SIZE(aw); i++) {
		if (c->sagaw & BIT_ULL(i)) {
			add(buf, size, &len, "%s%s", sep, aw[i]);
			sep = ",";
		}
	}
	if (!c->sagaw)
		add(buf, size, &len, "none");
	add(buf, size, &len, " mgaw=%u nd=%u sllps=%s%s%s fro=0x%03x nfr=%u cm=%u rwbf=%u psi=%u mamv=%u plmr=%u phmr=%u drd=%u dwd=%u",
	    c->mgaw, c->nd_domains, c->sllps ? "" : "4K",
	    (c->sllps & VTD_SLLPS_2M) ? ((c->sllps & VTD_SLLPS_1G) ? "2M," : "2M") : "",
	    (c->sllps & VTD_SLLPS_1G) ? "1G" : "", c->fro, c->nfr, c->cm, c->rwbf, c->psi,
	    c->mamv, c->plmr, c->phmr, c->drd, c->dwd);
	return len;
}

int vtd_caps_format_ecap(char *buf, size_t size, const struct vtd_caps *c)
{
	return fmt_snprintf(buf, size, "qi=%u dt=%u ir=%u eim=%u pt=%u c=%u sc=%u iro=0x%03x mhmv=%u smts=%u",
			    c->qi, c->dt, c->ir, c->eim, c->pt, c->c, c->sc, c->iro, c->mhmv, c->smts);
}

int vtd_unit_probe(struct vtd_unit *u, unsigned index, u16 segment, u64 reg_pa)
{
	char line[LOG_LINE_MAX];

	memset(u, 0, sizeof(*u));
	fmt_snprintf(u->name, sizeof(u->name), "vtd%u", index);
	u->segment = segment;
	u->reg_pa = reg_pa;
	u->regs = io_map(reg_pa, VTD_REG_WINDOW, u->name);
	if (!u->regs) {
		log_write(LOG_ERR, u->name, "registers at 0x%016llx cannot be mapped; unit left off",
			  (unsigned long long)reg_pa);
		return -HV_ENODEV;
	}
	u->ver = io_read32(u->regs, VTD_VER_REG);
	u->cap = io_read64(u->regs, VTD_CAP_REG);
	u->ecap = io_read64(u->regs, VTD_ECAP_REG);
	if (u->ver == 0xffffffff || u->cap == ~0ULL || u->ecap == ~0ULL) {
		log_write(LOG_ERR, u->name, "registers at 0x%016llx read all-ones: no unit there; left off",
			  (unsigned long long)reg_pa);
		return -HV_ENODEV;
	}
	vtd_caps_decode(u->cap, u->ecap, &u->caps);
	log_write(LOG_INFO, u->name, "unit at 0x%016llx segment %u ver %u.%u cap=0x%016llx ecap=0x%016llx",
		  (unsigned long long)reg_pa, segment, (unsigned)FIELD_GET(VTD_VER_MAX, u->ver),
		  (unsigned)FIELD_GET(VTD_VER_MIN, u->ver), (unsigned long long)u->cap,
		  (unsigned long long)u->ecap);
	vtd_caps_format_cap(line, sizeof(line), &u->caps);
	log_write(LOG_INFO, u->name, "cap: %s", line);
	vtd_caps_format_ecap(line, sizeof(line), &u->caps);
	log_write(LOG_INFO, u->name, "ecap: %s", line);

	const char *why = vtd_caps_refusal(&u->caps);
	if (why) {
		log_write(LOG_ERR, u->name, "refused: %s; unit left off", why);
		return -HV_ENOTSUP;
	}
	vtd_pt_agaw(u->caps.sagaw, u->caps.mgaw, &u->levels);
	/* The fault recording and IOTLB registers may sit past the first page. */
	u64 end = MAX(u->caps.fro + (u64)u->caps.nfr * VTD_FRCD_SIZE, u->caps.iro + 16ULL);
	if (end > VTD_REG_WINDOW) {
		u->regs = io_map(reg_pa, ALIGN_UP(end, PAGE_SIZE), u->name);
		if (!u->regs) {
			log_write(LOG_ERR, u->name, "registers at 0x%016llx (0x%llx bytes) cannot be mapped; unit left off",
				  (unsigned long long)reg_pa, (unsigned long long)ALIGN_UP(end, PAGE_SIZE));
			return -HV_ENODEV;
		}
	}
	return 0;
}

static const char *gcmd_name(u32 cmd)
{
	switch (cmd) {
	case VTD_GCMD_TE: return "TE";
	case VTD_GCMD_SRTP: return "SRTP";
	case VTD_GCMD_SFL: return "SFL";
	case VTD_GCMD_EAFL: return "EAFL";
	case VTD_GCMD_WBF: return "WBF";
	case VTD_GCMD_QIE: return "QIE";
	case VTD_GCMD_IRE: return "IRE";
	case VTD_GCMD_SIRTP: return "SIRTP";
	default: return "?";
	}
}

struct gsts_want { const struct vtd_unit *u; u32 mask, want; };

static bool gsts_reached(void *arg)
{
	const struct gsts_want *w = arg;
	return (io_read32(w->u->regs, VTD_GSTS_REG) & w->mask) == w->want;
}

int vtd_unit_gcmd(struct vtd_unit *u, u32 cmd, bool on)
{
	bool one_shot = cmd & VTD_GCMD_ONE_SHOT;

	/* CFI is refused: Sluice keeps compatibility-format interrupts blocked. */
	if (!cmd || (cmd & (cmd - 1)) || !(cmd & GENMASK_ULL(31, 24)) || (one_shot && !on))
		return -HV_EINVAL;
	u32 sts = io_read32(u->regs, VTD_GSTS_REG);
	if (!one_shot && !!(sts & cmd) == on)
		return 0;
	/*
	 * SPEC: GCMD is written from GSTS, one bit changed per write; the
	 * status bit of each command sits at the command's bit position.
	 */
	u32 val = sts & GCMD_PERSISTENT;
	val = on ? val | cmd : val & ~cmd;
	io_write32(u->regs, VTD_GCMD_REG, val);

	/* SRTP/SIRTP complete when their status sets, WBF when WBFS clears. */
	struct gsts_want w = { u, cmd, on ? cmd : 0 };
	if (cmd == VTD_GCMD_WBF)
		w.want = 0;
	int ret = wait_until(gsts_reached, &w, VTD_HW_TIMEOUT_US);
	if (ret)
		log_write(LOG_ERR, u->name, "GCMD.%s=%u not confirmed in GSTS within %u us (GSTS=0x%08x)",
			  gcmd_name(cmd), on, VTD_HW_TIMEOUT_US, io_read32(u->regs, VTD_GSTS_REG));
	return ret;
}

int vtd_unit_flush_write_buffer(struct vtd_unit *u)
{
	if (!u->caps.rwbf)
		return 0;
	return vtd_unit_gcmd(u, VTD_GCMD_WBF, true);
}

void vtd_unit_flush(const struct vtd_unit *u, const void *va, size_t len)
{
	if (!u->caps.c)
		cpu_flush_range(va, len);
}

static bool pmen_off_done(void *arg)
{
	const struct vtd_unit *u = arg;
	return !(io_read32(u->regs, VTD_PMEN_REG) & VTD_PMEN_PRS);
}

/* Firmware may protect memory ranges from DMA (PMEN); Sluice's tables do that job, so turn it off. */
static int pmen_disable(struct vtd_unit *u)
{
	if (!u->caps.plmr && !u->caps.phmr)
		return 0;
	u32 pmen = io_read32(u->regs, VTD_PMEN_REG);
	if (!(pmen & (VTD_PMEN_EPM | VTD_PMEN_PRS)))
		return 0;
	log_write(LOG_WARN, u->name, "firmware left DMA-protected memory regions on (PMEN=0x%08x); turning them off",
		  pmen);
	io_write32(u->regs, VTD_PMEN_REG, 0);
	int ret = wait_until(pmen_off_done, u, VTD_HW_TIMEOUT_US);
	if (ret)
		log_write(LOG_ERR, u->name, "PMEN.PRS still set %u us after clearing EPM", VTD_HW_TIMEOUT_US);
	return ret;
}

/*
 * Undoes what firmware or an earlier loader left on: compatibility-format
 * interrupts, translation, interrupt remapping (IRTA changes only with it
 * off), then the queue.
 */
static int take_over(struct vtd_unit *u)
{
	u32 sts = io_read32(u->regs, VTD_GSTS_REG);
	int ret;

	if (sts & VTD_GSTS_CFIS) {
		/*
		 * One write with CFI clear and the rest as they are. Not polled:
		 * QEMU never sets CFIS, and GCMD_PERSISTENT never writes CFI
		 * back, so it cannot come on again.
		 */
		log_write(LOG_WARN, u->name, "compatibility-format interrupts were left allowed (GSTS=0x%08x); clearing CFI", sts);
		io_write32(u->regs, VTD_GCMD_REG, sts & GCMD_PERSISTENT);
	}
	if (sts & VTD_GSTS_TES) {
		log_write(LOG_WARN, u->name, "translation was left on (GSTS=0x%08x); turning it off", sts);
		if ((ret = vtd_unit_gcmd(u, VTD_GCMD_TE, false)))
			return ret;
	}
	if (sts & VTD_GSTS_IRES) {
		log_write(LOG_WARN, u->name, "interrupt remapping was left on (GSTS=0x%08x); turning it off to set Sluice's table", sts);
		if ((ret = vtd_unit_gcmd(u, VTD_GCMD_IRE, false)))
			return ret;
	}
	if (sts & VTD_GSTS_QIES) {
		/* IQA may change only with the queue off. */
		if ((ret = vtd_unit_gcmd(u, VTD_GCMD_QIE, false)))
			return ret;
	}
	return 0;
}

int vtd_unit_bringup(struct vtd_unit *u, vtd_fault_owner_fn owner)
{
	int ret;

	u->up = false;
	if ((ret = take_over(u)) || (ret = pmen_disable(u)))
		goto off;
	/*
	 * Fault events stay masked through bring-up; iommu_ops.route_faults
	 * (vtd_domain.c) points them at a Sluice vector and unmasks them.
	 */
	io_write32(u->regs, VTD_FECTL_REG, VTD_FECTL_IM);
	vtd_unit_drain_faults(u, owner);

	if ((ret = vtd_ctx_root_init(u)))
		goto off;
	/* Legacy mode (TTM = 00). SRTP comes before any invalidation or TE. */
	io_write64(u->regs, VTD_RTADDR_REG, u->root_pa);
	if ((ret = vtd_unit_gcmd(u, VTD_GCMD_SRTP, true)))
		goto off;
	if ((ret = vtd_qi_init(u)))
		goto off;
	/* Nothing cached from before SRTP may survive (CAP.ESRTPS aside). */
	if ((ret = vtd_inv_context_global(u)) || (ret = vtd_inv_iotlb_global(u)))
		goto off;
	/* Before any device is a bus master: nothing may reach a CPU through the interrupt window. */
	if ((ret = vtd_ir_enable(u)))
		goto off;
	u->up = true;
	log_write(LOG_INFO, u->name, "root table at 0x%016llx, %s invalidation, %u-level second-stage tables, translation off",
		  (unsigned long long)u->root_pa, u->qi.on ? "queued" : "register-based", u->levels);
	return 0;
off:
	log_write(LOG_ERR, u->name, "bring-up failed: %s; unit left off", hv_strerror(ret));
	return ret;
}

int vtd_unit_enable(struct vtd_unit *u)
{
	int ret;

	if (!u->up)
		return -HV_ENODEV;
	if ((ret = vtd_unit_flush_write_buffer(u)) || (ret = vtd_unit_gcmd(u, VTD_GCMD_TE, true)))
		return ret;
	u->te = true;
	log_write(LOG_INFO, u->name, "translation enabled");
	return 0;
}
