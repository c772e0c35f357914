// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The device as the RDMA core sees it: attributes, the port, contexts and
 * protection domains, and the table of verbs.
 */
#include <linux/etherdevice.h>
#include <linux/random.h>
#include <linux/vmalloc.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"

/* Not an IEEE OUI: "dmr" in ASCII, for tools that want a vendor id. */
#define DMR_VENDOR_ID 0x646d72
#define DMR_VENDOR_PART_ID 1
#define DMR_HW_VER 1
/* One number: ibv_devinfo (the provider) and sysfs show it as "1.0". */
#define DMR_FW_VER 1

/*
 * All dmr devices of a host form one system (they reach each other by
 * direct copy), so they share one system image GUID: a random, locally
 * administered EUI-64, never zero.
 */
__be64 dmr_sys_image_guid(void)
{
	static __be64 guid;
	static DEFINE_MUTEX(lock);

	mutex_lock(&lock);
	if (!guid)
		guid = cpu_to_be64(get_random_u64() | BIT_ULL(57));
	mutex_unlock(&lock);
	return guid;
}

static int dmr_query_device(struct ib_device *ibdev,
			    struct ib_device_attr *attr, struct ib_udata *udata)
{
	if (udata && (udata->inlen || udata->outlen))
		return -EINVAL;

	memset(attr, 0, sizeof(*attr));
	attr->fw_ver = DMR_FW_VER;
	attr->sys_image_guid = dmr_sys_image_guid();
	attr->max_mr_size = DMR_MAX_MSG_SIZE * 512;	/* 1 TiB */
	attr->page_size_cap = PAGE_SIZE;
	attr->vendor_id = DMR_VENDOR_ID;
	attr->vendor_part_id = DMR_VENDOR_PART_ID;
	attr->hw_ver = DMR_HW_VER;
	attr->max_qp = DMR_MAX_QP;
	attr->max_qp_wr = DMR_MAX_QP_WR;
	attr->device_cap_flags = IB_DEVICE_RC_RNR_NAK_GEN |
				 IB_DEVICE_CURR_QP_STATE_MOD |
				 IB_DEVICE_SYS_IMAGE_GUID |
				 IB_DEVICE_CHANGE_PHY_PORT;
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG;
	attr->max_send_sge = DMR_MAX_SGE;
	attr->max_recv_sge = DMR_MAX_SGE;
	attr->max_sge_rd = DMR_MAX_SGE;
	attr->max_cq = DMR_MAX_CQ;
	attr->max_cqe = DMR_MAX_CQE;
	attr->max_mr = DMR_MAX_MR;
	attr->max_pd = DMR_MAX_PD;
	attr->max_qp_rd_atom = DMR_MAX_RD_ATOM;
	attr->max_qp_init_rd_atom = DMR_MAX_RD_ATOM;
	attr->max_res_rd_atom = DMR_MAX_RD_ATOM * DMR_MAX_QP;
	attr->atomic_cap = IB_ATOMIC_HCA;
	attr->max_srq = DMR_MAX_SRQ;
	attr->max_srq_wr = DMR_MAX_SRQ_WR;
	attr->max_srq_sge = DMR_MAX_SGE;
	attr->max_pkeys = DMR_MAX_PKEYS;
	attr->max_ah = DMR_MAX_AH;
	attr->local_ca_ack_delay = 15;
	attr->max_fast_reg_page_list_len = 0;
	attr->max_dm_size = DMR_MAX_DM_SIZE;
	return 0;
}

static int dmr_query_port(struct ib_device *ibdev, u32 port,
			  struct ib_port_attr *attr)
{
	struct dmr_dev *dev = to_dmr_dev(ibdev);
	struct net_device *ndev;
	enum ib_mtu mtu = 0;
	bool up = false;
	int err;

	/*
	 * The core zeroed @attr. sysfs asks while the device goes, after the
	 * netdev went: the port is then down, not an error (which the core
	 * logs at every read).
	 */
	err = -ENODEV;
	ndev = dmr_netdev_get(dev);
	if (ndev) {
		mtu = iboe_get_mtu(READ_ONCE(ndev->mtu));
		up = netif_running(ndev) && netif_carrier_ok(ndev);
		dev_put(ndev);
		/* ENODEV too once the netdev is being unregistered. */
		err = ib_get_eth_speed(ibdev, port, &attr->active_speed,
				       &attr->active_width);
	}
	if (err == -ENODEV) {
		err = 0;
		up = false;
		attr->active_speed = IB_SPEED_SDR;
		attr->active_width = IB_WIDTH_1X;
	}
	attr->active_mtu = mtu ? min(mtu, IB_MTU_4096) : IB_MTU_256;
	attr->max_mtu = IB_MTU_4096;
	attr->gid_tbl_len = DMR_GID_TABLE_LEN;
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->max_msg_sz = DMR_MAX_MSG_SIZE;
	attr->pkey_tbl_len = DMR_MAX_PKEYS;
	attr->bad_pkey_cntr = 0;
	attr->qkey_viol_cntr = 0;
	attr->lid = 0;
	attr->sm_lid = 0;
	attr->lmc = 0;
	attr->max_vl_num = 1;
	if (up) {
		attr->state = IB_PORT_ACTIVE;
		attr->phys_state = IB_PORT_PHYS_STATE_LINK_UP;
	} else {
		attr->state = IB_PORT_DOWN;
		attr->phys_state = IB_PORT_PHYS_STATE_DISABLED;
	}
	return err;
}

static int dmr_get_port_immutable(struct ib_device *ibdev, u32 port,
				  struct ib_port_immutable *immutable)
{
	struct ib_port_attr attr = {};
	int err;

	err = ib_query_port(ibdev, port, &attr);
	if (err)
		return err;
	immutable->pkey_tbl_len = attr.pkey_tbl_len;
	immutable->gid_tbl_len = attr.gid_tbl_len;
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer dmr_get_link_layer(struct ib_device *ibdev,
					       u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

static int dmr_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
			  u16 *pkey)
{
	if (index >= DMR_MAX_PKEYS)
		return -EINVAL;
	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

static int dmr_modify_port(struct ib_device *ibdev, u32 port, int mask,
			   struct ib_port_modify *props)
{
	return 0;
}

static void dmr_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%u.0", DMR_FW_VER);
}

/*
 * A context gets its doorbell mailbox (dmr-abi.h) first, so that it is
 * the entry at mmap offset 0.
 */
static int dmr_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata)
{
	struct dmr_ucontext *uctx = to_dmr_ucontext(ibuc);
	struct dmr_dev *dev = to_dmr_dev(ibuc->device);
	struct dmr_alloc_ucontext_resp resp = {};
	int err;

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	if (!dmr_count_get(&dev->n_ucontext, DMR_MAX_UCONTEXT))
		return -ENOMEM;
	uctx->mailbox = dmr_user_alloc(PAGE_SIZE);
	if (!uctx->mailbox) {
		err = -ENOMEM;
		goto err_count;
	}
	uctx->mailbox_mmap = dmr_mmap_insert(ibuc, uctx->mailbox, PAGE_SIZE);
	if (IS_ERR(uctx->mailbox_mmap)) {
		err = PTR_ERR(uctx->mailbox_mmap);
		goto err_mailbox;
	}
	resp.flags = DMR_CONTEXT_F_MAILBOX;
	resp.mailbox_mmap_offset = rdma_user_mmap_get_offset(uctx->mailbox_mmap);
	err = ib_respond_udata(udata, resp);
	if (err)
		goto err_mmap;
	return 0;

err_mmap:
	/* Frees the mailbox too (dmr_mmap_free()). */
	rdma_user_mmap_entry_remove(uctx->mailbox_mmap);
	goto err_count;
err_mailbox:
	vfree(uctx->mailbox);
err_count:
	atomic_dec(&dev->n_ucontext);
	return err;
}

static void dmr_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	struct dmr_ucontext *uctx = to_dmr_ucontext(ibuc);

	/* The entry frees the page (dmr_mmap_free()); a mapping holds it. */
	rdma_user_mmap_entry_remove(uctx->mailbox_mmap);
	atomic_dec(&to_dmr_dev(ibuc->device)->n_ucontext);
}

/*
 * Device removal with processes still attached: the core destroys every
 * object. The process's mappings are not zapped (the core only zaps what
 * rdma_user_mmap_io() mapped), but each mapped page holds a reference of
 * its own (dmr_map_pages()), so they stay harmless memory of the process.
 * Nothing else to do, but the op must exist for the core to disassociate
 * instead of waiting for the processes.
 */
static void dmr_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}

static int dmr_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct dmr_dev *dev = to_dmr_dev(ibpd->device);

	if (!dmr_count_get(&dev->n_pd, DMR_MAX_PD))
		return -ENOMEM;
	return 0;
}

static int dmr_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	atomic_dec(&to_dmr_dev(ibpd->device)->n_pd);
	return 0;
}

static void dmr_dealloc_driver(struct ib_device *ibdev);

static ssize_t netdev_show(struct device *device,
			   struct device_attribute *attr, char *buf)
{
	struct dmr_dev *dev = rdma_device_to_drv_device(device, struct dmr_dev,
							ibdev);
	struct net_device *ndev = dmr_netdev_get(dev);
	ssize_t n;

	if (!ndev)
		return -ENODEV;
	n = sysfs_emit(buf, "%s\n", netdev_name(ndev));
	dev_put(ndev);
	return n;
}
static DEVICE_ATTR_RO(netdev);

/* The provider recognises a dmr device by this file. */
static ssize_t dmr_abi_version_show(struct device *device,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", DMR_UVERBS_ABI_VERSION);
}
static DEVICE_ATTR_RO(dmr_abi_version);

static ssize_t dma_device_show(struct device *device,
			       struct device_attribute *attr, char *buf)
{
	struct dmr_dev *dev = rdma_device_to_drv_device(device, struct dmr_dev,
							ibdev);

	return sysfs_emit(buf, "%s\n", dev->dma_dev ? dev_name(dev->dma_dev) : "none");
}
static DEVICE_ATTR_RO(dma_device);

static struct attribute *dmr_attrs[] = {
	&dev_attr_netdev.attr,
	&dev_attr_dmr_abi_version.attr,
	&dev_attr_dma_device.attr,
	NULL,
};

static const struct attribute_group dmr_attr_group = {
	.attrs = dmr_attrs,
};

static const struct ib_device_ops dmr_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = DMR_DRIVER_ID,
	.uverbs_abi_ver = DMR_UVERBS_ABI_VERSION,

	.add_gid = dmr_add_gid,
	.alloc_dm = dmr_alloc_dm,
	.create_ah = dmr_create_ah,
	.create_user_ah = dmr_create_ah,
	.destroy_ah = dmr_destroy_ah,
	.alloc_pd = dmr_alloc_pd,
	.alloc_ucontext = dmr_alloc_ucontext,
	.create_cq = dmr_create_cq,
	.create_qp = dmr_create_qp,
	.create_srq = dmr_create_srq,
	.dealloc_dm = dmr_dealloc_dm,
	.dealloc_driver = dmr_dealloc_driver,
	.dealloc_pd = dmr_dealloc_pd,
	.dealloc_ucontext = dmr_dealloc_ucontext,
	.del_gid = dmr_del_gid,
	.dereg_mr = dmr_dereg_mr,
	.destroy_cq = dmr_destroy_cq,
	.destroy_qp = dmr_destroy_qp,
	.destroy_srq = dmr_destroy_srq,
	.device_group = &dmr_attr_group,
	.disassociate_ucontext = dmr_disassociate_ucontext,
	.fill_res_mr_entry = dmr_fill_res_mr_entry,
	.get_dev_fw_str = dmr_get_dev_fw_str,
	.get_link_layer = dmr_get_link_layer,
	.get_dma_mr = dmr_get_dma_mr,
	.get_port_immutable = dmr_get_port_immutable,
	.mmap = dmr_mmap,
	.mmap_free = dmr_mmap_free,
	.modify_port = dmr_modify_port,
	.modify_qp = dmr_modify_qp,
	.modify_srq = dmr_modify_srq,
	.poll_cq = dmr_poll_cq,
	.post_recv = dmr_post_recv,
	.post_send = dmr_post_send,
	.post_srq_recv = dmr_post_srq_recv,
	.query_device = dmr_query_device,
	.query_pkey = dmr_query_pkey,
	.query_port = dmr_query_port,
	.query_qp = dmr_query_qp,
	.query_srq = dmr_query_srq,
	.reg_dm_mr = dmr_reg_dm_mr,
	.reg_user_mr = dmr_reg_user_mr,
	.reg_user_mr_dmabuf = dmr_reg_user_mr_dmabuf,
	.req_notify_cq = dmr_req_notify_cq,
	.rereg_user_mr = dmr_rereg_user_mr,

	INIT_RDMA_OBJ_SIZE(ib_ah, dmr_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, dmr_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_pd, dmr_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, dmr_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, dmr_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, dmr_ucontext, ibuc),
};

/* The DMA device a real NIC on this netdev would have: a PCI function. */
static struct device *dmr_find_dma_dev(struct net_device *ndev)
{
	struct device *d;

	for (d = ndev->dev.parent; d; d = d->parent)
		if (dev_is_pci(d))
			return get_device(d);
	return NULL;
}

int dmr_register_device(struct dmr_dev *dev, const char *name,
			struct net_device *ndev)
{
	struct ib_device *ibdev = &dev->ibdev;
	int err;

	xa_init_flags(&dev->mrs, XA_FLAGS_ALLOC);
	dev->ndev = ndev;
	dev->dma_dev = dmr_find_dma_dev(ndev);

	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = 1;
	ibdev->local_dma_lkey = 0;
	addrconf_addr_eui48((unsigned char *)&ibdev->node_guid, ndev->dev_addr);
	strscpy(ibdev->node_desc, "dmr", sizeof(ibdev->node_desc));
	/*
	 * The legacy write commands a process uses: the receive flush and CQ
	 * arming (see the provider). POST_SEND is enabled only so that it
	 * reaches dmr_post_send() and gets its documented EINVAL: the send
	 * doorbell is DMR_IB_METHOD_QP_DOORBELL or its mailbox twin.
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_POST_RECV) |
				  BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);
	ib_set_device_ops(ibdev, &dmr_dev_ops);
	ibdev->driver_def = dmr_uapi_defs;

	err = ib_device_set_netdev(ibdev, ndev, 1);
	if (err)
		goto err_put;
	/* No DMA device for the core: user pages are reached by the CPU. */
	err = ib_register_device(ibdev, name, NULL);
	if (err)
		goto err_put;
	return 0;

err_put:
	put_device(dev->dma_dev);
	dev->dma_dev = NULL;
	return err;
}

static void dmr_dealloc_driver(struct ib_device *ibdev)
{
	struct dmr_dev *dev = to_dmr_dev(ibdev);

	dmr_dev_forget(dev);
	WARN_ON(!xa_empty(&dev->mrs));
	xa_destroy(&dev->mrs);
	put_device(dev->dma_dev);
}
