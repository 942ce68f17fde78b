// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare: share a display adapter's frame buffer with a process.
 *
 * The PCI driver: binding, the frame-buffer BAR, module parameters, and
 * revocation of every share when the adapter goes away.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aperture.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/screen_info.h>
#include <linux/string.h>

#include "compat.h"
#include "vidshare.h"

#define VIDSHARE_MAX_SHARES_LIMIT	1048576
#define VIDSHARE_HOLDER_LEN		32

unsigned int vidshare_max_shares = 256;
EXPORT_SYMBOL_IF_KUNIT(vidshare_max_shares);

static int max_shares_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, VIDSHARE_MAX_SHARES_LIMIT);
}

static const struct kernel_param_ops max_shares_ops = {
	.set = max_shares_set,
	.get = param_get_uint,
};
module_param_cb(max_shares, &max_shares_ops, &vidshare_max_shares, 0644);
MODULE_PARM_DESC(max_shares,
		 "Most live shares one open file may hold (1-1048576, default 256)");

/*
 * As vfio-pci's: read once at load time, then gone (no sysfs file, no
 * memory kept); the ids it added are in the driver's new_id list.
 */
static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids,
		 "More PCI ids to bind, comma separated vendor:device[:subvendor[:subdevice]] in hex, e.g. ids=1234:1111,1b36:0100; read at load time");

static bool takeover;
module_param(takeover, bool, 0644);
MODULE_PARM_DESC(takeover,
		 "Take the frame buffer over from a firmware framebuffer (vesafb, efifb, simplefb, simpledrm) that holds it, as DRM drivers do (default: refuse to bind)");

static struct pci_driver vidshare_pci_driver;

/*
 * sysfb's device of a VESA or EFI boot frame buffer carries the boot's
 * struct screen_info as its platform data (7.x: the first member of it),
 * and no resources: is its frame buffer in @bar?
 */
static bool vidshare_fw_lfb_in(struct platform_device *pdev, const struct resource *bar)
{
	const struct screen_info *si = dev_get_platdata(&pdev->dev);
	u64 base;

	if (!si || (strcmp(pdev->name, "vesa-framebuffer") &&
		    strcmp(pdev->name, "efi-framebuffer")))
		return false;
	base = si->lfb_base;
	if (si->capabilities & VIDEO_CAPABILITY_64BIT_BASE)
		base |= (u64)si->ext_lfb_base << 32;
	return base >= bar->start && base <= bar->end;
}

/*
 * A platform device with a driver whose frame buffer is in @data's range:
 * a VESA or EFI one, or one with memory resources (simple-framebuffer).
 */
static int vidshare_fw_holder(struct device *dev, const void *data)
{
	const struct resource *bar = data;
	struct platform_device *pdev = to_platform_device(dev);
	struct resource *res;
	unsigned int i;

	if (!READ_ONCE(dev->driver))
		return 0;
	if (vidshare_fw_lfb_in(pdev, bar))
		return 1;
	/* By hand: 6.1's resource_overlaps() takes no const resources. */
	for (i = 0; (res = platform_get_resource(pdev, IORESOURCE_MEM, i)); i++)
		if (res->start <= bar->end && bar->start <= res->end)
			return 1;
	return 0;
}

/*
 * Probe found frame-buffer BAR @bar busy: say who holds it, and how to take
 * it over. A firmware framebuffer holds it, as a driver bound to the
 * platform device the kernel made for it (sysfb: vesa-framebuffer,
 * efi-framebuffer, simple-framebuffer), which is no PCI driver.
 */
static void vidshare_report_busy(struct pci_dev *pdev, int bar)
{
	const struct vidshare_adapter *adapter =
		vidshare_adapter_find(pdev->vendor, pdev->device, pdev->class);
	struct device *fw;

	fw = bus_find_device(&platform_bus_type, NULL, &pdev->resource[bar],
			     vidshare_fw_holder);
	if (fw) {
		pci_err(pdev, "%s: BAR%d is held by %s (%s), a firmware framebuffer: to take it over, \"echo 1 > /sys/module/vidshare/parameters/takeover\", then \"vidsharectl claim %s\"\n",
			adapter->name, bar, dev_driver_string(fw), dev_name(fw),
			pci_name(pdev));
		put_device(fw);
	} else {
		pci_err(pdev, "%s: BAR%d is held by another driver, probably a firmware framebuffer: to take it over, \"echo 1 > /sys/module/vidshare/parameters/takeover\", then \"vidsharectl claim %s\"\n",
			adapter->name, bar, pci_name(pdev));
	}
}

/*
 * At load: one line for each display adapter (of vidshare's id table, or
 * of the display class, which driver_override can give vidshare) that
 * another PCI driver holds, naming it and the command that moves the
 * adapter (driver_override, unbind, bind). The adapters vidshare probed and
 * could not take said why when their probe failed.
 */
static void vidshare_report_held(void)
{
	char holder[VIDSHARE_HOLDER_LEN];
	struct pci_dev *pdev = NULL;
	struct device_driver *drv;

	for_each_pci_dev(pdev) {
		if ((pdev->class >> 16) != PCI_BASE_CLASS_DISPLAY &&
		    !pci_match_id(vidshare_pci_ids, pdev))
			continue;
		device_lock(&pdev->dev);
		drv = pdev->dev.driver;
		if (drv)
			strscpy(holder, drv->name, sizeof(holder));
		device_unlock(&pdev->dev);
		if (drv && drv != &vidshare_pci_driver.driver)
			pci_info(pdev, "%s is held by %s: \"vidsharectl claim %s\" moves it to vidshare\n",
				 vidshare_adapter_find(pdev->vendor, pdev->device,
						       pdev->class)->name,
				 holder, pci_name(pdev));
	}
}

/*
 * Claim the frame-buffer BAR. A firmware framebuffer may hold it: refuse,
 * unless takeover=1 says to remove it through the aperture helpers first.
 */
static int vidshare_claim_fb(struct pci_dev *pdev, int bar)
{
	int ret = vidshare_request_region(pdev, bar, "vidshare");

	if (ret && takeover) {
		dev_info(&pdev->dev, "BAR%d is busy: taking it over from the firmware framebuffer\n",
			 bar);
		ret = aperture_remove_conflicting_pci_devices(pdev, "vidshare");
		if (!ret)
			ret = vidshare_request_region(pdev, bar, "vidshare");
	}
	if (ret && takeover)
		dev_err(&pdev->dev, "BAR%d is still in use after the takeover: %d\n", bar, ret);
	else if (ret && ret != -EBUSY)
		dev_err(&pdev->dev, "cannot claim BAR%d: %d\n", bar, ret);
	else if (ret)
		vidshare_report_busy(pdev, bar);
	return ret;
}

/*
 * Claim and map the register BAR of the model, if it has one and the BAR
 * is what the model's register code expects: of its type (memory or I/O)
 * and long enough for every register it touches. Else leave it alone:
 * vdev->regs stays NULL and no register is ever accessed.
 *
 * Return: 0, or the error that kept a register BAR of the right shape from
 * being claimed or mapped: the adapter is not bound half-working.
 */
static int vidshare_map_regs(struct pci_dev *pdev, struct vidshare_device *vdev,
			     const struct vidshare_bar_desc *bars)
{
	const struct vidshare_adapter *adapter = vdev->adapter;
	int bar = adapter->regs_bar, ret;

	if (bar < 0 || bar == vdev->fb_bar)
		return 0;
	if (!vidshare_regs_usable(adapter, &bars[bar])) {
		dev_info(&pdev->dev, "BAR%d is not the register BAR %s has (%s, at least %u bytes); its registers are not used\n",
			 bar, adapter->name, adapter->regs_io ? "I/O" : "memory",
			 adapter->regs_len);
		return 0;
	}
	ret = vidshare_request_region(pdev, bar, "vidshare");
	if (ret) {
		dev_err(&pdev->dev, "cannot claim the registers in BAR%d: %d\n", bar, ret);
		return ret;
	}
	vdev->regs = pcim_iomap(pdev, bar, 0);
	if (!vdev->regs) {
		dev_err(&pdev->dev, "cannot map the registers in BAR%d\n", bar);
		return -ENOMEM;
	}
	return 0;
}

static int vidshare_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const struct vidshare_adapter *adapter = (const void *)id->driver_data;
	struct vidshare_bar_desc bars[PCI_STD_NUM_BARS];
	struct vidshare_device *vdev;
	int bar, i, ret;

	/* Matched through ids= or driver_override: no driver_data. */
	if (!adapter)
		adapter = vidshare_adapter_find(pdev->vendor, pdev->device, pdev->class);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		bars[i].flags = pci_resource_flags(pdev, i);
		bars[i].len = pci_resource_len(pdev, i);
	}
	bar = vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, adapter->fb_bar);
	if (bar < 0) {
		dev_err(&pdev->dev, "no frame-buffer BAR: %s needs a prefetchable memory BAR\n",
			adapter->name);
		return -ENODEV;
	}

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	/* Managed (devres); revokes /dev/mem and resourceN maps. */
	ret = vidshare_claim_fb(pdev, bar);
	if (ret)
		return ret;

	vdev = vidshare_device_alloc(pdev);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	vdev->adapter = adapter;
	vdev->fb_bar = bar;
	vdev->fb_phys = pci_resource_start(pdev, bar);
	/* Write-combining where the BAR allows it; memtype.c decides. */
	vdev->wc = pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH;
	vdev->ids.vendor = pdev->vendor;
	vdev->ids.device = pdev->device;
	vdev->ids.subsystem_vendor = pdev->subsystem_vendor;
	vdev->ids.subsystem_device = pdev->subsystem_device;

	ret = vidshare_map_regs(pdev, vdev, bars);
	if (ret) {
		put_device(&vdev->dev);
		return ret;
	}
	if (vdev->regs && adapter->mode_ops && !adapter->mode_ops->probe(vdev))
		vdev->mode_ops = adapter->mode_ops;
	if (!vdev->mode_ops)
		dev_info(&pdev->dev, "no mode interface: GET/SET_MODE are unsupported\n");
	vdev->fb_size = vidshare_vram_size(vdev, pci_resource_len(pdev, bar));
	if (!vdev->fb_size) {
		dev_err(&pdev->dev, "cannot read how much of BAR%d is video memory: %s holds more than that there; nothing is shared\n",
			bar, adapter->name);
		put_device(&vdev->dev);
		return -ENODEV;
	}

	ret = vidshare_memtype_init(vdev);
	if (ret) {
		put_device(&vdev->dev);
		return ret;
	}
	ret = vidshare_cdev_add(vdev);
	if (ret) {
		vidshare_memtype_exit(vdev);
		put_device(&vdev->dev);
		return ret;
	}
	pci_set_drvdata(pdev, vdev);
	dev_info(&vdev->dev, "%s: BAR%d, %llu KiB%s\n", adapter->name, bar,
		 vdev->fb_size >> 10, vdev->wc ? ", write-combining" : "");
	return 0;
}

static void vidshare_remove(struct pci_dev *pdev)
{
	struct vidshare_device *vdev = pci_get_drvdata(pdev);

	vidshare_cdev_del(vdev);
	vidshare_revoke(vdev);
	vidshare_memtype_exit(vdev);
	dev_info(&pdev->dev, "unbound; every share is revoked\n");
	put_device(&vdev->dev);
}

static struct pci_driver vidshare_pci_driver = {
	.name = "vidshare",
	.id_table = vidshare_pci_ids,
	.probe = vidshare_probe,
	.remove = vidshare_remove,
};

/* Add the ids= parameter the way vfio-pci does. */
static void __init vidshare_add_ids(void)
{
	char *p = ids, *id;

	while ((id = strsep(&p, ","))) {
		unsigned int vendor, device, subvendor = PCI_ANY_ID,
			     subdevice = PCI_ANY_ID;
		int n, ret;

		if (!*id)
			continue;
		n = sscanf(id, "%x:%x:%x:%x", &vendor, &device, &subvendor, &subdevice);
		if (n < 2 || vendor > 0xffff || device > 0xffff) {
			pr_err("ids: cannot parse \"%s\"\n", id);
			continue;
		}
		ret = pci_add_dynid(&vidshare_pci_driver, vendor, device,
				    subvendor, subdevice, 0, 0, 0);
		if (ret)
			pr_err("ids: cannot add %04x:%04x: %d\n",
			       vendor, device, ret);
	}
}

static int __init vidshare_init(void)
{
	int ret;

	vidshare_debugfs_init();
	ret = vidshare_cdev_init();
	if (ret)
		goto err_debugfs;
	ret = pci_register_driver(&vidshare_pci_driver);
	if (ret)
		goto err_cdev;
	vidshare_add_ids();
	vidshare_report_held();
	return 0;

err_cdev:
	vidshare_cdev_exit();
err_debugfs:
	vidshare_debugfs_exit();
	return ret;
}

static void __exit vidshare_exit(void)
{
	pci_unregister_driver(&vidshare_pci_driver);
	vidshare_cdev_exit();
	vidshare_debugfs_exit();
}

module_init(vidshare_init);
module_exit(vidshare_exit);

MODULE_DESCRIPTION("Share a display adapter's frame buffer with a process");
MODULE_LICENSE("GPL");
MODULE_VERSION(VIDSHARE_VERSION);
