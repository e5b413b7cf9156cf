// Header-only: the hints are inline functions (CMemoryHints.h).
