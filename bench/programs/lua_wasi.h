/*
 * lua_wasi.h - force-included (clang -include) into every Lua 5.4 source file
 * when bench/programs/build.sh builds the `lua` benchmark for wasm32-wasi.
 *
 * wasi-libc has no setjmp/longjmp (and we do not enable the wasm
 * exception-handling proposal), so Lua's error recovery cannot work.  We
 * replace the LUAI_TRY/LUAI_THROW hooks of ldo.c (see its comment "LUAI_THROW/
 * LUAI_TRY define how Lua does exception handling"):
 *   - LUAI_TRY just runs the protected code;
 *   - LUAI_THROW calls brisk_lua_throw(), which prints the error message to
 *     stderr, like the stock `lua` would, and exits with status 1.
 * Consequence: any Lua error (error(), runtime errors, failed pcall/xpcall
 * bodies, syntax errors in load()) terminates the whole program instead of
 * being caught.  Scripts that never raise errors run unchanged.
 * ldo.c still does #include <setjmp.h>; build.sh provides an empty stub.
 *
 * WASI also has no processes and no temporary files: os.execute(cmd) fails
 * (os.execute() reports "no shell"), io.tmpfile() returns nil plus an error
 * message, and os.tmpname() raises an error (so it exits, see above).
 */
#ifndef BRISK_LUA_WASI_H
#define BRISK_LUA_WASI_H

struct lua_State;
_Noreturn void brisk_lua_throw(struct lua_State *L, int status);

#define LUAI_THROW(L, c)	brisk_lua_throw(L, (c)->status)
#define LUAI_TRY(L, c, a)	{ a }
#define luai_jmpbuf		int  /* dummy, never used */

/* loslib.c/liolib.c call these directly; route them to stubs in lua_wasi.c */
#define system		brisk_lua_system
#define tmpfile		brisk_lua_tmpfile
#define LUA_TMPNAMBUFSIZE	32
#define lua_tmpnam(b, e)	{ (b)[0] = '\0'; e = 1; }

#endif
