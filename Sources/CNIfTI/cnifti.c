/* A C target needs one translation unit; this one also pins the header
 * sizes the Swift code assumes (348 and 540 bytes, the NIfTI standards). */
#include "CNIfTI.h"

_Static_assert(sizeof(nifti_1_header) == 348, "NIfTI-1 header must be 348 bytes");
_Static_assert(sizeof(nifti_2_header) == 540, "NIfTI-2 header must be 540 bytes");
