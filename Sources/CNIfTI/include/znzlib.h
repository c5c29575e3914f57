/* Forwarding header: Debian installs znzlib.h under /usr/include/nifti/ while
 * nifti2_io.h includes it as <znzlib.h>. This file makes that include resolve
 * to the system header without adding -I flags (see Docs/ARCHITECTURE.md). */
#include <nifti/znzlib.h>
