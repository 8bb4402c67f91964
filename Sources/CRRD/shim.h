// librrd, for tests and benchmarks only: the shipped executables never link it.
#include <rrd.h>

// Exported by librrd.so.8 but not declared in rrd.h; the tests compare our parser with it.
double rrd_strtod(const char *str, char **endptr);
