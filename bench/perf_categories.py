"""perf_categories.py: sorts the samples of `perf script` (recorded with
--call-graph dwarf) into where the time goes, by looking at each sample's
whole stack:

  start-up + auth   loading, config, session creation, token (before the list)
  GC                anything under luaC_step / luaC_fullgc (collector work,
                    including the free() calls it makes)
  JSON decode       under ostack_lua_json_decode and not GC, split by the
                    leaf: the parser itself (json.c / lua_json.c), string
                    interning (luaS_*, internshrstr), table building (the
                    rest of liblua: luaH_*, lua_createtable, lua_rawset...),
                    malloc/free, memcpy
  transfer          libcurl and the kernel's socket work (not under decode)
  Lua code          the interpreter running Lua: the page iterator in
                    proxy.lua, resource.wrap (setmetatable), the benchmark loop
  other

usage: perf script -F comm,tid,ip,sym,dso -i perf.data | python3 perf_categories.py
"""
import collections
import sys

GC_ROOTS = ("luaC_step", "luaC_fullgc", "luaC_freeallobjects", "lua_gc")
STARTUP = ("ostack_session_new", "l_session", "_dl_start", "dl_main", "luaL_openlibs", "ostack_openlibs",
           "session_authenticate", "ostack_session_authenticate", "luaL_loadfilex", "luaL_loadbufferx",
           "config_load", "_dl_map_object", "dl_open_worker")
DECODE = ("ostack_lua_json_decode",)
PARSER_FILES = ("parse_", "ls_", "place", "ostack_json_parse", "skip_ws", "utf8", "lex", "scan")


def real_dso(stack):
    """The library of the leaf: inlined frames carry no library of their own."""
    for _, dso in stack:
        if dso and dso != "inlined":
            return dso
    return ""


def leaf_class(stack):
    sym, dso = stack[0][0], real_dso(stack)
    if sym.startswith(("internshrstr", "luaS_")) or sym in ("lua_pushlstring", "lua_pushstring") \
            or ("memcmp" in sym and "libc.so" in dso):
        return "string interning"
    if "libc.so" in dso:
        if "memcpy" in sym or "memmove" in sym:
            return "memcpy"
        return "malloc/free"
    if "liblua" in dso:
        return "table building"
    if "ostack-lua" in dso or "libostack" in dso:
        return "parser"
    return "other (in decode)"


def classify(stack):
    syms = [s for s, _ in stack]
    if any(r in syms for r in GC_ROOTS):
        dso = real_dso(stack)
        if "libc.so" in dso:
            return "GC", "free() of dead objects (glibc)"
        if stack[0][0].startswith(("luaS_remove", "internshrstr", "luaS_")):
            return "GC", "dead strings out of the string table"
        return "GC", "collector (mark, sweep, mode switches)"
    if any(s.startswith(STARTUP) for s in syms) and "pager_next" not in syms:
        return "start-up + auth", None
    if any(d in syms for d in DECODE):
        return "JSON decode", leaf_class(stack)
    leaf_sym, leaf_dso = stack[0][0], real_dso(stack)
    if any("libcurl" in d for _, d in stack) or leaf_dso == "[kernel.kallsyms]":
        return "transfer (libcurl + kernel)", None
    if "liblua" in leaf_dso or "luaV_execute" in syms:
        return "Lua code (iterator, wrap, loop)", None
    return "other", leaf_sym


def main():
    cats = collections.Counter()
    sub = collections.Counter()
    other = collections.Counter()
    leaves = collections.Counter()
    stack = []
    total = 0

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        c, s = classify(stack)
        cats[c] += 1
        if s and c in ("JSON decode", "GC"):
            sub[(c, s)] += 1
        elif s:
            other[s] += 1
        leaves[stack[0][0]] += 1
        stack.clear()

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            continue
        if not line.startswith(("\t", " ")):
            flush()
            continue
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        if rest.endswith(")") and " (" in rest:
            sym, dso = rest.rsplit(" (", 1)
            dso = dso[:-1]
        else:
            sym, dso = rest, ""
        stack.append((sym.strip(), dso))
    flush()
    print("%d samples" % total)
    print()
    print("| where | share |")
    print("|---|---:|")
    for c, n in cats.most_common():
        print("| %s | %.1f%% |" % (c, 100.0 * n / total))
        for (sc, s), m in sub.most_common():
            if sc == c:
                print("| &nbsp;&nbsp;%s: %s | %.1f%% |" % ("decode" if c == "JSON decode" else c, s, 100.0 * m / total))
    if other:
        print()
        print("other, by leaf: " + ", ".join("%s %.1f%%" % (s, 100.0 * n / total) for s, n in other.most_common(8)))
    print()
    print("top leaf functions: " + ", ".join("%s %.1f%%" % (s, 100.0 * n / total) for s, n in leaves.most_common(15)))


if __name__ == "__main__":
    main()
