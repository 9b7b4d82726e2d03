/*
 * lua_wasi.c - the "throw" half of lua_wasi.h (see there): Lua 5.4 built for
 * wasm32-wasi without setjmp/longjmp.  Called where ldo.c would longjmp to
 * the innermost protected call; reports the error and exits with status 1.
 * Also the system()/tmpfile() stubs that lua_wasi.h routes loslib/liolib to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lua_wasi.h"  /* renames system/tmpfile below */

int system(const char *cmd) {  /* = brisk_lua_system, see lua_wasi.h */
  if (cmd == NULL)
    return 0;  /* "no command processor available" */
  errno = ENOSYS;
  return -1;
}

FILE *tmpfile(void) {  /* = brisk_lua_tmpfile, see lua_wasi.h */
  errno = ENOSYS;
  return NULL;
}

_Noreturn void brisk_lua_throw(lua_State *L, int status) {
  const char *msg = NULL;
  if (status == LUA_ERRMEM)
    msg = "not enough memory";
  else if (status == LUA_ERRERR)
    msg = "error in error handling";
  else if (lua_type(L, -1) == LUA_TSTRING)
    msg = lua_tostring(L, -1);
  if (msg == NULL)
    msg = "(error object is not a string)";
  fprintf(stderr, "lua: %s\n", msg);
  fprintf(stderr, "lua: (wasm32-wasi build without setjmp: errors cannot be caught)\n");
  fflush(stdout);
  exit(EXIT_FAILURE);
}
