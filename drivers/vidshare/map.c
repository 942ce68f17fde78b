// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare shares: the mapping list, the VMA callbacks, SHARE and UNSHARE.
 *
 * A share is a VMA of the device file. ->mmap() checks it, records it in a
 * struct vidshare_map hung off the VMA and puts the map on the list of the
 * file it was made through; ->close() takes it off. SHARE is vm_mmap() on
 * that file, so mmap(2) of the device is the same path. Page-table entries
 * are written only into a VMA that is linked into the device's
 * address_space: SHARE fills its new VMA right after vm_mmap() returns, and
 * the fault handler fills a VMA that was not filled yet (an mmap(2)), so
 * the first touch of a share never faults and revocation reaches every
 * entry with one unmap_mapping_range(). UNSHARE checks that the address is
 * a share of this file and unmaps it with vm_munmap(): one page-table walk,
 * and a failure leaves the share as it was.
 *
 * Locking: ->mmap(), ->close() and faults run under the caller's mmap_lock
 * (faults maybe under the VMA's lock only). Order: mmap_lock ->
 * vidshare_device.revoke_sem -> vidshare_file.lock, and vidshare_device.lock
 * -> vidshare_file.lock. SHARE and UNSHARE hold no vidshare lock while they
 * call vm_mmap() or vm_munmap(); revocation takes no mmap_lock at all.
 */

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "vidshare.h"

/**
 * vidshare_share_check() - check a SHARE request and work out what to map
 * @req: the request
 * @fb_size: bytes that can be shared, a multiple of PAGE_SIZE
 * @view: the pages to map
 * @why: set to a reason when the request is refused
 *
 * Return: 0, or -EINVAL with @why set.
 */
int vidshare_share_check(const struct vidshare_share *req, u64 fb_size,
			 struct vidshare_view *view, const char **why)
{
	u64 end;

	if (req->flags & ~VIDSHARE_SHARE_FLAGS) {
		*why = "unknown flags";
		return -EINVAL;
	}
	if (req->reserved) {
		*why = "reserved field is not zero";
		return -EINVAL;
	}
	if (!req->view_size) {
		*why = "view_size is 0";
		return -EINVAL;
	}
	if (check_add_overflow(req->view_offset, req->view_size, &end)) {
		*why = "view_offset + view_size overflows";
		return -EINVAL;
	}
	if (end > fb_size) {
		*why = "view ends past the frame buffer";
		return -EINVAL;
	}
	if ((req->flags & VIDSHARE_SHARE_FIXED) &&
	    (!req->requested_addr || !PAGE_ALIGNED(req->requested_addr))) {
		*why = "FIXED needs a non-zero page-aligned requested_addr";
		return -EINVAL;
	}
	view->offset = round_down(req->view_offset, PAGE_SIZE);
	view->size = round_up(end, PAGE_SIZE) - view->offset;
	view->sub = offset_in_page(req->view_offset);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_share_check);

/**
 * vidshare_map_insert() - put a share on its file's list
 * @vf: the file
 * @map: the share
 * @limit: the most shares @vf may hold
 *
 * Return: 0, or -ENOSPC if @vf already holds @limit shares.
 */
int vidshare_map_insert(struct vidshare_file *vf, struct vidshare_map *map,
			unsigned int limit)
{
	int ret = -ENOSPC;

	spin_lock(&vf->lock);
	if (vf->nr_maps < limit) {
		map->vf = vf;
		map->id = vf->next_map_id++;
		list_add_tail(&map->node, &vf->maps);
		vf->nr_maps++;
		ret = 0;
	}
	spin_unlock(&vf->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_map_insert);

/**
 * vidshare_map_remove() - take a share off its file's list
 * @map: the share, put there by vidshare_map_insert()
 */
void vidshare_map_remove(struct vidshare_map *map)
{
	struct vidshare_file *vf = map->vf;

	spin_lock(&vf->lock);
	list_del(&map->node);
	vf->nr_maps--;
	spin_unlock(&vf->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_map_remove);

static void vidshare_vm_close(struct vm_area_struct *vma)
{
	struct vidshare_map *map = vma->vm_private_data;

	/*
	 * A failed mremap() closes the copy it made of the VMA; the share
	 * itself stays where it was.
	 */
	if (vma->vm_start != map->start || vma->vm_mm != map->mm)
		return;
	vidshare_map_remove(map);
	kfree(map);
}

static int vidshare_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct vidshare_map *map = vma->vm_private_data;

	dev_dbg(&map->vf->vdev->dev, "refusing to split a share\n");
	return -EINVAL;
}

static int vidshare_vm_mremap(struct vm_area_struct *vma)
{
	struct vidshare_map *map = vma->vm_private_data;

	dev_dbg(&map->vf->vdev->dev, "refusing to move a share\n");
	return -EINVAL;
}

struct vidshare_fill {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned long pfn;
	pgprot_t prot;
	bool lookup;
	pte_t first;
	unsigned long next;
};

/* apply_to_page_range() goes on from vidshare_fill.next. */
#define VIDSHARE_FILL_NEXT 1

/*
 * The entries of a share in one page table, under that table's lock.
 * apply_to_page_range() calls this for the first entry of each table of
 * the range; it writes the table's others too, in one loop as
 * remap_pfn_range() does, and stops the walk, which goes on at the next
 * table. An entry that is there already (the kernel's first one, or one a
 * racing fault wrote) stays. With @lookup the first entry is the
 * kernel's, whose memory type every other entry takes.
 */
static int vidshare_fill_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct vidshare_fill *f = data;
	unsigned long table_end = (addr + PMD_SIZE) & PMD_MASK;
	unsigned long pfn = f->pfn + ((addr - f->start) >> PAGE_SHIFT);
	/*
	 * The end of this page table, as pmd_addr_end() has it where the
	 * PMD is a level of its own (with 2-level paging that is the end).
	 */
	unsigned long end = table_end - 1 < f->end - 1 ? table_end : f->end;

	if (f->lookup && addr == f->start) {
		f->first = ptep_get(pte);
		if (!pte_none(f->first))
			f->prot = vidshare_memtype_of_pte(f->first, f->prot);
	}
	for (; addr < end; addr += PAGE_SIZE, pte++, pfn++)
		if (pte_none(ptep_get(pte)))
			set_pte_at(f->mm, addr, pte, pte_mkspecial(pfn_pte(pfn, f->prot)));
	f->next = end;
	return VIDSHARE_FILL_NEXT;
}

/* Whether a huge PMD entry maps @addr in @mm. Under its mmap_lock. */
static bool vidshare_block_is_huge(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(READ_ONCE(*pgd)))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(READ_ONCE(*pud)) || pud_leaf(READ_ONCE(*pud)))
		return false;
	return pmd_leaf(READ_ONCE(*pmd_offset(pud, addr)));
}

/* The pfn that @addr of share @vma maps. */
static unsigned long vidshare_pfn(struct vm_area_struct *vma, unsigned long addr)
{
	struct vidshare_map *map = vma->vm_private_data;

	return PHYS_PFN(map->vf->vdev->fb_phys + map->offset + (addr - vma->vm_start));
}

/*
 * The entries of [@start, @end) of a share, under revoke_sem, as
 * remap_pfn_range() writes them but without its per-VMA PAT reservation.
 * Their memory type is the one PAT has for the frame buffer:
 * vmf_insert_pfn_prot() looks it up for the first page, and the other
 * entries copy it. A write-combining adapter's type is final once vidshare
 * has reserved it (memtype.c): it is looked up for the adapter's first
 * share and kept. An uncached adapter's is looked up each time: nothing of
 * vidshare's holds it.
 *
 * With @block, [@start, @end) is one block of a share's body, where a
 * racing huge fault may put a PMD entry (a process whose transparent huge
 * pages went off between two faults): the first page then always goes in
 * through vmf_insert_pfn_prot(), which puts the block's PTE table in
 * under the PMD's lock, or fails because a huge entry is there, which
 * maps the block. apply_to_page_range() must not meet a huge entry.
 *
 * Return: 0, -ENODEV once the adapter is revoked, -ENOMEM.
 */
static int vidshare_fill_ptes(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, bool block)
{
	struct vidshare_map *map = vma->vm_private_data;
	struct vidshare_device *vdev = map->vf->vdev;
	struct vidshare_fill f = {
		.mm = vma->vm_mm,
		.start = start,
		.end = end,
		.pfn = vidshare_pfn(vma, start),
		.prot = vma->vm_page_prot,
		.first = __pte(0),
	};
	unsigned long addr = start;
	vm_fault_t fault;
	int ret;

	down_read(&vdev->revoke_sem);
	if (vdev->revoked) {
		ret = -ENODEV;
		goto out;
	}
	/* Pairs with the release below: the type is there once known is. */
	f.lookup = !smp_load_acquire(&vdev->type_known);
	if (!f.lookup)
		f.prot = vidshare_memtype_of_pte(__pte(READ_ONCE(vdev->type_pteval)), f.prot);
	if (f.lookup || block) {
		fault = vmf_insert_pfn_prot(vma, start, f.pfn, f.prot);
		if (fault != VM_FAULT_NOPAGE) {
			if (block && vidshare_block_is_huge(f.mm, start))
				ret = 0;	/* a huge entry maps the block */
			else
				ret = fault == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
			goto out;
		}
	}
	do {
		ret = apply_to_page_range(f.mm, addr, end - addr, vidshare_fill_pte, &f);
		f.lookup = false;
		addr = f.next;
	} while (ret == VIDSHARE_FILL_NEXT && addr < end);
	if (ret != VIDSHARE_FILL_NEXT)
		goto out;
	ret = 0;
	if (vdev->wc_reserved && !pte_none(f.first) && !READ_ONCE(vdev->type_known)) {
		WRITE_ONCE(vdev->type_pteval, pte_val(f.first));
		/* Publish the type before the flag that says it is there. */
		smp_store_release(&vdev->type_known, true);
	}
	WRITE_ONCE(map->memtype, vidshare_memtype_name(vdev, f.prot));
out:
	up_read(&vdev->revoke_sem);
	return ret;
}

/*
 * The body of a share: its PMD-aligned blocks, which get one huge entry
 * each where the kernel has huge entries for pfn maps (6.12 on). Set
 * [*@bs, *@be) to it and return true when there is one: the share must
 * be at least one whole block, and its address congruent to its
 * frame-buffer address modulo PMD_SIZE, which vidshare_get_unmapped_area()
 * sees to. The head and the tail around the body are PTEs.
 */
static bool vidshare_body(struct vm_area_struct *vma, unsigned long *bs,
			  unsigned long *be)
{
	struct vidshare_map *map = vma->vm_private_data;
	phys_addr_t phys = map->vf->vdev->fb_phys + map->offset;

	if (!VIDSHARE_HUGE_PFNMAP || ((vma->vm_start - phys) & ~PMD_MASK))
		return false;
	*bs = ALIGN(vma->vm_start, PMD_SIZE);
	*be = ALIGN_DOWN(vma->vm_end, PMD_SIZE);
	return *bs < *be;
}

/**
 * vidshare_fill() - write the page-table entries of a new share
 * @vma: the share, linked into its mm and the device's address_space;
 *	its mm's mmap_lock is held
 *
 * A share without access (PROT_NONE) is left empty: nothing can touch
 * it, and the first fault after mprotect(2) gives it access fills it.
 *
 * The head and the tail of the share are PTEs, written as
 * remap_pfn_range() writes them, without its per-VMA PAT reservation:
 * the memory type is the adapter's, reserved once at bind (memtype.c).
 * The body is faulted in with fixup_user_fault(), which allocates the
 * page-table levels above it (a module cannot) and calls
 * vidshare_vm_huge_fault(): one call fills every block under the same PUD
 * entry. A process with transparent huge pages off gets PTEs for the
 * body, as the fault path would give it.
 *
 * Return: 0, -ENODEV once the adapter is revoked, -ENOMEM, -EFAULT.
 */
static int vidshare_fill(struct vm_area_struct *vma)
{
	unsigned int flags = vma->vm_flags & VM_WRITE ? FAULT_FLAG_WRITE : 0;
	unsigned long bs, be, addr;
	int ret = 0;

	if (!(vma->vm_flags & (VM_READ | VM_WRITE)))
		return 0;
	if (!vidshare_body(vma, &bs, &be))
		return vidshare_fill_ptes(vma, vma->vm_start, vma->vm_end, false);
	if (bs > vma->vm_start)
		ret = vidshare_fill_ptes(vma, vma->vm_start, bs, false);
	if (!ret && be < vma->vm_end)
		ret = vidshare_fill_ptes(vma, be, vma->vm_end, false);
	for (addr = bs; addr < be; addr += PMD_SIZE) {
		if (vidshare_block_is_huge(vma->vm_mm, addr))
			continue;
		ret = fixup_user_fault(vma->vm_mm, addr, flags, NULL);
		if (ret)
			break;
		if (vidshare_block_is_huge(vma->vm_mm, addr))
			continue;
		/* Transparent huge pages are off for the process: PTEs. */
		for (; !ret && addr < be; addr += PMD_SIZE)
			ret = vidshare_fill_ptes(vma, addr, addr + PMD_SIZE, true);
		break;
	}
	return ret;
}

static vm_fault_t vidshare_fault_result(int err)
{
	switch (err) {
	case 0:
		return VM_FAULT_NOPAGE;
	case -ENOMEM:
		return VM_FAULT_OOM;
	default:
		return VM_FAULT_SIGBUS;
	}
}

/*
 * A share without page-table entries: an mmap(2) not touched yet, a SHARE
 * whose fill ran out of memory, or a share that was given access after
 * PROT_NONE. A share without a body is filled whole; of one with a body,
 * the head, the tail or the block of the body (the process has transparent
 * huge pages off, else vidshare_vm_huge_fault() has it) that was touched.
 * A revoked adapter's shares get SIGBUS.
 */
static vm_fault_t vidshare_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long block = vmf->address & PMD_MASK;
	unsigned long start = vma->vm_start, end = vma->vm_end, bs, be;
	bool in_body = false;

	if (vidshare_body(vma, &bs, &be)) {
		in_body = block >= bs && block < be;
		start = max(start, block);
		end = min(end, block + PMD_SIZE);
	}
	return vidshare_fault_result(vidshare_fill_ptes(vma, start, end, in_body));
}

#if VIDSHARE_HUGE_PFNMAP
/*
 * The PMD entry of the body block at @vmf->address, under revoke_sem; the
 * share's name of its memory type is the entry's. With @write, the write
 * fault of an entry that is there (soft-dirty tracking write-protects a
 * share: clear_refs) makes it writable and dirty. Without, a new entry is
 * what vm_page_prot says (writable for a writable share, unless it is
 * write-protected for soft-dirty tracking), and an entry that is there,
 * or a PTE table, stays: vmf_insert_pfn_pmd() warns when asked to write
 * over a PTE table.
 */
static vm_fault_t vidshare_insert_block(struct vm_fault *vmf, bool write)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vidshare_map *map = vma->vm_private_data;
	struct vidshare_device *vdev = map->vf->vdev;
	vm_fault_t ret;
	pgprot_t prot;
	pmd_t pmd;

	down_read(&vdev->revoke_sem);
	if (vdev->revoked) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	ret = vidshare_insert_pfn_pmd(vmf, vidshare_pfn(vma, vmf->address & PMD_MASK), write);
	pmd = READ_ONCE(*vmf->pmd);
	if (ret == VM_FAULT_NOPAGE && pmd_leaf(pmd)) {
		prot = vidshare_memtype_of_pmd(pmd, vma->vm_page_prot);
		WRITE_ONCE(map->memtype, vidshare_memtype_name(vdev, prot));
	}
out:
	up_read(&vdev->revoke_sem);
	return ret;
}

/*
 * A block of a share's body: its PMD entry, and those of the body's other
 * blocks under the same PUD entry that have none yet, so that the first
 * touch of a share fills its whole body (the PMD table is there). Any
 * other order, and any other part of a share, falls back to
 * vidshare_vm_fault().
 */
static vm_fault_t vidshare_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long block = vmf->address & PMD_MASK, bs, be, addr;
	vm_fault_t ret;
	bool write;

	if (order != PMD_ORDER || !vidshare_body(vma, &bs, &be) ||
	    block < bs || block >= be)
		return VM_FAULT_FALLBACK;
	/*
	 * A write fault of a huge entry that is there (its orig_pmd; a
	 * new block's is none) asks for it to be made writable.
	 */
	write = (vmf->flags & FAULT_FLAG_WRITE) && pmd_leaf(vmf->orig_pmd);
	ret = vidshare_insert_block(vmf, write);
	if (ret != VM_FAULT_NOPAGE)
		return ret;
	bs = max(bs, block & PUD_MASK);
	be = min(be, (block & PUD_MASK) + PUD_SIZE);
	for (addr = bs; addr < be; addr += PMD_SIZE) {
		struct vm_fault other = {
			.vma = vma,
			.address = addr,
			.pmd = pmd_offset(vmf->pud, addr),
		};

		if (addr != block && pmd_none(READ_ONCE(*other.pmd)) &&
		    vidshare_insert_block(&other, false) != VM_FAULT_NOPAGE)
			break;
	}
	return VM_FAULT_NOPAGE;
}

/**
 * vidshare_get_unmapped_area() - place a share where its body can be huge
 * @file: the device file
 * @addr: the hint, or the address of a MAP_FIXED mapping
 * @len: the share's length
 * @pgoff: its mmap(2) offset, in pages
 * @flags: mmap(2) flags
 *
 * As thp_get_unmapped_area() places a file's mapping, with the share's
 * frame-buffer address for the file offset: the address is congruent to
 * it modulo PMD_SIZE, so that every whole PMD block of the share can be
 * one huge entry. The hint of a share with a whole block is moved up to
 * the next such address first (less than PMD_SIZE away), unless that would
 * pass TASK_SIZE.
 *
 * Return: the address, or a negative errno.
 */
unsigned long vidshare_get_unmapped_area(struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags)
{
	struct vidshare_file *vf = file->private_data;
	const unsigned long uc = VIDSHARE_MMAP_UNCACHED >> PAGE_SHIFT;
	phys_addr_t phys = vf->vdev->fb_phys + ((u64)(pgoff & ~uc) << PAGE_SHIFT);
	unsigned long moved;

	/* Only a share with a whole block has a body. */
	if (addr && !(flags & MAP_FIXED) &&
	    round_up(phys, PMD_SIZE) + PMD_SIZE <= phys + len &&
	    !check_add_overflow(addr, (unsigned long)(phys - addr) & ~PMD_MASK, &moved) &&
	    moved <= TASK_SIZE - len)
		addr = moved;
	return thp_get_unmapped_area(file, addr, len, PHYS_PFN(phys), flags);
}
#endif

static const struct vm_operations_struct vidshare_vm_ops = {
	.close = vidshare_vm_close,
	.may_split = vidshare_vm_may_split,
	.mremap = vidshare_vm_mremap,
	.fault = vidshare_vm_fault,
#if VIDSHARE_HUGE_PFNMAP
	.huge_fault = vidshare_vm_huge_fault,
#endif
};

/* The SHARE of the current task that is in vm_mmap() on @vf, if any. */
static struct vidshare_pending *vidshare_pending_find(struct vidshare_file *vf)
{
	struct vidshare_pending *p;

	list_for_each_entry(p, &vf->pending, node)
		if (p->task == current)
			return p;
	return NULL;
}

/**
 * vidshare_mmap() - make a VMA of the device a share
 * @file: the device file
 * @vma: the new VMA; vm_pgoff is the frame-buffer page, optionally with
 *	%VIDSHARE_MMAP_UNCACHED
 *
 * Records everything about the share; its page-table entries come once
 * the VMA is linked (vidshare_fill()).
 *
 * Return: 0, -EINVAL for a private mapping or a range outside the frame
 * buffer, -EPERM for an executable mapping, -EOPNOTSUPP for an uncached
 * mapping of a write-combining adapter, -ENODEV once revoked, -ENOSPC when
 * the file holds max_shares shares, -ENOMEM.
 */
int vidshare_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_device *vdev = vf->vdev;
	const unsigned long uc = VIDSHARE_MMAP_UNCACHED >> PAGE_SHIFT;
	unsigned long fb_pages = vdev->fb_size >> PAGE_SHIFT;
	unsigned long pgoff = vma->vm_pgoff & ~uc;
	unsigned long pages = vma_pages(vma);
	bool readonly = !(vma->vm_flags & VM_WRITE);
	bool uncached = vma->vm_pgoff & uc;
	struct vidshare_pending *pending;
	struct vidshare_map *map;
	const char *what;
	unsigned int limit;
	u32 sub = 0;
	int ret;

	spin_lock(&vf->lock);
	pending = vidshare_pending_find(vf);
	if (pending)
		sub = pending->sub;
	spin_unlock(&vf->lock);
	what = pending ? "SHARE" : "mmap";

	/* MAP_SHARED of a read-only open keeps VM_MAYSHARE only. */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		dev_dbg(&vdev->dev, "%s: private mappings are refused\n", what);
		return -EINVAL;
	}
	if (vma->vm_flags & VM_EXEC) {
		dev_dbg(&vdev->dev, "%s: executable mappings are refused\n", what);
		return -EPERM;
	}
	if (pgoff >= fb_pages || pages > fb_pages - pgoff) {
		dev_dbg(&vdev->dev, "%s: range is outside the frame buffer\n", what);
		return -EINVAL;
	}
	if (uncached && vdev->wc) {
		dev_dbg(&vdev->dev, "%s: the frame buffer is write-combining; it cannot be shared uncached\n",
			what);
		return -EOPNOTSUPP;
	}
	if (READ_ONCE(vdev->revoked)) {
		dev_dbg(&vdev->dev, "%s: the adapter is gone\n", what);
		return -ENODEV;
	}

	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->mm = vma->vm_mm;
	map->pid = task_tgid_nr(current);
	map->start = vma->vm_start;
	map->size = vma->vm_end - vma->vm_start;
	map->offset = (u64)pgoff << PAGE_SHIFT;
	map->sub = sub;
	map->flags = (readonly ? VIDSHARE_SHARE_READONLY : 0) |
		     (uncached ? VIDSHARE_SHARE_UNCACHED : 0);
	limit = READ_ONCE(vidshare_max_shares);
	ret = vidshare_map_insert(vf, map, limit);
	if (ret) {
		dev_dbg(&vdev->dev, "%s: file holds max_shares (%u) shares\n", what, limit);
		kfree(map);
		return ret;
	}

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
		     VM_DONTCOPY);
	vm_flags_clear(vma, VM_MAYEXEC | (readonly ? VM_MAYWRITE : 0));
	vma->vm_page_prot = vidshare_memtype_pgprot(vdev, vma->vm_page_prot);
	vma->vm_ops = &vidshare_vm_ops;
	vma->vm_private_data = map;
	return 0;
}

/*
 * The share of @file in the caller's mm whose pages hold @addr, or NULL.
 * Called with the mmap_lock held.
 */
static struct vm_area_struct *vidshare_find_vma(struct file *file,
						unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(current->mm, addr);

	if (!vma || vma->vm_file != file || vma->vm_ops != &vidshare_vm_ops)
		return NULL;
	return vma;
}

/**
 * vidshare_do_share() - SHARE: map a view into the calling process
 * @file: the device file
 * @req: the request; its out fields are filled in on success
 *
 * Return: 0 or a negative errno (see Documentation/vidshare/uapi.rst).
 */
int vidshare_do_share(struct file *file, struct vidshare_share *req)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_device *vdev = vf->vdev;
	unsigned long prot = PROT_READ, flags = MAP_SHARED, addr;
	struct vidshare_pending pending = { .task = current };
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct vidshare_view view;
	const char *why;
	u64 pgoff;
	int ret;

	ret = vidshare_share_check(req, vdev->fb_size, &view, &why);
	if (ret) {
		dev_dbg(&vdev->dev, "SHARE: %s\n", why);
		return ret;
	}
	if (!(req->flags & VIDSHARE_SHARE_READONLY)) {
		if (!(file->f_mode & FMODE_WRITE)) {
			dev_dbg(&vdev->dev, "SHARE: writable share on a read-only open\n");
			return -EACCES;
		}
		prot |= PROT_WRITE;
	}
	if (req->flags & VIDSHARE_SHARE_FIXED)
		flags |= MAP_FIXED_NOREPLACE;
	pgoff = view.offset;
	if (req->flags & VIDSHARE_SHARE_UNCACHED)
		pgoff |= VIDSHARE_MMAP_UNCACHED;

	pending.sub = view.sub;
	spin_lock(&vf->lock);
	list_add(&pending.node, &vf->pending);
	spin_unlock(&vf->lock);
	addr = vm_mmap(file, req->requested_addr & PAGE_MASK, view.size, prot,
		       flags, pgoff);
	spin_lock(&vf->lock);
	list_del(&pending.node);
	spin_unlock(&vf->lock);
	if (IS_ERR_VALUE(addr)) {
		ret = (long)addr;
		dev_dbg(&vdev->dev, "SHARE: mapping failed: %d\n", ret);
		return ret;
	}

	/*
	 * Fill the new share now, so that touching it never faults. If
	 * another thread has already unmapped it, or this runs out of
	 * memory, the share is still made: its faults fill it.
	 */
	if (!mmap_read_lock_killable(mm)) {
		vma = vidshare_find_vma(file, addr);
		if (vma && vma->vm_start == addr)
			vidshare_fill(vma);
		mmap_read_unlock(mm);
	}

	req->virtual_addr = addr + view.sub;
	req->shared_offset = view.offset;
	req->shared_size = view.size;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_do_share);

/* Give up the claim on share @id of @file at @start, if it is still there. */
static void vidshare_unclaim(struct file *file, unsigned long start, u64 id)
{
	struct vidshare_file *vf = file->private_data;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct vidshare_map *map;

	mmap_read_lock(mm);
	vma = vidshare_find_vma(file, start);
	map = vma ? vma->vm_private_data : NULL;
	if (map && vma->vm_start == start) {
		spin_lock(&vf->lock);
		if (map->id == id)
			map->unsharing = false;
		spin_unlock(&vf->lock);
	}
	mmap_read_unlock(mm);
}

/**
 * vidshare_do_unshare() - UNSHARE: unmap a share of the calling process
 * @file: the device file the share was made through
 * @req: the request
 *
 * Either the share is gone (0) or, on any error, it is left as it was.
 *
 * Return: 0, -EINVAL for non-zero flags or reserved, -ENOENT if
 * @req->virtual_addr is not what SHARE (or mmap(2)) returned for a live share
 * of @file in this process, -EPERM if the share is sealed with mseal(2), or
 * an error of vm_munmap() (-ENOMEM, -EINTR).
 */
int vidshare_do_unshare(struct file *file, const struct vidshare_unshare *req)
{
	struct vidshare_file *vf = file->private_data;
	struct vidshare_device *vdev = vf->vdev;
	struct mm_struct *mm = current->mm;
	unsigned long start, size;
	struct vm_area_struct *vma;
	struct vidshare_map *map;
	bool claimed = false;
	u64 id;
	int ret;

	if (req->flags || req->reserved) {
		dev_dbg(&vdev->dev, "UNSHARE: flags and reserved must be 0\n");
		return -EINVAL;
	}

	mmap_read_lock(mm);
	vma = vidshare_find_vma(file, req->virtual_addr);
	map = vma ? vma->vm_private_data : NULL;
	if (map && (vma->vm_start != map->start ||
		    req->virtual_addr != map->start + map->sub))
		map = NULL;
	if (map && vidshare_vma_sealed(vma)) {
		mmap_read_unlock(mm);
		dev_dbg(&vdev->dev, "UNSHARE: the share is sealed\n");
		return -EPERM;
	}
	if (map) {
		spin_lock(&vf->lock);
		claimed = !map->unsharing;
		map->unsharing = true;
		id = map->id;
		spin_unlock(&vf->lock);
	}
	if (!claimed) {
		mmap_read_unlock(mm);
		dev_dbg(&vdev->dev, "UNSHARE: not a live share of this file in this process\n");
		return -ENOENT;
	}
	start = vma->vm_start;
	size = vma->vm_end - vma->vm_start;
	mmap_read_unlock(mm);

	/*
	 * vm_munmap() takes the mmap_lock itself; it zaps and unmaps the
	 * share in one walk, or fails before it changes anything (a seal
	 * another thread put on it meanwhile, no memory, a fatal signal).
	 * The claim keeps another UNSHARE away; a munmap(2) racing us in
	 * this same process is the caller's own race, as between two
	 * munmap(2) calls.
	 */
	ret = vm_munmap(start, size);
	if (ret) {
		dev_dbg(&vdev->dev, "UNSHARE: unmapping failed: %d; the share stays\n", ret);
		vidshare_unclaim(file, start, id);
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_do_unshare);

/**
 * vidshare_revoke() - take every share of an adapter away
 * @vdev: the adapter, on its way out
 *
 * Afterwards ->mmap() fails with -ENODEV and any access to an old share
 * faults with SIGBUS. Takes no mmap_lock: a process whose lock is held
 * for as long as it likes cannot hold revocation up.
 */
void vidshare_revoke(struct vidshare_device *vdev)
{
	down_write(&vdev->revoke_sem);
	WRITE_ONCE(vdev->revoked, true);
	up_write(&vdev->revoke_sem);

	/*
	 * Page-table entries are written only under revoke_sem, after the
	 * revoked check, into a VMA that is linked into the address_space
	 * (vidshare_fill()). So every entry is in a VMA this reaches, and
	 * none can come after it.
	 */
	unmap_mapping_range(vdev->inode->i_mapping, 0, 0, 1);
}
