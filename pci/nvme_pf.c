/*
 * NVMe PF provisioning (pci/nvme_pf.h). The order is the one NVMe 8.26 and
 * QEMU's nvme documentation give, which real SR-IOV drives accept too:
 * flexible resources taken from the primary (they take effect at the next
 * controller reset), VFs enabled, each secondary controller assigned
 * queues and interrupts and set online (it refuses online without VQ >= 2,
 * VI >= 1 and its VF enabled), then namespaces attached per controller.
 */
#include "pci/nvme_pf.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"

/* DMA pages: admin SQ, admin CQ, then data. */
#define PAGE_ASQ                0
#define PAGE_ACQ                1
#define PAGE_DATA               2

struct ctx {
	struct nvme_pf *pf;
	const struct nvme_pf_env *env;
	char *why;
	size_t why_len;
};

static u8 *page(const struct ctx *x, u32 i)
{
	return (u8 *)x->env->dma + (u64)i * NVME_PAGE_SIZE;
}

static u64 page_bus(const struct ctx *x, u32 i)
{
	return x->env->dma_bus + (u64)i * NVME_PAGE_SIZE;
}

static void say(const struct ctx *x, bool error, const char *fmt, ...) __printf(3, 4);
static void say(const struct ctx *x, bool error, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (error && x->why[0] == '\0')
		str_copy(x->why, line, x->why_len);
	if (x->env->log)
		x->env->log(x->env->ctx, error, line);
}

static u16 rd16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

/* Runs an admin command; a failure is logged as "what: status". */
static int admin(const struct ctx *x, const struct nvme_sqe *s, const char *what)
{
	struct nvme_result r = nvme_exec(&x->pf->ctrl, &x->pf->ctrl.admin, s);
	if (r.err) {
		say(x, true, "%s: no completion (%s)", what, hv_strerror(r.err));
		return r.err;
	}
	if (r.status) {
		say(x, true, "%s: status 0x%03x (%s)", what, r.status, nvme_status_name(r.status));
		return -HV_EIO;
	}
	return 0;
}

static int identify(const struct ctx *x, u8 cns, u32 nsid, u16 cntid, const char *what)
{
	struct nvme_sqe s;
	memset(page(x, PAGE_DATA), 0, NVME_PAGE_SIZE);
	nvme_cmd_identify(&s, cns, nsid, cntid, page_bus(x, PAGE_DATA));
	return admin(x, &s, what);
}

static int virt_mgmt(const struct ctx *x, u8 act, u8 rt, u16 cntlid, u16 nr, const char *what)
{
	struct nvme_sqe s;
	nvme_cmd_virt_mgmt(&s, act, rt, cntlid, nr);
	return admin(x, &s, what);
}

static int start_controller(struct ctx *x)
{
	struct nvme_queue q;
	nvme_queue_init(&q, 0, NVME_PF_ADMIN_DEPTH, page(x, PAGE_ASQ), page_bus(x, PAGE_ASQ),
			page(x, PAGE_ACQ), page_bus(x, PAGE_ACQ));
	memset(page(x, PAGE_ASQ), 0, 2 * NVME_PAGE_SIZE);
	int ret = nvme_enable(&x->pf->ctrl, x->env->io, &q, NVME_PF_CMD_TIMEOUT_US);
	if (ret)
		say(x, true, "controller did not become ready: %s", hv_strerror(ret));
	return ret;
}

/* Identify Controller and the primary's capabilities; the secondary list. */
static int discover(struct ctx *x, struct nvme_sec_ctrl *sec)
{
	struct nvme_pf *pf = x->pf;
	const u8 *d = page(x, PAGE_DATA);

	int ret = identify(x, NVME_CNS_CTRL, 0, 0, "Identify Controller");
	if (ret)
		return ret;
	u16 oacs = rd16(d + NVME_ID_CTRL_OACS);
	pf->cntlid = rd16(d + NVME_ID_CTRL_CNTLID);
	pf->nn = rd32(d + NVME_ID_CTRL_NN);
	if (!(oacs & NVME_OACS_VIRT_MGMT) || !(oacs & NVME_OACS_NS_MGMT)) {
		say(x, true, "controller %u has no %s (OACS 0x%04x)", pf->cntlid,
		    !(oacs & NVME_OACS_VIRT_MGMT) ? "Virtualization Management" : "Namespace Management", oacs);
		return -HV_ENOTSUP;
	}
	ret = identify(x, NVME_CNS_PRIMARY_CAPS, 0, pf->cntlid, "Identify Primary Controller Capabilities");
	if (ret)
		return ret;
	pf->vq_total = rd32(d + NVME_PRI_VQFRT);
	pf->vi_total = rd32(d + NVME_PRI_VIFRT);
	pf->vq_sec_max = rd16(d + NVME_PRI_VQFRSM);
	u16 vq_primary = rd16(d + NVME_PRI_VQRFAP), vi_primary = rd16(d + NVME_PRI_VIRFAP);
	ret = identify(x, NVME_CNS_SECONDARY_LIST, 0, pf->cntlid, "Identify Secondary Controller List");
	if (ret)
		return ret;
	pf->nr_secondary = MIN(d[0], NVME_SEC_LIST_MAX);
	memcpy(sec, d + 32, pf->nr_secondary * sizeof(*sec));
	say(x, false, "primary controller %u: %u secondary controllers, flexible resources %u queues / %u interrupts (%u / %u held by the primary), %u namespaces",
	    pf->cntlid, pf->nr_secondary, pf->vq_total, pf->vi_total, vq_primary, vi_primary, pf->nn);
	/* The primary gives its flexible resources up; they take effect at the next reset. */
	if (vq_primary || vi_primary) {
		ret = virt_mgmt(x, NVME_VM_ACT_PRIMARY_FLEX, NVME_VM_RT_VQ, pf->cntlid, 0, "primary: release flexible queues");
		if (!ret)
			ret = virt_mgmt(x, NVME_VM_ACT_PRIMARY_FLEX, NVME_VM_RT_VI, pf->cntlid, 0,
					"primary: release flexible interrupts");
		if (!ret)
			ret = start_controller(x);      /* the reset that applies it */
		if (ret)
			return ret;
		say(x, false, "primary controller %u: flexible resources released, controller reset", pf->cntlid);
	}
	return 0;
}

/* Namespace nsid's size in blocks (0: it does not exist) and block size, by CNS 0x11 (allocated, attached or not). */
static int ns_size(struct ctx *x, u32 nsid, u64 *blocks, u32 *lba_size)
{
	const u8 *d = page(x, PAGE_DATA);
	int ret = !nsid || nsid > x->pf->nn ? -HV_EINVAL : identify(x, NVME_CNS_NS_ALLOCATED, nsid, 0, "Identify Namespace");
	*blocks = ret ? 0 : rd64(d + NVME_ID_NS_NSZE);
	*lba_size = ret ? 0 : 1u << d[NVME_ID_NS_LBAF0 + 4 * (d[NVME_ID_NS_FLBAS] & 0xf) + 2];
	if (ret == -HV_ETIMEDOUT)
		return ret;
	x->why[0] = '\0';      /* an absent namespace is the caller's error to name */
	return 0;
}

/* The plan against what the controller has. */
static int check_plan(struct ctx *x, const struct nvme_sec_ctrl *sec, const struct nvme_vf_plan *plan, u32 n)
{
	struct nvme_pf *pf = x->pf;

	if (n > NVME_PF_MAX_VFS || (u64)n * NVME_PF_VF_VQ > pf->vq_total || (u64)n * NVME_PF_VF_VI > pf->vi_total) {
		say(x, true, "%u VFs need %u queues and %u interrupts; the controller has %u and %u flexible",
		    n, n * NVME_PF_VF_VQ, n * NVME_PF_VF_VI, pf->vq_total, pf->vi_total);
		return -HV_EINVAL;
	}
	/* A secondary holds at most VQFRSM flexible queues (5.17.2.12); the share never drops below the minimum. */
	pf->vf_vq = (u16)MAX(NVME_PF_VF_VQ, MIN(n ? pf->vq_total / n : 0, pf->vq_sec_max));
	for (u32 i = 0; i < n; i++) {
		struct nvme_vf_state *v = &pf->vf[i];
		v->vfn = plan[i].vfn;
		v->nsid = plan[i].nsid;
		if (!v->vfn || v->vfn > pf->total_vfs) {
			say(x, true, "vf%u: the PF has %u VFs (TotalVFs)", v->vfn, pf->total_vfs);
			return -HV_EINVAL;
		}
		bool found = false;
		for (u32 k = 0; k < pf->nr_secondary && !found; k++)
			if (sec[k].vfn == v->vfn) {
				v->scid = sec[k].scid;
				found = true;
			}
		if (!found) {
			say(x, true, "vf%u: no secondary controller for it in the secondary controller list", v->vfn);
			return -HV_EINVAL;
		}
		for (u32 j = 0; j < i; j++)
			if (pf->vf[j].nsid == v->nsid || pf->vf[j].vfn == v->vfn) {
				say(x, true, pf->vf[j].vfn == v->vfn ? "vf%u: given twice" :
				    "vf%u: namespace %u is vf%u's already", v->vfn, v->nsid, pf->vf[j].vfn);
				return -HV_EINVAL;
			}
		int ret = ns_size(x, v->nsid, &v->ns_blocks, &v->lba_size);
		if (ret)
			return ret;
		if (!v->ns_blocks) {
			say(x, true, "vf%u: namespace %u does not exist", v->vfn, v->nsid);
			return -HV_EINVAL;
		}
	}
	if (!pf->own_nsid)
		return 0;
	for (u32 j = 0; j < n; j++)
		if (pf->vf[j].nsid == pf->own_nsid) {
			say(x, true, "the PF's namespace %u is vf%u's already", pf->own_nsid, pf->vf[j].vfn);
			return -HV_EINVAL;
		}
	int ret = ns_size(x, pf->own_nsid, &pf->own_blocks, &pf->own_lba_size);
	if (ret)
		return ret;
	if (!pf->own_blocks) {
		say(x, true, "the PF's namespace %u does not exist", pf->own_nsid);
		return -HV_EINVAL;
	}
	return 0;
}

/* Offline (if it was), assign, online: the secondary controller of VF v. */
static int bring_online(struct ctx *x, struct nvme_vf_state *v, const struct nvme_sec_ctrl *s)
{
	char what[64];
	int ret = 0;

	if (s->scs & NVME_SEC_SCS_ONLINE) {
		fmt_snprintf(what, sizeof(what), "vf%u (controller %u): offline", v->vfn, v->scid);
		ret = virt_mgmt(x, NVME_VM_ACT_SECONDARY_OFFLINE, 0, v->scid, 0, what);
	}
	if (!ret) {
		fmt_snprintf(what, sizeof(what), "vf%u (controller %u): assign %u queues", v->vfn, v->scid, x->pf->vf_vq);
		ret = virt_mgmt(x, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VQ, v->scid, x->pf->vf_vq, what);
	}
	if (!ret) {
		fmt_snprintf(what, sizeof(what), "vf%u (controller %u): assign %u interrupts", v->vfn, v->scid, NVME_PF_VF_VI);
		ret = virt_mgmt(x, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VI, v->scid, NVME_PF_VF_VI, what);
	}
	if (!ret) {
		fmt_snprintf(what, sizeof(what), "vf%u (controller %u): online", v->vfn, v->scid);
		ret = virt_mgmt(x, NVME_VM_ACT_SECONDARY_ONLINE, 0, v->scid, 0, what);
	}
	v->online = !ret;
	return ret;
}

/* Namespace Attachment (attach) of nsid to controller cntlid, named owner in the log. */
static int attach_one(struct ctx *x, u32 nsid, u16 cntlid, const char *owner)
{
	u8 *d = page(x, PAGE_DATA);
	struct nvme_sqe s;
	char what[80];

	memset(d, 0, NVME_PAGE_SIZE);
	d[0] = 1;
	memcpy(d + 2, &cntlid, 2);
	fmt_snprintf(what, sizeof(what), "namespace %u: attach to %s (controller %u)", nsid, owner, cntlid);
	nvme_cmd_ns_attach(&s, true, nsid, page_bus(x, PAGE_DATA));
	return admin(x, &s, what);
}

/* Namespace nsid attached to controller cntlid alone (owner names it: "vf2"): detached from any other first. */
static int attach_namespace(struct ctx *x, u32 nsid, u16 cntlid, const char *owner)
{
	u8 *d = page(x, PAGE_DATA);
	struct nvme_sqe s;
	char what[80];
	bool mine = false;

	int ret = identify(x, NVME_CNS_NS_CTRL_LIST, nsid, 0, "Identify Controller List of a namespace");
	if (ret)
		return ret;
	u16 list[64];
	u16 nr = MIN(rd16(d), ARRAY_SIZE(list));
	for (u16 i = 0; i < nr; i++)
		list[i] = rd16(d + 2 + 2 * i);
	for (u16 i = 0; i < nr; i++) {
		if (list[i] == cntlid) {
			mine = true;
			continue;
		}
		memset(d, 0, NVME_PAGE_SIZE);
		d[0] = 1;
		memcpy(d + 2, &list[i], 2);
		fmt_snprintf(what, sizeof(what), "namespace %u: detach from controller %u", nsid, list[i]);
		nvme_cmd_ns_attach(&s, false, nsid, page_bus(x, PAGE_DATA));
		ret = admin(x, &s, what);
		if (ret)
			return ret;
		say(x, false, "namespace %u: detached from controller %u (it is %s's alone)", nsid, list[i], owner);
	}
	if (mine)
		return 0;
	return attach_one(x, nsid, cntlid, owner);
}

bool nvme_pf_lab_shared_ns;

int nvme_pf_provision(struct nvme_pf *pf, const struct nvme_pf_env *env, u16 total_vfs,
		      const struct nvme_vf_plan *plan, u32 n, u32 own_nsid, char *why, size_t why_len)
{
	struct nvme_sec_ctrl sec[NVME_SEC_LIST_MAX];
	struct ctx x = { .pf = pf, .env = env, .why = why, .why_len = why_len };
	u16 max_vfn = 0;

	memset(pf, 0, sizeof(*pf));
	why[0] = '\0';
	pf->total_vfs = total_vfs;
	pf->nr_vfs = n;
	pf->own_nsid = own_nsid;
	int ret = start_controller(&x);
	if (!ret)
		ret = discover(&x, sec);
	if (!ret)
		ret = check_plan(&x, sec, plan, n);
	if (ret)
		return ret;
	for (u32 i = 0; i < n; i++)
		max_vfn = MAX(max_vfn, pf->vf[i].vfn);
	ret = env->enable_vfs(env->ctx, max_vfn);
	if (ret) {
		say(&x, true, "enabling %u VFs failed: %s", max_vfn, hv_strerror(ret));
		return ret;
	}
	say(&x, false, "%u VFs enabled", max_vfn);
	for (u32 i = 0; i < n && !ret; i++) {
		struct nvme_vf_state *v = &pf->vf[i];
		const struct nvme_sec_ctrl *s = NULL;
		for (u32 k = 0; k < pf->nr_secondary; k++)
			if (sec[k].scid == v->scid)
				s = &sec[k];
		char owner[16];
		fmt_snprintf(owner, sizeof(owner), "vf%u", v->vfn);
		ret = bring_online(&x, v, s);
		if (!ret)
			ret = attach_namespace(&x, v->nsid, v->scid, owner);
		if (!ret)
			say(&x, false, "vf%u: secondary controller %u online (%u queues, %u interrupt), namespace %u attached (%llu blocks of %u bytes)",
			    v->vfn, v->scid, pf->vf_vq, NVME_PF_VF_VI, v->nsid, (unsigned long long)v->ns_blocks,
			    v->lba_size);
	}
	/* The lab switch: the first VF's namespace on the other VFs' controllers too. */
	for (u32 i = 1; i < n && !ret && nvme_pf_lab_shared_ns; i++) {
		char owner[16];
		fmt_snprintf(owner, sizeof(owner), "vf%u", pf->vf[i].vfn);
		ret = attach_one(&x, pf->vf[0].nsid, pf->vf[i].scid, owner);
		if (!ret)
			say(&x, false, "lab switch vf-shared-ns: namespace %u (vf%u's) attached to vf%u's controller %u too: the two VFs share one disk",
			    pf->vf[0].nsid, pf->vf[0].vfn, pf->vf[i].vfn, pf->vf[i].scid);
	}
	if (!ret && pf->own_nsid) {
		ret = attach_namespace(&x, pf->own_nsid, pf->cntlid, "the PF");
		if (!ret)
			say(&x, false, "primary controller %u: namespace %u attached for Sluice's own I/O (%llu blocks of %u bytes)",
			    pf->cntlid, pf->own_nsid, (unsigned long long)pf->own_blocks, pf->own_lba_size);
	}
	return ret;
}
