/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vidshare: share a display adapter's frame buffer with a process.
 *
 * The Linux counterpart of the Windows display-driver requests
 * IOCTL_VIDEO_SHARE_VIDEO_MEMORY and IOCTL_VIDEO_UNSHARE_VIDEO_MEMORY.
 * See Documentation/vidshare/uapi.rst for the full contract.
 */
#ifndef _UAPI_LINUX_VIDSHARE_H
#define _UAPI_LINUX_VIDSHARE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * define VIDSHARE_IOCTL_MAGIC - ioctl type byte of /dev/vidshareN, 0xB9
 *
 * Unused in Documentation/userspace-api/ioctl/ioctl-number.rst of Linux
 * 6.12. The ioctls are numbered 0x00 to 0x04 in this order: INFO, SHARE,
 * UNSHARE, GET_MODE, SET_MODE.
 */
#define VIDSHARE_IOCTL_MAGIC	0xB9
/**
 * define VIDSHARE_API_VERSION - value of &vidshare_info.api_version, 1
 */
#define VIDSHARE_API_VERSION	1

/**
 * define VIDSHARE_INFO_WC - shares of the adapter combine writes
 *
 * The frame-buffer BAR is prefetchable: shares are write-combining.
 */
#define VIDSHARE_INFO_WC	(1U << 0)
/**
 * define VIDSHARE_INFO_REVOKED - the device is gone; every share has been
 *	revoked
 */
#define VIDSHARE_INFO_REVOKED	(1U << 1)

/**
 * struct vidshare_info - what VIDSHARE_IOC_INFO reports about an adapter
 * @api_version: %VIDSHARE_API_VERSION
 * @flags: %VIDSHARE_INFO_WC: shares of this adapter are write-combining,
 *	else uncached; %VIDSHARE_INFO_REVOKED: the adapter is gone and every
 *	share has been revoked
 * @vendor: PCI vendor id (the ids are kept after the adapter is gone)
 * @device: PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem device id
 * @bar: index of the frame-buffer BAR
 * @max_shares: most live shares one open file may hold: the current value
 *	of the max_shares module parameter
 * @fb_size: bytes that can be shared: every view lies inside [0, @fb_size).
 *	The BAR length, capped at the video memory the adapter reports when
 *	that is smaller, rounded down to a page
 * @width: current mode width in pixels, as GET_MODE reports it; 0 when the
 *	adapter has no known mode interface, shows no mode, or is gone
 * @height: current mode height in pixels, 0 if unknown
 * @bpp: current bits per pixel, 0 if unknown
 * @stride: current bytes per scan line, 0 if unknown
 * @reserved: zero
 */
struct vidshare_info {
	__u32 api_version;
	__u32 flags;
	__u16 vendor;
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	__u32 bar;
	__u32 max_shares;
	__u64 fb_size;
	__u32 width;
	__u32 height;
	__u32 bpp;
	__u32 stride;
	__u64 reserved[4];
};

/**
 * define VIDSHARE_SHARE_READONLY - map without write permission
 *
 * The share can never become writable.
 */
#define VIDSHARE_SHARE_READONLY	(1U << 0)
/**
 * define VIDSHARE_SHARE_FIXED - map exactly at &vidshare_share.requested_addr
 *
 * The address must be page-aligned; nothing mapped there is replaced.
 */
#define VIDSHARE_SHARE_FIXED	(1U << 1)
/**
 * define VIDSHARE_SHARE_UNCACHED - map uncached
 *
 * Even when the BAR allows write-combining.
 */
#define VIDSHARE_SHARE_UNCACHED	(1U << 2)
/**
 * define VIDSHARE_SHARE_FLAGS - every flag VIDSHARE_IOC_SHARE knows
 */
#define VIDSHARE_SHARE_FLAGS	(VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_FIXED | \
				 VIDSHARE_SHARE_UNCACHED)

/**
 * struct vidshare_share - VIDSHARE_IOC_SHARE argument (VIDEO_SHARE_MEMORY)
 * @view_offset: in: ViewOffset, byte offset into the frame buffer, any alignment
 * @view_size: in: ViewSize, bytes, greater than 0
 * @requested_addr: in: RequestedVirtualAddress; 0 lets the kernel choose,
 *	otherwise a hint, or the exact page-aligned address with
 *	%VIDSHARE_SHARE_FIXED
 * @flags: in: %VIDSHARE_SHARE_READONLY, %VIDSHARE_SHARE_FIXED,
 *	%VIDSHARE_SHARE_UNCACHED
 * @reserved: in: must be 0
 * @virtual_addr: out: VirtualAddress, where byte @view_offset is mapped
 * @shared_offset: out: SharedViewOffset, page-aligned start of what was mapped
 * @shared_size: out: SharedViewSize, page-multiple length of what was mapped
 */
struct vidshare_share {
	__u64 view_offset;
	__u64 view_size;
	__u64 requested_addr;
	__u32 flags;
	__u32 reserved;
	__u64 virtual_addr;
	__u64 shared_offset;
	__u64 shared_size;
};

/**
 * struct vidshare_unshare - VIDSHARE_IOC_UNSHARE argument
 * @virtual_addr: the VirtualAddress that VIDSHARE_IOC_SHARE returned, or the
 *	start of an mmap(2) of the device
 * @flags: must be 0
 * @reserved: must be 0
 */
struct vidshare_unshare {
	__u64 virtual_addr;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct vidshare_mode - VIDSHARE_IOC_GET_MODE / VIDSHARE_IOC_SET_MODE argument
 * @width: pixels per scan line
 * @height: scan lines
 * @bpp: bits per pixel
 * @stride: bytes per scan line; SET ignores it, GET and INFO report it
 * @flags: must be 0
 * @reserved: must be 0
 */
struct vidshare_mode {
	__u32 width;
	__u32 height;
	__u32 bpp;
	__u32 stride;
	__u32 flags;
	__u32 reserved;
};

/**
 * define VIDSHARE_IOC_INFO - describe the adapter (no Windows equivalent)
 *
 * _IOR, nr 0x00, argument &struct vidshare_info (out).
 */
#define VIDSHARE_IOC_INFO	_IOR(VIDSHARE_IOCTL_MAGIC, 0x00, struct vidshare_info)
/**
 * define VIDSHARE_IOC_SHARE - map a view of the frame buffer (IOCTL_VIDEO_SHARE_VIDEO_MEMORY)
 *
 * _IOWR, nr 0x01, argument &struct vidshare_share (in and out).
 */
#define VIDSHARE_IOC_SHARE	_IOWR(VIDSHARE_IOCTL_MAGIC, 0x01, struct vidshare_share)
/**
 * define VIDSHARE_IOC_UNSHARE - end a share (IOCTL_VIDEO_UNSHARE_VIDEO_MEMORY)
 *
 * _IOW, nr 0x02, argument &struct vidshare_unshare (in).
 */
#define VIDSHARE_IOC_UNSHARE	_IOW(VIDSHARE_IOCTL_MAGIC, 0x02, struct vidshare_unshare)
/**
 * define VIDSHARE_IOC_GET_MODE - read the current mode (IOCTL_VIDEO_QUERY_CURRENT_MODE)
 *
 * _IOR, nr 0x03, argument &struct vidshare_mode (out).
 */
#define VIDSHARE_IOC_GET_MODE	_IOR(VIDSHARE_IOCTL_MAGIC, 0x03, struct vidshare_mode)
/**
 * define VIDSHARE_IOC_SET_MODE - program a mode (IOCTL_VIDEO_SET_CURRENT_MODE)
 *
 * _IOW, nr 0x04, argument &struct vidshare_mode (in).
 */
#define VIDSHARE_IOC_SET_MODE	_IOW(VIDSHARE_IOCTL_MAGIC, 0x04, struct vidshare_mode)

/**
 * define VIDSHARE_MMAP_UNCACHED - mmap(2) offset bit that asks for an uncached view
 *
 * An mmap(2) of /dev/vidshareN at byte offset ``off`` maps the frame buffer
 * from ``off``; at ``off | VIDSHARE_MMAP_UNCACHED`` it maps the same bytes
 * uncached. VIDSHARE_IOC_SHARE with %VIDSHARE_SHARE_UNCACHED uses this path.
 */
#define VIDSHARE_MMAP_UNCACHED	(1ULL << 40)

#endif /* _UAPI_LINUX_VIDSHARE_H */
