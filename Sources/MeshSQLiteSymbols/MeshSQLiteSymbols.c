// Declarations only (include/MeshSQLiteSymbols.h): the definitions are sqlite-nio's.
#include "MeshSQLiteSymbols.h"
