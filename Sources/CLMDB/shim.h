// The C edge: only the LMDB target imports this module.
#include <lmdb.h>
