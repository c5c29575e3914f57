/* glibc's posix_spawn_file_actions_addchdir_np (a GNU extension since glibc 2.29), which Swift's
   Glibc module does not declare: a case starts each step in the study's folder. Declared here
   rather than through _GNU_SOURCE, which would give the system headers a second shape. */
#include <spawn.h>
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict actions,
                                                const char *__restrict path);
