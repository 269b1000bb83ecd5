/* VF enabling and provisioning for the partitions' PF/vfN devices (struct partition_host.vf_setup). */
#ifndef VM_VF_SETUP_H
#define VM_VF_SETUP_H
#include "vm/config/partition_cfg.h"

/*
 * For each PF the partitions' VFs belong to: VFs enabled (an NVMe PF
 * provisioned: secondary controllers online, namespaces attached), each VF
 * device's sbdf filled in. Errors are config errors on the VF's line.
 * Returns 0 or the first error.
 */
int vf_setup(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops);

struct nvme_pf;                 /* pci/nvme_pf.h */

/*
 * One more user of the NVMe PFs vf_setup() provisions, beside their VFs'
 * partitions (vm/main.c sets vf_pf_user; NULL: none). own_ns names the
 * namespace to attach to PF pf_sbdf's own controller (0: none) and the
 * config key and line that asked for it, which get the errors about it.
 * provisioned runs once the PF is provisioned, with its controller and the
 * DMA domain of its own DMA (NULL with iommu = off); it reports its errors
 * on c and returns 0 or the error.
 */
struct vf_pf_user {
	u32 (*own_ns)(u32 pf_sbdf, const char **key, u32 *line);
	int (*provisioned)(struct config *c, u32 pf_sbdf, struct nvme_pf *npf, const struct iommu_ops *ops,
			   struct iommu_domain *dom);
};
extern const struct vf_pf_user *vf_pf_user;

#endif
