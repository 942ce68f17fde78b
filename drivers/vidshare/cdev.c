// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare character devices: /dev/vidshareN, its ioctls and sysfs files.
 *
 * Every open of one adapter uses the address_space of one anonymous inode
 * (file->f_mapping), so revocation reaches all of its shares with a single
 * unmap_mapping_range(), whichever device node they were opened through.
 */

#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vidshare.h"

#define VIDSHARE_MAX_MINORS	64
#define VIDSHARE_FS_MAGIC	0x76736872	/* "vshr" */

static dev_t vidshare_devt;
static DEFINE_IDA(vidshare_minors);
static struct vfsmount *vidshare_mnt;
static int vidshare_mnt_count;

static int vidshare_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VIDSHARE_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount lives as long as an adapter does, and an owner
 * reference would keep rmmod from ever unbinding the last one. Open files
 * pin the module through vidshare_fops instead.
 */
static struct file_system_type vidshare_fs_type = {
	.name = "vidshare",
	.init_fs_context = vidshare_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static char *vidshare_devnode(VIDSHARE_DEVNODE_CONST struct device *dev,
			      umode_t *mode)
{
	if (mode)
		*mode = 0660;
	return NULL;
}

static struct class vidshare_class = {
	.name = "vidshare",
	.devnode = vidshare_devnode,
};

/**
 * vidshare_do_info() - fill in what VIDSHARE_IOC_INFO reports
 * @vdev: the adapter
 * @info: filled in; the mode fields stay 0 when the adapter reports none
 */
void vidshare_do_info(struct vidshare_device *vdev, struct vidshare_info *info)
{
	struct vidshare_mode mode = {};

	memset(info, 0, sizeof(*info));
	info->api_version = VIDSHARE_API_VERSION;
	if (vdev->wc)
		info->flags |= VIDSHARE_INFO_WC;
	if (READ_ONCE(vdev->revoked))
		info->flags |= VIDSHARE_INFO_REVOKED;
	info->vendor = vdev->ids.vendor;
	info->device = vdev->ids.device;
	info->subsystem_vendor = vdev->ids.subsystem_vendor;
	info->subsystem_device = vdev->ids.subsystem_device;
	info->bar = vdev->fb_bar;
	info->max_shares = READ_ONCE(vidshare_max_shares);
	info->fb_size = vdev->fb_size;
	if (!vidshare_get_mode(vdev, &mode)) {
		info->width = mode.width;
		info->height = mode.height;
		info->bpp = mode.bpp;
		info->stride = mode.stride;
	}
}

static struct vidshare_device *to_vidshare(struct device *dev)
{
	return container_of(dev, struct vidshare_device, dev);
}

#define VIDSHARE_INFO_ATTR(_name, _fmt, ...)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vidshare_info info;					\
									\
	vidshare_do_info(to_vidshare(dev), &info);			\
	return sysfs_emit(buf, _fmt "\n", __VA_ARGS__);			\
}									\
static DEVICE_ATTR_RO(_name)

VIDSHARE_INFO_ATTR(fb_bar, "%u", info.bar);
VIDSHARE_INFO_ATTR(fb_size, "%llu", info.fb_size);
VIDSHARE_INFO_ATTR(write_combining, "%u", !!(info.flags & VIDSHARE_INFO_WC));
VIDSHARE_INFO_ATTR(max_shares, "%u", info.max_shares);
VIDSHARE_INFO_ATTR(mode, "%ux%ux%u %u", info.width, info.height, info.bpp,
		   info.stride);

static ssize_t adapter_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_vidshare(dev)->adapter->name);
}
static DEVICE_ATTR_RO(adapter);

static struct attribute *vidshare_attrs[] = {
	&dev_attr_adapter.attr,
	&dev_attr_fb_bar.attr,
	&dev_attr_fb_size.attr,
	&dev_attr_write_combining.attr,
	&dev_attr_max_shares.attr,
	&dev_attr_mode.attr,
	NULL
};
ATTRIBUTE_GROUPS(vidshare);

static int vidshare_open(struct inode *inode, struct file *file)
{
	struct vidshare_device *vdev =
		container_of(inode->i_cdev, struct vidshare_device, cdev);
	struct vidshare_file *vf;

	if (READ_ONCE(vdev->revoked))
		return -ENODEV;
	vf = kzalloc(sizeof(*vf), GFP_KERNEL_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	spin_lock_init(&vf->lock);
	INIT_LIST_HEAD(&vf->maps);
	INIT_LIST_HEAD(&vf->pending);
	get_device(&vdev->dev);
	vf->vdev = vdev;
	mutex_lock(&vdev->lock);
	vf->id = ++vdev->next_file_id;
	list_add_tail(&vf->node, &vdev->files);
	mutex_unlock(&vdev->lock);

	file->private_data = vf;
	file->f_mapping = vdev->inode->i_mapping;
	return nonseekable_open(inode, file);
}

static int vidshare_release(struct inode *inode, struct file *file)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_device *vdev = vf->vdev;

	/* Every share's VMA holds the file, so none is left on vf->maps. */
	mutex_lock(&vdev->lock);
	list_del(&vf->node);
	mutex_unlock(&vdev->lock);
	kfree(vf);
	put_device(&vdev->dev);
	return 0;
}

static int vidshare_efault(struct vidshare_device *vdev, const char *what)
{
	dev_dbg(&vdev->dev, "%s: bad argument pointer\n", what);
	return -EFAULT;
}

static long vidshare_ioctl_share(struct file *file, void __user *uarg)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_share req;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return vidshare_efault(vf->vdev, "SHARE");
	ret = vidshare_do_share(file, &req);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		struct vidshare_unshare undo = { .virtual_addr = req.virtual_addr };

		/* Nothing changes on a failed call: take the share back. */
		vidshare_do_unshare(file, &undo);
		return vidshare_efault(vf->vdev, "SHARE");
	}
	return 0;
}

static long vidshare_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_device *vdev = vf->vdev;
	void __user *uarg = (void __user *)arg;
	union {
		struct vidshare_info info;
		struct vidshare_unshare unshare;
		struct vidshare_mode mode;
	} u;
	int ret;

	switch (cmd) {
	case VIDSHARE_IOC_INFO:
		vidshare_do_info(vdev, &u.info);
		if (copy_to_user(uarg, &u.info, sizeof(u.info)))
			return vidshare_efault(vdev, "INFO");
		return 0;
	case VIDSHARE_IOC_SHARE:
		return vidshare_ioctl_share(file, uarg);
	case VIDSHARE_IOC_UNSHARE:
		if (copy_from_user(&u.unshare, uarg, sizeof(u.unshare)))
			return vidshare_efault(vdev, "UNSHARE");
		return vidshare_do_unshare(file, &u.unshare);
	case VIDSHARE_IOC_GET_MODE:
		ret = vidshare_get_mode(vdev, &u.mode);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &u.mode, sizeof(u.mode)))
			return vidshare_efault(vdev, "GET_MODE");
		return 0;
	case VIDSHARE_IOC_SET_MODE:
		if (copy_from_user(&u.mode, uarg, sizeof(u.mode)))
			return vidshare_efault(vdev, "SET_MODE");
		if (!(file->f_mode & FMODE_WRITE)) {
			dev_dbg(&vdev->dev, "SET_MODE: read-only open\n");
			return -EACCES;
		}
		return vidshare_set_mode(vdev, &u.mode);
	default:
		dev_dbg(&vdev->dev, "unknown ioctl %#x\n", cmd);
		return -ENOTTY;
	}
}

static const struct file_operations vidshare_fops = {
	.owner = THIS_MODULE,
	.open = vidshare_open,
	.release = vidshare_release,
	.unlocked_ioctl = vidshare_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vidshare_mmap,
#if VIDSHARE_HUGE_PFNMAP
	.get_unmapped_area = vidshare_get_unmapped_area,
#endif
};

static void vidshare_dev_release(struct device *dev)
{
	struct vidshare_device *vdev = to_vidshare(dev);

	vidshare_debugfs_remove(vdev);
	if (vdev->inode) {
		iput(vdev->inode);
		simple_release_fs(&vidshare_mnt, &vidshare_mnt_count);
	}
	ida_free(&vidshare_minors, MINOR(dev->devt));
	pci_dev_put(vdev->pdev);
	kfree(vdev);
}

/**
 * vidshare_device_alloc() - allocate the state of one adapter
 * @pdev: the PCI device
 *
 * The result is freed by put_device(&vdev->dev).
 *
 * Return: the new device or an ERR_PTR().
 */
struct vidshare_device *vidshare_device_alloc(struct pci_dev *pdev)
{
	struct vidshare_device *vdev;
	struct inode *inode;
	int minor, ret;

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&vidshare_minors, VIDSHARE_MAX_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		kfree(vdev);
		return ERR_PTR(minor);
	}
	vdev->pdev = pci_dev_get(pdev);
	init_rwsem(&vdev->revoke_sem);
	mutex_init(&vdev->lock);
	mutex_init(&vdev->mode_lock);
	INIT_LIST_HEAD(&vdev->files);

	device_initialize(&vdev->dev);
	vdev->dev.class = &vidshare_class;
	vdev->dev.parent = &pdev->dev;
	vdev->dev.devt = MKDEV(MAJOR(vidshare_devt), minor);
	vdev->dev.groups = vidshare_groups;
	vdev->dev.release = vidshare_dev_release;
	cdev_init(&vdev->cdev, &vidshare_fops);
	vdev->cdev.owner = THIS_MODULE;
	ret = dev_set_name(&vdev->dev, "vidshare%d", minor);
	if (ret)
		goto err;

	ret = simple_pin_fs(&vidshare_fs_type, &vidshare_mnt, &vidshare_mnt_count);
	if (ret)
		goto err;
	inode = alloc_anon_inode(vidshare_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&vidshare_mnt, &vidshare_mnt_count);
		ret = PTR_ERR(inode);
		goto err;
	}
	vdev->inode = inode;
	vidshare_debugfs_add(vdev);
	return vdev;

err:
	put_device(&vdev->dev);
	return ERR_PTR(ret);
}

/**
 * vidshare_cdev_add() - create /dev/vidshareN for a probed adapter
 * @vdev: the adapter
 *
 * Return: 0 or a negative errno.
 */
int vidshare_cdev_add(struct vidshare_device *vdev)
{
	return cdev_device_add(&vdev->cdev, &vdev->dev);
}

/**
 * vidshare_cdev_del() - remove /dev/vidshareN; open files stay usable
 * @vdev: the adapter
 */
void vidshare_cdev_del(struct vidshare_device *vdev)
{
	cdev_device_del(&vdev->cdev, &vdev->dev);
}

/**
 * vidshare_cdev_init() - reserve the device numbers and register the class
 *
 * Return: 0 or a negative errno.
 */
int vidshare_cdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&vidshare_devt, 0, VIDSHARE_MAX_MINORS, "vidshare");
	if (ret)
		return ret;
	ret = class_register(&vidshare_class);
	if (ret)
		unregister_chrdev_region(vidshare_devt, VIDSHARE_MAX_MINORS);
	return ret;
}

/**
 * vidshare_cdev_exit() - undo vidshare_cdev_init()
 */
void vidshare_cdev_exit(void)
{
	class_unregister(&vidshare_class);
	unregister_chrdev_region(vidshare_devt, VIDSHARE_MAX_MINORS);
	ida_destroy(&vidshare_minors);
}
