// SPDX-License-Identifier: GPL-2.0
/*
 * What vidshare knows about adapter models: which BAR is the frame buffer,
 * and how to read and set a linear mode (Bochs DISPI on the QEMU standard
 * VGA, register layout as in drivers/gpu/drm/tiny/bochs.c).
 */

#include <linux/io.h>
#include <linux/pci.h>

#include "compat.h"
#include "vidshare.h"

/* Bochs DISPI registers, 16 bits each at 0x500 of the MMIO BAR. */
#define DISPI_MMIO_OFFSET	0x500
#define DISPI_INDEX_ID		0x0
#define DISPI_INDEX_XRES	0x1
#define DISPI_INDEX_YRES	0x2
#define DISPI_INDEX_BPP		0x3
#define DISPI_INDEX_ENABLE	0x4
#define DISPI_INDEX_BANK	0x5
#define DISPI_INDEX_VIRT_WIDTH	0x6
#define DISPI_INDEX_VIRT_HEIGHT	0x7
#define DISPI_INDEX_X_OFFSET	0x8
#define DISPI_INDEX_Y_OFFSET	0x9
#define DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define DISPI_ID0		0xB0C0
#define DISPI_ENABLED		0x01
#define DISPI_LFB_ENABLED	0x40
/* VGA ports 0x3c0.. at 0x400 of the MMIO BAR; 0x20 to 0x3c0 unblanks. */
#define VGA_MMIO_AR_INDEX	0x400
#define VGA_AR_ENABLE_DISPLAY	0x20
/* Largest DISPI mode QEMU accepts. */
#define DISPI_MAX_XRES		16000
#define DISPI_MAX_YRES		12000

static u16 dispi_read(struct vidshare_device *vdev, u16 reg)
{
	return readw(vdev->mmio + DISPI_MMIO_OFFSET + (reg << 1));
}

static void dispi_write(struct vidshare_device *vdev, u16 reg, u16 val)
{
	writew(val, vdev->mmio + DISPI_MMIO_OFFSET + (reg << 1));
}

static int dispi_probe(struct vidshare_device *vdev, u64 *vram)
{
	u16 id = dispi_read(vdev, DISPI_INDEX_ID);

	if ((id & 0xfff0) != DISPI_ID0)
		return -ENODEV;
	*vram = (u64)dispi_read(vdev, DISPI_INDEX_VIDEO_MEMORY_64K) * SZ_64K;
	return 0;
}

static void dispi_get(struct vidshare_device *vdev, struct vidshare_mode *mode)
{
	if (!(dispi_read(vdev, DISPI_INDEX_ENABLE) & DISPI_ENABLED))
		return;
	mode->width = dispi_read(vdev, DISPI_INDEX_XRES);
	mode->height = dispi_read(vdev, DISPI_INDEX_YRES);
	mode->bpp = dispi_read(vdev, DISPI_INDEX_BPP);
	mode->stride = dispi_read(vdev, DISPI_INDEX_VIRT_WIDTH) *
		       DIV_ROUND_UP(mode->bpp, 8);
}

static void dispi_set(struct vidshare_device *vdev, const struct vidshare_mode *mode)
{
	writeb(VGA_AR_ENABLE_DISPLAY, vdev->mmio + VGA_MMIO_AR_INDEX);
	dispi_write(vdev, DISPI_INDEX_ENABLE, 0);
	dispi_write(vdev, DISPI_INDEX_BPP, mode->bpp);
	dispi_write(vdev, DISPI_INDEX_XRES, mode->width);
	dispi_write(vdev, DISPI_INDEX_YRES, mode->height);
	dispi_write(vdev, DISPI_INDEX_BANK, 0);
	dispi_write(vdev, DISPI_INDEX_VIRT_WIDTH, mode->width);
	dispi_write(vdev, DISPI_INDEX_VIRT_HEIGHT, mode->height);
	dispi_write(vdev, DISPI_INDEX_X_OFFSET, 0);
	dispi_write(vdev, DISPI_INDEX_Y_OFFSET, 0);
	dispi_write(vdev, DISPI_INDEX_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
}

static const struct vidshare_mode_ops dispi_mode_ops = {
	.probe = dispi_probe,
	.get = dispi_get,
	.set = dispi_set,
};

static const struct vidshare_adapter vidshare_adapters[] = {
	{
		.vendor = 0x1234, .device = 0x1111, .name = "QEMU standard VGA",
		.fb_bar = 0, .mmio_bar = 2, .mode_ops = &dispi_mode_ops,
	},
};

static const struct vidshare_adapter vidshare_generic = {
	.name = "generic (largest prefetchable BAR)",
	.fb_bar = -1, .mmio_bar = -1,
};

/**
 * vidshare_adapter_find() - look up an adapter model
 * @vendor: PCI vendor id
 * @device: PCI device id
 *
 * Return: the model's entry, or the generic entry for unknown models.
 */
const struct vidshare_adapter *vidshare_adapter_find(u16 vendor, u16 device)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vidshare_adapters); i++)
		if (vidshare_adapters[i].vendor == vendor &&
		    vidshare_adapters[i].device == device)
			return &vidshare_adapters[i];
	return &vidshare_generic;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_adapter_find);

/**
 * vidshare_pick_fb_bar() - choose the frame-buffer BAR
 * @bars: the BARs of the device
 * @nr: number of entries in @bars
 * @preferred: the BAR the adapter table names, or -1
 *
 * Return: @preferred if it is an implemented memory BAR; without a
 * preference the largest prefetchable memory BAR of at least a page;
 * -ENODEV if there is none.
 */
int vidshare_pick_fb_bar(const struct vidshare_bar_desc *bars, int nr,
			 int preferred)
{
	const unsigned long want = IORESOURCE_MEM | IORESOURCE_PREFETCH;
	int i, best = -ENODEV;

	if (preferred >= 0)
		return preferred < nr && (bars[preferred].flags & IORESOURCE_MEM) &&
		       bars[preferred].len >= PAGE_SIZE ? preferred : -ENODEV;
	for (i = 0; i < nr; i++) {
		if ((bars[i].flags & want) != want || bars[i].len < PAGE_SIZE)
			continue;
		if (best < 0 || bars[i].len > bars[best].len)
			best = i;
	}
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_pick_fb_bar);

/**
 * vidshare_mode_check() - check a SET_MODE request
 * @mode: the request
 * @fb_size: bytes of frame buffer the mode must fit in
 * @stride: set to the bytes per scan line the mode will have
 *
 * Return: 0, or -EINVAL for non-zero flags or reserved, a depth other than
 * 8, 16, 24 or 32, a width that is 0, not a multiple of 8 or above 16000, a
 * height that is 0 or above 12000, or a mode larger than @fb_size.
 */
int vidshare_mode_check(const struct vidshare_mode *mode, u64 fb_size, u32 *stride)
{
	if (mode->flags || mode->reserved)
		return -EINVAL;
	if (mode->bpp != 8 && mode->bpp != 16 && mode->bpp != 24 && mode->bpp != 32)
		return -EINVAL;
	if (!mode->width || mode->width % 8 || mode->width > DISPI_MAX_XRES)
		return -EINVAL;
	if (!mode->height || mode->height > DISPI_MAX_YRES)
		return -EINVAL;
	*stride = mode->width * (mode->bpp / 8);
	if ((u64)*stride * mode->height > fb_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_mode_check);

/**
 * vidshare_get_mode() - read the current mode
 * @vdev: the adapter
 * @mode: filled in; all zero when the adapter shows no linear mode
 *
 * Return: 0, -EOPNOTSUPP without a known mode interface, -ENODEV once the
 * adapter is gone.
 */
int vidshare_get_mode(struct vidshare_device *vdev, struct vidshare_mode *mode)
{
	int ret = 0;

	memset(mode, 0, sizeof(*mode));
	if (!vdev->mode_ops)
		return -EOPNOTSUPP;
	down_read(&vdev->revoke_sem);
	if (vdev->revoked) {
		ret = -ENODEV;
	} else {
		mutex_lock(&vdev->mode_lock);
		vdev->mode_ops->get(vdev, mode);
		mutex_unlock(&vdev->mode_lock);
	}
	up_read(&vdev->revoke_sem);
	return ret;
}

/**
 * vidshare_set_mode() - program a mode
 * @vdev: the adapter
 * @mode: the mode; its stride is ignored
 *
 * Return: 0, -EOPNOTSUPP without a known mode interface, -EINVAL for a mode
 * vidshare_mode_check() refuses, -ENODEV once the adapter is gone.
 */
int vidshare_set_mode(struct vidshare_device *vdev, const struct vidshare_mode *mode)
{
	u32 stride;
	int ret;

	if (!vdev->mode_ops) {
		dev_dbg(&vdev->dev, "SET_MODE: no known mode interface\n");
		return -EOPNOTSUPP;
	}
	ret = vidshare_mode_check(mode, vdev->fb_size, &stride);
	if (ret) {
		dev_dbg(&vdev->dev, "SET_MODE: unsupported mode %ux%ux%u\n",
			mode->width, mode->height, mode->bpp);
		return ret;
	}
	down_read(&vdev->revoke_sem);
	if (vdev->revoked) {
		ret = -ENODEV;
	} else {
		mutex_lock(&vdev->mode_lock);
		vdev->mode_ops->set(vdev, mode);
		mutex_unlock(&vdev->mode_lock);
	}
	up_read(&vdev->revoke_sem);
	return ret;
}
