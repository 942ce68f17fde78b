/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels vidshare supports (Debian 12's 6.1 and
 * 6.12, Debian unstable's and experimental's newest), in one place. Each
 * entry says which version changed what.
 */
#ifndef _VIDSHARE_COMPAT_H
#define _VIDSHARE_COMPAT_H

#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
/* struct class::devnode takes a const device from 6.2 on. */
#define VIDSHARE_DEVNODE_CONST const
#else
#define VIDSHARE_DEVNODE_CONST
/*
 * kunit/visibility.h came with 6.2 (later 6.1.y, Debian's among them, have
 * it too, unused here). As there, internals are exported to the test
 * namespace only for a kernel with KUnit.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(sym) EXPORT_SYMBOL_NS(sym, EXPORTED_FOR_KUNIT_TESTING)
#else
/* Nothing to export: a forward declaration that declares nothing. */
#define EXPORT_SYMBOL_IF_KUNIT(sym) struct vidshare_not_exported_##sym
#endif
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
/* 6.13 made symbol namespaces string literals. */
#define VIDSHARE_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define VIDSHARE_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
/*
 * pcim_request_region() is exported from 6.12. From 6.16 on it is the only
 * managed request: pci_request_region() after pcim_enable_device() is not
 * released at unbind any more, and its name (in this module) outlives the
 * module in /proc/iomem.
 */
#define vidshare_request_region pcim_request_region
#else
/* Before 6.12, pcim_enable_device() makes pci_request_region() managed. */
#define vidshare_request_region pci_request_region
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
/* 6.3 made vm_flags read-only and added helpers that assert the mmap lock. */
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)
/*
 * Huge page-table entries for VM_PFNMAP mappings came with 6.12 (with
 * transparent huge pages): ->huge_fault() with an order, and
 * vmf_insert_pfn_pmd(). 6.1 has neither for pfn maps: shares are PTEs there.
 */
#define VIDSHARE_HUGE_PFNMAP 1
#include <linux/huge_mm.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#include <linux/pfn_t.h>
/*
 * Until 6.17 vmf_insert_pfn_pmd() takes a pfn_t; then pfn_t went away and
 * it takes the pfn (read in 7.2).
 */
static inline vm_fault_t vidshare_insert_pfn_pmd(struct vm_fault *vmf,
						 unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
}
#else
#define vidshare_insert_pfn_pmd vmf_insert_pfn_pmd
#endif
#else
#define VIDSHARE_HUGE_PFNMAP 0
#endif

/* mseal(2) (6.10) marks VMAs that munmap() must leave alone. */
static inline bool vidshare_vma_sealed(struct vm_area_struct *vma)
{
#ifdef VM_SEALED
	return vma->vm_flags & VM_SEALED;
#else
	return false;
#endif
}

struct kunit;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
/*
 * 6.18 passes the test to the parameter generators of KUnit cases:
 * const void *gen(VIDSHARE_KUNIT_GEN_PARAMS) gets prev and desc.
 */
#define VIDSHARE_KUNIT_GEN_PARAMS struct kunit *test, const void *prev, char *desc
#else
#define VIDSHARE_KUNIT_GEN_PARAMS const void *prev, char *desc
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
/* No KUnit user context before 6.11: the vidshare_user suite skips. */
static inline unsigned long kunit_vm_mmap(struct kunit *test, struct file *file,
					  unsigned long addr, unsigned long len,
					  unsigned long prot, unsigned long flag,
					  unsigned long offset)
{
	return 0;
}
#endif

#endif /* _VIDSHARE_COMPAT_H */
