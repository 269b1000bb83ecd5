/*
 * ATS on one function (PCIe Base 6.3 §10.5.1): program the Smallest
 * Translation Unit, then set Enable; clear Enable again. A VF has no STU of
 * its own (RsvdP): it uses its PF's, so enabling ATS on a VF programs the
 * PF's STU (while nothing on the PF uses ATS) and sets only the VF's Enable.
 * Who gets ATS, and the IOMMU side (device-TLB invalidation), is decided
 * elsewhere.
 */
#define LOG_SUBSYS "pci"
#include "pci/pci.h"
#include "pci/ats_hw.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/fmt.h"


static u16 ctrl_read(const struct pci_dev *d)
{
	return (u16)pci_cfg_read(d->sbdf, (u16)(d->ecap_ats + ATS_CTRL), 2);
}

static void ctrl_write(const struct pci_dev *d, u16 v)
{
	pci_cfg_write(d->sbdf, (u16)(d->ecap_ats + ATS_CTRL), 2, v);
}

/* The "4 KiB" of 4096 << stu, in the largest unit that divides it. */
static void stu_name(u8 stu, char *buf, size_t size)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	u32 shift = 2u + stu;   /* log2 of the size in KiB */
	u32 u = MIN(shift / 10, (u32)ARRAY_SIZE(unit) - 1);

	fmt_snprintf(buf, size, "%llu %s", 1ULL << (shift - 10 * u), unit[u]);
}

/* True when ATS is enabled on pf itself or on any of its VFs. */
static bool ats_in_use_on(const struct pci_dev *pf)
{
	if (ctrl_read(pf) & ATS_CTRL_ENABLE)
		return true;
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *vf = pci_dev_at(i);
		if (vf->pf == pf && vf->ecap_ats && (ctrl_read(vf) & ATS_CTRL_ENABLE))
			return true;
	}
	return false;
}

/*
 * Sets the STU of the function that owns it (d, or d's PF) to stu, unless
 * ATS already runs there with another one. Returns 0 or -HV_EBUSY.
 */
static int stu_set(const struct pci_dev *owner, u8 stu)
{
	u16 ctrl = ctrl_read(owner);

	if (FIELD_GET(ATS_CTRL_STU, ctrl) == stu)
		return 0;
	if (ats_in_use_on(owner))
		return -HV_EBUSY;
	ctrl_write(owner, (u16)((ctrl & ~ATS_CTRL_STU) | FIELD_PREP(ATS_CTRL_STU, stu)));
	return 0;
}

int ats_enable(struct pci_dev *d, u8 stu)
{
	if (!d)
		return -HV_EINVAL;
	u32 s = d->sbdf;
	if (!d->ecap_ats) {
		log_err(SBDF_FMT ": has no ATS capability; ATS not enabled", SBDF_ARGS(s));
		return -HV_ENOTSUP;
	}
	if (stu > ATS_STU_MAX) {
		log_err(SBDF_FMT ": STU %u is past the 5-bit field; ATS not enabled", SBDF_ARGS(s), stu);
		return -HV_EINVAL;
	}
	const struct pci_dev *owner = d;
	if (d->kind == PCI_KIND_VF) {
		owner = d->pf;
		if (!owner || !owner->ecap_ats) {
			log_err(SBDF_FMT ": VF with ATS but its PF has no ATS capability to hold the STU; ATS not enabled",
				SBDF_ARGS(s));
			return -HV_ENOTSUP;
		}
	}
	u16 cap = (u16)pci_cfg_read(s, (u16)(d->ecap_ats + ATS_CAP), 2);
	u16 ctrl = ctrl_read(d);
	u32 qdepth = (u32)FIELD_GET(ATS_CAP_QDEPTH, cap);
	if (!qdepth)
		qdepth = ATS_QDEPTH_MAX;

	/* STU may not change under a function that already translates with it. */
	if (stu_set(owner, stu)) {
		log_err(SBDF_FMT ": ATS runs with STU %u on " SBDF_FMT " or its VFs; STU %u refused",
			SBDF_ARGS(s), (u32)FIELD_GET(ATS_CTRL_STU, ctrl_read(owner)),
			SBDF_ARGS(owner->sbdf), stu);
		return -HV_EBUSY;
	}
	/* STU first, Enable after: the function may cache translations from then on. */
	ctrl = ctrl_read(d);
	if (!(ctrl & ATS_CTRL_ENABLE))
		ctrl_write(d, (u16)(ctrl | ATS_CTRL_ENABLE));

	/* Read back: Enable set here, the STU where the function takes it from. */
	char unit[16];
	stu_name(stu, unit, sizeof(unit));
	u16 now = ctrl_read(d), stu_now = (u16)FIELD_GET(ATS_CTRL_STU, ctrl_read(owner));
	if (!(now & ATS_CTRL_ENABLE) || stu_now != stu) {
		log_err(SBDF_FMT ": ATS control reads 0x%04x (STU %u) after enabling with STU %u; ATS not enabled",
			SBDF_ARGS(s), now, stu_now, stu);
		ctrl_write(d, (u16)(now & ~ATS_CTRL_ENABLE));
		return -HV_EIO;
	}
	log_info(SBDF_FMT ": ATS enabled (STU %s, invalidate queue depth %u; control 0x%04x)",
		 SBDF_ARGS(s), unit, qdepth, now);
	return 0;
}

bool ats_enabled(const struct pci_dev *d)
{
	return d && d->ecap_ats && (ctrl_read(d) & ATS_CTRL_ENABLE);
}

int ats_disable(struct pci_dev *d)
{
	if (!d)
		return -HV_EINVAL;
	if (!d->ecap_ats) {
		log_err(SBDF_FMT ": has no ATS capability; nothing to disable", SBDF_ARGS(d->sbdf));
		return -HV_ENOTSUP;
	}
	u16 ctrl = ctrl_read(d);
	if (!(ctrl & ATS_CTRL_ENABLE))
		return 0;
	ctrl_write(d, (u16)(ctrl & ~ATS_CTRL_ENABLE));
	log_info(SBDF_FMT ": ATS disabled", SBDF_ARGS(d->sbdf));
	return 0;
}
