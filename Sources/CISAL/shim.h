/* Debian's ISA-L (libisal-dev): igzip, the fastest standard-gzip encoder measured here. */
#include <isa-l/igzip_lib.h>

/* Level-1 work buffer size, as a constant Swift can import (the header's macro is an expression). */
static const unsigned int cisal_level1_buffer_size = ISAL_DEF_LVL1_DEFAULT;
