/* ostack-lua: a Lua 5.4 interpreter with the openstack runtime ready,
 * modelled on lua.c (protected main, message handler, -e/-l/-i/-v/-E/-).
 * `openstack` and a lazily connected `conn` are globals; --os-* options
 * and OS_CLOUD/OS_* choose the cloud. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifdef OSTACK_USE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include "ostack.h"

static const char *progname = "ostack-lua";

static void usage(void) {
  fprintf(stderr,
          "usage: %s [options] [script [args]]\n"
          "  -e stat          execute string 'stat'\n"
          "  -i               enter interactive mode after running the script\n"
          "  -l mod           require library 'mod' into global 'mod'\n"
          "  -v               show version information\n"
          "  -E               ignore environment variables (LUA_*, OSTACK_LUA_INIT)\n"
          "  --os-cloud NAME  connect `conn` to this cloud of clouds.yaml\n"
          "  --os-<option> V  any openstack option (--os-region-name, --os-auth-url, ...)\n"
          "  --debug          print the (redacted) HTTP trace to stderr\n"
          "  --               stop handling options\n"
          "  -                stop handling options and execute stdin\n",
          progname);
}

/* Prints an error: an OpenStack error as one clean line, anything else as
 * the traceback the message handler built. */
static void report(const ostack_error *e) {
  if (strcmp(e->class_name, "LuaError") == 0) {
    fprintf(stderr, "%s: %s\n", progname, e->message);
    return;
  }
  fprintf(stderr, "%s: %s", progname, e->class_name);
  if (e->status) fprintf(stderr, " (HTTP %ld)", e->status);
  fprintf(stderr, ": %s", e->message);
  if (e->request_id[0]) fprintf(stderr, " [request %s]", e->request_id);
  fputc('\n', stderr);
}

static int run_string(lua_State *L, const char *code, const char *name) {
  ostack_error err;
  if (luaL_loadbuffer(L, code, strlen(code), name) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  if (ostack_pcall(L, 0, 0, &err)) {
    report(&err);
    return -1;
  }
  return 0;
}

static int run_require(lua_State *L, const char *mod) {
  ostack_error err;
  lua_getglobal(L, "require");
  lua_pushstring(L, mod);
  if (ostack_pcall(L, 1, 1, &err)) {
    report(&err);
    return -1;
  }
  lua_setglobal(L, mod);
  return 0;
}

static int run_script(lua_State *L, char **argv, int script) {
  const char *fname = argv[script];
  if (strcmp(fname, "-") == 0 && strcmp(argv[script - 1], "--") != 0) fname = NULL; /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  int n = 0;
  for (int i = script + 1; argv[i]; i++, n++) lua_pushstring(L, argv[i]);
  ostack_error err;
  if (ostack_pcall(L, n, 0, &err)) {
    report(&err);
    return -1;
  }
  return 0;
}

/* The global `arg`, as lua.c builds it. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  lua_createtable(L, argc - script, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static const char repl_helpers[] =
    "local function show(v)\n"
    "  if type(v) == 'table' and not (getmetatable(v) or {}).__tostring then\n"
    "    local ok, s = pcall(require('openstack').json.encode, v, {pretty = true})\n"
    "    if ok then return s end\n"
    "  end\n"
    "  return tostring(v)\n"
    "end\n"
    "return function(...)\n"
    "  for i = 1, select('#', ...) do print(show((select(i, ...)))) end\n"
    "end\n";

static char *read_line(const char *prompt) {
#ifdef OSTACK_USE_READLINE
  char *line = readline(prompt);
  if (line && *line) add_history(line);
  return line;
#else
  fputs(prompt, stdout);
  fflush(stdout);
  char buf[4096];
  if (!fgets(buf, sizeof buf, stdin)) return NULL;
  buf[strcspn(buf, "\n")] = '\0';
  return strdup(buf);
#endif
}

/* The REPL: expressions print their values readably; statements run. */
static void repl(lua_State *L) {
  if (luaL_loadstring(L, repl_helpers) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    return;
  }
  int printer = lua_gettop(L);
  char *line;
  while ((line = read_line("> ")) != NULL) {
    lua_settop(L, printer);
    char *code = malloc(strlen(line) + 8);
    sprintf(code, "return %s", line);
    if (luaL_loadbuffer(L, code, strlen(code), "=stdin") != LUA_OK) {
      lua_pop(L, 1);
      if (luaL_loadbuffer(L, line, strlen(line), "=stdin") != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        free(code);
        free(line);
        continue;
      }
    }
    free(code);
    free(line);
    ostack_error err;
    int base = lua_gettop(L) - 1;
    if (ostack_pcall(L, 0, LUA_MULTRET, &err)) {
      report(&err);
      continue;
    }
    int n = lua_gettop(L) - base;
    if (n > 0) {
      lua_pushvalue(L, printer);
      lua_insert(L, base + 1);
      if (ostack_pcall(L, n, 0, &err)) report(&err);
    }
  }
  putchar('\n');
}

#ifdef OSTACK_BUILD_DIR
static int running_from_build_tree(void) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 0;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return 0;
  *slash = '\0';
  return strcmp(exe, OSTACK_BUILD_DIR) == 0;
}
#endif

int main(int argc, char **argv) {
  if (argv[0] && argv[0][0]) progname = argv[0];
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create state: not enough memory\n", progname);
    return EXIT_FAILURE;
  }
  for (int k = 1; k < argc && argv[k][0] == '-'; k++) {
    if (strcmp(argv[k], "-E") == 0) {
      /* must be in place before the package library reads LUA_PATH */
      lua_pushboolean(L, 1);
      lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    if (strcmp(argv[k], "--") == 0 || strcmp(argv[k], "-") == 0) break;
  }
  luaL_openlibs(L);
  /* options: collected first, run in order afterwards, as lua.c does */
  int interactive = 0, version = 0, no_env = 0, script = 0;
  lua_newtable(L); /* connect options for `conn` */
  int copts = lua_gettop(L);
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') { script = i; break; }
    if (strcmp(a, "-") == 0) { script = i; break; }
    if (strcmp(a, "--") == 0) { if (i + 1 < argc) script = i + 1; break; }
    if (strcmp(a, "-i") == 0) interactive = version = 1;
    else if (strcmp(a, "-v") == 0) version = 1;
    else if (strcmp(a, "-E") == 0) no_env = 1;
    else if (strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0) {
      if (++i >= argc) { usage(); return EXIT_FAILURE; }
    } else if (strcmp(a, "--debug") == 0) {
      lua_pushboolean(L, 1);
      lua_setfield(L, copts, "debug");
    } else if (strncmp(a, "--os-", 5) == 0) {
      if (++i >= argc) { usage(); return EXIT_FAILURE; }
      char key[128];
      snprintf(key, sizeof key, "%s", a + 5);
      for (char *p = key; *p; p++) if (*p == '-') *p = '_';
      lua_pushstring(L, argv[i]);
      lua_setfield(L, copts, key);
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage();
      return EXIT_SUCCESS;
    } else {
      fprintf(stderr, "%s: unrecognized option '%s'\n", progname, a);
      usage();
      return EXIT_FAILURE;
    }
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "openstack.connect_options");
#if defined(OSTACK_BUILD_LUA_DIR) && defined(OSTACK_BUILD_DIR)
  /* run from its build tree, the interpreter uses the sources beside it */
  if (running_from_build_tree()) {
    lua_getglobal(L, "package");
    lua_pushstring(L, OSTACK_BUILD_LUA_DIR "/?.lua;" OSTACK_BUILD_LUA_DIR "/?/init.lua;");
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
  }
#endif
  ostack_openlibs(L, NULL);
  if (version) printf("ostack-lua %s (%s, %s)\n", OSTACK_VERSION, LUA_RELEASE, curl_version());
  int status = 0;
  if (!no_env) {
    const char *init = getenv("OSTACK_LUA_INIT");
    if (init) {
      if (init[0] == '@') {
        ostack_error err;
        if (ostack_dofile(L, init + 1, 0, NULL, &err)) { report(&err); status = -1; }
      } else {
        status = run_string(L, init, "=OSTACK_LUA_INIT");
      }
    }
  }
  create_arg_table(L, argv, argc, script ? script : argc);
  for (i = 1; status == 0 && i < argc && (!script || i < script); i++) {
    if (strcmp(argv[i], "-e") == 0) status = run_string(L, argv[++i], "=(command line)");
    else if (strcmp(argv[i], "-l") == 0) status = run_require(L, argv[++i]);
    else if (strncmp(argv[i], "--os-", 5) == 0) i++;
  }
  if (status == 0 && script) status = run_script(L, argv, script);
  int ran_something = script != 0;
  for (i = 1; i < argc && !script; i++) if (strcmp(argv[i], "-e") == 0) ran_something = 1;
  if (status == 0 && (interactive || (!ran_something && isatty(0)))) repl(L);
  else if (status == 0 && !ran_something && !isatty(0)) status = run_script(L, (char *[]){"", "-", NULL}, 1);
  lua_close(L);
  return status == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
