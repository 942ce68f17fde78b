// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare memory types: one per adapter, chosen at bind, the same for every
 * share.
 *
 * x86 must never map one physical page with two memory types, and PAT keeps
 * one registered type per physical range to enforce that. So an adapter has
 * a single memory type for its whole frame buffer, for its whole life:
 *
 * - write-combining when the frame-buffer BAR is prefetchable and the
 *   machine can combine writes: with PAT, whose write-combining type is
 *   reserved here once for the whole frame buffer; without PAT, through an
 *   MTRR (arch_phys_wc_add()) that makes the frame buffer's uncached-minus
 *   page-table entries write-combining;
 * - uncached otherwise.
 *
 * Shares never reserve anything of their own: their page-table entries are
 * written without per-VMA PAT tracking (see map.c), so no share can free a
 * reservation twice, none can register a second type for a page, and PAT's
 * bookkeeping does not grow with the number of shares.
 */

#include <linux/io.h>
#include <linux/mm.h>

#include "compat.h"
#include "vidshare.h"

/* Whether write-combining works here: PAT, or the MTRR @cookie stands for. */
static bool vidshare_wc_works(int cookie)
{
#ifdef CONFIG_X86
	return pat_enabled() || cookie > 0;
#else
	return true;
#endif
}

/**
 * vidshare_memtype_init() - give the adapter its memory type
 * @vdev: the adapter; @wc says whether its frame-buffer BAR is prefetchable
 *
 * Clears @vdev->wc when the machine cannot combine writes.
 *
 * Return: 0, or a negative errno if PAT cannot reserve the type.
 */
int vidshare_memtype_init(struct vidshare_device *vdev)
{
	int ret;

	if (!vdev->wc)
		return 0;
	ret = arch_io_reserve_memtype_wc(vdev->fb_phys, vdev->fb_size);
	if (ret) {
		dev_err(&vdev->pdev->dev, "cannot reserve write-combining for the frame buffer: %d\n",
			ret);
		return ret;
	}
	vdev->wc_reserved = true;
	vdev->wc_cookie = arch_phys_wc_add(vdev->fb_phys, vdev->fb_size);
	if (!vidshare_wc_works(vdev->wc_cookie)) {
		dev_info(&vdev->pdev->dev, "no PAT and no MTRR for the frame buffer: shares are uncached\n");
		vidshare_memtype_exit(vdev);
		vdev->wc = false;
	}
	return 0;
}

/**
 * vidshare_memtype_exit() - give the adapter's memory type back
 * @vdev: the adapter; no page-table entry of its frame buffer is left
 */
void vidshare_memtype_exit(struct vidshare_device *vdev)
{
	arch_phys_wc_del(vdev->wc_cookie);
	vdev->wc_cookie = 0;
	if (vdev->wc_reserved)
		arch_io_free_memtype_wc(vdev->fb_phys, vdev->fb_size);
	vdev->wc_reserved = false;
}

/**
 * vidshare_memtype_pgprot() - the protection of a share's page-table entries
 * @vdev: the adapter
 * @prot: the VMA's protection
 *
 * Return: @prot with the adapter's memory type.
 */
pgprot_t vidshare_memtype_pgprot(const struct vidshare_device *vdev, pgprot_t prot)
{
	return vdev->wc ? pgprot_writecombine(prot) : pgprot_noncached(prot);
}

/**
 * vidshare_memtype_of_pte() - take the memory type of a page-table entry
 * @pte: an entry the kernel wrote, with the type PAT has registered
 * @prot: a protection
 *
 * Return: @prot with the memory type of @pte.
 */
pgprot_t vidshare_memtype_of_pte(pte_t pte, pgprot_t prot)
{
#ifdef CONFIG_X86
	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) |
			(pte_val(pte) & _PAGE_CACHE_MASK));
#else
	return prot;
#endif
}

/**
 * vidshare_memtype_of_pmd() - take the memory type of a huge page-table entry
 * @pmd: a huge entry the kernel wrote, with the type PAT has registered
 * @prot: a protection
 *
 * Return: @prot with the memory type of @pmd.
 */
pgprot_t vidshare_memtype_of_pmd(pmd_t pmd, pgprot_t prot)
{
#ifdef CONFIG_X86
	/* A huge entry's PAT bit is bit 12, not bit 7. */
	pgprot_t type = pgprot_large_2_4k(__pgprot(pmd_flags(pmd)));

	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) |
			(pgprot_val(type) & _PAGE_CACHE_MASK));
#else
	return prot;
#endif
}

/**
 * vidshare_memtype_name() - name the memory type of a protection
 * @vdev: the adapter
 * @prot: the protection of a share's page-table entries
 *
 * With PAT the names are PAT's types: "wc", "uc-", "uc", "wt", "wb". Without
 * PAT an uncached-minus entry under the adapter's write-combining MTRR is
 * "wc".
 *
 * Return: a static string.
 */
const char *vidshare_memtype_name(const struct vidshare_device *vdev, pgprot_t prot)
{
#ifdef CONFIG_X86
	unsigned long bits = pgprot_val(prot) & _PAGE_CACHE_MASK;

	if (bits == cachemode2protval(_PAGE_CACHE_MODE_UC))
		return "uc";
	if (!pat_enabled())
		return vdev->wc_cookie > 0 ? "wc" : "uc-";
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_WC))
		return "wc";
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_UC_MINUS))
		return "uc-";
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_WT))
		return "wt";
	return bits ? "?" : "wb";
#else
	return vdev->wc ? "wc" : "uc";
#endif
}
