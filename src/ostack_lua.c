/* ostack-lua: a Lua 5.4 interpreter with the openstack runtime ready.
 *
 * Modelled on lua.c (same options, `arg` table, protected main, message
 * handler, SIGINT handling, REPL with continuation lines), plus:
 *   - `openstack` and a lazily connected `conn` are globals (src/embed.c);
 *     --os-* options (python-openstackclient's names), --debug,
 *     OS_CLOUD / OS_* choose the cloud; nothing is loaded or connected
 *     until a chunk touches them;
 *   - an OpenStack error escaping a chunk is reported as one line (class,
 *     HTTP status, message, request id), other errors with a traceback;
 *   - the REPL prints results readably (lua/openstack/repl.lua), keeps its
 *     history in ~/.ostack_lua_history and completes globals, fields and
 *     methods with Tab, without network calls. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifdef OSTACK_USE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include "ostack.h"

#define PROMPT "> "
#define PROMPT2 ">> "
#define HISTORY_FILE ".ostack_lua_history"
#define HISTORY_MAX 1000
#define INIT_VAR "OSTACK_LUA_INIT"
#define INIT_VAR_VERSION INIT_VAR "_5_4"
#define TRACEBACK_KEY "ostack-lua.traceback"
#define REPL_KEY "ostack-lua.repl"

static const char *progname = "ostack-lua";
static lua_State *globalL = NULL;
static int debug_trace = 0; /* --debug: also the traceback of OpenStack errors */

/* ---------------------------------------------------------------- signals (as lua.c) */

static void setsignal(int sig, void (*handler)(int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* SIGINT while Lua runs: stop at the next instruction; a second one kills. */
static void laction(int i) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  setsignal(i, SIG_DFL);
  lua_sethook(globalL, lstop, flag, 1);
}

/* ---------------------------------------------------------------- messages */

static void print_usage(FILE *out, const char *badoption) {
  if (badoption) {
    fprintf(out, "%s: ", progname);
    if (badoption[1] == 'e' || badoption[1] == 'l' || strncmp(badoption, "--os-", 5) == 0)
      fprintf(out, "'%s' needs argument\n", badoption);
    else
      fprintf(out, "unrecognized option '%s'\n", badoption);
  }
  fprintf(out,
          "usage: %s [options] [script [args]]\n"
          "Available options are:\n"
          "  -e stat            execute string 'stat'\n"
          "  -i                 enter interactive mode after executing 'script'\n"
          "  -l mod             require library 'mod' into global 'mod'\n"
          "  -l g=mod           require library 'mod' into global 'g'\n"
          "  -v                 show version information\n"
          "  -E                 ignore environment variables (LUA_PATH, " INIT_VAR ", ...)\n"
          "  -W                 turn warnings on\n"
          "  --os-cloud NAME    the cloud of clouds.yaml the global `conn` connects to\n"
          "  --os-OPTION VALUE  any connection option, as python-openstackclient names them:\n"
          "                     --os-auth-url, --os-username, --os-password, --os-project-name,\n"
          "                     --os-user-domain-name, --os-project-domain-name, --os-region-name,\n"
          "                     --os-interface, --os-cacert, --os-auth-type, --os-token,\n"
          "                     --os-application-credential-id/-secret, --os-compute-api-version, ...\n"
          "                     (also --os-OPTION=VALUE)\n"
          "  --os-insecure      do not verify TLS certificates (also --insecure)\n"
          "  --debug            print the (redacted) HTTP trace to stderr\n"
          "  --                 stop handling options\n"
          "  -                  stop handling options and execute stdin\n"
          "Without options the cloud comes from OS_CLOUD or the OS_* variables.\n",
          progname);
}

static void print_version(void) {
  curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  printf("ostack-lua %s (%s, libcurl %s)\n", OSTACK_VERSION, LUA_RELEASE, v ? v->version : "?");
  fflush(stdout);
}

static void l_message(const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

static int is_sdk_error(lua_State *L, int idx) {
  int yes = 0;
  if (lua_type(L, idx) == LUA_TTABLE && luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
    yes = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "openstack.Error") == 0;
    lua_pop(L, 1);
  }
  return yes;
}

/* A bounded line being built, whitespace runs made one space. */
typedef struct {
  char text[4096];
  size_t len;
  int space; /* whitespace pending */
} line_buf;

static void line_add(line_buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n && b->len + 2 < sizeof b->text; i++) {
    char c = s[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      b->space = 1;
      continue;
    }
    if (b->space && b->len > 0) b->text[b->len++] = ' ';
    b->space = 0;
    b->text[b->len++] = c;
  }
  b->text[b->len] = '\0';
}

static void line_add_field(line_buf *b, lua_State *L, int idx, const char *k, const char *before,
                           const char *after) {
  if (lua_getfield(L, idx, k) == LUA_TSTRING) { /* absent fields (nil or JSON null) are left out */
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (n > 0) {
      line_add(b, before, strlen(before));
      line_add(b, s, n);
      line_add(b, after, strlen(after));
    }
  }
  lua_pop(L, 1);
}

/* An OpenStack error object as one line: Class (HTTP 404): message [request id]. */
static void report_sdk_error(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  line_buf b;
  b.len = 0;
  b.space = 0;
  b.text[0] = '\0';
  line_add_field(&b, L, idx, "class", "", "");
  lua_getfield(L, idx, "status");
  if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
    char st[48];
    snprintf(st, sizeof st, " (HTTP %lld)", (long long)lua_tointeger(L, -1));
    line_add(&b, st, strlen(st));
  }
  lua_pop(L, 1);
  line_add(&b, ":", 1);
  line_add_field(&b, L, idx, "message", " ", "");
  line_add_field(&b, L, idx, "request_id", " [request ", "]");
  l_message(progname, b.text);
  if (debug_trace && lua_getfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY) == LUA_TSTRING)
    l_message(NULL, lua_tostring(L, -1));
  lua_pop(L, 1);
}

/* Prints the error on top of the stack (if status is an error) and pops it. */
static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    if (is_sdk_error(L, -1)) {
      report_sdk_error(L, -1);
    } else {
      const char *msg = lua_tostring(L, -1);
      if (msg == NULL) msg = "(error message not a string)";
      l_message(progname, msg);
    }
    lua_pop(L, 1);
  }
  return status;
}

/* OpenStack errors pass through untouched (their traceback is kept for
 * --debug); anything else gets a traceback, as in lua.c. */
static int msghandler(lua_State *L) {
  if (is_sdk_error(L, 1)) {
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
    lua_settop(L, 1);
    return 1;
  }
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  setsignal(SIGINT, laction);
  int status = lua_pcall(L, narg, nres, base);
  setsignal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

static int dochunk(lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

static int dofile(lua_State *L, const char *name) { return dochunk(L, luaL_loadfile(L, name)); }

static int dostring(lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l globname[=modname]: globname = require(modname) */
static int dolibrary(lua_State *L, const char *arg) {
  const char *eq = strchr(arg, '=');
  const char *modname = eq ? eq + 1 : arg;
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) {
    lua_pushlstring(L, arg, eq ? (size_t)(eq - arg) : strlen(arg));
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return report(L, status);
}

/* arg[1..#arg] as the script's arguments (LUA_INIT or -e may change arg). */
static int pushargs(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  int i;
  for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}

static int handle_script(lua_State *L, char **argv) {
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

/* ---------------------------------------------------------------- options */

#define has_error 1
#define has_i 2
#define has_v 4
#define has_e 8
#define has_E 16
#define has_help 32

/* Options taking no value among the long ones. */
static int is_long_flag(const char *a) {
  return strcmp(a, "--debug") == 0 || strcmp(a, "--os-insecure") == 0 || strcmp(a, "--insecure") == 0 ||
         strcmp(a, "--help") == 0 || strcmp(a, "--version") == 0;
}

/* As lua.c: returns the option mask, or has_error with *first the bad
 * option's index; *first is the script's index, or 0 when there is none. */
static int collectargs(char **argv, int *first) {
  int args = 0;
  int i;
  if (argv[0] != NULL) {
    if (argv[0][0]) progname = argv[0];
  } else {
    *first = -1;
    return 0;
  }
  for (i = 1; argv[i] != NULL; i++) {
    *first = i;
    if (argv[i][0] != '-') return args;
    switch (argv[i][1]) {
      case '-':
        if (argv[i][2] == '\0') { /* '--' */
          *first = argv[i + 1] ? i + 1 : 0;
          return args;
        }
        if (is_long_flag(argv[i])) {
          if (strcmp(argv[i], "--help") == 0) args |= has_help;
          if (strcmp(argv[i], "--version") == 0) args |= has_v;
          break;
        }
        if (strncmp(argv[i], "--os-", 5) == 0 && argv[i][5] != '\0' && argv[i][5] != '=') {
          if (strchr(argv[i], '=') == NULL && argv[++i] == NULL) {
            *first = i - 1;
            return has_error;
          }
          break;
        }
        return has_error;
      case '\0': /* '-': the script is stdin */
        return args;
      case 'E':
        if (argv[i][2] != '\0') return has_error;
        args |= has_E;
        break;
      case 'W':
        if (argv[i][2] != '\0') return has_error;
        break;
      case 'h':
        if (argv[i][2] != '\0') return has_error;
        args |= has_help;
        break;
      case 'i':
        args |= has_i; /* -i implies -v */
        /* FALLTHROUGH */
      case 'v':
        if (argv[i][2] != '\0') return has_error;
        args |= has_v;
        break;
      case 'e':
        args |= has_e;
        /* FALLTHROUGH */
      case 'l':
        if (argv[i][2] == '\0') {
          i++;
          if (argv[i] == NULL || argv[i][0] == '-') {
            *first = i - 1;
            return has_error;
          }
        }
        break;
      default:
        return has_error;
    }
  }
  *first = 0;
  return args;
}

/* Settings that belong under `auth` (as lua/openstack/config.lua's AUTH_KEYS). */
static const char *const auth_keys[] = {
    "auth_url", "username", "user_id", "password", "project_name", "project_id", "tenant_name",
    "tenant_id", "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
    "domain_name", "domain_id", "default_domain_id", "default_domain_name", "token", "auth_token",
    "passcode", "application_credential_id", "application_credential_secret",
    "application_credential_name", "system_scope", "trust_id", NULL,
};

static int is_auth_key(const char *k) {
  for (int i = 0; auth_keys[i]; i++)
    if (strcmp(auth_keys[i], k) == 0) return 1;
  return 0;
}

/* The table `conn` connects with, from --os-* and --debug (left on the stack). */
static void push_connect_options(lua_State *L, char **argv, int optlim) {
  lua_newtable(L);
  int opts = lua_gettop(L);
  for (int i = 1; i < optlim; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0)) {
      i++;
      continue;
    }
    if (strcmp(a, "--debug") == 0) {
      debug_trace = 1;
      lua_pushboolean(L, 1);
      lua_setfield(L, opts, "debug");
      continue;
    }
    if (strcmp(a, "--os-insecure") == 0 || strcmp(a, "--insecure") == 0) {
      lua_pushboolean(L, 1);
      lua_setfield(L, opts, "insecure");
      continue;
    }
    if (strncmp(a, "--os-", 5) != 0) continue;
    const char *name = a + 5, *eq = strchr(name, '='), *value;
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    value = eq ? eq + 1 : argv[++i];
    char key[128];
    if (len >= sizeof key) len = sizeof key - 1;
    for (size_t k = 0; k < len; k++) key[k] = name[k] == '-' ? '_' : name[k];
    key[len] = '\0';
    lua_pushstring(L, value);
    if (is_auth_key(key)) {
      if (lua_getfield(L, opts, "auth") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, opts, "auth");
      }
      lua_insert(L, -2);
      lua_setfield(L, -2, key);
      lua_pop(L, 1);
    } else {
      lua_setfield(L, opts, key);
    }
  }
}

static void createargtable(lua_State *L, char **argv, int argc, int script) {
  int narg = argc - (script + 1);
  lua_createtable(L, narg > 0 ? narg : 0, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* -e, -l and -W, in order. */
static int runargs(lua_State *L, char **argv, int n) {
  for (int i = 1; i < n; i++) {
    int option = argv[i][1];
    if (argv[i][0] != '-') continue;
    switch (option) {
      case 'e':
      case 'l': {
        const char *extra = argv[i] + 2;
        if (*extra == '\0') extra = argv[++i];
        int status = option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
        if (status != LUA_OK) return 0;
        break;
      }
      case 'W':
        lua_warning(L, "@on", 0);
        break;
      case '-':
        if (strncmp(argv[i], "--os-", 5) == 0 && !is_long_flag(argv[i]) && !strchr(argv[i], '=')) i++;
        break;
    }
  }
  return 1;
}

static int handle_init(lua_State *L) {
  const char *name = "=" INIT_VAR_VERSION;
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=" INIT_VAR;
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  if (init[0] == '@') return dofile(L, init + 1);
  return dostring(L, init, name);
}

/* ---------------------------------------------------------------- REPL input */

#ifdef OSTACK_USE_READLINE

static char history_path[4096];
static int history_on = 0;

static void history_open(void) {
  const char *path = getenv("OSTACK_LUA_HISTORY");
  if (path) {
    if (!*path) return; /* set but empty: no history file */
    snprintf(history_path, sizeof history_path, "%s", path);
  } else {
    const char *home = getenv("HOME");
    if (!home || !*home) return;
    snprintf(history_path, sizeof history_path, "%s/" HISTORY_FILE, home);
  }
  using_history();
  stifle_history(HISTORY_MAX);
  history_comment_char = '#'; /* timestamp lines keep multi-line entries whole */
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  int fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND, 0600); /* lines may hold secrets */
  if (fd < 0) return;
  close(fd);
  read_history(history_path);
  history_on = 1;
}

static void save_line(const char *line) {
  if (!line[0]) return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last && strcmp(last->line, line) == 0) return;
  add_history(line);
  if (history_on) append_history(1, history_path);
}

static void history_close(void) {
  if (history_on) history_truncate_file(history_path, HISTORY_MAX);
}

/* Completion: Lua (openstack.repl.complete) gives whole replacements for
 * the word before the cursor; the list shows only their last component. */
static lua_State *completion_L = NULL;
static char **candidates = NULL;
static int ncandidates = 0;
static int lua_matches = 0;

static void free_candidates(void) {
  for (int i = 0; i < ncandidates; i++) free(candidates[i]);
  free(candidates);
  candidates = NULL;
  ncandidates = 0;
}

static int collect_candidates(lua_State *L) {
  const char *text = lua_tostring(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  if (lua_getfield(L, -1, "complete") != LUA_TFUNCTION) return 0;
  lua_pushstring(L, text);
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1)) return 0;
  int n = (int)luaL_len(L, -1);
  candidates = calloc((size_t)n + 1, sizeof *candidates);
  if (!candidates) return 0;
  for (int i = 1; i <= n; i++) {
    if (lua_rawgeti(L, -1, i) == LUA_TSTRING) {
      char *s = strdup(lua_tostring(L, -1));
      if (s) candidates[ncandidates++] = s;
    }
    lua_pop(L, 1);
  }
  return 0;
}

static char *candidate_generator(const char *text, int state) {
  static int next;
  (void)text;
  if (state == 0) next = 0;
  if (next < ncandidates) return strdup(candidates[next++]);
  return NULL;
}

static char **attempt_completion(const char *text, int start, int end) {
  (void)start;
  (void)end;
  rl_completion_append_character = '\0';
  lua_matches = 0;
  if (rl_completion_quote_character) return NULL; /* inside a string: file names */
  rl_attempted_completion_over = 1;
  free_candidates();
  lua_State *L = completion_L;
  if (!L) return NULL;
  int top = lua_gettop(L);
  lua_pushcfunction(L, collect_candidates);
  lua_pushstring(L, text);
  lua_pcall(L, 1, 0, 0); /* errors just mean no candidates */
  lua_settop(L, top);
  if (ncandidates == 0) return NULL;
  lua_matches = 1;
  return rl_completion_matches(text, candidate_generator);
}

static void display_matches(char **matches, int num, int max_length) {
  if (!lua_matches) {
    rl_display_match_list(matches, num, max_length);
    rl_forced_update_display();
    return;
  }
  char **tails = malloc(((size_t)num + 2) * sizeof *tails);
  if (!tails) return;
  int longest = 0;
  tails[0] = matches[0];
  for (int i = 1; i <= num; i++) {
    char *dot = strrchr(matches[i], '.'), *colon = strrchr(matches[i], ':');
    char *sep = dot > colon ? dot : colon;
    tails[i] = sep ? sep + 1 : matches[i];
    int len = (int)strlen(tails[i]);
    if (len > longest) longest = len;
  }
  tails[num + 1] = NULL;
  int show = 1;
  if (rl_completion_query_items > 0 && num >= rl_completion_query_items) {
    rl_crlf();
    fprintf(rl_outstream, "Display all %d possibilities? (y or n)", num);
    fflush(rl_outstream);
    for (;;) { /* as readline's own question */
      int c = rl_read_key();
      if (c == 'y' || c == 'Y' || c == ' ') break;
      if (c == 'n' || c == 'N' || c == 127 || c == 7 || c == '\n' || c == '\r' || c <= 0) { /* \n: Ctrl-C too */
        show = 0;
        break;
      }
      rl_ding();
    }
    rl_crlf();
  }
  if (show) rl_display_match_list(tails, num, longest);
  free(tails);
  rl_forced_update_display();
}

/* Reading a line. Ctrl-C at the prompt drops the input (as shells do)
 * instead of killing the interpreter: readline reads through
 * interruptible_getc, which answers an interrupted read with a newline
 * (read_line then discards the line). Typed-ahead lines stay queued. */
static volatile sig_atomic_t prompt_interrupted = 0;

static void on_prompt_sigint(int sig) {
  (void)sig;
  prompt_interrupted = 1;
}

static int interruptible_getc(FILE *stream) {
  for (;;) {
    unsigned char c;
    if (prompt_interrupted) return '\n';
    ssize_t n = read(fileno(stream), &c, 1);
    if (n == 1) return c;
    if (n == 0) return EOF;
    if (errno != EINTR) return EOF;
  }
}

/* 1 (a line in *out), 0 (end of input) or -1 (interrupted). */
static int read_line(const char *prompt, char **out) {
  prompt_interrupted = 0;
  setsignal(SIGINT, on_prompt_sigint);
  char *line = readline(prompt);
  setsignal(SIGINT, SIG_DFL);
  if (prompt_interrupted) {
    free(line);
    return -1;
  }
  if (!line) return 0;
  *out = line;
  return 1;
}

/* Whether line[index] is inside a quoted string (so not a word break:
 * file names complete whole inside strings). */
static int char_is_quoted(char *line, int index) {
  char quote = 0;
  for (int i = 0; i < index && line[i]; i++) {
    if (quote && line[i] == '\\' && i + 1 < index) {
      i++;
    } else if (quote && line[i] == quote) {
      quote = 0;
    } else if (!quote && (line[i] == '"' || line[i] == '\'')) {
      quote = line[i];
    }
  }
  return quote != 0;
}

static void repl_input_open(lua_State *L) {
  completion_L = L;
  rl_readline_name = "ostack-lua";
  rl_catch_signals = 0; /* SIGINT is ours (read_line) */
  rl_getc_function = interruptible_getc;
  rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[])}";
  rl_completer_word_break_characters = rl_basic_word_break_characters;
  rl_completer_quote_characters = "\"'";
  rl_char_is_quoted_p = char_is_quoted;
  /* a second Tab lists the candidates when the first one could not extend
   * the word (~/.inputrc may say otherwise) */
  rl_variable_bind("show-all-if-unmodified", "on");
  rl_attempted_completion_function = attempt_completion;
  rl_completion_display_matches_hook = display_matches;
  history_open();
}

static void repl_input_close(void) {
  history_close();
  free_candidates();
  completion_L = NULL;
}

static int terminal_width(void) {
  int rows = 0, cols = 0;
  rl_get_screen_size(&rows, &cols);
  return cols > 20 ? cols : 80;
}

#else /* no readline */

static int read_line(const char *prompt, char **out) {
  fputs(prompt, stdout);
  fflush(stdout);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getline(&buf, &cap, stdin);
  if (n < 0) {
    free(buf);
    return 0;
  }
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
  *out = buf;
  return 1;
}

static void save_line(const char *line) { (void)line; }
static void repl_input_open(lua_State *L) { (void)L; }
static void repl_input_close(void) {}
static int terminal_width(void) {
  const char *c = getenv("COLUMNS");
  int n = c ? atoi(c) : 0;
  return n > 20 ? n : 80;
}

#endif

/* ---------------------------------------------------------------- REPL (as lua.c) */

static const char *get_prompt(lua_State *L, int firstline) {
  if (lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2") == LUA_TNIL) return firstline ? PROMPT : PROMPT2;
  const char *p = luaL_tolstring(L, -1, NULL);
  lua_remove(L, -2);
  return p;
}

#define EOFMARK "<eof>"
#define marklen (sizeof(EOFMARK) / sizeof(char) - 1)

static int incomplete(lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    if (lmsg >= marklen && strcmp(msg + lmsg - marklen, EOFMARK) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

/* Reads a line onto the stack: 1, 0 (end of input) or -1 (interrupted). */
static int pushline(lua_State *L, int firstline) {
  const char *prmt = get_prompt(L, firstline);
  char *b = NULL;
  int rs = read_line(prmt, &b);
  lua_pop(L, 1); /* prompt */
  if (rs <= 0) return rs;
  size_t l = strlen(b);
  if (l > 0 && b[l - 1] == '\n') b[--l] = '\0';
  if (firstline && b[0] == '=') /* "=expr", as in Lua 5.2 */
    lua_pushfstring(L, "return %s", b + 1);
  else
    lua_pushlstring(L, b, l);
  free(b);
  return 1;
}

static int addreturn(lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2);
    save_line(line);
  } else {
    lua_pop(L, 2);
  }
  return status;
}

#define INTERRUPTED (-2)

static int multiline(lua_State *L) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, "=stdin");
    if (!incomplete(L, status)) {
      save_line(line);
      return status;
    }
    int rs = pushline(L, 0);
    if (rs < 0) {
      save_line(line);
      return INTERRUPTED;
    }
    if (rs == 0) { /* end of input inside a statement: report why */
      save_line(line);
      return luaL_loadbuffer(L, line, len, "=stdin");
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

/* -1: end of input; INTERRUPTED; else the load status with the chunk (or
 * the error) on top. */
static int loadline(lua_State *L) {
  lua_settop(L, 0);
  int rs = pushline(L, 1);
  if (rs == 0) return -1;
  if (rs < 0) return INTERRUPTED;
  int status = addreturn(L);
  if (status != LUA_OK) status = multiline(L);
  if (status == INTERRUPTED) return status;
  lua_remove(L, 1);
  return status;
}

/* Prints the results on the stack with openstack.repl's printer (print if
 * that module could not be loaded). */
static void l_print(lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  if (lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY) == LUA_TTABLE) {
    lua_pushinteger(L, terminal_width());
    lua_setfield(L, -2, "width");
    lua_getfield(L, -1, "print");
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
    lua_getglobal(L, "print");
  }
  lua_insert(L, 1);
  if (docall(L, n, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    l_message(progname, lua_pushfstring(L, "error printing the result (%s)", msg ? msg : "?"));
    lua_pop(L, 2);
  }
}

static void load_repl_module(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "openstack.repl");
  if (docall(L, 1, 1) == LUA_OK && lua_istable(L, -1)) {
    lua_setfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  } else {
    report(L, LUA_ERRRUN);
    lua_settop(L, 0);
  }
}

/* Which cloud `conn` will use, for the banner. */
static void print_repl_hint(lua_State *L) {
  const char *cloud = NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, "openstack.connect_options");
  if (lua_istable(L, -1) && lua_getfield(L, -1, "cloud") == LUA_TSTRING) cloud = lua_tostring(L, -1);
  if (!cloud) cloud = getenv("OS_CLOUD");
  if (cloud && *cloud)
    printf("`conn` connects to cloud '%s' on first use; Tab completes; Ctrl-D exits.\n", cloud);
  else if (getenv("OS_AUTH_URL"))
    printf("`conn` connects with the OS_* variables on first use; Tab completes; Ctrl-D exits.\n");
  else
    printf("`conn` connects on first use (--os-cloud NAME or OS_CLOUD); Tab completes; Ctrl-D exits.\n");
  fflush(stdout);
  lua_settop(L, 0);
}

static void doREPL(lua_State *L) {
  int status;
  const char *oldprogname = progname;
  lua_settop(L, 0);
  if (isatty(0)) print_repl_hint(L);
  progname = NULL; /* no program name on errors in interactive mode */
  load_repl_module(L);
  repl_input_open(L);
  while ((status = loadline(L)) != -1) {
    if (status == INTERRUPTED) continue;
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK)
      l_print(L);
    else
      report(L, status);
  }
  lua_settop(L, 0);
  repl_input_close();
  fputc('\n', stdout);
  fflush(stdout);
  progname = oldprogname;
}

/* ---------------------------------------------------------------- main */

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

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script;
  int args = collectargs(argv, &script);
  int optlim = script > 0 ? script : argc;
  luaL_checkversion(L);
  if (args == has_error) {
    print_usage(stderr, argv[script]);
    return 0;
  }
  if (args & has_help) {
    print_usage(stdout, NULL);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (args & has_v) print_version();
  if (args & has_E) { /* before the package library reads LUA_PATH */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
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
  push_connect_options(L, argv, optlim);
  lua_setfield(L, LUA_REGISTRYINDEX, "openstack.connect_options");
  ostack_openlibs(L, NULL);
  createargtable(L, argv, argc, script);
  lua_gc(L, LUA_GCRESTART);
  /* lua.c switches to the generational collector here; the SDK's listings
   * (a page of fresh tables at a time, dropped as the loop moves on) run
   * 1.6x faster incremental: 100k servers, 3.1 s CPU generational, 2.0 s
   * incremental (bench/results/profile-list100k.md) */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  if (!(args & has_E) && handle_init(L) != LUA_OK) return 0;
  if (!runargs(L, argv, optlim)) return 0;
  if (script > 0 && handle_script(L, argv + script) != LUA_OK) return 0;
  if (args & has_i) {
    doREPL(L);
  } else if (script < 1 && !(args & (has_e | has_v))) {
    if (isatty(0)) {
      print_version();
      doREPL(L);
    } else if (dofile(L, NULL) != LUA_OK) {
      return 0; /* unlike lua.c, an error in stdin fails the run */
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  /* no fastbins: glibc otherwise consolidates them whenever a presized
   * table's node array is allocated, 5-7% of a large listing's CPU */
  mallopt(M_MXFAST, 0);
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(argv[0], "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_gc(L, LUA_GCSTOP);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int result = lua_toboolean(L, -1);
  report(L, status);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
