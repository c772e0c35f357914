// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmr: a software RDMA device whose memory regions may be dma-bufs.
 *
 * Devices are created like rxe's, by "rdma link add NAME type dmr netdev
 * IF", and follow their netdev: its state is the port's state, and the
 * device goes away with it.
 */
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <rdma/ib_cache.h>
#include <net/ipv6.h>
#include <rdma/rdma_netlink.h>

#include "dmr.h"
#include "dmr_lookup.h"

/*
 * The generation of the GID tables of all dmr devices. The core calls
 * del_gid once a GID can no longer be found, so a requester that read the
 * generation before it found its destination GID on a device may keep
 * that answer for as long as the generation stays the same. A new GID
 * cannot make such an answer wrong; nothing needs programming for it.
 */
atomic_t dmr_gid_gen = ATOMIC_INIT(0);

int dmr_add_gid(const struct ib_gid_attr *attr, void **context)
{
	return 0;
}

int dmr_del_gid(const struct ib_gid_attr *attr, void **context)
{
	atomic_inc(&dmr_gid_gen);
	return 0;
}

/*
 * Every dmr device of the host: changed under dmr_devices_lock, read
 * under it or under RCU (the core frees an ib_device after a grace
 * period).
 */
static LIST_HEAD(dmr_devices);
static DEFINE_MUTEX(dmr_devices_lock);

static struct dmr_dev *dmr_find_by_netdev(struct net_device *ndev)
{
	struct dmr_dev *dev;

	lockdep_assert_held(&dmr_devices_lock);
	list_for_each_entry(dev, &dmr_devices, list)
		if (dev->ndev == ndev)
			return dev;
	return NULL;
}

bool dmr_dev_owns_gid(struct dmr_dev *dev, const union ib_gid *gid)
{
	const struct ib_gid_attr *attr;

	attr = rdma_find_gid_by_port(&dev->ibdev, gid, IB_GID_TYPE_ROCE_UDP_ENCAP,
				     1, NULL);
	if (IS_ERR(attr))
		return false;
	rdma_put_gid_attr(attr);
	return true;
}

/*
 * The dmr device whose port has the RoCE v2 GID @gid, with a reference
 * (ib_device_put()), or NULL: where a packet to @gid would arrive. The
 * list has devices that are not registered yet (dmr_newlink()) or no
 * longer: only one whose reference could be taken has a GID table to
 * look at.
 */
struct dmr_dev *dmr_dev_get_by_gid(const union ib_gid *gid)
{
	struct dmr_dev *dev, *found = NULL;

	mutex_lock(&dmr_devices_lock);
	list_for_each_entry(dev, &dmr_devices, list) {
		if (!ib_device_try_get(&dev->ibdev))
			continue;
		if (dmr_dev_owns_gid(dev, gid)) {
			found = dev;
			break;
		}
		ib_device_put(&dev->ibdev);
	}
	mutex_unlock(&dmr_devices_lock);
	return found;
}

/*
 * The dmr device a received packet is for, with a reference, in any
 * context: the device of the netdev @ndev it came in on, or, for a packet
 * that came through the loopback device, the one that has its destination
 * address as a GID.
 */
struct dmr_dev *dmr_dev_get_rcu(struct net_device *ndev, struct sk_buff *skb)
{
	struct dmr_dev *dev, *found = NULL;
	union ib_gid dgid;
	bool by_gid = false;

	if (ndev->flags & IFF_LOOPBACK) {
		if (ip_hdr(skb)->version == 4)
			ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr,
					       (struct in6_addr *)dgid.raw);
		else
			memcpy(dgid.raw, &ipv6_hdr(skb)->daddr, sizeof(dgid));
		by_gid = true;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(dev, &dmr_devices, list) {
		if (!by_gid && dev->ndev != ndev)
			continue;
		if (!ib_device_try_get(&dev->ibdev))
			continue;
		/* Through lo: a device of the namespace the packet is in. */
		if (!by_gid || (net_eq(dev_net(dev->ndev), dev_net(ndev)) &&
				dmr_dev_owns_gid(dev, &dgid))) {
			found = dev;
			break;
		}
		ib_device_put(&dev->ibdev);
	}
	rcu_read_unlock();
	return found;
}

/*
 * The device's netdev with a reference (dev_put()), or NULL once the core
 * has let go of it: the core drops its reference before it removes the
 * device's sysfs files, so a sysfs read can come after the netdev is
 * freed.
 */
struct net_device *dmr_netdev_get(struct dmr_dev *dev)
{
	return ib_device_get_netdev(&dev->ibdev, 1);
}

/* Called by dealloc_driver: the device is gone from the core. */
void dmr_dev_forget(struct dmr_dev *dev)
{
	mutex_lock(&dmr_devices_lock);
	list_del_rcu(&dev->list);
	mutex_unlock(&dmr_devices_lock);
}

static int dmr_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct dmr_dev *dev;
	int err;

	if (ndev->type != ARPHRD_ETHER) {
		pr_err("dmr: %s is not an Ethernet device\n", netdev_name(ndev));
		return -EINVAL;
	}
	dev = ib_alloc_device(dmr_dev, ibdev);
	if (!dev)
		return -ENOMEM;

	/*
	 * Listed before registration, which may take RTNL: the netdev
	 * notifier runs under RTNL and takes dmr_devices_lock.
	 */
	mutex_lock(&dmr_devices_lock);
	if (dmr_find_by_netdev(ndev)) {
		mutex_unlock(&dmr_devices_lock);
		ib_dealloc_device(&dev->ibdev);
		pr_err("dmr: %s already has a dmr device\n", netdev_name(ndev));
		return -EEXIST;
	}
	dev->ndev = ndev;
	list_add_tail_rcu(&dev->list, &dmr_devices);
	mutex_unlock(&dmr_devices_lock);

	err = dmr_register_device(dev, ibdev_name, ndev);
	if (err) {
		dmr_dev_forget(dev);
		ib_dealloc_device(&dev->ibdev);
		return err;
	}
	return 0;
}

static struct rdma_link_ops dmr_link_ops = {
	.type = "dmr",
	.newlink = dmr_newlink,
};

static int dmr_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct dmr_dev *dev;

	mutex_lock(&dmr_devices_lock);
	dev = dmr_find_by_netdev(ndev);
	if (!dev || !ib_device_try_get(&dev->ibdev)) {
		mutex_unlock(&dmr_devices_lock);
		return NOTIFY_DONE;
	}
	mutex_unlock(&dmr_devices_lock);

	/*
	 * Only removal is ours to handle: the RDMA core reports the port
	 * state of devices with a netdev itself (PORT_ACTIVE / PORT_ERR).
	 */
	if (event == NETDEV_UNREGISTER)
		ib_unregister_device_queued(&dev->ibdev);
	ib_device_put(&dev->ibdev);
	return NOTIFY_OK;
}

static struct notifier_block dmr_netdev_notifier = {
	.notifier_call = dmr_netdev_event,
};

/* Unregister every device; waits for queued unregistrations too. */
static void dmr_remove_all(void)
{
	struct dmr_dev *dev;

	for (;;) {
		mutex_lock(&dmr_devices_lock);
		dev = list_first_entry_or_null(&dmr_devices, struct dmr_dev, list);
		if (dev)
			get_device(&dev->ibdev.dev);
		mutex_unlock(&dmr_devices_lock);
		if (!dev)
			break;
		ib_unregister_device(&dev->ibdev);
		/* dealloc_driver took it off the list. */
		put_device(&dev->ibdev.dev);
	}
}

static int __init dmr_init(void)
{
	int err;

	err = dmr_qp_table_init();
	if (err)
		return err;
	err = dmr_net_init();
	if (err)
		goto err_table;
	err = register_netdevice_notifier(&dmr_netdev_notifier);
	if (err)
		goto err_net;
	rdma_link_register(&dmr_link_ops);
	pr_info("dmr: loaded\n");
	return 0;

err_net:
	dmr_net_exit();
err_table:
	dmr_qp_table_exit();
	return err;
}

static void __exit dmr_exit(void)
{
	rdma_link_unregister(&dmr_link_ops);
	unregister_netdevice_notifier(&dmr_netdev_notifier);
	dmr_remove_all();
	dmr_net_exit();
	dmr_qp_table_exit();
	pr_info("dmr: unloaded\n");
}

module_init(dmr_init);
module_exit(dmr_exit);

MODULE_ALIAS_RDMA_LINK("dmr");
MODULE_DESCRIPTION("Software RDMA device with dma-buf memory regions");
MODULE_LICENSE("Dual BSD/GPL");
