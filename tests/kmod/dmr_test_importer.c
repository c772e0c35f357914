// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only dma-buf importer, to prove that exporters refuse importers
 * that cannot be revoked. Never loaded outside the test guest.
 *
 * Load with pci=DDDD:BB:DD.F, the PCI function to import for (the tests
 * use dmr0's DMA device, so that P2P mappings work as they do for dmr).
 * Write "pinned FD" or "revocable FD" to
 * /sys/kernel/debug/dmr_test_importer/attach: the module attaches to the
 * dma-buf FD of the writing process as a pinned, non-revocable
 * peer-to-peer importer (dynamic attachment without invalidate_mappings,
 * then dma_buf_pin()), or as a revocable one (with invalidate_mappings),
 * maps it once, and lets go. The write returns the length on success and
 * the exporter's error otherwise.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

MODULE_IMPORT_NS("DMA_BUF");

static char *pci;
module_param(pci, charp, 0444);
MODULE_PARM_DESC(pci, "PCI function to import for (DDDD:BB:DD.F)");

static struct pci_dev *importer_dev;
static struct dentry *dir;

static void importer_invalidate(struct dma_buf_attachment *attach)
{
	/* Nothing mapped beyond the attach call: nothing to tear down. */
}

static const struct dma_buf_attach_ops pinned_ops = {
	.allow_peer2peer = true,
};

static const struct dma_buf_attach_ops revocable_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = importer_invalidate,
};

static int try_import(int fd, bool pinned)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	int err = 0;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	attach = dma_buf_dynamic_attach(dmabuf, &importer_dev->dev,
					pinned ? &pinned_ops : &revocable_ops,
					NULL);
	if (IS_ERR(attach)) {
		err = PTR_ERR(attach);
		goto out_put;
	}
	dma_resv_lock(dmabuf->resv, NULL);
	if (pinned)
		err = dma_buf_pin(attach);
	if (!err) {
		sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			err = PTR_ERR(sgt);
		else
			dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		if (pinned)
			dma_buf_unpin(attach);
	}
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, attach);
out_put:
	dma_buf_put(dmabuf);
	return err;
}

static ssize_t attach_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char buf[32], mode[16];
	int fd, err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%15s %d", mode, &fd) != 2)
		return -EINVAL;
	if (!strcmp(mode, "pinned"))
		err = try_import(fd, true);
	else if (!strcmp(mode, "revocable"))
		err = try_import(fd, false);
	else
		return -EINVAL;
	return err ? err : len;
}

static const struct file_operations attach_fops = {
	.owner = THIS_MODULE,
	.write = attach_write,
};

static int __init importer_init(void)
{
	unsigned int domain, bus, slot, fn;

	if (!pci || sscanf(pci, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4)
		return -EINVAL;
	importer_dev = pci_get_domain_bus_and_slot(domain, bus,
						   PCI_DEVFN(slot, fn));
	if (!importer_dev)
		return -ENODEV;
	dir = debugfs_create_dir("dmr_test_importer", NULL);
	debugfs_create_file("attach", 0200, dir, NULL, &attach_fops);
	return 0;
}

static void __exit importer_exit(void)
{
	debugfs_remove_recursive(dir);
	pci_dev_put(importer_dev);
}

module_init(importer_init);
module_exit(importer_exit);
MODULE_DESCRIPTION("dmr tests: a dma-buf importer that can be pinned");
MODULE_LICENSE("GPL");
