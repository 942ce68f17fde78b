// SPDX-License-Identifier: GPL-2.0
/*
 * What vidshare knows about adapter models, all in one table, the PCI id
 * table: which BAR is the frame buffer, how much memory is behind it, and
 * how to read and set a linear mode (Bochs DISPI on the QEMU standard VGA
 * and its relatives, register layout as in drivers/gpu/drm/tiny/bochs.c).
 */

#include <linux/io.h>
#include <linux/pci.h>
#include <video/vga.h>

#include "compat.h"
#include "vidshare.h"

/* Bochs DISPI registers, 16 bits each at 0x500 of the register BAR. */
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
/*
 * VGA ports 0x3c0.. at 0x400 of the register BAR; 0x20 to the attribute
 * index (0x3c0) unblanks. 0x3c0 takes an index and a value in turn: a read
 * of input status 1 (0x3da, where the miscellaneous output register's
 * colour bit puts it) makes the next write an index again, whatever the
 * driver before left (bochs-drm blanks with an index write). The Bochs
 * display has no VGA ports; the accesses go nowhere there.
 */
#define VGA_MMIO_PORT(port)	(0x400 + (port) - VGA_ATT_W)
#define VGA_MMIO_AR_INDEX	VGA_MMIO_PORT(VGA_ATT_W)
#define VGA_MMIO_MIS_W		VGA_MMIO_PORT(VGA_MIS_W)
#define VGA_MMIO_IS1_RC		VGA_MMIO_PORT(VGA_IS1_RC)
#define VGA_AR_ENABLE_DISPLAY	0x20
/* Largest DISPI mode QEMU accepts. */
#define DISPI_MAX_XRES		16000
#define DISPI_MAX_YRES		12000

/* QXL: the ROM BAR starts with struct qxl_rom (include/drm/qxl_dev.h). */
#define QXL_ROM_MAGIC		0x4f525851	/* "QXRO" */
#define QXL_ROM_SURFACE0_SIZE	40		/* surface0_area_size */

/* VMware SVGA II: index and value ports of the I/O BAR. */
#define SVGA_INDEX_PORT		0
#define SVGA_VALUE_PORT		1
#define SVGA_REG_ID		0
#define SVGA_REG_VRAM_SIZE	15
#define SVGA_ID_2		0x90000002

/*
 * ATI Rage 128 and Radeon: memory size register of the MMIO BAR; Rage 128
 * keeps it in the low 26 bits (as aty128fb reads it), Radeon in all 32
 * (as radeon's r100 code does).
 */
#define ATI_CNFG_MEMSIZE	0xf8
#define ATI_R128_MEMSIZE_MASK	0x03ffffff

static u16 dispi_read(struct vidshare_device *vdev, u16 reg)
{
	return ioread16(vdev->regs + DISPI_MMIO_OFFSET + (reg << 1));
}

static void dispi_write(struct vidshare_device *vdev, u16 reg, u16 val)
{
	iowrite16(val, vdev->regs + DISPI_MMIO_OFFSET + (reg << 1));
}

static int dispi_probe(struct vidshare_device *vdev)
{
	return (dispi_read(vdev, DISPI_INDEX_ID) & 0xfff0) == DISPI_ID0 ? 0 : -ENODEV;
}

static u64 dispi_vram_size(struct vidshare_device *vdev)
{
	if (dispi_probe(vdev))
		return 0;
	return (u64)dispi_read(vdev, DISPI_INDEX_VIDEO_MEMORY_64K) * SZ_64K;
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
	iowrite8(VGA_MIS_COLOR, vdev->regs + VGA_MMIO_MIS_W);
	ioread8(vdev->regs + VGA_MMIO_IS1_RC);
	iowrite8(VGA_AR_ENABLE_DISPLAY, vdev->regs + VGA_MMIO_AR_INDEX);
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

/* The primary surface area at the start of BAR0, from the ROM. */
static u64 qxl_vram_size(struct vidshare_device *vdev)
{
	if (ioread32(vdev->regs) != QXL_ROM_MAGIC)
		return 0;
	return ioread32(vdev->regs + QXL_ROM_SURFACE0_SIZE);
}

static u64 svga_vram_size(struct vidshare_device *vdev)
{
	/* Identify as an SVGA II driver first, as the hardware expects. */
	iowrite32(SVGA_REG_ID, vdev->regs + SVGA_INDEX_PORT);
	iowrite32(SVGA_ID_2, vdev->regs + SVGA_VALUE_PORT);
	if (ioread32(vdev->regs + SVGA_VALUE_PORT) != SVGA_ID_2)
		return 0;
	iowrite32(SVGA_REG_VRAM_SIZE, vdev->regs + SVGA_INDEX_PORT);
	return ioread32(vdev->regs + SVGA_VALUE_PORT);
}

static u64 r128_vram_size(struct vidshare_device *vdev)
{
	return ioread32(vdev->regs + ATI_CNFG_MEMSIZE) & ATI_R128_MEMSIZE_MASK;
}

static u64 radeon_vram_size(struct vidshare_device *vdev)
{
	return ioread32(vdev->regs + ATI_CNFG_MEMSIZE);
}

/* The DISPI registers and the VGA attribute index, in the register BAR. */
#define DISPI_REGS_LEN	(DISPI_MMIO_OFFSET + ((DISPI_INDEX_VIDEO_MEMORY_64K + 1) << 1))
static_assert(VGA_MMIO_IS1_RC < DISPI_REGS_LEN);

#define DISPI_ADAPTER(_name, _bpp, _min)				\
	{								\
		.name = (_name), .fb_bar = 0, .regs_bar = 2,		\
		.regs_len = DISPI_REGS_LEN,				\
		.vram_size = dispi_vram_size,				\
		.mode_ops = &dispi_mode_ops,				\
		.mode_bpp = (_bpp), .mode_min = (_min),			\
	}

#define DISPI_ALL_BPP	(VIDSHARE_BPP(8) | VIDSHARE_BPP(16) | VIDSHARE_BPP(24) | \
			 VIDSHARE_BPP(32))

/* -device VGA. */
static const struct vidshare_adapter std_vga =
	DISPI_ADAPTER("QEMU standard VGA", DISPI_ALL_BPP, 0);

/*
 * -device secondary-vga and -device bochs-display: same ids, same class.
 * The Bochs display shows 16 and 32 bpp only, at least 64x64; offer what
 * both show.
 */
static const struct vidshare_adapter secondary_vga =
	DISPI_ADAPTER("QEMU secondary VGA or Bochs display",
		      VIDSHARE_BPP(16) | VIDSHARE_BPP(32), 64);

/* -device virtio-vga, bound only on request: the DISPI side of it. */
static const struct vidshare_adapter virtio_vga =
	DISPI_ADAPTER("virtio VGA (VGA side; virtio-gpu is unavailable while bound)",
		      DISPI_ALL_BPP, 0);

/* -device cirrus-vga: a 32 MiB BAR in front of 4 MiB of memory. */
static const struct vidshare_adapter cirrus = {
	.name = "Cirrus Logic GD5446", .fb_bar = 0, .regs_bar = -1,
	.vram_fixed = SZ_4M,
};

/*
 * -device qxl-vga and -device qxl: BAR0 is not prefetchable, and holds the
 * command rings after the primary surface.
 */
static const struct vidshare_adapter qxl = {
	.name = "QXL", .fb_bar = 0, .regs_bar = 2,
	.regs_len = QXL_ROM_SURFACE0_SIZE + 4,
	.vram_size = qxl_vram_size, .fb_bar_shared = true,
};

/* -device vmware-svga: BAR0 is the I/O ports, BAR1 the frame buffer. */
static const struct vidshare_adapter vmware_svga = {
	.name = "VMware SVGA II", .fb_bar = 1, .regs_bar = 0, .regs_io = true,
	.regs_len = SVGA_VALUE_PORT + 4, .vram_size = svga_vram_size,
};

/* -device ati-vga: Rage 128 Pro, and model=rv100, Radeon 7000. */
static const struct vidshare_adapter ati_r128 = {
	.name = "ATI Rage 128 Pro", .fb_bar = 0, .regs_bar = 2,
	.regs_len = ATI_CNFG_MEMSIZE + 4, .vram_size = r128_vram_size,
};

static const struct vidshare_adapter ati_radeon = {
	.name = "ATI Radeon 7000", .fb_bar = 0, .regs_bar = 2,
	.regs_len = ATI_CNFG_MEMSIZE + 4, .vram_size = radeon_vram_size,
};

static const struct vidshare_adapter vidshare_generic = {
	.name = "generic (largest prefetchable BAR)",
	.fb_bar = -1, .regs_bar = -1,
};

#define VIDSHARE_MODEL(_vendor, _device, _model)			\
	PCI_DEVICE(_vendor, _device),					\
	.driver_data = (kernel_ulong_t)&(_model)

#define VIDSHARE_MODEL_CLASS(_vendor, _device, _class, _model)	\
	VIDSHARE_MODEL(_vendor, _device, _model),			\
	.class = (_class) << 8, .class_mask = 0xffff00

/**
 * DOC: Supported adapters
 *
 * Everything vidshare knows about adapter models is one table, the
 * driver's PCI id table ``vidshare_pci_ids[]``: the PCI ids (and class,
 * where two models share ids) of each model, with its description, a
 * ``struct vidshare_adapter``, in ``driver_data``. The description names the
 * frame-buffer BAR, the register BAR and how much of it the register code
 * touches, how to read the size of the video memory, and the mode
 * interface with the depths and the smallest size it displays. The models
 * are those QEMU emulates:
 *
 * ====================  ===========  ======  ==========  ==========================  ==========
 * QEMU ``-device``      ids          FB BAR  registers   usable size from            modes
 * ====================  ===========  ======  ==========  ==========================  ==========
 * ``VGA``               1234:1111,   BAR0    BAR2        DISPI video memory          DISPI
 *                       class 0300
 * ``secondary-vga``     1234:1111,   BAR0    BAR2        DISPI video memory          DISPI,
 *                       class 0380                                                   16/32 bpp,
 *                                                                                    64x64 up
 * ``bochs-display``     1234:1111,   BAR0    BAR2        DISPI video memory          DISPI,
 *                       class 0380                                                   16/32 bpp,
 *                                                                                    64x64 up
 * ``virtio-vga`` (*)    1af4:1050    BAR0    BAR2        DISPI video memory          DISPI
 * ``qxl``, ``qxl-vga``  1b36:0100    BAR0    BAR2 (ROM)  ROM ``surface0_area_size``  none
 * ``cirrus-vga``        1013:00b8    BAR0    none        fixed 4 MiB (GD5446)        none
 * ``vmware-svga``       15ad:0405    BAR1    BAR0 (I/O)  ``SVGA_REG_VRAM_SIZE``      none
 * ``ati-vga``           1002:5046    BAR0    BAR2        ``CNFG_MEMSIZE``, 26 bits   none
 * (``model=rv100``)     1002:5159    BAR0    BAR2        ``CNFG_MEMSIZE``            none
 * ====================  ===========  ======  ==========  ==========================  ==========
 *
 * DISPI is the Bochs display interface (the registers at 0x500 of BAR2, as
 * in the kernel's ``bochs`` DRM driver): it reports the video memory in
 * 64 KiB units, and reads and sets linear modes of 8, 16, 24 and 32 bpp
 * (16 and 32 only on the Bochs display, which ``secondary-vga`` shares
 * ids and class with), widths a multiple of 8 up to 16000 and heights up
 * to 12000. Only the DISPI models have a mode interface: on the others
 * ``VIDSHARE_IOC_GET_MODE`` and ``VIDSHARE_IOC_SET_MODE`` fail with
 * ``EOPNOTSUPP`` and INFO reports no mode.
 *
 * (*) virtio-vga's entry matches only through ``driver_override``
 * (``override_only``), or through the ``ids`` parameter: ``virtio_pci``
 * drives it as a GPU, so vidshare takes its VGA side only when asked, and
 * virtio-gpu is unavailable while vidshare has it.
 *
 * The BAR may be larger than the memory behind it: Cirrus's BAR0 is 32 MiB
 * with 4 MiB of memory and the blitter at 16 MiB, QXL's BAR0 holds the
 * primary surface first and command rings after it. The size shared is the
 * size the model's register reports (or its fixed size), never more than
 * the BAR, rounded down to a page. A register that does not answer, or
 * answers more than the BAR, means the whole BAR, except for QXL, whose BAR
 * holds more than video memory: then nothing is shared and vidshare does
 * not bind. A register BAR that is not of the type the model's code
 * expects (memory, or I/O for the VMware SVGA's ports), or is shorter than
 * the registers it touches, is left alone.
 *
 * Shares are write-combining when the frame-buffer BAR is prefetchable, as
 * it is on every model above but QXL, whose BAR0 is shared uncached. The
 * BAR's flag decides, not the table.
 *
 * Any other device bound through ``ids`` or ``driver_override`` is
 * described by the generic entry: the largest prefetchable memory BAR of at
 * least a page is the frame buffer, all of it shared, with no register BAR
 * and no mode interface.
 *
 * There is no ``MODULE_DEVICE_TABLE``: vidshare is never loaded
 * automatically, and like any PCI driver it only probes devices that no
 * other driver has bound.
 */
const struct pci_device_id vidshare_pci_ids[] = {
	{ VIDSHARE_MODEL_CLASS(0x1234, 0x1111, PCI_CLASS_DISPLAY_VGA, std_vga) },
	{ VIDSHARE_MODEL_CLASS(0x1234, 0x1111, PCI_CLASS_DISPLAY_OTHER, secondary_vga) },
	/* Only through driver_override (or ids=): virtio_pci drives it. */
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1050, virtio_vga),
	  .override_only = 1 },
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_CIRRUS, PCI_DEVICE_ID_CIRRUS_5446, cirrus) },
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_REDHAT, 0x0100, qxl) },
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_VMWARE, 0x0405, vmware_svga) },
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_ATI, 0x5046, ati_r128) },
	{ VIDSHARE_MODEL(PCI_VENDOR_ID_ATI, 0x5159, ati_radeon) },
	{ }
};
EXPORT_SYMBOL_IF_KUNIT(vidshare_pci_ids);

/**
 * vidshare_adapter_find() - look up an adapter model
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @class: PCI class code, as in &pci_dev.class
 *
 * For a device the PCI core matched through ``ids`` or ``driver_override``,
 * which carries no ``driver_data``. Entries that match only through
 * ``driver_override`` count too.
 *
 * Return: the model's description in vidshare_pci_ids[], or the generic
 * one for unknown models.
 */
const struct vidshare_adapter *vidshare_adapter_find(u16 vendor, u16 device, u32 class)
{
	const struct pci_device_id *id;

	for (id = vidshare_pci_ids; id->vendor; id++) {
		if (id->vendor == vendor && id->device == device &&
		    !((id->class ^ class) & id->class_mask))
			return (const struct vidshare_adapter *)id->driver_data;
	}
	return &vidshare_generic;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_adapter_find);

/**
 * vidshare_regs_usable() - whether a BAR is the register BAR a model expects
 * @adapter: the model
 * @bar: its &vidshare_adapter.regs_bar
 *
 * Return: true if @bar is of the type (memory or I/O) the model's register
 * code uses and holds every register it touches.
 */
bool vidshare_regs_usable(const struct vidshare_adapter *adapter,
			  const struct vidshare_bar_desc *bar)
{
	unsigned long type = adapter->regs_io ? IORESOURCE_IO : IORESOURCE_MEM;

	return (bar->flags & (IORESOURCE_IO | IORESOURCE_MEM)) == type &&
	       bar->len >= adapter->regs_len;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_regs_usable);

/**
 * vidshare_fb_size() - how much of the frame-buffer BAR can be shared
 * @adapter: the model
 * @vram: the video memory its size register reports, 0 if it has none or
 *	it does not answer
 * @bar_len: length of the frame-buffer BAR
 *
 * The BAR may be larger than the memory behind it. Trust the model's size
 * register where it answers, a fixed size where the model has one, and
 * else the whole BAR, unless the model keeps more than video memory in
 * the BAR (&vidshare_adapter.fb_bar_shared): then nothing is known to be
 * frame buffer. Never more than the BAR.
 *
 * Return: the size rounded down to a page, or 0 if nothing may be shared.
 */
u64 vidshare_fb_size(const struct vidshare_adapter *adapter, u64 vram, u64 bar_len)
{
	if (!adapter->vram_size)
		vram = adapter->vram_fixed;
	if (vram < PAGE_SIZE || vram > bar_len)
		vram = adapter->fb_bar_shared ? 0 : bar_len;
	return round_down(vram, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_fb_size);

/**
 * vidshare_vram_size() - how much of the frame-buffer BAR can be shared
 * @vdev: the adapter; its registers are mapped if it has usable ones
 * @bar_len: length of the frame-buffer BAR
 *
 * Return: what vidshare_fb_size() says of what the registers report.
 */
u64 vidshare_vram_size(struct vidshare_device *vdev, u64 bar_len)
{
	const struct vidshare_adapter *a = vdev->adapter;
	u64 vram = 0;

	if (a->vram_size && vdev->regs)
		vram = a->vram_size(vdev);
	if (a->vram_size && vram > bar_len)
		dev_warn(&vdev->pdev->dev, "video memory (%llu KiB) is larger than BAR%d\n",
			 vram >> 10, vdev->fb_bar);
	return vidshare_fb_size(a, vram, bar_len);
}

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
 * @adapter: the adapter model, with a mode interface
 * @mode: the request
 * @fb_size: bytes of frame buffer the mode must fit in
 * @stride: set to the bytes per scan line the mode will have
 *
 * Return: 0, or -EINVAL for non-zero flags or reserved, a depth the model
 * does not display (of 8, 16, 24 and 32), a width that is not a multiple of
 * 8 or outside [@adapter->mode_min, 16000], a height outside
 * [@adapter->mode_min, 12000] or 0, or a mode larger than @fb_size.
 */
int vidshare_mode_check(const struct vidshare_adapter *adapter,
			const struct vidshare_mode *mode, u64 fb_size, u32 *stride)
{
	if (mode->flags || mode->reserved)
		return -EINVAL;
	if (!mode->bpp || mode->bpp % 8 || mode->bpp > 32 ||
	    !(adapter->mode_bpp & VIDSHARE_BPP(mode->bpp)))
		return -EINVAL;
	if (!mode->width || mode->width % 8 || mode->width < adapter->mode_min ||
	    mode->width > DISPI_MAX_XRES)
		return -EINVAL;
	if (!mode->height || mode->height < adapter->mode_min ||
	    mode->height > DISPI_MAX_YRES)
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
	ret = vidshare_mode_check(vdev->adapter, mode, vdev->fb_size, &stride);
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
