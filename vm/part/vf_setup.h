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

#endif
