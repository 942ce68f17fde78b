// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare shares: the mapping list, the VMA callbacks, SHARE and UNSHARE.
 *
 * A share is a VMA of the device file. ->mmap() fills it eagerly with
 * io_remap_pfn_range() and hangs a struct vidshare_map off it; the map sits
 * on the list of the file it was made through until ->close() takes it off.
 * SHARE is vm_mmap() on that file, so mmap(2) of the device is the same path.
 * UNSHARE finds the VMA of the caller, zaps it with zap_vma_ptes() and frees
 * the range with vm_munmap().
 *
 * Locking: ->mmap(), ->close() and faults run under the caller's mmap_lock.
 * Order: mmap_lock -> vidshare_device.revoke_sem -> vidshare_file.lock, and
 * vidshare_device.lock -> vidshare_file.lock. SHARE and UNSHARE hold no
 * vidshare lock while they call vm_mmap() or vm_munmap().
 */

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
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

/*
 * ->mmap() maps every page, so a fault means the PTEs were taken away: the
 * device was revoked, or an UNSHARE is on its way to unmapping the range.
 */
static vm_fault_t vidshare_vm_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct vidshare_vm_ops = {
	.close = vidshare_vm_close,
	.may_split = vidshare_vm_may_split,
	.mremap = vidshare_vm_mremap,
	.fault = vidshare_vm_fault,
};

/**
 * vidshare_mmap() - map frame-buffer pages into a VMA of the device
 * @file: the device file
 * @vma: the new VMA; vm_pgoff is the frame-buffer page, optionally with
 *	%VIDSHARE_MMAP_UNCACHED
 *
 * Return: 0, -EINVAL for a private mapping or a range outside the frame
 * buffer, -EPERM for an executable mapping, -ENODEV once revoked, -ENOSPC
 * when the file holds max_shares shares, or an error from the mapping.
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
	struct vidshare_map *map;
	int ret;

	/* MAP_SHARED of a read-only open keeps VM_MAYSHARE only. */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		dev_dbg(&vdev->dev, "mmap: private mappings are refused\n");
		return -EINVAL;
	}
	if (vma->vm_flags & VM_EXEC) {
		dev_dbg(&vdev->dev, "mmap: executable mappings are refused\n");
		return -EPERM;
	}
	if (pgoff >= fb_pages || pages > fb_pages - pgoff) {
		dev_dbg(&vdev->dev, "mmap: range is outside the frame buffer\n");
		return -EINVAL;
	}

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->mm = vma->vm_mm;
	map->pid = task_tgid_nr(current);
	map->start = vma->vm_start;
	map->size = vma->vm_end - vma->vm_start;
	map->offset = (u64)pgoff << PAGE_SHIFT;
	map->flags = (readonly ? VIDSHARE_SHARE_READONLY : 0) |
		     (uncached ? VIDSHARE_SHARE_UNCACHED : 0);

	down_read(&vdev->revoke_sem);
	if (vdev->revoked) {
		dev_dbg(&vdev->dev, "mmap: the adapter is gone\n");
		ret = -ENODEV;
		goto out_free;
	}
	ret = vidshare_map_insert(vf, map, READ_ONCE(vidshare_max_shares));
	if (ret) {
		dev_dbg(&vdev->dev, "mmap: file holds max_shares (%u) shares\n",
			READ_ONCE(vidshare_max_shares));
		goto out_free;
	}

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
		     VM_DONTCOPY);
	vm_flags_clear(vma, VM_MAYEXEC | (readonly ? VM_MAYWRITE : 0));
	if (vdev->wc && !uncached)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	else
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);

	ret = io_remap_pfn_range(vma, vma->vm_start,
				 PHYS_PFN(vdev->fb_phys) + pgoff, map->size,
				 vma->vm_page_prot);
	if (ret) {
		dev_dbg(&vdev->dev, "mmap: io_remap_pfn_range failed: %d\n", ret);
		vidshare_map_remove(map);
		goto out_free;
	}
	vma->vm_ops = &vidshare_vm_ops;
	vma->vm_private_data = map;
	up_read(&vdev->revoke_sem);
	return 0;

out_free:
	up_read(&vdev->revoke_sem);
	kfree(map);
	return ret;
}

/*
 * The share of @file that starts at @addr in the caller's mm, or NULL.
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

	addr = vm_mmap(file, req->requested_addr & PAGE_MASK, view.size, prot,
		       flags, pgoff);
	if (IS_ERR_VALUE(addr)) {
		ret = (long)addr;
		dev_dbg(&vdev->dev, "SHARE: mapping failed: %d\n", ret);
		return ret;
	}

	/* Remember where in its first page the view starts, for UNSHARE. */
	mmap_read_lock(current->mm);
	vma = vidshare_find_vma(file, addr);
	if (vma && vma->vm_start == addr)
		((struct vidshare_map *)vma->vm_private_data)->sub = view.sub;
	mmap_read_unlock(current->mm);

	req->virtual_addr = addr + view.sub;
	req->shared_offset = view.offset;
	req->shared_size = view.size;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_do_share);

/**
 * vidshare_do_unshare() - UNSHARE: unmap a share of the calling process
 * @file: the device file the share was made through
 * @req: the request
 *
 * Return: 0, -EINVAL for non-zero flags or reserved, -ENOENT if
 * @req->virtual_addr is not what SHARE (or mmap(2)) returned for a live share
 * of @file in this process, -EPERM if the share is sealed with mseal(2).
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

	if (req->flags || req->reserved) {
		dev_dbg(&vdev->dev, "UNSHARE: flags and reserved must be 0\n");
		return -EINVAL;
	}

	mmap_read_lock(mm);
	vma = vidshare_find_vma(file, req->virtual_addr);
	if (vma && vidshare_vma_sealed(vma)) {
		mmap_read_unlock(mm);
		dev_dbg(&vdev->dev, "UNSHARE: the share is sealed\n");
		return -EPERM;
	}
	map = vma ? vma->vm_private_data : NULL;
	if (map && vma->vm_start == map->start &&
	    req->virtual_addr == map->start + map->sub) {
		spin_lock(&vf->lock);
		claimed = !map->unsharing;
		map->unsharing = true;
		spin_unlock(&vf->lock);
	}
	if (!claimed) {
		mmap_read_unlock(mm);
		dev_dbg(&vdev->dev, "UNSHARE: not a live share of this file in this process\n");
		return -ENOENT;
	}
	start = vma->vm_start;
	size = vma->vm_end - vma->vm_start;
	zap_vma_ptes(vma, start, size);
	mmap_read_unlock(mm);

	/*
	 * vm_munmap() takes the mmap_lock itself. The claim keeps another
	 * UNSHARE away; a munmap(2) racing us in this same process is the
	 * caller's own race, as between two munmap(2) calls.
	 */
	return vm_munmap(start, size);
}
EXPORT_SYMBOL_IF_KUNIT(vidshare_do_unshare);

/*
 * Take a reference on one mm that holds shares of @vdev and that the
 * revocation barrier has not waited for yet, or return NULL.
 */
static struct mm_struct *vidshare_next_mm(struct vidshare_device *vdev)
{
	struct mm_struct *mm = NULL;
	struct vidshare_file *vf;
	struct vidshare_map *map;

	mutex_lock(&vdev->lock);
	list_for_each_entry(vf, &vdev->files, node) {
		spin_lock(&vf->lock);
		list_for_each_entry(map, &vf->maps, node) {
			if (!mm && !map->synced) {
				mm = map->mm;
				mmgrab(mm);
			}
			if (map->mm == mm)
				map->synced = true;
		}
		spin_unlock(&vf->lock);
	}
	mutex_unlock(&vdev->lock);
	return mm;
}

/**
 * vidshare_revoke() - take every share of an adapter away
 * @vdev: the adapter, on its way out
 *
 * Afterwards ->mmap() fails with -ENODEV and any access to an old share
 * faults with SIGBUS.
 */
void vidshare_revoke(struct vidshare_device *vdev)
{
	struct mm_struct *mm;

	down_write(&vdev->revoke_sem);
	vdev->revoked = true;
	up_write(&vdev->revoke_sem);

	/*
	 * An mmap() that filled its VMA before we set revoked links the VMA
	 * into the address_space only after ->mmap() returns, still under its
	 * mmap_lock. Wait for each such mm so unmap_mapping_range() sees every
	 * VMA that has PTEs.
	 */
	while ((mm = vidshare_next_mm(vdev))) {
		mmap_read_lock(mm);
		mmap_read_unlock(mm);
		mmdrop(mm);
	}
	unmap_mapping_range(vdev->inode->i_mapping, 0, 0, 1);
}
