/* Debian's libdeflate (libdeflate-dev): whole-buffer DEFLATE/gzip. */
#include <libdeflate.h>
