/* Umbrella header of the C boundary to the system libnifti2 (Debian
 * libnifti-dev). Only VoxelIO imports this module, and only privately. */
#ifndef VOXDOSE_CNIFTI_H
#define VOXDOSE_CNIFTI_H

#include <nifti/nifti2_io.h>
#include <zlib.h>

/* Size checks the Swift side relies on when it copies raw header bytes. */
enum { cnifti_nifti1_header_size = sizeof(nifti_1_header),
       cnifti_nifti2_header_size = sizeof(nifti_2_header) };

#endif
