// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for vidshare: view rounding and bounds, request checks, the
 * mapping list, BAR choice, mode checks, and SHARE/UNSHARE in a KUnit user
 * context against the first bound adapter.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vidshare.h"

VIDSHARE_IMPORT_KUNIT_NS();

#define FB_SIZE	SZ_16M

static int check(const struct vidshare_share *req, struct vidshare_view *view)
{
	const char *why = NULL;
	int ret = vidshare_share_check(req, FB_SIZE, view, &why);

	/* Every refusal says why; every success leaves why alone. */
	return ret && !why ? -EBADMSG : ret;
}

static void view_aligned(struct kunit *test)
{
	struct vidshare_share req = { .view_offset = SZ_64K, .view_size = SZ_1M };
	struct vidshare_view v;

	KUNIT_ASSERT_EQ(test, check(&req, &v), 0);
	KUNIT_EXPECT_EQ(test, v.offset, (u64)SZ_64K);
	KUNIT_EXPECT_EQ(test, v.size, (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, v.sub, 0U);
}

static void view_unaligned_rounds_out(struct kunit *test)
{
	struct vidshare_share req = { .view_offset = 100, .view_size = 50 };
	struct vidshare_view v;

	KUNIT_ASSERT_EQ(test, check(&req, &v), 0);
	KUNIT_EXPECT_EQ(test, v.offset, 0ULL);
	KUNIT_EXPECT_EQ(test, v.size, (u64)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, v.sub, 100U);
}

static void view_straddles_page(struct kunit *test)
{
	struct vidshare_share req = { .view_offset = PAGE_SIZE - 1, .view_size = 2 };
	struct vidshare_view v;

	KUNIT_ASSERT_EQ(test, check(&req, &v), 0);
	KUNIT_EXPECT_EQ(test, v.offset, 0ULL);
	KUNIT_EXPECT_EQ(test, v.size, 2 * (u64)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, v.sub, (u32)PAGE_SIZE - 1);
}

static void view_last_byte(struct kunit *test)
{
	struct vidshare_share req = { .view_offset = FB_SIZE - 1, .view_size = 1 };
	struct vidshare_view v;

	KUNIT_ASSERT_EQ(test, check(&req, &v), 0);
	KUNIT_EXPECT_EQ(test, v.offset, (u64)FB_SIZE - PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, v.size, (u64)PAGE_SIZE);
}

static void view_whole_fb(struct kunit *test)
{
	struct vidshare_share req = { .view_size = FB_SIZE };
	struct vidshare_view v;

	KUNIT_ASSERT_EQ(test, check(&req, &v), 0);
	KUNIT_EXPECT_EQ(test, v.size, (u64)FB_SIZE);
}

struct bad_view {
	u64 off, size;
};

static const struct bad_view bad_views[] = {
	{ 0, 0 },			/* empty */
	{ FB_SIZE, 1 },			/* starts at the end */
	{ FB_SIZE - 1, 2 },		/* ends one past */
	{ 0, FB_SIZE + 1 },
	{ FB_SIZE + 1, 1 },
	{ U64_MAX, 1 },			/* overflows */
	{ PAGE_SIZE, U64_MAX },
	{ U64_MAX, U64_MAX },
};

static void bad_view_desc(const struct bad_view *b, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "offset %llx size %llx", b->off, b->size);
}

KUNIT_ARRAY_PARAM(bad_view, bad_views, bad_view_desc);

static void view_bounds_refused(struct kunit *test)
{
	const struct bad_view *b = test->param_value;
	struct vidshare_share req = { .view_offset = b->off, .view_size = b->size };
	struct vidshare_view v;

	KUNIT_EXPECT_EQ(test, check(&req, &v), -EINVAL);
}

static const u32 share_flag_bits[] = {
	BIT(0), BIT(1), BIT(2), BIT(3), BIT(4), BIT(5), BIT(6), BIT(7),
	BIT(8), BIT(9), BIT(10), BIT(11), BIT(12), BIT(13), BIT(14), BIT(15),
	BIT(16), BIT(17), BIT(18), BIT(19), BIT(20), BIT(21), BIT(22), BIT(23),
	BIT(24), BIT(25), BIT(26), BIT(27), BIT(28), BIT(29), BIT(30), BIT(31),
};

static void share_flag_desc(const u32 *flag, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "flag bit %d", ffs(*flag) - 1);
}

KUNIT_ARRAY_PARAM(share_flag, share_flag_bits, share_flag_desc);

/* Each flag bit alone: the known ones are taken, the others refused. */
static void share_flags_checked(struct kunit *test)
{
	const u32 *flag = test->param_value;
	struct vidshare_share req = { .view_size = 1, .flags = *flag };
	struct vidshare_view v;

	if (req.flags == VIDSHARE_SHARE_FIXED)
		req.requested_addr = SZ_1G;
	KUNIT_EXPECT_EQ(test, check(&req, &v), req.flags & VIDSHARE_SHARE_FLAGS ? 0 : -EINVAL);
}

static void share_reserved_checked(struct kunit *test)
{
	struct vidshare_share req = { .view_size = 1, .reserved = 1 };
	struct vidshare_view v;

	KUNIT_EXPECT_EQ(test, check(&req, &v), -EINVAL);
}

static void share_fixed_needs_aligned_address(struct kunit *test)
{
	struct vidshare_share req = {
		.view_size = 1, .flags = VIDSHARE_SHARE_FIXED,
	};
	struct vidshare_view v;

	KUNIT_EXPECT_EQ(test, check(&req, &v), -EINVAL);
	req.requested_addr = SZ_1G + 1;
	KUNIT_EXPECT_EQ(test, check(&req, &v), -EINVAL);
	req.requested_addr = SZ_1G;
	KUNIT_EXPECT_EQ(test, check(&req, &v), 0);
	/* Without FIXED the address is a hint: any value will do. */
	req.flags = 0;
	req.requested_addr = SZ_1G + 1;
	KUNIT_EXPECT_EQ(test, check(&req, &v), 0);
}

static struct kunit_case vidshare_view_cases[] = {
	KUNIT_CASE(view_aligned),
	KUNIT_CASE(view_unaligned_rounds_out),
	KUNIT_CASE(view_straddles_page),
	KUNIT_CASE(view_last_byte),
	KUNIT_CASE(view_whole_fb),
	KUNIT_CASE_PARAM(view_bounds_refused, bad_view_gen_params),
	KUNIT_CASE_PARAM(share_flags_checked, share_flag_gen_params),
	KUNIT_CASE(share_reserved_checked),
	KUNIT_CASE(share_fixed_needs_aligned_address),
	{}
};

static struct kunit_suite vidshare_view_suite = {
	.name = "vidshare_view",
	.test_cases = vidshare_view_cases,
};

static struct vidshare_file *test_file(struct kunit *test)
{
	struct vidshare_file *vf = kunit_kzalloc(test, sizeof(*vf), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vf);
	spin_lock_init(&vf->lock);
	INIT_LIST_HEAD(&vf->maps);
	return vf;
}

static void maps_insert_remove(struct kunit *test)
{
	struct vidshare_file *vf = test_file(test);
	struct vidshare_map a = {}, b = {};

	KUNIT_ASSERT_EQ(test, vidshare_map_insert(vf, &a, 4), 0);
	KUNIT_ASSERT_EQ(test, vidshare_map_insert(vf, &b, 4), 0);
	KUNIT_EXPECT_EQ(test, vf->nr_maps, 2U);
	KUNIT_EXPECT_PTR_EQ(test, a.vf, vf);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&vf->maps, struct vidshare_map, node), &a);
	vidshare_map_remove(&a);
	KUNIT_EXPECT_EQ(test, vf->nr_maps, 1U);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&vf->maps, struct vidshare_map, node), &b);
	vidshare_map_remove(&b);
	KUNIT_EXPECT_EQ(test, vf->nr_maps, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&vf->maps));
}

static void maps_limit(struct kunit *test)
{
	struct vidshare_file *vf = test_file(test);
	struct vidshare_map m[3] = {};

	KUNIT_ASSERT_EQ(test, vidshare_map_insert(vf, &m[0], 2), 0);
	KUNIT_ASSERT_EQ(test, vidshare_map_insert(vf, &m[1], 2), 0);
	KUNIT_EXPECT_EQ(test, vidshare_map_insert(vf, &m[2], 2), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vf->nr_maps, 2U);
	KUNIT_EXPECT_NULL(test, m[2].vf);
	/* A freed slot can be used again. */
	vidshare_map_remove(&m[0]);
	KUNIT_EXPECT_EQ(test, vidshare_map_insert(vf, &m[2], 2), 0);
	vidshare_map_remove(&m[1]);
	vidshare_map_remove(&m[2]);
	KUNIT_EXPECT_TRUE(test, list_empty(&vf->maps));
}

static struct kunit_case vidshare_maps_cases[] = {
	KUNIT_CASE(maps_insert_remove),
	KUNIT_CASE(maps_limit),
	{}
};

static struct kunit_suite vidshare_maps_suite = {
	.name = "vidshare_maps",
	.test_cases = vidshare_maps_cases,
};

#define MEM	IORESOURCE_MEM
#define PF	(IORESOURCE_MEM | IORESOURCE_PREFETCH)

static void bar_preferred(struct kunit *test)
{
	struct vidshare_bar_desc bars[PCI_STD_NUM_BARS] = {
		[0] = { PF, SZ_16M }, [2] = { MEM, SZ_4K }, [4] = { IORESOURCE_IO, 32 },
	};

	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, 0), 0);
	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, 2), 2);
	/* An I/O BAR, an absent BAR or one past the end is never used. */
	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, 4), -ENODEV);
	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, 1), -ENODEV);
	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, 6), -ENODEV);
}

static void bar_fallback_largest_prefetchable(struct kunit *test)
{
	struct vidshare_bar_desc bars[PCI_STD_NUM_BARS] = {
		[0] = { MEM, SZ_256M },		/* larger, but not prefetchable */
		[1] = { PF, SZ_8M },
		[2] = { PF, SZ_64M },		/* 64-bit: [3] is its upper half */
		[4] = { PF, SZ_32M },
		[5] = { IORESOURCE_IO, 256 },
	};

	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, -1), 2);
}

static void bar_none(struct kunit *test)
{
	struct vidshare_bar_desc bars[PCI_STD_NUM_BARS] = {
		[0] = { MEM, SZ_16M }, [1] = { PF, 16 }, [2] = { IORESOURCE_IO, 256 },
	};

	KUNIT_EXPECT_EQ(test, vidshare_pick_fb_bar(bars, PCI_STD_NUM_BARS, -1), -ENODEV);
}

#define VGA_CLASS	(PCI_CLASS_DISPLAY_VGA << 8)
#define OTHER_CLASS	(PCI_CLASS_DISPLAY_OTHER << 8)

static void adapter_table(struct kunit *test)
{
	const struct vidshare_adapter *vga, *other, *a;

	vga = vidshare_adapter_find(0x1234, 0x1111, VGA_CLASS);
	KUNIT_EXPECT_EQ(test, vga->fb_bar, 0);
	KUNIT_EXPECT_EQ(test, vga->regs_bar, 2);
	KUNIT_EXPECT_NOT_NULL(test, vga->mode_ops);
	KUNIT_EXPECT_TRUE(test, vga->mode_bpp & VIDSHARE_BPP(8));
	/* secondary-vga and bochs-display: the depths both display. */
	other = vidshare_adapter_find(0x1234, 0x1111, OTHER_CLASS);
	KUNIT_EXPECT_PTR_NE(test, vga, other);
	KUNIT_EXPECT_NOT_NULL(test, other->mode_ops);
	KUNIT_EXPECT_EQ(test, other->mode_bpp, VIDSHARE_BPP(16) | VIDSHARE_BPP(32));
	KUNIT_EXPECT_EQ(test, other->mode_min, 64);

	a = vidshare_adapter_find(0x15ad, 0x0405, VGA_CLASS);
	KUNIT_EXPECT_EQ(test, a->fb_bar, 1);
	KUNIT_EXPECT_EQ(test, a->regs_bar, 0);
	KUNIT_EXPECT_NULL(test, a->mode_ops);
	a = vidshare_adapter_find(0x1013, 0x00b8, VGA_CLASS);
	KUNIT_EXPECT_EQ(test, a->vram_fixed, (u64)SZ_4M);
	a = vidshare_adapter_find(0x1b36, 0x0100, OTHER_CLASS);
	KUNIT_EXPECT_EQ(test, a->fb_bar, 0);
	KUNIT_EXPECT_NOT_NULL(test, a->vram_size);

	a = vidshare_adapter_find(0x1234, 0x1112, VGA_CLASS);
	KUNIT_EXPECT_EQ(test, a->fb_bar, -1);
	KUNIT_EXPECT_EQ(test, a->regs_bar, -1);
	KUNIT_EXPECT_NULL(test, a->mode_ops);
	KUNIT_EXPECT_NULL(test, a->vram_size);
}

/* The PCI id table, one parameter per entry (it ends with an empty one). */
static const void *pci_id_gen_params(VIDSHARE_KUNIT_GEN_PARAMS)
{
	const struct pci_device_id *id = prev ? (const struct pci_device_id *)prev + 1 :
						vidshare_pci_ids;

	if (!id->vendor)
		return NULL;
	if (id->class_mask)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%04x:%04x class %04x", id->vendor,
			 id->device, id->class >> 8);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%04x:%04x", id->vendor, id->device);
	return id;
}

/*
 * Every entry of the id table describes its model, and a device that the
 * PCI core matched through ids= or driver_override (no driver_data) finds
 * that same description. Only virtio-vga waits for driver_override.
 */
static void adapter_ids_known(struct kunit *test)
{
	const struct pci_device_id *id = test->param_value;
	const struct vidshare_adapter *a = (const void *)id->driver_data;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_NOT_NULL(test, a->name);
	KUNIT_EXPECT_PTR_EQ(test, vidshare_adapter_find(id->vendor, id->device, id->class), a);
	KUNIT_EXPECT_EQ(test, !!id->override_only, id->vendor == 0x1af4 && id->device == 0x1050);
}

/*
 * For every model in the id table: its register code runs only on a BAR
 * of the type it expects that holds every register it touches: a device bound through ids= or
 * driver_override with a short BAR, or an I/O BAR where memory is
 * expected, gets no access outside its BAR.
 */
static void regs_bar_checked(struct kunit *test)
{
	const struct pci_device_id *id = test->param_value;
	const struct vidshare_adapter *a = (const void *)id->driver_data;
	unsigned long type, other;
	struct vidshare_bar_desc bar;

	KUNIT_ASSERT_NOT_NULL(test, a);
	/* Without a register BAR, no code that reads registers. */
	if (a->regs_bar < 0) {
		KUNIT_EXPECT_NULL(test, a->vram_size);
		KUNIT_EXPECT_NULL(test, a->mode_ops);
		return;
	}
	type = a->regs_io ? IORESOURCE_IO : IORESOURCE_MEM;
	other = a->regs_io ? IORESOURCE_MEM : IORESOURCE_IO;
	KUNIT_ASSERT_NOT_NULL(test, a->vram_size);
	KUNIT_EXPECT_GT(test, a->regs_len, 0U);

	bar = (struct vidshare_bar_desc){ type, a->regs_len };
	KUNIT_EXPECT_TRUE(test, vidshare_regs_usable(a, &bar));
	bar = (struct vidshare_bar_desc){ type | IORESOURCE_PREFETCH, SZ_1M };
	KUNIT_EXPECT_TRUE(test, vidshare_regs_usable(a, &bar));
	bar = (struct vidshare_bar_desc){ type, a->regs_len - 1 };
	KUNIT_EXPECT_FALSE(test, vidshare_regs_usable(a, &bar));
	bar = (struct vidshare_bar_desc){ other, SZ_1M };
	KUNIT_EXPECT_FALSE(test, vidshare_regs_usable(a, &bar));
	bar = (struct vidshare_bar_desc){ 0, 0 };
	KUNIT_EXPECT_FALSE(test, vidshare_regs_usable(a, &bar));
}

/* How much of the frame-buffer BAR is shared, whatever the registers say. */
static void fb_size_from_registers(struct kunit *test)
{
	const struct vidshare_adapter *vga = vidshare_adapter_find(0x1234, 0x1111, VGA_CLASS);
	const struct vidshare_adapter *qxl = vidshare_adapter_find(0x1b36, 0x0100, VGA_CLASS);
	const struct vidshare_adapter *cirrus = vidshare_adapter_find(0x1013, 0x00b8, VGA_CLASS);
	const struct vidshare_adapter *generic = vidshare_adapter_find(0, 0, 0);

	/* A size register that answers is believed, rounded down to a page. */
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(vga, SZ_8M, SZ_16M), (u64)SZ_8M);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(qxl, SZ_16M + 100, SZ_64M), (u64)SZ_16M);
	/* Silent or larger than the BAR: the BAR, where it is all memory... */
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(vga, 0, SZ_16M), (u64)SZ_16M);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(vga, SZ_32M, SZ_16M), (u64)SZ_16M);
	/* ...and nothing where the BAR holds more than the frame buffer. */
	KUNIT_EXPECT_TRUE(test, qxl->fb_bar_shared);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(qxl, 0, SZ_64M), 0ULL);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(qxl, 100, SZ_64M), 0ULL);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(qxl, SZ_128M, SZ_64M), 0ULL);
	/* A fixed size, or the BAR of a model vidshare does not know. */
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(cirrus, 0, SZ_32M), (u64)SZ_4M);
	KUNIT_EXPECT_EQ(test, vidshare_fb_size(generic, 0, SZ_256M), (u64)SZ_256M);
}

static struct kunit_case vidshare_bar_cases[] = {
	KUNIT_CASE(bar_preferred),
	KUNIT_CASE(bar_fallback_largest_prefetchable),
	KUNIT_CASE(bar_none),
	KUNIT_CASE(adapter_table),
	KUNIT_CASE_PARAM(adapter_ids_known, pci_id_gen_params),
	KUNIT_CASE_PARAM(regs_bar_checked, pci_id_gen_params),
	KUNIT_CASE(fb_size_from_registers),
	{}
};

static struct kunit_suite vidshare_bar_suite = {
	.name = "vidshare_bar",
	.test_cases = vidshare_bar_cases,
};

static void mode_good(struct kunit *test)
{
	const struct vidshare_adapter *vga = vidshare_adapter_find(0x1234, 0x1111, VGA_CLASS);
	struct vidshare_mode m = { .width = 640, .height = 480, .bpp = 32, .stride = 7 };
	u32 stride = 0;

	KUNIT_ASSERT_EQ(test, vidshare_mode_check(vga, &m, FB_SIZE, &stride), 0);
	KUNIT_EXPECT_EQ(test, stride, 2560U);
	m = (struct vidshare_mode){ .width = 800, .height = 600, .bpp = 16 };
	KUNIT_ASSERT_EQ(test, vidshare_mode_check(vga, &m, FB_SIZE, &stride), 0);
	KUNIT_EXPECT_EQ(test, stride, 1600U);
	m = (struct vidshare_mode){ .width = 2048, .height = 2048, .bpp = 32 };
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(vga, &m, FB_SIZE, &stride), 0);
}

static const struct vidshare_mode bad_modes[] = {
	{ .width = 640, .height = 480, .bpp = 7 },
	{ .width = 640, .height = 480, .bpp = 0 },
	{ .width = 0, .height = 480, .bpp = 32 },
	{ .width = 100, .height = 480, .bpp = 32 },
	{ .width = 100000, .height = 480, .bpp = 32 },
	{ .width = 640, .height = 0, .bpp = 32 },
	{ .width = 640, .height = 12001, .bpp = 8 },
	{ .width = 2048, .height = 2049, .bpp = 32 },	/* > 16 MiB */
	{ .width = 640, .height = 480, .bpp = 32, .flags = 1 },
	{ .width = 640, .height = 480, .bpp = 32, .reserved = 1 },
};

static void bad_mode_desc(const struct vidshare_mode *m, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%ux%ux%u flags %u reserved %u",
		 m->width, m->height, m->bpp, m->flags, m->reserved);
}

KUNIT_ARRAY_PARAM(bad_mode, bad_modes, bad_mode_desc);

static void mode_bad(struct kunit *test)
{
	const struct vidshare_adapter *vga = vidshare_adapter_find(0x1234, 0x1111, VGA_CLASS);
	u32 stride;

	KUNIT_EXPECT_EQ(test, vidshare_mode_check(vga, test->param_value, FB_SIZE, &stride),
			-EINVAL);
}

/* The Bochs display shows 16 and 32 bpp, at least 64x64. */
static void mode_per_adapter(struct kunit *test)
{
	const struct vidshare_adapter *other =
		vidshare_adapter_find(0x1234, 0x1111, OTHER_CLASS);
	struct vidshare_mode m = { .width = 640, .height = 480, .bpp = 16 };
	u32 stride;

	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), 0);
	m.bpp = 32;
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), 0);
	m.bpp = 8;
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), -EINVAL);
	m.bpp = 24;
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), -EINVAL);
	m = (struct vidshare_mode){ .width = 56, .height = 480, .bpp = 32 };
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), -EINVAL);
	m = (struct vidshare_mode){ .width = 64, .height = 63, .bpp = 32 };
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), -EINVAL);
	m.height = 64;
	KUNIT_EXPECT_EQ(test, vidshare_mode_check(other, &m, FB_SIZE, &stride), 0);
}

static struct kunit_case vidshare_mode_cases[] = {
	KUNIT_CASE(mode_good),
	KUNIT_CASE_PARAM(mode_bad, bad_mode_gen_params),
	KUNIT_CASE(mode_per_adapter),
	{}
};

static struct kunit_suite vidshare_mode_suite = {
	.name = "vidshare_mode",
	.test_cases = vidshare_mode_cases,
};

KUNIT_DEFINE_ACTION_WRAPPER(fput_action, fput, struct file *);

/*
 * SHARE and UNSHARE run in the test's own user context (kunit_vm_mmap()
 * gives the test thread an mm), through a file of the first bound adapter.
 * The file is put when the test ends, however it ends; shares still live
 * then go with the test's mm.
 */
static struct file *user_setup(struct kunit *test)
{
	struct file *file;

	if (!kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE, 0))
		kunit_skip(test, "no user context");
	file = filp_open("/dev/vidshare0", O_RDWR, 0);
	if (IS_ERR(file))
		kunit_skip(test, "no /dev/vidshare0: %ld", PTR_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fput_action, file), 0);
	return file;
}

static void max_shares_restore(void *saved)
{
	WRITE_ONCE(vidshare_max_shares, (unsigned int)(uintptr_t)saved);
}

/* Set the max_shares parameter until the test ends, however it ends. */
static void max_shares_set(struct kunit *test, unsigned int val)
{
	void *saved = (void *)(uintptr_t)READ_ONCE(vidshare_max_shares);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, max_shares_restore, saved), 0);
	WRITE_ONCE(vidshare_max_shares, val);
}

static void user_share_write_read_unshare(struct kunit *test)
{
	struct file *file = user_setup(test);
	struct vidshare_share a = { .view_offset = PAGE_SIZE + 100, .view_size = 50 };
	struct vidshare_share b = {
		.view_offset = PAGE_SIZE, .view_size = PAGE_SIZE,
		.flags = VIDSHARE_SHARE_READONLY,
	};
	struct vidshare_unshare u = {};
	u32 val = 0x5a17c0de, got = 0;

	KUNIT_ASSERT_EQ(test, vidshare_do_share(file, &a), 0);
	KUNIT_EXPECT_EQ(test, a.shared_offset, (u64)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, a.shared_size, (u64)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, offset_in_page(a.virtual_addr), 100UL);
	KUNIT_ASSERT_EQ(test, vidshare_do_share(file, &b), 0);
	KUNIT_EXPECT_NE(test, a.virtual_addr, b.virtual_addr);

	/* A write through one share is read back through the other. */
	KUNIT_ASSERT_EQ(test, copy_to_user(u64_to_user_ptr(a.virtual_addr), &val,
					   sizeof(val)), 0UL);
	KUNIT_ASSERT_EQ(test, copy_from_user(&got, u64_to_user_ptr(b.virtual_addr + 100),
					     sizeof(got)), 0UL);
	KUNIT_EXPECT_EQ(test, got, val);
	/* The read-only share takes no writes. */
	KUNIT_EXPECT_NE(test, copy_to_user(u64_to_user_ptr(b.virtual_addr), &val,
					   sizeof(val)), 0UL);

	/* Only the exact address SHARE returned ends a share. */
	u.virtual_addr = a.virtual_addr - 100;
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), -ENOENT);
	u.virtual_addr = a.virtual_addr;
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), 0);
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), -ENOENT);
	KUNIT_EXPECT_NE(test, copy_from_user(&got, u64_to_user_ptr(a.virtual_addr),
					     sizeof(got)), 0UL);
	u.virtual_addr = b.virtual_addr;
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), 0);
}

static void user_fixed(struct kunit *test)
{
	struct file *file = user_setup(test);
	unsigned long busy = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	struct vidshare_share s = {
		.view_size = PAGE_SIZE, .flags = VIDSHARE_SHARE_FIXED,
		.requested_addr = busy,
	};
	struct vidshare_unshare u = {};

	KUNIT_ASSERT_NE(test, busy, 0UL);
	KUNIT_EXPECT_EQ(test, vidshare_do_share(file, &s), -EEXIST);
	/* Just below the busy page is free on a top-down layout; use it. */
	s.requested_addr = busy - 16 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, vidshare_do_share(file, &s), 0);
	KUNIT_EXPECT_EQ(test, s.virtual_addr, busy - 16 * PAGE_SIZE);
	u.virtual_addr = s.virtual_addr;
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), 0);
}

static void user_limit(struct kunit *test)
{
	struct file *file = user_setup(test);
	struct vidshare_share s[3];
	struct vidshare_unshare u = {};
	int i;

	max_shares_set(test, 2);
	for (i = 0; i < 3; i++)
		s[i] = (struct vidshare_share){ .view_size = PAGE_SIZE };
	KUNIT_EXPECT_EQ(test, vidshare_do_share(file, &s[0]), 0);
	KUNIT_EXPECT_EQ(test, vidshare_do_share(file, &s[1]), 0);
	KUNIT_EXPECT_EQ(test, vidshare_do_share(file, &s[2]), -ENOSPC);
	u.virtual_addr = s[0].virtual_addr;
	KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), 0);
	KUNIT_EXPECT_EQ(test, vidshare_do_share(file, &s[2]), 0);
	for (i = 1; i < 3; i++) {
		u.virtual_addr = s[i].virtual_addr;
		KUNIT_EXPECT_EQ(test, vidshare_do_unshare(file, &u), 0);
	}
}

static struct kunit_case vidshare_user_cases[] = {
	KUNIT_CASE(user_share_write_read_unshare),
	KUNIT_CASE(user_fixed),
	KUNIT_CASE(user_limit),
	{}
};

static struct kunit_suite vidshare_user_suite = {
	.name = "vidshare_user",
	.test_cases = vidshare_user_cases,
};

kunit_test_suites(&vidshare_view_suite, &vidshare_maps_suite, &vidshare_bar_suite,
		  &vidshare_mode_suite, &vidshare_user_suite);

MODULE_DESCRIPTION("KUnit tests for vidshare");
MODULE_LICENSE("GPL");
