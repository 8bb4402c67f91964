#include <libgearman-1.0/gearman.h>
