/* Debian's libpng (libpng-dev): the report's slice images, encoded (and, in the tests, decoded). */
#include <png.h>
