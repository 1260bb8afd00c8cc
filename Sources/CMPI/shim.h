#include <mpi.h>

// Open MPI's handles are macros that expand to addresses of library globals, which Swift cannot
// import; these functions return them.
static inline MPI_Comm nnc_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype nnc_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype nnc_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype nnc_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype nnc_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Op nnc_mpi_sum(void) { return MPI_SUM; }
static inline void *nnc_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *nnc_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
