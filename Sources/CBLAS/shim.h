// OpenBLAS's CBLAS interface; pkg-config (openblas) puts its include directory first.
#include <cblas.h>
