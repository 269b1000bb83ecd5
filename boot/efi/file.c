/*
 * Files on the volume the loader itself came from: LoadedImage->DeviceHandle
 * (UEFI 2.10 §9.1) carries the Simple File System protocol (§13.4) whose
 * EFI_FILE_PROTOCOL (§13.5) reads them. Read-only; no directory listing.
 * Each failure is reported here, with the path, once.
 */
#include "boot/efi/loader.h"

#define FILE_PATH_MAX           256
#define FILE_READ_CHUNK         (4 * MiB)       /* keep single Read()s modest */

EFI_STATUS file_volume_open(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	EFI_LOADED_IMAGE *li;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *sfs;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			       &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return con_fail(st, "no Loaded Image protocol on the loader's handle");
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
			       &FileSystemProtocol, (void **)&sfs);
	if (EFI_ERROR(st))
		return con_fail(st, "the boot device has no Simple File System");
	st = uefi_call_wrapper(sfs->OpenVolume, 2, sfs, root);
	if (EFI_ERROR(st))
		return con_fail(st, "cannot open the boot volume");
	return EFI_SUCCESS;
}

/*
 * Opens path read-only and returns its size. The caller closes *fh.
 * Directories are refused.
 */
EFI_STATUS file_open(EFI_FILE_HANDLE root, const char *path,
		     EFI_FILE_HANDLE *fh, u64 *size)
{
	CHAR16 wpath[FILE_PATH_MAX];
	EFI_FILE_INFO *info;
	EFI_STATUS st;
	size_t i;

	for (i = 0; path[i]; i++) {
		if (i + 1 == FILE_PATH_MAX)
			return con_fail(EFI_INVALID_PARAMETER, "path too long: %s", path);
		wpath[i] = (CHAR16)(u8)path[i];
	}
	wpath[i] = 0;
	st = uefi_call_wrapper(root->Open, 5, root, fh, wpath, EFI_FILE_MODE_READ, 0ULL);
	if (EFI_ERROR(st))
		return con_fail(st, "cannot open %s", path);
	info = LibFileInfo(*fh);
	if (!info) {
		file_close(*fh);
		return con_fail(EFI_DEVICE_ERROR, "cannot get the size of %s", path);
	}
	*size = info->FileSize;
	st = (info->Attribute & EFI_FILE_DIRECTORY) ? EFI_INVALID_PARAMETER : EFI_SUCCESS;
	FreePool(info);
	if (EFI_ERROR(st)) {
		file_close(*fh);
		return con_fail(st, "%s is a directory", path);
	}
	return EFI_SUCCESS;
}

/* Reads exactly n bytes at offset off into buf; a short file is an error. */
EFI_STATUS file_read_at(EFI_FILE_HANDLE fh, const char *path, u64 off,
			void *buf, u64 n)
{
	u8 *p = buf;
	UINTN chunk;
	EFI_STATUS st;

	st = uefi_call_wrapper(fh->SetPosition, 2, fh, off);
	if (EFI_ERROR(st))
		return con_fail(st, "cannot seek to 0x%lx in %s", off, path);
	while (n) {
		chunk = MIN(n, FILE_READ_CHUNK);
		st = uefi_call_wrapper(fh->Read, 3, fh, &chunk, p);
		if (EFI_ERROR(st))
			return con_fail(st, "read error in %s at 0x%lx", path, off);
		if (chunk == 0)
			return con_fail(EFI_END_OF_FILE, "%s ends early: 0x%lx bytes missing at 0x%lx", path, n, off);
		p += chunk;
		off += chunk;
		n -= chunk;
	}
	return EFI_SUCCESS;
}

void file_close(EFI_FILE_HANDLE fh)
{
	uefi_call_wrapper(fh->Close, 1, fh);
}
